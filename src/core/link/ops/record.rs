//! Recording start / stop: never a blind toggle. Decided from a fresh 0x0A reading, confirmed by
//! later ones.

use siyi_protocol::RecordState;

use super::{failed, ActiveOp, Wait};
use crate::core::link::{FailReason, OpOutcome};

/// What to do about a recording change, given a fresh reading.
#[derive(Clone, PartialEq, Debug)]
pub(in crate::core::link) enum Decision {
    /// Nothing to send: it ends here.
    Done(OpOutcome),
    /// Send the 0x0C record toggle and wait for a reading that confirms it.
    Toggle,
}

/// Start (`start`) or stop, with the camera reading `rec`: start only from not recording (or
/// data loss), stop only from recording, refuse without an SD card.
pub(in crate::core::link) fn decide(start: bool, rec: RecordState) -> Decision {
    use RecordState::*;
    match (start, rec) {
        (true, Recording) | (false, NotRecording | NoCard | DataLoss) => {
            Decision::Done(OpOutcome::Succeeded { confirmed: true })
        }
        (true, NoCard) => Decision::Done(failed(FailReason::NoSdCard)),
        (true, NotRecording | DataLoss) | (false, Recording) => Decision::Toggle,
        (_, Other(v)) => Decision::Done(failed(FailReason::UnknownRecordState(v))),
    }
}

/// A reading `rec` taken after the toggle: the outcome, or `None` to keep waiting.
pub(in crate::core::link) fn confirm(start: bool, rec: RecordState) -> Option<OpOutcome> {
    if start && rec == RecordState::Recording || !start && rec != RecordState::Recording {
        Some(OpOutcome::Succeeded { confirmed: true })
    } else if start && rec == RecordState::NoCard {
        Some(failed(FailReason::NoSdCard))
    } else {
        None
    }
}

/// The outcome when readings came after the toggle but none showed the change.
pub(in crate::core::link) fn unchanged() -> OpOutcome {
    failed(FailReason::RecordingUnchanged)
}

/// Another recording change is in flight (one at a time).
pub(in crate::core::link) fn busy(ops: &[ActiveOp]) -> bool {
    ops.iter().any(|a| {
        matches!(
            a.wait,
            Wait::RecordFresh { .. } | Wait::RecordConfirm { .. }
        )
    })
}
