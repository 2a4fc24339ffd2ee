//! What leaves the bridge on MAVLink, after every component has queued it: each component's own
//! sequence numbers, and the pace.
//!
//! MAVLink receivers (PX4's `mavlink status`, QGC's link statistics) count a gap in one
//! sender's (system, component) sequence numbers as lost messages, so every component numbers
//! its own frames from 0, wrapping at 256.
//!
//! PX4 forwards what reaches it on one link to the others through a buffer of about two
//! messages per link, emptied once per loop of its MAVLink task (4 ms in SITL, the same code on
//! a flight controller); what arrives while the buffer is full is dropped (PX4's perf counter
//! "mavlink: forwarding error"). Sent back to back, 119 of 160 FTP replies and half of each
//! PARAM_EXT_VALUE list were lost through PX4. So what leaves goes at a [`Pace`]: a burst of
//! [`Pace::burst`] messages, then one per [`Pace::gap`] (a generic cell rate: the message after
//! a pause goes at once). What waits stays in the component's own bounded queue, in order.
//!
//! Owns: the sequence counters and the pace's schedule. Never touches: sockets, clocks (`now`
//! is passed in), a component's state.

use std::time::{Duration, Instant};

/// The next sequence number of every component id.
#[derive(Clone, Debug)]
pub struct Sequences {
    next: [u8; 256],
}

impl Default for Sequences {
    fn default() -> Self {
        Self { next: [0; 256] }
    }
}

impl Sequences {
    /// The sequence number for the next frame of `component` (then counts it).
    pub fn next(&mut self, component: u8) -> u8 {
        let slot = &mut self.next[usize::from(component)];
        let seq = *slot;
        *slot = seq.wrapping_add(1);
        seq
    }
}

/// How fast the bridge's MAVLink output may go (every component, every peer together).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Pace {
    /// Messages that may go at once after a pause.
    pub burst: u32,
    /// Then one message per this long.
    pub gap: Duration,
}

impl Pace {
    /// What PX4 forwards without loss: 2 at once, then one per 5 ms (200 messages a second,
    /// five times what the bridge sends when nothing is asked of it).
    pub const PX4: Self = Self {
        burst: 2,
        gap: Duration::from_millis(5),
    };

    /// No pace: everything at once (virtual-time tests of other behaviour).
    pub const UNPACED: Self = Self {
        burst: u32::MAX,
        gap: Duration::ZERO,
    };

    /// Most messages sent within `d` from a rested start: `burst + d / gap`.
    pub fn most_within(&self, d: Duration) -> u64 {
        let gap = self.gap.as_nanos().max(1);
        u64::from(self.burst) + u64::try_from(d.as_nanos() / gap).unwrap_or(u64::MAX)
    }
}

impl Default for Pace {
    fn default() -> Self {
        Self::PX4
    }
}

/// The schedule of a [`Pace`]: the theoretical time of the next message (generic cell rate
/// algorithm), so a burst is allowed after a pause and never more.
#[derive(Clone, Debug)]
pub struct Pacer {
    pace: Pace,
    /// When the next message would go at the steady rate.
    next: Instant,
}

impl Pacer {
    /// A rested pacer at `now`.
    pub fn new(pace: Pace, now: Instant) -> Self {
        Self { pace, next: now }
    }

    /// The pace.
    pub fn pace(&self) -> Pace {
        self.pace
    }

    /// The earliest instant from `now` on at which the next message may go.
    pub fn free_at(&self, now: Instant) -> Instant {
        let ahead = (self.pace.gap)
            .checked_mul(self.pace.burst.saturating_sub(1))
            .unwrap_or(Duration::MAX);
        now + self
            .next
            .saturating_duration_since(now)
            .saturating_sub(ahead)
    }

    /// True when a message may go at `now`; then it counts as sent.
    pub fn take(&mut self, now: Instant) -> bool {
        if self.free_at(now) > now {
            return false;
        }
        self.next = self.next.max(now) + self.pace.gap;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn the_pace_allows_its_burst_then_one_per_gap_never_more() {
        let t0 = Instant::now();
        let mut p = Pacer::new(Pace::PX4, t0);
        assert!(p.take(t0) && p.take(t0));
        assert!(!p.take(t0), "burst of 2 spent");
        assert_eq!(p.free_at(t0), t0 + Duration::from_millis(5));
        assert!(!p.take(t0 + Duration::from_micros(4_999)));
        assert!(p.take(t0 + Duration::from_millis(5)));
        // Asked every 100 µs for 1 s: at most burst + 200.
        let start = t0 + Duration::from_secs(10);
        let sent = (0..10_000u32)
            .filter(|k| p.take(start + Duration::from_micros(100) * *k))
            .count() as u64;
        assert!(
            sent <= Pace::PX4.most_within(Duration::from_secs(1)),
            "{sent}"
        );
        assert!(sent >= 199, "{sent}");
    }

    #[test]
    fn each_component_counts_on_its_own_and_wraps() {
        let mut s = Sequences::default();
        assert_eq!((s.next(100), s.next(154), s.next(100)), (0, 0, 1));
        for _ in 0..254 {
            s.next(100);
        }
        assert_eq!((s.next(100), s.next(154)), (0, 1));
    }
}
