//! Replies: frames the camera sends to the host (CTRL 0x02), answers and pushes.
//!
//! Each reply is declared once, in the [`Reply`] declaration below (variant, fields in wire order,
//! command id); the `commands!` macro of the crate-private `wire` module generates `cmd_id`,
//! `encode_payload` and `decode` from it, as for [`Request`](crate::Request).
//!
//! Replies are parsed by **minimum length**: newer firmware appends fields, and the extra bytes
//! are ignored (the A8 mini's 8-byte 0x01 and 7-byte 0x0A replies parse, and so do the 12-byte
//! 0x01 and 8-byte 0x0A replies of other models). Optional trailing fields are `Option`s. A
//! payload shorter than the minimum is a [`PayloadError::TooShort`].

use crate::frame::{Ctrl, Frame};
use crate::model::HardwareId;
use crate::units::{
    Decidegrees, DecidegreesPerSecond, FirmwareVersion, StreamType, VideoCodec, Zoom,
};
use crate::wire::{commands, layout, wire_enum};
use crate::{CmdId, PayloadError};

wire_enum! {
    /// Recording state, 0x0A byte 3 `record_sta`.
    pub enum RecordState: u8, Other(u8) {
        /// 0: not recording.
        NotRecording = 0 => "not_recording",
        /// 1: recording.
        Recording = 1 => "recording",
        /// 2: no TF (SD) card.
        NoCard = 2 => "no_card",
        /// 3: TF card data loss.
        DataLoss = 3 => "data_loss",
    }
}

wire_enum! {
    /// Gimbal motion mode, 0x0A byte 4 and the 0x19 reply.
    pub enum MotionMode: u8, Other(u8) {
        /// 0: lock (the camera holds its heading when the vehicle turns).
        Lock = 0 => "lock",
        /// 1: follow (the camera yaws with the vehicle).
        Follow = 1 => "follow",
        /// 2: FPV (the camera follows yaw and roll).
        Fpv = 2 => "fpv",
    }
}

wire_enum! {
    /// Mounting direction, 0x0A byte 5.
    pub enum MountingDirection: u8, Other(u8) {
        /// 0: reserved.
        Reserved = 0 => "reserved",
        /// 1: normal.
        Normal = 1 => "normal",
        /// 2: upside down.
        UpsideDown = 2 => "upside_down",
    }
}

wire_enum! {
    /// Function feedback code, the 0x0B push (`u8 info_type`).
    pub enum FeedbackCode: u8, Other(u8) {
        /// 0: photo taken.
        PhotoOk = 0 => "photo_ok",
        /// 1: photo failed (TF card missing or full?).
        PhotoFailed = 1 => "photo_failed",
        /// 2: HDR on.
        HdrOn = 2 => "hdr_on",
        /// 3: HDR off.
        HdrOff = 3 => "hdr_off",
        /// 4: recording failed (TF card?).
        RecordFailed = 4 => "record_failed",
        /// 5: recording started (2025 doc only).
        RecordStarted = 5 => "record_started",
        /// 6: recording stopped (2025 doc only).
        RecordStopped = 6 => "record_stopped",
    }
}

wire_enum! {
    /// AI mode, the 0x4D reply (`u8`): whether SIYI's external AI tracking module is active
    /// ("the camera itself cannot enable AI mode").
    pub enum AiMode: u8, Other(u8) {
        /// 0: AI mode off (no AI module, or not enabled).
        Off = 0 => "off",
        /// 1: AI mode on.
        On = 1 => "on",
    }
}

wire_enum! {
    /// AI tracking stream status, the 0x4E reply (`u8`).
    pub enum AiStreamStatus: u8, Other(u8) {
        /// 0: the 0x50 stream is off.
        Off = 0 => "off",
        /// 1: the 0x50 stream is on (frames at the video frame rate).
        Streaming = 1 => "streaming",
        /// 2: AI recognition is off.
        AiOff = 2 => "ai_recognition_off",
        /// 3: no tracking target (tracking target off).
        TargetOff = 3 => "tracking_target_off",
    }
}

