//! Network figures for issue 7 against `siyi-bridge run --simulate --mavlink udpin:127.0.0.1:P`
//! (a child process, so its CPU can be read from /proc). Prints figures; asserts nothing.
//!
//! Usage: `cargo bench --bench bench_net [-- split|chatter|reflect|flood|ftp|all --bin PATH
//! --secs N]` (a benchmark target: `cargo install` does not install it). Loopback only; the "spoofers" are distinct loopback source ports.
#![allow(clippy::disallowed_methods)] // a benchmark measures real time

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::bail;
use common::{
    arg, bridge_bin, command_long, cpu_ticks, heartbeat, is_camera_heartbeat, messages,
    spawn_bridge, wire, KillOnDrop,
};
use mavlink::dialects::common::{MavCmd, MavMessage};
use siyi_bridge::core::mavlink::wire::FrameSplitter;

fn command(cmd: MavCmd, p1: f32, p2: f32, p7: f32) -> MavMessage {
    command_long(cmd, [p1, p2, 0.0, 0.0, 0.0, 0.0, p7], 0)
}

/// Bytes waiting on a non-blocking socket, drained.
fn drain(sock: &UdpSocket, buf: &mut [u8]) -> (u64, Vec<Vec<u8>>) {
    let mut bytes = 0;
    let mut dgrams = Vec::new();
    while let Ok((n, _)) = sock.recv_from(buf) {
        bytes += n as u64;
        dgrams.push(buf[..n].to_vec());
    }
    (bytes, dgrams)
}

struct Bridge {
    child: KillOnDrop,
    addr: SocketAddr,
}

fn start_bridge(bin: &Path) -> anyhow::Result<Bridge> {
    let port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = spawn_bridge(
        bin,
        &format!("udpin:127.0.0.1:{port}"),
        &["--no-state".as_ref()],
        Stdio::null(),
    )?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    // Wait until it answers (bounded).
    let probe = UdpSocket::bind("127.0.0.1:0")?;
    probe.set_read_timeout(Some(Duration::from_millis(200)))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 2048];
    loop {
        if Instant::now() > deadline {
            bail!("the bridge did not answer within 10 s");
        }
        let _ = probe.send_to(&wire(250, 0, &heartbeat()), addr);
        if let Ok((n, _)) = probe.recv_from(&mut buf) {
            if messages(&buf[..n]).iter().any(is_camera_heartbeat) {
                break;
            }
        }
    }
    // Let the camera finish booting (identified) before measuring.
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        let _ = probe.recv_from(&mut buf);
    }
    Ok(Bridge { child, addr })
}

fn bench_split() {
    const N: usize = 64 * 1024;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let random: Vec<u8> = (0..N)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    for (name, input) in [
        ("64 KiB of 0xFD", vec![0xFD; N]),
        ("64 KiB random", random),
        ("64 KiB of 0xFE", vec![0xFE; N]),
        (
            "64 KiB of FD FF 00.. id 110 (worst case)",
            [0xFD, 255, 0, 0, 0, 0, 0, 110, 0, 0]
                .iter()
                .copied()
                .cycle()
                .take(N)
                .collect(),
        ),
    ] {
        let reps = 20;
        let t0 = Instant::now();
        let mut examined = 0;
        for _ in 0..reps {
            let mut s = FrameSplitter::default();
            s.push_datagram(&input);
            while s.next_frame().is_some() {}
            s.clear();
            examined = s.examined();
        }
        let per = t0.elapsed() / reps;
        println!(
            "split {name:32} {:8.1} µs per datagram, {:.2} bytes examined per byte",
            per.as_secs_f64() * 1e6,
            examined as f64 / N as f64
        );
    }
}

