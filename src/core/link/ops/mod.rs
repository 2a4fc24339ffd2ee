//! The link's operations in flight: what each waits for, and how it ends. One file per operation
//! family holds that family's decisions as plain functions ([`photo`], [`record`], [`mode`],
//! [`zoom`], [`gimbal`]); the link (the conductor) sends, polls and keeps the table.
//!
//! Owns: the shape of an operation in flight ([`ActiveOp`], [`Wait`]) and every rule that turns
//! a reading, a feedback or a deadline into an [`OpOutcome`]. Never touches: sockets, timers,
//! the pending-request table (the conductor applies the decisions).

pub(super) mod encoding;
pub(super) mod gimbal;
pub(super) mod mode;
pub(super) mod photo;
pub(super) mod record;
pub(super) mod table;
pub(super) mod zoom;

use std::time::Instant;

use siyi_protocol::{
    EncodingParams, FeedbackCode, FunctionType, MotionMode, RecordState, Reply, SystemInfo,
};

use super::config::LinkConfig;
use super::{FailReason, OpId, OpOutcome, Operation};

/// What a running operation waits for.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Wait {
    /// The reply to its request (the pending table ends it).
    Reply,
    /// A 0x0B photo feedback. At the deadline the photo is assumed taken only if the camera
    /// answered something after `sent_at` (it was alive around the photo); otherwise it timed out.
    Photo { sent_at: Instant },
    /// A fresh 0x0A reading to decide a recording change.
    RecordFresh { start: bool },
    /// A 0x0A reading showing the wanted recording state after the toggle.
    RecordConfirm {
        start: bool,
        since: Instant,
        seen: bool,
    },
    /// A 0x0A reading showing the wanted motion mode.
    ModeConfirm {
        mode: MotionMode,
        sent_at: Instant,
        attempts: u8,
        seen: bool,
    },
    /// The 0x21 status of an encoding change.
    EncodingSet { params: EncodingParams },
    /// The 0x20 read-back of the stream after the camera took the change.
    EncodingReadBack { params: EncodingParams },
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) struct ActiveOp {
    pub(super) id: OpId,
    pub(super) op: Operation,
    pub(super) wait: Wait,
    pub(super) deadline: Option<Instant>,
}

impl Wait {
    /// How an operation waiting for this ends when its deadline passes. `photo_feedback_seen`:
    /// the camera has reported a photo with 0x0B before; `last_rx`: its last valid frame.
    pub(super) fn timed_out(
        self,
        photo_feedback_seen: bool,
        last_rx: Option<Instant>,
    ) -> OpOutcome {
        match self {
            Self::Photo { sent_at } => photo::timed_out(sent_at, photo_feedback_seen, last_rx),
            Self::RecordFresh { .. } => OpOutcome::TimedOut,
            Self::RecordConfirm { seen: false, .. } | Self::ModeConfirm { seen: false, .. } => {
                OpOutcome::TimedOut
            }
            Self::RecordConfirm { seen: true, .. } => record::unchanged(),
            Self::ModeConfirm { seen: true, .. } => mode::unchanged(),
            Self::Reply | Self::EncodingSet { .. } | Self::EncodingReadBack { .. } => {
                OpOutcome::TimedOut
            }
        }
    }
}

pub(super) fn failed(reason: FailReason) -> OpOutcome {
    OpOutcome::Failed { reason }
}

/// How an operation ends when its request was given up after every retry.
pub(super) fn request_given_up(op: Operation) -> OpOutcome {
    match op {
        // The A8 often sends no ACK for zoom commands: sent, not confirmed.
        Operation::ZoomTo { .. } | Operation::ZoomContinuous(_) => {
            OpOutcome::Succeeded { confirmed: false }
        }
        _ => OpOutcome::TimedOut,
    }
}

/// What a 0x0A reading (or a fresh one at the start) does to an operation.
#[derive(Clone, PartialEq, Debug)]
pub(super) enum Step {
    /// Still running, unchanged or with its wait updated.
    Keep(ActiveOp),
    /// It ends with this outcome.
    Finish(ActiveOp, OpOutcome),
    /// Send the 0x0C record toggle, poll 0x0A soon, and keep waiting.
    Toggle(ActiveOp),
    /// Re-send this mode function (a retry) and keep waiting.
    Resend(ActiveOp, FunctionType),
}

