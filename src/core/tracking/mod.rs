//! Tracking (sans-IO): QGroundControl's point-and-track, served by a tracker process on the
//! tracker API (docs/tracker-api.md) or by SIYI's AI tracking module, with the gimbal following
//! the target.
//!
//! [`Tracking`] conducts; each part owns its state: [`session`] (the tracker connection),
//! [`follow`] (the gimbal-follow controller), [`status`] (what is tracked and its message),
//! [`ai`] (what the AI module's pushes mean), [`api`] (the tracker API's lines). The conductor
//! owns the request in flight, the source of the current track and whether follow is on. It
//! never touches MAVLink framing, sockets or the camera component's state: the camera hands it
//! tracking commands ([`Tracking::command`]) and link events, and asks it for flags
//! ([`Tracking::flags`]) and status ([`Tracking::image_status`]); the `io` shell hands it
//! tracker lines; it moves the gimbal and switches the AI stream through [`LinkControl`], and
//! tells the camera what to announce through [`TrackingEvent`]s.
//!
//! Poll contract: after any call, drain [`Tracking::poll_tracker`] and [`Tracking::poll_event`],
//! and call [`Tracking::handle_timeout`] at [`Tracking::poll_timeout`].

pub mod ai;
pub mod api;
mod builtin;
pub mod follow;
pub mod pace;
mod parts;
pub mod session;
pub mod status;
pub mod video;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    CameraCapFlags, MavCmd, MavResult, MavSeverity, CAMERA_TRACKING_IMAGE_STATUS_DATA,
};

use crate::core::link::{LinkControl, LinkEvent, OpId, Operation, Owner};
use crate::core::mavlink::dedupe::DedupeKey;
use crate::core::mavlink::host::IncomingCommand;
use crate::core::mavlink::{Handled, Requester, STATUSTEXT_CHUNK_BYTES};
use crate::core::text::shorten;
pub use api::{ConnId, Point, Rect, ReportedState, Target, ToTracker, TrackerOutput};
pub use follow::{FollowConfig, Fov, Speeds};
use pace::{Pacer, TextBudget};
pub use parts::{TrackingConfig, TrackingEvent, TrackingStats};
pub use session::SessionStats;
use session::{Heard, Sessions};
pub use status::{Reported, TrackingStatus};
use video::BuiltIn;
pub use video::{VideoBox, VideoCommand, VideoInput};

/// What tracking hands the camera to say under its MAVLink identity ([`Tracking::report`]).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct TrackingReport {
    /// Availability and what is tracked, now.
    pub status: TrackingStatus,
    /// Final acks, texts, status and availability changes, in order.
    pub events: Vec<TrackingEvent>,
}

/// Where the current track comes from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Source {
    /// The process on the tracker API.
    Tracker,
    /// SIYI's AI tracking module (0x50 pushes).
    Ai,
    /// The built-in tracker on the camera's video.
    Video,
}

/// What the command in flight waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Waiting {
    /// The tracker's answer to request `id`.
    Tracker(u32),
    /// The link operation switching the AI stream.
    Link(OpId),
    /// The built-in tracker's first box.
    Video,
}

#[derive(Clone, Debug)]
struct Pending {
    waiting: Waiting,
    from: Requester,
    key: DedupeKey,
    command: MavCmd,
    deadline: Instant,
}

/// The tracking service. See the module docs.
#[derive(Debug)]
pub struct Tracking {
    config: TrackingConfig,
    sessions: Sessions,
    /// The AI module is attached and on (0x4D).
    ai_on: bool,
    source: Option<Source>,
    pending: Option<Pending>,
    next_id: u32,
    reported: Reported,
    follow: follow::Follow,
    /// Follow is on for the current track (off after manual gimbal input until the next track).
    following: bool,
    events: VecDeque<TrackingEvent>,
    stats: TrackingStats,
    /// A follow step waits for the control period ([`FollowConfig::period`]).
    steer_due: Option<Instant>,
    status_pace: Pacer,
    availability_pace: Pacer,
    texts: TextBudget,
    video: BuiltIn,
}

