//! MAVLink 2 message signing (<https://mavlink.io/en/guide/message_signing.html>) around the
//! `mavlink` crate's implementation (`SigningData`: SHA-256/48 signatures, per-stream timestamps).
//!
//! This lives in `io` because the crate reads the wall clock itself (timestamps are 10 µs units
//! since 2015-01-01 00:00 UTC).
//!
//! What the crate does and we rely on:
//! * outgoing: timestamp = max(last sent + 1, now), our link id in every signature;
//! * incoming: a stream is (link id, system id, component id); a frame whose timestamp is not
//!   newer than the last accepted one of its stream is rejected (replay); a new stream more than
//!   one minute behind our clock is rejected; an accepted timestamp ahead of our clock moves our
//!   clock forward (so our own outgoing timestamps stay monotonic across both directions).
//!
//! What we add: which unsigned frames are accepted (see [`ACCEPTED_UNSIGNED`]), dropping and
//! counting the rest, and a key type that never shows itself in logs or `Debug` output.

use std::fmt;
use std::path::Path;

use mavlink::dialects::common::MavMessage;
use mavlink::{MAVLinkV2MessageRaw, Message, SigningConfig, SigningData};

use crate::core::mavlink::wire::{RawFrame, IFLAG_SIGNED, MAX_FRAME};
use crate::io::text_file::{read_capped, readable_by_others};

/// Message ids accepted without a signature when signing is on.
///
/// Only RADIO_STATUS (109): the spec names it as the usual exception because telemetry radios
/// (SiK) inject it into the stream and cannot sign. The camera component does not act on it, so
/// accepting it opens no command path; every other message, including HEARTBEAT and every
/// COMMAND_*, must be signed. MAVLink 1 frames cannot be signed and are therefore dropped too.
pub const ACCEPTED_UNSIGNED: &[u32] = &[109];

/// Size of the crate's raw frame buffer.
const RAW_SIZE: usize = mavlink::consts::MAX_FRAME_SIZE;

/// The link id our outgoing signatures carry. The bridge signs each frame once and sends it on
/// every endpoint; receivers key their replay protection on (link id, system, component).
pub const OUR_LINK_ID: u8 = 0;

/// The 32-byte shared secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<secret>)")
    }
}

/// Why a key file was refused (never contains key material).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// Cannot read the file.
    #[error("cannot read it ({0})")]
    Read(String),
    /// Wrong length.
    #[error("expected 64 hex digits (a 32-byte key), found {0} characters")]
    Length(usize),
    /// Not hex.
    #[error("expected 64 hex digits (a 32-byte key), found a non-hex character")]
    NotHex,
}

/// The largest key file read, bytes (64 hex digits and room for whitespace).
pub const MAX_KEY_FILE_BYTES: u64 = 1024;

impl SigningKey {
    /// From 64 hex digits (whitespace anywhere ignored: `01 23 …` and a final newline are fine).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let t: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if t.len() != 64 {
            return Err(KeyError::Length(t.len()));
        }
        let digit = |c: u8| -> Result<u8, KeyError> {
            match c {
                b'0'..=b'9' => Ok(c - b'0'),
                b'a'..=b'f' => Ok(c - b'a' + 10),
                b'A'..=b'F' => Ok(c - b'A' + 10),
                _ => Err(KeyError::NotHex),
            }
        };
        let mut key = [0u8; 32];
        for (k, pair) in key.iter_mut().zip(t.chunks_exact(2)) {
            *k = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Ok(Self(key))
    }

    /// Reads a key file (64 hex digits, at most [`MAX_KEY_FILE_BYTES`] with whitespace), warning
    /// when its group or others may read it (as ssh does for a private key).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let text =
            read_capped(path, MAX_KEY_FILE_BYTES).map_err(|e| KeyError::Read(e.to_string()))?;
        if readable_by_others(path) == Some(true) {
            tracing::warn!(
                target: "mavlink",
                "signing key file {} can be read by other users: chmod 600 it",
                path.display()
            );
        }
        Self::from_hex(&text)
    }
}

/// What to do with an incoming frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// Correctly signed and fresh.
    Signed,
    /// Unsigned, but of a kind the spec lets us accept (see [`ACCEPTED_UNSIGNED`]).
    AllowedUnsigned,
    /// Unsigned (or MAVLink 1): drop.
    Unsigned,
    /// Wrong key, or a replayed / stale timestamp: drop.
    BadSignature,
}

impl Verdict {
    /// Hand the frame on?
    pub fn accepted(self) -> bool {
        matches!(self, Self::Signed | Self::AllowedUnsigned)
    }
}

/// Signs outgoing frames and checks incoming ones; shared by every endpoint.
pub struct Signer {
    data: SigningData,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(<secret>)")
    }
}

impl Signer {
    /// A signer with `key`; outgoing frames carry `link_id`.
    pub fn new(key: &SigningKey, link_id: u8) -> Self {
        Self {
            data: SigningData::from_config(SigningConfig::new(key.0, link_id, true, false)),
        }
    }

    /// Signs an unsigned MAVLink 2 frame (as made by `wire::encode`). Anything else is returned
    /// unchanged.
    pub fn sign(&self, frame: &[u8]) -> Vec<u8> {
        let (Some(&0xFD), Some(&len), Some(&incompat)) =
            (frame.first(), frame.get(1), frame.get(2))
        else {
            return frame.to_vec();
        };
        let crc_end = 10 + usize::from(len);
        if incompat != 0 || frame.len() != crc_end + 2 {
            return frame.to_vec();
        }
        let mut bytes = [0u8; RAW_SIZE];
        bytes[..frame.len()].copy_from_slice(frame);
        bytes[2] = IFLAG_SIGNED;
        let msg_id = u32::from_le_bytes([bytes[7], bytes[8], bytes[9], 0]);
        let crc = mavlink::calculate_crc(&bytes[1..crc_end], MavMessage::extra_crc(msg_id));
        bytes[crc_end..crc_end + 2].copy_from_slice(&crc.to_le_bytes());
        let mut raw = MAVLinkV2MessageRaw::from_bytes_unparsed(bytes);
        self.data.sign_message(&mut raw);
        raw.raw_bytes().to_vec()
    }

