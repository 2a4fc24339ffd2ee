//! The camera settings over PARAM_EXT, whole system on virtual time: the bridge (real SIYI link
//! and camera component) against the simulated A8 mini. Values must come from the camera,
//! changes must be confirmed by reading the camera back, and refused values must never reach
//! the camera.

use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    CameraMode, MavCmd, MavMessage, MavParamExtType, ParamAck, PARAM_EXT_ACK_DATA,
    PARAM_EXT_REQUEST_LIST_DATA, PARAM_EXT_REQUEST_READ_DATA, PARAM_EXT_SET_DATA,
    PARAM_EXT_VALUE_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::camera::{Inbound, Target};
use siyi_bridge::core::link::LinkControl as _;
use siyi_bridge::core::settings::IN_PROGRESS_AFTER;
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;
use siyi_protocol::{CmdId, FunctionType, MotionMode, Request, VideoCodec};

const UINT32: MavParamExtType = MavParamExtType::MAV_PARAM_EXT_TYPE_UINT32;

#[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
fn t0() -> Instant {
    Instant::now()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A world whose camera is up and has answered 0x0A and 0x20 for every stream.
fn world_with(sim: SimConfig) -> SimWorld {
    let mut w = SimWorld::new(sim, t0());
    w.run(secs(8));
    assert!(
        w.bridge
            .link()
            .state()
            .encodings
            .iter()
            .all(Option::is_some),
        "the link reads the three streams' encodings at start"
    );
    w.take();
    w
}

fn world() -> SimWorld {
    world_with(SimConfig::instant_boot())
}

fn gcs() -> MavHeader {
    MavHeader {
        system_id: 255,
        component_id: 190,
        sequence: 0,
    }
}

fn send(w: &mut SimWorld, msg: MavMessage) {
    w.mavlink(SimWorld::GCS_PEER, gcs(), &Inbound::Message(msg));
}

fn list(w: &mut SimWorld) {
    send(
        w,
        MavMessage::PARAM_EXT_REQUEST_LIST(PARAM_EXT_REQUEST_LIST_DATA {
            target_system: 1,
            target_component: 100,
        }),
    );
}

fn read(w: &mut SimWorld, id: &str, index: i16) {
    send(
        w,
        MavMessage::PARAM_EXT_REQUEST_READ(PARAM_EXT_REQUEST_READ_DATA {
            param_index: index,
            target_system: 1,
            target_component: 100,
            param_id: id.into(),
        }),
    );
}

fn set_typed(w: &mut SimWorld, id: &str, value: u32, param_type: MavParamExtType) {
    let mut raw = [0u8; 128];
    raw[..4].copy_from_slice(&value.to_le_bytes());
    send(
        w,
        MavMessage::PARAM_EXT_SET(PARAM_EXT_SET_DATA {
            target_system: 1,
            target_component: 100,
            param_id: id.into(),
            param_value: raw.into(),
            param_type,
        }),
    );
}

fn set(w: &mut SimWorld, id: &str, value: u32) {
    set_typed(w, id, value, UINT32);
}

fn u32_of(raw: &[u8; 128]) -> u32 {
    u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])
}

/// What the bridge sent since last asked, split by kind.
#[derive(Default)]
struct Out {
    values: Vec<(Target, PARAM_EXT_VALUE_DATA)>,
    acks: Vec<(Target, PARAM_EXT_ACK_DATA)>,
    texts: Vec<String>,
    settings_modes: Vec<CameraMode>,
}

impl Out {
    fn take(w: &mut SimWorld) -> Self {
        let mut out = Self::default();
        for t in w.out.drain(..) {
            match t.mav() {
                Some(MavMessage::PARAM_EXT_VALUE(v)) => out.values.push((t.target, v.clone())),
                Some(MavMessage::PARAM_EXT_ACK(a)) => out.acks.push((t.target, a.clone())),
                Some(MavMessage::STATUSTEXT(s)) => out.texts.push(
                    String::from_utf8_lossy(&s.text[..])
                        .trim_end_matches('\0')
                        .to_owned(),
                ),
                Some(MavMessage::CAMERA_SETTINGS(s)) => out.settings_modes.push(s.mode_id),
                _ => {}
            }
        }
        out
    }

