use super::*;
use crate::core::hex::to_hex;
use siyi_protocol::{Attitude, CmdId, Frame, Reply};
use siyi_protocol::{Decidegrees, DecidegreesPerSecond, Zoom};

fn heard(after_ms: u64, bytes: Vec<u8>) -> Heard {
    Heard { after_ms, bytes }
}

fn zoom_reply() -> Vec<u8> {
    Reply::CurrentZoom(Zoom::from_factor(2.5))
        .to_frame(7)
        .to_bytes()
}

fn zoom_q() -> Expect {
    Expect::reply(CmdId::CURRENT_ZOOM, 2, 2)
}

#[test]
fn a_reply_of_the_a8_length_is_supported_with_its_latency() {
    let j = judge_reply(&zoom_q(), &[heard(12, zoom_reply())], 1000, None);
    assert_eq!(j.conclusion, Conclusion::Supported);
    assert_eq!(j.latency_ms, Some(12));
    assert_eq!(j.reply_len, Some(2));
    assert_eq!(j.reply_hex.as_deref(), Some(to_hex(&zoom_reply()).as_str()));
}

#[test]
fn silence_is_unsupported_only_while_the_camera_still_answers() {
    let other = Reply::FirmwareVersion {
        camera: siyi_protocol::FirmwareVersion::new(0, 2, 8),
        gimbal: siyi_protocol::FirmwareVersion::new(0, 3, 9),
        zoom: None,
    }
    .to_frame(1)
    .to_bytes();
    let j = judge_reply(&zoom_q(), &[heard(3, other)], 500, Some(true));
    assert_eq!(j.conclusion, Conclusion::Unsupported, "{}", j.note);
    assert!(j.note.contains("500 ms"));
    let j = judge_reply(&zoom_q(), &[], 500, Some(false));
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
    assert!(j.note.contains("stopped answering"), "{}", j.note);
    let j = judge_reply(&zoom_q(), &[], 500, None);
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
}

#[test]
fn garbage_is_inconclusive_and_says_how_much() {
    let mut bad_crc = zoom_reply();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0xFF;
    for bytes in [
        vec![0x00, 0x13, 0x37, 0x42],
        bad_crc,
        vec![0x55, 0x66, 0x02],
    ] {
        let n = bytes.len();
        let j = judge_reply(&zoom_q(), &[heard(5, bytes)], 500, Some(true));
        assert_eq!(j.conclusion, Conclusion::Inconclusive, "{}", j.note);
        assert!(j.note.contains("garbage"), "{}", j.note);
        assert!(j.note.contains(&n.to_string()) || n > 2, "{}", j.note);
        assert_eq!(j.reply_hex, None);
    }
}

#[test]
fn wrong_lengths_say_so() {
    // Longer than the A8's (another model, newer firmware): usable, said in the note.
    let fw12 = Frame::new(
        siyi_protocol::Ctrl::REPLY,
        1,
        CmdId::FIRMWARE_VERSION,
        vec![8, 2, 0, 0, 9, 3, 0, 0, 1, 1, 0, 0],
    )
    .unwrap()
    .to_bytes();
    let j = judge_reply(&firmware_question().expect, &[heard(2, fw12)], 500, None);
    assert_eq!(j.conclusion, Conclusion::Supported);
    assert_eq!(j.reply_len, Some(12));
    assert!(j.note.contains("the A8 mini sends 8"), "{}", j.note);
    // Shorter than the layout: inconclusive.
    let fw4 = Frame::new(
        siyi_protocol::Ctrl::REPLY,
        1,
        CmdId::FIRMWARE_VERSION,
        vec![8, 2, 0, 0],
    )
    .unwrap()
    .to_bytes();
    let j = judge_reply(&firmware_question().expect, &[heard(2, fw4)], 500, None);
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
    assert!(j.note.contains("too short"), "{}", j.note);
    // An empty 0x0A payload: too short too.
    let empty = Frame::new(
        siyi_protocol::Ctrl::REPLY,
        1,
        CmdId::CAMERA_SYSTEM_INFO,
        vec![],
    )
    .unwrap()
    .to_bytes();
    let q = &read_questions(0)[0];
    assert_eq!(q.id, QuestionId::RecordState);
    let j = judge_reply(&q.expect, &[heard(2, empty)], 500, None);
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
}

