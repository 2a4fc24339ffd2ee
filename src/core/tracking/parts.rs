//! What tracking is told and tells: its tuning ([`TrackingConfig`]), what the camera component
//! must do for it ([`TrackingEvent`]) and its counters ([`TrackingStats`]).
//!
//! Owns nothing: plain values.

use std::time::Duration;

use mavlink::dialects::common::{MavCmd, MavResult, MavSeverity};

use super::session::SessionStats;
use super::FollowConfig;
use crate::core::mavlink::dedupe::DedupeKey;
use crate::core::mavlink::Requester;

/// Tuning of tracking.
#[derive(Clone, PartialEq, Debug)]
pub struct TrackingConfig {
    /// Steer the gimbal to keep the target centred.
    pub follow: bool,
    /// The follow controller's tuning.
    pub follow_config: FollowConfig,
    /// How long the tracker has to answer a request.
    pub answer_timeout: Duration,
    /// Silence after which the tracker counts as gone.
    pub tracker_silence: Duration,
    /// Our name in the `welcome` line, e.g. "siyi-bridge 0.1.0".
    pub bridge_name: String,
    /// The built-in tracker on the camera's video is a source (`run --builtin-tracker`, on by
    /// default there; off here, so a core without a video shell offers only what it has).
    pub builtin: bool,
    /// Correct the built-in tracker's boxes by the gimbal's motion since their frame
    /// (`--track-delay-compensation`).
    pub compensate_delay: bool,
    /// How long the built-in tracker has to give its first box after a track command
    /// (connecting to the video, the first key frame).
    pub video_start_timeout: Duration,
}

impl Default for TrackingConfig {
    fn default() -> Self {
        Self {
            follow: true,
            follow_config: FollowConfig::default(),
            answer_timeout: Duration::from_millis(1000),
            tracker_silence: Duration::from_millis(1000),
            bridge_name: concat!("siyi-bridge ", env!("CARGO_PKG_VERSION")).to_owned(),
            builtin: false,
            compensate_delay: true,
            video_start_timeout: Duration::from_secs(5),
        }
    }
}

/// Something the camera component must do for tracking.
#[derive(Clone, PartialEq, Debug)]
pub enum TrackingEvent {
    /// The final answer to a tracking command first answered IN_PROGRESS.
    Ack {
        /// Who asked.
        to: Requester,
        /// Its de-dup key (retransmissions get the same answer).
        key: DedupeKey,
        /// The command.
        command: MavCmd,
        /// The answer.
        result: MavResult,
    },
    /// A STATUSTEXT for everyone.
    Text(MavSeverity, String),
    /// The tracking state or mode changed: announce CAMERA_TRACKING_IMAGE_STATUS.
    StatusChanged,
    /// A tracking source appeared or went away: announce CAMERA_INFORMATION (its flags).
    AvailabilityChanged,
}

/// Counters (bad input is counted, never fatal).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TrackingStats {
    /// The tracker connection's counters.
    pub session: SessionStats,
    /// Answers that came too late or matched no request.
    pub stray_answers: u64,
    /// Gimbal commands sent by the follow controller.
    pub follow_commands: u64,
    /// STATUSTEXT dropped because tracking's text budget was spent ([`super::pace::TextBudget`]).
    pub texts_dropped: u64,
    /// Boxes from the built-in tracker.
    pub video_boxes: u64,
    /// Follow steps whose target was corrected for the video's delay.
    pub delay_corrected: u64,
}
