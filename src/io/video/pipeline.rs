//! Decode, then track: the H.264 decoder and the `siyi-vision` tracker on one frame at a time,
//! timing each apart. The tracker starts on the first picture after [`Pipeline::start`]; when
//! the picture size changes it starts again on the new picture from its last box, scaled.
#![allow(clippy::disallowed_methods)] // an I/O shell: it times the decoder and the tracker

use std::time::Instant;

use siyi_vision::{BoundingBox, Estimate, Frame, TrackState, Tracker, TrackerConfig};

use super::decode::{DecodeError, H264Decoder};
use super::nal::AccessUnit;

/// Where to start tracking, as fractions of the picture (0..1, from the top left), as the
/// MAVLink tracking commands give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// A rectangle: left, top, width, height.
    Rect(f32, f32, f32, f32),
    /// A point and a radius (fraction of the picture width).
    Point(f32, f32, f32),
    /// A rectangle in pixels of the first picture (`siyi-bridge track --init`).
    Pixels(BoundingBox),
    /// A point and radius in pixels of the first picture (`siyi-bridge track --point`).
    PixelPoint(f32, f32, f32),
}

/// What one frame gave.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// A picture came out of the decoder.
    pub decoded: bool,
    /// Decoder time, ms.
    pub decode_ms: f64,
    /// The tracker's estimate and its time (ms), when tracking.
    pub track: Option<(Estimate, f64)>,
    /// The tracker started on this picture.
    pub started: bool,
    /// The picture size, pixels.
    pub size: (usize, usize),
    /// Why this frame was lost or the tracker could not start, in words.
    pub error: Option<String>,
}

/// The decoder and the tracker.
pub struct Pipeline {
    decoder: H264Decoder,
    config: TrackerConfig,
    tracker: Option<Tracker>,
    wanted: Option<Target>,
    size: (usize, usize),
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("decoder", &self.decoder)
            .field("tracking", &self.tracker.is_some())
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline with a new decoder and no target.
    pub fn new(config: TrackerConfig) -> Result<Self, DecodeError> {
        Ok(Self {
            decoder: H264Decoder::new()?,
            config,
            tracker: None,
            wanted: None,
            size: (0, 0),
        })
    }

    /// The decoder (its counters).
    pub fn decoder(&self) -> &H264Decoder {
        &self.decoder
    }

    /// Start tracking `target` on the next picture.
    pub fn start(&mut self, target: Target) {
        self.wanted = Some(target);
        self.tracker = None;
    }

    /// Stop tracking (decoding goes on while frames are fed).
    pub fn stop(&mut self) {
        self.wanted = None;
        self.tracker = None;
    }

    /// Tracking or about to.
    pub fn is_tracking(&self) -> bool {
        self.wanted.is_some() || self.tracker.is_some()
    }

    /// Bytes the tracker holds.
    pub fn tracker_bytes(&self) -> usize {
        self.tracker.as_ref().map_or(0, Tracker::memory_bytes)
    }

    /// Decodes `unit`; tracks its picture when `track` and a target is set.
    pub fn feed(&mut self, unit: &AccessUnit, track: bool) -> Step {
        let t = Instant::now();
        let result = self.decoder.decode(unit);
        let mut step = Step {
            decode_ms: t.elapsed().as_secs_f64() * 1e3,
            ..Step::default()
        };
        let luma = match result {
            Ok(Some(l)) => l,
            Ok(None) => return step,
            Err(e) => {
                step.error = Some(e.to_string());
                return step;
            }
        };
        step.decoded = true;
        step.size = (luma.width, luma.height);
        let resized = self.size != (0, 0) && self.size != step.size;
        let old = self.size;
        self.size = step.size;
        if resized {
            if let Some(tr) = self.tracker.take() {
                let b = tr.bbox();
                let (sx, sy) = (
                    luma.width as f32 / old.0 as f32,
                    luma.height as f32 / old.1 as f32,
                );
                self.wanted = Some(Target::Pixels(BoundingBox::new(
                    b.x * sx,
                    b.y * sy,
                    b.w * sx,
                    b.h * sy,
                )));
            }
        }
        if !track && self.tracker.is_some() {
            return step;
        }
        let frame = match Frame::new(luma.data, luma.width, luma.height, luma.width) {
            Ok(f) => f,
            Err(e) => {
                step.error = Some(format!("the tracker refused the picture: {e}"));
                return step;
            }
        };
        let t = Instant::now();
        if let Some(target) = self.wanted.take() {
            let (w, h) = (luma.width as f32, luma.height as f32);
            let started = match target {
                Target::Rect(x, y, bw, bh) => Tracker::new(
                    self.config.clone(),
                    &frame,
                    BoundingBox::new(x * w, y * h, bw * w, bh * h),
                ),
                Target::Point(x, y, r) => {
                    Tracker::from_point(self.config.clone(), &frame, x * w, y * h, r * w)
                }
                Target::Pixels(b) => Tracker::new(self.config.clone(), &frame, b),
                Target::PixelPoint(x, y, r) => {
                    Tracker::from_point(self.config.clone(), &frame, x, y, r)
                }
            };
            match started {
                Ok(tr) => {
                    let est = Estimate {
                        bbox: tr.bbox(),
                        state: TrackState::Active,
                        confidence: 1.0,
                        psr: 0.0,
                    };
                    self.tracker = Some(tr);
                    step.started = true;
                    step.track = Some((est, t.elapsed().as_secs_f64() * 1e3));
                }
                Err(e) => step.error = Some(format!("the tracker cannot start there: {e}")),
            }
            return step;
        }
        if let Some(tr) = self.tracker.as_mut() {
            match tr.update(&frame) {
                Ok(est) => step.track = Some((est, t.elapsed().as_secs_f64() * 1e3)),
                Err(e) => step.error = Some(format!("the tracker refused the picture: {e}")),
            }
        }
        step
    }
}
