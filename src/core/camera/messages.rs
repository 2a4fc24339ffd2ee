//! Builders for the MAVLink messages the camera component sends. Every flag field is set
//! explicitly: the `mavlink` crate's `DEFAULT` for a bitflag field is its *first* flag, not empty.

use crate::core::media::storage::Figures;
use mavlink::dialects::common::{
    CameraCapFlags, CameraMode, MavBool, MavMessage, MavState, MavType, StorageStatus, StorageType,
    StorageUsageFlag, VideoStreamEncoding, VideoStreamStatusFlags, VideoStreamType,
    CAMERA_CAPTURE_STATUS_DATA, CAMERA_FOV_STATUS_DATA, CAMERA_IMAGE_CAPTURED_DATA,
    CAMERA_INFORMATION_DATA, CAMERA_SETTINGS_DATA, CAMERA_TRIGGER_DATA, STORAGE_INFORMATION_DATA,
    VIDEO_STREAM_INFORMATION_DATA, VIDEO_STREAM_STATUS_DATA,
};
use siyi_protocol::{CameraModel, EncodingParams, FirmwareVersion, RecordState, VideoCodec};

use super::optics;
use super::persist::ImageRecord;
use super::pose::{Aim, Position};
use crate::core::link::{CameraState, LinkHealth};
use crate::core::mavlink::{fixed_text, pack_firmware as mavlink_pack};

/// The capability flags we advertise: exactly what this component handles.
///
/// Mode model: the A8 mini has no photo/video mode (it takes photos while recording). We report a
/// mode (HAS_MODES) so QGC shows its photo/video switch and CAMERA_SETTINGS carries a true value,
/// and set both CAN_CAPTURE_*_IN_*_MODE flags so neither button is ever disabled by the mode.
/// Starting a recording switches the reported mode to VIDEO, so QGC shows the stop button.
pub fn capability_flags() -> CameraCapFlags {
    CameraCapFlags::CAMERA_CAP_FLAGS_CAPTURE_VIDEO
        | CameraCapFlags::CAMERA_CAP_FLAGS_CAPTURE_IMAGE
        | CameraCapFlags::CAMERA_CAP_FLAGS_HAS_MODES
        | CameraCapFlags::CAMERA_CAP_FLAGS_CAN_CAPTURE_IMAGE_IN_VIDEO_MODE
        | CameraCapFlags::CAMERA_CAP_FLAGS_CAN_CAPTURE_VIDEO_IN_IMAGE_MODE
        | CameraCapFlags::CAMERA_CAP_FLAGS_HAS_BASIC_ZOOM
        | CameraCapFlags::CAMERA_CAP_FLAGS_HAS_VIDEO_STREAM
}

/// Firmware version packed as MAVLink wants it ([`mavlink_pack`], dev = 0).
pub fn pack_firmware(fw: FirmwareVersion) -> u32 {
    mavlink_pack(fw.major(), fw.minor(), fw.patch())
}

/// HEARTBEAT: camera, no autopilot, empty base mode; STANDBY when the camera answers, BOOT while
/// searching/booting, CRITICAL when lost.
pub fn heartbeat(health: LinkHealth) -> MavMessage {
    let status = match health {
        LinkHealth::Up => MavState::MAV_STATE_STANDBY,
        LinkHealth::Searching | LinkHealth::Booting => MavState::MAV_STATE_BOOT,
        LinkHealth::Lost => MavState::MAV_STATE_CRITICAL,
    };
    crate::core::mavlink::heartbeat(MavType::MAV_TYPE_CAMERA, status)
}

fn model_name(state: &CameraState) -> &'static str {
    match state.model {
        Some(CameraModel::Unknown(_)) | None => "SIYI camera",
        Some(m) => m.name(),
    }
}

fn resolution(state: &CameraState) -> (u16, u16) {
    state
        .encodings
        .iter()
        .flatten()
        .find(|e| e.width_px > 0 && e.height_px > 0)
        .map(|e| (e.width_px, e.height_px))
        .unwrap_or((1920, 1080))
}

