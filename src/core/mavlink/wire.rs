//! The MAVLink wire codec: split bytes into CRC-checked frames, encode the core's [`Transmit`]s.
//!
//! Sans-IO (no socket, no clock). Signing is applied on top by `io::mavlink::signing`.

use std::collections::HashSet;
use std::sync::OnceLock;

use mavlink::dialects::common::{MavCmd, MavMessage, COMMAND_ACK_DATA};
use mavlink::{MavHeader, MavlinkVersion, Message};

use super::{Outgoing, Transmit};

/// Longest MAVLink frame: v2 header 10 + payload 255 + CRC 2 + signature 13.
pub const MAX_FRAME: usize = 280;
/// MAVLink 2 start byte.
const STX_V2: u8 = 0xFD;
/// MAVLink 1 start byte.
const STX_V1: u8 = 0xFE;
/// Incompatibility flag: the frame carries a 13-byte signature.
pub const IFLAG_SIGNED: u8 = 0x01;
/// Signature length (link id 1 + timestamp 6 + signature 6).
pub const SIGNATURE_LEN: usize = 13;
/// The buffer of a stream never holds more than this much undecided data.
const MAX_BUFFERED: usize = 64 * 1024;

/// One checked MAVLink frame, not yet interpreted.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RawFrame {
    /// Header (sender ids, sequence).
    pub header: MavHeader,
    /// MAVLink 1 or 2.
    pub version: MavlinkVersion,
    /// Message id.
    pub msg_id: u32,
    /// Payload bytes as on the wire (MAVLink 2: trailing zeros trimmed).
    pub payload: Vec<u8>,
    /// MAVLink 2 frame with a signature (not checked here: see `io::mavlink::signing`).
    pub signed: bool,
}

/// Splits a byte stream (or a datagram) into CRC-checked frames; resynchronises on garbage.
///
/// Linear in the input: bytes are consumed through a read offset (the buffer is compacted once
/// per call, not per skipped byte), and a candidate start byte costs at most one frame's CRC.
/// After a bad frame only its start byte is skipped, so a valid frame hidden inside is found.
#[derive(Default, Debug)]
pub struct FrameSplitter {
    buf: Vec<u8>,
    /// Read offset into `buf`: everything before it is consumed.
    pos: usize,
    /// Bytes skipped while looking for a frame start or after a bad frame.
    pub skipped: u64,
    /// Work done: bytes scanned, checked (CRC) or moved. Tests assert it stays linear.
    examined: u64,
    /// The buffer holds one whole datagram: a frame cut short by its end will never complete.
    datagram: bool,
}

impl FrameSplitter {
    /// Takes one whole datagram (whatever was buffered is dropped): frames never span
    /// datagrams, so a start byte whose frame would run past the end is skipped, and a valid
    /// frame after it is still found.
    pub fn push_datagram(&mut self, bytes: &[u8]) {
        self.clear();
        self.buf.extend_from_slice(bytes);
        self.datagram = true;
    }

