//! Camera component scenarios on virtual time, scripted from the contract
//! (../shared/mavlink-camera-contract.md §3): QGC 5 discovery, MAVSDK client, retransmissions,
//! other components, unknown/malformed commands, camera lost mid-capture, restart.

#![allow(deprecated)] // the legacy REQUEST_* commands are part of the contract

mod camera_common;

use std::time::Duration;

use camera_common::*;
use mavlink::dialects::common::{
    CameraCapFlags, CameraMode, MavCmd, MavMessage, MavModeFlag, MavResult, MavState, MavType,
    HEARTBEAT_DATA,
};
use mavlink::{MavlinkVersion, Message};
use siyi_bridge::core::camera::{
    messages, CameraComponent, CameraConfig, CameraEvent, Inbound, Outgoing, PersistedState, Target,
};
use siyi_bridge::core::link::{
    FailReason, Fresh, LinkEvent, LinkHealth, OpId, OpOutcome, Operation, Owner, RejectReason,
};
use siyi_bridge::core::settings::definition;
use siyi_protocol::{FirmwareVersion, RecordState, ZoomDirection};

const P0: [f32; 7] = [0.0; 7];

#[test]
fn heartbeat_is_a_camera_at_1_hz_with_explicit_flags() {
    let t0 = FakeLink::t0();
    let mut r = Rig::new(FakeLink::searching(), t0);
    let first = r.out.clone();
    let out = r.advance(Duration::from_millis(10_500));
    let hbs: Vec<_> = first
        .iter()
        .chain(out.iter())
        .filter_map(|t| match t.mav() {
            Some(MavMessage::HEARTBEAT(h)) => {
                Some((t.target, t.system_id, t.component_id, h.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(hbs.len(), 11, "one at start, then every second");
    let (target, sys, comp, hb) = &hbs[0];
    assert_eq!((*target, *sys, *comp), (Target::All, 1, 100));
    assert_eq!(hb.mavtype, MavType::MAV_TYPE_CAMERA);
    assert_eq!(
        hb.autopilot,
        mavlink::dialects::common::MavAutopilot::MAV_AUTOPILOT_INVALID
    );
    assert_eq!(hb.base_mode, MavModeFlag::empty());
    assert_eq!(hb.custom_mode, 0);
    assert_eq!(hb.system_status, MavState::MAV_STATE_BOOT);
    r.link.health = LinkHealth::Up;
    let out = r.advance(Duration::from_secs(1));
    match find(&out, "HEARTBEAT").and_then(|t| t.mav()) {
        Some(MavMessage::HEARTBEAT(h)) => assert_eq!(h.system_status, MavState::MAV_STATE_STANDBY),
        other => panic!("{other:?}"),
    }
    r.link.health = LinkHealth::Lost;
    let out = r.advance(Duration::from_secs(1));
    match find(&out, "HEARTBEAT").and_then(|t| t.mav()) {
        Some(MavMessage::HEARTBEAT(h)) => assert_eq!(h.system_status, MavState::MAV_STATE_CRITICAL),
        other => panic!("{other:?}"),
    }
}

#[test]
fn system_id_is_learned_from_the_autopilot_only() {
    let t0 = FakeLink::t0();
    let cam = CameraComponent::new(CameraConfig::default(), t0);
    let mut r = Rig::with(cam, FakeLink::identified(t0), t0);
    let hb = |mavtype, autopilot| {
        MavMessage::HEARTBEAT(HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype,
            autopilot,
            base_mode: MavModeFlag::empty(),
            system_status: MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        })
    };
    use mavlink::dialects::common::MavAutopilot as A;
    r.feed(
        (255, 190),
        1,
        hb(MavType::MAV_TYPE_GCS, A::MAV_AUTOPILOT_INVALID),
    );
    r.feed(
        (9, 1),
        1,
        hb(MavType::MAV_TYPE_GCS, A::MAV_AUTOPILOT_INVALID),
    );
    r.feed(
        (8, 100),
        1,
        hb(MavType::MAV_TYPE_CAMERA, A::MAV_AUTOPILOT_INVALID),
    );
    assert_eq!(
        r.cam().system_id(),
        1,
        "default until an autopilot is heard"
    );
    r.feed(
        (42, 1),
        1,
        hb(MavType::MAV_TYPE_QUADROTOR, A::MAV_AUTOPILOT_PX4),
    );
    assert_eq!(r.cam().system_id(), 42);
    assert!(r.events.contains(&CameraEvent::SystemIdLearned(42)));
    // Commands to the old id are now someone else's.
    let out = r.command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]), 1, 100, 0);
    assert!(out.is_empty());
    let out = r.command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]), 42, 100, 0);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    assert!(out.iter().all(|t| t.system_id == 42));
}