/// CAMERA_INFORMATION from the camera's real identity; with `simulated` the model name ends in
/// " (simulated)".
/// `extra_flags`: capabilities of the services the camera hosts (tracking), added to
/// [`capability_flags`].
pub fn camera_information(
    time_boot_ms: u32,
    state: &CameraState,
    simulated: bool,
    extra_flags: CameraCapFlags,
) -> MavMessage {
    let (res_h, res_v) = resolution(state);
    let model = if simulated {
        format!("{} (simulated)", model_name(state))
    } else {
        model_name(state).to_owned()
    };
    MavMessage::CAMERA_INFORMATION(CAMERA_INFORMATION_DATA {
        time_boot_ms,
        firmware_version: state.camera_fw.map(pack_firmware).unwrap_or(0),
        focal_length: optics::FOCAL_LENGTH_MM,
        sensor_size_h: optics::sensor_h_mm(),
        sensor_size_v: optics::sensor_v_mm(),
        flags: capability_flags() | extra_flags,
        resolution_h: res_h,
        resolution_v: res_v,
        cam_definition_version: crate::core::settings::definition::VERSION,
        vendor_name: fixed_text("SIYI"),
        model_name: fixed_text(&model),
        lens_id: 0,
        cam_definition_uri: crate::core::settings::definition::URI.into(),
        gimbal_device_id: 0,
        camera_device_id: 0,
    })
}

/// CAMERA_INFORMATION naming the gimbal device the camera sits on (`gimbal_device_id`, 0 = none).
pub fn with_gimbal(mut info: MavMessage, gimbal_device_id: u8) -> MavMessage {
    if let MavMessage::CAMERA_INFORMATION(i) = &mut info {
        i.gimbal_device_id = gimbal_device_id;
    }
    info
}

/// Zoom factor as a percentage of the camera's range (1× = 0 %, max = 100 %).
pub fn zoom_percent(zoom: f32, max_zoom: f32) -> f32 {
    if max_zoom <= 1.0 || !zoom.is_finite() {
        return 0.0;
    }
    ((zoom - 1.0) / (max_zoom - 1.0) * 100.0).clamp(0.0, 100.0)
}

/// CAMERA_SETTINGS: the reported mode and the real zoom (% of range). Focus is not controllable
/// on the A8 mini (fixed focus), so focusLevel is NaN ("unknown") as the spec allows.
pub fn camera_settings(
    time_boot_ms: u32,
    mode: CameraMode,
    zoom: f32,
    max_zoom: f32,
) -> MavMessage {
    MavMessage::CAMERA_SETTINGS(CAMERA_SETTINGS_DATA {
        time_boot_ms,
        mode_id: mode,
        zoomLevel: zoom_percent(zoom, max_zoom),
        focusLevel: f32::NAN,
        camera_device_id: 0,
    })
}

/// The storage status to report: from the SD-card state in 0x0A (no card → EMPTY, card data
/// loss → UNFORMATTED), and READY only with real figures (`--sd-card-gib` and every file on the
/// card counted). A card whose capacity is unknown is NOT_SUPPORTED: QGC then keeps the shutter
/// usable and shows no numbers (READY with 0 free would grey the photo button).
pub fn storage_status(record: Option<RecordState>, figures: Option<Figures>) -> StorageStatus {
    match (record, figures) {
        (Some(RecordState::NoCard), _) => StorageStatus::STORAGE_STATUS_EMPTY,
        (Some(RecordState::DataLoss), _) => StorageStatus::STORAGE_STATUS_UNFORMATTED,
        (Some(_), Some(_)) => StorageStatus::STORAGE_STATUS_READY,
        _ => StorageStatus::STORAGE_STATUS_NOT_SUPPORTED,
    }
}

/// STORAGE_INFORMATION ([`storage_status`]). The A8 mini does not report capacities: they are
/// the user's card size and the sizes of the files on it when known, else 0 (ignored by
/// ground stations unless READY; never NaN, QGC casts them to integers).
pub fn storage_information(
    time_boot_ms: u32,
    record: Option<RecordState>,
    storage_id: u8,
    figures: Option<Figures>,
) -> MavMessage {
    let status = storage_status(record, figures);
    let f = figures.filter(|_| status == StorageStatus::STORAGE_STATUS_READY);
    MavMessage::STORAGE_INFORMATION(STORAGE_INFORMATION_DATA {
        time_boot_ms,
        total_capacity: f.map_or(0.0, |f| f.total_mib),
        used_capacity: f.map_or(0.0, |f| f.used_mib),
        available_capacity: f.map_or(0.0, |f| f.available_mib),
        read_speed: 0.0,
        write_speed: 0.0,
        storage_id,
        storage_count: 1,
        status,
        mavtype: StorageType::STORAGE_TYPE_MICROSD,
        name: "TF card".into(),
        storage_usage: StorageUsageFlag::STORAGE_USAGE_FLAG_SET
            | StorageUsageFlag::STORAGE_USAGE_FLAG_PHOTO
            | StorageUsageFlag::STORAGE_USAGE_FLAG_VIDEO,
    })
}

