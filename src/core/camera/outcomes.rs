//! One mapping from the link's operation outcomes to what MAVLink is told: the COMMAND_ACK
//! result and, for a failure, the STATUSTEXT.

use mavlink::dialects::common::MavResult;

use crate::core::link::OpOutcome;

/// The final COMMAND_ACK result for an operation that ended with `outcome`.
pub fn result(outcome: &OpOutcome) -> MavResult {
    match outcome {
        OpOutcome::Succeeded { .. } => MavResult::MAV_RESULT_ACCEPTED,
        OpOutcome::Rejected { .. } => MavResult::MAV_RESULT_TEMPORARILY_REJECTED,
        OpOutcome::Failed { .. } | OpOutcome::TimedOut => MavResult::MAV_RESULT_FAILED,
    }
}

/// Why it failed, in words for a STATUSTEXT (`None` for a success).
pub fn failure(outcome: &OpOutcome) -> Option<String> {
    match outcome {
        OpOutcome::Succeeded { .. } => None,
        OpOutcome::Failed { reason } => Some(reason.to_string()),
        OpOutcome::Rejected { reason } => Some(reason.to_string()),
        OpOutcome::TimedOut => Some("camera did not answer".to_owned()),
    }
}

/// "`what` failed: why" for a STATUSTEXT (`None` for a success).
pub fn failure_text(what: &str, outcome: &OpOutcome) -> Option<String> {
    failure(outcome).map(|why| format!("{what} failed: {why}"))
}
