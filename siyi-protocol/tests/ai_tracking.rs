//! AI tracking commands (0x4D, 0x4E, 0x50, 0x51): golden frames, round trips, unknown enum values
//! and short payloads.
//!
//! Every frame here is **constructed, not captured**: built by hand from the vendor text and the
//! public `siyi_sdk` client (`siyi_sdk/commands/ai.py`), with the CRC computed by this crate
//! (`crc::crc16`) and checked below. No real A8 mini with an AI module has been recorded yet.

use siyi_protocol::crc::crc16;
use siyi_protocol::{
    AiMode, AiStreamStatus, AiTarget, AiTrack, AiTrackStatus, CmdId, Ctrl, Frame, PayloadError,
    Reply, Request,
};

fn parse_hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// Parses a constructed golden frame, checks its CRC with the crate's CRC-16/XMODEM, and
/// returns it.
fn golden(hex: &str) -> (Frame, Vec<u8>) {
    let bytes = parse_hex(hex);
    let split = bytes.len() - 2;
    let (body, crc) = bytes.split_at(split);
    assert_eq!(
        u16::from_le_bytes([crc[0], crc[1]]),
        crc16(body),
        "CRC of the constructed frame {hex}"
    );
    let (frame, used) = Frame::parse(&bytes).expect("golden frame parses");
    assert_eq!(used, bytes.len());
    (frame, bytes)
}

/// (constructed frame, the request it carries).
fn golden_requests() -> Vec<(&'static str, Request)> {
    vec![
        ("55 66 01 00 00 00 00 4d 2c 4d", Request::AiModeStatus),
        ("55 66 01 00 00 01 00 4e 7f 4a", Request::AiStreamStatus),
        (
            "55 66 01 01 00 02 00 51 01 9e 4b",
            Request::SetAiStream { on: true },
        ),
        (
            "55 66 01 01 00 03 00 51 00 0b 2d",
            Request::SetAiStream { on: false },
        ),
    ]
}

/// (constructed frame, the reply it carries).
fn golden_replies() -> Vec<(&'static str, Reply)> {
    vec![
        (
            "55 66 02 01 00 10 00 4d 01 cd 23",
            Reply::AiModeStatus(AiMode::On),
        ),
        (
            "55 66 02 01 00 11 00 4e 01 2a 00",
            Reply::AiStreamStatus(AiStreamStatus::Streaming),
        ),
        (
            "55 66 02 01 00 12 00 51 01 bb 88",
            Reply::SetAiStream { status: 1 },
        ),
        // A car in the middle of the 1280×720 frame, 64×36 px, tracked.
        (
            "55 66 02 0a 00 13 00 50 80 02 68 01 40 00 24 00 01 00 7e 60",
            Reply::AiTracking(AiTrack {
                x_px: 640,
                y_px: 360,
                width_px: 64,
                height_px: 36,
                target: AiTarget::Car,
                status: AiTrackStatus::Tracking,
            }),
        ),
        // Any object at (1000, 200), 120×80 px, "tracking any object".
        (
            "55 66 02 0a 00 14 00 50 e8 03 c8 00 78 00 50 00 ff 04 81 a4",
            Reply::AiTracking(AiTrack {
                x_px: 1000,
                y_px: 200,
                width_px: 120,
                height_px: 80,
                target: AiTarget::AnyObject,
                status: AiTrackStatus::TrackingAnyObject,
            }),
        ),
    ]
}

#[test]
fn golden_requests_decode_and_reencode() {
    for (hex, want) in golden_requests() {
        let (frame, bytes) = golden(hex);
        assert_eq!(frame.ctrl, Ctrl::REQUEST, "{hex}");
        let req = Request::from_frame(&frame).expect("decodes");
        assert_eq!(req, want, "{hex}");
        assert!(req.expects_reply(), "{req:?} is answered");
        assert_eq!(req.to_frame(frame.seq).to_bytes(), bytes, "{hex}");
    }
}

#[test]
fn golden_replies_decode_and_reencode() {
    for (hex, want) in golden_replies() {
        let (frame, bytes) = golden(hex);
        assert_eq!(frame.ctrl, Ctrl::REPLY, "{hex}");
        let reply = Reply::from_frame(&frame).expect("decodes");
        assert_eq!(reply, want, "{hex}");
        assert_eq!(reply.to_frame(frame.seq).to_bytes(), bytes, "{hex}");
    }
}

