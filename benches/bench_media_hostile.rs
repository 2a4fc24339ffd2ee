//! Media trust figures (issue 19 items 7–9), printed, never asserted: `siyi-bridge` against
//! hostile web servers on 127.0.0.1 (std threads, one request per connection).
//!
//! 1. a card announcing 4 294 967 295 photos: `media list` and `media pull --deadline-s`, their
//!    peak RSS (VmHWM), requests, time and what the listing stops at; `run --sd-card-gib 64`
//!    (with `siyi-bridge sim` as the camera) for `--run-seconds`: RSS and requests per second;
//! 2. `media pull` of a photo served without Content-Length (an endless body): what is said,
//!    bytes the server got out, files left behind;
//! 3. `media pull` of a photo whose body stops after 1 000 bytes (the connection held open), and
//!    one that drips 1 byte a second: time until the pull gives up.
//!
//! `cargo bench --bench bench_media_hostile [-- --run-seconds S --stall-s S --bin PATH]`
#![allow(clippy::disallowed_methods)] // a benchmark reads real time

mod common;

use std::io::{Read as _, Seek as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{arg, bridge_bin, proc_status_kb, KillOnDrop};

const DIR: &str = "101SIYI_IMG";

/// How the server answers a request for a photo file (the API is always answered).
#[derive(Clone, Copy)]
enum Files {
    /// HEAD and GET with a Content-Length of 4 000 bytes.
    Small,
    /// No Content-Length, a body without end.
    Endless,
    /// 1 000 000 bytes announced, 1 000 sent, then silence (the connection kept open).
    Stall,
    /// 1 000 000 bytes announced, then one byte a second.
    Drip,
}

/// A hostile camera web server: a card of `count` photos (the count as announced, the pages
/// list what is asked), its files served as `files`. Counts requests and body bytes sent.
struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    body_bytes: Arc<AtomicU64>,
}

impl Server {
    fn start(count: u64, files: Files) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let body_bytes = Arc::new(AtomicU64::new(0));
        let (r, b) = (requests.clone(), body_bytes.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                r.fetch_add(1, Ordering::Relaxed);
                let b = b.clone();
                std::thread::spawn(move || {
                    let _ = answer(stream, count, files, &b);
                });
            }
        });
        Ok(Self {
            addr,
            requests,
            body_bytes,
        })
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

fn param(query: &str, name: &str) -> Option<u64> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| v.parse().ok())
}

fn reply(s: &mut TcpStream, length: Option<u64>, body: &[u8], head: bool) -> std::io::Result<()> {
    let mut h = "HTTP/1.1 200 OK\r\nConnection: close\r\n".to_owned();
    if let Some(n) = length {
        h.push_str(&format!("Content-Length: {n}\r\n"));
    }
    h.push_str("\r\n");
    s.write_all(h.as_bytes())?;
    if !head {
        s.write_all(body)?;
    }
    Ok(())
}

