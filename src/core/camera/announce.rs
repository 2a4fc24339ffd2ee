//! What the camera says for the tracking service it hosts: final acks of tracking commands,
//! texts, and CAMERA_TRACKING_IMAGE_STATUS when the state changes.
//!
//! Owns nothing: it turns [`TrackingEvent`]s into messages on the camera's [`Host`].

use mavlink::dialects::common::MavMessage;

use crate::core::mavlink::{Host, Target};
use crate::core::tracking::{Tracking, TrackingEvent};

/// Says every pending tracking event on `host`; true when a tracking source appeared or went
/// away (the caller announces CAMERA_INFORMATION, whose flags changed).
pub fn tracking(host: &mut Host, tracking: &mut Tracking) -> bool {
    let mut availability_changed = false;
    while let Some(ev) = tracking.poll_event() {
        match ev {
            TrackingEvent::Ack {
                to,
                key,
                command,
                result,
            } => {
                host.set_result(&key, result);
                host.ack(to, command, result);
            }
            TrackingEvent::Text(severity, text) => host.statustext(severity, &text),
            TrackingEvent::StatusChanged => {
                let m = MavMessage::CAMERA_TRACKING_IMAGE_STATUS(tracking.image_status());
                host.send(Target::All, m);
            }
            TrackingEvent::AvailabilityChanged => availability_changed = true,
        }
    }
    availability_changed
}
