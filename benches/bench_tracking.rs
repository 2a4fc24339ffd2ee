//! Tracking figures (issue 9), printed, never asserted:
//!
//! 1. command → final ACK latency of CAMERA_TRACK_POINT with the tracker API in the loop:
//!    `siyi-bridge run --simulate --sim-tracker off` as a child process, this bench as the
//!    ground station (UDP) and as the tracker (TCP, answering at once), over loopback;
//! 2. CPU of that process with a tracker reporting at 10 Hz and CAMERA_TRACKING_IMAGE_STATUS
//!    streamed at 10 Hz, against the same process with the tracker idle;
//! 3. follow: settling time and steady-state error on the simulator's moving target (virtual
//!    time: the bridge core, the simulated A8 mini and the simulated tracker), at 1× and 4×;
//! 4. a hostile tracker at 10 000 status lines/s, in two halves: (a) `active` with the box
//!    changing on every line, while tracking, against the SIYI 0x07 gimbal-speed commands per
//!    second to the camera (from `--record-siyi`) and MAVLink bytes per second to the ground
//!    station; (b) the state flipping between active, lost, and error with a 400-byte reason,
//!    against bytes, CAMERA_TRACKING_IMAGE_STATUS and STATUSTEXT per second to the ground station.
//!
//! `cargo bench --bench bench_tracking [-- --commands N --cpu-seconds S --flood-seconds S --bin PATH]`
#![allow(clippy::disallowed_methods)] // a benchmark reads real time

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use common::{arg, bridge_bin, cpu_ticks, heartbeat, percentile, spawn_bridge, Gcs};
use mavlink::dialects::common::{MavCmd, MavMessage, MavResult};
use siyi_bridge::sim::{scene, SimConfig};
use siyi_bridge::testing::SimWorld;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--commands", 500);
    let cpu_s: u64 = arg(&args, "--cpu-seconds", 10);
    let flood_s: u64 = arg(&args, "--flood-seconds", 10);
    let bin = bridge_bin(&args)?;

    println!("tracking figures (2-core VM; bridge + simulator in one process)");
    follow_figures(1.0);
    follow_figures(4.0);

    let api = free_tcp_port()?;
    let gcs_sock = UdpSocket::bind("127.0.0.1:0")?;
    let gcs_port = gcs_sock.local_addr()?.port();
    let tracker_api = format!("127.0.0.1:{api}");
    let record =
        std::env::temp_dir().join(format!("siyi-bench-flood-{}.jsonl", std::process::id()));
    let child = spawn_bridge(
        &bin,
        &format!("udpout:127.0.0.1:{gcs_port}"),
        &[
            "--no-state".as_ref(),
            "--sim-tracker".as_ref(),
            "off".as_ref(),
            "--tracker-api".as_ref(),
            tracker_api.as_ref(),
            "--record-siyi".as_ref(),
            record.as_os_str(),
        ],
        Stdio::null(),
    )?;
    let pid = child.0.id();
    let tracking = Arc::new(AtomicBool::new(false));
    let flood = Arc::new(AtomicU8::new(FLOOD_OFF));
    let stop = Arc::new(AtomicBool::new(false));
    let tracker = {
        let (tracking, flood, stop) = (tracking.clone(), flood.clone(), stop.clone());
        let addr = tracker_api.clone();
        std::thread::spawn(move || play_tracker(&addr, &tracking, &flood, &stop))
    };
    let mut g = Gcs::from_first_heartbeat(gcs_sock)?;
    wait_until_tracking_available(&mut g)?;

    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let x = 0.3 + 0.4 * (i % 10) as f32 / 10.0;
        let (r, d) = final_ack(&mut g, MavCmd::MAV_CMD_CAMERA_TRACK_POINT, [x, 0.5, 0.05])?;
        if r != MavResult::MAV_RESULT_ACCEPTED {
            bail!("TRACK_POINT answered {r:?}");
        }
        lat.push(d);
    }
    lat.sort();
    println!(
        "TRACK_POINT → final ACK via the tracker API: p50 {:?}, p99 {:?}, max {:?} ({n} commands)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );

    // CPU: tracker idle (its 10 Hz idle statuses), then tracking with the status streamed at 10 Hz.
    final_ack(&mut g, MavCmd::MAV_CMD_CAMERA_STOP_TRACKING, [0.0; 3])?;
    let idle = cpu_over(&mut g, pid, cpu_s);
    // The tracker reports active before the command is answered: an idle report after the
    // answer would end the track (as it should).
    tracking.store(true, Ordering::Relaxed);
    final_ack(&mut g, MavCmd::MAV_CMD_CAMERA_TRACK_POINT, [0.6, 0.5, 0.05])?;
    final_ack(
        &mut g,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [275.0, 100_000.0, 0.0],
    )?;
    let busy = cpu_over(&mut g, pid, cpu_s);
    println!(
        "CPU, tracker connected and idle: {idle:.2} %; tracking with status in and out at 10 Hz: {busy:.2} % (over {cpu_s} s each)"
    );

    // The flood: the same stream interval stays on (10 Hz), as a ground station would leave it.
    let half = flood_s.div_ceil(2);
    for (mode, what) in [
        (FLOOD_BOXES, "active, the box changing on every line"),
        (FLOOD_FLIPS, "active/lost/error flips with 400-byte reasons"),
    ] {
        let before = gimbal_commands(&record);
        let lines_before = FLOOD_LINES.load(Ordering::Relaxed);
        flood.store(mode, Ordering::Relaxed);
        let (bytes, messages, texts, statuses, wall) = drain_counting(&mut g, half);
        flood.store(FLOOD_OFF, Ordering::Relaxed);
        let sent = gimbal_commands(&record).saturating_sub(before);
        let secs = wall.as_secs_f64();
        let lines = FLOOD_LINES.load(Ordering::Relaxed) - lines_before;
        println!(
            "hostile tracker, {:.0} lines/s for {secs:.1} s ({what}): {:.1} SIYI 0x07 commands/s to the camera; to the ground station {:.0} bytes/s in {:.1} messages/s ({:.1} CAMERA_TRACKING_IMAGE_STATUS/s, {:.2} STATUSTEXT/s)",
            lines as f64 / secs,
            sent as f64 / secs,
            bytes as f64 / secs,
            messages as f64 / secs,
            statuses as f64 / secs,
            texts as f64 / secs,
        );
        // An error ends tracking: track again before the next half.
        final_ack(&mut g, MavCmd::MAV_CMD_CAMERA_TRACK_POINT, [0.6, 0.5, 0.05])?;
    }
    let _ = std::fs::remove_file(&record);
    stop.store(true, Ordering::Relaxed);
    drop(child);
    let _ = tracker.join();
    Ok(())
}

