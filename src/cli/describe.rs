//! Human- and machine-readable descriptions of SIYI frames as JSON, with units in the field names
//! (`yaw_deg`, `zoom_factor`, `bitrate_kbps`). Used by `siyi-bridge decode` and `replay`.
//!
//! Pure functions: no I/O. [`describe_frame`] describes one valid frame; [`describe_datagram`]
//! splits a datagram (or any byte run) into frames, bad frames and garbage, and describes each.

use serde_json::{json, Map, Value};
use siyi_protocol::frame::{HeaderPeek, HEADER_LEN, STX};
use siyi_protocol::{AiTrack, EncodingParams, Frame, FrameError, Reply, Request};

use crate::record::{to_hex, Direction};

/// Whether a frame is read as a request (host → camera) or a reply (camera → host).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Host → camera.
    Request,
    /// Camera → host.
    Reply,
}

impl Kind {
    /// From the recorded direction, or, without one, from the CTRL `ack_pack` bit.
    pub fn of(frame: &Frame, direction: Option<Direction>) -> Self {
        match direction {
            Some(Direction::ToCamera) => Self::Request,
            Some(Direction::FromCamera) => Self::Reply,
            None if frame.ctrl.ack_pack() => Self::Reply,
            None => Self::Request,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Reply => "reply",
        }
    }
}

/// Describes one valid (CRC-checked) frame as a JSON object.
///
/// Always present: `cmd_id` (number), `cmd_name`, `seq`, `ctrl` (`"0x01"`), `need_ack`,
/// `ack_pack`, `data_len`, `crc_ok` (true), `kind` (`"request"` / `"reply"`), `hex`. Then the
/// decoded payload fields with units in their names. A payload that cannot be decoded for its
/// command id adds `"error"` and `payload_hex`.
pub fn describe_frame(frame: &Frame, direction: Option<Direction>) -> Value {
    let kind = Kind::of(frame, direction);
    let mut obj = Map::new();
    obj.insert("cmd_id".into(), json!(frame.cmd.0));
    obj.insert(
        "cmd_name".into(),
        json!(frame.cmd.name().unwrap_or("unknown")),
    );
    obj.insert("seq".into(), json!(frame.seq));
    obj.insert("ctrl".into(), json!(format!("{:#04x}", frame.ctrl.0)));
    obj.insert("need_ack".into(), json!(frame.ctrl.need_ack()));
    obj.insert("ack_pack".into(), json!(frame.ctrl.ack_pack()));
    obj.insert("data_len".into(), json!(frame.payload().len()));
    obj.insert("crc_ok".into(), json!(true));
    obj.insert("kind".into(), json!(kind.as_str()));
    let decoded = match kind {
        Kind::Request => Request::from_frame(frame).map(|r| request_fields(&r)),
        Kind::Reply => Reply::from_frame(frame).map(|r| reply_fields(&r)),
    };
    match decoded {
        Ok(fields) => obj.extend(fields),
        Err(e) => {
            obj.insert("error".into(), json!(format!("payload: {e}")));
            obj.insert("payload_hex".into(), json!(to_hex(frame.payload())));
        }
    }
    obj.insert("hex".into(), json!(to_hex(&frame.to_bytes())));
    Value::Object(obj)
}

/// True when a description (from [`describe_frame`] or [`describe_datagram`]) reports a problem:
/// a framing/CRC error, undecodable payload, or garbage bytes.
pub fn is_failure(description: &Value) -> bool {
    description.get("error").is_some()
}