/// Inputs of CAMERA_CAPTURE_STATUS.
#[derive(Clone, Copy, Debug)]
pub struct CaptureStatus {
    /// A single photo is being taken.
    pub photo_in_progress: bool,
    /// Interval capture running: interval in seconds.
    pub interval_s: Option<f32>,
    /// Recording now.
    pub recording: bool,
    /// Milliseconds since recording started (0 when not recording).
    pub recording_time_ms: u32,
    /// Images taken so far.
    pub image_count: i32,
    /// Free space on the card, MiB, when known and the storage is READY (else 0).
    pub available_mib: f32,
}

/// CAMERA_CAPTURE_STATUS (image_status bit 0 = capture in progress, bit 1 = interval set).
pub fn capture_status(time_boot_ms: u32, s: CaptureStatus) -> MavMessage {
    let image_status = u8::from(s.photo_in_progress) | (u8::from(s.interval_s.is_some()) << 1);
    MavMessage::CAMERA_CAPTURE_STATUS(CAMERA_CAPTURE_STATUS_DATA {
        time_boot_ms,
        image_interval: s.interval_s.unwrap_or(0.0),
        recording_time_ms: if s.recording { s.recording_time_ms } else { 0 },
        available_capacity: s.available_mib,
        image_status,
        video_status: u8::from(s.recording),
        image_count: s.image_count,
        camera_device_id: 0,
    })
}

/// CAMERA_IMAGE_CAPTURED for one record (index −1 and result false for a failed photo), with
/// the URL of its file (empty when not known).
pub fn image_captured(time_boot_ms: u32, r: &ImageRecord, file_url: &str) -> MavMessage {
    MavMessage::CAMERA_IMAGE_CAPTURED(CAMERA_IMAGE_CAPTURED_DATA {
        time_utc: r.time_utc_us,
        time_boot_ms,
        lat: r.lat_e7,
        lon: r.lon_e7,
        alt: r.alt_mm,
        relative_alt: r.relative_alt_mm,
        q: r.q.unwrap_or([f32::NAN; 4]),
        image_index: r.index,
        camera_id: 0,
        capture_result: if r.captured {
            MavBool::MAV_BOOL_TRUE
        } else {
            MavBool::MAV_BOOL_FALSE
        },
        file_url: file_url.into(),
    })
}

/// CAMERA_TRIGGER for a taken photo.
pub fn camera_trigger(time_usec: u64, index: i32) -> MavMessage {
    MavMessage::CAMERA_TRIGGER(CAMERA_TRIGGER_DATA {
        time_usec,
        seq: u32::try_from(index).unwrap_or(0),
    })
}

fn encoding(e: Option<&EncodingParams>) -> VideoStreamEncoding {
    match e.map(|e| e.codec) {
        Some(VideoCodec::H264) => VideoStreamEncoding::VIDEO_STREAM_ENCODING_H264,
        Some(VideoCodec::H265) => VideoStreamEncoding::VIDEO_STREAM_ENCODING_H265,
        _ => VideoStreamEncoding::VIDEO_STREAM_ENCODING_UNKNOWN,
    }
}

/// What VIDEO_STREAM_INFORMATION and VIDEO_STREAM_STATUS share about stream 1, the camera's main
/// RTSP stream: the figures read with 0x20 (zeros until the camera has answered).
struct MainStream {
    framerate_fps: f32,
    bitrate_bps: u32,
    width_px: u16,
    height_px: u16,
    hfov_deg: u16,
}

impl MainStream {
    fn of(state: &CameraState, hfov_deg: f32) -> (Self, Option<&EncodingParams>) {
        let main = state.encodings.get(1).and_then(Option::as_ref);
        let figures = Self {
            framerate_fps: main.map(|e| f32::from(e.framerate_fps)).unwrap_or(0.0),
            bitrate_bps: main.map(|e| u32::from(e.bitrate_kbps) * 1000).unwrap_or(0),
            width_px: main.map(|e| e.width_px).unwrap_or(0),
            height_px: main.map(|e| e.height_px).unwrap_or(0),
            hfov_deg: hfov_deg.round().clamp(0.0, 360.0) as u16,
        };
        (figures, main)
    }
}

