//! The kernelized correlation filter (Henriques et al. 2015) with a Gaussian kernel over
//! multi-channel features, trained and evaluated in the Fourier domain.
//!
//! * Kernel correlation (their eq. 31): k(x, z) = exp(−(‖x‖² + ‖z‖² − 2·F⁻¹(Σ_c x̂_c* ⊙ ẑ_c)) /
//!   (σ²·N)), N the number of feature values; negative distances (rounding) are clamped to 0.
//! * Training (eq. 17): α̂ = ŷ / (k̂ˣˣ + λ), y a Gaussian label peaked at the zero shift.
//! * Detection (eq. 22): f(z) = F⁻¹(k̂ˣᶻ ⊙ α̂); its peak is the shift of the target.
//! * Model update: the features x̂ and α̂ are blended with rate η (their implementation's choice).

use rustfft::num_complex::Complex32;

use crate::features::CHANNELS;
use crate::fft::Fft2;
use crate::maths::{exp_neg, mul_conj};

/// Filter parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilterParams {
    /// Gaussian kernel bandwidth σ.
    pub(crate) kernel_sigma: f32,
    /// Ridge regularisation λ.
    pub(crate) lambda: f32,
    /// Label bandwidth in cells.
    pub(crate) label_sigma_cells: f32,
}

/// The peak of a response map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peak {
    /// Response value at the peak.
    pub(crate) value: f32,
    /// Shift in cells (sub-cell, signed), x.
    pub(crate) dx: f32,
    /// Shift in cells, y.
    pub(crate) dy: f32,
    /// Peak-to-sidelobe ratio (Bolme et al. 2010).
    pub(crate) psr: f32,
}

/// One filter: its model and work buffers, for a `w` × `h` grid of cells.
pub(crate) struct Filter {
    w: usize,
    h: usize,
    params: FilterParams,
    fft: Fft2,
    yf: Vec<Complex32>,
    model_xf: Vec<Complex32>,
    model_alphaf: Vec<Complex32>,
    trained: bool,
    work_f: Vec<Complex32>,
    acc: Vec<Complex32>,
    kf: Vec<Complex32>,
    response: Vec<f32>,
}

impl Filter {
    /// An untrained filter.
    pub(crate) fn new(w: usize, h: usize, params: FilterParams) -> Self {
        let n = w * h;
        let mut fft = Fft2::new(w, h);
        let mut yf = vec![Complex32::default(); n];
        let s2 = params.label_sigma_cells * params.label_sigma_cells;
        for y in 0..h {
            let dy = wrap(y, h) as f32;
            for x in 0..w {
                let dx = wrap(x, w) as f32;
                yf[y * w + x] = Complex32::new(exp_neg(-0.5 * (dx * dx + dy * dy) / s2), 0.0);
            }
        }
        fft.forward(&mut yf);
        Self {
            w,
            h,
            params,
            fft,
            yf,
            model_xf: vec![Complex32::default(); n * CHANNELS],
            model_alphaf: vec![Complex32::default(); n],
            trained: false,
            work_f: vec![Complex32::default(); n * CHANNELS],
            acc: vec![Complex32::default(); n],
            kf: vec![Complex32::default(); n],
            response: vec![0.0; n],
        }
    }

    /// Trains on the features `feat` (blending into the model with `rate`; the first training
    /// replaces it).
    pub(crate) fn train(&mut self, feat: &[f32], rate: f32) {
        let n = self.w * self.h;
        transform(&mut self.fft, feat, &mut self.work_f, n);
        gaussian_correlation(
            &mut self.fft,
            self.params.kernel_sigma,
            &self.work_f,
            &self.work_f,
            &mut self.acc,
            &mut self.kf,
        );
        let rate = if self.trained {
            rate.clamp(0.0, 1.0)
        } else {
            1.0
        };
        for i in 0..n {
            let alpha = self.yf[i] / (self.kf[i] + self.params.lambda);
            self.model_alphaf[i] = self.model_alphaf[i] * (1.0 - rate) + alpha * rate;
        }
        for (m, x) in self.model_xf.iter_mut().zip(&self.work_f) {
            *m = *m * (1.0 - rate) + *x * rate;
        }
        self.trained = true;
    }

    /// The response to the features `feat` of a search window, and its peak.
    pub(crate) fn detect(&mut self, feat: &[f32]) -> Peak {
        let n = self.w * self.h;
        transform(&mut self.fft, feat, &mut self.work_f, n);
        gaussian_correlation(
            &mut self.fft,
            self.params.kernel_sigma,
            &self.work_f,
            &self.model_xf,
            &mut self.acc,
            &mut self.kf,
        );
        for i in 0..n {
            self.acc[i] = self.kf[i] * self.model_alphaf[i];
        }
        self.fft.inverse(&mut self.acc);
        for (r, a) in self.response.iter_mut().zip(&self.acc) {
            *r = if a.re.is_finite() { a.re } else { 0.0 };
        }
        peak_of(&self.response, self.w, self.h)
    }
}

/// Signed circular offset of index `i` in 0..n.
fn wrap(i: usize, n: usize) -> isize {
    if i > n / 2 {
        i as isize - n as isize
    } else {
        i as isize
    }
}

/// Per-channel forward FFT of `feat` (CHANNELS planes of n) into `out`.
fn transform(fft: &mut Fft2, feat: &[f32], out: &mut [Complex32], n: usize) {
    for (o, f) in out.iter_mut().zip(feat) {
        *o = Complex32::new(*f, 0.0);
    }
    for c in 0..CHANNELS {
        fft.forward(&mut out[c * n..(c + 1) * n]);
    }
}

