//! What our autopilot says about the vehicle: its attitude (ATTITUDE: heading and yaw rate, for
//! yaw lock and earth-frame rates) and its position (GLOBAL_POSITION_INT: for ROI and the home
//! altitude of relative ROI altitudes), each with when it was heard.
//!
//! Owns: the last attitude and the last position heard, and when they go stale. Never touches:
//! the link, the host, the goal; it does not decide whose messages count (the component hands it
//! only our autopilot's).

use std::time::{Duration, Instant};

use mavlink::dialects::common::{ATTITUDE_DATA, GLOBAL_POSITION_INT_DATA};

use crate::core::geo::{Euler, GeoPoint};

/// The vehicle's attitude or position older than this is not used.
pub const VEHICLE_STALE_AFTER: Duration = Duration::from_secs(2);

/// What the autopilot said about the vehicle.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct Vehicle {
    /// ATTITUDE: when, the attitude, the yaw rate (rad/s).
    pub attitude: Option<(Instant, Euler, f64)>,
    /// GLOBAL_POSITION_INT: when, the position (altitude AMSL), the home altitude AMSL (m).
    pub position: Option<(Instant, GeoPoint, f64)>,
}

impl Vehicle {
    /// Hears our autopilot's ATTITUDE at `now`: kept when its angles are finite (a non-finite
    /// yaw rate counts as 0).
    pub fn hear_attitude(&mut self, now: Instant, a: &ATTITUDE_DATA) {
        if let Some(e) = Euler::finite_rad(a.roll, a.pitch, a.yaw) {
            let rate = f64::from(a.yawspeed);
            let rate = if rate.is_finite() { rate } else { 0.0 };
            self.attitude = Some((now, e, rate));
        }
    }

    /// Hears our autopilot's GLOBAL_POSITION_INT at `now`: kept when the position is valid.
    pub fn hear_position(&mut self, now: Instant, p: &GLOBAL_POSITION_INT_DATA) {
        let pos = GeoPoint::from_e7_mm(p.lat, p.lon, p.alt);
        let home_alt_m = f64::from(p.alt.saturating_sub(p.relative_alt)) / 1000.0;
        if pos.is_valid() {
            self.position = Some((now, pos, home_alt_m));
        }
    }

    /// The heading, radians from north, when fresh.
    pub fn heading_rad(&self, now: Instant) -> Option<f64> {
        self.attitude
            .filter(|(at, _, _)| now.saturating_duration_since(*at) <= VEHICLE_STALE_AFTER)
            .map(|(_, e, _)| e.yaw_rad)
    }

    /// The yaw rate, rad/s, when fresh.
    pub fn yaw_rate_rad_s(&self, now: Instant) -> Option<f64> {
        self.attitude
            .filter(|(at, _, _)| now.saturating_duration_since(*at) <= VEHICLE_STALE_AFTER)
            .map(|(_, _, r)| r)
    }

    /// The position (AMSL) and home altitude (AMSL, m), when fresh.
    pub fn position(&self, now: Instant) -> Option<(GeoPoint, f64)> {
        self.position
            .filter(|(at, _, _)| now.saturating_duration_since(*at) <= VEHICLE_STALE_AFTER)
            .map(|(_, p, home)| (p, home))
    }

    /// The home altitude (AMSL, m), when fresh.
    pub fn home_alt_m(&self, now: Instant) -> Option<f64> {
        self.position(now).map(|(_, h)| h)
    }
}
