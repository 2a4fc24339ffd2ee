//! What the ground station is told when the camera goes away and comes back.
//!
//! Owns: when the camera was lost and whether it was recording then. Never touches: the link
//! (it is told the health changes and what the last reading said), MAVLink sending.

use mavlink::dialects::common::MavSeverity;
use std::time::Instant;

use crate::core::link::LinkHealth;

/// Camera outages, as the ground station should hear of them. See the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outage {
    /// The camera link was lost at this time (for "Camera back", whichever way it comes back).
    lost_since: Option<Instant>,
    /// The camera was recording when it was lost.
    lost_while_recording: bool,
}

/// What to say about a health change.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Said {
    /// Nothing.
    Nothing,
    /// The camera is lost (warning).
    Lost,
    /// The camera is back (info), with this text.
    Back(String),
}

impl Said {
    /// What to tell the ground station, and how severe (None: nothing).
    pub fn text(self) -> Option<(MavSeverity, String)> {
        match self {
            Self::Nothing => None,
            Self::Lost => Some((
                MavSeverity::MAV_SEVERITY_WARNING,
                "Camera lost: SIYI camera not answering".to_owned(),
            )),
            Self::Back(text) => Some((MavSeverity::MAV_SEVERITY_INFO, text)),
        }
    }
}

impl Outage {
    /// The link's health went `from` → `to`; `recording` = the last reading said recording.
    pub fn health_changed(
        &mut self,
        now: Instant,
        from: LinkHealth,
        to: LinkHealth,
        recording: bool,
    ) -> Said {
        match to {
            LinkHealth::Lost => {
                if self.lost_since.is_none() {
                    self.lost_since = Some(now);
                    self.lost_while_recording = from == LinkHealth::Up && recording;
                }
                Said::Lost
            }
            // Back, whether it answered again or came back through a reboot.
            LinkHealth::Up => match self.lost_since.take() {
                Some(since) => {
                    let secs = now.saturating_duration_since(since).as_secs();
                    Said::Back(if std::mem::take(&mut self.lost_while_recording) {
                        format!("Camera back after {secs} s: recording was interrupted")
                    } else {
                        format!("Camera back after {secs} s")
                    })
                }
                None => Said::Nothing,
            },
            LinkHealth::Searching | LinkHealth::Booting => Said::Nothing,
        }
    }

    /// The link saw a reboot; `recording` = the reading from before it said recording.
    pub fn rebooted(&self, recording: bool) -> &'static str {
        if self.lost_since.is_some() {
            // After a loss, "Camera back" tells the story once it is up.
            "Camera answers again: restarting its start-up"
        } else if recording {
            "Camera rebooted while recording: recording stopped"
        } else {
            "Camera rebooted"
        }
    }
}
