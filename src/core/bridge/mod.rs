//! The whole translation core: the SIYI link and the parts beside each other — the MAVLink
//! camera component, the gimbal component, the tracking service ([`parts`]) — joined.
//!
//! Inputs: [`Bridge::handle_mavlink`], [`Bridge::handle_siyi`], [`Bridge::handle_timeout`].
//! Outputs: [`Bridge::poll_mavlink`], [`Bridge::poll_siyi`], [`Bridge::poll_event`],
//! [`Bridge::poll_timeout`]. After any `handle_*`, drain every `poll_*` and re-arm the timer.
//! Each link event is routed to the parts that hear it, each operation's outcome to the one part
//! that started it ([`Parts::handle_link_event`]); none is lost.

pub mod parts;

use std::time::{Duration, Instant};

use mavlink::MavHeader;

use crate::core::camera::{
    CameraComponent, CameraEvent, Inbound, PeerId, PersistedState, Transmit,
};
use crate::core::gimbal::{GimbalComponent, GimbalEvent};
use crate::core::link::{LinkControl, LinkEvent};
use crate::core::mavlink::outbound::{Pace, Pacer, Sequences};
use crate::core::mavlink::Outgoing;
use crate::core::tracking::{
    ConnId, TrackerOutput, Tracking, TrackingConfig, VideoCommand, VideoInput,
};
use mavlink::dialects::common::MavMessage;
pub use parts::Parts;

/// The SIYI side as the bridge drives it (implemented by the SIYI link; tests may use a fake).
pub trait SiyiSide: LinkControl {
    /// A datagram from the camera.
    fn handle_datagram(&mut self, now: Instant, bytes: &[u8]);
    /// Timers due at `now`.
    fn handle_timeout(&mut self, now: Instant);
    /// Next timer.
    fn poll_timeout(&self) -> Option<Instant>;
    /// Next datagram for the camera.
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;
    /// Next link event.
    fn poll_event(&mut self) -> Option<LinkEvent>;
    /// When the camera last sent a valid frame (None = never).
    fn last_rx(&self) -> Option<Instant>;
}

/// Silence from the camera this long is worth a warning.
pub const CAMERA_SILENT_WARN_AFTER: Duration = Duration::from_secs(5);
/// Longest gap between two "camera silent" warnings (they back off from 5 s up to this).
pub const CAMERA_SILENT_WARN_MAX_GAP: Duration = Duration::from_secs(60);

/// Something for the application (persist state, log).
#[derive(Clone, PartialEq, Debug)]
pub enum BridgeEvent {
    /// From the camera component.
    Camera(CameraEvent),
    /// From the gimbal component.
    Gimbal(GimbalEvent),
    /// A link event, after the camera component has seen it (for logs).
    Link(LinkEvent),
    /// Nothing valid heard from the camera for `silent_for` (since start, or since its last
    /// frame). Repeated with a growing gap (5 s, 10 s, 20 s, … at most 60 s) while it lasts; the
    /// link's health event says when it answers again.
    CameraSilent {
        /// How long the camera has been silent.
        silent_for: Duration,
        /// Whether it ever answered since the bridge started.
        ever_heard: bool,
    },
}

/// SIYI link + the parts (camera, gimbal, tracking).
pub struct Bridge<L> {
    /// The SIYI side.
    link: L,
    /// Camera, gimbal (device 154, manager role, when enabled: [`Bridge::with_gimbal`]) and
    /// tracking.
    parts: Parts,
    events: std::collections::VecDeque<BridgeEvent>,
    start: Instant,
    /// Next "camera silent" warning, and the gap after it.
    silent_warn: (Instant, Duration),
    /// Each component's MAVLink sequence numbers.
    sequences: Sequences,
    /// The pace of all MAVLink output ([`Pace::PX4`] unless [`Bridge::set_pace`]).
    pacer: Pacer,
    /// A message taken from a component's queue that waits for the pace.
    held: Option<Transmit>,
    /// The latest instant any input came with.
    now: Instant,
}

impl<L: SiyiSide> Bridge<L> {
    /// Joins a link and a camera component (tracking at its default configuration), started at
    /// `now`.
    pub fn new(link: L, camera: CameraComponent, now: Instant) -> Self {
        Self {
            link,
            parts: Parts::new(camera),
            events: Default::default(),
            start: now,
            silent_warn: (now + CAMERA_SILENT_WARN_AFTER, CAMERA_SILENT_WARN_AFTER),
            sequences: Sequences::default(),
            pacer: Pacer::new(Pace::default(), now),
            held: None,
            now,
        }
    }

