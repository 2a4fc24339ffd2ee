//! Requests: frames the host sends to the camera (CTRL 0x01).

use crate::frame::{Ctrl, Frame};
use crate::units::{Decidegrees, StreamType, VideoCodec, Zoom};
use crate::wire::Reader;
use crate::{CmdId, PayloadError};

/// Direction of a manual (continuous) zoom, 0x05 (`i8`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum ZoomDirection {
    /// 1: zoom in.
    In,
    /// 0: stop zooming.
    Stop,
    /// −1 (`FF`): zoom out.
    Out,
}

impl ZoomDirection {
    /// The wire value (1, 0, −1).
    pub const fn to_i8(self) -> i8 {
        match self {
            Self::In => 1,
            Self::Stop => 0,
            Self::Out => -1,
        }
    }
    /// From the wire value; `None` for anything but 1, 0, −1.
    pub const fn from_i8(v: i8) -> Option<Self> {
        match v {
            1 => Some(Self::In),
            0 => Some(Self::Stop),
            -1 => Some(Self::Out),
            _ => None,
        }
    }
}

/// Centering target of 0x08 (`u8 center_pos`). Only [`CenterPosition::Center`] (1) is documented
/// for every firmware; 2–4 come from the 2025 SDK document.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum CenterPosition {
    /// 1: center.
    Center,
    /// 2: center, then look down.
    CenterDown,
    /// 3: center (2025 doc).
    Center3,
    /// 4: look down (2025 doc).
    Down,
    /// Any other value.
    Other(u8),
}

impl CenterPosition {
    /// From the wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Center,
            2 => Self::CenterDown,
            3 => Self::Center3,
            4 => Self::Down,
            v => Self::Other(v),
        }
    }
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Center => 1,
            Self::CenterDown => 2,
            Self::Center3 => 3,
            Self::Down => 4,
            Self::Other(v) => v,
        }
    }
}

/// Function of a 0x0C frame (`u8 func_type`). The camera never acknowledges 0x0C.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum FunctionType {
    /// 0: take a photo (outcome may arrive as a 0x0B push).
    TakePhoto,
    /// 1: HDR toggle (not supported by the A8 mini).
    HdrToggle,
    /// 2: start/stop recording — a **toggle**; decide from a fresh 0x0A `record_sta` first.
    RecordToggle,
    /// 3: gimbal motion mode lock.
    LockMode,
    /// 4: gimbal motion mode follow.
    FollowMode,
    /// 5: gimbal motion mode FPV.
    FpvMode,
    /// 6: video output HDMI (A8 mini; takes effect after reboot).
    VideoOutHdmi,
    /// 7: video output CVBS (A8 mini; takes effect after reboot).
    VideoOutCvbs,
    /// 8: video output HDMI and CVBS off (A8 mini; takes effect after reboot).
    VideoOutOff,
    /// 9: tilt down (2025 doc).
    TiltDown,
    /// 10: zoom linkage (ZT30/ZT6).
    ZoomLinkage,
    /// Any other value.
    Other(u8),
}

impl FunctionType {
    /// From the wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::TakePhoto,
            1 => Self::HdrToggle,
            2 => Self::RecordToggle,
            3 => Self::LockMode,
            4 => Self::FollowMode,
            5 => Self::FpvMode,
            6 => Self::VideoOutHdmi,
            7 => Self::VideoOutCvbs,
            8 => Self::VideoOutOff,
            9 => Self::TiltDown,
            10 => Self::ZoomLinkage,
            v => Self::Other(v),
        }
    }
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::TakePhoto => 0,
            Self::HdrToggle => 1,
            Self::RecordToggle => 2,
            Self::LockMode => 3,
            Self::FollowMode => 4,
            Self::FpvMode => 5,
            Self::VideoOutHdmi => 6,
            Self::VideoOutCvbs => 7,
            Self::VideoOutOff => 8,
            Self::TiltDown => 9,
            Self::ZoomLinkage => 10,
            Self::Other(v) => v,
        }
    }
}

/// Data stream selected by 0x25 (`u8 data_type`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum DataStreamType {
    /// 1: attitude, delivered as 0x0D frames.
    Attitude,
    /// 2: laser range (0x15).
    Laser,
    /// 3: magnetic encoder angles (0x26).
    MagneticEncoder,
    /// 4: motor voltage (0x2A).
    MotorVoltage,
    /// Any other value.
    Other(u8),
}

