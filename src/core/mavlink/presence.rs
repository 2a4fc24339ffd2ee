//! Our identity on the wire, beyond the ids themselves: what a component may send before its
//! system id is known (the startup hold), and another component that heartbeats with our ids.
//!
//! **Before the system id is known** (`--sysid` unset, no autopilot heard yet) a component sends
//! only its HEARTBEAT and the answers to what it is asked; its unsolicited messages to everyone
//! (status streams, GIMBAL_MANAGER_STATUS, STATUSTEXT) are held back — dropped, not queued: they
//! are periodic and a late copy says nothing — until the first of: an autopilot's heartbeat (the
//! id is learned), a command for this component (a client talks to us: a bench setup without an
//! autopilot; what the command causes, such as CAMERA_IMAGE_CAPTURED, must go out), or
//! [`STARTUP_HOLD`] after start. After the hold everything goes
//! out as system 1 until an autopilot is heard. Why: behind PX4 (which heartbeats at 1 Hz) the
//! id is learned within about a second, so nothing PX4 forwards to the ground station carries
//! system 1 beside PX4's own id; a bridge alone with a ground station still streams after 3 s.
//!
//! **Another component with our ids**: a HEARTBEAT from our system and component id is our own
//! looped back only when it is the one we sent: the same type, autopilot, mode and custom mode,
//! and (once the bridge has told us the sequence numbers it gave our heartbeats) one of our last
//! [`ECHO_SEQS`] numbers. Anything else is a second component (e.g. the A8 mini's own MAVLink
//! output reaching PX4 on its UART, whose heartbeat may look exactly like ours: its sequence
//! numbers are its own). It is reported once, and again only after it was silent for
//! [`RIVAL_SILENT`] and came back.
//!
//! Owns: the hold's deadline, the last HEARTBEAT we sent and its recent sequence numbers, when a
//! rival was last heard. Never touches: clocks (`now` is passed in), the transmit queue.

use std::time::{Duration, Instant};

use mavlink::dialects::common::{MavMessage, HEARTBEAT_DATA};

use super::Target;

/// How long a component without a fixed system id holds its unsolicited messages when no
/// autopilot heartbeats (three of PX4's heartbeat periods).
pub const STARTUP_HOLD: Duration = Duration::from_secs(3);
/// A rival component silent this long is reported again when it comes back.
pub const RIVAL_SILENT: Duration = Duration::from_secs(30);
/// How many of our last heartbeats' sequence numbers an echo may carry.
pub const ECHO_SEQS: usize = 4;

/// See the module docs.
#[derive(Debug)]
pub(super) struct Presence {
    /// Unsolicited messages are held until then; `None` = the hold is over.
    hold_until: Option<Instant>,
    /// The hold ended by its timeout (logged once).
    hold_expired_said: bool,
    /// The last HEARTBEAT we sent.
    own_heartbeat: Option<HEARTBEAT_DATA>,
    /// The sequence numbers of our last heartbeats (newest last), when the bridge tells them.
    own_seqs: Vec<u8>,
    /// When a rival heartbeat was last heard.
    rival_heard: Option<Instant>,
}

/// What [`Presence::heard_own_ids`] makes of a HEARTBEAT carrying our ids.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum OwnIds {
    /// Our own message, looped back (or not a heartbeat).
    Echo,
    /// Another component: say so now.
    RivalNew,
    /// Another component, already reported.
    RivalKnown,
}

impl Presence {
    /// A component started at `now`; `fixed_id` = `--sysid` was given (no hold).
    pub(super) fn new(fixed_id: bool, now: Instant) -> Self {
        Self {
            hold_until: (!fixed_id).then_some(now + STARTUP_HOLD),
            hold_expired_said: false,
            own_heartbeat: None,
            own_seqs: Vec::new(),
            rival_heard: None,
        }
    }

    /// The system id is known or confirmed: the hold ends now.
    pub(super) fn release(&mut self) {
        self.hold_until = None;
    }

    /// True while unsolicited messages are held at `now`.
    pub(super) fn holding(&self, now: Instant) -> bool {
        self.hold_until.is_some_and(|until| now < until)
    }

    /// May `msg` to `target` go out at `now`? Remembers our HEARTBEAT. Returns `(admit,
    /// hold_just_expired)`: the second is true once, for the first message sent because the hold
    /// timed out without an autopilot.
    pub(super) fn admit(&mut self, now: Instant, target: Target, msg: &MavMessage) -> (bool, bool) {
        if let MavMessage::HEARTBEAT(hb) = msg {
            self.own_heartbeat = Some(hb.clone());
            return (true, false);
        }
        if target != Target::All || self.hold_until.is_none() {
            return (true, false);
        }
        if self.holding(now) {
            return (false, false);
        }
        let first = !self.hold_expired_said;
        self.hold_expired_said = true;
        (true, first)
    }

    /// Our last HEARTBEAT left with sequence number `seq`.
    pub(super) fn sent_heartbeat(&mut self, seq: u8) {
        if self.own_seqs.len() >= ECHO_SEQS {
            self.own_seqs.remove(0);
        }
        self.own_seqs.push(seq);
    }

