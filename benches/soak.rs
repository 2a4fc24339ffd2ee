//! Soak benchmark (issue 7): one virtual hour of the whole core against the A8 mini simulator,
//! 20 % of the datagrams lost each way, the camera power-cycled every 10 minutes, and a ground
//! station taking a photo every 5 s, toggling recording every 30 s and zooming every 10 s.
//! Prints commands answered, photos taken vs reported, index uniqueness, the longest wait for
//! an answer (virtual time), the wall time and this process's memory before and after.
//!
//! `cargo bench --bench soak [-- --hours H --loss P --reboot-min M --seed S]`
#![allow(clippy::disallowed_methods)] // a benchmark reads the real clock

#[path = "../tests/soak_world/mod.rs"]
mod soak_world;

use std::time::{Duration, Instant};

use soak_world::{SoakConfig, SoakWorld};

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let hours = arg("--hours", 1.0);
    let config = SoakConfig {
        duration: Duration::from_secs_f64(hours * 3600.0),
        loss: arg("--loss", 0.2),
        reboot_every: Duration::from_secs_f64(arg("--reboot-min", 10.0) * 60.0),
        seed: arg("--seed", 1.0) as u64,
    };
    let rss_start = rss_kb();
    let wall = Instant::now();
    let r = SoakWorld::new(config.clone(), Instant::now()).run();
    let wall = wall.elapsed();
    let rss_end = rss_kb();
    println!("soak: {hours} virtual hour(s), loss {:.0} % each way, camera power-cycled every {:?}, seed {}", config.loss * 100.0, config.reboot_every, config.seed);
    println!("  commands sent            {}", r.commands);
    println!(
        "  commands answered        {} ({:?})",
        r.answered, r.results
    );
    println!("  longest wait for answer  {:?} (virtual)", r.max_answer);
    println!("  photos taken by camera   {}", r.photos_taken);
    println!(
        "  photos reported taken    {} (failed: {})",
        r.photos_reported, r.photos_failed
    );
    println!("  duplicate indices        {}", r.duplicate_indices);
    println!("  non-increasing indices   {}", r.non_increasing_indices);
    println!("  camera power cycles      {}", r.reboots);
    println!("  MAVLink messages out     {}", r.mavlink_out);
    println!("  loop wake-ups            {}", r.wakeups);
    println!("  wall time                {wall:?}");
    println!("  RSS start / end          {rss_start} kB / {rss_end} kB");
    let honest = r.photos_reported <= r.photos_taken
        && r.duplicate_indices == 0
        && r.non_increasing_indices == 0
        && r.answered == r.commands;
    println!(
        "  verdict                  {}",
        if honest { "honest" } else { "BROKEN PROMISE" }
    );
    if !honest {
        std::process::exit(1);
    }
}
