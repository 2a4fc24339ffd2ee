//! End to end over real loopback sockets: a MAVLink client (mavlink crate as codec) ↔ the bridge
//! (in-process, `app::spawn`) ↔ the simulator. Bounded timeouts, ephemeral ports, 127.0.0.1 only.
#![allow(clippy::disallowed_methods)] // real time: this is the end-to-end test

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    MavAutopilot, MavBool, MavCmd, MavMessage, MavModeFlag, MavResult, MavState, MavType,
    COMMAND_LONG_DATA, HEARTBEAT_DATA,
};
use mavlink::{MavHeader, MavlinkVersion};
use siyi_bridge::app;
use siyi_bridge::config::{CameraSource, Config};
use siyi_bridge::core::camera::Inbound;
use siyi_bridge::io::mavlink::{Endpoint, FrameSplitter, RawFrame};
use tokio::net::UdpSocket;

const WAIT: Duration = Duration::from_secs(10);

struct Client {
    sock: UdpSocket,
    bridge: SocketAddr,
    seq: u8,
    /// System id the camera uses (from its heartbeat).
    cam_sys: u8,
}

impl Client {
    async fn new(bridge: SocketAddr) -> Self {
        let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        Self {
            sock,
            bridge,
            seq: 0,
            cam_sys: 0,
        }
    }

    async fn send(&mut self, msg: &MavMessage) {
        let mut buf = Vec::new();
        let header = MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: self.seq,
        };
        self.seq = self.seq.wrapping_add(1);
        mavlink::write_v2_msg(&mut buf, header, msg).expect("encode");
        self.sock.send_to(&buf, self.bridge).await.expect("send");
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.sock.send_to(bytes, self.bridge).await.expect("send");
    }

    async fn recv(&mut self, deadline: Instant) -> Option<RawFrame> {
        let mut buf = vec![0u8; 2048];
        let left = deadline.saturating_duration_since(Instant::now());
        let (n, _) = tokio::time::timeout(left, self.sock.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        let mut s = FrameSplitter::default();
        s.push(&buf[..n]);
        s.next_frame()
    }

    /// Waits for a message matching `f` (other traffic is skipped).
    async fn wait_for<T>(&mut self, mut f: impl FnMut(&MavMessage) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        while let Some(frame) = self.recv(deadline).await {
            if let Inbound::Message(m) =
                Inbound::from_payload(frame.version, frame.msg_id, &frame.payload)
            {
                if let MavMessage::HEARTBEAT(_) = m {
                    self.cam_sys = frame.header.system_id as u8;
                }
                if let Some(t) = f(&m) {
                    return t;
                }
            }
        }
        panic!("timed out waiting");
    }

    async fn command(&mut self, command: MavCmd, p: [f32; 7]) -> MavResult {
        self.send(&MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            param1: p[0],
            param2: p[1],
            param3: p[2],
            param4: p[3],
            param5: p[4],
            param6: p[5],
            param7: p[6],
            command,
            target_system: self.cam_sys,
            target_component: 100,
            confirmation: 0,
        }))
        .await;
        self.wait_for(|m| match m {
            MavMessage::COMMAND_ACK(a)
                if a.command == command && a.result != MavResult::MAV_RESULT_IN_PROGRESS =>
            {
                Some(a.result)
            }
            _ => None,
        })
        .await
    }
}

fn p(v: &[f32]) -> [f32; 7] {
    let mut a = [0.0; 7];
    a[..v.len()].copy_from_slice(v);
    a
}

fn config(state_dir: PathBuf) -> Config {
    Config {
        camera: CameraSource::Simulate,
        mavlink: vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))],
        system_id: None,
        component_id: 100,
        state_dir: Some(state_dir),
        record_siyi: None,
        stream_uri: "rtsp://127.0.0.1:8554/main.264".into(),
        sim_boot_ms: 300,
        attitude_poll_ms: 100,
        allowed_systems: Vec::new(),
        signing_key: None,
    }
}