impl Tracking {
    /// Nothing connected, nothing tracked.
    pub fn new(config: TrackingConfig) -> Self {
        let follow = follow::Follow::new(config.follow_config);
        let video = BuiltIn::new(config.builtin, config.compensate_delay);
        Self {
            config,
            sessions: Sessions::default(),
            ai_on: false,
            source: None,
            pending: None,
            next_id: 1,
            reported: Reported::Idle,
            follow,
            following: false,
            events: VecDeque::new(),
            stats: TrackingStats::default(),
            steer_due: None,
            status_pace: Pacer::new(pace::STATUS_MIN_INTERVAL),
            availability_pace: Pacer::new(pace::AVAILABILITY_MIN_INTERVAL),
            texts: TextBudget::default(),
            video,
        }
    }

    /// Counters.
    pub fn stats(&self) -> TrackingStats {
        TrackingStats {
            session: self.sessions.stats,
            texts_dropped: self.texts.dropped,
            ..self.stats
        }
    }

    /// Whether the follow controller steers the gimbal now (a track accepted, follow on, no
    /// manual gimbal input since).
    pub fn is_following(&self) -> bool {
        self.following
    }

    /// What is tracked now.
    pub fn reported(&self) -> Reported {
        self.reported
    }

    /// Whether a tracking source is available: a tracker connected (after its hello), the
    /// built-in tracker (on, and the video not found in another codec), or the AI module on.
    pub fn available(&self) -> bool {
        self.sessions.ready().is_some() || self.video.available() || self.ai_on
    }

    /// CAMERA_INFORMATION flags for tracking (exactly while a source is available; the geo status
    /// is sent when our autopilot's position and attitude and the gimbal's are known).
    pub fn flags(&self) -> CameraCapFlags {
        self.status().flags()
    }

    /// What the camera shows for tracking now (availability, what is tracked).
    pub fn status(&self) -> TrackingStatus {
        TrackingStatus {
            available: self.available(),
            reported: self.reported,
        }
    }

    /// What the camera must say for tracking: the events since last asked (drained) and the
    /// status now. The bridge hands it to the camera after every tracking step.
    pub fn report(&mut self) -> TrackingReport {
        TrackingReport {
            status: self.status(),
            events: self.events.drain(..).collect(),
        }
    }

    /// The link events tracking subscribes to (besides the outcomes of its own operations,
    /// which reach it by their [`Owner`](crate::core::link::Owner)): the AI module's mode and
    /// boxes.
    pub fn hears(event: &LinkEvent) -> bool {
        matches!(event, LinkEvent::AiModeChanged(_) | LinkEvent::AiTrack(_))
    }

    /// CAMERA_TRACKING_IMAGE_STATUS now.
    pub fn image_status(&self) -> CAMERA_TRACKING_IMAGE_STATUS_DATA {
        self.reported.image_status()
    }

