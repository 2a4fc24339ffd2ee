//! What came back while a question waited: the datagrams heard, and the frames in them.

use siyi_protocol::{CmdId, Frame, FrameDecoder};

/// One datagram received from the camera while a question waited.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Heard {
    /// Milliseconds after the question's request was sent.
    pub after_ms: u64,
    /// The datagram's bytes.
    pub bytes: Vec<u8>,
}

/// What a window of datagrams held, for one expected command id.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// The first valid frame of the expected command and its delay.
    pub(super) first: Option<(u64, Frame)>,
    /// Valid frames of the expected command.
    pub(super) matching: usize,
    /// Valid frames of other commands.
    pub(super) other_frames: usize,
    /// Bytes that were no valid frame (garbage, bad CRC, truncated).
    pub(super) bad_bytes: u64,
}

pub(super) fn scan(cmd: CmdId, heard: &[Heard]) -> Scan {
    let mut s = Scan::default();
    for h in heard {
        // One decoder per datagram: a datagram cut short is garbage, not half of the next one.
        let mut decoder = FrameDecoder::new();
        decoder.push(&h.bytes);
        while let Some(item) = decoder.next_frame() {
            match item {
                Ok(frame) if frame.cmd == cmd => {
                    s.matching += 1;
                    if s.first.is_none() {
                        s.first = Some((h.after_ms, frame));
                    }
                }
                Ok(_) => s.other_frames += 1,
                Err(_) => {}
            }
        }
        s.bad_bytes += decoder.stats().dropped_bytes() + decoder.buffered() as u64;
    }
    s
}

/// Whether `heard` holds a valid frame of command `cmd`.
pub fn answered(cmd: CmdId, heard: &[Heard]) -> bool {
    scan(cmd, heard).first.is_some()
}
