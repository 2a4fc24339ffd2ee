//! Who a MAVLink message is from and for: peers, targets, requesters and the frames the
//! transmit queue holds.
//!
//! Owns nothing: plain values.

use mavlink::dialects::common::{MavMessage, MavResult};

/// Identifies one MAVLink peer (a socket, or one remote address on a `udpin` socket).
pub type PeerId = u32;

/// Where a [`Transmit`] goes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Target {
    /// Every peer.
    All,
    /// Only the peer a request came from.
    Peer(PeerId),
}

/// An outgoing MAVLink message.
#[derive(Clone, PartialEq, Debug)]
#[allow(clippy::large_enum_variant)] // the common case is the large one
pub enum Outgoing {
    /// A message of the `common` dialect.
    Message(MavMessage),
    /// COMMAND_ACK for a command number `common` does not know (the crate's `MavCmd` cannot hold
    /// it, so the I/O layer encodes this one by hand).
    UnknownCommandAck {
        /// The command number.
        command: u16,
        /// The result (UNSUPPORTED).
        result: MavResult,
        /// The sender's system id.
        target_system: u8,
        /// The sender's component id.
        target_component: u8,
    },
}

/// One message to send, with the header ids to send it with.
#[derive(Clone, PartialEq, Debug)]
pub struct Transmit {
    /// Where to.
    pub target: Target,
    /// Our system id at the time.
    pub system_id: u8,
    /// Our component id.
    pub component_id: u8,
    /// What.
    pub message: Outgoing,
}

impl Transmit {
    /// The message, if it is a `common` one.
    pub fn mav(&self) -> Option<&MavMessage> {
        match &self.message {
            Outgoing::Message(m) => Some(m),
            Outgoing::UnknownCommandAck { .. } => None,
        }
    }
}

/// Who sent a command (for the reply).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Requester {
    /// The peer it came from.
    pub peer: PeerId,
    /// Sender system id.
    pub system: u8,
    /// Sender component id.
    pub component: u8,
}

/// How a message names the component it is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Addressing {
    /// Exactly our system and component (MAVLink FTP: a session is one component's).
    Exact,
    /// Our system and component, or 0 for either (broadcast: PARAM_EXT reads, gimbal
    /// set-points).
    OrBroadcast,
}

/// Whether a message is ours, and who answers it ([`crate::core::mavlink::Host::addressed`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Addressed {
    /// Ours: the answer goes back to this requester.
    Ours(Requester),
    /// For another system or component (or from a 32-bit system id): not ours to answer.
    NotOurs,
    /// Addressed to us, from a system the allow-list (`--allow-sysid`) does not let command us.
    Refused,
}

/// The one rule of addressing, for the component `us` (system, component): a message from
/// `peer` (`header`) naming `target` (system, component) `how`, its sender judged by `allows`.
pub fn addressed(
    us: (u8, u8),
    peer: PeerId,
    header: &mavlink::MavHeader,
    target: (u8, u8),
    how: Addressing,
    allows: impl Fn(u8) -> bool,
) -> Addressed {
    let Ok(system) = u8::try_from(header.system_id) else {
        return Addressed::NotOurs;
    };
    let names =
        |ours: u8, named: u8| named == ours || (how == Addressing::OrBroadcast && named == 0);
    if !(names(us.0, target.0) && names(us.1, target.1)) {
        return Addressed::NotOurs;
    }
    if !allows(system) {
        return Addressed::Refused;
    }
    Addressed::Ours(Requester {
        peer,
        system,
        component: header.component_id,
    })
}
