//! The closed-loop rate controller: turns an asked angular rate (degrees per second) into the
//! SIYI speed scale (−100…100 of 0x07) and corrects it from the measured motion until the gimbal
//! turns at the asked rate.
//!
//! The scale: ±100 is taken as 90 °/s (0.9 °/s per unit, [`DEG_PER_S_PER_UNIT`]), the figure
//! ArduPilot's SIYI driver uses (`AP_MOUNT_SIYI_RATE_MAX_RADS = radians(90)`) and the simulator's
//! default; SIYI does not document it. That is only the feed-forward: an integral term on the
//! measured rate (the change of the 0x0D angles between readings, i.e. relative to the vehicle,
//! which is what a user sees) makes up for a gimbal that turns faster or slower per unit. The
//! speed is a whole number of units, so the reached rate is within one unit (0.9 °/s × the
//! gimbal's true gain) of the asked one.
//!
//! Owns: the integral of each axis and the last reading it measured from. Never touches: the link.

use std::time::{Duration, Instant};

use crate::core::link::Fresh;
use siyi_protocol::Attitude;

/// Degrees per second of one unit of the SIYI speed scale (assumed; corrected in closed loop).
pub const DEG_PER_S_PER_UNIT: f64 = 0.9;
/// The fastest rate asked of the gimbal, degrees per second (faster asks are clamped).
pub const MAX_RATE_DPS: f64 = 100.0 * DEG_PER_S_PER_UNIT;
/// Integral gain, units per (°/s of error × s).
const KI: f64 = 1.5;
/// The integral never corrects by more than this many units.
const MAX_CORRECTION_UNITS: f64 = 60.0;
/// Readings closer together than this are not differentiated.
const MIN_SAMPLE_GAP: Duration = Duration::from_millis(20);
/// Readings further apart than this are not differentiated (the link lost some).
const MAX_SAMPLE_GAP: Duration = Duration::from_millis(500);

/// One axis: yaw (index 0, MAVLink sign: positive right) or pitch (index 1, positive up).
#[derive(Clone, Copy, PartialEq, Debug, Default)]
struct Axis {
    correction_units: f64,
    measured_dps: Option<f64>,
}

/// The rate controller. See the module docs.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct RateController {
    axes: [Axis; 2],
    last: Option<(Instant, [f64; 2])>,
    target_dps: [f64; 2],
}

impl RateController {
    /// Forgets the integral and the last reading (a new motion starts from the feed-forward).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The rate measured from the last two readings, degrees per second, (yaw positive right,
    /// pitch positive up); `None` before two close readings.
    pub fn measured_dps(&self) -> [Option<f64>; 2] {
        [self.axes[0].measured_dps, self.axes[1].measured_dps]
    }

