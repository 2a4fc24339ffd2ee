//! The tracker API session: which connection is the tracker (the first to say hello with our
//! version), when it was last heard, the connections still waiting to say hello (at most
//! [`MAX_WAITING`], each for at most [`HELLO_TIMEOUT`]), and the lines queued for them.
//!
//! Owns: the connection state and its counters. Never touches: MAVLink, the gimbal, what is
//! tracked (it hands [`Heard`] messages to the tracking service).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::api::{self, ConnId, FromTracker, ReportedState, Target, ToTracker, TrackerOutput};
use crate::core::text::clip;

/// What a line from the tracker meant.
#[derive(Clone, PartialEq, Debug)]
pub(super) enum Heard {
    /// Nothing for the service (ignored, counted, or the hello of a refused version).
    Nothing,
    /// The tracker said hello with our version: it is ready.
    Ready(String),
    /// The answer to request `id`.
    Answer {
        id: u32,
        accepted: bool,
        reason: Option<String>,
    },
    /// A status (the target is present only when valid).
    Status {
        state: ReportedState,
        target: Option<Target>,
        reason: Option<String>,
    },
}

/// Counters of the session (bad input is counted, never fatal).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SessionStats {
    /// Lines that were not tracker API messages (or came before hello).
    pub bad_lines: u64,
    /// Lines longer than [`api::MAX_LINE_BYTES`].
    pub long_lines: u64,
    /// Connections refused (another tracker was connected, or a wrong version).
    pub refused: u64,
    /// Trackers dropped for silence.
    pub silent: u64,
    /// Connections dropped for not saying hello within [`HELLO_TIMEOUT`] (or pushed out of the
    /// waiting room by newer ones).
    pub no_hello: u64,
}

/// How long a new connection has to say hello before it is dropped. A tracker says hello as
/// soon as it connects; this only clears connections that never will.
pub const HELLO_TIMEOUT: Duration = Duration::from_millis(2000);

/// Connections waiting for their hello at once; a newer one pushes the oldest out, so idle
/// connections can never keep a real tracker from saying hello.
pub const MAX_WAITING: usize = 4;

/// The longest tracker name kept (from its hello), bytes.
pub const MAX_NAME_BYTES: usize = 32;

/// The tracker that said hello.
#[derive(Clone, Debug)]
struct Ready {
    conn: ConnId,
    name: String,
    last_heard: Instant,
}

/// A connection that has not said hello yet.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    conn: ConnId,
    opened: Instant,
}

/// One tracker at a time, plus a few connections waiting to say hello. See the module docs.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    ready: Option<Ready>,
    waiting: VecDeque<Waiting>,
    out: VecDeque<TrackerOutput>,
    pub(super) stats: SessionStats,
}

/// Whether the `n`-th occurrence of something is logged: the first, then at powers of two (a
/// peer sending junk fills no log).
fn worth_logging(n: u64) -> bool {
    n.is_power_of_two()
}

impl Sessions {
    /// The ready tracker's connection.
    pub(super) fn ready(&self) -> Option<ConnId> {
        self.ready.as_ref().map(|s| s.conn)
    }

    /// Queues `msg` for connection `conn`.
    pub(super) fn send(&mut self, conn: ConnId, msg: &ToTracker) {
        self.out.push_back(TrackerOutput::Line(conn, msg.to_line()));
    }

    /// Next output.
    pub(super) fn poll(&mut self) -> Option<TrackerOutput> {
        self.out.pop_front()
    }

    /// Connection `conn` opened: refused while a tracker is ready, else it waits for its hello
    /// (pushing the oldest waiting connection out when [`MAX_WAITING`] wait already).
    pub(super) fn opened(&mut self, now: Instant, conn: ConnId) {
        if let Some(r) = &self.ready {
            self.stats.refused += 1;
            if worth_logging(self.stats.refused) {
                tracing::warn!(target: "tracking", conn, current = r.conn, refused = self.stats.refused, "second tracker refused");
            }
            let reason = busy_reason(&r.name);
            self.refuse(conn, &reason);
            return;
        }
        if self.waiting.len() >= MAX_WAITING {
            if let Some(old) = self.waiting.pop_front() {
                self.stats.no_hello += 1;
                self.refuse(old.conn, "no hello, and newer connections are waiting");
            }
        }
        tracing::info!(target: "tracking", conn, "tracker connected; waiting for hello");
        self.waiting.push_back(Waiting { conn, opened: now });
    }

    /// Connection `conn` closed; true if it was the ready tracker.
    pub(super) fn closed(&mut self, conn: ConnId) -> bool {
        self.waiting.retain(|w| w.conn != conn);
        self.ready.take_if(|s| s.conn == conn).is_some()
    }

