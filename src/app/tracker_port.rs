//! The tracker API's connections as the driver loop sees them: connection events in, lines and
//! closes out (the sockets are `io::tracker`'s; what the lines mean is `core::tracking`'s).
//!
//! Owns: the write side of each open connection, and the count of lines dropped because a
//! tracker does not read.

use std::time::Instant;

use tokio::sync::mpsc;

use crate::core::bridge::Bridge;
use crate::core::link::SiyiLink;
use crate::core::tracking::{ConnId, TrackerOutput};
use crate::io::tracker::{TrackerIn, TrackerWrite};

/// The next message of an optional channel: never, when there is none (the tracker API off or
/// its listener ended, the built-in tracker off or its thread ended).
pub(super) async fn recv_or_never<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The tracker API connections as the driver loop sees them: events in, lines out.
#[derive(Default)]
pub(super) struct TrackerPort {
    pub(super) rx: Option<mpsc::Receiver<TrackerIn>>,
    conns: std::collections::HashMap<ConnId, mpsc::Sender<TrackerWrite>>,
    dropped_lines: u64,
}

impl TrackerPort {
    pub(super) fn handle(&mut self, bridge: &mut Bridge<SiyiLink>, now: Instant, input: TrackerIn) {
        match input {
            TrackerIn::Opened(conn, tx) => {
                self.conns.insert(conn, tx);
                bridge.handle_tracker_opened(now, conn);
            }
            TrackerIn::Line(conn, line) => bridge.handle_tracker_line(now, conn, line.as_deref()),
            TrackerIn::Closed(conn) => {
                self.conns.remove(&conn);
                bridge.handle_tracker_closed(now, conn);
            }
        }
    }

    /// Hands every queued line and close to its connection (a full queue drops the line).
    pub(super) fn flush(&mut self, bridge: &mut Bridge<SiyiLink>) {
        while let Some(out) = bridge.poll_tracker() {
            let (conn, write) = match out {
                TrackerOutput::Line(conn, line) => (conn, TrackerWrite::Line(line)),
                TrackerOutput::Close(conn) => (conn, TrackerWrite::Close),
            };
            if let Some(tx) = self.conns.get(&conn) {
                if tx.try_send(write).is_err() {
                    self.dropped_lines += 1;
                    if self.dropped_lines == 1 || self.dropped_lines.is_power_of_two() {
                        tracing::warn!(
                            "tracker {conn} does not read: {} lines dropped",
                            self.dropped_lines
                        );
                    }
                }
            }
        }
    }
}
