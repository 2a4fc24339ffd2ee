//! Issue 7 ("trust") on virtual time: each test here failed before its fix.
//! Photo intervals, timers that always move forward, retransmission detection under a flood,
//! message intervals owned by the peer that asked, who may command the camera, whose position
//! becomes a geotag, chunked STATUSTEXT, and honest capture status while the camera is away.

mod camera_common;

use std::time::{Duration, Instant};

use camera_common::*;
use mavlink::dialects::common::{
    MavAutopilot, MavCmd, MavMessage, MavModeFlag, MavResult, MavSeverity, MavState, MavType,
    GLOBAL_POSITION_INT_DATA, HEARTBEAT_DATA,
};
use siyi_bridge::core::bridge::{Bridge, BridgeEvent};
use siyi_bridge::core::camera::{
    messages, CameraComponent, CameraConfig, Target, Transmit, MAX_DEDUPE_ENTRIES,
    PEER_SILENT_TIMEOUT,
};
use siyi_bridge::core::link::{Fresh, LinkConfig, LinkEvent, LinkHealth, OpOutcome, SiyiLink};
use siyi_protocol::RecordState;

/// Runs the component's timers up to `end`, asserting that every `handle_timeout` moves the
/// next deadline past `now` (a timer stuck at `now` would spin a driver loop forever).
fn run_guarded(r: &mut Rig, d: Duration) -> Vec<Transmit> {
    let end = r.now + d;
    let mut out = Vec::new();
    let mut wakeups = 0u32;
    while let Some(next) = r.cam().poll_timeout().filter(|t| *t <= end) {
        r.now = next.max(r.now);
        r.parts.handle_timeout(r.now, &mut r.link);
        out.extend(r.drain());
        wakeups += 1;
        assert!(wakeups < 100_000, "spin: {wakeups} wake-ups before {d:?}");
        let after = r.cam().poll_timeout().expect("heartbeat timer");
        assert!(
            after > r.now,
            "a timer did not move forward: {after:?} <= now"
        );
    }
    r.now = end;
    out
}

#[test]
fn photo_intervals_below_what_the_camera_can_do_are_denied() {
    for interval in [
        1e-10,
        0.0,
        0.1,
        0.199,
        f32::NAN,
        f32::INFINITY,
        -1.0,
        3601.0,
    ] {
        let mut r = Rig::ready();
        let out = r.command(
            MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
            p(&[0.0, interval, 0.0]),
        );
        assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED, "{interval}");
        assert!(
            texts(&out).concat().contains("0.2"),
            "the GCS is told the minimum: {:?}",
            texts(&out)
        );
        assert!(r.link.started.is_empty(), "{interval}: no photo started");
        run_guarded(&mut r, Duration::from_secs(5));
        assert!(r.link.started.is_empty());
    }
    // Counts must be whole numbers.
    let mut r = Rig::ready();
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 1.0, 2.5]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    // The minimum itself is fine, and photos follow at that pace, never faster.
    let mut r = Rig::ready();
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.2, 0.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    for _ in 0..20 {
        let (id, _) = *r.link.started.last().expect("a photo");
        r.finish(id, OpOutcome::Succeeded { confirmed: true });
        run_guarded(&mut r, Duration::from_millis(200));
    }
    assert!(
        (20..=21).contains(&r.link.started.len()),
        "{}",
        r.link.started.len()
    );
}

#[test]
fn a_zero_status_period_still_moves_forward() {
    let t0 = FakeLink::t0();
    let cam = CameraComponent::new(
        CameraConfig {
            system_id: Some(1),
            status_period: Duration::ZERO,
            ..CameraConfig::default()
        },
        t0,
    );
    let mut r = Rig::with(cam, FakeLink::identified(t0), t0);
    r.link.state.record = Some(Fresh::new(RecordState::Recording, t0));
    r.link_event(LinkEvent::RecordingChanged {
        from: Some(RecordState::NotRecording),
        to: RecordState::Recording,
    });
    let out = run_guarded(&mut r, Duration::from_millis(100));
    assert!(!out.is_empty());
}

