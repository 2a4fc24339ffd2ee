//! Fuzz entry points of the MAVLink trust surfaces (issue 19): FTP payloads from several
//! senders, and PARAM_EXT messages with any id, value and type. Both drive the core directly on
//! virtual time (no simulator), so a run is microseconds and a fuzzer gets millions of inputs.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    MavAutopilot, MavMessage, MavModeFlag, MavState, MavType, FILE_TRANSFER_PROTOCOL_DATA,
    HEARTBEAT_DATA,
};
use mavlink::{MavHeader, MavlinkVersion};
use siyi_protocol::{EncodingParams, MotionMode, RecordState, StreamType, VideoCodec, Zoom};

use crate::core::camera::{CameraComponent, CameraConfig, Inbound, Target};
use crate::core::link::{
    CameraState, FailReason, Fresh, LinkControl, LinkEvent, LinkHealth, OpId, OpOutcome, Operation,
    Owner, ZoomSource,
};
use crate::core::mavlink::{Host, HostConfig, PeerId};
use crate::core::settings::definition;
use crate::core::settings::ftp::payload::{opcode, PAYLOAD_BYTES};
use crate::core::settings::ftp::{
    frame_bytes_in, frame_bytes_out, BYTES_OUT_PER_BYTE_IN, FTP_RATE, MAX_BURST_REPLIES,
    MAX_SESSIONS,
};

/// The FTP senders: (link, system, component, heartbeats). Two components of one system on one
/// link, another system on another link, and a spoofed source that never heartbeats.
const SENDERS: [(PeerId, u8, u8, bool); 4] = [
    (7, 255, 190, true),
    (7, 255, 191, true),
    (8, 250, 1, true),
    (9, 42, 1, false),
];

fn gcs_heartbeat() -> Inbound {
    Inbound::Message(MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    }))
}

fn header(system: u8, component: u8) -> MavHeader {
    MavHeader {
        system_id: u32::from(system),
        component_id: component,
        sequence: 0,
    }
}

/// The FTP server of the camera on a series of requests. The input is records of 1 + 251
/// bytes: a control byte (bits 0–1 the sender of [`SENDERS`], bits 2–7 × 10 ms of virtual time
/// before it) and the FILE_TRANSFER_PROTOCOL payload (zero-padded).
///
/// # Panics
/// When a reply goes to another peer or sender; a request gets more than
/// [`MAX_BURST_REPLIES`] replies; the source that never heartbeats gets more than
/// [`BYTES_OUT_PER_BYTE_IN`] bytes per request byte; a peer draws more than [`FTP_RATE`]
/// allows; a sender that never opened a session reads file data (another's session); or more
/// than [`MAX_SESSIONS`] sessions are open.
pub fn ftp_payloads(data: &[u8]) {
    let t0 = Instant::now();
    let config = HostConfig {
        system_id: Some(1),
        component_id: 100,
        dedupe_window: Duration::from_secs(3),
        allowed_systems: Vec::new(),
    };
    let mut host = Host::new(config, t0);
    let mut ftp = definition::ftp_server();
    let mut now = t0;
    let mut opened = [false; SENDERS.len()];
    let mut drawn: HashMap<PeerId, u64> = HashMap::new();
    for record in data.chunks(1 + PAYLOAD_BYTES) {
        let Some((&ctl, rest)) = record.split_first() else {
            break;
        };
        now += Duration::from_millis(u64::from(ctl >> 2) * 10);
        let who = usize::from(ctl & 3);
        let Some(&(peer, system, component, beats)) = SENDERS.get(who) else {
            break;
        };
        for (p, s, c, b) in SENDERS {
            if b {
                let _ = host.accept(now, p, header(s, c), &gcs_heartbeat(), |_| false);
            }
        }
        while host.poll_transmit().is_some() {}
        let mut payload = [0u8; PAYLOAD_BYTES];
        for (to, from) in payload.iter_mut().zip(rest) {
            *to = *from;
        }
        let msg = FILE_TRANSFER_PROTOCOL_DATA {
            target_network: 0,
            target_system: 1,
            target_component: 100,
            payload,
        };
        ftp.handle_message(now, &mut host, peer, header(system, component), &msg);
        let (mut replies, mut bytes) = (0usize, 0usize);
        while let Some(t) = host.poll_transmit() {
            let Some(MavMessage::FILE_TRANSFER_PROTOCOL(f)) = t.mav() else {
                continue;
            };
            assert_eq!(t.target, Target::Peer(peer), "an FTP reply to another peer");
            assert_eq!((f.target_system, f.target_component), (system, component));
            replies += 1;
            bytes += frame_bytes_out(&f.payload);
            let (op, req) = (f.payload[3], f.payload[5]);
            if op == opcode::ACK && req == opcode::OPEN_FILE_RO {
                opened[who] = true;
            }
            if op == opcode::ACK && (req == opcode::READ_FILE || req == opcode::BURST_READ_FILE) {
                assert!(opened[who], "sender {who} read a session it never opened");
            }
        }
        assert!(replies <= MAX_BURST_REPLIES, "{replies} replies");
        if !beats {
            let most = BYTES_OUT_PER_BYTE_IN * frame_bytes_in(&msg);
            assert!(bytes <= most, "{bytes} B to a source that never heartbeats");
        }
        let total = drawn.entry(peer).or_default();
        *total += bytes as u64;
        let budget = FTP_RATE.most_within(now.saturating_duration_since(t0));
        assert!(
            *total <= budget,
            "peer {peer} drew {total} B, budget {budget}"
        );
        assert!(ftp.open_sessions() <= MAX_SESSIONS);
    }
}

