//! Retransmission detection: which commands were seen lately and what they were answered.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use mavlink::dialects::common::MavResult;

/// Most commands remembered for retransmission detection (oldest forgotten first).
pub const MAX_DEDUPE_ENTRIES: usize = 1024;

/// Retransmission key: sender + command + parameter bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DedupeKey {
    /// Sender system id.
    pub system: u8,
    /// Sender component id.
    pub component: u8,
    /// Command number.
    pub command: u16,
    /// param1…param7 as bits.
    pub params: [u32; 7],
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    result: MavResult,
    /// Which sighting in `order` is this entry's latest (several can share one instant).
    sighting: u64,
}

/// Commands seen lately, keyed by [`DedupeKey`]: O(1) look-up, expiring after the window, and
/// capped at [`MAX_DEDUPE_ENTRIES`] so a flood of distinct commands costs constant time each.
#[derive(Default, Debug)]
pub struct DedupeTable {
    entries: HashMap<DedupeKey, Entry>,
    /// (time seen, key, sighting number) in the order seen; a key refreshed later appears again
    /// further back.
    order: VecDeque<(Instant, DedupeKey, u64)>,
    /// Number of the next sighting.
    sightings: u64,
}

impl DedupeTable {
    /// Forgets what is older than `window` (and the oldest beyond the cap).
    pub fn expire(&mut self, now: Instant, window: Duration) {
        while let Some(&(seen, key, sighting)) = self.order.front() {
            let too_many = self.entries.len() > MAX_DEDUPE_ENTRIES
                || self.order.len() > 2 * MAX_DEDUPE_ENTRIES;
            if !too_many && now.saturating_duration_since(seen) <= window {
                break;
            }
            self.order.pop_front();
            // Remove the entry only if this is its latest sighting.
            if self
                .entries
                .get(&key)
                .is_some_and(|e| e.sighting == sighting)
            {
                self.entries.remove(&key);
            }
        }
    }

    /// The remembered answer to `key`, if it was seen within the window.
    pub fn result(&self, key: &DedupeKey) -> Option<MavResult> {
        self.entries.get(key).map(|e| e.result)
    }

    /// Marks `key` as seen again at `now`.
    pub fn touch(&mut self, key: DedupeKey, now: Instant) {
        let sighting = self.sightings;
        if let Some(e) = self.entries.get_mut(&key) {
            e.sighting = sighting;
            self.order.push_back((now, key, sighting));
            self.sightings += 1;
        }
    }

    /// Remembers `key` with its answer.
    pub fn remember(&mut self, key: DedupeKey, now: Instant, result: MavResult) {
        let sighting = self.sightings;
        self.sightings += 1;
        self.entries.insert(key, Entry { result, sighting });
        self.order.push_back((now, key, sighting));
    }

    /// Updates the remembered answer (a command answered IN_PROGRESS that has now ended).
    pub fn set_result(&mut self, key: &DedupeKey, result: MavResult) {
        if let Some(e) = self.entries.get_mut(key) {
            e.result = result;
        }
    }

    /// Commands remembered now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn key(command: u16) -> DedupeKey {
        DedupeKey {
            system: 255,
            component: 190,
            command,
            params: [0; 7],
        }
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn refreshes_are_bounded_too() {
        let t0 = Instant::now();
        let window = Duration::from_secs(3);
        let mut table = DedupeTable::default();
        assert!(table.is_empty());
        table.remember(key(1), t0, MavResult::MAV_RESULT_ACCEPTED);
        assert!(!table.is_empty());
        // A retransmission storm of one command within the window: the order queue stays bounded.
        for _ in 0..10 * MAX_DEDUPE_ENTRIES {
            table.expire(t0, window);
            table.touch(key(1), t0);
            assert!(table.order.len() <= 2 * MAX_DEDUPE_ENTRIES + 1);
        }
        assert_eq!(table.result(&key(1)), Some(MavResult::MAV_RESULT_ACCEPTED));
        // Past the window it is forgotten.
        table.expire(t0 + window + Duration::from_millis(1), window);
        assert!(table.is_empty());
    }
}
