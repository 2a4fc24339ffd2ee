//! Recorded SIYI traffic: one JSON object per line (JSONL), one line per datagram.
//!
//! `{"t_ms": 12, "dir": "to_camera" | "from_camera", "hex": "55 66 01 ..."}`. `t_ms` is
//! milliseconds since the start of the recording. A real field capture uses exactly this format.

use serde::{Deserialize, Serialize};

pub use crate::core::hex::{parse_hex, to_hex, HexError};

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

/// Why hex text is not a byte string.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// Not a JSON object with `t_ms`, `dir` and `hex`.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Its `hex` does not parse.
    #[error(transparent)]
    Hex(#[from] HexError),
}

/// Why a recording could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be opened, read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line is not a valid traffic line.
    #[error("line {line}: {reason}")]
    BadLine {
        /// Line number, from 1.
        line: usize,
        /// What is wrong.
        reason: LineError,
    },
}

impl TrafficLine {
    /// A line for `bytes` seen `t_ms` milliseconds after the recording started.
    pub fn new(t_ms: u64, dir: Direction, bytes: &[u8]) -> Self {
        Self {
            t_ms,
            dir,
            hex: to_hex(bytes),
        }
    }

    /// The datagram's bytes.
    pub fn bytes(&self) -> Result<Vec<u8>, HexError> {
        parse_hex(&self.hex)
    }

    /// One JSON object, no trailing newline.
    pub fn to_json(&self) -> String {
        // Serialising this plain struct cannot fail; fall back to an empty object regardless.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Parses a whole recording (JSONL text). Blank lines and lines starting with `#` or `//` are
/// skipped; every other line must be a [`TrafficLine`] whose hex parses.
pub fn parse_lines(text: &str) -> Result<Vec<TrafficLine>, RecordError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let bad = |reason: LineError| RecordError::BadLine {
            line: i + 1,
            reason,
        };
        let parsed: TrafficLine = serde_json::from_str(line).map_err(|e| bad(e.into()))?;
        parsed.bytes().map_err(|e| bad(e.into()))?;
        out.push(parsed);
    }
    Ok(out)
}

/// Reads a recording file (see [`parse_lines`]).
pub fn read_file(path: &std::path::Path) -> Result<Vec<TrafficLine>, RecordError> {
    let text = std::fs::read_to_string(path).map_err(|source| RecordError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_lines(&text)
}

/// Appends traffic lines to a JSONL file, one `write` + flush per line, so a crash loses at most
/// the line being written. Times are given by the caller (milliseconds since its start).
#[derive(Debug)]
pub struct RecordWriter {
    file: std::fs::File,
    path: String,
    lines: u64,
}

impl RecordWriter {
    /// Opens `path` for appending (created if missing).
    pub fn append(path: &std::path::Path) -> Result<Self, RecordError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| RecordError::Io {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Self {
            file,
            path: path.display().to_string(),
            lines: 0,
        })
    }

    /// Writes one line and flushes it.
    pub fn write(&mut self, line: &TrafficLine) -> Result<(), RecordError> {
        use std::io::Write as _;
        let mut text = line.to_json();
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|source| RecordError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.lines += 1;
        Ok(())
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_round_trip() {
        let line = TrafficLine::new(12, Direction::FromCamera, &[0x55, 0x66, 0x02]);
        let json = line.to_json();
        assert_eq!(json, r#"{"t_ms":12,"dir":"from_camera","hex":"55 66 02"}"#);
        let back = parse_lines(&format!("# comment\n\n{json}\n")).unwrap();
        assert_eq!(back, vec![line]);
        assert!(matches!(
            parse_lines("{\"t_ms\":1,\"dir\":\"up\",\"hex\":\"\"}"),
            Err(RecordError::BadLine { line: 1, .. })
        ));
        assert!(parse_lines("{\"t_ms\":1,\"dir\":\"to_camera\",\"hex\":\"5\"}").is_err());
        assert_eq!(parse_hex("55 6"), Err(HexError::OddDigits { digits: 3 }));
        assert_eq!(
            parse_hex("55 zz").unwrap_err().to_string(),
            "not a hex byte: \"zz\" at digit 2"
        );
    }
}
