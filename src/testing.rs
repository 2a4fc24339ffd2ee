//! Support for tests and fuzz entry points that drive the sans-IO core on virtual time.
//!
//! [`SpinGuard`] makes a virtual-time loop fail fast instead of running forever: a timer that is
//! always due (a zero period, a deadline that never moves) would otherwise spin a
//! `while let Some(t) = x.poll_timeout() { x.handle_timeout(t) }` loop without end.

use std::time::{Duration, Instant};

/// Wake-ups allowed per second of virtual time before a loop counts as spinning.
pub const MAX_WAKES_PER_VIRTUAL_SECOND: u32 = 10_000;

/// Wake-ups allowed at one and the same instant (the timer did not move forward).
pub const MAX_WAKES_AT_ONE_INSTANT: u32 = 1_000;

/// Counts the wake-ups of a virtual-time loop and panics, naming the stuck time, when the loop
/// wakes more than [`MAX_WAKES_PER_VIRTUAL_SECOND`] times within one second of virtual time or
/// more than [`MAX_WAKES_AT_ONE_INSTANT`] times without the timer moving forward.
#[derive(Debug, Clone)]
pub struct SpinGuard {
    what: &'static str,
    start: Instant,
    window_start: Instant,
    wakes_in_window: u32,
    last: Option<Instant>,
    wakes_at_last: u32,
}

impl SpinGuard {
    /// A guard for the loop named `what` (used in the panic message); `start` is the virtual
    /// time origin that times in the message are counted from.
    pub fn new(what: &'static str, start: Instant) -> Self {
        Self {
            what,
            start,
            window_start: start,
            wakes_in_window: 0,
            last: None,
            wakes_at_last: 0,
        }
    }

    /// Records one wake-up at virtual time `now` for the timer due at `deadline`.
    ///
    /// # Panics
    /// When the loop spins (see the type docs). The message names the loop, the virtual time
    /// and the deadline of the timer that kept firing.
    pub fn tick(&mut self, now: Instant, deadline: Instant) {
        if now.saturating_duration_since(self.window_start) >= Duration::from_secs(1) {
            self.window_start = now;
            self.wakes_in_window = 0;
        }
        self.wakes_in_window += 1;
        if self.last == Some(now) {
            self.wakes_at_last += 1;
        } else {
            self.last = Some(now);
            self.wakes_at_last = 1;
        }
        let at = now.saturating_duration_since(self.start);
        let due = deadline.saturating_duration_since(self.start);
        assert!(
            self.wakes_at_last <= MAX_WAKES_AT_ONE_INSTANT,
            "spin guard ({}): {} wake-ups at the same virtual time t0+{at:?}: the timer due at \
             t0+{due:?} never moves forward",
            self.what,
            self.wakes_at_last,
        );
        assert!(
            self.wakes_in_window <= MAX_WAKES_PER_VIRTUAL_SECOND,
            "spin guard ({}): more than {MAX_WAKES_PER_VIRTUAL_SECOND} wake-ups within one second \
             of virtual time (now t0+{at:?}, timer due at t0+{due:?}): a timer is always due",
            self.what,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
    fn t0() -> Instant {
        Instant::now()
    }

    #[test]
    fn a_timer_that_moves_forward_passes() {
        let t0 = t0();
        let mut g = SpinGuard::new("test", t0);
        for i in 0..100_000u64 {
            let t = t0 + Duration::from_millis(i);
            g.tick(t, t);
        }
    }

    #[test]
    #[should_panic(expected = "never moves forward")]
    fn a_timer_stuck_at_one_instant_panics() {
        let t0 = t0();
        let mut g = SpinGuard::new("test", t0);
        for _ in 0..=MAX_WAKES_AT_ONE_INSTANT {
            g.tick(t0, t0);
        }
    }

    #[test]
    #[should_panic(expected = "within one second")]
    fn a_timer_crawling_by_nanoseconds_panics() {
        let t0 = t0();
        let mut g = SpinGuard::new("test", t0);
        for i in 0..=u64::from(MAX_WAKES_PER_VIRTUAL_SECOND) {
            let t = t0 + Duration::from_nanos(i);
            g.tick(t, t);
        }
    }
}