impl DataStreamType {
    /// From the wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Attitude,
            2 => Self::Laser,
            3 => Self::MagneticEncoder,
            4 => Self::MotorVoltage,
            v => Self::Other(v),
        }
    }
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Attitude => 1,
            Self::Laser => 2,
            Self::MagneticEncoder => 3,
            Self::MotorVoltage => 4,
            Self::Other(v) => v,
        }
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

/// A request: a command the host sends to the camera.
///
/// Queries carry no payload. Every variant names the wire layout and units of its fields.
#[derive(Clone, PartialEq, Debug, serde::Serialize)]
#[non_exhaustive]
pub enum Request {
    /// 0x00 TCP heartbeat: payload one byte `00`. Only needed on TCP.
    TcpHeartbeat,
    /// 0x01 firmware version query.
    FirmwareVersion,
    /// 0x02 hardware id query.
    HardwareId,
    /// 0x05 manual zoom: `i8` 1 in, 0 stop, −1 out. Must be re-sent while held.
    ManualZoom(ZoomDirection),
    /// 0x07 gimbal rotation: `i8 turn_yaw, i8 turn_pitch`, each a speed −100…100 (0 = stop).
    GimbalRotation {
        /// Yaw speed −100…100; positive turns right (field evidence, unverified on hardware).
        yaw_speed: i8,
        /// Pitch speed −100…100; positive pitches up.
        pitch_speed: i8,
    },
    /// 0x08 one-key centering: `u8 center_pos`.
    Center(CenterPosition),
    /// 0x0A camera system information query.
    CameraSystemInfo,
    /// 0x0C photo / record toggle / mode: `u8 func_type`. Never acknowledged.
    Function(FunctionType),
    /// 0x0D gimbal attitude query.
    Attitude,
    /// 0x0E set gimbal angles: `i16 yaw, i16 pitch`, tenths of a degree (A8 mini: yaw
    /// −135.0…+135.0 with positive = left, pitch −90.0…+25.0).
    SetAngles {
        /// Target yaw, tenths of a degree, positive = left.
        yaw: Decidegrees,
        /// Target pitch, tenths of a degree, positive = up.
        pitch: Decidegrees,
    },
    /// 0x0F absolute zoom: `u8 int (1…30), u8 tenths (0…9)`.
    AbsoluteZoom(Zoom),
    /// 0x16 maximum zoom query.
    MaxZoom,
    /// 0x18 current zoom query.
    CurrentZoom,
    /// 0x19 gimbal motion mode query.
    GimbalMode,
    /// 0x20 get encoding parameters of a stream: `u8 stream`.
    GetEncoding(StreamType),
    /// 0x21 set encoding parameters: `u8 stream, u8 codec, u16 width_px, u16 height_px,
    /// u16 bitrate_kbps, u8 reserved`.
    SetEncoding {
        /// Which stream (the recording stream's codec cannot be changed).
        stream: StreamType,
        /// Codec (a change needs a camera power cycle).
        codec: VideoCodec,
        /// Width in pixels.
        width_px: u16,
        /// Height in pixels.
        height_px: u16,
        /// Bitrate in kbit/s.
        bitrate_kbps: u16,
        /// Reserved byte (kept for exact re-encoding).
        reserved: u8,
    },
    /// 0x22 aircraft attitude: `u32 time_boot_ms, f32 roll, pitch, yaw (rad), f32 rollspeed,
    /// pitchspeed, yawspeed (rad/s)`, NED.
    AircraftAttitude {
        /// Autopilot time since boot, milliseconds.
        time_boot_ms: u32,
        /// Roll, radians.
        roll_rad: f32,
        /// Pitch, radians.
        pitch_rad: f32,
        /// Yaw, radians.
        yaw_rad: f32,
        /// Roll rate, rad/s.
        roll_rate_rad_s: f32,
        /// Pitch rate, rad/s.
        pitch_rate_rad_s: f32,
        /// Yaw rate, rad/s.
        yaw_rate_rad_s: f32,
    },
    /// 0x25 request a data stream: `u8 data_type, u8 freq`.
    DataStream {
        /// What to stream.
        data_type: DataStreamType,
        /// How often.
        freq: StreamFrequency,
    },
    /// 0x30 set UTC time: `u64` microseconds since the Unix epoch.
    SetUtcTime {
        /// Microseconds since 1970-01-01T00:00:00Z.
        unix_time_us: u64,
    },
    /// 0x3E raw GPS (for photo EXIF): `u32 time_boot_ms, i32 lat_degE7, i32 lon_degE7,
    /// i32 alt_msl_cm, i32 alt_ellipsoid_cm, i32 vn_mm_s, i32 ve_mm_s, i32 vd_mm_s` (32 bytes).
    RawGps {
        /// Autopilot time since boot, milliseconds.
        time_boot_ms: u32,
        /// Latitude, degrees × 10⁷.
        lat_deg_e7: i32,
        /// Longitude, degrees × 10⁷.
        lon_deg_e7: i32,
        /// Altitude above mean sea level, centimetres.
        alt_msl_cm: i32,
        /// Altitude above the WGS-84 ellipsoid, centimetres.
        alt_ellipsoid_cm: i32,
        /// North velocity, mm/s.
        vn_mm_s: i32,
        /// East velocity, mm/s.
        ve_mm_s: i32,
        /// Down velocity, mm/s.
        vd_mm_s: i32,
    },
    /// 0x41 single-axis attitude: `i16 angle (tenths of a degree), u8 axis (0 yaw, 1 pitch)`.
    /// The A8 mini answers with a 0x0E frame.
    SingleAxis {
        /// Target angle, tenths of a degree.
        angle: Decidegrees,
        /// Axis: 0 yaw, 1 pitch.
        axis: u8,
    },
    /// 0x48 format the SD card (no reply from the A8 mini).
    FormatSd,
    /// 0x80 soft reboot: `u8 camera_reboot, u8 gimbal_reset` (1 = do it).
    SoftReboot {
        /// Reboot the camera.
        camera: bool,
        /// Reset the gimbal.
        gimbal: bool,
    },
    /// Any other command, kept as raw bytes.
    Unknown {
        /// Command id.
        cmd: CmdId,
        /// Raw payload.
        payload: Vec<u8>,
    },
}