/// VIDEO_STREAM_INFORMATION for our one stream (id 1): the camera's main RTSP stream.
pub fn video_stream_information(state: &CameraState, uri: &str, hfov_deg: f32) -> MavMessage {
    let (m, main) = MainStream::of(state, hfov_deg);
    MavMessage::VIDEO_STREAM_INFORMATION(VIDEO_STREAM_INFORMATION_DATA {
        framerate: m.framerate_fps,
        bitrate: m.bitrate_bps,
        flags: VideoStreamStatusFlags::VIDEO_STREAM_STATUS_FLAGS_RUNNING,
        resolution_h: m.width_px,
        resolution_v: m.height_px,
        rotation: 0,
        hfov: m.hfov_deg,
        stream_id: 1,
        count: 1,
        mavtype: VideoStreamType::VIDEO_STREAM_TYPE_RTSP,
        name: "Main".into(),
        uri: uri.into(),
        encoding: encoding(main),
        camera_device_id: 0,
    })
}

/// VIDEO_STREAM_STATUS for stream 1.
pub fn video_stream_status(state: &CameraState, hfov_deg: f32) -> MavMessage {
    let (m, _) = MainStream::of(state, hfov_deg);
    MavMessage::VIDEO_STREAM_STATUS(VIDEO_STREAM_STATUS_DATA {
        framerate: m.framerate_fps,
        bitrate: m.bitrate_bps,
        flags: VideoStreamStatusFlags::VIDEO_STREAM_STATUS_FLAGS_RUNNING,
        resolution_h: m.width_px,
        resolution_v: m.height_px,
        rotation: 0,
        hfov: m.hfov_deg,
        stream_id: 1,
        camera_device_id: 0,
    })
}

/// CAMERA_FOV_STATUS with the zoom-aware field of view, the camera's earth-frame attitude and the
/// image centre on the ground at the home altitude (`aim`: NaN / `i32::MAX` where unknown,
/// `i32::MIN` when the camera looks at or above the horizon).
pub fn fov_status(time_boot_ms: u32, zoom: f32, pos: Position, aim: &Aim) -> MavMessage {
    let (h, v) = optics::fov_deg(zoom);
    MavMessage::CAMERA_FOV_STATUS(CAMERA_FOV_STATUS_DATA {
        time_boot_ms,
        lat_camera: pos.lat_e7,
        lon_camera: pos.lon_e7,
        alt_camera: pos.alt_mm,
        lat_image: aim.lat_image_e7,
        lon_image: aim.lon_image_e7,
        alt_image: aim.alt_image_mm,
        q: aim.q,
        hfov: h,
        vfov: v,
        camera_device_id: 0,
    })
}

pub use crate::core::mavlink::{statustext, STATUSTEXT_CHUNK_BYTES};

/// Oldest A8 mini camera firmware known to work well (ArduPilot's minimum, 0.2.1).
const OLDEST_GOOD_FIRMWARE: (u8, u8, u8) = (0, 2, 1);

/// The STATUSTEXTs for a newly identified camera: who it is, and a warning when its firmware is
/// older than `OLDEST_GOOD_FIRMWARE` (0.2.1).
pub fn identified_texts(s: &CameraState) -> (String, Option<String>) {
    let hello = format!(
        "SIYI {} firmware {} connected",
        s.model.map(|m| m.name()).unwrap_or("camera"),
        s.camera_fw.map(|f| f.to_string()).unwrap_or_default()
    );
    let old = s
        .camera_fw
        .filter(|f| f.triple() < OLDEST_GOOD_FIRMWARE)
        .map(|fw| {
            let (a, b, c) = OLDEST_GOOD_FIRMWARE;
            format!("Old camera firmware {fw}: update to {a}.{b}.{c}+")
        });
    (hello, old)
}

/// The STATUSTEXT warning for a recording state that means trouble with the SD card, when it
/// is new (`from` → `to`).
pub fn card_warning(from: Option<RecordState>, to: RecordState) -> Option<&'static str> {
    match to {
        _ if from == Some(to) => None,
        RecordState::NoCard => Some("No SD card in camera: cannot record or save photos"),
        RecordState::DataLoss => Some("SD card data loss: check or format the card"),
        _ => None,
    }
}
