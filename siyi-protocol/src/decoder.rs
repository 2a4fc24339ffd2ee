//! A push-bytes / pull-frames stream decoder.
//!
//! Works the same for UDP datagrams (one or several frames each), TCP and serial byte streams:
//!
//! * a partial frame waits for more bytes;
//! * bytes that cannot start a frame are skipped (counted as garbage);
//! * a frame whose CRC fails is reported as an error item, and only its two sync bytes are
//!   dropped, so a valid frame hidden inside it is still found;
//! * a declared length above the limit is reported at once (before waiting for the body) and only
//!   the sync bytes are dropped;
//! * the buffer is bounded: at most `max_buffered` bytes are held; when a caller pushes more
//!   without pulling, the oldest bytes are discarded and counted;
//! * every call to [`FrameDecoder::next_frame`] either returns `None` (needs more bytes) or
//!   consumes at least one byte: it always makes progress and never panics.

use crate::frame::{FrameRef, CRC_LEN, HEADER_LEN, MAX_PAYLOAD_LEN, MIN_FRAME_LEN, STX};
use crate::{Frame, FrameError};

/// Counters kept by a [`FrameDecoder`].
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug, serde::Serialize)]
pub struct DecoderStats {
    /// Bytes pushed in.
    pub bytes_in: u64,
    /// Valid frames returned.
    pub frames: u64,
    /// Bytes skipped because they could not start a frame.
    pub garbage_bytes: u64,
    /// Frames rejected for a CRC mismatch.
    pub crc_errors: u64,
    /// Frame starts rejected for a payload length above the limit.
    pub oversize: u64,
    /// Bytes discarded because the buffer limit was reached (the caller pushed without pulling).
    pub overflow_bytes: u64,
}

impl DecoderStats {
    /// Total number of bytes the decoder dropped for any reason (garbage, bad frames' sync bytes,
    /// oversize headers' sync bytes, overflow).
    pub fn dropped_bytes(&self) -> u64 {
        self.garbage_bytes + 2 * (self.crc_errors + self.oversize) + self.overflow_bytes
    }
}

