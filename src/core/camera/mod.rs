//! The MAVLink camera component (camera protocol v2), sans-IO.
//!
//! [`CameraComponent`] = a [`Host`] (what every MAVLink component does: identity, heartbeat
//! timing, de-dup, intervals, routing — `core::mavlink`) + the camera service. This file is the
//! conductor: it dispatches commands and link events, keeps the mode, the wall clock and the
//! periodic status timer, and builds the [`View`] messages are made of. The parts own their
//! state and get their neighbours as parameters: [`photos`] (the photo pipeline: [`capture`],
//! [`counter`], [`files`]), [`video`] (recording commands in flight), [`zoom`], [`outage`],
//! [`pose`], [`exif_feed`]; plain functions and values:
//! [`outcomes`] (link outcome → MAV_RESULT + text), [`requests`] (messages on request),
//! [`messages`], [`optics`], [`persist`], [`announce`]; [`definition`] (the camera definition
//! file, served over MAVLink FTP by the hosted FTP server). It turns MAVLink input ([`Inbound`])
//! and SIYI link events ([`LinkEvent`]) into MAVLink output ([`Transmit`]) and operations on the
//! link ([`LinkControl::start`]). It never reads a clock, a socket or a file: `now` (monotonic)
//! and `utc_us` (wall clock) are passed in.
//!
//! Poll contract: after any `handle_*` call, drain [`CameraComponent::poll_transmit`] and
//! [`CameraComponent::poll_event`], then sleep until [`CameraComponent::poll_timeout`] and call
//! [`CameraComponent::handle_timeout`] (early or spurious calls are harmless).
//!
//! Reply routing: a COMMAND_ACK and the data message it announces go back to the peer the
//! command came from ([`Target::Peer`]); heartbeats, STATUSTEXT, CAMERA_IMAGE_CAPTURED and
//! on-change status go to every peer ([`Target::All`]); a stream asked for with
//! SET_MESSAGE_INTERVAL goes to the peer that asked.

pub mod announce;
pub mod capture;
pub mod config;
pub mod counter;
pub mod exif_feed;
pub mod files;
mod link_events;
pub mod messages;
pub mod optics;
pub mod outage;
pub mod outcomes;
pub mod persist;
pub mod photos;
pub mod pose;
pub mod records;
pub mod requests;
pub mod video;
pub mod zoom;

use std::collections::VecDeque;
use std::time::Instant;

use mavlink::dialects::common::{CameraMode, MavCmd, MavResult};
use mavlink::MavHeader;

pub use crate::core::mavlink::dedupe::MAX_DEDUPE_ENTRIES;
use crate::core::mavlink::host::{next_tick, IncomingCommand, MIN_TIMER_STEP};
pub use crate::core::mavlink::{
    Accepted, Handled, Host, HostConfig, HostEvent, HostStats, Inbound, Outgoing, PeerId,
    RawCommand, Requester, Target, Transmit, PEER_SILENT_TIMEOUT,
};
pub use capture::MIN_CAPTURE_INTERVAL;
pub use config::{CameraConfig, CameraEvent};
pub use persist::{ImageRecord, PersistedState};
pub use pose::Position;
use requests::{identified, is_recording, is_request, is_track_command, View, STREAMABLE};
use video::Video;

use crate::core::link::{LinkControl, LinkHealth};
use crate::core::tracking::{Fov, TrackingReport, TrackingStatus};

/// Counters of the camera component (those of its [`Host`]).
pub type CameraStats = HostStats;

