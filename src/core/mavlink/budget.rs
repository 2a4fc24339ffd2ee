//! Output budgets: token buckets (a burst, then a steady rate), one per key, in a bounded table.
//! The host bounds STATUSTEXT per destination with them and the FTP server its reply bytes per
//! peer, so that no input, however fast, makes the bridge talk without bound.
//!
//! Owns: the buckets. Never touches: clocks (`now` is passed in), messages.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// A token bucket: holds up to `burst` units, refilled at `per_second` units per second.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rate {
    /// Most units spent at once (the bucket's size).
    pub burst: u64,
    /// Units added back per second.
    pub per_second: u64,
}

impl Rate {
    /// Most units spendable within `d` starting from a full bucket: `burst + per_second × d`.
    pub fn most_within(&self, d: Duration) -> u64 {
        let refill = u128::from(self.per_second) * d.as_micros() / 1_000_000;
        self.burst
            .saturating_add(u64::try_from(refill).unwrap_or(u64::MAX))
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Units in the bucket, in millionths (so that slow refills are not lost to rounding).
    micro_units: u128,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            micro_units: u128::from(rate.burst) * 1_000_000,
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_micros();
        let cap = u128::from(rate.burst) * 1_000_000;
        self.micro_units = (self.micro_units + dt * u128::from(rate.per_second)).min(cap);
        // Time never goes back here: an older `now` leaves the bucket as it is.
        self.at = self.at.max(now);
    }

    fn units(&self) -> u64 {
        u64::try_from(self.micro_units / 1_000_000).unwrap_or(u64::MAX)
    }
}

/// Token buckets of one [`Rate`], one per key, at most `max_keys` of them: a full bucket holds
/// nothing worth keeping and is dropped first; past the bound the longest unused one goes.
#[derive(Debug)]
pub struct Budgets<K> {
    rate: Rate,
    max_keys: usize,
    buckets: HashMap<K, Bucket>,
}

impl<K: Copy + Eq + Hash> Budgets<K> {
    /// Buckets of `rate`, for at most `max_keys` keys at once.
    pub fn new(rate: Rate, max_keys: usize) -> Self {
        Self {
            rate,
            max_keys: max_keys.max(1),
            buckets: HashMap::new(),
        }
    }

    /// The rate of every bucket.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Units `key` may spend at `now`.
    pub fn available(&mut self, now: Instant, key: K) -> u64 {
        let rate = self.rate;
        match self.buckets.get_mut(&key) {
            Some(b) => {
                b.refill(rate, now);
                b.units()
            }
            None => rate.burst,
        }
    }

    /// Spends `units` of `key`'s bucket when it holds them (true), else spends nothing (false).
    pub fn take(&mut self, now: Instant, key: K, units: u64) -> bool {
        if self.available(now, key) < units {
            return false;
        }
        if !self.buckets.contains_key(&key) {
            self.make_room(now);
            self.buckets.insert(key, Bucket::full(self.rate, now));
        }
        if let Some(b) = self.buckets.get_mut(&key) {
            b.micro_units = b.micro_units.saturating_sub(u128::from(units) * 1_000_000);
        }
        true
    }

    /// Buckets kept now (full ones are forgotten when room is needed).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// True when no bucket is kept.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    fn make_room(&mut self, now: Instant) {
        if self.buckets.len() < self.max_keys {
            return;
        }
        let rate = self.rate;
        self.buckets.retain(|_, b| {
            b.refill(rate, now);
            b.units() < rate.burst
        });
        while self.buckets.len() >= self.max_keys {
            let Some(oldest) = (self.buckets.iter())
                .min_by_key(|(_, b)| b.at)
                .map(|(k, _)| *k)
            else {
                break;
            };
            self.buckets.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn a_bucket_gives_its_burst_then_its_rate_and_the_table_stays_bounded() {
        let t0 = Instant::now();
        let rate = Rate {
            burst: 10,
            per_second: 4,
        };
        let mut b = Budgets::new(rate, 3);
        assert_eq!(b.available(t0, 1), 10);
        assert!(b.take(t0, 1, 10));
        assert!(!b.take(t0, 1, 1), "empty");
        // 4 per second: 1 unit after 250 ms, not before.
        assert!(!b.take(t0 + Duration::from_millis(249), 1, 1));
        assert!(b.take(t0 + Duration::from_millis(250), 1, 1));
        // Refills stop at the burst.
        assert_eq!(b.available(t0 + Duration::from_secs(100), 1), 10);
        // Over 10 s from full: at most burst + 40, whatever the calls.
        let mut spent = 0;
        for ms in 0..10_000u64 {
            if b.take(
                t0 + Duration::from_secs(200) + Duration::from_millis(ms),
                2,
                1,
            ) {
                spent += 1;
            }
        }
        assert!(
            spent <= rate.most_within(Duration::from_secs(10)),
            "{spent}"
        );
        assert!(spent >= 48, "{spent}");
        // Many keys: the table stays bounded.
        for k in 0..1000 {
            b.take(t0 + Duration::from_secs(300), k, 1);
            assert!(b.len() <= 3);
        }
        assert!(!b.is_empty());
    }
}