fn free_tcp_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// SIYI 0x07 (gimbal speed) frames the bridge sent the camera, from its `--record-siyi` file.
fn gimbal_commands(record: &std::path::Path) -> usize {
    let text = std::fs::read_to_string(record).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["dir"] == "to_camera")
        .filter(|v| {
            let hex = v["hex"].as_str().unwrap_or("");
            siyi_bridge::record::parse_hex(hex).is_ok_and(|b| b.get(7) == Some(&0x07))
        })
        .count()
}

/// Receives for `seconds` (heartbeating each second): bytes, messages, STATUSTEXT and
/// CAMERA_TRACKING_IMAGE_STATUS that arrived, and the time it took.
fn drain_counting(g: &mut Gcs, seconds: u64) -> (usize, usize, usize, usize, Duration) {
    let (mut bytes, mut messages, mut texts, mut statuses) = (0, 0, 0, 0);
    let w0 = Instant::now();
    let mut next_hb = w0;
    let mut buf = [0u8; 2048];
    while w0.elapsed() < Duration::from_secs(seconds) {
        if Instant::now() >= next_hb {
            let _ = g.send(&heartbeat());
            next_hb += Duration::from_secs(1);
        }
        let _ = g.sock.set_read_timeout(Some(Duration::from_millis(50)));
        let Ok((n, _)) = g.sock.recv_from(&mut buf) else {
            continue;
        };
        bytes += n;
        for (_, m) in common::frames::frames(&buf[..n]) {
            messages += 1;
            match m {
                Some(MavMessage::STATUSTEXT(_)) => texts += 1,
                Some(MavMessage::CAMERA_TRACKING_IMAGE_STATUS(_)) => statuses += 1,
                _ => {}
            }
        }
    }
    (bytes, messages, texts, statuses, w0.elapsed())
}