impl Request {
    /// The command id of this request.
    pub fn cmd_id(&self) -> CmdId {
        match self {
            Self::TcpHeartbeat => CmdId::TCP_HEARTBEAT,
            Self::FirmwareVersion => CmdId::FIRMWARE_VERSION,
            Self::HardwareId => CmdId::HARDWARE_ID,
            Self::ManualZoom(_) => CmdId::MANUAL_ZOOM,
            Self::GimbalRotation { .. } => CmdId::GIMBAL_ROTATION,
            Self::Center(_) => CmdId::CENTER,
            Self::CameraSystemInfo => CmdId::CAMERA_SYSTEM_INFO,
            Self::Function(_) => CmdId::FUNCTION,
            Self::Attitude => CmdId::ATTITUDE,
            Self::SetAngles { .. } => CmdId::SET_ANGLES,
            Self::AbsoluteZoom(_) => CmdId::ABSOLUTE_ZOOM,
            Self::MaxZoom => CmdId::MAX_ZOOM,
            Self::CurrentZoom => CmdId::CURRENT_ZOOM,
            Self::GimbalMode => CmdId::GIMBAL_MODE,
            Self::GetEncoding(_) => CmdId::GET_ENCODING,
            Self::SetEncoding { .. } => CmdId::SET_ENCODING,
            Self::AircraftAttitude { .. } => CmdId::AIRCRAFT_ATTITUDE,
            Self::DataStream { .. } => CmdId::DATA_STREAM,
            Self::SetUtcTime { .. } => CmdId::SET_UTC_TIME,
            Self::RawGps { .. } => CmdId::RAW_GPS,
            Self::SingleAxis { .. } => CmdId::SINGLE_AXIS,
            Self::FormatSd => CmdId::FORMAT_SD,
            Self::SoftReboot { .. } => CmdId::SOFT_REBOOT,
            Self::Unknown { cmd, .. } => *cmd,
        }
    }

    /// Whether the camera is expected to answer this request with a frame of the same command id
    /// (0x00 and 0x0C are never answered; 0x3E, 0x22 and 0x48 get no reply from the A8 mini;
    /// 0x41 is answered with 0x0E).
    pub fn expects_reply(&self) -> bool {
        !matches!(
            self,
            Self::TcpHeartbeat
                | Self::Function(_)
                | Self::AircraftAttitude { .. }
                | Self::RawGps { .. }
                | Self::FormatSd
                | Self::SingleAxis { .. }
                | Self::Unknown { .. }
        )
    }

