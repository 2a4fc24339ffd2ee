//! What the MAVLink users asked of the gimbal: the current [`Goal`], when its last set-point
//! arrived (a rate motion stops when they stop), and whether a user gave new input since the
//! component last said so (tracking's follow hands the gimbal back then).
//!
//! Owns: the goal, the time of its last set-point, the "new manual input" flag, the count of
//! refused set-points. Never touches:
//! the link, the host, what was sent (the component has [`super::aim`] carry a change out).

use std::time::Instant;

use super::motion::{Goal, YawFrame};
use super::setpoint::{BadSetpoint, Setpoint};
use super::vehicle::Vehicle;

/// What a set-point did to the goal.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Offer {
    /// Refused: NaN/infinite values, a quaternion that is not a unit quaternion (counted).
    Bad,
    /// The set-point asks nothing.
    Nothing,
    /// Yaw lock without the vehicle's heading (no ATTITUDE from our autopilot): try again later.
    NeedsHeading,
    /// The goal already was this one (a manager streaming its set-point).
    Same,
    /// The goal changed from `from`.
    Changed {
        /// The goal before.
        from: Goal,
    },
}

/// The goal and its input. See the module docs.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Intent {
    goal: Goal,
    last_setpoint: Option<Instant>,
    manual: bool,
    bad_setpoints: u64,
}

impl Default for Intent {
    fn default() -> Self {
        Self {
            goal: Goal::Idle,
            last_setpoint: None,
            manual: false,
            bad_setpoints: 0,
        }
    }
}

impl Intent {
    /// What the gimbal is asked to do now.
    pub fn goal(&self) -> Goal {
        self.goal
    }

    /// When the current goal's last set-point arrived.
    pub fn last_setpoint(&self) -> Option<Instant> {
        self.last_setpoint
    }

    /// Set-points refused so far.
    pub fn bad_setpoints(&self) -> u64 {
        self.bad_setpoints
    }

    /// True while the goal is a rate motion.
    pub fn rate_motion(&self) -> bool {
        matches!(self.goal, Goal::Rates { .. })
    }

    /// True once after a user gave the gimbal a new goal.
    pub fn take_manual(&mut self) -> bool {
        std::mem::take(&mut self.manual)
    }

    /// A parsed set-point arrived at `now`: a bad one is counted; zero rates mean idle; an
    /// earth-frame angle needs the `vehicle`'s heading.
    pub fn offer(&mut self, now: Instant, setpoint: Setpoint, vehicle: &Vehicle) -> Offer {
        let goal = match setpoint {
            Ok(Some(g)) => g,
            Ok(None) => return Offer::Nothing,
            Err(BadSetpoint) => {
                self.bad_setpoints += 1;
                if self.bad_setpoints.is_power_of_two() {
                    tracing::warn!(target: "gimbal", bad = self.bad_setpoints, "gimbal set-point refused (NaN, infinite or not a unit quaternion)");
                }
                return Offer::Bad;
            }
        };
        let goal = match goal {
            Goal::Rates {
                pitch_dps, yaw_dps, ..
            } if pitch_dps == 0.0 && yaw_dps == 0.0 => Goal::Idle,
            g => g,
        };
        if let Goal::Angles {
            frame: YawFrame::Earth,
            ..
        } = goal
        {
            if vehicle.heading_rad(now).is_none() {
                return Offer::NeedsHeading;
            }
        }
        self.last_setpoint = Some(now);
        if goal == self.goal {
            return Offer::Same;
        }
        self.manual = true;
        let from = std::mem::replace(&mut self.goal, goal);
        Offer::Changed { from }
    }

    /// DO_SET_ROI_NONE: a location goal ends (new input); any other goal stays.
    pub fn end_roi(&mut self) {
        if matches!(self.goal, Goal::Roi(_)) {
            self.goal = Goal::Idle;
            self.manual = true;
        }
    }

    /// The motion ended by itself (set-points stopped, the camera was lost): idle, no new input.
    pub fn end(&mut self) {
        self.goal = Goal::Idle;
    }
}
