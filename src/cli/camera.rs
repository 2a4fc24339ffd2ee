//! `siyi-bridge camera`: talk to a camera (or the simulator) directly through the SIYI link.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use siyi_protocol::{Decidegrees, MotionMode, ZoomDirection};

use crate::core::link::{
    CameraState, LinkConfig, LinkControl, LinkEvent, LinkHealth, OpOutcome, Operation, SiyiLink,
};
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
    /// Camera address (HOST:PORT).
    #[arg(long, global = true, default_value = DEFAULT_CAMERA_ADDR)]
    pub camera: String,
    /// Local address to bind (default: any address, ephemeral port).
    #[arg(long, global = true)]
    pub bind: Option<SocketAddr>,
    /// How long to wait for the first answer, in ms.
    #[arg(long, default_value_t = 1000)]
    pub timeout_ms: u64,
    /// How long to wait for a booting camera (firmware 0.0.0) to finish booting, in ms.
    #[arg(long, default_value_t = 40_000)]
    pub boot_timeout_ms: u64,
    /// Record the SIYI traffic to this JSONL file (appended).
    #[arg(long)]
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
        #[arg(allow_negative_numbers = true)]
        yaw: f32,
        /// Pitch in degrees, positive = up, −90 = straight down.
        #[arg(allow_negative_numbers = true)]
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
        let id = self.link.start(clock_now(), op);
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
        LinkEvent::Health { from, to } => tracing::info!(?from, ?to, "camera link health"),
        LinkEvent::CommandUnanswered { cmd, fallback } => {
            tracing::info!(%cmd, %fallback, "camera does not answer this command")
        }
        LinkEvent::UnexpectedModel { model, id } => {
            tracing::warn!(%model, ?id, "not an A8 mini; going on with A8 mini limits")
        }
        LinkEvent::BadFrame(err) => tracing::warn!(%err, "bad frame from the camera"),
        LinkEvent::BadPayload(err) => tracing::warn!(%err, "bad payload from the camera"),
        other => tracing::debug!(?other, "link event"),
    }
}

fn resolve(camera: &str) -> anyhow::Result<SocketAddr> {
    camera
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve camera address {camera:?}"))?
        .next()
        .with_context(|| format!("no address for {camera:?}"))
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let camera = resolve(&args.camera)?;
    if let Action::Probe(probe) = &args.action {
        return super::probe::run_cli(camera, args.bind, probe).await;
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
        bail!(
            "no reply from {camera} within {} — is the camera powered and is this machine on 192.168.144.x?",
            human_ms(args.timeout_ms)
        );
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
            print_info(s.link.state(), clock_now());
            return Ok(());
        }
        Action::Attitude { watch } => {
            s.wait(300).await;
            match watch {
                None => print_attitude(s.link.state(), clock_now()),
                Some(secs) => {
                    for _ in 0..secs {
                        s.wait(1000).await;
                        print_attitude(s.link.state(), clock_now());
                    }
                    let st = s.link.stats();
                    println!(
                        "frames out {} in {} bad {} retries {} abandoned {}",
                        st.frames_out, st.frames_in, st.bad_frames, st.retries, st.abandoned
                    );
                }
            }
            return Ok(());
        }
        Action::Photo => s.run_op(Operation::TakePhoto, op_timeout).await,
        Action::Record { what } => {
            let op = match what {
                RecordWhat::Start => Operation::StartRecording,
                RecordWhat::Stop => Operation::StopRecording,
            };
            s.run_op(op, op_timeout).await
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
                        None => Operation::ZoomTo {
                            factor: what.parse::<f32>().with_context(|| {
                                format!("zoom: expected a factor (e.g. 2.5), in, out or stop, got {what:?}")
                            })?,
                        },
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
                println!("zoom now {} ({src:?})", z.value);
            }
            outcome
        }
        Action::Center => s.run_op(Operation::Center, op_timeout).await,
        Action::Angles { yaw, pitch } => {
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
        Some(OpOutcome::Succeeded { confirmed: true }) => {
            println!("ok (confirmed by the camera)");
            Ok(())
        }
        Some(OpOutcome::Succeeded { confirmed: false }) => {
            println!("ok (sent; the camera gave no confirmation)");
            Ok(())
        }
        Some(OpOutcome::Failed { reason }) => bail!("failed: {reason}"),
        Some(OpOutcome::Rejected { reason }) => bail!("rejected: {reason}"),
        Some(OpOutcome::TimedOut) | None => bail!("no reply from {camera} in time"),
    }
}

fn human_ms(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

fn print_attitude(st: &CameraState, now: Instant) {
    match st.attitude {
        Some(a) => println!(
            "yaw {:+.1}° (right +)  pitch {:+.1}°  roll {:+.1}°  ({} ms old)",
            -a.value.yaw.degrees(),
            a.value.pitch.degrees(),
            a.value.roll.degrees(),
            a.age(now).as_millis()
        ),
        None => println!("no attitude reading yet"),
    }
}

fn print_info(st: &CameraState, now: Instant) {
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    println!(
        "model:       {}",
        or_unknown(st.model.map(|m| m.to_string()))
    );
    println!(
        "hardware id: {}",
        or_unknown(st.hardware_id.map(|h| h.as_text()))
    );
    println!(
        "firmware:    camera {}  gimbal {}",
        or_unknown(st.camera_fw.map(|f| f.to_string())),
        or_unknown(st.gimbal_fw.map(|f| f.to_string()))
    );
    println!(
        "recording:   {}",
        or_unknown(st.record.map(|r| format!("{:?}", r.value)))
    );
    println!(
        "motion mode: {}",
        or_unknown(st.motion_mode.map(|m| format!("{:?}", m.value)))
    );
    println!(
        "mounting:    {}",
        or_unknown(st.mounting.map(|m| format!("{:?}", m.value)))
    );
    println!(
        "zoom:        {} (max {})",
        or_unknown(st.zoom.map(|(z, src)| format!("{} from {src:?}", z.value))),
        or_unknown(st.max_zoom.map(|z| z.to_string()))
    );
    for (name, e) in ["recording", "main", "sub"].iter().zip(st.encodings.iter()) {
        if let Some(e) = e {
            println!(
                "stream {name:<9} {:?} {}x{} {} kbit/s {} fps",
                e.codec, e.width_px, e.height_px, e.bitrate_kbps, e.framerate_fps
            );
        }
    }
    print_attitude(st, now);
}
