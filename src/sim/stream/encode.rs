//! H.264 encoding with the `openh264` crate (Cisco's OpenH264, built from its bundled source by
//! `cc`): constrained baseline, low complexity (speed first), one slice per picture, an IDR every second and on request, SPS
//! and PPS before each IDR. The output is split into NAL units without start codes (what RTP
//! carries, RFC 6184).

use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, Profile,
    RateControlMode, UsageType,
};
use openh264::formats::YUVSlices;
use openh264::OpenH264API;

use super::render::I420Frame;

/// NAL unit type of a sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// NAL unit type of a picture parameter set.
pub const NAL_PPS: u8 = 8;
/// NAL unit type of an IDR slice.
pub const NAL_IDR: u8 = 5;

/// One encoded picture: its NAL units, without start codes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessUnit {
    /// The NAL units in decoding order.
    pub nals: Vec<Vec<u8>>,
}

impl AccessUnit {
    /// Whether it holds an IDR slice (a client may start decoding here).
    pub fn is_idr(&self) -> bool {
        self.nals.iter().any(|n| nal_type(n) == Some(NAL_IDR))
    }

    /// The first NAL unit of type `t`.
    pub fn find(&self, t: u8) -> Option<&[u8]> {
        self.nals
            .iter()
            .find(|n| nal_type(n) == Some(t))
            .map(Vec::as_slice)
    }

    /// Total size of the NAL units, bytes.
    pub fn len_bytes(&self) -> usize {
        self.nals.iter().map(Vec::len).sum()
    }
}

/// The type (low five bits of the first byte) of a NAL unit.
pub fn nal_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| b & 0x1f)
}

/// The NAL units of an Annex B byte stream (split at `00 00 01` / `00 00 00 01`).
pub fn split_annex_b(stream: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(stream.len(), |&n| n - 3);
        // A four-byte start code's leading zero (and trailing zeros) belong to no NAL unit.
        while end > s && stream[end - 1] == 0 {
            end -= 1;
        }
        if end > s {
            out.push(&stream[s..end]);
        }
    }
    out
}

/// Why the encoder failed.
#[derive(Debug, thiserror::Error)]
#[error("H.264 encoder: {0}")]
pub struct EncodeError(String);

/// The H.264 encoder of one stream.
pub struct H264Encoder {
    encoder: Encoder,
    annex_b: Vec<u8>,
}

impl std::fmt::Debug for H264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("H264Encoder")
    }
}

impl H264Encoder {
    /// An encoder for `fps` frames per second at `bitrate_bps` (bit-rate rate control, no
    /// skipped frames, an IDR every `fps` frames).
    pub fn new(fps: u32, bitrate_bps: u32) -> Result<Self, EncodeError> {
        let config = EncoderConfig::new()
            .bitrate(BitRate::from_bps(bitrate_bps))
            .max_frame_rate(FrameRate::from_hz(fps as f32))
            .rate_control_mode(RateControlMode::Bitrate)
            .skip_frames(false)
            .usage_type(UsageType::CameraVideoRealTime)
            .profile(Profile::Baseline)
            // The fastest mode: the simulator must keep 30 fps on a shared 2-core machine.
            .complexity(Complexity::Low)
            .intra_frame_period(IntraFramePeriod::from_num_frames(fps.max(1)));
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| EncodeError(e.to_string()))?;
        Ok(Self {
            encoder,
            annex_b: Vec::new(),
        })
    }

    /// Encodes one picture; `force_idr` makes it an IDR (with SPS and PPS before it).
    pub fn encode(
        &mut self,
        frame: &I420Frame,
        force_idr: bool,
    ) -> Result<AccessUnit, EncodeError> {
        if force_idr {
            self.encoder.force_intra_frame();
        }
        let (w, h) = (frame.width, frame.height);
        let yuv = YUVSlices::new((&frame.y, &frame.u, &frame.v), (w, h), (w, w / 2, w / 2));
        let bits = self
            .encoder
            .encode(&yuv)
            .map_err(|e| EncodeError(e.to_string()))?;
        self.annex_b.clear();
        bits.write_vec(&mut self.annex_b);
        Ok(AccessUnit {
            nals: split_annex_b(&self.annex_b)
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_b_splits_at_three_and_four_byte_start_codes() {
        let s = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 0, 5,
        ];
        let nals = split_annex_b(&s);
        assert_eq!(nals, vec![&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 4, 0, 5]]);
        assert!(split_annex_b(&[1, 2, 3]).is_empty());
        assert!(split_annex_b(&[0, 0, 1]).is_empty());
    }
}
