//! Golden frames: every frame of `siyi-frames.json` parses, its header and typed payload match the
//! file's `decoded` fields, and re-encoding the decoded value gives the same bytes.
//!
//! The file is read from the shared design folder (`../shared/siyi-frames.json` beside the
//! workspace) when it exists, and always from the committed copy `fixtures/siyi-frames.json`.
//!
//! Every key of `decoded` must be either checked or named in [`NOT_CHECKED`] with the reason; an
//! unexpected new key fails the test, so the file and this test cannot drift apart silently.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use siyi_protocol::{
    CmdId, Ctrl, DataStreamType, EncodingParams, FeedbackCode, Frame, FunctionType, MotionMode,
    MountingDirection, RecordState, Reply, Request, StreamType, VideoCodec, ZoomDirection,
};

/// `decoded` keys deliberately not compared, with the reason.
const NOT_CHECKED: &[(&str, &str)] = &[
    (
        "cmd_name",
        "free text of the file's author; our names (CmdId::name) are worded differently",
    ),
    (
        "a8_mini",
        "support remark from the documents, not a frame property",
    ),
    ("note", "free-text commentary"),
    (
        "layout",
        "free-text commentary (the byte length is data_len)",
    ),
    (
        "meaning",
        "English gloss of the numeric value, which is checked",
    ),
    (
        "record",
        "English gloss of record_sta, which is checked as RecordState",
    ),
    (
        "motion",
        "English gloss of gimbal_motion_mode, which is checked",
    ),
    (
        "mounting",
        "English gloss of gimbal_mounting_dir, which is checked",
    ),
    (
        "video_out",
        "English gloss of video_hdmi_or_cvbs, which is checked",
    ),
    (
        "stream",
        "English gloss of stream_type / data_type, which are checked",
    ),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("siyi-protocol lives inside the workspace")
        .to_path_buf()
}

/// The frame files to test: the committed copy always, the shared original when present.
fn frame_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = vec![root.join("fixtures").join("siyi-frames.json")];
    let shared = root.join("..").join("shared").join("siyi-frames.json");
    if shared.exists() {
        files.push(shared);
    }
    files
}

fn load(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    value
        .as_array()
        .unwrap_or_else(|| panic!("{}: top level is not an array", path.display()))
        .clone()
}

fn parse_hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap_or_else(|_| panic!("bad hex byte {b:?}")))
        .collect()
}

fn parse_hex_number(text: &str) -> u64 {
    let digits = text
        .strip_prefix("0x")
        .unwrap_or_else(|| panic!("expected 0x..., got {text:?}"));
    u64::from_str_radix(digits, 16).unwrap_or_else(|_| panic!("bad hex number {text:?}"))
}

/// The `decoded` object of one frame, tracking which keys a check has looked at.
struct Decoded<'a> {
    name: &'a str,
    map: &'a Map<String, Value>,
    used: BTreeSet<&'a str>,
}

impl<'a> Decoded<'a> {
    fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }
    fn get(&mut self, key: &'a str) -> &'a Value {
        self.used.insert(key);
        self.map
            .get(key)
            .unwrap_or_else(|| panic!("{}: decoded.{key} missing", self.name))
    }
    fn int(&mut self, key: &'a str) -> i64 {
        let name = self.name;
        self.get(key)
            .as_i64()
            .unwrap_or_else(|| panic!("{name}: decoded.{key} is not an integer"))
    }
    fn float(&mut self, key: &'a str) -> f64 {
        let name = self.name;
        self.get(key)
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: decoded.{key} is not a number"))
    }
    fn text(&mut self, key: &'a str) -> &'a str {
        let name = self.name;
        self.get(key)
            .as_str()
            .unwrap_or_else(|| panic!("{name}: decoded.{key} is not a string"))
    }
    fn boolean(&mut self, key: &'a str) -> bool {
        let name = self.name;
        self.get(key)
            .as_bool()
            .unwrap_or_else(|| panic!("{name}: decoded.{key} is not a bool"))
    }
    /// Fails on keys neither checked nor listed in [`NOT_CHECKED`].
    fn finish(self) {
        let unchecked: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !self.used.contains(k.as_str()))
            .filter(|k| !NOT_CHECKED.iter().any(|(n, _)| n == k))
            .collect();
        assert!(
            unchecked.is_empty(),
            "{}: decoded fields not checked and not listed in NOT_CHECKED: {unchecked:?}",
            self.name
        );
    }
}