/// The MAVLink camera component. See the module docs for the poll contract.
pub struct CameraComponent {
    host: Host,
    config: CameraConfig,
    clock: config::WallClock,
    health: LinkHealth,
    mode: CameraMode,
    /// The photo pipeline: photos in flight, the series, the image counter, the files.
    photos: photos::Photos,
    video: Video,
    adjust: zoom::Adjustments,
    next_status: Option<Instant>,
    outage: outage::Outage,
    /// What the tracking service beside the camera shows (its flags and status are said under
    /// the camera's identity); the bridge hands a fresh one after every tracking step.
    tracking: TrackingStatus,
    /// The vehicle's attitude, for where the camera looks; the EXIF feed to the camera.
    pose: pose::Pose,
    exif: exif_feed::ExifFeed,
    /// The camera settings served over PARAM_EXT.
    settings: crate::core::settings::Settings,
    /// MAVLink FTP: serves the camera definition ([`definition`]).
    ftp: crate::core::settings::ftp::FtpServer,
    events: VecDeque<CameraEvent>,
}

impl CameraComponent {
    /// A component started at `now`, with no persisted state.
    pub fn new(config: CameraConfig, now: Instant) -> Self {
        let host = Host::new(
            HostConfig {
                system_id: config.system_id,
                component_id: config.component_id,
                dedupe_window: config.dedupe_window,
                allowed_systems: config.allowed_systems.clone(),
            },
            now,
        );
        Self {
            host,
            tracking: TrackingStatus::default(),
            photos: photos::Photos::new(config.media.clone(), PersistedState::default()),
            config,
            clock: config::WallClock::default(),
            health: LinkHealth::Searching,
            mode: CameraMode::CAMERA_MODE_IMAGE,
            video: Video::default(),
            adjust: zoom::Adjustments::default(),
            next_status: None,
            outage: outage::Outage::default(),
            events: VecDeque::new(),
            pose: pose::Pose::default(),
            exif: exif_feed::ExifFeed::default(),
            settings: crate::core::settings::Settings::default(),
            ftp: crate::core::settings::definition::ftp_server(),
        }
    }

    /// A component restored from a persisted state (image counter and records).
    pub fn with_state(config: CameraConfig, now: Instant, state: PersistedState) -> Self {
        let mut c = Self::new(config, now);
        c.photos = photos::Photos::new(c.config.media.clone(), state);
        c
    }

    /// Our current system id.
    pub fn system_id(&self) -> u8 {
        self.host.system_id()
    }

    /// Our component id.
    pub fn component_id(&self) -> u8 {
        self.host.component_id()
    }

    /// Counters.
    pub fn stats(&self) -> CameraStats {
        self.host.stats()
    }

    /// The MAVLink FTP server (counters, open sessions).
    pub fn ftp(&self) -> &crate::core::settings::ftp::FtpServer {
        &self.ftp
    }

    /// The MAVLink side every component shares (identity, de-dup, intervals, counters).
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The MAVLink side, to tell it what the bridge did with its frames.
    pub fn host_mut(&mut self) -> &mut Host {
        &mut self.host
    }

    /// The persistent state as it is now.
    pub fn persisted(&self) -> &PersistedState {
        self.photos.persisted()
    }

