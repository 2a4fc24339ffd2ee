//! What the link tells and is asked in plain values: operations and their outcomes (with typed
//! reasons), the link's health, and the events the MAVLink side hears.
//!
//! Owns nothing: plain values.

use siyi_protocol::{
    AiMode, AiTrack, CameraModel, CmdId, Decidegrees, EncodingParams, FrameError, HardwareId,
    MotionMode, PayloadError, RecordState, Zoom, ZoomDirection,
};

/// Identifies one started [`Operation`]; reported back in [`LinkEvent::OpFinished`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct OpId(pub u64);

/// The part that started an [`Operation`]: its [`LinkEvent::OpFinished`] goes to that part
/// only (the bridge routes by it; the camera routes its own parts' by it too). A tag, like a
/// connection handle: the link keeps it beside the operation and never looks at it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Owner {
    /// The camera's photo pipeline (0x0C photo).
    Photos,
    /// The camera's recording commands.
    Video,
    /// The camera's zoom and reset commands.
    Zoom,
    /// The camera settings (PARAM_EXT: encoding, motion mode).
    Settings,
    /// The gimbal component.
    Gimbal,
    /// The tracking service (follow speeds, the AI module's stream).
    Tracking,
    /// A tool that drives the link directly (`camera` subcommands, tests).
    Tool,
}

/// One camera operation, as the MAVLink side asks for it. Each ends with exactly one
/// [`LinkEvent::OpFinished`] carrying an [`OpOutcome`].
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Operation {
    /// Take one photo (0x0C func 0); the outcome comes from a 0x0B push, or success is assumed
    /// when no failure arrives within the photo timeout.
    TakePhoto,
    /// Start recording: decided from a fresh 0x0A reading, refused when there is no SD card,
    /// confirmed by a new 0x0A reading afterwards. Already recording = success.
    StartRecording,
    /// Stop recording: as [`Operation::StartRecording`], the other way.
    StopRecording,
    /// Continuous zoom: `In`/`Out` keep zooming (the link re-sends 0x05 while held) until `Stop`.
    ZoomContinuous(ZoomDirection),
    /// Absolute zoom factor (1.0 = none), clamped to 1.0 … the camera's max zoom.
    ZoomTo {
        /// Zoom factor, e.g. 2.5.
        factor: f32,
    },
    /// Gimbal rotation speeds, SIYI scale −100…100 (0 = stop); positive yaw = right,
    /// positive pitch = up.
    GimbalRates {
        /// Yaw speed, −100…100.
        yaw_speed: i8,
        /// Pitch speed, −100…100.
        pitch_speed: i8,
    },
    /// Gimbal angles in **SIYI convention** (yaw positive = left, relative to the vehicle),
    /// clamped to the A8 mini's limits (yaw ±135.0°, pitch −90.0…+25.0°).
    GimbalAngles {
        /// Yaw, tenths of a degree, positive = left.
        yaw: Decidegrees,
        /// Pitch, tenths of a degree, positive = up.
        pitch: Decidegrees,
    },
    /// One-key centering (0x08 `01`).
    Center,
    /// Gimbal motion mode lock / follow / FPV (0x0C func 3/4/5), confirmed by 0x0A.
    SetMotionMode(MotionMode),
    /// Switch the AI tracking module's 0x50 stream on or off (0x51), acknowledged by a reply.
    SetAiStream {
        /// On (true) or off.
        on: bool,
    },
    /// Set one stream's encoding (0x21; its frame-rate byte is reserved), then read the stream
    /// back (0x20): it succeeds only when the read-back shows what was sent. The new values are
    /// in [`CameraState::encodings`](super::CameraState::encodings) when the outcome arrives,
    /// whatever the outcome.
    SetEncoding(EncodingParams),
}

/// How an [`Operation`] ended.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum OpOutcome {
    /// It worked. `confirmed` is false when success was assumed (e.g. a photo with no 0x0B
    /// feedback before the timeout).
    Succeeded {
        /// True when the camera confirmed it.
        confirmed: bool,
    },
    /// The camera said no, or the state check refused it.
    Failed {
        /// Why.
        reason: FailReason,
    },
    /// The camera did not answer in time.
    TimedOut,
    /// Refused without trying: the link is not up (camera lost, booting, not identified).
    Rejected {
        /// Why.
        reason: RejectReason,
    },
}

/// Why an operation failed (rendered to words only where a person reads it).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum FailReason {
    /// Recording or a photo needs an SD card (0x0A `record_sta` 2).
    #[error("no SD card")]
    NoSdCard,
    /// 0x0B code 1.
    #[error("camera error (SD card missing or full?)")]
    PhotoFailed,
    /// 0x0B code 4.
    #[error("camera error (SD card missing, full or too slow?)")]
    RecordingFailed,
    /// One recording change at a time.
    #[error("another recording change is in progress")]
    RecordingBusy,
    /// 0x0A reported a recording state this link does not know.
    #[error("unknown recording state {0}")]
    UnknownRecordState(u8),
    /// Readings after the toggle never showed the change.
    #[error("recording state did not change")]
    RecordingUnchanged,
    /// A motion mode that cannot be set.
    #[error("unknown motion mode")]
    UnknownMotionMode,
    /// Readings after the command never showed the mode.
    #[error("motion mode did not change")]
    ModeUnchanged,
    /// A gimbal command answered with this status (1 = ok).
    #[error("camera refused (status {0})")]
    Refused(u8),
    /// An absolute zoom answered with this status (1 = ok).
    #[error("camera refused the zoom (status {0})")]
    ZoomRefused(u8),
    /// The camera rebooted while the operation was in progress.
    #[error("camera rebooted")]
    Rebooted,
    /// 0x51 answered with status 0 (no AI module, or it refused).
    #[error("AI tracking module refused")]
    AiRefused,
    /// 0x21 answered with this status (1 = ok): the camera refused the encoding.
    #[error("camera refused the encoding (status {0})")]
    EncodingRefused(u8),
    /// 0x21 was accepted but the 0x20 read-back shows other values.
    #[error("the camera's encoding did not change")]
    EncodingUnchanged,
    /// 0x21 was accepted and the read-back shows every value but the codec: the A8 mini applies
    /// a codec change only after a power cycle.
    #[error("the codec changes only after the camera is power-cycled")]
    CodecAfterPowerCycle,
}

