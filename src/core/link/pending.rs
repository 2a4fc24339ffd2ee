//! Requests in flight: at most one per command id (the camera's replies carry only the command id),
//! each with a deadline and a bounded retry policy.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use siyi_protocol::{CmdId, Request};

use super::OpId;

/// How long to wait for a reply and how many times to send a request in total.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RetryPolicy {
    /// Time allowed for a reply to each attempt.
    pub(crate) timeout: Duration,
    /// Attempts in total (1 = no retry).
    pub(crate) max_attempts: u8,
}

/// Who is waiting for a reply.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    /// A periodic poll or start-up query: the next tick asks again, nobody is told.
    Poll,
    /// An operation: it ends when the reply arrives or the request is given up.
    Op(OpId),
}

impl Origin {
    /// The operation waiting for the reply, if any.
    pub(crate) fn op(self) -> Option<OpId> {
        match self {
            Self::Op(id) => Some(id),
            Self::Poll => None,
        }
    }
}

/// One request in flight.
#[derive(Clone, PartialEq, Debug)]
pub(crate) struct Pending {
    /// What was sent (re-sent as is on retry, with a new SEQ).
    pub(crate) request: Request,
    /// Who waits.
    pub(crate) origin: Origin,
    /// Attempts made so far (≥ 1).
    pub(crate) attempts: u8,
    /// Retry policy.
    pub(crate) policy: RetryPolicy,
    /// When the current attempt times out.
    pub(crate) deadline: Instant,
}

/// The table of requests in flight, keyed by command id.
#[derive(Clone, Debug, Default)]
pub(crate) struct PendingTable {
    map: BTreeMap<CmdId, Pending>,
}

impl PendingTable {
    /// The request in flight for `cmd`.
    pub(crate) fn get(&self, cmd: CmdId) -> Option<&Pending> {
        self.map.get(&cmd)
    }

    /// Records a request sent at `now` (its first attempt), replacing any older one for the same
    /// command id; the replaced entry is returned.
    pub(crate) fn insert(
        &mut self,
        now: Instant,
        request: Request,
        origin: Origin,
        policy: RetryPolicy,
    ) -> Option<Pending> {
        let cmd = request.cmd_id();
        self.map.insert(
            cmd,
            Pending {
                request,
                origin,
                attempts: 1,
                policy,
                deadline: now + policy.timeout,
            },
        )
    }

    /// Removes and returns the request in flight for `cmd` (a reply arrived, or it is abandoned).
    pub(crate) fn remove(&mut self, cmd: CmdId) -> Option<Pending> {
        self.map.remove(&cmd)
    }

    /// The command ids whose current attempt has timed out at `now`.
    pub(crate) fn expired(&self, now: Instant) -> Vec<CmdId> {
        self.map
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(cmd, _)| *cmd)
            .collect()
    }

    /// Mutable access to the request in flight for `cmd`.
    pub(crate) fn get_mut(&mut self, cmd: CmdId) -> Option<&mut Pending> {
        self.map.get_mut(&cmd)
    }

    /// The earliest deadline of all requests in flight.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.map.values().map(|p| p.deadline).min()
    }

    /// Removes everything, returning the entries (e.g. when the camera is lost).
    pub(crate) fn drain(&mut self) -> Vec<Pending> {
        std::mem::take(&mut self.map).into_values().collect()
    }

    /// Number of requests in flight.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}
