//! The gimbal-follow controller: turns the tracked target's place in the image into gimbal
//! rates that bring it to the centre.
//!
//! A proportional controller on the **angle** between the image centre and the target: the
//! normalised error is converted to degrees with the current field of view, so the same error
//! in the picture turns the gimbal less when zoomed in (the gain is scaled by the FOV). A dead
//! band keeps the gimbal still when the target is nearly centred; rates are limited. Rates go to
//! the link as SIYI speeds (−100…100), re-sent only when they change or every
//! [`FollowConfig::resend`] while non-zero.

use std::time::{Duration, Instant};

/// Tuning of the follow controller.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct FollowConfig {
    /// Gimbal rate per degree of error, degrees per second per degree (i.e. 1/s).
    pub gain_per_s: f32,
    /// Largest commanded rate, degrees per second.
    pub max_rate_deg_s: f32,
    /// No motion on an axis while the target is this close to the centre, a fraction of the
    /// frame (0.02 = 2 % of the width or height).
    pub dead_band: f32,
    /// Degrees per second of one SIYI speed unit (0x07 speeds are −100…100). The simulator
    /// turns 0.9°/s per unit; the real A8 mini's scale is not published — the loop closes on
    /// the image, so an error here changes the response time, not the aim.
    pub deg_s_per_speed_unit: f32,
    /// A non-zero rate is sent again this often even when unchanged.
    pub resend: Duration,
}

impl Default for FollowConfig {
    fn default() -> Self {
        Self {
            gain_per_s: 2.0,
            max_rate_deg_s: 60.0,
            dead_band: 0.01,
            deg_s_per_speed_unit: 0.9,
            resend: Duration::from_millis(500),
        }
    }
}

/// The camera's field of view, degrees.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Fov {
    /// Horizontal, degrees.
    pub h_deg: f32,
    /// Vertical, degrees.
    pub v_deg: f32,
}

/// Gimbal speeds, SIYI scale −100…100; positive yaw = right, positive pitch = up.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Speeds {
    /// Yaw speed.
    pub yaw: i8,
    /// Pitch speed.
    pub pitch: i8,
}

/// Angle between the image centre and the normalised coordinate `c` on an axis with field of
/// view `fov_deg`, degrees (positive right / down).
fn angle_deg(c: f32, fov_deg: f32) -> f32 {
    let half = (fov_deg / 2.0).to_radians().tan();
    ((c - 0.5) * 2.0 * half).atan().to_degrees()
}

/// The rates (degrees per second, positive yaw right, positive pitch up) that bring the target
/// centred at `centre` (normalised, origin top left) to the middle of the picture.
pub fn rates_deg_s(config: &FollowConfig, centre: (f32, f32), fov: Fov) -> (f32, f32) {
    let axis = |c: f32, fov_deg: f32| {
        if !c.is_finite() || !fov_deg.is_finite() || (c - 0.5).abs() < config.dead_band {
            return 0.0;
        }
        let rate = config.gain_per_s * angle_deg(c, fov_deg);
        rate.clamp(-config.max_rate_deg_s, config.max_rate_deg_s)
    };
    // Image y grows downwards; pitch up is positive.
    (axis(centre.0, fov.h_deg), -axis(centre.1, fov.v_deg))
}

/// Degrees per second → SIYI speed units (a non-zero rate is at least one unit).
pub fn to_speed(config: &FollowConfig, rate_deg_s: f32) -> i8 {
    if rate_deg_s == 0.0 || !rate_deg_s.is_finite() {
        return 0;
    }
    let units = (rate_deg_s / config.deg_s_per_speed_unit).round();
    let units = if units == 0.0 {
        rate_deg_s.signum()
    } else {
        units
    };
    units.clamp(-100.0, 100.0) as i8
}

/// The controller's memory: what was last sent, and when.
#[derive(Clone, Debug)]
pub struct Follow {
    config: FollowConfig,
    last: Option<(Speeds, Instant)>,
}

impl Follow {
    /// A controller that has sent nothing yet.
    pub fn new(config: FollowConfig) -> Self {
        Self { config, last: None }
    }

    /// The tuning.
    pub fn config(&self) -> &FollowConfig {
        &self.config
    }

    /// The speeds to send now for a target at `centre` (`None`: hold still), or `None` when the
    /// last command still stands.
    pub fn step(&mut self, now: Instant, centre: Option<(f32, f32)>, fov: Fov) -> Option<Speeds> {
        let speeds = match centre {
            Some(c) => {
                let (yaw, pitch) = rates_deg_s(&self.config, c, fov);
                Speeds {
                    yaw: to_speed(&self.config, yaw),
                    pitch: to_speed(&self.config, pitch),
                }
            }
            None => Speeds::default(),
        };
        self.send_if_needed(now, speeds)
    }