/// QGC 5 discovery: alternating REQUEST_MESSAGE(259) / REQUEST_CAMERA_INFORMATION(1) with its
/// timings, before and after the camera is identified; then settings, streams, status, storage.
#[test]
fn qgc5_discovery_sequence() {
    let t0 = FakeLink::t0();
    let mut r = Rig::new(FakeLink::searching(), t0);
    // Attempt 0: REQUEST_MESSAGE → TEMPORARILY_REJECTED while the camera is not identified.
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]));
    assert_eq!(names(&out), ["ACK(MAV_RESULT_TEMPORARILY_REJECTED)"]);
    // Attempt 1 (legacy) after 3 s timeout + 100 ms.
    r.advance(Duration::from_millis(3100));
    let out = r.command(MavCmd::MAV_CMD_REQUEST_CAMERA_INFORMATION, p(&[1.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_TEMPORARILY_REJECTED);
    // The camera comes up.
    r.link = FakeLink::identified(r.now);
    r.advance(Duration::from_secs(2));
    // Attempt 2: REQUEST_MESSAGE → ACK ACCEPTED, then CAMERA_INFORMATION, to the requester.
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]));
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_INFORMATION"]
    );
    assert!(all_targets(&out, Target::Peer(GCS_LINK)));
    let ack = only_ack(&out);
    assert_eq!((ack.target_system, ack.target_component), GCS);
    let Some(MavMessage::CAMERA_INFORMATION(info)) = out[1].mav() else {
        panic!()
    };
    assert_eq!(&info.vendor_name[..5], b"SIYI\0");
    assert_eq!(&info.model_name[..8], b"A8 mini\0");
    assert_eq!(info.firmware_version, 3 << 8 | 4 << 16);
    assert_eq!(info.flags, messages::capability_flags());
    assert!(info
        .flags
        .contains(CameraCapFlags::CAMERA_CAP_FLAGS_HAS_BASIC_ZOOM));
    assert!(!info
        .flags
        .contains(CameraCapFlags::CAMERA_CAP_FLAGS_HAS_BASIC_FOCUS));
    // The camera definition on the camera component itself, its version pinned to the XML.
    assert_eq!(
        info.cam_definition_uri.to_str().unwrap_or("x"),
        "mftp://siyi_a8_mini.xml"
    );
    assert_eq!(info.cam_definition_version, definition::VERSION);
    let hfov = 2.0
        * (info.sensor_size_h / (2.0 * info.focal_length))
            .atan()
            .to_degrees();
    assert!((hfov - 81.0).abs() < 0.1, "{hfov}");
    // Legacy form answers the same.
    let out = r.command(MavCmd::MAV_CMD_REQUEST_CAMERA_INFORMATION, p(&[1.0]));
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_INFORMATION"]
    );
    // +500 ms CAMERA_SETTINGS (both forms).
    r.advance(Duration::from_millis(500));
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[260.0]));
    assert_eq!(names(&out), ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_SETTINGS"]);
    let out = r.command(MavCmd::MAV_CMD_REQUEST_CAMERA_SETTINGS, p(&[1.0]));
    let Some(MavMessage::CAMERA_SETTINGS(s)) = out[1].mav() else {
        panic!()
    };
    assert_eq!(s.mode_id, CameraMode::CAMERA_MODE_IMAGE);
    assert_eq!(s.zoomLevel, 0.0);
    // +1 s VIDEO_STREAM_INFORMATION for stream 0 (= all): ours is id 1, count 1, RTSP.
    r.advance(Duration::from_millis(500));
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[269.0, 0.0]));
    let Some(MavMessage::VIDEO_STREAM_INFORMATION(v)) = out[1].mav() else {
        panic!("{out:?}")
    };
    assert_eq!((v.stream_id, v.count), (1, 1));
    assert_eq!(
        v.uri.to_str().unwrap_or(""),
        "rtsp://192.168.144.25:8554/main.264"
    );
    let out = r.command(MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION, p(&[1.0]));
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "VIDEO_STREAM_INFORMATION"]
    );
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[269.0, 5.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    // +1.5 s CAPTURE_STATUS, +2 s STORAGE_INFORMATION id 0.
    r.advance(Duration::from_millis(500));
    let out = r.command(MavCmd::MAV_CMD_REQUEST_CAMERA_CAPTURE_STATUS, p(&[1.0]));
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_CAPTURE_STATUS"]
    );
    r.advance(Duration::from_millis(500));
    let out = r.command(MavCmd::MAV_CMD_REQUEST_STORAGE_INFORMATION, p(&[0.0, 1.0]));
    let Some(MavMessage::STORAGE_INFORMATION(st)) = out[1].mav() else {
        panic!()
    };
    // A card is in, but its size is unknown (no --sd-card-gib): NOT_SUPPORTED keeps QGC's
    // shutter usable; READY with 0 free would grey it out.
    assert_eq!(
        st.status,
        mavlink::dialects::common::StorageStatus::STORAGE_STATUS_NOT_SUPPORTED
    );
    assert!(st.available_capacity.is_finite() && st.total_capacity.is_finite());
    // Settings → FOV status (zoom-aware).
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[271.0]));
    let Some(MavMessage::CAMERA_FOV_STATUS(f)) = out[1].mav() else {
        panic!()
    };
    assert!((f.hfov - 81.0).abs() < 0.1 && (f.vfov - 51.0).abs() < 0.1);
    assert_eq!(f.lat_camera, i32::MAX);
    // Ids we never provide are DENIED.
    for id in [280.0, 0.5e6, 148.0] {
        let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[id]));
        assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED, "{id}");
    }
}