wire_enum! {
    /// Class of the tracked object, 0x50 `target_id` (`u8`).
    pub enum AiTarget: u8, Other(u8) {
        /// 0: a human.
        Human = 0 => "human",
        /// 1: a car.
        Car = 1 => "car",
        /// 2: a bus.
        Bus = 2 => "bus",
        /// 3: a truck.
        Truck = 3 => "truck",
        /// 255: any object (tracking without a class).
        AnyObject = 255 => "any_object",
    }
}

wire_enum! {
    /// Tracking state, 0x50 `track_sta` (`u8`).
    pub enum AiTrackStatus: u8, Other(u8) {
        /// 0: tracking (a recognised target).
        Tracking = 0 => "tracking",
        /// 1: target temporarily lost (still searching).
        TemporarilyLost = 1 => "temporarily_lost",
        /// 2: target lost (tracking ended).
        Lost = 2 => "lost",
        /// 3: tracking cancelled by the user.
        CancelledByUser = 3 => "cancelled_by_user",
        /// 4: tracking any object (no class).
        TrackingAnyObject = 4 => "tracking_any_object",
    }
}

layout! {
    /// AI tracking coordinates, the 0x50 push (10 bytes): `u16 x, u16 y, u16 w, u16 h,
    /// u8 target_id, u8 track_sta`, little-endian.
    ///
    /// The box is given by its **centre** and size, in pixels of a 1280×720 frame (origin at the
    /// top left, x to the right, y down) whatever the stream's real resolution. The camera pushes
    /// it at the video frame rate after a 0x51 "on" (the vendor text wrongly says 0x4F).
    #[derive(
        Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize,
    )]
    pub struct AiTrack {
        /// Box centre, x, pixels of a 1280-pixel-wide frame from the left edge.
        pub x_px: u16,
        /// Box centre, y, pixels of a 720-pixel-high frame from the top edge.
        pub y_px: u16,
        /// Box width, pixels (of 1280).
        pub width_px: u16,
        /// Box height, pixels (of 720).
        pub height_px: u16,
        /// What the target is (`target_id`).
        pub target: AiTarget,
        /// Tracking state (`track_sta`).
        pub status: AiTrackStatus,
    }
}

impl AiTrack {
    /// Width of the frame the 0x50 coordinates refer to, pixels.
    pub const FRAME_WIDTH_PX: u16 = 1280;
    /// Height of the frame the 0x50 coordinates refer to, pixels.
    pub const FRAME_HEIGHT_PX: u16 = 720;
}

layout! {
    /// Camera system information, the 0x0A reply (A8 mini: 7 bytes; ZR10: 5; ZT30/ZT6: 8).
    ///
    /// Layout: `u8 reserved, u8 hdr_sta, u8 reserved, u8 record_sta, u8 gimbal_motion_mode,
    /// u8 gimbal_mounting_dir, u8 video_hdmi_or_cvbs, u8 zoom_linkage`. The first four bytes are
    /// required; later fields are `None` when the camera did not send them.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
    pub struct SystemInfo {
        /// Byte 0, reserved (kept for exact re-encoding).
        pub reserved0: u8,
        /// Byte 1: HDR state, 0 off / 1 on.
        pub hdr_sta: u8,
        /// Byte 2, reserved.
        pub reserved2: u8,
        /// Byte 3: recording state.
        pub record_sta: RecordState,
        /// Byte 4: gimbal motion mode.
        pub motion_mode: Option<MotionMode>,
        /// Byte 5: mounting direction.
        pub mounting_dir: Option<MountingDirection>,
        /// Byte 6: video output, 0 = HDMI on / CVBS off, 1 = HDMI off / CVBS on.
        pub video_output: Option<u8>,
        /// Byte 7: zoom linkage (ZT30/ZT6 only).
        pub zoom_linkage: Option<u8>,
    }
}

