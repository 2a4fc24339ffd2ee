//! The built-in tracker's closed loop, measured against the simulator's truth: `run --simulate`
//! in-process (`app::spawn`) with its video over RTSP / H.264 (1280x720, 30 frames/s,
//! `--sim-video-delay-ms`, the busy scene: a second car, the tree, noise), no tracker API. A
//! ground station draws a rectangle on the car where the simulator says it is, then for
//! `--seconds` the car's true place in the picture is sampled every 50 ms, the gimbal's yaw rate
//! too, and a command is timed every 200 ms. Once with the delay compensation on, once off.
//!
//! Prints per run: time to centre the car (true error < 0.05 of the frame), mean and p95 true
//! error, yaw-rate sign changes (|rate| ≥ 2°/s), each passage behind the tree (lost said?
//! found again within how long, and the IoU of the reported box with the car's then), whether
//! the box ever sat on the second car, and command → ACK p50/p99 idle and while tracking.
//!
//! Usage: `cargo bench --bench bench_follow [-- --seconds 60 --delay-ms 200]`.
#![allow(clippy::disallowed_methods)] // a benchmark measures real time

#[path = "../tests/gcs/mod.rs"]
mod gcs;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use gcs::{heartbeat, p};
use mavlink::dialects::common::{
    CameraTrackingStatusFlags, MavCmd, MavMessage, MavResult, CAMERA_TRACKING_IMAGE_STATUS_DATA,
};
use siyi_bridge::config::{Config, SimScene};
use siyi_bridge::io::endpoint::Endpoint;
use siyi_bridge::sim::scene::{self, ImageBox, SimPose};
use siyi_bridge::sim::stream::render::{second_car_box, tree_hides_target};

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = arg(&args, "--seconds", 60);
    let delay_ms: u64 = arg(&args, "--delay-ms", 200);
    let busy = arg(&args, "--scene", "busy".to_owned()) == "busy";
    let width: usize = arg(&args, "--width", 1280);
    let only: String = arg(&args, "--only", String::new());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "bench_follow: built-in tracker, simulated video {width} px wide, 30 fps, delay {delay_ms} ms, {} scene, {seconds} s per run",
        if busy { "busy" } else { "plain" }
    );
    for compensate in [true, false] {
        if (only == "on" && !compensate) || (only == "off" && compensate) {
            continue;
        }
        let size = (width, width * 9 / 16 / 2 * 2);
        let f = rt.block_on(run(compensate, seconds, delay_ms, busy, size))?;
        f.print(compensate);
    }
    Ok(())
}

/// One passage of the car behind the tree.
#[derive(Debug, Default)]
struct Passage {
    hidden_at_s: f64,
    visible_at_s: Option<f64>,
    lost_said: bool,
    /// When the box was back on the car (IoU ≥ 0.5), after the car reappeared, seconds.
    found_after_s: Option<f64>,
}

#[derive(Debug, Default)]
struct Figures {
    centred_after_s: Option<f64>,
    errors: Vec<f64>,
    sign_changes: usize,
    passages: Vec<Passage>,
    on_second_car: usize,
    statuses: usize,
    idle: Vec<Duration>,
    tracking: Vec<Duration>,
    /// (seconds since the track, true error), every 0.5 s.
    trace: Vec<(f64, f64)>,
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len().max(1) - 1) as f64 * p).round() as usize;
    v.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}

impl Figures {
    fn print(mut self, compensate: bool) {
        let mut e = self.errors.clone();
        e.sort_by(f64::total_cmp);
        let mean = e.iter().sum::<f64>() / e.len().max(1) as f64;
        let p95 = e
            .get((e.len().max(1) - 1) * 95 / 100)
            .copied()
            .unwrap_or(f64::NAN);
        println!(
            "\n== delay compensation {}",
            if compensate { "on" } else { "off" }
        );
        println!(
            "centred (true error < 0.05) after {} s; true error mean {mean:.4}, p95 {p95:.4} of the frame ({} samples)",
            self.centred_after_s.map_or("never".into(), |s| format!("{s:.2}")),
            e.len()
        );
        println!(
            "gimbal yaw-rate sign changes (|rate| >= 2 deg/s): {}",
            self.sign_changes
        );
        for p in &self.passages {
            println!(
                "behind the tree at {:.1} s, visible again at {}: lost said {}, box back on the car (IoU >= 0.5) {}",
                p.hidden_at_s,
                p.visible_at_s.map_or("-".into(), |s| format!("{s:.1} s")),
                p.lost_said,
                p.found_after_s
                    .map_or("never".into(), |s| format!("{s:.2} s after it reappeared"))
            );
        }
        println!(
            "reported box on the second car: {} of {} statuses",
            self.on_second_car, self.statuses
        );
        println!(
            "command -> ACK idle p50 {:.2} ms p99 {:.2} ms ({}); while tracking p50 {:.2} ms p99 {:.2} ms ({})",
            pct(&mut self.idle, 0.5),
            pct(&mut self.idle, 0.99),
            self.idle.len(),
            pct(&mut self.tracking, 0.5),
            pct(&mut self.tracking, 0.99),
            self.tracking.len()
        );
        let trace: Vec<String> = self
            .trace
            .iter()
            .map(|(t, e)| format!("{t:.1}:{e:.3}"))
            .collect();
        println!("true error over time (s:error): {}", trace.join(" "));
    }
}

