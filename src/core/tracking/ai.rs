//! SIYI's AI tracking module as a tracking source: what a 0x50 push means.
//!
//! The module chooses its target itself (choosing one by point or box is not in the public SDK),
//! so the bridge can only switch its stream on (0x51) and report what it tracks. Owns nothing
//! (the conductor's `ai_on` and source are [`Tracking`]'s; [`Tracking::link_event`] is here).

use std::time::Instant;

use mavlink::dialects::common::{MavResult, MavSeverity};
use siyi_protocol::{AiMode, AiTrack, AiTrackStatus};

use super::api::{Rect, Target};
use super::follow::Fov;
use super::status::Reported;
use super::{Source, Tracking, Waiting};
use crate::core::link::{LinkControl, LinkEvent, OpOutcome};

impl Tracking {
    /// What the SIYI link said: the AI module's mode and boxes, the end of an AI-stream switch.
    pub fn link_event(
        &mut self,
        now: Instant,
        event: &LinkEvent,
        fov: Fov,
        link: &mut impl LinkControl,
    ) {
        match event {
            LinkEvent::AiModeChanged(mode) => {
                let on = *mode == AiMode::On;
                if on != self.ai_on {
                    self.ai_on = on;
                    let text = if on {
                        "SIYI AI tracking module on: tracking available"
                    } else {
                        "SIYI AI tracking module off"
                    };
                    self.text(now, MavSeverity::MAV_SEVERITY_INFO, text.to_owned());
                    self.availability_changed(now);
                    if !on && self.source == Some(Source::Ai) {
                        self.source = None;
                        self.finish_pending(
                            now,
                            MavResult::MAV_RESULT_FAILED,
                            Some("AI module off"),
                        );
                        self.end_track(now, link);
                        if self.reported != Reported::Idle {
                            self.set_reported(now, Reported::Error);
                        }
                    }
                }
            }
            LinkEvent::AiTrack(track) if self.source == Some(Source::Ai) => {
                self.set_reported(now, reported(track, self.reported.target()));
                self.steer(now, fov, link);
            }
            LinkEvent::OpFinished { id, outcome, .. } => {
                if let Some(p) = self.pending.take_if(|p| p.waiting == Waiting::Link(*id)) {
                    let ok = matches!(outcome, OpOutcome::Succeeded { .. });
                    let reason = (!ok).then(|| format!("AI module: {outcome}"));
                    self.answered(now, p, ok, reason.as_deref(), link);
                }
            }
            _ => {}
        }
    }
}

/// The 0x50 box (centre and size in a 1280×720 frame) as a normalised rectangle, clipped to the
/// frame; `None` for an empty box.
pub fn rect(track: &AiTrack) -> Option<Target> {
    let (w, h) = (
        f32::from(AiTrack::FRAME_WIDTH_PX),
        f32::from(AiTrack::FRAME_HEIGHT_PX),
    );
    let (cx, cy) = (f32::from(track.x_px) / w, f32::from(track.y_px) / h);
    let (hw, hh) = (
        f32::from(track.width_px) / w / 2.0,
        f32::from(track.height_px) / h / 2.0,
    );
    let clip = |v: f32| v.clamp(0.0, 1.0);
    let t = Target::Rect(Rect {
        top_left_x: clip(cx - hw),
        top_left_y: clip(cy - hh),
        bottom_right_x: clip(cx + hw),
        bottom_right_y: clip(cy + hh),
    });
    t.is_valid().then_some(t)
}

/// What a 0x50 push reports, given the last target seen: tracking → active (the box);
/// temporarily lost → lost (the last box); lost → error; cancelled by the user → idle.
pub fn reported(track: &AiTrack, last: Option<Target>) -> Reported {
    match track.status {
        AiTrackStatus::Tracking | AiTrackStatus::TrackingAnyObject => match rect(track) {
            Some(t) => Reported::Active(t),
            None => Reported::Lost(last),
        },
        AiTrackStatus::TemporarilyLost => Reported::Lost(last),
        AiTrackStatus::Lost => Reported::Error,
        AiTrackStatus::CancelledByUser => Reported::Idle,
        AiTrackStatus::Other(_) => Reported::Lost(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use siyi_protocol::AiTarget;

    fn track(x: u16, y: u16, w: u16, h: u16, status: AiTrackStatus) -> AiTrack {
        AiTrack {
            x_px: x,
            y_px: y,
            width_px: w,
            height_px: h,
            target: AiTarget::Car,
            status,
        }
    }

    #[test]
    fn the_box_is_mapped_from_1280_by_720() {
        let t = track(640, 360, 128, 72, AiTrackStatus::Tracking);
        let Some(Target::Rect(r)) = rect(&t) else {
            panic!("a rectangle")
        };
        assert_eq!(
            (
                r.top_left_x,
                r.top_left_y,
                r.bottom_right_x,
                r.bottom_right_y
            ),
            (0.45, 0.45, 0.55, 0.55)
        );
        // A box over the edge is clipped; an empty one is nothing.
        let Some(Target::Rect(r)) = rect(&track(1270, 10, 100, 100, AiTrackStatus::Tracking))
        else {
            panic!("a rectangle")
        };
        assert_eq!((r.bottom_right_x, r.top_left_y), (1.0, 0.0));
        assert_eq!(rect(&track(100, 100, 0, 10, AiTrackStatus::Tracking)), None);
        assert_eq!(
            rect(&track(2000, 100, 10, 10, AiTrackStatus::Tracking)),
            None
        );
    }

    #[test]
    fn states_map_to_what_mavlink_says() {
        let last = rect(&track(640, 360, 128, 72, AiTrackStatus::Tracking));
        let t = |s| reported(&track(100, 100, 20, 20, s), last);
        assert!(matches!(t(AiTrackStatus::Tracking), Reported::Active(_)));
        assert!(matches!(
            t(AiTrackStatus::TrackingAnyObject),
            Reported::Active(_)
        ));
        assert_eq!(t(AiTrackStatus::TemporarilyLost), Reported::Lost(last));
        assert_eq!(t(AiTrackStatus::Lost), Reported::Error);
        assert_eq!(t(AiTrackStatus::CancelledByUser), Reported::Idle);
        assert_eq!(t(AiTrackStatus::Other(9)), Reported::Lost(last));
    }
}
