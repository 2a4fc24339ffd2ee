//! Where the camera looks, in the earth frame: the vehicle's attitude (our autopilot's ATTITUDE)
//! combined with the gimbal's (the link's 0x0D reading), and where the image centre meets the
//! ground. Used for CAMERA_IMAGE_CAPTURED.q and CAMERA_FOV_STATUS.
//!
//! Owns: what our autopilot last said about the vehicle — its attitude (with the system id it
//! came from and when) and its position (with the system id). Never touches the link: the
//! gimbal's attitude comes in as a plain value.
//!
//! Frames: the A8 mini holds pitch and roll level against the horizon and reports them that way;
//! its yaw is relative to the vehicle's nose, positive = LEFT (SIYI). So the camera's earth-frame
//! attitude is roll = gimbal roll, pitch = gimbal pitch, yaw = vehicle heading + gimbal yaw to
//! the RIGHT ([`geo::yaw_vehicle_to_earth`]); the vehicle's own roll and pitch are taken out by
//! the gimbal's stabilisation.

use std::time::{Duration, Instant};

use mavlink::dialects::common::{MavMessage, ATTITUDE_DATA, CAMERA_TRACKING_GEO_STATUS_DATA};
use siyi_protocol::Attitude;

use crate::core::geo::{self, Euler, GeoPoint};
use crate::core::link::Fresh;
use crate::core::tracking::{follow, Fov, Reported};

/// Vehicle position for CAMERA_FOV_STATUS / CAMERA_IMAGE_CAPTURED (`i32::MAX` = unknown).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Position {
    /// Latitude, degrees × 1e7.
    pub lat_e7: i32,
    /// Longitude, degrees × 1e7.
    pub lon_e7: i32,
    /// Altitude MSL, millimetres.
    pub alt_mm: i32,
    /// Altitude above home, millimetres.
    pub relative_alt_mm: i32,
}

impl Position {
    /// Position unknown.
    pub const UNKNOWN: Self = Self {
        lat_e7: i32::MAX,
        lon_e7: i32::MAX,
        alt_mm: i32::MAX,
        relative_alt_mm: i32::MAX,
    };
}

/// A reading older than this (vehicle attitude or gimbal attitude) counts as unknown.
pub const POSE_MAX_AGE: Duration = Duration::from_secs(1);

/// Where the camera looks, as CAMERA_FOV_STATUS / CAMERA_IMAGE_CAPTURED carry it.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Aim {
    /// Camera attitude in the earth frame (NED), `[w, x, y, z]`; all NaN when unknown.
    pub q: [f32; 4],
    /// Image centre on the ground: latitude, degrees × 1e7 (`i32::MAX` unknown, `i32::MIN` the
    /// ray never meets the ground).
    pub lat_image_e7: i32,
    /// Longitude, degrees × 1e7 (same special values).
    pub lon_image_e7: i32,
    /// Altitude AMSL, millimetres (the home altitude; same special values).
    pub alt_image_mm: i32,
}

impl Aim {
    /// Nothing known.
    pub const UNKNOWN: Self = Self {
        q: [f32::NAN; 4],
        lat_image_e7: i32::MAX,
        lon_image_e7: i32::MAX,
        alt_image_mm: i32::MAX,
    };

    /// The camera's attitude, when known.
    pub fn known_q(&self) -> Option<[f32; 4]> {
        self.q.iter().all(|c| c.is_finite()).then_some(self.q)
    }
}

/// The vehicle's attitude as our autopilot last reported it. See the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pose {
    vehicle: Option<(u8, Instant, Euler)>,
    position: Option<(u8, Position)>,
}

impl Pose {
    /// A message from our autopilot (system `sys`): ATTITUDE and GLOBAL_POSITION_INT are kept.
    pub fn autopilot_message(&mut self, now: Instant, sys: u8, msg: &MavMessage) {
        match msg {
            MavMessage::GLOBAL_POSITION_INT(p) => {
                let position = Position {
                    lat_e7: p.lat,
                    lon_e7: p.lon,
                    alt_mm: p.alt,
                    relative_alt_mm: p.relative_alt,
                };
                self.position = Some((sys, position));
            }
            MavMessage::ATTITUDE(a) => self.vehicle_attitude(now, sys, a),
            _ => {}
        }
    }