#[test]
fn a_second_tap_without_confirmation_is_a_second_photo() {
    let mut r = Rig::ready();
    let photo = p(&[0.0, 0.0, 1.0]);
    r.command_to(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, photo, 1, 100, 0);
    let (id, _) = r.link.started[0];
    r.finish(id, OpOutcome::Succeeded { confirmed: true });
    r.advance(Duration::from_millis(500));
    // Same parameters, confirmation 0: a new command, not a retransmission.
    let out = r.command_to(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, photo, 1, 100, 0);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
    assert_eq!(r.link.started.len(), 2);
    // confirmation 1 within the window: the retransmission of that one, answered not redone.
    let out = r.command_to(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, photo, 1, 100, 1);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
    assert_eq!(r.link.started.len(), 2);
    assert_eq!(r.cam().stats().duplicates, 1);
}

/// A retransmission refreshes the remembered command: a client that keeps retrying (each within
/// the 3 s window of the last) is answered from the table for as long as it retries.
#[test]
fn retransmissions_keep_a_command_remembered() {
    let mut r = Rig::ready();
    let zoom = p(&[1.0, 50.0]);
    r.command_to(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, zoom, 1, 100, 0);
    for _ in 0..3 {
        r.advance(Duration::from_millis(2500));
        let out = r.command_to(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, zoom, 1, 100, 1);
        assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    }
    assert_eq!(r.link.started.len(), 1, "7.5 s of retries, one zoom");
    assert_eq!(r.cam().stats().duplicates, 3);
}

#[test]
fn a_flood_of_distinct_commands_keeps_the_dedupe_table_bounded() {
    let mut r = Rig::ready();
    // 20 000 distinct actions within one dedupe window (zoom steps with distinct parameters).
    for i in 0..20_000u32 {
        r.command_to(
            MavCmd::MAV_CMD_SET_CAMERA_ZOOM,
            p(&[0.0, 1.0 + i as f32 * 1e-4]),
            1,
            100,
            0,
        );
        assert!(r.cam().host().dedupe_len() <= MAX_DEDUPE_ENTRIES + 1);
    }
    // Full, not empty: the newest commands are all still remembered.
    assert!(r.cam().host().dedupe_len() >= MAX_DEDUPE_ENTRIES);
    // A real retransmission right after still gets the remembered answer.
    let zoom = p(&[1.0, 50.0]);
    r.command_to(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, zoom, 1, 100, 0);
    let started = r.link.started.len();
    let out = r.command_to(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, zoom, 1, 100, 1);
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
    assert_eq!(r.link.started.len(), started, "not executed twice");
    // Everything expires with the window.
    r.advance(Duration::from_secs(4));
    r.command_to(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, zoom, 1, 100, 0);
    assert_eq!(r.cam().host().dedupe_len(), 1);
}

fn heartbeat(mavtype: MavType, autopilot: MavAutopilot) -> MavMessage {
    MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype,
        autopilot,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    })
}

fn gcs_heartbeat() -> MavMessage {
    heartbeat(MavType::MAV_TYPE_GCS, MavAutopilot::MAV_AUTOPILOT_INVALID)
}

#[test]
fn message_intervals_go_to_the_peer_that_asked_and_expire_with_it() {
    let mut r = Rig::ready();
    const SPOOFED: u32 = 99;
    // Capture status every 100 ms for the GCS, and for a peer that then goes silent.
    for link in [GCS_LINK, SPOOFED] {
        r.feed(
            GCS,
            link,
            MavMessage::COMMAND_LONG(mavlink::dialects::common::COMMAND_LONG_DATA {
                param1: 262.0,
                param2: 100_000.0,
                command: MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
                target_system: 1,
                target_component: 100,
                ..mavlink::dialects::common::COMMAND_LONG_DATA::DEFAULT
            }),
        );
    }
    assert_eq!(r.cam().host().interval_count(), 2);
    let mut to_gcs = 0;
    let mut to_spoofed = 0;
    for _ in 0..30 {
        // The GCS goes on talking (heartbeat every second); the other does not.
        r.feed(GCS, GCS_LINK, gcs_heartbeat());
        for t in r.advance(Duration::from_secs(1)) {
            if matches!(t.mav(), Some(MavMessage::CAMERA_CAPTURE_STATUS(_))) {
                assert_ne!(t.target, Target::All, "a requested stream is not broadcast");
                match t.target {
                    Target::Peer(GCS_LINK) => to_gcs += 1,
                    Target::Peer(SPOOFED) => to_spoofed += 1,
                    other => panic!("stream to {other:?}"),
                }
            }
        }
    }
    // ~10 Hz for 30 s to the GCS; to the silent one only until it timed out (10 s).
    assert!(to_gcs >= 290, "{to_gcs}");
    let max = (PEER_SILENT_TIMEOUT.as_millis() / 100) as usize + 1;
    assert!(to_spoofed <= max && to_spoofed >= max - 2, "{to_spoofed}");
    assert_eq!(r.cam().host().interval_count(), 1);
    assert_eq!(r.cam().stats().intervals_expired, 1);
}

