//! Replies: frames the camera sends to the host (CTRL 0x02), answers and pushes.
//!
//! Replies are parsed by **minimum length**: newer firmware appends fields, and the extra bytes
//! are ignored (the A8 mini's 8-byte 0x01 and 7-byte 0x0A replies parse, and so do the 12-byte
//! 0x01 and 8-byte 0x0A replies of other models). A payload shorter than the minimum is a
//! [`PayloadError::TooShort`].

use crate::frame::{Ctrl, Frame};
use crate::model::HardwareId;
use crate::units::{
    Decidegrees, DecidegreesPerSecond, FirmwareVersion, StreamType, VideoCodec, Zoom,
};
use crate::wire::Reader;
use crate::{CmdId, PayloadError};

/// Recording state, 0x0A byte 3 `record_sta`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum RecordState {
    /// 0: not recording.
    NotRecording,
    /// 1: recording.
    Recording,
    /// 2: no TF (SD) card.
    NoCard,
    /// 3: TF card data loss.
    DataLoss,
    /// Any other value.
    Other(u8),
}

impl RecordState {
    /// From the wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::NotRecording,
            1 => Self::Recording,
            2 => Self::NoCard,
            3 => Self::DataLoss,
            v => Self::Other(v),
        }
    }
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::NotRecording => 0,
            Self::Recording => 1,
            Self::NoCard => 2,
            Self::DataLoss => 3,
            Self::Other(v) => v,
        }
    }
}

/// Gimbal motion mode, 0x0A byte 4 and the 0x19 reply.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum MotionMode {
    /// 0: lock (the camera holds its heading when the vehicle turns).
    Lock,
    /// 1: follow (the camera yaws with the vehicle).
    Follow,
    /// 2: FPV (the camera follows yaw and roll).
    Fpv,
    /// Any other value.
    Other(u8),
}

impl MotionMode {
    /// From the wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Lock,
            1 => Self::Follow,
            2 => Self::Fpv,
            v => Self::Other(v),
        }
    }
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Lock => 0,
            Self::Follow => 1,
            Self::Fpv => 2,
            Self::Other(v) => v,
        }
    }
}

/// Mounting direction, 0x0A byte 5.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum MountingDirection {
    /// 0: reserved.
    Reserved,
    /// 1: normal.
    Normal,
    /// 2: upside down.
    UpsideDown,
    /// Any other value.
    Other(u8),
}

impl MountingDirection {
    /// From the wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Reserved,
            1 => Self::Normal,
            2 => Self::UpsideDown,
            v => Self::Other(v),
        }
    }
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Reserved => 0,
            Self::Normal => 1,
            Self::UpsideDown => 2,
            Self::Other(v) => v,
        }
    }
}

/// Function feedback code, the 0x0B push (`u8 info_type`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum FeedbackCode {
    /// 0: photo taken.
    PhotoOk,
    /// 1: photo failed (TF card missing or full?).
    PhotoFailed,
    /// 2: HDR on.
    HdrOn,
    /// 3: HDR off.
    HdrOff,
    /// 4: recording failed (TF card?).
    RecordFailed,
    /// 5: recording started (2025 doc only).
    RecordStarted,
    /// 6: recording stopped (2025 doc only).
    RecordStopped,
    /// Any other value.
    Other(u8),
}

impl FeedbackCode {
    /// From the wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::PhotoOk,
            1 => Self::PhotoFailed,
            2 => Self::HdrOn,
            3 => Self::HdrOff,
            4 => Self::RecordFailed,
            5 => Self::RecordStarted,
            6 => Self::RecordStopped,
            v => Self::Other(v),
        }
    }
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::PhotoOk => 0,
            Self::PhotoFailed => 1,
            Self::HdrOn => 2,
            Self::HdrOff => 3,
            Self::RecordFailed => 4,
            Self::RecordStarted => 5,
            Self::RecordStopped => 6,
            Self::Other(v) => v,
        }
    }
}

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

