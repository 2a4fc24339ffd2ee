//! One SIYI frame: layout, encoding and parsing.
//!
//! ```text
//! offset  size  field
//! 0       2     STX     55 66
//! 2       1     CTRL    bit 0 need_ack, bit 1 ack_pack, bits 2-7 reserved
//! 3       2     LEN     payload length, u16 little-endian
//! 5       2     SEQ     sequence number, u16 little-endian
//! 7       1     CMD     command id
//! 8       LEN   DATA    payload, multi-byte fields little-endian
//! 8+LEN   2     CRC16   CRC-16/XMODEM of bytes 0..8+LEN, little-endian
//! ```

use crate::crc::crc16;
use crate::{CmdId, FrameError};

/// The two sync bytes that start every frame.
pub const STX: [u8; 2] = [0x55, 0x66];
/// Bytes before the payload: STX, CTRL, LEN, SEQ, CMD.
pub const HEADER_LEN: usize = 8;
/// Bytes of the CRC trailer.
pub const CRC_LEN: usize = 2;
/// Size of a frame with an empty payload.
pub const MIN_FRAME_LEN: usize = HEADER_LEN + CRC_LEN;
/// The largest payload this crate encodes or accepts by default, in bytes.
///
/// The vendor states no maximum; the largest A8-relevant payload is 32 bytes (0x3E). 1024 bytes
/// leaves ample room for newer firmware while bounding what a decoder waits for.
pub const MAX_PAYLOAD_LEN: usize = 1024;

/// The CTRL byte. Bit 0 = `need_ack` (the sender wants a reply), bit 1 = `ack_pack` (this frame is
/// a reply). Reserved bits are kept as received so a frame re-encodes to the same bytes.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Default, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Ctrl(pub u8);

impl Ctrl {
    /// 0x01: what every host sends (need_ack set).
    pub const REQUEST: Self = Self(0x01);
    /// 0x02: what every captured camera reply carries (ack_pack set).
    pub const REPLY: Self = Self(0x02);

    /// Bit 0: the sender wants a reply.
    pub const fn need_ack(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// Bit 1: this frame is a reply.
    pub const fn ack_pack(self) -> bool {
        self.0 & 0x02 != 0
    }
}

/// What the header of a possibly damaged or incomplete frame says, field by field (`None` when
/// the bytes end before that field). For diagnostics: nothing is checked, not even the sync bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct HeaderPeek {
    /// The CTRL byte (offset 2).
    pub ctrl: Option<Ctrl>,
    /// The declared payload length in bytes (offsets 3–4).
    pub payload_len: Option<u16>,
    /// The sequence number (offsets 5–6).
    pub seq: Option<u16>,
    /// The command id (offset 7).
    pub cmd: Option<CmdId>,
}

impl HeaderPeek {
    /// Reads whatever header fields `bytes` (starting at the sync bytes) holds.
    pub fn of(bytes: &[u8]) -> Self {
        let u16_at = |i: usize| {
            bytes
                .get(i..i + 2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
        };
        Self {
            ctrl: bytes.get(2).copied().map(Ctrl),
            payload_len: u16_at(3),
            seq: u16_at(5),
            cmd: bytes.get(7).copied().map(CmdId),
        }
    }

    /// The length of the whole frame the header declares (`10 + payload_len`), if known.
    pub fn frame_len(&self) -> Option<usize> {
        self.payload_len.map(|len| MIN_FRAME_LEN + usize::from(len))
    }
}

/// A complete, owned frame.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Frame {
    /// The CTRL byte.
    pub ctrl: Ctrl,
    /// The sequence number. The camera's replies carry its own counter, not the request's.
    pub seq: u16,
    /// The command id.
    pub cmd: CmdId,
    pub(crate) payload: Vec<u8>,
}

impl Frame {
    /// Builds a frame. Fails with [`FrameError::PayloadTooLong`] when the payload is longer than
    /// [`MAX_PAYLOAD_LEN`] bytes.
    pub fn new(ctrl: Ctrl, seq: u16, cmd: CmdId, payload: Vec<u8>) -> Result<Self, FrameError> {
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(FrameError::PayloadTooLong {
                len: payload.len(),
                max: MAX_PAYLOAD_LEN,
            });
        }
        Ok(Self {
            ctrl,
            seq,
            cmd,
            payload,
        })
    }

    /// Builds a frame whose payload `encode` writes; a payload longer than [`MAX_PAYLOAD_LEN`] is
    /// truncated to it, so this never fails.
    pub(crate) fn from_encoder(
        ctrl: Ctrl,
        seq: u16,
        cmd: CmdId,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Self {
        let mut payload = Vec::with_capacity(32);
        encode(&mut payload);
        payload.truncate(MAX_PAYLOAD_LEN);
        Self {
            ctrl,
            seq,
            cmd,
            payload,
        }
    }

    /// The payload bytes (DATA).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Takes the payload out of the frame.
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }

    /// Total encoded size in bytes (`10 + payload length`).
    pub fn encoded_len(&self) -> usize {
        MIN_FRAME_LEN + self.payload.len()
    }

    /// Appends the encoded frame (with CRC) to `out`. Never fails: the payload length was checked
    /// when the frame was built.
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode_parts(self.ctrl, self.seq, self.cmd, &self.payload, out);
    }

    /// The encoded frame as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// Parses exactly one frame at the start of `buf` (bytes after it are not looked at).
    /// Returns the frame and the number of bytes it occupied.
    pub fn parse(buf: &[u8]) -> Result<(Self, usize), FrameError> {
        let (frame, used) = FrameRef::parse(buf, MAX_PAYLOAD_LEN)?;
        Ok((frame.to_owned(), used))
    }

    /// Borrows this frame as a [`FrameRef`].
    pub fn as_ref(&self) -> FrameRef<'_> {
        FrameRef {
            ctrl: self.ctrl,
            seq: self.seq,
            cmd: self.cmd,
            payload: &self.payload,
        }
    }
}