fn rig_with(config: CameraConfig) -> Rig {
    let t0 = FakeLink::t0();
    let cam = CameraComponent::new(config, t0);
    Rig::with(cam, FakeLink::identified(t0), t0)
}

#[test]
fn only_allowed_systems_command_the_camera() {
    let mut r = rig_with(CameraConfig {
        system_id: Some(1),
        allowed_systems: vec![1, GCS.0],
        ..CameraConfig::default()
    });
    let stranger = (66, 190);
    for (target_system, target_component) in [(1, 100), (0, 0)] {
        let out = r.feed(
            stranger,
            GCS_LINK,
            MavMessage::COMMAND_LONG(mavlink::dialects::common::COMMAND_LONG_DATA {
                command: MavCmd::MAV_CMD_VIDEO_START_CAPTURE,
                target_system,
                target_component,
                ..mavlink::dialects::common::COMMAND_LONG_DATA::DEFAULT
            }),
        );
        assert!(
            out.is_empty(),
            "no answer to a stranger: {}",
            names(&out).join(",")
        );
    }
    assert!(r.link.started.is_empty(), "a stranger started nothing");
    assert_eq!(r.cam().stats().refused, 2);
    // The allowed GCS still can.
    let out = r.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, p(&[]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
    assert_eq!(r.link.started.len(), 1);
}

fn position(lat_e7: i32) -> MavMessage {
    MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
        time_boot_ms: 0,
        lat: lat_e7,
        lon: 80_000_000,
        alt: 100_000,
        relative_alt: 50_000,
        vx: 0,
        vy: 0,
        vz: 0,
        hdg: 0,
    })
}

fn photo_lat(r: &mut Rig) -> i32 {
    r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]));
    let (id, _) = *r.link.started.last().expect("photo");
    let out = r.finish(id, OpOutcome::Succeeded { confirmed: true });
    match find(&out, "CAMERA_IMAGE_CAPTURED").and_then(Transmit::mav) {
        Some(MavMessage::CAMERA_IMAGE_CAPTURED(c)) => c.lat,
        _ => panic!("no CAMERA_IMAGE_CAPTURED"),
    }
}

#[test]
fn the_geotag_comes_only_from_the_autopilot_and_its_system_id_cannot_be_stolen() {
    let mut r = rig_with(CameraConfig::default()); // system id learned
    const AUTOPILOT_LINK: u32 = 3;
    const SPOOF_LINK: u32 = 4;
    let px4 = heartbeat(MavType::MAV_TYPE_QUADROTOR, MavAutopilot::MAV_AUTOPILOT_PX4);
    // Before any autopilot: a position from "1/1" is nobody's, not a geotag.
    r.feed((1, 1), SPOOF_LINK, position(11));
    assert_eq!(photo_lat(&mut r), i32::MAX);
    r.feed((1, 1), AUTOPILOT_LINK, px4.clone());
    assert_eq!(r.cam().system_id(), 1);
    r.feed((1, 1), AUTOPILOT_LINK, position(470_000_000));
    // A spoofed position with the autopilot's ids from another peer is ignored.
    r.feed((1, 1), SPOOF_LINK, position(12));
    assert_eq!(photo_lat(&mut r), 470_000_000);
    // Another "autopilot" cannot take the system id while ours is heard.
    r.feed((7, 1), SPOOF_LINK, px4.clone());
    assert_eq!(r.cam().system_id(), 1);
    // After ours has been silent for the peer timeout, a new autopilot is accepted.
    r.advance(PEER_SILENT_TIMEOUT);
    r.feed((7, 1), SPOOF_LINK, px4);
    assert_eq!(r.cam().system_id(), 7);
}