/// Gimbal attitude, the 0x0D reply and the 0x25 attitude stream: `i16 yaw, pitch, roll` in tenths
/// of a degree, `i16 yaw_rate, pitch_rate, roll_rate` in tenths of a degree per second.
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

/// Stream encoding parameters, the 0x20 reply: `u8 stream, u8 codec, u16 width_px, u16 height_px,
/// u16 bitrate_kbps, u8 framerate_fps` (9 bytes).
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
    /// Frame rate in frames per second (older documents call this byte "reserved").
    pub framerate_fps: u8,
}

/// A reply or push from the camera.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
#[non_exhaustive]
pub enum Reply {
    /// 0x01 firmware versions: `u32 camera, u32 gimbal[, u32 zoom]` (A8 mini: 8 bytes, no zoom word).
    FirmwareVersion {
        /// Camera firmware (0.0.0 for 20–30 s after power-up).
        camera: FirmwareVersion,
        /// Gimbal firmware.
        gimbal: FirmwareVersion,
        /// Zoom firmware (ZR10/ZT30 only).
        zoom: Option<FirmwareVersion>,
    },
    /// 0x02 hardware id: 12 ASCII bytes.
    HardwareId(HardwareId),
    /// 0x05 manual zoom ACK: `u16` current zoom in tenths (A8 mini: 10…60).
    ManualZoom {
        /// Current zoom factor × 10.
        zoom_tenths: u16,
    },
    /// 0x07 gimbal rotation ACK: `u8 sta` (1 ok, 0 error).
    GimbalRotation {
        /// 1 = ok.
        status: u8,
    },
    /// 0x08 centering ACK: `u8 sta` (1 ok).
    Center {
        /// 1 = ok.
        status: u8,
    },
    /// 0x0A camera system information.
    CameraSystemInfo(SystemInfo),
    /// 0x0B function feedback push.
    FunctionFeedback(FeedbackCode),
    /// 0x0D gimbal attitude.
    Attitude(Attitude),
    /// 0x0E set-angles ACK: current `i16 yaw, pitch, roll`, tenths of a degree.
    SetAngles {
        /// Current yaw, tenths of a degree, positive = left.
        yaw: Decidegrees,
        /// Current pitch, tenths of a degree.
        pitch: Decidegrees,
        /// Current roll, tenths of a degree.
        roll: Decidegrees,
    },
    /// 0x0F absolute zoom ACK: `u8` 1 = success.
    AbsoluteZoom {
        /// 1 = success.
        status: u8,
    },
    /// 0x16 maximum zoom: `u8 int, u8 tenths` (A8 mini: 6.0×).
    MaxZoom(Zoom),
    /// 0x18 current zoom: `u8 int, u8 tenths`.
    CurrentZoom(Zoom),
    /// 0x19 gimbal motion mode: `u8`.
    GimbalMode(MotionMode),
    /// 0x20 stream encoding parameters.
    Encoding(EncodingParams),
    /// 0x21 set-encoding ACK: `u8 stream, u8 sta` (1 ok).
    SetEncoding {
        /// Which stream.
        stream: StreamType,
        /// 1 = ok.
        status: u8,
    },
    /// 0x25 data-stream ACK: `u8 data_type`.
    DataStream {
        /// The stream type acknowledged (1 attitude, 2 laser, 3 encoder, 4 motor voltage).
        data_type: u8,
    },
    /// 0x30 set-UTC-time ACK: `i8` 1 ok / 0 invalid.
    SetUtcTime {
        /// 1 = ok.
        status: i8,
    },
    /// 0x41 single-axis attitude ACK: `i16 yaw, pitch, roll`, tenths of a degree (the A8 mini
    /// answers 0x41 with a 0x0E frame instead).
    SingleAxis {
        /// Current yaw, tenths of a degree.
        yaw: Decidegrees,
        /// Current pitch, tenths of a degree.
        pitch: Decidegrees,
        /// Current roll, tenths of a degree.
        roll: Decidegrees,
    },
    /// 0x48 format-SD ACK: `u8 sta`.
    FormatSd {
        /// 1 = ok.
        status: u8,
    },
    /// 0x80 soft-reboot ACK: `u8 camera_reboot_sta, u8 gimbal_reset_sta`.
    SoftReboot {
        /// Camera reboot status (1 = rebooting).
        camera: u8,
        /// Gimbal reset status (1 = resetting).
        gimbal: u8,
    },
    /// Any other command id, kept as raw bytes.
    Unknown {
        /// Command id.
        cmd: CmdId,
        /// Raw payload.
        payload: Vec<u8>,
    },
}