/// Splits `bytes` (one datagram, or one line of hex) into frames, bad frames and garbage, and
/// describes each in order. Every item has `offset` (byte offset in `bytes`).
///
/// A frame start (`55 66`) that fails (CRC, length over the limit, cut off at the end) gives an
/// object with `crc_ok: false`, `error` and the evidence; scanning resumes two bytes later, so a
/// valid frame hidden inside a damaged one is still found (the rest of the damaged frame is not
/// reported again as garbage). Bytes that start no frame are reported
/// as `{"kind": "garbage", "error", "len", "hex"}`.
pub fn describe_datagram(bytes: &[u8], direction: Option<Direction>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut garbage_from: Option<usize> = None;
    // Bytes up to here belong to a reported bad frame: not garbage again (unless a valid frame
    // is found inside it, which is reported on its own).
    let mut covered_until = 0;
    let mut i = 0;
    while i < bytes.len() {
        let rest = bytes.get(i..).unwrap_or_default();
        if rest.starts_with(&STX) {
            flush_garbage(bytes, &mut garbage_from, i, &mut out);
            match Frame::parse(rest) {
                Ok((frame, used)) => {
                    out.push(with_offset(describe_frame(&frame, direction), i));
                    i += used;
                }
                Err(e) => {
                    let (value, span) = describe_frame_error(rest, &e);
                    out.push(with_offset(value, i));
                    covered_until = covered_until.max(i + span);
                    i += STX.len();
                }
            }
            continue;
        }
        if i >= covered_until {
            garbage_from.get_or_insert(i);
        }
        i += 1;
    }
    flush_garbage(bytes, &mut garbage_from, bytes.len(), &mut out);
    out
}

fn with_offset(mut value: Value, offset: usize) -> Value {
    if let Value::Object(obj) = &mut value {
        obj.insert("offset".into(), json!(offset));
    }
    value
}

fn flush_garbage(bytes: &[u8], from: &mut Option<usize>, to: usize, out: &mut Vec<Value>) {
    if let Some(start) = from.take() {
        let junk = bytes.get(start..to).unwrap_or_default();
        out.push(json!({
            "kind": "garbage",
            "offset": start,
            "len": junk.len(),
            "error": format!("{} bytes that start no frame (no 55 66)", junk.len()),
            "hex": to_hex(junk),
        }));
    }
}

/// Describes a frame start that failed to parse, with the evidence (what the header says, the
/// CRC found vs computed, the bytes), and how many bytes the bad frame claims.
fn describe_frame_error(rest: &[u8], error: &FrameError) -> (Value, usize) {
    let mut obj = Map::new();
    obj.insert("crc_ok".into(), json!(false));
    obj.insert("error".into(), json!(error.to_string()));
    let header = HeaderPeek::of(rest);
    if let Some(ctrl) = header.ctrl {
        obj.insert("ctrl".into(), json!(format!("{:#04x}", ctrl.0)));
    }
    if let Some(len) = header.payload_len {
        obj.insert("data_len".into(), json!(len));
    }
    if let Some(seq) = header.seq {
        obj.insert("seq".into(), json!(seq));
    }
    if let Some(cmd) = header.cmd {
        obj.insert("cmd_id".into(), json!(cmd.0));
        obj.insert("cmd_name".into(), json!(cmd.name().unwrap_or("unknown")));
    }
    let shown = match error {
        FrameError::CrcMismatch {
            expected, computed, ..
        } => {
            obj.insert("crc_found".into(), json!(format!("{expected:#06x}")));
            obj.insert("crc_computed".into(), json!(format!("{computed:#06x}")));
            header.frame_len().unwrap_or(rest.len())
        }
        FrameError::PayloadTooLong { .. } => HEADER_LEN,
        _ => rest.len(),
    };
    let shown = shown.min(rest.len());
    obj.insert(
        "hex".into(),
        json!(to_hex(rest.get(..shown).unwrap_or(rest))),
    );
    (Value::Object(obj), shown)
}

fn deg(decidegrees: i16) -> Value {
    json!(f64::from(decidegrees) / 10.0)
}

fn tenths(value: u16) -> Value {
    json!(f64::from(value) / 10.0)
}

/// The name of a defined value, or the raw number for an undefined one.
fn name_or_number(name: Option<&'static str>, value: u8) -> Value {
    name.map_or(json!(value), |n| json!(n))
}

