//! Error types. Each carries the evidence needed to diagnose it.

use crate::CmdId;

/// A frame could not be parsed. Scope: one frame (the stream or datagram goes on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The buffer does not start with the sync bytes `55 66`.
    #[error("no frame start: expected sync bytes 55 66, found {found:02x?}")]
    BadSync {
        /// The first (up to two) bytes found instead.
        found: Vec<u8>,
    },
    /// The buffer ends before the frame does.
    #[error("truncated frame: {needed} bytes needed, {got} available")]
    Truncated {
        /// Bytes the frame needs in total (header + payload + CRC), as far as known.
        needed: usize,
        /// Bytes that were available.
        got: usize,
    },
    /// The declared payload length is larger than this decoder accepts.
    #[error("payload length {len} exceeds the limit of {max} bytes")]
    PayloadTooLong {
        /// Declared payload length in bytes.
        len: usize,
        /// The configured maximum payload length in bytes.
        max: usize,
    },
    /// The CRC in the frame does not match the CRC of its bytes.
    #[error("CRC mismatch for cmd {cmd} seq {seq}: frame says {expected:#06x}, computed {computed:#06x}")]
    CrcMismatch {
        /// The CRC carried by the frame.
        expected: u16,
        /// The CRC computed over the received bytes.
        computed: u16,
        /// The command id field of the damaged frame (may itself be damaged).
        cmd: CmdId,
        /// The SEQ field of the damaged frame (may itself be damaged).
        seq: u16,
    },
}

/// A frame was valid but its payload could not be interpreted for its command id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload is shorter than the shortest known layout for this command.
    #[error("payload of cmd {cmd} too short: at least {min} bytes needed, got {got}")]
    TooShort {
        /// Command id of the frame.
        cmd: CmdId,
        /// Minimum payload length in bytes.
        min: usize,
        /// Actual payload length in bytes.
        got: usize,
    },
    /// A field holds a value the protocol does not define and the typed value cannot represent.
    #[error("cmd {cmd}: field `{field}` has invalid value {value}")]
    InvalidValue {
        /// Command id of the frame.
        cmd: CmdId,
        /// Field name.
        field: &'static str,
        /// The raw value found.
        value: i64,
    },
}
