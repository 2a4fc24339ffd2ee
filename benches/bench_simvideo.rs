//! Render + encode time of the simulated camera's video per picture, and the bit rate, at
//! several sizes: `cargo bench --bench bench_simvideo [-- FRAMES]` (default 150 per size).
//!
//! The camera sweeps the way a tracking gimbal does (yaw and pitch following the car with a small
//! lag, zoom 2×), so the encoder sees motion, not a still picture.

use std::time::Instant;

use siyi_bridge::sim::scene::{self, SimPose};
use siyi_bridge::sim::stream::encode::H264Encoder;
use siyi_bridge::sim::stream::{I420Frame, Renderer, SceneOptions};

/// CPU time of this thread so far, ms (utime + stime of /proc/thread-self/stat, 10 ms ticks on
/// Linux; NaN elsewhere): the figure a loaded machine does not inflate.
fn thread_cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return f64::NAN;
    };
    // After the command name (which ends with ')'): state, ppid, … ; utime and stime are the
    // 12th and 13th of those (fields 14 and 15 of the line).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok());
    match (tick(11), tick(12)) {
        (Some(u), Some(s)) => (u + s) * 10.0,
        _ => f64::NAN,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

#[allow(clippy::disallowed_methods)] // a benchmark measures wall time
fn main() {
    let frames: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(150);
    let fps = 30u32;
    let renderer = Renderer::new(SceneOptions {
        second_car: true,
        tree: true,
        noise: 2,
        seed: 1,
    });
    println!("size       render p50/p99 ms   encode p50/p99 ms   total p50/p99 ms   kbit/s   CPU ms/picture");
    for (w, h, kbps) in [(1280, 720, 2000), (960, 540, 1500), (640, 360, 1000)] {
        let mut enc = H264Encoder::new(fps, kbps * 1000).expect("encoder");
        let mut frame = I420Frame::new(w, h);
        let (mut render, mut encode, mut total) = (Vec::new(), Vec::new(), Vec::new());
        let mut bytes = 0usize;
        let cpu0 = thread_cpu_ms();
        for n in 0..frames {
            let t = n as f64 / f64::from(fps);
            let d = scene::target_direction(t - 0.2);
            let pose = SimPose {
                yaw_deg: -d.azimuth_deg,
                pitch_deg: d.elevation_deg,
                zoom: 2.0,
                scene_time_s: t,
            };
            let a = Instant::now();
            renderer.render_into(&pose, n as u64, &mut frame);
            let b = Instant::now();
            let au = enc.encode(&frame, n == 0).expect("encodes");
            let c = Instant::now();
            bytes += au.len_bytes();
            render.push((b - a).as_secs_f64() * 1e3);
            encode.push((c - b).as_secs_f64() * 1e3);
            total.push((c - a).as_secs_f64() * 1e3);
        }
        let cpu = (thread_cpu_ms() - cpu0) / frames as f64;
        for v in [&mut render, &mut encode, &mut total] {
            v.sort_by(f64::total_cmp);
        }
        let kbit_s = bytes as f64 * 8.0 * f64::from(fps) / frames as f64 / 1000.0;
        println!(
            "{w}x{h:<5} {:>7.2} / {:<7.2}    {:>7.2} / {:<7.2}    {:>7.2} / {:<7.2}   {kbit_s:>6.0}   {cpu:>6.1}",
            percentile(&render, 0.5),
            percentile(&render, 0.99),
            percentile(&encode, 0.5),
            percentile(&encode, 0.99),
            percentile(&total, 0.5),
            percentile(&total, 0.99),
        );
    }
}
