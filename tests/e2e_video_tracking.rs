//! The built-in tracker end to end, with nothing else installed: a MAVLink client ↔ the bridge
//! (in-process, `app::spawn`, no tracker API, no simulated tracker) ↔ the simulator, whose
//! camera renders and streams H.264 over RTSP on loopback; the bridge pulls that video only
//! while tracking, decodes it, tracks the point the client chose and turns the simulated gimbal
//! until the point is in the middle. Bounded waits, ephemeral ports, 127.0.0.1 only.
#![allow(clippy::disallowed_methods)] // real time: this is the end-to-end test

mod gcs;

use std::time::{Duration, Instant};

use gcs::{heartbeat, p, Gcs};
use mavlink::dialects::common::{
    CameraCapFlags, CameraTrackingStatusFlags, MavCmd, MavMessage, MavResult,
    CAMERA_TRACKING_IMAGE_STATUS_DATA,
};
use siyi_bridge::config::Config;
use siyi_bridge::io::endpoint::Endpoint;
use siyi_bridge::sim::scene;

const WAIT: Duration = Duration::from_secs(30);

const TRACKING: CameraCapFlags = CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
    .union(CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE);

async fn status(c: &mut Gcs) -> CAMERA_TRACKING_IMAGE_STATUS_DATA {
    c.expect_msg(|m| match m {
        MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s) => Some(s.clone()),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_point_on_the_video_is_tracked_and_brought_to_the_middle() {
    if std::env::var_os("RUST_LOG").is_some() {
        let filter = tracing_subscriber::EnvFilter::from_default_env();
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
    // 640x360 keeps the unoptimised test build's renderer at the stream's frame rate.
    let config = Config {
        builtin_tracker: true,
        sim_video_size: (640, 360),
        sim_video_delay_ms: 150,
        ..Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))])
    };
    let (running, mut c) = gcs::start_bridge(config, WAIT).await;
    assert!(
        running.tracker_api.is_none(),
        "no tracker API: the built-in tracker alone"
    );
    // Offered from the start, before any video was pulled.
    c.send(&gcs::command_long(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        p(&[259.0]),
        c.cam_sys,
    ))
    .await;
    let flags = c
        .expect_msg(|m| match m {
            MavMessage::CAMERA_INFORMATION(i) => Some(i.flags),
            _ => None,
        })
        .await;
    assert!(flags.contains(TRACKING), "{flags:?}");

    // A rectangle on the simulated car, where the simulator says it is. The answer comes with
    // the first box, after the video was pulled and decoded.
    let truth = || {
        let pose = running.sim_pose().expect("simulated");
        scene::target_box(&pose).map(|b| {
            (
                b.center_x as f32,
                b.center_y as f32,
                b.width as f32,
                b.height as f32,
            )
        })
    };
    let (cx, cy, w, h) = truth().expect("the car is in view at the start");
    let r = c
        .command(
            MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
            p(&[cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0]),
        )
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    let r = c
        .command(MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL, p(&[275.0, 100_000.0]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    let first = status(&mut c).await;
    assert_ne!(
        first.tracking_status,
        CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_IDLE,
        "{first:?}"
    );
    let centre = |s: &CAMERA_TRACKING_IMAGE_STATUS_DATA| {
        (
            (s.rec_top_x + s.rec_bottom_x) / 2.0,
            (s.rec_top_y + s.rec_bottom_y) / 2.0,
        )
    };
    // Centred, on the car (by the simulator's truth), five reports in a row.
    let deadline = Instant::now() + WAIT;
    let mut centred = 0;
    while centred < 5 {
        c.send(&heartbeat()).await;
        let s = status(&mut c).await;
        let (x, y) = centre(&s);
        let car = truth();
        if std::env::var_os("E2E_TRACE").is_some() {
            eprintln!("{x:.3} {y:.3} {:?} car {car:?}", s.tracking_status);
        }
        let on_car =
            car.is_some_and(|(tx, ty, _, _)| (tx - 0.5).abs() < 0.05 && (ty - 0.5).abs() < 0.05);
        if s.tracking_status == CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ACTIVE
            && (x - 0.5).abs() < 0.05
            && (y - 0.5).abs() < 0.05
            && on_car
        {
            centred += 1;
        } else {
            centred = 0;
        }
        assert!(
            Instant::now() < deadline,
            "never centred on the car: {s:?}, car {car:?}"
        );
    }

    // Stop: accepted at once, the status idle (and the video released).
    let r = c
        .command(MavCmd::MAV_CMD_CAMERA_STOP_TRACKING, p(&[]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    c.expect_msg(|m| match m {
        MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s)
            if s.tracking_status
                == CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_IDLE =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    running.stop().await.expect("clean stop");
}
