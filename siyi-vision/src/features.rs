//! HOG-like features of a search window, sampled from the frame to a fixed grid of cells.
//!
//! The window (centre, size in frame pixels) is resampled to `CELL_PX` × `CELL_PX` samples per
//! cell (bilinear; four taps when shrinking by more than 1.5× so small textures do not alias),
//! so the cost depends on the grid, not on the frame or target size. Per sample: the central
//! gradient, its magnitude voted into [`ORIENT_BINS`] unsigned orientation bins (linear between
//! the two nearest bins, as in Dalal & Triggs' HOG); per cell: the histogram divided by the L2
//! energy of the 3 × 3 cells around it and clipped at [`CLIP`] (HOG's block normalisation,
//! simplified to one block per cell), plus the cell's mean brightness as one more channel.
//! All channels are weighted by a 2-D Hann window (KCF/MOSSE) against the FFT's wrap-around.

use crate::frame::Frame;
use crate::maths::{hann, orientation_unsigned};

/// Samples per cell side.
pub(crate) const CELL_PX: usize = 4;
/// Orientation bins over [0, π).
pub(crate) const ORIENT_BINS: usize = 9;
/// Feature channels: the orientation bins and the brightness.
pub(crate) const CHANNELS: usize = ORIENT_BINS + 1;
/// Clip of a normalised orientation bin (HOG clips at 0.2 of a 36-bin block; ours is one cell).
const CLIP: f32 = 0.5;
/// Energy floor of the normalisation (in (gradient per sample)² units, samples in 0..1): keeps
/// flat, noisy areas from being blown up to full contrast.
const ENERGY_FLOOR: f32 = 0.02;
/// Weight of the brightness channel against the orientation channels.
const BRIGHTNESS_WEIGHT: f32 = 0.6;

/// Reusable buffers for one grid size.
pub(crate) struct Extractor {
    cells_w: usize,
    cells_h: usize,
    patch: Vec<f32>,
    hist: Vec<f32>,
    energy: Vec<f32>,
    brightness: Vec<f32>,
    hann_x: Vec<f32>,
    hann_y: Vec<f32>,
    col_taps: Vec<Taps>,
    row_taps: Vec<Taps>,
}

/// Where to sample: the window centre in frame pixels and frame pixels per sample (x, y).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) cx: f32,
    pub(crate) cy: f32,
    pub(crate) step_x: f32,
    pub(crate) step_y: f32,
}

impl Extractor {
    /// Buffers for a `cells_w` × `cells_h` grid.
    pub(crate) fn new(cells_w: usize, cells_h: usize) -> Self {
        let pw = cells_w * CELL_PX + 2;
        let ph = cells_h * CELL_PX + 2;
        let n = cells_w * cells_h;
        Self {
            cells_w,
            cells_h,
            patch: vec![0.0; pw * ph],
            hist: vec![0.0; n * ORIENT_BINS],
            energy: vec![0.0; n],
            brightness: vec![0.0; n],
            hann_x: hann(cells_w),
            hann_y: hann(cells_h),
            col_taps: Vec::with_capacity(pw),
            row_taps: Vec::with_capacity(ph),
        }
    }

    /// Writes the features of `win` to `out` (`CHANNELS` planes of cells_w × cells_h, plane-major).
    pub(crate) fn extract(&mut self, frame: &Frame<'_>, win: Window, out: &mut [f32]) {
        let (cw, ch) = (self.cells_w, self.cells_h);
        let n = cw * ch;
        if out.len() != n * CHANNELS {
            return;
        }
        self.sample(frame, win);
        let pw = cw * CELL_PX + 2;
        self.hist.iter_mut().for_each(|v| *v = 0.0);
        self.brightness.iter_mut().for_each(|v| *v = 0.0);
        let bin_per_rad = ORIENT_BINS as f32 / std::f32::consts::PI;
        for sy in 1..=ch * CELL_PX {
            let cell_y = (sy - 1) / CELL_PX;
            for sx in 1..=cw * CELL_PX {
                let cell = cell_y * cw + (sx - 1) / CELL_PX;
                let i = sy * pw + sx;
                let gx = self.patch[i + 1] - self.patch[i - 1];
                let gy = self.patch[i + pw] - self.patch[i - pw];
                let mag = (gx * gx + gy * gy).sqrt();
                self.brightness[cell] += self.patch[i];
                if mag <= 0.0 {
                    continue;
                }
                let t = orientation_unsigned(gx, gy) * bin_per_rad;
                // t ≥ 0: truncation is the floor (and needs no libm call).
                let b0i = t as usize;
                let frac = t - b0i as f32;
                let b0 = b0i % ORIENT_BINS;
                let b1 = (b0 + 1) % ORIENT_BINS;
                self.hist[cell * ORIENT_BINS + b0] += mag * (1.0 - frac);
                self.hist[cell * ORIENT_BINS + b1] += mag * frac;
            }
        }
        for (cell, e) in self.energy.iter_mut().enumerate() {
            let h = &self.hist[cell * ORIENT_BINS..(cell + 1) * ORIENT_BINS];
            *e = h.iter().map(|v| v * v).sum();
        }
        let per_cell = (CELL_PX * CELL_PX) as f32;
        for y in 0..ch {
            for x in 0..cw {
                let mut sum = 0.0;
                let mut count = 0.0;
                for ny in y.saturating_sub(1)..(y + 2).min(ch) {
                    for nx in x.saturating_sub(1)..(x + 2).min(cw) {
                        sum += self.energy[ny * cw + nx];
                        count += 1.0;
                    }
                }
                let norm = 1.0 / (sum / count + ENERGY_FLOOR).sqrt();
                let cell = y * cw + x;
                let w = self.hann_x[x] * self.hann_y[y];
                for b in 0..ORIENT_BINS {
                    let v = (self.hist[cell * ORIENT_BINS + b] * norm).min(CLIP);
                    out[b * n + cell] = v * w;
                }
                let bright = self.brightness[cell] / per_cell - 0.5;
                out[ORIENT_BINS * n + cell] = bright * BRIGHTNESS_WEIGHT * w;
            }
        }
    }

