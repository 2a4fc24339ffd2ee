//! `siyi-bridge sim`: the A8 mini simulator on a UDP address.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use anyhow::Context as _;
use siyi_protocol::{FirmwareVersion, HardwareId};

use crate::io::endpoint::resolve_host_port;
#[cfg(feature = "sim-video")]
use crate::sim::stream::{self, SceneOptions, VideoConfig};
use crate::sim::{server, SimConfig, SimPose};

/// Arguments of `siyi-bridge sim`.
///
/// Runs a simulated SIYI A8 mini that speaks the SIYI SDK protocol over UDP, so the bridge, QGC
/// setups and third-party SIYI clients can be tried without hardware. Replies go to the sender of
/// each request; 0x0B pushes and the 0x25 attitude stream go to the most recent client.
/// Stop with Ctrl-C.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    siyi-bridge sim\n  \
    siyi-bridge sim --listen 127.0.0.1:0 --boot-ms 0\n  \
    siyi-bridge sim --drop 0.1 --corrupt 0.02 --reply-delay-ms 40 --seed 7\n  \
    siyi-bridge sim --unanswered 0x18,0x16,0x25,0x30 --no-sd-card --reboot-at-ms 60000\n  \
    siyi-bridge sim --ai-module --boot-ms 0")]
pub struct Args {
    /// UDP address to listen on, HOST:PORT (the real camera is 192.168.144.25:37260; port 0 =
    /// any free port; a host name is resolved once, at start).
    #[arg(long, default_value = "127.0.0.1:37260", value_parser = resolve_host_port)]
    pub listen: SocketAddr,
    /// How long the camera firmware version reads 0.0.0 after power-up or a reboot, in ms
    /// (real cameras: 20000–30000). `run --simulate` spells it `--sim-boot-ms`; the old
    /// `--boot-time-ms` still works.
    #[arg(long = "boot-ms", alias = "boot-time-ms", default_value_t = 20_000)]
    pub boot_time_ms: u64,
    /// Delay before every frame the camera sends, in ms.
    #[arg(long, default_value_t = 0)]
    pub reply_delay_ms: u64,
    /// Probability (0–1) that a frame the camera sends is lost.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    pub drop: f64,
    /// Probability (0–1) that a frame the camera sends has a broken CRC.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    pub corrupt: f64,
    /// Command ids the camera ignores completely, like older firmware (e.g. 0x18,0x16,0x25,0x30).
    #[arg(long, value_delimiter = ',', value_parser = parse_cmd_id)]
    pub unanswered: Vec<u8>,
    /// Command ids the camera acts on but never acknowledges (A8 quirk: e.g. 0x05,0x0f; 0x0b:
    /// no photo / record feedback pushed).
    #[arg(long, value_delimiter = ',', value_parser = parse_cmd_id)]
    pub silent_acks: Vec<u8>,
    /// Reboot the camera by itself this many ms after start (it is then silent for 3 s and
    /// boots again).
    #[arg(long)]
    pub reboot_at_ms: Option<u64>,
    /// Simulate a camera without SD card (recording state 2, photos and recording fail).
    #[arg(long)]
    pub no_sd_card: bool,
    /// Seed of the random generator behind --drop and --corrupt.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Camera firmware version reported once booted (major.minor.patch).
    #[arg(long, alias = "firmware", default_value = "0.2.8", value_parser = parse_version)]
    pub camera_firmware: FirmwareVersion,
    /// Gimbal firmware version (major.minor.patch).
    #[arg(long, default_value = "0.3.9", value_parser = parse_version)]
    pub gimbal_firmware: FirmwareVersion,
    /// Hardware id, up to 12 ASCII characters; "73…" is an A8 mini.
    #[arg(long, default_value = "732405150118")]
    pub hardware_id: String,
    /// Fit SIYI's AI tracking module: 0x4D says on, 0x51 switches a 30 Hz stream of 0x50
    /// frames tracking a simulated car (without it: 0x4D/0x4E say off, 0x51 fails).
    #[arg(long)]
    pub ai_module: bool,
    /// TCP port of the simulated video: H.264 over RTSP at rtsp://127.0.0.1:PORT/main.264, always
    /// on loopback (taken: a free port, said at start; 0 = any free port).
    #[arg(long, default_value_t = 8554)]
    pub video_port: u16,
    /// No simulated video.
    #[arg(long)]
    pub no_video: bool,
    /// Video picture size, WIDTHxHEIGHT (even numbers).
    #[arg(long, default_value = "1280x720", value_parser = parse_size)]
    pub video_size: (usize, usize),
    /// Video frames per second.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub video_fps: u32,
    /// Video bit rate, kbit/s.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(100..=20_000))]
    pub video_kbps: u32,
    /// Extra video delay from capture to sending, ms (a real A8 mini: some 100–300 ms).
    #[arg(long, default_value_t = 0)]
    pub video_delay_ms: u64,
    /// Random extra video delay per picture, up to this many ms (seeded by --seed).
    #[arg(long, default_value_t = 0)]
    pub video_jitter_ms: u64,
    /// Luma noise on the video, ± levels (seeded by --seed).
    #[arg(long, default_value_t = 0)]
    pub video_noise: u8,
    /// A second, similar car in the video.
    #[arg(long)]
    pub second_car: bool,
    /// A tree in the video that hides the car for about 1 s twice every 40 s (t ≈ 2.6 s, 17.4 s,
    /// then every 40 s).
    #[arg(long)]
    pub tree: bool,
}

