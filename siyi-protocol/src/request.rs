//! Requests: frames the host sends to the camera (CTRL 0x01).
//!
//! Each command is declared once, in the [`Request`] declaration below: its variant (with the
//! fields in wire order, their units in names and docs), its command id and whether the camera
//! answers it. The `commands!` macro (in the crate-private `wire` module) generates the enum,
//! `cmd_id`, `expects_reply`, `encode_payload` and `decode` from it; every field type knows its
//! own little-endian layout. Adding a command is one entry here (plus its `CmdId` constant and its
//! tests).

use crate::frame::{Ctrl, Frame};
use crate::reply::{EncodingParams, MotionMode};
use crate::units::{Decidegrees, StreamType, Zoom};
use crate::wire::{commands, layout, newtype_fields, wire_enum};
use crate::{CmdId, PayloadError};

wire_enum! {
    /// Direction of a manual (continuous) zoom, 0x05 (`i8`).
    pub enum ZoomDirection: i8 (from_i8, to_i8) {
        /// 1: zoom in.
        In = 1 => "in",
        /// 0: stop zooming.
        Stop = 0 => "stop",
        /// −1 (`FF`): zoom out.
        Out = -1 => "out",
    }
}

wire_enum! {
    /// Centering target of 0x08 (`u8 center_pos`). Only [`CenterPosition::Center`] (1) is
    /// documented for every firmware; 2–4 come from the 2025 SDK document.
    pub enum CenterPosition: u8, Other(u8) {
        /// 1: center.
        Center = 1 => "center",
        /// 2: center, then look down.
        CenterDown = 2 => "center_then_down",
        /// 3: center (2025 doc).
        Center3 = 3 => "center",
        /// 4: look down (2025 doc).
        Down = 4 => "down",
    }
}

wire_enum! {
    /// Function of a 0x0C frame (`u8 func_type`). The camera never acknowledges 0x0C.
    pub enum FunctionType: u8, Other(u8) {
        /// 0: take a photo (outcome may arrive as a 0x0B push).
        TakePhoto = 0 => "take_photo",
        /// 1: HDR toggle (not supported by the A8 mini).
        HdrToggle = 1 => "hdr_toggle",
        /// 2: start/stop recording — a **toggle**; decide from a fresh 0x0A `record_sta` first.
        RecordToggle = 2 => "record_toggle",
        /// 3: gimbal motion mode lock.
        LockMode = 3 => "lock_mode",
        /// 4: gimbal motion mode follow.
        FollowMode = 4 => "follow_mode",
        /// 5: gimbal motion mode FPV.
        FpvMode = 5 => "fpv_mode",
        /// 6: video output HDMI (A8 mini; takes effect after reboot).
        VideoOutHdmi = 6 => "video_out_hdmi",
        /// 7: video output CVBS (A8 mini; takes effect after reboot).
        VideoOutCvbs = 7 => "video_out_cvbs",
        /// 8: video output HDMI and CVBS off (A8 mini; takes effect after reboot).
        VideoOutOff = 8 => "video_out_off",
        /// 9: tilt down (2025 doc).
        TiltDown = 9 => "tilt_down",
        /// 10: zoom linkage (ZT30/ZT6).
        ZoomLinkage = 10 => "zoom_linkage",
    }
}

impl FunctionType {
    /// The 0x0C function that sets the gimbal motion `mode` (`None` for a mode that no 0x0C
    /// function sets). The camera shows the mode it took in 0x0A byte 4.
    pub fn set_motion_mode(mode: MotionMode) -> Option<Self> {
        match mode {
            MotionMode::Lock => Some(Self::LockMode),
            MotionMode::Follow => Some(Self::FollowMode),
            MotionMode::Fpv => Some(Self::FpvMode),
            MotionMode::Other(_) => None,
        }
    }
}

wire_enum! {
    /// Data stream selected by 0x25 (`u8 data_type`).
    pub enum DataStreamType: u8, Other(u8) {
        /// 1: attitude, delivered as 0x0D frames.
        Attitude = 1 => "attitude",
        /// 2: laser range (0x15).
        Laser = 2 => "laser",
        /// 3: magnetic encoder angles (0x26).
        MagneticEncoder = 3 => "magnetic_encoder",
        /// 4: motor voltage (0x2A).
        MotorVoltage = 4 => "motor_voltage",
    }
}

/// Output rate code of 0x25 (`u8 freq`): 0 off, 1 = 2 Hz, 2 = 4 Hz, 3 = 5 Hz, 4 = 10 Hz,
/// 5 = 20 Hz, 6 = 50 Hz, 7 = 100 Hz.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct StreamFrequency(pub u8);

impl StreamFrequency {
    /// Stream off.
    pub const OFF: Self = Self(0);
    /// 10 Hz.
    pub const HZ_10: Self = Self(4);
    /// 20 Hz.
    pub const HZ_20: Self = Self(5);