    /// Resamples the window into `patch` (values in 0..1), one sample of border all round.
    ///
    /// Separable: the taps of every column and of every row are computed once per window
    /// ([`taps`]), then each sample is a weighted sum of at most 4 × 4 pixels with no rounding or
    /// clamping in the inner loop (the same bilinear / four-tap result as sampling each point).
    fn sample(&mut self, frame: &Frame<'_>, win: Window) {
        let pw = self.cells_w * CELL_PX + 2;
        let ph = self.cells_h * CELL_PX + 2;
        let half_w = pw as f32 / 2.0;
        let half_h = ph as f32 / 2.0;
        // Pixel centres are at integers: the window's centre `cx` is between pixels cx-0.5 and cx+0.5.
        let x0 = win.cx - 0.5 - (half_w - 0.5) * win.step_x;
        let y0 = win.cy - 0.5 - (half_h - 0.5) * win.step_y;
        let shrink = win.step_x > 1.5 || win.step_y > 1.5;
        taps(
            &mut self.col_taps,
            x0,
            win.step_x,
            pw,
            frame.width(),
            shrink,
        );
        taps(
            &mut self.row_taps,
            y0,
            win.step_y,
            ph,
            frame.height(),
            shrink,
        );
        let k = 1.0 / 255.0;
        for (py, rt) in self.row_taps.iter().enumerate() {
            let row = &mut self.patch[py * pw..(py + 1) * pw];
            row.iter_mut().for_each(|v| *v = 0.0);
            for &(ry, wy) in rt.iter().filter(|t| t.1 != 0.0) {
                let src = frame.row(ry);
                if src.is_empty() {
                    continue;
                }
                let wy = wy * k;
                for (out, ct) in row.iter_mut().zip(&self.col_taps) {
                    let mut acc = 0.0;
                    for &(cx, wx) in ct {
                        acc += wx * f32::from(src.get(cx).copied().unwrap_or(0));
                    }
                    *out += wy * acc;
                }
            }
        }
    }
}

/// One sample's source pixels along one axis: up to 4 (index, weight) pairs (weight 0 = unused).
type Taps = [(usize, f32); 4];

/// The taps of `n` samples at `start + i · step` along an axis of `len` pixels (edge pixels
/// repeat outside): bilinear, or the mean of two bilinear taps at ± step / 4 when `shrink`.
fn taps(out: &mut Vec<Taps>, start: f32, step: f32, n: usize, len: usize, shrink: bool) {
    out.clear();
    let last = len.saturating_sub(1) as f32;
    let linear = |pos: f32, weight: f32, t: &mut Taps, slot: usize| {
        // Clamped into the axis first, so the floor below is a truncation of a value ≥ 0.
        let p = if pos.is_finite() {
            pos.clamp(0.0, last)
        } else {
            0.0
        };
        let i = p as usize;
        let f = p - i as f32;
        let j = (i + 1).min(len.saturating_sub(1));
        t[slot] = (i, weight * (1.0 - f));
        t[slot + 1] = (j, weight * f);
    };
    for i in 0..n {
        let pos = start + i as f32 * step;
        let mut t: Taps = [(0, 0.0); 4];
        if shrink {
            let d = step * 0.25;
            linear(pos - d, 0.5, &mut t, 0);
            linear(pos + d, 0.5, &mut t, 2);
        } else {
            linear(pos, 1.0, &mut t, 0);
        }
        out.push(t);
    }
}