    /// Every STATUSTEXT chunk, joined (long texts come in chunks).
    fn text(&self) -> String {
        self.texts.concat()
    }

    fn value(&self, id: &str) -> Option<u32> {
        let v = self
            .values
            .iter()
            .rev()
            .find(|(_, v)| v.param_id.to_str() == Ok(id));
        v.map(|(_, v)| u32_of(&v.param_value))
    }

    fn acks_of(&self, id: &str) -> Vec<(ParamAck, u32)> {
        (self.acks.iter())
            .filter(|(_, a)| a.param_id.to_str() == Ok(id))
            .map(|(_, a)| (a.param_result, u32_of(&a.param_value)))
            .collect()
    }

    fn final_ack(&self, id: &str) -> (ParamAck, u32) {
        let acks = self.acks_of(id);
        let finals: Vec<_> = (acks.iter())
            .filter(|(r, _)| *r != ParamAck::PARAM_ACK_IN_PROGRESS)
            .collect();
        assert_eq!(finals.len(), 1, "one final ack for {id}: {acks:?}");
        *finals[0]
    }
}

#[test]
fn the_list_has_all_six_with_the_cameras_values() {
    // The camera's own motion mode (Lock) differs from the definition's default (Follow).
    let mut w = world_with(SimConfig {
        motion_mode: MotionMode::Lock,
        ..SimConfig::instant_boot()
    });
    list(&mut w);
    let out = Out::take(&mut w);
    assert_eq!(out.values.len(), 6, "one PARAM_EXT_VALUE per parameter");
    let mut indices: Vec<u16> = out.values.iter().map(|(_, v)| v.param_index).collect();
    indices.sort_unstable();
    assert_eq!(indices, [0, 1, 2, 3, 4, 5]);
    for (target, v) in &out.values {
        assert_eq!(v.param_count, 6);
        assert_eq!(v.param_type, UINT32);
        assert_eq!(
            *target,
            Target::Peer(SimWorld::GCS_PEER),
            "answered to who asked"
        );
        assert!(v.param_value[4..].iter().all(|b| *b == 0));
    }
    let expected = [
        ("CAM_MODE", 0),
        ("GIMBAL_MODE", 0),
        ("STREAM_RES", 0),
        ("STREAM_BITRATE", 4000),
        ("STREAM_CODEC", 2),
        ("REC_RES", 2),
    ];
    for (index, (id, value)) in expected.into_iter().enumerate() {
        assert_eq!(out.value(id), Some(value), "{id}");
        let v = out
            .values
            .iter()
            .find(|(_, v)| v.param_id.to_str() == Ok(id));
        assert_eq!(v.map(|(_, v)| v.param_index), Some(index as u16), "{id}");
    }
}

#[test]
fn values_the_camera_has_not_reported_are_not_invented() {
    // The camera boots for 20 s: only CAM_MODE (the component's own mode) is known.
    let mut w = SimWorld::new(SimConfig::default(), t0());
    w.run(secs(1));
    w.take();
    list(&mut w);
    let out = Out::take(&mut w);
    assert_eq!(out.values.len(), 1, "only CAM_MODE is known");
    assert_eq!(out.value("CAM_MODE"), Some(0));
    // Once the camera answers, the values asked for are sent to everybody.
    w.run(secs(30));
    let out = Out::take(&mut w);
    for (id, value) in [
        ("GIMBAL_MODE", 1),
        ("STREAM_RES", 0),
        ("STREAM_BITRATE", 4000),
        ("STREAM_CODEC", 2),
        ("REC_RES", 2),
    ] {
        assert_eq!(
            out.value(id),
            Some(value),
            "{id} sent once the camera reported it"
        );
    }
    assert!(out.values.iter().all(|(t, _)| *t == Target::All));
    assert_eq!(out.value("CAM_MODE"), None, "CAM_MODE was answered already");
}

