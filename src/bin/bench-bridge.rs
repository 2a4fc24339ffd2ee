//! Benchmark of `siyi-bridge run --simulate` over loopback UDP: command→ACK latency (p50/p99),
//! photo→CAMERA_IMAGE_CAPTURED latency, resident memory and idle CPU of the bridge process.
//!
//! Usage: `cargo build --release && target/release/bench-bridge [--bin PATH] [--commands N]
//! [--photos N] [--idle-s N] [--attitude-poll-ms N]`. The bridge binary defaults to `siyi-bridge` next to this one.
#![allow(clippy::disallowed_methods)] // a benchmark measures real time

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use mavlink::dialects::common::{
    MavAutopilot, MavCmd, MavMessage, MavModeFlag, MavResult, MavState, MavType, COMMAND_LONG_DATA,
    HEARTBEAT_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::camera::Inbound;
use siyi_bridge::io::mavlink::FrameSplitter;

struct Bench {
    sock: UdpSocket,
    bridge: SocketAddr,
    seq: u8,
    cam_sys: u8,
}

impl Bench {
    fn send(&mut self, msg: &MavMessage) -> anyhow::Result<()> {
        let mut buf = Vec::with_capacity(64);
        let h = MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: self.seq,
        };
        self.seq = self.seq.wrapping_add(1);
        mavlink::write_v2_msg(&mut buf, h, msg)?;
        self.sock.send_to(&buf, self.bridge)?;
        Ok(())
    }

    fn recv(&mut self, deadline: Instant) -> Option<MavMessage> {
        let mut buf = [0u8; 2048];
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.sock
                .set_read_timeout(Some(left.max(Duration::from_micros(100))))
                .ok()?;
            let Ok((n, _)) = self.sock.recv_from(&mut buf) else {
                return None;
            };
            let mut s = FrameSplitter::default();
            s.push(&buf[..n]);
            if let Some(f) = s.next_frame() {
                if let Inbound::Message(m) = Inbound::from_payload(f.version, f.msg_id, &f.payload)
                {
                    if matches!(m, MavMessage::HEARTBEAT(_)) {
                        self.cam_sys = f.header.system_id as u8;
                    }
                    return Some(m);
                }
            }
        }
    }

    fn command(&mut self, command: MavCmd, p: [f32; 3]) -> anyhow::Result<(MavResult, Duration)> {
        let t0 = Instant::now();
        self.send(&MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            param1: p[0],
            param2: p[1],
            param3: p[2],
            param4: 0.0,
            param5: 0.0,
            param6: 0.0,
            param7: 0.0,
            command,
            target_system: self.cam_sys,
            target_component: 100,
            confirmation: 0,
        }))?;
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the ")" of the command name: state is field 3; utime 14, stime 15.
    let rest = text.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bin: PathBuf = match args.iter().position(|a| a == "--bin") {
        Some(i) => PathBuf::from(args.get(i + 1).context("--bin needs a path")?),
        None => std::env::current_exe()?
            .parent()
            .context("no exe dir")?
            .join("siyi-bridge"),
    };
    let n_commands: usize = arg(&args, "--commands", 2000);
    let n_photos: usize = arg(&args, "--photos", 20);
    let idle_s: u64 = arg(&args, "--idle-s", 10);
    let attitude_poll_ms: u64 = arg(&args, "--attitude-poll-ms", 100);

    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let port = sock.local_addr()?.port();
    let state = std::env::temp_dir().join(format!("siyi-bench-{}", std::process::id()));
    let child = Command::new(&bin)
        .args(["run", "--simulate", "--sim-boot-ms", "200", "--mavlink"])
        .arg(format!("udpout:127.0.0.1:{port}"))
        .arg("--state-dir")
        .arg(&state)
        .arg("--attitude-poll-ms")
        .arg(attitude_poll_ms.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let child = KillOnDrop(child);
    let pid = child.0.id();

    // The bridge's first heartbeat tells us its address.
    let mut buf = [0u8; 512];
    sock.set_read_timeout(Some(Duration::from_secs(5)))?;
    let (_, bridge) = sock
        .recv_from(&mut buf)
        .context("no heartbeat from the bridge within 5 s")?;
    let mut b = Bench {
        sock,
        bridge,
        seq: 0,
        cam_sys: 1,
    };
    b.send(&MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_GCS,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    }))?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (r, _) = b.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, [259.0, 0.0, 0.0])?;
        if r == MavResult::MAV_RESULT_ACCEPTED {
            break;
        }
        if Instant::now() > deadline {
            bail!("camera not identified within 15 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    // Command → ACK, one at a time (a mix of requests answered from state).
    let mut lat = Vec::with_capacity(n_commands);
    let kinds = [
        (MavCmd::MAV_CMD_REQUEST_MESSAGE, [262.0, 0.0, 0.0]),
        (MavCmd::MAV_CMD_REQUEST_MESSAGE, [260.0, 0.0, 0.0]),
        (MavCmd::MAV_CMD_SET_CAMERA_MODE, [0.0, 0.0, 0.0]),
        (MavCmd::MAV_CMD_SET_CAMERA_FOCUS, [1.0, 50.0, 0.0]),
    ];
    for i in 0..n_commands {
        let (cmd, p) = kinds[i % kinds.len()];
        let (_, d) = b.command(cmd, p)?;
        lat.push(d);
    }
    lat.sort();

    // Photo → CAMERA_IMAGE_CAPTURED.
    let mut photo = Vec::new();
    for _ in 0..n_photos {
        let t0 = Instant::now();
        b.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, [0.0, 0.0, 1.0])?;
        let deadline = t0 + Duration::from_secs(5);
        let mut got = false;
        while let Some(m) = b.recv(deadline) {
            if matches!(m, MavMessage::CAMERA_IMAGE_CAPTURED(_)) {
                photo.push(t0.elapsed());
                got = true;
                break;
            }
        }
        if !got {
            bail!("no CAMERA_IMAGE_CAPTURED within 5 s");
        }
    }
    photo.sort();

    // Idle: no commands; the bridge still heartbeats and polls the camera.
    let rss_kb = proc_status_kb(pid, "VmRSS:").unwrap_or(0);
    let hwm_kb = proc_status_kb(pid, "VmHWM:").unwrap_or(0);
    let t0 = cpu_ticks(pid).unwrap_or(0);
    let w0 = Instant::now();
    // Keep draining so the socket buffer never fills (heartbeats, status).
    while w0.elapsed() < Duration::from_secs(idle_s) {
        let _ = b.recv(Instant::now() + Duration::from_millis(200));
    }
    let t1 = cpu_ticks(pid).unwrap_or(0);
    let wall = w0.elapsed().as_secs_f64();
    // SAFETY-free: clock ticks per second are 100 on Linux (USER_HZ).
    let idle_cpu_pct = (t1.saturating_sub(t0)) as f64 / 100.0 / wall * 100.0;
    let rss_after_kb = proc_status_kb(pid, "VmRSS:").unwrap_or(0);
    drop(child);
    let _ = std::fs::remove_dir_all(&state);

    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("siyi-bridge bench (release, loopback UDP, in-process simulator)");
    println!(
        "command→ACK   n={}  p50={:.0} µs  p99={:.0} µs  max={:.0} µs   (target p99 < 500 µs)",
        lat.len(),
        us(percentile(&lat, 0.5)),
        us(percentile(&lat, 0.99)),
        us(*lat.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "photo→IMAGE_CAPTURED  n={}  p50={:.1} ms  p99={:.1} ms   (simulator 0x0B feedback delay 250 ms)",
        photo.len(),
        percentile(&photo, 0.5).as_secs_f64() * 1e3,
        percentile(&photo, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "RSS           {:.1} MB after load, {:.1} MB after idle, peak {:.1} MB   (target < 8 MB)",
        rss_kb as f64 / 1024.0,
        rss_after_kb as f64 / 1024.0,
        hwm_kb as f64 / 1024.0
    );
    println!(
        "idle CPU      {idle_cpu_pct:.3} % over {wall:.1} s, attitude poll every {attitude_poll_ms} ms (bridge + simulator in one process)   (target < 0.1 %)"
    );
    Ok(())
}