    /// Our autopilot's last position (unknown before one arrived, or when it came from another
    /// system id than `sys`, the autopilot we belong to now).
    pub fn position(&self, sys: u8) -> Position {
        match self.position {
            Some((s, p)) if s == sys => p,
            _ => Position::UNKNOWN,
        }
    }

    /// ATTITUDE from our autopilot (system `sys`) at `now`; non-finite angles are ignored.
    pub fn vehicle_attitude(&mut self, now: Instant, sys: u8, a: &ATTITUDE_DATA) {
        if let Some(e) = Euler::finite_rad(a.roll, a.pitch, a.yaw) {
            self.vehicle = Some((sys, now, e));
        }
    }

    /// The vehicle's attitude at `now` if it came from system `sys` and is fresh.
    fn vehicle(&self, now: Instant, sys: u8) -> Option<Euler> {
        match self.vehicle {
            Some((s, at, e)) if s == sys && now.saturating_duration_since(at) <= POSE_MAX_AGE => {
                Some(e)
            }
            _ => None,
        }
    }

    /// The camera's earth-frame attitude at `now` (vehicle of system `sys`, gimbal reading
    /// `gimbal`), `None` when either is unknown or stale.
    pub fn camera(&self, now: Instant, sys: u8, gimbal: Option<Fresh<Attitude>>) -> Option<Euler> {
        let vehicle = self.vehicle(now, sys)?;
        let g = gimbal.filter(|g| g.is_fresh(now, POSE_MAX_AGE))?.value;
        Some(camera_attitude(vehicle.yaw_rad, &g))
    }

    /// Where the camera looks at `now` from our autopilot's position (see [`Aim`]).
    pub fn aim(&self, now: Instant, sys: u8, gimbal: Option<Fresh<Attitude>>) -> Aim {
        match self.camera(now, sys, gimbal) {
            Some(e) => aim(e, self.position(sys)),
            None => Aim::UNKNOWN,
        }
    }
}

impl Pose {
    /// CAMERA_TRACKING_GEO_STATUS for what tracking `reported`: the target centre's angles from
    /// the image centre (field of view `fov`) turn the camera's axis; `None` unless a target is
    /// tracked and its place on the ground is known (see [`Pose::on_ground`]).
    pub fn tracking_geo(
        &self,
        now: Instant,
        sys: u8,
        gimbal: Option<Fresh<Attitude>>,
        reported: Reported,
        fov: Fov,
    ) -> Option<CAMERA_TRACKING_GEO_STATUS_DATA> {
        let offset = follow::error_deg(reported.target()?.centre(), fov);
        let (point, distance_m) = self.on_ground(now, sys, gimbal, offset)?;
        Some(reported.geo_status(point, distance_m))
    }

    /// Where a point of the image lies on the ground (the plane at the home altitude) at `now`:
    /// the camera's axis turned by `offset_deg` (right, up — the point's angles from the image
    /// centre), from our autopilot's position; with its horizontal distance from the vehicle,
    /// metres. `None` when the attitude or position is unknown or the ray misses the ground.
    pub fn on_ground(
        &self,
        now: Instant,
        sys: u8,
        gimbal: Option<Fresh<Attitude>>,
        offset_deg: (f32, f32),
    ) -> Option<(GeoPoint, f64)> {
        let e = self.camera(now, sys, gimbal)?;
        let p = self.position(sys);
        let unknown = i32::MAX;
        if [p.lat_e7, p.lon_e7, p.alt_mm, p.relative_alt_mm].contains(&unknown) {
            return None;
        }
        let from = GeoPoint::from_e7_mm(p.lat_e7, p.lon_e7, p.alt_mm);
        let home_alt_m = (f64::from(p.alt_mm) - f64::from(p.relative_alt_mm)) / 1000.0;
        let yaw = e.yaw_rad + f64::from(offset_deg.0).to_radians();
        let pitch = e.pitch_rad + f64::from(offset_deg.1).to_radians();
        let point = geo::ray_to_ground(&from, geo::direction_ned(yaw, pitch), home_alt_m)
            .filter(GeoPoint::is_valid)?;
        let [n, east, _] = from.ned_to(&point);
        Some((point, n.hypot(east)))
    }
}