    /// A frame with sequence number `seq` from our own system and component ids at `now`.
    pub(super) fn heard_own_ids(&mut self, now: Instant, msg: &MavMessage, seq: u8) -> OwnIds {
        let MavMessage::HEARTBEAT(theirs) = msg else {
            return OwnIds::Echo;
        };
        let differs = self.own_heartbeat.as_ref().is_none_or(|ours| {
            ours.mavtype != theirs.mavtype
                || ours.autopilot != theirs.autopilot
                || ours.base_mode != theirs.base_mode
                || ours.custom_mode != theirs.custom_mode
        }) || (!self.own_seqs.is_empty() && !self.own_seqs.contains(&seq));
        if !differs {
            return OwnIds::Echo;
        }
        let new = self
            .rival_heard
            .is_none_or(|at| now.saturating_duration_since(at) >= RIVAL_SILENT);
        self.rival_heard = Some(now);
        if new {
            OwnIds::RivalNew
        } else {
            OwnIds::RivalKnown
        }
    }
}

/// The words for another component heartbeating as `system`/`component` (STATUSTEXT-sized: at
/// most four 50-byte chunks).
pub fn rival_text(system: u8, component: u8) -> String {
    format!(
        "Another MAVLink component {system}/{component} heartbeats beside this bridge: two answer \
         as one. Turn off the camera's own MAVLink output (A8 mini UART to the autopilot) or run \
         the bridge with another --compid."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::mavlink::heartbeat;
    use mavlink::dialects::common::{MavAutopilot, MavState, MavType};

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn holds_broadcasts_until_released_or_timed_out() {
        let t0 = Instant::now();
        let status = MavMessage::HEARTBEAT(HEARTBEAT_DATA::default());
        let stream = MavMessage::GIMBAL_MANAGER_STATUS(Default::default());
        let mut p = Presence::new(false, t0);
        assert_eq!(p.admit(t0, Target::All, &status), (true, false));
        assert_eq!(p.admit(t0, Target::All, &stream), (false, false));
        assert_eq!(p.admit(t0, Target::Peer(3), &stream), (true, false));
        let after = t0 + STARTUP_HOLD;
        assert_eq!(p.admit(after, Target::All, &stream), (true, true));
        assert_eq!(p.admit(after, Target::All, &stream), (true, false));

        let mut learned = Presence::new(false, t0);
        learned.release();
        assert_eq!(learned.admit(t0, Target::All, &stream), (true, false));
        let mut fixed = Presence::new(true, t0);
        assert_eq!(fixed.admit(t0, Target::All, &stream), (true, false));
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn a_different_heartbeat_with_our_ids_is_a_rival_reported_once() {
        let t0 = Instant::now();
        let ours = heartbeat(MavType::MAV_TYPE_CAMERA, MavState::MAV_STATE_STANDBY);
        let mut p = Presence::new(true, t0);
        p.admit(t0, Target::All, &ours);
        // Our own heartbeat looped back, whatever its status.
        let echo = heartbeat(MavType::MAV_TYPE_CAMERA, MavState::MAV_STATE_BOOT);
        assert_eq!(p.heard_own_ids(t0, &echo, 9), OwnIds::Echo);
        let MavMessage::HEARTBEAT(mut rival) = ours.clone() else {
            unreachable!()
        };
        rival.autopilot = MavAutopilot::MAV_AUTOPILOT_GENERIC;
        let rival = MavMessage::HEARTBEAT(rival);
        assert_eq!(p.heard_own_ids(t0, &rival, 9), OwnIds::RivalNew);
        let mut t = t0;
        for _ in 0..100 {
            t += Duration::from_secs(1);
            assert_eq!(p.heard_own_ids(t, &rival, 9), OwnIds::RivalKnown);
        }
        assert_eq!(
            p.heard_own_ids(t + RIVAL_SILENT, &rival, 9),
            OwnIds::RivalNew
        );
        assert!(
            rival_text(7, 100).len() <= 200,
            "{}",
            rival_text(7, 100).len()
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn a_heartbeat_like_ours_with_a_sequence_we_did_not_send_is_a_rival() {
        let t0 = Instant::now();
        let ours = heartbeat(MavType::MAV_TYPE_CAMERA, MavState::MAV_STATE_STANDBY);
        let mut p = Presence::new(true, t0);
        for seq in [10, 20, 30, 40, 50] {
            p.admit(t0, Target::All, &ours);
            p.sent_heartbeat(seq);
        }
        // The last four are echoes; the fifth-last and any other number are not ours.
        for seq in [20, 30, 40, 50] {
            assert_eq!(p.heard_own_ids(t0, &ours, seq), OwnIds::Echo, "{seq}");
        }
        assert_eq!(p.heard_own_ids(t0, &ours, 10), OwnIds::RivalNew);
        assert_eq!(p.heard_own_ids(t0, &ours, 77), OwnIds::RivalKnown);
    }
}
