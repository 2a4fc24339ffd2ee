//! What the camera says for the tracking service beside it: final acks of tracking commands,
//! texts, and CAMERA_TRACKING_IMAGE_STATUS when the state changes.
//!
//! Owns nothing: it turns a [`TrackingReport`]'s events into messages on the camera's [`Host`].

use mavlink::dialects::common::MavMessage;

use crate::core::mavlink::{Host, Target};
use crate::core::tracking::{TrackingEvent, TrackingReport};

/// Says every event of `report` on `host`; true when a tracking source appeared or went away
/// (the caller announces CAMERA_INFORMATION, whose flags changed).
pub fn tracking(host: &mut Host, report: TrackingReport) -> bool {
    let mut availability_changed = false;
    for ev in report.events {
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
                let m = MavMessage::CAMERA_TRACKING_IMAGE_STATUS(report.status.image_status());
                host.send(Target::All, m);
            }
            TrackingEvent::AvailabilityChanged => availability_changed = true,
        }
    }
    availability_changed
}
