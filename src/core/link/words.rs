//! The link's states and outcomes in words, for logs and the command line. Machine formats (JSON,
//! replay files) keep their own names; these are for a person.

use std::fmt;

use siyi_protocol::{Decidegrees, RecordState, ZoomDirection};

use super::{LinkEvent, LinkHealth, LinkStats, OpOutcome, Operation};

/// A link event in words (`replay --link`; the running bridge logs its own).
pub fn link_event_words(e: &LinkEvent) -> String {
    let name =
        |n: Option<&'static str>, raw: u8| n.map_or(format!("unknown ({raw})"), str::to_owned);
    match e {
        LinkEvent::Health { from, to } => format!("link {to} (was {from})"),
        LinkEvent::Identified => "camera identified".into(),
        LinkEvent::Rebooted => "camera rebooted".into(),
        LinkEvent::OpFinished { op, outcome, .. } => format!("{op}: {outcome}"),
        LinkEvent::RecordingChanged { from, to } => recording_change_words(*from, *to),
        LinkEvent::ZoomChanged(z) => format!("zoom now {z}"),
        LinkEvent::MotionModeChanged(m) => {
            format!("gimbal mode now {}", name(m.name(), m.to_u8()))
        }
        LinkEvent::AiModeChanged(m) => format!("AI mode now {}", name(m.name(), m.to_u8())),
        LinkEvent::AiTrack(t) => format!(
            "AI box at ({}, {}) px, {}×{} px",
            t.x_px, t.y_px, t.width_px, t.height_px
        ),
        LinkEvent::CommandUnanswered { cmd, fallback } => {
            format!("camera never answers {cmd}: {fallback}")
        }
        LinkEvent::BadFrame(e) => format!("bad frame from the camera: {e}"),
        LinkEvent::BadPayload(e) => format!("bad payload from the camera: {e}"),
        LinkEvent::UnexpectedModel { model, id } => {
            format!(
                "the hardware id {} names a {model}, not an A8 mini",
                id.as_text()
            )
        }
    }
}

/// The link's counters in words.
pub fn link_stats_words(s: &LinkStats) -> String {
    format!(
        "{} datagrams in, {} valid frames, {} bad frames, {} bad payloads, {} unsolicited \
         replies; {} frames out, {} retries, {} abandoned",
        s.datagrams_in,
        s.frames_in,
        s.bad_frames,
        s.bad_payloads,
        s.unsolicited,
        s.frames_out,
        s.retries,
        s.abandoned
    )
}

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
    fn link_events_and_stats_read_as_words_not_debug_structs() {
        use siyi_protocol::{AiMode, CmdId, MotionMode};
        let events = [
            LinkEvent::Health {
                from: LinkHealth::Searching,
                to: LinkHealth::Up,
            },
            LinkEvent::Identified,
            LinkEvent::MotionModeChanged(MotionMode::Follow),
            LinkEvent::AiModeChanged(AiMode::from_u8(7)),
            LinkEvent::CommandUnanswered {
                cmd: CmdId(0x18),
                fallback: super::super::FallbackUsed::ZoomFromAcks,
            },
        ];
        for e in &events {
            let text = link_event_words(e);
            assert!(
                !text.contains('{') && !text.contains("::") && !text.contains("Some("),
                "{text}"
            );
        }
        assert_eq!(link_event_words(&events[2]), "gimbal mode now follow");
        assert_eq!(link_event_words(&events[3]), "AI mode now unknown (7)");
        let stats = link_stats_words(&LinkStats::default());
        assert!(
            stats.starts_with("0 datagrams in") && !stats.contains('{'),
            "{stats}"
        );
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