fn assert_close(name: &str, key: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() < 1e-4,
        "{name}: {key}: decoded {got}, file says {want}"
    );
}

/// Parses `"v0.2.8 (ignored high byte 0x00)"` into (major, minor, patch, high byte).
fn parse_fw(text: &str) -> (u8, u8, u8, u8) {
    let (version, rest) = text
        .strip_prefix('v')
        .and_then(|t| t.split_once(' '))
        .unwrap_or_else(|| panic!("firmware text {text:?}"));
    let parts: Vec<u8> = version
        .split('.')
        .map(|p| {
            p.parse()
                .unwrap_or_else(|_| panic!("firmware text {text:?}"))
        })
        .collect();
    let high = rest
        .split("0x")
        .nth(1)
        .and_then(|h| u8::from_str_radix(h.trim_end_matches(')'), 16).ok())
        .unwrap_or_else(|| panic!("firmware high byte in {text:?}"));
    assert_eq!(parts.len(), 3, "firmware text {text:?}");
    (parts[0], parts[1], parts[2], high)
}

fn codec_name(codec: VideoCodec) -> &'static str {
    match codec {
        VideoCodec::H264 => "H264",
        VideoCodec::H265 => "H265",
        VideoCodec::Other(_) => "other",
    }
}

/// The 0x20 / 0x21 layout; the file names byte 8 `byte8_key` (reserved in requests).
fn check_encoding(d: &mut Decoded<'_>, e: &EncodingParams, byte8_key: &'static str) {
    let name = d.name;
    assert_eq!(i64::from(e.stream.to_u8()), d.int("stream_type"), "{name}");
    assert_eq!(codec_name(e.codec), d.text("enc"), "{name}");
    assert_eq!(i64::from(e.width_px), d.int("width"), "{name}");
    assert_eq!(i64::from(e.height_px), d.int("height"), "{name}");
    assert_eq!(i64::from(e.bitrate_kbps), d.int("bitrate_kbps"), "{name}");
    assert_eq!(i64::from(e.framerate_fps), d.int(byte8_key), "{name}");
}

/// For command ids our types do not model (and other products' frames): the raw payload must
/// match whatever raw description the file gives.
fn check_raw(d: &mut Decoded<'_>, payload: &[u8]) {
    let name = d.name;
    if d.has("payload") {
        assert_eq!(d.text("payload"), "none (query)");
        assert!(payload.is_empty(), "{name}: query with a payload");
    }
    if d.has("payload_hex") {
        assert_eq!(
            parse_hex(d.text("payload_hex")),
            payload,
            "{name}: payload_hex"
        );
    }
    if d.has("payload_ascii") {
        let text = d.text("payload_ascii");
        assert!(
            payload.starts_with(text.as_bytes()),
            "{name}: payload_ascii {text:?}"
        );
    }
    // Single-byte values of untyped commands (manual focus, palette, thermal mode, laser, ...).
    for key in ["value", "palette"] {
        if d.has(key) {
            assert_eq!(payload, [d.int(key) as i8 as u8], "{name}: {key}");
        }
    }
    if d.has("sta") {
        assert_eq!(payload, [d.int("sta") as u8], "{name}: sta");
    }
    // 0x04 auto focus: `u8 1[, u16 x, u16 y]`.
    if d.has("auto_focus") {
        assert_eq!(payload.first().copied(), Some(d.int("auto_focus") as u8));
        if d.has("touch_x") {
            let x = u16::from_le_bytes([payload[1], payload[2]]);
            let y = u16::from_le_bytes([payload[3], payload[4]]);
            assert_eq!(i64::from(x), d.int("touch_x"), "{name}: touch_x");
            assert_eq!(i64::from(y), d.int("touch_y"), "{name}: touch_y");
        }
    }
}

