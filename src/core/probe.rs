//! `siyi-bridge camera probe`, the pure part: which questions a probe asks a camera, what each
//! one sends, how long it waits, and what the camera's answers (or its silence) mean.
//!
//! Nothing here touches a socket or a clock. The runner (`cli/probe.rs`) sends what a
//! [`Question`] says, collects the datagrams that come back as [`Heard`] values (with their
//! delay after the request, in milliseconds), asks a liveness question when a reply is missing,
//! and hands everything to a `judge_*` function, which returns a [`Judgement`]:
//!
//! * **supported**: the camera answered with a frame of the expected command id whose payload is
//!   at least as long as the layout needs (a length other than the A8 mini's is said in the note);
//! * **unsupported**: no reply within the timeout while the camera answered the liveness question
//!   (0x01) right after: the firmware ignores this command;
//! * **inconclusive**: garbage, a reply too short to be the layout, or silence while the camera
//!   answered nothing at all (it stopped answering mid-probe), or a question that was skipped.

use std::collections::BTreeMap;

use serde::Serialize;
use siyi_protocol::{
    Attitude, CameraModel, CmdId, FeedbackCode, Frame, FrameDecoder, HardwareId, Reply, Request,
};

use crate::record::to_hex;

/// Version of the report's layout (`format` in the JSON).
pub const REPORT_FORMAT: u32 = 1;

/// What a question concluded.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// The camera does it (answered with a usable reply), or the question is settled.
    Supported,
    /// The camera ignores it: no reply while it answered other commands.
    Unsupported,
    /// Cannot tell: garbage, a malformed reply, a camera that stopped answering, or skipped.
    Inconclusive,
}

/// One datagram received from the camera while a question waited.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Heard {
    /// Milliseconds after the question's request was sent.
    pub after_ms: u64,
    /// The datagram's bytes.
    pub bytes: Vec<u8>,
}

/// What the camera's answer to a question should look like.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Expect {
    /// Command id of the reply frame.
    pub reply_cmd: CmdId,
    /// Whether the A8 mini is documented to answer at all (0x22 and 0x3E: no).
    pub documented_reply: bool,
    /// Payload length of the A8 mini's reply, bytes.
    pub a8_len: usize,
    /// Shortest payload the reply's layout can be read from, bytes.
    pub min_len: usize,
}

impl Expect {
    /// A reply of `cmd` whose A8 payload is `a8_len` bytes and needs at least `min_len`.
    pub const fn reply(cmd: CmdId, a8_len: usize, min_len: usize) -> Self {
        Self {
            reply_cmd: cmd,
            documented_reply: true,
            a8_len,
            min_len,
        }
    }
}

/// Which question (the `id` in the report).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionId {
    /// 0x02 hardware id (model).
    HardwareId,
    /// 0x01 firmware versions.
    Firmware,
    /// The firmware's 0.0.0 window after power-up (0x01 asked once a second).
    BootWindow,
    /// 0x0A camera system information (recording state, motion mode).
    RecordState,
    /// 0x16 maximum zoom.
    MaxZoom,
    /// 0x18 current zoom.
    CurrentZoom,
    /// 0x30 set UTC time.
    UtcTime,
    /// 0x4D AI mode status (is SIYI's AI tracking module fitted?).
    AiModule,
    /// 0x81 read the camera's IP settings (byte order of the address fields).
    IpByteOrder,
    /// 0x25 attitude stream: switched on, counted, switched off.
    AttitudeStream,
    /// The web server (media API) on the media port.
    WebServer,
    /// 0x0B function feedback after one photo (0x0C), over UDP.
    PhotoFeedback,
    /// How long after the shot the new photo is listed by the web server.
    PhotoListed,
    /// 0x07 yaw sign: which way a positive yaw speed turns the gimbal.
    YawSign,
    /// 0x22 aircraft attitude: answered?
    AircraftAttitude,
    /// 0x3E raw GPS: answered?
    RawGps,
}

/// A question that is one request and one reply: what to send and what to expect.
#[derive(Clone, PartialEq, Debug)]
pub struct Question {
    /// Which question.
    pub id: QuestionId,
    /// One line for people.
    pub title: &'static str,
    /// The request to send.
    pub request: Request,
    /// The reply expected.
    pub expect: Expect,
}

impl Question {
    /// Whether `heard` holds the reply this question waits for (the runner stops listening).
    pub fn answered(&self, heard: &[Heard]) -> bool {
        answered(self.expect.reply_cmd, heard)
    }
}

/// Whether `heard` holds a valid frame of command `cmd`.
pub fn answered(cmd: CmdId, heard: &[Heard]) -> bool {
    scan(cmd, heard).first.is_some()
}