/// What the link does instead of a command the camera never answers.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum FallbackUsed {
    /// 0x18 unanswered.
    #[error("zoom from 0x05 ACKs, else the last commanded value")]
    ZoomFromAcks,
    /// 0x16 unanswered.
    #[error("max zoom 6.0x (A8 mini)")]
    MaxZoomA8,
    /// 0x25 unanswered.
    #[error("attitude by polling 0x0D")]
    AttitudePolling,
    /// 0x20 unanswered.
    #[error("encoding parameters of the remaining streams unknown")]
    EncodingUnknown,
    /// 0x05 unanswered.
    #[error("continuous zoom sent without waiting for an ACK")]
    ZoomUnacknowledged,
    /// 0x0F unanswered.
    #[error("absolute zoom sent without waiting for an ACK; zoom marked as commanded")]
    AbsoluteZoomUnacknowledged,
    /// 0x19 unanswered.
    #[error("motion mode from 0x0A")]
    ModeFromInfo,
    /// 0x30 unanswered.
    #[error("camera clock not set")]
    ClockNotSet,
    /// 0x4D unanswered.
    #[error("no AI tracking module: tracking only through the tracker API")]
    NoAiModule,
    /// Any other command (none of the essential ones is ever declared unanswered).
    #[error("none")]
    Nothing,
}

/// Why an operation was refused without trying.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RejectReason {
    /// No reply to the hardware-id request yet.
    #[error("camera not found yet (no reply to the hardware-id request)")]
    NotFound,
    /// The firmware still reads 0.0.0.
    #[error("camera is starting up (firmware still reads 0.0.0)")]
    Booting,
    /// Silent past the loss threshold.
    #[error("camera lost (no reply for {lost_after_ms} ms)")]
    Lost {
        /// The loss threshold, milliseconds.
        lost_after_ms: u64,
    },
}

/// The link's view of the camera's health.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum LinkHealth {
    /// Nothing heard yet (asking for the hardware id).
    Searching,
    /// The camera answered but its firmware still reads 0.0.0 (it is booting).
    Booting,
    /// Identified and answering.
    Up,
    /// Silent past the loss threshold.
    Lost,
}

/// Something the MAVLink side (or the log) should know. Drained with `poll_event`.
#[derive(Clone, PartialEq, Debug)]
pub enum LinkEvent {
    /// Health changed (logged once per transition).
    Health {
        /// Previous health.
        from: LinkHealth,
        /// New health.
        to: LinkHealth,
    },
    /// The start-up sequence finished: the camera is identified (model, firmware known).
    Identified,
    /// The camera rebooted (firmware back to 0.0.0, or silence then answers again); the start-up
    /// sequence runs again.
    Rebooted,
    /// An operation ended.
    OpFinished {
        /// Which one.
        id: OpId,
        /// Who started it (the one part that hears how it ended).
        owner: Owner,
        /// What it was.
        op: Operation,
        /// How it ended.
        outcome: OpOutcome,
    },
    /// The recording state read from 0x0A changed.
    RecordingChanged {
        /// Before (None = unknown).
        from: Option<RecordState>,
        /// Now.
        to: RecordState,
    },
    /// The zoom factor changed.
    ZoomChanged(Zoom),
    /// The motion mode changed.
    MotionModeChanged(MotionMode),
    /// The AI mode (0x4D) changed: SIYI's AI tracking module is on or off.
    AiModeChanged(AiMode),
    /// The AI module pushed a tracking box (0x50, at the video frame rate while streaming).
    AiTrack(AiTrack),
    /// A command went unanswered after all retries; the link uses its fallback from now on.
    CommandUnanswered {
        /// The command.
        cmd: CmdId,
        /// What the link does instead.
        fallback: FallbackUsed,
    },
    /// A frame from the camera could not be decoded (counted in the link's stats; reported at
    /// most once per [`BAD_INPUT_REPORT_INTERVAL`]; the link goes on).
    BadFrame(FrameError),
    /// A valid frame's payload could not be decoded for its command id (counted and rate-limited
    /// like [`LinkEvent::BadFrame`]).
    BadPayload(PayloadError),
    /// The hardware id names a model other than the A8 mini. The link goes on (most commands are
    /// shared by the SIYI family), but limits and fallbacks are the A8 mini's.
    UnexpectedModel {
        /// The model named by the hardware id.
        model: CameraModel,
        /// The hardware id as read.
        id: HardwareId,
    },
}