/// Encodes a frame from its parts into `out`. `payload` must be at most 65535 bytes (the LEN field);
/// [`Frame::new`] enforces the tighter [`MAX_PAYLOAD_LEN`].
pub(crate) fn encode_parts(ctrl: Ctrl, seq: u16, cmd: CmdId, payload: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.reserve(MIN_FRAME_LEN + payload.len());
    out.extend_from_slice(&STX);
    out.push(ctrl.0);
    // Payloads are bounded by MAX_PAYLOAD_LEN (< 65536) wherever frames are built.
    out.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.push(cmd.0);
    out.extend_from_slice(payload);
    let crc = crc16(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// A frame borrowed from a buffer (no allocation). Produced by
/// [`FrameDecoder::next_frame_ref`](crate::FrameDecoder::next_frame_ref).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FrameRef<'a> {
    /// The CTRL byte.
    pub ctrl: Ctrl,
    /// The sequence number.
    pub seq: u16,
    /// The command id.
    pub cmd: CmdId,
    /// The payload bytes.
    pub payload: &'a [u8],
}

impl<'a> FrameRef<'a> {
    /// Parses one frame at the start of `buf`, accepting payloads up to `max_payload_len` bytes.
    pub fn parse(buf: &'a [u8], max_payload_len: usize) -> Result<(Self, usize), FrameError> {
        if buf.len() < 2 || buf[..2] != STX {
            return Err(FrameError::BadSync {
                found: buf[..buf.len().min(2)].to_vec(),
            });
        }
        if buf.len() < HEADER_LEN {
            return Err(FrameError::Truncated {
                needed: MIN_FRAME_LEN,
                got: buf.len(),
            });
        }
        let len = usize::from(u16::from_le_bytes([buf[3], buf[4]]));
        if len > max_payload_len {
            return Err(FrameError::PayloadTooLong {
                len,
                max: max_payload_len,
            });
        }
        let total = MIN_FRAME_LEN + len;
        if buf.len() < total {
            return Err(FrameError::Truncated {
                needed: total,
                got: buf.len(),
            });
        }
        let seq = u16::from_le_bytes([buf[5], buf[6]]);
        let cmd = CmdId(buf[7]);
        let body_end = HEADER_LEN + len;
        let expected = u16::from_le_bytes([buf[body_end], buf[body_end + 1]]);
        let computed = crc16(&buf[..body_end]);
        if expected != computed {
            return Err(FrameError::CrcMismatch {
                expected,
                computed,
                cmd,
                seq,
            });
        }
        let frame = FrameRef {
            ctrl: Ctrl(buf[2]),
            seq,
            cmd,
            payload: &buf[HEADER_LEN..body_end],
        };
        Ok((frame, total))
    }

    /// Copies the frame into an owned [`Frame`].
    pub fn to_owned(&self) -> Frame {
        Frame {
            ctrl: self.ctrl,
            seq: self.seq,
            cmd: self.cmd,
            payload: self.payload.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_firmware_request() {
        let f = Frame::new(Ctrl::REQUEST, 0, CmdId::FIRMWARE_VERSION, vec![]).unwrap();
        assert_eq!(
            f.to_bytes(),
            [0x55, 0x66, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0xc4]
        );
    }

    #[test]
    fn parse_reports_crc_evidence() {
        let mut bytes = vec![
            0x55, 0x66, 0x01, 0x01, 0x00, 0x00, 0x00, 0x08, 0x01, 0xd1, 0x12,
        ];
        assert!(Frame::parse(&bytes).is_ok());
        bytes[9] = 0x00;
        assert_eq!(
            Frame::parse(&bytes),
            Err(FrameError::CrcMismatch {
                expected: 0x1200,
                computed: 0x12d1,
                cmd: CmdId::CENTER,
                seq: 0
            })
        );
    }

    #[test]
    fn too_long_payload_is_refused() {
        assert_eq!(
            Frame::new(Ctrl::REQUEST, 0, CmdId(1), vec![0; MAX_PAYLOAD_LEN + 1]),
            Err(FrameError::PayloadTooLong {
                len: MAX_PAYLOAD_LEN + 1,
                max: MAX_PAYLOAD_LEN
            })
        );
    }
}
