//! One validated configuration for `siyi-bridge run`, built from the command-line flags and the
//! configuration file ([`file`]). Every error names the flag (or key) and the value that is wrong.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::core::gimbal::ManagerMode;
use crate::io::endpoint::{resolve_host_port, Endpoint};
use crate::io::mavlink::signing::SigningKey;

mod args;
mod error;
pub mod file;

pub use args::{RunArgs, DEFAULT_MAVLINK};

pub use error::{ConfigError, MAX_SD_CARD_GIB};
pub use file::{ConfigFile, FileEntry, FileError, DEFAULT_CONFIG_FILE};

/// The A8 mini's factory SIYI SDK address: where `run` talks to without `--camera`.
pub const FACTORY_CAMERA: &str = "192.168.144.25:37260";

/// Where the camera is.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CameraSource {
    /// Start the built-in A8 mini simulator on 127.0.0.1 (ephemeral port). Only with
    /// `--simulate`: a forgotten flag must never present a fake camera to an autopilot.
    Simulate,
    /// A real camera (or an external simulator) at this UDP address.
    Udp(SocketAddr),
}

/// The largest camera profile (`--camera-profile`, a `camera probe` report) read, bytes.
pub const MAX_PROFILE_BYTES: u64 = 4 * 1024 * 1024;

/// What the simulated camera's web server (HTTP media API and downloads) does: `--sim-web`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum SimWeb {
    /// Answers at once (new files are listed 300 ms after the shot).
    #[default]
    Ok,
    /// Answers every API request 3 s late.
    Slow,
    /// Not started: nothing listens.
    Off,
}

/// What the simulated camera's video shows besides the car: `--sim-scene`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum SimScene {
    /// The car on its textured ground.
    #[default]
    Plain,
    /// Also a second, similar car, a tree that hides the car for about 1 s twice every 40 s,
    /// and sensor noise.
    Busy,
}

/// Where the image counter is kept without `--state-dir`: `$STATE_DIRECTORY` (systemd's
/// `StateDirectory=`), else `$HOME/.local/state/siyi-bridge`.
pub fn default_state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("STATE_DIRECTORY") {
        return Some(d.into());
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state/siyi-bridge"))
}

/// `WIDTHxHEIGHT`, even numbers from 160x90 to 1920x1080.
fn parse_video_size(s: &str) -> Option<(usize, usize)> {
    let (w, h) = s.trim().split_once(['x', 'X'])?;
    let (w, h): (usize, usize) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    let ok = (160..=1920).contains(&w) && (90..=1080).contains(&h) && w % 2 == 0 && h % 2 == 0;
    ok.then_some((w, h))
}

/// The validated configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Config {
    /// The camera.
    pub camera: CameraSource,
    /// MAVLink endpoints (at least one).
    pub mavlink: Vec<Endpoint>,
    /// Fixed system id (None = learn from the autopilot).
    pub system_id: Option<u8>,
    /// Component id.
    pub component_id: u8,
    /// Where the image counter and captured-image records are kept (None = not kept).
    pub state_dir: Option<PathBuf>,
    /// Record the SIYI traffic (JSONL) to this file.
    pub record_siyi: Option<PathBuf>,
    /// RTSP URI for VIDEO_STREAM_INFORMATION.
    pub stream_uri: String,
    /// Simulated camera boot time, milliseconds.
    pub sim_boot_ms: u64,
    /// Gimbal attitude (0x0D) poll interval, milliseconds.
    pub attitude_poll_ms: u64,
    /// Systems allowed to command the camera (empty = every system).
    pub allowed_systems: Vec<u8>,
    /// MAVLink 2 signing key (None = signing off). Its `Debug` output never shows the key.
    pub signing_key: Option<SigningKey>,
    /// Where the tracker API listens (None = off).
    pub tracker_api: Option<SocketAddr>,
    /// Steer the gimbal to keep a tracked target centred.
    pub track_follow: bool,
    /// The built-in tracker on the camera's video (--stream-uri) is a tracking source.
    pub builtin_tracker: bool,
    /// Correct the built-in tracker's boxes for the video's delay.
    pub track_delay_compensation: bool,
    /// The camera's video latency (sensor to network), milliseconds.
    pub video_latency_ms: u64,
    /// The simulated camera has a SIYI AI tracking module.
    pub sim_ai_module: bool,
    /// With the simulator: the simulated tracker connects to the tracker API.
    pub sim_tracker: bool,
    /// With the simulator: its web server (media API and downloads) on 127.0.0.1.
    pub sim_web: SimWeb,
    /// With the simulator: the web server's TCP port (0 = ephemeral).
    pub sim_web_port: u16,
    /// With the simulator: its video's picture size, pixels (width, height).
    pub sim_video_size: (usize, usize),
    /// With the simulator: its video's delay, milliseconds.
    pub sim_video_delay_ms: u64,
    /// With the simulator: what its video shows besides the car.
    pub sim_scene: SimScene,
    /// With the simulator: its SD card directory (None = a fresh temporary directory, removed
    /// when the bridge stops).
    pub sim_media_dir: Option<PathBuf>,
    /// TCP port of the camera's web server (None: not used, `--no-media`; with the simulator
    /// its own web server is used whatever the port).
    pub media_port: Option<u16>,
    /// Base of the file URLs given to ground stations (None: the web server as reached).
    pub media_url_base: Option<url::Url>,
    /// The SD card's size, bytes (`--sd-card-gib`).
    pub sd_card_bytes: Option<u64>,
    /// Component id of the gimbal device (None = no gimbal component).
    pub gimbal_component_id: Option<u8>,
    /// Whether the bridge acts as the gimbal manager.
    pub gimbal_manager: ManagerMode,
    /// Commands the camera profile (`--camera-profile`) says the camera never answers, each
    /// with the sentence logged at start (empty: no profile).
    pub known_unanswered: Vec<(u8, String)>,
}

