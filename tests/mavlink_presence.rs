//! What the bridge sends before it knows its system id, and another component heartbeating with
//! its ids (issue 21, found through PX4): the whole core against the simulator, on virtual time.
//!
//! * `--sysid` unset: until an autopilot heartbeats, only HEARTBEATs (and answers) go out; the
//!   status streams start once PX4 is heard, all with PX4's id; alone, after 3 s, as system 1.
//! * A HEARTBEAT with our ids that is not our own echo (other sequence numbers) is a second
//!   component (the A8 mini's own MAVLink output): said once in a STATUSTEXT, with what to change.

mod camera_common;

use std::time::Duration;

use camera_common::FakeLink;
use mavlink::dialects::common::{
    MavAutopilot, MavCmd, MavMessage, MavState, MavType, HEARTBEAT_DATA,
};
use mavlink::{MavHeader, Message};
use siyi_bridge::core::camera::CameraConfig;
use siyi_bridge::core::gimbal::{GimbalComponent, GimbalConfig};
use siyi_bridge::core::link::LinkConfig;
use siyi_bridge::core::mavlink::{Inbound, Transmit, STARTUP_HOLD};
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;

const PX4_PEER: u32 = 7;

fn world(seed: u64) -> SimWorld {
    let now = FakeLink::t0();
    let mut w = SimWorld::with(
        CameraConfig::default(),
        LinkConfig::default(),
        SimConfig::default(),
        now,
        seed,
    );
    w.bridge
        .set_gimbal(GimbalComponent::new(GimbalConfig::default(), now));
    w
}

fn px4_heartbeat(w: &mut SimWorld, system: u8) {
    let msg = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        mavtype: MavType::MAV_TYPE_QUADROTOR,
        autopilot: MavAutopilot::MAV_AUTOPILOT_PX4,
        system_status: MavState::MAV_STATE_STANDBY,
        ..HEARTBEAT_DATA::DEFAULT
    });
    let header = MavHeader {
        system_id: u32::from(system),
        component_id: 1,
        sequence: 0,
    };
    w.mavlink(PX4_PEER, header, &Inbound::Message(msg));
}

fn name(t: &Transmit) -> &'static str {
    t.mav().map_or("?", |m| m.message_name())
}

#[test]
fn before_px4_is_heard_only_heartbeats_then_everything_as_px4s_system() {
    let mut w = world(1);
    w.run(Duration::from_millis(2_500));
    let early: Vec<_> = w.out.drain(..).collect();
    assert!(early.iter().any(|t| name(t) == "HEARTBEAT"));
    let unsolicited: Vec<_> = early
        .iter()
        .filter(|t| name(t) != "HEARTBEAT")
        .map(|t| (name(t), t.system_id, t.component_id))
        .collect();
    assert!(
        unsolicited.is_empty(),
        "sent before PX4 was heard: {unsolicited:?}"
    );
    // PX4 on system 7 heartbeats: the streams start, all as 7.
    px4_heartbeat(&mut w, 7);
    w.run(Duration::from_millis(2_000));
    let later: Vec<_> = w.out.drain(..).collect();
    for want in [
        "GIMBAL_DEVICE_ATTITUDE_STATUS",
        "GIMBAL_MANAGER_STATUS",
        "HEARTBEAT",
    ] {
        assert!(later.iter().any(|t| name(t) == want), "no {want}");
    }
    let wrong: Vec<_> = later
        .iter()
        .filter(|t| t.system_id != 7)
        .map(|t| (name(t), t.system_id))
        .collect();
    assert!(wrong.is_empty(), "not as system 7: {wrong:?}");
}

#[test]
fn alone_the_bridge_streams_as_system_1_after_the_hold() {
    let mut w = world(2);
    w.run(STARTUP_HOLD - Duration::from_millis(50));
    assert!(w.out.drain(..).all(|t| name(&t) == "HEARTBEAT"));
    w.run(Duration::from_millis(1_100));
    let out: Vec<_> = w.out.drain(..).collect();
    assert!(out
        .iter()
        .any(|t| name(t) == "GIMBAL_DEVICE_ATTITUDE_STATUS" && t.system_id == 1));
    assert!(w.bridge.gimbal().unwrap().host().stats().held_before_id > 0);
}

#[test]
fn a_command_ends_the_hold_of_the_component_it_is_for() {
    let mut w = world(3);
    w.run(Duration::from_millis(1_200));
    assert!(w.out.drain(..).all(|t| name(&t) == "HEARTBEAT"));
    w.gcs_heartbeat();
    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [259.0, 0., 0., 0., 0., 0., 0.],
    );
    w.run(Duration::from_millis(500));
    let out: Vec<_> = w.out.drain(..).collect();
    // Answered, and the camera's streams start at once (1.7 s, within the hold), as system 1;
    // the gimbal, not commanded, still waits.
    assert!(out
        .iter()
        .any(|t| name(t) == "COMMAND_ACK" && t.system_id == 1));
    assert!(!out
        .iter()
        .any(|t| name(t) == "GIMBAL_DEVICE_ATTITUDE_STATUS"));
    assert!(w.now - FakeLink::t0() < STARTUP_HOLD);
}

