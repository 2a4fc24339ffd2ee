//! The probe's report (JSON) and what the bridge reads back from one (`--camera-profile`).

use std::collections::BTreeMap;

use serde::Serialize;
use siyi_protocol::{CameraModel, CmdId, HardwareId};

use super::judge::*;
use super::questions::*;

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
