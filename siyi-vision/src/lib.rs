//! `siyi-vision`: a visual tracker of one target on 8-bit luma frames, as a pure library (no
//! I/O, no clock, no threads; the same frames give the same boxes on every platform).
//!
//! ```
//! use siyi_vision::{BoundingBox, Frame, Tracker, TrackerConfig, TrackState};
//! let (w, h) = (160, 120);
//! let mut pixels = vec![0u8; w * h];
//! for (i, p) in pixels.iter_mut().enumerate() {
//!     *p = ((i * 7919) % 251) as u8; // texture
//! }
//! let frame = Frame::new(&pixels, w, h, w).unwrap();
//! let mut tracker = Tracker::new(TrackerConfig::default(), &frame, BoundingBox::new(60.0, 40.0, 32.0, 24.0)).unwrap();
//! let est = tracker.update(&frame).unwrap();
//! assert_eq!(est.state, TrackState::Active);
//! assert!((est.bbox.x - 60.0).abs() < 2.0);
//! ```
//!
//! # How it works, and the papers it follows
//!
//! * **Kernelized correlation filter** — J. F. Henriques, R. Caseiro, P. Martins, J. Batista,
//!   "High-Speed Tracking with Kernelized Correlation Filters", IEEE TPAMI 37(3), 2015. A ridge
//!   regression over all cyclic shifts of the search window, solved in the Fourier domain with a
//!   Gaussian kernel (σ = 0.5, λ = 10⁻⁴, label σ = 0.1 × target side in cells: their HOG
//!   settings; learning rate 0.015, a little below their 0.02, measured on the benchmark). The
//!   window is 2.5 × the target, resampled (separably: per-column and per-row taps computed once
//!   per window) to a fixed grid of about 28 × 28 cells of 4 × 4 samples, so the cost per frame
//!   is the same for any frame and target size (a 1280 × 720 frame costs what a 320 × 240 one
//!   does). 28 cells, not 32: 25 % fewer samples and FFT points, and no loss of accuracy on the
//!   benchmark (docs/track.md has the figures).
//! * **Features** — HOG-like (N. Dalal, B. Triggs, CVPR 2005; KCF uses Felzenszwalb's variant):
//!   9 unsigned gradient-orientation bins per cell, normalised by the energy of the 3 × 3 cells
//!   around and clipped, plus the cell's mean brightness; Hann-windowed. Chosen over raw grey
//!   (MOSSE) because gradient orientation survives changes of brightness and low contrast; fewer
//!   channels than Felzenszwalb's 31 to keep the FFT count (2 per channel per scale) small.
//! * **Scale** — every second frame the filter is evaluated at three scales (current, ÷ 1.04,
//!   × 1.04), the non-current ones weighted by 0.985, as in Y. Li, J. Zhu, "A Scale Adaptive
//!   Kernel Correlation Filter Tracker with Feature Integration", ECCV 2014 workshops (SAMF);
//!   the frames between detect at the current scale only (three windows a frame on average
//!   instead of four, with the same accuracy on the benchmark; every third frame was no better).
//!   A separate 1-D scale filter as in M. Danelljan, G. Häger, F. S. Khan, M. Felsberg,
//!   "Accurate Scale Estimation for Robust Visual Tracking", BMVC 2014 (DSST) is not
//!   implemented: the benchmark's scale sequences already score above OpenCV CSRT with the
//!   three-scale search, and DSST's 33 scale samples would cost about as much as one more
//!   window per frame.
//! * **Confidence and loss** — the peak-to-sidelobe ratio of D. S. Bolme, J. R. Beveridge, B. A.
//!   Draper, Y. M. Lui, "Visual Object Tracking using Adaptive Correlation Filters", CVPR 2010
//!   (MOSSE): (peak − mean) / std outside 5 × 5 cells around the peak. Below `psr_lost` (or with
//!   a peak below 30 % of the running mean peak) the target is `lost`: the box stays at the last
//!   estimate and the model is not updated — so an occluder is never learnt. The model is
//!   updated only at PSR ≥ `psr_update` and ≥ 60 % of the running mean PSR of updated frames
//!   (a high-confidence update in the spirit of M. Wang, Y. Liu, Z. Huang, "Large Margin Object
//!   Tracking with Circulant Feature Maps", CVPR 2017, which gates on peak and APCE against
//!   their history): without the relative rule a target sliding under an occluder lowered the
//!   PSR a little each frame, the model and the mean followed, and the tracker stayed `active`
//!   on the occluder (MOSSE's occlusion rule; CSR-DCF weights its update by
//!   channel reliability for the same purpose: A. Lukežič, T. Vojíř, L. Čehovin Zajc, J. Matas,
//!   M. Kristan, "Discriminative Correlation Filter Tracker with Channel and Spatial
//!   Reliability", IJCV 126, 2018 / CVPR 2017 — its spatial mask is not implemented here).
//! * **Re-detection** — while lost, each frame probes the last position and `probes_per_frame`
//!   more windows on square rings around it, half a window apart; the rings grow by one every
//!   `frames_per_ring` frames up to `max_rings` (a search area of about 9 windows across). A
//!   probe must reach `psr_found` (above `psr_lost`: hysteresis) and half the running mean
//!   peak to end the loss, which keeps a similar-looking object from taking the box.
//! * **Start from a point** — [`box_from_point`]: centre–surround histogram contrast.
//! * **Determinism** — `rustfft` without its SIMD back ends (the same scalar code on x86-64 and
//!   aarch64), and exp / atan / cos written as plain arithmetic instead of the platform's libm.
//!
//! Memory: a few hundred kB per tracker, fixed at the start by the grid (see
//! [`Tracker::memory_bytes`]); frames are borrowed, never copied.

mod features;
mod fft;
mod frame;
mod kcf;
mod maths;
mod point;
mod tracker;

pub use frame::{BoundingBox, BoxError, Frame, FrameError, StartError};
pub use point::box_from_point;
pub use tracker::{Estimate, TrackState, Tracker, TrackerConfig};