/// The plain request/reply questions a probe asks, in order, none of which moves the gimbal,
/// takes a photo or changes a setting (0x30 sets the camera's clock to the true UTC time, as the
/// bridge does). `utc_us` is the wall-clock time for 0x30, microseconds since the Unix epoch.
pub fn read_questions(utc_us: u64) -> Vec<Question> {
    vec![
        Question {
            id: QuestionId::RecordState,
            title: "0x0A recording state, motion mode (A8: 7 bytes)",
            request: Request::CameraSystemInfo,
            expect: Expect::reply(CmdId::CAMERA_SYSTEM_INFO, 7, 4),
        },
        Question {
            id: QuestionId::MaxZoom,
            title: "0x16 maximum zoom answered?",
            request: Request::MaxZoom,
            expect: Expect::reply(CmdId::MAX_ZOOM, 2, 2),
        },
        Question {
            id: QuestionId::CurrentZoom,
            title: "0x18 current zoom answered?",
            request: Request::CurrentZoom,
            expect: Expect::reply(CmdId::CURRENT_ZOOM, 2, 2),
        },
        Question {
            id: QuestionId::UtcTime,
            title: "0x30 set UTC time answered?",
            request: Request::SetUtcTime {
                unix_time_us: utc_us,
            },
            expect: Expect::reply(CmdId::SET_UTC_TIME, 1, 1),
        },
        Question {
            id: QuestionId::AiModule,
            title: "0x4D AI tracking module fitted?",
            request: Request::AiModeStatus,
            expect: Expect::reply(CmdId::AI_MODE_STATUS, 1, 1),
        },
        Question {
            id: QuestionId::IpByteOrder,
            title: "0x81 IP settings readable, byte order (never 0x82)",
            request: Request::Unknown {
                cmd: CMD_GET_IP,
                payload: Vec::new(),
            },
            expect: Expect::reply(CMD_GET_IP, 12, 12),
        },
    ]
}

/// The questions that feed the camera EXIF data and are documented to get no reply from the A8
/// mini (0x22 aircraft attitude: level, heading 0; 0x3E raw GPS: no fix, all zero). Asked last,
/// after any photo.
pub fn exif_questions() -> Vec<Question> {
    let no_reply = |cmd| Expect {
        reply_cmd: cmd,
        documented_reply: false,
        a8_len: 0,
        min_len: 0,
    };
    vec![
        Question {
            id: QuestionId::AircraftAttitude,
            title: "0x22 aircraft attitude answered?",
            request: Request::AircraftAttitude(siyi_protocol::AircraftAttitude {
                time_boot_ms: 0,
                roll_rad: 0.0,
                pitch_rad: 0.0,
                yaw_rad: 0.0,
                roll_rate_rad_s: 0.0,
                pitch_rate_rad_s: 0.0,
                yaw_rate_rad_s: 0.0,
            }),
            expect: no_reply(CmdId::AIRCRAFT_ATTITUDE),
        },
        Question {
            id: QuestionId::RawGps,
            title: "0x3E raw GPS answered?",
            request: Request::RawGps(siyi_protocol::RawGps {
                time_boot_ms: 0,
                lat_deg_e7: 0,
                lon_deg_e7: 0,
                alt_msl_cm: 0,
                alt_ellipsoid_cm: 0,
                vn_mm_s: 0,
                ve_mm_s: 0,
                vd_mm_s: 0,
            }),
            expect: no_reply(CmdId::RAW_GPS),
        },
    ]
}

/// 0x81: read the camera's IP address, netmask and gateway (`u32` each).
pub const CMD_GET_IP: CmdId = CmdId(0x81);

/// The hardware-id question (asked first; the runner retries it while the camera is silent).
pub fn hardware_id_question() -> Question {
    Question {
        id: QuestionId::HardwareId,
        title: "0x02 hardware id (model)",
        request: Request::HardwareId,
        expect: Expect::reply(CmdId::HARDWARE_ID, 12, 2),
    }
}

/// The firmware question (asked once a second while the camera firmware reads 0.0.0).
pub fn firmware_question() -> Question {
    Question {
        id: QuestionId::Firmware,
        title: "0x01 firmware versions (A8: 8 bytes)",
        request: Request::FirmwareVersion,
        expect: Expect::reply(CmdId::FIRMWARE_VERSION, 8, 8),
    }
}

/// The liveness question asked after a silent one: 0x01, answered by every SIYI camera.
pub fn liveness_request() -> Request {
    Request::FirmwareVersion
}

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

/// What a window of datagrams held, for one expected command id.
#[derive(Debug, Default)]
struct Scan {
    /// The first valid frame of the expected command and its delay.
    first: Option<(u64, Frame)>,
    /// Valid frames of the expected command.
    matching: usize,
    /// Valid frames of other commands.
    other_frames: usize,
    /// Bytes that were no valid frame (garbage, bad CRC, truncated).
    bad_bytes: u64,
}