    /// Stop the gimbal unless it is already stopped (or was never moved by us).
    pub fn stop(&mut self, now: Instant) -> Option<Speeds> {
        match self.last {
            Some((s, _)) if s != Speeds::default() => self.send_if_needed(now, Speeds::default()),
            _ => None,
        }
    }

    /// Forget what was sent (someone else moves the gimbal now).
    pub fn forget(&mut self) {
        self.last = None;
    }

    /// Whether the last command sent was a motion.
    pub fn moving(&self) -> bool {
        self.last.is_some_and(|(s, _)| s != Speeds::default())
    }

    /// When an unchanged non-zero command is due again.
    pub fn resend_at(&self) -> Option<Instant> {
        match self.last {
            Some((s, at)) if s != Speeds::default() => Some(at + self.config.resend),
            _ => None,
        }
    }

    fn send_if_needed(&mut self, now: Instant, speeds: Speeds) -> Option<Speeds> {
        let due = match self.last {
            None => speeds != Speeds::default(),
            Some((last, at)) => {
                last != speeds
                    || (speeds != Speeds::default()
                        && now.saturating_duration_since(at) >= self.config.resend)
            }
        };
        if due {
            self.last = Some((speeds, now));
            Some(speeds)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOV_1X: Fov = Fov {
        h_deg: 81.0,
        v_deg: 51.0,
    };

    #[test]
    fn signs_follow_the_image() {
        let c = FollowConfig::default();
        let (yaw, pitch) = rates_deg_s(&c, (0.75, 0.25), FOV_1X);
        assert!(yaw > 0.0, "target right of centre → yaw right");
        assert!(pitch > 0.0, "target above centre → pitch up");
        let (yaw, pitch) = rates_deg_s(&c, (0.25, 0.75), FOV_1X);
        assert!(yaw < 0.0 && pitch < 0.0);
        assert_eq!(rates_deg_s(&c, (0.5, 0.5), FOV_1X), (0.0, 0.0));
    }

    #[test]
    fn dead_band_and_limits() {
        let c = FollowConfig::default();
        assert_eq!(rates_deg_s(&c, (0.505, 0.495), FOV_1X), (0.0, 0.0));
        let (yaw, _) = rates_deg_s(&c, (1.0, 0.5), FOV_1X);
        // Edge of a 81° frame: 40.5° off, × 2/s = 81°/s, limited to 60.
        assert_eq!(yaw, 60.0);
        assert_eq!(to_speed(&c, 60.0), 67);
        assert_eq!(to_speed(&c, 1000.0), 100);
        assert_eq!(to_speed(&c, -0.1), -1, "a small rate still moves");
        assert_eq!(to_speed(&c, 0.0), 0);
        assert_eq!(to_speed(&c, f32::NAN), 0);
        assert_eq!(rates_deg_s(&c, (f32::NAN, 0.5), FOV_1X), (0.0, 0.0));
    }

    #[test]
    fn gain_scales_with_the_field_of_view() {
        let c = FollowConfig::default();
        let wide = rates_deg_s(&c, (0.6, 0.5), FOV_1X).0;
        let zoomed = Fov {
            h_deg: 81.0 / 6.0,
            v_deg: 51.0 / 6.0,
        };
        let narrow = rates_deg_s(&c, (0.6, 0.5), zoomed).0;
        assert!(narrow > 0.0 && narrow < wide / 4.0, "{narrow} vs {wide}");
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn sends_changes_and_keepalives_only() {
        let t0 = Instant::now();
        let mut f = Follow::new(FollowConfig::default());
        assert_eq!(
            f.step(t0, None, FOV_1X),
            None,
            "still and never moved: nothing"
        );
        assert_eq!(f.stop(t0), None);
        let s = f.step(t0, Some((0.7, 0.5)), FOV_1X).expect("moves");
        assert!(s.yaw > 0 && s.pitch == 0);
        assert!(f.moving());
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(f.step(t1, Some((0.7, 0.5)), FOV_1X), None, "unchanged");
        assert_eq!(f.resend_at(), Some(t0 + Duration::from_millis(500)));
        let t2 = t0 + Duration::from_millis(500);
        assert_eq!(f.step(t2, Some((0.7, 0.5)), FOV_1X), Some(s), "keep-alive");
        assert_eq!(f.step(t2, None, FOV_1X), Some(Speeds::default()), "hold");
        assert!(!f.moving());
        assert_eq!(f.resend_at(), None);
        assert_eq!(f.stop(t2), None, "already stopped");
        f.step(t2, Some((0.9, 0.5)), FOV_1X);
        f.forget();
        assert_eq!(f.stop(t2), None, "forgotten: not ours to stop");
    }
}
