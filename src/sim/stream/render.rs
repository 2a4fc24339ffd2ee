//! What the simulated camera sees, as an I420 picture: a pure function of the pose (gimbal
//! angles, zoom, scene time), the resolution and the frame number (for the seeded noise). No
//! clock, no state besides the textures built once from the seed.
//!
//! # The world
//!
//! A textured sphere around the camera, a function of **direction** only (azimuth, elevation),
//! so a gimbal turn moves the whole picture and a correlation tracker finds texture everywhere:
//! below the horizon (elevation < 0) ground, two tiled value-noise textures mixed (a fine one,
//! one texel per [`FINE_DEG`], and one eight times coarser); above it a sky getting darker
//! upwards with faint clouds. Each pixel's direction comes from [`scene::unproject`] on a grid
//! of 16 × 16 pixels, interpolated in between (exact at the grid nodes, off by far less than a
//! pixel in between; only a view of the zenith or nadir, where azimuth is undefined, smears).
//!
//! # The objects, front to back
//!
//! * the tree ([`SceneOptions::tree`]): a crown [`TREE_HALF_WIDTH_DEG`]·2 wide from elevation
//!   [`TREE_BOTTOM_DEG`] to [`TREE_TOP_DEG`] at azimuth [`TREE_AZIMUTH_DEG`], and its trunk
//!   below. The car passes behind it twice per 40 s period, fully hidden for about 1 s each time
//!   (car centre within ±1.8° of the tree's azimuth): around t = 2.6 s and 17.4 s, then 42.6 s,
//!   57.4 s, … ([`tree_hides_target`] tells exactly).
//! * the car (`scene::target_direction`, 4° × 2.5°): drawn on exactly the pixels whose centres
//!   lie in the box `scene.rs` projects ([`target_box`], equal to `scene::target_box` whenever
//!   that is `Some`; also drawn when its centre has left the frame but a part is still in it).
//!   A bright body, a dark cabin with windows, black wheels: luma contrast, since a tracker
//!   reads luma only.
//! * the second car ([`SceneOptions::second_car`]): the same size and shape, a slightly
//!   different colour, on [`second_car_direction`]: the mirror of the car's azimuth swing,
//!   3.5–7.5° below it, so they pass close by when they cross (every 20 s, at azimuth 0) but
//!   never overlap; drawn behind the car.
//!
//! Noise ([`SceneOptions::noise`]): a luma offset uniform in ±noise per pixel, from a hash of
//! the seed, the frame number and the pixel position (deterministic).

use std::f64::consts::PI;

use crate::sim::scene::{self, Direction, ImageBox, SimPose};

/// Texel size of the fine ground texture, degrees.
pub const FINE_DEG: f64 = 0.08;
/// Azimuth of the tree, degrees.
pub const TREE_AZIMUTH_DEG: f64 = 10.0;
/// Half width of the tree's crown, degrees.
pub const TREE_HALF_WIDTH_DEG: f64 = 3.8;
/// Lowest elevation of the crown, degrees (its trunk goes on below).
pub const TREE_BOTTOM_DEG: f64 = -31.0;
/// Highest elevation of the crown, degrees.
pub const TREE_TOP_DEG: f64 = -4.0;
/// Half width of the trunk, degrees.
const TRUNK_HALF_WIDTH_DEG: f64 = 0.7;

/// Side of the square texture tiles, texels (a power of two).
const TILE: usize = 256;
/// Grid step of the exact direction computation, pixels.
const GRID: usize = 16;

/// Scene switches and noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SceneOptions {
    /// Draw a second, similar car.
    pub second_car: bool,
    /// Draw the tree that hides the car for about 1 s twice every 40 s.
    pub tree: bool,
    /// Luma noise amplitude (0 = none), levels.
    pub noise: u8,
    /// Seed of the textures and the noise.
    pub seed: u64,
}

impl Default for SceneOptions {
    fn default() -> Self {
        Self {
            second_car: false,
            tree: false,
            noise: 0,
            seed: 1,
        }
    }
}

impl SceneOptions {
    /// The second car, the tree and a little sensor noise (`run --sim-scene busy`).
    pub fn busy() -> Self {
        Self {
            second_car: true,
            tree: true,
            noise: 3,
            ..Self::default()
        }
    }
}