impl Args {
    /// The simulator configuration these flags describe.
    pub fn to_config(&self) -> SimConfig {
        SimConfig {
            seed: self.seed,
            boot_time_ms: self.boot_time_ms,
            camera_firmware: self.camera_firmware,
            gimbal_firmware: self.gimbal_firmware,
            hardware_id: HardwareId::from_ascii(&self.hardware_id),
            sd_card: !self.no_sd_card,
            reply_delay_ms: self.reply_delay_ms,
            drop_probability: self.drop,
            corrupt_probability: self.corrupt,
            unanswered: self.unanswered.iter().copied().collect::<BTreeSet<_>>(),
            silent_acks: self.silent_acks.iter().copied().collect::<BTreeSet<_>>(),
            reboot_at_ms: self.reboot_at_ms,
            ai_module: self.ai_module,
            ..SimConfig::default()
        }
    }
}

impl Args {
    /// The video configuration these flags describe.
    #[cfg(feature = "sim-video")]
    pub fn video_config(&self) -> VideoConfig {
        VideoConfig {
            width: self.video_size.0,
            height: self.video_size.1,
            fps: self.video_fps,
            bitrate_bps: self.video_kbps * 1000,
            delay_ms: self.video_delay_ms,
            jitter_ms: self.video_jitter_ms,
            scene: SceneOptions {
                second_car: self.second_car,
                tree: self.tree,
                noise: self.video_noise,
                seed: self.seed,
            },
            ..VideoConfig::default()
        }
    }
}

fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let bad =
        || format!("bad size {s:?}: use WIDTHxHEIGHT, e.g. 1280x720 (even, 64x36 to 3840x2160)");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (usize, usize) = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    let ok = (64..=3840).contains(&w) && (36..=2160).contains(&h) && w % 2 == 0 && h % 2 == 0;
    ok.then_some((w, h)).ok_or_else(bad)
}

fn parse_probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not a probability between 0 and 1"))
    }
}

fn parse_cmd_id(s: &str) -> Result<u8, String> {
    let s = s.trim();
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u8::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|e| format!("bad command id {s:?} (use 0x18 or 24): {e}"))
}

fn parse_version(s: &str) -> Result<FirmwareVersion, String> {
    let parts: Vec<&str> = s.trim().split('.').collect();
    let [major, minor, patch] = parts.as_slice() else {
        return Err(format!(
            "bad version {s:?}: use major.minor.patch, e.g. 0.2.8"
        ));
    };
    let num = |p: &str| {
        p.parse::<u8>()
            .map_err(|e| format!("bad version {s:?}: {e}"))
    };
    Ok(FirmwareVersion::new(num(major)?, num(minor)?, num(patch)?))
}

/// What `sim` says once it listens on `local`: the command that reaches it (`camera` talks to the
/// factory address without `--camera`), and the boot it simulates.
fn start_lines(local: SocketAddr, boot_time_ms: u64) -> Vec<String> {
    // A wildcard address is reached through loopback.
    let reach = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), local.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), local.port())
        }
        _ => local,
    };
    let mut lines = vec![format!(
        "reach it with: siyi-bridge camera --camera {reach} info   (or: siyi-bridge run --camera {reach})"
    )];
    if boot_time_ms > 0 {
        lines.push(format!(
            "simulating the A8 mini's {} boot; --boot-ms 0 to skip",
            super::camera::human_ms(boot_time_ms)
        ));
    }
    lines
}

