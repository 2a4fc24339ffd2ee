//! What the camera's answers (or its silence) mean: the `judge_*` functions.

use std::collections::BTreeMap;

use serde::Serialize;
use siyi_protocol::{Attitude, CmdId, FeedbackCode, Reply};

use crate::core::hex::to_hex;

use super::heard::{scan, Heard};
use super::questions::*;

/// What a question found.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Judgement {
    /// The conclusion.
    pub conclusion: Conclusion,
    /// Why, in one sentence.
    pub note: String,
    /// The reply frame, hex (None: no reply of the expected command).
    pub reply_hex: Option<String>,
    /// The reply's payload length, bytes.
    pub reply_len: Option<usize>,
    /// Milliseconds from the request to the reply.
    pub latency_ms: Option<u64>,
}

impl Judgement {
    /// A conclusion without a reply frame (silence, a judged HTTP answer, an attitude change).
    pub fn without_reply(conclusion: Conclusion, note: String) -> Self {
        Self::timed(conclusion, note, None)
    }

    /// A conclusion without a reply frame, with a measured delay, milliseconds.
    pub fn timed(conclusion: Conclusion, note: String, latency_ms: Option<u64>) -> Self {
        Self {
            conclusion,
            note,
            reply_hex: None,
            reply_len: None,
            latency_ms,
        }
    }
}

/// Judges a request/reply question from the datagrams heard within `timeout_ms` after the
/// request, and whether the camera answered the liveness question afterwards (`alive_after`;
/// None: not asked).
pub fn judge_reply(
    expect: &Expect,
    heard: &[Heard],
    timeout_ms: u64,
    alive_after: Option<bool>,
) -> Judgement {
    let s = scan(expect.reply_cmd, heard);
    if let Some((after_ms, frame)) = &s.first {
        let len = frame.payload().len();
        let frame_bytes = frame.to_bytes();
        let mut j = Judgement {
            conclusion: Conclusion::Supported,
            note: String::new(),
            reply_hex: Some(to_hex(&frame_bytes)),
            reply_len: Some(len),
            latency_ms: Some(*after_ms),
        };
        if !expect.documented_reply {
            j.note = format!(
                "answered in {after_ms} ms with {} (the A8 mini is documented not to answer {})",
                n_bytes(len),
                expect.reply_cmd
            );
        } else if len < expect.min_len {
            j.conclusion = Conclusion::Inconclusive;
            j.note = format!(
                "a reply of {len} bytes, too short for the layout (needs {}, the A8 mini sends {}): another model?",
                expect.min_len, expect.a8_len
            );
        } else if Reply::from_frame(frame).is_err() {
            j.conclusion = Conclusion::Inconclusive;
            j.note = format!("a reply of {len} bytes that does not decode");
        } else if len == expect.a8_len {
            j.note = format!("answered in {after_ms} ms, {} as the A8 mini", n_bytes(len));
        } else {
            j.note = format!(
                "answered in {after_ms} ms with {}; the A8 mini sends {}: another model or newer firmware",
                n_bytes(len),
                expect.a8_len
            );
        }
        return j;
    }
    let silent = Judgement::without_reply;
    if s.bad_bytes > 0 {
        return silent(
            Conclusion::Inconclusive,
            format!(
                "no valid {} reply; {} bytes of garbage (no valid SIYI frame) instead",
                expect.reply_cmd, s.bad_bytes
            ),
        );
    }
    match alive_after {
        Some(true) if !expect.documented_reply => silent(
            Conclusion::Inconclusive,
            format!(
                "no reply within {timeout_ms} ms, as documented for the A8 mini; whether the values reach the photos' EXIF needs a photo"
            ),
        ),
        Some(true) => silent(
            Conclusion::Unsupported,
            format!(
                "no reply within {timeout_ms} ms while the camera answered 0x01 right after: this firmware ignores {}",
                expect.reply_cmd
            ),
        ),
        Some(false) => silent(
            Conclusion::Inconclusive,
            format!(
                "no reply within {timeout_ms} ms, and none to 0x01 either: the camera stopped answering"
            ),
        ),
        None => silent(
            Conclusion::Inconclusive,
            format!("no reply within {timeout_ms} ms"),
        ),
    }
}

/// "1 byte", "8 bytes".
fn n_bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// The decoded reply of `cmd` in `heard`, if any (the first valid one that decodes).
pub fn first_reply(cmd: CmdId, heard: &[Heard]) -> Option<Reply> {
    let s = scan(cmd, heard);
    s.first.and_then(|(_, f)| Reply::from_frame(&f).ok())
}

/// The payload of the first valid frame of `cmd` in `heard`, if any.
pub fn first_payload(cmd: CmdId, heard: &[Heard]) -> Option<Vec<u8>> {
    scan(cmd, heard).first.map(|(_, f)| f.into_payload())
}