/// k̂ of the Gaussian kernel between `xf` and `zf` (both CHANNELS planes), into `kf`.
fn gaussian_correlation(
    fft: &mut Fft2,
    sigma: f32,
    zf: &[Complex32],
    xf: &[Complex32],
    acc: &mut [Complex32],
    kf: &mut [Complex32],
) {
    let n = acc.len();
    let inv_n = 1.0 / n as f32;
    // ‖x‖² by Parseval: Σ|x̂|² / n.
    let xx: f32 = xf.iter().map(|c| c.norm_sqr()).sum::<f32>() * inv_n;
    let zz: f32 = zf.iter().map(|c| c.norm_sqr()).sum::<f32>() * inv_n;
    acc.iter_mut().for_each(|a| *a = Complex32::default());
    for c in 0..CHANNELS {
        let zc = &zf[c * n..(c + 1) * n];
        let xc = &xf[c * n..(c + 1) * n];
        for ((a, z), x) in acc.iter_mut().zip(zc).zip(xc) {
            *a += mul_conj(*z, *x);
        }
    }
    fft.inverse(acc);
    let denom = 1.0 / (sigma * sigma * (n * CHANNELS) as f32);
    for (k, a) in kf.iter_mut().zip(acc.iter()) {
        let d = (xx + zz - 2.0 * a.re).max(0.0);
        *k = Complex32::new(exp_neg(-d * denom), 0.0);
    }
    fft.forward(kf);
}

/// The highest value of a `w` × `h` response (first in row-major order on ties), its sub-cell
/// shift (parabola through the neighbours, circular) and its peak-to-sidelobe ratio: (peak −
/// mean) / std of the values outside the 5 × 5 cells around the peak.
pub(crate) fn peak_of(resp: &[f32], w: usize, h: usize) -> Peak {
    let mut best = 0usize;
    for (i, v) in resp.iter().enumerate() {
        if *v > resp[best] {
            best = i;
        }
    }
    let value = resp.get(best).copied().unwrap_or(0.0);
    let (bx, by) = (best % w, best / w);
    let at = |x: isize, y: isize| -> f32 {
        let xx = x.rem_euclid(w as isize) as usize;
        let yy = y.rem_euclid(h as isize) as usize;
        resp.get(yy * w + xx).copied().unwrap_or(0.0)
    };
    let sub = |l: f32, c: f32, r: f32| -> f32 {
        let d = l - 2.0 * c + r;
        if d < 0.0 {
            (0.5 * (l - r) / d).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    };
    let (ix, iy) = (bx as isize, by as isize);
    let fx = if w >= 3 {
        sub(at(ix - 1, iy), value, at(ix + 1, iy))
    } else {
        0.0
    };
    let fy = if h >= 3 {
        sub(at(ix, iy - 1), value, at(ix, iy + 1))
    } else {
        0.0
    };
    let dx = wrap(bx, w) as f32 + fx;
    let dy = wrap(by, h) as f32 + fy;
    let (mut sum, mut sum2, mut count) = (0.0f64, 0.0f64, 0u32);
    for y in 0..h {
        let oy = (y as isize - iy).rem_euclid(h as isize);
        let near_y = oy <= 2 || oy >= h as isize - 2;
        for x in 0..w {
            let ox = (x as isize - ix).rem_euclid(w as isize);
            if near_y && (ox <= 2 || ox >= w as isize - 2) {
                continue;
            }
            let v = f64::from(resp[y * w + x]);
            sum += v;
            sum2 += v * v;
            count += 1;
        }
    }
    let psr = if count > 1 {
        let mean = sum / f64::from(count);
        let var = (sum2 / f64::from(count) - mean * mean).max(0.0);
        let std = var.sqrt().max(1e-6);
        ((f64::from(value) - mean) / std) as f32
    } else {
        0.0
    };
    Peak { value, dx, dy, psr }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::CHANNELS;

    fn pattern(w: usize, h: usize, sx: isize, sy: isize) -> Vec<f32> {
        let mut v = vec![0.0; w * h * CHANNELS];
        for c in 0..CHANNELS {
            for y in 0..h {
                for x in 0..w {
                    let xx = (x as isize - sx).rem_euclid(w as isize) as usize;
                    let yy = (y as isize - sy).rem_euclid(h as isize) as usize;
                    let s = (xx * 7 + yy * 13 + c * 5) % 11;
                    v[c * w * h + y * w + x] = s as f32 / 11.0 - 0.5;
                }
            }
        }
        v
    }

    #[test]
    fn detects_the_shift_with_its_sign() {
        let (w, h) = (20, 16);
        let params = FilterParams {
            kernel_sigma: 0.5,
            lambda: 1e-4,
            label_sigma_cells: 1.0,
        };
        let mut f = Filter::new(w, h, params);
        f.train(&pattern(w, h, 0, 0), 1.0);
        let p0 = f.detect(&pattern(w, h, 0, 0));
        assert!(p0.dx.abs() < 0.3 && p0.dy.abs() < 0.3, "{p0:?}");
        assert!(p0.value > 0.8, "{p0:?}");
        let p = f.detect(&pattern(w, h, 3, -2));
        assert!(
            (p.dx - 3.0).abs() < 0.5 && (p.dy + 2.0).abs() < 0.5,
            "{p:?}"
        );
        assert!(p.psr > 5.0, "{p:?}");
    }
}
