//! `siyi-bridge camera`: talk to a camera (or the simulator) directly through the SIYI link.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use siyi_protocol::{Decidegrees, MotionMode, RecordState, ZoomDirection};

use crate::core::link::{
    record_state_words, LinkConfig, LinkControl, LinkEvent, LinkHealth, OpOutcome, Operation,
    Owner, SiyiLink, PITCH_MAX_DECIDEGREES, PITCH_MIN_DECIDEGREES, YAW_LIMIT_DECIDEGREES,
};
mod text;

use text::{clamped, no_reply, print_attitude, print_info, zoom_source_words};

pub(crate) use text::human_ms;

use crate::io::endpoint::resolve_host_port;
use crate::io::siyi::{clock_now, drive_until, DriveStats, SiyiSocket, DEFAULT_CAMERA_ADDR};

/// Arguments of `siyi-bridge camera`.
///
/// Connects to the camera over UDP, runs the link's start-up (hardware id, firmware version),
/// then does one thing and prints the result. Exits non-zero when the camera does not answer or
/// the operation fails.
///
/// Angles use the MAVLink convention: yaw positive = right (clockwise seen from above), pitch
/// positive = up, in degrees; they are converted to SIYI's convention (yaw positive = left) on the
/// wire. Limits (A8 mini): yaw −135…+135, pitch −90…+25.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    siyi-bridge camera info\n  \
    siyi-bridge camera --camera 127.0.0.1:37260 record start\n  \
    siyi-bridge camera zoom 2.5\n  \
    siyi-bridge camera angles 30 -45      # 30° right, 45° down\n  \
    siyi-bridge camera attitude --watch 60\n  \
    siyi-bridge camera probe --out probe/ # settle the open protocol questions, write a report")]
pub struct Args {
    // Every flag is global: `camera --camera X info` and `camera info --camera X` both work.
    /// Camera address (HOST:PORT; the A8 mini's factory address by default, `siyi-bridge sim`
    /// listens on 127.0.0.1:37260).
    #[arg(long, global = true, default_value = DEFAULT_CAMERA_ADDR)]
    pub camera: String,
    /// Local address to bind (default: any address, ephemeral port).
    #[arg(long, global = true)]
    pub bind: Option<SocketAddr>,
    /// How long to wait for the first answer, in ms (probe: see its --reply-timeout-ms).
    #[arg(long, global = true, default_value_t = 1000)]
    pub timeout_ms: u64,
    /// How long to wait for a booting camera (firmware 0.0.0) to finish booting, in ms.
    #[arg(long, global = true, default_value_t = 40_000)]
    pub boot_timeout_ms: u64,
    /// Record the SIYI traffic to this JSONL file (appended; probe writes its own).
    #[arg(long, global = true)]
    pub record_siyi: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// What `siyi-bridge camera` does.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print model, firmware, recording state, zoom, mode, attitude and stream parameters.
    Info,
    /// Print the gimbal attitude (once, or once a second for --watch seconds while polling at
    /// 10 Hz).
    Attitude {
        /// Keep polling for this many seconds, printing once a second.
        #[arg(long)]
        watch: Option<u64>,
    },
    /// Take a photo.
    Photo,
    /// Start or stop recording (decided from a fresh recording-state reading, never a blind toggle).
    Record {
        /// start | stop
        what: RecordWhat,
    },
    /// Zoom to a factor (e.g. 2.5), or zoom in / out for --hold-ms, or stop.
    Zoom {
        /// FACTOR | in | out | stop
        #[arg(value_parser = parse_zoom_what, allow_negative_numbers = true)]
        what: String,
        /// How long `in` / `out` zooms before stopping, in ms.
        #[arg(long, default_value_t = 1000)]
        hold_ms: u64,
    },
    /// Center the gimbal.
    Center,
    /// Point the gimbal: YAW (degrees, positive = right) and PITCH (degrees, positive = up).
    Angles {
        /// Yaw in degrees, positive = right (MAVLink convention).
        #[arg(allow_negative_numbers = true, value_parser = parse_finite)]
        yaw: f32,
        /// Pitch in degrees, positive = up, −90 = straight down.
        #[arg(allow_negative_numbers = true, value_parser = parse_finite)]
        pitch: f32,
    },
    /// Set the gimbal motion mode.
    Mode {
        /// lock | follow | fpv
        mode: ModeArg,
    },
    /// Ask the camera every open protocol question, safely, and write a report (JSON) and the
    /// whole SIYI traffic (JSONL, fixture format) to send back to the project.
    ///
    /// Never moves the gimbal without --allow-motion, never takes a photo without
    /// --allow-capture, never records, formats, reboots or changes the IP or encoding settings;
    /// puts back the zoom, motion mode and gimbal angles it found. Ctrl-C stops it and still
    /// writes what was gathered.
    Probe(super::probe::ProbeArgs),
}