/// A picture in I420 (planar Y, then U and V at half resolution). Width and height are even.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct I420Frame {
    /// Width, pixels.
    pub width: usize,
    /// Height, pixels.
    pub height: usize,
    /// Luma, `width × height`, row by row.
    pub y: Vec<u8>,
    /// Blue-difference chroma, `width/2 × height/2`.
    pub u: Vec<u8>,
    /// Red-difference chroma, `width/2 × height/2`.
    pub v: Vec<u8>,
}

impl I420Frame {
    /// A mid-grey picture; odd sizes are rounded down to even (at least 2 × 2).
    pub fn new(width: usize, height: usize) -> Self {
        let (w, h) = ((width & !1).max(2), (height & !1).max(2));
        Self {
            width: w,
            height: h,
            y: vec![128; w * h],
            u: vec![128; w * h / 4],
            v: vec![128; w * h / 4],
        }
    }

    /// The luma at pixel (`x`, `y`), 0 outside the picture.
    pub fn luma(&self, x: usize, y: usize) -> u8 {
        if x >= self.width {
            return 0;
        }
        self.y.get(y * self.width + x).copied().unwrap_or(0)
    }
}

/// The car's box in the picture taken at `pose`, also when its centre is outside the frame (and
/// `None` only behind the camera); equal to `scene::target_box` when that is `Some`.
pub fn target_box(pose: &SimPose) -> Option<ImageBox> {
    object_box(pose, scene::target_direction(pose.scene_time_s))
}

/// The second car's direction at scene time `t_s`: azimuth `−25°·sin(2πt/40)` (the car's,
/// mirrored), elevation the car's `− 5.5° + 2°·sin(2πt/29)` (3.5–7.5° below it).
pub fn second_car_direction(t_s: f64) -> Direction {
    let t = if t_s.is_finite() { t_s } else { 0.0 };
    Direction {
        azimuth_deg: -scene::AZIMUTH_AMPLITUDE_DEG * (2.0 * PI * t / scene::AZIMUTH_PERIOD_S).sin(),
        elevation_deg: scene::target_direction(t).elevation_deg - 5.5
            + 2.0 * (2.0 * PI * t / 29.0).sin(),
    }
}

/// The second car's box at `pose` (see [`target_box`]).
pub fn second_car_box(pose: &SimPose) -> Option<ImageBox> {
    object_box(pose, second_car_direction(pose.scene_time_s))
}

/// Whether the tree hides the whole car at scene time `t_s` (its box inside the crown).
pub fn tree_hides_target(t_s: f64) -> bool {
    let d = scene::target_direction(t_s);
    let (hw, hh) = (
        scene::TARGET_WIDTH_DEG / 2.0,
        scene::TARGET_HEIGHT_DEG / 2.0,
    );
    (d.azimuth_deg - TREE_AZIMUTH_DEG).abs() + hw <= TREE_HALF_WIDTH_DEG
        && d.elevation_deg - hh >= TREE_BOTTOM_DEG
        && d.elevation_deg + hh <= TREE_TOP_DEG
}

fn object_box(pose: &SimPose, dir: Direction) -> Option<ImageBox> {
    let (x, y) = scene::project_point(pose, dir)?;
    let tan_h = (scene::hfov_deg(pose.zoom) / 2.0).to_radians().tan();
    let tan_v = tan_h / scene::ASPECT;
    Some(ImageBox {
        center_x: x,
        center_y: y,
        width: (scene::TARGET_WIDTH_DEG.to_radians() / 2.0).tan() / tan_h,
        height: (scene::TARGET_HEIGHT_DEG.to_radians() / 2.0).tan() / tan_v,
    })
}

/// The renderer: the scene options and the textures built from their seed.
#[derive(Clone, Debug)]
pub struct Renderer {
    options: SceneOptions,
    fine: Vec<u8>,
    coarse: Vec<u8>,
}

/// A car's pixel rectangle (inclusive bounds) and its colours.
#[derive(Clone, Copy)]
struct CarRect {
    x0: i64,
    x1: i64,
    y0: i64,
    y1: i64,
    body: (u8, u8, u8),
}

