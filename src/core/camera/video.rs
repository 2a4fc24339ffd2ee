//! Video recording commands (VIDEO_START_CAPTURE / VIDEO_STOP_CAPTURE) in flight.
//!
//! Owns: the one recording operation in flight and who asked for it. Never touches: the
//! recording state itself (the link reads it from the camera's 0x0A), the camera's mode and
//! status; it says its acks and texts on the [`Host`] it is handed.

use std::time::Instant;

use mavlink::dialects::common::{MavCmd, MavResult, MavSeverity};

use crate::core::link::{LinkControl, LinkHealth, OpId, OpOutcome, Operation, Owner};
use crate::core::mavlink::dedupe::DedupeKey;
use crate::core::mavlink::host::IncomingCommand;
use crate::core::mavlink::{Handled, Host, Requester};

use super::outcomes;

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

/// How a recording command ended (its final ack, and a failure's text, already said).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ended {
    /// It failed.
    Failed,
    /// The recording started.
    Started,
    /// The recording stopped (and was saved).
    Stopped,
}

/// Recording commands in flight. See the module docs.
#[derive(Debug, Default)]
pub struct Video {
    pending: Option<VideoOp>,
}

impl Video {
    /// VIDEO_START/STOP_CAPTURE: IN_PROGRESS once started on the link (the final ack follows);
    /// TEMPORARILY_REJECTED while the camera is not connected (says so on `host`) or another
    /// recording command is in flight.
    pub fn command(
        &mut self,
        now: Instant,
        c: &IncomingCommand,
        host: &mut Host,
        link: &mut impl LinkControl,
    ) -> Handled {
        use MavResult as R;
        if link.health() != LinkHealth::Up {
            host.statustext_to(
                c.from.peer,
                MavSeverity::MAV_SEVERITY_WARNING,
                "Recording refused: camera not connected",
            );
            return Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        if self.start(now, c.from, c.key, c.cmd.command, link) {
            Handled::just(R::MAV_RESULT_IN_PROGRESS)
        } else {
            Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED)
        }
    }

    /// Operation `id` ended: when it was our recording command, its final ack (and a failure's
    /// STATUSTEXT) on `host`, and what it did (None = not ours).
    pub fn finish(&mut self, id: OpId, outcome: &OpOutcome, host: &mut Host) -> Option<Ended> {
        let v = self.finished(id)?;
        let result = outcomes::result(outcome);
        host.set_result(&v.key, result);
        host.ack(v.from, v.cmd, result);
        Some(
            if let Some(text) = outcomes::failure_text(v.what(), outcome) {
                host.statustext(MavSeverity::MAV_SEVERITY_ERROR, &text);
                Ended::Failed
            } else if v.is_start() {
                Ended::Started
            } else {
                Ended::Stopped
            },
        )
    }

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
        let id = link.start(now, Owner::Video, op);
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
