//! One RTSP client connection of the video server: its requests ([`super::rtsp`]) and, once it
//! plays, its pictures as RTP ([`super::rtp`]) interleaved on the connection or over UDP.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtsp_types::{Message, ParseError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

use super::hub::{mix, Hub, Picture};
use super::rtp::{self, Packetizer};
use super::rtsp::{Action, RtpTarget, RtspSession, StreamInfo};

/// How long a write to a client may take before it is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest RTSP request (headers + body) buffered, bytes.
const MAX_REQUEST: usize = 64 * 1024;

/// One client connection.
pub(super) struct Connection {
    id: u64,
    hub: Arc<Hub>,
    session: RtspSession,
    rtp: Packetizer,
    queue_len: usize,
    started: bool,
    last_report: Option<Instant>,
    udp: Option<(UdpSocket, UdpSocket)>,
}

impl Connection {
    pub(super) fn new(id: u64, seed: u64, fps: u32, hub: Arc<Hub>) -> Self {
        let h = mix(seed ^ id.wrapping_mul(0x1000_0001));
        let ssrc = (h >> 32) as u32;
        Self {
            id,
            hub,
            session: RtspSession::new(format!("{:016X}", mix(h)), ssrc),
            rtp: Packetizer::new(ssrc, h as u16, rtp::MAX_PAYLOAD),
            queue_len: fps.max(1) as usize,
            started: false,
            last_report: None,
            udp: None,
        }
    }

    /// Serves the connection until the client leaves; returns why it ended.
    pub(super) async fn run(
        mut self,
        stream: TcpStream,
        peer: SocketAddr,
        info: &StreamInfo,
    ) -> String {
        let base = match stream.local_addr() {
            Ok(a) => format!("rtsp://{a}"),
            Err(_) => "rtsp://127.0.0.1".into(),
        };
        let (mut rd, mut wr) = stream.into_split();
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut frames: Option<mpsc::Receiver<Arc<Picture>>> = None;
        let mut chunk = vec![0u8; 8192];
        loop {
            tokio::select! {
                read = rd.read(&mut chunk) => {
                    let n = match read {
                        Ok(0) => return "closed".into(),
                        Ok(n) => n,
                        Err(e) => return format!("read error: {e}"),
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    loop {
                        let (msg, used) = match Message::<Vec<u8>>::parse(&buf) {
                            Ok(m) => m,
                            Err(ParseError::Incomplete(_)) if buf.len() <= MAX_REQUEST => break,
                            Err(_) => {
                                let _ = write_timed(&mut wr, b"RTSP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
                                return "unparsable request".into();
                            }
                        };
                        buf.drain(..used);
                        let Message::Request(req) = msg else { continue };
                        let (mut resp, action) = self.session.handle(&req, info, &base);
                        if action == Action::BindUdp {
                            let ports = self.bind_udp(peer.ip()).await;
                            resp = self.session.udp_ready(&req, ports);
                        }
                        let mut out = Vec::new();
                        if resp.write(&mut out).is_err() {
                            return "cannot write a response".into();
                        }
                        if let Err(e) = write_timed(&mut wr, &out).await {
                            return e;
                        }
                        match action {
                            Action::Play => {
                                let (tx, rx) = mpsc::channel(self.queue_len);
                                self.hub.add_player(self.id, tx);
                                frames = Some(rx);
                                self.started = false;
                                tracing::info!(%peer, target = ?self.session.target(), "simulated video: playing");
                            }
                            Action::Pause => {
                                self.hub.remove_player(self.id);
                                frames = None;
                            }
                            Action::Teardown => return "TEARDOWN".into(),
                            Action::Reply | Action::BindUdp => {}
                        }
                    }
                }
                picture = recv_opt(&mut frames) => {
                    let Some(p) = picture else {
                        return "dropped: it stopped reading".into();
                    };
                    if let Err(e) = self.send(&mut wr, &p).await {
                        if e.starts_with("dropped") {
                            self.hub.stats.dropped_clients.fetch_add(1, Ordering::Relaxed);
                        }
                        return e;
                    }
                }
            }
        }
    }

    /// Binds the two UDP ports of a SETUP over UDP, sending to `client` (loopback only).
    async fn bind_udp(&mut self, client: IpAddr) -> Option<(u16, u16)> {
        if !client.is_loopback() {
            return None;
        }
        let a = UdpSocket::bind(SocketAddr::new(client, 0)).await.ok()?;
        let b = UdpSocket::bind(SocketAddr::new(client, 0)).await.ok()?;
        let ports = (a.local_addr().ok()?.port(), b.local_addr().ok()?.port());
        self.udp = Some((a, b));
        Some(ports)
    }

    /// Sends one picture (and a sender report first when one is due).
    async fn send(
        &mut self,
        wr: &mut tokio::net::tcp::OwnedWriteHalf,
        p: &Picture,
    ) -> Result<(), String> {
        if !self.started && !p.idr {
            return Ok(());
        }
        self.started = true;
        let mut packets = Vec::new();
        let report_due = self
            .last_report
            .is_none_or(|t| p.capture.saturating_duration_since(t) >= Duration::from_secs(1));
        let report = report_due.then(|| self.rtp.sender_report(p.ntp, p.rtp_ts));
        if report.is_some() {
            self.last_report = Some(p.capture);
        }
        self.rtp.packetize(p.rtp_ts, &p.nals, &mut packets);
        match self.session.target() {
            Some(RtpTarget::Interleaved { rtp: ch, rtcp }) => {
                let mut out = Vec::with_capacity(packets.iter().map(|k| k.len() + 4).sum());
                if let Some(sr) = &report {
                    rtp::interleave(rtcp, sr, &mut out);
                }
                for k in &packets {
                    rtp::interleave(ch, k, &mut out);
                }
                write_timed(wr, &out).await
            }
            Some(RtpTarget::Udp { rtp: port, rtcp }) => {
                let Some((rtp_sock, rtcp_sock)) = &self.udp else {
                    return Err("UDP not bound".into());
                };
                let ip = wr.peer_addr().map_err(|e| e.to_string())?.ip();
                if let Some(sr) = &report {
                    let _ = rtcp_sock.send_to(sr, SocketAddr::new(ip, rtcp)).await;
                }
                for k in &packets {
                    // A lost datagram is the client's problem (UDP); only our socket failing ends it.
                    if let Err(e) = rtp_sock.send_to(k, SocketAddr::new(ip, port)).await {
                        if e.kind() != io::ErrorKind::ConnectionRefused {
                            return Err(format!("UDP send: {e}"));
                        }
                    }
                }
                Ok(())
            }
            None => Ok(()),
        }
    }
}

async fn recv_opt(rx: &mut Option<mpsc::Receiver<Arc<Picture>>>) -> Option<Arc<Picture>> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

pub(super) async fn write_timed(
    wr: &mut tokio::net::tcp::OwnedWriteHalf,
    bytes: &[u8],
) -> Result<(), String> {
    match tokio::time::timeout(WRITE_TIMEOUT, wr.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write error: {e}")),
        Err(_) => Err(format!(
            "dropped: a write did not complete in {} s",
            WRITE_TIMEOUT.as_secs()
        )),
    }
}
