//! Gimbal motion mode (0x0C func 3/4/5, never acknowledged; confirmed by 0x0A).

use std::time::Instant;

use siyi_protocol::{FunctionType, MotionMode};

use super::{failed, Wait};
use crate::core::link::{FailReason, OpOutcome};

/// The 0x0C function that sets `mode` (`None` for a mode that cannot be set).
pub(in crate::core::link) fn function(mode: MotionMode) -> Option<FunctionType> {
    FunctionType::set_motion_mode(mode)
}

/// What setting `mode`, sent at `now` (the first attempt), waits for: a 0x0A reading showing it.
pub(in crate::core::link) fn wait(mode: MotionMode, now: Instant) -> Wait {
    Wait::ModeConfirm {
        mode,
        sent_at: now,
        attempts: 1,
        seen: false,
    }
}

/// A reading after the mode was sent: the outcome, or `None` when it shows another mode (keep
/// waiting; the conductor may re-send, since setting a mode is idempotent).
pub(in crate::core::link) fn confirm(
    wanted: MotionMode,
    read: Option<MotionMode>,
) -> Option<OpOutcome> {
    match read {
        Some(m) if m == wanted => Some(OpOutcome::Succeeded { confirmed: true }),
        // Old firmware without the mode byte: sent, not confirmed.
        None => Some(OpOutcome::Succeeded { confirmed: false }),
        Some(_) => None,
    }
}

/// The outcome when readings came after the command but none showed the mode.
pub(in crate::core::link) fn unchanged() -> OpOutcome {
    failed(FailReason::ModeUnchanged)
}
