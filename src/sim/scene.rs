//! The synthetic scene the simulated camera looks at, and the camera geometry: pure functions,
//! no state, no clock. The AI module (`ai`) and the simulated tracker (`tracker`) both use it;
//! it is the one helper module sim parts may import besides `config` (see `sim/mod.rs`).
//!
//! # The target
//!
//! One car moves on a smooth, known path, given as a **direction from the camera** (the vehicle
//! does not move) as a function of scene time `t` (seconds since the simulator started):
//!
//! * azimuth `25° · sin(2πt / 40 s)` (positive = right of the vehicle's nose),
//! * elevation `−20° + 6° · sin(2πt / 23 s)` (negative = below the horizon),
//! * angular size [`TARGET_WIDTH_DEG`] × [`TARGET_HEIGHT_DEG`] (4° × 2.5°).
//!
//! Its fastest motion: the azimuth rate peaks at 25·2π/40 = **3.93 °/s** (at t = 0, 20, 40 … s),
//! the elevation rate at 6·2π/23 = **1.64 °/s** (t = 0, 11.5, 23 … s); both peak together at
//! t = 0 (and every 920 s), so the gimbal's axis rates need at most √(3.93² + 1.64²) = **4.26 °/s**
//! ([`MAX_AXIS_RATE_DPS`]); the true angular speed on the sky is at most 4.05 °/s (the azimuth
//! rate counts cos(elevation)).
//!
//! # Camera geometry and sign conventions
//!
//! The gimbal angles are the simulator's (= SIYI's, `siyi-protocol.md` §4.5, `sim/gimbal.rs`):
//! **yaw positive = left**, pitch positive = up, roll 0. So the boresight points at azimuth
//! `−yaw_deg`, elevation `pitch_deg`. The picture is a pinhole projection, 16:9, horizontal field
//! of view 81° at 1× and `2·atan(tan(40.5°) / zoom)` at `zoom`. Image coordinates are MAVLink's
//! normalised ones: 0..1, origin at the top left, x to the right, y down.

use std::f64::consts::PI;

/// Width of the target (a car), degrees of arc.
pub const TARGET_WIDTH_DEG: f64 = 4.0;
/// Height of the target, degrees of arc.
pub const TARGET_HEIGHT_DEG: f64 = 2.5;
/// Amplitude of the target's azimuth swing, degrees.
pub const AZIMUTH_AMPLITUDE_DEG: f64 = 25.0;
/// Period of the target's azimuth swing, seconds.
pub const AZIMUTH_PERIOD_S: f64 = 40.0;
/// Mean elevation of the target, degrees (negative = below the horizon).
pub const ELEVATION_MEAN_DEG: f64 = -20.0;
/// Amplitude of the target's elevation swing, degrees.
pub const ELEVATION_AMPLITUDE_DEG: f64 = 6.0;
/// Period of the target's elevation swing, seconds.
pub const ELEVATION_PERIOD_S: f64 = 23.0;
/// Largest azimuth rate of the target, degrees per second (25·2π/40 ≈ 3.93).
pub const MAX_AZIMUTH_RATE_DPS: f64 = AZIMUTH_AMPLITUDE_DEG * 2.0 * PI / AZIMUTH_PERIOD_S;
/// Largest elevation rate of the target, degrees per second (6·2π/23 ≈ 1.64).
pub const MAX_ELEVATION_RATE_DPS: f64 = ELEVATION_AMPLITUDE_DEG * 2.0 * PI / ELEVATION_PERIOD_S;
/// Largest gimbal axis-rate vector the target needs, degrees per second (≈ 4.26, at t = 0).
pub const MAX_AXIS_RATE_DPS: f64 = 4.255_335;
/// Horizontal field of view at 1× zoom, degrees.
pub const HFOV_1X_DEG: f64 = 81.0;
/// Frame aspect ratio, width / height.
pub const ASPECT: f64 = 16.0 / 9.0;

/// A direction from the camera's position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Direction {
    /// Azimuth, degrees, positive = right of the vehicle's nose.
    pub azimuth_deg: f64,
    /// Elevation, degrees, negative = below the horizon.
    pub elevation_deg: f64,
}

