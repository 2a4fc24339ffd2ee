//! The open read sessions of the FTP server: a few slots, each a file opened by one sender (a
//! system and component on one peer), freed by TerminateSession, by the owner's ResetSessions,
//! by the owner's next OpenFileRO, for a newcomer when the table is full and the session idle,
//! or after an idle timeout.
//!
//! Sessions belong to their owner: every look-up is by (owner, id), so no sender can read,
//! close or reset another's session. A sender holds at most one session, so its id is always
//! [`SESSION_ID`] (MAVSDK's client reads with session 0 whatever the reply said).

use std::time::{Duration, Instant};

use crate::core::mavlink::Requester;

/// Read sessions open at once (all clients together).
pub const MAX_SESSIONS: usize = 4;
/// Sessions the senders of one peer (link) may hold together: one system using many component
/// ids on one link cannot take every slot.
pub const MAX_SESSIONS_PER_PEER: usize = 2;
/// A session not used for this long is closed (its client is gone).
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// A session not used for this long may be freed for a new client when the table is full (a
/// download in progress uses its session every few milliseconds).
pub const SESSION_EVICTABLE_AFTER: Duration = Duration::from_secs(1);
/// The id of every session (each sender has at most one).
pub const SESSION_ID: u8 = 0;

#[derive(Clone, Copy, Debug)]
struct Session {
    /// Index into the server's file table.
    file: usize,
    owner: Requester,
    last_used: Instant,
}

/// Why an open was refused, or how it got its slot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Opened {
    /// A free slot, or the owner's own session again.
    Free,
    /// The least recently used idle session (of another sender) was freed for it.
    Evicted,
    /// Every slot is in use (or its link's share is, and none of them is idle).
    Full,
}

/// Session slots, looked up by owner.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    slots: [Option<Session>; MAX_SESSIONS],
}

impl Sessions {
    /// Frees the sessions idle for [`SESSION_IDLE_TIMEOUT`] (a client that vanished); returns
    /// how many.
    pub(super) fn expire(&mut self, now: Instant) -> usize {
        let mut n = 0;
        for slot in &mut self.slots {
            if slot
                .is_some_and(|s| now.saturating_duration_since(s.last_used) >= SESSION_IDLE_TIMEOUT)
            {
                *slot = None;
                n += 1;
            }
        }
        n
    }

    /// A session for `owner` reading `file`: its own session (replaced: a sender holds at most
    /// one), else a free slot within its link's share, else the least recently used session
    /// idle for [`SESSION_EVICTABLE_AFTER`] (of its link when the link's share is used up).
    pub(super) fn open(&mut self, now: Instant, owner: Requester, file: usize) -> Opened {
        let session = Some(Session {
            file,
            owner,
            last_used: now,
        });
        if let Some(slot) = (self.slots.iter_mut()).find(|s| s.is_some_and(|s| s.owner == owner)) {
            *slot = session;
            return Opened::Free;
        }
        let of_link = |s: &Session| s.owner.peer == owner.peer;
        let link_full =
            self.slots.iter().flatten().filter(|s| of_link(s)).count() >= MAX_SESSIONS_PER_PEER;
        let free = (!link_full)
            .then(|| self.slots.iter().position(Option::is_none))
            .flatten();
        if let Some(i) = free {
            self.slots[i] = session;
            return Opened::Free;
        }
        let idle = (self.slots.iter().enumerate())
            .filter_map(|(i, s)| s.map(|s| (i, s)))
            .filter(|(_, s)| !link_full || of_link(s))
            .filter(|(_, s)| now.saturating_duration_since(s.last_used) >= SESSION_EVICTABLE_AFTER)
            .min_by_key(|(_, s)| s.last_used);
        match idle {
            Some((i, _)) => {
                self.slots[i] = session;
                Opened::Evicted
            }
            None => Opened::Full,
        }
    }

    /// The file of `owner`'s session `id` (it counts as used now); `None` when `owner` has no
    /// session of that id.
    pub(super) fn file(&mut self, now: Instant, owner: Requester, id: u8) -> Option<usize> {
        if id != SESSION_ID {
            return None;
        }
        let s = (self.slots.iter_mut())
            .flatten()
            .find(|s| s.owner == owner)?;
        s.last_used = now;
        Some(s.file)
    }

    /// Closes `owner`'s session `id`; false when it has none of that id.
    pub(super) fn close(&mut self, owner: Requester, id: u8) -> bool {
        if id != SESSION_ID {
            return false;
        }
        let slot = (self.slots.iter_mut()).find(|s| s.is_some_and(|s| s.owner == owner));
        slot.and_then(Option::take).is_some()
    }

    /// Closes every session of `owner` (ResetSessions: one ground station's reset does not cut
    /// another's download).
    pub(super) fn close_all_of(&mut self, owner: Requester) {
        for slot in &mut self.slots {
            if slot.is_some_and(|s| s.owner == owner) {
                *slot = None;
            }
        }
    }

    /// Sessions open now.
    pub(super) fn open_count(&self) -> usize {
        self.slots.iter().flatten().count()
    }
}
