//! The MAVLink camera component (camera protocol v2), sans-IO.
//!
//! [`CameraComponent`] turns MAVLink input ([`Inbound`]) and SIYI link events ([`LinkEvent`]) into
//! MAVLink output ([`Transmit`]) and operations on the link ([`LinkControl::start`]). It never reads
//! a clock, a socket or a file: `now` (monotonic) and `utc_us` (wall clock) are passed in.
//!
//! Poll contract: after any `handle_*` call, drain [`CameraComponent::poll_transmit`] and
//! [`CameraComponent::poll_event`], then sleep until [`CameraComponent::poll_timeout`] and call
//! [`CameraComponent::handle_timeout`] (early or spurious calls are harmless).
//!
//! Reply routing: a COMMAND_ACK and the data message it announces go back to the link/peer the
//! command came from ([`Target::Link`]); heartbeats, STATUSTEXT, CAMERA_IMAGE_CAPTURED, periodic
//! and on-change status go to every link ([`Target::All`]).

mod inbound;
pub mod messages;
pub mod optics;
pub mod persist;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    CameraMode, CameraZoomType, MavAutopilot, MavCmd, MavMessage, MavResult, MavSeverity, MavType,
    COMMAND_ACK_DATA,
};
use mavlink::MavHeader;
use siyi_protocol::{RecordState, ZoomDirection};

use inbound::Command;
pub use inbound::{Inbound, RawCommand};
pub use messages::Position;
pub use persist::{ImageRecord, PersistedState};

use crate::core::link::{LinkControl, LinkEvent, LinkHealth, OpId, OpOutcome, Operation};

/// Identifies one MAVLink peer (a socket, or one remote address on a `udpin` socket).
pub type LinkId = u32;

/// Where a [`Transmit`] goes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Target {
    /// Every link / peer.
    All,
    /// Only the peer a request came from.
    Link(LinkId),
}

/// An outgoing MAVLink message.
#[derive(Clone, PartialEq, Debug)]
#[allow(clippy::large_enum_variant)] // the common case is the large one
pub enum Outgoing {
    /// A message of the `common` dialect.
    Message(MavMessage),
    /// COMMAND_ACK for a command number `common` does not know (the crate's `MavCmd` cannot hold
    /// it, so the I/O layer encodes this one by hand).
    UnknownCommandAck {
        /// The command number.
        command: u16,
        /// The result (UNSUPPORTED).
        result: MavResult,
        /// The sender's system id.
        target_system: u8,
        /// The sender's component id.
        target_component: u8,
    },
}

/// One message to send, with the header ids to send it with.
#[derive(Clone, PartialEq, Debug)]
pub struct Transmit {
    /// Where to.
    pub target: Target,
    /// Our system id at the time.
    pub system_id: u8,
    /// Our component id.
    pub component_id: u8,
    /// What.
    pub message: Outgoing,
}

impl Transmit {
    /// The message, if it is a `common` one.
    pub fn mav(&self) -> Option<&MavMessage> {
        match &self.message {
            Outgoing::Message(m) => Some(m),
            Outgoing::UnknownCommandAck { .. } => None,
        }
    }
}

/// Something the application should act on.
#[derive(Clone, PartialEq, Debug)]
pub enum CameraEvent {
    /// The persistent state changed: write it (atomically) so it survives a restart.
    Persist(PersistedState),
    /// The system id was learned from the autopilot's heartbeat.
    SystemIdLearned(u8),
}

/// Configuration of the camera component.
#[derive(Clone, PartialEq, Debug)]
pub struct CameraConfig {
    /// Fixed system id; `None` = learn it from the autopilot's HEARTBEAT (1 until then).
    pub system_id: Option<u8>,
    /// Component id (100 = MAV_COMP_ID_CAMERA; QGC 5 only looks at 100–105).
    pub component_id: u8,
    /// RTSP URI advertised in VIDEO_STREAM_INFORMATION.
    pub stream_uri: String,
    /// How long a command is remembered to recognise retransmissions.
    pub dedupe_window: Duration,
    /// Period of CAMERA_CAPTURE_STATUS while recording or capturing at an interval.
    pub status_period: Duration,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self {
            system_id: None,
            component_id: 100,
            stream_uri: "rtsp://192.168.144.25:8554/main.264".to_owned(),
            dedupe_window: Duration::from_secs(3),
            status_period: Duration::from_secs(1),
        }
    }
}

/// Counters (for logs and tests).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CameraStats {
    /// Commands addressed to us.
    pub commands: u64,
    /// Retransmissions answered from the dedupe table.
    pub duplicates: u64,
    /// Commands for someone else.
    pub ignored: u64,
    /// Commands with a number `common` does not know (addressed to us).
    pub unknown_commands: u64,
    /// Frames that did not parse.
    pub unparsed: u64,
}

/// Heartbeat period.
const HEARTBEAT_PERIOD: Duration = Duration::from_secs(1);
/// Default rate for SET_MESSAGE_INTERVAL with interval 0.
const DEFAULT_STREAM_PERIOD: Duration = Duration::from_secs(1);
/// Fastest rate honoured for SET_MESSAGE_INTERVAL.
const MIN_STREAM_PERIOD: Duration = Duration::from_millis(50);
/// Slowest rate honoured for SET_MESSAGE_INTERVAL (longer intervals are clamped).
const MAX_STREAM_PERIOD: Duration = Duration::from_secs(3600);
/// Zoom max when the camera did not report one (A8 mini: 6×).
const DEFAULT_MAX_ZOOM: f32 = 6.0;
/// Oldest A8 mini camera firmware known to work well (ArduPilot's minimum, 0.2.1).
const OLDEST_GOOD_FIRMWARE: (u8, u8, u8) = (0, 2, 1);
/// MAV_COMP_ID_AUTOPILOT1.
const AUTOPILOT_COMPONENT: u8 = 1;

