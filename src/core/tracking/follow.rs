//! The gimbal-follow controller: turns the tracked target's place in the image into gimbal
//! rates that bring it to the centre.
//!
//! A proportional-integral controller on the **angle** between the image centre and the target:
//! the normalised error is converted to degrees with the current field of view, so the same
//! error in the picture turns the gimbal less when zoomed in (the gain is scaled by the FOV).
//! The integral term learns the target's own angular speed, so a target moving steadily is held
//! in the middle instead of trailing behind by speed / gain (which, zoomed in, is a large part
//! of the frame). A dead band silences the proportional term when the target is nearly centred;
//! the integral is bounded (anti-windup) and frozen while the target is lost; rates are limited.
//! Rates go to the link as SIYI speeds (−100…100), re-sent only when they change or every
//! [`FollowConfig::resend`] while non-zero, and the controller steps at most once per
//! [`FollowConfig::period`].

use std::time::{Duration, Instant};

/// Tuning of the follow controller.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct FollowConfig {
    /// Gimbal rate per degree of error, degrees per second per degree (i.e. 1/s).
    pub gain_per_s: f32,
    /// Gimbal rate per degree-second of accumulated error (1/s²).
    pub integral_gain_per_s2: f32,
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
    /// The controller steps at most once per period (50 ms = 20 Hz), however fast the tracker
    /// reports: a report that comes sooner is acted on when the period is up. Stopping is
    /// never delayed.
    pub period: Duration,
}

