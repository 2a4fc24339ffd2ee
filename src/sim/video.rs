//! The video settings: encoding parameters of the recording, main and sub streams, the video
//! output, and the codec / output changes that wait for a reboot.

use siyi_protocol::{EncodingParams, StreamType, VideoCodec};

/// Encoding of the three streams (index = stream id), video output and what a reboot applies.
#[derive(Clone, Debug)]
pub(super) struct Video {
    pub(super) encoding: [EncodingParams; 3],
    /// 0x0A byte 6: 0 = HDMI, 1 = CVBS.
    pub(super) output: u8,
    pending_codec: [Option<VideoCodec>; 3],
    pending_output: Option<u8>,
}

impl Video {
    /// The sim's encoding defaults (not a capture): recording H.265 1080p 8000 kbps, main stream
    /// H.265 1080p 4000 kbps, sub stream H.264 720p 2000 kbps, all 30 fps; HDMI output.
    pub(super) fn new() -> Self {
        let params = |stream, codec, width_px, height_px, bitrate_kbps| EncodingParams {
            stream,
            codec,
            width_px,
            height_px,
            bitrate_kbps,
            framerate_fps: 30,
        };
        Self {
            encoding: [
                params(StreamType::Recording, VideoCodec::H265, 1920, 1080, 8000),
                params(StreamType::Main, VideoCodec::H265, 1920, 1080, 4000),
                params(StreamType::Sub, VideoCodec::H264, 1280, 720, 2000),
            ],
            output: 0,
            pending_codec: [None; 3],
            pending_output: None,
        }
    }

    /// With a 4K recording resolution the zoom is locked at 1.0× (manual §5.3).
    pub(super) fn zoom_locked(&self) -> bool {
        self.encoding[0].width_px >= 3840
    }

    /// 0x20: the parameters of one stream.
    pub(super) fn get(&self, stream: StreamType) -> Option<EncodingParams> {
        self.encoding.get(stream_index(stream)?).copied()
    }

    /// Video output function (0x0C): takes effect at the next reboot.
    pub(super) fn set_output_after_reboot(&mut self, output: u8) {
        self.pending_output = Some(output);
    }

    /// A camera reboot applies the pending codec and output changes.
    pub(super) fn reboot(&mut self) {
        for (enc, pending) in self.encoding.iter_mut().zip(&mut self.pending_codec) {
            if let Some(codec) = pending.take() {
                enc.codec = codec;
            }
        }
        if let Some(out) = self.pending_output.take() {
            self.output = out;
        }
    }

    /// Applies a 0x21 request; its frame-rate byte is reserved and ignored.
    pub(super) fn set(&mut self, params: EncodingParams) -> bool {
        let EncodingParams {
            stream,
            codec,
            width_px,
            height_px,
            bitrate_kbps,
            framerate_fps: _,
        } = params;
        let Some(idx) = stream_index(stream) else {
            return false;
        };
        if matches!(codec, VideoCodec::Other(_)) {
            return false;
        }
        let res = (width_px, height_px);
        let valid = match stream {
            // The recording codec cannot be changed [V].
            StreamType::Recording => {
                codec == self.encoding[0].codec
                    && matches!(
                        res,
                        (3840, 2160) | (2560, 1440) | (1920, 1080) | (1280, 720)
                    )
                    && (1000..=20_000).contains(&bitrate_kbps)
            }
            // Field figures [JO]: 1080p 2000–4000 kbps, 720p 1570–4000 kbps.
            StreamType::Main => match res {
                (1920, 1080) => (2000..=4000).contains(&bitrate_kbps),
                (1280, 720) => (1570..=4000).contains(&bitrate_kbps),
                _ => false,
            },
            StreamType::Sub => {
                matches!(res, (1280, 720) | (640, 360)) && (500..=4000).contains(&bitrate_kbps)
            }
            StreamType::Other(_) => false,
        };
        if !valid {
            return false;
        }
        let Some(enc) = self.encoding.get_mut(idx) else {
            return false;
        };
        enc.width_px = width_px;
        enc.height_px = height_px;
        enc.bitrate_kbps = bitrate_kbps;
        if codec != enc.codec {
            // A codec change needs a power cycle [JO].
            if let Some(p) = self.pending_codec.get_mut(idx) {
                *p = Some(codec);
            }
        }
        true
    }
}

fn stream_index(stream: StreamType) -> Option<usize> {
    match stream {
        StreamType::Recording => Some(0),
        StreamType::Main => Some(1),
        StreamType::Sub => Some(2),
        StreamType::Other(_) => None,
    }
}