/// A tracker that answers every request at once and reports at 10 Hz (active while
/// `tracking`, else idle), or 10 000 hostile lines a second while `flood`, until `stop`.
/// No flood: the tracker reports at 10 Hz.
const FLOOD_OFF: u8 = 0;
/// Flood lines written so far.
static FLOOD_LINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// 10 000 `active` lines/s, the box changing on every line.
const FLOOD_BOXES: u8 = 1;
/// 10 000 lines/s flipping between active, lost and error with a 400-byte reason.
const FLOOD_FLIPS: u8 = 2;

fn play_tracker(addr: &str, tracking: &AtomicBool, flood: &AtomicU8, stop: &AtomicBool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let stream = loop {
        match TcpStream::connect(addr) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("tracker API at {addr}: {e}"),
        }
    };
    // Short, so that a flood is not held up by waiting for a request.
    stream
        .set_read_timeout(Some(Duration::from_millis(1)))
        .expect("timeout");
    stream.set_nodelay(true).expect("nodelay");
    let mut out = stream.try_clone().expect("clone");
    let mut lines = BufReader::new(stream);
    writeln!(out, r#"{{"type":"hello","version":1,"name":"bench"}}"#).expect("hello");
    let mut line = String::new();
    let mut next_status = Instant::now();
    let mut flood_n = 0u32;
    let mut batch = String::new();
    let mut next_batch = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        line.clear();
        if lines.read_line(&mut line).is_ok() && !line.is_empty() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                if v["type"].as_str().is_some_and(|t| t.starts_with("track_")) {
                    let _ = writeln!(
                        out,
                        r#"{{"type":"answer","id":{},"accepted":true}}"#,
                        v["id"]
                    );
                }
            }
        }
        let mode = flood.load(Ordering::Relaxed);
        if mode != FLOOD_OFF {
            // 100 lines every 10 ms, in one write.
            let reason = "é".repeat(200);
            for i in 0..100u32 {
                let x = 0.1 + 0.8 * f64::from((flood_n + i) % 97) / 97.0;
                let flip = if mode == FLOOD_FLIPS {
                    (flood_n + i) % 7
                } else {
                    0
                };
                let l = match flip {
                    3 => r#"{"type":"status","state":"lost"}"#.to_owned(),
                    5 => format!(r#"{{"type":"status","state":"error","reason":"{reason}{i}"}}"#),
                    _ => format!(
                        r#"{{"type":"status","state":"active","point":{{"x":{x},"y":0.5,"radius":0.05}}}}"#
                    ),
                };
                batch.push_str(&l);
                batch.push('\n');
            }
            let _ = out.write_all(batch.as_bytes());
            batch.clear();
            flood_n = flood_n.wrapping_add(100);
            FLOOD_LINES.fetch_add(100, Ordering::Relaxed);
            next_batch = next_batch.max(Instant::now() - Duration::from_millis(10));
            next_batch += Duration::from_millis(10);
            std::thread::sleep(next_batch.saturating_duration_since(Instant::now()));
            continue;
        }
        if Instant::now() >= next_status {
            next_status += Duration::from_millis(100);
            let status = if tracking.load(Ordering::Relaxed) {
                r#"{"type":"status","state":"active","point":{"x":0.55,"y":0.5,"radius":0.05}}"#
            } else {
                r#"{"type":"status","state":"idle"}"#
            };
            let _ = writeln!(out, "{status}");
        }
    }
}

