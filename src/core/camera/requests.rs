//! The messages a ground station can ask the camera for (REQUEST_MESSAGE, the legacy REQUEST_*
//! commands and SET_MESSAGE_INTERVAL), built from a [`View`] of plain values.
//!
//! Owns nothing: the camera component fills a [`View`] from its state and the link's.

use mavlink::dialects::common::{
    CameraCapFlags, CameraMode, MavCmd, MavMessage, MavResult, CAMERA_CAPTURE_STATUS_DATA,
    CAMERA_FOV_STATUS_DATA, CAMERA_IMAGE_CAPTURED_DATA, CAMERA_INFORMATION_DATA,
    CAMERA_SETTINGS_DATA, CAMERA_TRACKING_GEO_STATUS_DATA, CAMERA_TRACKING_IMAGE_STATUS_DATA,
    STORAGE_INFORMATION_DATA, VIDEO_STREAM_INFORMATION_DATA, VIDEO_STREAM_STATUS_DATA,
};
use mavlink::MessageData;

use super::messages;
use super::optics;
use super::persist::PersistedState;
use super::pose::Position;
use crate::core::link::{CameraState, LinkControl, LinkHealth};
use crate::core::mavlink::{Command, Handled};
use siyi_protocol::RecordState;

/// CAMERA_INFORMATION.
pub const ID_CAMERA_INFORMATION: u32 = CAMERA_INFORMATION_DATA::ID;
/// CAMERA_SETTINGS.
pub const ID_CAMERA_SETTINGS: u32 = CAMERA_SETTINGS_DATA::ID;
/// STORAGE_INFORMATION.
pub const ID_STORAGE_INFORMATION: u32 = STORAGE_INFORMATION_DATA::ID;
/// CAMERA_CAPTURE_STATUS.
pub const ID_CAMERA_CAPTURE_STATUS: u32 = CAMERA_CAPTURE_STATUS_DATA::ID;
/// CAMERA_IMAGE_CAPTURED.
pub const ID_CAMERA_IMAGE_CAPTURED: u32 = CAMERA_IMAGE_CAPTURED_DATA::ID;
/// VIDEO_STREAM_INFORMATION.
pub const ID_VIDEO_STREAM_INFORMATION: u32 = VIDEO_STREAM_INFORMATION_DATA::ID;
/// VIDEO_STREAM_STATUS.
pub const ID_VIDEO_STREAM_STATUS: u32 = VIDEO_STREAM_STATUS_DATA::ID;
/// CAMERA_FOV_STATUS.
pub const ID_CAMERA_FOV_STATUS: u32 = CAMERA_FOV_STATUS_DATA::ID;
/// CAMERA_TRACKING_IMAGE_STATUS.
pub const ID_CAMERA_TRACKING_IMAGE_STATUS: u32 = CAMERA_TRACKING_IMAGE_STATUS_DATA::ID;
/// CAMERA_TRACKING_GEO_STATUS.
pub const ID_CAMERA_TRACKING_GEO_STATUS: u32 = CAMERA_TRACKING_GEO_STATUS_DATA::ID;

/// Every message the camera provides on request.
pub const PROVIDED: [u32; 10] = [
    ID_CAMERA_INFORMATION,
    ID_CAMERA_SETTINGS,
    ID_STORAGE_INFORMATION,
    ID_CAMERA_CAPTURE_STATUS,
    ID_CAMERA_IMAGE_CAPTURED,
    ID_VIDEO_STREAM_INFORMATION,
    ID_VIDEO_STREAM_STATUS,
    ID_CAMERA_FOV_STATUS,
    ID_CAMERA_TRACKING_IMAGE_STATUS,
    ID_CAMERA_TRACKING_GEO_STATUS,
];

/// The camera protocol's tracking commands: addressed to the camera, accepted by its host, and
/// answered by the tracking service beside it (the bridge hands them over,
/// `Tracking::command`).
pub fn is_track_command(command: MavCmd) -> bool {
    matches!(
        command,
        MavCmd::MAV_CMD_CAMERA_TRACK_POINT
            | MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE
            | MavCmd::MAV_CMD_CAMERA_STOP_TRACKING
    )
}

/// The messages a peer may ask to be streamed with SET_MESSAGE_INTERVAL.
pub const STREAMABLE: [u32; 7] = [
    ID_CAMERA_SETTINGS,
    ID_STORAGE_INFORMATION,
    ID_CAMERA_CAPTURE_STATUS,
    ID_VIDEO_STREAM_STATUS,
    ID_CAMERA_FOV_STATUS,
    ID_CAMERA_TRACKING_IMAGE_STATUS,
    ID_CAMERA_TRACKING_GEO_STATUS,
];

