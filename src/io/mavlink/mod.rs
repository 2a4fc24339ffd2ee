//! MAVLink sockets. We own the sockets and use the `mavlink` crate only as a codec: its own `udpin`
//! answers only the last sender and it drops commands whose number it does not know. Here every
//! `udpin` peer gets its own [`PeerId`] and all frames reach the core as raw payloads.
//!
//! Nothing here decides protocol meaning: frames are split and checked (CRC), handed to the core,
//! and the core's [`Transmit`](crate::core::mavlink::Transmit)s are encoded and sent where their
//! [`Target`] says. The wire codec (frame splitter, encoder) is sans-IO and lives in
//! [`crate::core::mavlink::wire`]; files here: [`peers`] (the `udpin`
//! peer table with expiry and rate limits; sans-IO), [`signing`] (MAVLink 2 message signing).

pub mod peers;
pub mod signing;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{broadcast, mpsc};

pub use crate::core::mavlink::wire::{self, encode, FrameSplitter, RawFrame};
use crate::core::mavlink::{PeerId, Target};
use crate::io::driver::clock_now;
pub use crate::io::endpoint::{Endpoint, EndpointError};
use peers::{Admit, PeerChange, PeerTable, RateChange};
use signing::{Signer, Verdict};

/// First wait before reopening a closed `tcpout` / `serial` endpoint (milliseconds).
pub const RECONNECT_FIRST_MS: u64 = 500;
/// Longest wait between reopening attempts (milliseconds); the wait doubles up to it.
pub const RECONNECT_MAX_MS: u64 = 10_000;

/// A frame from a peer.
#[derive(Debug)]
pub struct Incoming {
    /// Which peer.
    pub peer: PeerId,
    /// The frame.
    pub frame: RawFrame,
}

/// An encoded frame for the sockets.
#[derive(Clone, Debug)]
pub struct OutFrame {
    /// Where to.
    pub target: Target,
    /// Wire bytes.
    pub bytes: Arc<[u8]>,
}

/// Allocates link ids for peers.
#[derive(Debug, Default, Clone)]
pub struct PeerIds(Arc<AtomicU32>);