#[test]
fn unknown_and_malformed_commands_are_acked() {
    let mut r = Rig::ready();
    // A COMMAND_LONG with command 42001, as raw payload bytes (the crate cannot parse it).
    let mut payload = vec![0u8; 33];
    payload[28..30].copy_from_slice(&42001u16.to_le_bytes());
    payload[30] = 1;
    payload[31] = 100;
    let inbound = Inbound::from_payload(MavlinkVersion::V2, 76, &payload[..32]);
    let out = r.feed_inbound(GCS, inbound);
    assert_eq!(
        out[0].message,
        Outgoing::UnknownCommandAck {
            command: 42001,
            result: MavResult::MAV_RESULT_UNSUPPORTED,
            target_system: 255,
            target_component: 190
        }
    );
    // Same to another component, or broadcast: not ours to answer.
    payload[31] = 1;
    assert!(r
        .feed_inbound(GCS, Inbound::from_payload(MavlinkVersion::V2, 76, &payload))
        .is_empty());
    payload[31] = 0;
    assert!(r
        .feed_inbound(GCS, Inbound::from_payload(MavlinkVersion::V2, 76, &payload))
        .is_empty());
    // A known command we do not handle → UNSUPPORTED; NaN / absurd params → DENIED.
    let out = r.command(MavCmd::MAV_CMD_SET_CAMERA_FOCUS, p(&[1.0, 50.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_UNSUPPORTED);
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[f32::NAN]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    let out = r.command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, p(&[2.0, 150.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    let out = r.command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, p(&[9.0, 1.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, -3.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    // Other components / systems: silence. Broadcast known-but-unhandled: silence.
    assert!(r
        .command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]), 1, 1, 0)
        .is_empty());
    assert!(r
        .command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]), 2, 100, 0)
        .is_empty());
    assert!(r
        .command_to(MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, p(&[1.0]), 1, 0, 0)
        .is_empty());
    // Broadcast camera requests are answered.
    let out = r.command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]), 0, 0, 0);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    // Garbage payloads never panic.
    for len in 0..40 {
        let junk: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        for id in [0, 75, 76, 259, 9999] {
            let _ = r.feed_inbound(GCS, Inbound::from_payload(MavlinkVersion::V2, id, &junk));
        }
    }
}