fn check_request(d: &mut Decoded<'_>, req: &Request, frame: &Frame) {
    let name = d.name;
    match req {
        Request::TcpHeartbeat => assert_eq!(frame.payload(), [d.int("byte0") as u8]),
        Request::FirmwareVersion
        | Request::HardwareId
        | Request::CameraSystemInfo
        | Request::Attitude
        | Request::MaxZoom
        | Request::CurrentZoom
        | Request::GimbalMode
        | Request::FormatSd => check_raw(d, frame.payload()),
        Request::ManualZoom(dir) => {
            assert_eq!(
                Some(*dir),
                ZoomDirection::from_i8(d.int("value") as i8),
                "{name}"
            );
        }
        Request::GimbalRotation {
            yaw_speed,
            pitch_speed,
        } => {
            assert_eq!(i64::from(*yaw_speed), d.int("turn_yaw"), "{name}");
            assert_eq!(i64::from(*pitch_speed), d.int("turn_pitch"), "{name}");
        }
        Request::Center(pos) => assert_eq!(i64::from(pos.to_u8()), d.int("center_pos")),
        Request::Function(func) => {
            assert_eq!(i64::from(func.to_u8()), d.int("func_type"), "{name}");
            assert!(!matches!(func, FunctionType::Other(_)), "{name}");
        }
        Request::SetAngles { yaw, pitch } => {
            assert_eq!(i64::from(yaw.0), d.int("yaw_raw"), "{name}");
            assert_eq!(i64::from(pitch.0), d.int("pitch_raw"), "{name}");
            assert_close(name, "yaw_deg", yaw.degrees().into(), d.float("yaw_deg"));
            assert_close(
                name,
                "pitch_deg",
                pitch.degrees().into(),
                d.float("pitch_deg"),
            );
        }
        Request::AbsoluteZoom(zoom) => {
            assert_eq!(i64::from(zoom.int), d.int("zoom_int"), "{name}");
            assert_eq!(i64::from(zoom.tenths), d.int("zoom_frac"), "{name}");
            assert_close(name, "zoom", zoom.factor().into(), d.float("zoom"));
        }
        Request::GetEncoding(stream) => {
            assert_eq!(i64::from(stream.to_u8()), d.int("req_stream_type"));
        }
        Request::SetEncoding(e) => check_encoding(d, e, "reserved"),
        Request::DataStream { data_type, freq } => {
            assert_eq!(i64::from(data_type.to_u8()), d.int("data_type"), "{name}");
            assert_eq!(*data_type, DataStreamType::Attitude, "{name}");
            assert_eq!(i64::from(freq.0), d.int("freq_code"), "{name}");
            assert_eq!(freq.hz().map(i64::from), Some(d.int("freq_hz")), "{name}");
        }
        Request::SetUtcTime { unix_time_us } => {
            assert_eq!(
                Some(*unix_time_us),
                d.get("unix_time_us").as_u64(),
                "{name}"
            );
        }
        Request::RawGps(gps) => {
            assert_eq!(i64::from(gps.time_boot_ms), d.int("time_boot_ms"), "{name}");
            assert_eq!(i64::from(gps.lat_deg_e7), d.int("lat_degE7"), "{name}");
            assert_eq!(i64::from(gps.lon_deg_e7), d.int("lon_degE7"), "{name}");
            assert_eq!(i64::from(gps.alt_msl_cm), d.int("alt_msl_cm"), "{name}");
            assert_eq!(
                i64::from(gps.alt_ellipsoid_cm),
                d.int("alt_ellipsoid_cm"),
                "{name}"
            );
            assert_eq!(i64::from(gps.vn_mm_s), d.int("vn_mm_s"), "{name}");
            assert_eq!(i64::from(gps.ve_mm_s), d.int("ve_mm_s"), "{name}");
            assert_eq!(i64::from(gps.vd_mm_s), d.int("vd_mm_s"), "{name}");
            assert_close(
                name,
                "lat_deg",
                f64::from(gps.lat_deg_e7) / 1e7,
                d.float("lat_deg"),
            );
            assert_close(
                name,
                "lon_deg",
                f64::from(gps.lon_deg_e7) / 1e7,
                d.float("lon_deg"),
            );
        }
        Request::SoftReboot { camera, gimbal } => {
            assert_eq!(i64::from(*camera), d.int("camera_reboot"), "{name}");
            assert_eq!(i64::from(*gimbal), d.int("gimbal_reset"), "{name}");
        }
        Request::Unknown { cmd, payload } => {
            assert_eq!(*cmd, frame.cmd);
            check_raw(d, payload);
        }
        other => panic!("{name}: no check written for {other:?}"),
    }
}