const ID_CAMERA_INFORMATION: u32 = 259;
const ID_CAMERA_SETTINGS: u32 = 260;
const ID_STORAGE_INFORMATION: u32 = 261;
const ID_CAMERA_CAPTURE_STATUS: u32 = 262;
const ID_CAMERA_IMAGE_CAPTURED: u32 = 263;
const ID_VIDEO_STREAM_INFORMATION: u32 = 269;
const ID_VIDEO_STREAM_STATUS: u32 = 270;
const ID_CAMERA_FOV_STATUS: u32 = 271;

/// Who sent a command (for the reply).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Requester {
    link: LinkId,
    system: u8,
    component: u8,
}

/// Retransmission key: sender + command + parameter bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct DedupeKey {
    system: u8,
    component: u8,
    command: u16,
    params: [u32; 7],
}

struct DedupeEntry {
    key: DedupeKey,
    seen: Instant,
    result: MavResult,
}

/// What a started operation belongs to.
#[derive(Clone, Copy, Debug)]
enum Pending {
    /// A single photo from IMAGE_START_CAPTURE count 1 (final ack pending).
    SinglePhoto { from: Requester, key: DedupeKey },
    /// A photo of an interval series (no ack).
    SeriesPhoto,
    /// VIDEO_START/STOP_CAPTURE (final ack pending).
    Video {
        from: Requester,
        key: DedupeKey,
        cmd: MavCmd,
    },
    /// Zoom, centering: report failures only.
    Quiet { what: &'static str },
}

/// Interval capture in progress.
#[derive(Clone, Copy, Debug)]
struct Series {
    interval: Duration,
    /// Photos still to start (None = until stopped).
    remaining: Option<u32>,
    next_at: Instant,
}

/// Result of handling one command: the ack and the messages that follow it.
struct Handled {
    result: MavResult,
    /// Data for the requester, after the ack.
    then: Vec<MavMessage>,
    /// State changes for everyone (e.g. CAMERA_CAPTURE_STATUS), after the ack.
    then_all: Vec<MavMessage>,
}

impl Handled {
    fn just(result: MavResult) -> Self {
        Self {
            result,
            then: Vec::new(),
            then_all: Vec::new(),
        }
    }
}

/// The MAVLink camera component. See the module docs for the poll contract.
pub struct CameraComponent {
    config: CameraConfig,
    start: Instant,
    system_id: u8,
    learned: bool,
    utc_ref: Option<(Instant, u64)>,
    health: LinkHealth,
    mode: CameraMode,
    persisted: PersistedState,
    position: Option<Position>,
    dedupe: Vec<DedupeEntry>,
    pending: HashMap<OpId, Pending>,
    photo_in_flight: Option<OpId>,
    series: Option<Series>,
    next_heartbeat: Instant,
    next_status: Option<Instant>,
    intervals: BTreeMap<u32, (Duration, Instant)>,
    out: VecDeque<Transmit>,
    events: VecDeque<CameraEvent>,
    stats: CameraStats,
    save_health: persist::SaveHealth,
}

impl CameraComponent {
    /// A component started at `now`, with no persisted state.
    pub fn new(config: CameraConfig, now: Instant) -> Self {
        Self {
            system_id: config.system_id.unwrap_or(1),
            learned: false,
            config,
            start: now,
            utc_ref: None,
            health: LinkHealth::Searching,
            mode: CameraMode::CAMERA_MODE_IMAGE,
            persisted: PersistedState::default(),
            position: None,
            dedupe: Vec::new(),
            pending: HashMap::new(),
            photo_in_flight: None,
            series: None,
            next_heartbeat: now,
            next_status: None,
            intervals: BTreeMap::new(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            stats: CameraStats::default(),
            save_health: persist::SaveHealth::default(),
        }
    }

    /// A component restored from a persisted state (image counter and records).
    pub fn with_state(config: CameraConfig, now: Instant, state: PersistedState) -> Self {
        let mut c = Self::new(config, now);
        c.persisted = state;
        c
    }

    /// Our current system id.
    pub fn system_id(&self) -> u8 {
        self.system_id
    }

    /// Our component id.
    pub fn component_id(&self) -> u8 {
        self.config.component_id
    }

    /// Counters.
    pub fn stats(&self) -> CameraStats {
        self.stats
    }

    /// The persistent state as it is now.
    pub fn persisted(&self) -> &PersistedState {
        &self.persisted
    }

    /// Tells the component the wall-clock time (µs since the UNIX epoch) at `now`. Used for
    /// CAMERA_IMAGE_CAPTURED.time_utc; call it whenever convenient (every handle_* is fine).
    pub fn set_wall_clock(&mut self, now: Instant, utc_us: u64) {
        self.utc_ref = Some((now, utc_us));
    }

    fn utc_us(&self, now: Instant) -> u64 {
        match self.utc_ref {
            Some((at, utc)) if now >= at => {
                utc.saturating_add(now.duration_since(at).as_micros() as u64)
            }
            Some((at, utc)) => utc.saturating_sub(at.duration_since(now).as_micros() as u64),
            None => 0,
        }
    }

    fn boot_ms(&self, now: Instant) -> u32 {
        now.saturating_duration_since(self.start).as_millis() as u32
    }

    fn send(&mut self, target: Target, msg: MavMessage) {
        self.out.push_back(Transmit {
            target,
            system_id: self.system_id,
            component_id: self.config.component_id,
            message: Outgoing::Message(msg),
        });
    }

    fn ack(&mut self, to: Requester, command: MavCmd, result: MavResult) {
        let progress = if result == MavResult::MAV_RESULT_IN_PROGRESS {
            u8::MAX
        } else {
            0
        };
        self.send(
            Target::Link(to.link),
            MavMessage::COMMAND_ACK(COMMAND_ACK_DATA {
                command,
                result,
                progress,
                result_param2: 0,
                target_system: to.system,
                target_component: to.component,
            }),
        );
    }

    fn statustext(&mut self, severity: MavSeverity, text: &str) {
        tracing::info!(target: "camera", "STATUSTEXT: {text}");
        self.send(Target::All, messages::statustext(severity, text));
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<CameraEvent> {
        self.events.pop_front()
    }

    /// When [`CameraComponent::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t = self.next_heartbeat;
        if let Some(s) = &self.series {
            t = t.min(s.next_at);
        }
        if let Some(s) = self.next_status {
            t = t.min(s);
        }
        for (_, at) in self.intervals.values() {
            t = t.min(*at);
        }
        Some(t)
    }

    /// Runs the timers due at `now` (heartbeat, interval capture, periodic status, requested
    /// message intervals). Calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant, link: &mut impl LinkControl) {
        self.health = link.health();
        if now >= self.next_heartbeat {
            self.send(Target::All, messages::heartbeat(self.health));
            self.next_heartbeat = next_tick(self.next_heartbeat, HEARTBEAT_PERIOD, now);
        }
        if let Some(mut s) = self.series {
            if now >= s.next_at {
                if self.health != LinkHealth::Up {
                    self.series = None;
                    self.statustext(
                        MavSeverity::MAV_SEVERITY_WARNING,
                        "Interval capture stopped: camera lost",
                    );
                    self.broadcast_capture_status(now, link);
                } else {
                    if self.photo_in_flight.is_none() {
                        self.start_series_photo(now, &mut s, link);
                    }
                    s.next_at = next_tick(s.next_at, s.interval, now);
                    self.series = if s.remaining == Some(0) {
                        None
                    } else {
                        Some(s)
                    };
                    if self.series.is_none() && self.photo_in_flight.is_none() {
                        self.broadcast_capture_status(now, link);
                    }
                }
            }
        }
        if let Some(at) = self.next_status {
            if now >= at {
                self.broadcast_capture_status(now, link);
                self.next_status = if self.status_active(link) {
                    Some(next_tick(at, self.config.status_period, now))
                } else {
                    None
                };
            }
        }
        let due: Vec<u32> = self
            .intervals
            .iter()
            .filter(|(_, (_, at))| now >= *at)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(msg) = self.build_message(now, id, 0, link) {
                self.send(Target::All, msg);
            }
            if let Some((period, at)) = self.intervals.get_mut(&id) {
                *at = next_tick(*at, *period, now);
            }
        }
    }

