//! What every MAVLink component of the bridge does, once: identity (the learned system id and
//! the autopilot it belongs to), heartbeat timing, the transmit queue and its targets,
//! STATUSTEXT (chunked), which peers are alive, retransmission de-dup, message intervals per
//! peer, and the routing of commands (addressing, broadcasts, allow-list, unknown numbers).
//!
//! A component (the camera today; the gimbal next) owns a [`host::Host`] and its own service
//! state. For each inbound frame it asks the host ([`host::Host::accept`]) and dispatches only
//! what the host hands back; the host turns the service's [`Handled`] into the COMMAND_ACK and
//! the messages that follow it. The host knows nothing about cameras.
//!
//! [`wire`] is the MAVLink wire codec (frame splitter with resync, the encoder including the
//! hand-built COMMAND_ACK for unknown command numbers); the sockets and signing stay in `io`.
//! [`ftp`] is a read-only MAVLink FTP server a component can host (the camera serves its
//! definition file with it).
//!
//! Owns: the state listed above. Never touches: a SIYI link, a service's state, sockets, clocks.

pub mod dedupe;
pub mod ftp;
pub mod host;
pub mod inbound;
pub mod wire;

use mavlink::dialects::common::{
    MavAutopilot, MavMessage, MavModeFlag, MavResult, MavSeverity, MavState, MavType,
    HEARTBEAT_DATA, STATUSTEXT_DATA,
};

pub use host::{Accepted, Host, HostConfig, HostEvent, HostStats, PEER_SILENT_TIMEOUT};
pub use inbound::{Command, Inbound, RawCommand};

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

/// A service's answer to one command: the ack result and the messages that follow it.
#[derive(Clone, PartialEq, Debug)]
pub struct Handled {
    /// The COMMAND_ACK result.
    pub result: MavResult,
    /// Data for the requester, after the ack.
    pub then: Vec<MavMessage>,
    /// State changes for everyone (e.g. CAMERA_CAPTURE_STATUS), after the ack.
    pub then_all: Vec<MavMessage>,
}

impl Handled {
    /// Just an ack.
    pub fn just(result: MavResult) -> Self {
        Self {
            result,
            then: Vec::new(),
            then_all: Vec::new(),
        }
    }

    /// An ack, then one message for everyone.
    pub fn then_all(result: MavResult, msg: MavMessage) -> Self {
        Self {
            result,
            then: Vec::new(),
            then_all: vec![msg],
        }
    }
}

/// HEARTBEAT of one of our components: `mavtype`, no autopilot, an empty base mode.
pub fn heartbeat(mavtype: MavType, system_status: MavState) -> MavMessage {
    MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype,
        autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
        base_mode: MavModeFlag::empty(),
        system_status,
        mavlink_version: 3,
    })
}

/// A firmware version packed as MAVLink's `*_INFORMATION.firmware_version` wants it:
/// `(dev & 0xff) << 24 | (patch & 0xff) << 16 | (minor & 0xff) << 8 | (major & 0xff)`, dev = 0.
pub fn pack_firmware(major: u8, minor: u8, patch: u8) -> u32 {
    u32::from(major) | (u32::from(minor) << 8) | (u32::from(patch) << 16)
}

/// `text` in a fixed-size, zero-padded MAVLink char field (cut at `N` bytes).
pub fn fixed_text<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(text.bytes()) {
        *o = b;
    }
    out
}

/// Bytes of text one STATUSTEXT carries.
pub const STATUSTEXT_CHUNK_BYTES: usize = 50;

/// STATUSTEXT for `text`: one message (`id` 0) when it fits in 50 bytes, else MAVLink 2 chunks
/// that share `long_id` (non-zero) with `chunk_seq` 0, 1, …, split on UTF-8 character
/// boundaries. A text that fills its last chunk exactly is followed by an empty chunk, because a
/// receiver knows a long text has ended only at a chunk shorter than 50 bytes.
pub fn statustext(severity: MavSeverity, text: &str, long_id: u16) -> Vec<MavMessage> {
    let msg = |part: &str, id: u16, chunk_seq: u8| {
        MavMessage::STATUSTEXT(STATUSTEXT_DATA {
            severity,
            text: part.into(),
            id,
            chunk_seq,
        })
    };
    if text.len() <= STATUSTEXT_CHUNK_BYTES {
        return vec![msg(text, 0, 0)];
    }
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() && out.len() < usize::from(u8::MAX) {
        let mut cut = rest.len().min(STATUSTEXT_CHUNK_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (part, tail) = rest.split_at(cut);
        out.push(msg(part, long_id, out.len() as u8));
        rest = tail;
        if rest.is_empty() && part.len() == STATUSTEXT_CHUNK_BYTES {
            out.push(msg("", long_id, out.len() as u8));
        }
    }
    out
}