#[test]
fn read_by_id_and_by_index() {
    let mut w = world();
    read(&mut w, "STREAM_BITRATE", -1);
    let out = Out::take(&mut w);
    assert_eq!(out.values.len(), 1);
    assert_eq!(out.value("STREAM_BITRATE"), Some(4000));
    assert_eq!(out.values[0].1.param_index, 3);
    // By index: the id is ignored.
    read(&mut w, "CAM_MODE", 5);
    let out = Out::take(&mut w);
    assert_eq!(out.values.len(), 1);
    assert_eq!(out.value("REC_RES"), Some(2));
    // Unknown id or index: no answer.
    read(&mut w, "ISO", -1);
    read(&mut w, "", 6);
    assert!(Out::take(&mut w).values.is_empty());
}

#[test]
fn each_setting_changes_on_the_camera_and_is_read_back() {
    let mut w = world();
    let cases = [
        ("GIMBAL_MODE", 2),
        ("STREAM_RES", 1),
        ("STREAM_BITRATE", 3000),
        ("REC_RES", 1),
        ("CAM_MODE", 1),
    ];
    for (id, value) in cases {
        set(&mut w, id, value);
        w.run(secs(4));
        let out = Out::take(&mut w);
        assert_eq!(
            out.final_ack(id),
            (ParamAck::PARAM_ACK_ACCEPTED, value),
            "{id}"
        );
        assert!(out.texts.is_empty(), "{id}: {:?}", out.texts);
        read(&mut w, id, -1);
        assert_eq!(Out::take(&mut w).value(id), Some(value), "{id} read back");
    }
    let sim = w.sim.state();
    assert_eq!(sim.motion_mode, MotionMode::Fpv);
    let main = sim.encoding[1];
    assert_eq!(
        (main.width_px, main.height_px, main.bitrate_kbps),
        (1280, 720, 3000)
    );
    assert_eq!(
        (sim.encoding[0].width_px, sim.encoding[0].height_px),
        (2560, 1440)
    );
    // One 0x21 per encoding change, each followed by a re-read.
    assert_eq!(w.sent_to_camera(CmdId::SET_ENCODING), 3);
}

#[test]
fn a_bitrate_the_camera_refuses_fails_with_the_old_value() {
    let mut w = world();
    // Inside the definition's range, but the A8 takes 2000–4000 kbps at 1920x1080.
    set(&mut w, "STREAM_BITRATE", 1800);
    w.run(secs(4));
    let out = Out::take(&mut w);
    assert_eq!(
        out.final_ack("STREAM_BITRATE"),
        (ParamAck::PARAM_ACK_FAILED, 4000)
    );
    assert_eq!(
        out.value("STREAM_BITRATE"),
        Some(4000),
        "the GCS is told the camera's value"
    );
    assert!(
        out.text()
            .contains("refused main stream 1920x1080 H.265 1800 kbps"),
        "{:?}",
        out.texts
    );
    assert_eq!(w.sim.state().encoding[1].bitrate_kbps, 4000);
    assert_eq!(w.sent_to_camera(CmdId::SET_ENCODING), 1);
    // At 1280x720 the same bitrate is taken.
    set(&mut w, "STREAM_RES", 1);
    set(&mut w, "STREAM_BITRATE", 1800);
    w.run(secs(6));
    let out = Out::take(&mut w);
    assert_eq!(
        out.final_ack("STREAM_RES"),
        (ParamAck::PARAM_ACK_ACCEPTED, 1)
    );
    assert_eq!(
        out.final_ack("STREAM_BITRATE"),
        (ParamAck::PARAM_ACK_ACCEPTED, 1800)
    );
    assert_eq!(w.sim.state().encoding[1].bitrate_kbps, 1800);
}