/// PX4 asks every gimbal for GIMBAL_DEVICE_INFORMATION by a broadcast command, sometimes before
/// its first heartbeat reaches us: answered, but the hold stays until the heartbeat gives the
/// system id, so no stream goes out as system 1 for PX4 to forward.
#[test]
fn an_autopilots_broadcast_command_does_not_end_the_hold() {
    let mut w = world(4);
    w.run(Duration::from_millis(1_200));
    assert!(w.out.drain(..).all(|t| name(&t) == "HEARTBEAT"));
    let ask = MavMessage::COMMAND_LONG(mavlink::dialects::common::COMMAND_LONG_DATA {
        command: MavCmd::MAV_CMD_REQUEST_MESSAGE,
        param1: 283.0, // GIMBAL_DEVICE_INFORMATION
        target_system: 0,
        target_component: 0,
        ..Default::default()
    });
    let header = MavHeader {
        system_id: 7,
        component_id: 1,
        sequence: 0,
    };
    w.mavlink(PX4_PEER, header, &Inbound::Message(ask));
    w.run(Duration::from_millis(500));
    let out: Vec<_> = w.out.drain(..).collect();
    let streams: Vec<_> = out
        .iter()
        .filter(|t| {
            name(t) == "GIMBAL_DEVICE_ATTITUDE_STATUS" || name(t) == "GIMBAL_MANAGER_STATUS"
        })
        .map(|t| (name(t), t.system_id))
        .collect();
    assert!(
        streams.is_empty(),
        "streams before PX4's heartbeat: {streams:?}"
    );
    // Its heartbeat: everything, as system 7.
    px4_heartbeat(&mut w, 7);
    w.run(Duration::from_millis(500));
    let out: Vec<_> = w.out.drain(..).collect();
    assert!(out
        .iter()
        .any(|t| name(t) == "GIMBAL_DEVICE_ATTITUDE_STATUS" && t.system_id == 7));
    assert!(w.now - FakeLink::t0() < STARTUP_HOLD);
}

fn own_heartbeat(w: &SimWorld, component: u8) -> (HEARTBEAT_DATA, u8) {
    let (i, _) = (w.out.iter().enumerate())
        .rev()
        .find(|(_, t)| t.component_id == component && name(t) == "HEARTBEAT")
        .expect("a heartbeat of ours");
    let Some(MavMessage::HEARTBEAT(hb)) = w.out[i].mav() else {
        unreachable!()
    };
    (hb.clone(), w.sequences[i].1)
}

fn statustexts(w: &mut SimWorld) -> Vec<String> {
    w.take()
        .into_iter()
        .filter_map(|m| match m {
            MavMessage::STATUSTEXT(s) => Some(String::from_utf8_lossy(&s.text.to_vec()).into()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_second_component_100_is_said_once_and_our_echo_is_not() {
    let mut w = world(4);
    px4_heartbeat(&mut w, 1);
    w.run(Duration::from_millis(1_500));
    // Our own heartbeat looped back (same content, our sequence number): nothing said.
    let (hb, seq) = own_heartbeat(&w, 100);
    let header = |sequence| MavHeader {
        system_id: 1,
        component_id: 100,
        sequence,
    };
    w.out.clear();
    w.mavlink(
        PX4_PEER,
        header(seq),
        &Inbound::Message(MavMessage::HEARTBEAT(hb.clone())),
    );
    w.run(Duration::from_millis(200));
    assert!(statustexts(&mut w).is_empty());
    assert_eq!(w.bridge.camera().host().stats().rival_heartbeats, 0);
    // The A8 mini's own MAVLink output: a heartbeat just like ours, its own numbers, at 1 Hz.
    let mut said = Vec::new();
    for k in 0..20u8 {
        px4_heartbeat(&mut w, 1);
        let theirs = seq.wrapping_add(100).wrapping_add(k);
        w.mavlink(
            PX4_PEER,
            header(theirs),
            &Inbound::Message(MavMessage::HEARTBEAT(hb.clone())),
        );
        w.run(Duration::from_secs(1));
        said.extend(statustexts(&mut w));
    }
    let all: String = said.iter().map(|t| t.trim_end_matches('\0')).collect();
    assert_eq!(
        all.matches("component 1/100 heartbeats").count(),
        1,
        "said once: {said:?}"
    );
    assert!(
        all.contains("--compid") && all.contains("MAVLink output"),
        "{all}"
    );
    assert!(w.bridge.camera().host().stats().rival_heartbeats >= 19);
}
