//! Small numeric helpers written with plain arithmetic (no libm), so that x86-64 and aarch64
//! compute bit-identical results: the platform's `exp`/`atan2` may differ in the last bit.

use rustfft::num_complex::Complex32;

/// e^x for x ≤ 0 (the Gaussian kernel's range), relative error below 1e-6; 0 below -87.
pub(crate) fn exp_neg(x: f32) -> f32 {
    if x.is_nan() || x < -87.0 {
        return 0.0;
    }
    let x = x.min(0.0);
    // e^x = 2^(x·log2 e) = 2^n · 2^f, n an integer, f in [0, 1).
    let t = x * std::f32::consts::LOG2_E;
    let n = t.floor();
    let f = t - n;
    // 2^f = e^(f·ln 2) by its Taylor series (degree 7 keeps the error below 1e-7 on [0, 1)).
    let z = f * std::f32::consts::LN_2;
    let p = 1.0
        + z * (1.0
            + z * (0.5
                + z * (1.0 / 6.0
                    + z * (1.0 / 24.0 + z * (1.0 / 120.0 + z * (1.0 / 720.0 + z / 5040.0))))));
    // 2^n from the exponent bits; n ≥ -126 here (x ≥ -87).
    let bits = ((n as i32 + 127) as u32) << 23;
    p * f32::from_bits(bits)
}

/// The angle of (x, y) folded into [0, π) (gradient orientation without sign), by a rational
/// approximation of atan (error below 0.005 rad, far below one of the 9 orientation bins).
pub(crate) fn orientation_unsigned(x: f32, y: f32) -> f32 {
    let (x, y) = if y < 0.0 { (-x, -y) } else { (x, y) };
    let ax = x.abs();
    let ay = y.abs();
    let big = ax.max(ay);
    if big <= 0.0 {
        return 0.0;
    }
    let a = ax.min(ay) / big;
    let s = a * a;
    let mut r = ((-0.046_496_473 * s + 0.159_314_22) * s - 0.327_622_76) * s * a + a;
    if ay > ax {
        r = std::f32::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = std::f32::consts::PI - r;
    }
    if r >= std::f32::consts::PI {
        r -= std::f32::consts::PI;
    }
    r.max(0.0)
}

/// A Hann window of `n` points (all 1 for n ≤ 1), computed with a deterministic cosine.
pub(crate) fn hann(n: usize) -> Vec<f32> {
    if n <= 1 {
        return vec![1.0; n];
    }
    (0..n)
        .map(|i| {
            let t = i as f64 / (n - 1) as f64;
            (0.5 - 0.5 * cos_turns(t)) as f32
        })
        .collect()
}

/// cos(2π·t) for t in [0, 1] by a Taylor series on a reduced argument (plain arithmetic).
fn cos_turns(t: f64) -> f64 {
    // Reduce to u in [-0.5, 0.5] turns, then to [-0.25, 0.25] with cos(π - a) = -cos(a).
    let mut u = t - t.round();
    let mut sign = 1.0;
    if u > 0.25 {
        u = 0.5 - u;
        sign = -1.0;
    } else if u < -0.25 {
        u = -0.5 - u;
        sign = -1.0;
    }
    let a = u * std::f64::consts::TAU;
    let a2 = a * a;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..12 {
        term *= -a2 / ((2 * k - 1) * (2 * k)) as f64;
        sum += term;
    }
    sign * sum
}

/// Complex product a · conj(b).
#[inline]
pub(crate) fn mul_conj(a: Complex32, b: Complex32) -> Complex32 {
    Complex32::new(a.re * b.re + a.im * b.im, a.im * b.re - a.re * b.im)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std() {
        for i in 0..2000 {
            let x = -(i as f32) * 0.04;
            let want = x.exp();
            let got = exp_neg(x);
            assert!(
                (got - want).abs() <= want * 1e-5 + 1e-30,
                "x={x} got={got} want={want}"
            );
        }
        assert_eq!(exp_neg(-100.0), 0.0);
        assert_eq!(exp_neg(f32::NAN), 0.0);
        assert_eq!(exp_neg(0.0), 1.0);
    }

    #[test]
    fn orientation_matches_atan2() {
        for i in 0..360 {
            let a = (i as f32).to_radians();
            let (x, y) = (a.cos(), a.sin());
            let want = y.atan2(x).rem_euclid(std::f32::consts::PI);
            let got = orientation_unsigned(x, y);
            let diff = (got - want).abs();
            let diff = diff.min(std::f32::consts::PI - diff);
            assert!(diff < 0.006, "angle {i}: got {got} want {want}");
        }
    }

    #[test]
    fn hann_ends_and_middle() {
        let w = hann(9);
        assert!(w[0].abs() < 1e-7 && w[8].abs() < 1e-7);
        assert!((w[4] - 1.0).abs() < 1e-6);
        assert!((w[2] - 0.5).abs() < 1e-6);
    }
}
