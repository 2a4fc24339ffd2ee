//! Video recording commands (VIDEO_START_CAPTURE / VIDEO_STOP_CAPTURE) in flight.
//!
//! Owns: the one recording operation in flight and who asked for it. Never touches: the
//! recording state itself (the link reads it from the camera's 0x0A), MAVLink sending.

use std::time::Instant;

use mavlink::dialects::common::MavCmd;

use crate::core::link::{LinkControl, OpId, Operation};
use crate::core::mavlink::dedupe::DedupeKey;
use crate::core::mavlink::Requester;

/// A recording start or stop in flight: its final ack is pending.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct VideoOp {
    /// The link operation.
    pub id: OpId,
    /// Who asked.
    pub from: Requester,
    /// The command's retransmission key.
    pub key: DedupeKey,
    /// VIDEO_START_CAPTURE or VIDEO_STOP_CAPTURE.
    pub cmd: MavCmd,
}

impl VideoOp {
    /// "Recording start" / "Recording stop", for messages.
    pub fn what(&self) -> &'static str {
        if self.is_start() {
            "Recording start"
        } else {
            "Recording stop"
        }
    }

    /// True for VIDEO_START_CAPTURE.
    pub fn is_start(&self) -> bool {
        self.cmd == MavCmd::MAV_CMD_VIDEO_START_CAPTURE
    }
}

/// Recording commands in flight. See the module docs.
#[derive(Debug, Default)]
pub struct Video {
    pending: Option<VideoOp>,
}

impl Video {
    /// Starts VIDEO_START/STOP_CAPTURE on the link; false while another one is in flight.
    pub fn start(
        &mut self,
        now: Instant,
        from: Requester,
        key: DedupeKey,
        cmd: MavCmd,
        link: &mut impl LinkControl,
    ) -> bool {
        if self.pending.is_some() {
            return false;
        }
        let op = if cmd == MavCmd::MAV_CMD_VIDEO_START_CAPTURE {
            Operation::StartRecording
        } else {
            Operation::StopRecording
        };
        let id = link.start(now, op);
        self.pending = Some(VideoOp { id, from, key, cmd });
        true
    }

    /// The operation `id` ended: the recording command it belonged to (None = not ours).
    pub fn finished(&mut self, id: OpId) -> Option<VideoOp> {
        match self.pending {
            Some(op) if op.id == id => self.pending.take(),
            _ => None,
        }
    }
}