/// `record start|stop`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RecordWhat {
    /// Start recording.
    Start,
    /// Stop recording.
    Stop,
}

/// `mode lock|follow|fpv`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    /// Lock: the camera keeps its heading.
    Lock,
    /// Follow: the camera yaws with the vehicle.
    Follow,
    /// FPV: the camera follows yaw and roll.
    Fpv,
}

/// Runs `siyi-bridge camera`.
pub fn run(args: Args) -> anyhow::Result<()> {
    super::init_logging("warn");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    rt.block_on(run_async(args))
}

struct Session {
    link: SiyiLink,
    socket: SiyiSocket,
    stats: DriveStats,
}

impl Session {
    async fn wait(&mut self, for_ms: u64) {
        let deadline = clock_now() + Duration::from_millis(for_ms);
        drive_until::<()>(
            &mut self.link,
            &mut self.socket,
            deadline,
            &mut self.stats,
            |_, _, e| {
                log_event(&e);
                None
            },
        )
        .await;
    }

    async fn run_op(&mut self, op: Operation, timeout: Duration) -> Option<OpOutcome> {
        let id = self.link.start(clock_now(), Owner::Tool, op);
        let deadline = clock_now() + timeout;
        drive_until(
            &mut self.link,
            &mut self.socket,
            deadline,
            &mut self.stats,
            |_, _, e| match e {
                LinkEvent::OpFinished { id: i, outcome, .. } if i == id => Some(outcome),
                other => {
                    log_event(&other);
                    None
                }
            },
        )
        .await
    }
}

impl Session {
    /// The recording state (0x0A), waiting up to `timeout` for the link's first reading.
    async fn record_state(&mut self, timeout: Duration) -> Option<RecordState> {
        if let Some(r) = self.link.state().record {
            return Some(r.value);
        }
        let deadline = clock_now() + timeout;
        drive_until(
            &mut self.link,
            &mut self.socket,
            deadline,
            &mut self.stats,
            |link, _, e| {
                log_event(&e);
                link.state().record.map(|r| r.value)
            },
        )
        .await
    }
}

/// Drives the link until it is Up or `deadline` passes (`None`), logging its events.
async fn wait_until_up(s: &mut Session, deadline: Instant) -> Option<()> {
    drive_until(
        &mut s.link,
        &mut s.socket,
        deadline,
        &mut s.stats,
        |link, _, e| {
            log_event(&e);
            (link.health() == LinkHealth::Up).then_some(())
        },
    )
    .await
}

