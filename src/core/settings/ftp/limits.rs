//! What one source can draw from the FTP server. Unsigned MAVLink does not prove where a
//! request came from, so a spoofer could make the server send files to a victim's address.
//!
//! * A sender (system id on a peer) that has not sent a HEARTBEAT within 10 s — every ground
//!   station heartbeats, a spoofed source usually does not — gets one reply per request, of at
//!   most [`BYTES_OUT_PER_BYTE_IN`] × the request's frame bytes; a bigger reply (a burst, a
//!   file's data) is replaced by a NAK Fail (28 bytes, less than 3 × the smallest request).
//! * Every peer (address) has a budget of reply bytes, [`FTP_RATE`]: 128 KiB at once, then
//!   32 KiB/s (a camera definition download is ≈ 3.5 KB). A reply that does not fit is not sent;
//!   a burst cut short says `burst_complete` on its last sent reply, so the client asks again.
//!
//! Bytes are MAVLink 2 frame bytes: a reply counts its full size ([`frame_bytes_out`], an upper
//! bound of what goes on the wire unsigned), a request its trimmed size ([`frame_bytes_in`], a
//! lower bound).
//!
//! Owns: the per-peer byte budgets and their counters. Never touches: clocks, the files.

use std::time::Instant;

use mavlink::dialects::common::FILE_TRANSFER_PROTOCOL_DATA;

use super::payload::{opcode, NakCode, Payload, HEADER_BYTES, MAX_DATA_BYTES, PAYLOAD_BYTES};
use crate::core::mavlink::budget::{Budgets, Rate};
use crate::core::mavlink::PeerId;

/// For a sender that does not heartbeat: most reply bytes per request byte.
pub const BYTES_OUT_PER_BYTE_IN: usize = 3;
/// Reply bytes per peer: a burst of 128 KiB, then 32 KiB per second.
pub const FTP_RATE: Rate = Rate {
    burst: 128 * 1024,
    per_second: 32 * 1024,
};
/// Peers with a byte budget at once.
const MAX_PEERS: usize = 64;
/// MAVLink 2 frame bytes around the payload (10 header + 2 checksum).
const FRAME_OVERHEAD: usize = 12;
/// The target fields in front of the FTP payload.
const TARGET_BYTES: usize = 3;
/// Offset of `size` in an FTP payload.
const SIZE_AT: usize = 4;
/// Offset of `req_opcode` in an FTP payload.
const REQ_OPCODE_AT: usize = 5;
/// Offset of `burst_complete` in an FTP payload.
const BURST_COMPLETE_AT: usize = 6;

/// Counters of [`Limits`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(super) struct LimitStats {
    /// Replies replaced by a NAK because the sender does not heartbeat.
    pub(super) not_heartbeating: u64,
    /// Replies not sent because the peer's byte budget was spent.
    pub(super) over_budget: u64,
    /// Bytes of the replies sent (as [`frame_bytes_out`] counts them).
    pub(super) bytes_out: u64,
}

/// The byte budgets of the peers. See the module docs.
#[derive(Debug)]
pub(super) struct Limits {
    budgets: Budgets<PeerId>,
    pub(super) stats: LimitStats,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            budgets: Budgets::new(FTP_RATE, MAX_PEERS),
            stats: LimitStats::default(),
        }
    }
}

/// Bytes of a reply's MAVLink 2 frame, untrimmed (an upper bound of the unsigned frame).
pub fn frame_bytes_out(raw: &[u8; PAYLOAD_BYTES]) -> usize {
    let size = usize::from(raw.get(SIZE_AT).copied().unwrap_or(0)).min(MAX_DATA_BYTES);
    FRAME_OVERHEAD + TARGET_BYTES + HEADER_BYTES + size
}

/// Bytes of a request's MAVLink 2 frame with its trailing zeros trimmed (the least it took).
pub fn frame_bytes_in(msg: &FILE_TRANSFER_PROTOCOL_DATA) -> usize {
    let targets = [msg.target_network, msg.target_system, msg.target_component];
    let last = match msg.payload.iter().rposition(|b| *b != 0) {
        Some(i) => TARGET_BYTES + i + 1,
        None => targets.iter().rposition(|b| *b != 0).map_or(1, |i| i + 1),
    };
    FRAME_OVERHEAD + last
}

impl Limits {
    /// The replies `replies` to a request of `in_bytes` from `peer`, cut to what it may draw.
    pub(super) fn apply(
        &mut self,
        now: Instant,
        peer: PeerId,
        heartbeating: bool,
        in_bytes: usize,
        mut replies: Vec<[u8; PAYLOAD_BYTES]>,
    ) -> Vec<[u8; PAYLOAD_BYTES]> {
        if !heartbeating {
            replies.truncate(1);
            if let Some(first) = replies.first_mut() {
                if frame_bytes_out(first) > BYTES_OUT_PER_BYTE_IN * in_bytes {
                    *first = self.refusal(first);
                }
            }
        }
        let mut kept = 0;
        for r in &replies {
            let bytes = frame_bytes_out(r);
            if !self.budgets.take(now, peer, bytes as u64) {
                break;
            }
            self.stats.bytes_out += bytes as u64;
            kept += 1;
        }
        let dropped = replies.len() - kept;
        if dropped > 0 {
            self.stats.over_budget += dropped as u64;
            if self.stats.over_budget.is_power_of_two() {
                tracing::warn!(target: "mavlink", peer, dropped = self.stats.over_budget, "FTP byte budget of a peer spent: replies not sent");
            }
            replies.truncate(kept);
            if let Some(last) = replies.last_mut() {
                if last.get(REQ_OPCODE_AT) == Some(&opcode::BURST_READ_FILE) {
                    if let Some(b) = last.get_mut(BURST_COMPLETE_AT) {
                        *b = 1; // the client asks for the rest
                    }
                }
            }
        }
        replies
    }

    /// NAK Fail in place of `reply` (to a sender that does not heartbeat).
    fn refusal(&mut self, reply: &[u8; PAYLOAD_BYTES]) -> [u8; PAYLOAD_BYTES] {
        self.stats.not_heartbeating += 1;
        if self.stats.not_heartbeating.is_power_of_two() {
            tracing::warn!(target: "mavlink", refused = self.stats.not_heartbeating, "FTP data refused to a sender that sends no HEARTBEAT (NAK Fail)");
        }
        let r = Payload::decode(reply);
        // The request as the reply tells it: one sequence number before, its opcode.
        let req = Payload {
            seq: r.seq.wrapping_sub(1),
            opcode: r.req_opcode,
            ..r
        };
        Payload::nak(&req, NakCode::Fail).encode()
    }
}