    fn status_active(&self, link: &impl LinkControl) -> bool {
        self.series.is_some() || is_recording(link)
    }

    fn arm_status_timer(&mut self, now: Instant, link: &impl LinkControl) {
        if self.status_active(link) && self.next_status.is_none() {
            self.next_status = Some(now + self.config.status_period);
        }
    }

    fn start_series_photo(&mut self, now: Instant, s: &mut Series, link: &mut impl LinkControl) {
        let id = link.start(now, Operation::TakePhoto);
        self.pending.insert(id, Pending::SeriesPhoto);
        self.photo_in_flight = Some(id);
        if let Some(r) = s.remaining.as_mut() {
            *r = r.saturating_sub(1);
        }
    }

    /// Handles one MAVLink frame from `link_id` (`utc_us` = wall clock at `now`).
    pub fn handle_mavlink(
        &mut self,
        now: Instant,
        utc_us: u64,
        link_id: LinkId,
        header: MavHeader,
        inbound: &Inbound,
        link: &mut impl LinkControl,
    ) {
        self.set_wall_clock(now, utc_us);
        self.health = link.health();
        let Ok(sender_sys) = u8::try_from(header.system_id) else {
            return; // 32-bit system ids are not ours to answer
        };
        if sender_sys == self.system_id && header.component_id == self.config.component_id {
            return; // our own message looped back
        }
        let from = Requester {
            link: link_id,
            system: sender_sys,
            component: header.component_id,
        };
        match inbound {
            Inbound::Message(MavMessage::HEARTBEAT(hb)) => {
                if self.config.system_id.is_none()
                    && header.component_id == AUTOPILOT_COMPONENT
                    && hb.mavtype != MavType::MAV_TYPE_GCS
                    && hb.autopilot != MavAutopilot::MAV_AUTOPILOT_INVALID
                    && (!self.learned || self.system_id != sender_sys)
                {
                    tracing::info!(target: "camera", system_id = sender_sys, "system id learned from the autopilot heartbeat");
                    self.system_id = sender_sys;
                    self.learned = true;
                    self.events
                        .push_back(CameraEvent::SystemIdLearned(sender_sys));
                }
            }
            Inbound::Message(MavMessage::GLOBAL_POSITION_INT(p)) => {
                if header.component_id == AUTOPILOT_COMPONENT
                    && (sender_sys == self.system_id || !self.learned)
                {
                    self.position = Some(Position {
                        lat_e7: p.lat,
                        lon_e7: p.lon,
                        alt_mm: p.alt,
                        relative_alt_mm: p.relative_alt,
                    });
                }
            }
            Inbound::Message(MavMessage::COMMAND_LONG(c)) => {
                self.command(now, from, Command::from_long(c), link);
            }
            Inbound::Message(MavMessage::COMMAND_INT(c)) => {
                self.command(now, from, Command::from_int(c), link);
            }
            Inbound::Message(_) => {}
            Inbound::UnknownCommand(raw) => {
                if raw.target_system != 0 && raw.target_system != self.system_id
                    || raw.target_component != self.config.component_id
                {
                    // Broadcast unknown commands are for someone else: an UNSUPPORTED from us
                    // would race the real answer of the component that handles them.
                    self.stats.ignored += 1;
                    return;
                }
                self.stats.unknown_commands += 1;
                self.out.push_back(Transmit {
                    target: Target::Link(link_id),
                    system_id: self.system_id,
                    component_id: self.config.component_id,
                    message: Outgoing::UnknownCommandAck {
                        command: raw.command,
                        result: MavResult::MAV_RESULT_UNSUPPORTED,
                        target_system: sender_sys,
                        target_component: header.component_id,
                    },
                });
            }
            Inbound::Unparsed { .. } => self.stats.unparsed += 1,
        }
    }

