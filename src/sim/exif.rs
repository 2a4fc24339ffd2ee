//! What the camera was fed for the geotags of its files: the UTC time (0x30), the aircraft
//! attitude (0x22) and the raw GPS position (0x3E), as the last value of each and counts since
//! power-up. A camera reboot forgets them (the clock included: it is set again after boot).

use std::time::Instant;

use siyi_protocol::{AircraftAttitude, RawGps};

/// The EXIF inputs the camera holds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ExifInputs {
    /// Last UTC time set by 0x30, microseconds since the Unix epoch.
    pub utc_time_us: Option<u64>,
    /// 0x30 frames taken since power-up.
    pub utc_sets: u32,
    /// The last 0x22 aircraft attitude and when it arrived.
    pub attitude: Option<(Instant, AircraftAttitude)>,
    /// 0x22 frames received since power-up.
    pub attitudes: u32,
    /// The last 0x3E raw GPS and when it arrived.
    pub gps: Option<(Instant, RawGps)>,
    /// 0x3E frames received since power-up.
    pub gps_fixes: u32,
}

impl ExifInputs {
    /// 0x30: true when the time is taken (0 is invalid).
    pub(super) fn set_time(&mut self, unix_time_us: u64) -> bool {
        let ok = unix_time_us > 0;
        if ok {
            self.utc_time_us = Some(unix_time_us);
            self.utc_sets += 1;
        }
        ok
    }

    /// 0x22 at `now`.
    pub(super) fn attitude(&mut self, now: Instant, a: AircraftAttitude) {
        self.attitude = Some((now, a));
        self.attitudes += 1;
    }

    /// 0x3E at `now`.
    pub(super) fn gps(&mut self, now: Instant, g: RawGps) {
        self.gps = Some((now, g));
        self.gps_fixes += 1;
    }

    /// The camera rebooted: everything it was fed is gone.
    pub(super) fn reboot(&mut self) {
        *self = Self::default();
    }
}
