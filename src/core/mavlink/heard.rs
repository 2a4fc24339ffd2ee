//! Which senders heartbeat: when each (peer, system id) last sent a HEARTBEAT, for at most
//! [`MAX_HEARTBEATING`] pairs. Every ground station heartbeats; a spoofed source usually does
//! not, so what could reflect (FTP bursts, file data) goes only to senders heard here.
//!
//! Owns: the last HEARTBEAT time per sender. Never touches: clocks (`now` is passed in).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::PeerId;

/// (peer, system id) pairs whose heartbeats are remembered at once; past it the oldest goes.
pub(super) const MAX_HEARTBEATING: usize = 64;

/// The last HEARTBEAT of each sender. See the module docs.
#[derive(Debug)]
pub(super) struct Heartbeats {
    fresh_for: Duration,
    at: HashMap<(PeerId, u8), Instant>,
}

impl Heartbeats {
    /// A sender counts as heartbeating for `fresh_for` after its last HEARTBEAT.
    pub(super) fn new(fresh_for: Duration) -> Self {
        Self {
            fresh_for,
            at: HashMap::new(),
        }
    }

    /// True when `system` on `peer` sent a HEARTBEAT within the fresh time.
    pub(super) fn is_heartbeating(&self, now: Instant, peer: PeerId, system: u8) -> bool {
        (self.at.get(&(peer, system)))
            .is_some_and(|at| now.saturating_duration_since(*at) < self.fresh_for)
    }

    /// `system` on `peer` sent a HEARTBEAT at `now`.
    pub(super) fn heard(&mut self, now: Instant, peer: PeerId, system: u8) {
        if self.at.len() >= MAX_HEARTBEATING && !self.at.contains_key(&(peer, system)) {
            self.forget_stale(now);
            while self.at.len() >= MAX_HEARTBEATING {
                let Some(oldest) = (self.at.iter()).min_by_key(|(_, t)| **t).map(|(k, _)| *k)
                else {
                    break;
                };
                self.at.remove(&oldest);
            }
        }
        self.at.insert((peer, system), now);
    }

    /// Forgets the senders not heard within the fresh time.
    pub(super) fn forget_stale(&mut self, now: Instant) {
        let fresh_for = self.fresh_for;
        (self.at).retain(|_, at| now.saturating_duration_since(*at) < fresh_for);
    }

    /// Senders remembered now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.at.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn fresh_for_ten_seconds_per_peer_and_system_and_bounded() {
        let t0 = Instant::now();
        let mut h = Heartbeats::new(Duration::from_secs(10));
        assert!(!h.is_heartbeating(t0, 1, 255));
        h.heard(t0, 1, 255);
        assert!(h.is_heartbeating(t0 + Duration::from_millis(9_999), 1, 255));
        assert!(!h.is_heartbeating(t0 + Duration::from_secs(10), 1, 255));
        // Another system on the same peer, or the same system on another peer, is not it.
        assert!(!h.is_heartbeating(t0, 1, 254));
        assert!(!h.is_heartbeating(t0, 2, 255));
        for i in 0..1000u32 {
            h.heard(t0 + Duration::from_millis(u64::from(i)), i, 1);
            assert!(h.len() <= MAX_HEARTBEATING);
        }
        // The newest are kept.
        assert!(h.is_heartbeating(t0 + Duration::from_secs(1), 999, 1));
    }
}