    /// A tracking command addressed to the camera; `None` if `c` is not one. A request that goes
    /// to the tracker or the AI module is answered IN_PROGRESS now and finally with
    /// [`TrackingEvent::Ack`].
    pub fn command(
        &mut self,
        now: Instant,
        c: &IncomingCommand,
        link: &mut impl LinkControl,
    ) -> Option<Handled> {
        let cmd = &c.cmd;
        let target = api::requested(cmd)?;
        if let Some(t) = target.filter(|t| !t.is_valid()) {
            let what = match t {
                Target::Point(_) => "point",
                Target::Rect(_) => "rectangle",
            };
            let text = format!("Tracking refused: {what} outside 0..1 or inverted");
            self.text(now, MavSeverity::MAV_SEVERITY_WARNING, text);
            return Some(Handled::just(MavResult::MAV_RESULT_DENIED));
        }
        if target.is_none() {
            // Stop at once; an answer only confirms it.
            self.following = false;
            self.stop_gimbal(now, link);
            if self.source == Some(Source::Video) {
                // The built-in tracker stops when told: nothing to wait for.
                self.source = None;
                self.video.stop();
                self.finish_pending(now, MavResult::MAV_RESULT_FAILED, None);
                self.set_reported(now, Reported::Idle);
                return Some(Handled::just(MavResult::MAV_RESULT_ACCEPTED));
            }
        }
        // Priority: a connected tracker, then the built-in tracker, then the AI module.
        let ready = self.sessions.ready();
        let source = if ready.is_some() {
            Some(Source::Tracker)
        } else if self.video.available() && target.is_some() {
            Some(Source::Video)
        } else if self.ai_on {
            Some(Source::Ai)
        } else {
            None
        };
        if source != Some(Source::Video) {
            self.video.stop();
        }
        let waiting = match (ready, source, target) {
            (Some(conn), _, _) => {
                self.source = source;
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1).max(1);
                let msg = match target {
                    Some(Target::Point(point)) => ToTracker::TrackPoint { id, point },
                    Some(Target::Rect(rect)) => ToTracker::TrackRectangle { id, rect },
                    None => ToTracker::TrackOff { id },
                };
                self.sessions.send(conn, &msg);
                Waiting::Tracker(id)
            }
            (None, Some(Source::Video), Some(t)) => {
                self.source = source;
                self.video.start(t);
                Waiting::Video
            }
            (None, Some(Source::Ai), _) => {
                self.source = source;
                if target.is_some() {
                    self.text(
                        now,
                        MavSeverity::MAV_SEVERITY_INFO,
                        "AI module tracks the target it chooses, not the one selected".to_owned(),
                    );
                }
                let on = target.is_some();
                Waiting::Link(link.start(now, Owner::Tracking, Operation::SetAiStream { on }))
            }
            (None, _, None) => {
                // Nothing can be tracked without a source: stopping is already done.
                return Some(Handled::just(MavResult::MAV_RESULT_ACCEPTED));
            }
            _ => {
                let text = match &self.video.wrong_codec {
                    Some((_, why)) => format!("Tracking: {why}"),
                    None => "Tracking unavailable: no tracker connected".to_owned(),
                };
                self.text(now, MavSeverity::MAV_SEVERITY_WARNING, text);
                return Some(Handled::just(MavResult::MAV_RESULT_TEMPORARILY_REJECTED));
            }
        };
        // One request at a time: a newer one supersedes the one still waiting.
        self.finish_pending(now, MavResult::MAV_RESULT_FAILED, None);
        self.pending = Some(Pending {
            waiting,
            from: c.from,
            key: c.key,
            command: cmd.command,
            deadline: now + self.answer_time(waiting),
        });
        Some(Handled::just(MavResult::MAV_RESULT_IN_PROGRESS))
    }

    /// A tracker connected on the tracker API (connection `conn`).
    pub fn tracker_opened(&mut self, now: Instant, conn: ConnId) {
        self.sessions.opened(now, conn);
    }

    /// Connection `conn` closed (by the tracker, or after [`TrackerOutput::Close`]).
    pub fn tracker_closed(&mut self, now: Instant, conn: ConnId, link: &mut impl LinkControl) {
        if self.sessions.closed(conn) {
            self.tracker_gone(now, "Tracker disconnected", link);
        }
    }

    /// One line from connection `conn` (`None`: a line over the length limit was discarded).
    /// `fov`: the camera's field of view now (for the follow controller).
    pub fn tracker_line(
        &mut self,
        now: Instant,
        conn: ConnId,
        line: Option<&str>,
        fov: Fov,
        link: &mut impl LinkControl,
    ) {
        match self
            .sessions
            .line(now, conn, line, &self.config.bridge_name)
        {
            Heard::Nothing => {}
            Heard::Ready(name) => {
                self.text(
                    now,
                    MavSeverity::MAV_SEVERITY_INFO,
                    format!("Tracker connected: {name}"),
                );
                self.availability_changed(now);
            }
            Heard::Answer {
                id,
                accepted,
                reason,
            } => {
                let answered = self.pending.take_if(|p| p.waiting == Waiting::Tracker(id));
                match answered {
                    Some(p) => self.answered(now, p, accepted, reason.as_deref(), link),
                    None => {
                        self.stats.stray_answers += 1;
                        tracing::debug!(target: "tracking", id, "answer matches no request (late?)");
                    }
                }
            }
            Heard::Status {
                state,
                target,
                reason,
            } => {
                if self.source == Some(Source::Ai) {
                    return;
                }
                let reported = match state {
                    ReportedState::Idle => Reported::Idle,
                    ReportedState::Active => target.map_or(self.reported, Reported::Active),
                    ReportedState::Lost => Reported::Lost(target.or(self.reported.target())),
                    ReportedState::Error => {
                        if self.reported != Reported::Error {
                            let why = reason.as_deref().unwrap_or("no reason given");
                            let text = format!("Tracking error: {why}");
                            self.text(now, MavSeverity::MAV_SEVERITY_WARNING, text);
                        }
                        Reported::Error
                    }
                };
                self.set_reported(now, reported);
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

    /// Timers due at `now`: the answer deadline, the tracker's silence, the follow keep-alive.
    pub fn handle_timeout(&mut self, now: Instant, fov: Fov, link: &mut impl LinkControl) {
        if self.pending.as_ref().is_some_and(|p| now >= p.deadline) {
            let why = match self.pending.as_ref().map(|p| p.waiting) {
                Some(Waiting::Link(_)) => "AI module did not answer",
                Some(Waiting::Video) => "no picture from the video in time",
                _ => "tracker did not answer",
            };
            self.finish_pending(now, MavResult::MAV_RESULT_FAILED, Some(why));
            self.video_gone(now, link);
        }
        if self.video.wrong_codec_until().is_some_and(|at| now >= at) {
            self.video.wrong_codec = None;
            self.availability_changed(now);
        }
        if self
            .sessions
            .handle_timeout(now, self.config.tracker_silence)
        {
            self.tracker_gone(now, "Tracker silent: tracking stopped", link);
        }
        let steer_due = self.steer_due.is_some_and(|at| now >= at);
        if steer_due || self.follow.resend_at().is_some_and(|at| now >= at) {
            self.steer_due = None;
            self.steer(now, fov, link);
        }
        if self.status_pace.fire(now) {
            self.events.push_back(TrackingEvent::StatusChanged);
        }
        if self.availability_pace.fire(now) {
            self.events.push_back(TrackingEvent::AvailabilityChanged);
        }
    }

    /// When [`Tracking::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.pending.as_ref().map(|p| p.deadline),
            self.sessions.next_timeout(self.config.tracker_silence),
            self.follow.resend_at(),
            self.steer_due,
            self.status_pace.due_at(),
            self.availability_pace.due_at(),
            self.video.wrong_codec_until(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Next output for the tracker connection.
    pub fn poll_tracker(&mut self) -> Option<TrackerOutput> {
        self.sessions.poll()
    }

    /// Next event for the camera component.
    pub fn poll_event(&mut self) -> Option<TrackingEvent> {
        self.events.pop_front()
    }

    // ----- inside ---------------------------------------------------------------------

    /// How long an answer may take: the tracker's own limit; the link's retries for the AI
    /// module.
    fn answer_time(&self, waiting: Waiting) -> Duration {
        match waiting {
            Waiting::Tracker(_) => self.config.answer_timeout,
            Waiting::Link(_) => self.config.answer_timeout * 3,
            Waiting::Video => self.config.video_start_timeout,
        }
    }

    /// A STATUSTEXT, cut to one message and within tracking's text budget.
    fn text(&mut self, now: Instant, severity: MavSeverity, text: String) {
        if self.texts.take(now) {
            let text = shorten(&text, STATUSTEXT_CHUNK_BYTES);
            self.events.push_back(TrackingEvent::Text(severity, text));
        } else if self.texts.dropped.is_power_of_two() {
            let dropped = self.texts.dropped;
            tracing::warn!(target: "tracking", dropped, "tracking texts over budget dropped: {text}");
        }
    }

    fn set_reported(&mut self, now: Instant, reported: Reported) {
        let before = self.reported.flags_and_mode();
        self.reported = reported;
        if reported.flags_and_mode() != before && self.status_pace.changed(now) {
            self.events.push_back(TrackingEvent::StatusChanged);
        }
    }

    fn availability_changed(&mut self, now: Instant) {
        if self.availability_pace.changed(now) {
            self.events.push_back(TrackingEvent::AvailabilityChanged);
        }
    }

    /// The source answered the command in flight.
    fn answered(
        &mut self,
        now: Instant,
        p: Pending,
        accepted: bool,
        reason: Option<&str>,
        link: &mut impl LinkControl,
    ) {
        let result = if accepted {
            if p.command == MavCmd::MAV_CMD_CAMERA_STOP_TRACKING {
                self.end_track(now, link);
            } else {
                self.following = self.config.follow;
                self.follow.restart();
            }
            MavResult::MAV_RESULT_ACCEPTED
        } else {
            let why = reason.unwrap_or("no reason given");
            self.text(
                now,
                MavSeverity::MAV_SEVERITY_WARNING,
                format!("Tracking refused: {why}"),
            );
            MavResult::MAV_RESULT_DENIED
        };
        self.push_ack(p, result);
    }

    fn push_ack(&mut self, p: Pending, result: MavResult) {
        self.events.push_back(TrackingEvent::Ack {
            to: p.from,
            key: p.key,
            command: p.command,
            result,
        });
    }

    fn finish_pending(&mut self, now: Instant, result: MavResult, why: Option<&str>) {
        if let Some(p) = self.pending.take() {
            if let Some(why) = why {
                self.text(
                    now,
                    MavSeverity::MAV_SEVERITY_WARNING,
                    format!("Tracking: {why}"),
                );
            }
            self.push_ack(p, result);
        }
    }

    fn tracker_gone(&mut self, now: Instant, text: &str, link: &mut impl LinkControl) {
        tracing::warn!(target: "tracking", "{text}");
        self.text(now, MavSeverity::MAV_SEVERITY_WARNING, text.to_owned());
        self.availability_changed(now);
        if self.source == Some(Source::Tracker) {
            self.source = None;
            self.finish_pending(now, MavResult::MAV_RESULT_FAILED, Some("tracker gone"));
            self.end_track(now, link);
            if self.reported != Reported::Idle {
                self.set_reported(now, Reported::Error);
            }
        }
    }

    /// Tracking ended: follow off, gimbal stopped.
    fn end_track(&mut self, now: Instant, link: &mut impl LinkControl) {
        self.following = false;
        self.steer_due = None;
        self.stop_gimbal(now, link);
    }

    fn stop_gimbal(&mut self, now: Instant, link: &mut impl LinkControl) {
        if let Some(s) = self.follow.stop(now) {
            self.send_speeds(now, s, link);
        }
    }

    /// Follow the target (hold still while it is lost; stop when tracking ended).
    fn steer(&mut self, now: Instant, fov: Fov, link: &mut impl LinkControl) {
        if !self.following {
            return;
        }
        let tracking = matches!(self.reported, Reported::Active(_) | Reported::Lost(_));
        if let Some(at) = self
            .follow
            .next_step_at()
            .filter(|at| tracking && now < *at)
        {
            self.steer_due = Some(at);
            return;
        }
        self.steer_due = None;
        let speeds = match self.reported {
            Reported::Active(t) if self.source == Some(Source::Video) => {
                self.video.history_from(link.state());
                let (centre, corrected) = self.video.corrected(now, t.centre(), fov);
                self.stats.delay_corrected += u64::from(corrected);
                self.follow.step(now, Some(centre), fov)
            }
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
        let op = Operation::GimbalRates {
            yaw_speed: s.yaw,
            pitch_speed: s.pitch,
        };
        link.start(now, Owner::Tracking, op);
    }
}
