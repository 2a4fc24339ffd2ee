//! Runs the `siyi-bridge media` binary against a web server on 127.0.0.1 (the tests that pull).
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

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