fn iou(a: (f64, f64, f64, f64), b: &ImageBox) -> f64 {
    let (al, at, ar, ab) = a;
    let (bl, bt) = (b.center_x - b.width / 2.0, b.center_y - b.height / 2.0);
    let (br, bb) = (bl + b.width, bt + b.height);
    let w = (ar.min(br) - al.max(bl)).max(0.0);
    let h = (ab.min(bb) - at.max(bt)).max(0.0);
    let inter = w * h;
    let union = (ar - al) * (ab - at) + b.width * b.height - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

fn reported_box(s: &CAMERA_TRACKING_IMAGE_STATUS_DATA) -> Option<(f64, f64, f64, f64)> {
    let v = [s.rec_top_x, s.rec_top_y, s.rec_bottom_x, s.rec_bottom_y].map(f64::from);
    v.iter()
        .all(|x| x.is_finite())
        .then_some((v[0], v[1], v[2], v[3]))
}

async fn run(
    compensate: bool,
    seconds: u64,
    delay_ms: u64,
    busy: bool,
    size: (usize, usize),
) -> anyhow::Result<Figures> {
    let config = Config {
        builtin_tracker: true,
        track_follow: std::env::var_os("BENCH_NO_FOLLOW").is_none(),
        track_delay_compensation: compensate,
        sim_video_size: size,
        sim_video_delay_ms: delay_ms,
        sim_scene: if busy {
            SimScene::Busy
        } else {
            SimScene::Plain
        },
        ..Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse()?)])
    };
    let (running, mut c) = gcs::start_bridge(config, Duration::from_secs(20)).await;
    let mut f = Figures::default();
    let pose = |r: &siyi_bridge::app::Running| r.sim_pose().expect("simulated");

    // Idle: 100 commands, 20 ms apart.
    for _ in 0..100 {
        let t = Instant::now();
        let r = c
            .command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[260.0]))
            .await;
        anyhow::ensure!(r == MavResult::MAV_RESULT_ACCEPTED, "idle command: {r:?}");
        f.idle.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Clear of the tree (behind it at 2.6 s; a box drawn with the tree in it would hold the
    // tree as well), with the car in view.
    let car = loop {
        let now = pose(&running);
        if let Some(b) = scene::target_box(&now).filter(|_| now.scene_time_s > 6.0) {
            break b;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        c.send(&heartbeat()).await;
    };
    let (l, t) = (
        car.center_x - car.width / 2.0,
        car.center_y - car.height / 2.0,
    );
    let r = c
        .command(
            MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
            p(&[
                l as f32,
                t as f32,
                (l + car.width) as f32,
                (t + car.height) as f32,
            ]),
        )
        .await;
    anyhow::ensure!(r == MavResult::MAV_RESULT_ACCEPTED, "track: {r:?}");
    let start = Instant::now();
    c.send(&gcs::command_long(
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        p(&[275.0, 50_000.0]),
        c.cam_sys,
    ))
    .await;

    let mut history: VecDeque<(Instant, SimPose)> = VecDeque::new();
    let mut next_sample = start;
    let mut next_command = start;
    let mut next_trace = start;
    let mut pending: Option<Instant> = None;
    let mut last_status: Option<CAMERA_TRACKING_IMAGE_STATUS_DATA> = None;
    let mut last_yaw: Option<(Instant, f64)> = None;
    let mut last_sign = 0i8;
    let mut hidden = false;
    let end = start + Duration::from_secs(seconds);
    while Instant::now() < end {
        let deadline = next_sample.min(next_command);
        if let Some(frames) = c.recv(deadline).await {
            for (_, m) in frames {
                match m {
                    Some(MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s)) => {
                        f.statuses += 1;
                        let now = Instant::now();
                        // The box belongs to a frame `delay` old: compare it with the car then.
                        let then = now - Duration::from_millis(delay_ms + 33);
                        let old = history
                            .iter()
                            .rev()
                            .find(|(at, _)| *at <= then)
                            .map(|(_, p)| *p);
                        if let (Some(b), Some(old)) = (reported_box(&s), old) {
                            let on_car = scene::target_box(&old).map_or(0.0, |car| iou(b, &car));
                            let on_second = second_car_box(&old).map_or(0.0, |c2| iou(b, &c2));
                            if on_second > 0.3 && on_second > on_car {
                                f.on_second_car += 1;
                            }
                            if let Some(p) = f.passages.last_mut() {
                                if let (Some(vis), None) = (p.visible_at_s, p.found_after_s) {
                                    let t = now.duration_since(start).as_secs_f64();
                                    if on_car >= 0.5 && t > vis {
                                        p.found_after_s = Some(t - vis);
                                    }
                                }
                            }
                        }
                        last_status = Some(s);
                    }
                    Some(MavMessage::STATUSTEXT(s)) => {
                        let text = s.text.to_str().unwrap_or("").to_owned();
                        if std::env::var_os("BENCH_TRACE").is_some() {
                            eprintln!("{:.2} s: {text}", start.elapsed().as_secs_f64());
                        }
                        if text.contains("target lost") {
                            if let Some(p) = f.passages.last_mut() {
                                p.lost_said = true;
                            }
                        }
                    }
                    Some(MavMessage::COMMAND_ACK(a))
                        if a.command == MavCmd::MAV_CMD_REQUEST_MESSAGE =>
                    {
                        if let Some(sent) = pending.take() {
                            f.tracking.push(sent.elapsed());
                        }
                    }
                    _ => {}
                }
            }
        }
        let now = Instant::now();
        if now >= next_sample {
            next_sample += Duration::from_millis(50);
            let ps = pose(&running);
            history.push_back((now, ps));
            while history.len() > 200 {
                history.pop_front();
            }
            let t = now.duration_since(start).as_secs_f64();
            let err = scene::target_box(&ps).map_or(1.0, |b| {
                (b.center_x - 0.5).abs().max((b.center_y - 0.5).abs())
            });
            // The tree is drawn in the busy scene only.
            let hides = busy && tree_hides_target(ps.scene_time_s);
            if hides && !hidden {
                f.passages.push(Passage {
                    hidden_at_s: t,
                    ..Passage::default()
                });
            } else if !hides && hidden {
                if let Some(p) = f.passages.last_mut() {
                    p.visible_at_s = Some(t);
                }
            }
            hidden = hides;
            if !hides {
                f.errors.push(err);
                if f.centred_after_s.is_none() && err < 0.05 {
                    f.centred_after_s = Some(t);
                }
            }
            if now >= next_trace {
                next_trace += Duration::from_millis(500);
                if std::env::var_os("BENCH_TRACE").is_some() {
                    let b = last_status.as_ref().and_then(reported_box);
                    let car = scene::target_box(&ps).map(|b| (b.center_x, b.center_y));
                    let c2 = second_car_box(&ps).map(|b| (b.center_x, b.center_y));
                    eprintln!(
                        "{t:.1} s: box {b:.3?} car {car:.3?} second {c2:.3?} scene {:.1}",
                        ps.scene_time_s
                    );
                }
                f.trace.push((t, err));
            }
            // SIYI yaw is positive to the left.
            if let Some((at, yaw)) = last_yaw {
                let rate = (ps.yaw_deg - yaw) / now.duration_since(at).as_secs_f64().max(1e-3);
                let sign = if rate.abs() >= 2.0 {
                    rate.signum() as i8
                } else {
                    0
                };
                if sign != 0 && last_sign != 0 && sign != last_sign {
                    f.sign_changes += 1;
                }
                if sign != 0 {
                    last_sign = sign;
                }
            }
            last_yaw = Some((now, ps.yaw_deg));
        }
        if now >= next_command {
            next_command += Duration::from_millis(200);
            c.send(&heartbeat()).await;
            if pending.is_none() {
                pending = Some(Instant::now());
                c.send(&gcs::command_long(
                    MavCmd::MAV_CMD_REQUEST_MESSAGE,
                    p(&[260.0]),
                    c.cam_sys,
                ))
                .await;
            }
        }
    }
    if let Some(s) = &last_status {
        anyhow::ensure!(
            s.tracking_status != CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ERROR,
            "tracking ended in error: {s:?}"
        );
    }
    running.stop().await?;
    Ok(f)
}
