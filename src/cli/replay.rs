//! `siyi-bridge replay`: a readable timeline of a recorded SIYI session.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;
use siyi_protocol::FrameDecoder;

use super::describe::describe_frame;
use crate::core::link::{link_event_words, link_stats_words, LinkConfig, LinkEvent, SiyiLink};
use crate::record::{read_file, Direction};

/// Arguments of `siyi-bridge replay`.
///
/// Prints one line per frame: time (ms since the recording started), direction, command and the
/// decoded content. With `--link`, the camera's datagrams are also fed through the bridge's SIYI
/// link on the recording's clock and its events (health changes, recording / zoom changes) are
/// printed where they happen.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The recording (JSONL: {"t_ms", "dir", "hex"} per line).
    pub file: PathBuf,
    /// Also run the link over the camera's datagrams and print its events.
    #[arg(long)]
    pub link: bool,
    /// Hide 0x0D attitude polls and replies (they dominate a timeline at 10 Hz).
    #[arg(long)]
    pub no_attitude: bool,
}

/// Runs `siyi-bridge replay`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let lines = read_file(&args.file).context("cannot read the recording")?;
    // The link's clock: one origin, then recording offsets (the replay itself is virtual time).
    #[allow(clippy::disallowed_methods)]
    let origin = std::time::Instant::now();
    let mut link = args
        .link
        .then(|| SiyiLink::new(LinkConfig::default(), origin));
    for line in &lines {
        let at = origin + Duration::from_millis(line.t_ms);
        if let Some(link) = &mut link {
            link.handle_timeout(at);
            print_events(line.t_ms, link)?;
        }
        let bytes = line.bytes()?;
        let arrow = match line.dir {
            Direction::ToCamera => "→ cam",
            Direction::FromCamera => "← cam",
        };
        let mut decoder = FrameDecoder::new();
        decoder.push(&bytes);
        let mut any = false;
        while let Some(item) = decoder.next_frame() {
            any = true;
            match item {
                Ok(frame) => {
                    if args.no_attitude && frame.cmd == siyi_protocol::CmdId::ATTITUDE {
                        continue;
                    }
                    let text = payload_text(&describe_frame(&frame, Some(line.dir)));
                    outln!(
                        "{:>9} ms  {arrow}  {} seq={:<5} {}",
                        line.t_ms,
                        frame.cmd,
                        frame.seq,
                        text
                    )?;
                }
                Err(e) => outln!("{:>9} ms  {arrow}  bad frame: {e}", line.t_ms)?,
            }
        }
        if !any || decoder.buffered() > 0 {
            outln!(
                "{:>9} ms  {arrow}  garbage / truncated: {}",
                line.t_ms,
                line.hex
            )?;
        }
        if let Some(link) = &mut link {
            if line.dir == Direction::FromCamera {
                link.handle_datagram(at, &bytes);
                print_events(line.t_ms, link)?;
            }
        }
    }
    if let Some(link) = &link {
        outln!("link stats: {}", link_stats_words(&link.stats()))?;
    }
    Ok(())
}

fn print_events(t_ms: u64, link: &mut SiyiLink) -> std::io::Result<()> {
    while link.poll_transmit().is_some() {}
    while let Some(e) = link.poll_event() {
        match e {
            LinkEvent::OpFinished { .. } => {}
            e => outln!("{t_ms:>9} ms  link  {}", link_event_words(&e))?,
        }
    }
    Ok(())
}

/// The decoded payload fields of a `describe_frame` object as `key=value` pairs (header fields
/// such as CTRL, length and CRC are left out: the timeline shows command and SEQ already).
fn payload_text(description: &Value) -> String {
    const HEADER: &[&str] = &[
        "ack_pack", "need_ack", "ctrl", "data_len", "hex", "input", "offset", "crc_ok", "cmd_id",
        "cmd_name", "kind", "seq", "crc16",
    ];
    let Value::Object(fields) = description else {
        return description.to_string();
    };
    let parts: Vec<String> = fields
        .iter()
        .filter(|(k, _)| !HEADER.contains(&k.as_str()))
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            v => format!("{k}={v}"),
        })
        .collect();
    if parts.is_empty() {
        "(query)".to_string()
    } else {
        parts.join(" ")
    }
}
