//! The `udpin` peer table, sans-IO (time comes in as `now`), so it is tested on virtual time.
//!
//! * A source address becomes a peer only after it sent a CRC-valid (and, with signing, a
//!   correctly signed) MAVLink frame: a spoofed or garbage datagram registers nothing, so nothing
//!   is ever sent back to it.
//! * Peers not heard for [`PEER_EXPIRY_S`] are forgotten, so heartbeats to them stop.
//! * When the table is full, the least recently heard peer is evicted, but only if it has been
//!   silent for at least [`EVICT_MIN_IDLE_MS`]: peers that keep talking (a GCS heartbeats at 1 Hz)
//!   cannot be pushed out by a crowd of chatty newcomers. A newcomer that finds no evictable
//!   slot is served as a *guest*: its frames reach the core (rate limited together with every
//!   other guest) and replies reach it, but it gets no broadcasts.
//! * A forgotten (expired, evicted) or guest link id keeps its address for
//!   [`FORGOTTEN_GRACE_S`], so a late reply (the final COMMAND_ACK of a photo) still reaches
//!   the peer that asked.
//! * Every source has a token bucket of [`RATE_LIMIT_FRAMES_PER_S`] with a burst of
//!   [`RATE_BURST_FRAMES`]; frames over it are dropped and counted.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::core::camera::PeerId;

/// Most peers that get broadcasts (heartbeat, status).
pub const MAX_PEERS: usize = 16;
/// A peer not heard for this long is forgotten (seconds).
pub const PEER_EXPIRY_S: u64 = 10;
/// A full table evicts its least recently heard peer only if that one has been silent this
/// long (milliseconds): longer than a 1 Hz heartbeat period with margin.
pub const EVICT_MIN_IDLE_MS: u64 = 2_500;
/// A forgotten or guest link id still receives replies for this long (seconds).
pub const FORGOTTEN_GRACE_S: u64 = 30;
/// Most forgotten / guest ids remembered for late replies (oldest dropped first).
pub const MAX_FORGOTTEN: usize = 256;
/// Frames per second a single source may send (a GCS or autopilot sends well under 100).
pub const RATE_LIMIT_FRAMES_PER_S: u32 = 500;
/// Burst allowance of a source, frames.
pub const RATE_BURST_FRAMES: u32 = 1_000;

/// Token bucket: `RATE_LIMIT_FRAMES_PER_S` refill, `RATE_BURST_FRAMES` capacity.
#[derive(Clone, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// Frames dropped since the bucket last ran dry (for the "stopped dropping" log).
    dropping: Option<u64>,
}

impl Bucket {
    fn new(now: Instant) -> Self {
        Self {
            tokens: f64::from(RATE_BURST_FRAMES),
            at: now,
            dropping: None,
        }
    }

    /// Takes one token; returns the state change, if any.
    fn take(&mut self, now: Instant) -> (bool, Option<RateChange>) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + dt * f64::from(RATE_LIMIT_FRAMES_PER_S))
            .min(f64::from(RATE_BURST_FRAMES));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            // "Stopped dropping" only once the source has stayed under the limit long enough
            // to refill half its burst: no log line per refilled token.
            let recovered = self.tokens >= f64::from(RATE_BURST_FRAMES) / 2.0;
            let change = if recovered {
                self.dropping
                    .take()
                    .map(|dropped| RateChange::Stopped { dropped })
            } else {
                None
            };
            (true, change)
        } else {
            match &mut self.dropping {
                Some(n) => {
                    *n += 1;
                    (false, None)
                }
                None => {
                    self.dropping = Some(1);
                    (false, Some(RateChange::Started))
                }
            }
        }
    }
}

/// A change of a source's rate-limit state (log it once).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RateChange {
    /// The source went over the limit: its frames are being dropped.
    Started,
    /// The source is back under the limit after `dropped` frames were dropped.
    Stopped {
        /// Frames dropped meanwhile.
        dropped: u64,
    },
}

#[derive(Clone, Debug)]
struct Peer {
    id: PeerId,
    last_heard: Instant,
    bucket: Bucket,
}