    fn command(
        &mut self,
        now: Instant,
        from: Requester,
        cmd: Command,
        link: &mut impl LinkControl,
    ) {
        if cmd.target_system != 0 && cmd.target_system != self.system_id {
            self.stats.ignored += 1;
            return;
        }
        let broadcast = cmd.target_component == 0;
        if !broadcast && cmd.target_component != self.config.component_id {
            self.stats.ignored += 1;
            return;
        }
        let key = DedupeKey {
            system: from.system,
            component: from.component,
            command: cmd.command as u16,
            params: cmd.params.map(f32::to_bits),
        };
        let window = self.config.dedupe_window;
        self.dedupe
            .retain(|e| now.saturating_duration_since(e.seen) <= window);
        // Requests are idempotent: a retransmitted one is answered again in full (the client may
        // have missed the data message, not only the ack). Actions are never executed twice.
        let action = !is_request(cmd.command);
        if action && cmd.confirmation > 0 {
            if let Some(e) = self.dedupe.iter_mut().find(|e| e.key == key) {
                e.seen = now;
                let result = e.result;
                self.stats.duplicates += 1;
                self.ack(from, cmd.command, result);
                return;
            }
        }
        let Some(handled) = self.dispatch(now, from, key, &cmd, link) else {
            if broadcast {
                self.stats.ignored += 1;
            } else {
                self.stats.commands += 1;
                self.remember(key, now, MavResult::MAV_RESULT_UNSUPPORTED);
                self.ack(from, cmd.command, MavResult::MAV_RESULT_UNSUPPORTED);
            }
            return;
        };
        if broadcast
            && matches!(
                handled.result,
                MavResult::MAV_RESULT_DENIED | MavResult::MAV_RESULT_UNSUPPORTED
            )
        {
            // A broadcast we cannot serve (e.g. REQUEST_MESSAGE for AUTOPILOT_VERSION) is for
            // another component: a DENIED from us would race its real answer.
            self.stats.ignored += 1;
            return;
        }
        self.stats.commands += 1;
        if action {
            self.remember(key, now, handled.result);
        }
        self.ack(from, cmd.command, handled.result);
        for m in handled.then {
            self.send(Target::Link(from.link), m);
        }
        for m in handled.then_all {
            self.send(Target::All, m);
        }
    }

    fn remember(&mut self, key: DedupeKey, now: Instant, result: MavResult) {
        if let Some(e) = self.dedupe.iter_mut().find(|e| e.key == key) {
            e.seen = now;
            e.result = result;
        } else {
            self.dedupe.push(DedupeEntry {
                key,
                seen: now,
                result,
            });
        }
    }

    fn set_remembered(&mut self, key: DedupeKey, result: MavResult) {
        if let Some(e) = self.dedupe.iter_mut().find(|e| e.key == key) {
            e.result = result;
        }
    }

    fn identified(link: &impl LinkControl) -> bool {
        let s = link.state();
        s.model.is_some() && s.camera_fw.is_some_and(|fw| !fw.is_zero())
    }