impl Config {
    /// A bridge on the built-in simulator (booting in 300 ms) with these MAVLink endpoints and
    /// nothing else listening or kept: no state dir, no tracker API, no gimbal component, no
    /// simulated tracker; the rest at the `run` defaults (the simulated camera's web server on
    /// an ephemeral port of 127.0.0.1, its SD card in a temporary directory). For tests and embedding; set fields
    /// on top (`Config { tracker_api: …, ..Config::simulated(…) }`).
    pub fn simulated(mavlink: Vec<Endpoint>) -> Self {
        Self {
            camera: CameraSource::Simulate,
            mavlink,
            system_id: None,
            component_id: 100,
            state_dir: None,
            record_siyi: None,
            stream_uri: "rtsp://127.0.0.1:8554/main.264".into(),
            sim_boot_ms: 300,
            attitude_poll_ms: 100,
            allowed_systems: Vec::new(),
            signing_key: None,
            tracker_api: None,
            track_follow: true,
            builtin_tracker: false,
            track_delay_compensation: true,
            video_latency_ms: 150,
            sim_ai_module: false,
            sim_tracker: false,
            sim_web: SimWeb::Ok,
            sim_web_port: 0,
            sim_video_size: (1280, 720),
            sim_video_delay_ms: 0,
            sim_scene: SimScene::Plain,
            sim_media_dir: None,
            media_port: Some(82),
            media_url_base: None,
            sd_card_bytes: None,
            gimbal_component_id: None,
            gimbal_manager: ManagerMode::Auto,
            known_unanswered: Vec::new(),
        }
    }

