//! Little-endian field reader/writer used by the payload codecs (crate-private).

use crate::{CmdId, PayloadError};

/// Reads little-endian fields from a payload whose minimum length was checked up front.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Checks `payload.len() >= min` for `cmd`, then returns a reader at offset 0.
    pub(crate) fn new(cmd: CmdId, payload: &'a [u8], min: usize) -> Result<Self, PayloadError> {
        if payload.len() < min {
            return Err(PayloadError::TooShort {
                cmd,
                min,
                got: payload.len(),
            });
        }
        Ok(Self {
            buf: payload,
            pos: 0,
        })
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        // Reads past the end yield zeros; callers check the minimum length first, so this only
        // happens for optional trailing fields guarded by `remaining()`.
        if let Some(src) = self.buf.get(self.pos..self.pos + N) {
            out.copy_from_slice(src);
        }
        self.pos += N;
        out
    }

    pub(crate) fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    pub(crate) fn i8(&mut self) -> i8 {
        i8::from_le_bytes(self.take::<1>())
    }
    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    pub(crate) fn i16(&mut self) -> i16 {
        i16::from_le_bytes(self.take())
    }
    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    pub(crate) fn i32(&mut self) -> i32 {
        i32::from_le_bytes(self.take())
    }
    pub(crate) fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    pub(crate) fn f32(&mut self) -> f32 {
        f32::from_le_bytes(self.take())
    }
}
