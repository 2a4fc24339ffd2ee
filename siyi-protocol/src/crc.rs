//! CRC-16/XMODEM as used by SIYI frames.
//!
//! Width 16, polynomial 0x1021, initial value 0x0000, no reflection, no final XOR
//! (check value of ASCII `"123456789"` = 0x31C3). It covers every byte from the first `55` of the
//! frame through the last payload byte and is appended little-endian (low byte first).
//! The computation is the `crc` crate's [`crc::CRC_16_XMODEM`] in its slice-by-16 table form.

use ::crc::{Crc, Table};

/// The CRC engine: `crc` crate, CRC-16/XMODEM, slice-by-16 tables (fastest form).
pub const XMODEM: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&::crc::CRC_16_XMODEM);

/// CRC-16/XMODEM of `bytes`.
pub fn crc16(bytes: &[u8]) -> u16 {
    XMODEM.checksum(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn vendor_worked_example() {
        // siyi-protocol.md §2.2: `55 66 01 01 00 00 00 08 01` -> 0x12D1.
        assert_eq!(
            crc16(&[0x55, 0x66, 0x01, 0x01, 0x00, 0x00, 0x00, 0x08, 0x01]),
            0x12D1
        );
    }
}