    /// Adds bytes of a stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.datagram = false;
        self.compact();
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > MAX_BUFFERED {
            // A stream that never yields a frame: keep the newest bytes only.
            let drop = self.buf.len() - MAX_BUFFERED;
            self.skipped += drop as u64;
            self.examined += self.buf.len() as u64;
            self.buf.drain(..drop);
        }
    }

    /// Drops a partial frame (end of a datagram: frames never span datagrams).
    pub fn clear(&mut self) {
        self.skipped += self.unread().len() as u64;
        self.buf.clear();
        self.pos = 0;
    }

    /// Bytes scanned, checked or moved so far (a measure of work, for tests and benchmarks).
    pub fn examined(&self) -> u64 {
        self.examined
    }

    fn unread(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Moves the unread bytes to the front (once per push, never per skipped byte).
    fn compact(&mut self) {
        if self.pos > 0 {
            self.examined += (self.buf.len() - self.pos) as u64;
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// The next complete frame, if any.
    pub fn next_frame(&mut self) -> Option<RawFrame> {
        self.next_frame_inner(None)
    }

    /// The next complete frame, with its wire bytes copied into `wire` (for signature checks).
    pub fn next_frame_with_wire(&mut self, wire: &mut Vec<u8>) -> Option<RawFrame> {
        self.next_frame_inner(Some(wire))
    }

    fn next_frame_inner(&mut self, mut wire: Option<&mut Vec<u8>>) -> Option<RawFrame> {
        loop {
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            let start = rest.iter().position(|b| *b == STX_V2 || *b == STX_V1);
            let Some(start) = start else {
                self.examined += rest.len() as u64;
                self.skipped += rest.len() as u64;
                self.buf.clear();
                self.pos = 0;
                return None;
            };
            self.examined += start as u64 + 1;
            self.skipped += start as u64;
            self.pos += start;
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            match check_frame(rest) {
                Check::NeedMore if !self.datagram => return None,
                Check::NeedMore => {
                    self.skipped += 1;
                    self.pos += 1;
                }
                Check::Bad { examined } => {
                    // Not a frame here: skip only this start byte.
                    self.examined += examined as u64;
                    self.skipped += 1;
                    self.pos += 1;
                }
                Check::Frame { len } => {
                    self.examined += len as u64;
                    let frame = rest.get(..len).unwrap_or_default();
                    let out = parse_checked(frame);
                    if let Some(w) = wire.as_deref_mut() {
                        w.clear();
                        w.extend_from_slice(frame);
                    }
                    self.pos += len;
                    return Some(out);
                }
            }
        }
    }
}

enum Check {
    NeedMore,
    Bad { examined: usize },
    Frame { len: usize },
}

/// Message ids of the dialect, and the exact MAVLink 1 payload length of those below 256.
struct Known {
    v1_len: [Option<u8>; 256],
    v2: HashSet<u32>,
}

/// Built once (the dialect's ids are below 65 536): lets a candidate frame of an unknown id, or
/// a MAVLink 1 frame of the wrong length, be rejected before any CRC work.
fn known() -> &'static Known {
    static KNOWN: OnceLock<Known> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut k = Known {
            v1_len: [None; 256],
            v2: HashSet::new(),
        };
        let mut buf = [0u8; 255];
        for id in 0..=u32::from(u16::MAX) {
            if let Some(m) = MavMessage::default_message_from_id(id) {
                k.v2.insert(id);
                if let Some(slot) = k.v1_len.get_mut(id as usize) {
                    *slot = u8::try_from(m.ser(MavlinkVersion::V1, &mut buf)).ok();
                }
            }
        }
        k
    })
}

