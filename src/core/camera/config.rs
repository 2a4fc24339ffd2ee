//! The camera component's configuration and the events it hands the application.

use std::time::{Duration, Instant};

use super::persist::PersistedState;

/// Something the application should act on.
#[derive(Clone, PartialEq, Debug)]
pub enum CameraEvent {
    /// The persistent state changed: write it (atomically) so it survives a restart.
    Persist(PersistedState),
    /// The system id was learned from the autopilot's heartbeat.
    SystemIdLearned(u8),
    /// The media service found a file, gave one up, refused an entry, or saw the web server go
    /// or come back (for the logs).
    Media(crate::core::media::MediaEvent),
}

/// Configuration of the camera component.
#[derive(Clone, PartialEq, Debug)]
pub struct CameraConfig {
    /// Fixed system id; `None` = learn it from the autopilot's HEARTBEAT (1 until then).
    pub system_id: Option<u8>,
    /// Component id (100 = MAV_COMP_ID_CAMERA; QGC 5 only looks at 100–105).
    pub component_id: u8,
    /// RTSP URI advertised in VIDEO_STREAM_INFORMATION.
    pub stream_uri: String,
    /// How long a command is remembered to recognise retransmissions.
    pub dedupe_window: Duration,
    /// Period of CAMERA_CAPTURE_STATUS while recording or capturing at an interval.
    pub status_period: Duration,
    /// Systems allowed to command the camera (`--allow-sysid`); empty = every system. Commands
    /// from other systems are ignored (counted in [`crate::core::mavlink::HostStats::refused`]), and the system id is
    /// learned only from an autopilot among them.
    pub allowed_systems: Vec<u8>,
    /// The camera is the built-in simulator: CAMERA_INFORMATION's model name says "(simulated)".
    pub simulated: bool,
    /// The gimbal device component the camera sits on (CAMERA_INFORMATION.gimbal_device_id);
    /// 0 = no gimbal component.
    pub gimbal_device_id: u8,
    /// The camera's web server (files of photos, card figures); None = not used (`--no-media`).
    pub media: Option<crate::core::media::MediaConfig>,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self {
            system_id: None,
            component_id: 100,
            stream_uri: "rtsp://192.168.144.25:8554/main.264".to_owned(),
            dedupe_window: Duration::from_secs(3),
            status_period: Duration::from_secs(1),
            allowed_systems: Vec::new(),
            simulated: false,
            gimbal_device_id: 0,
            media: None,
        }
    }
}

/// The wall clock as last told: a (monotonic, UTC µs since the UNIX epoch) pair.
#[derive(Clone, Copy, Debug, Default)]
pub struct WallClock(Option<(Instant, u64)>);

impl WallClock {
    /// The wall clock reads `utc_us` at `now`.
    pub fn set(&mut self, now: Instant, utc_us: u64) {
        self.0 = Some((now, utc_us));
    }

    /// UTC at `now`, µs since the UNIX epoch (0 = never told).
    pub fn utc_us(&self, now: Instant) -> u64 {
        match self.0 {
            Some((at, utc)) if now >= at => {
                utc.saturating_add(now.duration_since(at).as_micros() as u64)
            }
            Some((at, utc)) => utc.saturating_sub(at.duration_since(now).as_micros() as u64),
            None => 0,
        }
    }
}
