//! The EXIF feed: what the camera needs from our autopilot to geotag its own files — the UTC
//! time (0x30, from SYSTEM_TIME), the aircraft attitude (0x22, from ATTITUDE) and the raw GPS
//! position (0x3E, from GLOBAL_POSITION_INT, with the ellipsoid altitude of GPS_RAW_INT).
//!
//! Owns: when each item was last sent, whether the camera's clock is set in this camera session,
//! the autopilot's last time. Hands items to the link ([`LinkControl::feed`]), which sends them
//! only while the camera is up. Only messages from our autopilot are passed in (the camera
//! component checks the sender, as for positions).
//!
//! * 0x30 is sent once the camera is identified (and again after each reboot: a new session),
//!   on the autopilot's next SYSTEM_TIME (or at once, extrapolated, if one arrived before), one
//!   at a time, until the camera says it took it; at most [`TIME_ATTEMPTS`] per session. The
//!   link gives 0x30 up for good when the camera never answers it (`ClockNotSet`): logged once,
//!   then nothing more is sent.
//! * 0x22 at most every [`ATTITUDE_PERIOD`] (10 Hz, ArduPilot's rate for all SIYI models; the
//!   SIYI document recommends 20–50 Hz for its own stabilisation, which the bridge does not
//!   need: the feed is for EXIF), 0x3E at most every [`GPS_PERIOD`]. Both are fire-and-forget
//!   (the A8 mini never answers them), so nothing can tell whether the camera uses them.
//! * Nothing is sent when the autopilot sends nothing. The first item of each kind is logged
//!   once.

use std::time::{Duration, Instant};

use mavlink::dialects::common::{GpsFixType, MavMessage};
use siyi_protocol::{AircraftAttitude, RawGps};

use crate::core::link::{Fed, Feed, LinkControl};

/// Shortest gap between two 0x22 aircraft-attitude frames (10 Hz).
pub const ATTITUDE_PERIOD: Duration = Duration::from_millis(100);
/// Shortest gap between two 0x3E raw-GPS frames (5 Hz).
pub const GPS_PERIOD: Duration = Duration::from_millis(200);
/// 0x30 attempts per camera session before the feed stops asking (the camera answers but does
/// not take the time).
pub const TIME_ATTEMPTS: u8 = 5;
/// SYSTEM_TIME values before 2020-01-01 are an autopilot without a time source (PX4 sends 0).
pub const MIN_PLAUSIBLE_UNIX_US: u64 = 1_577_836_800_000_000;

/// Items handed to the link and put on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct FeedStats {
    /// 0x30 frames sent.
    pub time_sent: u32,
    /// 0x22 frames sent.
    pub attitude_sent: u32,
    /// 0x3E frames sent.
    pub gps_sent: u32,
}

/// The EXIF feed's state. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct ExifFeed {
    /// The autopilot's last plausible UTC time: (when it arrived, µs since the epoch).
    autopilot_time: Option<(Instant, u64)>,
    /// When the current camera session began (the camera was identified), if it is up.
    session: Option<Instant>,
    time_attempts: u8,
    time_done: bool,
    time_given_up_logged: bool,
    next_attitude: Option<Instant>,
    next_gps: Option<Instant>,
    /// Ellipsoid altitude from GPS_RAW_INT (mm), when a 3D fix reported one.
    alt_ellipsoid_mm: Option<i32>,
    stats: FeedStats,
}

impl ExifFeed {
    /// What was sent so far.
    pub fn stats(&self) -> FeedStats {
        self.stats
    }

    /// The camera is identified (after start or a reboot): a new session, its clock needs
    /// setting.
    pub fn camera_identified(&mut self, now: Instant, link: &mut impl LinkControl) {
        self.session = Some(now);
        self.time_attempts = 0;
        self.time_done = false;
        if let Some((at, us)) = self.autopilot_time {
            let elapsed = now.saturating_duration_since(at).as_micros() as u64;
            self.send_time(now, us.saturating_add(elapsed), link);
        }
    }

