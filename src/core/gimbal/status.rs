//! The two status streams the component sends to everyone: GIMBAL_DEVICE_ATTITUDE_STATUS (every
//! 100 ms by default; SET_MESSAGE_INTERVAL for it changes the period or stops it) and, while the
//! bridge is the manager, GIMBAL_MANAGER_STATUS (1 Hz), plus the device flags both report.
//!
//! Owns: the attitude status period and the next tick of each stream. Never touches: the link,
//! the host (the component builds and sends the messages when a tick is due), the goal.

use std::time::{Duration, Instant};

use mavlink::dialects::common::GimbalDeviceFlags;

use crate::core::mavlink::host::next_tick;

use super::motion::Goal;

/// Default period of GIMBAL_DEVICE_ATTITUDE_STATUS (10 Hz).
pub const ATTITUDE_STATUS_PERIOD: Duration = Duration::from_millis(100);
/// Period of GIMBAL_MANAGER_STATUS while the bridge is the manager.
pub const MANAGER_STATUS_PERIOD: Duration = Duration::from_secs(1);
/// Fastest SET_MESSAGE_INTERVAL honoured for the attitude status.
const MIN_ATTITUDE_PERIOD: Duration = Duration::from_millis(20);
/// Slowest SET_MESSAGE_INTERVAL honoured for the attitude status.
const MAX_ATTITUDE_PERIOD: Duration = Duration::from_secs(60);

/// The timers of the status streams. See the module docs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StatusStreams {
    /// `None` = the attitude status is stopped.
    attitude_period: Option<Duration>,
    next_attitude: Instant,
    next_manager_status: Instant,
}

impl StatusStreams {
    /// Both streams due at `now`, the attitude status at its default period.
    pub fn new(now: Instant) -> Self {
        Self {
            attitude_period: Some(ATTITUDE_STATUS_PERIOD),
            next_attitude: now,
            next_manager_status: now,
        }
    }

    /// When a stream is due next: the attitude status (unless stopped) and the manager status
    /// (only `while_manager`).
    pub fn next_due(&self, while_manager: bool) -> [Option<Instant>; 2] {
        [
            self.attitude_period.map(|_| self.next_attitude),
            while_manager.then_some(self.next_manager_status),
        ]
    }

    /// True when the attitude status is due at `now` (its next tick is then scheduled).
    pub fn attitude_due(&mut self, now: Instant) -> bool {
        match self.attitude_period {
            Some(period) if now >= self.next_attitude => {
                self.next_attitude = next_tick(self.next_attitude, period, now);
                true
            }
            _ => false,
        }
    }

    /// True when the manager status is due at `now` (its next tick is then scheduled). Ask only
    /// while the bridge is the manager.
    pub fn manager_status_due(&mut self, now: Instant) -> bool {
        if now < self.next_manager_status {
            return false;
        }
        self.next_manager_status = next_tick(self.next_manager_status, MANAGER_STATUS_PERIOD, now);
        true
    }

    /// SET_MESSAGE_INTERVAL for the attitude status (it goes to everyone: the period is the
    /// component's): −1 stops it, 0 restores the default, a positive interval (µs) is clamped to
    /// 20 ms…60 s; the next one is sent at once. `false` (nothing changed): an invalid interval.
    pub fn set_attitude_interval(&mut self, now: Instant, interval_us: f32) -> bool {
        self.attitude_period = if interval_us == -1.0 {
            None
        } else if interval_us == 0.0 {
            Some(ATTITUDE_STATUS_PERIOD)
        } else if interval_us.is_finite() && interval_us > 0.0 {
            Some(
                Duration::from_micros(interval_us as u64)
                    .clamp(MIN_ATTITUDE_PERIOD, MAX_ATTITUDE_PERIOD),
            )
        } else {
            return false;
        };
        self.next_attitude = now;
        true
    }
}

/// The device flags GIMBAL_MANAGER_STATUS reports for `goal` (yaw lock, neutral).
pub fn device_flags(goal: &Goal) -> GimbalDeviceFlags {
    let mut f = GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
        | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK
        | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME;
    if goal.yaw_lock() {
        f |= GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK;
    }
    if *goal == Goal::Neutral {
        f |= GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_NEUTRAL;
    }
    f
}
