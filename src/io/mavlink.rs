//! MAVLink sockets. We own the sockets and use the `mavlink` crate only as a codec: its own `udpin`
//! answers only the last sender and it drops commands whose number it does not know. Here every
//! `udpin` peer gets its own [`LinkId`] and all frames reach the core as raw payloads.
//!
//! Nothing here decides protocol meaning: frames are split and checked (CRC), handed to the core,
//! and the core's [`Transmit`]s are encoded and sent where their [`Target`] says.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[cfg(test)]
use mavlink::dialects::common::MavResult;
use mavlink::dialects::common::{MavCmd, MavMessage, COMMAND_ACK_DATA};
use mavlink::{MavHeader, MavlinkReader, MavlinkVersion, Message};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{broadcast, mpsc};

use crate::core::camera::{LinkId, Outgoing, Target, Transmit};

/// Longest MAVLink frame: v2 header 10 + payload 255 + CRC 2 + signature 13.
const MAX_FRAME: usize = 280;
/// Most `udpin` peers remembered (oldest forgotten first).
const MAX_PEERS: usize = 16;

/// Where to speak MAVLink.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Endpoint {
    /// Listen on a UDP address; answer every peer that sent to us.
    UdpIn(SocketAddr),
    /// Send to a UDP address (from an ephemeral port); answer on the same socket.
    UdpOut(SocketAddr),
    /// Connect to a TCP server.
    TcpOut(String),
    /// A serial device at a baud rate.
    Serial {
        /// Device path, e.g. `/dev/ttyAMA0`.
        device: String,
        /// Baud rate, e.g. 921600.
        baud: u32,
    },
}

/// A MAVLink address that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("bad MAVLink address {input:?}: {why} (expected udpin:HOST:PORT, udpout:HOST:PORT, tcpout:HOST:PORT or serial:DEVICE:BAUD)")]
pub struct EndpointError {
    /// What was given.
    pub input: String,
    /// What is wrong.
    pub why: String,
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    /// Parses `udpin:HOST:PORT`, `udpout:…`, `tcpout:…`, `serial:DEVICE:BAUD`; the MAVSDK
    /// spellings `udpin://HOST:PORT`, `udp://…` (= udpin), `tcp://…` (= tcpout) and
    /// `serial:///dev/x:BAUD` are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why: &str| EndpointError {
            input: s.to_owned(),
            why: why.to_owned(),
        };
        let (scheme, rest) = s.split_once(':').ok_or_else(|| err("no scheme"))?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let sock = |rest: &str| -> Result<SocketAddr, EndpointError> {
            let rest = if rest.starts_with(':') {
                format!("0.0.0.0{rest}")
            } else {
                rest.to_owned()
            };
            rest.parse::<SocketAddr>()
                .map_err(|e| err(&format!("{rest:?} is not IP:PORT ({e})")))
        };
        match scheme {
            "udpin" | "udp" => Ok(Self::UdpIn(sock(rest)?)),
            "udpout" => Ok(Self::UdpOut(sock(rest)?)),
            "tcpout" | "tcp" => {
                let (host, port) = rest.rsplit_once(':').ok_or_else(|| err("no port"))?;
                port.parse::<u16>().map_err(|_| err("bad port"))?;
                if host.is_empty() {
                    return Err(err("no host"));
                }
                Ok(Self::TcpOut(rest.to_owned()))
            }
            "serial" => {
                let (device, baud) = rest.rsplit_once(':').ok_or_else(|| err("no baud rate"))?;
                let baud = baud
                    .parse::<u32>()
                    .map_err(|_| err("baud rate is not a number"))?;
                if device.is_empty() {
                    return Err(err("no device"));
                }
                Ok(Self::Serial {
                    device: device.to_owned(),
                    baud,
                })
            }
            other => Err(err(&format!("unknown scheme {other:?}"))),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UdpIn(a) => write!(f, "udpin:{a}"),
            Self::UdpOut(a) => write!(f, "udpout:{a}"),
            Self::TcpOut(a) => write!(f, "tcpout:{a}"),
            Self::Serial { device, baud } => write!(f, "serial:{device}:{baud}"),
        }
    }
}

/// One checked MAVLink frame, not yet interpreted.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RawFrame {
    /// Header (sender ids, sequence).
    pub header: MavHeader,
    /// MAVLink 1 or 2.
    pub version: MavlinkVersion,
    /// Message id.
    pub msg_id: u32,
    /// Payload bytes as on the wire (MAVLink 2: trailing zeros trimmed).
    pub payload: Vec<u8>,
}

