//! How often tracking may speak, whatever the tracker sends: announcements on change go out at
//! most once per interval after a short burst ([`Pacer`], nothing lost: the last change is
//! announced late rather than never), STATUSTEXT from a bucket ([`TextBudget`], what exceeds it
//! is dropped and counted).
//!
//! Owns: the time each announcement last went out. Never touches: what is announced.

use std::time::{Duration, Instant};

/// CAMERA_TRACKING_IMAGE_STATUS on change: a few at once ([`BURST`]), then at most one per this
/// interval (10 Hz); the stream the ground asked for with MAV_CMD_SET_MESSAGE_INTERVAL comes on
/// top.
pub const STATUS_MIN_INTERVAL: Duration = Duration::from_millis(100);

/// CAMERA_INFORMATION for a tracking source that came or went: [`BURST`] at once, then at most
/// one per this interval (2 Hz).
pub const AVAILABILITY_MIN_INTERVAL: Duration = Duration::from_millis(500);

/// STATUSTEXT from tracking: [`BURST`] at once, then one per this interval; texts beyond are
/// counted and dropped (each is cut to one STATUSTEXT, 50 bytes).
pub const TEXT_INTERVAL: Duration = Duration::from_millis(1000);

/// How many announcements of one kind may go out back to back before the interval applies.
pub const BURST: u32 = 3;

/// A token bucket: [`BURST`] tokens, one back per interval.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    every: Duration,
    spent: u32,
    since: Option<Instant>,
}

impl Bucket {
    fn new(every: Duration) -> Self {
        Self {
            every,
            spent: 0,
            since: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let since = *self.since.get_or_insert(now);
        let per = self.every.as_nanos().max(1);
        let refills = now.saturating_duration_since(since).as_nanos() / per;
        if refills > 0 {
            let refills = u32::try_from(refills).unwrap_or(u32::MAX);
            self.spent = self.spent.saturating_sub(refills);
            let elapsed = self.every.saturating_mul(refills);
            self.since = Some(if self.spent == 0 {
                now
            } else {
                since + elapsed
            });
        }
    }

    /// Spends a token at `now` if one is left.
    fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.spent < BURST {
            self.spent += 1;
            true
        } else {
            false
        }
    }

    /// When the next token comes back (after a failed [`Bucket::take`]).
    fn next_at(&self) -> Option<Instant> {
        self.since.map(|t| t + self.every)
    }
}

/// An announcement made on change through a [`Bucket`]: a change that finds the bucket empty is
/// announced when a token is back (once, however many changes came in between).
#[derive(Clone, Copy, Debug)]
pub struct Pacer {
    bucket: Bucket,
    due: Option<Instant>,
}

impl Pacer {
    /// Nothing announced yet; at most one per `interval` after the first [`BURST`].
    pub fn new(interval: Duration) -> Self {
        Self {
            bucket: Bucket::new(interval),
            due: None,
        }
    }

    /// Something changed at `now`: true if it is announced now, else it is due at
    /// [`Pacer::due_at`].
    pub fn changed(&mut self, now: Instant) -> bool {
        if self.bucket.take(now) {
            self.due = None;
            return true;
        }
        self.due = self.bucket.next_at();
        false
    }

    /// When a deferred announcement is due.
    pub fn due_at(&self) -> Option<Instant> {
        self.due
    }

    /// At a timeout: true if the deferred announcement goes out now.
    pub fn fire(&mut self, now: Instant) -> bool {
        if self.due.is_none_or(|at| now < at) {
            return false;
        }
        if self.bucket.take(now) {
            self.due = None;
            true
        } else {
            self.due = self.bucket.next_at();
            false
        }
    }
}

/// What tracking may say as STATUSTEXT: a [`Bucket`] of [`TEXT_INTERVAL`].
#[derive(Clone, Copy, Debug)]
pub struct TextBudget {
    bucket: Bucket,
    /// Texts dropped because the budget was spent.
    pub dropped: u64,
}

impl Default for TextBudget {
    fn default() -> Self {
        Self {
            bucket: Bucket::new(TEXT_INTERVAL),
            dropped: 0,
        }
    }
}

impl TextBudget {
    /// Whether a text may go out at `now` (spending one if so; counting a drop if not).
    pub fn take(&mut self, now: Instant) -> bool {
        let ok = self.bucket.take(now);
        if !ok {
            self.dropped += 1;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn a_pacer_announces_a_burst_then_at_most_once_per_interval_and_never_loses_the_last() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut p = Pacer::new(Duration::from_millis(100));
        assert!(p.changed(t0));
        assert!(p.changed(ms(1)));
        assert!(p.changed(ms(2)));
        assert_eq!(p.due_at(), None);
        assert!(!p.changed(ms(10)), "the burst is spent");
        assert!(!p.changed(ms(60)));
        assert_eq!(p.due_at(), Some(ms(100)), "one deferred announcement");
        assert!(!p.fire(ms(99)));
        assert!(p.fire(ms(100)));
        assert!(!p.fire(ms(100)), "once");
        assert_eq!(p.due_at(), None);
        assert!(!p.changed(ms(150)));
        assert!(p.fire(ms(200)));
        // A flood of changes for ten seconds: about one per interval.
        let sent = (300..10_300)
            .filter(|&i| {
                let now = ms(i);
                let a = p.fire(now);
                p.changed(now) || a
            })
            .count();
        assert!((99..=102).contains(&sent), "{sent}");
        assert!(p.due_at().is_some(), "the last change is still due");
        assert!(p.changed(ms(60_000)), "quiet for long enough: at once");
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn the_text_budget_allows_a_burst_then_one_per_interval() {
        let t0 = Instant::now();
        let mut b = TextBudget::default();
        let sent = (0..100).filter(|_| b.take(t0)).count();
        assert_eq!(sent, BURST as usize);
        assert_eq!(b.dropped, 100 - u64::from(BURST));
        // Ten seconds of a text every 10 ms: one per second gets through.
        let sent = (1..=1000)
            .filter(|i| b.take(t0 + Duration::from_millis(10 * i)))
            .count();
        assert_eq!(sent, 10);
        // After a quiet minute the whole burst is back, not more.
        let later = t0 + Duration::from_secs(70);
        let sent = (0..100).filter(|_| b.take(later)).count();
        assert_eq!(sent, BURST as usize);
    }
}
