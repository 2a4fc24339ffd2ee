//! The probe's side of the wire: the socket, every datagram both ways (kept for the JSONL
//! fixture), the sequence number, and whether the gimbal was left turning.
//!
//! Owns: the socket and the traffic. Never judges what it hears (the core does).

use std::time::{Duration, Instant};

use siyi_protocol::{CmdId, Reply, Request};

use crate::core::probe::{self, Heard};
use crate::io::siyi::{clock_now, SiyiSocket};
use crate::record::{to_hex, Direction, TrafficLine};

/// The socket towards the camera and everything sent and heard on it.
pub(super) struct Wire {
    socket: SiyiSocket,
    start: Instant,
    seq: u16,
    /// Every datagram both ways, for the JSONL fixture.
    pub(super) traffic: Vec<TrafficLine>,
    /// A 0x07 speed was sent and no stop since.
    pub(super) moving: bool,
}

impl Wire {
    pub(super) fn new(socket: SiyiSocket, start: Instant) -> Self {
        Self {
            socket,
            start,
            seq: 0,
            traffic: Vec::new(),
            moving: false,
        }
    }

    pub(super) fn elapsed_ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
    }

    /// Sends one request; returns its hex and when it went out.
    pub(super) async fn send(&mut self, request: &Request) -> (String, Instant) {
        let bytes = request.to_frame(self.seq).to_bytes();
        self.seq = self.seq.wrapping_add(1);
        let at = clock_now();
        self.traffic.push(TrafficLine::new(
            self.elapsed_ms(at),
            Direction::ToCamera,
            &bytes,
        ));
        if let Err(err) = self.socket.send(&bytes).await {
            tracing::warn!(%err, "cannot send to the camera");
        }
        (to_hex(&bytes), at)
    }

    /// Collects datagrams until `until`, or until `done` says the wait is over.
    pub(super) async fn listen(
        &mut self,
        since: Instant,
        until: Instant,
        done: impl Fn(&[Heard]) -> bool,
    ) -> Vec<Heard> {
        let mut heard = Vec::new();
        loop {
            let got = tokio::time::timeout_at(until.into(), self.socket.recv()).await;
            match got {
                Err(_) => break,
                Ok(Err(err)) => {
                    // ICMP "port unreachable" and the like: the camera is not there (yet).
                    tracing::debug!(%err, "receive error");
                    if clock_now() >= until {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok(Ok(bytes)) => {
                    let now = clock_now();
                    self.traffic.push(TrafficLine::new(
                        self.elapsed_ms(now),
                        Direction::FromCamera,
                        &bytes,
                    ));
                    let after_ms = u64::try_from(now.saturating_duration_since(since).as_millis())
                        .unwrap_or(u64::MAX);
                    heard.push(Heard { after_ms, bytes });
                    if done(&heard) {
                        break;
                    }
                }
            }
        }
        heard
    }

    /// Sends `request` and listens for `window` or until `cmd` answers.
    pub(super) async fn exchange(
        &mut self,
        request: &Request,
        cmd: Option<CmdId>,
        window: Duration,
    ) -> (String, Vec<Heard>) {
        let (hex, at) = self.send(request).await;
        let heard = self
            .listen(at, at + window, |h| {
                cmd.is_some_and(|c| probe::answered(c, h))
            })
            .await;
        (hex, heard)
    }

    /// The liveness question: does the camera answer 0x01 now?
    pub(super) async fn alive(&mut self, window: Duration, sent: &mut Vec<String>) -> bool {
        let (hex, heard) = self
            .exchange(
                &probe::liveness_request(),
                Some(CmdId::FIRMWARE_VERSION),
                window,
            )
            .await;
        sent.push(hex);
        probe::answered(CmdId::FIRMWARE_VERSION, &heard)
    }

    /// Sends `request` and returns the first reply of `cmd` within `window` (`None`: none came).
    pub(super) async fn read(
        &mut self,
        request: &Request,
        cmd: CmdId,
        window: Duration,
        sent: &mut Vec<String>,
    ) -> Option<Reply> {
        let (hex, heard) = self.exchange(request, Some(cmd), window).await;
        sent.push(hex);
        probe::first_reply(cmd, &heard)
    }

    /// One 0x0D reading (`None` when it does not come within `window`).
    pub(super) async fn attitude(
        &mut self,
        window: Duration,
        sent: &mut Vec<String>,
    ) -> Option<siyi_protocol::Attitude> {
        match self
            .read(&Request::Attitude, CmdId::ATTITUDE, window, sent)
            .await
        {
            Some(Reply::Attitude(a)) => Some(a),
            _ => None,
        }
    }

    /// Sends the 0x07 stop (twice: UDP may lose one).
    pub(super) async fn stop_motion(&mut self, sent: &mut Vec<String>) {
        let stop = Request::GimbalRotation {
            yaw_speed: 0,
            pitch_speed: 0,
        };
        for _ in 0..2 {
            let (hex, _) = self.send(&stop).await;
            sent.push(hex);
        }
        self.moving = false;
    }
}

/// A duration in whole milliseconds (saturating), as the report writes them.
pub(super) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