impl PeerIds {
    fn next(&self) -> PeerId {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

/// An opened endpoint.
#[derive(Debug)]
pub struct Opened {
    /// The task moving its bytes.
    pub task: tokio::task::JoinHandle<()>,
    /// The local address (UDP sockets only: `tcpout` and `serial` connect in the background).
    pub local: Option<SocketAddr>,
}

/// Opens `endpoint` and runs it until the channels close: frames go to `incoming`, and every
/// [`OutFrame`] from `outgoing` addressed to one of its peers (or to all) is sent. With a
/// `signer`, incoming frames must be signed (see [`signing`]); outgoing frames arrive signed.
///
/// UDP sockets are bound before this returns (errors name the address). `tcpout` and `serial`
/// return at once and connect in the background, retrying with backoff for as long as the bridge
/// runs: a server or device that is absent at start or goes away later is not fatal.
pub async fn open(
    endpoint: &Endpoint,
    ids: PeerIds,
    incoming: mpsc::Sender<Incoming>,
    outgoing: broadcast::Receiver<OutFrame>,
    signer: Option<Arc<Signer>>,
) -> io::Result<Opened> {
    let filter = Filter::new(endpoint.to_string(), signer);
    match endpoint {
        Endpoint::UdpIn(addr) => {
            let sock = UdpSocket::bind(addr).await?;
            tracing::info!(target: "mavlink", "listening for MAVLink on udp {}", sock.local_addr()?);
            let local = sock.local_addr().ok();
            Ok(Opened {
                task: tokio::spawn(run_udpin(sock, ids, incoming, outgoing, filter)),
                local,
            })
        }
        Endpoint::UdpOut(addr) => {
            let bind: SocketAddr = match addr {
                SocketAddr::V4(a) if a.ip().is_loopback() => ([127, 0, 0, 1], 0).into(),
                SocketAddr::V4(_) => ([0, 0, 0, 0], 0).into(),
                SocketAddr::V6(a) if a.ip().is_loopback() => {
                    (std::net::Ipv6Addr::LOCALHOST, 0).into()
                }
                SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
            };
            let sock = UdpSocket::bind(bind).await?;
            // Connected: the kernel delivers only datagrams from `addr` to this socket.
            sock.connect(addr).await?;
            tracing::info!(target: "mavlink", "sending MAVLink to udp {addr} from {}", sock.local_addr()?);
            let local = sock.local_addr().ok();
            Ok(Opened {
                task: tokio::spawn(run_udpout(sock, ids.next(), incoming, outgoing, filter)),
                local,
            })
        }
        Endpoint::TcpOut(_) | Endpoint::Serial { .. } => Ok(Opened {
            task: tokio::spawn(run_reconnecting(
                endpoint.clone(),
                ids.next(),
                incoming,
                outgoing,
                filter,
            )),
            local: None,
        }),
    }
}

/// Incoming frames of one endpoint after the signing policy; drops are counted and logged at
/// the first and then every power-of-two count.
struct Filter {
    name: String,
    signer: Option<Arc<Signer>>,
    wire: Vec<u8>,
    unsigned_dropped: u64,
    bad_signature_dropped: u64,
}

impl Filter {
    fn new(name: String, signer: Option<Arc<Signer>>) -> Self {
        Self {
            name,
            signer,
            wire: Vec::with_capacity(wire::MAX_FRAME),
            unsigned_dropped: 0,
            bad_signature_dropped: 0,
        }
    }

    /// The next frame that passes the CRC and the signing policy.
    fn next(&mut self, splitter: &mut FrameSplitter, from: &dyn fmt::Display) -> Option<RawFrame> {
        loop {
            let Some(signer) = &self.signer else {
                return splitter.next_frame();
            };
            let frame = splitter.next_frame_with_wire(&mut self.wire)?;
            match signer.check(&frame, &self.wire) {
                Verdict::Signed | Verdict::AllowedUnsigned => return Some(frame),
                Verdict::Unsigned => {
                    self.unsigned_dropped += 1;
                    let n = self.unsigned_dropped;
                    if n.is_power_of_two() {
                        tracing::warn!(target: "mavlink", "{}: dropped {n} unsigned MAVLink frame(s) so far (signing is on; last from {from})", self.name);
                    }
                }
                Verdict::BadSignature => {
                    self.bad_signature_dropped += 1;
                    let n = self.bad_signature_dropped;
                    if n.is_power_of_two() {
                        tracing::warn!(target: "mavlink", "{}: dropped {n} MAVLink frame(s) with a wrong key or stale timestamp so far (last from {from})", self.name);
                    }
                }
            }
        }
    }
}

fn log_peer_changes(table: &mut PeerTable) {
    while let Some(c) = table.poll_change() {
        match c {
            PeerChange::New(a, id) => {
                tracing::info!(target: "mavlink", "new MAVLink peer {a} (link {id})")
            }
            PeerChange::Expired(a, id) => tracing::info!(
                target: "mavlink",
                "forgetting MAVLink peer {a} (link {id}): silent for {} s",
                peers::PEER_EXPIRY_S
            ),
            PeerChange::Evicted(a, id) => tracing::info!(
                target: "mavlink",
                "forgetting MAVLink peer {a} (link {id}) to make room: {} peers at most",
                peers::MAX_PEERS
            ),
            PeerChange::Guest(a, id) => tracing::warn!(
                target: "mavlink",
                "MAVLink peer table full of active peers: {a} (link {id}) gets replies but no broadcasts"
            ),
            PeerChange::Rate(a, RateChange::Started) => tracing::warn!(
                target: "mavlink",
                "MAVLink peer {a} sends over {} frames/s: dropping the excess",
                peers::RATE_LIMIT_FRAMES_PER_S
            ),
            PeerChange::Rate(a, RateChange::Stopped { dropped }) => tracing::info!(
                target: "mavlink",
                "MAVLink peer {a} back under the rate limit ({dropped} frames dropped)"
            ),
        }
    }
}

/// The send errors of one endpoint, said sparingly: "connection refused" (nothing listens at
/// the address, e.g. no ground station on 127.0.0.1:14550 yet) once, in words, until the peer
/// is heard; any other error at the 1st, 2nd, 4th, 8th, … time.
///
/// While the address refuses, only heartbeats go there ([`SendErrors::passes`]): a ground
/// station that starts later hears them, answers, and from its first frame gets everything
/// again. Streams sent into a port nobody listens on cost CPU (and an ICMP error each) for
/// nothing.
#[derive(Default, Debug)]
struct SendErrors {
    others: u64,
    refused_said: bool,
    /// The address refused since the peer was last heard.
    refused: bool,
}

impl SendErrors {
    /// What to log for error `e` sending to `to`, if anything.
    fn note(&mut self, to: &dyn fmt::Display, e: &io::Error) -> Option<String> {
        if e.kind() == io::ErrorKind::ConnectionRefused {
            self.refused = true;
            if self.refused_said {
                return None;
            }
            self.refused_said = true;
            return Some(format!(
                "no ground station listens on {to} (connection refused): until one answers, only \
                 heartbeats go there, and nothing more is said (QGC listens on UDP 14550; for \
                 another address give --mavlink udpout:HOST:PORT)"
            ));
        }
        self.others += 1;
        (self.others.is_power_of_two())
            .then(|| format!("sending to {to} failed ({} times): {e}", self.others))
    }

    /// The peer was heard: everything goes to it again, and a later refusal is said again.
    fn heard(&mut self) {
        self.refused_said = false;
        self.refused = false;
    }

    /// Whether the frame `bytes` goes out: every frame, or only heartbeats while the address
    /// refuses.
    fn passes(&self, bytes: &[u8]) -> bool {
        !self.refused || is_heartbeat(bytes)
    }
}

/// True for a MAVLink 1 or 2 frame carrying HEARTBEAT (message id 0).
fn is_heartbeat(bytes: &[u8]) -> bool {
    match bytes.first() {
        Some(&mavlink::MAV_STX_V2) => bytes.get(7..10) == Some(&[0, 0, 0]),
        Some(&mavlink::MAV_STX) => bytes.get(5) == Some(&0),
        _ => false,
    }
}

fn count_send_error(errors: &mut SendErrors, to: &dyn fmt::Display, e: &io::Error) {
    if let Some(line) = errors.note(to, e) {
        tracing::warn!(target: "mavlink", "{line}");
    }
}

async fn run_udpin(
    sock: UdpSocket,
    ids: PeerIds,
    incoming: mpsc::Sender<Incoming>,
    mut outgoing: broadcast::Receiver<OutFrame>,
    mut filter: Filter,
) {
    let mut table = PeerTable::new();
    let mut buf = vec![0u8; 65_536];
    let mut splitter = FrameSplitter::default();
    let mut send_errors = SendErrors::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dests = Vec::with_capacity(peers::MAX_PEERS);
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => {
                // Errors: ICMP "port unreachable" from an earlier send, counted by the kernel.
                let Ok((n, from)) = r else { continue };
                splitter.push_datagram(buf.get(..n).unwrap_or_default());
                let now = clock_now();
                // Only a frame that passed the CRC (and the signing policy) registers a peer.
                while let Some(frame) = filter.next(&mut splitter, &from) {
                    send_errors.heard();
                    if let Admit::Deliver(link) = table.on_valid_frame(now, from, || ids.next()) {
                        if incoming.send(Incoming { peer: link, frame }).await.is_err() {
                            return;
                        }
                    }
                }
                splitter.clear();
                log_peer_changes(&mut table);
            }
            _ = tick.tick() => {
                table.expire(clock_now());
                log_peer_changes(&mut table);
            }
            o = outgoing.recv() => {
                let out = match out_frame(o) {
                    Out::Frame(f) => f,
                    Out::Lagged => continue,
                    Out::Stopped => return,
                };
                dests.clear();
                match out.target {
                    Target::All => dests.extend(table.broadcast()),
                    Target::Peer(id) => dests.extend(table.address_of(id)),
                }
                for d in &dests {
                    if let Err(e) = sock.send_to(&out.bytes, d).await {
                        count_send_error(&mut send_errors, d, &e);
                    }
                }
            }
        }
    }
}