    /// The SIYI speeds `(yaw_speed, pitch_speed)` that turn the gimbal at `target_dps`
    /// (yaw positive right, pitch positive up; clamped to ±[`MAX_RATE_DPS`]), given the latest
    /// attitude reading. `at_limit` tells, per axis, that the gimbal is at a mechanical limit in
    /// the asked direction (no correction builds up against it).
    pub fn update(
        &mut self,
        target_dps: [f64; 2],
        attitude: Option<Fresh<Attitude>>,
        at_limit: [bool; 2],
    ) -> (i8, i8) {
        let target = target_dps.map(|t| {
            if t.is_finite() {
                t.clamp(-MAX_RATE_DPS, MAX_RATE_DPS)
            } else {
                0.0
            }
        });
        for ((t, old), axis) in target.iter().zip(self.target_dps).zip(&mut self.axes) {
            if *t == 0.0 || t.signum() != old.signum() {
                axis.correction_units = 0.0;
            }
        }
        self.target_dps = target;
        if let Some(reading) = attitude {
            let angles = [
                -f64::from(reading.value.yaw.0) / 10.0,
                f64::from(reading.value.pitch.0) / 10.0,
            ];
            match self.last {
                Some((at, _)) if reading.at <= at => {} // no new reading
                Some((at, prev)) => {
                    let dt = reading.at.duration_since(at);
                    if dt >= MIN_SAMPLE_GAP {
                        if dt <= MAX_SAMPLE_GAP {
                            let dt_s = dt.as_secs_f64();
                            for i in 0..2 {
                                let measured = (angles[i] - prev[i]) / dt_s;
                                let axis = &mut self.axes[i];
                                axis.measured_dps = Some(measured);
                                if target[i] != 0.0 && !at_limit[i] {
                                    axis.correction_units = (axis.correction_units
                                        + KI * (target[i] - measured) * dt_s)
                                        .clamp(-MAX_CORRECTION_UNITS, MAX_CORRECTION_UNITS);
                                }
                            }
                        }
                        self.last = Some((reading.at, angles));
                    }
                }
                None => self.last = Some((reading.at, angles)),
            }
        }
        let units = |i: usize| -> i8 {
            if target[i] == 0.0 {
                return 0;
            }
            let u = target[i] / DEG_PER_S_PER_UNIT + self.axes[i].correction_units;
            // Never reverse the asked direction, never stop a motion that was asked for.
            let u = if target[i] > 0.0 {
                u.clamp(1.0, 100.0)
            } else {
                u.clamp(-100.0, -1.0)
            };
            u.round() as i8
        };
        (units(0), units(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use siyi_protocol::{Decidegrees, DecidegreesPerSecond};

    fn reading(at: Instant, yaw_deg: f64, pitch_deg: f64) -> Fresh<Attitude> {
        Fresh::new(
            Attitude {
                yaw: Decidegrees((-yaw_deg * 10.0).round() as i16),
                pitch: Decidegrees((pitch_deg * 10.0).round() as i16),
                roll: Decidegrees(0),
                yaw_rate: DecidegreesPerSecond(0),
                pitch_rate: DecidegreesPerSecond(0),
                roll_rate: DecidegreesPerSecond(0),
            },
            at,
        )
    }

    /// A gimbal whose true gain is `gain_dps_per_unit` reaches the asked rate.
    fn converges(gain_dps_per_unit: f64, target: f64) {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let mut c = RateController::default();
        let (mut yaw, mut pitch) = (0.0f64, 0.0f64);
        let mut speeds = c.update(
            [target, -target / 2.0],
            Some(reading(t0, yaw, pitch)),
            [false; 2],
        );
        let dt = 0.1;
        for k in 1..=60 {
            yaw += f64::from(speeds.0) * gain_dps_per_unit * dt;
            pitch += f64::from(speeds.1) * gain_dps_per_unit * dt;
            let at = t0 + Duration::from_millis(100 * k);
            speeds = c.update(
                [target, -target / 2.0],
                Some(reading(at, yaw, pitch)),
                [false; 2],
            );
        }
        let yaw_rate = f64::from(speeds.0) * gain_dps_per_unit;
        let pitch_rate = f64::from(speeds.1) * gain_dps_per_unit;
        assert!(
            (yaw_rate - target).abs() <= gain_dps_per_unit,
            "{yaw_rate} vs {target}"
        );
        assert!(
            (pitch_rate + target / 2.0).abs() <= gain_dps_per_unit,
            "{pitch_rate}"
        );
    }

    #[test]
    fn reaches_the_asked_rate_whatever_the_gain() {
        converges(0.9, 20.0);
        converges(0.6, 20.0);
        converges(1.2, -30.0);
        converges(0.5, 5.0);
    }

    #[test]
    fn zero_is_stop_and_limits_clamp() {
        let mut c = RateController::default();
        assert_eq!(c.update([0.0, 0.0], None, [false; 2]), (0, 0));
        assert_eq!(c.update([500.0, -500.0], None, [false; 2]), (100, -100));
        assert_eq!(c.update([f64::NAN, 0.1], None, [false; 2]), (0, 1));
    }
}
