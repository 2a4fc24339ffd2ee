//! The parts side by side — camera, gimbal, tracking — and the one place that routes between
//! them.
//!
//! Owns the three parts; knows which input goes to which: a MAVLink frame to each component's
//! host (a tracking command the camera's host accepted goes to tracking, its answer back to the
//! camera), a link event to the parts that subscribe to it ([`CameraComponent::hears`],
//! [`GimbalComponent::hears`], [`Tracking::hears`]) and an operation's outcome to the one part
//! that started it (its [`Owner`]), tracker lines to tracking, and what tracking reports to the
//! camera, which says it under its MAVLink identity. The parts never reach into each other.
//! Generic over the link ([`LinkControl`]), so tests drive it with a fake.

use std::time::Instant;

use mavlink::MavHeader;

use crate::core::camera::{self, CameraComponent, CameraEvent, Inbound, PeerId, Transmit};
use crate::core::gimbal::{GimbalComponent, GimbalEvent};
use crate::core::link::{LinkControl, LinkEvent, Owner};
use crate::core::media::{MediaRequest, Reply};
use crate::core::tracking::{
    ConnId, TrackerOutput, Tracking, TrackingConfig, VideoCommand, VideoInput,
};

/// Camera, gimbal (when enabled) and tracking, and their routing.
pub struct Parts {
    camera: CameraComponent,
    gimbal: Option<GimbalComponent>,
    tracking: Tracking,
}

impl Parts {
    /// The camera, with tracking at its default configuration and no gimbal.
    pub fn new(camera: CameraComponent) -> Self {
        Self {
            camera,
            gimbal: None,
            tracking: Tracking::new(TrackingConfig::default()),
        }
    }

    /// The tracking service configured with `config` (nothing connected yet).
    pub fn set_tracking(&mut self, config: TrackingConfig) {
        self.tracking = Tracking::new(config);
    }

    /// Hosts the gimbal component beside the camera.
    pub fn set_gimbal(&mut self, gimbal: GimbalComponent) {
        self.gimbal = Some(gimbal);
    }

    /// The camera component.
    pub fn camera(&self) -> &CameraComponent {
        &self.camera
    }

    /// The camera component, for what only concerns it (the state dir's saves, its timers in
    /// a test of the camera alone).
    pub fn camera_mut(&mut self) -> &mut CameraComponent {
        &mut self.camera
    }

    /// The gimbal component, when enabled.
    pub fn gimbal(&self) -> Option<&GimbalComponent> {
        self.gimbal.as_ref()
    }

    /// The gimbal component, when enabled, to change.
    pub fn gimbal_mut(&mut self) -> Option<&mut GimbalComponent> {
        self.gimbal.as_mut()
    }

    /// The tracking service.
    pub fn tracking(&self) -> &Tracking {
        &self.tracking
    }

    /// A MAVLink frame from peer `peer`: each component's host decides whether it is theirs.
    pub fn handle_mavlink(
        &mut self,
        now: Instant,
        utc_us: u64,
        peer: PeerId,
        header: MavHeader,
        inbound: &Inbound,
        link: &mut impl LinkControl,
    ) {
        let track = (self.camera).handle_mavlink(now, utc_us, peer, header, inbound, link);
        if let Some(c) = track {
            let handled = self.tracking.command(now, &c, link);
            let report = self.tracking.report();
            self.camera.complete_tracking(now, c, handled, report, link);
        }
        if let Some(g) = &mut self.gimbal {
            g.handle_mavlink(now, utc_us, peer, header, inbound, link);
        }
    }

    /// One link event: to the part that owns the operation it ends, or to every part that
    /// subscribes to it.
    pub fn handle_link_event(&mut self, now: Instant, ev: &LinkEvent, link: &mut impl LinkControl) {
        let (camera, gimbal, tracking) = match ev {
            LinkEvent::OpFinished { owner, .. } => (
                CameraComponent::owns(*owner),
                *owner == Owner::Gimbal,
                *owner == Owner::Tracking,
            ),
            _ => (
                CameraComponent::hears(ev),
                GimbalComponent::hears(ev),
                Tracking::hears(ev),
            ),
        };
        if tracking {
            let fov = camera::fov(link);
            self.tracking.link_event(now, ev, fov, link);
            self.tracking_said(now, link);
        }
        if camera {
            self.camera.handle_link_event(now, ev, link);
        } else {
            self.camera.link_settled(link);
        }
        if let Some(g) = self.gimbal.as_mut().filter(|_| gimbal) {
            g.handle_link_event(now, ev, link);
        }
    }