/// Stream decoder: [`push`](Self::push) bytes, pull frames with [`next_frame`](Self::next_frame)
/// (owned) or [`next_frame_ref`](Self::next_frame_ref) (borrowed, no allocation).
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    start: usize,
    max_payload_len: usize,
    max_buffered: usize,
    stats: DecoderStats,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// Default limit of buffered bytes (64 KiB, the size of the largest UDP datagram).
    pub const DEFAULT_MAX_BUFFERED: usize = 64 * 1024;

    /// A decoder accepting payloads up to [`MAX_PAYLOAD_LEN`] bytes.
    pub fn new() -> Self {
        Self::with_limits(MAX_PAYLOAD_LEN, Self::DEFAULT_MAX_BUFFERED)
    }

    /// A decoder with explicit limits: the largest payload accepted (bytes) and the most bytes held
    /// between pulls. `max_buffered` is raised to at least one maximum-size frame.
    pub fn with_limits(max_payload_len: usize, max_buffered: usize) -> Self {
        let max_payload_len = max_payload_len.min(usize::from(u16::MAX));
        Self {
            buf: Vec::new(),
            start: 0,
            max_payload_len,
            max_buffered: max_buffered.max(MIN_FRAME_LEN + max_payload_len),
            stats: DecoderStats::default(),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Bytes currently held (a partial frame, or frames not pulled yet).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Drops everything buffered (e.g. at the end of a datagram when frames may not span datagrams).
    /// The dropped bytes count as garbage.
    pub fn clear(&mut self) {
        self.stats.garbage_bytes += self.buffered() as u64;
        self.buf.clear();
        self.start = 0;
    }

    /// Adds bytes to the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.stats.bytes_in += bytes.len() as u64;
        // Over the limit: drop the oldest bytes first, without ever copying bytes that would be
        // dropped, so memory stays bounded by about twice `max_buffered` whatever the push size.
        let held = self.buffered();
        let excess = (held + bytes.len()).saturating_sub(self.max_buffered);
        let mut bytes = bytes;
        if excess > 0 {
            self.stats.overflow_bytes += excess as u64;
            if excess >= held {
                self.buf.clear();
                self.start = 0;
                bytes = bytes.get(excess - held..).unwrap_or_default();
            } else {
                self.start += excess;
            }
        }
        if self.start > 0 && (self.start == self.buf.len() || self.start >= self.buf.len() / 2) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next frame, owned. `None` means more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        self.next_frame_ref().map(|r| r.map(|f| f.to_owned()))
    }

    /// The next frame, borrowed from the decoder's buffer. `None` means more bytes are needed.
    /// Errors are per-frame items: keep pulling after one.
    pub fn next_frame_ref(&mut self) -> Option<Result<FrameRef<'_>, FrameError>> {
        let avail = &self.buf[self.start..];
        // Find a frame start: `55 66`. A lone trailing `55` may be the first half of one.
        let Some(pos) = find_sync(avail) else {
            let keep = usize::from(avail.last() == Some(&STX[0]));
            let skip = avail.len() - keep;
            self.stats.garbage_bytes += skip as u64;
            self.start += skip;
            return None;
        };
        if pos > 0 {
            self.stats.garbage_bytes += pos as u64;
            self.start += pos;
        }
        let avail = &self.buf[self.start..];
        if avail.len() < HEADER_LEN {
            return None;
        }
        let len = usize::from(u16::from_le_bytes([avail[3], avail[4]]));
        if len > self.max_payload_len {
            self.stats.oversize += 1;
            self.start += STX.len();
            return Some(Err(FrameError::PayloadTooLong {
                len,
                max: self.max_payload_len,
            }));
        }
        if avail.len() < MIN_FRAME_LEN + len {
            return None;
        }
        let start = self.start;
        let body_end = start + HEADER_LEN + len;
        let expected = u16::from_le_bytes([self.buf[body_end], self.buf[body_end + 1]]);
        let computed = crate::crc::crc16(&self.buf[start..body_end]);
        let seq = u16::from_le_bytes([self.buf[start + 5], self.buf[start + 6]]);
        let cmd = crate::CmdId(self.buf[start + 7]);
        self.start += STX.len();
        if expected != computed {
            self.stats.crc_errors += 1;
            return Some(Err(FrameError::CrcMismatch {
                expected,
                computed,
                cmd,
                seq,
            }));
        }
        self.stats.frames += 1;
        self.start = body_end + CRC_LEN;
        Some(Ok(FrameRef {
            ctrl: crate::Ctrl(self.buf[start + 2]),
            seq,
            cmd,
            payload: &self.buf[start + HEADER_LEN..body_end],
        }))
    }
}

fn find_sync(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = buf[from..].iter().position(|&b| b == STX[0]) {
        let at = from + i;
        match buf.get(at + 1) {
            Some(&b) if b == STX[1] => return Some(at),
            Some(_) => from = at + 1,
            None => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CENTER: [u8; 11] = [
        0x55, 0x66, 0x01, 0x01, 0x00, 0x00, 0x00, 0x08, 0x01, 0xd1, 0x12,
    ];

    #[test]
    fn garbage_then_frame() {
        let mut d = FrameDecoder::new();
        d.push(&[0x00, 0x55, 0x13, 0x55]);
        assert!(d.next_frame().is_none());
        d.push(&CENTER[1..]);
        let f = d.next_frame().unwrap().unwrap();
        assert_eq!(f.payload(), &[1]);
        assert_eq!(d.stats().garbage_bytes, 3);
        assert!(d.next_frame().is_none());
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn oversize_reported_before_body() {
        let mut d = FrameDecoder::with_limits(64, 1024);
        d.push(&[0x55, 0x66, 0x01, 0xff, 0x00, 0x00, 0x00, 0x01]);
        assert_eq!(
            d.next_frame(),
            Some(Err(FrameError::PayloadTooLong { len: 255, max: 64 }))
        );
        assert!(d.next_frame().is_none());
    }

    #[test]
    fn overflow_is_bounded() {
        let mut d = FrameDecoder::with_limits(16, 100);
        for _ in 0..10 {
            d.push(&[0x55, 0x66, 0x01, 0x10, 0x00]);
        }
        assert!(d.buffered() <= 100);
    }
}