/// The attitude stream (0x25): `on` heard during the window after asking for 10 Hz (nothing
/// else was asked meanwhile), `off` heard after asking the stream off. `window_ms` is the on
/// window; frames in `off` later than `settle_ms` after the off request count as "still
/// streaming".
pub fn judge_stream(
    on: &[Heard],
    off: &[Heard],
    window_ms: u64,
    settle_ms: u64,
    alive_after: Option<bool>,
) -> (Judgement, BTreeMap<String, String>) {
    let ack = judge_reply(
        &Expect::reply(CmdId::DATA_STREAM, 1, 1),
        on,
        window_ms,
        alive_after,
    );
    let frames_on = scan(CmdId::ATTITUDE, on).matching;
    let late: Vec<Heard> = off
        .iter()
        .filter(|h| h.after_ms > settle_ms)
        .cloned()
        .collect();
    let frames_after_off = scan(CmdId::ATTITUDE, &late).matching;
    let mut details = BTreeMap::new();
    details.insert("attitude_frames_in_window".into(), frames_on.to_string());
    details.insert("window_ms".into(), window_ms.to_string());
    details.insert(
        "attitude_frames_after_off".into(),
        frames_after_off.to_string(),
    );
    let acked = ack.reply_hex.is_some();
    let mut j = ack;
    if acked || frames_on >= 2 {
        j.conclusion = Conclusion::Supported;
        let stop = if frames_after_off == 0 {
            "and it stopped when asked".to_string()
        } else {
            format!("and it went on after the off request ({frames_after_off} frames)")
        };
        j.note = format!(
            "{} {frames_on} attitude frames in {window_ms} ms at 10 Hz asked, {stop}",
            if acked { "acknowledged;" } else { "no ACK but" }
        );
    }
    (j, details)
}

/// The photo's 0x0B feedback, from what was heard after the 0x0C photo request.
pub fn judge_photo_feedback(
    heard: &[Heard],
    timeout_ms: u64,
    alive_after: Option<bool>,
) -> Judgement {
    let mut j = judge_reply(
        &Expect::reply(CmdId::FUNCTION_FEEDBACK, 1, 1),
        heard,
        timeout_ms,
        alive_after,
    );
    if let Some(Reply::FunctionFeedback(code)) = first_reply(CmdId::FUNCTION_FEEDBACK, heard) {
        let what = match code {
            FeedbackCode::PhotoOk => "photo OK".to_string(),
            FeedbackCode::PhotoFailed => "photo failed (no SD card, or full?)".to_string(),
            other => format!("code {}", other.to_u8()),
        };
        j.note = format!("{}; 0x0B says {what}", j.note);
    } else if j.conclusion == Conclusion::Unsupported {
        j.note = format!(
            "no 0x0B over UDP within {timeout_ms} ms after the photo, while the camera answered 0x01"
        );
    }
    j
}

/// The web server, from the result of one `getdirectories` request: `Ok((status, body))`, or
/// `Err(reason)` when nothing answered on the port.
pub fn judge_web(result: &Result<(u16, Vec<u8>), String>, port: u16) -> Judgement {
    let verdict = Judgement::without_reply;
    match result {
        // No answer says nothing about what the camera supports (README: unsupported = no
        // reply while the camera answers otherwise): the server may be off or elsewhere.
        Err(reason) => verdict(
            Conclusion::Inconclusive,
            format!("no answer: nothing answers HTTP on port {port}: {reason}"),
        ),
        Ok((status, body)) => match crate::core::media::api::parse_directories(*status, body) {
            Ok(dirs) => {
                let names: Vec<&str> = dirs.iter().map(|d| d.name.as_str()).collect();
                let mut j = verdict(
                    Conclusion::Supported,
                    format!(
                        "the media API answers on port {port}: photo directories [{}]",
                        names.join(", ")
                    ),
                );
                j.reply_len = Some(body.len());
                j
            }
            Err(e) => verdict(
                Conclusion::Inconclusive,
                format!("port {port} answers HTTP {status}, but not as the media API: {e}"),
            ),
        },
    }
}

/// Time from the shot until the web server listed one more photo: `before` the newest photo
/// directory's count before the shot, `listed` the count that went up and when (milliseconds
/// after the 0x0C request), `waited_ms` how long the runner looked.
pub fn judge_listed(before: Option<u32>, listed: Option<(u32, u64)>, waited_ms: u64) -> Judgement {
    let verdict = Judgement::timed;
    match (before, listed) {
        (None, _) => verdict(
            Conclusion::Inconclusive,
            "the photo count before the shot is not known (web server or directory missing)"
                .to_string(),
            None,
        ),
        (Some(b), Some((after, ms))) => verdict(
            Conclusion::Supported,
            format!("listed {ms} ms after the shot (photo count {b} → {after})"),
            Some(ms),
        ),
        (Some(b), None) => verdict(
            Conclusion::Unsupported,
            format!("no new photo listed within {waited_ms} ms (count stayed {b})"),
            None,
        ),
    }
}