fn encoding_fields(e: &EncodingParams, last_byte: &str) -> Value {
    let mut v = json!({
        "stream": name_or_number(e.stream.name(), e.stream.to_u8()),
        "codec": name_or_number(e.codec.name(), e.codec.to_u8()),
        "width_px": e.width_px,
        "height_px": e.height_px,
        "bitrate_kbps": e.bitrate_kbps,
    });
    if let Value::Object(obj) = &mut v {
        obj.insert(last_byte.into(), json!(e.framerate_fps));
    }
    v
}

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn request_fields(req: &Request) -> Map<String, Value> {
    fields(match req {
        Request::TcpHeartbeat
        | Request::FirmwareVersion
        | Request::HardwareId
        | Request::CameraSystemInfo
        | Request::Attitude
        | Request::MaxZoom
        | Request::CurrentZoom
        | Request::GimbalMode
        | Request::FormatSd
        | Request::AiModeStatus
        | Request::AiStreamStatus => json!({}),
        Request::SetAiStream { on } => json!({"track_action": u8::from(*on), "stream_on": on}),
        Request::ManualZoom(dir) => json!({"zoom_direction": dir.name()}),
        Request::GimbalRotation {
            yaw_speed,
            pitch_speed,
        } => json!({"yaw_speed_pct": yaw_speed, "pitch_speed_pct": pitch_speed}),
        Request::Center(pos) => json!({
            "center_pos": pos.to_u8(),
            "center_pos_name": pos.name().unwrap_or("other"),
        }),
        Request::Function(func) => {
            json!({"func_type": func.to_u8(), "func_name": func.name().unwrap_or("other")})
        }
        Request::SetAngles { yaw, pitch } => {
            json!({"yaw_deg": deg(yaw.0), "pitch_deg": deg(pitch.0)})
        }
        Request::AbsoluteZoom(zoom) => json!({"zoom_factor": tenths(zoom.in_tenths())}),
        Request::GetEncoding(stream) => {
            json!({"stream": name_or_number(stream.name(), stream.to_u8())})
        }
        Request::SetEncoding(e) => encoding_fields(e, "reserved"),
        Request::AircraftAttitude(a) => serde_json::to_value(a).unwrap_or_default(),
        Request::DataStream { data_type, freq } => json!({
            "data_type": data_type.to_u8(),
            "data_type_name": data_type.name().unwrap_or("other"),
            "freq_code": freq.0,
            "freq_hz": freq.hz(),
        }),
        Request::SetUtcTime { unix_time_us } => json!({"unix_time_us": unix_time_us}),
        Request::RawGps(gps) => json!({
            "time_boot_ms": gps.time_boot_ms,
            "lat_deg": gps.lat_deg(),
            "lon_deg": gps.lon_deg(),
            "alt_msl_cm": gps.alt_msl_cm,
            "alt_ellipsoid_cm": gps.alt_ellipsoid_cm,
            "vn_mm_s": gps.vn_mm_s,
            "ve_mm_s": gps.ve_mm_s,
            "vd_mm_s": gps.vd_mm_s,
        }),
        Request::SingleAxis { angle, axis } => json!({
            "angle_deg": deg(angle.0),
            "axis": match axis { 0 => json!("yaw"), 1 => json!("pitch"), v => json!(v) },
        }),
        Request::SoftReboot { camera, gimbal } => {
            json!({"camera_reboot": camera, "gimbal_reset": gimbal})
        }
        Request::Unknown { payload, .. } => json!({"payload_hex": to_hex(payload)}),
        other => json!({"debug": format!("{other:?}")}),
    })
}

