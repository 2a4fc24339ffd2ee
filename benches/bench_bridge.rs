//! Benchmark of `siyi-bridge run --simulate` over loopback UDP: command→ACK latency (p50/p99),
//! photo→CAMERA_IMAGE_CAPTURED latency, resident memory and idle CPU of the bridge process.
//!
//! Usage: `cargo bench --bench bench_bridge [-- --bin PATH --commands N --gap-ms N --photos N
//! --idle-s N --attitude-poll-ms N]` (`--gap-ms`: pause between commands, default 20; 0 sends
//! them back to back and measures the output pace instead). The bridge binary defaults to the `siyi-bridge` cargo built with it.
//! A benchmark target, not a user command: `cargo install` does not install it.
#![allow(clippy::disallowed_methods)] // a benchmark measures real time

mod common;

use std::net::UdpSocket;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::bail;
use common::{
    arg, bridge_bin, cpu_ticks, heartbeat, percentile, proc_status_kb, spawn_bridge, Gcs,
};
use mavlink::dialects::common::{MavCmd, MavMessage, MavResult};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bin = bridge_bin(&args)?;
    let n_commands: usize = arg(&args, "--commands", 2000);
    let n_photos: usize = arg(&args, "--photos", 20);
    let idle_s: u64 = arg(&args, "--idle-s", 10);
    let attitude_poll_ms: u64 = arg(&args, "--attitude-poll-ms", 100);
    // The bridge paces its MAVLink output for PX4 (2 at once, then one per 5 ms): commands sent
    // back to back (each answered by an ACK and a message) measure that pace, not the latency
    // of one command. A ground station leaves more than 10 ms between commands.
    let gap_ms: u64 = arg(&args, "--gap-ms", 20);

    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let port = sock.local_addr()?.port();
    let state = std::env::temp_dir().join(format!("siyi-bench-{}", std::process::id()));
    let attitude = attitude_poll_ms.to_string();
    let child = spawn_bridge(
        &bin,
        &format!("udpout:127.0.0.1:{port}"),
        &[
            "--state-dir".as_ref(),
            state.as_os_str(),
            "--attitude-poll-ms".as_ref(),
            attitude.as_ref(),
        ],
        Stdio::inherit(),
    )?;
    let pid = child.0.id();

    let mut b = Gcs::from_first_heartbeat(sock)?;
    b.send(&heartbeat())?;
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
        std::thread::sleep(Duration::from_millis(gap_ms));
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
