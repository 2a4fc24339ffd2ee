//! H.264 decoding with OpenH264 (the `openh264` crate, its bundled C++ source): one checked
//! [`AccessUnit`] in, the luma plane out (chroma is never copied). A decoder error costs the
//! frame that caused it: the error is counted and returned, the decoder is kept, and the next
//! frame is decoded as usual (after a broken reference frame, the pictures until the next key
//! frame may be damaged or refused, which the decoder reports the same way).
//!
//! Memory: one luma buffer, `width × height` bytes, resized only when the picture size changes;
//! pictures above [`MAX_PIXELS`] are refused (OpenH264 itself stops at level 5.2, 36 864
//! macroblocks = 4096 × 2304).

use openh264::decoder::{DecodeOptions, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use openh264::OpenH264API;

use super::nal::AccessUnit;

/// The largest picture decoded, pixels (4096 × 2304: DCI 4K and UHD 3840 × 2160 fit).
pub const MAX_PIXELS: usize = 4096 * 2304;
/// Pictures at or above this many pixels are "4K" in the words logged.
pub const FOUR_K_PIXELS: usize = 3840 * 2160;

/// Why a frame gave no picture.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// OpenH264 refused the bitstream (a corrupt or unsupported frame).
    #[error("the H.264 decoder refused a frame ({0})")]
    Decoder(String),
    /// The picture is larger than [`MAX_PIXELS`].
    #[error("a {width}x{height} picture is larger than the {MAX_PIXELS}-pixel limit")]
    TooLarge {
        /// Width, pixels.
        width: usize,
        /// Height, pixels.
        height: usize,
    },
}

/// A decoded picture's luma plane (stride = width).
#[derive(Debug, Clone, Copy)]
pub struct Luma<'a> {
    /// `width × height` bytes, row after row.
    pub data: &'a [u8],
    /// Width, pixels.
    pub width: usize,
    /// Height, pixels.
    pub height: usize,
}

/// What the decoder did since it was made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DecodeStats {
    /// Access units fed.
    pub units: u64,
    /// Pictures out.
    pub pictures: u64,
    /// Frames the decoder refused.
    pub errors: u64,
    /// Pictures refused for their size.
    pub too_large: u64,
    /// Times the picture size changed (the first size counts as one).
    pub size_changes: u64,
}

/// The H.264 decoder and its luma buffer.
pub struct H264Decoder {
    decoder: Decoder,
    luma: Vec<u8>,
    size: (usize, usize),
    stats: DecodeStats,
}

impl std::fmt::Debug for H264Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Decoder")
            .field("size", &self.size)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl H264Decoder {
    /// A decoder (OpenH264 from the bundled source, single-threaded, no flushing delay).
    pub fn new() -> Result<Self, DecodeError> {
        let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
        let decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| DecodeError::Decoder(e.to_string()))?;
        Ok(Self {
            decoder,
            luma: Vec::new(),
            size: (0, 0),
            stats: DecodeStats::default(),
        })
    }

    /// The counters.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// The current picture size (0 × 0 before the first picture).
    pub fn size(&self) -> (usize, usize) {
        self.size
    }

    /// Bytes held by the luma buffer.
    pub fn buffer_bytes(&self) -> usize {
        self.luma.capacity()
    }

    /// Decodes one access unit: `Ok(Some)` with a picture, `Ok(None)` when the unit gave none
    /// (parameter sets only), `Err` when this frame is lost.
    pub fn decode(&mut self, unit: &AccessUnit) -> Result<Option<Luma<'_>>, DecodeError> {
        self.stats.units += 1;
        if unit.is_empty() {
            return Ok(None);
        }
        let result = self.decoder.decode_with_options(
            unit.bytes(),
            DecodeOptions::new().flush_after_decode(Flush::NoFlush),
        );
        let picture = match result {
            Ok(p) => p,
            Err(e) => {
                self.stats.errors += 1;
                return Err(DecodeError::Decoder(e.to_string()));
            }
        };
        let Some(yuv) = picture else {
            return Ok(None);
        };
        let (width, height) = yuv.dimensions();
        let (stride, _, _) = yuv.strides();
        if width * height > MAX_PIXELS {
            self.stats.too_large += 1;
            return Err(DecodeError::TooLarge { width, height });
        }
        let y = yuv.y();
        if width == 0 || height == 0 || stride < width || y.len() < stride * (height - 1) + width {
            self.stats.errors += 1;
            return Err(DecodeError::Decoder(format!(
                "a {width}x{height} picture with stride {stride} and {} luma bytes",
                y.len()
            )));
        }
        if (width, height) != self.size {
            self.stats.size_changes += 1;
            self.size = (width, height);
            self.luma = Vec::with_capacity(width * height);
        }
        self.luma.clear();
        for row in y.chunks(stride).take(height) {
            self.luma.extend_from_slice(&row[..width]);
        }
        self.stats.pictures += 1;
        Ok(Some(Luma {
            data: &self.luma,
            width,
            height,
        }))
    }
}
