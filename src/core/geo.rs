//! Shared geometry, sans-IO and dependency-free: quaternions and Euler angles in MAVLink's
//! conventions, earth and vehicle frames, where a location lies seen from a position, and where a
//! ray from a position meets the ground.
//!
//! Conventions (as MAVLink uses them):
//! * Earth frame: NED (x north, y east, z down). Body frame: FRD (x forward, y right, z down).
//! * Euler angles are the aerospace sequence Z-Y-X (yaw, then pitch, then roll), in **radians**:
//!   yaw 0 = north (earth frame) or = the vehicle's nose (vehicle frame), positive clockwise seen
//!   from above; pitch positive = nose / camera up; roll positive = right side down.
//! * Quaternions are `[w, x, y, z]` as MAVLink messages carry them (`[1, 0, 0, 0]` = no rotation).
//! * Positions are WGS-84 latitude / longitude in degrees and altitude in metres (AMSL unless a
//!   function says otherwise). Distances use a local flat-earth approximation around the
//!   starting position (equirectangular, mean earth radius): within about 0.1 % up to 10 km,
//!   which is plenty for pointing a camera.
//!
//! No `glam`/`nalgebra`: the few formulas below are shorter than the glue to a vector crate.

use std::f64::consts::PI;

/// Mean earth radius, metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// How far a quaternion's norm may be from 1 and still count as a unit quaternion (MAVLink
/// senders use `f32`; PX4 and QGC normalise before sending).
pub const UNIT_QUAT_TOLERANCE: f64 = 0.02;

/// An attitude as Euler angles (Z-Y-X), radians.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct Euler {
    /// Roll, radians, positive = right side down.
    pub roll_rad: f64,
    /// Pitch, radians, positive = up.
    pub pitch_rad: f64,
    /// Yaw, radians, positive = clockwise seen from above, in −π…π.
    pub yaw_rad: f64,
}

impl Euler {
    /// Angles in degrees (roll, pitch, yaw).
    pub fn from_deg(roll_deg: f64, pitch_deg: f64, yaw_deg: f64) -> Self {
        Self {
            roll_rad: roll_deg.to_radians(),
            pitch_rad: pitch_deg.to_radians(),
            yaw_rad: yaw_deg.to_radians(),
        }
    }

    /// Angles in radians as MAVLink's ATTITUDE carries them; `None` when one is not finite.
    pub fn finite_rad(roll_rad: f32, pitch_rad: f32, yaw_rad: f32) -> Option<Self> {
        let e = Self {
            roll_rad: f64::from(roll_rad),
            pitch_rad: f64::from(pitch_rad),
            yaw_rad: f64::from(yaw_rad),
        };
        [e.roll_rad, e.pitch_rad, e.yaw_rad]
            .iter()
            .all(|v| v.is_finite())
            .then_some(e)
    }

    /// The quaternion `[w, x, y, z]` of this attitude.
    pub fn to_quat(self) -> [f32; 4] {
        let (sr, cr) = (self.roll_rad / 2.0).sin_cos();
        let (sp, cp) = (self.pitch_rad / 2.0).sin_cos();
        let (sy, cy) = (self.yaw_rad / 2.0).sin_cos();
        [
            (cr * cp * cy + sr * sp * sy) as f32,
            (sr * cp * cy - cr * sp * sy) as f32,
            (cr * sp * cy + sr * cp * sy) as f32,
            (cr * cp * sy - sr * sp * cy) as f32,
        ]
    }

    /// The Euler angles of a quaternion `[w, x, y, z]`; `None` when a component is NaN or
    /// infinite or the norm is not 1 (± [`UNIT_QUAT_TOLERANCE`]). The quaternion is normalised
    /// first. At pitch ±90° (gimbal lock) the yaw and roll share one degree of freedom: all of
    /// it goes to yaw and roll is 0.
    pub fn from_quat(q: [f32; 4]) -> Option<Self> {
        if !is_unit_quat(q) {
            return None;
        }
        let n = quat_norm(q);
        let [w, x, y, z] = q.map(|c| f64::from(c) / n);
        let sin_pitch = (2.0 * (w * y - z * x)).clamp(-1.0, 1.0);
        let pitch_rad = sin_pitch.asin();
        if sin_pitch.abs() > 0.999_999 {
            // Gimbal lock: only yaw ± roll is defined.
            let yaw_rad = wrap_pi(-2.0 * sin_pitch.signum() * x.atan2(w));
            return Some(Self {
                roll_rad: 0.0,
                pitch_rad,
                yaw_rad,
            });
        }
        Some(Self {
            roll_rad: (2.0 * (w * x + y * z)).atan2(1.0 - 2.0 * (x * x + y * y)),
            pitch_rad,
            yaw_rad: (2.0 * (w * z + x * y)).atan2(1.0 - 2.0 * (y * y + z * z)),
        })
    }
}