    /// The rate in hertz, `Some(0)` for off, `None` for an undefined code.
    pub const fn hz(self) -> Option<u16> {
        match self.0 {
            0 => Some(0),
            1 => Some(2),
            2 => Some(4),
            3 => Some(5),
            4 => Some(10),
            5 => Some(20),
            6 => Some(50),
            7 => Some(100),
            _ => None,
        }
    }
    /// The smallest defined code whose rate is at least `hz` (100 Hz at most; 0 → off).
    pub const fn at_least_hz(hz: u16) -> Self {
        let mut code = 0u8;
        while code < 7 {
            if let Some(r) = Self(code).hz() {
                if r >= hz {
                    return Self(code);
                }
            }
            code += 1;
        }
        Self(7)
    }
}

newtype_fields!(StreamFrequency: u8);

layout! {
    /// Aircraft attitude sent to the gimbal, the 0x22 payload (28 bytes, NED, like MAVLink's
    /// ATTITUDE): `u32 time_boot_ms`, then six `f32`: roll, pitch, yaw (rad), roll, pitch, yaw
    /// rates (rad/s).
    #[derive(Clone, Copy, PartialEq, Debug, Default, serde::Serialize, serde::Deserialize)]
    pub struct AircraftAttitude {
        /// Autopilot time since boot, milliseconds.
        pub time_boot_ms: u32,
        /// Roll, radians.
        pub roll_rad: f32,
        /// Pitch, radians.
        pub pitch_rad: f32,
        /// Yaw, radians.
        pub yaw_rad: f32,
        /// Roll rate, radians per second.
        pub roll_rate_rad_s: f32,
        /// Pitch rate, radians per second.
        pub pitch_rate_rad_s: f32,
        /// Yaw rate, radians per second.
        pub yaw_rate_rad_s: f32,
    }
}

layout! {
    /// Raw GPS sent to the gimbal (it lands in photo EXIF), the 0x3E payload (32 bytes, like
    /// MAVLink's GLOBAL_POSITION_INT): `u32 time_boot_ms`, then seven `i32`.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, serde::Serialize, serde::Deserialize)]
    pub struct RawGps {
        /// Autopilot time since boot, milliseconds.
        pub time_boot_ms: u32,
        /// Latitude, degrees × 10⁷.
        pub lat_deg_e7: i32,
        /// Longitude, degrees × 10⁷.
        pub lon_deg_e7: i32,
        /// Altitude above mean sea level, centimetres.
        pub alt_msl_cm: i32,
        /// Altitude above the WGS-84 ellipsoid, centimetres.
        pub alt_ellipsoid_cm: i32,
        /// North velocity, millimetres per second.
        pub vn_mm_s: i32,
        /// East velocity, millimetres per second.
        pub ve_mm_s: i32,
        /// Down velocity, millimetres per second.
        pub vd_mm_s: i32,
    }
}

impl RawGps {
    /// Latitude in degrees.
    pub fn lat_deg(&self) -> f64 {
        f64::from(self.lat_deg_e7) / 1e7
    }
    /// Longitude in degrees.
    pub fn lon_deg(&self) -> f64 {
        f64::from(self.lon_deg_e7) / 1e7
    }
}