#[test]
fn command_int_is_command_long() {
    let mut r = Rig::ready();
    let out = r.command_int(MavCmd::MAV_CMD_REQUEST_MESSAGE, [259.0, 0.0, 0.0, 0.0]);
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_INFORMATION"]
    );
    let out = r.command_int(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, [2.0, 100.0, 0.0, 0.0]);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    assert!(matches!(
        r.link.started.last(),
        Some((_, Operation::ZoomTo { factor })) if (*factor - 6.0).abs() < 1e-4
    ));
}

/// MAVSDK's Camera client: information, take_photo (IN_PROGRESS then ACCEPTED + IMAGE_CAPTURED),
/// retransmission of the same command (confirmation 1) is re-acked and not re-executed.
#[test]
fn photo_with_retransmission_takes_one_photo() {
    let mut r = Rig::ready();
    let cmd = p(&[0.0, 0.0, 1.0, 0.0]);
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, cmd);
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_IN_PROGRESS)", "CAMERA_CAPTURE_STATUS"]
    );
    let Some(MavMessage::CAMERA_CAPTURE_STATUS(s)) = out[1].mav() else {
        panic!()
    };
    assert_eq!(s.image_status & 1, 1, "capture in progress is reported");
    assert_eq!(
        out[1].target,
        Target::All,
        "status changes go to every link"
    );
    assert_eq!(r.link.started.len(), 1);
    // Retransmission while in flight.
    r.advance(Duration::from_millis(300));
    let out = r.command_to(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, cmd, 1, 100, 1);
    assert_eq!(names(&out), ["ACK(MAV_RESULT_IN_PROGRESS)"]);
    assert_eq!(r.link.started.len(), 1, "not re-executed");
    let out = r.finish(OpId(1), OpOutcome::Succeeded { confirmed: true });
    assert_eq!(
        names(&out),
        [
            "ACK(MAV_RESULT_ACCEPTED)",
            "CAMERA_IMAGE_CAPTURED",
            "CAMERA_TRIGGER",
            "CAMERA_CAPTURE_STATUS"
        ]
    );
    assert_eq!(out[0].target, Target::Peer(GCS_LINK));
    assert_eq!(out[1].target, Target::All);
    let Some(MavMessage::CAMERA_IMAGE_CAPTURED(c)) = out[1].mav() else {
        panic!()
    };
    assert_eq!(c.image_index, 0);
    assert_eq!(
        c.capture_result,
        mavlink::dialects::common::MavBool::MAV_BOOL_TRUE
    );
    assert_eq!(c.time_utc, UTC0 + 300_000);
    assert_eq!(c.lat, i32::MAX);
    let Some(MavMessage::CAMERA_CAPTURE_STATUS(s)) = out[3].mav() else {
        panic!()
    };
    assert_eq!((s.image_count, s.image_status), (1, 0));
    assert!(matches!(r.events.last(), Some(CameraEvent::Persist(st)) if st.image_count == 1));
    // A late retransmission gets the final result; still one photo.
    let out = r.command_to(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, cmd, 1, 100, 2);
    assert_eq!(names(&out), ["ACK(MAV_RESULT_ACCEPTED)"]);
    assert_eq!(r.link.started.len(), 1);
    // A new command (confirmation 0) after the window is a new photo.
    r.advance(Duration::from_secs(5));
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, cmd);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
    assert_eq!(r.link.started.len(), 2);
    // The lost-image recovery of MAVSDK: re-send by index, both forms.
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[263.0, 0.0]));
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_IMAGE_CAPTURED"]
    );
    let out = r.command(MavCmd::MAV_CMD_REQUEST_CAMERA_IMAGE_CAPTURE, p(&[7.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_FAILED);
}

#[test]
fn failed_photo_reports_failure_and_no_index() {
    let mut r = Rig::ready();
    r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]));
    let out = r.finish(
        OpId(1),
        OpOutcome::Failed {
            reason: FailReason::NoSdCard,
        },
    );
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_FAILED);
    let Some(MavMessage::CAMERA_IMAGE_CAPTURED(c)) =
        find(&out, "CAMERA_IMAGE_CAPTURED").and_then(|t| t.mav())
    else {
        panic!()
    };
    assert_eq!(c.image_index, -1);
    assert!(find(&out, "STATUSTEXT").is_some());
    assert!(find(&out, "CAMERA_TRIGGER").is_none());
    assert_eq!(r.cam().persisted().image_count, 0);
}