impl CarRect {
    fn new(b: ImageBox, width: usize, height: usize, body: (u8, u8, u8)) -> Self {
        let (w, h) = (width as f64, height as f64);
        // Pixel x is in the box when its centre (x + 0.5) / w is: x ≥ left·w − 0.5.
        let lo = |edge: f64, n: f64| (edge * n - 0.5).ceil() as i64;
        let hi = |edge: f64, n: f64| (edge * n - 0.5).floor() as i64;
        Self {
            x0: lo(b.center_x - b.width / 2.0, w),
            x1: hi(b.center_x + b.width / 2.0, w),
            y0: lo(b.center_y - b.height / 2.0, h),
            y1: hi(b.center_y + b.height / 2.0, h),
            body,
        }
    }

    /// The car's colour at pixel (x, y), `None` where the background shows (around the cabin
    /// and between the wheels).
    fn pixel(&self, x: i64, y: i64) -> Option<(u8, u8, u8)> {
        if x < self.x0 || x > self.x1 || y < self.y0 || y > self.y1 {
            return None;
        }
        let s = (x - self.x0) as f32 / (self.x1 - self.x0 + 1) as f32;
        let t = (y - self.y0) as f32 / (self.y1 - self.y0 + 1) as f32;
        const DARK: (u8, u8, u8) = (24, 128, 128);
        const WINDOW: (u8, u8, u8) = (70, 150, 120);
        if t < 0.4 {
            // Cabin: dark frame, two windows.
            if !(0.22..0.78).contains(&s) {
                return None;
            }
            let window = t > 0.08 && ((0.28..0.47).contains(&s) || (0.53..0.72).contains(&s));
            return Some(if window { WINDOW } else { DARK });
        }
        if t < 0.8 {
            // Body, with a dark stripe.
            return Some(if (0.58..0.64).contains(&t) {
                DARK
            } else {
                self.body
            });
        }
        // Wheels.
        ((0.1..0.32).contains(&s) || (0.68..0.9).contains(&s)).then_some((16, 128, 128))
    }
}

impl Renderer {
    /// Builds the textures from `options.seed`.
    pub fn new(options: SceneOptions) -> Self {
        Self {
            options,
            fine: value_noise_tile(options.seed, &[(4, 60), (8, 90), (16, 70), (32, 40)]),
            coarse: value_noise_tile(options.seed ^ 0x9e37_79b9, &[(8, 60), (32, 100), (64, 90)]),
        }
    }

    /// The scene options.
    pub fn options(&self) -> SceneOptions {
        self.options
    }

    /// Renders the picture taken at `pose`, `width × height` (rounded down to even); `frame` is
    /// the frame number that seeds the noise.
    pub fn render(&self, pose: &SimPose, width: usize, height: usize, frame: u64) -> I420Frame {
        let mut out = I420Frame::new(width, height);
        self.render_into(pose, frame, &mut out);
        out
    }

