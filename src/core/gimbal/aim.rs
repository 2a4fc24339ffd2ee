//! Aiming the gimbal: what the component last sent to the SIYI link (angles through 0x0E, speeds
//! through 0x07) and the control loop that re-aims a goal as the vehicle moves (yaw lock, ROI),
//! corrects a rate motion (the closed-loop [`RateController`]) and stops one whose set-points
//! stopped; and whether it has yielded the gimbal to tracking's follow.
//!
//! Owns: the last angles and speeds sent, the rate controller, the control loop's next tick, the
//! yielded flag, the counts of clamped aims and timed-out rate motions (and whether the users
//! were told about the limits). Never touches: the goal (the component's; it is handed in and the outcome of a
//! step handed back), the host, the MAVLink side.

use std::time::{Duration, Instant};

use crate::core::geo;
use crate::core::link::{LinkControl, LinkHealth, Operation, Owner};
use crate::core::mavlink::host::{next_tick, MIN_TIMER_STEP};

use super::device::{self, PitchYaw};
use super::motion::{self, Goal};
use super::rate::RateController;
use super::vehicle::Vehicle;

/// Period of the control loop while a motion is active (angles re-aimed, rates corrected).
pub const CONTROL_PERIOD: Duration = Duration::from_millis(100);
/// A rate motion whose set-points stop arriving for longer than this is stopped.
pub const RATE_SETPOINT_TIMEOUT: Duration = Duration::from_secs(1);
/// A new angle target closer than this (degrees) to the last one sent is not sent again.
const ANGLE_RESEND_DEG: f64 = 0.3;

/// What one step of the control loop means for the goal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Step {
    /// The goal stands.
    Steady,
    /// The rate motion's set-points stopped arriving: the gimbal was stopped, the goal is over.
    RatesTimedOut,
    /// The angles were clamped to the gimbal's limits for the first time (the clamped angles
    /// were aimed): tell the users the limits.
    FirstClamp,
}

/// What was sent to the link and when the loop runs next. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Aim {
    rate: RateController,
    /// The last angles sent to the link, and when.
    sent_angles: Option<(PitchYaw, Instant)>,
    /// The last speeds sent to the link.
    sent_rates: (i8, i8),
    next_control: Option<Instant>,
    /// Tracking's follow moves the gimbal: the goal is kept as the reference (the same set-point
    /// again changes nothing), but nothing is sent until a different set-point arrives.
    yielded: bool,
    /// Aims clamped to the gimbal's limits.
    clamped: u64,
    said_clamped: bool,
    /// Rate motions stopped because their set-points stopped arriving.
    rate_timeouts: u64,
}

impl Aim {
    /// Aims clamped to the gimbal's limits, rate motions timed out.
    pub fn counts(&self) -> (u64, u64) {
        (self.clamped, self.rate_timeouts)
    }

    /// True while another part of the core moves the gimbal.
    pub fn yielded(&self) -> bool {
        self.yielded
    }

    /// Leaves the gimbal to another part of the core: forgets what was sent, stops the loop.
    /// Sends nothing.
    pub fn yield_gimbal(&mut self) {
        self.yielded = true;
        self.rate.reset();
        self.sent_rates = (0, 0);
        self.sent_angles = None;
        self.next_control = None;
    }

    /// When the control loop runs next (`None` = stopped).
    pub fn next_control(&self) -> Option<Instant> {
        self.next_control
    }

    /// The control loop's tick, when due at `now`.
    pub fn control_due(&self, now: Instant) -> Option<Instant> {
        self.next_control.filter(|at| now >= *at)
    }

    /// After the tick `at` ran at `now`: the next one while still `driving`, else stopped.
    pub fn schedule_after(&mut self, at: Instant, driving: bool, now: Instant) {
        self.next_control = driving.then(|| next_tick(at, CONTROL_PERIOD, now));
    }

    /// A motion started at `now`: the loop runs (if it does not already).
    pub fn start_loop(&mut self, now: Instant) {
        self.next_control
            .get_or_insert(now + CONTROL_PERIOD.max(MIN_TIMER_STEP));
    }

    /// The camera was lost during a rate motion: nothing is turning any more.
    pub fn rates_lost(&mut self) {
        self.sent_rates = (0, 0);
        self.rate.reset();
    }