impl Reply {
    /// The command id of this reply.
    pub fn cmd_id(&self) -> CmdId {
        match self {
            Self::FirmwareVersion { .. } => CmdId::FIRMWARE_VERSION,
            Self::HardwareId(_) => CmdId::HARDWARE_ID,
            Self::ManualZoom { .. } => CmdId::MANUAL_ZOOM,
            Self::GimbalRotation { .. } => CmdId::GIMBAL_ROTATION,
            Self::Center { .. } => CmdId::CENTER,
            Self::CameraSystemInfo(_) => CmdId::CAMERA_SYSTEM_INFO,
            Self::FunctionFeedback(_) => CmdId::FUNCTION_FEEDBACK,
            Self::Attitude(_) => CmdId::ATTITUDE,
            Self::SetAngles { .. } => CmdId::SET_ANGLES,
            Self::AbsoluteZoom { .. } => CmdId::ABSOLUTE_ZOOM,
            Self::MaxZoom(_) => CmdId::MAX_ZOOM,
            Self::CurrentZoom(_) => CmdId::CURRENT_ZOOM,
            Self::GimbalMode(_) => CmdId::GIMBAL_MODE,
            Self::Encoding(_) => CmdId::GET_ENCODING,
            Self::SetEncoding { .. } => CmdId::SET_ENCODING,
            Self::DataStream { .. } => CmdId::DATA_STREAM,
            Self::SetUtcTime { .. } => CmdId::SET_UTC_TIME,
            Self::SingleAxis { .. } => CmdId::SINGLE_AXIS,
            Self::FormatSd { .. } => CmdId::FORMAT_SD,
            Self::SoftReboot { .. } => CmdId::SOFT_REBOOT,
            Self::Unknown { cmd, .. } => *cmd,
        }
    }