/// Where the simulated camera looks and when: what the AI module and the tracker need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimPose {
    /// Gimbal yaw, degrees, SIYI convention: **positive = left** (as in `SimState::yaw_deg`).
    pub yaw_deg: f64,
    /// Gimbal pitch, degrees, positive = up.
    pub pitch_deg: f64,
    /// Zoom factor (1.0…6.0).
    pub zoom: f64,
    /// Scene time, seconds since the simulator started.
    pub scene_time_s: f64,
}

impl SimPose {
    /// The direction the camera looks at (azimuth = −yaw).
    pub fn boresight(&self) -> Direction {
        Direction {
            azimuth_deg: -self.yaw_deg,
            elevation_deg: self.pitch_deg,
        }
    }
}

/// A box in normalised image coordinates (0..1, origin top left, x right, y down), by its centre
/// and size. The size is not clipped to the frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImageBox {
    /// Centre, x, fraction of the image width.
    pub center_x: f64,
    /// Centre, y, fraction of the image height.
    pub center_y: f64,
    /// Width, fraction of the image width.
    pub width: f64,
    /// Height, fraction of the image height.
    pub height: f64,
}

impl ImageBox {
    /// Whether the point (`x`, `y`) (normalised) lies inside the box, edges included.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        (x - self.center_x).abs() <= self.width / 2.0
            && (y - self.center_y).abs() <= self.height / 2.0
    }

    /// Left, top, right, bottom edges, each clipped to 0..1.
    pub fn clipped_edges(&self) -> (f64, f64, f64, f64) {
        let clip = |v: f64| v.clamp(0.0, 1.0);
        (
            clip(self.center_x - self.width / 2.0),
            clip(self.center_y - self.height / 2.0),
            clip(self.center_x + self.width / 2.0),
            clip(self.center_y + self.height / 2.0),
        )
    }
}

/// The target's direction at scene time `t_s` (seconds since the simulator started).
pub fn target_direction(t_s: f64) -> Direction {
    let t = if t_s.is_finite() { t_s } else { 0.0 };
    Direction {
        azimuth_deg: AZIMUTH_AMPLITUDE_DEG * (2.0 * PI * t / AZIMUTH_PERIOD_S).sin(),
        elevation_deg: ELEVATION_MEAN_DEG
            + ELEVATION_AMPLITUDE_DEG * (2.0 * PI * t / ELEVATION_PERIOD_S).sin(),
    }
}

/// Horizontal field of view at `zoom`, degrees: `2·atan(tan(40.5°) / zoom)` (81° at 1×). A zoom
/// below 1 or not finite counts as 1.
pub fn hfov_deg(zoom: f64) -> f64 {
    2.0 * half_tan_h(zoom).atan().to_degrees()
}

/// `tan(hfov / 2)` at `zoom`.
fn half_tan_h(zoom: f64) -> f64 {
    let zoom = if zoom.is_finite() && zoom >= 1.0 {
        zoom
    } else {
        1.0
    };
    (HFOV_1X_DEG / 2.0).to_radians().tan() / zoom
}

/// A unit vector in the vehicle frame (x forward, y right, z down).
type Vec3 = [f64; 3];

fn unit(d: Direction) -> Vec3 {
    let (az, el) = (d.azimuth_deg.to_radians(), d.elevation_deg.to_radians());
    [el.cos() * az.cos(), el.cos() * az.sin(), -el.sin()]
}

fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The camera's forward, right and down axes in the vehicle frame (roll 0).
fn camera_axes(pose: &SimPose) -> (Vec3, Vec3, Vec3) {
    let b = pose.boresight();
    let (az, el) = (b.azimuth_deg.to_radians(), b.elevation_deg.to_radians());
    let forward = [el.cos() * az.cos(), el.cos() * az.sin(), -el.sin()];
    let right = [-az.sin(), az.cos(), 0.0];
    let down = [el.sin() * az.cos(), el.sin() * az.sin(), el.cos()];
    (forward, right, down)
}

