//! A read-only MAVLink FTP server (FILE_TRANSFER_PROTOCOL, mavlink.io/en/services/ftp.html),
//! sans-IO: a table of named files served to ground stations, e.g. a camera definition that
//! QGroundControl and MAVSDK fetch with an `mftp://` URI. It knows nothing about cameras.
//!
//! What it does, as QGroundControl's, MAVSDK's and pymavlink's clients use it:
//! * OpenFileRO (the reply carries the session and the file size), ReadFile, BurstReadFile (a
//!   bounded series of replies, the last with `burst_complete`), TerminateSession,
//!   ResetSessions (only the sender's sessions), ListDirectory of the root (`""`, `"/"`,
//!   `"@MAV_ROOT"`), None (ACK).
//! * Anything that writes is NAKed FileProtected; other opcodes (CalcFileCRC32 included)
//!   UnknownCommand; an offset past the end EOF; a session that is not open InvalidSession; a
//!   read size of 0 or above 239 InvalidDataSize; a full session table NoSessionsAvailable.
//! * Sessions ([`sessions`]): [`MAX_SESSIONS`], each owned by the (system, component, peer)
//!   that opened it — another sender's TerminateSession / ReadFile / BurstReadFile on it is
//!   NAKed InvalidSession; a sender holds one (its next OpenFileRO replaces it; its id is always
//!   0), a link at most [`MAX_SESSIONS_PER_PEER`]; a full table frees the least recently used
//!   session idle for [`SESSION_EVICTABLE_AFTER`] before it refuses; every session is freed
//!   after [`SESSION_IDLE_TIMEOUT`] without use.
//! * What one source can draw ([`limits`]): a sender that has not sent a HEARTBEAT within 10 s
//!   gets one reply per request of at most [`BYTES_OUT_PER_BYTE_IN`] × the request's bytes (a
//!   bigger one — a file's data, a burst — becomes a NAK Fail); every peer has a budget of
//!   reply bytes ([`FTP_RATE`]), and what exceeds it is not sent (a burst ends early).
//! * A reply's sequence number is the request's + 1 (a burst counts on from there). A request
//!   equal to the last one from the same sender (a retransmission after a lost reply) gets the
//!   remembered replies again instead of being executed twice.
//!
//! Paths: leading `/` and a leading `@MAV_ROOT` are ignored, so `mftp://name.xml` works for
//! QGroundControl (which asks for `/name.xml`) and MAVSDK (which asks for `name.xml`).
//!
//! Owns: the file table, the sessions, the last replies per sender. Never touches: sockets,
//! clocks (`now` is passed in), a service's state.

mod limits;
pub mod payload;
pub mod sessions;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::Instant;

use mavlink::dialects::common::{MavMessage, FILE_TRANSFER_PROTOCOL_DATA};
use mavlink::MavHeader;

use crate::core::mavlink::{Addressed, Addressing, Host, PeerId, Requester, Target};
pub use limits::{frame_bytes_in, frame_bytes_out, BYTES_OUT_PER_BYTE_IN, FTP_RATE};
use payload::{opcode, NakCode, Payload, MAX_DATA_BYTES, PAYLOAD_BYTES};
use sessions::{Opened, Sessions};
pub use sessions::{
    MAX_SESSIONS, MAX_SESSIONS_PER_PEER, SESSION_EVICTABLE_AFTER, SESSION_IDLE_TIMEOUT,
};

/// Most replies one BurstReadFile gets (at 239 bytes each: 7.6 KB).
pub const MAX_BURST_REPLIES: usize = 32;
/// Senders whose last replies are remembered for retransmissions.
const MAX_REMEMBERED: usize = 8;
/// The root directory's other name (ArduPilot, pymavlink).
const MAV_ROOT: &str = "@MAV_ROOT";

/// One file the server offers.
#[derive(Clone, Debug)]
pub struct FtpFile {
    /// Its name in the root directory (no `/`).
    pub name: String,
    /// Its content.
    pub bytes: Cow<'static, [u8]>,
}

impl FtpFile {
    /// A file named `name` with static content.
    pub fn new(name: &str, bytes: &'static [u8]) -> Self {
        Self {
            name: name.to_owned(),
            bytes: Cow::Borrowed(bytes),
        }
    }
}

/// Counters (for logs and tests).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct FtpStats {
    /// Requests handled (retransmissions included).
    pub requests: u64,
    /// Retransmissions answered with the remembered replies.
    pub retransmissions: u64,
    /// NAKs sent.
    pub naks: u64,
    /// FILE_TRANSFER_PROTOCOL messages addressed to another system or component.
    pub not_for_us: u64,
    /// Requests from systems not in the allow-list (ignored).
    pub refused: u64,
    /// Sessions closed because their client went silent.
    pub sessions_expired: u64,
    /// Idle sessions freed for a new client (the table was full).
    pub sessions_evicted: u64,
    /// Replies replaced by a NAK because the sender does not heartbeat (a burst, file data).
    pub not_heartbeating: u64,
    /// Replies not sent because the peer's FTP byte budget was spent.
    pub over_budget: u64,
    /// Bytes of the FTP replies sent (MAVLink 2 frames as [`frame_bytes_out`] counts them).
    pub bytes_out: u64,
}

