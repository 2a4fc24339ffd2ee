//! The camera settings served over PARAM_EXT: their ids, options, where each value is read on
//! the camera and how a new value becomes a camera operation. Plain values and functions; the
//! server with its jobs is [`super`].
//!
//! Every parameter is `MAV_PARAM_EXT_TYPE_UINT32` (a little-endian `u32` in the first 4 bytes
//! of the 128-byte value). The ids, options and ranges are the ones of the camera definition
//! file QGC reads; the values always come from the camera (or, for `CAM_MODE`, from the
//! component's own mode).

use mavlink::dialects::common::{
    CameraMode, MavMessage, MavParamExtType, ParamAck, PARAM_EXT_ACK_DATA, PARAM_EXT_VALUE_DATA,
};
use siyi_protocol::{EncodingParams, MotionMode, StreamType, VideoCodec};

use crate::core::link::{CameraState, Operation};

/// The one PARAM_EXT type of every camera setting.
pub const PARAM_TYPE: MavParamExtType = MavParamExtType::MAV_PARAM_EXT_TYPE_UINT32;

/// Main-stream bitrates any resolution may accept, kbps (the camera takes 2000–4000 at
/// 1920×1080 and 1570–4000 at 1280×720; inside this range it decides).
pub const STREAM_BITRATE_KBPS: std::ops::RangeInclusive<u32> = 1570..=4000;

/// Main-stream resolutions, by option value.
const STREAM_RES: [(u16, u16); 2] = [(1920, 1080), (1280, 720)];

/// Recording resolutions, by option value.
const REC_RES: [(u16, u16); 4] = [(3840, 2160), (2560, 1440), (1920, 1080), (1280, 720)];

/// One camera setting.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Param {
    /// `CAM_MODE`: 0 = Photo, 1 = Video (the component's camera mode).
    CamMode,
    /// `GIMBAL_MODE`: 0 = Lock, 1 = Follow, 2 = FPV (0x0A byte 4; set with 0x0C 3/4/5).
    GimbalMode,
    /// `STREAM_RES`: main stream 0 = 1920×1080, 1 = 1280×720 (0x20/0x21 stream 1).
    StreamRes,
    /// `STREAM_BITRATE`: main stream bitrate, kbps (0x20/0x21 stream 1).
    StreamBitrate,
    /// `STREAM_CODEC`: main stream 1 = H.264, 2 = H.265 (0x20/0x21 stream 1).
    StreamCodec,
    /// `REC_RES`: recording 0 = 3840×2160, 1 = 2560×1440, 2 = 1920×1080, 3 = 1280×720
    /// (0x20/0x21 stream 0).
    RecRes,
}

impl Param {
    /// Every setting, in `param_index` order.
    pub const ALL: [Self; 6] = [
        Self::CamMode,
        Self::GimbalMode,
        Self::StreamRes,
        Self::StreamBitrate,
        Self::StreamCodec,
        Self::RecRes,
    ];

    /// The PARAM_EXT id.
    pub fn id(self) -> &'static str {
        match self {
            Self::CamMode => "CAM_MODE",
            Self::GimbalMode => "GIMBAL_MODE",
            Self::StreamRes => "STREAM_RES",
            Self::StreamBitrate => "STREAM_BITRATE",
            Self::StreamCodec => "STREAM_CODEC",
            Self::RecRes => "REC_RES",
        }
    }

    /// The setting named `id` (exact, case-sensitive as in the definition file).
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Its `param_index` (0-based).
    pub fn index(self) -> u16 {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0) as u16
    }

    /// The setting at `param_index`.
    pub fn at(index: i16) -> Option<Self> {
        usize::try_from(index)
            .ok()
            .and_then(|i| Self::ALL.get(i))
            .copied()
    }

    /// True when `value` is one of the options (or inside the range) of the definition file.
    pub fn allows(self, value: u32) -> bool {
        match self {
            Self::CamMode => value <= 1,
            Self::GimbalMode => value <= 2,
            Self::StreamRes => (value as usize) < STREAM_RES.len(),
            Self::StreamBitrate => STREAM_BITRATE_KBPS.contains(&value),
            Self::StreamCodec => value == 1 || value == 2,
            Self::RecRes => (value as usize) < REC_RES.len(),
        }
    }

    /// The stream whose encoding holds this setting (`None`: not an encoding setting).
    pub fn stream(self) -> Option<StreamType> {
        match self {
            Self::StreamRes | Self::StreamBitrate | Self::StreamCodec => Some(StreamType::Main),
            Self::RecRes => Some(StreamType::Recording),
            Self::CamMode | Self::GimbalMode => None,
        }
    }

    /// `value` in words, for a person ("1280x720", "3000 kbps", "H.265", "Follow").
    pub fn describe(self, value: u32) -> String {
        let res = |table: &[(u16, u16)]| match table.get(value as usize) {
            Some((w, h)) => format!("{w}x{h}"),
            None => format!("option {value}"),
        };
        let named = |names: &[&str]| match names.get(value as usize) {
            Some(n) => (*n).to_owned(),
            None => format!("option {value}"),
        };
        match self {
            Self::CamMode => named(&["Photo", "Video"]),
            Self::GimbalMode => named(&["Lock", "Follow", "FPV"]),
            Self::StreamRes => res(&STREAM_RES),
            Self::RecRes => res(&REC_RES),
            Self::StreamBitrate => format!("{value} kbps"),
            Self::StreamCodec => codec_name(VideoCodec::from_u8(value.min(255) as u8)),
        }
    }
}

