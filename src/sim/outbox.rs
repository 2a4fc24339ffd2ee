//! Outgoing frames and the fault knobs on the way out: every frame the camera sends is scheduled
//! here (reply delay), released in time order with the camera's own SEQ, and may be dropped or
//! corrupted by the seeded random generator.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use siyi_protocol::Reply;

use super::config::{later, SimConfig};

/// Most outgoing frames the model holds before it starts refusing new ones.
const MAX_QUEUED: usize = 4096;

/// A datagram to send. `to` is the sender of the request for replies and the most recent client
/// (the last address any datagram came from) for pushes and stream frames; `None` when that address
/// is unknown (the datagram came in through [`SimCamera::handle_datagram`] without an address).
///
/// [`SimCamera::handle_datagram`]: super::SimCamera::handle_datagram
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Destination, see above.
    pub to: Option<SocketAddr>,
    /// One encoded frame.
    pub bytes: Vec<u8>,
}

/// Where a scheduled frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dest {
    /// A reply: to the sender of the request.
    Requester(Option<SocketAddr>),
    /// A push or stream frame: to the most recent client when the frame is released.
    LatestClient,
}

#[derive(Clone, Debug)]
struct Scheduled {
    due: Instant,
    order: u64,
    dest: Dest,
    reply: Reply,
}

/// Counters of the way out.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct OutCounters {
    pub(super) frames_out: u64,
    pub(super) dropped_out: u64,
    pub(super) corrupted_out: u64,
    pub(super) queue_overflow: u64,
}

/// Scheduled and ready frames, the camera's SEQ counter and the delay / drop / corrupt knobs.
#[derive(Debug)]
pub(super) struct Outbox {
    rng: SmallRng,
    reply_delay_ms: u64,
    drop_probability: f64,
    corrupt_probability: f64,
    scheduled: Vec<Scheduled>,
    next_order: u64,
    ready: VecDeque<Transmit>,
    /// The SEQ of the next frame the camera sends (dropped frames use one too).
    pub(super) next_seq: u16,
    pub(super) counters: OutCounters,
}

impl Outbox {
    /// Empty, knobs and seed from `config` (already sanitized).
    pub(super) fn new(config: &SimConfig) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(config.seed),
            reply_delay_ms: config.reply_delay_ms,
            drop_probability: config.drop_probability,
            corrupt_probability: config.corrupt_probability,
            scheduled: Vec::new(),
            next_order: 0,
            ready: VecDeque::new(),
            next_seq: 0,
            counters: OutCounters::default(),
        }
    }

    /// Schedules `reply` for `base` plus the reply delay; refused when the queue is full.
    pub(super) fn schedule(&mut self, base: Instant, dest: Dest, reply: Reply) {
        if self.scheduled.len() >= MAX_QUEUED {
            self.counters.queue_overflow += 1;
            return;
        }
        let due = later(base, self.reply_delay_ms);
        self.scheduled.push(Scheduled {
            due,
            order: self.next_order,
            dest,
            reply,
        });
        self.next_order += 1;
    }

    /// The earliest due scheduled frame.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.scheduled.iter().map(|s| s.due).min()
    }

    /// A camera reboot: frames not yet on the wire are lost and the SEQ counter restarts at 0.
    pub(super) fn reboot(&mut self) {
        self.scheduled.clear();
        self.next_seq = 0;
    }

    /// The next datagram ready to send.
    pub(super) fn pop(&mut self) -> Option<Transmit> {
        self.ready.pop_front()
    }

    /// Moves every scheduled frame due at or before `now` to the ready queue, in time order,
    /// giving each the next camera SEQ and applying the drop / corrupt knobs. Pushes go to
    /// `last_client`.
    pub(super) fn release_due(&mut self, now: Instant, last_client: Option<SocketAddr>) {
        if !self.scheduled.iter().any(|s| s.due <= now) {
            return;
        }
        let (mut due, keep): (Vec<Scheduled>, Vec<Scheduled>) =
            self.scheduled.drain(..).partition(|s| s.due <= now);
        self.scheduled = keep;
        due.sort_by_key(|s| (s.due, s.order));
        for s in due {
            let seq = self.next_seq;
            self.next_seq = seq.wrapping_add(1);
            if self.drop_probability > 0.0 && self.rng.random::<f64>() < self.drop_probability {
                self.counters.dropped_out += 1;
                continue;
            }
            let mut bytes = Vec::with_capacity(32);
            s.reply.encode_frame(seq, &mut bytes);
            if self.corrupt_probability > 0.0 && self.rng.random::<f64>() < self.corrupt_probability
            {
                if let Some(last) = bytes.last_mut() {
                    *last ^= 0x5a;
                }
                self.counters.corrupted_out += 1;
            }
            let to = match s.dest {
                Dest::Requester(addr) => addr,
                Dest::LatestClient => last_client,
            };
            self.counters.frames_out += 1;
            self.ready.push_back(Transmit { to, bytes });
        }
    }
}
