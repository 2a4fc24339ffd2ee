//! The probe's command-line arguments, its options, what it produced, and the human summary.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::core::probe::{Conclusion, ProbeReport};

/// Arguments of `siyi-bridge camera probe` (the camera address and the boot wait are `camera`'s
/// `--camera` and `--boot-timeout-ms`).
#[derive(Debug, Clone, clap::Args)]
pub struct ProbeArgs {
    /// Directory for the two files (created if missing).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Allow the gimbal to move: a slow yaw turn for 1 s to learn the sign of 0x07, then back.
    #[arg(long)]
    pub allow_motion: bool,
    /// Allow one photo: does 0x0B photo feedback arrive over UDP, and when is the file listed.
    #[arg(long)]
    pub allow_capture: bool,
    /// TCP port of the camera's web server (media API).
    #[arg(long, default_value_t = 82)]
    pub media_port: u16,
    /// How long each question waits for its reply, in ms.
    #[arg(long, default_value_t = 1000)]
    pub reply_timeout_ms: u64,
}

/// Everything a probe needs (the CLI's arguments, resolved).
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The camera's SIYI address.
    pub camera: SocketAddr,
    /// Local address to bind (None: any address, an ephemeral port).
    pub bind: Option<SocketAddr>,
    /// The web server's host and port (default: the camera's host, port 82).
    pub media: SocketAddr,
    /// Output directory.
    pub out: PathBuf,
    /// Whether the gimbal may move.
    pub allow_motion: bool,
    /// Whether one photo may be taken.
    pub allow_capture: bool,
    /// Per-question reply timeout.
    pub reply_timeout: Duration,
    /// Longest wait for a booting camera.
    pub boot_timeout: Duration,
}

/// What a probe produced.
#[derive(Debug)]
pub struct ProbeOutcome {
    /// The report (also written as JSON).
    pub report: ProbeReport,
    /// The traffic file (JSONL, fixture format).
    pub jsonl_path: PathBuf,
    /// The report file.
    pub json_path: PathBuf,
}

pub(super) fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The human summary printed at the end.
pub fn summary(outcome: &ProbeOutcome) -> String {
    let r = &outcome.report;
    let unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let mut out = String::new();
    out.push_str(&format!(
        "Probed {} — {} (hardware id {}), camera firmware {}, gimbal firmware {}{}\n",
        r.camera,
        unknown(&r.model),
        unknown(&r.hardware_id),
        unknown(&r.camera_firmware),
        unknown(&r.gimbal_firmware),
        if r.interrupted {
            " — INTERRUPTED"
        } else {
            ""
        }
    ));
    if r.camera_silent {
        out.push_str(
            "  The camera answered neither 0x02 nor 0x01: check the address (--camera), that it is \
             powered, and that this machine is on its network (e.g. 192.168.144.20/24).\n",
        );
    }
    for q in &r.questions {
        let word = match q.judgement.conclusion {
            Conclusion::Supported => "supported   ",
            Conclusion::Unsupported => "unsupported ",
            Conclusion::Inconclusive => "inconclusive",
        };
        out.push_str(&format!(
            "  {word}  {:<5} {}: {}\n",
            q.cmd, q.title, q.judgement.note
        ));
    }
    if !r.restored.is_empty() {
        out.push_str(&format!("Put back: {}\n", r.restored.join("; ")));
    }
    if r.camera_silent && !r.interrupted {
        out.push_str(&format!(
            "\nNothing answered at {}: no report to send (the two files hold only the unanswered \
             questions:\n  {}\n  {}).\n",
            r.camera,
            outcome.json_path.display(),
            outcome.jsonl_path.display(),
        ));
        return out;
    }
    out.push_str(&format!(
        "\nPlease send these two files back:\n  {}\n  {}\nby opening an issue in the siyi-bridge project's issue tracker (title: \"camera probe: {} {}\") and attaching both.\n",
        outcome.json_path.display(),
        outcome.jsonl_path.display(),
        unknown(&r.model),
        unknown(&r.camera_firmware),
    ));
    out
}