    /// A message from our autopilot at `now`.
    pub fn autopilot_message(
        &mut self,
        now: Instant,
        msg: &MavMessage,
        link: &mut impl LinkControl,
    ) {
        match msg {
            MavMessage::SYSTEM_TIME(t) if t.time_unix_usec >= MIN_PLAUSIBLE_UNIX_US => {
                self.autopilot_time = Some((now, t.time_unix_usec));
                self.send_time(now, t.time_unix_usec, link);
            }
            MavMessage::ATTITUDE(a) => {
                let values = [
                    a.roll,
                    a.pitch,
                    a.yaw,
                    a.rollspeed,
                    a.pitchspeed,
                    a.yawspeed,
                ];
                if !values.iter().all(|v| v.is_finite()) || !due(self.next_attitude, now) {
                    return;
                }
                let item = Feed::AircraftAttitude(AircraftAttitude {
                    time_boot_ms: a.time_boot_ms,
                    roll_rad: a.roll,
                    pitch_rad: a.pitch,
                    yaw_rad: a.yaw,
                    roll_rate_rad_s: a.rollspeed,
                    pitch_rate_rad_s: a.pitchspeed,
                    yaw_rate_rad_s: a.yawspeed,
                });
                if link.feed(now, item) == Fed::Sent {
                    self.next_attitude = Some(now + ATTITUDE_PERIOD);
                    first(
                        "aircraft attitude (0x22, at most 10 Hz)",
                        self.stats.attitude_sent,
                    );
                    self.stats.attitude_sent += 1;
                }
            }
            MavMessage::GPS_RAW_INT(g) => {
                self.alt_ellipsoid_mm = (g.fix_type as u8 >= GpsFixType::GPS_FIX_TYPE_3D_FIX as u8
                    && g.alt_ellipsoid != 0)
                    .then_some(g.alt_ellipsoid);
            }
            MavMessage::GLOBAL_POSITION_INT(p) => {
                // PX4 sends no GLOBAL_POSITION_INT without a global position; 0/0 is "none".
                if (p.lat == 0 && p.lon == 0) || !due(self.next_gps, now) {
                    return;
                }
                let item = Feed::RawGps(RawGps {
                    time_boot_ms: p.time_boot_ms,
                    lat_deg_e7: p.lat,
                    lon_deg_e7: p.lon,
                    alt_msl_cm: p.alt / 10,
                    alt_ellipsoid_cm: self.alt_ellipsoid_mm.unwrap_or(p.alt) / 10,
                    vn_mm_s: i32::from(p.vx) * 10,
                    ve_mm_s: i32::from(p.vy) * 10,
                    vd_mm_s: i32::from(p.vz) * 10,
                });
                if link.feed(now, item) == Fed::Sent {
                    self.next_gps = Some(now + GPS_PERIOD);
                    first("GPS position (0x3E, at most 5 Hz)", self.stats.gps_sent);
                    self.stats.gps_sent += 1;
                }
            }
            _ => {}
        }
    }

    /// Sends 0x30 with `unix_time_us` unless the clock is set in this session or the feed gave
    /// up on it.
    fn send_time(&mut self, now: Instant, unix_time_us: u64, link: &mut impl LinkControl) {
        let Some(session) = self.session else {
            return;
        };
        if !self.time_done
            && link
                .state()
                .clock_set
                .is_some_and(|c| c.value && c.at >= session)
        {
            self.time_done = true;
            tracing::info!(target: "camera", "EXIF feed: the camera took the autopilot's UTC time (0x30)");
        }
        if self.time_done || self.time_attempts >= TIME_ATTEMPTS {
            return;
        }
        match link.feed(now, Feed::UtcTime { unix_time_us }) {
            Fed::Sent => {
                first("UTC time (0x30)", self.stats.time_sent);
                self.stats.time_sent += 1;
                self.time_attempts += 1;
                if self.time_attempts == TIME_ATTEMPTS {
                    tracing::info!(target: "camera", "EXIF feed: UTC time sent {TIME_ATTEMPTS} times without the camera taking it: not asking again until it reboots");
                }
            }
            Fed::GivenUp => {
                if !self.time_given_up_logged {
                    self.time_given_up_logged = true;
                    tracing::info!(target: "camera", "EXIF feed: the camera never answers 0x30: its clock is not set (photos keep the camera's own time)");
                }
            }
            Fed::LinkDown | Fed::InFlight | Fed::NotSupported => {}
        }
    }
}