async fn run_udpout(
    sock: UdpSocket,
    link: PeerId,
    incoming: mpsc::Sender<Incoming>,
    mut outgoing: broadcast::Receiver<OutFrame>,
    mut filter: Filter,
) {
    let peer = sock
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into());
    let mut buf = vec![0u8; 65_536];
    let mut splitter = FrameSplitter::default();
    let mut send_errors = SendErrors::default();
    loop {
        tokio::select! {
            r = sock.recv(&mut buf) => {
                // Errors: ICMP "port unreachable" while nobody listens at the peer.
                let n = match r {
                    Ok(n) => n,
                    Err(e) => {
                        // The refusal of an earlier send, reported on this read.
                        if e.kind() == io::ErrorKind::ConnectionRefused {
                            count_send_error(&mut send_errors, &peer, &e);
                        }
                        continue;
                    }
                };
                splitter.push_datagram(buf.get(..n).unwrap_or_default());
                while let Some(frame) = filter.next(&mut splitter, &peer) {
                    send_errors.heard();
                    if incoming.send(Incoming { peer: link, frame }).await.is_err() {
                        return;
                    }
                }
                splitter.clear();
            }
            o = outgoing.recv() => {
                let out = match out_frame(o) {
                    Out::Frame(f) => f,
                    Out::Lagged => continue,
                    Out::Stopped => return,
                };
                if matches!(out.target, Target::Peer(id) if id != link)
                    || !send_errors.passes(&out.bytes)
                {
                    continue;
                }
                if let Err(e) = sock.send(&out.bytes).await {
                    count_send_error(&mut send_errors, &peer, &e);
                }
            }
        }
    }
}

