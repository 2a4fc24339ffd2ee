//! The open read sessions of the FTP server: a few slots, each a file opened by one client,
//! freed by TerminateSession, by the owner's ResetSessions, or after an idle timeout.

use std::time::{Duration, Instant};

use crate::core::mavlink::Requester;

/// Read sessions open at once (all clients together).
pub const MAX_SESSIONS: usize = 4;
/// A session not used for this long is closed (its client is gone).
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug)]
struct Session {
    /// Index into the server's file table.
    file: usize,
    owner: Requester,
    last_used: Instant,
}

/// Session slots; the session id is the slot index.
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

    /// A session for `owner` reading `file`: the one it already has on that file (a client that
    /// re-sends OpenFileRO under a new sequence number gets the same session, not a second
    /// one), else the lowest free id; `None` when every slot is taken.
    pub(super) fn open(&mut self, now: Instant, owner: Requester, file: usize) -> Option<u8> {
        let held =
            (self.slots.iter()).position(|s| s.is_some_and(|s| s.owner == owner && s.file == file));
        let id = held.or_else(|| self.slots.iter().position(Option::is_none))?;
        self.slots[id] = Some(Session {
            file,
            owner,
            last_used: now,
        });
        Some(id as u8)
    }

    /// The file of session `id` (it counts as used now); `None` when it is not open.
    pub(super) fn file(&mut self, now: Instant, id: u8) -> Option<usize> {
        let s = self.slots.get_mut(usize::from(id))?.as_mut()?;
        s.last_used = now;
        Some(s.file)
    }

    /// Closes session `id`; false when it was not open.
    pub(super) fn close(&mut self, id: u8) -> bool {
        self.slots
            .get_mut(usize::from(id))
            .and_then(Option::take)
            .is_some()
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
