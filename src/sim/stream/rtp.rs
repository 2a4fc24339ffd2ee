//! RTP packetisation of H.264 (RFC 6184, packetization-mode 1) and RTCP sender reports
//! (RFC 3550 §6.4.1); pure.
//!
//! A NAL unit that fits in one packet goes alone (single NAL unit packet); a larger one is cut
//! into FU-A fragments (type 28; the FU indicator keeps the NAL's F and NRI bits, the FU header
//! its type and the start / end bits). The marker bit is set on the last packet of an access
//! unit. Timestamps are 90 kHz. Aggregation (STAP-A) is not used: SPS and PPS go as two small
//! packets.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The dynamic payload type the SDP announces for H.264.
pub const PAYLOAD_TYPE: u8 = 96;
/// The RTP clock of video, Hz.
pub const CLOCK_HZ: u32 = 90_000;
/// Largest RTP payload, bytes (fits a 1500-byte Ethernet MTU with IP, UDP and RTP headers).
pub const MAX_PAYLOAD: usize = 1400;
/// The RTP header without CSRCs, bytes.
const HEADER_LEN: usize = 12;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET_S: u64 = 2_208_988_800;

/// The RTP state of one stream to one client: SSRC, sequence number and the counts a sender
/// report carries.
#[derive(Clone, Debug)]
pub struct Packetizer {
    ssrc: u32,
    seq: u16,
    max_payload: usize,
    packets: u32,
    octets: u32,
}

impl Packetizer {
    /// A stream with this SSRC and first sequence number; payloads up to `max_payload` bytes
    /// (at least 3, so an FU-A fragment carries a byte).
    pub fn new(ssrc: u32, first_seq: u16, max_payload: usize) -> Self {
        Self {
            ssrc,
            seq: first_seq,
            max_payload: max_payload.max(3),
            packets: 0,
            octets: 0,
        }
    }

    /// The SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The sequence number the next packet gets.
    pub fn next_seq(&self) -> u16 {
        self.seq
    }

    /// Packets sent so far.
    pub fn packet_count(&self) -> u32 {
        self.packets
    }

    /// Payload octets sent so far (wrapping, as RTCP counts them).
    pub fn octet_count(&self) -> u32 {
        self.octets
    }

    /// The RTP packets of one access unit (`nals`, without start codes) at `rtp_ts`, appended
    /// to `out`; the last one has the marker bit. Empty NAL units are skipped.
    pub fn packetize<N: AsRef<[u8]>>(&mut self, rtp_ts: u32, nals: &[N], out: &mut Vec<Vec<u8>>) {
        let nals: Vec<&[u8]> = nals
            .iter()
            .map(AsRef::as_ref)
            .filter(|n| !n.is_empty())
            .collect();
        let first = out.len();
        for nal in nals {
            if nal.len() <= self.max_payload {
                out.push(self.packet(rtp_ts, &[], nal));
                continue;
            }
            let (head, body) = (nal[0], &nal[1..]);
            let indicator = (head & 0xe0) | 28;
            let chunk = self.max_payload - 2;
            let count = body.len().div_ceil(chunk);
            for (i, part) in body.chunks(chunk).enumerate() {
                let mut fu = head & 0x1f;
                if i == 0 {
                    fu |= 0x80;
                }
                if i + 1 == count {
                    fu |= 0x40;
                }
                out.push(self.packet(rtp_ts, &[indicator, fu], part));
            }
        }
        if let Some(last) = out.get_mut(first..).and_then(|s| s.last_mut()) {
            last[1] |= 0x80;
        }
    }

    fn packet(&mut self, rtp_ts: u32, prefix: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut p = Vec::with_capacity(HEADER_LEN + prefix.len() + payload.len());
        p.push(0x80); // V=2, no padding, no extension, no CSRC
        p.push(PAYLOAD_TYPE);
        p.extend_from_slice(&self.seq.to_be_bytes());
        p.extend_from_slice(&rtp_ts.to_be_bytes());
        p.extend_from_slice(&self.ssrc.to_be_bytes());
        p.extend_from_slice(prefix);
        p.extend_from_slice(payload);
        self.seq = self.seq.wrapping_add(1);
        self.packets = self.packets.wrapping_add(1);
        self.octets = self
            .octets
            .wrapping_add((prefix.len() + payload.len()) as u32);
        p
    }

    /// An RTCP sender report: `ntp` (64-bit NTP time of the picture taken at `rtp_ts`) and the
    /// counts so far; no report blocks.
    pub fn sender_report(&self, ntp: u64, rtp_ts: u32) -> Vec<u8> {
        let mut p = Vec::with_capacity(28);
        p.push(0x80); // V=2, no padding, RC=0
        p.push(200); // SR
        p.extend_from_slice(&6u16.to_be_bytes()); // length in words minus one
        p.extend_from_slice(&self.ssrc.to_be_bytes());
        p.extend_from_slice(&ntp.to_be_bytes());
        p.extend_from_slice(&rtp_ts.to_be_bytes());
        p.extend_from_slice(&self.packets.to_be_bytes());
        p.extend_from_slice(&self.octets.to_be_bytes());
        p
    }
}