/// Which way a positive 0x07 yaw speed turned the gimbal, from the attitude before and after
/// (SIYI yaw: positive = left). `yaw_speed` is the speed sent (positive).
pub fn judge_yaw_sign(
    before: Option<&Attitude>,
    after: Option<&Attitude>,
    yaw_speed: i8,
) -> (Judgement, BTreeMap<String, String>) {
    let mut details = BTreeMap::new();
    details.insert("yaw_speed_sent".into(), yaw_speed.to_string());
    let verdict = Judgement::without_reply;
    let (Some(b), Some(a)) = (before, after) else {
        return (
            verdict(
                Conclusion::Inconclusive,
                "no 0x0D attitude reading before and after the turn".to_string(),
            ),
            details,
        );
    };
    let delta_tenths = i32::from(a.yaw.0) - i32::from(b.yaw.0);
    details.insert(
        "siyi_yaw_before_deg".into(),
        format!("{:.1}", b.yaw.degrees()),
    );
    details.insert(
        "siyi_yaw_after_deg".into(),
        format!("{:.1}", a.yaw.degrees()),
    );
    // Positive SIYI yaw is to the left; a speed of `yaw_speed`'s sign turning right lowers it.
    let towards_right = (delta_tenths < 0) == (yaw_speed > 0);
    if delta_tenths.abs() < 10 {
        return (
            verdict(
                Conclusion::Inconclusive,
                format!(
                    "the gimbal turned less than 1° ({:.1}°): cannot tell",
                    f64::from(delta_tenths) / 10.0
                ),
            ),
            details,
        );
    }
    let side = if towards_right { "right" } else { "left" };
    details.insert("positive_yaw_speed_turns".into(), side.into());
    let note = if towards_right {
        format!(
            "positive 0x07 yaw speed turns right (SIYI yaw {:.1}° → {:.1}°), as the bridge assumes",
            b.yaw.degrees(),
            a.yaw.degrees()
        )
    } else {
        format!(
            "positive 0x07 yaw speed turns LEFT (SIYI yaw {:.1}° → {:.1}°): the opposite of the bridge's assumption",
            b.yaw.degrees(),
            a.yaw.degrees()
        )
    };
    (verdict(Conclusion::Supported, note), details)
}

/// The boot window from the firmware replies seen while waiting: `(after_ms since the probe
/// started, camera firmware was 0.0.0)` per reply, in order.
pub fn judge_boot(replies: &[(u64, bool)]) -> Judgement {
    let verdict = Judgement::timed;
    let first_zero = replies.iter().find(|(_, zero)| *zero).map(|(t, _)| *t);
    let first_booted = replies.iter().find(|(_, zero)| !*zero).map(|(t, _)| *t);
    match (first_zero, first_booted) {
        (None, Some(_)) => verdict(
            Conclusion::Inconclusive,
            "the camera had already booted (firmware never read 0.0.0); power it up right before the probe to measure its boot".to_string(),
            None,
        ),
        (Some(z), Some(b)) => verdict(
            Conclusion::Supported,
            format!(
                "firmware read 0.0.0 from {z} ms to {b} ms after the probe started: at least {} ms of boot",
                b.saturating_sub(z)
            ),
            Some(b.saturating_sub(z)),
        ),
        (Some(z), None) => verdict(
            Conclusion::Inconclusive,
            format!("firmware still read 0.0.0 {} ms after the first reply", replies.last().map_or(0, |r| r.0).saturating_sub(z)),
            None,
        ),
        (None, None) => verdict(
            Conclusion::Inconclusive,
            "no firmware reply at all".to_string(),
            None,
        ),
    }
}

/// The 0x81 address fields read both ways, and which one holds the camera's own address
/// (`camera_ip`, the address the probe talks to, if it is IPv4).
pub fn ip_byte_order(payload: &[u8], camera_ip: Option<[u8; 4]>) -> BTreeMap<String, String> {
    let mut details = BTreeMap::new();
    let Some(ip) = payload.get(..4) else {
        return details;
    };
    let as_sent = [ip[0], ip[1], ip[2], ip[3]];
    let reversed = [ip[3], ip[2], ip[1], ip[0]];
    let dotted = |a: [u8; 4]| format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
    details.insert("ip_bytes_in_order".into(), dotted(as_sent));
    details.insert("ip_bytes_reversed".into(), dotted(reversed));
    if let Some(cam) = camera_ip {
        let order = if cam == as_sent {
            "network order (first byte = first octet)"
        } else if cam == reversed {
            "little-endian u32 (first byte = last octet)"
        } else {
            "neither matches the address the probe talks to"
        };
        details.insert("ip_byte_order".into(), order.into());
    }
    details
}
