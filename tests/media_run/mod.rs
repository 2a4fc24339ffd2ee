//! Runs the `siyi-bridge media` binary against a web server on 127.0.0.1 (the tests that pull).
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

/// `siyi-bridge media --camera 127.0.0.1 --media-port PORT --state-dir DIR OPTIONS… ARGS…`;
/// its output is echoed to stderr for the test log.
pub fn media(port: u16, state_dir: &Path, options: &[&str], args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
        .arg("media")
        .args(["--camera", "127.0.0.1", "--media-port"])
        .arg(port.to_string())
        .arg("--state-dir")
        .arg(state_dir)
        .args(options)
        .args(args)
        .output()
        .expect("siyi-bridge media runs");
    eprintln!(
        "--- media {args:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// One HTTP request as the tests' web servers read it.
#[derive(Clone, Debug, Default)]
pub struct Req {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// What follows `?` (empty if nothing).
    pub query: String,
    /// `Range: bytes=N-`.
    pub range_from: Option<usize>,
}

/// Reads one request head (at most 16 KiB) from `s`; `None` when the client closed before its
/// end or sent more.
pub fn read_request(s: &mut impl Read) -> std::io::Result<Option<Req>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut byte)?;
        if n == 0 || buf.len() > 16 << 10 {
            return Ok(None);
        }
        buf.extend_from_slice(&byte[..n]);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = text.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let range_from = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("range"))
        .and_then(|(_, v)| {
            v.trim()
                .strip_prefix("bytes=")?
                .strip_suffix('-')?
                .parse()
                .ok()
        });
    Ok(Some(Req {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        range_from,
    }))
}
