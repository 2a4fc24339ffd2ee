//! Tracking (sans-IO): QGroundControl's point-and-track, served by a tracker process on the
//! tracker API (docs/tracker-api.md), with the gimbal following the target.
//!
//! [`Tracking`] owns: the tracker session (who is connected, when it was last heard), the
//! request in flight (the MAVLink command waiting for the tracker's answer), what is tracked
//! ([`Reported`]), and the follow controller ([`follow::Follow`]). It never touches MAVLink
//! framing, sockets or the camera component's state: the camera hands it tracking commands
//! ([`Tracking::command`]) and asks it for flags ([`Tracking::available`]) and status
//! ([`Tracking::image_status`]); the `io` shell hands it tracker lines and connections; it moves
//! the gimbal through [`LinkControl`] and tells the camera what to announce through
//! [`TrackingEvent`]s.
//!
//! Poll contract: after any call, drain [`Tracking::poll_tracker`] (lines and closes for the
//! tracker connection) and [`Tracking::poll_event`], and call [`Tracking::handle_timeout`] at
//! [`Tracking::poll_timeout`].

pub mod api;
pub mod follow;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    CameraCapFlags, CameraTrackingMode, CameraTrackingStatusFlags, CameraTrackingTargetData,
    MavCmd, MavResult, MavSeverity, CAMERA_TRACKING_IMAGE_STATUS_DATA,
};

use crate::core::link::{LinkControl, Operation};
use crate::core::mavlink::dedupe::DedupeKey;
use crate::core::mavlink::host::IncomingCommand;
use crate::core::mavlink::{Handled, Requester};
pub use api::{FromTracker, Point, Rect, ReportedState, Target, ToTracker};
pub use follow::{FollowConfig, Fov, Speeds};

/// A tracker connection, numbered by the `io` shell.
pub type ConnId = u64;

/// Tuning of tracking.
#[derive(Clone, PartialEq, Debug)]
pub struct TrackingConfig {
    /// Steer the gimbal to keep the target centred.
    pub follow: bool,
    /// The follow controller's tuning.
    pub follow_config: FollowConfig,
    /// How long the tracker has to answer a request.
    pub answer_timeout: Duration,
    /// Silence after which the tracker counts as gone.
    pub tracker_silence: Duration,
    /// Our name in the `welcome` line, e.g. "siyi-bridge 0.1.0".
    pub bridge_name: String,
}