fn reply_fields(reply: &Reply) -> Map<String, Value> {
    fields(match reply {
        Reply::FirmwareVersion {
            camera,
            gimbal,
            zoom,
        } => {
            let mut v = json!({
                "camera_fw": camera.to_string(),
                "gimbal_fw": gimbal.to_string(),
                "camera_booting": camera.is_zero(),
            });
            if let (Some(zoom), Value::Object(obj)) = (zoom, &mut v) {
                obj.insert("zoom_fw".into(), json!(zoom.to_string()));
            }
            v
        }
        Reply::HardwareId(id) => json!({
            "hardware_id": id.as_text(),
            "product_code": id.product_code().map(|c| format!("{c:#04x}")),
            "model": id.model().name(),
        }),
        Reply::ManualZoom { zoom_tenths } => json!({"zoom_factor": tenths(*zoom_tenths)}),
        Reply::GimbalRotation { status }
        | Reply::Center { status }
        | Reply::AbsoluteZoom { status }
        | Reply::FormatSd { status } => json!({"status": status, "ok": *status == 1}),
        Reply::SetUtcTime { status } => json!({"status": status, "ok": *status == 1}),
        Reply::CameraSystemInfo(info) => {
            let mut v = json!({
                "hdr_on": info.hdr_sta == 1,
                "record_sta": info.record_sta.name().unwrap_or("other"),
                "record_sta_code": info.record_sta.to_u8(),
            });
            if let Value::Object(obj) = &mut v {
                if let Some(mode) = info.motion_mode {
                    obj.insert(
                        "motion_mode".into(),
                        name_or_number(mode.name(), mode.to_u8()),
                    );
                }
                if let Some(dir) = info.mounting_dir {
                    let name = name_or_number(dir.name(), dir.to_u8());
                    obj.insert("mounting_dir".into(), name);
                }
                if let Some(out) = info.video_output {
                    let name = match out {
                        0 => json!("hdmi"),
                        1 => json!("cvbs"),
                        v => json!(v),
                    };
                    obj.insert("video_output".into(), name);
                }
                if let Some(link) = info.zoom_linkage {
                    obj.insert("zoom_linkage".into(), json!(link));
                }
            }
            v
        }
        Reply::FunctionFeedback(code) => {
            json!({"info_type": code.to_u8(), "feedback": code.name().unwrap_or("other")})
        }
        Reply::Attitude(a) => json!({
            "yaw_deg": deg(a.yaw.0),
            "pitch_deg": deg(a.pitch.0),
            "roll_deg": deg(a.roll.0),
            "yaw_rate_dps": deg(a.yaw_rate.0),
            "pitch_rate_dps": deg(a.pitch_rate.0),
            "roll_rate_dps": deg(a.roll_rate.0),
        }),
        Reply::SetAngles { yaw, pitch, roll } | Reply::SingleAxis { yaw, pitch, roll } => json!({
            "yaw_deg": deg(yaw.0),
            "pitch_deg": deg(pitch.0),
            "roll_deg": deg(roll.0),
        }),
        Reply::MaxZoom(zoom) => json!({"max_zoom_factor": tenths(zoom.in_tenths())}),
        Reply::CurrentZoom(zoom) => json!({"zoom_factor": tenths(zoom.in_tenths())}),
        Reply::GimbalMode(mode) => {
            json!({"motion_mode": name_or_number(mode.name(), mode.to_u8())})
        }
        Reply::Encoding(e) => encoding_fields(e, "framerate_fps"),
        Reply::SetEncoding { stream, status } => {
            json!({
                "stream": name_or_number(stream.name(), stream.to_u8()),
                "status": status,
                "ok": *status == 1,
            })
        }
        Reply::DataStream { data_type } => json!({"data_type": data_type}),
        Reply::SoftReboot { camera, gimbal } => {
            json!({"camera_reboot_sta": camera, "gimbal_reset_sta": gimbal})
        }
        Reply::AiModeStatus(mode) => json!({
            "ai_mode": name_or_number(mode.name(), mode.to_u8()),
            "ai_mode_code": mode.to_u8(),
        }),
        Reply::AiStreamStatus(status) => json!({
            "ai_stream_status": name_or_number(status.name(), status.to_u8()),
            "ai_stream_status_code": status.to_u8(),
        }),
        Reply::AiTracking(t) => json!({
            "x_px": t.x_px,
            "y_px": t.y_px,
            "width_px": t.width_px,
            "height_px": t.height_px,
            "frame_width_px": AiTrack::FRAME_WIDTH_PX,
            "frame_height_px": AiTrack::FRAME_HEIGHT_PX,
            "target": name_or_number(t.target.name(), t.target.to_u8()),
            "target_id": t.target.to_u8(),
            "track_sta": name_or_number(t.status.name(), t.status.to_u8()),
            "track_sta_code": t.status.to_u8(),
        }),
        // 0 = failed, anything else = done (the `siyi_sdk` reading; see `Reply::SetAiStream`).
        Reply::SetAiStream { status } => json!({"status": status, "ok": *status != 0}),
        Reply::Unknown { payload, .. } => json!({"payload_hex": to_hex(payload)}),
        other => json!({"debug": format!("{other:?}")}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_hex;

    fn one(hex: &str, dir: Option<Direction>) -> Value {
        let items = describe_datagram(&parse_hex(hex).unwrap(), dir);
        assert_eq!(items.len(), 1, "{items:?}");
        items.into_iter().next().unwrap()
    }

    #[test]
    fn attitude_reply_with_units() {
        // siyi-frames.json: "gimbal attitude reply (yaw 12.5, pitch -45.0, roll 0.3 deg ...)".
        let v = one(
            "55 66 02 0c 00 20 00 0d 7d 00 3e fe 03 00 0a 00 e7 ff 00 00 cf a4",
            None,
        );
        assert_eq!(v["cmd_id"], 13);
        assert_eq!(v["cmd_name"], "gimbal attitude");
        assert_eq!(v["kind"], "reply");
        assert_eq!(v["crc_ok"], true);
        assert_eq!(v["seq"], 32);
        assert_eq!(v["ctrl"], "0x02");
        assert_eq!(v["data_len"], 12);
        assert_eq!(v["yaw_deg"], 12.5);
        assert_eq!(v["pitch_deg"], -45.0);
        assert_eq!(v["roll_deg"], 0.3);
        assert_eq!(v["pitch_rate_dps"], -2.5);
        assert!(!is_failure(&v));
    }

    #[test]
    fn firmware_hardware_and_system_info() {
        let fw = one(
            "55 66 02 08 00 01 00 01 08 02 00 00 09 03 00 00 4e fc",
            None,
        );
        assert_eq!(fw["camera_fw"], "0.2.8");
        assert_eq!(fw["gimbal_fw"], "0.3.9");
        assert_eq!(fw["camera_booting"], false);
        let hw = one(
            "55 66 02 0c 00 03 00 02 37 33 34 32 30 31 31 32 35 36 00 00 a2 ab",
            None,
        );
        assert_eq!(hw["model"], "A8 mini");
        assert_eq!(hw["product_code"], "0x73");
        let info = one("55 66 02 07 00 04 00 0a 00 00 00 01 01 01 00 ab 20", None);
        assert_eq!(info["record_sta"], "recording");
        assert_eq!(info["motion_mode"], "follow");
        assert_eq!(info["video_output"], "hdmi");
    }

    #[test]
    fn direction_overrides_ctrl() {
        // The MT11 "set IP" command printed with CTRL 0x02: by CTRL a reply, by direction a request.
        let hex = "55 66 02 0c 00 00 00 82 c0 a8 90 19 ff ff ff 00 c0 a8 90 01 df a6";
        assert_eq!(one(hex, None)["kind"], "reply");
        let v = one(hex, Some(Direction::ToCamera));
        assert_eq!(v["kind"], "request");
        assert_eq!(v["payload_hex"], "c0 a8 90 19 ff ff ff 00 c0 a8 90 01");
        // A request: zoom 4.5x.
        let z = one("55 66 01 02 00 01 00 0f 04 05 60 bb", None);
        assert_eq!(z["zoom_factor"], 4.5);
        assert_eq!(z["kind"], "request");
    }

    #[test]
    fn bad_crc_garbage_and_several_frames() {
        let good = "55 66 01 01 00 00 00 08 01 d1 12";
        let bad = "55 66 01 01 00 00 00 08 01 d1 13";
        let hex = format!("{good} 00 01 {bad} 07 {good} 55 66 02");
        let items = describe_datagram(&parse_hex(&hex).unwrap(), None);
        let kinds: Vec<String> = items
            .iter()
            .map(|v| {
                v.get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            ["request", "garbage", "error", "garbage", "request", "error"]
        );
        assert_eq!(items[1]["offset"], 11);
        assert_eq!(items[2]["crc_ok"], false);
        assert_eq!(items[2]["crc_found"], "0x13d1");
        assert_eq!(items[2]["crc_computed"], "0x12d1");
        assert_eq!(items[2]["cmd_id"], 8);
        assert!(items[5]["error"].as_str().unwrap().contains("truncated"));
        assert_eq!(
            items[3]["len"], 1,
            "only the byte after the bad frame is garbage"
        );
        assert_eq!(items.iter().filter(|v| is_failure(v)).count(), 4);
    }

    #[test]
    fn ai_tracking_requests_and_replies() {
        // Constructed, not captured (siyi-protocol/tests/ai_tracking.rs).
        let push = one(
            "55 66 02 0a 00 13 00 50 80 02 68 01 40 00 24 00 01 00 7e 60",
            None,
        );
        assert_eq!(push["cmd_name"], "AI tracking coordinates");
        assert_eq!(push["kind"], "reply");
        assert_eq!(push["x_px"], 640);
        assert_eq!(push["y_px"], 360);
        assert_eq!(push["width_px"], 64);
        assert_eq!(push["height_px"], 36);
        assert_eq!(push["frame_width_px"], 1280);
        assert_eq!(push["target"], "car");
        assert_eq!(push["track_sta"], "tracking");
        let any = one(
            "55 66 02 0a 00 14 00 50 e8 03 c8 00 78 00 50 00 ff 04 81 a4",
            None,
        );
        assert_eq!(any["target"], "any_object");
        assert_eq!(any["target_id"], 255);
        assert_eq!(any["track_sta"], "tracking_any_object");
        let mode = one("55 66 02 01 00 10 00 4d 01 cd 23", None);
        assert_eq!(mode["ai_mode"], "on");
        let stream = one("55 66 02 01 00 11 00 4e 01 2a 00", None);
        assert_eq!(stream["ai_stream_status"], "streaming");
        let ack = one("55 66 02 01 00 12 00 51 01 bb 88", None);
        assert_eq!(ack["ok"], true);
        let on = one("55 66 01 01 00 02 00 51 01 9e 4b", None);
        assert_eq!(on["kind"], "request");
        assert_eq!(on["stream_on"], true);
        assert_eq!(on["track_action"], 1);
        let query = one("55 66 01 00 00 01 00 4e 7f 4a", None);
        assert_eq!(query["cmd_name"], "AI tracking stream status");
        assert!(!is_failure(&query));
        // An undefined value is printed as its number.
        let odd = Frame::new(
            siyi_protocol::Ctrl::REPLY,
            1,
            siyi_protocol::CmdId::AI_MODE_STATUS,
            vec![7],
        )
        .unwrap();
        assert_eq!(describe_frame(&odd, None)["ai_mode"], 7);
    }

    #[test]
    fn short_payload_is_reported() {
        // 0x0D reply with a 2-byte payload: framing fine, payload too short.
        let frame = Frame::new(
            siyi_protocol::Ctrl::REPLY,
            1,
            siyi_protocol::CmdId::ATTITUDE,
            vec![1, 2],
        )
        .unwrap();
        let v = describe_frame(&frame, None);
        assert_eq!(v["crc_ok"], true);
        assert!(v["error"].as_str().unwrap().contains("too short"));
        assert!(is_failure(&v));
    }
}