fn check_reply(d: &mut Decoded<'_>, reply: &Reply, frame: &Frame) {
    let name = d.name;
    match reply {
        Reply::FirmwareVersion {
            camera,
            gimbal,
            zoom,
        } => {
            for (key, fw) in [("camera_fw", camera), ("gimbal_fw", gimbal)] {
                let (major, minor, patch, high) = parse_fw(d.text(key));
                assert_eq!(fw.triple(), (major, minor, patch), "{name}: {key}");
                assert_eq!((fw.0 >> 24) as u8, high, "{name}: {key} high byte");
                assert_eq!(fw.is_zero(), (major, minor, patch) == (0, 0, 0));
            }
            // The file's firmware frames are all the A8 mini's 8-byte layout.
            assert_eq!(*zoom, None, "{name}");
        }
        Reply::HardwareId(id) => {
            assert_eq!(id.as_text(), d.text("hardware_id"), "{name}");
            let code = parse_hex_number(d.text("product_code"));
            assert_eq!(id.product_code().map(u64::from), Some(code), "{name}");
            assert_eq!(id.model().name(), d.text("product"), "{name}");
        }
        Reply::ManualZoom { zoom_tenths } => {
            assert_eq!(
                i64::from(*zoom_tenths),
                d.int("zoom_multiple_raw"),
                "{name}"
            );
            assert_close(
                name,
                "zoom",
                f64::from(*zoom_tenths) / 10.0,
                d.float("zoom"),
            );
        }
        Reply::GimbalRotation { status }
        | Reply::Center { status }
        | Reply::AbsoluteZoom { status }
        | Reply::FormatSd { status } => assert_eq!(i64::from(*status), d.int("sta")),
        Reply::SetUtcTime { status } => assert_eq!(i64::from(*status), d.int("sta")),
        Reply::CameraSystemInfo(info) => {
            assert_eq!(i64::from(info.reserved0), d.int("reserved0"), "{name}");
            assert_eq!(i64::from(info.hdr_sta), d.int("hdr_sta"), "{name}");
            assert_eq!(i64::from(info.reserved2), d.int("reserved2"), "{name}");
            let record = d.int("record_sta");
            assert_eq!(i64::from(info.record_sta.to_u8()), record, "{name}");
            assert!(!matches!(info.record_sta, RecordState::Other(_)));
            assert_eq!(
                info.motion_mode.map(|m| i64::from(m.to_u8())),
                Some(d.int("gimbal_motion_mode")),
                "{name}"
            );
            assert!(!matches!(info.motion_mode, Some(MotionMode::Other(_))));
            assert_eq!(
                info.mounting_dir.map(|m| i64::from(m.to_u8())),
                Some(d.int("gimbal_mounting_dir")),
                "{name}"
            );
            assert!(!matches!(
                info.mounting_dir,
                Some(MountingDirection::Other(_))
            ));
            assert_eq!(
                info.video_output.map(i64::from),
                Some(d.int("video_hdmi_or_cvbs")),
                "{name}"
            );
            // A8 mini: 7 bytes, no zoom-linkage byte.
            assert_eq!(info.zoom_linkage, None, "{name}");
        }
        Reply::FunctionFeedback(code) => {
            assert_eq!(i64::from(code.to_u8()), d.int("info_type"), "{name}");
            assert!(!matches!(code, FeedbackCode::Other(_)), "{name}");
        }
        Reply::Attitude(a) => {
            for (key, v) in [
                ("yaw_deg", a.yaw.degrees()),
                ("pitch_deg", a.pitch.degrees()),
                ("roll_deg", a.roll.degrees()),
                ("yaw_rate_dps", a.yaw_rate.degrees_per_second()),
                ("pitch_rate_dps", a.pitch_rate.degrees_per_second()),
                ("roll_rate_dps", a.roll_rate.degrees_per_second()),
            ] {
                assert_close(name, key, v.into(), d.float(key));
            }
        }
        Reply::SetAngles { yaw, pitch, roll } => {
            for (key, v) in [
                ("yaw_deg", yaw.degrees()),
                ("pitch_deg", pitch.degrees()),
                ("roll_deg", roll.degrees()),
            ] {
                assert_close(name, key, v.into(), d.float(key));
            }
        }
        Reply::MaxZoom(zoom) | Reply::CurrentZoom(zoom) => {
            assert_eq!(i64::from(zoom.int), d.int("zoom_int"), "{name}");
            assert_eq!(i64::from(zoom.tenths), d.int("zoom_frac"), "{name}");
            assert_close(name, "zoom", zoom.factor().into(), d.float("zoom"));
        }
        Reply::GimbalMode(mode) => {
            assert_eq!(i64::from(mode.to_u8()), d.int("gimbal_mode"), "{name}");
        }
        Reply::Encoding(e) => check_encoding(d, e, "byte8_framerate_or_reserved"),
        Reply::SetEncoding { stream, status } => {
            assert_eq!(i64::from(stream.to_u8()), d.int("stream_type"), "{name}");
            assert_eq!(*stream, StreamType::Main, "{name}");
            assert_eq!(i64::from(*status), d.int("sta"), "{name}");
        }
        Reply::DataStream { data_type } => {
            assert_eq!(i64::from(*data_type), d.int("data_type"), "{name}");
        }
        Reply::SoftReboot { camera, gimbal } => {
            assert_eq!(i64::from(*camera), d.int("camera_reboot_sta"), "{name}");
            assert_eq!(i64::from(*gimbal), d.int("gimbal_reset_sta"), "{name}");
        }
        Reply::Unknown { cmd, payload } => {
            assert_eq!(*cmd, frame.cmd);
            check_raw(d, payload);
        }
        other => panic!("{name}: no check written for {other:?}"),
    }
}