#[test]
fn interval_capture_runs_until_stopped_and_reports_status() {
    let mut r = Rig::ready();
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 2.0, 0.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    let Some(MavMessage::CAMERA_CAPTURE_STATUS(s)) = out[1].mav() else {
        panic!()
    };
    assert_eq!(s.image_status & 2, 2);
    assert_eq!(s.image_interval, 2.0);
    for i in 0..3 {
        let id = r.link.started.last().map(|x| x.0).unwrap_or(OpId(0));
        r.finish(id, OpOutcome::Succeeded { confirmed: false });
        let out = r.advance(Duration::from_secs(2));
        assert!(
            find(&out, "CAMERA_CAPTURE_STATUS").is_some(),
            "periodic status"
        );
        assert_eq!(r.link.started.len(), i + 2);
    }
    let out = r.command(MavCmd::MAV_CMD_IMAGE_STOP_CAPTURE, P0);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    let id = r.link.started.last().map(|x| x.0).unwrap_or(OpId(0));
    r.finish(id, OpOutcome::Succeeded { confirmed: true });
    let n = r.link.started.len();
    r.advance(Duration::from_secs(10));
    assert_eq!(r.link.started.len(), n, "stopped");
    assert_eq!(r.cam().persisted().image_count, 4);
    // Count N: exactly N photos.
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 1.0, 3.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    for _ in 0..5 {
        let id = r.link.started.last().map(|x| x.0).unwrap_or(OpId(0));
        r.finish(id, OpOutcome::Succeeded { confirmed: true });
        r.advance(Duration::from_secs(1));
    }
    assert_eq!(r.link.started.len(), n + 3);
    assert_eq!(r.cam().persisted().image_count, 7);
}