    /// Like [`Renderer::render`], into `out` (its size is kept).
    pub fn render_into(&self, pose: &SimPose, frame: u64, out: &mut I420Frame) {
        let (w, h) = (out.width, out.height);
        let bore_az = pose.boresight().azimuth_deg;
        // Exact directions at the grid nodes: azimuth relative to the boresight (unwrapped).
        let (nx, ny) = (w.div_ceil(GRID) + 1, h.div_ceil(GRID) + 1);
        // Fine-texel coordinates of each node, 12 fractional bits (1 texel = FINE_DEG).
        let to_fp = |deg: f64| (deg / FINE_DEG * FP_ONE).round() as i32;
        let mut nodes = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                let x = ((i * GRID) as f64 + 0.5) / w as f64;
                let y = ((j * GRID) as f64 + 0.5) / h as f64;
                let d = scene::unproject(pose, x, y).unwrap_or(Direction {
                    azimuth_deg: bore_az,
                    elevation_deg: 0.0,
                });
                let rel = (d.azimuth_deg - bore_az + 540.0).rem_euclid(360.0) - 180.0;
                nodes.push((to_fp(bore_az + rel), to_fp(d.elevation_deg)));
            }
        }
        let tree = self.options.tree.then(|| TreeFp {
            crown_u: (
                to_fp(TREE_AZIMUTH_DEG - TREE_HALF_WIDTH_DEG),
                to_fp(TREE_AZIMUTH_DEG + TREE_HALF_WIDTH_DEG),
            ),
            crown_v: (to_fp(TREE_BOTTOM_DEG), to_fp(TREE_TOP_DEG)),
            trunk_u: (
                to_fp(TREE_AZIMUTH_DEG - TRUNK_HALF_WIDTH_DEG),
                to_fp(TREE_AZIMUTH_DEG + TRUNK_HALF_WIDTH_DEG),
            ),
        });
        let visible = |b: Option<ImageBox>| b.filter(|b| b.width.is_finite() && b.width < 4.0);
        let car = visible(target_box(pose)).map(|b| CarRect::new(b, w, h, (215, 40, 150)));
        let second = self
            .options
            .second_car
            .then(|| visible(second_car_box(pose)))
            .flatten()
            .map(|b| CarRect::new(b, w, h, (200, 60, 165)));
        let mut row = vec![(0i32, 0i32); nx];
        let mut noise = Noise::new(self.options.seed, frame);
        let grid = GRID as i32;
        for py in 0..h {
            let j = py / GRID;
            let fy = (py % GRID) as i32;
            for (i, r) in row.iter_mut().enumerate() {
                let a = nodes[j * nx + i];
                let b = nodes[((j + 1).min(ny - 1)) * nx + i];
                *r = (a.0 + (b.0 - a.0) * fy / grid, a.1 + (b.1 - a.1) * fy / grid);
            }
            let yi = py as i64;
            let cars: [Option<&CarRect>; 2] = [
                car.as_ref().filter(|c| (c.y0..=c.y1).contains(&yi)),
                second.as_ref().filter(|c| (c.y0..=c.y1).contains(&yi)),
            ];
            let any_car = cars.iter().any(Option::is_some);
            let chroma_row = py % 2 == 0;
            let luma_row = &mut out.y[py * w..(py + 1) * w];
            for (px, luma_out) in luma_row.iter_mut().enumerate() {
                let i = px / GRID;
                let fx = (px % GRID) as i32;
                let (a, b) = (row[i], row[(i + 1).min(nx - 1)]);
                let u = a.0 + (b.0 - a.0) * fx / grid;
                let v = a.1 + (b.1 - a.1) * fx / grid;
                let mut colour = tree.as_ref().and_then(|t| t.pixel(&self.fine, u, v));
                if colour.is_none() && any_car {
                    let xi = px as i64;
                    colour = cars.iter().flatten().find_map(|c| c.pixel(xi, yi));
                }
                let (mut luma, cu, cv) = colour.unwrap_or_else(|| self.background(u, v));
                if self.options.noise > 0 {
                    luma = noise.apply(luma, self.options.noise);
                }
                *luma_out = luma;
                if chroma_row && px % 2 == 0 {
                    let c = (py / 2) * (w / 2) + px / 2;
                    out.u[c] = cu;
                    out.v[c] = cv;
                }
            }
        }
    }

    /// Ground or sky at fine-texel coordinates (`u`, `v`), 12 fractional bits.
    fn background(&self, u: i32, v: i32) -> (u8, u8, u8) {
        if v >= 0 {
            // Sky: 200 at the horizon, 0.8 levels darker per degree up, faint clouds.
            let cloud = i64::from(sample(&self.coarse, u >> 8, v >> 8));
            let el_x1000 = i64::from(v) * (FINE_DEG * 1000.0) as i64 / FP_ONE as i64;
            let luma = 200 - el_x1000.min(90_000) * 8 / 10_000 + cloud * 12 / 100;
            return (luma.clamp(0, 255) as u8, 160, 110);
        }
        let fine = sample(&self.fine, u >> 4, v >> 4);
        let coarse = sample(&self.coarse, u >> 7, v >> 7);
        let luma = 40 + u32::from(fine) * 35 / 100 + u32::from(coarse) * 30 / 100;
        (luma.min(255) as u8, 108 + coarse / 16, 128 + fine / 32)
    }
}

