//! Video in, measured (figures printed, nothing asserted): decode + track of 1280 × 720 H.264
//! frames on one core (the decoder and the tracker are single-threaded and run on this
//! thread), p50 / p99 ms per frame for each and for the sum; the process's RSS before, while
//! and after decoding; the same decode for 3840 × 2160 (4K).
//!
//! ```text
//! cargo bench --bench bench_video                 # 150 frames of 720p, 10 of 4K
//! cargo bench --bench bench_video -- --frames 600 --no-4k
//! ```
//! The frames are made first by the OpenH264 encoder (a textured scene with a moving
//! checkered target, tests/video_common), key frame every 30, about 3.7 Mbit/s at 30 frames/s.
#![allow(clippy::disallowed_methods)] // a benchmark: real clocks
#![allow(unused_qualifications)]

#[path = "../tests/video_common/mod.rs"]
mod video_common;

use std::time::Instant;

use siyi_bridge::io::video::nal::{annexb_units, AccessUnit};
use siyi_bridge::io::video::pipeline::{Pipeline, Target};
use siyi_vision::TrackerConfig;

fn rss_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// This thread's CPU time (user + system), ms, from /proc (10 ms ticks): the cost per frame
/// on a loaded machine, where wall times include waiting for a core.
fn thread_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = after
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // Fields 14 and 15 (utime, stime): the 11th and 12th numbers after the name and state.
    f.get(10)
        .zip(f.get(11))
        .map_or(0.0, |(u, s)| (u + s) * 10.0)
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn units(frames: &[Vec<u8>]) -> Vec<AccessUnit> {
    frames
        .iter()
        .map(|f| {
            let mut u = AccessUnit::new();
            for n in annexb_units(f) {
                u.push(n).expect("framed");
            }
            u
        })
        .collect()
}

fn run(w: usize, h: usize, frames: usize) {
    let t = Instant::now();
    let encoded = video_common::encode_scene(w, h, frames, 30);
    let bytes: usize = encoded.iter().map(Vec::len).sum();
    println!(
        "{w}x{h}: {frames} frames encoded in {:.1} s, {:.0} kB ({:.1} Mbit/s at 30 frames/s)",
        t.elapsed().as_secs_f64(),
        bytes as f64 / 1e3,
        bytes as f64 * 8.0 * 30.0 / frames as f64 / 1e6
    );
    let units = units(&encoded);
    drop(encoded);
    let rss_before = rss_kb("VmRSS:");
    let mut p = Pipeline::new(TrackerConfig::default()).expect("pipeline");
    let (x, y, bw, bh) = video_common::target_at(0, w, h);
    p.start(Target::Rect(
        x as f32 / w as f32,
        y as f32 / h as f32,
        bw as f32 / w as f32,
        bh as f32 / h as f32,
    ));
    let (mut dec, mut trk, mut both) = (Vec::new(), Vec::new(), Vec::new());
    let mut rss_during = 0;
    let mut lost = 0;
    let cpu0 = thread_cpu_ms();
    let wall0 = Instant::now();
    for (k, u) in units.iter().enumerate() {
        let step = p.feed(u, true);
        let t_ms = step.track.map_or(0.0, |(e, ms)| {
            if e.state == siyi_vision::TrackState::Lost {
                lost += 1;
            }
            ms
        });
        if k > 0 {
            dec.push(step.decode_ms);
            trk.push(t_ms);
            both.push(step.decode_ms + t_ms);
        }
        if k == units.len() / 2 {
            rss_during = rss_kb("VmRSS:");
        }
    }
    let cpu_ms = thread_cpu_ms() - cpu0;
    let wall_ms = wall0.elapsed().as_secs_f64() * 1e3;
    println!(
        "{w}x{h}: CPU time of decode + track {:.2} ms/frame on average ({:.0} ms CPU in {:.0} ms wall: {:.0} % of one core; load average {})",
        cpu_ms / units.len() as f64,
        cpu_ms,
        wall_ms,
        100.0 * cpu_ms / wall_ms,
        load()
    );
    println!(
        "{w}x{h}: decode ms/frame p50 {:.2} p99 {:.2}; track p50 {:.2} p99 {:.2}; decode + track p50 {:.2} p99 {:.2} (one core, {} frames, lost in {lost})",
        pct(&mut dec, 0.5),
        pct(&mut dec, 0.99),
        pct(&mut trk, 0.5),
        pct(&mut trk, 0.99),
        pct(&mut both, 0.5),
        pct(&mut both, 0.99),
        both.len()
    );
    let held: usize = units.iter().map(|u| u.bytes().len()).sum();
    println!(
        "{w}x{h}: RSS {rss_before} kB before the decoder (the encoded frames held: {} kB), {rss_during} kB while decoding and tracking, peak {} kB; decoder luma buffer {} kB, tracker {} kB",
        held / 1024,
        rss_kb("VmHWM:"),
        p.decoder().buffer_bytes() / 1024,
        p.tracker_bytes() / 1024
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let frames = args
        .iter()
        .position(|a| a == "--frames")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    println!("bench_video: RSS at start {} kB", rss_kb("VmRSS:"));
    run(1280, 720, frames);
    if !args.iter().any(|a| a == "--no-4k") {
        run(3840, 2160, 10);
    }
}