/// Projects `dir` into the picture taken at `pose`: the normalised image point, or `None` when it
/// is behind the camera. The point may lie outside 0..1 (outside the frame).
pub fn project_point(pose: &SimPose, dir: Direction) -> Option<(f64, f64)> {
    let (forward, right, down) = camera_axes(pose);
    let d = unit(dir);
    let f = dot(d, forward);
    if f <= 1e-9 {
        return None;
    }
    let tan_h = half_tan_h(pose.zoom);
    let tan_v = tan_h / ASPECT;
    let x = 0.5 + dot(d, right) / f / (2.0 * tan_h);
    let y = 0.5 + dot(d, down) / f / (2.0 * tan_v);
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

/// Projects an object at `dir` of angular size `width_deg` × `height_deg` into the picture taken
/// at `pose`: its box, or `None` when its centre is **outside the frame** (or behind the camera).
///
/// The size is that of the object at the image centre (`tan(size/2) / tan(fov/2)`); off-axis
/// stretching (a few percent at the frame edge) is ignored.
pub fn project(
    pose: &SimPose,
    dir: Direction,
    width_deg: f64,
    height_deg: f64,
) -> Option<ImageBox> {
    let (x, y) = project_point(pose, dir)?;
    if !((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)) {
        return None;
    }
    let tan_h = half_tan_h(pose.zoom);
    let tan_v = tan_h / ASPECT;
    Some(ImageBox {
        center_x: x,
        center_y: y,
        width: (width_deg.to_radians() / 2.0).tan() / tan_h,
        height: (height_deg.to_radians() / 2.0).tan() / tan_v,
    })
}

/// The target's box in the picture taken at `pose` (at `pose.scene_time_s`), `None` when it is
/// outside the frame.
pub fn target_box(pose: &SimPose) -> Option<ImageBox> {
    project(
        pose,
        target_direction(pose.scene_time_s),
        TARGET_WIDTH_DEG,
        TARGET_HEIGHT_DEG,
    )
}

/// The inverse of [`project_point`]: the direction seen at the normalised image point (`x`, `y`)
/// in the picture taken at `pose`. `None` for a non-finite point.
pub fn unproject(pose: &SimPose, x: f64, y: f64) -> Option<Direction> {
    if !(x.is_finite() && y.is_finite()) {
        return None;
    }
    let (forward, right, down) = camera_axes(pose);
    let tan_h = half_tan_h(pose.zoom);
    let tan_v = tan_h / ASPECT;
    let r = (x - 0.5) * 2.0 * tan_h;
    let d = (y - 0.5) * 2.0 * tan_v;
    let v: Vec3 = [
        forward[0] + r * right[0] + d * down[0],
        forward[1] + r * right[1] + d * down[1],
        forward[2] + r * right[2] + d * down[2],
    ];
    let norm = dot(v, v).sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return None;
    }
    Some(Direction {
        azimuth_deg: v[1].atan2(v[0]).to_degrees(),
        elevation_deg: (-v[2] / norm).clamp(-1.0, 1.0).asin().to_degrees(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pose(yaw_deg: f64, pitch_deg: f64, zoom: f64) -> SimPose {
        SimPose {
            yaw_deg,
            pitch_deg,
            zoom,
            scene_time_s: 0.0,
        }
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn fov_follows_the_zoom() {
        assert!(close(hfov_deg(1.0), 81.0, 1e-9));
        assert!(close(
            hfov_deg(2.0),
            2.0 * (40.5f64.to_radians().tan() / 2.0).atan().to_degrees(),
            1e-9
        ));
        assert!(
            hfov_deg(6.0) > 16.2 && hfov_deg(6.0) < 16.3,
            "{}",
            hfov_deg(6.0)
        );
        assert!(close(hfov_deg(f64::NAN), 81.0, 1e-9));
        assert!(close(hfov_deg(0.2), 81.0, 1e-9));
    }

    #[test]
    fn boresight_is_the_image_centre() {
        for (yaw, pitch, zoom) in [(0.0, 0.0, 1.0), (30.0, -20.0, 3.0), (-100.0, -80.0, 6.0)] {
            let p = pose(yaw, pitch, zoom);
            let (x, y) = project_point(&p, p.boresight()).unwrap();
            assert!(close(x, 0.5, 1e-9) && close(y, 0.5, 1e-9), "{x} {y}");
        }
    }

    #[test]
    fn signs_right_is_right_and_up_is_up() {
        let p = pose(0.0, 0.0, 1.0);
        // 10° right of the nose appears right of centre; SIYI yaw +10 (left) moves it further right.
        let right = Direction {
            azimuth_deg: 10.0,
            elevation_deg: 0.0,
        };
        let (x, y) = project_point(&p, right).unwrap();
        assert!(x > 0.5 && close(y, 0.5, 1e-9));
        let (x_left, _) = project_point(&pose(10.0, 0.0, 1.0), right).unwrap();
        assert!(x_left > x);
        // Turning the camera right (SIYI yaw −10) centres it.
        let (x_c, _) = project_point(&pose(-10.0, 0.0, 1.0), right).unwrap();
        assert!(close(x_c, 0.5, 1e-9));
        // Below the horizon appears below the centre (y down).
        let below = Direction {
            azimuth_deg: 0.0,
            elevation_deg: -10.0,
        };
        assert!(project_point(&p, below).unwrap().1 > 0.5);
        // The frame edge at 1×: 40.5° right is x = 1.
        let edge = Direction {
            azimuth_deg: 40.5,
            elevation_deg: 0.0,
        };
        assert!(close(project_point(&p, edge).unwrap().0, 1.0, 1e-9));
        // Behind the camera: nothing.
        let behind = Direction {
            azimuth_deg: 180.0,
            elevation_deg: 0.0,
        };
        assert_eq!(project_point(&p, behind), None);
    }

    #[test]
    fn unproject_inverts_project() {
        for (yaw, pitch, zoom) in [(0.0, 0.0, 1.0), (20.0, -25.0, 2.5), (-60.0, -70.0, 6.0)] {
            let p = pose(yaw, pitch, zoom);
            for (x, y) in [(0.5, 0.5), (0.1, 0.2), (0.9, 0.8), (0.0, 1.0)] {
                let dir = unproject(&p, x, y).unwrap();
                let (bx, by) = project_point(&p, dir).unwrap();
                assert!(
                    close(bx, x, 1e-9) && close(by, y, 1e-9),
                    "{x},{y} → {bx},{by}"
                );
            }
        }
        assert_eq!(unproject(&pose(0.0, 0.0, 1.0), f64::NAN, 0.5), None);
    }

    #[test]
    fn target_box_size_and_frame() {
        // Looking straight at the target at t = 0 (azimuth 0, elevation −20).
        let p = pose(0.0, -20.0, 1.0);
        let b = target_box(&p).unwrap();
        assert!(close(b.center_x, 0.5, 1e-9) && close(b.center_y, 0.5, 1e-9));
        // 4° of 81° is about 1/20 of the width.
        assert!(close(
            b.width,
            2f64.to_radians().tan() / 40.5f64.to_radians().tan(),
            1e-12
        ));
        assert!(b.width > 0.04 && b.width < 0.045, "{}", b.width);
        // At 6× it is six times larger.
        let b6 = target_box(&pose(0.0, -20.0, 6.0)).unwrap();
        assert!(close(b6.width, 6.0 * b.width, 1e-9));
        // Looking up at the sky: the target is below the frame.
        assert_eq!(target_box(&pose(0.0, 20.0, 1.0)), None);
        assert!(b.contains(0.5, 0.5) && !b.contains(0.6, 0.5));
    }

    #[test]
    fn path_and_its_maximum_rate() {
        let d0 = target_direction(0.0);
        assert!(close(d0.azimuth_deg, 0.0, 1e-12) && close(d0.elevation_deg, -20.0, 1e-12));
        assert!(close(target_direction(10.0).azimuth_deg, 25.0, 1e-9));
        // Numerical axis rates over the whole common period (920 s) in 10 ms steps.
        let dt = 0.01;
        let mut max_axis = 0.0f64;
        let mut max_az = 0.0f64;
        let mut max_el = 0.0f64;
        for i in 0..92_000 {
            let t = f64::from(i) * dt;
            let (a, b) = (
                target_direction(t - dt / 2.0),
                target_direction(t + dt / 2.0),
            );
            let az = (b.azimuth_deg - a.azimuth_deg) / dt;
            let el = (b.elevation_deg - a.elevation_deg) / dt;
            max_az = max_az.max(az.abs());
            max_el = max_el.max(el.abs());
            max_axis = max_axis.max(az.hypot(el));
        }
        assert!(close(max_az, MAX_AZIMUTH_RATE_DPS, 1e-3), "{max_az}");
        assert!(close(max_el, MAX_ELEVATION_RATE_DPS, 1e-3), "{max_el}");
        assert!(close(max_axis, MAX_AXIS_RATE_DPS, 1e-3), "{max_axis}");
        assert!(close(
            MAX_AXIS_RATE_DPS,
            MAX_AZIMUTH_RATE_DPS.hypot(MAX_ELEVATION_RATE_DPS),
            1e-6
        ));
    }
}