/// What the messages are built from, as plain values.
#[derive(Clone, Debug)]
pub struct View<'a> {
    /// Milliseconds since the component started.
    pub time_boot_ms: u32,
    /// The camera as last read.
    pub state: &'a CameraState,
    /// The camera is the built-in simulator.
    pub simulated: bool,
    /// RTSP URI for VIDEO_STREAM_INFORMATION.
    pub stream_uri: &'a str,
    /// The reported camera mode.
    pub mode: CameraMode,
    /// Current zoom factor (1.0 = none).
    pub zoom: f32,
    /// Largest zoom factor.
    pub max_zoom: f32,
    /// Image counter and capture records.
    pub persisted: &'a PersistedState,
    /// The captures' files and the card's figures.
    pub files: &'a super::files::Files,
    /// Vehicle position from the autopilot (or unknown).
    pub position: Position,
    /// Where the camera looks (attitude in the earth frame, image centre on the ground).
    pub aim: super::pose::Aim,
    /// The gimbal device's component id (0 = no gimbal component).
    pub gimbal_device_id: u8,
    /// What CAMERA_CAPTURE_STATUS says.
    pub capture: messages::CaptureStatus,
    /// Capabilities of hosted services (tracking) for CAMERA_INFORMATION.
    pub service_flags: CameraCapFlags,
    /// CAMERA_TRACKING_IMAGE_STATUS as tracking reports it.
    pub tracking: CAMERA_TRACKING_IMAGE_STATUS_DATA,
    /// CAMERA_TRACKING_GEO_STATUS, when the target's place on the ground is known.
    pub tracking_geo: Option<CAMERA_TRACKING_GEO_STATUS_DATA>,
}

impl View<'_> {
    /// CAMERA_SETTINGS.
    pub fn settings(&self) -> MavMessage {
        messages::camera_settings(self.time_boot_ms, self.mode, self.zoom, self.max_zoom)
    }

    /// CAMERA_CAPTURE_STATUS.
    pub fn capture_status(&self) -> MavMessage {
        messages::capture_status(self.time_boot_ms, self.capture)
    }

    /// Message `id` (`param`: storage or stream id, or image index); `None` for an id we do not
    /// provide or an image index we have no record of.
    pub fn build(&self, id: u32, param: i64) -> Option<MavMessage> {
        let t = self.time_boot_ms;
        let state = self.state;
        let hfov_deg = optics::fov_deg(self.zoom).0;
        Some(match id {
            ID_CAMERA_INFORMATION => {
                let flags = self.service_flags;
                let info = messages::camera_information(t, state, self.simulated, flags);
                messages::with_gimbal(info, self.gimbal_device_id)
            }
            ID_CAMERA_SETTINGS => self.settings(),
            ID_STORAGE_INFORMATION => {
                let figures = self.files.figures();
                messages::storage_information(t, state.record.map(|r| r.value), 1, figures)
            }
            ID_CAMERA_CAPTURE_STATUS => self.capture_status(),
            ID_CAMERA_IMAGE_CAPTURED => {
                let index = i32::try_from(param).ok()?;
                let r = self.persisted.records.get(&index)?;
                messages::image_captured(t, r, &self.files.url_of(r.file.as_deref()))
            }
            ID_VIDEO_STREAM_INFORMATION => {
                messages::video_stream_information(state, self.stream_uri, hfov_deg)
            }
            ID_VIDEO_STREAM_STATUS => messages::video_stream_status(state, hfov_deg),
            ID_CAMERA_FOV_STATUS => messages::fov_status(t, self.zoom, self.position, &self.aim),
            ID_CAMERA_TRACKING_GEO_STATUS => {
                MavMessage::CAMERA_TRACKING_GEO_STATUS(self.tracking_geo.clone()?)
            }
            ID_CAMERA_TRACKING_IMAGE_STATUS => {
                MavMessage::CAMERA_TRACKING_IMAGE_STATUS(self.tracking.clone())
            }
            _ => return None,
        })
    }
}

/// The answer to a request for message `id` (`param`: storage or stream id, or image index):
/// ACCEPTED + the message; DENIED for a message we never provide or a bad id; TEMPORARILY_
/// REJECTED before the camera is identified; FAILED for an image index we have no record of.
pub fn answer(view: &View<'_>, identified: bool, id: u32, param: f32) -> Handled {
    use MavResult as R;
    if !PROVIDED.contains(&id) {
        return Handled::just(R::MAV_RESULT_DENIED);
    }
    if !identified {
        return Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED);
    }
    let param = if param.is_finite() { param } else { 0.0 };
    let numbered = [
        ID_STORAGE_INFORMATION,
        ID_VIDEO_STREAM_INFORMATION,
        ID_VIDEO_STREAM_STATUS,
    ];
    if numbered.contains(&id) && param != 0.0 && param != 1.0 {
        return Handled::just(R::MAV_RESULT_DENIED);
    }
    match view.build(id, param as i64) {
        Some(m) => Handled {
            result: R::MAV_RESULT_ACCEPTED,
            then: vec![m],
            then_all: Vec::new(),
        },
        None => Handled::just(R::MAV_RESULT_FAILED),
    }
}