type BoxRead = Box<dyn AsyncRead + Unpin + Send>;
type BoxWrite = Box<dyn AsyncWrite + Unpin + Send>;

async fn connect_stream(endpoint: &Endpoint) -> io::Result<(BoxRead, BoxWrite)> {
    match endpoint {
        Endpoint::TcpOut(addr) => {
            let stream = TcpStream::connect(addr).await?;
            let _ = stream.set_nodelay(true);
            let (r, w) = stream.into_split();
            Ok((Box::new(r), Box::new(w)))
        }
        Endpoint::Serial { device, baud } => {
            use tokio_serial::SerialPortBuilderExt;
            let port = tokio_serial::new(device.as_str(), *baud)
                .open_native_async()
                .map_err(io::Error::other)?;
            let (r, w) = tokio::io::split(port);
            Ok((Box::new(r), Box::new(w)))
        }
        Endpoint::UdpIn(_) | Endpoint::UdpOut(_) => Err(io::Error::other("not a stream endpoint")),
    }
}

/// How a stream session ended.
enum StreamEnd {
    /// The bridge is stopping.
    Stopped,
    /// The peer closed or an I/O error: reconnect.
    Lost(String),
}

/// `tcpout` / `serial`: connect, run, and when the connection is lost (or never came), retry
/// after [`RECONNECT_FIRST_MS`] doubling up to [`RECONNECT_MAX_MS`]. Logs once per state change.
async fn run_reconnecting(
    endpoint: Endpoint,
    link: PeerId,
    incoming: mpsc::Sender<Incoming>,
    mut outgoing: broadcast::Receiver<OutFrame>,
    mut filter: Filter,
) {
    let mut backoff_ms = RECONNECT_FIRST_MS;
    let mut ever_connected = false;
    let mut down_logged = false;
    loop {
        match connect_stream(&endpoint).await {
            Ok((r, w)) => {
                if ever_connected {
                    tracing::info!(target: "mavlink", "MAVLink {endpoint} reconnected");
                } else {
                    tracing::info!(target: "mavlink", "MAVLink {endpoint} connected");
                }
                ever_connected = true;
                backoff_ms = RECONNECT_FIRST_MS;
                // Nothing stale from the time we were away.
                outgoing = outgoing.resubscribe();
                match run_stream(r, w, link, &incoming, &mut outgoing, &mut filter).await {
                    StreamEnd::Stopped => return,
                    StreamEnd::Lost(why) => {
                        tracing::warn!(target: "mavlink", "MAVLink {endpoint} closed ({why}); reconnecting");
                        down_logged = true;
                    }
                }
            }
            Err(e) => {
                if !down_logged {
                    tracing::warn!(
                        target: "mavlink",
                        "MAVLink {endpoint} not available ({e}); retrying every {} s at most",
                        RECONNECT_MAX_MS / 1000
                    );
                    down_logged = true;
                }
            }
        }
        // Wait, still draining the output queue and noticing a stop.
        let wait = tokio::time::sleep(Duration::from_millis(backoff_ms));
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => break,
                o = outgoing.recv() => {
                    if matches!(o, Err(broadcast::error::RecvError::Closed)) {
                        return;
                    }
                }
            }
        }
        if incoming.is_closed() {
            return;
        }
        backoff_ms = (backoff_ms * 2).min(RECONNECT_MAX_MS);
    }
}