    /// Paces all MAVLink output at `pace` from now on (the default is [`Pace::PX4`]).
    pub fn set_pace(&mut self, pace: Pace) {
        self.pacer = Pacer::new(pace, self.now);
    }

    /// Hosts the gimbal component next to the camera: it sees every MAVLink frame and the link
    /// events it subscribes to.
    pub fn with_gimbal(mut self, gimbal: GimbalComponent) -> Self {
        self.parts.set_gimbal(gimbal);
        self
    }

    /// Hosts the gimbal component next to the camera from now on.
    pub fn set_gimbal(&mut self, gimbal: GimbalComponent) {
        self.parts.set_gimbal(gimbal);
    }

    /// The tracking service configured with `config`.
    pub fn with_tracking(mut self, config: TrackingConfig) -> Self {
        self.parts.set_tracking(config);
        self
    }

    /// The SIYI side.
    pub fn link(&self) -> &L {
        &self.link
    }

    /// The camera component.
    pub fn camera(&self) -> &CameraComponent {
        self.parts.camera()
    }

    /// The gimbal component, when enabled.
    pub fn gimbal(&self) -> Option<&GimbalComponent> {
        self.parts.gimbal()
    }

    /// The tracking service.
    pub fn tracking(&self) -> &Tracking {
        self.parts.tracking()
    }

    /// The persistent state as it is now.
    pub fn persisted(&self) -> &PersistedState {
        self.parts.camera().persisted()
    }

    /// The app could not save the persisted state: see [`CameraComponent::state_save_failed`].
    pub fn state_save_failed(&mut self) -> bool {
        self.parts.camera_mut().state_save_failed()
    }

    /// The app saved `saved`: see [`CameraComponent::state_saved`].
    pub fn state_saved(&mut self, saved: &PersistedState) -> bool {
        self.parts.camera_mut().state_saved(saved)
    }

    /// Warns (at a backing-off rate) while the camera is silent.
    fn check_silence(&mut self, now: Instant) {
        let heard = self.link.last_rx();
        let since = heard.unwrap_or(self.start);
        let silent_for = now.saturating_duration_since(since);
        if silent_for < CAMERA_SILENT_WARN_AFTER {
            // Answering: the next warning is due 5 s after its last frame.
            self.silent_warn = (since + CAMERA_SILENT_WARN_AFTER, CAMERA_SILENT_WARN_AFTER);
            return;
        }
        let (at, gap) = self.silent_warn;
        if now >= at {
            self.events.push_back(BridgeEvent::CameraSilent {
                silent_for,
                ever_heard: heard.is_some(),
            });
            let next_gap = (gap * 2).min(CAMERA_SILENT_WARN_MAX_GAP);
            self.silent_warn = (now + gap, next_gap);
        }
    }

    fn pump(&mut self, now: Instant) {
        while let Some(ev) = self.link.poll_event() {
            self.parts.handle_link_event(now, &ev, &mut self.link);
            self.events.push_back(BridgeEvent::Link(ev));
        }
        while let Some(ev) = self.parts.poll_camera_event() {
            self.events.push_back(BridgeEvent::Camera(ev));
        }
        while let Some(ev) = self.parts.poll_gimbal_event() {
            self.events.push_back(BridgeEvent::Gimbal(ev));
        }
        self.parts.arbitrate_gimbal();
    }

    /// A MAVLink frame from peer `peer` (`utc_us`: wall clock at `now`, µs since the epoch).
    pub fn handle_mavlink(
        &mut self,
        now: Instant,
        utc_us: u64,
        peer: PeerId,
        header: MavHeader,
        inbound: &Inbound,
    ) {
        self.now = self.now.max(now);
        (self.parts).handle_mavlink(now, utc_us, peer, header, inbound, &mut self.link);
        self.pump(now);
    }

    /// A datagram from the camera.
    pub fn handle_siyi(&mut self, now: Instant, bytes: &[u8]) {
        self.now = self.now.max(now);
        self.link.handle_datagram(now, bytes);
        self.pump(now);
        self.parts.camera_datagram_handled(now, &mut self.link);
        self.pump(now);
    }

    /// A tracker connected on the tracker API.
    pub fn handle_tracker_opened(&mut self, now: Instant, conn: ConnId) {
        self.now = self.now.max(now);
        self.parts.tracker_opened(now, conn, &self.link);
        self.pump(now);
    }