    /// The camera is back: aim again what was aimed before the outage.
    pub fn link_up(&mut self) {
        self.sent_angles = None;
    }

    /// The goal changed to `goal` (from a rate motion when `was_rates`): takes the gimbal back,
    /// forgets the angles sent, restarts or stops the rate controller (a motion that is not a
    /// rate motion stops the gimbal's turning, unless idle and it never turned).
    pub fn retarget(
        &mut self,
        now: Instant,
        was_rates: bool,
        goal: &Goal,
        link: &mut impl LinkControl,
    ) {
        self.yielded = false;
        self.sent_angles = None;
        match goal {
            Goal::Rates { .. } if !was_rates => self.rate.reset(),
            Goal::Rates { .. } => {}
            _ if was_rates => {
                self.rate.reset();
                if !matches!(goal, Goal::Idle) || self.sent_rates != (0, 0) {
                    self.send_rates(now, (0, 0), link);
                }
            }
            _ => {}
        }
    }

    fn send_rates(&mut self, now: Instant, speeds: (i8, i8), link: &mut impl LinkControl) {
        self.sent_rates = speeds;
        link.start(
            now,
            Owner::Gimbal,
            Operation::GimbalRates {
                yaw_speed: speeds.0,
                pitch_speed: speeds.1,
            },
        );
    }

    /// One step of the control loop for `goal` (whose last set-point arrived at
    /// `last_setpoint`): aim the angles again (yaw lock, ROI), correct the rates, stop a rate
    /// motion whose set-points stopped.
    pub fn step(
        &mut self,
        now: Instant,
        goal: &Goal,
        vehicle: &Vehicle,
        last_setpoint: Option<Instant>,
        link: &mut impl LinkControl,
    ) -> Step {
        if link.health() != LinkHealth::Up {
            return Step::Steady;
        }
        if let Some(rates) = motion::vehicle_rates(goal, vehicle, now) {
            let stale = last_setpoint
                .is_none_or(|at| now.saturating_duration_since(at) > RATE_SETPOINT_TIMEOUT);
            if stale {
                self.rate_timeouts += 1;
                tracing::info!(target: "gimbal", "rate set-points stopped arriving: gimbal stopped");
                self.rate.reset();
                self.send_rates(now, (0, 0), link);
                return Step::RatesTimedOut;
            }
            let attitude = link.state().attitude;
            let at_limit = attitude.map_or([false; 2], |a| {
                let py = PitchYaw::from_siyi(&a.value);
                let lim = device::AT_LIMIT_DEG;
                [
                    (rates[0] > 0.0 && py.yaw_deg >= device::YAW_LIMIT_DEG - lim)
                        || (rates[0] < 0.0 && py.yaw_deg <= -device::YAW_LIMIT_DEG + lim),
                    (rates[1] > 0.0 && py.pitch_deg >= device::PITCH_MAX_DEG - lim)
                        || (rates[1] < 0.0 && py.pitch_deg <= device::PITCH_MIN_DEG + lim),
                ]
            });
            let speeds = self.rate.update(rates, attitude, at_limit);
            if speeds != self.sent_rates {
                self.send_rates(now, speeds, link);
            }
            return Step::Steady;
        }
        let Some(wanted) = motion::direction(goal, vehicle, now) else {
            return Step::Steady;
        };
        let (aim, clamped) = wanted.clamped();
        let far = |a: PitchYaw, b: PitchYaw| {
            (a.pitch_deg - b.pitch_deg).abs() >= ANGLE_RESEND_DEG
                || geo::wrap_180(a.yaw_deg - b.yaw_deg).abs() >= ANGLE_RESEND_DEG
        };
        let send = match self.sent_angles {
            None => true,
            Some((last, _)) => far(aim, last),
        };
        if send {
            self.sent_angles = Some((aim, now));
            let (yaw, pitch) = aim.to_siyi();
            link.start(now, Owner::Gimbal, Operation::GimbalAngles { yaw, pitch });
        }
        if clamped && !matches!(goal, Goal::Roi(_)) {
            self.clamped += 1;
            if !std::mem::replace(&mut self.said_clamped, true) {
                return Step::FirstClamp;
            }
        }
        Step::Steady
    }
}
