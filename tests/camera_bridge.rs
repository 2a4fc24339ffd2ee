//! The whole core (`Bridge` = real `SiyiLink` + `CameraComponent`) against the sans-IO simulator
//! model, on virtual time: no sockets, no sleeps. Datagrams are handed over instantly; time jumps
//! to the earliest timer of either side.

mod camera_common;

use std::time::Duration;

use camera_common::FakeLink;
use mavlink::dialects::common::{MavCmd, MavMessage, MavResult, MavState, StorageStatus};
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;

fn world(sim: SimConfig) -> SimWorld {
    SimWorld::new(sim, FakeLink::t0())
}

fn final_ack(msgs: &[MavMessage], cmd: MavCmd) -> Option<MavResult> {
    msgs.iter().rev().find_map(|m| match m {
        MavMessage::COMMAND_ACK(a)
            if a.command == cmd && a.result != MavResult::MAV_RESULT_IN_PROGRESS =>
        {
            Some(a.result)
        }
        _ => None,
    })
}

#[test]
fn boot_discovery_photo_video_on_virtual_time() {
    let mut w = world(SimConfig {
        boot_time_ms: 5_000,
        ..SimConfig::default()
    });
    w.run(Duration::from_secs(1));
    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [259.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_REQUEST_MESSAGE),
        Some(MavResult::MAV_RESULT_TEMPORARILY_REJECTED),
        "booting camera"
    );
    w.run(Duration::from_secs(6));
    w.take();
    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [259.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let m = w.take();
    assert!(m.iter().any(
        |m| matches!(m, MavMessage::CAMERA_INFORMATION(i) if &i.model_name[..7] == b"A8 mini")
    ));

    w.command(
        MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
        [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
    );
    w.run(Duration::from_secs(2));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_IMAGE_START_CAPTURE),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    assert!(m
        .iter()
        .any(|m| matches!(m, MavMessage::CAMERA_IMAGE_CAPTURED(c) if c.image_index == 0)));
    assert_eq!(w.sim.state().photos_taken, 1);

    w.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, [0.0; 7]);
    w.run(Duration::from_secs(3));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_VIDEO_START_CAPTURE),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    assert!(w.sim.state().recording);
    assert!(m
        .iter()
        .any(|m| matches!(m, MavMessage::CAMERA_CAPTURE_STATUS(s) if s.video_status == 1 && s.recording_time_ms >= 1000)));
    w.command(MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE, [0.0; 7]);
    w.run(Duration::from_secs(2));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    assert!(!w.sim.state().recording);

    // Zoom to 100 %: the camera gets there and CAMERA_SETTINGS says so.
    w.command(
        MavCmd::MAV_CMD_SET_CAMERA_ZOOM,
        [2.0, 100.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    w.run(Duration::from_secs(3));
    let m = w.take();
    assert!((w.sim.state().zoom - 6.0).abs() < 0.05);
    assert!(m
        .iter()
        .any(|m| matches!(m, MavMessage::CAMERA_SETTINGS(s) if s.zoomLevel > 99.0)));
}

#[test]
fn no_sd_card_fails_recording_with_a_reason() {
    let mut w = world(SimConfig {
        sd_card: false,
        ..SimConfig::instant_boot()
    });
    w.run(Duration::from_secs(3));
    let m = w.take();
    assert!(
        m.iter().any(|m| matches!(m, MavMessage::STATUSTEXT(t) if t.text.to_str().unwrap_or("").contains("SD card"))),
        "no-card warning"
    );
    w.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, [0.0; 7]);
    w.run(Duration::from_secs(5));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_VIDEO_START_CAPTURE),
        Some(MavResult::MAV_RESULT_FAILED)
    );
    assert!(!w.sim.state().recording);
    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [261.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let m = w.take();
    assert!(m.iter().any(|m| matches!(m, MavMessage::STORAGE_INFORMATION(s) if s.status == StorageStatus::STORAGE_STATUS_EMPTY)));
}

#[test]
fn camera_lost_and_back() {
    let mut w = world(SimConfig::instant_boot());
    w.run(Duration::from_secs(3));
    w.take();
    w.wire_up = false;
    w.run(Duration::from_secs(10));
    let m = w.take();
    assert!(m.iter().any(
        |m| matches!(m, MavMessage::HEARTBEAT(h) if h.system_status == MavState::MAV_STATE_CRITICAL)
    ));
    let hb = m
        .iter()
        .filter(|m| matches!(m, MavMessage::HEARTBEAT(_)))
        .count();
    assert!(hb >= 9, "heartbeats continue: {hb}");
    w.command(
        MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
        [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
    );
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_IMAGE_START_CAPTURE),
        Some(MavResult::MAV_RESULT_TEMPORARILY_REJECTED)
    );
    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [259.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_REQUEST_MESSAGE),
        Some(MavResult::MAV_RESULT_ACCEPTED),
        "cached information is still served"
    );
    w.wire_up = true;
    w.run(Duration::from_secs(10));
    let m = w.take();
    assert!(m.iter().any(
        |m| matches!(m, MavMessage::HEARTBEAT(h) if h.system_status == MavState::MAV_STATE_STANDBY)
    ));
}