/// A SIYI link that knows every setting and starts what it is asked.
struct SettingsLink {
    state: CameraState,
    started: Vec<(OpId, Owner, Operation)>,
    next: u64,
}

impl SettingsLink {
    fn new(now: Instant) -> Self {
        let enc = |stream, width_px, height_px| {
            Some(EncodingParams {
                stream,
                codec: VideoCodec::H265,
                width_px,
                height_px,
                bitrate_kbps: 4000,
                framerate_fps: 30,
            })
        };
        let state = CameraState {
            model: Some(siyi_protocol::CameraModel::A8Mini),
            record: Some(Fresh::new(RecordState::NotRecording, now)),
            motion_mode: Some(Fresh::new(MotionMode::Follow, now)),
            zoom: Some((
                Fresh::new(Zoom::from_factor(1.0), now),
                ZoomSource::CurrentZoomReply,
            )),
            encodings: [
                enc(StreamType::Recording, 3840, 2160),
                enc(StreamType::Main, 1920, 1080),
                enc(StreamType::Sub, 1280, 720),
            ],
            startups: 1,
            ..CameraState::default()
        };
        Self {
            state,
            started: Vec::new(),
            next: 1,
        }
    }
}

impl LinkControl for SettingsLink {
    fn state(&self) -> &CameraState {
        &self.state
    }
    fn health(&self) -> LinkHealth {
        LinkHealth::Up
    }
    fn start(&mut self, _now: Instant, owner: Owner, op: Operation) -> OpId {
        let id = OpId(self.next);
        self.next += 1;
        if self.started.len() < 64 {
            self.started.push((id, owner, op));
        }
        id
    }
}

/// MAVLink ids of the messages [`param_ext_values`] sends.
const PARAM_EXT_IDS: [u32; 3] = [
    323, // PARAM_EXT_SET
    320, // PARAM_EXT_REQUEST_READ
    321, // PARAM_EXT_REQUEST_LIST
];
/// Bytes of one [`param_ext_values`] record: control byte + PARAM_EXT_SET's 147 payload bytes.
const PARAM_RECORD_BYTES: usize = 1 + 147;

/// The camera's PARAM_EXT service on a series of messages from a ground station (link 7). The
/// input is records of 1 + 147 bytes: a control byte (bits 0–1: PARAM_EXT_SET,
/// PARAM_EXT_REQUEST_READ, PARAM_EXT_REQUEST_LIST or "the oldest camera operation ends", with
/// bits 2–3 picking its outcome; bits 4–7 × 100 ms of virtual time after it) and the MAVLink 2
/// payload of the message (parsed as the bridge parses it: any id, value bytes and type).
///
/// # Panics
/// When a STATUSTEXT goes to every peer (what answers one sender goes to it only), or one
/// record makes more than 64 messages.
pub fn param_ext_values(data: &[u8]) {
    let t0 = Instant::now();
    let mut link = SettingsLink::new(t0);
    let mut cam = CameraComponent::new(CameraConfig::default(), t0);
    let mut now = t0;
    cam.handle_timeout(now, &mut link);
    while cam.poll_transmit().is_some() {}
    let check = |cam: &mut CameraComponent| {
        let mut n = 0;
        while let Some(t) = cam.poll_transmit() {
            n += 1;
            assert!(n <= 64, "one record made more than 64 messages");
            if let Some(MavMessage::STATUSTEXT(s)) = t.mav() {
                assert_ne!(t.target, Target::All, "STATUSTEXT to every peer: {s:?}");
            }
        }
        while cam.poll_event().is_some() {}
    };
    for record in data.chunks(PARAM_RECORD_BYTES) {
        let Some((&ctl, payload)) = record.split_first() else {
            break;
        };
        let utc_us = 1_800_000_000_000_000;
        match PARAM_EXT_IDS.get(usize::from(ctl & 3)) {
            Some(&id) => {
                let inbound = Inbound::from_payload(MavlinkVersion::V2, id, payload);
                // PARAM_EXT messages only: never a tracking command to hand on.
                let _ = cam.handle_mavlink(now, utc_us, 7, header(255, 190), &inbound, &mut link);
            }
            None if !link.started.is_empty() => {
                let (id, owner, op) = link.started.remove(0);
                let outcome = match (ctl >> 2) & 3 {
                    0 => OpOutcome::Succeeded { confirmed: true },
                    1 => OpOutcome::TimedOut,
                    2 => OpOutcome::Failed {
                        reason: FailReason::RecordingBusy,
                    },
                    _ => OpOutcome::Succeeded { confirmed: false },
                };
                let event = LinkEvent::OpFinished {
                    id,
                    owner,
                    op,
                    outcome,
                };
                cam.handle_link_event(now, &event, &mut link);
            }
            None => {}
        }
        check(&mut cam);
        now += Duration::from_millis(u64::from(ctl >> 4) * 100);
        cam.handle_timeout(now, &mut link);
        check(&mut cam);
    }
}