    /// Decodes a reply payload by command id. Unknown ids give [`Reply::Unknown`]; longer payloads
    /// than the known layout are accepted (extra bytes ignored); shorter ones are an error.
    pub fn decode(cmd: CmdId, payload: &[u8]) -> Result<Self, PayloadError> {
        let reply = match cmd {
            CmdId::FIRMWARE_VERSION => {
                let mut r = Reader::new(cmd, payload, 8)?;
                let camera = FirmwareVersion(r.u32());
                let gimbal = FirmwareVersion(r.u32());
                let zoom = (r.remaining() >= 4).then(|| FirmwareVersion(r.u32()));
                Self::FirmwareVersion {
                    camera,
                    gimbal,
                    zoom,
                }
            }
            CmdId::HARDWARE_ID => {
                // The vendor documents 12 bytes; accept shorter ids that still carry the product
                // code, zero-padded.
                Reader::new(cmd, payload, 2)?;
                let mut raw = [0u8; 12];
                let n = payload.len().min(12);
                raw[..n].copy_from_slice(&payload[..n]);
                Self::HardwareId(HardwareId(raw))
            }
            CmdId::MANUAL_ZOOM => Self::ManualZoom {
                zoom_tenths: Reader::new(cmd, payload, 2)?.u16(),
            },
            CmdId::GIMBAL_ROTATION => Self::GimbalRotation {
                status: Reader::new(cmd, payload, 1)?.u8(),
            },
            CmdId::CENTER => Self::Center {
                status: Reader::new(cmd, payload, 1)?.u8(),
            },
            CmdId::CAMERA_SYSTEM_INFO => {
                let mut r = Reader::new(cmd, payload, 4)?;
                let reserved0 = r.u8();
                let hdr_sta = r.u8();
                let reserved2 = r.u8();
                let record_sta = RecordState::from_u8(r.u8());
                let motion_mode = (r.remaining() >= 1).then(|| MotionMode::from_u8(r.u8()));
                let mounting_dir = (r.remaining() >= 1).then(|| MountingDirection::from_u8(r.u8()));
                let video_output = (r.remaining() >= 1).then(|| r.u8());
                let zoom_linkage = (r.remaining() >= 1).then(|| r.u8());
                Self::CameraSystemInfo(SystemInfo {
                    reserved0,
                    hdr_sta,
                    reserved2,
                    record_sta,
                    motion_mode,
                    mounting_dir,
                    video_output,
                    zoom_linkage,
                })
            }
            CmdId::FUNCTION_FEEDBACK => {
                Self::FunctionFeedback(FeedbackCode::from_u8(Reader::new(cmd, payload, 1)?.u8()))
            }
            CmdId::ATTITUDE => {
                let mut r = Reader::new(cmd, payload, 12)?;
                Self::Attitude(Attitude {
                    yaw: Decidegrees(r.i16()),
                    pitch: Decidegrees(r.i16()),
                    roll: Decidegrees(r.i16()),
                    yaw_rate: DecidegreesPerSecond(r.i16()),
                    pitch_rate: DecidegreesPerSecond(r.i16()),
                    roll_rate: DecidegreesPerSecond(r.i16()),
                })
            }
            CmdId::SET_ANGLES | CmdId::SINGLE_AXIS => {
                let mut r = Reader::new(cmd, payload, 6)?;
                let (yaw, pitch, roll) = (
                    Decidegrees(r.i16()),
                    Decidegrees(r.i16()),
                    Decidegrees(r.i16()),
                );
                if cmd == CmdId::SET_ANGLES {
                    Self::SetAngles { yaw, pitch, roll }
                } else {
                    Self::SingleAxis { yaw, pitch, roll }
                }
            }
            CmdId::ABSOLUTE_ZOOM => Self::AbsoluteZoom {
                status: Reader::new(cmd, payload, 1)?.u8(),
            },
            CmdId::MAX_ZOOM | CmdId::CURRENT_ZOOM => {
                let mut r = Reader::new(cmd, payload, 2)?;
                let zoom = Zoom {
                    int: r.u8(),
                    tenths: r.u8(),
                };
                if cmd == CmdId::MAX_ZOOM {
                    Self::MaxZoom(zoom)
                } else {
                    Self::CurrentZoom(zoom)
                }
            }
            CmdId::GIMBAL_MODE => {
                Self::GimbalMode(MotionMode::from_u8(Reader::new(cmd, payload, 1)?.u8()))
            }
            CmdId::GET_ENCODING => {
                let mut r = Reader::new(cmd, payload, 9)?;
                Self::Encoding(EncodingParams {
                    stream: StreamType::from_u8(r.u8()),
                    codec: VideoCodec::from_u8(r.u8()),
                    width_px: r.u16(),
                    height_px: r.u16(),
                    bitrate_kbps: r.u16(),
                    framerate_fps: r.u8(),
                })
            }
            CmdId::SET_ENCODING => {
                let mut r = Reader::new(cmd, payload, 2)?;
                Self::SetEncoding {
                    stream: StreamType::from_u8(r.u8()),
                    status: r.u8(),
                }
            }
            CmdId::DATA_STREAM => Self::DataStream {
                data_type: Reader::new(cmd, payload, 1)?.u8(),
            },
            CmdId::SET_UTC_TIME => Self::SetUtcTime {
                status: Reader::new(cmd, payload, 1)?.i8(),
            },
            CmdId::FORMAT_SD => Self::FormatSd {
                status: Reader::new(cmd, payload, 1)?.u8(),
            },
            CmdId::SOFT_REBOOT => {
                let mut r = Reader::new(cmd, payload, 2)?;
                Self::SoftReboot {
                    camera: r.u8(),
                    gimbal: r.u8(),
                }
            }
            _ => Self::Unknown {
                cmd,
                payload: payload.to_vec(),
            },
        };
        Ok(reply)
    }

