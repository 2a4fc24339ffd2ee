//! The tracker API session: which connection is the tracker, whether it said hello with our
//! version, when it was last heard, and the lines queued for it.
//!
//! Owns: the connection state and its counters. Never touches: MAVLink, the gimbal, what is
//! tracked (it hands [`Heard`] messages to the tracking service).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::api::{self, ConnId, FromTracker, ReportedState, Target, ToTracker, TrackerOutput};

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
}

#[derive(Clone, Debug)]
struct Session {
    conn: ConnId,
    ready: bool,
    last_heard: Instant,
}

/// One tracker at a time. See the module docs.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    current: Option<Session>,
    out: VecDeque<TrackerOutput>,
    pub(super) stats: SessionStats,
}

impl Sessions {
    /// The ready tracker's connection.
    pub(super) fn ready(&self) -> Option<ConnId> {
        self.current.as_ref().filter(|s| s.ready).map(|s| s.conn)
    }

    /// Queues `msg` for connection `conn`.
    pub(super) fn send(&mut self, conn: ConnId, msg: &ToTracker) {
        self.out.push_back(TrackerOutput::Line(conn, msg.to_line()));
    }

    /// Next output.
    pub(super) fn poll(&mut self) -> Option<TrackerOutput> {
        self.out.pop_front()
    }

    /// Connection `conn` opened: it becomes the session, or is refused while another exists.
    pub(super) fn opened(&mut self, now: Instant, conn: ConnId) {
        if let Some(s) = &self.current {
            tracing::warn!(target: "tracking", conn, current = s.conn, "second tracker refused");
            self.stats.refused += 1;
            self.refuse(conn, "another tracker is connected");
            return;
        }
        tracing::info!(target: "tracking", conn, "tracker connected; waiting for hello");
        self.current = Some(Session {
            conn,
            ready: false,
            last_heard: now,
        });
    }

    /// Connection `conn` closed; true if it was the ready tracker.
    pub(super) fn closed(&mut self, conn: ConnId) -> bool {
        match self.current.take_if(|s| s.conn == conn) {
            Some(s) => s.ready,
            None => false,
        }
    }

    /// A line from `conn` (`None`: over the length limit, discarded).
    pub(super) fn line(
        &mut self,
        now: Instant,
        conn: ConnId,
        line: Option<&str>,
        bridge_name: &str,
    ) -> Heard {
        let Some(session) = self.current.as_mut().filter(|s| s.conn == conn) else {
            return Heard::Nothing;
        };
        session.last_heard = now;
        let ready = session.ready;
        let parsed = match line.map(api::parse_line) {
            None | Some(Err(api::LineError::TooLong)) => {
                self.stats.long_lines += 1;
                tracing::warn!(target: "tracking", conn, "tracker line too long: discarded");
                return Heard::Nothing;
            }
            Some(Err(err)) => {
                self.stats.bad_lines += 1;
                tracing::warn!(target: "tracking", conn, %err, bad_lines = self.stats.bad_lines, "tracker line ignored");
                return Heard::Nothing;
            }
            Some(Ok(m)) => m,
        };
        match parsed {
            FromTracker::Hello { version, name } if !ready => {
                if version != api::API_VERSION {
                    self.stats.refused += 1;
                    self.current = None;
                    let reason = format!(
                        "unsupported version {version} (this bridge speaks {})",
                        api::API_VERSION
                    );
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
                if let Some(s) = &mut self.current {
                    s.ready = true;
                }
                Heard::Ready(name)
            }
            FromTracker::Hello { .. } => {
                self.stats.bad_lines += 1;
                Heard::Nothing
            }
            _ if !ready => {
                self.stats.bad_lines += 1;
                tracing::warn!(target: "tracking", conn, "tracker spoke before hello: ignored");
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

    /// Drops a ready tracker silent for `silence` (an `error` line, then close); true if it did.
    pub(super) fn drop_if_silent(&mut self, now: Instant, silence: Duration) -> bool {
        let silent = self
            .current
            .as_ref()
            .is_some_and(|s| s.ready && now.saturating_duration_since(s.last_heard) >= silence);
        if let Some(s) = self.current.take_if(|_| silent) {
            self.stats.silent += 1;
            let reason = format!("silent for {} ms", silence.as_millis());
            self.refuse(s.conn, &reason);
        }
        silent
    }

    /// When the ready tracker counts as silent.
    pub(super) fn silent_at(&self, silence: Duration) -> Option<Instant> {
        self.current
            .as_ref()
            .filter(|s| s.ready)
            .map(|s| s.last_heard + silence)
    }

    fn refuse(&mut self, conn: ConnId, reason: &str) {
        let msg = ToTracker::Error {
            reason: reason.to_owned(),
        };
        self.send(conn, &msg);
        self.out.push_back(TrackerOutput::Close(conn));
    }
}