#[test]
fn refused_requests_never_reach_the_camera() {
    let mut w = world();
    let before = w.to_camera.len();
    // Unknown id: FAILED, nothing else.
    set(&mut w, "ISO", 100);
    let out = Out::take(&mut w);
    assert_eq!(out.final_ack("ISO").0, ParamAck::PARAM_ACK_FAILED);
    assert!(out.values.is_empty());
    // Wrong type: FAILED with the current value.
    set_typed(
        &mut w,
        "STREAM_BITRATE",
        3000,
        MavParamExtType::MAV_PARAM_EXT_TYPE_REAL32,
    );
    let out = Out::take(&mut w);
    assert_eq!(
        out.final_ack("STREAM_BITRATE"),
        (ParamAck::PARAM_ACK_FAILED, 4000)
    );
    // Not an option, or outside the range: VALUE_UNSUPPORTED with the current value.
    for (id, bad, current) in [
        ("STREAM_BITRATE", 5000, 4000),
        ("STREAM_BITRATE", 1000, 4000),
        ("STREAM_CODEC", 3, 2),
        ("STREAM_RES", 2, 0),
        ("REC_RES", 4, 2),
        ("GIMBAL_MODE", 3, 1),
        ("CAM_MODE", 2, 0),
    ] {
        set(&mut w, id, bad);
        let out = Out::take(&mut w);
        assert_eq!(
            out.final_ack(id),
            (ParamAck::PARAM_ACK_VALUE_UNSUPPORTED, current),
            "{id} = {bad}"
        );
    }
    let sent: Vec<CmdId> = w.to_camera[before..].to_vec();
    assert!(
        !sent
            .iter()
            .any(|c| *c == CmdId::SET_ENCODING || *c == CmdId::FUNCTION),
        "nothing refused reached the camera: {sent:?}"
    );
    assert_eq!(w.sim.state().encoding[1].bitrate_kbps, 4000);
}

#[test]
fn a_camera_that_stops_answering_mid_change_fails_after_the_timeout() {
    let mut w = world();
    w.wire_up = false;
    set(&mut w, "STREAM_BITRATE", 3000);
    w.run(Duration::from_millis(1000));
    let out = Out::take(&mut w);
    assert!(
        out.acks.is_empty(),
        "no verdict while the camera may still answer"
    );
    // 0x21 is tried 3 times, 500 ms each: the answer comes before QGC's 3 s write timeout.
    w.run(Duration::from_millis(1500));
    let out = Out::take(&mut w);
    assert_eq!(
        out.final_ack("STREAM_BITRATE"),
        (ParamAck::PARAM_ACK_FAILED, 4000)
    );
    assert!(out.text().contains("did not answer"), "{:?}", out.texts);
    w.wire_up = true;
    w.run(secs(2));
    assert_eq!(w.sim.state().encoding[1].bitrate_kbps, 4000);
}

#[test]
fn a_change_the_camera_takes_long_to_show_is_in_progress_then_failed() {
    // The camera ignores 0x0C: the motion mode never changes.
    let mut w = world_with(SimConfig {
        unanswered: [0x0C].into(),
        ..SimConfig::instant_boot()
    });
    set(&mut w, "GIMBAL_MODE", 0);
    w.run(IN_PROGRESS_AFTER + Duration::from_millis(100));
    let out = Out::take(&mut w);
    assert_eq!(
        out.acks_of("GIMBAL_MODE"),
        [(ParamAck::PARAM_ACK_IN_PROGRESS, 1)],
        "still running after 2 s: IN_PROGRESS, no verdict"
    );
    w.run(secs(4));
    let out = Out::take(&mut w);
    assert_eq!(
        out.final_ack("GIMBAL_MODE"),
        (ParamAck::PARAM_ACK_FAILED, 1)
    );
    assert_eq!(out.value("GIMBAL_MODE"), Some(1));
    assert!(
        out.text().contains("GIMBAL_MODE Lock: it reads Follow"),
        "{:?}",
        out.texts
    );
}