    /// A line from a tracker (`None`: a line over the length limit was discarded).
    pub fn handle_tracker_line(&mut self, now: Instant, conn: ConnId, line: Option<&str>) {
        self.now = self.now.max(now);
        self.parts.tracker_line(now, conn, line, &mut self.link);
        self.pump(now);
    }

    /// A tracker connection closed.
    pub fn handle_tracker_closed(&mut self, now: Instant, conn: ConnId) {
        self.now = self.now.max(now);
        self.parts.tracker_closed(now, conn, &mut self.link);
        self.pump(now);
    }

    /// What the built-in tracker's video source said.
    pub fn handle_video(&mut self, now: Instant, input: VideoInput) {
        self.now = self.now.max(now);
        self.parts.video_input(now, input, &mut self.link);
        self.pump(now);
    }

    /// Next start or stop for the built-in tracker's video source.
    pub fn poll_video(&mut self) -> Option<VideoCommand> {
        self.parts.poll_video()
    }

    /// Next request for the camera's web server.
    pub fn poll_media_request(&mut self) -> Option<crate::core::media::MediaRequest> {
        self.parts.poll_media_request()
    }

    /// The answer to web server request `id`.
    pub fn handle_media_reply(&mut self, now: Instant, id: u64, reply: crate::core::media::Reply) {
        self.now = self.now.max(now);
        self.parts.handle_media_reply(now, id, reply, &self.link);
        self.pump(now);
    }

    /// Next line or close for a tracker connection.
    pub fn poll_tracker(&mut self) -> Option<TrackerOutput> {
        self.parts.poll_tracker()
    }

    /// Timers due at `now` (early calls are harmless).
    pub fn handle_timeout(&mut self, now: Instant, utc_us: u64) {
        self.now = self.now.max(now);
        self.parts.camera_mut().set_wall_clock(now, utc_us);
        self.link.handle_timeout(now);
        self.pump(now);
        self.parts.handle_timeout(now, &mut self.link);
        self.pump(now);
        self.check_silence(now);
    }

    /// The earliest timer of either side.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let t = match (self.link.poll_timeout(), self.parts.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let warn = self.silent_warn.0;
        let t = t.map_or(warn, |t| t.min(warn));
        Some(match &self.held {
            Some(_) => t.min(self.pacer.free_at(self.now)),
            None => t,
        })
    }

    /// Next MAVLink message to send (its sequence number is used up: see
    /// [`Bridge::poll_mavlink_numbered`]).
    pub fn poll_mavlink(&mut self) -> Option<Transmit> {
        self.poll_mavlink_numbered().map(|(t, _)| t)
    }

    /// Next MAVLink message to send, with its sequence number: each component numbers its own
    /// frames (receivers count a gap in one component's numbers as loss). Paced
    /// (`core::mavlink::outbound`): when the pace says wait, `None`, and
    /// [`Bridge::poll_timeout`] says when to try again.
    pub fn poll_mavlink_numbered(&mut self) -> Option<(Transmit, u8)> {
        if self.held.is_none() {
            self.held = self.parts.poll_transmit();
        }
        self.held.as_ref()?;
        if !self.pacer.take(self.now) {
            return None;
        }
        let t = self.held.take()?;
        let seq = self.sequences.next(t.component_id);
        if matches!(&t.message, Outgoing::Message(MavMessage::HEARTBEAT(_))) {
            // An echo of it carries this number; another component with our ids does not.
            if t.component_id == self.parts.camera().component_id() {
                self.parts.camera_mut().host_mut().sent_heartbeat(seq);
            } else if let Some(g) =
                (self.parts.gimbal_mut()).filter(|g| g.component_id() == t.component_id)
            {
                g.host_mut().sent_heartbeat(seq);
            }
        }
        Some((t, seq))
    }

    /// True when a message waits for the pace.
    pub fn mavlink_waiting(&self) -> bool {
        self.held.is_some()
    }

    /// Next datagram for the camera.
    pub fn poll_siyi(&mut self) -> Option<Vec<u8>> {
        self.link.poll_transmit()
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<BridgeEvent> {
        self.events.pop_front()
    }
}

impl SiyiSide for crate::core::link::SiyiLink {
    fn handle_datagram(&mut self, now: Instant, bytes: &[u8]) {
        Self::handle_datagram(self, now, bytes);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Self::handle_timeout(self, now);
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Self::poll_timeout(self)
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        Self::poll_transmit(self)
    }
    fn poll_event(&mut self) -> Option<LinkEvent> {
        Self::poll_event(self)
    }
    fn last_rx(&self) -> Option<Instant> {
        Self::last_rx(self)
    }
}