async fn start(dir: &std::path::Path) -> (app::Running, Client) {
    let running = app::spawn(config(dir.to_path_buf()))
        .await
        .expect("bridge starts");
    let addr = running.mavlink_local[0].expect("udp socket");
    let mut c = Client::new(addr).await;
    // Announce ourselves as a GCS (udpin answers peers that have sent to it).
    c.send(&MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    }))
    .await;
    c.wait_for(|m| {
        matches!(m, MavMessage::HEARTBEAT(h) if h.mavtype == MavType::MAV_TYPE_CAMERA).then_some(())
    })
    .await;
    // Discovery: retry CAMERA_INFORMATION until the simulated camera has booted.
    let deadline = Instant::now() + WAIT;
    loop {
        let r = c
            .command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]))
            .await;
        if r == MavResult::MAV_RESULT_ACCEPTED {
            break;
        }
        assert_eq!(r, MavResult::MAV_RESULT_TEMPORARILY_REJECTED);
        assert!(Instant::now() < deadline, "camera never identified");
        // Pace the retries by the bridge's own traffic (next heartbeat or status text).
        c.wait_for(|m| {
            matches!(m, MavMessage::HEARTBEAT(_) | MavMessage::STATUSTEXT(_)).then_some(())
        })
        .await;
    }
    (running, c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_photo_video_zoom_over_loopback() {
    let dir = std::env::temp_dir().join(format!("siyi-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (running, mut c) = start(&dir).await;

    let info = c
        .wait_for(|m| match m {
            MavMessage::CAMERA_INFORMATION(i) => Some(i.clone()),
            _ => None,
        })
        .await;
    assert_eq!(&info.model_name[..7], b"A8 mini");
    assert_eq!(info.firmware_version, 2 << 8 | 8 << 16, "0.2.8 packed");

    // Photo → CAMERA_IMAGE_CAPTURED with index 0.
    let r = c
        .command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    let cap = c
        .wait_for(|m| match m {
            MavMessage::CAMERA_IMAGE_CAPTURED(x) => Some(x.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        (cap.image_index, cap.capture_result),
        (0, MavBool::MAV_BOOL_TRUE)
    );

    // Video start/stop with the state from the camera.
    let r = c.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, p(&[])).await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    c.wait_for(|m| {
        matches!(m, MavMessage::CAMERA_CAPTURE_STATUS(s) if s.video_status == 1).then_some(())
    })
    .await;
    let r = c.command(MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE, p(&[])).await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    c.wait_for(|m| {
        matches!(m, MavMessage::CAMERA_CAPTURE_STATUS(s) if s.video_status == 0).then_some(())
    })
    .await;

    // Zoom to 100 %: CAMERA_SETTINGS follows the camera.
    let r = c
        .command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, p(&[2.0, 100.0]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    c.wait_for(|m| matches!(m, MavMessage::CAMERA_SETTINGS(s) if s.zoomLevel > 90.0).then_some(()))
        .await;

    // An unknown command number still gets UNSUPPORTED.
    let mut payload = [0u8; 33];
    payload[28..30].copy_from_slice(&42001u16.to_le_bytes());
    payload[30] = c.cam_sys;
    payload[31] = 100;
    let mut frame = vec![0xFD, 33, 0, 0, 0, 255, 190, 76, 0, 0];
    frame.extend_from_slice(&payload);
    let crc = mavlink::calculate_crc(&frame[1..], 152);
    frame.extend_from_slice(&crc.to_le_bytes());
    c.send_raw(&frame).await;
    let deadline = Instant::now() + WAIT;
    let mut got = false;
    while let Some(f) = c.recv(deadline).await {
        if f.msg_id == 77 && f.payload.get(..2) == Some(&42001u16.to_le_bytes()[..]) {
            assert_eq!(f.payload.get(2), Some(&3), "MAV_RESULT_UNSUPPORTED");
            got = true;
            break;
        }
    }
    assert!(got, "no ack for the unknown command");
    let _ = MavlinkVersion::V2;
    running.stop().await.expect("clean stop");

    // Restart with the same state dir: the image index continues.
    let (running, mut c) = start(&dir).await;
    let r = c
        .command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    let cap = c
        .wait_for(|m| match m {
            MavMessage::CAMERA_IMAGE_CAPTURED(x) => Some(x.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        cap.image_index, 1,
        "a clean stop gives back the reserved indices"
    );
    running.stop().await.expect("clean stop");
    // --simulate never writes into the real camera's state.
    assert!(dir.join("simulated").join(app::STATE_FILE).is_file());
    assert!(!dir.join(app::STATE_FILE).exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A state dir that cannot be saved to (also as root: the temp file's name is a directory): the
/// ground station is told, photos are refused instead of handing out an index that a restart
/// could repeat, and when saving works again (retried every 5 s) it is told that too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_saves_are_reported_and_refuse_photos_until_saving_works() {
    let dir = std::env::temp_dir().join(format!("siyi-e2e-nosave-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let blocker = dir
        .join("simulated")
        .join(format!("{}.tmp", app::STATE_FILE));
    std::fs::create_dir_all(&blocker).expect("blocker");
    let (running, mut c) = start(&dir).await;
    let statustext = |needle: &'static str| {
        move |m: &MavMessage| match m {
            MavMessage::STATUSTEXT(s) if s.text.to_str().is_ok_and(|t| t.contains(needle)) => {
                Some(())
            }
            _ => None,
        }
    };
    let r = c
        .command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]))
        .await;
    // (The STATUSTEXT "Photo refused: image counter cannot be saved" comes before the ACK.)
    assert_eq!(r, MavResult::MAV_RESULT_FAILED);
    std::fs::remove_dir(&blocker).expect("unblock");
    c.wait_for(statustext("Image counter saved again")).await;
    let r = c
        .command(
            MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
            p(&[0.0, 0.0, 1.0, 1.0]),
        )
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    running.stop().await.expect("clean stop");
    let _ = std::fs::remove_dir_all(&dir);
}