fn log_event(e: &LinkEvent) {
    match e {
        LinkEvent::Health { from, to } => tracing::info!("camera link: {to} (was {from})"),
        LinkEvent::CommandUnanswered { cmd, fallback } => {
            tracing::info!(%cmd, %fallback, "camera does not answer this command")
        }
        LinkEvent::UnexpectedModel { model, id } => {
            tracing::warn!(
                "{model} (hardware id {}) is not an A8 mini; going on with A8 mini limits",
                id.as_text()
            )
        }
        LinkEvent::BadFrame(err) => tracing::warn!(%err, "bad frame from the camera"),
        LinkEvent::BadPayload(err) => tracing::warn!(%err, "bad payload from the camera"),
        other => tracing::debug!(?other, "link event"),
    }
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let camera =
        resolve_host_port(&args.camera).map_err(|why| anyhow::anyhow!("--camera: {why}"))?;
    if let Action::Probe(probe) = &args.action {
        let boot_timeout = Duration::from_millis(args.boot_timeout_ms);
        return super::probe::run_cli(camera, args.bind, boot_timeout, probe).await;
    }
    let mut socket = SiyiSocket::connect(camera, args.bind)
        .await
        .with_context(|| format!("cannot open a UDP socket towards {camera}"))?;
    if let Some(path) = &args.record_siyi {
        socket.record_to(path)?;
    }
    let link = SiyiLink::new(LinkConfig::default(), clock_now());
    let mut s = Session {
        link,
        socket,
        stats: DriveStats::default(),
    };

    // 1. First answer.
    let first = clock_now() + Duration::from_millis(args.timeout_ms);
    let answered = drive_until(
        &mut s.link,
        &mut s.socket,
        first,
        &mut s.stats,
        |link, _, e| {
            log_event(&e);
            (link.health() != LinkHealth::Searching).then_some(())
        },
    )
    .await;
    if answered.is_none() {
        bail!("{}", no_reply(camera, args.timeout_ms));
    }
    // 2. Booted (firmware not 0.0.0).
    let boot = clock_now() + Duration::from_millis(args.boot_timeout_ms);
    if s.link.health() != LinkHealth::Up {
        // Usually the firmware answer follows at once; say something only when it is booting.
        let soon = clock_now() + Duration::from_millis(1500);
        if wait_until_up(&mut s, soon).await.is_none() {
            eprintln!("camera answered; waiting for it to finish booting (firmware reads 0.0.0)…");
        }
    }
    if s.link.health() != LinkHealth::Up {
        let up = wait_until_up(&mut s, boot).await;
        if up.is_none() {
            bail!(
                "camera at {camera} did not finish booting within {}",
                human_ms(args.boot_timeout_ms)
            );
        }
    }

    let op_timeout = Duration::from_secs(10);
    let outcome = match args.action {
        Action::Info => {
            s.wait(1500).await;
            print_info(s.link.state(), clock_now())?;
            return Ok(());
        }
        Action::Attitude { watch } => {
            s.wait(300).await;
            match watch {
                None => print_attitude(s.link.state(), clock_now())?,
                Some(secs) => {
                    for _ in 0..secs {
                        s.wait(1000).await;
                        print_attitude(s.link.state(), clock_now())?;
                    }
                    let st = s.link.stats();
                    outln!(
                        "frames out {} in {} bad {} retries {} abandoned {}",
                        st.frames_out,
                        st.frames_in,
                        st.bad_frames,
                        st.retries,
                        st.abandoned
                    )?;
                }
            }
            return Ok(());
        }
        Action::Photo => s.run_op(Operation::TakePhoto, op_timeout).await,
        Action::Record { what } => {
            let start = matches!(what, RecordWhat::Start);
            let op = if start {
                Operation::StartRecording
            } else {
                Operation::StopRecording
            };
            // The link sends nothing when the camera already is where it is asked to go (read
            // from 0x0A): say so rather than a bare "ok".
            let before = s.record_state(op_timeout).await;
            let already = match before {
                Some(RecordState::Recording) => start,
                Some(_) => !start,
                None => false,
            };
            let outcome = s.run_op(op, op_timeout).await;
            if already && matches!(outcome, Some(OpOutcome::Succeeded { .. })) {
                let state = before.map_or_else(String::new, record_state_words);
                outln!(
                    "{}",
                    if start {
                        "already recording: nothing to start".to_owned()
                    } else {
                        format!("not recording ({state}): nothing to stop")
                    }
                )?;
                return Ok(());
            }
            outcome
        }
        Action::Zoom { what, hold_ms } => {
            let dir = match what.as_str() {
                "in" => Some(ZoomDirection::In),
                "out" => Some(ZoomDirection::Out),
                "stop" => Some(ZoomDirection::Stop),
                _ => None,
            };
            let outcome = match dir {
                Some(ZoomDirection::Stop) | None => {
                    let op = match dir {
                        Some(d) => Operation::ZoomContinuous(d),
                        None => {
                            let factor = parse_finite(&what).map_err(|e| {
                                anyhow::anyhow!(
                                    "zoom: expected a factor (e.g. 2.5), in, out or stop: {e}"
                                )
                            })?;
                            let max = s
                                .link
                                .state()
                                .max_zoom
                                .unwrap_or(LinkConfig::default().max_zoom_fallback);
                            let (factor, note) = clamped("zoom", factor, 1.0, max.factor(), "×");
                            if let Some(note) = note {
                                outln!("{note}")?;
                            }
                            Operation::ZoomTo { factor }
                        }
                    };
                    s.run_op(op, op_timeout).await
                }
                Some(d) => {
                    let first = s.run_op(Operation::ZoomContinuous(d), op_timeout).await;
                    s.wait(hold_ms).await;
                    let stop = s
                        .run_op(Operation::ZoomContinuous(ZoomDirection::Stop), op_timeout)
                        .await;
                    first.and(stop)
                }
            };
            s.wait(1200).await;
            if let Some((z, src)) = s.link.state().zoom {
                outln!("zoom now {} ({})", z.value, zoom_source_words(src))?;
            }
            outcome
        }
        Action::Center => s.run_op(Operation::Center, op_timeout).await,
        Action::Angles { yaw, pitch } => {
            let yaw_max = f32::from(YAW_LIMIT_DECIDEGREES) / 10.0;
            let (yaw, yaw_note) = clamped("yaw", yaw, -yaw_max, yaw_max, "°");
            let (pitch, pitch_note) = clamped(
                "pitch",
                pitch,
                f32::from(PITCH_MIN_DECIDEGREES) / 10.0,
                f32::from(PITCH_MAX_DECIDEGREES) / 10.0,
                "°",
            );
            for note in [yaw_note, pitch_note].into_iter().flatten() {
                outln!("{note}")?;
            }
            // MAVLink yaw (positive right) → SIYI yaw (positive left).
            let op = Operation::GimbalAngles {
                yaw: Decidegrees::from_degrees(-yaw),
                pitch: Decidegrees::from_degrees(pitch),
            };
            s.run_op(op, op_timeout).await
        }
        Action::Probe(_) => return Ok(()),
        Action::Mode { mode } => {
            let mode = match mode {
                ModeArg::Lock => MotionMode::Lock,
                ModeArg::Follow => MotionMode::Follow,
                ModeArg::Fpv => MotionMode::Fpv,
            };
            s.run_op(Operation::SetMotionMode(mode), op_timeout).await
        }
    };
    match outcome {
        Some(ok @ OpOutcome::Succeeded { .. }) => {
            outln!("{ok}")?;
            Ok(())
        }
        Some(bad @ (OpOutcome::Failed { .. } | OpOutcome::Rejected { .. })) => bail!("{bad}"),
        Some(OpOutcome::TimedOut) | None => bail!("no reply from {camera} in time"),
    }
}