fn wait_until_tracking_available(g: &mut Gcs) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        g.send(&heartbeat())?;
        let (r, _) = g.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, [259.0, 0.0, 0.0])?;
        if r == MavResult::MAV_RESULT_ACCEPTED {
            let until = Instant::now() + Duration::from_secs(1);
            while let Some(m) = g.recv(until) {
                if let MavMessage::CAMERA_INFORMATION(i) = m {
                    if i.flags.bits() & 0x600 == 0x600 {
                        return Ok(());
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("the camera never offered tracking")
}

/// Sends `command` and times its final COMMAND_ACK (IN_PROGRESS skipped).
fn final_ack(g: &mut Gcs, command: MavCmd, p: [f32; 3]) -> anyhow::Result<(MavResult, Duration)> {
    let t0 = Instant::now();
    let params = [p[0], p[1], p[2], 0.0, 0.0, 0.0, 0.0];
    g.send(&common::command_long(command, params, g.cam_sys))?;
    let deadline = t0 + Duration::from_secs(5);
    while let Some(m) = g.recv(deadline) {
        if let MavMessage::COMMAND_ACK(a) = m {
            if a.command == command && a.result != MavResult::MAV_RESULT_IN_PROGRESS {
                return Ok((a.result, t0.elapsed()));
            }
        }
    }
    bail!("no final COMMAND_ACK for {command:?} within 5 s")
}

/// CPU of `pid` in percent of one core over `seconds`, the ground station heartbeating and
/// draining meanwhile.
fn cpu_over(g: &mut Gcs, pid: u32, seconds: u64) -> f64 {
    let t0 = cpu_ticks(pid).unwrap_or(0);
    let w0 = Instant::now();
    let mut next_hb = w0;
    while w0.elapsed() < Duration::from_secs(seconds) {
        if Instant::now() >= next_hb {
            let _ = g.send(&heartbeat());
            next_hb += Duration::from_secs(1);
        }
        let _ = g.recv(Instant::now() + Duration::from_millis(50));
    }
    let t1 = cpu_ticks(pid).unwrap_or(0);
    t1.saturating_sub(t0) as f64 / 100.0 / w0.elapsed().as_secs_f64() * 100.0
}

/// Follow on virtual time: a rectangle drawn around the target at 1×, then (for `zoom` > 1)
/// zoomed in once it is centred. Settling time (error under 0.05 of the frame for good, from
/// the track command or the zoom) and the steady-state error over the next 70 s.
fn follow_figures(zoom: f32) {
    let mut w = SimWorld::new(SimConfig::instant_boot(), Instant::now());
    w.run(Duration::from_secs(2));
    w.connect_tracker();
    let Some(b) = scene::target_box(&w.sim.pose()) else {
        println!("follow: the target is not in the picture at the start");
        return;
    };
    let (l, t, r, bottom) = b.clipped_edges();
    let p = [l, t, r, bottom].map(|v| v as f32);
    w.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
        [p[0], p[1], p[2], p[3], 0., 0., 0.],
    );
    if zoom > 1.0 {
        w.run(Duration::from_secs(10));
        let pct = (zoom - 1.0) / 5.0 * 100.0;
        w.command(
            MavCmd::MAV_CMD_SET_CAMERA_ZOOM,
            [2.0, pct, 0., 0., 0., 0., 0.],
        );
    }
    let start_err = err(&w);
    let mut errors = Vec::new();
    for _ in 0..700 {
        w.run(Duration::from_millis(100));
        errors.push(err(&w));
    }
    let settle = errors.iter().rposition(|e| *e >= 0.05).map_or(0, |i| i + 1);
    let after: Vec<f64> = errors.iter().skip(settle).copied().collect();
    let mean = after.iter().sum::<f64>() / after.len().max(1) as f64;
    let max = after.iter().copied().fold(0.0, f64::max);
    println!(
        "follow at {zoom}× (HFOV {:.1}°, target ≤ 3.9°/s): error {start_err:.3} of the frame at the {}, under 0.05 for good after {:.1} s; then mean {mean:.4}, max {max:.4} over {:.0} s",
        scene::hfov_deg(f64::from(zoom)),
        if zoom > 1.0 { "zoom" } else { "track command" },
        settle as f64 / 10.0,
        after.len() as f64 / 10.0,
    );
}

/// How far the target is from the centre, a fraction of the frame (worst axis); 1 when out.
fn err(w: &SimWorld) -> f64 {
    scene::target_box(&w.sim.pose()).map_or(1.0, |b| {
        (b.center_x - 0.5).abs().max((b.center_y - 0.5).abs())
    })
}
