//! Tracking end to end over real loopback sockets: a MAVLink client ↔ the bridge (in-process,
//! `app::spawn`) ↔ the simulator, with the tracker API on TCP — served by the built-in simulated
//! tracker, or by this test playing a tracker. Bounded waits, ephemeral ports, 127.0.0.1 only.
#![allow(clippy::disallowed_methods)] // real time: this is the end-to-end test

mod gcs;
mod tracker_lines;

use std::time::{Duration, Instant};

use gcs::{heartbeat, is_camera_heartbeat, p, Gcs};
use mavlink::dialects::common::{
    CameraCapFlags, CameraTrackingMode, CameraTrackingStatusFlags, MavCmd, MavMessage, MavResult,
};
use siyi_bridge::app;
use siyi_bridge::config::Config;
use siyi_bridge::io::endpoint::Endpoint;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tracker_lines::next_json;

const WAIT: Duration = Duration::from_secs(20);

fn config(sim_tracker: bool) -> Config {
    Config {
        tracker_api: Some("127.0.0.1:0".parse().expect("addr")),
        sim_tracker,
        ..Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))])
    }
}

const TRACKING: CameraCapFlags = CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
    .union(CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE);

/// Starts the bridge and a ground station that has heard the camera.
async fn start(sim_tracker: bool) -> (app::Running, Gcs) {
    let running = app::spawn(config(sim_tracker))
        .await
        .expect("bridge starts");
    let addr = running.mavlink_local[0].expect("udp socket");
    let mut c = Gcs::new(addr, WAIT).await;
    c.send(&heartbeat()).await;
    c.expect_msg(|m| is_camera_heartbeat(m).then_some(())).await;
    (running, c)
}

/// Asks for CAMERA_INFORMATION until the camera is identified and `want(flags)` holds.
async fn info_until(c: &mut Gcs, want: impl Fn(CameraCapFlags) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        c.send(&heartbeat()).await;
        if c.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]))
            .await
            == MavResult::MAV_RESULT_ACCEPTED
        {
            let flags = c
                .expect_msg(|m| match m {
                    MavMessage::CAMERA_INFORMATION(i) => Some(i.flags),
                    _ => None,
                })
                .await;
            if want(flags) {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "CAMERA_INFORMATION never as wanted"
        );
        c.expect_msg(|m| matches!(m, MavMessage::HEARTBEAT(_)).then_some(()))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn point_and_track_with_the_simulated_tracker() {
    let (running, mut c) = start(true).await;
    assert!(running.tracker_api.is_some());
    info_until(&mut c, |f| f.contains(TRACKING)).await;

    // A point on the background, up and right of centre: the gimbal brings it to the middle.
    let r = c
        .command(MavCmd::MAV_CMD_CAMERA_TRACK_POINT, p(&[0.7, 0.3, 0.05]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    let r = c
        .command(MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL, p(&[275.0, 200_000.0]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    let first = c
        .expect_msg(|m| match m {
            MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s) => Some(s.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        first.tracking_status,
        CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ACTIVE
    );
    assert_eq!(
        first.tracking_mode,
        CameraTrackingMode::CAMERA_TRACKING_MODE_POINT
    );
    let deadline = Instant::now() + WAIT;
    loop {
        c.send(&heartbeat()).await;
        let s = c
            .expect_msg(|m| match m {
                MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s) => Some(s.clone()),
                _ => None,
            })
            .await;
        if (s.point_x - 0.5).abs() < 0.05 && (s.point_y - 0.5).abs() < 0.05 {
            break;
        }
        assert!(Instant::now() < deadline, "never centred: {s:?}");
    }

    // Bad input is denied; stopping is accepted and the status goes idle.
    let r = c
        .command(
            MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
            p(&[0.6, 0.2, 0.4, 0.4]),
        )
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_DENIED);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracker_over_tcp_answers_and_garbage_does_not_hurt() {
    let (running, mut c) = start(false).await;
    let api = running.tracker_api.expect("tracker API on");
    info_until(&mut c, |f| !f.intersects(TRACKING)).await;
    let r = c
        .command(MavCmd::MAV_CMD_CAMERA_TRACK_POINT, p(&[0.5, 0.5, 0.05]))
        .await;
    assert_eq!(
        r,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED,
        "no tracker yet"
    );

    let stream = TcpStream::connect(api).await.expect("connect");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    // Garbage, an oversized line and a message before hello are survived.
    write.write_all(b"\x00\xffnot json\n").await.unwrap();
    write.write_all(&vec![b'x'; 10_000]).await.unwrap();
    write
        .write_all(b"\n{\"type\":\"status\",\"state\":\"idle\"}\n")
        .await
        .unwrap();
    write
        .write_all(b"{\"type\":\"hello\",\"version\":1,\"name\":\"e2e\"}\n")
        .await
        .unwrap();
    let welcome = next_json(&mut lines, WAIT).await;
    assert_eq!(welcome["type"], "welcome");
    info_until(&mut c, |f| f.contains(TRACKING)).await;

    // A second tracker is refused with a reason.
    let second = TcpStream::connect(api).await.expect("connect");
    let mut second_lines = BufReader::new(second).lines();
    let refusal = tokio::time::timeout(WAIT, second_lines.next_line())
        .await
        .expect("in time")
        .expect("read")
        .expect("a line");
    assert!(refusal.contains("another tracker"), "{refusal}");

    // QGC's rectangle reaches the tracker; its answer is the ack.
    c.send(&gcs::command_long(
        MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
        p(&[0.2, 0.3, 0.4, 0.5]),
        1,
    ))
    .await;
    let req = next_json(&mut lines, WAIT).await;
    assert_eq!(req["type"], "track_rectangle");
    assert!((req["bottom_right_y"].as_f64().unwrap() - 0.5).abs() < 1e-6);
    let answer = format!(
        "{{\"type\":\"answer\",\"id\":{},\"accepted\":true}}\n{{\"type\":\"status\",\"state\":\"active\",\"rectangle\":{{\"top_left_x\":0.2,\"top_left_y\":0.3,\"bottom_right_x\":0.4,\"bottom_right_y\":0.5}}}}\n",
        req["id"]
    );
    write.write_all(answer.as_bytes()).await.unwrap();
    let result = c
        .expect_msg(|m| match m {
            MavMessage::COMMAND_ACK(a)
                if a.command == MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE
                    && a.result != MavResult::MAV_RESULT_IN_PROGRESS =>
            {
                Some(a.result)
            }
            _ => None,
        })
        .await;
    assert_eq!(result, MavResult::MAV_RESULT_ACCEPTED);
    let s = c
        .expect_msg(|m| match m {
            MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s) => Some(s.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        s.tracking_mode,
        CameraTrackingMode::CAMERA_TRACKING_MODE_RECTANGLE
    );

    // The tracker dies: the ground station hears it, the flags go.
    drop(write);
    drop(lines);
    c.expect_msg(|m| match m {
        MavMessage::STATUSTEXT(t)
            if t.text
                .to_str()
                .unwrap_or("")
                .contains("Tracker disconnected") =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    info_until(&mut c, |f| !f.intersects(TRACKING)).await;
    running.stop().await.expect("clean stop");
}