#[test]
fn long_statustext_is_sent_in_chunks_not_cut() {
    let text =
        "Recording start failed: the camera reported that the SD card is full or missing (é)";
    let chunks = messages::statustext(MavSeverity::MAV_SEVERITY_ERROR, text, 9);
    let mut joined = String::new();
    for (i, m) in chunks.iter().enumerate() {
        let MavMessage::STATUSTEXT(s) = m else {
            panic!()
        };
        assert_eq!((s.id, usize::from(s.chunk_seq)), (9, i));
        joined.push_str(s.text.to_str().expect("whole characters per chunk"));
    }
    assert_eq!(chunks.len(), 2);
    assert_eq!(joined, text);
    // Exactly 100 bytes: a third, empty chunk ends it.
    let hundred = "x".repeat(100);
    let chunks = messages::statustext(MavSeverity::MAV_SEVERITY_INFO, &hundred, 3);
    assert_eq!(chunks.len(), 3);
    // Short: one message, id 0.
    let one = messages::statustext(MavSeverity::MAV_SEVERITY_INFO, "Camera back", 5);
    let [MavMessage::STATUSTEXT(s)] = one.as_slice() else {
        panic!()
    };
    assert_eq!((s.id, s.chunk_seq), (0, 0));
    // The component numbers its long texts (never 0).
    let mut r = Rig::ready();
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.01, 0.0]));
    let ids: Vec<u16> = out
        .iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::STATUSTEXT(s)) => Some(s.id),
            _ => None,
        })
        .collect();
    assert!(
        ids.len() >= 2 && ids.iter().all(|i| *i == ids[0] && *i != 0),
        "{ids:?}"
    );
}

fn video_status(out: &[Transmit]) -> Option<(u8, u32)> {
    out.iter().rev().find_map(|t| match t.mav() {
        Some(MavMessage::CAMERA_CAPTURE_STATUS(s)) => Some((s.video_status, s.recording_time_ms)),
        _ => None,
    })
}

#[test]
fn a_camera_outage_during_recording_is_reported_not_hidden() {
    let mut r = Rig::ready();
    let t0 = r.now;
    r.link.state.record = Some(Fresh::new(RecordState::Recording, t0));
    r.link.state.recording_since = Some(t0);
    r.advance(Duration::from_secs(5));
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[262.0]));
    assert_eq!(video_status(&out).map(|v| v.0), Some(1));
    // The camera goes away: recording is no longer claimed, its time no longer grows.
    r.link.health = LinkHealth::Lost;
    let out = r.link_event(LinkEvent::Health {
        from: LinkHealth::Up,
        to: LinkHealth::Lost,
    });
    assert_eq!(video_status(&out), Some((0, 0)));
    let out = r.advance(Duration::from_secs(20));
    assert!(out
        .iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::CAMERA_CAPTURE_STATUS(s)) => Some(s.video_status),
            _ => None,
        })
        .all(|v| v == 0));
    // Back through a reboot (Lost → Booting → Up): "Camera back", with the interruption.
    r.link.health = LinkHealth::Booting;
    let out = r.link_event(LinkEvent::Health {
        from: LinkHealth::Lost,
        to: LinkHealth::Booting,
    });
    assert!(texts(&out).is_empty(), "{:?}", texts(&out));
    r.link.health = LinkHealth::Up;
    let out = r.link_event(LinkEvent::Health {
        from: LinkHealth::Booting,
        to: LinkHealth::Up,
    });
    assert_eq!(
        texts(&out),
        ["Camera back after 20 s: recording was interrupted"]
    );
    // Back again later without recording: plain "Camera back", once.
    r.link.state.record = Some(Fresh::new(RecordState::NotRecording, r.now));
    r.link.health = LinkHealth::Lost;
    r.link_event(LinkEvent::Health {
        from: LinkHealth::Up,
        to: LinkHealth::Lost,
    });
    r.link.health = LinkHealth::Up;
    let out = r.link_event(LinkEvent::Health {
        from: LinkHealth::Lost,
        to: LinkHealth::Up,
    });
    assert_eq!(texts(&out), ["Camera back after 0 s"]);
}