/// Runs `siyi-bridge sim` until Ctrl-C (or SIGTERM).
pub fn run(args: Args) -> anyhow::Result<()> {
    super::init_logging("info");
    let config = args.to_config();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async move {
        let socket = tokio::net::UdpSocket::bind(args.listen)
            .await
            .with_context(|| format!("cannot bind UDP {}", args.listen))?;
        let local = socket.local_addr()?;
        outln!("siyi-bridge sim: A8 mini simulator listening on udp {local}")?;
        for line in start_lines(local, config.boot_time_ms) {
            outln!("{line}")?;
        }
        tracing::info!(
            boot_time_ms = config.boot_time_ms,
            reply_delay_ms = config.reply_delay_ms,
            drop = config.drop_probability,
            corrupt = config.corrupt_probability,
            unanswered = %cmd_list(&config.unanswered),
            sd_card = config.sd_card,
            reboot_at_ms = %config.reboot_at_ms.map_or_else(|| "never".to_owned(), |ms| ms.to_string()),
            seed = config.seed,
            ai_module = config.ai_module,
            "simulator configuration"
        );
        let (pose_tx, pose_rx) = tokio::sync::watch::channel(SimPose {
            yaw_deg: 0.0,
            pitch_deg: 0.0,
            zoom: 1.0,
            scene_time_s: 0.0,
        });
        #[cfg(not(feature = "sim-video"))]
        {
            drop(pose_rx);
            if !args.no_video {
                tracing::warn!("this build has no simulated video (built without the sim-video feature)");
            }
        }
        #[cfg(feature = "sim-video")]
        let _video = if args.no_video {
            None
        } else {
            let video = stream::spawn_on_loopback(args.video_port, args.video_config(), pose_rx)
                .await
                .with_context(|| format!("--video-port {}: cannot start the video", args.video_port))?;
            // In the log, not on stdout: a reader of the start lines may have closed the pipe.
            tracing::info!(
                "play it with: ffplay -rtsp_transport tcp {}   (or VLC, or siyi-bridge run)",
                video.uri
            );
            Some(video)
        };
        let shutdown = shutdown_signal();
        let stats = server::serve_with_pose(socket, config, shutdown, pose_tx).await?;
        outln!("siyi-bridge sim: stopped ({stats})")?;
        Ok(())
    })
}

/// Command ids as the flags take them: `0x18,0x30`, or `none`.
fn cmd_list(ids: &BTreeSet<u8>) -> String {
    if ids.is_empty() {
        return "none".into();
    }
    ids.iter()
        .map(|id| format!("{id:#04x}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Completes at Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        assert_eq!(parse_cmd_id("0x18"), Ok(0x18));
        assert_eq!(parse_cmd_id("24"), Ok(24));
        assert!(parse_cmd_id("0x1ff").is_err());
        assert_eq!(parse_version("0.2.8"), Ok(FirmwareVersion::new(0, 2, 8)));
        assert!(parse_version("1.2").is_err());
        assert!(parse_probability("1.5").is_err());
        assert_eq!(parse_size("640x360"), Ok((640, 360)));
        assert!(parse_size("641x360").is_err() && parse_size("640").is_err());
        assert_eq!(cmd_list(&[0x18, 0x05].into_iter().collect()), "0x05,0x18");
        assert_eq!(cmd_list(&BTreeSet::new()), "none");
    }

    #[test]
    fn listen_takes_a_host_name_like_every_address_flag() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            sim: Args,
        }
        let a = Cli::try_parse_from(["sim", "--listen", "localhost:0"]).unwrap();
        assert_eq!(a.sim.listen, "127.0.0.1:0".parse::<SocketAddr>().unwrap());
        let e = Cli::try_parse_from(["sim", "--listen", "localhost"])
            .err()
            .unwrap();
        assert!(e.to_string().contains("is not HOST:PORT"), "{e}");
        // `--boot-ms` as run's `--sim-boot-ms`; the old spelling stays (hidden).
        for flag in ["--boot-ms", "--boot-time-ms"] {
            let a = Cli::try_parse_from(["sim", flag, "1500"]).unwrap();
            assert_eq!(a.sim.boot_time_ms, 1500, "{flag}");
        }
    }

    #[test]
    fn start_lines_say_how_to_reach_it_and_how_long_it_boots() {
        let lines = start_lines("127.0.0.1:37260".parse().unwrap(), 20_000);
        assert_eq!(
            lines,
            [
                "reach it with: siyi-bridge camera --camera 127.0.0.1:37260 info   (or: siyi-bridge run --camera 127.0.0.1:37260)",
                "simulating the A8 mini's 20 s boot; --boot-ms 0 to skip",
            ]
        );
        let lines = start_lines("0.0.0.0:5000".parse().unwrap(), 0);
        assert_eq!(lines.len(), 1, "no boot, no boot line");
        assert!(
            lines[0].contains("--camera 127.0.0.1:5000 info"),
            "{lines:?}"
        );
        let lines = start_lines("[::]:5000".parse().unwrap(), 1500);
        assert!(lines[0].contains("--camera [::1]:5000 info"), "{lines:?}");
        assert!(lines[1].contains("1500 ms boot"), "{lines:?}");
    }
}