    /// Validates the flags (and keys): the one place where `run`'s settings become typed.
    pub fn from_args(o: &RunArgs) -> Result<Self, ConfigError> {
        let camera = match (&o.camera, o.simulate) {
            (Some(_), true) => return Err(ConfigError::CameraAndSimulate),
            (None, true) => CameraSource::Simulate,
            (None, false) => {
                CameraSource::Udp(FACTORY_CAMERA.parse().map_err(|_| ConfigError::Camera {
                    value: FACTORY_CAMERA.into(),
                    why: "not an address".into(),
                })?)
            }
            (Some(c), false) => {
                CameraSource::Udp(resolve_host_port(c).map_err(|why| ConfigError::Camera {
                    value: c.clone(),
                    why,
                })?)
            }
        };
        let mavlink = if o.mavlink.is_empty() {
            vec![DEFAULT_MAVLINK.to_owned()]
        } else {
            o.mavlink.clone()
        };
        let mavlink = mavlink
            .iter()
            .map(|m| m.parse::<Endpoint>())
            .collect::<Result<Vec<_>, _>>()?;
        let system_id = match o.sysid {
            None => None,
            Some(s) if (1..=255).contains(&s) => Some(s as u8),
            Some(s) => return Err(ConfigError::SysId(s)),
        };
        let component_id = match o.compid {
            c if (1..=255).contains(&c) => c as u8,
            c => return Err(ConfigError::CompId(c)),
        };
        let mut allowed_systems = Vec::new();
        for item in o.allow_sysid.iter().flat_map(|l| l.split(',')) {
            let id = item
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|id| *id != 0)
                .ok_or_else(|| ConfigError::AllowSysId(item.to_owned()))?;
            if !allowed_systems.contains(&id) {
                allowed_systems.push(id);
            }
        }
        if !o.stream_uri.contains("://") || o.stream_uri.len() > 160 {
            return Err(ConfigError::StreamUri(o.stream_uri.clone()));
        }
        let signing_key = match &o.signing_key_file {
            None => None,
            Some(p) => Some(SigningKey::load(p).map_err(|why| ConfigError::SigningKey {
                path: p.display().to_string(),
                why,
            })?),
        };
        let known_unanswered = match &o.camera_profile {
            None => Vec::new(),
            Some(p) => {
                let bad = |why: String| ConfigError::CameraProfile {
                    path: p.display().to_string(),
                    why,
                };
                let text = crate::io::text_file::read_capped(p, MAX_PROFILE_BYTES)
                    .map_err(|e| bad(e.to_string()))?;
                crate::core::probe::profile_unanswered(&text)
                    .map_err(|e| bad(e.to_string()))?
                    .into_iter()
                    .map(|(cmd, why)| (cmd.0, why))
                    .collect()
            }
        };
        let tracker_api = match o.tracker_api.trim() {
            "off" | "" => None,
            a => Some(
                a.parse::<SocketAddr>()
                    .map_err(|_| ConfigError::TrackerApi(a.to_owned()))?,
            ),
        };
        if let Some(a) = tracker_api.filter(|a| !a.ip().is_loopback()) {
            tracing::warn!(
                "--tracker-api {a}: not loopback; whoever connects decides what the gimbal follows"
            );
        }
        let gimbal_component_id = match o.gimbal_compid.as_deref().map(str::trim) {
            None => Some(154),
            Some("off" | "0") => None,
            Some(v) => Some(
                v.parse::<u8>()
                    .ok()
                    .filter(|c| *c != 0 && *c != component_id)
                    .ok_or_else(|| ConfigError::GimbalCompId(v.to_owned()))?,
            ),
        };
        let gimbal_manager = match o.gimbal_manager.as_deref().map(str::trim) {
            None | Some("auto") => ManagerMode::Auto,
            Some("on") => ManagerMode::On,
            Some("off") => ManagerMode::Off,
            Some(v) => return Err(ConfigError::GimbalManager(v.to_owned())),
        };
        let sim_web = match o.sim_web.trim() {
            "ok" => SimWeb::Ok,
            "slow" => SimWeb::Slow,
            "off" => SimWeb::Off,
            v => return Err(ConfigError::SimWeb(v.to_owned())),
        };
        let media_url_base = match &o.media_url_base {
            None => None,
            Some(u) => Some(
                url::Url::parse(u)
                    .ok()
                    .filter(|p| p.scheme() == "http" && p.host_str().is_some())
                    .ok_or_else(|| ConfigError::MediaUrlBase(u.clone()))?,
            ),
        };
        let sd_card_bytes = match o.sd_card_gib {
            None => None,
            Some(g) if g.is_finite() && g > 0.0 && g <= MAX_SD_CARD_GIB => {
                Some((g * 1024.0 * 1024.0 * 1024.0) as u64)
            }
            Some(g) => return Err(ConfigError::SdCardGib(g.to_string())),
        };
        let state_dir = if o.no_state {
            None
        } else {
            o.state_dir.clone().or_else(default_state_dir)
        };
        Ok(Self {
            media_port: (!o.no_media).then_some(o.media_port),
            media_url_base,
            sd_card_bytes,
            sim_web,
            sim_web_port: o.sim_web_port,
            sim_video_size: parse_video_size(&o.sim_video_size)
                .ok_or_else(|| ConfigError::SimVideoSize(o.sim_video_size.clone()))?,
            sim_video_delay_ms: o.sim_video_delay_ms,
            sim_scene: match o.sim_scene.trim() {
                "plain" => SimScene::Plain,
                "busy" => SimScene::Busy,
                other => return Err(ConfigError::SimScene(other.to_owned())),
            },
            sim_media_dir: o.sim_media_dir.clone(),
            tracker_api,
            track_follow: o.track_follow,
            builtin_tracker: o.builtin_tracker,
            track_delay_compensation: o.track_delay_compensation,
            video_latency_ms: o.video_latency_ms,
            sim_ai_module: o.sim_ai_module,
            sim_tracker: o.sim_tracker,
            gimbal_component_id,
            gimbal_manager,
            signing_key,
            camera,
            mavlink,
            system_id,
            component_id,
            state_dir,
            record_siyi: o.record_siyi.clone(),
            stream_uri: o.stream_uri.clone(),
            sim_boot_ms: o.sim_boot_ms,
            // 0 (unset) means the default 10 Hz; the range keeps the poll sane either way.
            attitude_poll_ms: match o.attitude_poll_ms {
                0 => 100,
                ms => ms.clamp(20, 10_000),
            },
            allowed_systems,
            known_unanswered,
        })
    }
}

#[cfg(test)]
mod tests;