/// Splits a byte stream (or a datagram) into CRC-checked frames; resynchronises on garbage.
#[derive(Default, Debug)]
pub struct FrameSplitter {
    buf: Vec<u8>,
    /// Bytes skipped while looking for a frame start or after a bad frame.
    pub skipped: u64,
}

impl FrameSplitter {
    /// Adds bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Drops a partial frame (end of a datagram: frames never span datagrams).
    pub fn clear(&mut self) {
        self.skipped += self.buf.len() as u64;
        self.buf.clear();
    }

    /// The next complete frame, if any.
    pub fn next_frame(&mut self) -> Option<RawFrame> {
        loop {
            let start = self.buf.iter().position(|b| *b == 0xFD || *b == 0xFE);
            let Some(start) = start else {
                self.skipped += self.buf.len() as u64;
                self.buf.clear();
                return None;
            };
            if start > 0 {
                self.skipped += start as u64;
                self.buf.drain(..start);
            }
            let total = match self.buf.as_slice() {
                [0xFD, len, incompat, ..] => {
                    12 + usize::from(*len) + if incompat & 1 != 0 { 13 } else { 0 }
                }
                [0xFE, len, ..] => 8 + usize::from(*len),
                _ => return None, // need more bytes
            };
            if self.buf.len() < total {
                return None;
            }
            let frame = self.buf.get(..total).unwrap_or_default();
            let parsed = MavlinkReader::new(frame).read_any_raw_message::<MavMessage>();
            match parsed {
                Ok(raw) => {
                    let out = RawFrame {
                        header: MavHeader {
                            system_id: raw.system_id(),
                            component_id: raw.component_id(),
                            sequence: raw.sequence(),
                        },
                        version: raw.version(),
                        msg_id: raw.message_id(),
                        payload: raw.payload().to_vec(),
                    };
                    self.buf.drain(..total);
                    return Some(out);
                }
                Err(_) => {
                    // Bad CRC, unknown message id or not a frame: skip this start byte.
                    self.skipped += 1;
                    self.buf.drain(..1);
                    if self.buf.len() > 64 * 1024 {
                        self.clear();
                    }
                }
            }
        }
    }
}

/// Encodes one [`Transmit`] as a MAVLink 2 frame.
pub fn encode(t: &Transmit, sequence: u8) -> Vec<u8> {
    let header = MavHeader {
        system_id: u32::from(t.system_id),
        component_id: t.component_id,
        sequence,
    };
    let mut out = Vec::with_capacity(MAX_FRAME);
    match &t.message {
        Outgoing::Message(m) => {
            // Writing into a Vec cannot fail.
            let _ = mavlink::write_v2_msg(&mut out, header, m);
        }
        Outgoing::UnknownCommandAck {
            command,
            result,
            target_system,
            target_component,
        } => {
            // Serialise a COMMAND_ACK with a placeholder command, then put the real number in.
            let ack = MavMessage::COMMAND_ACK(COMMAND_ACK_DATA {
                command: MavCmd::MAV_CMD_NAV_WAYPOINT,
                result: *result,
                progress: 0,
                result_param2: 0,
                target_system: *target_system,
                target_component: *target_component,
            });
            let mut payload = [0u8; 255];
            let n = ack.ser(MavlinkVersion::V2, &mut payload);
            payload[..2].copy_from_slice(&command.to_le_bytes());
            let mut len = n.max(3);
            while len > 1 && payload[len - 1] == 0 {
                len -= 1;
            }
            let msg_id = ack.message_id();
            let mut frame = vec![
                0xFD,
                len as u8,
                0,
                0,
                sequence,
                t.system_id,
                t.component_id,
                msg_id as u8,
                (msg_id >> 8) as u8,
                (msg_id >> 16) as u8,
            ];
            frame.extend_from_slice(&payload[..len]);
            let crc = mavlink::calculate_crc(
                frame.get(1..).unwrap_or_default(),
                MavMessage::extra_crc(msg_id),
            );
            frame.extend_from_slice(&crc.to_le_bytes());
            out = frame;
        }
    }
    out
}