    /// A line from `conn` (`None`: over the length limit, discarded).
    pub(super) fn line(
        &mut self,
        now: Instant,
        conn: ConnId,
        line: Option<&str>,
        bridge_name: &str,
    ) -> Heard {
        let is_ready = self.ready.as_ref().is_some_and(|r| r.conn == conn);
        let is_waiting = self.waiting.iter().any(|w| w.conn == conn);
        if !is_ready && !is_waiting {
            return Heard::Nothing;
        }
        if let Some(r) = self.ready.as_mut().filter(|_| is_ready) {
            r.last_heard = now;
        }
        let ready = is_ready;
        let parsed = match line.map(api::parse_line) {
            None | Some(Err(api::LineError::TooLong)) => {
                self.stats.long_lines += 1;
                if worth_logging(self.stats.long_lines) {
                    tracing::warn!(target: "tracking", conn, long_lines = self.stats.long_lines, "tracker line too long: discarded");
                }
                return Heard::Nothing;
            }
            Some(Err(err)) => {
                self.stats.bad_lines += 1;
                if worth_logging(self.stats.bad_lines) {
                    tracing::warn!(target: "tracking", conn, %err, bad_lines = self.stats.bad_lines, "tracker line ignored");
                }
                return Heard::Nothing;
            }
            Some(Ok(m)) => m,
        };
        match parsed {
            FromTracker::Hello { version, name } if !ready => {
                self.waiting.retain(|w| w.conn != conn);
                if version != api::API_VERSION {
                    self.stats.refused += 1;
                    let reason = format!(
                        "unsupported version {version} (this bridge speaks {})",
                        api::API_VERSION
                    );
                    self.refuse(conn, &reason);
                    return Heard::Nothing;
                }
                let name = clip(&name, MAX_NAME_BYTES).to_owned();
                if let Some(r) = &self.ready {
                    self.stats.refused += 1;
                    let reason = busy_reason(&r.name);
                    self.refuse(conn, &reason);
                    return Heard::Nothing;
                }
                tracing::info!(target: "tracking", conn, %name, "tracker ready");
                self.send(
                    conn,
                    &ToTracker::Welcome {
                        version: api::API_VERSION,
                        bridge: bridge_name.to_owned(),
                    },
                );
                self.ready = Some(Ready {
                    conn,
                    name: name.clone(),
                    last_heard: now,
                });
                Heard::Ready(name)
            }
            FromTracker::Hello { .. } => {
                self.stats.bad_lines += 1;
                Heard::Nothing
            }
            _ if !ready => {
                self.stats.bad_lines += 1;
                if worth_logging(self.stats.bad_lines) {
                    tracing::warn!(target: "tracking", conn, bad_lines = self.stats.bad_lines, "tracker spoke before hello: ignored");
                }
                Heard::Nothing
            }
            FromTracker::Answer {
                id,
                accepted,
                reason,
            } => Heard::Answer {
                id,
                accepted,
                reason,
            },
            FromTracker::Status {
                state,
                point,
                rectangle,
                reason,
            } => {
                let target = rectangle
                    .map(Target::Rect)
                    .or(point.map(Target::Point))
                    .filter(Target::is_valid);
                if state == ReportedState::Active && target.is_none() {
                    self.stats.bad_lines += 1;
                    return Heard::Nothing;
                }
                Heard::Status {
                    state,
                    target,
                    reason,
                }
            }
        }
    }

    /// Drops the connections whose time is up: a ready tracker silent for `silence` and the
    /// connections that did not say hello within [`HELLO_TIMEOUT`] (an `error` line, then
    /// close); true if the ready tracker was dropped.
    pub(super) fn handle_timeout(&mut self, now: Instant, silence: Duration) -> bool {
        while let Some(w) = self
            .waiting
            .front()
            .copied()
            .filter(|w| now.saturating_duration_since(w.opened) >= HELLO_TIMEOUT)
        {
            self.waiting.pop_front();
            self.stats.no_hello += 1;
            if worth_logging(self.stats.no_hello) {
                tracing::warn!(target: "tracking", conn = w.conn, no_hello = self.stats.no_hello, "tracker connection said no hello: closed");
            }
            let reason = format!("no hello within {} ms", HELLO_TIMEOUT.as_millis());
            self.refuse(w.conn, &reason);
        }
        let silent = self
            .ready
            .as_ref()
            .is_some_and(|s| now.saturating_duration_since(s.last_heard) >= silence);
        if let Some(s) = self.ready.take_if(|_| silent) {
            self.stats.silent += 1;
            let reason = format!("silent for {} ms", silence.as_millis());
            self.refuse(s.conn, &reason);
        }
        silent
    }

    /// When [`Sessions::handle_timeout`] is due: the ready tracker's silence or the oldest
    /// waiting connection's hello deadline.
    pub(super) fn next_timeout(&self, silence: Duration) -> Option<Instant> {
        let hello = self.waiting.front().map(|w| w.opened + HELLO_TIMEOUT);
        let silent = self.ready.as_ref().map(|s| s.last_heard + silence);
        hello.into_iter().chain(silent).min()
    }

    fn refuse(&mut self, conn: ConnId, reason: &str) {
        let msg = ToTracker::Error {
            reason: reason.to_owned(),
        };
        self.send(conn, &msg);
        self.out.push_back(TrackerOutput::Close(conn));
    }
}

/// What a connection hears while tracker `name` is connected.
fn busy_reason(name: &str) -> String {
    format!(
        "another tracker ({name}) is connected; with run --simulate, start the bridge with --sim-tracker off to use your own"
    )
}