/// `in`, `out`, `stop` or a zoom factor (a finite number), checked before the camera is reached.
fn parse_zoom_what(s: &str) -> Result<String, String> {
    match s {
        "in" | "out" | "stop" => Ok(s.to_owned()),
        factor => parse_finite(factor)
            .map(|_| s.to_owned())
            .map_err(|e| format!("expected a factor (e.g. 2.5), in, out or stop: {e}")),
    }
}

/// A number that is not NaN or infinite (angles, zoom factors).
fn parse_finite(s: &str) -> Result<f32, String> {
    let v: f32 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{s:?} is not a finite number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        camera: Args,
    }

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Cli::try_parse_from(std::iter::once("camera").chain(args.iter().copied())).map(|c| c.camera)
    }

    #[test]
    fn flags_work_before_and_after_the_action() {
        let flags = [
            "--camera",
            "127.0.0.1:1",
            "--bind",
            "127.0.0.1:0",
            "--timeout-ms",
            "50",
            "--boot-timeout-ms",
            "60",
            "--record-siyi",
            "x.jsonl",
        ];
        let before: Vec<&str> = flags.iter().copied().chain(["info"]).collect();
        let after: Vec<&str> = ["info"].into_iter().chain(flags.iter().copied()).collect();
        let split: Vec<&str> = [
            "--camera",
            "127.0.0.1:1",
            "angles",
            "--timeout-ms",
            "50",
            "1",
            "2",
        ]
        .to_vec();
        for argv in [before, after] {
            let a = parse(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            assert_eq!(a.camera, "127.0.0.1:1");
            assert_eq!(a.bind, Some("127.0.0.1:0".parse().unwrap()));
            assert_eq!((a.timeout_ms, a.boot_timeout_ms), (50, 60));
            assert_eq!(a.record_siyi, Some(PathBuf::from("x.jsonl")));
        }
        let a = parse(&split).unwrap();
        assert_eq!((a.camera.as_str(), a.timeout_ms), ("127.0.0.1:1", 50));
        let a = parse(&["probe", "--boot-timeout-ms", "70", "--out", "/tmp/p"]).unwrap();
        assert_eq!(a.boot_timeout_ms, 70);
    }

    #[test]
    fn angles_refuse_nan_and_infinity() {
        assert!(parse(&["angles", "-inf", "0"]).is_err());
        for bad in ["NaN", "nan", "inf", "x"] {
            let e = parse(&["angles", bad, "0"])
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(e.to_string().contains("number"), "{bad}: {e}");
            assert!(parse(&["angles", "0", bad]).is_err(), "{bad}");
        }
        let a = parse(&["angles", "-30.5", "-90"]).unwrap();
        assert!(
            matches!(a.action, Action::Angles { yaw, pitch } if yaw == -30.5 && pitch == -90.0)
        );
        assert!(parse_finite("NaN").is_err() && parse_finite("2.5") == Ok(2.5));
        for bad in ["NaN", "inf", "-inf", "sideways"] {
            // (-inf is refused as an unknown flag; the others by the parser)
            assert!(parse(&["zoom", bad]).is_err(), "{bad}");
        }
        for good in ["in", "out", "stop", "2.5", "7"] {
            assert!(parse(&["zoom", good]).is_ok(), "{good}");
        }
    }
}
