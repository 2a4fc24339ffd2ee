//! Recorded SIYI traffic: one JSON object per line (JSONL), one line per datagram.
//!
//! `{"t_ms": 12, "dir": "to_camera" | "from_camera", "hex": "55 66 01 ..."}`. `t_ms` is
//! milliseconds since the start of the recording. A real field capture uses exactly this format.

use serde::{Deserialize, Serialize};

/// Which way a recorded datagram travelled.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Host → camera.
    ToCamera,
    /// Camera → host.
    FromCamera,
}

/// One line of a recording: one datagram.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TrafficLine {
    /// Milliseconds since the recording started.
    pub t_ms: u64,
    /// Direction of the datagram.
    pub dir: Direction,
    /// The datagram's bytes as hex pairs separated by spaces.
    pub hex: String,
}

/// Parses hex text (`"55 66 01"`, `"556601"`, `"0x55, 0x66"`) into bytes.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let cleaned: String = text
        .replace("0x", "")
        .replace("0X", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != ':')
        .collect();
    if !cleaned.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", cleaned.len()));
    }
    (0..cleaned.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&cleaned[i..i + 2], 16)
                .map_err(|_| format!("not a hex byte: {:?} at digit {i}", &cleaned[i..i + 2]))
        })
        .collect()
}

/// Formats bytes as lowercase hex pairs separated by spaces (`55 66 01`).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}
