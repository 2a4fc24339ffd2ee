//! What every component sends the same way: HEARTBEAT, STATUSTEXT (chunked), packed firmware
//! versions, fixed-size text fields, and a service's answer to a command ([`Handled`]).
//!
//! Owns nothing: plain functions and values.

use crate::core::text::clip;
use mavlink::dialects::common::{
    MavAutopilot, MavMessage, MavModeFlag, MavResult, MavSeverity, MavState, MavType,
    HEARTBEAT_DATA, STATUSTEXT_DATA,
};

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

/// `text` in a fixed-size, zero-padded MAVLink char field (cut to `N` bytes on a character
/// boundary).
pub fn fixed_text<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(clip(text, N).bytes()) {
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