/// The camera's earth-frame attitude from the vehicle's heading and a SIYI gimbal reading.
pub fn camera_attitude(vehicle_yaw_rad: f64, g: &Attitude) -> Euler {
    let deg = |tenths: i16| f64::from(tenths) / 10.0;
    // SIYI yaw is positive to the left; MAVLink's to the right.
    let yaw_right_rad = (-deg(g.yaw.0)).to_radians();
    Euler {
        roll_rad: deg(g.roll.0).to_radians(),
        pitch_rad: deg(g.pitch.0).to_radians(),
        yaw_rad: geo::yaw_vehicle_to_earth(yaw_right_rad, vehicle_yaw_rad),
    }
}

/// [`Aim`] of a camera with earth-frame attitude `e` at `position`: the image centre is where
/// the camera's axis meets the plane at the home altitude (AMSL − relative altitude).
pub fn aim(e: Euler, position: Position) -> Aim {
    let q = e.to_quat();
    let known = position.lat_e7 != i32::MAX
        && position.lon_e7 != i32::MAX
        && position.alt_mm != i32::MAX
        && position.relative_alt_mm != i32::MAX;
    if !known {
        return Aim { q, ..Aim::UNKNOWN };
    }
    let from = GeoPoint::from_e7_mm(position.lat_e7, position.lon_e7, position.alt_mm);
    let home_alt_m = (f64::from(position.alt_mm) - f64::from(position.relative_alt_mm)) / 1000.0;
    let dir = geo::direction_ned(e.yaw_rad, e.pitch_rad);
    match geo::ray_to_ground(&from, dir, home_alt_m).filter(GeoPoint::is_valid) {
        Some(p) => Aim {
            q,
            lat_image_e7: (p.lat_deg * 1e7).round() as i32,
            lon_image_e7: (p.lon_deg * 1e7).round() as i32,
            alt_image_mm: (p.alt_m * 1000.0).round() as i32,
        },
        None => Aim {
            q,
            lat_image_e7: i32::MIN,
            lon_image_e7: i32::MIN,
            alt_image_mm: i32::MIN,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use siyi_protocol::{Decidegrees, DecidegreesPerSecond};

    fn gimbal(yaw_left_deg: f64, pitch_deg: f64) -> Attitude {
        let t = |d: f64| Decidegrees((d * 10.0).round() as i16);
        Attitude {
            yaw: t(yaw_left_deg),
            pitch: t(pitch_deg),
            roll: Decidegrees(0),
            yaw_rate: DecidegreesPerSecond(0),
            pitch_rate: DecidegreesPerSecond(0),
            roll_rate: DecidegreesPerSecond(0),
        }
    }

    #[test]
    fn siyi_left_yaw_turns_the_camera_left_of_the_heading() {
        let e = camera_attitude(90f64.to_radians(), &gimbal(30.0, -10.0));
        assert!((e.yaw_rad.to_degrees() - 60.0).abs() < 1e-6, "{e:?}");
        assert!((e.pitch_rad.to_degrees() + 10.0).abs() < 1e-6, "{e:?}");
    }

    #[test]
    fn level_or_upward_camera_never_meets_the_ground() {
        let pos = Position {
            lat_e7: 473_977_420,
            lon_e7: 85_455_940,
            alt_mm: 588_000,
            relative_alt_mm: 100_000,
        };
        let a = aim(Euler::from_deg(0.0, 10.0, 0.0), pos);
        assert_eq!(a.lat_image_e7, i32::MIN);
        let a = aim(Euler::from_deg(0.0, -45.0, 0.0), Position::UNKNOWN);
        assert_eq!(a.lat_image_e7, i32::MAX);
        assert!(a.known_q().is_some());
    }
}