/// A request's replies, kept for a retransmission of the same request.
#[derive(Debug)]
struct Remembered {
    from: Requester,
    request: [u8; PAYLOAD_BYTES],
    replies: Vec<[u8; PAYLOAD_BYTES]>,
    at: Instant,
}

/// The server. See the module docs.
#[derive(Debug)]
pub struct FtpServer {
    files: Vec<FtpFile>,
    sessions: Sessions,
    remembered: VecDeque<Remembered>,
    limits: limits::Limits,
    stats: FtpStats,
}

impl FtpServer {
    /// A server offering `files` in its root directory.
    pub fn new(files: Vec<FtpFile>) -> Self {
        Self {
            files,
            sessions: Sessions::default(),
            remembered: VecDeque::new(),
            limits: limits::Limits::default(),
            stats: FtpStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> FtpStats {
        let l = self.limits.stats;
        FtpStats {
            not_heartbeating: l.not_heartbeating,
            over_budget: l.over_budget,
            bytes_out: l.bytes_out,
            ..self.stats
        }
    }

    /// Sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.sessions.open_count()
    }

    /// One FILE_TRANSFER_PROTOCOL message `header` + `msg` from `peer`, for the component of
    /// `host`: served only when addressed to exactly this system and component and sent by a
    /// system `host` lets command it; the replies go back to the sender on its link, within
    /// the limits of [`limits`] (heartbeat, bytes out per byte in, the peer's budget).
    pub fn handle_message(
        &mut self,
        now: Instant,
        host: &mut Host,
        peer: PeerId,
        header: MavHeader,
        msg: &FILE_TRANSFER_PROTOCOL_DATA,
    ) {
        if u8::try_from(header.system_id).is_err() {
            return;
        }
        let target = (msg.target_system, msg.target_component);
        let from = match host.addressed(peer, &header, target, Addressing::Exact) {
            Addressed::Ours(from) => from,
            Addressed::NotOurs => {
                self.stats.not_for_us += 1;
                return;
            }
            Addressed::Refused => {
                self.stats.refused += 1;
                return;
            }
        };
        let system = from.system;
        let replies = self.handle(now, from, &msg.payload);
        let heartbeating = host.heartbeating(now, peer, system);
        let replies = (self.limits).apply(now, peer, heartbeating, frame_bytes_in(msg), replies);
        for payload in replies {
            let reply = FILE_TRANSFER_PROTOCOL_DATA {
                target_network: 0,
                target_system: system,
                target_component: header.component_id,
                payload,
            };
            host.send(
                Target::Peer(peer),
                MavMessage::FILE_TRANSFER_PROTOCOL(reply),
            );
        }
    }

    /// The replies (encoded payloads) to one request payload `raw` from `from`.
    pub fn handle(
        &mut self,
        now: Instant,
        from: Requester,
        raw: &[u8; PAYLOAD_BYTES],
    ) -> Vec<[u8; PAYLOAD_BYTES]> {
        self.stats.requests += 1;
        let expired = self.sessions.expire(now);
        if expired > 0 {
            self.stats.sessions_expired += expired as u64;
            tracing::info!(target: "mavlink", expired, "FTP sessions closed after their client went silent");
        }
        self.remembered
            .retain(|r| now.saturating_duration_since(r.at) < SESSION_IDLE_TIMEOUT);
        if let Some(r) = (self.remembered.iter_mut()).find(|r| r.from == from && r.request == *raw)
        {
            r.at = now;
            self.stats.retransmissions += 1;
            return r.replies.clone();
        }
        let req = Payload::decode(raw);
        let replies: Vec<_> = self
            .answer(now, from, &req)
            .iter()
            .map(Payload::encode)
            .collect();
        self.stats.naks += (replies.iter()).filter(|r| r[3] == opcode::NAK).count() as u64;
        self.remembered.retain(|r| r.from != from);
        if self.remembered.len() >= MAX_REMEMBERED {
            self.remembered.pop_front();
        }
        self.remembered.push_back(Remembered {
            from,
            request: *raw,
            replies: replies.clone(),
            at: now,
        });
        replies
    }

    fn answer(&mut self, now: Instant, from: Requester, req: &Payload) -> Vec<Payload> {
        use opcode as op;
        let reply = match req.opcode {
            op::NONE => Payload::ack(req, &[]),
            op::TERMINATE_SESSION if self.sessions.close(from, req.session) => {
                Payload::ack(req, &[])
            }
            op::TERMINATE_SESSION => Payload::nak(req, NakCode::InvalidSession),
            op::RESET_SESSIONS => {
                self.sessions.close_all_of(from);
                Payload::ack(req, &[])
            }
            op::LIST_DIRECTORY => self.list(req),
            op::OPEN_FILE_RO => self.open(now, from, req),
            op::READ_FILE => match self.read_at(now, from, req, req.offset) {
                Ok(chunk) => Payload::ack(req, chunk),
                Err(code) => Payload::nak(req, code),
            },
            op::BURST_READ_FILE => return self.burst(now, from, req),
            op::CREATE_FILE
            | op::WRITE_FILE
            | op::REMOVE_FILE
            | op::CREATE_DIRECTORY
            | op::REMOVE_DIRECTORY
            | op::OPEN_FILE_WO
            | op::TRUNCATE_FILE
            | op::RENAME => Payload::nak(req, NakCode::FileProtected),
            _ => Payload::nak(req, NakCode::UnknownCommand),
        };
        vec![reply]
    }

    /// The path without leading `/` and `@MAV_ROOT`; `None` when it is not UTF-8.
    fn relative(req: &Payload) -> Option<&str> {
        let p = req.path()?.trim_start_matches('/');
        Some(
            p.strip_prefix(MAV_ROOT)
                .unwrap_or(p)
                .trim_start_matches('/'),
        )
    }

    fn open(&mut self, now: Instant, from: Requester, req: &Payload) -> Payload {
        let name = Self::relative(req);
        let Some(file) = (self.files.iter()).position(|f| Some(f.name.as_str()) == name) else {
            return Payload::nak(req, NakCode::FileNotFound);
        };
        match self.sessions.open(now, from, file) {
            Opened::Free => {}
            Opened::Evicted => {
                self.stats.sessions_evicted += 1;
                tracing::info!(target: "mavlink", system_id = from.system, component_id = from.component, "FTP session table full: the least recently used idle session was freed");
            }
            Opened::Full => return Payload::nak(req, NakCode::NoSessionsAvailable),
        }
        tracing::debug!(target: "mavlink", file = %self.files[file].name, "FTP file opened");
        let size = self.files[file].bytes.len() as u32;
        let mut ack = Payload::ack(req, &size.to_le_bytes());
        ack.session = sessions::SESSION_ID;
        ack
    }

    /// Up to `req.size` bytes of `from`'s session `req.session`'s file at `offset`.
    fn read_at(
        &mut self,
        now: Instant,
        from: Requester,
        req: &Payload,
        offset: u32,
    ) -> Result<&[u8], NakCode> {
        let file = (self.sessions.file(now, from, req.session)).ok_or(NakCode::InvalidSession)?;
        let size = usize::from(req.size);
        if size == 0 || size > MAX_DATA_BYTES {
            return Err(NakCode::InvalidDataSize);
        }
        let bytes = &self.files.get(file).ok_or(NakCode::Fail)?.bytes;
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        if start >= bytes.len() {
            return Err(NakCode::Eof);
        }
        Ok(bytes
            .get(start..bytes.len().min(start.saturating_add(size)))
            .unwrap_or_default())
    }

    /// BurstReadFile: replies of `req.size` bytes from `req.offset` until the end of the file
    /// or [`MAX_BURST_REPLIES`]; the last one says `burst_complete`. An error is one NAK.
    fn burst(&mut self, now: Instant, from: Requester, req: &Payload) -> Vec<Payload> {
        let mut out: Vec<Payload> = Vec::new();
        let mut offset = req.offset;
        while out.len() < MAX_BURST_REPLIES {
            let chunk = match self.read_at(now, from, req, offset) {
                Ok(chunk) => chunk,
                Err(code) if out.is_empty() => return vec![Payload::nak(req, code)],
                Err(_) => break,
            };
            let mut ack = Payload::ack(req, chunk);
            ack.seq = req.seq.wrapping_add(1 + out.len() as u16);
            ack.offset = offset;
            offset = offset.saturating_add(u32::from(ack.size));
            out.push(ack);
        }
        if let Some(last) = out.last_mut() {
            last.burst_complete = 1;
        }
        out
    }

    /// ListDirectory of the root: entries `F<name>\t<size>\0` from entry index `req.offset`, as
    /// many as fit; EOF past the last one. Any other directory does not exist.
    fn list(&self, req: &Payload) -> Payload {
        if !matches!(Self::relative(req), Some("" | ".")) {
            return Payload::nak(req, NakCode::FileNotFound);
        }
        let first = usize::try_from(req.offset).unwrap_or(usize::MAX);
        if first >= self.files.len() {
            return Payload::nak(req, NakCode::Eof);
        }
        let mut data = Vec::new();
        for f in &self.files[first..] {
            let entry = format!("F{}\t{}\0", f.name, f.bytes.len());
            if data.len() + entry.len() > MAX_DATA_BYTES {
                break;
            }
            data.extend_from_slice(entry.as_bytes());
        }
        if data.is_empty() {
            return Payload::nak(req, NakCode::Fail); // a name too long for one message
        }
        Payload::ack(req, &data)
    }
}
