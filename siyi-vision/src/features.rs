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
                let b0f = t.floor();
                let frac = t - b0f;
                let b0 = (b0f as usize) % ORIENT_BINS;
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
    fn sample(&mut self, frame: &Frame<'_>, win: Window) {
        let pw = self.cells_w * CELL_PX + 2;
        let ph = self.cells_h * CELL_PX + 2;
        let half_w = pw as f32 / 2.0;
        let half_h = ph as f32 / 2.0;
        // Pixel centres are at integers: the window's centre `cx` is between pixels cx-0.5 and cx+0.5.
        let x0 = win.cx - 0.5 - (half_w - 0.5) * win.step_x;
        let y0 = win.cy - 0.5 - (half_h - 0.5) * win.step_y;
        let shrink = win.step_x > 1.5 || win.step_y > 1.5;
        let (dx, dy) = (win.step_x * 0.25, win.step_y * 0.25);
        let k = 1.0 / 255.0;
        for py in 0..ph {
            let y = y0 + py as f32 * win.step_y;
            let row = &mut self.patch[py * pw..(py + 1) * pw];
            for (px, out) in row.iter_mut().enumerate() {
                let x = x0 + px as f32 * win.step_x;
                let v = if shrink {
                    0.25 * (frame.bilinear(x - dx, y - dy)
                        + frame.bilinear(x + dx, y - dy)
                        + frame.bilinear(x - dx, y + dy)
                        + frame.bilinear(x + dx, y + dy))
                } else {
                    frame.bilinear(x, y)
                };
                *out = v * k;
            }
        }
    }
}
