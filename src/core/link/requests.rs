//! What goes out to the camera: every frame the link sends, and the requests waiting for a reply.
//!
//! Owns: the SIYI SEQ counter, the transmit queue, the requests in flight ([`PendingTable`]: at
//! most one per command id, each with a deadline and a bounded retry policy), the commands
//! declared unanswered ([`Fallback`]) and the output counters (frames out, retries, abandoned,
//! unsolicited replies). Retries are sent here; what an expired request means for the rest of
//! the link comes back as [`Expired`] values. Never touches: timers, events, operations, health
//! or the camera state (the conductor applies the outcomes).

use std::collections::VecDeque;
use std::time::Instant;

use siyi_protocol::{CmdId, Reply, Request};

use super::config::LinkStats;
use super::fallback::Fallback;
use super::pending::{Origin, PendingTable, RetryPolicy};
use super::OpId;

/// How an operation's request went out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Sent {
    /// Its command is declared unanswered: sent without waiting for a reply.
    Untracked,
    /// Waiting for its reply. A request for the same command sent earlier by `superseded` no
    /// longer waits (that operation ends as sent-but-unconfirmed).
    Tracked { superseded: Option<OpId> },
}

/// What an expired request (every attempt timed out) means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Expired {
    /// The command is declared unanswered now: its fallback is used from here on.
    Unanswered(CmdId),
    /// The request is given up; whoever waited for it is told.
    Abandoned(Origin),
}

/// The output side of the link.
#[derive(Debug, Default)]
pub(super) struct Requests {
    seq: u16,
    transmits: VecDeque<Vec<u8>>,
    pending: PendingTable,
    fallback: Fallback,
    frames_out: u64,
    retries: u64,
    abandoned: u64,
    unsolicited: u64,
}

impl Requests {
    /// Sends `req` without waiting for a reply.
    pub(super) fn transmit(&mut self, req: &Request) {
        let mut out = Vec::with_capacity(16);
        req.encode_frame(self.seq, &mut out);
        self.seq = self.seq.wrapping_add(1);
        self.frames_out += 1;
        self.transmits.push_back(out);
    }

    /// Sends `req` again (a retry decided elsewhere, e.g. a motion mode not confirmed yet).
    pub(super) fn resend(&mut self, req: &Request) {
        self.transmit(req);
        self.retries += 1;
    }

    /// The next datagram to send to the camera.
    pub(super) fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmits.pop_front()
    }

    /// `cmd` is known never to be answered: its fallback from the start (see
    /// `LinkConfig::known_unanswered`). False for a command without a fallback.
    pub(super) fn preset_unanswered(&mut self, cmd: CmdId) -> bool {
        self.fallback.preset(cmd)
    }

    /// Sends a poll unless a request for the same command is in flight or the command is
    /// declared unanswered.
    pub(super) fn poll(&mut self, now: Instant, req: Request, policy: RetryPolicy) {
        let cmd = req.cmd_id();
        if self.pending.get(cmd).is_none() && !self.fallback.given_up(cmd) {
            self.transmit(&req);
            self.pending.insert(now, req, Origin::Poll, policy);
        }
    }

    /// Sends operation `id`'s request; a request in flight for the same command is superseded.
    pub(super) fn for_op(
        &mut self,
        now: Instant,
        id: OpId,
        req: Request,
        policy: RetryPolicy,
    ) -> Sent {
        let cmd = req.cmd_id();
        self.transmit(&req);
        if self.fallback.given_up(cmd) {
            return Sent::Untracked;
        }
        let old = self.pending.insert(now, req, Origin::Op(id), policy);
        Sent::Tracked {
            superseded: old.and_then(|p| p.origin.op()),
        }
    }

    /// A reply arrived: who waited for it (`None`: nobody; counted as unsolicited unless the
    /// camera sends it unasked anyway).
    pub(super) fn answered(&mut self, reply: &Reply) -> Option<Origin> {
        let cmd = reply.cmd_id();
        let origin = self.pending.remove(cmd).map(|p| p.origin);
        self.fallback.answered(cmd);
        if origin.is_none()
            && !matches!(
                reply,
                Reply::FunctionFeedback(_) | Reply::Attitude(_) | Reply::AiTracking(_)
            )
            && !(cmd == CmdId::FIRMWARE_VERSION || cmd == CmdId::HARDWARE_ID)
        {
            self.unsolicited += 1;
        }
        origin
    }

    /// Handles the requests whose attempt timed out at `now`: re-sends those with attempts left,
    /// gives up the others. `last_rx` (the camera's last valid frame), `up` and `threshold`
    /// ([`super::LinkConfig::unanswered_after`]) decide whether a command is declared unanswered.
    pub(super) fn expire(
        &mut self,
        now: Instant,
        last_rx: Option<Instant>,
        up: bool,
        threshold: u8,
    ) -> Vec<Expired> {
        let mut out = Vec::new();
        for cmd in self.pending.expired(now) {
            let Some(p) = self.pending.get(cmd) else {
                continue;
            };
            let sent_at = p
                .deadline
                .checked_sub(p.policy.timeout)
                .unwrap_or(p.deadline);
            if self
                .fallback
                .unanswered(cmd, sent_at, last_rx, up, threshold)
            {
                out.push(Expired::Unanswered(cmd));
            } else if let Some(p) = self.pending.get_mut(cmd) {
                if p.attempts < p.policy.max_attempts {
                    p.attempts += 1;
                    p.deadline = now + p.policy.timeout;
                    let req = p.request.clone();
                    self.resend(&req);
                    continue;
                }
            }
            if let Some(p) = self.pending.remove(cmd) {
                self.abandoned += 1;
                out.push(Expired::Abandoned(p.origin));
            }
        }
        out
    }

    /// Forgets every request in flight (a new camera session); who waited for each.
    pub(super) fn drain(&mut self) -> Vec<Origin> {
        self.pending.drain().into_iter().map(|p| p.origin).collect()
    }

    /// A request for `cmd` is in flight.
    pub(super) fn in_flight(&self, cmd: CmdId) -> bool {
        self.pending.get(cmd).is_some()
    }

    /// `cmd` is declared unanswered (its fallback is in use).
    pub(super) fn given_up(&self, cmd: CmdId) -> bool {
        self.fallback.given_up(cmd)
    }

    /// The fallback bookkeeping (which commands are declared unanswered).
    pub(super) fn fallback(&self) -> &Fallback {
        &self.fallback
    }

    /// Number of requests in flight.
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    /// The earliest deadline of all requests in flight.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.pending.next_deadline()
    }

    /// Writes the output counters into `s`.
    pub(super) fn count(&self, s: &mut LinkStats) {
        s.frames_out = self.frames_out;
        s.retries = self.retries;
        s.abandoned = self.abandoned;
        s.unsolicited = self.unsolicited;
    }
}