commands! {
    /// A request: a command the host sends to the camera.
    ///
    /// Queries carry no payload. Every variant names the wire layout and units of its fields, in
    /// wire order (the declaration below generates the codec; see the module docs).
    #[derive(Clone, PartialEq, Debug, serde::Serialize)]
    #[non_exhaustive]
    pub enum Request {
        /// 0x00 TCP heartbeat: payload one byte `00`. Only needed on TCP.
        TcpHeartbeat = TCP_HEARTBEAT, no_reply, one_zero_byte;
        /// 0x01 firmware version query.
        FirmwareVersion = FIRMWARE_VERSION;
        /// 0x02 hardware id query.
        HardwareId = HARDWARE_ID;
        /// 0x05 manual zoom: `i8` 1 in, 0 stop, −1 out. Must be re-sent while held.
        ManualZoom(zoom: ZoomDirection) = MANUAL_ZOOM;
        /// 0x07 gimbal rotation: `i8 turn_yaw, i8 turn_pitch`, each a speed −100…100 (0 = stop).
        GimbalRotation {
            /// Yaw speed −100…100; positive turns right (field evidence, unverified on hardware).
            yaw_speed: i8,
            /// Pitch speed −100…100; positive pitches up.
            pitch_speed: i8,
        } = GIMBAL_ROTATION;
        /// 0x08 one-key centering: `u8 center_pos`.
        Center(center_pos: CenterPosition) = CENTER;
        /// 0x0A camera system information query.
        CameraSystemInfo = CAMERA_SYSTEM_INFO;
        /// 0x0C photo / record toggle / mode: `u8 func_type`. Never acknowledged.
        Function(func_type: FunctionType) = FUNCTION, no_reply;
        /// 0x0D gimbal attitude query.
        Attitude = ATTITUDE;
        /// 0x0E set gimbal angles: `i16 yaw, i16 pitch`, tenths of a degree (A8 mini: yaw
        /// −135.0…+135.0 with positive = left, pitch −90.0…+25.0).
        SetAngles {
            /// Target yaw, tenths of a degree, positive = left.
            yaw: Decidegrees,
            /// Target pitch, tenths of a degree, positive = up.
            pitch: Decidegrees,
        } = SET_ANGLES;
        /// 0x0F absolute zoom: `u8 int (1…30), u8 tenths (0…9)`.
        AbsoluteZoom(zoom: Zoom) = ABSOLUTE_ZOOM;
        /// 0x16 maximum zoom query.
        MaxZoom = MAX_ZOOM;
        /// 0x18 current zoom query.
        CurrentZoom = CURRENT_ZOOM;
        /// 0x19 gimbal motion mode query.
        GimbalMode = GIMBAL_MODE;
        /// 0x20 get encoding parameters of a stream: `u8 stream`.
        GetEncoding(stream: StreamType) = GET_ENCODING;
        /// 0x21 set encoding parameters, the 0x20 layout ([`EncodingParams`]): the stream's codec
        /// cannot be changed for the recording stream, and a codec change needs a camera power
        /// cycle; byte 8 (`framerate_fps`) is reserved in this request.
        SetEncoding(params: EncodingParams) = SET_ENCODING;
        /// 0x22 aircraft attitude ([`AircraftAttitude`]). No reply from the A8 mini.
        AircraftAttitude(attitude: AircraftAttitude) = AIRCRAFT_ATTITUDE, no_reply;
        /// 0x25 request a data stream: `u8 data_type, u8 freq`.
        DataStream {
            /// What to stream.
            data_type: DataStreamType,
            /// How often.
            freq: StreamFrequency,
        } = DATA_STREAM;
        /// 0x30 set UTC time: `u64` microseconds since the Unix epoch.
        SetUtcTime {
            /// Microseconds since 1970-01-01T00:00:00Z.
            unix_time_us: u64,
        } = SET_UTC_TIME;
        /// 0x3E raw GPS for photo EXIF ([`RawGps`]). No reply from the A8 mini.
        RawGps(gps: RawGps) = RAW_GPS, no_reply;
        /// 0x41 single-axis attitude: `i16 angle (tenths of a degree), u8 axis (0 yaw, 1 pitch)`.
        /// The A8 mini answers with a 0x0E frame, so no 0x41 reply is expected.
        SingleAxis {
            /// Target angle, tenths of a degree.
            angle: Decidegrees,
            /// Axis: 0 yaw, 1 pitch.
            axis: u8,
        } = SINGLE_AXIS, no_reply;
        /// 0x48 format the SD card (no reply from the A8 mini).
        FormatSd = FORMAT_SD, no_reply;
        /// 0x4D AI mode status query (answered with [`AiMode`](crate::AiMode)).
        AiModeStatus = AI_MODE_STATUS;
        /// 0x4E AI tracking stream status query (answered with
        /// [`AiStreamStatus`](crate::AiStreamStatus)).
        AiStreamStatus = AI_STREAM_STATUS;
        /// 0x51 set AI tracking stream output: `u8 track_action`, 1 on / 0 off (other values are
        /// invalid). While on, the camera pushes 0x50 frames at the video frame rate; it needs
        /// SIYI's external AI tracking module.
        SetAiStream {
            /// `track_action`: true (1) switches the 0x50 stream on, false (0) off.
            on: bool,
        } = SET_AI_STREAM;
        /// 0x80 soft reboot: `u8 camera_reboot, u8 gimbal_reset` (1 = do it; other values are
        /// invalid).
        SoftReboot {
            /// Reboot the camera.
            camera: bool,
            /// Reset the gimbal.
            gimbal: bool,
        } = SOFT_REBOOT;
    }
}

impl Request {
    /// Whether the camera is expected to answer this request with a frame of the same command id
    /// (0x00 and 0x0C are never answered; 0x3E, 0x22 and 0x48 get no reply from the A8 mini;
    /// 0x41 is answered with 0x0E; unknown commands are not expected to be answered).
    pub fn expects_reply(&self) -> bool {
        self.answered()
    }

    /// Encodes the whole frame (CTRL 0x01) with sequence number `seq` into `out`.
    ///
    /// An `Unknown` payload longer than [`MAX_PAYLOAD_LEN`](crate::frame::MAX_PAYLOAD_LEN) is
    /// truncated to that length: encoding never fails.
    pub fn encode_frame(&self, seq: u16, out: &mut Vec<u8>) {
        self.to_frame(seq).encode(out);
    }

    /// The request as a [`Frame`] (CTRL 0x01) with sequence number `seq`.
    pub fn to_frame(&self, seq: u16) -> Frame {
        Frame::from_encoder(Ctrl::REQUEST, seq, self.cmd_id(), |out| {
            self.encode_payload(out)
        })
    }

    /// Decodes the request carried by `frame`.
    pub fn from_frame(frame: &Frame) -> Result<Self, PayloadError> {
        Self::decode(frame.cmd, frame.payload())
    }
}