/// The mode SET_CAMERA_MODE asks for (param 2: 0 image, 1 video); `None` for anything else.
pub fn camera_mode(cmd: &Command) -> Option<CameraMode> {
    match cmd.whole(2) {
        Some(0.0) => Some(CameraMode::CAMERA_MODE_IMAGE),
        Some(1.0) => Some(CameraMode::CAMERA_MODE_VIDEO),
        _ => None,
    }
}

/// The answer to VIDEO_START_STREAMING / VIDEO_STOP_STREAMING: the camera's RTSP server always
/// runs, so starting stream 0 (all) or 1 (ours) is ACCEPTED, anything else and stopping (the
/// A8 mini cannot stop it) DENIED.
pub fn streaming(cmd: &Command) -> MavResult {
    match (cmd.command, cmd.whole(1)) {
        (MavCmd::MAV_CMD_VIDEO_START_STREAMING, Some(0.0 | 1.0)) => MavResult::MAV_RESULT_ACCEPTED,
        _ => MavResult::MAV_RESULT_DENIED,
    }
}

/// Commands that only ask for data (answering them twice is harmless).
#[allow(deprecated)]
pub fn is_request(cmd: MavCmd) -> bool {
    matches!(
        cmd,
        MavCmd::MAV_CMD_REQUEST_MESSAGE
            | MavCmd::MAV_CMD_REQUEST_CAMERA_INFORMATION
            | MavCmd::MAV_CMD_REQUEST_CAMERA_SETTINGS
            | MavCmd::MAV_CMD_REQUEST_STORAGE_INFORMATION
            | MavCmd::MAV_CMD_REQUEST_CAMERA_CAPTURE_STATUS
            | MavCmd::MAV_CMD_REQUEST_CAMERA_IMAGE_CAPTURE
            | MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION
            | MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_STATUS
            | MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL
    )
}

/// The camera is identified ([`CameraState::identified`]).
pub fn identified(s: &CameraState) -> bool {
    s.identified()
}

/// Recording, as far as anyone can tell: the last 0x0A reading says so and the camera is up.
/// While the link is down the recording state is unknown and reported as not recording.
pub fn is_recording(link: &impl LinkControl) -> bool {
    link.health() == LinkHealth::Up && recording_value(link)
}

/// The last 0x0A reading says "recording" (however old it is).
pub fn recording_value(link: &impl LinkControl) -> bool {
    matches!(
        link.state().record.map(|r| r.value),
        Some(RecordState::Recording)
    )
}

/// What a request command asks for: `Some(Ok((message id, param)))` to answer with that
/// message, `Some(Err(result))` to answer with just an ack (a legacy request whose "send" flag is
/// off: ACCEPTED; a message id that is not a whole number in range: DENIED), `None` for a command
/// that is not a request.
#[allow(deprecated)] // the legacy REQUEST_* commands are part of the contract
pub fn asked_for(cmd: &Command) -> Option<Result<(u32, f32), MavResult>> {
    let flag = |v: f32| v.is_finite() && v.round() != 0.0;
    // Legacy forms: (message, the parameter that says "send it", the parameter with an id).
    let legacy = |id: u32, flag_param: usize, id_param: Option<usize>| {
        if flag(cmd.p(flag_param)) {
            Ok((id, id_param.map_or(0.0, |n| cmd.p(n))))
        } else {
            Err(MavResult::MAV_RESULT_ACCEPTED)
        }
    };
    Some(match cmd.command {
        MavCmd::MAV_CMD_REQUEST_MESSAGE => match cmd.whole(1) {
            Some(id) if (0.0..=16_777_215.0).contains(&id) => Ok((id as u32, cmd.p(2))),
            _ => Err(MavResult::MAV_RESULT_DENIED),
        },
        MavCmd::MAV_CMD_REQUEST_CAMERA_INFORMATION => legacy(ID_CAMERA_INFORMATION, 1, None),
        MavCmd::MAV_CMD_REQUEST_CAMERA_SETTINGS => legacy(ID_CAMERA_SETTINGS, 1, None),
        MavCmd::MAV_CMD_REQUEST_STORAGE_INFORMATION => legacy(ID_STORAGE_INFORMATION, 2, Some(1)),
        MavCmd::MAV_CMD_REQUEST_CAMERA_CAPTURE_STATUS => legacy(ID_CAMERA_CAPTURE_STATUS, 1, None),
        MavCmd::MAV_CMD_REQUEST_CAMERA_IMAGE_CAPTURE => Ok((ID_CAMERA_IMAGE_CAPTURED, cmd.p(1))),
        MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION => {
            Ok((ID_VIDEO_STREAM_INFORMATION, cmd.p(1)))
        }
        MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_STATUS => Ok((ID_VIDEO_STREAM_STATUS, cmd.p(1))),
        _ => return None,
    })
}
