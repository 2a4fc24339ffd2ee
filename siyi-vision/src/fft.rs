//! 2-D FFT of a `width` × `height` complex grid (row-major) from 1-D `rustfft` plans: rows, then
//! columns through a transpose.

use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

/// Forward and inverse 2-D transforms of one size, with their scratch space.
pub(crate) struct Fft2 {
    width: usize,
    height: usize,
    row_fwd: Arc<dyn Fft<f32>>,
    row_inv: Arc<dyn Fft<f32>>,
    col_fwd: Arc<dyn Fft<f32>>,
    col_inv: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex32>,
    transposed: Vec<Complex32>,
}

impl Fft2 {
    /// Plans for a `width` × `height` grid (both ≥ 1).
    pub(crate) fn new(width: usize, height: usize) -> Self {
        let mut planner = FftPlanner::<f32>::new();
        let row_fwd = planner.plan_fft_forward(width);
        let row_inv = planner.plan_fft_inverse(width);
        let col_fwd = planner.plan_fft_forward(height);
        let col_inv = planner.plan_fft_inverse(height);
        let scratch_len = [&row_fwd, &row_inv, &col_fwd, &col_inv]
            .iter()
            .map(|p| p.get_inplace_scratch_len())
            .max()
            .unwrap_or(0);
        Self {
            width,
            height,
            row_fwd,
            row_inv,
            col_fwd,
            col_inv,
            scratch: vec![Complex32::default(); scratch_len],
            transposed: vec![Complex32::default(); width * height],
        }
    }

    /// Number of grid points.
    pub(crate) fn len(&self) -> usize {
        self.width * self.height
    }

    /// In-place forward transform (unnormalised). `data.len()` must be `len()`.
    pub(crate) fn forward(&mut self, data: &mut [Complex32]) {
        self.run(data, true);
    }

    /// In-place inverse transform, normalised by 1 / len() (so inverse(forward(x)) = x).
    pub(crate) fn inverse(&mut self, data: &mut [Complex32]) {
        self.run(data, false);
        let k = 1.0 / self.len() as f32;
        for v in data.iter_mut() {
            *v *= k;
        }
    }

    fn run(&mut self, data: &mut [Complex32], forward: bool) {
        let (w, h) = (self.width, self.height);
        if data.len() != w * h {
            return;
        }
        let (row, col) = if forward {
            (&self.row_fwd, &self.col_fwd)
        } else {
            (&self.row_inv, &self.col_inv)
        };
        row.process_with_scratch(data, &mut self.scratch);
        for y in 0..h {
            for x in 0..w {
                self.transposed[x * h + y] = data[y * w + x];
            }
        }
        col.process_with_scratch(&mut self.transposed, &mut self.scratch);
        for x in 0..w {
            for y in 0..h {
                data[y * w + x] = self.transposed[x * h + y];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_dc() {
        let (w, h) = (12, 10);
        let mut f = Fft2::new(w, h);
        let orig: Vec<Complex32> = (0..w * h)
            .map(|i| Complex32::new((i % 7) as f32 - 3.0, 0.0))
            .collect();
        let mut d = orig.clone();
        f.forward(&mut d);
        let sum: f32 = orig.iter().map(|c| c.re).sum();
        assert!((d[0].re - sum).abs() < 1e-3);
        f.inverse(&mut d);
        for (a, b) in d.iter().zip(&orig) {
            assert!((a - b).norm() < 1e-4);
        }
    }
}