impl Default for TrackingConfig {
    fn default() -> Self {
        Self {
            follow: true,
            follow_config: FollowConfig::default(),
            answer_timeout: Duration::from_millis(1000),
            tracker_silence: Duration::from_millis(1000),
            bridge_name: concat!("siyi-bridge ", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// What the tracking source reports.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Reported {
    /// Not tracking.
    Idle,
    /// Tracking this.
    Active(Target),
    /// Temporarily out of sight; the last place it was seen.
    Lost(Option<Target>),
    /// Tracking failed, or the tracker is gone.
    Error,
}

impl Reported {
    /// The CAMERA_TRACKING_IMAGE_STATUS flags and mode this state is announced with.
    fn flags_and_mode(&self) -> (CameraTrackingStatusFlags, CameraTrackingMode) {
        let mode = |t: &Target| match t {
            Target::Point(_) => CameraTrackingMode::CAMERA_TRACKING_MODE_POINT,
            Target::Rect(_) => CameraTrackingMode::CAMERA_TRACKING_MODE_RECTANGLE,
        };
        let active = CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ACTIVE;
        match self {
            Self::Idle => (
                CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_IDLE,
                CameraTrackingMode::CAMERA_TRACKING_MODE_NONE,
            ),
            Self::Active(t) | Self::Lost(Some(t)) => (active, mode(t)),
            Self::Lost(None) => (active, CameraTrackingMode::CAMERA_TRACKING_MODE_NONE),
            Self::Error => (
                CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ERROR,
                CameraTrackingMode::CAMERA_TRACKING_MODE_NONE,
            ),
        }
    }

    /// The target shown in the status, if any.
    fn target(&self) -> Option<Target> {
        match self {
            Self::Active(t) | Self::Lost(Some(t)) => Some(*t),
            _ => None,
        }
    }
}

/// Something the camera component must do for tracking.
#[derive(Clone, PartialEq, Debug)]
pub enum TrackingEvent {
    /// The final answer to a tracking command first answered IN_PROGRESS.
    Ack {
        /// Who asked.
        to: Requester,
        /// Its de-dup key (retransmissions get the same answer).
        key: DedupeKey,
        /// The command.
        command: MavCmd,
        /// The answer.
        result: MavResult,
    },
    /// A STATUSTEXT for everyone.
    Text(MavSeverity, String),
    /// The tracking state or mode changed: announce CAMERA_TRACKING_IMAGE_STATUS.
    StatusChanged,
    /// A tracking source appeared or went away: announce CAMERA_INFORMATION (its flags).
    AvailabilityChanged,
}

/// Output for the tracker connection.
#[derive(Clone, PartialEq, Debug)]
pub enum TrackerOutput {
    /// Send this line (without newline) on connection `conn`.
    Line(ConnId, String),
    /// Close connection `conn` (after the lines queued before this).
    Close(ConnId),
}

/// Counters (bad input is counted, never fatal).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TrackingStats {
    /// Lines that were not tracker API messages.
    pub bad_lines: u64,
    /// Lines longer than [`api::MAX_LINE_BYTES`].
    pub long_lines: u64,
    /// Connections refused (another tracker was connected, or a wrong version).
    pub refused: u64,
    /// Trackers dropped for silence.
    pub silent: u64,
    /// Answers that came too late or matched no request.
    pub stray_answers: u64,
    /// Gimbal commands sent by the follow controller.
    pub follow_commands: u64,
}

#[derive(Clone, Debug)]
struct Session {
    conn: ConnId,
    welcomed: bool,
    last_heard: Instant,
    name: String,
}

#[derive(Clone, Debug)]
struct Pending {
    id: u32,
    from: Requester,
    key: DedupeKey,
    command: MavCmd,
    deadline: Instant,
}

/// The tracking service. See the module docs.
#[derive(Debug)]
pub struct Tracking {
    config: TrackingConfig,
    session: Option<Session>,
    pending: Option<Pending>,
    next_id: u32,
    reported: Reported,
    follow: follow::Follow,
    /// Follow is on for the current track (off after manual gimbal input until the next track).
    following: bool,
    out: VecDeque<TrackerOutput>,
    events: VecDeque<TrackingEvent>,
    stats: TrackingStats,
}

impl Tracking {
    /// Nothing connected, nothing tracked.
    pub fn new(config: TrackingConfig) -> Self {
        let follow = follow::Follow::new(config.follow_config);
        Self {
            config,
            session: None,
            pending: None,
            next_id: 1,
            reported: Reported::Idle,
            follow,
            following: false,
            out: VecDeque::new(),
            events: VecDeque::new(),
            stats: TrackingStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> TrackingStats {
        self.stats
    }

    /// What is tracked now.
    pub fn reported(&self) -> Reported {
        self.reported
    }

    /// Whether a tracking source is available (a tracker connected and welcomed).
    pub fn available(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.welcomed)
    }

    /// CAMERA_INFORMATION flags for tracking (exactly while a source is available).
    pub fn flags(&self) -> CameraCapFlags {
        if self.available() {
            CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
                | CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE
        } else {
            CameraCapFlags::empty()
        }
    }

    /// CAMERA_TRACKING_IMAGE_STATUS now.
    pub fn image_status(&self) -> CAMERA_TRACKING_IMAGE_STATUS_DATA {
        let (tracking_status, tracking_mode) = self.reported.flags_and_mode();
        let nan = f32::NAN;
        let mut m = CAMERA_TRACKING_IMAGE_STATUS_DATA {
            point_x: nan,
            point_y: nan,
            radius: nan,
            rec_top_x: nan,
            rec_top_y: nan,
            rec_bottom_x: nan,
            rec_bottom_y: nan,
            tracking_status,
            tracking_mode,
            target_data: CameraTrackingTargetData::empty(),
            camera_device_id: 0,
        };
        match self.reported.target() {
            Some(Target::Point(p)) => {
                m.target_data = CameraTrackingTargetData::CAMERA_TRACKING_TARGET_DATA_IN_STATUS;
                (m.point_x, m.point_y, m.radius) = (p.x, p.y, p.radius);
            }
            Some(Target::Rect(r)) => {
                m.target_data = CameraTrackingTargetData::CAMERA_TRACKING_TARGET_DATA_IN_STATUS;
                m.rec_top_x = r.top_left_x;
                m.rec_top_y = r.top_left_y;
                m.rec_bottom_x = r.bottom_right_x;
                m.rec_bottom_y = r.bottom_right_y;
            }
            None => {}
        }
        m
    }

    /// Whether `cmd` is a tracking command (handled by [`Tracking::command`]).
    pub fn is_tracking_command(cmd: MavCmd) -> bool {
        matches!(
            cmd,
            MavCmd::MAV_CMD_CAMERA_TRACK_POINT
                | MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE
                | MavCmd::MAV_CMD_CAMERA_STOP_TRACKING
        )
    }

    /// A tracking command addressed to the camera; `None` if `c` is not one. A request that
    /// goes to the tracker is answered IN_PROGRESS now and finally with [`TrackingEvent::Ack`].
    pub fn command(
        &mut self,
        now: Instant,
        c: &IncomingCommand,
        link: &mut impl LinkControl,
    ) -> Option<Handled> {
        let cmd = &c.cmd;
        let target = match cmd.command {
            MavCmd::MAV_CMD_CAMERA_TRACK_POINT => Some(Target::Point(Point {
                x: cmd.p(1),
                y: cmd.p(2),
                radius: cmd.p(3),
            })),
            MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE => Some(Target::Rect(Rect {
                top_left_x: cmd.p(1),
                top_left_y: cmd.p(2),
                bottom_right_x: cmd.p(3),
                bottom_right_y: cmd.p(4),
            })),
            MavCmd::MAV_CMD_CAMERA_STOP_TRACKING => None,
            _ => return None,
        };
        if let Some(t) = target.filter(|t| !t.is_valid()) {
            self.text(
                MavSeverity::MAV_SEVERITY_WARNING,
                format!("Tracking refused: {} outside 0..1 or inverted", kind(&t)),
            );
            return Some(Handled::just(MavResult::MAV_RESULT_DENIED));
        }
        let Some(conn) = self.session.as_ref().filter(|s| s.welcomed).map(|s| s.conn) else {
            if target.is_none() {
                // Nothing can be tracked without a tracker: stopping is already done.
                self.stop_following(now, link);
                return Some(Handled::just(MavResult::MAV_RESULT_ACCEPTED));
            }
            self.text(
                MavSeverity::MAV_SEVERITY_WARNING,
                "Tracking unavailable: no tracker connected".to_owned(),
            );
            return Some(Handled::just(MavResult::MAV_RESULT_TEMPORARILY_REJECTED));
        };
        // One request at a time: a newer one supersedes the one still waiting.
        self.fail_pending(MavResult::MAV_RESULT_FAILED, None);
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let msg = match target {
            Some(Target::Point(point)) => ToTracker::TrackPoint { id, point },
            Some(Target::Rect(rect)) => ToTracker::TrackRectangle { id, rect },
            None => {
                // Stop at once; the tracker's answer only confirms it.
                self.following = false;
                self.stop_following(now, link);
                ToTracker::TrackOff { id }
            }
        };
        self.out.push_back(TrackerOutput::Line(conn, msg.to_line()));
        self.pending = Some(Pending {
            id,
            from: c.from,
            key: c.key,
            command: cmd.command,
            deadline: now + self.config.answer_timeout,
        });
        Some(Handled::just(MavResult::MAV_RESULT_IN_PROGRESS))
    }

    /// A tracker connected (connection `conn`). Refused when another one is connected.
    pub fn tracker_opened(&mut self, now: Instant, conn: ConnId) {
        if let Some(s) = &self.session {
            tracing::warn!(target: "tracking", conn, current = s.conn, "second tracker refused");
            self.stats.refused += 1;
            self.refuse(conn, "another tracker is connected");
            return;
        }
        tracing::info!(target: "tracking", conn, "tracker connected; waiting for hello");
        self.session = Some(Session {
            conn,
            welcomed: false,
            last_heard: now,
            name: String::new(),
        });
    }

    /// Connection `conn` closed (by the tracker, or after [`TrackerOutput::Close`]).
    pub fn tracker_closed(&mut self, now: Instant, conn: ConnId, link: &mut impl LinkControl) {
        if self.session.as_ref().is_some_and(|s| s.conn == conn) {
            self.lose_tracker(now, "Tracker disconnected", link);
        }
    }

    /// A line longer than [`api::MAX_LINE_BYTES`] arrived on `conn` and was discarded.
    pub fn tracker_line_too_long(&mut self, now: Instant, conn: ConnId) {
        self.stats.long_lines += 1;
        tracing::warn!(target: "tracking", conn, "tracker line too long: discarded");
        self.heard(now, conn);
    }

    /// One line from connection `conn` (without its newline). `fov`: the camera's field of
    /// view now (for the follow controller).
    pub fn tracker_line(
        &mut self,
        now: Instant,
        conn: ConnId,
        line: &str,
        fov: Fov,
        link: &mut impl LinkControl,
    ) {
        if self.session.as_ref().is_none_or(|s| s.conn != conn) {
            return;
        }
        let msg = match api::parse_line(line) {
            Ok(m) => m,
            Err(err) => {
                match err {
                    api::LineError::TooLong => self.stats.long_lines += 1,
                    api::LineError::Invalid(_) => self.stats.bad_lines += 1,
                }
                tracing::warn!(target: "tracking", conn, %err, bad_lines = self.stats.bad_lines, "tracker line ignored");
                self.heard(now, conn);
                return;
            }
        };
        let welcomed = self.session.as_ref().is_some_and(|s| s.welcomed);
        match msg {
            FromTracker::Hello { version, name } if !welcomed => {
                if version != api::API_VERSION {
                    self.stats.refused += 1;
                    let reason = format!(
                        "unsupported version {version} (this bridge speaks {})",
                        api::API_VERSION
                    );
                    self.session = None;
                    self.refuse(conn, &reason);
                    return;
                }
                tracing::info!(target: "tracking", conn, %name, "tracker ready");
                let welcome = ToTracker::Welcome {
                    version: api::API_VERSION,
                    bridge: self.config.bridge_name.clone(),
                };
                self.out
                    .push_back(TrackerOutput::Line(conn, welcome.to_line()));
                if let Some(s) = &mut self.session {
                    s.welcomed = true;
                    s.last_heard = now;
                    s.name = name.clone();
                }
                self.text(
                    MavSeverity::MAV_SEVERITY_INFO,
                    format!("Tracker connected: {name}"),
                );
                self.events.push_back(TrackingEvent::AvailabilityChanged);
            }
            _ if !welcomed => {
                self.stats.bad_lines += 1;
                tracing::warn!(target: "tracking", conn, "tracker spoke before hello: ignored");
            }
            FromTracker::Hello { .. } => self.stats.bad_lines += 1,
            FromTracker::Answer {
                id,
                accepted,
                reason,
            } => {
                self.heard(now, conn);
                self.answer(now, id, accepted, reason, link);
            }
            FromTracker::Status {
                state,
                point,
                rectangle,
                reason,
            } => {
                self.heard(now, conn);
                let target = rectangle
                    .map(Target::Rect)
                    .or(point.map(Target::Point))
                    .filter(Target::is_valid);
                let reported = match state {
                    ReportedState::Idle => Reported::Idle,
                    ReportedState::Active => match target {
                        Some(t) => Reported::Active(t),
                        None => {
                            self.stats.bad_lines += 1;
                            return;
                        }
                    },
                    ReportedState::Lost => Reported::Lost(target.or(self.reported.target())),
                    ReportedState::Error => {
                        if self.reported != Reported::Error {
                            let why = reason.as_deref().unwrap_or("no reason given");
                            self.text(
                                MavSeverity::MAV_SEVERITY_WARNING,
                                format!("Tracking error: {why}"),
                            );
                        }
                        Reported::Error
                    }
                };
                self.set_reported(reported);
                self.steer(now, fov, link);
            }
        }
    }

    /// The ground moved the gimbal by hand: follow stops until the next track command.
    pub fn manual_gimbal_input(&mut self) {
        if self.following {
            tracing::info!(target: "tracking", "manual gimbal input: follow paused until the next track command");
        }
        self.following = false;
        self.follow.forget();
    }

    /// Timers due at `now`: the tracker's answer deadline, its silence, the follow keep-alive.
    pub fn handle_timeout(&mut self, now: Instant, fov: Fov, link: &mut impl LinkControl) {
        if self.pending.as_ref().is_some_and(|p| now >= p.deadline) {
            self.fail_pending(MavResult::MAV_RESULT_FAILED, Some("tracker did not answer"));
        }
        let silent = self.session.as_ref().is_some_and(|s| {
            s.welcomed && now.saturating_duration_since(s.last_heard) >= self.config.tracker_silence
        });
        if silent {
            self.stats.silent += 1;
            if let Some(conn) = self.session.as_ref().map(|s| s.conn) {
                let reason = format!("silent for {} ms", self.config.tracker_silence.as_millis());
                self.refuse(conn, &reason);
            }
            self.lose_tracker(now, "Tracker silent: tracking stopped", link);
        }
        if self.follow.resend_at().is_some_and(|at| now >= at) {
            self.steer(now, fov, link);
        }
    }

    /// When [`Tracking::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let silence = self
            .session
            .as_ref()
            .filter(|s| s.welcomed)
            .map(|s| s.last_heard + self.config.tracker_silence);
        [
            self.pending.as_ref().map(|p| p.deadline),
            silence,
            self.follow.resend_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Next output for the tracker connection.
    pub fn poll_tracker(&mut self) -> Option<TrackerOutput> {
        self.out.pop_front()
    }

    /// Next event for the camera component.
    pub fn poll_event(&mut self) -> Option<TrackingEvent> {
        self.events.pop_front()
    }

    // ----- inside ---------------------------------------------------------------------

    fn text(&mut self, severity: MavSeverity, text: String) {
        self.events.push_back(TrackingEvent::Text(severity, text));
    }

    fn heard(&mut self, now: Instant, conn: ConnId) {
        if let Some(s) = self.session.as_mut().filter(|s| s.conn == conn) {
            s.last_heard = now;
        }
    }

    fn refuse(&mut self, conn: ConnId, reason: &str) {
        let line = ToTracker::Error {
            reason: reason.to_owned(),
        }
        .to_line();
        self.out.push_back(TrackerOutput::Line(conn, line));
        self.out.push_back(TrackerOutput::Close(conn));
    }

    fn set_reported(&mut self, reported: Reported) {
        let before = self.reported.flags_and_mode();
        self.reported = reported;
        if reported.flags_and_mode() != before {
            self.events.push_back(TrackingEvent::StatusChanged);
        }
    }

    fn answer(
        &mut self,
        now: Instant,
        id: u32,
        accepted: bool,
        reason: Option<String>,
        link: &mut impl LinkControl,
    ) {
        let Some(p) = self.pending.take_if(|p| p.id == id) else {
            self.stats.stray_answers += 1;
            tracing::debug!(target: "tracking", id, "answer matches no request (late?)");
            return;
        };
        let result = if accepted {
            if p.command == MavCmd::MAV_CMD_CAMERA_STOP_TRACKING {
                self.stop_following(now, link);
            } else {
                self.following = self.config.follow;
            }
            MavResult::MAV_RESULT_ACCEPTED
        } else {
            let why = reason.as_deref().unwrap_or("no reason given");
            self.text(
                MavSeverity::MAV_SEVERITY_WARNING,
                format!("Tracker refused: {why}"),
            );
            MavResult::MAV_RESULT_DENIED
        };
        self.events.push_back(TrackingEvent::Ack {
            to: p.from,
            key: p.key,
            command: p.command,
            result,
        });
    }

    fn fail_pending(&mut self, result: MavResult, why: Option<&str>) {
        if let Some(p) = self.pending.take() {
            if let Some(why) = why {
                self.text(
                    MavSeverity::MAV_SEVERITY_WARNING,
                    format!("Tracking: {why}"),
                );
            }
            self.events.push_back(TrackingEvent::Ack {
                to: p.from,
                key: p.key,
                command: p.command,
                result,
            });
        }
    }

    fn lose_tracker(&mut self, now: Instant, text: &str, link: &mut impl LinkControl) {
        let welcomed = self.session.take().is_some_and(|s| s.welcomed);
        self.fail_pending(MavResult::MAV_RESULT_FAILED, Some("tracker gone"));
        self.stop_following(now, link);
        self.following = false;
        if welcomed {
            tracing::warn!(target: "tracking", "{text}");
            self.text(MavSeverity::MAV_SEVERITY_WARNING, text.to_owned());
            if self.reported != Reported::Idle {
                self.set_reported(Reported::Error);
            }
            self.events.push_back(TrackingEvent::AvailabilityChanged);
        }
    }

    fn stop_following(&mut self, now: Instant, link: &mut impl LinkControl) {
        if let Some(s) = self.follow.stop(now) {
            self.send_speeds(now, s, link);
        }
    }

    /// Follow the target (or hold still when it is lost; stop when tracking ended).
    fn steer(&mut self, now: Instant, fov: Fov, link: &mut impl LinkControl) {
        if !self.following {
            return;
        }
        let speeds = match self.reported {
            Reported::Active(t) => self.follow.step(now, Some(t.centre()), fov),
            Reported::Lost(_) => self.follow.step(now, None, fov),
            Reported::Idle | Reported::Error => {
                self.following = false;
                self.follow.stop(now)
            }
        };
        if let Some(s) = speeds {
            self.send_speeds(now, s, link);
        }
    }

    fn send_speeds(&mut self, now: Instant, s: Speeds, link: &mut impl LinkControl) {
        self.stats.follow_commands += 1;
        link.start(
            now,
            Operation::GimbalRates {
                yaw_speed: s.yaw,
                pitch_speed: s.pitch,
            },
        );
    }
}

fn kind(t: &Target) -> &'static str {
    match t {
        Target::Point(_) => "point",
        Target::Rect(_) => "rectangle",
    }
}
