//! Media figures (issue 11), printed, never asserted:
//!
//! 1. photo → file URL: IMAGE_START_CAPTURE sent → CAMERA_IMAGE_CAPTURED carrying its
//!    `file_url`, against `siyi-bridge run --simulate` (the simulated camera lists a new file
//!    300 ms after the shot; the bridge looks from 500 ms);
//! 2. `siyi-bridge media pull` of `--files N` photos (`--file-kib K` each) from the simulator's
//!    web server over loopback: throughput, and the pull's peak RSS (VmHWM), a second run that
//!    finds everything complete.
//!
//! `cargo bench --bench bench_media [-- --photos N --files N --file-kib K --bin PATH]`
#![allow(clippy::disallowed_methods)] // a benchmark reads real time

mod common;

use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use common::{arg, bridge_bin, percentile, proc_status_kb, spawn_bridge, Gcs};
use mavlink::dialects::common::{MavCmd, MavMessage, MavResult};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let photos: usize = arg(&args, "--photos", 30);
    let files: usize = arg(&args, "--files", 1000);
    let file_kib: usize = arg(&args, "--file-kib", 512);
    let bin = bridge_bin(&args)?;
    println!("media figures (2-core VM; bridge + simulator in one process)");

    let card = tempfile::tempdir()?;
    let web_port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let gcs_sock = UdpSocket::bind("127.0.0.1:0")?;
    let gcs_port = gcs_sock.local_addr()?.port();
    let web_port_s = web_port.to_string();
    let _child = spawn_bridge(
        &bin,
        &format!("udpout:127.0.0.1:{gcs_port}"),
        &[
            "--no-state".as_ref(),
            "--sim-web-port".as_ref(),
            web_port_s.as_ref(),
            "--sim-media-dir".as_ref(),
            card.path().as_os_str(),
        ],
        Stdio::null(),
    )?;
    let mut g = Gcs::from_first_heartbeat(gcs_sock)?;
    photo_latency(&mut g, photos)?;
    pull_figures(&bin, card.path(), web_port, files, file_kib)?;
    Ok(())
}

/// Takes `n` photos one after the other; prints command → CAMERA_IMAGE_CAPTURED (with its URL).
fn photo_latency(g: &mut Gcs, n: usize) -> anyhow::Result<()> {
    // The simulated camera boots in 200 ms: retry the first photo until it is accepted.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lat = Vec::with_capacity(n);
    let mut empty = 0;
    while lat.len() < n {
        let t0 = Instant::now();
        let (r, _) = g.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, [0.0, 0.0, 1.0])?;
        if r != MavResult::MAV_RESULT_IN_PROGRESS && r != MavResult::MAV_RESULT_ACCEPTED {
            if Instant::now() > deadline {
                bail!("photos refused: {r:?}");
            }
            std::thread::sleep(Duration::from_millis(200)); // pacing a retry, not synchronising
            continue;
        }
        let until = t0 + Duration::from_secs(5);
        let url = loop {
            match g.recv(until) {
                Some(MavMessage::CAMERA_IMAGE_CAPTURED(c)) => {
                    break c.file_url.to_str().unwrap_or_default().to_owned()
                }
                Some(_) => {}
                None => bail!("no CAMERA_IMAGE_CAPTURED within 5 s"),
            }
        };
        if url.is_empty() {
            empty += 1;
        }
        lat.push(t0.elapsed());
    }
    lat.sort();
    println!(
        "photo → CAMERA_IMAGE_CAPTURED with file_url: p50 {:?}, p90 {:?}, max {:?} ({n} photos, {empty} without URL)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        lat.last().copied().unwrap_or_default()
    );
    Ok(())
}

/// Fills the simulated card with `files` photos and pulls them with `media pull`.
fn pull_figures(
    bin: &Path,
    card: &Path,
    web_port: u16,
    files: usize,
    file_kib: usize,
) -> anyhow::Result<()> {
    let dir = card.join("101SIYI_IMG");
    std::fs::create_dir_all(&dir)?;
    let body = vec![0x5Au8; file_kib * 1024];
    // Numbers above what the bridge's photos used, so the store lists them all.
    for i in 0..files {
        std::fs::write(dir.join(format!("IMG_{:04}.jpg", 5000 + i)), &body)?;
    }
    let out = tempfile::tempdir()?;
    for run in ["first", "second"] {
        let t0 = Instant::now();
        let mut child = Command::new(bin)
            .args(["media", "pull"])
            .arg(out.path())
            .args([
                "--camera",
                "127.0.0.1",
                "--media-port",
                &web_port.to_string(),
            ])
            .args(["--state-dir"])
            .arg(card.join("no-state"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("media pull")?;
        let pid = child.id();
        let mut hwm_kb = 0;
        let status = loop {
            if let Some(s) = child.try_wait()? {
                break s;
            }
            hwm_kb = hwm_kb.max(proc_status_kb(pid, "VmHWM:").unwrap_or(0));
            std::thread::sleep(Duration::from_millis(20)); // sampling /proc, not synchronising
        };
        let took = t0.elapsed();
        let mib = (files * file_kib) as f64 / 1024.0;
        // A run that ends before the first /proc sample has no RSS figure.
        let rss = if hwm_kb > 4 {
            format!("peak RSS {hwm_kb} KiB")
        } else {
            "ended before RSS could be sampled".to_owned()
        };
        if run == "first" {
            println!(
                "media pull of {files} files × {file_kib} KiB: {:.2} s, {:.0} MiB/s, {rss} ({status})",
                took.as_secs_f64(),
                mib / took.as_secs_f64(),
            );
        } else {
            println!(
                "media pull again (everything complete, nothing downloaded): {:.3} s, {rss} ({status})",
                took.as_secs_f64()
            );
        }
    }
    Ok(())
}