    /// Why the next photo would be refused now (index range used up, or saves fail and it is
    /// not covered by the last save), if it would.
    pub fn photo_refusal(&self) -> Option<&'static str> {
        self.photos.refusal()
    }

    /// Tells the component the wall-clock time (µs since the UNIX epoch) at `now`. Used for
    /// CAMERA_IMAGE_CAPTURED.time_utc; call it whenever convenient (every handle_* is fine).
    pub fn set_wall_clock(&mut self, now: Instant, utc_us: u64) {
        self.clock.set(now, utc_us);
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.host.poll_transmit()
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<CameraEvent> {
        while let Some(HostEvent::SystemIdLearned(s)) = self.host.poll_event() {
            self.events.push_back(CameraEvent::SystemIdLearned(s));
        }
        self.events.pop_front()
    }

    /// When [`CameraComponent::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let t = [
            self.photos.poll_timeout(),
            self.next_status,
            self.settings.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .fold(self.host.poll_timeout(), Instant::min);
        Some(t)
    }

    /// Runs the timers due at `now` (heartbeat, interval capture, periodic status, requested
    /// message intervals). Calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant, link: &mut impl LinkControl) {
        self.health = link.health();
        if self.host.heartbeat_due(now) {
            self.host
                .send(Target::All, messages::heartbeat(self.health));
        }
        if self.photos.tick(now, &mut self.host, link) {
            self.broadcast_capture_status(now, link);
        }
        if let Some(at) = self.next_status.filter(|at| now >= *at) {
            self.broadcast_capture_status(now, link);
            self.next_status = self
                .status_active(link)
                .then(|| next_tick(at, self.config.status_period, now));
        }
        (self.photos).handle_timeout(now, &mut self.host, &mut self.events);
        (self.settings).handle_timeout(now, self.mode, &mut self.host, link);
        // 0x20 readings raise no link event: values first read show up here (≤ 1 heartbeat).
        (self.settings).refresh(self.mode, &mut self.host, link);
    }

    /// Sends the message streams due at `now` (SET_MESSAGE_INTERVAL), after
    /// [`CameraComponent::handle_timeout`] and the tracking service's timers (so a tracking
    /// stream shows tracking's state at `now`).
    pub fn handle_streams(&mut self, now: Instant, link: &impl LinkControl) {
        for (peer, id) in self.host.due_intervals(now) {
            // A requested stream goes to the peer that asked, not to everyone.
            if let Some(msg) = self.view(now, link).build(id, 0) {
                self.host.send(Target::Peer(peer), msg);
            }
        }
    }

    fn status_active(&self, link: &impl LinkControl) -> bool {
        self.photos.series_active() || is_recording(link)
    }

    fn arm_status_timer(&mut self, now: Instant, link: &impl LinkControl) {
        if self.status_active(link) && self.next_status.is_none() {
            self.next_status = Some(now + self.config.status_period.max(MIN_TIMER_STEP));
        }
    }

    /// Handles one MAVLink frame from `peer` (`utc_us` = wall clock at `now`). A tracking
    /// command addressed to the camera is accepted by its host and handed back: the caller has
    /// the tracking service answer it, then calls [`CameraComponent::complete_tracking`].
    #[must_use = "a tracking command must be answered with complete_tracking"]
    pub fn handle_mavlink(
        &mut self,
        now: Instant,
        utc_us: u64,
        peer: PeerId,
        header: MavHeader,
        inbound: &Inbound,
        link: &mut impl LinkControl,
    ) -> Option<IncomingCommand> {
        self.set_wall_clock(now, utc_us);
        self.health = link.health();
        match self.host.accept(now, peer, header, inbound, is_request) {
            Accepted::Nothing => {}
            Accepted::Message {
                msg: mavlink::dialects::common::MavMessage::FILE_TRANSFER_PROTOCOL(f),
                ..
            } => (self.ftp).handle_message(now, &mut self.host, peer, header, f),
            Accepted::Message {
                msg,
                from_autopilot: true,
            } => {
                (self.pose).autopilot_message(now, self.host.system_id(), msg);
                self.exif.autopilot_message(now, msg, link);
            }
            Accepted::Message { msg, .. } => {
                let (mode, host) = (&mut self.mode, &mut self.host);
                if (self.settings).message(now, peer, header, msg, mode, host, link) {
                    self.broadcast_settings(now, link);
                }
            }
            Accepted::Command(c) if is_track_command(c.cmd.command) => return Some(c),
            Accepted::Command(c) => {
                let handled = self.dispatch(now, &c, link);
                self.host.complete(now, c, handled, is_request);
            }
        }
        (self.settings).refresh(self.mode, &mut self.host, link);
        None
    }

    /// Answers tracking command `c` (from [`CameraComponent::handle_mavlink`]) as the tracking
    /// service did (`handled`), then says what it reported.
    pub fn complete_tracking(
        &mut self,
        now: Instant,
        c: IncomingCommand,
        handled: Option<Handled>,
        report: TrackingReport,
        link: &impl LinkControl,
    ) {
        self.host.complete(now, c, handled, is_request);
        self.tracking_report(now, report, link);
        (self.settings).refresh(self.mode, &mut self.host, link);
    }

    /// Our autopilot's last position (unknown before one arrived, or after the system id
    /// changed to another autopilot).
    fn position(&self) -> Position {
        self.pose.position(self.host.system_id())
    }

    /// Handles a command addressed to us; `None` = not a command we handle (UNSUPPORTED).
    #[allow(deprecated)]
    fn dispatch(
        &mut self,
        now: Instant,
        c: &IncomingCommand,
        link: &mut impl LinkControl,
    ) -> Option<Handled> {
        use MavResult as R;
        let cmd = &c.cmd;
        // REQUEST_MESSAGE and the legacy REQUEST_* commands.
        if let Some(asked) = requests::asked_for(cmd) {
            return Some(match asked {
                Ok((id, param)) => self.request(now, id, param, link),
                Err(result) => Handled::just(result),
            });
        }
        Some(match cmd.command {
            MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL => {
                self.host
                    .set_interval(now, c.from.peer, cmd.p(1), cmd.p(2), &STREAMABLE)
            }
            MavCmd::MAV_CMD_SET_CAMERA_MODE => match requests::camera_mode(cmd) {
                Some(mode) => {
                    self.mode = mode;
                    Handled::then_all(R::MAV_RESULT_ACCEPTED, self.view(now, link).settings())
                }
                None => Handled::just(R::MAV_RESULT_DENIED),
            },
            MavCmd::MAV_CMD_IMAGE_START_CAPTURE => self.image_start(now, c, link),
            MavCmd::MAV_CMD_IMAGE_STOP_CAPTURE => {
                if self.photos.stop() {
                    tracing::info!(target: "camera", "interval capture stopped");
                }
                let status = self.view(now, link).capture_status();
                Handled::then_all(R::MAV_RESULT_ACCEPTED, status)
            }
            MavCmd::MAV_CMD_VIDEO_START_CAPTURE | MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE => {
                self.video.command(now, c, &mut self.host, link)
            }
            MavCmd::MAV_CMD_VIDEO_START_STREAMING | MavCmd::MAV_CMD_VIDEO_STOP_STREAMING => {
                Handled::just(requests::streaming(cmd))
            }
            MavCmd::MAV_CMD_SET_CAMERA_ZOOM => self.adjust.zoom(now, cmd.p(1), cmd.p(2), link),
            MavCmd::MAV_CMD_RESET_CAMERA_SETTINGS => {
                let handled = self.adjust.reset(now, link);
                if handled.result == MavResult::MAV_RESULT_ACCEPTED && !is_recording(link) {
                    self.mode = CameraMode::CAMERA_MODE_IMAGE;
                }
                handled
            }
            _ => return None,
        })
    }

    /// A message request (REQUEST_MESSAGE or a legacy REQUEST_*): ack + message.
    fn request(&mut self, now: Instant, id: u32, param: f32, link: &impl LinkControl) -> Handled {
        requests::answer(&self.view(now, link), identified(link.state()), id, param)
    }

    /// What the messages are built from, now.
    fn view<'a>(&'a self, now: Instant, link: &'a impl LinkControl) -> View<'a> {
        let (zoom, max_zoom) = zoom::current(link.state());
        View {
            time_boot_ms: self.host.boot_ms(now),
            state: link.state(),
            simulated: self.config.simulated,
            stream_uri: &self.config.stream_uri,
            mode: self.mode,
            zoom,
            max_zoom,
            persisted: self.photos.persisted(),
            files: self.photos.files(),
            position: self.position(),
            aim: self.aim(now, link),
            gimbal_device_id: self.config.gimbal_device_id,
            capture: self.photos.status(now, link),
            service_flags: self.tracking.flags(),
            tracking: self.tracking.image_status(),
            tracking_geo: (self.pose).tracking_geo(
                now,
                self.host.system_id(),
                link.state().attitude,
                self.tracking.reported,
                fov(link),
            ),
        }
    }

    fn aim(&self, now: Instant, link: &impl LinkControl) -> pose::Aim {
        let sys = self.host.system_id();
        (self.pose).aim(now, sys, link.state().attitude)
    }

    /// What the EXIF feed sent the camera so far.
    pub fn exif_feed(&self) -> exif_feed::FeedStats {
        self.exif.stats()
    }

    fn broadcast_capture_status(&mut self, now: Instant, link: &impl LinkControl) {
        let m = self.view(now, link).capture_status();
        self.host.send(Target::All, m);
        self.arm_status_timer(now, link);
    }

    fn broadcast_settings(&mut self, now: Instant, link: &impl LinkControl) {
        let m = self.view(now, link).settings();
        self.host.send(Target::All, m);
    }

    fn image_start(
        &mut self,
        now: Instant,
        c: &IncomingCommand,
        link: &mut impl LinkControl,
    ) -> Handled {
        let result = match self.photos.image_start(now, c, &mut self.host, link) {
            photos::Began::Refused(result) => return Handled::just(result),
            photos::Began::Single => MavResult::MAV_RESULT_IN_PROGRESS,
            photos::Began::Series => {
                self.arm_status_timer(now, link);
                MavResult::MAV_RESULT_ACCEPTED
            }
        };
        Handled::then_all(result, self.view(now, link).capture_status())
    }

    /// Next request for the camera's web server.
    pub fn poll_media_request(&mut self) -> Option<crate::core::media::MediaRequest> {
        self.photos.poll_media_request()
    }

    /// The shell's answer to media request `id`.
    pub fn handle_media_reply(
        &mut self,
        now: Instant,
        id: u64,
        reply: crate::core::media::Reply,
        _link: &impl LinkControl,
    ) {
        self.host.tick(now);
        let (host, events) = (&mut self.host, &mut self.events);
        self.photos.handle_media_reply(now, id, reply, host, events);
    }

    /// What the tracking service shows now (the last report the bridge handed over).
    pub fn tracking(&self) -> TrackingStatus {
        self.tracking
    }

    /// Says what the tracking service beside the camera reported (final acks, texts, status and
    /// capability changes) under the camera's identity, and keeps its status for the camera's
    /// messages.
    pub fn tracking_report(
        &mut self,
        now: Instant,
        report: TrackingReport,
        link: &impl LinkControl,
    ) {
        self.host.tick(now);
        self.tracking = report.status;
        if report.events.is_empty() {
            return;
        }
        if announce::tracking(&mut self.host, report) && identified(link.state()) {
            let info = self
                .view(now, link)
                .build(requests::ID_CAMERA_INFORMATION, 0);
            if let Some(m) = info {
                self.host.send(Target::All, m);
            }
        }
    }

    /// The app could not save the persisted state (read-only or full state dir). Tells the
    /// ground station once per failure state (STATUSTEXT warning); returns true on that change so
    /// the app logs it once. Photos go on until the indices covered by the last successful save
    /// are used up ([`persist::SaveHealth::refusal`]). Call after every failed save (the app
    /// logs why; the STATUSTEXT stays short).
    pub fn state_save_failed(&mut self) -> bool {
        self.photos.save_failed(&mut self.host)
    }

    /// The app saved `saved` (a state from [`CameraEvent::Persist`], or the start state). Tells
    /// the ground station once when saving works again after failures; returns true then.
    pub fn state_saved(&mut self, saved: &PersistedState) -> bool {
        self.photos.saved(saved, &mut self.host)
    }
}

/// The camera's field of view now (for the follow controller).
pub fn fov(link: &impl LinkControl) -> Fov {
    let (h_deg, v_deg) = optics::fov_deg(zoom::current(link.state()).0);
    Fov { h_deg, v_deg }
}