#[test]
fn a_repeated_set_is_not_sent_twice_while_in_flight() {
    let mut w = world_with(SimConfig {
        reply_delay_ms: 300,
        ..SimConfig::instant_boot()
    });
    set(&mut w, "STREAM_BITRATE", 3000);
    set(&mut w, "STREAM_BITRATE", 3000);
    let out = Out::take(&mut w);
    assert_eq!(
        out.acks_of("STREAM_BITRATE"),
        [(ParamAck::PARAM_ACK_IN_PROGRESS, 4000)],
        "the retry is told the change is in progress"
    );
    // Another value for the same setting meanwhile is refused, not queued behind.
    set(&mut w, "STREAM_BITRATE", 2500);
    assert_eq!(
        Out::take(&mut w).final_ack("STREAM_BITRATE").0,
        ParamAck::PARAM_ACK_FAILED
    );
    w.run(secs(4));
    let out = Out::take(&mut w);
    assert_eq!(
        out.final_ack("STREAM_BITRATE"),
        (ParamAck::PARAM_ACK_ACCEPTED, 3000)
    );
    assert_eq!(w.sent_to_camera(CmdId::SET_ENCODING), 1);
}

#[test]
fn cam_mode_and_set_camera_mode_are_one_mode() {
    let mut w = world();
    set(&mut w, "CAM_MODE", 1);
    let out = Out::take(&mut w);
    assert_eq!(out.final_ack("CAM_MODE"), (ParamAck::PARAM_ACK_ACCEPTED, 1));
    assert_eq!(out.settings_modes, [CameraMode::CAMERA_MODE_VIDEO]);
    w.command(MavCmd::MAV_CMD_SET_CAMERA_MODE, [0.0; 7]);
    let out = Out::take(&mut w);
    assert_eq!(
        out.value("CAM_MODE"),
        Some(0),
        "the command's mode is CAM_MODE"
    );
    assert_eq!(out.values[0].0, Target::All);
    read(&mut w, "CAM_MODE", -1);
    assert_eq!(Out::take(&mut w).value("CAM_MODE"), Some(0));
}

#[test]
fn a_mode_changed_on_the_camera_is_sent_unasked() {
    let mut w = world();
    // The SIYI app switches the gimbal to FPV behind the bridge's back.
    let frame = Request::Function(FunctionType::FpvMode)
        .to_frame(7)
        .to_bytes();
    w.sim.handle_datagram(w.now, &frame);
    w.run(secs(2));
    let out = Out::take(&mut w);
    assert_eq!(out.value("GIMBAL_MODE"), Some(2));
    assert!(out.values.iter().all(|(t, _)| *t == Target::All));
    assert_eq!(out.values.len(), 1, "only the setting that changed");
}

#[test]
fn a_codec_change_waits_for_a_power_cycle_and_says_so() {
    // A camera that boots (firmware 0.0.0) for 2 s, so the bridge sees the restart.
    let mut w = world_with(SimConfig {
        boot_time_ms: 2000,
        ..SimConfig::instant_boot()
    });
    set(&mut w, "STREAM_CODEC", 1);
    w.run(secs(4));
    let out = Out::take(&mut w);
    assert_eq!(
        out.final_ack("STREAM_CODEC"),
        (ParamAck::PARAM_ACK_FAILED, 2)
    );
    assert!(
        out.text()
            .contains("H.264 for the main stream; it takes effect after a power cycle"),
        "{:?}",
        out.texts
    );
    assert_eq!(w.sim.state().encoding[1].codec, VideoCodec::H265);
    // The camera restarts: the bridge reads the encodings again and tells the new codec.
    let reboot = Request::SoftReboot {
        camera: true,
        gimbal: false,
    };
    w.sim.handle_datagram(w.now, &reboot.to_frame(8).to_bytes());
    w.run(secs(30));
    assert_eq!(w.sim.state().encoding[1].codec, VideoCodec::H264);
    let out = Out::take(&mut w);
    assert_eq!(out.value("STREAM_CODEC"), Some(1));
}