/// Command ids that another SIYI product (the MK15 / UniRC datalink set) uses with its own
/// meaning and that the gimbal set also defines, with the reason. Frames of other products with
/// these ids decode as the gimbal command (the codec cannot know the product); every other id of
/// another product must stay `Unknown`.
const ID_COLLISIONS: &[(CmdId, &str)] = &[(
    CmdId::AI_MODE_STATUS,
    "0x4D is the gimbal's AI mode status (vendor text; A8 ticked); the MK15 RC's 0x4D reply \
     means something else and decodes as AiModeStatus with its second byte ignored",
)];

fn colliding_id(cmd: CmdId) -> Option<&'static str> {
    ID_COLLISIONS
        .iter()
        .find(|(id, _)| *id == cmd)
        .map(|(_, why)| *why)
}

/// Checks one entry of the file; returns its category.
fn check_entry(entry: &Value) -> String {
    let name = entry["name"].as_str().expect("name");
    let hex = entry["hex"].as_str().expect("hex");
    let category = entry["category"].as_str().expect("category").to_string();
    let direction = entry["direction"].as_str().expect("direction");
    let bytes = parse_hex(hex);

    let (frame, used) = Frame::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(used, bytes.len(), "{name}: frame length");
    assert_eq!(
        entry["cmd_id"].as_u64(),
        Some(u64::from(frame.cmd.0)),
        "{name}: cmd_id"
    );

    let map = entry["decoded"].as_object().expect("decoded object");
    let mut d = Decoded {
        name,
        map,
        used: BTreeSet::new(),
    };
    // Header fields.
    assert_eq!(
        u64::from(frame.ctrl.0),
        parse_hex_number(d.text("ctrl")),
        "{name}: ctrl"
    );
    assert_eq!(frame.ctrl.need_ack(), d.boolean("need_ack"), "{name}");
    assert_eq!(frame.ctrl.ack_pack(), d.boolean("ack_pack"), "{name}");
    assert_eq!(frame.payload().len() as i64, d.int("data_len"), "{name}");
    assert_eq!(i64::from(frame.seq), d.int("seq"), "{name}: seq");
    let crc = u16::from_le_bytes([bytes[bytes.len() - 2], bytes[bytes.len() - 1]]);
    assert_eq!(
        u64::from(crc),
        parse_hex_number(d.text("crc16")),
        "{name}: crc16"
    );

    // Another product's frame whose id the gimbal set now types (see [`ID_COLLISIONS`]): the
    // codec decodes by id alone, so it gets the gimbal meaning; only its raw bytes are checked.
    if category == "public-other-siyi-product" && colliding_id(frame.cmd).is_some() {
        check_raw(&mut d, frame.payload());
        let reply = Reply::from_frame(&frame).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(reply.cmd_id(), frame.cmd, "{name}");
        d.finish();
        return category;
    }

    // Typed payload, then re-encoding. Frames whose CTRL is not the standard one for their
    // direction (the MT11 "set IP" printed with CTRL 0x02) are re-encoded with their raw CTRL.
    let mut out = Vec::new();
    match direction {
        "request" => {
            let req = Request::from_frame(&frame).unwrap_or_else(|e| panic!("{name}: {e}"));
            check_request(&mut d, &req, &frame);
            if frame.ctrl == Ctrl::REQUEST {
                req.encode_frame(frame.seq, &mut out);
            } else {
                let mut payload = Vec::new();
                req.encode_payload(&mut payload);
                Frame::new(frame.ctrl, frame.seq, req.cmd_id(), payload)
                    .expect("short payload")
                    .encode(&mut out);
            }
        }
        "response" | "push" => {
            assert_eq!(frame.ctrl, Ctrl::REPLY, "{name}: reply CTRL");
            let reply = Reply::from_frame(&frame).unwrap_or_else(|e| panic!("{name}: {e}"));
            check_reply(&mut d, &reply, &frame);
            reply.encode_frame(frame.seq, &mut out);
        }
        other => panic!("{name}: unknown direction {other:?}"),
    }
    assert_eq!(out, bytes, "{name}: re-encoded bytes differ");
    // The owned frame re-encodes too.
    assert_eq!(frame.to_bytes(), bytes, "{name}: Frame::to_bytes");

    if category == "public-other-siyi-product" {
        // Other products reuse the framing with their own command meanings: they must stay raw.
        let raw = match direction {
            "request" => matches!(Request::from_frame(&frame), Ok(Request::Unknown { .. })),
            _ => matches!(Reply::from_frame(&frame), Ok(Reply::Unknown { .. })),
        };
        assert!(
            raw,
            "{name}: other product's frame decoded as a typed A8 value"
        );
    }
    d.finish();
    category
}