impl Default for FollowConfig {
    fn default() -> Self {
        Self {
            gain_per_s: 2.0,
            integral_gain_per_s2: 1.0,
            max_rate_deg_s: 60.0,
            dead_band: 0.01,
            deg_s_per_speed_unit: 0.9,
            resend: Duration::from_millis(500),
            period: Duration::from_millis(50),
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

/// The angular error of a target centred at `centre` (normalised, origin top left), degrees,
/// positive yaw right and positive pitch up; 0 for values that are not finite.
pub fn error_deg(centre: (f32, f32), fov: Fov) -> (f32, f32) {
    let axis = |c: f32, fov_deg: f32| {
        let e = angle_deg(c, fov_deg);
        if e.is_finite() {
            e
        } else {
            0.0
        }
    };
    // Image y grows downwards; pitch up is positive.
    (axis(centre.0, fov.h_deg), -axis(centre.1, fov.v_deg))
}

/// The proportional rates (degrees per second, positive yaw right, positive pitch up) that
/// bring the target centred at `centre` to the middle of the picture (dead band and limit
/// applied).
pub fn rates_deg_s(config: &FollowConfig, centre: (f32, f32), fov: Fov) -> (f32, f32) {
    let (yaw_err, pitch_err) = error_deg(centre, fov);
    let axis = |c: f32, e: f32| {
        if !c.is_finite() || (c - 0.5).abs() < config.dead_band {
            return 0.0;
        }
        (config.gain_per_s * e).clamp(-config.max_rate_deg_s, config.max_rate_deg_s)
    };
    (axis(centre.0, yaw_err), axis(centre.1, pitch_err))
}

/// Degrees per second → SIYI speed units, rounded (a rate under half a unit is no motion: one
/// unit is the gimbal's slowest speed, and forcing it would make the gimbal hunt around a still
/// target).
pub fn to_speed(config: &FollowConfig, rate_deg_s: f32) -> i8 {
    if !rate_deg_s.is_finite() {
        return 0;
    }
    (rate_deg_s / config.deg_s_per_speed_unit)
        .round()
        .clamp(-100.0, 100.0) as i8
}

/// The controller's memory: what was last sent, and when.
#[derive(Clone, Debug)]
pub struct Follow {
    config: FollowConfig,
    last: Option<(Speeds, Instant)>,
    /// Accumulated angular error, degree-seconds (yaw, pitch).
    integral: (f32, f32),
    /// When the error was last accumulated.
    last_step: Option<Instant>,
}

impl Follow {
    /// A controller that has sent nothing yet.
    pub fn new(config: FollowConfig) -> Self {
        Self {
            config,
            last: None,
            integral: (0.0, 0.0),
            last_step: None,
        }
    }

    /// A new track: the accumulated error starts again (what was sent is kept, so a motion can
    /// still be stopped).
    pub fn restart(&mut self) {
        self.integral = (0.0, 0.0);
        self.last_step = None;
    }

    /// The rates for a target at `centre` after `dt` more of accumulated error.
    fn pi_rates(&mut self, centre: (f32, f32), fov: Fov, dt_s: f32) -> (f32, f32) {
        let c = &self.config;
        let (p_yaw, p_pitch) = rates_deg_s(c, centre, fov);
        let (e_yaw, e_pitch) = error_deg(centre, fov);
        // Inside the dead band the error does not accumulate (a still target stays still).
        let outside = |v: f32| (v - 0.5).abs() >= c.dead_band;
        let e_yaw = if outside(centre.0) { e_yaw } else { 0.0 };
        let e_pitch = if outside(centre.1) { e_pitch } else { 0.0 };
        // Anti-windup: the integral alone never asks for more than half the rate limit.
        let bound = if c.integral_gain_per_s2 > 0.0 {
            c.max_rate_deg_s / 2.0 / c.integral_gain_per_s2
        } else {
            0.0
        };
        let acc = |i: f32, e: f32| (i + e * dt_s).clamp(-bound, bound);
        self.integral = (acc(self.integral.0, e_yaw), acc(self.integral.1, e_pitch));
        let out = |p: f32, i: f32| {
            (p + c.integral_gain_per_s2 * i).clamp(-c.max_rate_deg_s, c.max_rate_deg_s)
        };
        (out(p_yaw, self.integral.0), out(p_pitch, self.integral.1))
    }

    /// The tuning.
    pub fn config(&self) -> &FollowConfig {
        &self.config
    }

    /// The speeds to send now for a target at `centre` (`None`: hold still, the accumulated
    /// error frozen), or `None` when the last command still stands.
    pub fn step(&mut self, now: Instant, centre: Option<(f32, f32)>, fov: Fov) -> Option<Speeds> {
        // At most half a second of error counts at once (a gap in the reports is not motion).
        let dt_s = self.last_step.map_or(0.0, |t| {
            now.saturating_duration_since(t).as_secs_f32().min(0.5)
        });
        self.last_step = Some(now);
        let speeds = match centre {
            Some(c) => {
                let (yaw, pitch) = self.pi_rates(c, fov, dt_s);
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
        self.restart();
    }

    /// Whether the last command sent was a motion.
    pub fn moving(&self) -> bool {
        self.last.is_some_and(|(s, _)| s != Speeds::default())
    }

    /// The earliest time of the next [`Follow::step`] ([`FollowConfig::period`] after the
    /// last); `None` before the first step of a track.
    pub fn next_step_at(&self) -> Option<Instant> {
        self.last_step.map(|t| t + self.config.period)
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
        assert_eq!(to_speed(&c, -0.4), 0, "under half a unit: still");
        assert_eq!(to_speed(&c, -0.5), -1);
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
        // Proportional only: the same place gives the same command.
        let mut f = Follow::new(FollowConfig {
            integral_gain_per_s2: 0.0,
            ..FollowConfig::default()
        });
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

#[cfg(test)]
mod integral_tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn the_integral_learns_a_steady_offset_and_is_bounded_and_frozen_while_lost() {
        let fov = Fov {
            h_deg: 20.0,
            v_deg: 11.0,
        };
        let t0 = Instant::now();
        let mut f = Follow::new(FollowConfig::default());
        // A target held 0.04 right of centre (inside no dead band) for 2 s: the command grows.
        let first = f.step(t0, Some((0.54, 0.5)), fov).expect("moves").yaw;
        let mut later = first;
        for i in 1..=20 {
            let t = t0 + Duration::from_millis(100 * i);
            if let Some(s) = f.step(t, Some((0.54, 0.5)), fov) {
                later = s.yaw;
            }
        }
        assert!(later > first, "the integral adds: {first} → {later}");
        // Lost for 3 s: hold still, and the integral does not grow meanwhile.
        let t = t0 + Duration::from_millis(2100);
        assert_eq!(f.step(t, None, fov), Some(Speeds::default()));
        let t = t0 + Duration::from_millis(5100);
        f.step(t, None, fov);
        let back = f
            .step(t + Duration::from_millis(100), Some((0.54, 0.5)), fov)
            .expect("moves again")
            .yaw;
        assert!(
            (back - later).abs() <= 1,
            "frozen while lost: {later} vs {back}"
        );
        // Far off for a long time: the integral part stays within half the limit.
        let mut f = Follow::new(FollowConfig::default());
        for i in 0..600 {
            f.step(t0 + Duration::from_millis(100 * i), Some((0.9, 0.5)), fov);
        }
        assert!(f.integral.0 * f.config.integral_gain_per_s2 <= 30.0 + 1e-3);
        f.restart();
        assert_eq!(f.integral, (0.0, 0.0));
    }
}