fn scan(cmd: CmdId, heard: &[Heard]) -> Scan {
    let mut s = Scan::default();
    for h in heard {
        // One decoder per datagram: a datagram cut short is garbage, not half of the next one.
        let mut decoder = FrameDecoder::new();
        decoder.push(&h.bytes);
        while let Some(item) = decoder.next_frame() {
            match item {
                Ok(frame) if frame.cmd == cmd => {
                    s.matching += 1;
                    if s.first.is_none() {
                        s.first = Some((h.after_ms, frame));
                    }
                }
                Ok(_) => s.other_frames += 1,
                Err(_) => {}
            }
        }
        s.bad_bytes += decoder.stats().dropped_bytes() + decoder.buffered() as u64;
    }
    s
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
        Err(reason) => verdict(
            Conclusion::Unsupported,
            format!("nothing answers HTTP on port {port}: {reason}"),
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

/// One question's entry in the report.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct QuestionReport {
    /// Which question.
    pub id: QuestionId,
    /// The command id asked (`"0x16"`), or `"http"` for the web server.
    pub cmd: String,
    /// One line for people.
    pub title: String,
    /// Every frame sent for this question, hex.
    pub sent: Vec<String>,
    /// What was found.
    #[serde(flatten)]
    pub judgement: Judgement,
    /// The A8 mini's payload length for the reply, bytes (None: no reply expected).
    pub a8_len: Option<usize>,
    /// Whether the question was skipped (needs a flag, or the probe was interrupted).
    pub skipped: bool,
    /// Further facts (counts, decoded values), as text.
    pub details: BTreeMap<String, String>,
}

impl QuestionReport {
    /// An entry for `question` and its judgement.
    pub fn new(question: &Question, sent: Vec<String>, judgement: Judgement) -> Self {
        Self {
            id: question.id,
            cmd: format!("0x{:02x}", question.expect.reply_cmd.0),
            title: question.title.to_string(),
            sent,
            judgement,
            a8_len: question
                .expect
                .documented_reply
                .then_some(question.expect.a8_len),
            skipped: false,
            details: BTreeMap::new(),
        }
    }

    /// An entry for a question that was not asked, and why.
    pub fn skipped(id: QuestionId, cmd: &str, title: &str, why: &str) -> Self {
        Self {
            id,
            cmd: cmd.to_string(),
            title: title.to_string(),
            sent: Vec::new(),
            judgement: Judgement::without_reply(
                Conclusion::Inconclusive,
                format!("skipped: {why}"),
            ),
            a8_len: None,
            skipped: true,
            details: BTreeMap::new(),
        }
    }
}

/// Measured times, milliseconds.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Timings {
    /// The whole probe.
    pub total_ms: u64,
    /// The firmware's 0.0.0 window, when it was observed.
    pub boot_window_ms: Option<u64>,
    /// 0x0C photo → 0x0B feedback.
    pub photo_feedback_ms: Option<u64>,
    /// 0x0C photo → the new file listed by the web server.
    pub photo_listed_ms: Option<u64>,
}

/// The probe's report (the `.json` file).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ProbeReport {
    /// Layout version ([`REPORT_FORMAT`]).
    pub format: u32,
    /// The `siyi-bridge` version that probed.
    pub tool_version: String,
    /// The camera's address.
    pub camera: String,
    /// The day of the probe, UTC, `YYYY-MM-DD`.
    pub date_utc: String,
    /// The model from the hardware id.
    pub model: Option<String>,
    /// The hardware id as text.
    pub hardware_id: Option<String>,
    /// The camera firmware (the last non-zero reading).
    pub camera_firmware: Option<String>,
    /// The gimbal firmware.
    pub gimbal_firmware: Option<String>,
    /// Whether the gimbal was allowed to move.
    pub allow_motion: bool,
    /// Whether a photo was allowed.
    pub allow_capture: bool,
    /// Whether the probe was stopped (Ctrl-C) before the end.
    pub interrupted: bool,
    /// Whether the camera answered nothing at all (0x02 and 0x01 silent): the other questions
    /// were not asked.
    pub camera_silent: bool,
    /// What the probe put back as it found it (zoom, motion mode, gimbal angles).
    pub restored: Vec<String>,
    /// Measured times.
    pub timings: Timings,
    /// One entry per question, in the order asked.
    pub questions: Vec<QuestionReport>,
}

impl ProbeReport {
    /// The entry of question `id`, if it was asked.
    pub fn question(&self, id: QuestionId) -> Option<&QuestionReport> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Records the identity found in a hardware-id reply.
    pub fn set_hardware_id(&mut self, id: &HardwareId) {
        self.hardware_id = Some(id.as_text());
        self.model = Some(model_name(id.model()));
    }