#[test]
fn golden_frames_parse_match_and_reencode() {
    for path in frame_files() {
        let entries = load(&path);
        assert!(
            entries.len() >= 80,
            "{}: only {} frames",
            path.display(),
            entries.len()
        );
        let mut categories = BTreeSet::new();
        for entry in &entries {
            categories.insert(check_entry(entry));
        }
        let expected: BTreeSet<String> = ["constructed", "public", "public-other-siyi-product"]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(categories, expected, "{}", path.display());
    }
}

#[test]
fn committed_copy_matches_shared_file() {
    let root = workspace_root();
    let shared = root.join("..").join("shared").join("siyi-frames.json");
    if !shared.exists() {
        return;
    }
    let copy = load(&root.join("fixtures").join("siyi-frames.json"));
    assert_eq!(
        copy,
        load(&shared),
        "fixtures/siyi-frames.json is out of date: copy ../shared/siyi-frames.json again"
    );
}

#[test]
fn every_golden_frame_through_one_stream_decoder() {
    // All frames back to back, as one stream: the decoder finds each, in order.
    let path = &frame_files()[0];
    let entries = load(path);
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for entry in &entries {
        let bytes = parse_hex(entry["hex"].as_str().expect("hex"));
        expected.push(Frame::parse(&bytes).expect("valid").0);
        stream.extend_from_slice(&bytes);
    }
    let mut decoder = siyi_protocol::FrameDecoder::new();
    decoder.push(&stream);
    let mut got = Vec::new();
    while let Some(item) = decoder.next_frame() {
        got.push(item.expect("no errors in the golden stream"));
    }
    assert_eq!(got, expected);
    assert_eq!(decoder.stats().garbage_bytes, 0);
    assert_eq!(decoder.buffered(), 0);
}