    /// Checks an incoming frame (`wire` = its bytes as received).
    pub fn check(&self, frame: &RawFrame, wire: &[u8]) -> Verdict {
        if !frame.signed {
            return if frame.version == mavlink::MavlinkVersion::V2
                && ACCEPTED_UNSIGNED.contains(&frame.msg_id)
            {
                Verdict::AllowedUnsigned
            } else {
                Verdict::Unsigned
            };
        }
        if wire.len() > MAX_FRAME {
            return Verdict::BadSignature;
        }
        let mut bytes = [0u8; RAW_SIZE];
        bytes[..wire.len()].copy_from_slice(wire);
        if self
            .data
            .verify_signature(&MAVLinkV2MessageRaw::from_bytes_unparsed(bytes))
        {
            Verdict::Signed
        } else {
            Verdict::BadSignature
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::camera::{Outgoing, Target, Transmit};
    use crate::core::mavlink::wire::{encode, FrameSplitter};
    use mavlink::dialects::common::MavResult;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn key() -> SigningKey {
        SigningKey::from_hex(&format!("  {HEX}\n")).expect("key")
    }

    fn split(bytes: &[u8]) -> (RawFrame, Vec<u8>) {
        let mut s = FrameSplitter::default();
        s.push(bytes);
        let mut wire = Vec::new();
        let f = s.next_frame_with_wire(&mut wire).expect("frame");
        (f, wire)
    }

    #[test]
    fn key_parsing_and_no_key_in_debug() {
        assert_eq!(SigningKey::from_hex("abc"), Err(KeyError::Length(3)));
        // Whitespace anywhere is ignored, as the README says.
        let spaced: Vec<String> = HEX
            .as_bytes()
            .chunks(2)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        assert_eq!(
            SigningKey::from_hex(&format!("{}\n", spaced.join(" "))).map(|k| k.0),
            Ok(key().0)
        );
        assert_eq!(
            SigningKey::from_hex(&format!("{}\n\t{}", &HEX[..32], &HEX[32..])).map(|k| k.0),
            Ok(key().0)
        );
        assert_eq!(
            SigningKey::from_hex(&HEX.replace('0', "g")),
            Err(KeyError::NotHex)
        );
        let k = key();
        let shown = format!("{k:?} {:?}", Signer::new(&k, 0));
        assert!(
            !shown.contains("0a0b") && !shown.contains("10, 11"),
            "{shown}"
        );
    }

    #[test]
    fn signed_frames_verify_and_unsigned_or_wrong_key_or_replayed_do_not() {
        let ours = Signer::new(&key(), OUR_LINK_ID);
        let theirs = Signer::new(&key(), 7);
        let stranger = Signer::new(&SigningKey::from_hex(&"ab".repeat(32)).expect("key"), 7);
        let t = Transmit {
            target: Target::All,
            system_id: 255,
            component_id: 190,
            message: Outgoing::UnknownCommandAck {
                command: 42001,
                result: MavResult::MAV_RESULT_UNSUPPORTED,
                target_system: 1,
                target_component: 100,
            },
        };
        let unsigned = encode(&t, 1);
        let signed = theirs.sign(&unsigned);
        assert_eq!(signed.len(), unsigned.len() + 13);
        let (f, w) = split(&signed);
        assert!(f.signed);
        assert_eq!(f.payload.get(..2), Some(&42001u16.to_le_bytes()[..]));
        assert_eq!(ours.check(&f, &w), Verdict::Signed);
        // The same frame again is a replay.
        assert_eq!(ours.check(&f, &w), Verdict::BadSignature);
        // Unsigned, and signed with another key.
        let (f, w) = split(&unsigned);
        assert_eq!(ours.check(&f, &w), Verdict::Unsigned);
        let (f, w) = split(&stranger.sign(&encode(&t, 2)));
        assert_eq!(ours.check(&f, &w), Verdict::BadSignature);
        // A newer frame of the stream is fine; timestamps of our own output increase.
        let (f, w) = split(&theirs.sign(&encode(&t, 3)));
        assert_eq!(ours.check(&f, &w), Verdict::Signed);
        let a = ours.sign(&encode(&t, 4));
        let b = ours.sign(&encode(&t, 5));
        let ts = |x: &[u8]| {
            let s = &x[x.len() - 12..x.len() - 6];
            u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], 0, 0])
        };
        assert!(ts(&b) > ts(&a));
        assert_eq!(a[a.len() - 13], OUR_LINK_ID);
    }

    #[test]
    fn radio_status_is_the_only_unsigned_exception() {
        let ours = Signer::new(&key(), OUR_LINK_ID);
        let radio = MavMessage::RADIO_STATUS(Default::default());
        let mut wire = Vec::new();
        mavlink::write_v2_msg(&mut wire, Default::default(), &radio).expect("encode");
        let (f, w) = split(&wire);
        assert_eq!(ours.check(&f, &w), Verdict::AllowedUnsigned);
        let mut v1 = Vec::new();
        mavlink::write_v1_msg(&mut v1, Default::default(), &radio).expect("encode");
        let (f, w) = split(&v1);
        assert_eq!(ours.check(&f, &w), Verdict::Unsigned);
    }
}