    /// The file name both outputs share, without extension:
    /// `probe-<model>-<firmware>-<YYYYMMDD>` (`unknown` for what was not learned).
    pub fn file_stem(&self) -> String {
        let slug = |s: &Option<String>| {
            s.as_deref()
                .map(|s| {
                    s.chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || c == '.' {
                                c.to_ascii_lowercase()
                            } else {
                                '-'
                            }
                        })
                        .collect::<String>()
                })
                .unwrap_or_else(|| "unknown".into())
        };
        format!(
            "probe-{}-{}-{}",
            slug(&self.model),
            slug(&self.camera_firmware),
            self.date_utc.replace('-', "")
        )
    }
}

/// A short model name for reports and file names.
pub fn model_name(model: CameraModel) -> String {
    match model {
        CameraModel::A8Mini => "A8 mini".into(),
        CameraModel::Zr10 => "ZR10".into(),
        CameraModel::A2Mini => "A2 mini".into(),
        CameraModel::Zr30 => "ZR30".into(),
        CameraModel::Zt30 => "ZT30".into(),
        CameraModel::Zt6 => "ZT6".into(),
        CameraModel::Unknown(Some(code)) => format!("model 0x{code:02x}"),
        CameraModel::Unknown(None) => "unknown model".into(),
        _ => "unknown model".into(),
    }
}

/// Why a probe report cannot be used as a camera profile.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ProfileError {
    /// Not JSON, or not a probe report.
    #[error("not a probe report: {0}")]
    NotAReport(String),
    /// A report of another layout version.
    #[error("probe report format {found}, this bridge reads format {REPORT_FORMAT}")]
    Format {
        /// The `format` found.
        found: u64,
    },
}

/// The commands a camera profile (a probe report) says the camera never answers, each with the
/// sentence to log: only those whose silence the bridge has a fallback for and which a probe
/// can settle for good (0x18 current zoom, 0x30 UTC time, 0x25 attitude stream), and only when
/// the probe concluded `unsupported` (no reply while the camera answered 0x01). Everything
/// else keeps the link's normal behaviour (ask, and fall back after 5 silent attempts).
pub fn profile_unanswered(report_json: &str) -> Result<Vec<(CmdId, String)>, ProfileError> {
    let v: serde_json::Value =
        serde_json::from_str(report_json).map_err(|e| ProfileError::NotAReport(e.to_string()))?;
    let format = v
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ProfileError::NotAReport("no \"format\"".into()))?;
    if format != u64::from(REPORT_FORMAT) {
        return Err(ProfileError::Format { found: format });
    }
    let questions = v
        .get("questions")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| ProfileError::NotAReport("no \"questions\"".into()))?;
    let known: [(&str, CmdId, &str); 3] = [
        (
            "current_zoom",
            CmdId::CURRENT_ZOOM,
            "0x18 current zoom is never polled; the zoom comes from 0x05 ACKs and commanded values",
        ),
        (
            "utc_time",
            CmdId::SET_UTC_TIME,
            "0x30 UTC time is sent without waiting for an answer",
        ),
        (
            "attitude_stream",
            CmdId::DATA_STREAM,
            "0x25 attitude stream is never asked; the attitude is polled with 0x0D",
        ),
    ];
    let mut out = Vec::new();
    for q in questions {
        let id = q.get("id").and_then(serde_json::Value::as_str);
        let unsupported =
            q.get("conclusion").and_then(serde_json::Value::as_str) == Some("unsupported");
        if let Some((_, cmd, what)) = known.iter().find(|(name, _, _)| Some(*name) == id) {
            if unsupported && !out.iter().any(|(c, _)| c == cmd) {
                out.push((*cmd, format!("the probe found {cmd} unanswered: {what}")));
            }
        }
    }
    Ok(out)
}

/// `YYYY-MM-DD` of a Unix time in microseconds (UTC; proleptic Gregorian calendar).
pub fn utc_date(unix_us: u64) -> String {
    let days = i64::try_from(unix_us / 86_400_000_000).unwrap_or(0);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(j.conclusion, Conclusion::Unsupported);
        let j = judge_web(&Ok((200, b"<html>".to_vec())), 82);
        assert_eq!(j.conclusion, Conclusion::Inconclusive);
        let body = br#"{"code":200,"success":true,"message":"","data":{"directories":[{"name":"101SIYI_IMG","path":"101SIYI_IMG"}]}}"#;
        let j = judge_web(&Ok((200, body.to_vec())), 82);
        assert_eq!(j.conclusion, Conclusion::Supported, "{}", j.note);
    }
}