/// 1.0 in the renderer's fixed-point texel coordinates (12 fractional bits).
const FP_ONE: f64 = 4096.0;

/// The tree's bounds in fixed-point texel coordinates.
struct TreeFp {
    crown_u: (i32, i32),
    crown_v: (i32, i32),
    trunk_u: (i32, i32),
}

impl TreeFp {
    /// The tree's colour at (`u`, `v`), `None` outside it.
    fn pixel(&self, fine: &[u8], u: i32, v: i32) -> Option<(u8, u8, u8)> {
        let in_u = |r: (i32, i32)| r.0 <= u && u <= r.1;
        if in_u(self.crown_u) && self.crown_v.0 <= v && v <= self.crown_v.1 {
            let t = sample(fine, u >> 4, v >> 4);
            return Some((25 + t / 5, 110, 105));
        }
        (in_u(self.trunk_u) && v < self.crown_v.0).then_some((45, 120, 140))
    }
}

/// Bilinear sample of a tile at texel coordinates (`u`, `v`) with 8 fractional bits, wrapping
/// around.
fn sample(tile: &[u8], u: i32, v: i32) -> u8 {
    let mask = (TILE - 1) as i32;
    let (x0, y0) = (((u >> 8) & mask) as usize, ((v >> 8) & mask) as usize);
    let (x1, y1) = ((x0 + 1) & (TILE - 1), (y0 + 1) & (TILE - 1));
    let (fx, fy) = ((u & 255) as u32, (v & 255) as u32);
    let at = |x: usize, y: usize| u32::from(tile[y * TILE + x]);
    let top = at(x0, y0) * (256 - fx) + at(x1, y0) * fx;
    let bottom = at(x0, y1) * (256 - fx) + at(x1, y1) * fx;
    ((top * (256 - fy) + bottom * fy) >> 16) as u8
}

/// A seamless `TILE × TILE` value-noise tile: the sum of octaves (lattice period in texels,
/// amplitude), each a random lattice interpolated smoothly, normalised to 0..255.
fn value_noise_tile(seed: u64, octaves: &[(usize, u32)]) -> Vec<u8> {
    let mut acc = vec![0u32; TILE * TILE];
    for (k, &(period, amp)) in octaves.iter().enumerate() {
        let n = TILE / period;
        let lattice: Vec<u32> = (0..n * n)
            .map(|i| (mix(seed ^ ((k as u64) << 40) ^ i as u64) & 255) as u32)
            .collect();
        for y in 0..TILE {
            for x in 0..TILE {
                let (cx, cy) = (x / period, y / period);
                let smooth = |f: usize| {
                    let t = f as f64 / period as f64;
                    t * t * (3.0 - 2.0 * t)
                };
                let (fx, fy) = (smooth(x % period), smooth(y % period));
                let at = |i: usize, j: usize| f64::from(lattice[(j % n) * n + (i % n)]);
                let top = at(cx, cy) * (1.0 - fx) + at(cx + 1, cy) * fx;
                let bottom = at(cx, cy + 1) * (1.0 - fx) + at(cx + 1, cy + 1) * fx;
                acc[y * TILE + x] += ((top * (1.0 - fy) + bottom * fy) * f64::from(amp)) as u32;
            }
        }
    }
    let (lo, hi) = (
        acc.iter().copied().min().unwrap_or(0),
        acc.iter().copied().max().unwrap_or(1),
    );
    let span = (hi - lo).max(1);
    acc.iter().map(|&a| ((a - lo) * 255 / span) as u8).collect()
}

/// SplitMix64's finaliser: a well-mixed hash of one word.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The per-pixel noise generator: xorshift64 seeded from the seed and the frame number.
struct Noise(u64);

impl Noise {
    fn new(seed: u64, frame: u64) -> Self {
        Self(mix(seed ^ mix(frame)) | 1)
    }

    fn apply(&mut self, luma: u8, amplitude: u8) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let span = 2 * u64::from(amplitude) + 1;
        let offset = (((self.0 >> 32) * span) >> 32) as i32 - i32::from(amplitude);
        (i32::from(luma) + offset).clamp(0, 255) as u8
    }
}

#[cfg(test)]
mod tests;