/// What happened to the table (for logging once per change).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PeerChange {
    /// A new peer was registered.
    New(SocketAddr, PeerId),
    /// A peer was forgotten after silence.
    Expired(SocketAddr, PeerId),
    /// A peer was evicted to make room.
    Evicted(SocketAddr, PeerId),
    /// The table is full of active peers: this source is served as a guest (no broadcasts).
    Guest(SocketAddr, PeerId),
    /// A source's rate-limit state changed.
    Rate(SocketAddr, RateChange),
}

/// The verdict on a valid frame from a source.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Admit {
    /// Hand the frame to the core as coming from this link.
    Deliver(PeerId),
    /// Over the rate limit: drop it (counted).
    Drop,
}

/// The `udpin` peer table.
#[derive(Debug, Default)]
pub struct PeerTable {
    peers: HashMap<SocketAddr, Peer>,
    by_id: HashMap<PeerId, SocketAddr>,
    /// Forgotten and guest ids: (id, address, since), oldest first.
    forgotten: VecDeque<(PeerId, SocketAddr, Instant)>,
    /// One bucket shared by every guest, so any number of them cannot exceed one source's rate.
    guest_bucket: Option<Bucket>,
    guest_dropping_logged: bool,
    changes: VecDeque<PeerChange>,
    /// Frames dropped by the rate limit, in total.
    pub rate_dropped: u64,
}