    /// Handles a command addressed to us; `None` = not a command we handle (UNSUPPORTED).
    #[allow(deprecated)]
    fn dispatch(
        &mut self,
        now: Instant,
        from: Requester,
        key: DedupeKey,
        cmd: &Command,
        link: &mut impl LinkControl,
    ) -> Option<Handled> {
        use MavResult as R;
        let flag = |v: f32| v.is_finite() && v.round() != 0.0;
        Some(match cmd.command {
            MavCmd::MAV_CMD_REQUEST_MESSAGE => {
                let id = cmd.p(1);
                if !(0.0..=16_777_215.0).contains(&id) {
                    Handled::just(R::MAV_RESULT_DENIED)
                } else {
                    self.request(now, id as u32, cmd.p(2), link)
                }
            }
            MavCmd::MAV_CMD_REQUEST_CAMERA_INFORMATION => {
                self.legacy_request(now, flag(cmd.p(1)), ID_CAMERA_INFORMATION, 0.0, link)
            }
            MavCmd::MAV_CMD_REQUEST_CAMERA_SETTINGS => {
                self.legacy_request(now, flag(cmd.p(1)), ID_CAMERA_SETTINGS, 0.0, link)
            }
            MavCmd::MAV_CMD_REQUEST_STORAGE_INFORMATION => {
                self.legacy_request(now, flag(cmd.p(2)), ID_STORAGE_INFORMATION, cmd.p(1), link)
            }
            MavCmd::MAV_CMD_REQUEST_CAMERA_CAPTURE_STATUS => {
                self.legacy_request(now, flag(cmd.p(1)), ID_CAMERA_CAPTURE_STATUS, 0.0, link)
            }
            MavCmd::MAV_CMD_REQUEST_CAMERA_IMAGE_CAPTURE => {
                self.request(now, ID_CAMERA_IMAGE_CAPTURED, cmd.p(1), link)
            }
            MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION => {
                self.request(now, ID_VIDEO_STREAM_INFORMATION, cmd.p(1), link)
            }
            MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_STATUS => {
                self.request(now, ID_VIDEO_STREAM_STATUS, cmd.p(1), link)
            }
            MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL => self.set_interval(now, cmd.p(1), cmd.p(2)),
            MavCmd::MAV_CMD_SET_CAMERA_MODE => {
                let mode = cmd.p(2);
                if mode == 0.0 || mode == 1.0 {
                    self.mode = if mode == 0.0 {
                        CameraMode::CAMERA_MODE_IMAGE
                    } else {
                        CameraMode::CAMERA_MODE_VIDEO
                    };
                    let settings = self.settings_msg(now, link);
                    Handled {
                        result: R::MAV_RESULT_ACCEPTED,
                        then: Vec::new(),
                        then_all: vec![settings],
                    }
                } else {
                    Handled::just(R::MAV_RESULT_DENIED)
                }
            }
            MavCmd::MAV_CMD_IMAGE_START_CAPTURE => self.image_start(now, from, key, cmd, link),
            MavCmd::MAV_CMD_IMAGE_STOP_CAPTURE => {
                if self.series.take().is_some() {
                    tracing::info!(target: "camera", "interval capture stopped");
                }
                let status = self.capture_status_msg(now, link);
                Handled {
                    result: R::MAV_RESULT_ACCEPTED,
                    then: Vec::new(),
                    then_all: vec![status],
                }
            }
            MavCmd::MAV_CMD_VIDEO_START_CAPTURE | MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE => {
                self.video(now, from, key, cmd.command, link)
            }
            MavCmd::MAV_CMD_VIDEO_START_STREAMING => {
                // The camera's RTSP server always runs; stream 0 = all, 1 = ours.
                let id = cmd.p(1);
                Handled::just(if id == 0.0 || id == 1.0 {
                    R::MAV_RESULT_ACCEPTED
                } else {
                    R::MAV_RESULT_DENIED
                })
            }
            MavCmd::MAV_CMD_VIDEO_STOP_STREAMING => {
                // The A8 mini cannot stop its RTSP server.
                Handled::just(R::MAV_RESULT_DENIED)
            }
            MavCmd::MAV_CMD_SET_CAMERA_ZOOM => self.zoom(now, cmd.p(1), cmd.p(2), link),
            MavCmd::MAV_CMD_RESET_CAMERA_SETTINGS => {
                if link.health() != LinkHealth::Up {
                    Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED)
                } else {
                    let z = link.start(now, Operation::ZoomTo { factor: 1.0 });
                    self.pending
                        .insert(z, Pending::Quiet { what: "Zoom reset" });
                    let c = link.start(now, Operation::Center);
                    self.pending.insert(
                        c,
                        Pending::Quiet {
                            what: "Gimbal centering",
                        },
                    );
                    if !is_recording(link) {
                        self.mode = CameraMode::CAMERA_MODE_IMAGE;
                    }
                    Handled::just(R::MAV_RESULT_ACCEPTED)
                }
            }
            _ => return None,
        })
    }

    fn legacy_request(
        &mut self,
        now: Instant,
        wanted: bool,
        id: u32,
        param: f32,
        link: &mut impl LinkControl,
    ) -> Handled {
        if wanted {
            self.request(now, id, param, link)
        } else {
            Handled::just(MavResult::MAV_RESULT_ACCEPTED)
        }
    }

    /// A message request (REQUEST_MESSAGE or a legacy REQUEST_*): ack + message.
    fn request(
        &mut self,
        now: Instant,
        id: u32,
        param: f32,
        link: &mut impl LinkControl,
    ) -> Handled {
        use MavResult as R;
        if !matches!(
            id,
            ID_CAMERA_INFORMATION
                | ID_CAMERA_SETTINGS
                | ID_STORAGE_INFORMATION
                | ID_CAMERA_CAPTURE_STATUS
                | ID_CAMERA_IMAGE_CAPTURED
                | ID_VIDEO_STREAM_INFORMATION
                | ID_VIDEO_STREAM_STATUS
                | ID_CAMERA_FOV_STATUS
        ) {
            return Handled::just(R::MAV_RESULT_DENIED);
        }
        if !Self::identified(link) {
            return Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        let param = if param.is_finite() { param } else { 0.0 };
        match id {
            ID_STORAGE_INFORMATION | ID_VIDEO_STREAM_INFORMATION | ID_VIDEO_STREAM_STATUS
                if param != 0.0 && param != 1.0 =>
            {
                return Handled::just(R::MAV_RESULT_DENIED);
            }
            _ => {}
        }
        match self.build_message(now, id, param as i64, link) {
            Some(m) => Handled {
                result: R::MAV_RESULT_ACCEPTED,
                then: vec![m],
                then_all: Vec::new(),
            },
            // Only CAMERA_IMAGE_CAPTURED for an index we have no record of.
            None => Handled::just(R::MAV_RESULT_FAILED),
        }
    }

    fn current_zoom(link: &impl LinkControl) -> (f32, f32) {
        let s = link.state();
        let zoom = s.zoom.map(|(z, _)| z.value.factor()).unwrap_or(1.0);
        let max = s
            .max_zoom
            .map(|z| z.factor())
            .filter(|m| *m >= 1.0)
            .unwrap_or(DEFAULT_MAX_ZOOM);
        (zoom, max)
    }

    fn settings_msg(&self, now: Instant, link: &impl LinkControl) -> MavMessage {
        let (zoom, max) = Self::current_zoom(link);
        messages::camera_settings(self.boot_ms(now), self.mode, zoom, max)
    }

    fn capture_status_msg(&self, now: Instant, link: &impl LinkControl) -> MavMessage {
        let s = link.state();
        let recording = is_recording(link);
        let recording_time_ms = s
            .recording_since
            .map(|t| now.saturating_duration_since(t).as_millis() as u32)
            .unwrap_or(0);
        messages::capture_status(
            self.boot_ms(now),
            messages::CaptureStatus {
                photo_in_progress: self.photo_in_flight.is_some(),
                interval_s: self.series.map(|s| s.interval.as_secs_f32()),
                recording,
                recording_time_ms,
                image_count: self.persisted.image_count,
            },
        )
    }

    fn broadcast_capture_status(&mut self, now: Instant, link: &impl LinkControl) {
        let m = self.capture_status_msg(now, link);
        self.send(Target::All, m);
        self.arm_status_timer(now, link);
    }

    /// Builds message `id` (param: storage/stream id or image index).
    fn build_message(
        &self,
        now: Instant,
        id: u32,
        param: i64,
        link: &impl LinkControl,
    ) -> Option<MavMessage> {
        let t = self.boot_ms(now);
        let state = link.state();
        let (zoom, _) = Self::current_zoom(link);
        Some(match id {
            ID_CAMERA_INFORMATION => messages::camera_information(t, state),
            ID_CAMERA_SETTINGS => self.settings_msg(now, link),
            ID_STORAGE_INFORMATION => {
                messages::storage_information(t, state.record.map(|r| r.value), 1)
            }
            ID_CAMERA_CAPTURE_STATUS => self.capture_status_msg(now, link),
            ID_CAMERA_IMAGE_CAPTURED => {
                let index = i32::try_from(param).ok()?;
                let r = self.persisted.records.get(&index)?;
                messages::image_captured(t, r)
            }
            ID_VIDEO_STREAM_INFORMATION => messages::video_stream_information(
                state,
                &self.config.stream_uri,
                optics::fov_deg(zoom).0,
            ),
            ID_VIDEO_STREAM_STATUS => messages::video_stream_status(state, optics::fov_deg(zoom).0),
            ID_CAMERA_FOV_STATUS => {
                messages::fov_status(t, zoom, self.position.unwrap_or(Position::UNKNOWN))
            }
            _ => return None,
        })
    }

    fn set_interval(&mut self, now: Instant, id: f32, interval_us: f32) -> Handled {
        use MavResult as R;
        let streamable = [
            ID_CAMERA_SETTINGS,
            ID_STORAGE_INFORMATION,
            ID_CAMERA_CAPTURE_STATUS,
            ID_VIDEO_STREAM_STATUS,
            ID_CAMERA_FOV_STATUS,
        ];
        if !id.is_finite() || id < 0.0 || !streamable.contains(&(id as u32)) {
            return Handled::just(R::MAV_RESULT_DENIED);
        }
        let id = id as u32;
        if interval_us == -1.0 {
            self.intervals.remove(&id);
        } else if interval_us == 0.0 {
            self.intervals
                .insert(id, (DEFAULT_STREAM_PERIOD, now + DEFAULT_STREAM_PERIOD));
        } else if interval_us.is_finite() && interval_us > 0.0 {
            let period = Duration::from_micros(interval_us as u64)
                .clamp(MIN_STREAM_PERIOD, MAX_STREAM_PERIOD);
            self.intervals.insert(id, (period, now + period));
        } else {
            return Handled::just(R::MAV_RESULT_DENIED);
        }
        Handled::just(R::MAV_RESULT_ACCEPTED)
    }

    fn image_start(
        &mut self,
        now: Instant,
        from: Requester,
        key: DedupeKey,
        cmd: &Command,
        link: &mut impl LinkControl,
    ) -> Handled {
        use MavResult as R;
        let interval_s = cmd.p(2);
        let count = cmd.p(3);
        if !count.is_finite() || count < 0.0 {
            return Handled::just(R::MAV_RESULT_DENIED);
        }
        if link.health() != LinkHealth::Up {
            self.statustext(
                MavSeverity::MAV_SEVERITY_WARNING,
                "Photo refused: camera not connected",
            );
            return Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        if self.photo_in_flight.is_some() || self.series.is_some() {
            return Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        if self.index_refused() {
            return Handled::just(R::MAV_RESULT_FAILED);
        }
        if count == 1.0 {
            let id = link.start(now, Operation::TakePhoto);
            self.pending.insert(id, Pending::SinglePhoto { from, key });
            self.photo_in_flight = Some(id);
            let status = self.capture_status_msg(now, link);
            return Handled {
                result: R::MAV_RESULT_IN_PROGRESS,
                then: Vec::new(),
                then_all: vec![status],
            };
        }
        if !interval_s.is_finite() || interval_s <= 0.0 || interval_s > 3600.0 {
            return Handled::just(R::MAV_RESULT_DENIED);
        }
        let interval = Duration::from_secs_f32(interval_s);
        let mut s = Series {
            interval,
            remaining: if count == 0.0 {
                None
            } else {
                Some(count as u32)
            },
            next_at: now + interval,
        };
        self.start_series_photo(now, &mut s, link);
        self.series = Some(s);
        self.arm_status_timer(now, link);
        let status = self.capture_status_msg(now, link);
        Handled {
            result: R::MAV_RESULT_ACCEPTED,
            then: Vec::new(),
            then_all: vec![status],
        }
    }

    fn video(
        &mut self,
        now: Instant,
        from: Requester,
        key: DedupeKey,
        command: MavCmd,
        link: &mut impl LinkControl,
    ) -> Handled {
        use MavResult as R;
        if link.health() != LinkHealth::Up {
            self.statustext(
                MavSeverity::MAV_SEVERITY_WARNING,
                "Recording refused: camera not connected",
            );
            return Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        if self
            .pending
            .values()
            .any(|p| matches!(p, Pending::Video { .. }))
        {
            return Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        let op = if command == MavCmd::MAV_CMD_VIDEO_START_CAPTURE {
            Operation::StartRecording
        } else {
            Operation::StopRecording
        };
        let id = link.start(now, op);
        self.pending.insert(
            id,
            Pending::Video {
                from,
                key,
                cmd: command,
            },
        );
        Handled::just(R::MAV_RESULT_IN_PROGRESS)
    }

    fn zoom(
        &mut self,
        now: Instant,
        zoom_type: f32,
        value: f32,
        link: &mut impl LinkControl,
    ) -> Handled {
        use MavResult as R;
        if !value.is_finite() || !zoom_type.is_finite() {
            return Handled::just(R::MAV_RESULT_DENIED);
        }
        let (current, max) = Self::current_zoom(link);
        let in_range = |f: f32| (1.0 - 1e-3..=max + 1e-3).contains(&f);
        let t = zoom_type as u32;
        let op = if t == CameraZoomType::ZOOM_TYPE_CONTINUOUS as u32 {
            Operation::ZoomContinuous(if value > 0.0 {
                ZoomDirection::In
            } else if value < 0.0 {
                ZoomDirection::Out
            } else {
                ZoomDirection::Stop
            })
        } else if t == CameraZoomType::ZOOM_TYPE_RANGE as u32 {
            if !(0.0..=100.0).contains(&value) {
                return Handled::just(R::MAV_RESULT_DENIED);
            }
            Operation::ZoomTo {
                factor: 1.0 + (max - 1.0) * value / 100.0,
            }
        } else if t == CameraZoomType::ZOOM_TYPE_STEP as u32 {
            // One step = a tenth of the range (0.5× on the A8 mini).
            let step = (max - 1.0) / 10.0;
            Operation::ZoomTo {
                factor: (current + value.round() * step).clamp(1.0, max),
            }
        } else if t == CameraZoomType::ZOOM_TYPE_FOCAL_LENGTH as u32 {
            let f = value / optics::FOCAL_LENGTH_MM;
            if !in_range(f) {
                return Handled::just(R::MAV_RESULT_DENIED);
            }
            Operation::ZoomTo {
                factor: f.clamp(1.0, max),
            }
        } else if t == CameraZoomType::ZOOM_TYPE_HORIZONTAL_FOV as u32 {
            if value <= 0.0 || value >= 180.0 {
                return Handled::just(R::MAV_RESULT_DENIED);
            }
            let f = optics::zoom_for_hfov(value);
            if !in_range(f) {
                return Handled::just(R::MAV_RESULT_DENIED);
            }
            Operation::ZoomTo {
                factor: f.clamp(1.0, max),
            }
        } else {
            return Handled::just(R::MAV_RESULT_DENIED);
        };
        if link.health() != LinkHealth::Up {
            return Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        let id = link.start(now, op);
        self.pending.insert(id, Pending::Quiet { what: "Zoom" });
        Handled::just(R::MAV_RESULT_ACCEPTED)
    }

    /// Handles an event of the SIYI link.
    pub fn handle_link_event(
        &mut self,
        now: Instant,
        event: LinkEvent,
        link: &mut impl LinkControl,
    ) {
        match event {
            LinkEvent::Health { from, to } => {
                self.health = to;
                match to {
                    LinkHealth::Lost => self.statustext(
                        MavSeverity::MAV_SEVERITY_WARNING,
                        "Camera lost: SIYI camera not answering",
                    ),
                    LinkHealth::Up if from == LinkHealth::Lost => {
                        self.statustext(MavSeverity::MAV_SEVERITY_INFO, "Camera back")
                    }
                    _ => {}
                }
            }
            LinkEvent::Identified => {
                let s = link.state();
                let text = format!(
                    "SIYI {} firmware {} connected",
                    s.model.map(|m| m.name()).unwrap_or("camera"),
                    s.camera_fw.map(|f| f.to_string()).unwrap_or_default()
                );
                self.statustext(MavSeverity::MAV_SEVERITY_INFO, &text);
                if let Some(fw) = s.camera_fw.filter(|f| f.triple() < OLDEST_GOOD_FIRMWARE) {
                    let (a, b, c) = OLDEST_GOOD_FIRMWARE;
                    let text =
                        format!("Camera firmware {fw} is old: update to {a}.{b}.{c} or newer");
                    self.statustext(MavSeverity::MAV_SEVERITY_WARNING, &text);
                }
            }
            LinkEvent::Rebooted => {
                self.statustext(MavSeverity::MAV_SEVERITY_WARNING, "Camera rebooted");
            }
            LinkEvent::RecordingChanged { from, to } => {
                match to {
                    RecordState::NoCard if from != Some(RecordState::NoCard) => self.statustext(
                        MavSeverity::MAV_SEVERITY_WARNING,
                        "No SD card in camera: cannot record or save photos",
                    ),
                    RecordState::DataLoss if from != Some(RecordState::DataLoss) => self
                        .statustext(
                            MavSeverity::MAV_SEVERITY_WARNING,
                            "SD card data loss: check or format the card",
                        ),
                    RecordState::Recording => self.mode = CameraMode::CAMERA_MODE_VIDEO,
                    _ => {}
                }
                self.broadcast_capture_status(now, link);
                let settings = self.settings_msg(now, link);
                self.send(Target::All, settings);
            }
            LinkEvent::ZoomChanged(_) => {
                let settings = self.settings_msg(now, link);
                self.send(Target::All, settings);
            }
            LinkEvent::OpFinished { id, outcome, .. } => self.op_finished(now, id, outcome, link),
            LinkEvent::UnexpectedModel { model, .. } => {
                let text = format!("Camera is a {model}, not an A8 mini: limits may differ");
                self.statustext(MavSeverity::MAV_SEVERITY_WARNING, &text);
            }
            LinkEvent::MotionModeChanged(_)
            | LinkEvent::CommandUnanswered { .. }
            | LinkEvent::BadFrame(_)
            | LinkEvent::BadPayload(_) => {}
        }
    }

    fn op_finished(
        &mut self,
        now: Instant,
        id: OpId,
        outcome: OpOutcome,
        link: &mut impl LinkControl,
    ) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        match p {
            Pending::SinglePhoto { from, key } => {
                let mark = self.out.len();
                self.photo_done(now, id, &outcome, link);
                let result = match outcome {
                    OpOutcome::Succeeded { .. } => MavResult::MAV_RESULT_ACCEPTED,
                    OpOutcome::Rejected { .. } => MavResult::MAV_RESULT_TEMPORARILY_REJECTED,
                    OpOutcome::Failed { .. } | OpOutcome::TimedOut => MavResult::MAV_RESULT_FAILED,
                };
                self.set_remembered(key, result);
                // Ack first, then the data: move the ack in front of photo_done's messages.
                self.ack(from, MavCmd::MAV_CMD_IMAGE_START_CAPTURE, result);
                if let Some(ack) = self.out.pop_back() {
                    self.out.insert(mark.min(self.out.len()), ack);
                }
            }
            Pending::SeriesPhoto => {
                self.photo_done(now, id, &outcome, link);
                if self.series.is_none() {
                    self.broadcast_capture_status(now, link);
                }
            }
            Pending::Video { from, key, cmd } => {
                let result = match &outcome {
                    OpOutcome::Succeeded { .. } => MavResult::MAV_RESULT_ACCEPTED,
                    OpOutcome::Rejected { .. } => MavResult::MAV_RESULT_TEMPORARILY_REJECTED,
                    OpOutcome::Failed { .. } | OpOutcome::TimedOut => MavResult::MAV_RESULT_FAILED,
                };
                self.set_remembered(key, result);
                self.ack(from, cmd, result);
                let what = if cmd == MavCmd::MAV_CMD_VIDEO_START_CAPTURE {
                    "Recording start"
                } else {
                    "Recording stop"
                };
                match &outcome {
                    OpOutcome::Succeeded { .. } => {
                        if cmd == MavCmd::MAV_CMD_VIDEO_START_CAPTURE {
                            self.mode = CameraMode::CAMERA_MODE_VIDEO;
                        }
                    }
                    OpOutcome::Failed { reason } | OpOutcome::Rejected { reason } => {
                        let text = format!("{what} failed: {reason}");
                        self.statustext(MavSeverity::MAV_SEVERITY_ERROR, &text);
                    }
                    OpOutcome::TimedOut => {
                        let text = format!("{what} failed: camera did not answer");
                        self.statustext(MavSeverity::MAV_SEVERITY_ERROR, &text);
                    }
                }
                self.broadcast_capture_status(now, link);
            }
            Pending::Quiet { what } => match outcome {
                OpOutcome::Succeeded { .. } => {}
                OpOutcome::Failed { reason } | OpOutcome::Rejected { reason } => {
                    let text = format!("{what} failed: {reason}");
                    self.statustext(MavSeverity::MAV_SEVERITY_WARNING, &text);
                }
                OpOutcome::TimedOut => {
                    let text = format!("{what} failed: camera did not answer");
                    self.statustext(MavSeverity::MAV_SEVERITY_WARNING, &text);
                }
            },
        }
    }

    /// A photo ended: record it, announce it (CAMERA_IMAGE_CAPTURED, CAMERA_TRIGGER, status).
    fn photo_done(&mut self, now: Instant, id: OpId, outcome: &OpOutcome, link: &impl LinkControl) {
        if self.photo_in_flight == Some(id) {
            self.photo_in_flight = None;
        }
        let utc = self.utc_us(now);
        let pos = self.position.unwrap_or(Position::UNKNOWN);
        let captured = matches!(outcome, OpOutcome::Succeeded { .. });
        let record = ImageRecord {
            index: if captured {
                self.persisted.image_count
            } else {
                -1
            },
            time_utc_us: utc,
            lat_e7: pos.lat_e7,
            lon_e7: pos.lon_e7,
            alt_mm: pos.alt_mm,
            relative_alt_mm: pos.relative_alt_mm,
            captured,
        };
        let t = self.boot_ms(now);
        self.send(Target::All, messages::image_captured(t, &record));
        if captured {
            self.send(Target::All, messages::camera_trigger(utc, record.index));
            self.persisted.image_count = self.persisted.image_count.saturating_add(1);
            self.persisted.add(record);
            self.events
                .push_back(CameraEvent::Persist(self.persisted.clone()));
            if self.series.is_some() && self.index_refused() {
                self.series = None;
            }
        } else {
            let reason = match outcome {
                OpOutcome::Failed { reason } | OpOutcome::Rejected { reason } => reason.as_str(),
                _ => "camera did not answer",
            };
            let text = format!("Photo failed: {reason}");
            self.statustext(MavSeverity::MAV_SEVERITY_ERROR, &text);
        }
        let status = self.capture_status_msg(now, link);
        self.send(Target::All, status);
    }

    /// The app could not save the persisted state (read-only or full state dir). Tells the
    /// ground station once per failure state (STATUSTEXT warning); returns true on that change so
    /// the app logs it once. Photos go on until the indices covered by the last successful save
    /// are used up ([`persist::SaveHealth::refusal`]). Call after every failed save.
    pub fn state_save_failed(&mut self, _now: Instant, reason: &str) -> bool {
        let _ = reason; // the app logs it; a STATUSTEXT has room for 50 characters only
        let changed = self.save_health.failed();
        if changed {
            self.statustext(
                MavSeverity::MAV_SEVERITY_WARNING,
                "Image counter not saved: retrying",
            );
        }
        changed
    }

    /// The app saved `saved` (a state from [`CameraEvent::Persist`], or the start state). Tells
    /// the ground station once when saving works again after failures; returns true then.
    pub fn state_saved(&mut self, saved: &PersistedState) -> bool {
        let recovered = self.save_health.saved(saved);
        if recovered {
            self.statustext(MavSeverity::MAV_SEVERITY_INFO, "Image counter saved again");
        }
        recovered
    }

    /// True while the last save failed.
    pub fn state_save_failing(&self) -> bool {
        self.save_health.failing()
    }

    /// Refuses a photo (STATUSTEXT error, true) when its index cannot be handed out safely: the
    /// range is used up, or saving fails and the index is not covered by the last save.
    fn index_refused(&mut self) -> bool {
        match self.save_health.refusal(self.persisted.image_count) {
            Some(text) => {
                self.statustext(MavSeverity::MAV_SEVERITY_ERROR, text);
                true
            }
            None => false,
        }
    }
}

/// Commands that only ask for data (answering them twice is harmless).
#[allow(deprecated)]
fn is_request(cmd: MavCmd) -> bool {
    matches!(
        cmd,
        MavCmd::MAV_CMD_REQUEST_MESSAGE
            | MavCmd::MAV_CMD_REQUEST_CAMERA_INFORMATION
            | MavCmd::MAV_CMD_REQUEST_CAMERA_SETTINGS
            | MavCmd::MAV_CMD_REQUEST_STORAGE_INFORMATION
            | MavCmd::MAV_CMD_REQUEST_CAMERA_CAPTURE_STATUS
            | MavCmd::MAV_CMD_REQUEST_CAMERA_IMAGE_CAPTURE
            | MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_INFORMATION
            | MavCmd::MAV_CMD_REQUEST_VIDEO_STREAM_STATUS
            | MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL
    )
}

fn is_recording(link: &impl LinkControl) -> bool {
    matches!(
        link.state().record.map(|r| r.value),
        Some(RecordState::Recording)
    )
}

/// The next tick of a periodic timer: `prev + period`, or `now + period` when that is already past
/// (never a catch-up burst).
fn next_tick(prev: Instant, period: Duration, now: Instant) -> Instant {
    let next = prev + period;
    if next <= now {
        now + period
    } else {
        next
    }
}