fn due(next: Option<Instant>, now: Instant) -> bool {
    next.is_none_or(|t| now >= t)
}

fn first(what: &str, sent_before: u32) {
    if sent_before == 0 {
        tracing::info!(target: "camera", "EXIF feed started: the autopilot's {what} goes to the camera");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::link::{CameraState, LinkHealth, OpId, Operation, Owner};
    use mavlink::dialects::common::{ATTITUDE_DATA, SYSTEM_TIME_DATA};

    /// A link that records what it was fed and answers `fed`.
    struct Feeder {
        state: CameraState,
        fed: Fed,
        items: Vec<Feed>,
    }

    impl LinkControl for Feeder {
        fn state(&self) -> &CameraState {
            &self.state
        }
        fn health(&self) -> LinkHealth {
            LinkHealth::Up
        }
        fn start(&mut self, _now: Instant, _owner: Owner, _op: Operation) -> OpId {
            OpId(0)
        }
        fn feed(&mut self, _now: Instant, item: Feed) -> Fed {
            if self.fed == Fed::Sent {
                self.items.push(item);
            }
            self.fed
        }
    }

    fn feeder() -> Feeder {
        Feeder {
            state: CameraState::default(),
            fed: Fed::Sent,
            items: Vec::new(),
        }
    }

    #[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
    fn t0() -> Instant {
        Instant::now()
    }

    fn time(us: u64) -> MavMessage {
        MavMessage::SYSTEM_TIME(SYSTEM_TIME_DATA {
            time_unix_usec: us,
            time_boot_ms: 0,
        })
    }

    const UTC: u64 = 1_800_000_000_000_000;

    #[test]
    fn a_time_heard_before_the_camera_is_identified_is_sent_then_extrapolated() {
        let (t0, mut link, mut feed) = (t0(), feeder(), ExifFeed::default());
        feed.autopilot_message(t0, &time(UTC), &mut link);
        assert!(link.items.is_empty(), "no camera session yet");
        feed.camera_identified(t0 + Duration::from_secs(2), &mut link);
        assert_eq!(
            link.items,
            [Feed::UtcTime {
                unix_time_us: UTC + 2_000_000
            }]
        );
    }

    #[test]
    fn an_autopilot_without_a_time_source_sets_nothing() {
        let (t0, mut link, mut feed) = (t0(), feeder(), ExifFeed::default());
        feed.camera_identified(t0, &mut link);
        feed.autopilot_message(t0, &time(0), &mut link);
        feed.autopilot_message(t0, &time(1_000_000), &mut link);
        assert!(link.items.is_empty());
    }

    #[test]
    fn a_camera_that_never_takes_the_time_is_asked_a_bounded_number_of_times() {
        let (t0, mut link, mut feed) = (t0(), feeder(), ExifFeed::default());
        feed.camera_identified(t0, &mut link);
        for s in 0..20 {
            feed.autopilot_message(t0 + Duration::from_secs(s), &time(UTC), &mut link);
        }
        assert_eq!(link.items.len(), usize::from(TIME_ATTEMPTS));
        // A new session (reboot) asks again.
        feed.camera_identified(t0 + Duration::from_secs(30), &mut link);
        assert_eq!(link.items.len(), usize::from(TIME_ATTEMPTS) + 1);
    }

    #[test]
    fn the_attitude_goes_out_at_most_at_10_hz_and_only_finite() {
        let (t0, mut link, mut feed) = (t0(), feeder(), ExifFeed::default());
        let att = |yaw: f32| {
            MavMessage::ATTITUDE(ATTITUDE_DATA {
                yaw,
                ..ATTITUDE_DATA::DEFAULT
            })
        };
        for ms in 0..1000 {
            feed.autopilot_message(t0 + Duration::from_millis(ms), &att(0.5), &mut link);
        }
        assert_eq!(link.items.len(), 10);
        feed.autopilot_message(t0 + Duration::from_secs(5), &att(f32::NAN), &mut link);
        assert_eq!(link.items.len(), 10);
        assert_eq!(feed.stats().attitude_sent, 10);
    }
}