/// The 64-bit NTP timestamp (seconds since 1900 in the high word, the fraction in the low) of
/// a wall-clock time; 0 before 1970.
pub fn ntp_time(t: SystemTime) -> u64 {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs() + NTP_UNIX_OFFSET_S;
    let frac = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// The wall-clock time of a 64-bit NTP timestamp (the inverse of [`ntp_time`], to the ns).
pub fn from_ntp_time(ntp: u64) -> SystemTime {
    let secs = (ntp >> 32).saturating_sub(NTP_UNIX_OFFSET_S);
    let nanos = ((ntp & 0xffff_ffff) * 1_000_000_000) >> 32;
    UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_nanos(nanos)
}

/// Frames an RTP or RTCP packet for RTSP interleaved TCP (RFC 2326 §10.12): `$`, the channel,
/// the length (16 bits).
pub fn interleave(channel: u8, packet: &[u8], out: &mut Vec<u8>) {
    let len = u16::try_from(packet.len()).unwrap_or(u16::MAX);
    out.push(b'$');
    out.push(channel);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&packet[..usize::from(len)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reassembles NAL units from packets (single NAL and FU-A), checking the headers.
    fn depacketize(packets: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut partial: Option<Vec<u8>> = None;
        for p in packets {
            assert_eq!(p[0], 0x80);
            assert_eq!(p[1] & 0x7f, PAYLOAD_TYPE);
            let payload = &p[HEADER_LEN..];
            if payload[0] & 0x1f == 28 {
                let fu = payload[1];
                if fu & 0x80 != 0 {
                    assert!(partial.is_none());
                    partial = Some(vec![(payload[0] & 0xe0) | (fu & 0x1f)]);
                }
                let nal = partial.as_mut().expect("FU-A start first");
                nal.extend_from_slice(&payload[2..]);
                if fu & 0x40 != 0 {
                    out.extend(partial.take());
                }
            } else {
                assert!(partial.is_none());
                out.push(payload.to_vec());
            }
        }
        assert!(partial.is_none(), "an unfinished FU-A");
        out
    }

    proptest! {
        #[test]
        fn packets_reassemble_to_the_nal_units(
            sizes in prop::collection::vec(1usize..5000, 1..6),
            max in 3usize..1500,
            seq in any::<u16>(),
            ts in any::<u32>(),
        ) {
            let nals: Vec<Vec<u8>> = sizes.iter().enumerate()
                .map(|(k, &n)| (0..n).map(|i| if i == 0 { 0x65 } else { (i * 7 + k) as u8 }).collect())
                .collect();
            let mut p = Packetizer::new(0x1234_5678, seq, max);
            let mut packets = Vec::new();
            p.packetize(ts, &nals, &mut packets);
            prop_assert_eq!(depacketize(&packets), nals.clone());
            for (i, pk) in packets.iter().enumerate() {
                prop_assert!(pk.len() <= HEADER_LEN + max);
                prop_assert_eq!(u16::from_be_bytes([pk[2], pk[3]]), seq.wrapping_add(i as u16));
                prop_assert_eq!(u32::from_be_bytes([pk[4], pk[5], pk[6], pk[7]]), ts);
                // The marker bit only on the last packet of the access unit.
                prop_assert_eq!(pk[1] & 0x80 != 0, i + 1 == packets.len());
            }
            prop_assert_eq!(p.packet_count() as usize, packets.len());
        }
    }

    #[test]
    fn small_nal_units_go_alone_and_a_report_carries_the_counts() {
        let mut p = Packetizer::new(7, 65_535, MAX_PAYLOAD);
        let mut out = Vec::new();
        p.packetize(90_000, &[vec![0x67, 1, 2], vec![], vec![0x68, 3]], &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(&out[0][12..], &[0x67, 1, 2]);
        assert_eq!(out[0][1], PAYLOAD_TYPE, "no marker on the first");
        assert_eq!(out[1][1], 0x80 | PAYLOAD_TYPE);
        assert_eq!(p.next_seq(), 1, "wraps");
        let sr = p.sender_report(0x0102_0304_0506_0708, 90_000);
        assert_eq!(sr.len(), 28);
        assert_eq!(sr[1], 200);
        assert_eq!(&sr[8..16], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(u32::from_be_bytes([sr[20], sr[21], sr[22], sr[23]]), 2);
        assert_eq!(u32::from_be_bytes([sr[24], sr[25], sr[26], sr[27]]), 5);
    }

    #[test]
    fn ntp_time_round_trips_and_interleaving_frames() {
        let t = UNIX_EPOCH + Duration::new(1_765_000_000, 123_456_789);
        let back = from_ntp_time(ntp_time(t));
        let err = back.duration_since(t).unwrap_or_else(|e| e.duration());
        assert!(err < Duration::from_nanos(2), "{err:?}");
        assert_eq!(ntp_time(t) >> 32, 1_765_000_000 + NTP_UNIX_OFFSET_S);
        let mut out = Vec::new();
        interleave(1, &[9, 8, 7], &mut out);
        assert_eq!(out, [b'$', 1, 0, 3, 9, 8, 7]);
    }
}