#[test]
fn command_ids_and_names() {
    assert_eq!(CmdId::AI_MODE_STATUS, CmdId(0x4D));
    assert_eq!(CmdId::AI_STREAM_STATUS, CmdId(0x4E));
    assert_eq!(CmdId::AI_TRACKING, CmdId(0x50));
    assert_eq!(CmdId::SET_AI_STREAM, CmdId(0x51));
    assert_eq!(CmdId(0x4D).name(), Some("AI mode status"));
    assert_eq!(CmdId(0x4E).name(), Some("AI tracking stream status"));
    assert_eq!(CmdId(0x50).name(), Some("AI tracking coordinates"));
    assert_eq!(CmdId(0x51).name(), Some("set AI tracking stream output"));
    // 0x4F is the thermal shutter, not the AI stream switch (vendor doc error): not typed here.
    assert_eq!(CmdId(0x4F).name(), None);
}

#[test]
fn every_value_round_trips() {
    for v in 0..=u8::MAX {
        for reply in [
            Reply::AiModeStatus(AiMode::from_u8(v)),
            Reply::AiStreamStatus(AiStreamStatus::from_u8(v)),
            Reply::SetAiStream { status: v },
            Reply::AiTracking(AiTrack {
                x_px: u16::from(v) * 5,
                y_px: 719 - u16::from(v),
                width_px: u16::from(v),
                height_px: 1,
                target: AiTarget::from_u8(v),
                status: AiTrackStatus::from_u8(v),
            }),
        ] {
            let frame = reply.to_frame(u16::from(v));
            assert_eq!(Reply::from_frame(&frame), Ok(reply));
        }
    }
    for on in [false, true] {
        let req = Request::SetAiStream { on };
        assert_eq!(Request::from_frame(&req.to_frame(9)), Ok(req));
    }
}

#[test]
fn unknown_enum_values_decode_without_error() {
    assert_eq!(
        Reply::decode(CmdId::AI_MODE_STATUS, &[2]),
        Ok(Reply::AiModeStatus(AiMode::Other(2)))
    );
    assert_eq!(AiMode::Other(2).name(), None);
    assert_eq!(
        Reply::decode(CmdId::AI_STREAM_STATUS, &[9]),
        Ok(Reply::AiStreamStatus(AiStreamStatus::Other(9)))
    );
    match Reply::decode(CmdId::AI_TRACKING, &[0, 0, 0, 0, 0, 0, 0, 0, 4, 5]) {
        Ok(Reply::AiTracking(t)) => {
            assert_eq!(t.target, AiTarget::Other(4));
            assert_eq!(t.status, AiTrackStatus::Other(5));
        }
        other => panic!("unexpected {other:?}"),
    }
    // Named values keep their names (used by `siyi-bridge decode`).
    assert_eq!(AiTarget::from_u8(255), AiTarget::AnyObject);
    assert_eq!(AiTarget::Car.name(), Some("car"));
    assert_eq!(AiTrackStatus::from_u8(1).name(), Some("temporarily_lost"));
    assert_eq!(
        AiStreamStatus::from_u8(3).name(),
        Some("tracking_target_off")
    );
}

#[test]
fn track_action_other_than_zero_or_one_is_refused() {
    assert_eq!(
        Request::decode(CmdId::SET_AI_STREAM, &[2]),
        Err(PayloadError::InvalidValue {
            cmd: CmdId::SET_AI_STREAM,
            field: "on",
            value: 2
        })
    );
}

#[test]
fn short_payloads_are_too_short() {
    for (cmd, min) in [
        (CmdId::AI_MODE_STATUS, 1),
        (CmdId::AI_STREAM_STATUS, 1),
        (CmdId::SET_AI_STREAM, 1),
        (CmdId::AI_TRACKING, 10),
    ] {
        for got in 0..min {
            let payload = vec![0u8; got];
            assert_eq!(
                Reply::decode(cmd, &payload),
                Err(PayloadError::TooShort { cmd, min, got }),
                "{cmd} with {got} bytes"
            );
        }
    }
    assert_eq!(
        Request::decode(CmdId::SET_AI_STREAM, &[]),
        Err(PayloadError::TooShort {
            cmd: CmdId::SET_AI_STREAM,
            min: 1,
            got: 0
        })
    );
    assert_eq!(AiTrack::MIN_LEN, 10);
}

#[test]
fn longer_payloads_ignore_the_extra_bytes() {
    let mut payload = parse_hex("80 02 68 01 40 00 24 00 01 00");
    payload.extend([0xAA, 0xBB]);
    assert!(matches!(
        Reply::decode(CmdId::AI_TRACKING, &payload),
        Ok(Reply::AiTracking(AiTrack { x_px: 640, .. }))
    ));
}