    /// Appends the payload (DATA) bytes to `out`.
    pub fn encode_payload(&self, out: &mut Vec<u8>) {
        match self {
            Self::TcpHeartbeat => out.push(0),
            Self::FirmwareVersion
            | Self::HardwareId
            | Self::CameraSystemInfo
            | Self::Attitude
            | Self::MaxZoom
            | Self::CurrentZoom
            | Self::GimbalMode
            | Self::FormatSd => {}
            Self::ManualZoom(dir) => out.push(dir.to_i8() as u8),
            Self::GimbalRotation {
                yaw_speed,
                pitch_speed,
            } => {
                out.extend_from_slice(&[*yaw_speed as u8, *pitch_speed as u8]);
            }
            Self::Center(pos) => out.push(pos.to_u8()),
            Self::Function(func) => out.push(func.to_u8()),
            Self::SetAngles { yaw, pitch } => {
                out.extend_from_slice(&yaw.0.to_le_bytes());
                out.extend_from_slice(&pitch.0.to_le_bytes());
            }
            Self::AbsoluteZoom(zoom) => out.extend_from_slice(&[zoom.int, zoom.tenths]),
            Self::GetEncoding(stream) => out.push(stream.to_u8()),
            Self::SetEncoding {
                stream,
                codec,
                width_px,
                height_px,
                bitrate_kbps,
                reserved,
            } => {
                out.push(stream.to_u8());
                out.push(codec.to_u8());
                out.extend_from_slice(&width_px.to_le_bytes());
                out.extend_from_slice(&height_px.to_le_bytes());
                out.extend_from_slice(&bitrate_kbps.to_le_bytes());
                out.push(*reserved);
            }
            Self::AircraftAttitude {
                time_boot_ms,
                roll_rad,
                pitch_rad,
                yaw_rad,
                roll_rate_rad_s,
                pitch_rate_rad_s,
                yaw_rate_rad_s,
            } => {
                out.extend_from_slice(&time_boot_ms.to_le_bytes());
                for v in [
                    roll_rad,
                    pitch_rad,
                    yaw_rad,
                    roll_rate_rad_s,
                    pitch_rate_rad_s,
                    yaw_rate_rad_s,
                ] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Self::DataStream { data_type, freq } => {
                out.extend_from_slice(&[data_type.to_u8(), freq.0])
            }
            Self::SetUtcTime { unix_time_us } => out.extend_from_slice(&unix_time_us.to_le_bytes()),
            Self::RawGps {
                time_boot_ms,
                lat_deg_e7,
                lon_deg_e7,
                alt_msl_cm,
                alt_ellipsoid_cm,
                vn_mm_s,
                ve_mm_s,
                vd_mm_s,
            } => {
                out.extend_from_slice(&time_boot_ms.to_le_bytes());
                for v in [
                    lat_deg_e7,
                    lon_deg_e7,
                    alt_msl_cm,
                    alt_ellipsoid_cm,
                    vn_mm_s,
                    ve_mm_s,
                    vd_mm_s,
                ] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Self::SingleAxis { angle, axis } => {
                out.extend_from_slice(&angle.0.to_le_bytes());
                out.push(*axis);
            }
            Self::SoftReboot { camera, gimbal } => {
                out.extend_from_slice(&[u8::from(*camera), u8::from(*gimbal)])
            }
            Self::Unknown { payload, .. } => out.extend_from_slice(payload),
        }
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

    /// Decodes a request payload (what a camera or simulator receives). Payloads longer than the
    /// known layout are accepted and the extra bytes ignored.
    pub fn decode(cmd: CmdId, payload: &[u8]) -> Result<Self, PayloadError> {
        let invalid = |field, value: i64| PayloadError::InvalidValue { cmd, field, value };
        let req = match cmd {
            CmdId::TCP_HEARTBEAT => Self::TcpHeartbeat,
            CmdId::FIRMWARE_VERSION => Self::FirmwareVersion,
            CmdId::HARDWARE_ID => Self::HardwareId,
            CmdId::MANUAL_ZOOM => {
                let v = Reader::new(cmd, payload, 1)?.i8();
                Self::ManualZoom(ZoomDirection::from_i8(v).ok_or(invalid("zoom", i64::from(v)))?)
            }
            CmdId::GIMBAL_ROTATION => {
                let mut r = Reader::new(cmd, payload, 2)?;
                Self::GimbalRotation {
                    yaw_speed: r.i8(),
                    pitch_speed: r.i8(),
                }
            }
            CmdId::CENTER => {
                Self::Center(CenterPosition::from_u8(Reader::new(cmd, payload, 1)?.u8()))
            }
            CmdId::CAMERA_SYSTEM_INFO => Self::CameraSystemInfo,
            CmdId::FUNCTION => {
                Self::Function(FunctionType::from_u8(Reader::new(cmd, payload, 1)?.u8()))
            }
            CmdId::ATTITUDE => Self::Attitude,
            CmdId::SET_ANGLES => {
                let mut r = Reader::new(cmd, payload, 4)?;
                Self::SetAngles {
                    yaw: Decidegrees(r.i16()),
                    pitch: Decidegrees(r.i16()),
                }
            }
            CmdId::ABSOLUTE_ZOOM => {
                let mut r = Reader::new(cmd, payload, 2)?;
                Self::AbsoluteZoom(Zoom {
                    int: r.u8(),
                    tenths: r.u8(),
                })
            }
            CmdId::MAX_ZOOM => Self::MaxZoom,
            CmdId::CURRENT_ZOOM => Self::CurrentZoom,
            CmdId::GIMBAL_MODE => Self::GimbalMode,
            CmdId::GET_ENCODING => {
                Self::GetEncoding(StreamType::from_u8(Reader::new(cmd, payload, 1)?.u8()))
            }
            CmdId::SET_ENCODING => {
                let mut r = Reader::new(cmd, payload, 9)?;
                Self::SetEncoding {
                    stream: StreamType::from_u8(r.u8()),
                    codec: VideoCodec::from_u8(r.u8()),
                    width_px: r.u16(),
                    height_px: r.u16(),
                    bitrate_kbps: r.u16(),
                    reserved: r.u8(),
                }
            }
            CmdId::AIRCRAFT_ATTITUDE => {
                let mut r = Reader::new(cmd, payload, 28)?;
                Self::AircraftAttitude {
                    time_boot_ms: r.u32(),
                    roll_rad: r.f32(),
                    pitch_rad: r.f32(),
                    yaw_rad: r.f32(),
                    roll_rate_rad_s: r.f32(),
                    pitch_rate_rad_s: r.f32(),
                    yaw_rate_rad_s: r.f32(),
                }
            }
            CmdId::DATA_STREAM => {
                let mut r = Reader::new(cmd, payload, 2)?;
                Self::DataStream {
                    data_type: DataStreamType::from_u8(r.u8()),
                    freq: StreamFrequency(r.u8()),
                }
            }
            CmdId::SET_UTC_TIME => Self::SetUtcTime {
                unix_time_us: Reader::new(cmd, payload, 8)?.u64(),
            },
            CmdId::RAW_GPS => {
                let mut r = Reader::new(cmd, payload, 32)?;
                Self::RawGps {
                    time_boot_ms: r.u32(),
                    lat_deg_e7: r.i32(),
                    lon_deg_e7: r.i32(),
                    alt_msl_cm: r.i32(),
                    alt_ellipsoid_cm: r.i32(),
                    vn_mm_s: r.i32(),
                    ve_mm_s: r.i32(),
                    vd_mm_s: r.i32(),
                }
            }
            CmdId::SINGLE_AXIS => {
                let mut r = Reader::new(cmd, payload, 3)?;
                Self::SingleAxis {
                    angle: Decidegrees(r.i16()),
                    axis: r.u8(),
                }
            }
            CmdId::FORMAT_SD => Self::FormatSd,
            CmdId::SOFT_REBOOT => {
                let mut r = Reader::new(cmd, payload, 2)?;
                let (c, g) = (r.u8(), r.u8());
                let flag = |field, v: u8| match v {
                    0 => Ok(false),
                    1 => Ok(true),
                    v => Err(invalid(field, i64::from(v))),
                };
                Self::SoftReboot {
                    camera: flag("camera_reboot", c)?,
                    gimbal: flag("gimbal_reset", g)?,
                }
            }
            _ => Self::Unknown {
                cmd,
                payload: payload.to_vec(),
            },
        };
        Ok(req)
    }

    /// Decodes the request carried by `frame`.
    pub fn from_frame(frame: &Frame) -> Result<Self, PayloadError> {
        Self::decode(frame.cmd, frame.payload())
    }
}