/// Start (`start`) or stop recording for `a`, given a fresh reading `rec` at `now`.
pub(super) fn decide_record(
    now: Instant,
    a: ActiveOp,
    start: bool,
    rec: RecordState,
    cfg: &LinkConfig,
) -> Step {
    match record::decide(start, rec) {
        record::Decision::Done(outcome) => Step::Finish(a, outcome),
        record::Decision::Toggle => Step::Toggle(ActiveOp {
            wait: Wait::RecordConfirm {
                start,
                since: now,
                seen: false,
            },
            deadline: Some(now + cfg.record_timeout),
            ..a
        }),
    }
}

/// What the 0x0A reading `info` taken at `now` does to `a`.
pub(super) fn on_info(now: Instant, mut a: ActiveOp, info: &SystemInfo, cfg: &LinkConfig) -> Step {
    match a.wait {
        Wait::RecordFresh { start } => decide_record(now, a, start, info.record_sta, cfg),
        // Only a reading taken after the toggle can confirm it.
        Wait::RecordConfirm { start, since, .. } if now > since => {
            match record::confirm(start, info.record_sta) {
                Some(outcome) => Step::Finish(a, outcome),
                None => {
                    a.wait = Wait::RecordConfirm {
                        start,
                        since,
                        seen: true,
                    };
                    Step::Keep(a)
                }
            }
        }
        Wait::ModeConfirm {
            mode,
            sent_at,
            attempts,
            ..
        } if now > sent_at => {
            if let Some(outcome) = mode::confirm(mode, info.motion_mode) {
                return Step::Finish(a, outcome);
            }
            // Setting a mode is idempotent: re-send it if the camera may have lost it.
            let resend = attempts < cfg.max_attempts
                && now.saturating_duration_since(sent_at) >= cfg.request_timeout;
            a.wait = Wait::ModeConfirm {
                mode,
                sent_at: if resend { now } else { sent_at },
                attempts: attempts + u8::from(resend),
                seen: true,
            };
            match mode::function(mode).filter(|_| resend) {
                Some(func) => Step::Resend(a, func),
                None => Step::Keep(a),
            }
        }
        _ => Step::Keep(a),
    }
}

/// The operation waits for a 0x0A reading (0x0A is then polled faster).
pub(super) fn wants_info(a: &ActiveOp) -> bool {
    matches!(
        a.wait,
        Wait::RecordFresh { .. } | Wait::RecordConfirm { .. } | Wait::ModeConfirm { .. }
    )
}

/// Picks the operations a feedback may end.
pub(super) type Pick = fn(&ActiveOp) -> bool;

/// Which operation a 0x0B feedback `code` ends (the oldest matching), and how.
pub(super) fn feedback(code: FeedbackCode) -> Option<(Pick, OpOutcome)> {
    match code {
        FeedbackCode::RecordFailed => Some((
            |a| matches!(a.wait, Wait::RecordConfirm { .. }),
            failed(FailReason::RecordingFailed),
        )),
        code => {
            let outcome = photo::feedback(code)?;
            Some((|a| matches!(a.wait, Wait::Photo { .. }), outcome))
        }
    }
}

/// What `reply` (to a request of `a`) does to `a`: it ends, or (an encoding change) asks for more.
pub(super) fn after_reply(a: ActiveOp, reply: &Reply) -> encoding::After {
    encoding::on_reply(a, reply).unwrap_or_else(|| encoding::After::Finish(reply_outcome(reply)))
}

/// How an operation waiting for a reply ends with `reply`.
pub(super) fn reply_outcome(reply: &Reply) -> OpOutcome {
    match reply {
        Reply::GimbalRotation { status } | Reply::Center { status } if *status != 1 => {
            failed(FailReason::Refused(*status))
        }
        Reply::AbsoluteZoom { status } if *status != 1 => failed(FailReason::ZoomRefused(*status)),
        Reply::SetAiStream { status: 0 } => failed(FailReason::AiRefused),
        _ => OpOutcome::Succeeded { confirmed: true },
    }
}