layout! {
    /// Gimbal attitude, the 0x0D reply and the 0x25 attitude stream: `i16 yaw, pitch, roll` in
    /// tenths of a degree, `i16 yaw_rate, pitch_rate, roll_rate` in tenths of a degree per second.
    /// Yaw is relative to the gimbal base and positive to the left.
    #[derive(
        Clone, Copy, PartialEq, Eq, Hash, Debug, Default, serde::Serialize, serde::Deserialize,
    )]
    pub struct Attitude {
        /// Yaw, tenths of a degree, positive = left.
        pub yaw: Decidegrees,
        /// Pitch, tenths of a degree, positive = up.
        pub pitch: Decidegrees,
        /// Roll, tenths of a degree.
        pub roll: Decidegrees,
        /// Yaw rate, tenths of a degree per second.
        pub yaw_rate: DecidegreesPerSecond,
        /// Pitch rate, tenths of a degree per second.
        pub pitch_rate: DecidegreesPerSecond,
        /// Roll rate, tenths of a degree per second.
        pub roll_rate: DecidegreesPerSecond,
    }
}

layout! {
    /// Stream encoding parameters, the 0x20 reply and the 0x21 request: `u8 stream, u8 codec,
    /// u16 width_px, u16 height_px, u16 bitrate_kbps, u8 framerate_fps` (9 bytes).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
    pub struct EncodingParams {
        /// Which stream.
        pub stream: StreamType,
        /// Codec.
        pub codec: VideoCodec,
        /// Width in pixels.
        pub width_px: u16,
        /// Height in pixels.
        pub height_px: u16,
        /// Bitrate in kbit/s.
        pub bitrate_kbps: u16,
        /// Frame rate in frames per second (0x20; older documents call this byte "reserved", and
        /// it is reserved in the 0x21 request, kept for exact re-encoding).
        pub framerate_fps: u8,
    }
}

