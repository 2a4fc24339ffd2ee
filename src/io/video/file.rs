//! `.h264` files (an Annex B byte stream, as `ffmpeg -c:v libx264 -f h264` or OpenH264 write
//! them): read in 64 KiB chunks and split into access units ([`AnnexBSplitter`]), so a file of
//! any length costs one frame of memory.

use std::io::Read;

use super::nal::{AccessUnit, AnnexBSplitter};

/// Bytes read at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// The access units of an Annex B stream, one at a time.
#[derive(Debug)]
pub struct H264File<R> {
    inner: R,
    splitter: AnnexBSplitter,
    ready: std::collections::VecDeque<AccessUnit>,
    chunk: Vec<u8>,
    done: bool,
}

impl<R: Read> H264File<R> {
    /// Reads `inner` from its start.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            splitter: AnnexBSplitter::new(),
            ready: std::collections::VecDeque::new(),
            chunk: vec![0; CHUNK_BYTES],
            done: false,
        }
    }

    /// NAL units dropped as malformed so far.
    pub fn dropped(&self) -> u64 {
        self.splitter.dropped()
    }

    /// The next access unit, `None` at the end.
    pub fn next_unit(&mut self) -> std::io::Result<Option<AccessUnit>> {
        loop {
            if let Some(u) = self.ready.pop_front() {
                return Ok(Some(u));
            }
            if self.done {
                return Ok(None);
            }
            let n = loop {
                match self.inner.read(&mut self.chunk) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            let mut out = Vec::new();
            if n == 0 {
                self.done = true;
                self.splitter.finish(&mut out);
            } else {
                self.splitter.push(&self.chunk[..n], &mut out);
            }
            self.ready.extend(out);
        }
    }
}