/// The value of `param` now: from the camera state (`None` before the camera said it, or when
/// it says something the definition has no option for), `CAM_MODE` from `mode`.
pub fn value(param: Param, mode: CameraMode, state: &CameraState) -> Option<u32> {
    let encoding = |stream| encoding(state, stream);
    let res = |table: &[(u16, u16)], e: EncodingParams| {
        let i = table.iter().position(|r| *r == (e.width_px, e.height_px))?;
        u32::try_from(i).ok()
    };
    match param {
        Param::CamMode => Some(u32::from(mode == CameraMode::CAMERA_MODE_VIDEO)),
        Param::GimbalMode => match state.motion_mode?.value {
            MotionMode::Lock => Some(0),
            MotionMode::Follow => Some(1),
            MotionMode::Fpv => Some(2),
            MotionMode::Other(_) => None,
        },
        Param::StreamRes => res(&STREAM_RES, encoding(StreamType::Main)?),
        Param::RecRes => res(&REC_RES, encoding(StreamType::Recording)?),
        Param::StreamBitrate => Some(u32::from(encoding(StreamType::Main)?.bitrate_kbps)),
        Param::StreamCodec => match encoding(StreamType::Main)?.codec {
            VideoCodec::Other(_) => None,
            c => Some(u32::from(c.to_u8())),
        },
    }
}

/// The encoding of `stream` as last read (`None` before 0x20 answered for it).
pub fn encoding(state: &CameraState, stream: StreamType) -> Option<EncodingParams> {
    let i = match stream {
        StreamType::Recording => 0,
        StreamType::Main => 1,
        StreamType::Sub | StreamType::Other(_) => return None,
    };
    state.encodings.get(i).copied().flatten()
}

/// What setting `param` to `value` asks of the camera.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Change {
    /// The component's own mode: nothing to ask the camera.
    Mode(CameraMode),
    /// A camera operation, confirmed by the camera's read-back.
    Camera(Operation),
}

/// The change that sets `param` to `value` (already checked with [`Param::allows`]); `None`
/// when the camera's current encoding, needed to build 0x21, is not known.
pub fn change(param: Param, value: u32, state: &CameraState) -> Option<Change> {
    let mode = |m| Some(Change::Camera(Operation::SetMotionMode(m)));
    let mut e = param.stream().and_then(|s| encoding(state, s));
    let res = |table: &[(u16, u16)]| table.get(value as usize).copied();
    match (param, e.as_mut()) {
        (Param::CamMode, _) => {
            return Some(Change::Mode(if value == 1 {
                CameraMode::CAMERA_MODE_VIDEO
            } else {
                CameraMode::CAMERA_MODE_IMAGE
            }))
        }
        (Param::GimbalMode, _) => {
            return match value {
                0 => mode(MotionMode::Lock),
                1 => mode(MotionMode::Follow),
                _ => mode(MotionMode::Fpv),
            }
        }
        (Param::StreamRes | Param::RecRes, Some(e)) => {
            let table: &[(u16, u16)] = if param == Param::RecRes {
                &REC_RES
            } else {
                &STREAM_RES
            };
            (e.width_px, e.height_px) = res(table)?;
        }
        (Param::StreamBitrate, Some(e)) => e.bitrate_kbps = u16::try_from(value).ok()?,
        (Param::StreamCodec, Some(e)) => e.codec = VideoCodec::from_u8(value as u8),
        (_, None) => return None,
    }
    e.map(|e| Change::Camera(Operation::SetEncoding(e)))
}

