//! The tracker API's JSON lines as the tests read them (playing the bridge or the tracker):
//! every read is bounded by a wait.
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::time::Duration;

use serde_json::Value;
use tokio::io::BufReader;
use tokio::net::tcp::OwnedReadHalf;

/// Lines from one side of a TCP connection.
pub type Lines = tokio::io::Lines<BufReader<OwnedReadHalf>>;

/// The next line, parsed as JSON; panics when none comes within `wait`, the connection closes,
/// or the line is not JSON.
pub async fn next_json(lines: &mut Lines, wait: Duration) -> Value {
    let line = tokio::time::timeout(wait, lines.next_line())
        .await
        .expect("a line in time")
        .expect("read")
        .expect("open");
    serde_json::from_str(&line).expect("JSON")
}
