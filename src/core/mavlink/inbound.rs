//! What arrives from MAVLink, as a component sees it: a parsed message, or a command the
//! `mavlink` crate could not parse because its number is not in the `common` dialect.

use mavlink::dialects::common::{MavCmd, MavMessage, COMMAND_INT_DATA, COMMAND_LONG_DATA};
use mavlink::{MavlinkVersion, Message};

/// Message id of COMMAND_INT.
pub const COMMAND_INT_ID: u32 = 75;
/// Message id of COMMAND_LONG.
pub const COMMAND_LONG_ID: u32 = 76;
/// Length of a COMMAND_LONG payload with all trailing zeros restored, in bytes.
const COMMAND_LONG_LEN: usize = 33;
/// Length of a COMMAND_INT payload with all trailing zeros restored, in bytes.
const COMMAND_INT_LEN: usize = 35;

/// One MAVLink frame's content, decoded as far as possible.
#[derive(Clone, PartialEq, Debug)]
#[allow(clippy::large_enum_variant)] // one per frame, moved by reference
pub enum Inbound {
    /// A message of the `common` dialect.
    Message(MavMessage),
    /// A COMMAND_LONG / COMMAND_INT whose command number `common` does not know. It still needs a
    /// COMMAND_ACK (UNSUPPORTED) when it is addressed to us.
    UnknownCommand(RawCommand),
    /// Anything else that did not parse (another dialect's message, a bad payload): ignored.
    Unparsed {
        /// The message id.
        msg_id: u32,
    },
}

/// The addressing part of a command whose number is unknown.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RawCommand {
    /// The command number (e.g. 42001).
    pub command: u16,
    /// Target system id.
    pub target_system: u8,
    /// Target component id.
    pub target_component: u8,
    /// Confirmation counter (COMMAND_LONG only; 0 for COMMAND_INT).
    pub confirmation: u8,
    /// True for COMMAND_INT.
    pub is_int: bool,
}

impl Inbound {
    /// Decodes one payload (as carried by a checked MAVLink frame). MAVLink 2 trims trailing
    /// zeros; this restores them before reading the raw command fields.
    pub fn from_payload(version: MavlinkVersion, msg_id: u32, payload: &[u8]) -> Self {
        match MavMessage::parse(version, msg_id, payload) {
            Ok(msg) => Self::Message(msg),
            Err(_) => match msg_id {
                COMMAND_LONG_ID | COMMAND_INT_ID => {
                    let is_int = msg_id == COMMAND_INT_ID;
                    let len = if is_int {
                        COMMAND_INT_LEN
                    } else {
                        COMMAND_LONG_LEN
                    };
                    let mut full = [0u8; COMMAND_INT_LEN];
                    let n = payload.len().min(len);
                    full[..n].copy_from_slice(&payload[..n]);
                    // Both layouts: command u16 LE at 28, target_system 30, target_component 31;
                    // COMMAND_LONG has confirmation at 32.
                    Self::UnknownCommand(RawCommand {
                        command: u16::from_le_bytes([full[28], full[29]]),
                        target_system: full[30],
                        target_component: full[31],
                        confirmation: if is_int { 0 } else { full[32] },
                        is_int,
                    })
                }
                _ => Self::Unparsed { msg_id },
            },
        }
    }
}

/// A command in one shape, whether it came as COMMAND_LONG or COMMAND_INT.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Command {
    /// The command.
    pub command: MavCmd,
    /// param1…param7 (for COMMAND_INT, x/y as f32 and z).
    pub params: [f32; 7],
    /// Target system id (0 = every system).
    pub target_system: u8,
    /// Target component id (0 = every component).
    pub target_component: u8,
    /// Retransmission counter (COMMAND_LONG; 0 for COMMAND_INT).
    pub confirmation: u8,
}

impl Command {
    /// From a COMMAND_LONG.
    pub fn from_long(c: &COMMAND_LONG_DATA) -> Self {
        Self {
            command: c.command,
            params: [
                c.param1, c.param2, c.param3, c.param4, c.param5, c.param6, c.param7,
            ],
            target_system: c.target_system,
            target_component: c.target_component,
            confirmation: c.confirmation,
        }
    }

    /// From a COMMAND_INT.
    pub fn from_int(c: &COMMAND_INT_DATA) -> Self {
        Self {
            command: c.command,
            params: [
                c.param1, c.param2, c.param3, c.param4, c.x as f32, c.y as f32, c.z,
            ],
            target_system: c.target_system,
            target_component: c.target_component,
            confirmation: 0,
        }
    }

    /// Parameter `n` (1-based) when it is a whole number (a float parameter that must be an
    /// integer, such as a message id or a count; 259.7 is refused rather than truncated).
    pub fn whole(&self, n: usize) -> Option<f32> {
        let v = self.p(n);
        (v.is_finite() && v.fract() == 0.0).then_some(v)
    }

    /// Parameter `n` (1-based).
    pub fn p(&self, n: usize) -> f32 {
        self.params
            .get(n.wrapping_sub(1))
            .copied()
            .unwrap_or(f32::NAN)
    }
}