#[test]
fn a_valid_reply_hidden_after_garbage_is_found() {
    let mut bytes = vec![0xde, 0xad];
    bytes.extend(zoom_reply());
    let j = judge_reply(&zoom_q(), &[heard(9, bytes)], 500, None);
    assert_eq!(j.conclusion, Conclusion::Supported);
}

#[test]
fn undocumented_replies_are_not_called_unsupported() {
    let q = &exif_questions()[1];
    let j = judge_reply(&q.expect, &[], 300, Some(true));
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
    assert!(j.note.contains("as documented"), "{}", j.note);
}

fn att(yaw_tenths: i16) -> Attitude {
    Attitude {
        yaw: Decidegrees(yaw_tenths),
        pitch: Decidegrees(0),
        roll: Decidegrees(0),
        yaw_rate: DecidegreesPerSecond(0),
        pitch_rate: DecidegreesPerSecond(0),
        roll_rate: DecidegreesPerSecond(0),
    }
}

#[test]
fn yaw_sign_from_the_attitude_change() {
    let (j, d) = judge_yaw_sign(Some(&att(0)), Some(&att(-150)), 20);
    assert_eq!(j.conclusion, Conclusion::Supported);
    assert_eq!(d["positive_yaw_speed_turns"], "right");
    let (_, d) = judge_yaw_sign(Some(&att(0)), Some(&att(150)), 20);
    assert_eq!(d["positive_yaw_speed_turns"], "left");
    let (j, _) = judge_yaw_sign(Some(&att(0)), Some(&att(3)), 20);
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
    let (j, _) = judge_yaw_sign(None, Some(&att(3)), 20);
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
}

#[test]
fn boot_window_and_dates_and_names() {
    assert_eq!(
        judge_boot(&[(0, true), (1000, true), (2100, false)]).latency_ms,
        Some(2100)
    );
    assert_eq!(
        judge_boot(&[(5, false)]).conclusion,
        Conclusion::Inconclusive
    );
    assert_eq!(utc_date(0), "1970-01-01");
    assert_eq!(utc_date(1_796_000_000 * 1_000_000), "2026-11-30");
    assert_eq!(utc_date(951_782_400 * 1_000_000), "2000-02-29");
    let d = ip_byte_order(
        &[25, 144, 168, 192, 0, 255, 255, 255],
        Some([192, 168, 144, 25]),
    );
    assert_eq!(
        d["ip_byte_order"],
        "little-endian u32 (first byte = last octet)"
    );
    assert!(ip_byte_order(&[1, 2], None).is_empty());
}

#[test]
fn a_profile_names_only_settled_unanswered_commands() {
    let report = r#"{"format":1,"questions":[
        {"id":"current_zoom","conclusion":"unsupported"},
        {"id":"utc_time","conclusion":"supported"},
        {"id":"attitude_stream","conclusion":"inconclusive"},
        {"id":"ai_module","conclusion":"unsupported"},
        {"id":"max_zoom","conclusion":"unsupported"}]}"#;
    let skips = profile_unanswered(report).unwrap();
    assert_eq!(skips.len(), 1, "{skips:?}");
    assert_eq!(skips[0].0, CmdId::CURRENT_ZOOM);
    assert!(skips[0].1.contains("never polled"));
    assert!(matches!(
        profile_unanswered(r#"{"format":2,"questions":[]}"#),
        Err(ProfileError::Format { found: 2 })
    ));
    assert!(profile_unanswered("garbage").is_err());
    assert!(profile_unanswered("{}").is_err());
}

#[test]
fn web_answers_are_judged() {
    let j = judge_web(&Err("connection refused".into()), 82);
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
    assert!(j.note.starts_with("no answer"), "{}", j.note);
    let j = judge_web(&Ok((200, b"<html>".to_vec())), 82);
    assert_eq!(j.conclusion, Conclusion::Inconclusive);
    let body = br#"{"code":200,"success":true,"message":"","data":{"directories":[{"name":"101SIYI_IMG","path":"101SIYI_IMG"}]}}"#;
    let j = judge_web(&Ok((200, body.to_vec())), 82);
    assert_eq!(j.conclusion, Conclusion::Supported, "{}", j.note);
}