/// (a) Heartbeats a GCS gets while 32 other ports chatter valid and invalid frames.
fn bench_chatter(bin: &Path, secs: u64) -> anyhow::Result<()> {
    let b = start_bridge(bin)?;
    let gcs = UdpSocket::bind("127.0.0.1:0")?;
    gcs.set_nonblocking(true)?;
    let chatter: Vec<UdpSocket> = (0..32)
        .map(|_| UdpSocket::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    for c in &chatter {
        c.set_nonblocking(true)?;
    }
    let mut buf = vec![0u8; 65_536];
    let garbage = vec![0xFDu8; 512];
    let t0 = Instant::now();
    let mut next_gcs = t0;
    let mut hb = 0u32;
    let mut chatter_bytes_in = 0u64;
    let mut sent = 0u64;
    let mut seq = 0u8;
    while t0.elapsed() < Duration::from_secs(secs) {
        if Instant::now() >= next_gcs {
            let _ = gcs.send_to(&wire(255, seq, &heartbeat()), b.addr);
            next_gcs += Duration::from_secs(1);
        }
        // Each chatter port: a valid heartbeat and a garbage datagram, ~100 Hz each.
        for (i, c) in chatter.iter().enumerate() {
            let _ = c.send_to(&wire(100 + i as u8, seq, &heartbeat()), b.addr);
            let _ = c.send_to(&garbage, b.addr);
            sent += 2;
            chatter_bytes_in += drain(c, &mut buf).0;
        }
        seq = seq.wrapping_add(1);
        let (_, d) = drain(&gcs, &mut buf);
        hb += d
            .iter()
            .map(|x| {
                messages(x)
                    .iter()
                    .filter(|m| is_camera_heartbeat(m))
                    .count() as u32
            })
            .sum::<u32>();
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "(a) chatter: GCS got {hb} camera heartbeats in {secs} s while 32 ports sent {sent} datagrams ({:.0}/s, half valid HEARTBEATs, half 512 B of 0xFD); the chatter ports got {chatter_bytes_in} bytes",
        sent as f64 / secs as f64
    );
    drop(b);
    Ok(())
}

/// (b) Bytes out per spoofed byte in.
fn bench_reflect(bin: &Path, secs: u64) -> anyhow::Result<()> {
    let b = start_bridge(bin)?;
    let mut buf = vec![0u8; 65_536];
    // 1-byte datagrams from 100 ports, 10 each.
    let ones: Vec<UdpSocket> = (0..100)
        .map(|_| UdpSocket::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    let mut bytes_in = 0u64;
    for s in &ones {
        s.set_nonblocking(true)?;
        for _ in 0..10 {
            bytes_in += s.send_to(&[0x55], b.addr)? as u64;
        }
    }
    // 5 spoofed SET_MESSAGE_INTERVAL (CAMERA_CAPTURE_STATUS every 100 ms) from 5 ports, then silence.
    let spoof: Vec<UdpSocket> = (0..5)
        .map(|_| UdpSocket::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    let mut smi_in = 0u64;
    for (i, s) in spoof.iter().enumerate() {
        s.set_nonblocking(true)?;
        let m = command(MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL, 262.0, 100_000.0, 0.0);
        smi_in += s.send_to(&wire(200 + i as u8, 0, &m), b.addr)? as u64;
    }
    let t0 = Instant::now();
    let mut ones_out = 0u64;
    let mut smi_out = 0u64;
    let mut smi_out_late = 0u64;
    let late_from = Duration::from_secs(secs.saturating_sub(10));
    while t0.elapsed() < Duration::from_secs(secs) {
        for s in &ones {
            ones_out += drain(s, &mut buf).0;
        }
        for s in &spoof {
            let n = drain(s, &mut buf).0;
            smi_out += n;
            if t0.elapsed() >= late_from {
                smi_out_late += n;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "(b) reflection over {secs} s: 1000 one-byte datagrams from 100 ports → {ones_out} bytes back ({:.2} out per byte in)",
        ones_out as f64 / bytes_in as f64
    );
    println!(
        "(b) amplification over {secs} s: 5 spoofed SET_MESSAGE_INTERVAL ({smi_in} B) from 5 silent ports → {smi_out} bytes back ({:.1}× ), {smi_out_late} of them in the last 10 s",
        smi_out as f64 / smi_in as f64
    );
    drop(b);
    Ok(())
}

/// An FTP request to the camera component (system 1, component 100) from system `sys`.
fn ftp(sys: u8, seq: u16, op: u8, size: u8, offset: u32, data: &[u8]) -> Vec<u8> {
    use mavlink::dialects::common::FILE_TRANSFER_PROTOCOL_DATA;
    use siyi_bridge::core::settings::ftp::payload::Payload;
    let m = MavMessage::FILE_TRANSFER_PROTOCOL(FILE_TRANSFER_PROTOCOL_DATA {
        target_network: 0,
        target_system: 1,
        target_component: 100,
        payload: Payload::request(seq, 0, op, size, offset, data).encode(),
    });
    wire(sys, seq as u8, &m)
}

/// (d) What BurstReadFile of the camera definition draws, 300 requests/s for `secs`, from a
/// source that never heartbeats (a spoofer's victim address) and from a ground station that
/// heartbeats every second: requests and bytes in, bytes back, bytes back per byte in.
fn bench_ftp(bin: &Path, secs: u64) -> anyhow::Result<()> {
    use siyi_bridge::core::settings::definition::FILE_NAME;
    use siyi_bridge::core::settings::ftp::payload::opcode;
    let b = start_bridge(bin)?;
    let mut buf = vec![0u8; 65_536];
    for (who, heartbeats, sys) in [
        ("a source that never heartbeats", false, 201u8),
        ("a ground station that heartbeats", true, 255),
    ] {
        let s = UdpSocket::bind("127.0.0.1:0")?;
        s.set_nonblocking(true)?;
        let (mut bytes_in, mut bytes_out, mut requests) = (0u64, 0u64, 0u64);
        if heartbeats {
            bytes_in += s.send_to(&wire(sys, 0, &heartbeat()), b.addr)? as u64;
        }
        let open = ftp(
            sys,
            1,
            opcode::OPEN_FILE_RO,
            FILE_NAME.len() as u8,
            0,
            FILE_NAME.as_bytes(),
        );
        bytes_in += s.send_to(&open, b.addr)? as u64;
        let t0 = Instant::now();
        let mut next_hb = t0 + Duration::from_secs(1);
        let mut seq = 2u16;
        while t0.elapsed() < Duration::from_secs(secs) {
            let due = (t0.elapsed().as_secs_f64() * 300.0) as u64;
            while requests < due {
                let burst = ftp(sys, seq, opcode::BURST_READ_FILE, 239, 0, &[]);
                bytes_in += s.send_to(&burst, b.addr)? as u64;
                seq = seq.wrapping_add(1);
                requests += 1;
            }
            if heartbeats && Instant::now() >= next_hb {
                bytes_in += s.send_to(&wire(sys, 0, &heartbeat()), b.addr)? as u64;
                next_hb += Duration::from_secs(1);
            }
            bytes_out += drain(&s, &mut buf).0;
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(200));
        bytes_out += drain(&s, &mut buf).0;
        println!(
            "(d) FTP from {who}: {requests} BurstReadFile in {secs} s ({bytes_in} B in) → {bytes_out} B back ({:.0} B/s, {:.2} out per byte in)",
            bytes_out as f64 / secs as f64,
            bytes_out as f64 / bytes_in as f64
        );
    }
    drop(b);
    Ok(())
}

/// (c) CPU and p50 answer time for a GCS's REQUEST_MESSAGE during a 10 k/s distinct-command flood.
fn bench_flood(bin: &Path, secs: u64) -> anyhow::Result<()> {
    let b = start_bridge(bin)?;
    let pid = b.child.0.id();
    let addr = b.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || -> u64 {
            let Ok(s) = UdpSocket::bind("127.0.0.1:0") else {
                return 0;
            };
            let _ = s.set_nonblocking(true);
            let mut buf = vec![0u8; 65_536];
            let t0 = Instant::now();
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // 100 distinct commands every 10 ms = 10 000/s.
                let due = (t0.elapsed().as_secs_f64() * 10_000.0) as u64;
                while n < due {
                    let m = command(MavCmd::MAV_CMD_REQUEST_MESSAGE, 262.0, 0.0, n as f32);
                    let _ = s.send_to(&wire(77, n as u8, &m), addr);
                    n += 1;
                }
                let _ = drain(&s, &mut buf);
                std::thread::sleep(Duration::from_millis(1));
            }
            n
        })
    };
    let gcs = UdpSocket::bind("127.0.0.1:0")?;
    gcs.set_read_timeout(Some(Duration::from_millis(50)))?;
    let _ = gcs.send_to(&wire(255, 0, &heartbeat()), addr);
    let cpu0 = cpu_ticks(pid).unwrap_or(0);
    let t0 = Instant::now();
    let mut lat = Vec::new();
    let mut asked = 0u32;
    let mut buf = vec![0u8; 65_536];
    while t0.elapsed() < Duration::from_secs(secs) {
        asked += 1;
        let sent = Instant::now();
        let m = command(MavCmd::MAV_CMD_REQUEST_MESSAGE, 260.0, 0.0, asked as f32);
        let _ = gcs.send_to(&wire(255, asked as u8, &m), addr);
        let deadline = sent + Duration::from_secs(1);
        'wait: while Instant::now() < deadline {
            if let Ok((n, _)) = gcs.recv_from(&mut buf) {
                for m in messages(&buf[..n]) {
                    if let MavMessage::COMMAND_ACK(a) = m {
                        if a.command == MavCmd::MAV_CMD_REQUEST_MESSAGE {
                            lat.push(sent.elapsed());
                            break 'wait;
                        }
                    }
                }
            }
        }
        // One request every 200 ms; drain what else came meanwhile.
        let next = sent + Duration::from_millis(200);
        while Instant::now() < next {
            let _ = gcs.recv_from(&mut buf);
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(pid).unwrap_or(0).saturating_sub(cpu0)) as f64 / 100.0 / wall * 100.0;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let flooded = flood.join().unwrap_or(0);
    lat.sort();
    let p50 = lat.get(lat.len() / 2).copied().unwrap_or_default();
    let max = lat.last().copied().unwrap_or_default();
    println!(
        "(c) flood: {flooded} distinct COMMAND_LONGs from one port in {wall:.1} s ({:.0}/s); GCS REQUEST_MESSAGE answered {}/{asked}, p50 {:.2} ms, max {:.2} ms; bridge CPU {cpu:.0} %",
        flooded as f64 / wall,
        lat.len(),
        p50.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    drop(b);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` appends `--bench`: the benchmark is the first word that is neither a flag
    // nor the value of one.
    let what = (1..args.len())
        .find(|&i| {
            !args[i].starts_with("--") && !matches!(args[i - 1].as_str(), "--bin" | "--secs")
        })
        .map_or("all", |i| args[i].as_str());
    let bin = bridge_bin(&args)?;
    let secs = |default: u64| -> u64 { arg(&args, "--secs", default) };
    match what {
        "split" => bench_split(),
        "chatter" => bench_chatter(&bin, secs(15))?,
        "reflect" => bench_reflect(&bin, secs(30))?,
        "flood" => bench_flood(&bin, secs(10))?,
        "ftp" => bench_ftp(&bin, secs(10))?,
        "all" => {
            bench_split();
            bench_chatter(&bin, secs(15))?;
            bench_reflect(&bin, secs(30))?;
            bench_flood(&bin, secs(10))?;
            bench_ftp(&bin, secs(10))?;
        }
        other => {
            bail!("unknown benchmark {other:?}: split | chatter | reflect | flood | ftp | all")
        }
    }
    Ok(())
}
