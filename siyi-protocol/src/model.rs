//! Hardware id (0x02 reply) and the camera model it names.

use std::fmt;

use crate::wire::{Field, Reader};
use crate::PayloadError;

/// The 12-byte hardware id string of a 0x02 reply (ASCII, zero padded).
///
/// Its first two characters are the product code written in hex: `"73"` → 0x73 = A8 mini.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct HardwareId(pub [u8; 12]);

impl HardwareId {
    /// Builds a hardware id from an ASCII string (truncated or zero-padded to 12 bytes).
    pub fn from_ascii(text: &str) -> Self {
        let mut raw = [0u8; 12];
        for (dst, src) in raw.iter_mut().zip(text.bytes()) {
            *dst = src;
        }
        Self(raw)
    }

    /// The printable part (up to the first NUL), lossily decoded.
    pub fn as_text(&self) -> String {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        String::from_utf8_lossy(&self.0[..end]).into_owned()
    }

    /// The product code: the first two characters read as a hex number (`"73"` → 0x73).
    pub fn product_code(&self) -> Option<u8> {
        // Both characters must be hex digits: `from_str_radix` alone would accept a sign ("+7").
        let digits = &self.0[..2];
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let text = std::str::from_utf8(digits).ok()?;
        u8::from_str_radix(text, 16).ok()
    }

    /// The camera model named by the product code.
    pub fn model(&self) -> CameraModel {
        match self.product_code() {
            Some(code) => CameraModel::from_product_code(code),
            None => CameraModel::Unknown(None),
        }
    }
}

/// The vendor documents 12 bytes; shorter ids that still carry the product code (2 bytes) are
/// accepted, zero-padded.
impl Field for HardwareId {
    const MIN_LEN: usize = 2;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
    fn get(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, PayloadError> {
        Ok(Self(r.take_up_to()))
    }
}

impl fmt::Debug for HardwareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HardwareId({:?})", self.as_text())
    }
}

/// SIYI gimbal-camera models, by hardware-id product code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum CameraModel {
    /// 0x73: A8 mini (6× digital zoom, fixed focus).
    A8Mini,
    /// 0x6B: ZR10.
    Zr10,
    /// 0x75: A2 mini.
    A2Mini,
    /// 0x78: ZR30.
    Zr30,
    /// 0x7A: ZT30.
    Zt30,
    /// 0x82 or 0x83: ZT6 (sources disagree on the code).
    Zt6,
    /// Another product code, or none readable.
    Unknown(Option<u8>),
}

impl CameraModel {
    /// The model for a product code.
    pub const fn from_product_code(code: u8) -> Self {
        match code {
            0x73 => Self::A8Mini,
            0x6B => Self::Zr10,
            0x75 => Self::A2Mini,
            0x78 => Self::Zr30,
            0x7A => Self::Zt30,
            0x82 | 0x83 => Self::Zt6,
            other => Self::Unknown(Some(other)),
        }
    }

    /// The marketing name (`"A8 mini"`), or `"unknown SIYI camera"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::A8Mini => "A8 mini",
            Self::Zr10 => "ZR10",
            Self::A2Mini => "A2 mini",
            Self::Zr30 => "ZR30",
            Self::Zt30 => "ZT30",
            Self::Zt6 => "ZT6",
            Self::Unknown(_) => "unknown SIYI camera",
        }
    }
}

impl fmt::Display for CameraModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a8_mini_code() {
        let id = HardwareId::from_ascii("7342011256");
        assert_eq!(id.product_code(), Some(0x73));
        assert_eq!(id.model(), CameraModel::A8Mini);
        assert_eq!(id.model().name(), "A8 mini");
        assert_eq!(
            HardwareId::from_ascii("zz").model(),
            CameraModel::Unknown(None)
        );
        assert_eq!(HardwareId::from_ascii("83").model(), CameraModel::Zt6);
        // A sign is not a hex digit (u8::from_str_radix alone accepts "+7").
        assert_eq!(HardwareId::from_ascii("+7123").product_code(), None);
    }
}