#[test]
fn camera_lost_mid_capture() {
    let mut r = Rig::ready();
    r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 1.0, 0.0]));
    r.link.health = LinkHealth::Lost;
    let out = r.link_event(LinkEvent::Health {
        from: LinkHealth::Up,
        to: LinkHealth::Lost,
    });
    assert!(find(&out, "STATUSTEXT").is_some());
    let out = r.finish(
        OpId(1),
        OpOutcome::Rejected {
            reason: RejectReason::Lost {
                lost_after_ms: 3000,
            },
        },
    );
    assert!(find(&out, "CAMERA_IMAGE_CAPTURED").is_some());
    let out = r.advance(Duration::from_secs(3));
    assert_eq!(r.link.started.len(), 1, "series stopped while lost");
    assert!(find(&out, "HEARTBEAT").is_some(), "heartbeats continue");
    // Cached info is still answered; actions are refused promptly.
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]));
    assert_eq!(
        acks(&out)[0].result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
    let out = r.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, P0);
    assert_eq!(
        acks(&out)[0].result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
    let out = r.command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, p(&[1.0, 1.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_TEMPORARILY_REJECTED);
    r.link.health = LinkHealth::Up;
    let out = r.link_event(LinkEvent::Health {
        from: LinkHealth::Lost,
        to: LinkHealth::Up,
    });
    assert!(find(&out, "STATUSTEXT").is_some());
}

#[test]
fn video_start_stop_follow_the_camera() {
    let mut r = Rig::ready();
    let out = r.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, P0);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
    assert_eq!(r.link.started[0].1, Operation::StartRecording);
    // The link confirms with 0x0A.
    r.link.state.record = Some(Fresh::new(RecordState::Recording, r.now));
    r.link.state.recording_since = Some(r.now);
    r.link_event(LinkEvent::RecordingChanged {
        from: Some(RecordState::NotRecording),
        to: RecordState::Recording,
    });
    let out = r.finish(OpId(1), OpOutcome::Succeeded { confirmed: true });
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let out = r.advance(Duration::from_millis(2500));
    let Some(MavMessage::CAMERA_CAPTURE_STATUS(s)) = out.iter().rev().find_map(|t| {
        t.mav()
            .filter(|m| matches!(m, MavMessage::CAMERA_CAPTURE_STATUS(_)))
    }) else {
        panic!("periodic status while recording")
    };
    assert_eq!(s.video_status, 1);
    assert_eq!(s.recording_time_ms, 2000);
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[260.0]));
    let Some(MavMessage::CAMERA_SETTINGS(st)) = out[1].mav() else {
        panic!()
    };
    assert_eq!(st.mode_id, CameraMode::CAMERA_MODE_VIDEO);
    // Photo while recording is allowed (CAN_CAPTURE_IMAGE_IN_VIDEO_MODE).
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]));
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_IN_PROGRESS);
    // Stop fails: FAILED + STATUSTEXT.
    let out = r.command(MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE, P0);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
    let id = r.link.started.last().map(|x| x.0).unwrap_or(OpId(0));
    let out = r.finish(
        id,
        OpOutcome::Failed {
            reason: FailReason::RecordingUnchanged,
        },
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_FAILED);
    assert!(find(&out, "STATUSTEXT").is_some());
    // No SD card → warning.
    r.link.state.record = Some(Fresh::new(RecordState::NoCard, r.now));
    let out = r.link_event(LinkEvent::RecordingChanged {
        from: Some(RecordState::Recording),
        to: RecordState::NoCard,
    });
    assert!(find(&out, "STATUSTEXT").is_some());
    let out = r.command(MavCmd::MAV_CMD_REQUEST_STORAGE_INFORMATION, p(&[0.0, 1.0]));
    let Some(MavMessage::STORAGE_INFORMATION(st)) = out[1].mav() else {
        panic!()
    };
    assert_eq!(
        st.status,
        mavlink::dialects::common::StorageStatus::STORAGE_STATUS_EMPTY
    );
}

