//! The PARAM_EXT server against a fake link whose operations the test ends: queueing of
//! changes, the guard for an operation that never ends, addressing, and refusals by the link.

mod camera_common;

use std::time::Duration;

use camera_common::{FakeLink, Rig};
use mavlink::dialects::common::{
    MavMessage, MavParamExtType, ParamAck, PARAM_EXT_ACK_DATA, PARAM_EXT_SET_DATA,
};
use siyi_bridge::core::camera::Transmit;
use siyi_bridge::core::link::{Fresh, OpOutcome, Operation, RejectReason};
use siyi_bridge::core::settings::{CHANGE_LIMIT, IN_PROGRESS_AFTER};
use siyi_protocol::{EncodingParams, MotionMode, StreamType, VideoCodec};

const GCS: (u8, u8) = (255, 190);
const PEER: u32 = 4;

fn enc(stream: StreamType, w: u16, h: u16, kbps: u16) -> EncodingParams {
    EncodingParams {
        stream,
        codec: VideoCodec::H265,
        width_px: w,
        height_px: h,
        bitrate_kbps: kbps,
        framerate_fps: 30,
    }
}

fn rig() -> Rig {
    let t0 = FakeLink::t0();
    let mut link = FakeLink::identified(t0);
    link.state.encodings = [
        Some(enc(StreamType::Recording, 1920, 1080, 8000)),
        Some(enc(StreamType::Main, 1920, 1080, 4000)),
        None,
    ];
    link.state.motion_mode = Some(Fresh::new(MotionMode::Follow, t0));
    Rig::new(link, t0)
}

fn set_to(r: &mut Rig, target: (u8, u8), id: &str, value: u32) -> Vec<Transmit> {
    let mut raw = [0u8; 128];
    raw[..4].copy_from_slice(&value.to_le_bytes());
    let msg = MavMessage::PARAM_EXT_SET(PARAM_EXT_SET_DATA {
        target_system: target.0,
        target_component: target.1,
        param_id: id.into(),
        param_value: raw.into(),
        param_type: MavParamExtType::MAV_PARAM_EXT_TYPE_UINT32,
    });
    r.feed(GCS, PEER, msg)
}

fn set(r: &mut Rig, id: &str, value: u32) -> Vec<Transmit> {
    set_to(r, (1, 100), id, value)
}

fn acks(out: &[Transmit]) -> Vec<(ParamAck, u32)> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::PARAM_EXT_ACK(PARAM_EXT_ACK_DATA {
                param_value,
                param_result,
                ..
            })) => Some((
                *param_result,
                u32::from_le_bytes([
                    param_value[0],
                    param_value[1],
                    param_value[2],
                    param_value[3],
                ]),
            )),
            _ => None,
        })
        .collect()
}

fn text(out: &[Transmit]) -> String {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::STATUSTEXT(s)) => Some(
                String::from_utf8_lossy(&s.text[..])
                    .trim_end_matches('\0')
                    .to_owned(),
            ),
            _ => None,
        })
        .collect()
}

#[test]
fn changes_of_one_stream_run_one_after_the_other_from_the_cameras_latest_values() {
    let mut r = rig();
    assert!(acks(&set(&mut r, "STREAM_RES", 1)).is_empty());
    assert!(acks(&set(&mut r, "STREAM_BITRATE", 3000)).is_empty());
    assert_eq!(r.link.started.len(), 1, "one change at a time");
    let (first, op) = r.link.started[0];
    assert_eq!(
        op,
        Operation::SetEncoding(enc(StreamType::Main, 1280, 720, 4000))
    );
    // The camera took it: the read-back shows 1280x720.
    r.link.state.encodings[1] = Some(enc(StreamType::Main, 1280, 720, 4000));
    let out = r.finish(first, OpOutcome::Succeeded { confirmed: true });
    assert_eq!(acks(&out), [(ParamAck::PARAM_ACK_ACCEPTED, 1)]);
    // The queued bitrate change is built on the new resolution, not on the old snapshot.
    assert_eq!(r.link.started.len(), 2);
    assert_eq!(
        r.link.started[1].1,
        Operation::SetEncoding(enc(StreamType::Main, 1280, 720, 3000))
    );
}

#[test]
fn a_change_the_camera_confirms_but_does_not_show_is_failed() {
    let mut r = rig();
    set(&mut r, "STREAM_BITRATE", 3000);
    let (id, _) = r.link.started[0];
    // "Confirmed" but the state still reads 4000: never ACCEPTED on the link's word alone.
    let out = r.finish(id, OpOutcome::Succeeded { confirmed: true });
    assert_eq!(acks(&out), [(ParamAck::PARAM_ACK_FAILED, 4000)]);
    assert!(text(&out).contains("did not apply STREAM_BITRATE 3000 kbps"));
}

#[test]
fn a_change_the_link_refuses_says_why() {
    let mut r = rig();
    set(&mut r, "GIMBAL_MODE", 0);
    let (id, op) = r.link.started[0];
    assert_eq!(op, Operation::SetMotionMode(MotionMode::Lock));
    let reason = RejectReason::Lost {
        lost_after_ms: 3000,
    };
    let out = r.finish(id, OpOutcome::Rejected { reason });
    assert_eq!(acks(&out), [(ParamAck::PARAM_ACK_FAILED, 1)]);
    assert!(text(&out).contains("GIMBAL_MODE not changed: camera lost"));
}

#[test]
fn an_operation_that_never_ends_is_answered_in_progress_then_failed() {
    let mut r = rig();
    set(&mut r, "STREAM_BITRATE", 3000);
    set(&mut r, "GIMBAL_MODE", 2);
    let out = r.advance(IN_PROGRESS_AFTER);
    assert_eq!(
        acks(&out),
        [
            (ParamAck::PARAM_ACK_IN_PROGRESS, 4000),
            (ParamAck::PARAM_ACK_IN_PROGRESS, 1)
        ],
        "both the running and the queued change"
    );
    let out = r.advance(CHANGE_LIMIT - IN_PROGRESS_AFTER - Duration::from_millis(1));
    assert!(acks(&out)
        .iter()
        .all(|(a, _)| *a == ParamAck::PARAM_ACK_IN_PROGRESS));
    let out = r.advance(Duration::from_millis(1));
    assert!(acks(&out).contains(&(ParamAck::PARAM_ACK_FAILED, 4000)));
    assert!(text(&out).contains("did not answer: STREAM_BITRATE"));
    // The queued change starts then.
    assert_eq!(r.link.started.len(), 2);
    assert_eq!(
        r.link.started[1].1,
        Operation::SetMotionMode(MotionMode::Fpv)
    );
}

#[test]
fn a_set_for_another_component_or_system_is_ignored() {
    let mut r = rig();
    for target in [(1, 101), (2, 100), (1, 0), (0, 100)] {
        let out = set_to(&mut r, target, "STREAM_BITRATE", 3000);
        assert!(acks(&out).is_empty(), "{target:?}");
    }
    assert!(r.link.started.is_empty());
}
