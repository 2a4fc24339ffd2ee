//! The one test ground station of the end-to-end tests: a MAVLink peer on its own loopback UDP
//! port (optionally signing, with the mavlink crate's signer). Every wait is bounded by the
//! station's `wait` and waits on a condition (a datagram), never on a sleep.
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

pub mod frames;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mavlink::dialects::common::{MavCmd, MavMessage, MavResult};
use mavlink::{MavHeader, MavlinkReader, SigningConfig, SigningData};
use siyi_bridge::core::mavlink::wire::RawFrame;
use tokio::net::UdpSocket;

pub use frames::{command_long, heartbeat, is_camera_heartbeat, p};

/// A MAVLink ground station on its own loopback port.
pub struct Gcs {
    /// Its socket (tests send raw bytes from it or read its address).
    pub sock: UdpSocket,
    /// Where it sends.
    pub to: SocketAddr,
    /// The signer, when it signs (then every datagram received must carry our signature).
    pub signing: Option<SigningData>,
    /// System id the camera uses (learned from its heartbeat; 0 until then).
    pub cam_sys: u8,
    /// How long any one wait may take.
    pub wait: Duration,
    seq: u8,
}

impl Gcs {
    /// One photo (IMAGE_START_CAPTURE, count 1): asserts the final ACK is ACCEPTED and returns
    /// the CAMERA_IMAGE_CAPTURED that follows.
    pub async fn photo(&mut self) -> mavlink::dialects::common::CAMERA_IMAGE_CAPTURED_DATA {
        let r = self
            .command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]))
            .await;
        assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
        self.expect_msg(|m| match m {
            MavMessage::CAMERA_IMAGE_CAPTURED(x) => Some(x.clone()),
            _ => None,
        })
        .await
    }

    /// An unsigned station sending to `to`; every wait is bounded by `wait`.
    pub async fn new(to: SocketAddr, wait: Duration) -> Self {
        Self::signed(to, wait, None).await
    }

    /// A station signing with `key` (link id 3) when given.
    pub async fn signed(to: SocketAddr, wait: Duration, key: Option<[u8; 32]>) -> Self {
        Self {
            sock: UdpSocket::bind("127.0.0.1:0").await.expect("bind"),
            to,
            signing: key.map(|k| SigningData::from_config(SigningConfig::new(k, 3, true, false))),
            cam_sys: 0,
            wait,
            seq: 0,
        }
    }

    /// Sends one message as system 255, component 190 (signed when signing).
    pub async fn send(&mut self, msg: &MavMessage) {
        let header = MavHeader {
            system_id: u32::from(frames::GCS_SYSTEM),
            component_id: frames::GCS_COMPONENT,
            sequence: self.seq,
        };
        self.seq = self.seq.wrapping_add(1);
        let mut buf = Vec::new();
        mavlink::write_v2_msg_signed(&mut buf, header, msg, self.signing.as_ref()).expect("encode");
        self.send_raw(&buf).await;
    }

    /// Sends bytes as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.sock.send_to(bytes, self.to).await.expect("send");
    }

    /// Sends COMMAND_LONG `command` to the camera and waits for its final COMMAND_ACK (not
    /// IN_PROGRESS); panics when none comes within `wait`.
    pub async fn command(&mut self, command: MavCmd, p: [f32; 7]) -> MavResult {
        self.send(&command_long(command, p, self.cam_sys)).await;
        self.wait_msg(|m| match m {
            MavMessage::COMMAND_ACK(a)
                if a.command == command && a.result != MavResult::MAV_RESULT_IN_PROGRESS =>
            {
                Some(a.result)
            }
            _ => None,
        })
        .await
        .unwrap_or_else(|| panic!("no COMMAND_ACK for {command:?} within {:?}", self.wait))
    }

    /// Frames of the next datagram (checked against our key when signing), or None at
    /// `deadline`. A heartbeat teaches the camera's system id.
    pub async fn recv(&mut self, deadline: Instant) -> Option<Vec<(RawFrame, Option<MavMessage>)>> {
        let mut buf = vec![0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        let (n, _) = tokio::time::timeout(left, self.sock.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        let bytes = &buf[..n];
        if let Some(sd) = &self.signing {
            MavlinkReader::new(bytes)
                .read_any_raw_message_signed::<MavMessage>(Some(sd))
                .expect("the bridge signs everything with the shared key");
        }
        let out = frames::frames(bytes);
        for (f, m) in &out {
            if let Some(MavMessage::HEARTBEAT(_)) = m {
                self.cam_sys = f.header.system_id as u8;
            }
        }
        Some(out)
    }

    /// Waits for a frame matching `f` (other traffic is skipped); None when `wait` runs out.
    pub async fn wait_frame<T>(
        &mut self,
        mut f: impl FnMut(&RawFrame, Option<&MavMessage>) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + self.wait;
        while let Some(frames) = self.recv(deadline).await {
            for (frame, m) in &frames {
                if let Some(t) = f(frame, m.as_ref()) {
                    return Some(t);
                }
            }
        }
        None
    }

    /// Waits for a `common` message matching `f`; None when `wait` runs out.
    pub async fn wait_msg<T>(&mut self, mut f: impl FnMut(&MavMessage) -> Option<T>) -> Option<T> {
        self.wait_frame(|_, m| m.and_then(&mut f)).await
    }

    /// Like [`Gcs::wait_msg`], panicking when `wait` runs out.
    pub async fn expect_msg<T>(&mut self, f: impl FnMut(&MavMessage) -> Option<T>) -> T {
        self.wait_msg(f).await.expect("timed out waiting")
    }

    /// Counts `n` camera heartbeats (proof that time passed and the bridge kept working).
    pub async fn heartbeats(&mut self, n: usize) {
        let mut seen = 0;
        self.wait_msg(|m| {
            if is_camera_heartbeat(m) {
                seen += 1;
            }
            (seen >= n).then_some(())
        })
        .await
        .expect("camera heartbeats");
    }

    /// Nothing at all arrived on this socket.
    pub fn got_nothing(&self) -> bool {
        let mut buf = [0u8; 64];
        matches!(self.sock.try_recv_from(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }
}

/// Starts the bridge of `config` in-process (`app::spawn`), connects a station to its first
/// MAVLink endpoint (a `udpin`), announces it, and waits until the (simulated) camera is
/// identified: CAMERA_INFORMATION is asked until it is ACCEPTED, paced by the bridge's own
/// traffic, for at most `wait`.
pub async fn start_bridge(
    config: siyi_bridge::config::Config,
    wait: Duration,
) -> (siyi_bridge::app::Running, Gcs) {
    let running = siyi_bridge::app::spawn(config)
        .await
        .expect("bridge starts");
    let addr = running.mavlink_local[0].expect("udp socket");
    let mut c = Gcs::new(addr, wait).await;
    // Announce ourselves as a GCS (udpin answers peers that have sent to it).
    c.send(&heartbeat()).await;
    c.expect_msg(|m| is_camera_heartbeat(m).then_some(())).await;
    let deadline = Instant::now() + wait;
    loop {
        let r = c
            .command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]))
            .await;
        if r == MavResult::MAV_RESULT_ACCEPTED {
            break;
        }
        assert_eq!(r, MavResult::MAV_RESULT_TEMPORARILY_REJECTED);
        assert!(Instant::now() < deadline, "camera never identified");
        c.expect_msg(|m| {
            matches!(m, MavMessage::HEARTBEAT(_) | MavMessage::STATUSTEXT(_)).then_some(())
        })
        .await;
    }
    (running, c)
}
