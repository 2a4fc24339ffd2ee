//! Benchmark of the gimbal path: set-point → SIYI command latency and attitude reading →
//! GIMBAL_DEVICE_ATTITUDE_STATUS age (in-process core against the sans-IO simulator), settling
//! of a 30° angle step and of a 20 °/s rate command on the simulator (virtual time), and idle
//! CPU / RSS of `siyi-bridge run --simulate` with the 10 Hz attitude status stream on.
//!
//! Usage: `cargo bench --bench bench_gimbal [-- --bin PATH --setpoints N --idle-s N]`. Figures
//! are printed, never asserted. A benchmark target, not a user command.
#![allow(clippy::disallowed_methods)] // a benchmark measures real time

mod common;

use std::net::UdpSocket;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{
    arg, bridge_bin, cpu_ticks, heartbeat, percentile, proc_status_kb, spawn_bridge, Gcs,
};
use mavlink::dialects::common::{
    GimbalDeviceFlags, MavAutopilot, MavMessage, MavModeFlag, MavState, MavType,
    GIMBAL_DEVICE_SET_ATTITUDE_DATA, HEARTBEAT_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::camera::Inbound;
use siyi_bridge::core::geo::Euler;
use siyi_bridge::core::gimbal::{GimbalComponent, GimbalConfig};
use siyi_bridge::core::link::LinkControl as _;
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;

/// SIYI 0x0E "gimbal angles" and 0x07 "gimbal rotation" command ids (byte 7 of a frame).
const GIMBAL_COMMANDS: [u8; 2] = [0x0E, 0x07];
const STEP: Duration = Duration::from_millis(1);

fn px4() -> MavHeader {
    MavHeader {
        system_id: 1,
        component_id: 1,
        sequence: 0,
    }
}

fn world() -> SimWorld {
    world_with(SimConfig::default())
}

fn world_with(sim: SimConfig) -> SimWorld {
    let now = Instant::now();
    let mut w = SimWorld::new(
        SimConfig {
            boot_time_ms: 300,
            ..sim
        },
        now,
    );
    let gimbal = GimbalConfig {
        system_id: Some(1),
        ..GimbalConfig::default()
    };
    w.bridge.set_gimbal(GimbalComponent::new(gimbal, now));
    let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_QUADROTOR,
        autopilot: MavAutopilot::MAV_AUTOPILOT_PX4,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    });
    w.mavlink(1, px4(), &Inbound::Message(hb));
    w.run(Duration::from_secs(2));
    w
}

fn set_attitude(q: [f32; 4], yaw_rate_rad_s: f32) -> Inbound {
    Inbound::Message(MavMessage::GIMBAL_DEVICE_SET_ATTITUDE(
        GIMBAL_DEVICE_SET_ATTITUDE_DATA {
            q,
            angular_velocity_x: f32::NAN,
            angular_velocity_y: f32::NAN,
            angular_velocity_z: yaw_rate_rad_s,
            flags: GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
                | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK,
            target_system: 1,
            target_component: 154,
        },
    ))
}

/// Moves the world on by `d` in 1 ms steps.
fn advance(w: &mut SimWorld, d: Duration) {
    let mut left = d;
    while left > Duration::ZERO {
        let s = left.min(STEP);
        w.run(s);
        left -= s;
    }
}

/// Set-point → the SIYI gimbal command: CPU time of the core's handling when the command goes
/// out at once, and how often it does (else it waits for the gimbal's control tick).
fn setpoint_latency(n: usize) -> (Vec<Duration>, usize, Vec<Duration>) {
    let mut w = world();
    let mut cpu = Vec::with_capacity(n);
    let mut virtual_wait = Vec::new();
    let mut immediate = 0;
    for i in 0..n {
        let yaw = if i % 2 == 0 { 10.0 } else { -10.0 } + (i % 7) as f64;
        let inbound = set_attitude(Euler::from_deg(0.0, -20.0, yaw).to_quat(), f32::NAN);
        let utc = w.utc_us();
        let t = Instant::now();
        w.bridge.handle_mavlink(w.now, utc, 1, px4(), &inbound);
        let mut out = Vec::new();
        while let Some(d) = w.bridge.poll_siyi() {
            out.push(d);
        }
        let elapsed = t.elapsed();
        let found = out
            .iter()
            .any(|d| d.get(7).is_some_and(|c| GIMBAL_COMMANDS.contains(c)));
        for d in &out {
            w.sim.handle_datagram(w.now, d);
        }
        w.exchange();
        if found {
            immediate += 1;
            cpu.push(elapsed);
        } else {
            // Wait (virtual time) for the command to go out on a timer.
            let start = w.now;
            let mut seen = false;
            while !seen && w.now.duration_since(start) < Duration::from_secs(1) {
                w.now += STEP;
                let utc = w.utc_us();
                w.bridge.handle_timeout(w.now, utc);
                while let Some(d) = w.bridge.poll_siyi() {
                    seen |= d.get(7).is_some_and(|c| GIMBAL_COMMANDS.contains(c));
                    w.sim.handle_datagram(w.now, &d);
                }
                w.sim.handle_timeout(w.now);
                w.exchange();
            }
            virtual_wait.push(w.now.duration_since(start));
        }
        advance(&mut w, Duration::from_millis(50));
    }
    cpu.sort();
    virtual_wait.sort();
    (cpu, immediate, virtual_wait)
}

