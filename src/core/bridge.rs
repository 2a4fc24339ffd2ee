//! The whole translation core: the SIYI link and the MAVLink camera component, joined.
//!
//! Inputs: [`Bridge::handle_mavlink`], [`Bridge::handle_siyi`], [`Bridge::handle_timeout`].
//! Outputs: [`Bridge::poll_mavlink`], [`Bridge::poll_siyi`], [`Bridge::poll_event`],
//! [`Bridge::poll_timeout`]. After any `handle_*`, drain every `poll_*` and re-arm the timer.
//! Link events are routed to the camera component inside; none is lost.

use std::time::Instant;

use mavlink::MavHeader;

use crate::core::camera::{CameraComponent, CameraEvent, Inbound, LinkId, Transmit};
use crate::core::link::{LinkControl, LinkEvent};

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
}

/// Something for the application (persist state, log).
#[derive(Clone, PartialEq, Debug)]
pub enum BridgeEvent {
    /// From the camera component.
    Camera(CameraEvent),
    /// A link event, after the camera component has seen it (for logs).
    Link(LinkEvent),
}

/// SIYI link + MAVLink camera component.
pub struct Bridge<L> {
    /// The SIYI side.
    pub link: L,
    /// The MAVLink side.
    pub camera: CameraComponent,
    events: std::collections::VecDeque<BridgeEvent>,
}

impl<L: SiyiSide> Bridge<L> {
    /// Joins a link and a camera component.
    pub fn new(link: L, camera: CameraComponent) -> Self {
        Self {
            link,
            camera,
            events: Default::default(),
        }
    }

    fn pump(&mut self, now: Instant) {
        while let Some(ev) = self.link.poll_event() {
            self.camera
                .handle_link_event(now, ev.clone(), &mut self.link);
            self.events.push_back(BridgeEvent::Link(ev));
        }
        while let Some(ev) = self.camera.poll_event() {
            self.events.push_back(BridgeEvent::Camera(ev));
        }
    }

    /// A MAVLink frame from peer `link_id` (`utc_us`: wall clock at `now`, µs since the epoch).
    pub fn handle_mavlink(
        &mut self,
        now: Instant,
        utc_us: u64,
        link_id: LinkId,
        header: MavHeader,
        inbound: &Inbound,
    ) {
        self.camera
            .handle_mavlink(now, utc_us, link_id, header, inbound, &mut self.link);
        self.pump(now);
    }

    /// A datagram from the camera.
    pub fn handle_siyi(&mut self, now: Instant, bytes: &[u8]) {
        self.link.handle_datagram(now, bytes);
        self.pump(now);
    }

    /// Timers due at `now` (early calls are harmless).
    pub fn handle_timeout(&mut self, now: Instant, utc_us: u64) {
        self.camera.set_wall_clock(now, utc_us);
        self.link.handle_timeout(now);
        self.pump(now);
        self.camera.handle_timeout(now, &mut self.link);
        self.pump(now);
    }

    /// The earliest timer of either side.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.link.poll_timeout(), self.camera.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Next MAVLink message to send.
    pub fn poll_mavlink(&mut self) -> Option<Transmit> {
        self.camera.poll_transmit()
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
}