fn quat_norm(q: [f32; 4]) -> f64 {
    q.iter()
        .map(|c| f64::from(*c) * f64::from(*c))
        .sum::<f64>()
        .sqrt()
}

/// True when every component is finite and the norm is 1 ± [`UNIT_QUAT_TOLERANCE`].
pub fn is_unit_quat(q: [f32; 4]) -> bool {
    q.iter().all(|c| c.is_finite()) && (quat_norm(q) - 1.0).abs() <= UNIT_QUAT_TOLERANCE
}

/// `rad` wrapped into −π…π (NaN stays NaN).
pub fn wrap_pi(rad: f64) -> f64 {
    let r = (rad + PI).rem_euclid(2.0 * PI) - PI;
    if r == -PI {
        PI
    } else {
        r
    }
}

/// `deg` wrapped into −180…180 degrees (NaN stays NaN).
pub fn wrap_180(deg: f64) -> f64 {
    wrap_pi(deg.to_radians()).to_degrees()
}

/// Earth-frame yaw (from north, radians) of something whose yaw relative to the vehicle's nose
/// is `yaw_in_vehicle_rad`, when the vehicle's heading is `vehicle_yaw_rad`. Result in −π…π.
pub fn yaw_vehicle_to_earth(yaw_in_vehicle_rad: f64, vehicle_yaw_rad: f64) -> f64 {
    wrap_pi(yaw_in_vehicle_rad + vehicle_yaw_rad)
}

/// Yaw relative to the vehicle's nose (radians, −π…π) of an earth-frame yaw `yaw_in_earth_rad`,
/// when the vehicle's heading is `vehicle_yaw_rad`.
pub fn yaw_earth_to_vehicle(yaw_in_earth_rad: f64, vehicle_yaw_rad: f64) -> f64 {
    wrap_pi(yaw_in_earth_rad - vehicle_yaw_rad)
}

/// A point on or above the earth.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct GeoPoint {
    /// Latitude, degrees (WGS-84), positive north.
    pub lat_deg: f64,
    /// Longitude, degrees (WGS-84), positive east.
    pub lon_deg: f64,
    /// Altitude, metres (AMSL unless the caller says otherwise; only differences matter here).
    pub alt_m: f64,
}

impl GeoPoint {
    /// From MAVLink integers: latitude and longitude in degrees × 10⁷, altitude in millimetres
    /// (as GLOBAL_POSITION_INT carries them).
    pub fn from_e7_mm(lat_e7: i32, lon_e7: i32, alt_mm: i32) -> Self {
        Self {
            lat_deg: f64::from(lat_e7) * 1e-7,
            lon_deg: f64::from(lon_e7) * 1e-7,
            alt_m: f64::from(alt_mm) * 1e-3,
        }
    }

    /// True when latitude is within ±90°, longitude within ±180° and all fields are finite.
    pub fn is_valid(&self) -> bool {
        self.lat_deg.is_finite()
            && self.lon_deg.is_finite()
            && self.alt_m.is_finite()
            && self.lat_deg.abs() <= 90.0
            && self.lon_deg.abs() <= 180.0
    }

    /// The offset to `other` in metres: (north, east, down), flat earth around `self`.
    pub fn ned_to(&self, other: &Self) -> [f64; 3] {
        let north = (other.lat_deg - self.lat_deg).to_radians() * EARTH_RADIUS_M;
        let dlon = wrap_180(other.lon_deg - self.lon_deg);
        let east = dlon.to_radians() * EARTH_RADIUS_M * self.lat_deg.to_radians().cos();
        [north, east, self.alt_m - other.alt_m]
    }