/// An encoding in words: "main stream 1920x1080 H.265 4000 kbps".
pub fn describe_encoding(e: &EncodingParams) -> String {
    let stream = match e.stream {
        StreamType::Recording => "recording",
        StreamType::Main => "main stream",
        StreamType::Sub => "sub stream",
        StreamType::Other(_) => "stream",
    };
    format!(
        "{stream} {}x{} {} {} kbps",
        e.width_px,
        e.height_px,
        codec_name(e.codec),
        e.bitrate_kbps
    )
}

fn codec_name(codec: VideoCodec) -> String {
    match codec {
        VideoCodec::H264 => "H.264".to_owned(),
        VideoCodec::H265 => "H.265".to_owned(),
        VideoCodec::Other(n) => format!("codec {n}"),
    }
}

/// The 128-byte PARAM_EXT value holding `value` (`None`: all zero, "no value").
fn bytes(value: Option<u32>) -> [u8; 128] {
    let mut b = [0u8; 128];
    if let Some(v) = value {
        b[..4].copy_from_slice(&v.to_le_bytes());
    }
    b
}

/// The `u32` in a PARAM_EXT value (its first 4 bytes, little-endian).
pub fn decode(raw: &[u8; 128]) -> u32 {
    u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])
}

/// PARAM_EXT_VALUE of `param` = `value`.
pub fn value_message(param: Param, value: u32) -> MavMessage {
    MavMessage::PARAM_EXT_VALUE(PARAM_EXT_VALUE_DATA {
        param_count: Param::ALL.len() as u16,
        param_index: param.index(),
        param_id: param.id().into(),
        param_value: bytes(Some(value)).into(),
        param_type: PARAM_TYPE,
    })
}

/// PARAM_EXT_ACK for the parameter `id` with `result`, carrying `value` (the new value when
/// accepted, the current one otherwise; all zero when the camera's value is not known).
pub fn ack_message(
    id: &str,
    param_type: MavParamExtType,
    value: Option<u32>,
    result: ParamAck,
) -> MavMessage {
    MavMessage::PARAM_EXT_ACK(PARAM_EXT_ACK_DATA {
        param_id: id.into(),
        param_value: bytes(value).into(),
        param_type,
        param_result: result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_indices_round_trip() {
        for p in Param::ALL {
            assert_eq!(Param::from_id(p.id()), Some(p));
            assert_eq!(Param::at(p.index() as i16), Some(p));
            assert!(p.id().len() <= 16);
        }
        assert_eq!(Param::from_id("cam_mode"), None);
        assert_eq!(Param::at(6), None);
        assert_eq!(Param::at(-1), None);
    }

    #[test]
    fn options_and_range_are_the_definition_files() {
        assert!(Param::StreamBitrate.allows(1570) && Param::StreamBitrate.allows(4000));
        assert!(!Param::StreamBitrate.allows(1569) && !Param::StreamBitrate.allows(4001));
        assert!(Param::StreamCodec.allows(1) && Param::StreamCodec.allows(2));
        assert!(!Param::StreamCodec.allows(0) && !Param::StreamCodec.allows(3));
        assert!(Param::RecRes.allows(3) && !Param::RecRes.allows(4));
        assert!(Param::GimbalMode.allows(2) && !Param::GimbalMode.allows(3));
        assert!(Param::CamMode.allows(1) && !Param::CamMode.allows(2));
        assert!(Param::StreamRes.allows(1) && !Param::StreamRes.allows(2));
    }

    #[test]
    fn values_are_little_endian_in_the_first_four_bytes() {
        let b = bytes(Some(0x0102_0304));
        assert_eq!(&b[..5], &[4, 3, 2, 1, 0]);
        assert_eq!(decode(&b), 0x0102_0304);
        assert_eq!(bytes(None), [0u8; 128]);
    }
}