#[test]
fn a_reboot_while_recording_is_reported() {
    let mut r = Rig::ready();
    r.link.state.record = Some(Fresh::new(RecordState::Recording, r.now));
    r.link.health = LinkHealth::Booting;
    let out = r.link_event(LinkEvent::Rebooted);
    assert_eq!(
        texts(&out),
        ["Camera rebooted while recording: recording stopped"]
    );
    r.link.state.record = Some(Fresh::new(RecordState::NotRecording, r.now));
    let out = r.link_event(LinkEvent::Rebooted);
    assert_eq!(texts(&out), ["Camera rebooted"]);
}

#[test]
fn a_simulated_camera_says_so() {
    let mut r = rig_with(CameraConfig {
        system_id: Some(1),
        simulated: true,
        ..CameraConfig::default()
    });
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.0]));
    let Some(MavMessage::CAMERA_INFORMATION(i)) =
        find(&out, "CAMERA_INFORMATION").and_then(Transmit::mav)
    else {
        panic!()
    };
    let name: Vec<u8> = i
        .model_name
        .iter()
        .copied()
        .take_while(|b| *b != 0)
        .collect();
    assert_eq!(String::from_utf8_lossy(&name), "A8 mini (simulated)");
}

#[test]
fn a_silent_camera_is_warned_about_at_a_backing_off_rate() {
    #[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
    let t0 = Instant::now();
    let link = SiyiLink::new(LinkConfig::default(), t0);
    let cam = CameraComponent::new(CameraConfig::default(), t0);
    let mut b = Bridge::new(link, cam, t0);
    let mut now = t0;
    let end = t0 + Duration::from_secs(300);
    let mut warnings = Vec::new();
    let mut wakeups = 0;
    while let Some(next) = b.poll_timeout().filter(|t| *t <= end) {
        now = next.max(now);
        b.handle_timeout(now, 0);
        while b.poll_mavlink().is_some() || b.poll_siyi().is_some() {}
        while let Some(ev) = b.poll_event() {
            if let BridgeEvent::CameraSilent {
                silent_for,
                ever_heard,
            } = ev
            {
                assert!(!ever_heard);
                warnings.push(silent_for.as_secs());
            }
        }
        wakeups += 1;
        assert!(wakeups < 100_000, "spin");
    }
    // First at 5 s (not after 30 s of nothing), then backing off to once a minute.
    assert_eq!(warnings.first(), Some(&5));
    assert_eq!(&warnings[..5], &[5, 10, 20, 40, 80]);
    assert!(warnings.len() <= 9, "{warnings:?}");
    assert!(
        warnings.windows(2).all(|w| w[1] - w[0] <= 60),
        "{warnings:?}"
    );
}

/// Our own messages looped back by a router (same system and component id as ours) are not
/// commands to us: answering them would echo forever between two bridges or through a loop.
#[test]
fn our_own_looped_back_messages_are_ignored() {
    let mut r = Rig::ready();
    let ours = (r.cam().system_id(), r.cam().component_id());
    let out = r.feed(
        ours,
        GCS_LINK,
        MavMessage::COMMAND_LONG(mavlink::dialects::common::COMMAND_LONG_DATA {
            param3: 1.0,
            command: MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
            target_system: 1,
            target_component: 100,
            ..mavlink::dialects::common::COMMAND_LONG_DATA::DEFAULT
        }),
    );
    assert!(out.is_empty(), "{}", names(&out).join(","));
    assert!(r.link.started.is_empty());
    // The same from the GCS is a command.
    let out = r.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, p(&[0.0, 0.0, 1.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_IN_PROGRESS);
}

/// Float parameters that must be whole numbers are refused, not truncated (issue 8).
#[test]
fn fractional_ids_and_types_are_denied() {
    let mut r = Rig::ready();
    let out = r.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[259.7]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    let out = r.command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, p(&[1.9, 50.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    let out = r.command(MavCmd::MAV_CMD_SET_CAMERA_MODE, p(&[0.0, 0.5]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_DENIED);
    assert!(r.link.started.is_empty());
    // Whole numbers still work.
    let out = r.command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, p(&[1.0, 50.0]));
    assert_eq!(result_of(&out), MavResult::MAV_RESULT_ACCEPTED);
}
