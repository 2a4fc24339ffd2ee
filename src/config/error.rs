//! What is wrong with a configuration: one error per flag, naming the flag and the value.

use crate::io::endpoint::EndpointError;

/// Largest `--sd-card-gib` (the SD Express / SDUC limit is 128 TiB; the A8 mini reads far
/// less, but the bridge does not judge that).
pub const MAX_SD_CARD_GIB: f64 = 131_072.0;

/// A flag with a bad value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--camera` and `--simulate` together.
    #[error("--camera and --simulate exclude each other: use one")]
    CameraAndSimulate,
    /// `--camera` not resolvable.
    #[error("--camera: {why} (e.g. 192.168.144.25:37260)")]
    Camera {
        /// Given value.
        value: String,
        /// Why.
        why: String,
    },
    /// `--mavlink` malformed.
    #[error("--mavlink: {0}")]
    Mavlink(EndpointError),
    /// `--sysid` out of range.
    #[error("--sysid {0}: must be 1–255")]
    SysId(u16),
    /// `--compid` out of range.
    #[error("--compid {0}: must be 1–255 (QGC only shows cameras with 100–105)")]
    CompId(u16),
    /// `--allow-sysid` with something that is not a system id.
    #[error("--allow-sysid {0:?}: expected system ids 1–255 separated by commas, e.g. 1,255")]
    AllowSysId(String),
    /// `--signing-key-file` missing or malformed (never shows the key).
    #[error("--signing-key-file {path}: {why}")]
    SigningKey {
        /// The file.
        path: String,
        /// Why (no key material).
        why: crate::io::mavlink::signing::KeyError,
    },
    /// `--gimbal-compid` not a component id, `0` or `off`.
    #[error("--gimbal-compid {0:?}: expected 1–255 (154 = MAV_COMP_ID_GIMBAL), or 0 / off for no gimbal")]
    GimbalCompId(String),
    /// `--gimbal-manager` not one of the modes.
    #[error("--gimbal-manager {0:?}: expected auto, on or off")]
    GimbalManager(String),
    /// `--stream-uri` empty or not a URI.
    #[error("--stream-uri {0:?}: expected a URI such as rtsp://192.168.144.25:8554/main.264")]
    StreamUri(String),
    /// `--sim-video-size` not WIDTHxHEIGHT in range.
    #[error(
        "--sim-video-size {0:?}: expected WIDTHxHEIGHT, even numbers from 160x90 to 1920x1080"
    )]
    SimVideoSize(String),
    /// `--sim-scene` not one of the scenes.
    #[error("--sim-scene {0:?}: expected plain or busy")]
    SimScene(String),
    /// `--sim-web` not one of the modes.
    #[error("--sim-web {0:?}: expected ok, slow or off")]
    SimWeb(String),
    /// `--media-url-base` is not an http URL with a host.
    #[error("--media-url-base {0:?}: expected an http URL with a host, e.g. http://10.0.0.5:82")]
    MediaUrlBase(String),
    /// `--sd-card-gib` out of range.
    #[error("--sd-card-gib {0}: expected a size in GiB above 0 and at most {MAX_SD_CARD_GIB}")]
    SdCardGib(String),
    /// `--camera-profile` unreadable or not a probe report.
    #[error("--camera-profile {path}: {why}")]
    CameraProfile {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// `--tracker-api` neither `off` nor an IP address with a port.
    #[error("--tracker-api {0:?}: expected off or IP:PORT, e.g. 127.0.0.1:14660")]
    TrackerApi(String),
}

impl From<EndpointError> for ConfigError {
    fn from(e: EndpointError) -> Self {
        Self::Mavlink(e)
    }
}

impl ConfigError {
    /// The `run` flag (without `--`, as in the configuration file) whose value is wrong.
    pub fn key(&self) -> &'static str {
        match self {
            Self::CameraAndSimulate | Self::Camera { .. } => "camera",
            Self::Mavlink(_) => "mavlink",
            Self::SysId(_) => "sysid",
            Self::CompId(_) => "compid",
            Self::AllowSysId(_) => "allow-sysid",
            Self::SigningKey { .. } => "signing-key-file",
            Self::GimbalCompId(_) => "gimbal-compid",
            Self::GimbalManager(_) => "gimbal-manager",
            Self::StreamUri(_) => "stream-uri",
            Self::SimWeb(_) => "sim-web",
            Self::SimVideoSize(_) => "sim-video-size",
            Self::SimScene(_) => "sim-scene",
            Self::MediaUrlBase(_) => "media-url-base",
            Self::SdCardGib(_) => "sd-card-gib",
            Self::CameraProfile { .. } => "camera-profile",
            Self::TrackerApi(_) => "tracker-api",
        }
    }
}
