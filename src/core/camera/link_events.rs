//! What the camera does with the SIYI link's news: the events it subscribes to (health,
//! identity, reboots, recording, zoom, motion mode, the model) and the outcome of each operation
//! its parts started, routed by [`Owner`] to that part alone.
//!
//! Owns nothing: the conductor's methods for the link's events, beside the conductor.

use std::time::Instant;

use mavlink::dialects::common::{CameraMode, MavSeverity};
use siyi_protocol::RecordState;

use super::requests::recording_value;
use super::{messages, photos, video, CameraComponent};
use crate::core::link::{LinkControl, LinkEvent, LinkHealth, OpId, OpOutcome, Owner};

impl CameraComponent {
    /// The link events the camera subscribes to: health, identity, reboots, recording, zoom,
    /// motion mode (a camera setting), the model. The outcomes of its own operations reach it by
    /// their [`Owner`] ([`CameraComponent::owns`]).
    pub fn hears(event: &LinkEvent) -> bool {
        matches!(
            event,
            LinkEvent::Health { .. }
                | LinkEvent::Identified
                | LinkEvent::Rebooted
                | LinkEvent::RecordingChanged { .. }
                | LinkEvent::ZoomChanged(_)
                | LinkEvent::MotionModeChanged(_)
                | LinkEvent::UnexpectedModel { .. }
        )
    }

    /// Whether the camera's parts start operations as `owner`.
    pub fn owns(owner: Owner) -> bool {
        matches!(
            owner,
            Owner::Photos | Owner::Video | Owner::Zoom | Owner::Settings
        )
    }

    /// Handles an event of the SIYI link (one it [hears](CameraComponent::hears), or the outcome
    /// of one of its operations).
    pub fn handle_link_event(
        &mut self,
        now: Instant,
        event: &LinkEvent,
        link: &mut impl LinkControl,
    ) {
        self.host.tick(now);
        let warn = MavSeverity::MAV_SEVERITY_WARNING;
        match *event {
            LinkEvent::Health { from, to } => self.health_changed(now, from, to, link),
            LinkEvent::Identified => {
                let (hello, old) = messages::identified_texts(link.state());
                self.host.statustext(MavSeverity::MAV_SEVERITY_INFO, &hello);
                if let Some(text) = old {
                    self.host.statustext(warn, &text);
                }
                self.exif.camera_identified(now, link);
                (self.photos).camera_up(now, &mut self.host, &mut self.events);
            }
            LinkEvent::Rebooted => {
                let text = self.outage.rebooted(recording_value(link));
                self.host.statustext(warn, text);
            }
            LinkEvent::RecordingChanged { from, to } => {
                if let Some(text) = messages::card_warning(from, to) {
                    self.host.statustext(warn, text);
                }
                if to == RecordState::Recording {
                    self.mode = CameraMode::CAMERA_MODE_VIDEO;
                }
                self.broadcast_capture_status(now, link);
                self.broadcast_settings(now, link);
            }
            LinkEvent::ZoomChanged(_) => self.broadcast_settings(now, link),
            LinkEvent::OpFinished {
                id,
                owner,
                ref outcome,
                ..
            } => self.op_finished(now, owner, id, outcome, link),
            LinkEvent::UnexpectedModel { model, .. } => self.host.statustext(
                warn,
                &format!("Camera is a {model}, not an A8 mini: limits may differ"),
            ),
            LinkEvent::MotionModeChanged(_)
            | LinkEvent::AiModeChanged(_)
            | LinkEvent::AiTrack(_)
            | LinkEvent::CommandUnanswered { .. }
            | LinkEvent::BadFrame(_)
            | LinkEvent::BadPayload(_) => {}
        }
        (self.settings).refresh(self.mode, &mut self.host, link);
    }

    /// After the link's events of one step reached their parts: settings read from the link's
    /// state with no event of the camera's own show up now.
    pub fn link_settled(&mut self, link: &impl LinkControl) {
        (self.settings).refresh(self.mode, &mut self.host, link);
    }

    fn health_changed(
        &mut self,
        now: Instant,
        from: LinkHealth,
        to: LinkHealth,
        link: &impl LinkControl,
    ) {
        self.health = to;
        let said = (self.outage).health_changed(now, from, to, recording_value(link));
        if let Some((severity, text)) = said.text() {
            self.host.statustext(severity, &text);
            // Lost: capture status no longer claims a recording nobody can see; back: it can.
            self.broadcast_capture_status(now, link);
        }
    }

    /// Operation `id` of `owner` ended: its part, and only its part, hears how.
    fn op_finished(
        &mut self,
        now: Instant,
        owner: Owner,
        id: OpId,
        outcome: &OpOutcome,
        link: &mut impl LinkControl,
    ) {
        let (host, events) = (&mut self.host, &mut self.events);
        match owner {
            Owner::Settings => {
                (self.settings).finished(now, id, outcome, self.mode, host, link);
            }
            Owner::Photos => {
                let shot = photos::Shot {
                    utc_us: self.clock.utc_us(now),
                    position: self.pose.position(host.system_id()),
                    q: (self.pose)
                        .aim(now, host.system_id(), link.state().attitude)
                        .known_q(),
                };
                let ended = (self.photos).finished(now, id, outcome, shot, host, link, events);
                if ended == Some(true) {
                    self.broadcast_capture_status(now, link);
                }
            }
            Owner::Video => {
                let Some(ended) = self.video.finish(id, outcome, host) else {
                    return;
                };
                match ended {
                    video::Ended::Failed => {}
                    video::Ended::Started => self.mode = CameraMode::CAMERA_MODE_VIDEO,
                    video::Ended::Stopped => {
                        let utc = self.clock.utc_us(now);
                        (self.photos).recording_saved(now, utc, host, events);
                    }
                }
                self.broadcast_capture_status(now, link);
            }
            Owner::Zoom => {
                if let Some(text) = self.adjust.finished(id, outcome) {
                    host.statustext(MavSeverity::MAV_SEVERITY_WARNING, &text);
                }
            }
            Owner::Gimbal | Owner::Tracking | Owner::Tool => {}
        }
    }
}