impl PeerTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// A valid frame arrived from `from`: register or refresh the peer, apply the rate limit.
    /// `next_id` allocates a link id when one is needed.
    pub fn on_valid_frame(
        &mut self,
        now: Instant,
        from: SocketAddr,
        next_id: impl FnOnce() -> PeerId,
    ) -> Admit {
        self.expire(now);
        if let Some(p) = self.peers.get_mut(&from) {
            p.last_heard = now;
            let (ok, change) = p.bucket.take(now);
            if let Some(c) = change {
                self.changes.push_back(PeerChange::Rate(from, c));
            }
            if ok {
                return Admit::Deliver(p.id);
            }
            self.rate_dropped += 1;
            return Admit::Drop;
        }
        // A source seen recently (forgotten or guest) keeps its id.
        let known = self
            .forgotten
            .iter()
            .position(|(_, a, _)| *a == from)
            .and_then(|i| self.forgotten.remove(i))
            .map(|(id, _, _)| id);
        if self.peers.len() >= MAX_PEERS && !self.evict_one(now) {
            // Guest: served, rate limited as one group, no broadcasts.
            let bucket = self.guest_bucket.get_or_insert_with(|| Bucket::new(now));
            let (ok, change) = bucket.take(now);
            match change {
                Some(RateChange::Started) if !self.guest_dropping_logged => {
                    self.guest_dropping_logged = true;
                    self.changes
                        .push_back(PeerChange::Rate(from, RateChange::Started));
                }
                Some(c @ RateChange::Stopped { .. }) => {
                    self.guest_dropping_logged = false;
                    self.changes.push_back(PeerChange::Rate(from, c));
                }
                _ => {}
            }
            let id = known.unwrap_or_else(next_id);
            if known.is_none() {
                self.changes.push_back(PeerChange::Guest(from, id));
            }
            self.remember(id, from, now);
            if ok {
                return Admit::Deliver(id);
            }
            self.rate_dropped += 1;
            return Admit::Drop;
        }
        let id = known.unwrap_or_else(next_id);
        let mut bucket = Bucket::new(now);
        let _ = bucket.take(now);
        self.peers.insert(
            from,
            Peer {
                id,
                last_heard: now,
                bucket,
            },
        );
        self.by_id.insert(id, from);
        self.changes.push_back(PeerChange::New(from, id));
        Admit::Deliver(id)
    }

    /// Evicts the least recently heard peer if it has been idle long enough.
    fn evict_one(&mut self, now: Instant) -> bool {
        let oldest = self
            .peers
            .iter()
            .min_by_key(|(_, p)| p.last_heard)
            .map(|(a, p)| (*a, p.id, p.last_heard));
        match oldest {
            Some((addr, id, heard))
                if now.saturating_duration_since(heard)
                    >= Duration::from_millis(EVICT_MIN_IDLE_MS) =>
            {
                self.forget(addr, now);
                self.changes.push_back(PeerChange::Evicted(addr, id));
                true
            }
            _ => false,
        }
    }

    fn forget(&mut self, addr: SocketAddr, now: Instant) {
        if let Some(p) = self.peers.remove(&addr) {
            self.by_id.remove(&p.id);
            self.remember(p.id, addr, now);
        }
    }

    fn remember(&mut self, id: PeerId, addr: SocketAddr, now: Instant) {
        self.forgotten.retain(|(i, _, _)| *i != id);
        if self.forgotten.len() >= MAX_FORGOTTEN {
            self.forgotten.pop_front();
        }
        self.forgotten.push_back((id, addr, now));
    }

    /// Forgets peers silent for [`PEER_EXPIRY_S`] and drops late-reply addresses older than
    /// [`FORGOTTEN_GRACE_S`]. Call it now and then (every second) and before using the table.
    pub fn expire(&mut self, now: Instant) {
        let expiry = Duration::from_secs(PEER_EXPIRY_S);
        let silent: Vec<(SocketAddr, PeerId)> = self
            .peers
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.last_heard) >= expiry)
            .map(|(a, p)| (*a, p.id))
            .collect();
        for (addr, id) in silent {
            self.forget(addr, now);
            self.changes.push_back(PeerChange::Expired(addr, id));
        }
        let grace = Duration::from_secs(FORGOTTEN_GRACE_S);
        while self
            .forgotten
            .front()
            .is_some_and(|(_, _, since)| now.saturating_duration_since(*since) >= grace)
        {
            self.forgotten.pop_front();
        }
    }

    /// Addresses for a broadcast: the current peers.
    pub fn broadcast(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.peers.keys().copied()
    }

    /// The address of link `id`: a current peer, or a forgotten / guest one within its grace.
    pub fn address_of(&self, id: PeerId) -> Option<SocketAddr> {
        self.by_id.get(&id).copied().or_else(|| {
            self.forgotten
                .iter()
                .rev()
                .find(|(i, _, _)| *i == id)
                .map(|(_, a, _)| *a)
        })
    }

    /// Number of current peers.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// No current peer.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The next change to log.
    pub fn poll_change(&mut self) -> Option<PeerChange> {
        self.changes.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    struct Ids(PeerId);
    impl Ids {
        fn next(&mut self) -> PeerId {
            self.0 += 1;
            self.0
        }
    }

    /// Issue 7, defect 5: 32 chattering ports must not push out a GCS that keeps talking.
    #[test]
    fn a_talking_gcs_is_never_evicted_by_chatter() {
        let t0 = crate::io::driver::clock_now();
        let mut table = PeerTable::new();
        let mut ids = Ids(0);
        let gcs = addr(14550);
        let Admit::Deliver(gcs_id) = table.on_valid_frame(t0, gcs, || ids.next()) else {
            panic!("gcs not admitted");
        };
        // 15 s of virtual time: the GCS heartbeats at 1 Hz, 32 ports chatter at 50 Hz each.
        for ms in (0..15_000u64).step_by(20) {
            let now = t0 + Duration::from_millis(ms);
            for p in 0..32u16 {
                let _ = table.on_valid_frame(now, addr(20_000 + p), || ids.next());
            }
            if ms % 1000 == 0 {
                assert_eq!(
                    table.on_valid_frame(now, gcs, || ids.next()),
                    Admit::Deliver(gcs_id)
                );
            }
            assert!(
                table.broadcast().any(|a| a == gcs),
                "GCS evicted at {ms} ms"
            );
            assert!(table.len() <= MAX_PEERS);
        }
    }

    #[test]
    fn silent_peers_expire_and_late_replies_still_reach_them() {
        let t0 = crate::io::driver::clock_now();
        let mut table = PeerTable::new();
        let mut ids = Ids(0);
        let Admit::Deliver(id) = table.on_valid_frame(t0, addr(1), || ids.next()) else {
            panic!()
        };
        assert_eq!(table.poll_change(), Some(PeerChange::New(addr(1), id)));
        table.expire(t0 + Duration::from_secs(PEER_EXPIRY_S) - Duration::from_millis(1));
        assert_eq!(table.len(), 1);
        let t1 = t0 + Duration::from_secs(PEER_EXPIRY_S);
        table.expire(t1);
        assert_eq!(table.len(), 0, "expired: no more broadcasts to it");
        assert_eq!(table.poll_change(), Some(PeerChange::Expired(addr(1), id)));
        assert_eq!(table.poll_change(), None, "logged once");
        // A reply addressed to it still gets there within the grace period…
        assert_eq!(table.address_of(id), Some(addr(1)));
        // …and not after.
        table.expire(t1 + Duration::from_secs(FORGOTTEN_GRACE_S));
        assert_eq!(table.address_of(id), None);
    }

    #[test]
    fn full_table_evicts_the_least_recently_heard_idle_peer() {
        let t0 = crate::io::driver::clock_now();
        let mut table = PeerTable::new();
        let mut ids = Ids(0);
        for p in 0..MAX_PEERS as u16 {
            let now = t0 + Duration::from_millis(u64::from(p));
            let _ = table.on_valid_frame(now, addr(100 + p), || ids.next());
        }
        // Everyone talks again except port 105.
        let later = t0 + Duration::from_secs(3);
        for p in 0..MAX_PEERS as u16 {
            if p != 5 {
                let _ = table.on_valid_frame(later, addr(100 + p), || ids.next());
            }
        }
        let evicted_id = 6; // ids start at 1, port 105 was the sixth
        let now = later + Duration::from_millis(1);
        let Admit::Deliver(new_id) = table.on_valid_frame(now, addr(999), || ids.next()) else {
            panic!()
        };
        assert!(table.broadcast().any(|a| a == addr(999)));
        assert!(!table.broadcast().any(|a| a == addr(105)));
        // The evicted peer's late ACK still finds it.
        assert_eq!(table.address_of(evicted_id), Some(addr(105)));
        assert_ne!(new_id, evicted_id);
        // When nobody is idle, a newcomer is a guest: served, but not in the broadcast set.
        let Admit::Deliver(guest) = table.on_valid_frame(now, addr(998), || ids.next()) else {
            panic!()
        };
        assert!(!table.broadcast().any(|a| a == addr(998)));
        assert_eq!(table.address_of(guest), Some(addr(998)));
        // A guest keeps its id while it is remembered.
        assert_eq!(
            table.on_valid_frame(now, addr(998), || ids.next()),
            Admit::Deliver(guest)
        );
    }

    /// Issue 7, defect 4 (io part): a source flooding frames is cut to the rate limit.
    #[test]
    fn rate_limit_drops_excess_and_logs_once_per_change() {
        let t0 = crate::io::driver::clock_now();
        let mut table = PeerTable::new();
        let mut ids = Ids(0);
        let flood = addr(7);
        let mut delivered = 0u32;
        // 10 000 frames/s for 2 s.
        for i in 0..20_000u64 {
            let now = t0 + Duration::from_micros(i * 100);
            if let Admit::Deliver(_) = table.on_valid_frame(now, flood, || ids.next()) {
                delivered += 1;
            }
        }
        let max = RATE_BURST_FRAMES + 2 * RATE_LIMIT_FRAMES_PER_S + 1;
        assert!(delivered <= max, "{delivered} > {max}");
        assert!(delivered >= 2 * RATE_LIMIT_FRAMES_PER_S, "{delivered}");
        assert_eq!(table.rate_dropped, 20_000 - u64::from(delivered));
        let mut changes = Vec::new();
        while let Some(c) = table.poll_change() {
            changes.push(c);
        }
        assert_eq!(
            changes,
            vec![
                PeerChange::New(flood, 1),
                PeerChange::Rate(flood, RateChange::Started)
            ]
        );
        // Quiet for two seconds, then one frame: back under the limit, logged once.
        let now = t0 + Duration::from_secs(4);
        assert_eq!(
            table.on_valid_frame(now, flood, || ids.next()),
            Admit::Deliver(1)
        );
        assert!(matches!(
            table.poll_change(),
            Some(PeerChange::Rate(_, RateChange::Stopped { dropped })) if dropped > 0
        ));
    }
}
