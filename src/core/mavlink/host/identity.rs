//! The host's identity: whether a sender is our autopilot, learning the system id from its
//! heartbeat, and heartbeats carrying our own ids (an echo or another component: `presence`).

use std::time::Instant;

use mavlink::dialects::common::{MavMessage, MavSeverity};

use super::super::presence::{self, OwnIds};
use super::super::{PeerId, Requester};
use super::{Host, HostEvent, AUTOPILOT_COMPONENT, PEER_SILENT_TIMEOUT};

impl Host {
    /// Whether `from` is our autopilot: our system id, component 1, and the link the autopilot's
    /// heartbeat came on (a copy of its ids from another link is not it).
    pub fn is_our_autopilot(&self, from: &Requester) -> bool {
        from.component == AUTOPILOT_COMPONENT
            && from.system == self.system_id
            && self.autopilot.is_some_and(|(l, _)| l == from.peer)
    }

    /// Our last HEARTBEAT left with sequence number `seq` (the bridge numbers frames): an
    /// echo carries it, another component with our ids does not.
    pub fn sent_heartbeat(&mut self, seq: u8) {
        self.presence.sent_heartbeat(seq);
    }

    /// A frame with our own system and component ids: an echo, or another component's
    /// heartbeat (logged and said once, see `presence`).
    pub(super) fn heard_own_ids(&mut self, now: Instant, msg: &MavMessage, seq: u8) {
        let heard = self.presence.heard_own_ids(now, msg, seq);
        if heard == OwnIds::Echo {
            return;
        }
        self.stats.rival_heartbeats += 1;
        if heard == OwnIds::RivalNew {
            let text = presence::rival_text(self.system_id, self.config.component_id);
            tracing::warn!(target: "mavlink", "{text}");
            self.statustext(MavSeverity::MAV_SEVERITY_WARNING, &text);
        }
    }

    /// An autopilot's HEARTBEAT. The first one (or, with a fixed system id, the one with that
    /// id) names the autopilot; another autopilot takes over only after the named one has been
    /// silent for [`PEER_SILENT_TIMEOUT`], so a stray heartbeat cannot steal the system id.
    pub(super) fn autopilot_heartbeat(&mut self, now: Instant, peer: PeerId, sender_sys: u8) {
        if let Some(fixed) = self.config.system_id {
            if sender_sys == fixed {
                self.autopilot = Some((peer, now));
            }
            return;
        }
        let current = self.learned.then_some(self.system_id);
        let silent = self
            .autopilot
            .is_none_or(|(_, heard)| now.saturating_duration_since(heard) >= PEER_SILENT_TIMEOUT);
        match current {
            Some(sys) if sys == sender_sys => {
                if silent || self.autopilot.is_some_and(|(l, _)| l == peer) {
                    self.autopilot = Some((peer, now));
                }
            }
            Some(_) if !silent => {}
            _ => {
                // The application logs it once for all components.
                tracing::debug!(target: "mavlink", component = self.config.component_id, system_id = sender_sys, "system id learned from the autopilot heartbeat");
                self.system_id = sender_sys;
                self.learned = true;
                self.presence.release();
                self.autopilot = Some((peer, now));
                self.events
                    .push_back(HostEvent::SystemIdLearned(sender_sys));
            }
        }
    }
}