/// Is there a CRC-valid frame at the start of `b` (which starts with a start byte)?
fn check_frame(b: &[u8]) -> Check {
    let (header_len, len, msg_id, signed) = match b {
        [STX_V2, len, incompat, _compat, _seq, _sys, _comp, m0, m1, m2, ..] => {
            if incompat & !IFLAG_SIGNED != 0 {
                // Unknown incompatibility flags (incl. SYSID32, not supported): must be dropped.
                return Check::Bad { examined: 3 };
            }
            let id = u32::from_le_bytes([*m0, *m1, *m2, 0]);
            if !known().v2.contains(&id) {
                return Check::Bad { examined: 10 };
            }
            (10, usize::from(*len), id, incompat & IFLAG_SIGNED != 0)
        }
        [STX_V1, len, _seq, _sys, _comp, m, ..] => {
            // MAVLink 1 payloads are never truncated: the length is exact.
            if known().v1_len.get(usize::from(*m)).copied().flatten() != Some(*len) {
                return Check::Bad { examined: 6 };
            }
            (6, usize::from(*len), u32::from(*m), false)
        }
        _ => return Check::NeedMore,
    };
    let total = header_len + len + 2 + if signed { SIGNATURE_LEN } else { 0 };
    let Some(frame) = b.get(..total) else {
        return Check::NeedMore;
    };
    let crc_end = header_len + len;
    let body = frame.get(1..crc_end).unwrap_or_default();
    let crc = mavlink::calculate_crc(body, MavMessage::extra_crc(msg_id));
    let wire_crc = frame
        .get(crc_end..crc_end + 2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .unwrap_or(!crc);
    if crc == wire_crc {
        Check::Frame { len: total }
    } else {
        Check::Bad { examined: crc_end }
    }
}

/// Fields of a frame [`check_frame`] accepted.
fn parse_checked(f: &[u8]) -> RawFrame {
    let byte = |i: usize| f.get(i).copied().unwrap_or(0);
    if byte(0) == STX_V2 {
        let len = usize::from(byte(1));
        RawFrame {
            header: MavHeader {
                system_id: u32::from(byte(5)),
                component_id: byte(6),
                sequence: byte(4),
            },
            version: MavlinkVersion::V2,
            msg_id: u32::from_le_bytes([byte(7), byte(8), byte(9), 0]),
            payload: f.get(10..10 + len).unwrap_or_default().to_vec(),
            signed: byte(2) & IFLAG_SIGNED != 0,
        }
    } else {
        let len = usize::from(byte(1));
        RawFrame {
            header: MavHeader {
                system_id: u32::from(byte(3)),
                component_id: byte(4),
                sequence: byte(2),
            },
            version: MavlinkVersion::V1,
            msg_id: u32::from(byte(5)),
            payload: f.get(6..6 + len).unwrap_or_default().to_vec(),
            signed: false,
        }
    }
}

/// Encodes one [`Transmit`] as an unsigned MAVLink 2 frame (signing, when on, is applied on top
/// by `io::mavlink::signing::Signer::sign`).
pub fn encode(t: &Transmit, sequence: u8) -> Vec<u8> {
    let header = MavHeader {
        system_id: u32::from(t.system_id),
        component_id: t.component_id,
        sequence,
    };
    let mut out = Vec::with_capacity(MAX_FRAME);
    match &t.message {
        Outgoing::Message(m) => {
            // Writing into a Vec cannot fail.
            let _ = mavlink::write_v2_msg(&mut out, header, m);
        }
        Outgoing::UnknownCommandAck {
            command,
            result,
            target_system,
            target_component,
        } => {
            // Serialise a COMMAND_ACK with a placeholder command, then put the real number in.
            let ack = MavMessage::COMMAND_ACK(COMMAND_ACK_DATA {
                command: MavCmd::MAV_CMD_NAV_WAYPOINT,
                result: *result,
                progress: 0,
                result_param2: 0,
                target_system: *target_system,
                target_component: *target_component,
            });
            let mut payload = [0u8; 255];
            let n = ack.ser(MavlinkVersion::V2, &mut payload);
            payload[..2].copy_from_slice(&command.to_le_bytes());
            let mut len = n.max(3);
            while len > 1 && payload[len - 1] == 0 {
                len -= 1;
            }
            let msg_id = ack.message_id();
            let mut frame = vec![
                STX_V2,
                len as u8,
                0,
                0,
                sequence,
                t.system_id,
                t.component_id,
                msg_id as u8,
                (msg_id >> 8) as u8,
                (msg_id >> 16) as u8,
            ];
            frame.extend_from_slice(&payload[..len]);
            let crc = mavlink::calculate_crc(
                frame.get(1..).unwrap_or_default(),
                MavMessage::extra_crc(msg_id),
            );
            frame.extend_from_slice(&crc.to_le_bytes());
            out = frame;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::mavlink::{heartbeat, Inbound, Target};
    use mavlink::dialects::common::{MavResult, MavState, MavType};

    fn heartbeat_wire(seq: u8) -> Vec<u8> {
        let msg = heartbeat(MavType::MAV_TYPE_CAMERA, MavState::MAV_STATE_STANDBY);
        encode(
            &Transmit {
                target: Target::All,
                system_id: 1,
                component_id: 100,
                message: Outgoing::Message(msg),
            },
            seq,
        )
    }

    #[test]
    fn unknown_command_ack_round_trips_as_a_valid_frame() {
        let t = Transmit {
            target: Target::All,
            system_id: 1,
            component_id: 100,
            message: Outgoing::UnknownCommandAck {
                command: 42001,
                result: MavResult::MAV_RESULT_UNSUPPORTED,
                target_system: 255,
                target_component: 190,
            },
        };
        let bytes = encode(&t, 9);
        let mut s = FrameSplitter::default();
        s.push(b"junk");
        s.push(&bytes);
        let f = s.next_frame().expect("frame");
        assert_eq!(f.msg_id, 77);
        assert_eq!(&f.payload[..3], &[0x11, 0xA4, 3]);
        // The crate cannot represent 42001 in MavCmd, so it does not parse: that's expected.
        assert!(matches!(
            Inbound::from_payload(f.version, f.msg_id, &f.payload),
            Inbound::Unparsed { .. }
        ));
    }

    #[test]
    fn split_stream_in_every_chunk_size() {
        let mut wire = heartbeat_wire(1);
        wire.extend(heartbeat_wire(2));
        for chunk in 1..wire.len() {
            let mut s = FrameSplitter::default();
            let mut got = 0;
            for c in wire.chunks(chunk) {
                s.push(c);
                while s.next_frame().is_some() {
                    got += 1;
                }
            }
            assert_eq!(got, 2, "chunk {chunk}");
        }
    }

    #[test]
    fn a_frame_hidden_in_a_bad_one_is_found() {
        // A v1 start byte whose "frame" swallows a real v2 frame: resync skips one byte only.
        let hb = heartbeat_wire(3);
        let mut wire = vec![STX_V1, 40, 0, 0, 0, 0];
        wire.extend_from_slice(&hb);
        wire.extend_from_slice(&[0u8; 40]);
        let mut s = FrameSplitter::default();
        s.push(&wire);
        let f = s.next_frame().expect("the hidden frame");
        assert_eq!((f.msg_id, f.header.sequence), (0, 3));
        // Mavlink 1 frames still decode.
        let mut v1 = Vec::new();
        let msg = heartbeat(MavType::MAV_TYPE_CAMERA, MavState::MAV_STATE_STANDBY);
        mavlink::write_v1_msg(&mut v1, MavHeader::default(), &msg).expect("v1");
        s.push(&v1);
        let f = s.next_frame().expect("v1 frame");
        assert_eq!((f.version, f.msg_id), (MavlinkVersion::V1, 0));
    }

    /// Issue 7, defect 11: garbage skipping was quadratic (`drain(..1)` and a re-scan per byte).
    /// The work counter must stay within a small constant per input byte (it was about half the
    /// buffer length per byte, ~32 000 for 64 KiB).
    #[test]
    fn garbage_skipping_is_linear() {
        const N: usize = 64 * 1024;
        let mut inputs: Vec<(&str, Vec<u8>)> =
            vec![("0xFD", vec![0xFD; N]), ("0xFE", vec![0xFE; N])];
        // Seeded xorshift: random bytes, then random bytes with a valid frame at the end.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let random: Vec<u8> = (0..N)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        inputs.push(("random", random.clone()));
        let mut with_frame = random;
        with_frame.extend(heartbeat_wire(7));
        inputs.push(("random+frame", with_frame));
        for (name, input) in inputs {
            // As one datagram.
            let mut s = FrameSplitter::default();
            s.push_datagram(&input);
            let mut frames = 0;
            while s.next_frame().is_some() {
                frames += 1;
            }
            s.clear();
            assert!(
                s.examined() <= 16 * input.len() as u64,
                "{name}: {} bytes examined for {} in",
                s.examined(),
                input.len()
            );
            // As a stream in 1 KiB chunks.
            let mut t = FrameSplitter::default();
            for c in input.chunks(1024) {
                t.push(c);
                while t.next_frame().is_some() {}
            }
            assert!(
                t.examined() <= 16 * input.len() as u64,
                "{name} (stream): {} bytes examined for {} in",
                t.examined(),
                input.len()
            );
            if name.starts_with("random+frame") {
                assert!(frames >= 1, "{name}: frame lost");
            }
        }
    }

    /// The worst case (a plausible v2 header of a known id claiming 255 bytes, every 10 bytes:
    /// each candidate costs one frame's CRC) is still linear: bounded by one maximal frame per
    /// candidate, never by the buffer length.
    #[test]
    fn worst_case_garbage_is_bounded_per_byte() {
        const N: usize = 64 * 1024;
        let pattern = [STX_V2, 255, 0, 0, 0, 0, 0, 110, 0, 0]; // FILE_TRANSFER_PROTOCOL
        let input: Vec<u8> = pattern.iter().copied().cycle().take(N).collect();
        let mut s = FrameSplitter::default();
        s.push_datagram(&input);
        while s.next_frame().is_some() {}
        s.clear();
        let candidates = (N / pattern.len()) as u64;
        assert!(
            s.examined() <= N as u64 + candidates * (MAX_FRAME as u64 + 4),
            "{}",
            s.examined()
        );
    }
}
