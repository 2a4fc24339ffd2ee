//! What a probe asks: the questions, what each sends and which reply it expects.

use serde::Serialize;
use siyi_protocol::{CmdId, Request};

use super::heard::Heard;

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
        super::heard::answered(self.expect.reply_cmd, heard)
    }
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
