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
    seen: Instant,
    result: MavResult,
}

/// Commands seen lately, keyed by [`DedupeKey`]: O(1) look-up, expiring after the window, and
/// capped at [`MAX_DEDUPE_ENTRIES`] so a flood of distinct commands costs constant time each.
#[derive(Default, Debug)]
pub struct DedupeTable {
    entries: HashMap<DedupeKey, Entry>,
    /// (time seen, key) in the order seen; a key refreshed later appears again further back.
    order: VecDeque<(Instant, DedupeKey)>,
}

impl DedupeTable {
    /// Forgets what is older than `window` (and the oldest beyond the cap).
    pub fn expire(&mut self, now: Instant, window: Duration) {
        while let Some(&(seen, key)) = self.order.front() {
            let too_many = self.entries.len() > MAX_DEDUPE_ENTRIES
                || self.order.len() > 2 * MAX_DEDUPE_ENTRIES;
            if !too_many && now.saturating_duration_since(seen) <= window {
                break;
            }
            self.order.pop_front();
            // Remove the entry only if this is its latest sighting.
            if self.entries.get(&key).is_some_and(|e| e.seen == seen) {
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
        if let Some(e) = self.entries.get_mut(&key) {
            e.seen = now;
            self.order.push_back((now, key));
        }
    }

    /// Remembers `key` with its answer.
    pub fn remember(&mut self, key: DedupeKey, now: Instant, result: MavResult) {
        self.entries.insert(key, Entry { seen: now, result });
        self.order.push_back((now, key));
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
