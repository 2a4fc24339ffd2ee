//! The link's operations in flight: what each waits for, and how it ends. One file per operation
//! family holds that family's decisions as plain functions ([`photo`], [`record`], [`mode`],
//! [`zoom`], [`gimbal`]); the link (the conductor) sends, polls and keeps the table.
//!
//! Owns: the shape of an operation in flight ([`ActiveOp`], [`Wait`]) and every rule that turns
//! a reading, a feedback or a deadline into an [`OpOutcome`]. Never touches: sockets, timers,
//! the pending-request table (the conductor applies the decisions).

pub(super) mod gimbal;
pub(super) mod mode;
pub(super) mod photo;
pub(super) mod record;
pub(super) mod zoom;

use std::time::Instant;

use siyi_protocol::MotionMode;

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
            Self::Reply => OpOutcome::TimedOut,
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