    /// The point `north_m`, `east_m`, `down_m` metres away (flat earth around `self`).
    pub fn offset(&self, north_m: f64, east_m: f64, down_m: f64) -> Self {
        let cos_lat = self.lat_deg.to_radians().cos().max(1e-9);
        Self {
            lat_deg: self.lat_deg + (north_m / EARTH_RADIUS_M).to_degrees(),
            lon_deg: wrap_180(self.lon_deg + (east_m / (EARTH_RADIUS_M * cos_lat)).to_degrees()),
            alt_m: self.alt_m - down_m,
        }
    }
}

/// Where a location lies, seen from a position.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct LookAt {
    /// Bearing, radians from north, clockwise, −π…π (earth-frame yaw).
    pub bearing_rad: f64,
    /// Elevation above the horizontal, radians, −π/2…π/2 (negative = below: pitch down).
    pub elevation_rad: f64,
    /// Horizontal distance, metres.
    pub ground_distance_m: f64,
}

/// The bearing and elevation of `to` seen from `from` (flat earth around `from`). A location
/// straight above or below has bearing 0.
pub fn look_at(from: &GeoPoint, to: &GeoPoint) -> LookAt {
    let [n, e, d] = from.ned_to(to);
    let ground = n.hypot(e);
    LookAt {
        bearing_rad: if ground > 0.0 { e.atan2(n) } else { 0.0 },
        elevation_rad: (-d).atan2(ground),
        ground_distance_m: ground,
    }
}

/// The unit vector (north, east, down) of a direction with earth-frame `yaw_rad` (from north,
/// clockwise) and `pitch_rad` (positive up).
pub fn direction_ned(yaw_rad: f64, pitch_rad: f64) -> [f64; 3] {
    let (sy, cy) = yaw_rad.sin_cos();
    let (sp, cp) = pitch_rad.sin_cos();
    [cp * cy, cp * sy, -sp]
}