async fn run_stream(
    mut r: BoxRead,
    mut w: BoxWrite,
    link: PeerId,
    incoming: &mpsc::Sender<Incoming>,
    outgoing: &mut broadcast::Receiver<OutFrame>,
    filter: &mut Filter,
) -> StreamEnd {
    let mut buf = vec![0u8; 4096];
    let mut splitter = FrameSplitter::default();
    let name = filter.name.clone();
    loop {
        tokio::select! {
            n = r.read(&mut buf) => {
                match n {
                    Ok(0) => return StreamEnd::Lost("end of stream".into()),
                    Err(e) => return StreamEnd::Lost(e.to_string()),
                    Ok(n) => {
                        splitter.push(buf.get(..n).unwrap_or_default());
                        while let Some(frame) = filter.next(&mut splitter, &name) {
                            if incoming.send(Incoming { peer: link, frame }).await.is_err() {
                                return StreamEnd::Stopped;
                            }
                        }
                    }
                }
            }
            o = outgoing.recv() => {
                let out = match out_frame(o) {
                    Out::Frame(f) => f,
                    Out::Lagged => continue,
                    Out::Stopped => return StreamEnd::Stopped,
                };
                if matches!(out.target, Target::Peer(id) if id != link) {
                    continue;
                }
                if let Err(e) = w.write_all(&out.bytes).await {
                    return StreamEnd::Lost(format!("write failed: {e}"));
                }
            }
        }
    }
}

/// What one read of the outgoing channel means for a socket task.
enum Out {
    /// A frame to send.
    Frame(OutFrame),
    /// The task fell behind and frames were dropped (logged): go on.
    Lagged,
    /// The bridge stopped.
    Stopped,
}

fn out_frame(o: Result<OutFrame, broadcast::error::RecvError>) -> Out {
    match o {
        Ok(f) => Out::Frame(f),
        Err(broadcast::error::RecvError::Lagged(n)) => {
            tracing::warn!(target: "mavlink", "MAVLink output lagging: {n} frames dropped");
            Out::Lagged
        }
        Err(broadcast::error::RecvError::Closed) => Out::Stopped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_address_gets_only_heartbeats_until_it_is_heard() {
        use mavlink::dialects::common::MavMessage;
        use mavlink::MavHeader;
        let frame = |msg: &MavMessage| {
            let mut v = Vec::new();
            let h = MavHeader {
                system_id: 1,
                component_id: 100,
                sequence: 7,
            };
            mavlink::write_v2_msg(&mut v, h, msg).unwrap();
            // MAVLink 1 where the message has a MAVLink 1 form.
            let mut v1 = Vec::new();
            let _ = mavlink::write_v1_msg(&mut v1, h, msg);
            (v, v1)
        };
        let (hb2, hb1) = frame(&MavMessage::HEARTBEAT(Default::default()));
        let (st2, _) = frame(&MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(
            Default::default(),
        ));
        let (sys2, st1) = frame(&MavMessage::SYS_STATUS(Default::default())); // id 1
        assert!(is_heartbeat(&hb2) && is_heartbeat(&hb1));
        assert!(!is_heartbeat(&st2) && !is_heartbeat(&st1) && !is_heartbeat(&sys2));
        assert!(!is_heartbeat(&[]) && !is_heartbeat(&[0xFD, 0]) && !is_heartbeat(&[0x55, 0]));

        let mut e = SendErrors::default();
        assert!(
            e.passes(&st2) && e.passes(&hb2),
            "before any refusal: everything"
        );
        e.note(
            &"127.0.0.1:14550",
            &io::Error::from(io::ErrorKind::ConnectionRefused),
        );
        assert!(e.passes(&hb2) && e.passes(&hb1));
        assert!(!e.passes(&st2) && !e.passes(&st1) && !e.passes(&sys2));
        // Another error is not a refusal: it changes nothing.
        let mut other = SendErrors::default();
        other.note(&"x", &io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(other.passes(&st2));
        e.heard();
        assert!(e.passes(&st2), "heard: everything again");
    }

    #[test]
    fn a_refused_address_is_said_once_in_words_other_errors_at_powers_of_two() {
        let mut e = SendErrors::default();
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let to = "127.0.0.1:14550";
        let said: Vec<String> = (0..10).filter_map(|_| e.note(&to, &refused)).collect();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].starts_with("no ground station listens on 127.0.0.1:14550"),
            "{said:?}"
        );
        // Heard, then gone again: said again, once.
        e.heard();
        assert!(e.note(&to, &refused).is_some());
        assert!(e.note(&to, &refused).is_none());
        let other = io::Error::from(io::ErrorKind::PermissionDenied);
        let n = (0..10).filter(|_| e.note(&to, &other).is_some()).count();
        assert_eq!(n, 4, "the 1st, 2nd, 4th and 8th");
    }
}
