//! What the two network benchmarks (`bench_bridge`, `bench_net`) share: the bridge as a child
//! process, /proc readings, arguments, and a blocking ground station over loopback UDP. Frame
//! building and decoding are the tests' (`tests/gcs/frames.rs`).
#![allow(dead_code, unreachable_pub)] // each bench uses a part

#[path = "../../tests/gcs/frames.rs"]
pub mod frames;

use std::ffi::OsStr;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use mavlink::dialects::common::{MavCmd, MavMessage, MavResult};

#[allow(unused_imports)] // each bench uses a part
pub use frames::{command_long, heartbeat, is_camera_heartbeat, messages, p, wire};

/// A child process killed (and reaped) when dropped.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `bin run --simulate --sim-boot-ms 200 --mavlink MAVLINK EXTRA…` with `RUST_LOG=warn`,
/// stdout discarded and stderr as given.
pub fn spawn_bridge(
    bin: &Path,
    mavlink: &str,
    extra: &[&OsStr],
    stderr: Stdio,
) -> anyhow::Result<KillOnDrop> {
    let child = Command::new(bin)
        .args([
            "run",
            "--simulate",
            "--sim-boot-ms",
            "200",
            "--mavlink",
            mavlink,
        ])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    Ok(KillOnDrop(child))
}

/// The value after `name` in `args`, parsed, else `default`.
pub fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The bridge binary: `--bin PATH`, else the `siyi-bridge` cargo built with this bench.
pub fn bridge_bin(args: &[String]) -> anyhow::Result<PathBuf> {
    match args.iter().position(|a| a == "--bin") {
        Some(i) => Ok(PathBuf::from(
            args.get(i + 1).context("--bin needs a path")?,
        )),
        None => Ok(PathBuf::from(env!("CARGO_BIN_EXE_siyi-bridge"))),
    }
}

/// User + system CPU ticks (1/100 s on Linux) of process `pid`.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the ")" of the command name: state is field 3; utime 14, stime 15.
    let rest = text.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A `/proc/PID/status` value in kB (e.g. `VmRSS:`).
pub fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The `p` quantile (0..=1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// A blocking ground station (system 255) on its own loopback port.
pub struct Gcs {
    /// Its socket.
    pub sock: UdpSocket,
    /// The bridge.
    pub to: SocketAddr,
    /// System id the camera uses (from its heartbeat).
    pub cam_sys: u8,
    seq: u8,
}

impl Gcs {
    /// A station on `sock`, the port a bridge started with `udpout:` to it sends to: its first
    /// heartbeat (within 5 s) tells the bridge's address.
    pub fn from_first_heartbeat(sock: UdpSocket) -> anyhow::Result<Self> {
        let mut buf = [0u8; 512];
        sock.set_read_timeout(Some(Duration::from_secs(5)))?;
        let (_, bridge) = sock
            .recv_from(&mut buf)
            .context("no heartbeat from the bridge within 5 s")?;
        Ok(Self::new(sock, bridge))
    }

    /// A station on `sock` sending to `to`.
    pub fn new(sock: UdpSocket, to: SocketAddr) -> Self {
        Self {
            sock,
            to,
            cam_sys: 1,
            seq: 0,
        }
    }

    /// Sends one message.
    pub fn send(&mut self, msg: &MavMessage) -> anyhow::Result<()> {
        let buf = wire(frames::GCS_SYSTEM, self.seq, msg);
        self.seq = self.seq.wrapping_add(1);
        self.sock.send_to(&buf, self.to)?;
        Ok(())
    }

    /// The next `common` message, or None at `deadline`. A heartbeat teaches the camera's
    /// system id.
    pub fn recv(&mut self, deadline: Instant) -> Option<MavMessage> {
        let mut buf = [0u8; 2048];
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.sock
                .set_read_timeout(Some(left.max(Duration::from_micros(100))))
                .ok()?;
            let Ok((n, _)) = self.sock.recv_from(&mut buf) else {
                return None;
            };
            if let Some((f, Some(m))) = frames::frames(&buf[..n]).into_iter().next() {
                if matches!(m, MavMessage::HEARTBEAT(_)) {
                    self.cam_sys = f.header.system_id as u8;
                }
                return Some(m);
            }
        }
    }

    /// Sends COMMAND_LONG `command` (params 1–3) and times its COMMAND_ACK (5 s at most).
    pub fn command(
        &mut self,
        command: MavCmd,
        p: [f32; 3],
    ) -> anyhow::Result<(MavResult, Duration)> {
        let t0 = Instant::now();
        let params = [p[0], p[1], p[2], 0.0, 0.0, 0.0, 0.0];
        self.send(&command_long(command, params, self.cam_sys))?;
        let deadline = t0 + Duration::from_secs(5);
        while let Some(m) = self.recv(deadline) {
            if let MavMessage::COMMAND_ACK(a) = m {
                if a.command == command {
                    return Ok((a.result, t0.elapsed()));
                }
            }
        }
        bail!("no COMMAND_ACK for {command:?} within 5 s")
    }
}
