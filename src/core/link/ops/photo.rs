//! Photos (0x0C take photo, outcome pushed as 0x0B).

use std::time::Instant;

use siyi_protocol::FeedbackCode;

use super::failed;
use crate::core::link::{FailReason, OpOutcome};

/// Whether the camera reports photo outcomes at all: once it has sent a 0x0B photo outcome,
/// silence about a photo is no longer taken for success.
#[derive(Clone, Copy, Debug, Default)]
pub(in crate::core::link) struct PhotoFeedback {
    seen: bool,
}

impl PhotoFeedback {
    /// Notes a 0x0B feedback `code` (logged the first time the camera reports a photo).
    pub(in crate::core::link) fn note(&mut self, code: FeedbackCode) {
        if matches!(code, FeedbackCode::PhotoOk | FeedbackCode::PhotoFailed) {
            if !self.seen {
                tracing::info!(target: "link", "the camera reports photo outcomes (0x0B): a photo without one is not assumed taken");
            }
            self.seen = true;
        }
    }

    /// The camera has reported a photo outcome before.
    pub(in crate::core::link) fn seen(self) -> bool {
        self.seen
    }
}

/// The outcome a 0x0B feedback code gives a photo in flight (`None`: not a photo outcome).
pub(in crate::core::link) fn feedback(code: FeedbackCode) -> Option<OpOutcome> {
    match code {
        FeedbackCode::PhotoOk => Some(OpOutcome::Succeeded { confirmed: true }),
        FeedbackCode::PhotoFailed => Some(failed(FailReason::PhotoFailed)),
        _ => None,
    }
}

/// A photo sent at `sent_at` got no 0x0B in time. Cameras that never push 0x0B: silence about
/// the photo is success only while the camera demonstrably answered (anything, `last_rx`) after
/// the photo command went out. A camera known to report photos (`feedback_seen`) that says
/// nothing about this one did not demonstrably take it: never assumed.
pub(in crate::core::link) fn timed_out(
    sent_at: Instant,
    feedback_seen: bool,
    last_rx: Option<Instant>,
) -> OpOutcome {
    if !feedback_seen && last_rx.is_some_and(|t| t > sent_at) {
        OpOutcome::Succeeded { confirmed: false }
    } else {
        OpOutcome::TimedOut
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn only_an_answer_after_the_photo_counts() {
        let sent = Instant::now();
        let later = sent + Duration::from_millis(1);
        let taken = OpOutcome::Succeeded { confirmed: false };
        assert_eq!(timed_out(sent, false, Some(later)), taken);
        // An answer from the very instant the photo went out was sent before the camera saw it.
        assert_eq!(timed_out(sent, false, Some(sent)), OpOutcome::TimedOut);
        assert_eq!(timed_out(sent, false, None), OpOutcome::TimedOut);
        // A camera that reports photos (0x0B seen before) is never assumed.
        assert_eq!(timed_out(sent, true, Some(later)), OpOutcome::TimedOut);
    }
}