/// Where the ray from `from` along `dir_ned` (north, east, down; any length) meets the
/// horizontal plane at `ground_alt_m` (same altitude reference as `from.alt_m`). `None` when the
/// ray never gets there (it points level or away from the plane), or a value is not finite.
pub fn ray_to_ground(from: &GeoPoint, dir_ned: [f64; 3], ground_alt_m: f64) -> Option<GeoPoint> {
    let drop_m = from.alt_m - ground_alt_m; // positive: the plane is below
    let [n, e, d] = dir_ned;
    if !(drop_m.is_finite() && n.is_finite() && e.is_finite() && d.is_finite()) {
        return None;
    }
    if d.abs() < 1e-9 || drop_m / d <= 0.0 {
        return None;
    }
    let t = drop_m / d;
    let mut p = from.offset(n * t, e * t, 0.0);
    p.alt_m = ground_alt_m;
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn euler_quat_round_trip() {
        for &(r, p, y) in &[
            (0.0, 0.0, 0.0),
            (10.0, -30.0, 45.0),
            (-5.0, 20.0, -170.0),
            (0.0, -89.0, 135.0),
            (0.0, 25.0, -135.0),
        ] {
            let e = Euler::from_deg(r, p, y);
            let back = Euler::from_quat(e.to_quat()).expect("unit");
            assert!(
                close(back.roll_rad.to_degrees(), r, 1e-3),
                "{r} {p} {y}: {back:?}"
            );
            assert!(
                close(back.pitch_rad.to_degrees(), p, 1e-3),
                "{r} {p} {y}: {back:?}"
            );
            assert!(
                close(back.yaw_rad.to_degrees(), y, 1e-3),
                "{r} {p} {y}: {back:?}"
            );
        }
    }

    #[test]
    fn quaternion_conventions() {
        // Yaw 90° right = rotation about +z (down) by 90°.
        let q = Euler::from_deg(0.0, 0.0, 90.0).to_quat();
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!((q[0] - h).abs() < 1e-6 && (q[3] - h).abs() < 1e-6);
        // Pitch up 90° = rotation about +y (right).
        let q = Euler::from_deg(0.0, 90.0, 0.0).to_quat();
        assert!((q[0] - h).abs() < 1e-6 && (q[2] - h).abs() < 1e-6);
        assert_eq!(
            Euler::from_deg(0.0, 0.0, 0.0).to_quat(),
            [1.0, 0.0, 0.0, 0.0]
        );
    }

    #[test]
    fn gimbal_lock_straight_down_keeps_the_yaw() {
        let e = Euler::from_quat(Euler::from_deg(0.0, -90.0, 30.0).to_quat()).expect("unit");
        assert!(close(e.pitch_rad.to_degrees(), -90.0, 1e-2));
        assert!(close(e.yaw_rad.to_degrees(), 30.0, 1e-2), "{e:?}");
    }

    #[test]
    fn bad_quaternions_are_refused() {
        assert!(Euler::from_quat([f32::NAN, 0.0, 0.0, 0.0]).is_none());
        assert!(Euler::from_quat([f32::INFINITY, 0.0, 0.0, 0.0]).is_none());
        assert!(Euler::from_quat([0.0, 0.0, 0.0, 0.0]).is_none());
        assert!(Euler::from_quat([2.0, 0.0, 0.0, 0.0]).is_none());
        assert!(Euler::from_quat([1.01, 0.0, 0.0, 0.0]).is_some());
    }

    #[test]
    fn wrapping() {
        assert!(close(wrap_180(190.0), -170.0, 1e-9));
        assert!(close(wrap_180(-190.0), 170.0, 1e-9));
        assert!(close(wrap_180(180.0), 180.0, 1e-9));
        assert!(close(wrap_180(-180.0), 180.0, 1e-9));
        assert!(close(wrap_180(720.0 + 45.0), 45.0, 1e-9));
        let v = yaw_earth_to_vehicle(170f64.to_radians(), (-170f64).to_radians());
        assert!(close(v.to_degrees(), -20.0, 1e-9));
        let e = yaw_vehicle_to_earth(v, (-170f64).to_radians());
        assert!(close(e.to_degrees(), 170.0, 1e-9));
    }

    #[test]
    fn look_at_known_geometry() {
        let from = GeoPoint {
            lat_deg: 47.0,
            lon_deg: 8.0,
            alt_m: 600.0,
        };
        // 100 m east and 100 m lower: bearing 90°, elevation −45°.
        let to = from.offset(0.0, 100.0, 100.0);
        let l = look_at(&from, &to);
        assert!(close(l.bearing_rad.to_degrees(), 90.0, 1e-6), "{l:?}");
        assert!(close(l.elevation_rad.to_degrees(), -45.0, 1e-6), "{l:?}");
        assert!(close(l.ground_distance_m, 100.0, 1e-6));
        // North-west, level.
        let to = from.offset(50.0, -50.0, 0.0);
        let l = look_at(&from, &to);
        assert!(close(l.bearing_rad.to_degrees(), -45.0, 1e-6), "{l:?}");
        assert!(close(l.elevation_rad, 0.0, 1e-9));
        // One degree of latitude is about 111.2 km.
        let to = GeoPoint {
            lat_deg: 48.0,
            ..from
        };
        assert!(close(look_at(&from, &to).ground_distance_m, 111_195.0, 5.0));
    }

    #[test]
    fn ray_meets_the_ground() {
        let from = GeoPoint {
            lat_deg: -33.0,
            lon_deg: 151.0,
            alt_m: 100.0,
        };
        // 45° down towards the south from 100 m: 100 m south, on the ground.
        let dir = direction_ned(PI, -PI / 4.0);
        let p = ray_to_ground(&from, dir, 0.0).expect("hits");
        let [n, e, _] = from.ned_to(&p);
        assert!(close(n, -100.0, 1e-6) && close(e, 0.0, 1e-6), "{n} {e}");
        assert_eq!(p.alt_m, 0.0);
        // Level or upwards: never.
        assert!(ray_to_ground(&from, direction_ned(0.0, 0.0), 0.0).is_none());
        assert!(ray_to_ground(&from, direction_ned(0.0, 0.1), 0.0).is_none());
        // Below the plane looking down: never.
        assert!(ray_to_ground(&from, dir, 200.0).is_none());
        // Round trip with look_at.
        let target = from.offset(30.0, 40.0, 100.0);
        let l = look_at(&from, &target);
        let hit =
            ray_to_ground(&from, direction_ned(l.bearing_rad, l.elevation_rad), 0.0).expect("hits");
        let [n, e, _] = target.ned_to(&hit);
        assert!(n.abs() < 1e-3 && e.abs() < 1e-3, "{n} {e}");
    }
}
