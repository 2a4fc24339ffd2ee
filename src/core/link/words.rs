//! The link's states and outcomes in words, for logs and the command line. Machine formats (JSON,
//! replay files) keep their own names; these are for a person.

use std::fmt;

use siyi_protocol::{Decidegrees, RecordState, ZoomDirection};

use super::{LinkHealth, OpOutcome, Operation};

impl fmt::Display for LinkHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Searching => "searching (no answer yet)",
            Self::Booting => "booting (firmware reads 0.0.0)",
            Self::Up => "up",
            Self::Lost => "lost",
        })
    }
}

impl fmt::Display for OpOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Succeeded { confirmed: true } => f.write_str("ok (confirmed by the camera)"),
            Self::Succeeded { confirmed: false } => {
                f.write_str("ok (sent; the camera gave no confirmation)")
            }
            Self::Failed { reason } => write!(f, "failed: {reason}"),
            Self::TimedOut => f.write_str("no answer in time"),
            Self::Rejected { reason } => write!(f, "refused: {reason}"),
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TakePhoto => f.write_str("take a photo"),
            Self::StartRecording => f.write_str("start recording"),
            Self::StopRecording => f.write_str("stop recording"),
            Self::ZoomContinuous(ZoomDirection::In) => f.write_str("zoom in"),
            Self::ZoomContinuous(ZoomDirection::Out) => f.write_str("zoom out"),
            Self::ZoomContinuous(ZoomDirection::Stop) => f.write_str("stop zooming"),
            Self::ZoomTo { factor } => write!(f, "zoom to {factor:.1}×"),
            Self::GimbalRates {
                yaw_speed,
                pitch_speed,
            } => write!(
                f,
                "turn the gimbal (yaw speed {yaw_speed}, pitch speed {pitch_speed} of ±100)"
            ),
            // SIYI's yaw is positive to the left; people read MAVLink's (positive right).
            Self::GimbalAngles { yaw, pitch } => write!(
                f,
                "point the gimbal to yaw {} (right +), pitch {pitch}",
                Decidegrees(yaw.0.saturating_neg())
            ),
            Self::Center => f.write_str("center the gimbal"),
            Self::SetMotionMode(m) => match m.name() {
                Some(name) => write!(f, "set the motion mode to {name}"),
                None => write!(f, "set the motion mode to {}", m.to_u8()),
            },
            Self::SetAiStream { on } => write!(
                f,
                "switch the AI tracking stream {}",
                if *on { "on" } else { "off" }
            ),
            Self::SetEncoding(e) => write!(
                f,
                "set the {} stream to {} {}×{} at {} kbps",
                e.stream.name().unwrap_or("unknown"),
                e.codec.name().unwrap_or("an unknown codec"),
                e.width_px,
                e.height_px,
                e.bitrate_kbps
            ),
        }
    }
}

/// A recording state in words ("recording", "not recording", "no SD card").
pub fn record_state_words(state: RecordState) -> String {
    match state {
        RecordState::NoCard => "no SD card".to_owned(),
        other => other.name().map_or_else(
            || format!("unknown state {}", other.to_u8()),
            |n| n.replace('_', " "),
        ),
    }
}

/// A change of the recording state in words ("recording started", "recording stopped").
pub fn recording_change_words(from: Option<RecordState>, to: RecordState) -> String {
    match (from, to) {
        (Some(RecordState::Recording), RecordState::NotRecording) => "recording stopped".into(),
        (_, RecordState::Recording) => "recording started".into(),
        (None, to) => format!("recording state: {}", record_state_words(to)),
        (Some(from), to) => format!(
            "recording state: {} (was {})",
            record_state_words(to),
            record_state_words(from)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::link::FailReason;
    use siyi_protocol::MotionMode;

    #[test]
    fn outcomes_and_operations_read_as_words() {
        assert_eq!(
            OpOutcome::Succeeded { confirmed: true }.to_string(),
            "ok (confirmed by the camera)"
        );
        assert_eq!(
            OpOutcome::Failed {
                reason: FailReason::NoSdCard
            }
            .to_string(),
            "failed: no SD card"
        );
        assert_eq!(
            LinkHealth::Booting.to_string(),
            "booting (firmware reads 0.0.0)"
        );
        assert_eq!(
            Operation::GimbalAngles {
                yaw: Decidegrees(-300),
                pitch: Decidegrees(-450)
            }
            .to_string(),
            "point the gimbal to yaw 30.0° (right +), pitch -45.0°"
        );
        assert_eq!(
            Operation::SetMotionMode(MotionMode::Follow).to_string(),
            "set the motion mode to follow"
        );
        assert_eq!(
            Operation::ZoomTo { factor: 2.5 }.to_string(),
            "zoom to 2.5×"
        );
        for text in [
            Operation::TakePhoto.to_string(),
            OpOutcome::TimedOut.to_string(),
            LinkHealth::Up.to_string(),
        ] {
            assert!(!text.contains('{') && !text.contains("::"), "{text}");
        }
    }

    #[test]
    fn recording_changes_read_as_words() {
        use RecordState::{NoCard, NotRecording, Recording};
        assert_eq!(
            recording_change_words(Some(NotRecording), Recording),
            "recording started"
        );
        assert_eq!(recording_change_words(None, Recording), "recording started");
        assert_eq!(
            recording_change_words(Some(Recording), NotRecording),
            "recording stopped"
        );
        assert_eq!(
            recording_change_words(None, NotRecording),
            "recording state: not recording"
        );
        assert_eq!(
            recording_change_words(Some(Recording), NoCard),
            "recording state: no SD card (was recording)"
        );
        assert_eq!(
            record_state_words(RecordState::from_u8(9)),
            "unknown state 9"
        );
    }
}