#[test]
fn zoom_types() {
    let mut r = Rig::ready();
    let z = |r: &mut Rig, t: f32, v: f32| r.command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, p(&[t, v]));
    assert_eq!(
        result_of(&z(&mut r, 1.0, 1.0)),
        MavResult::MAV_RESULT_ACCEPTED
    );
    assert_eq!(
        r.link.started.last().map(|x| x.1),
        Some(Operation::ZoomContinuous(ZoomDirection::In))
    );
    z(&mut r, 1.0, 0.0);
    assert_eq!(
        r.link.started.last().map(|x| x.1),
        Some(Operation::ZoomContinuous(ZoomDirection::Stop))
    );
    z(&mut r, 2.0, 50.0);
    assert_eq!(
        r.link.started.last().map(|x| x.1),
        Some(Operation::ZoomTo { factor: 3.5 })
    );
    z(&mut r, 0.0, 1.0); // STEP from 1×: +0.5×
    assert_eq!(
        r.link.started.last().map(|x| x.1),
        Some(Operation::ZoomTo { factor: 1.5 })
    );
    assert_eq!(
        result_of(&z(&mut r, 3.0, 6.4)),
        MavResult::MAV_RESULT_ACCEPTED
    );
    assert!(
        matches!(r.link.started.last(), Some((_, Operation::ZoomTo { factor })) if (*factor - 2.0).abs() < 1e-4)
    );
    assert_eq!(
        result_of(&z(&mut r, 3.0, 100.0)),
        MavResult::MAV_RESULT_DENIED
    );
    assert_eq!(
        result_of(&z(&mut r, 4.0, 40.0)),
        MavResult::MAV_RESULT_ACCEPTED
    );
    assert_eq!(
        result_of(&z(&mut r, 4.0, 120.0)),
        MavResult::MAV_RESULT_DENIED
    );
    // Zoom changes are pushed as CAMERA_SETTINGS with the % of range.
    r.link.state.zoom = Some((
        Fresh::new(siyi_protocol::Zoom::from_factor(3.5), r.now),
        siyi_bridge::core::link::ZoomSource::CurrentZoomReply,
    ));
    let out = r.link_event(LinkEvent::ZoomChanged(siyi_protocol::Zoom::from_factor(
        3.5,
    )));
    let Some(MavMessage::CAMERA_SETTINGS(s)) = out[0].mav() else {
        panic!()
    };
    assert!((s.zoomLevel - 50.0).abs() < 0.01);
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[271.0]));
    let Some(MavMessage::CAMERA_FOV_STATUS(f)) = out[1].mav() else {
        panic!()
    };
    assert!(f.hfov < 30.0, "zoom-aware: {}", f.hfov);
    // Reset: zoom 1× + centre.
    let n = r.link.started.len();
    assert_eq!(
        result_of(&r.command(MavCmd::MAV_CMD_RESET_CAMERA_SETTINGS, p(&[1.0]))),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let ops: Vec<_> = r.link.started[n..].iter().map(|x| x.1).collect();
    assert_eq!(ops, [Operation::ZoomTo { factor: 1.0 }, Operation::Center]);
}