/// A frame from a peer.
#[derive(Debug)]
pub struct Incoming {
    /// Which peer.
    pub link: LinkId,
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
pub struct LinkIds(Arc<AtomicU32>);

impl LinkIds {
    fn next(&self) -> LinkId {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

/// An opened endpoint.
#[derive(Debug)]
pub struct Opened {
    /// The task moving its bytes.
    pub task: tokio::task::JoinHandle<()>,
    /// The local address (sockets only).
    pub local: Option<SocketAddr>,
}

/// Opens `endpoint` and runs it until the channels close: frames go to `incoming`, and every
/// [`OutFrame`] from `outgoing` addressed to one of its peers (or to all) is sent. Returns once
/// the socket is set up (errors name the address); the I/O runs in a spawned task.
pub async fn open(
    endpoint: &Endpoint,
    ids: LinkIds,
    incoming: mpsc::Sender<Incoming>,
    outgoing: broadcast::Receiver<OutFrame>,
) -> io::Result<Opened> {
    match endpoint {
        Endpoint::UdpIn(addr) => {
            let sock = UdpSocket::bind(addr).await?;
            tracing::info!(target: "mavlink", "listening for MAVLink on udp {}", sock.local_addr()?);
            let local = sock.local_addr().ok();
            Ok(Opened {
                task: tokio::spawn(run_udp(sock, None, ids, incoming, outgoing)),
                local,
            })
        }
        Endpoint::UdpOut(addr) => {
            let bind: SocketAddr = if addr.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let sock = UdpSocket::bind(bind).await?;
            tracing::info!(target: "mavlink", "sending MAVLink to udp {addr} from {}", sock.local_addr()?);
            let local = sock.local_addr().ok();
            Ok(Opened {
                task: tokio::spawn(run_udp(sock, Some(*addr), ids, incoming, outgoing)),
                local,
            })
        }
        Endpoint::TcpOut(addr) => {
            let stream = TcpStream::connect(addr).await?;
            let _ = stream.set_nodelay(true);
            tracing::info!(target: "mavlink", "connected to MAVLink tcp {addr}");
            let local = stream.local_addr().ok();
            let (r, w) = stream.into_split();
            Ok(Opened {
                task: tokio::spawn(run_stream(r, w, ids.next(), incoming, outgoing)),
                local,
            })
        }
        Endpoint::Serial { device, baud } => {
            use tokio_serial::SerialPortBuilderExt;
            let port = tokio_serial::new(device.as_str(), *baud)
                .open_native_async()
                .map_err(io::Error::other)?;
            tracing::info!(target: "mavlink", "opened MAVLink serial {device} at {baud} baud");
            let (r, w) = tokio::io::split(port);
            Ok(Opened {
                task: tokio::spawn(run_stream(r, w, ids.next(), incoming, outgoing)),
                local: None,
            })
        }
    }
}

async fn run_udp(
    sock: UdpSocket,
    fixed_peer: Option<SocketAddr>,
    ids: LinkIds,
    incoming: mpsc::Sender<Incoming>,
    mut outgoing: broadcast::Receiver<OutFrame>,
) {
    // Peer address → link id; insertion order for forgetting the oldest.
    let mut peers: Vec<(SocketAddr, LinkId)> = Vec::new();
    if let Some(p) = fixed_peer {
        peers.push((p, ids.next()));
    }
    let mut by_id: HashMap<LinkId, SocketAddr> = peers.iter().map(|(a, i)| (*i, *a)).collect();
    let mut buf = vec![0u8; 65_536];
    let mut splitter = FrameSplitter::default();
    let mut send_errors = 0u64;
    loop {
        tokio::select! {
            r = sock.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { continue };
                let link = match peers.iter().find(|(a, _)| *a == from) {
                    Some((_, id)) => *id,
                    None if fixed_peer.is_some() => match peers.first() { Some((_, id)) => *id, None => continue },
                    None => {
                        let id = ids.next();
                        tracing::info!(target: "mavlink", "new MAVLink peer {from}");
                        if peers.len() >= MAX_PEERS {
                            let (a, old) = peers.remove(0);
                            by_id.remove(&old);
                            tracing::info!(target: "mavlink", "forgetting MAVLink peer {a}");
                        }
                        peers.push((from, id));
                        by_id.insert(id, from);
                        id
                    }
                };
                splitter.push(buf.get(..n).unwrap_or_default());
                while let Some(frame) = splitter.next_frame() {
                    if incoming.send(Incoming { link, frame }).await.is_err() {
                        return;
                    }
                }
                splitter.clear();
            }
            o = outgoing.recv() => {
                let out = match o {
                    Ok(o) => o,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(target: "mavlink", "MAVLink output lagging: {n} frames dropped");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let dests: Vec<SocketAddr> = match out.target {
                    Target::All => peers.iter().map(|(a, _)| *a).collect(),
                    Target::Link(id) => by_id.get(&id).copied().into_iter().collect(),
                };
                for d in dests {
                    if let Err(e) = sock.send_to(&out.bytes, d).await {
                        send_errors += 1;
                        if send_errors == 1 || send_errors.is_power_of_two() {
                            tracing::warn!(target: "mavlink", "sending to {d} failed ({send_errors} times): {e}");
                        }
                    }
                }
            }
        }
    }
}

async fn run_stream<R, W>(
    mut r: R,
    mut w: W,
    link: LinkId,
    incoming: mpsc::Sender<Incoming>,
    mut outgoing: broadcast::Receiver<OutFrame>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 4096];
    let mut splitter = FrameSplitter::default();
    loop {
        tokio::select! {
            n = r.read(&mut buf) => {
                match n {
                    Ok(0) | Err(_) => {
                        tracing::warn!(target: "mavlink", "MAVLink stream closed");
                        return;
                    }
                    Ok(n) => {
                        splitter.push(buf.get(..n).unwrap_or_default());
                        while let Some(frame) = splitter.next_frame() {
                            if incoming.send(Incoming { link, frame }).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }
            o = outgoing.recv() => {
                let out = match o {
                    Ok(o) => o,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if matches!(out.target, Target::Link(id) if id != link) {
                    continue;
                }
                if w.write_all(&out.bytes).await.is_err() {
                    tracing::warn!(target: "mavlink", "MAVLink stream write failed");
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::camera::Inbound;

    #[test]
    fn endpoints_parse() {
        let ok = [
            (
                "udpin:0.0.0.0:14550",
                Endpoint::UdpIn("0.0.0.0:14550".parse().unwrap()),
            ),
            (
                "udpin://127.0.0.1:14540",
                Endpoint::UdpIn("127.0.0.1:14540".parse().unwrap()),
            ),
            (
                "udp://:14540",
                Endpoint::UdpIn("0.0.0.0:14540".parse().unwrap()),
            ),
            (
                "udpout:127.0.0.1:14550",
                Endpoint::UdpOut("127.0.0.1:14550".parse().unwrap()),
            ),
            (
                "tcpout:localhost:5760",
                Endpoint::TcpOut("localhost:5760".into()),
            ),
            (
                "serial:/dev/ttyAMA0:921600",
                Endpoint::Serial {
                    device: "/dev/ttyAMA0".into(),
                    baud: 921_600,
                },
            ),
        ];
        for (s, e) in ok {
            assert_eq!(s.parse::<Endpoint>().unwrap(), e, "{s}");
        }
        for bad in [
            "",
            "udpin",
            "udpin:1.2.3.4",
            "foo:1.2.3.4:5",
            "serial:/dev/x",
            "tcpout::5",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_command_ack_round_trips_as_a_valid_frame() {
        let t = Transmit {
            target: Target::All,
            system_id: 1,
            component_id: 100,
            message: Outgoing::UnknownCommandAck {
                command: 42001,
                result: MavResult::MAV_RESULT_UNSUPPORTED,
                target_system: 255,
                target_component: 190,
            },
        };
        let bytes = encode(&t, 9);
        let mut s = FrameSplitter::default();
        s.push(b"junk");
        s.push(&bytes);
        let f = s.next_frame().expect("frame");
        assert_eq!(f.msg_id, 77);
        assert_eq!(&f.payload[..3], &[0x11, 0xA4, 3]);
        // The crate cannot represent 42001 in MavCmd, so it does not parse: that's expected.
        assert!(matches!(
            Inbound::from_payload(f.version, f.msg_id, &f.payload),
            Inbound::Unparsed { .. }
        ));
    }

    #[test]
    fn split_stream_in_every_chunk_size() {
        let msg = crate::core::camera::messages::heartbeat(crate::core::link::LinkHealth::Up);
        let t = Transmit {
            target: Target::All,
            system_id: 1,
            component_id: 100,
            message: Outgoing::Message(msg),
        };
        let mut wire = encode(&t, 1);
        wire.extend(encode(&t, 2));
        for chunk in 1..wire.len() {
            let mut s = FrameSplitter::default();
            let mut got = 0;
            for c in wire.chunks(chunk) {
                s.push(c);
                while s.next_frame().is_some() {
                    got += 1;
                }
            }
            assert_eq!(got, 2, "chunk {chunk}");
        }
    }
}