/// Age of the attitude reading each GIMBAL_DEVICE_ATTITUDE_STATUS is built from (virtual time).
fn status_age(secs: u64, reply_delay_ms: u64) -> Vec<Duration> {
    let mut w = world_with(SimConfig {
        reply_delay_ms,
        ..SimConfig::default()
    });
    w.out.clear();
    let mut ages = Vec::new();
    let end = w.now + Duration::from_secs(secs);
    while w.now < end {
        w.run(STEP);
        let n = w
            .out
            .drain(..)
            .filter(|t| matches!(t.mav(), Some(MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(_))))
            .count();
        if n > 0 {
            if let Some(a) = w.bridge.link().state().attitude {
                ages.push(w.now.saturating_duration_since(a.at));
            }
        }
    }
    ages.sort();
    ages
}

/// Time until the simulated gimbal's yaw stays within 0.5° of a 30° step (PX4 streams the
/// set-point at 5 Hz); also when the MAVLink status says so.
fn step_settling() -> (Duration, Option<Duration>) {
    let mut w = world();
    let q = Euler::from_deg(0.0, 0.0, 30.0).to_quat();
    let start = w.now;
    let mut series = Vec::new();
    let mut status_at = None;
    let mut next_send = w.now;
    while w.now.duration_since(start) < Duration::from_secs(5) {
        if w.now >= next_send {
            w.mavlink(1, px4(), &set_attitude(q, f32::NAN));
            next_send += Duration::from_millis(200);
        }
        w.run(Duration::from_millis(5));
        // SIYI yaw is positive left: 30° right reads −30.
        series.push((w.now.duration_since(start), w.sim.state().yaw_deg + 30.0));
        for t in w.out.drain(..) {
            if let Some(MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(s)) = t.mav() {
                let yaw = Euler::from_quat(s.q).map_or(f64::NAN, |e| e.yaw_rad.to_degrees());
                if status_at.is_none() && (yaw - 30.0).abs() < 0.5 {
                    status_at = Some(w.now.duration_since(start));
                }
            }
        }
    }
    (settled(&series, 0.5), status_at)
}

/// The first time after which `|error| < tol` for the rest of the series.
fn settled(series: &[(Duration, f64)], tol: f64) -> Duration {
    let last_bad = series.iter().rposition(|(_, e)| e.abs() >= tol);
    match last_bad {
        Some(i) => series.get(i + 1).map_or(Duration::MAX, |(t, _)| *t),
        None => Duration::ZERO,
    }
}