#[test]
fn set_message_interval_per_id_without_busy_loop() {
    let mut r = Rig::ready();
    let out = r.command(MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL, p(&[262.0, 0.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    let out = r.command(MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL, p(&[271.0, 200_000.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    let out = r.advance(Duration::from_secs(2));
    let n262 = names(&out)
        .iter()
        .filter(|n| *n == "CAMERA_CAPTURE_STATUS")
        .count();
    let n271 = names(&out)
        .iter()
        .filter(|n| *n == "CAMERA_FOV_STATUS")
        .count();
    assert_eq!((n262, n271), (2, 10));
    r.command(MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL, p(&[271.0, -1.0]));
    r.command(MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL, p(&[262.0, -1.0]));
    let out = r.advance(Duration::from_secs(2));
    assert_eq!(names(&out), ["HEARTBEAT", "HEARTBEAT"]);
    let out = r.command(MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL, p(&[33.0, 0.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
}

#[test]
fn restart_with_persisted_state() {
    let mut r = Rig::ready();
    for i in 0..3u64 {
        r.command(
            MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
            p(&[0.0, 0.0, 1.0, i as f32]),
        );
        r.finish(OpId(i + 1), OpOutcome::Succeeded { confirmed: true });
    }
    let blob = match r.events.iter().rev().find_map(|e| match e {
        CameraEvent::Persist(s) => Some(s.clone()),
        _ => None,
    }) {
        Some(s) => s.to_json(),
        None => panic!("no persist event"),
    };
    let state = PersistedState::from_json(&blob).expect("round trip");
    assert_eq!(state.image_count, 3);
    let t0 = FakeLink::t0();
    let cam = CameraComponent::with_state(
        CameraConfig {
            system_id: Some(1),
            ..CameraConfig::default()
        },
        t0,
        state,
    );
    let mut r2 = Rig::with(cam, FakeLink::identified(t0), t0);
    let out = r2.command(MavCmd::MAV_CMD_REQUEST_CAMERA_IMAGE_CAPTURE, p(&[2.0]));
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_IMAGE_CAPTURED"]
    );
    r2.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]));
    let out = r2.finish(OpId(1), OpOutcome::Succeeded { confirmed: true });
    let Some(MavMessage::CAMERA_IMAGE_CAPTURED(c)) =
        find(&out, "CAMERA_IMAGE_CAPTURED").and_then(|t| t.mav())
    else {
        panic!()
    };
    assert_eq!(c.image_index, 3, "the counter continues after a restart");
    // Corrupt blobs are errors, not panics.
    assert!(PersistedState::from_json("{not json").is_err());
}

#[test]
fn firmware_is_packed_per_spec() {
    assert_eq!(
        messages::pack_firmware(FirmwareVersion::new(1, 2, 3)),
        1 | 2 << 8 | 3 << 16
    );
    // Unused import guard for Message trait.
    let _ = MavMessage::message_id_from_name("CAMERA_INFORMATION");
}

#[test]
fn old_firmware_is_announced() {
    let mut r = Rig::ready();
    let out = r.link_event(LinkEvent::Identified);
    assert_eq!(names(&out), ["STATUSTEXT"], "0.3.4 is fine");
    r.link.state.camera_fw = Some(FirmwareVersion::new(0, 1, 9));
    let out = r.link_event(LinkEvent::Identified);
    assert_eq!(names(&out), ["STATUSTEXT", "STATUSTEXT"]);
    let Some(MavMessage::STATUSTEXT(t)) = out[1].mav() else {
        panic!()
    };
    assert!(t.text.to_str().unwrap_or("").contains("0.1.9"));
}

#[test]
fn retransmitted_requests_are_answered_in_full_and_broadcast_denials_are_silent() {
    let mut r = Rig::ready();
    let out = r.command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]), 1, 100, 0);
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_INFORMATION"]
    );
    let out = r.command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]), 1, 100, 1);
    assert_eq!(
        names(&out),
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_INFORMATION"]
    );
    // REQUEST_MESSAGE(AUTOPILOT_VERSION) to everyone: not ours, no DENIED from us.
    assert!(r
        .command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[148.0]), 0, 0, 0)
        .is_empty());
    // Addressed to us: DENIED.
    let out = r.command_to(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[148.0]), 1, 100, 0);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    // Video start retransmitted: one operation.
    r.command_to(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, P0, 1, 100, 0);
    let out = r.command_to(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, P0, 1, 100, 1);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
    assert_eq!(r.link.started.len(), 1);
}

/// An operation's outcome reaches the part that started it, and only it: the photo's id
/// reported as another part's operation (gimbal, tracking, zoom, video, settings) finishes
/// nothing and says nothing; reported as the photo pipeline's, it finishes the photo.
#[test]
fn an_outcome_reaches_only_the_part_that_started_the_operation() {
    let mut r = Rig::ready();
    let out = r.command(
        MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
        p(&[0.0, 0.0, 1.0, 0.0]),
    );
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
    let (id, op) = r.link.started[0];
    assert_eq!(r.link.owners, [(id, Owner::Photos)]);
    let others = [
        Owner::Gimbal,
        Owner::Tracking,
        Owner::Zoom,
        Owner::Video,
        Owner::Settings,
        Owner::Tool,
    ];
    for owner in others {
        let outcome = OpOutcome::Succeeded { confirmed: true };
        let out = r.link_event(LinkEvent::OpFinished {
            id,
            owner,
            op,
            outcome,
        });
        assert!(names(&out).is_empty(), "{owner:?}: {:?}", names(&out));
    }
    let out = r.finish(id, OpOutcome::Succeeded { confirmed: true });
    assert_eq!(
        names(&out)[..2],
        ["ACK(MAV_RESULT_ACCEPTED)", "CAMERA_IMAGE_CAPTURED"]
    );
}
