//! The SIYI UDP shell: one socket to the camera, optional traffic recording, and a small driver
//! loop for a [`SiyiLink`] (built on the shared [`driver::turn`]). It moves bytes and time; every
//! protocol decision is in the link.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use tokio::net::UdpSocket;

use crate::core::link::{LinkEvent, SiyiLink};
pub use crate::io::driver::clock_now;
use crate::io::driver::{self, Timed};
use crate::record::{Direction, RecordError, RecordWriter, TrafficLine};

/// The A8 mini's default address.
pub const DEFAULT_CAMERA_ADDR: &str = "192.168.144.25:37260";

/// Largest datagram read (bytes).
const RECV_BUFFER_LEN: usize = 65_536;

/// A UDP socket connected to the camera, optionally recording every datagram as JSONL.
#[derive(Debug)]
pub struct SiyiSocket {
    socket: UdpSocket,
    camera: SocketAddr,
    buf: Vec<u8>,
    recorder: Option<(RecordWriter, Instant)>,
    record_errors: u64,
}

impl SiyiSocket {
    /// Binds `local` (default `0.0.0.0:0`, an ephemeral port, as every SIYI client does) and
    /// connects to `camera`, so only the camera's datagrams are received.
    pub async fn connect(camera: SocketAddr, local: Option<SocketAddr>) -> io::Result<Self> {
        let local = local.unwrap_or_else(|| {
            if camera.is_ipv6() {
                SocketAddr::from(([0u16; 8], 0))
            } else {
                SocketAddr::from(([0, 0, 0, 0], 0))
            }
        });
        let socket = UdpSocket::bind(local).await?;
        socket.connect(camera).await?;
        Ok(Self {
            socket,
            camera,
            buf: vec![0u8; RECV_BUFFER_LEN],
            recorder: None,
            record_errors: 0,
        })
    }

    /// Records every datagram from now on to `path` (appended, flushed per line); `t_ms` counts
    /// from this call.
    pub fn record_to(&mut self, path: &Path) -> Result<(), RecordError> {
        self.recorder = Some((RecordWriter::append(path)?, clock_now()));
        Ok(())
    }

    /// The camera's address.
    pub fn camera_addr(&self) -> SocketAddr {
        self.camera
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Sends one datagram to the camera.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.record(Direction::ToCamera, bytes);
        self.socket.send(bytes).await.map(|_| ())
    }

    /// Receives one datagram from the camera. Cancel-safe (nothing is recorded unless a datagram
    /// was received).
    pub async fn recv(&mut self) -> io::Result<Vec<u8>> {
        let n = self.socket.recv(&mut self.buf).await?;
        let bytes = self.buf.get(..n).unwrap_or_default().to_vec();
        self.record(Direction::FromCamera, &bytes);
        Ok(bytes)
    }

    fn record(&mut self, dir: Direction, bytes: &[u8]) {
        if let Some((writer, start)) = &mut self.recorder {
            let t_ms = u64::try_from(clock_now().saturating_duration_since(*start).as_millis())
                .unwrap_or(u64::MAX);
            if let Err(err) = writer.write(&TrafficLine::new(t_ms, dir, bytes)) {
                self.record_errors += 1;
                if self.record_errors == 1 {
                    tracing::warn!(%err, "cannot write the SIYI recording (further errors not logged)");
                }
            }
        }
    }
}

/// Socket errors seen by [`drive_until`], logged once each kind.
#[derive(Debug, Default, Clone, Copy)]
pub struct DriveStats {
    /// Send errors (e.g. "connection refused" after an ICMP port unreachable).
    pub send_errors: u64,
    /// Receive errors.
    pub recv_errors: u64,
}

/// Drives `link` over `socket` until `on_event` returns `Some` (returned) or `deadline` passes
/// (`None`). `on_event` may start operations on the link.
pub async fn drive_until<T>(
    link: &mut SiyiLink,
    socket: &mut SiyiSocket,
    deadline: Instant,
    stats: &mut DriveStats,
    mut on_event: impl FnMut(&mut SiyiLink, Instant, LinkEvent) -> Option<T>,
) -> Option<T> {
    loop {
        while let Some(datagram) = link.poll_transmit() {
            if let Err(err) = socket.send(&datagram).await {
                stats.send_errors += 1;
                if stats.send_errors == 1 {
                    tracing::warn!(%err, camera = %socket.camera_addr(), "SIYI send failed (further errors counted)");
                }
            }
        }
        let mut had_event = false;
        while let Some(event) = link.poll_event() {
            had_event = true;
            if let Some(done) = on_event(link, clock_now(), event) {
                return Some(done);
            }
        }
        if had_event {
            continue; // an event handler may have queued frames
        }
        if clock_now() >= deadline {
            return None;
        }
        let camera = socket.camera_addr();
        let _: ControlFlow<Infallible> =
            driver::turn(link, Some(deadline), socket.recv(), |link, now, received| {
                match received {
                    Ok(bytes) => link.handle_datagram(now, &bytes),
                    Err(err) => {
                        stats.recv_errors += 1;
                        if stats.recv_errors == 1 {
                            tracing::warn!(%err, %camera, "SIYI receive failed (further errors counted)");
                        }
                    }
                }
                ControlFlow::Continue(())
            })
            .await;
    }
}

impl Timed for SiyiLink {
    fn poll_timeout(&self) -> Option<Instant> {
        Self::poll_timeout(self)
    }

    fn handle_timeout(&mut self, now: Instant) {
        Self::handle_timeout(self, now)
    }
}
