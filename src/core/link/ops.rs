//! The link's operations in flight: what each waits for, and how it ends when the wait runs out.

use std::time::Instant;

use siyi_protocol::{FunctionType, MotionMode};

use super::{OpId, OpOutcome, Operation};

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
            // Cameras that never push 0x0B: silence about the photo is success only while the
            // camera demonstrably answered (anything) after the photo command went out.
            // A camera known to report photos (0x0B seen before) that says nothing about
            // this one did not demonstrably take it: never assumed.
            Self::Photo { sent_at }
                if !photo_feedback_seen && last_rx.is_some_and(|t| t > sent_at) =>
            {
                OpOutcome::Succeeded { confirmed: false }
            }
            Self::Photo { .. } => OpOutcome::TimedOut,
            Self::RecordFresh { .. } => OpOutcome::TimedOut,
            Self::RecordConfirm { seen: false, .. } | Self::ModeConfirm { seen: false, .. } => {
                OpOutcome::TimedOut
            }
            Self::RecordConfirm { seen: true, .. } => failed("recording state did not change"),
            Self::ModeConfirm { seen: true, .. } => failed("motion mode did not change"),
            Self::Reply => OpOutcome::TimedOut,
        }
    }
}

pub(super) fn failed(reason: &str) -> OpOutcome {
    OpOutcome::Failed {
        reason: reason.to_owned(),
    }
}

pub(super) fn mode_function(mode: MotionMode) -> Option<FunctionType> {
    match mode {
        MotionMode::Lock => Some(FunctionType::LockMode),
        MotionMode::Follow => Some(FunctionType::FollowMode),
        MotionMode::Fpv => Some(FunctionType::FpvMode),
        MotionMode::Other(_) => None,
    }
}