/// Time until the simulated gimbal turns at 20 °/s ± 2 °/s for good, PX4 streaming the rate at
/// 5 Hz, on a gimbal whose full speed is `max_rate_dps` (the rate controller assumes 90 °/s).
/// The rate is measured over sliding 100 ms windows, every 10 ms; the time is when the window
/// ending then is within tolerance for good. Also the steady rate over the last second.
fn rate_settling(max_rate_dps: f64) -> (Duration, f64, f64) {
    let mut w = world_with(SimConfig {
        gimbal_max_rate_dps: max_rate_dps,
        ..SimConfig::default()
    });
    let rate = 20f32.to_radians();
    let start = w.now;
    let mut next_send = w.now;
    let mut yaws = vec![(Duration::ZERO, w.sim.state().yaw_deg)];
    let mut series = Vec::new();
    let window = 10;
    while w.now.duration_since(start) < Duration::from_secs(4) {
        if w.now >= next_send {
            w.mavlink(1, px4(), &set_attitude([f32::NAN; 4], rate));
            next_send += Duration::from_millis(200);
        }
        w.run(Duration::from_millis(10));
        let t = w.now.duration_since(start);
        yaws.push((t, w.sim.state().yaw_deg));
        if let Some(&(t0, y0)) = yaws.len().checked_sub(window + 1).and_then(|i| yaws.get(i)) {
            // SIYI yaw positive left: turning right at 20 °/s reads −20 °/s.
            let r = -(w.sim.state().yaw_deg - y0) / (t - t0).as_secs_f64();
            series.push((t, r - 20.0));
        }
    }
    let (t_end, y_end) = *yaws.last().unwrap_or(&(Duration::ZERO, 0.0));
    let steady = yaws
        .iter()
        .find(|(t, _)| *t >= t_end.saturating_sub(Duration::from_secs(1)))
        .map_or(f64::NAN, |(t, y)| -(y_end - y) / (t_end - *t).as_secs_f64());
    let worst_last_2s = series
        .iter()
        .filter(|(t, _)| *t >= t_end.saturating_sub(Duration::from_secs(2)))
        .map(|(_, e)| e.abs())
        .fold(0.0, f64::max);
    (settled(&series, 2.0), steady, worst_last_2s)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--setpoints", 2000);
    let idle_s: u64 = arg(&args, "--idle-s", 10);
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;

    println!(
        "siyi-bridge gimbal bench (in-process core + sans-IO simulator; virtual time where noted)"
    );
    let (cpu, immediate, waits) = setpoint_latency(n);
    println!(
        "set-point→SIYI command  n={n}  sent at once {immediate}/{n}: core CPU p50={:.1} µs p99={:.1} µs max={:.1} µs",
        us(percentile(&cpu, 0.5)),
        us(percentile(&cpu, 0.99)),
        us(*cpu.last().unwrap_or(&Duration::ZERO)),
    );
    if !waits.is_empty() {
        println!(
            "  the others waited for a timer (virtual): p50={:.0} ms max={:.0} ms",
            ms(percentile(&waits, 0.5)),
            ms(*waits.last().unwrap_or(&Duration::ZERO))
        );
    }
    for delay in [0, 5, 30] {
        let ages = status_age(20, delay);
        println!(
            "attitude reading→GIMBAL_DEVICE_ATTITUDE_STATUS (virtual; 0x0D polled at 10 Hz, status at 10 Hz, camera reply delay {delay} ms)  n={}  age of the reading p50={:.0} ms p99={:.0} ms max={:.0} ms",
            ages.len(),
            ms(percentile(&ages, 0.5)),
            ms(percentile(&ages, 0.99)),
            ms(*ages.last().unwrap_or(&Duration::ZERO))
        );
    }
    let (step, status) = step_settling();
    println!(
        "30° yaw step (virtual): simulated gimbal within 0.5° for good after {:.0} ms; the MAVLink status first within 0.5° after {}",
        ms(step),
        status.map_or("never".to_owned(), |d| format!("{:.0} ms", ms(d)))
    );
    for max_rate in [90.0, 60.0] {
        let (t, steady, worst) = rate_settling(max_rate);
        let t = if t == Duration::MAX {
            "never for good".to_owned()
        } else {
            format!("for good after {:.0} ms", ms(t))
        };
        println!(
            "20 °/s yaw rate (virtual, gimbal full speed {max_rate} °/s): within ±2 °/s {t} (100 ms windows); last second {steady:.2} °/s; worst 100 ms window in the last 2 s off by {worst:.2} °/s"
        );
    }

    // The process: idle CPU and RSS with the attitude status stream on.
    let bin = bridge_bin(&args)?;
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let port = sock.local_addr()?.port();
    let state = std::env::temp_dir().join(format!("siyi-bench-gimbal-{}", std::process::id()));
    let child = spawn_bridge(
        &bin,
        &format!("udpout:127.0.0.1:{port}"),
        &["--state-dir".as_ref(), state.as_os_str()],
        Stdio::inherit(),
    )?;
    let pid = child.0.id();
    let mut g = Gcs::from_first_heartbeat(sock)?;
    g.send(&heartbeat())?;
    // Let it boot and settle.
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_secs(2) {
        let _ = g.recv(Instant::now() + Duration::from_millis(100));
    }
    let t0 = cpu_ticks(pid).unwrap_or(0);
    let w0 = Instant::now();
    let mut statuses = 0u32;
    while w0.elapsed() < Duration::from_secs(idle_s) {
        if let Some(MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(_)) =
            g.recv(Instant::now() + Duration::from_millis(200))
        {
            statuses += 1;
        }
    }
    let t1 = cpu_ticks(pid).unwrap_or(0);
    let wall = w0.elapsed().as_secs_f64();
    let cpu_pct = (t1.saturating_sub(t0)) as f64 / 100.0 / wall * 100.0;
    let rss = proc_status_kb(pid, "VmRSS:").unwrap_or(0);
    let hwm = proc_status_kb(pid, "VmHWM:").unwrap_or(0);
    drop(child);
    let _ = std::fs::remove_dir_all(&state);
    println!(
        "run --simulate idle over {wall:.1} s: CPU {cpu_pct:.2} % (bridge + simulator), RSS {:.1} MiB (peak {:.1} MiB), GIMBAL_DEVICE_ATTITUDE_STATUS received {:.1}/s",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        f64::from(statuses) / wall
    );
    Ok(())
}
