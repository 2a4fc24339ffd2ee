//! `siyi-bridge decode`: SIYI frames given as hex → one JSON object per frame per line.
//!
//! ```text
//! siyi-bridge decode "55 66 01 00 00 00 00 0d e8 05"          # one argument = one frame
//! siyi-bridge decode 556601000000000de805 "55 66 01 01 00 00 00 08 01 d1 12"  # two frames
//! siyi-bridge decode < session.jsonl                             # {"t_ms","dir","hex"} lines
//! echo "55 66 01 01 00 00 00 08 01 d1 12" | siyi-bridge decode   # bare hex lines
//! ```
//!
//! Each argument (or stdin line) is one input: a whole frame, or a datagram holding several
//! frames and possibly garbage — all of it is decoded and reported. Quote a frame written with
//! spaces (`"55 66 ..."`) so the shell keeps it as one argument. The exit status is non-zero when
//! any input held a bad frame, garbage or invalid hex.

use std::io::{BufRead, Write};

use anyhow::Context;
use serde_json::{json, Value};

use super::describe::{describe_datagram, is_failure};
use crate::record::{parse_hex, Direction};

/// Arguments of `siyi-bridge decode`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Frames as hex, one frame (or datagram) per argument; spaces, `0x` and commas are allowed
    /// inside an argument (quote it). Without arguments, stdin is read line by line: bare hex, or
    /// JSON lines `{"t_ms": 12, "dir": "to_camera" | "from_camera", "hex": "55 66 ..."}`.
    pub frames: Vec<String>,
    /// Read the frames as `to_camera` (requests) or `from_camera` (replies). Default: a JSON
    /// line's `dir`, else the CTRL ack_pack bit of each frame.
    #[arg(long, value_parser = parse_direction)]
    pub dir: Option<Direction>,
}

fn parse_direction(text: &str) -> Result<Direction, String> {
    match text {
        "to_camera" | "request" => Ok(Direction::ToCamera),
        "from_camera" | "reply" => Ok(Direction::FromCamera),
        other => Err(format!(
            "unknown direction {other:?} (to_camera or from_camera)"
        )),
    }
}

/// One input line or argument, decoded into JSON objects.
///
/// `line` is the 1-based line or argument number, added to every object as `input`.
pub fn decode_input(text: &str, line: usize, default_dir: Option<Direction>) -> Vec<Value> {
    let trimmed = text.trim();
    let mut extra = serde_json::Map::new();
    extra.insert("input".into(), json!(line));
    let (hex, dir) = if trimmed.starts_with('{') {
        let parsed: Value = match serde_json::from_str(trimmed) {
            Ok(v) => v,
            Err(e) => {
                return vec![json!({"input": line, "error": format!("not a JSON line: {e}")})];
            }
        };
        let Some(hex) = parsed.get("hex").and_then(Value::as_str).map(str::to_owned) else {
            return vec![json!({"input": line, "error": "JSON line without a \"hex\" string"})];
        };
        let dir = match parsed.get("dir") {
            None | Some(Value::Null) => default_dir,
            Some(d) => match d.as_str().map(parse_direction) {
                Some(Ok(d)) => Some(d),
                _ => {
                    return vec![json!({"input": line, "error": format!("bad \"dir\": {d}")})];
                }
            },
        };
        if let Some(t) = parsed.get("t_ms") {
            extra.insert("t_ms".into(), t.clone());
        }
        if let Some(d) = parsed.get("dir") {
            extra.insert("dir".into(), d.clone());
        }
        (hex, dir)
    } else {
        (trimmed.to_owned(), default_dir)
    };
    let bytes = match parse_hex(&hex) {
        Ok(b) => b,
        Err(e) => return vec![json!({"input": line, "error": format!("bad hex: {e}")})],
    };
    if bytes.is_empty() {
        return vec![json!({"input": line, "error": "no bytes"})];
    }
    describe_datagram(&bytes, dir)
        .into_iter()
        .map(|mut v| {
            if let Value::Object(obj) = &mut v {
                for (k, val) in &extra {
                    obj.insert(k.clone(), val.clone());
                }
            }
            v
        })
        .collect()
}

/// Runs `siyi-bridge decode`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut total = 0usize;
    let mut failed = 0usize;
    let mut emit = |values: Vec<Value>, out: &mut dyn Write| -> anyhow::Result<()> {
        for v in values {
            total += 1;
            failed += usize::from(is_failure(&v));
            writeln!(out, "{v}").context("writing to stdout")?;
        }
        Ok(())
    };
    if args.frames.is_empty() {
        let stdin = std::io::stdin();
        for (i, line) in stdin.lock().lines().enumerate() {
            let line = line.context("reading stdin")?;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            emit(decode_input(trimmed, i + 1, args.dir), &mut out)?;
        }
    } else {
        for (i, arg) in args.frames.iter().enumerate() {
            emit(decode_input(arg, i + 1, args.dir), &mut out)?;
        }
    }
    out.flush().context("writing to stdout")?;
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {total} decoded items had errors (bad frames, garbage or bad input)"
        );
    }
    Ok(())
}