fn answer(mut s: TcpStream, count: u64, files: Files, sent: &AtomicU64) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut chunk)?;
        if n == 0 || buf.len() > 16 << 10 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut first = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let is_head = method == "HEAD";
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if let Some(endpoint) = path.strip_prefix("/cgi-bin/media.cgi/api/v1/") {
        let data = match endpoint {
            "getdirectories" => {
                format!(r#"{{"directories":[{{"name":"{DIR}","path":"{DIR}"}}]}}"#)
            }
            "getmediacount" => format!(r#"{{"count":{count}}}"#),
            _ => {
                let start = param(query, "start").unwrap_or(0);
                let n = param(query, "count").unwrap_or(0);
                let list: Vec<String> = (start..count.min(start.saturating_add(n)))
                    .map(|i| {
                        let f = format!("IMG_{:04}.jpg", i + 1);
                        format!(r#"{{"name":"{f}","url":"http://127.0.0.1/photo/{DIR}/{f}"}}"#)
                    })
                    .collect();
                format!(r#"{{"list":[{}]}}"#, list.join(","))
            }
        };
        let body = format!(r#"{{"code":200,"success":true,"message":"ok","data":{data}}}"#);
        return reply(&mut s, Some(body.len() as u64), body.as_bytes(), is_head);
    }
    match files {
        Files::Small => reply(&mut s, Some(4000), &[0x5A; 4000], is_head),
        Files::Endless => {
            reply(&mut s, None, b"", true)?;
            if is_head {
                return Ok(());
            }
            let block = vec![0x5Au8; 64 << 10];
            loop {
                s.write_all(&block)?;
                sent.fetch_add(block.len() as u64, Ordering::Relaxed);
            }
        }
        Files::Stall | Files::Drip => {
            reply(&mut s, Some(1_000_000), b"", true)?;
            if is_head {
                return Ok(());
            }
            s.write_all(&[0x5A; 1000])?;
            sent.fetch_add(1000, Ordering::Relaxed);
            loop {
                // The hostile server's own pace (a drip, or holding the connection), not a
                // synchronisation: it ends when the client hangs up.
                std::thread::sleep(Duration::from_secs(1));
                if matches!(files, Files::Drip) {
                    s.write_all(&[0x5A])?;
                    sent.fetch_add(1, Ordering::Relaxed);
                } else if s.peek(&mut [0u8; 1]).is_ok_and(|n| n == 0) {
                    return Ok(());
                }
            }
        }
    }
}

/// What a watched child did.
struct Watched {
    seconds: f64,
    exited: Option<i32>,
    peak_rss_kib: u64,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` for at most `limit`, sampling its peak RSS every 100 ms; kills it at the limit.
/// Its output goes to files (a pipe nobody reads would stop it once full).
fn watch(mut cmd: Command, limit: Duration) -> anyhow::Result<Watched> {
    let out = tempfile::tempfile()?;
    let err = tempfile::tempfile()?;
    let start = Instant::now();
    let child = cmd
        .stdout(out.try_clone()?)
        .stderr(err.try_clone()?)
        .env("RUST_LOG", "warn")
        .spawn()?;
    let pid = child.id();
    let mut child = KillOnDrop(child);
    let mut peak = 0;
    let exited = loop {
        peak = peak.max(proc_status_kb(pid, "VmHWM:").unwrap_or(0));
        if let Some(status) = child.0.try_wait()? {
            break status.code();
        }
        if start.elapsed() >= limit {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100)); // sampling
    };
    let seconds = start.elapsed().as_secs_f64();
    let _ = child.0.kill();
    let _ = child.0.wait();
    let read = |mut f: std::fs::File| {
        let mut text = String::new();
        let _ = f.seek(std::io::SeekFrom::Start(0));
        let _ = f.read_to_string(&mut text);
        text
    };
    let (stdout, stderr) = (read(out), read(err));
    Ok(Watched {
        seconds,
        exited,
        peak_rss_kib: peak,
        stdout,
        stderr,
    })
}

fn media(bin: &Path, server: &Server, state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin);
    c.args(["media", "--camera", "127.0.0.1", "--media-port"])
        .arg(server.addr.port().to_string())
        .arg("--state-dir")
        .arg(state)
        .args(args);
    c
}

/// The last lines of `text` that say something went wrong or stopped, joined.
fn said(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["error", "FAILED", "stopped", "refused", "photos"]
                .iter()
                .any(|w| l.contains(w))
        })
        .collect();
    // The last few: a pull's summary and its stop.
    lines[lines.len().saturating_sub(4)..].join(" | ")
}

fn print(what: &str, w: &Watched, server: &Server) {
    // A process that ends within its first sample shows the RSS of the fork before exec.
    let rss = if w.peak_rss_kib > 1024 {
        format!("peak RSS {} KiB", w.peak_rss_kib)
    } else {
        "ended before an RSS sample".to_owned()
    };
    println!(
        "{what}: {} after {:.1} s, {rss}, {} requests, {} body bytes sent",
        w.exited
            .map_or("killed at the limit".to_owned(), |c| format!("exit {c}")),
        w.seconds,
        server.requests(),
        server.body_bytes.load(Ordering::Relaxed)
    );
    println!("  said: {}", said(&format!("{}{}", w.stdout, w.stderr)));
}

fn left_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let run_s: u64 = arg(&args, "--run-seconds", 60);
    let stall_s: String = arg(&args, "--stall-s", "10".to_owned());
    let bin = bridge_bin(&args)?;
    let tmp = tempfile::tempdir()?;
    let state = tmp.path().join("state");
    println!(
        "media trust figures (2-core VM shared with other work; {})",
        bin.display()
    );

    let four_billion = u64::from(u32::MAX);
    let s = Server::start(four_billion, Files::Small)?;
    let w = watch(media(&bin, &s, &state, &["list"]), Duration::from_secs(300))?;
    print("media list, 4 294 967 295 photos announced", &w, &s);
    let table_rows = w.stdout.lines().filter(|l| l.contains("IMG_")).count();
    println!("  rows listed: {table_rows}");

    let s = Server::start(four_billion, Files::Small)?;
    let out = tmp.path().join("pull-4g");
    let pull = ["pull", out.to_str().unwrap_or("."), "--deadline-s", "30"];
    let w = watch(media(&bin, &s, &state, &pull), Duration::from_secs(120))?;
    print(
        "media pull --deadline-s 30, 4 294 967 295 photos announced",
        &w,
        &s,
    );
    println!("  files pulled: {}", left_in(&out).len());

    let s = Server::start(four_billion, Files::Small)?;
    let cam_port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
    let mav_port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();
    let _sim = KillOnDrop(
        Command::new(&bin)
            .args(["sim", "--listen", &format!("127.0.0.1:{cam_port}")])
            .args(["--boot-time-ms", "200"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let mut run = Command::new(&bin);
    run.args(["run", "--no-state", "--sd-card-gib", "64"])
        .args(["--camera", &format!("127.0.0.1:{cam_port}")])
        .args(["--media-port", &s.addr.port().to_string()])
        .args(["--mavlink", &format!("udpin:127.0.0.1:{mav_port}")]);
    let w = watch(run, Duration::from_secs(run_s))?;
    print(
        &format!("run --sd-card-gib 64 for {run_s} s, 4 294 967 295 photos announced"),
        &w,
        &s,
    );
    println!(
        "  {:.1} requests/s to the web server",
        s.requests() as f64 / w.seconds
    );

    let s = Server::start(1, Files::Endless)?;
    let out = tmp.path().join("pull-nosize");
    let pull = ["pull", out.to_str().unwrap_or(".")];
    let w = watch(media(&bin, &s, &state, &pull), Duration::from_secs(120))?;
    print("media pull, no Content-Length, an endless body", &w, &s);
    println!("  left in the directory: {:?}", left_in(&out));

    for (what, files) in [
        ("1 000 bytes then silence", Files::Stall),
        ("a drip of 1 byte/s", Files::Drip),
    ] {
        let s = Server::start(1, files)?;
        let out = tmp.path().join("pull-stall");
        let _ = std::fs::remove_dir_all(&out);
        let pull = ["pull", out.to_str().unwrap_or("."), "--stall-s", &stall_s];
        let w = watch(media(&bin, &s, &state, &pull), Duration::from_secs(300))?;
        print(
            &format!("media pull --stall-s {stall_s}, one photo, {what}"),
            &w,
            &s,
        );
        println!("  left in the directory: {:?}", left_in(&out));
    }
    Ok(())
}
