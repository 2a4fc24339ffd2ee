//! MAVLink frames a test ground station sends and reads: message builders and a datagram
//! decoder. No sockets and no runtime, so the blocking benchmarks (`benches/common`) share it.
#![allow(dead_code, unreachable_pub)] // each test or bench binary uses a part

use mavlink::dialects::common::{
    MavAutopilot, MavCmd, MavMessage, MavModeFlag, MavState, MavType, COMMAND_LONG_DATA,
    HEARTBEAT_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::mavlink::wire::{FrameSplitter, RawFrame};
use siyi_bridge::core::mavlink::Inbound;

/// System id the test GCS sends with.
pub const GCS_SYSTEM: u8 = 255;
/// Component id the test GCS sends with (MAV_COMP_ID_MISSIONPLANNER).
pub const GCS_COMPONENT: u8 = 190;

/// A GCS heartbeat.
pub fn heartbeat() -> MavMessage {
    MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    })
}

/// COMMAND_LONG to the camera component (100) of `target_system`, confirmation 0.
pub fn command_long(command: MavCmd, p: [f32; 7], target_system: u8) -> MavMessage {
    MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        param1: p[0],
        param2: p[1],
        param3: p[2],
        param4: p[3],
        param5: p[4],
        param6: p[5],
        param7: p[6],
        command,
        target_system,
        target_component: 100,
        confirmation: 0,
    })
}

/// Seven command parameters from the first few (the rest 0).
pub fn p(v: &[f32]) -> [f32; 7] {
    let mut a = [0.0; 7];
    a[..v.len()].copy_from_slice(v);
    a
}

/// True for the camera's own heartbeat.
pub fn is_camera_heartbeat(m: &MavMessage) -> bool {
    matches!(m, MavMessage::HEARTBEAT(h) if h.mavtype == MavType::MAV_TYPE_CAMERA)
}

/// One unsigned MAVLink 2 frame from system `sys` (component 190).
pub fn wire(sys: u8, seq: u8, msg: &MavMessage) -> Vec<u8> {
    let mut buf = Vec::with_capacity(64);
    let h = MavHeader {
        system_id: u32::from(sys),
        component_id: GCS_COMPONENT,
        sequence: seq,
    };
    mavlink::write_v2_msg(&mut buf, h, msg).expect("encode");
    buf
}

/// Every CRC-checked frame of one datagram, with its `common` message when it is one.
pub fn frames(datagram: &[u8]) -> Vec<(RawFrame, Option<MavMessage>)> {
    let mut s = FrameSplitter::default();
    s.push_datagram(datagram);
    let mut out = Vec::new();
    while let Some(f) = s.next_frame() {
        let m = match Inbound::from_payload(f.version, f.msg_id, &f.payload) {
            Inbound::Message(m) => Some(m),
            _ => None,
        };
        out.push((f, m));
    }
    out
}

/// The `common` messages of one datagram.
pub fn messages(datagram: &[u8]) -> Vec<MavMessage> {
    frames(datagram)
        .into_iter()
        .filter_map(|(_, m)| m)
        .collect()
}
