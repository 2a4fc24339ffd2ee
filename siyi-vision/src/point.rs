//! A start box from a point: the box around the point that holds the most pixels looking like
//! the point's surroundings and leaves the fewest of them in the ring around it.
//!
//! QGroundControl's TRACK_POINT gives a point and a radius (its 20 px ÷ video width), not a box.
//! 1. Appearance of the object: the 16-bin luma histogram of the seed (the square of side
//!    max(2·radius, 8 px) on the point) against the histogram of the context (a square of 1.5 ×
//!    the largest candidate). Each bin gets the likelihood ratio L = p_seed / (p_seed +
//!    p_context), the object-vs-surroundings model of Possegger, Mauthner, Bischof ("In Defense
//!    of Color-based Model-free Tracking", CVPR 2015), here on luma.
//! 2. Candidate boxes: sides from max(2·radius, 12 px) up to min(16·radius, half the frame's
//!    shorter side), growing by 1.25×; aspect ratios 1:1, 3:2, 2:3, 2:1, 1:2; each centred on the
//!    point or shifted by an eighth or a quarter of its size in x and/or y (the point lies on the object, not
//!    always at its centre).
//! 3. Score = mean L inside the box − mean L in the ring around it (the box grown 1.5× per side,
//!    minus the box): a box smaller than the object has object in its ring, a larger one has
//!    background inside, so the best box cuts along the object's border (centre–surround
//!    contrast). Boxes are sampled on a grid of 32 × 32 points, so the cost does not grow with
//!    the box.
//! 4. When no candidate stands out (score below 0.1: a flat or uniformly textured area) the box
//!    is a square of side max(4·radius, 24 px) on the point. The box is then moved (and if needed
//!    shrunk) into the frame.

use crate::frame::{BoundingBox, BoxError, Frame};

const BINS: usize = 16;
const MIN_SCORE: f32 = 0.1;

/// The box of the object under (`x`, `y`) (frame pixels), `radius_px` the pointing uncertainty
/// in pixels (> 0). An error when the point lies outside the frame or a value is not finite.
pub fn box_from_point(
    frame: &Frame<'_>,
    x: f32,
    y: f32,
    radius_px: f32,
) -> Result<BoundingBox, BoxError> {
    let (fw, fh) = (frame.width() as f32, frame.height() as f32);
    let usable = x.is_finite()
        && y.is_finite()
        && radius_px.is_finite()
        && radius_px > 0.0
        && (0.0..fw).contains(&x)
        && (0.0..fh).contains(&y);
    if !usable {
        return Err(BoxError::PointOutsideFrame { x, y });
    }
    let shorter = fw.min(fh);
    let min_side = (2.0 * radius_px).max(12.0).min(shorter);
    let max_side = (16.0 * radius_px).min(shorter * 0.5).max(min_side);
    let aspects = [
        (1.0, 1.0),
        (1.22, 0.82),
        (0.82, 1.22),
        (1.41, 0.71),
        (0.71, 1.41),
    ];
    let shifts = [-0.25f32, -0.125, 0.0, 0.125, 0.25];
    let seed_side = (2.0 * radius_px).max(8.0);
    let seed = histogram(
        frame,
        &BoundingBox::new(
            x - seed_side / 2.0,
            y - seed_side / 2.0,
            seed_side,
            seed_side,
        ),
    );
    let ctx_side = max_side * 1.5 * 1.41;
    let context = histogram(
        frame,
        &BoundingBox::new(x - ctx_side / 2.0, y - ctx_side / 2.0, ctx_side, ctx_side),
    );
    let mut like = [0f32; BINS];
    for ((l, s), c) in like.iter_mut().zip(&seed).zip(&context) {
        *l = s / (s + c + 1e-6);
    }
    let mut best: Option<(f32, BoundingBox)> = None;
    let mut side = min_side;
    // At most ~20 sizes (1.25^20 ≈ 87 > 16 / 2).
    for _ in 0..24 {
        if side > max_side * 1.0001 {
            break;
        }
        for (ax, ay) in aspects {
            let (w, h) = (side * ax, side * ay);
            for sy in shifts {
                for sx in shifts {
                    let cx = x - sx * w;
                    let cy = y - sy * h;
                    let b = BoundingBox::new(cx - w / 2.0, cy - h / 2.0, w, h);
                    let score = contrast(frame, &b, &like);
                    // Ties go to the earlier (smaller, centred) candidate.
                    if best.as_ref().is_none_or(|(s, _)| score > *s + 1e-6) {
                        best = Some((score, b));
                    }
                }
            }
        }
        side *= 1.25;
    }
    let chosen = match best {
        Some((score, b)) if score >= MIN_SCORE => b,
        _ => {
            let s = (4.0 * radius_px).max(24.0).min(shorter);
            BoundingBox::new(x - s / 2.0, y - s / 2.0, s, s)
        }
    };
    Ok(fit_into(chosen, fw, fh))
}

/// Moves `b` into the frame, shrinking it first when it is larger.
fn fit_into(b: BoundingBox, fw: f32, fh: f32) -> BoundingBox {
    let w = b.w.min(fw);
    let h = b.h.min(fh);
    let x = b.x.clamp(0.0, fw - w);
    let y = b.y.clamp(0.0, fh - h);
    BoundingBox::new(x, y, w, h)
}

/// Normalised 16-bin luma histogram of `b` on a 32 × 32 sample grid.
fn histogram(frame: &Frame<'_>, b: &BoundingBox) -> [f32; BINS] {
    let mut h = [0f32; BINS];
    let steps = 32usize;
    let (dx, dy) = (b.w / steps as f32, b.h / steps as f32);
    for j in 0..steps {
        let py = b.y + (j as f32 + 0.5) * dy;
        for i in 0..steps {
            let px = b.x + (i as f32 + 0.5) * dx;
            let v = frame.at_clamped(px.floor() as isize, py.floor() as isize);
            h[usize::from(v) * BINS / 256] += 1.0;
        }
    }
    let n = (steps * steps) as f32;
    h.iter_mut().for_each(|v| *v /= n);
    h
}

/// Mean object likelihood inside `b` minus the mean in the ring around it.
fn contrast(frame: &Frame<'_>, b: &BoundingBox, like: &[f32; BINS]) -> f32 {
    let gw = b.w * 1.5;
    let gh = b.h * 1.5;
    let gx = b.x - (gw - b.w) / 2.0;
    let gy = b.y - (gh - b.h) / 2.0;
    let steps = 32usize;
    let (dx, dy) = (gw / steps as f32, gh / steps as f32);
    let (mut li, mut ni, mut lo, mut no) = (0f32, 0f32, 0f32, 0f32);
    for j in 0..steps {
        let py = gy + (j as f32 + 0.5) * dy;
        for i in 0..steps {
            let px = gx + (i as f32 + 0.5) * dx;
            let v = frame.at_clamped(px.floor() as isize, py.floor() as isize);
            let l = like[usize::from(v) * BINS / 256];
            if px >= b.x && px < b.x + b.w && py >= b.y && py < b.y + b.h {
                li += l;
                ni += 1.0;
            } else {
                lo += l;
                no += 1.0;
            }
        }
    }
    if ni <= 0.0 || no <= 0.0 {
        return 0.0;
    }
    li / ni - lo / no
}