    /// Decodes the reply carried by `frame`.
    pub fn from_frame(frame: &Frame) -> Result<Self, PayloadError> {
        Self::decode(frame.cmd, frame.payload())
    }

    /// Appends the payload (DATA) bytes to `out`, in the shortest layout that holds every field
    /// present (so an A8 mini 0x0A reply stays 7 bytes).
    pub fn encode_payload(&self, out: &mut Vec<u8>) {
        match self {
            Self::FirmwareVersion {
                camera,
                gimbal,
                zoom,
            } => {
                out.extend_from_slice(&camera.0.to_le_bytes());
                out.extend_from_slice(&gimbal.0.to_le_bytes());
                if let Some(z) = zoom {
                    out.extend_from_slice(&z.0.to_le_bytes());
                }
            }
            Self::HardwareId(id) => out.extend_from_slice(&id.0),
            Self::ManualZoom { zoom_tenths } => out.extend_from_slice(&zoom_tenths.to_le_bytes()),
            Self::GimbalRotation { status }
            | Self::Center { status }
            | Self::AbsoluteZoom { status }
            | Self::FormatSd { status } => out.push(*status),
            Self::CameraSystemInfo(info) => {
                out.extend_from_slice(&[
                    info.reserved0,
                    info.hdr_sta,
                    info.reserved2,
                    info.record_sta.to_u8(),
                ]);
                let tail = [
                    info.motion_mode.map(MotionMode::to_u8),
                    info.mounting_dir.map(MountingDirection::to_u8),
                    info.video_output,
                    info.zoom_linkage,
                ];
                let present = tail.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
                out.extend(tail[..present].iter().map(|v| v.unwrap_or(0)));
            }
            Self::FunctionFeedback(code) => out.push(code.to_u8()),
            Self::Attitude(a) => {
                for v in [
                    a.yaw.0,
                    a.pitch.0,
                    a.roll.0,
                    a.yaw_rate.0,
                    a.pitch_rate.0,
                    a.roll_rate.0,
                ] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Self::SetAngles { yaw, pitch, roll } | Self::SingleAxis { yaw, pitch, roll } => {
                for v in [yaw.0, pitch.0, roll.0] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Self::MaxZoom(z) | Self::CurrentZoom(z) => out.extend_from_slice(&[z.int, z.tenths]),
            Self::GimbalMode(mode) => out.push(mode.to_u8()),
            Self::Encoding(e) => {
                out.push(e.stream.to_u8());
                out.push(e.codec.to_u8());
                out.extend_from_slice(&e.width_px.to_le_bytes());
                out.extend_from_slice(&e.height_px.to_le_bytes());
                out.extend_from_slice(&e.bitrate_kbps.to_le_bytes());
                out.push(e.framerate_fps);
            }
            Self::SetEncoding { stream, status } => {
                out.extend_from_slice(&[stream.to_u8(), *status])
            }
            Self::DataStream { data_type } => out.push(*data_type),
            Self::SetUtcTime { status } => out.push(*status as u8),
            Self::SoftReboot { camera, gimbal } => out.extend_from_slice(&[*camera, *gimbal]),
            Self::Unknown { payload, .. } => out.extend_from_slice(payload),
        }
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
