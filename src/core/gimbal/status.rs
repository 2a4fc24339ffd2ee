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
/// How far a fresh attitude reading may move the attitude status from its tick: a fifth of the
/// period, at most this (20 ms at 10 Hz). See [`StatusStreams::attitude_due`].
const MAX_ATTITUDE_SLACK: Duration = Duration::from_millis(20);

/// The timers of the status streams. See the module docs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StatusStreams {
    /// `None` = the attitude status is stopped.
    attitude_period: Option<Duration>,
    next_attitude: Instant,
    /// When the attitude status last went out on its tick (not with a reading).
    last_by_timer: Option<Instant>,
    next_manager_status: Instant,
}

impl StatusStreams {
    /// Both streams due at `now`, the attitude status at its default period.
    pub fn new(now: Instant) -> Self {
        Self {
            attitude_period: Some(ATTITUDE_STATUS_PERIOD),
            next_attitude: now,
            last_by_timer: None,
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

    /// True when the attitude status is due at `now` (its next tick is then scheduled);
    /// `fresh_reading`: a new attitude arrived from the camera since the last call.
    ///
    /// The status goes out at its period. A fresh reading shortly before the tick (within the
    /// slack, a fifth of the period, at most 20 ms) sends it at once, the ticks staying where
    /// they are; one shortly after a tick moves the ticks to just after the readings, once. So
    /// the status rides on the wake that brings the camera's 0x0D reply (one wake every 100 ms
    /// instead of two, and a reading is reported as it arrives), and its rate stays the
    /// period's: one per tick, never two closer than the period minus the slack.
    pub fn attitude_due(&mut self, now: Instant, fresh_reading: bool) -> bool {
        let Some(period) = self.attitude_period else {
            return false;
        };
        let slack = (period / 5).min(MAX_ATTITUDE_SLACK);
        if now >= self.next_attitude {
            self.next_attitude = next_tick(self.next_attitude, period, now);
            self.last_by_timer = Some(now);
            return true;
        }
        if !fresh_reading {
            return false;
        }
        if now + slack >= self.next_attitude {
            // Early, with the reading; the ticks stay where they are.
            self.next_attitude += period;
            self.last_by_timer = None;
            return true;
        }
        if self.last_by_timer.take().is_some_and(|t| now <= t + slack) {
            // The reading came just after a tick: the ticks move to half a slack after the
            // readings, so the next ones arrive inside the window before their tick.
            self.next_attitude = now + period + slack / 2;
        }
        false
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

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Statuses sent over `steps` ms when readings arrive at `reading(ms)`.
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn run(reading: impl Fn(u64) -> bool, steps: u64) -> Vec<u64> {
        let t0 = Instant::now();
        let mut s = StatusStreams::new(t0);
        (0..steps)
            .filter(|&ms| s.attitude_due(t0 + MS * ms as u32, reading(ms)))
            .collect()
    }

    #[test]
    fn without_readings_the_status_keeps_its_period() {
        let sent = run(|_| false, 1000);
        assert_eq!(sent, (0..10).map(|k| k * 100).collect::<Vec<_>>());
    }

    #[test]
    fn readings_just_before_the_tick_take_the_status_with_them() {
        // Readings at 85, 185, …: within the 20 ms slack before the ticks at 100, 200, ….
        let sent = run(|ms| ms % 100 == 85, 1000);
        assert_eq!(sent, [0, 85, 185, 285, 385, 485, 585, 685, 785, 885, 985]);
    }

    #[test]
    fn readings_just_after_the_tick_move_the_ticks_onto_them() {
        // Readings at 2, 102, 202, … ms: a tick at 100 then the reading 2 ms late; from then on
        // the status goes out with the reading (or 1 ms before it, at worst, when it is late).
        let sent = run(|ms| ms % 100 == 2, 1000);
        assert_eq!(sent[..2], [0, 102], "{sent:?}");
        assert!(sent.iter().skip(1).all(|ms| ms % 100 == 2), "{sent:?}");
        assert_eq!(sent.len(), 10, "{sent:?}");
    }

    #[test]
    fn fast_readings_never_raise_the_rate() {
        for every in [1, 7, 20, 33] {
            let sent = run(|ms| ms % every == 0, 10_000);
            assert!(
                (99..=101).contains(&sent.len()),
                "every {every} ms: {}",
                sent.len()
            );
            let closest = sent.windows(2).map(|w| w[1] - w[0]).min().unwrap();
            assert!(closest >= 80, "every {every} ms: {closest} ms apart");
        }
    }

    #[test]
    fn far_readings_change_nothing() {
        // Readings at 50, 150, …: not near a tick, the status stays on its ticks.
        let sent = run(|ms| ms % 100 == 50, 1000);
        assert_eq!(sent, (0..10).map(|k| k * 100).collect::<Vec<_>>());
    }
}
