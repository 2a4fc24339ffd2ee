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