commands! {
    /// A reply or push from the camera.
    #[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
    #[non_exhaustive]
    pub enum Reply {
        /// 0x01 firmware versions: `u32 camera, u32 gimbal[, u32 zoom]` (A8 mini: 8 bytes, no
        /// zoom word).
        FirmwareVersion {
            /// Camera firmware (0.0.0 for 20–30 s after power-up).
            camera: FirmwareVersion,
            /// Gimbal firmware.
            gimbal: FirmwareVersion,
            /// Zoom firmware (ZR10/ZT30 only).
            zoom: Option<FirmwareVersion>,
        } = FIRMWARE_VERSION;
        /// 0x02 hardware id: 12 ASCII bytes (at least the 2-byte product code; shorter ids are
        /// zero-padded).
        HardwareId(id: HardwareId) = HARDWARE_ID;
        /// 0x05 manual zoom ACK: `u16` current zoom in tenths (A8 mini: 10…60).
        ManualZoom {
            /// Current zoom factor × 10.
            zoom_tenths: u16,
        } = MANUAL_ZOOM;
        /// 0x07 gimbal rotation ACK: `u8 sta` (1 ok, 0 error).
        GimbalRotation {
            /// 1 = ok.
            status: u8,
        } = GIMBAL_ROTATION;
        /// 0x08 centering ACK: `u8 sta` (1 ok).
        Center {
            /// 1 = ok.
            status: u8,
        } = CENTER;
        /// 0x0A camera system information.
        CameraSystemInfo(info: SystemInfo) = CAMERA_SYSTEM_INFO;
        /// 0x0B function feedback push.
        FunctionFeedback(info_type: FeedbackCode) = FUNCTION_FEEDBACK;
        /// 0x0D gimbal attitude.
        Attitude(attitude: Attitude) = ATTITUDE;
        /// 0x0E set-angles ACK: current `i16 yaw, pitch, roll`, tenths of a degree.
        SetAngles {
            /// Current yaw, tenths of a degree, positive = left.
            yaw: Decidegrees,
            /// Current pitch, tenths of a degree.
            pitch: Decidegrees,
            /// Current roll, tenths of a degree.
            roll: Decidegrees,
        } = SET_ANGLES;
        /// 0x0F absolute zoom ACK: `u8` 1 = success.
        AbsoluteZoom {
            /// 1 = success.
            status: u8,
        } = ABSOLUTE_ZOOM;
        /// 0x16 maximum zoom: `u8 int, u8 tenths` (A8 mini: 6.0×).
        MaxZoom(zoom: Zoom) = MAX_ZOOM;
        /// 0x18 current zoom: `u8 int, u8 tenths`.
        CurrentZoom(zoom: Zoom) = CURRENT_ZOOM;
        /// 0x19 gimbal motion mode: `u8`.
        GimbalMode(mode: MotionMode) = GIMBAL_MODE;
        /// 0x20 stream encoding parameters.
        Encoding(params: EncodingParams) = GET_ENCODING;
        /// 0x21 set-encoding ACK: `u8 stream, u8 sta` (1 ok).
        SetEncoding {
            /// Which stream.
            stream: StreamType,
            /// 1 = ok.
            status: u8,
        } = SET_ENCODING;
        /// 0x25 data-stream ACK: `u8 data_type`.
        DataStream {
            /// The stream type acknowledged (1 attitude, 2 laser, 3 encoder, 4 motor voltage).
            data_type: u8,
        } = DATA_STREAM;
        /// 0x30 set-UTC-time ACK: `i8` 1 ok / 0 invalid.
        SetUtcTime {
            /// 1 = ok.
            status: i8,
        } = SET_UTC_TIME;
        /// 0x41 single-axis attitude ACK: `i16 yaw, pitch, roll`, tenths of a degree (the A8 mini
        /// answers 0x41 with a 0x0E frame instead).
        SingleAxis {
            /// Current yaw, tenths of a degree.
            yaw: Decidegrees,
            /// Current pitch, tenths of a degree.
            pitch: Decidegrees,
            /// Current roll, tenths of a degree.
            roll: Decidegrees,
        } = SINGLE_AXIS;
        /// 0x48 format-SD ACK: `u8 sta`.
        FormatSd {
            /// 1 = ok.
            status: u8,
        } = FORMAT_SD;
        /// 0x4D AI mode status: `u8` 0 off / 1 on; other values decode as [`AiMode::Other`].
        AiModeStatus(mode: AiMode) = AI_MODE_STATUS;
        /// 0x4E AI tracking stream status: `u8` 0 off, 1 streaming, 2 AI recognition off,
        /// 3 tracking target off; other values decode as [`AiStreamStatus::Other`].
        AiStreamStatus(status: AiStreamStatus) = AI_STREAM_STATUS;
        /// 0x50 AI tracking coordinates, pushed at the video frame rate while the stream is on.
        AiTracking(track: AiTrack) = AI_TRACKING;
        /// 0x51 set-AI-stream ACK: `u8 sta`.
        ///
        /// ⚠ The vendor text gives no reply layout for 0x51; this one-byte status (0 = failure,
        /// otherwise success) is what the public `siyi_sdk` client (`siyi_sdk/commands/ai.py`)
        /// decodes. Unverified on hardware, and what a camera without the AI module answers is
        /// unknown.
        SetAiStream {
            /// 0 = failed; non-zero = done (per `siyi_sdk`).
            status: u8,
        } = SET_AI_STREAM;
        /// 0x80 soft-reboot ACK: `u8 camera_reboot_sta, u8 gimbal_reset_sta`.
        SoftReboot {
            /// Camera reboot status (1 = rebooting).
            camera: u8,
            /// Gimbal reset status (1 = resetting).
            gimbal: u8,
        } = SOFT_REBOOT;
    }
}

impl Reply {
    /// Decodes the reply carried by `frame`.
    pub fn from_frame(frame: &Frame) -> Result<Self, PayloadError> {
        Self::decode(frame.cmd, frame.payload())
    }

    /// Encodes the whole frame (CTRL 0x02) with the camera-side sequence number `seq` into `out`.
    /// An `Unknown` payload is truncated to [`MAX_PAYLOAD_LEN`](crate::frame::MAX_PAYLOAD_LEN).
    pub fn encode_frame(&self, seq: u16, out: &mut Vec<u8>) {
        self.to_frame(seq).encode(out);
    }

    /// The reply as a [`Frame`] (CTRL 0x02) with sequence number `seq`.
    pub fn to_frame(&self, seq: u16) -> Frame {
        Frame::from_encoder(Ctrl::REPLY, seq, self.cmd_id(), |out| {
            self.encode_payload(out)
        })
    }
}