    /// Tracking's report (acks, texts, status) to the camera.
    fn tracking_said(&mut self, now: Instant, link: &impl LinkControl) {
        let report = self.tracking.report();
        self.camera.tracking_report(now, report, link);
    }

    /// Who moves the gimbal: a new set-point from a MAVLink user pauses tracking's follow (until
    /// the next track command); a follow that runs takes the gimbal from the gimbal component.
    pub fn arbitrate_gimbal(&mut self) {
        let Some(g) = &mut self.gimbal else {
            return;
        };
        if g.poll_manual_input() {
            self.tracking.manual_gimbal_input();
        }
        if self.tracking.is_following() && g.is_driving() {
            g.yield_gimbal();
        }
    }

    /// A MAVLink user moved the gimbal by hand: tracking's follow pauses until the next track
    /// command (what [`Parts::arbitrate_gimbal`] does when the gimbal component says so).
    pub fn manual_gimbal_input(&mut self) {
        self.tracking.manual_gimbal_input();
    }

    /// A tracker connected on the tracker API.
    pub fn tracker_opened(&mut self, now: Instant, conn: ConnId, link: &impl LinkControl) {
        self.tracking.tracker_opened(now, conn);
        self.tracking_said(now, link);
    }

    /// A line from a tracker (`None`: a line over the length limit was discarded).
    pub fn tracker_line(
        &mut self,
        now: Instant,
        conn: ConnId,
        line: Option<&str>,
        link: &mut impl LinkControl,
    ) {
        let fov = camera::fov(link);
        self.tracking.tracker_line(now, conn, line, fov, link);
        self.tracking_said(now, link);
    }

    /// A tracker connection closed.
    pub fn tracker_closed(&mut self, now: Instant, conn: ConnId, link: &mut impl LinkControl) {
        self.tracking.tracker_closed(now, conn, link);
        self.tracking_said(now, link);
    }

    /// Next line or close for a tracker connection.
    pub fn poll_tracker(&mut self) -> Option<TrackerOutput> {
        self.tracking.poll_tracker()
    }

    /// What the built-in tracker's video source said.
    pub fn video_input(&mut self, now: Instant, input: VideoInput, link: &mut impl LinkControl) {
        let fov = camera::fov(link);
        self.tracking.video_input(now, input, fov, link);
        self.tracking_said(now, link);
    }

    /// Next start or stop for the built-in tracker's video source.
    pub fn poll_video(&mut self) -> Option<VideoCommand> {
        self.tracking.poll_video()
    }

    /// Next request for the camera's web server.
    pub fn poll_media_request(&mut self) -> Option<MediaRequest> {
        self.camera.poll_media_request()
    }

    /// The answer to web server request `id`.
    pub fn handle_media_reply(
        &mut self,
        now: Instant,
        id: u64,
        reply: Reply,
        link: &impl LinkControl,
    ) {
        self.camera.handle_media_reply(now, id, reply, link);
    }

    /// Timers due at `now`: the camera's, tracking's (then the camera's message streams, which
    /// show tracking's state at `now`), the gimbal's.
    pub fn handle_timeout(&mut self, now: Instant, link: &mut impl LinkControl) {
        self.camera.handle_timeout(now, link);
        let fov = camera::fov(link);
        self.tracking.handle_timeout(now, fov, link);
        self.tracking_said(now, link);
        self.camera.handle_streams(now, link);
        if let Some(g) = &mut self.gimbal {
            g.handle_timeout(now, link);
        }
    }

    /// After a datagram from the camera: tracking's attitude history takes a fresh reading
    /// (while the built-in tracker runs); a fresh attitude reading may take the gimbal's attitude
    /// status with it, in this wake (`StatusStreams::attitude_due`); timers that are not due do
    /// nothing.
    pub fn camera_datagram_handled(&mut self, now: Instant, link: &mut impl LinkControl) {
        self.tracking.link_read(link);
        if let Some(g) = &mut self.gimbal {
            g.handle_timeout(now, link);
        }
    }

    /// The earliest timer of the three.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.camera.poll_timeout(),
            self.tracking.poll_timeout(),
            self.gimbal.as_ref().and_then(GimbalComponent::poll_timeout),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Next MAVLink message: the camera's first, then the gimbal's.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.camera.poll_transmit().or_else(|| {
            self.gimbal
                .as_mut()
                .and_then(GimbalComponent::poll_transmit)
        })
    }

    /// Next event of the camera component.
    pub fn poll_camera_event(&mut self) -> Option<CameraEvent> {
        self.camera.poll_event()
    }

    /// Next event of the gimbal component.
    pub fn poll_gimbal_event(&mut self) -> Option<GimbalEvent> {
        self.gimbal.as_mut().and_then(GimbalComponent::poll_event)
    }
}
