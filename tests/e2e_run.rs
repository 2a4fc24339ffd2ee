//! End to end over real loopback sockets: a MAVLink client (mavlink crate as codec) ↔ the bridge
//! (in-process, `app::spawn`) ↔ the simulator. Bounded timeouts, ephemeral ports, 127.0.0.1 only.
#![allow(clippy::disallowed_methods)] // real time: this is the end-to-end test

mod gcs;

use std::path::PathBuf;
use std::time::Duration;

use gcs::{p, Gcs};
use mavlink::dialects::common::{MavBool, MavCmd, MavMessage, MavResult};
use mavlink::MavlinkVersion;
use siyi_bridge::app;
use siyi_bridge::config::Config;
use siyi_bridge::io::endpoint::Endpoint;

const WAIT: Duration = Duration::from_secs(10);

fn config(state_dir: PathBuf) -> Config {
    Config {
        state_dir: Some(state_dir),
        ..Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))])
    }
}

async fn start(dir: &std::path::Path) -> (app::Running, Gcs) {
    gcs::start_bridge(config(dir.to_path_buf()), WAIT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_photo_video_zoom_over_loopback() {
    let dir = std::env::temp_dir().join(format!("siyi-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (running, mut c) = start(&dir).await;

    let info = c
        .expect_msg(|m| match m {
            MavMessage::CAMERA_INFORMATION(i) => Some(i.clone()),
            _ => None,
        })
        .await;
    assert_eq!(&info.model_name[..7], b"A8 mini");
    assert_eq!(info.firmware_version, 2 << 8 | 8 << 16, "0.2.8 packed");

    // Photo → CAMERA_IMAGE_CAPTURED with index 0.
    let cap = c.photo().await;
    assert_eq!(
        (cap.image_index, cap.capture_result),
        (0, MavBool::MAV_BOOL_TRUE)
    );

    // Video start/stop with the state from the camera.
    let r = c.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, p(&[])).await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    c.expect_msg(|m| {
        matches!(m, MavMessage::CAMERA_CAPTURE_STATUS(s) if s.video_status == 1).then_some(())
    })
    .await;
    let r = c.command(MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE, p(&[])).await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    c.expect_msg(|m| {
        matches!(m, MavMessage::CAMERA_CAPTURE_STATUS(s) if s.video_status == 0).then_some(())
    })
    .await;

    // Zoom to 100 %: CAMERA_SETTINGS follows the camera.
    let r = c
        .command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, p(&[2.0, 100.0]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    c.expect_msg(|m| {
        matches!(m, MavMessage::CAMERA_SETTINGS(s) if s.zoomLevel > 90.0).then_some(())
    })
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
    let result = c
        .wait_frame(|f, _| {
            (f.msg_id == 77 && f.payload.get(..2) == Some(&42001u16.to_le_bytes()[..]))
                .then(|| f.payload.get(2).copied())
        })
        .await;
    let Some(result) = result else {
        panic!("no ack for the unknown command")
    };
    assert_eq!(result, Some(3), "MAV_RESULT_UNSUPPORTED");
    let _ = MavlinkVersion::V2;
    running.stop().await.expect("clean stop");

    // Restart with the same state dir: the image index continues.
    let (running, mut c) = start(&dir).await;
    let cap = c.photo().await;
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
    c.expect_msg(statustext("Image counter saved again")).await;
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

/// A second bridge on the machine (issue 21): the tracker API port is taken. Simulated, the
/// bridge starts on another port and says so; for a real camera the error comes at once and
/// says what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_tracker_api_port_is_said_at_once_and_a_simulated_bridge_moves_on() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let udp = || vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))];
    let running = tokio::time::timeout(
        WAIT,
        app::spawn(Config {
            tracker_api: Some(addr),
            ..Config::simulated(udp())
        }),
    )
    .await
    .expect("at once")
    .expect("a simulated bridge starts");
    let moved = running.tracker_api.expect("a tracker API");
    assert_eq!(moved.ip(), addr.ip());
    assert_ne!(moved.port(), addr.port());
    running.stop().await.expect("stops");

    let real = Config {
        camera: siyi_bridge::config::CameraSource::Udp("127.0.0.1:9".parse().expect("addr")),
        tracker_api: Some(addr),
        ..Config::simulated(udp())
    };
    let err = tokio::time::timeout(WAIT, app::spawn(real))
        .await
        .expect("at once")
        .err()
        .expect("a real-camera bridge refuses the taken port");
    let text = format!("{err:#}");
    assert!(
        text.contains(&format!(
            "--tracker-api {addr}: cannot listen (another siyi-bridge"
        )),
        "{text}"
    );
}

/// A state directory that cannot be created (issue 21): the error says "create", names the
/// directory and both flags a user can give (it may be the default, not a flag they passed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_directory_that_cannot_be_created_says_create_and_names_the_flags() {
    let file = tempfile::NamedTempFile::new().expect("file");
    let dir = file.path().join("state");
    let err = tokio::time::timeout(
        WAIT,
        app::spawn(Config {
            camera: siyi_bridge::config::CameraSource::Udp("127.0.0.1:9".parse().expect("addr")),
            state_dir: Some(dir.clone()),
            ..Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))])
        }),
    )
    .await
    .expect("at once")
    .err()
    .expect("refused");
    let text = format!("{err:#}");
    assert!(
        text.contains(&format!(
            "state directory {}: cannot create it",
            dir.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("--state-dir DIR") && text.contains("--no-state"),
        "{text}"
    );
    assert!(!text.contains("cannot read it"), "{text}");
}

/// Two bridges on one state directory (issue 21): the second is refused at once, naming the
/// first's pid and both ways out; once the first stops, the directory is free again. A lock
/// left by a process that no longer runs is taken over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bridge_on_the_same_state_directory_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = || Config {
        tracker_api: None,
        ..config(dir.path().to_path_buf())
    };
    let first = tokio::time::timeout(WAIT, app::spawn(cfg()))
        .await
        .expect("at once")
        .expect("the first starts");
    let err = tokio::time::timeout(WAIT, app::spawn(cfg()))
        .await
        .expect("at once")
        .err()
        .expect("the second is refused");
    let text = format!("{err:#}");
    let pid = format!("pid {}", std::process::id());
    assert!(
        text.contains("used by another siyi-bridge") && text.contains(&pid),
        "{text}"
    );
    assert!(
        text.contains("--state-dir DIR") && text.contains("--no-state"),
        "{text}"
    );
    first.stop().await.expect("stops");
    // A stale lock (a pid that cannot run) is taken over.
    let lock = dir.path().join("simulated").join("bridge.lock");
    std::fs::write(&lock, "999999999\n").expect("stale lock");
    let again = tokio::time::timeout(WAIT, app::spawn(cfg()))
        .await
        .expect("at once")
        .expect("starts over a stale lock");
    let holder = std::fs::read_to_string(&lock).expect("lock");
    assert_eq!(holder.trim(), std::process::id().to_string());
    again.stop().await.expect("stops");
    assert!(!lock.exists(), "released on stop");
}
