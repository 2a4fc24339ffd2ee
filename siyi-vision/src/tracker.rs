//! The tracker: a KCF filter searched at three scales, a PSR-gated model update, and the
//! lost / re-detection state machine.

use crate::features::{Extractor, Window, CELL_PX, CHANNELS};
use crate::frame::{BoundingBox, Frame, FrameError, StartError};
use crate::kcf::{Filter, FilterParams, Peak};
use crate::point::box_from_point;

/// Updates before the PSR-drop rule applies (the first PSRs, on a one-frame-old model, are high;
/// the PSR mean starts after them: tests/tracker_start_repro.rs).
const WARM_UP_UPDATES: u32 = 5;

/// Tuning of the tracker; [`TrackerConfig::default`] is what the benchmark measured.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    /// Search window side ÷ target side (KCF's 1 + padding).
    pub window_ratio: f32,
    /// The feature grid has about this many cells along each side (fewer for elongated boxes).
    pub grid_cells: usize,
    /// Gaussian kernel σ (KCF uses 0.5 with HOG).
    pub kernel_sigma: f32,
    /// Ridge regularisation λ.
    pub lambda: f32,
    /// Label σ as a fraction of the target's side in cells (KCF: 0.1).
    pub label_sigma_factor: f32,
    /// Model learning rate η per frame.
    pub learning_rate: f32,
    /// Ratio between neighbouring search scales (one smaller, one larger than the current).
    pub scale_step: f32,
    /// Weight of the responses of the two non-current scales (below 1 prefers keeping the size).
    pub scale_penalty: f32,
    /// The other two scales are searched every this many frames (1: every frame); the frames
    /// between detect at the current scale only, which saves two of the four windows.
    pub scale_every: u32,
    /// Below this PSR the target is `lost` (the model is not updated, the box is not moved).
    pub psr_lost: f32,
    /// At or above this PSR the model is updated.
    pub psr_update: f32,
    /// A lost target is found again at or above this PSR (hysteresis over `psr_lost`).
    pub psr_found: f32,
    /// A peak below this fraction of the running mean peak also means `lost`.
    pub peak_ratio_lost: f32,
    /// A re-detection needs a peak of at least this fraction of the running mean peak.
    pub peak_ratio_found: f32,
    /// A PSR below this fraction of the running mean PSR (of updated frames) also means `lost`:
    /// a sudden drop, before the model could learn what replaced the target.
    pub psr_ratio_lost: f32,
    /// A re-detection needs a PSR of at least this fraction of the running mean PSR.
    pub psr_ratio_found: f32,
    /// The model is updated only at a PSR of at least this fraction of the running mean PSR
    /// (high-confidence update: a target sliding under an occluder lowers the PSR frame by
    /// frame, and without this rule the model, and the mean, would follow it down).
    pub psr_ratio_update: f32,
    /// Windows probed per frame while lost (besides the last position).
    pub probes_per_frame: usize,
    /// The re-detection rings reach this many half-windows from the last position.
    pub max_rings: usize,
    /// Frames lost before the next ring is added to the search.
    pub frames_per_ring: u32,
    /// The smallest side of a start box, pixels.
    pub min_side_px: f32,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            window_ratio: 2.5,
            grid_cells: 28,
            kernel_sigma: 0.5,
            lambda: 1e-4,
            label_sigma_factor: 0.1,
            learning_rate: 0.015,
            scale_step: 1.04,
            scale_penalty: 0.985,
            scale_every: 2,
            psr_lost: 4.5,
            psr_update: 6.0,
            psr_found: 10.0,
            peak_ratio_lost: 0.3,
            peak_ratio_found: 0.5,
            psr_ratio_lost: 0.45,
            psr_ratio_found: 0.3,
            psr_ratio_update: 0.6,
            probes_per_frame: 4,
            max_rings: 4,
            frames_per_ring: 5,
            min_side_px: 4.0,
        }
    }
}

/// Whether the tracker sees its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackState {
    /// The box follows the target.
    Active,
    /// The target is not seen (occluded, gone, or the confidence fell); the box is the last
    /// estimate and the tracker searches a growing area around it.
    Lost,
}

impl TrackState {
    /// `"active"` or `"lost"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Lost => "lost",
        }
    }
}

/// The tracker's answer for one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The target's box in frame pixels (the last estimate when lost).
    pub bbox: BoundingBox,
    /// Active or lost.
    pub state: TrackState,
    /// 0..=1: the PSR scaled so that `psr_found` × 2 gives 1, times the peak's ratio to its
    /// running mean (capped at 1). 0 when lost.
    pub confidence: f32,
    /// The peak-to-sidelobe ratio of the best response this frame.
    pub psr: f32,
}

/// A correlation-filter tracker of one target. Deterministic: the same frames give the same
/// estimates, on every platform (no SIMD-dependent FFT, no libm in the numeric path).
pub struct Tracker {
    cfg: TrackerConfig,
    frame_size: (usize, usize),
    cx: f32,
    cy: f32,
    /// Target size at scale 1, pixels.
    base_w: f32,
    base_h: f32,
    /// Search window at scale 1, frame pixels per sample.
    step_x: f32,
    step_y: f32,
    /// Feature grid (cells along x, along y).
    cells: (usize, usize),
    scale: f32,
    min_scale: f32,
    max_scale: f32,
    extractor: Extractor,
    filter: Filter,
    feat: Vec<f32>,
    state: TrackState,
    mean_peak: f32,
    mean_psr: f32,
    /// Model updates so far (the running means average the first ones equally).
    updates: u32,
    lost_frames: u32,
    probe_next: usize,
    /// Frames tracked while active (which ones search the other scales).
    active_frames: u32,
}

impl Tracker {
    /// Starts on `frame` with the target in `start` (inside the frame, each side ≥
    /// `cfg.min_side_px`).
    pub fn new(
        cfg: TrackerConfig,
        frame: &Frame<'_>,
        start: BoundingBox,
    ) -> Result<Self, StartError> {
        let (fw, fh) = (frame.width(), frame.height());
        start.check_start(fw, fh, cfg.min_side_px)?;
        let ratio = if cfg.window_ratio.is_finite() {
            cfg.window_ratio.clamp(1.2, 6.0)
        } else {
            2.5
        };
        let mut win_w = start.w * ratio;
        let mut win_h = start.h * ratio;
        // Elongated boxes: at most 3:1 windows, so the short side still has room to move.
        if win_w > 3.0 * win_h {
            win_h = win_w / 3.0;
        } else if win_h > 3.0 * win_w {
            win_w = win_h / 3.0;
        }
        let g = cfg.grid_cells.clamp(8, 64) as f32;
        let aspect = (win_w / win_h).sqrt();
        let cells = |v: f32| -> usize { ((v / 2.0).round() as usize * 2).clamp(8, 96) };
        let cells_w = cells(g * aspect);
        let cells_h = cells(g / aspect);
        let step_x = win_w / (cells_w * CELL_PX) as f32;
        let step_y = win_h / (cells_h * CELL_PX) as f32;
        let target_cells = ((start.w / step_x) * (start.h / step_y)).sqrt() / CELL_PX as f32;
        let params = FilterParams {
            kernel_sigma: cfg.kernel_sigma.max(1e-3),
            lambda: cfg.lambda.max(1e-7),
            label_sigma_cells: (target_cells * cfg.label_sigma_factor).max(0.5),
        };
        let (cx, cy) = start.center();
        let min_scale = (cfg.min_side_px / start.w.min(start.h)).max(0.05);
        let max_scale = (fw as f32 / start.w).min(fh as f32 / start.h).min(20.0);
        let mut t = Self {
            frame_size: (fw, fh),
            cx,
            cy,
            base_w: start.w,
            base_h: start.h,
            step_x,
            step_y,
            cells: (cells_w, cells_h),
            scale: 1.0,
            min_scale,
            max_scale: max_scale.max(min_scale),
            extractor: Extractor::new(cells_w, cells_h),
            filter: Filter::new(cells_w, cells_h, params),
            feat: vec![0.0; cells_w * cells_h * CHANNELS],
            state: TrackState::Active,
            mean_peak: 0.0,
            mean_psr: 0.0,
            updates: 0,
            lost_frames: 0,
            probe_next: 0,
            active_frames: 0,
            cfg,
        };
        let win = t.window(cx, cy, 1.0);
        t.extractor.extract(frame, win, &mut t.feat);
        t.filter.train(&t.feat, 1.0);
        Ok(t)
    }

    /// Starts on `frame` with the object under the point (`x`, `y`) (pixels), `radius_px` the
    /// user's uncertainty: the box comes from [`box_from_point`].
    pub fn from_point(
        cfg: TrackerConfig,
        frame: &Frame<'_>,
        x: f32,
        y: f32,
        radius_px: f32,
    ) -> Result<Self, StartError> {
        let b = box_from_point(frame, x, y, radius_px)?;
        Self::new(cfg, frame, b)
    }

    /// The current box.
    pub fn bbox(&self) -> BoundingBox {
        let w = self.base_w * self.scale;
        let h = self.base_h * self.scale;
        BoundingBox::new(self.cx - w / 2.0, self.cy - h / 2.0, w, h)
    }

    /// The current state.
    pub fn state(&self) -> TrackState {
        self.state
    }

    /// Bytes held by the tracker (its buffers; fixed at the start, independent of frame size).
    pub fn memory_bytes(&self) -> usize {
        let cells = self.feat.len() / CHANNELS;
        let complex = 8;
        // Extractor: patch + hist + energy + brightness; filter: labels, model (CHANNELS planes),
        // alphas, work (CHANNELS planes), two planes, response, FFT transpose buffer.
        let (cw, ch) = self.cells;
        let (pw, ph) = (cw * CELL_PX + 2, ch * CELL_PX + 2);
        let patch = pw * ph * 4;
        // Per-column and per-row taps: 4 (index, weight) pairs each.
        let taps = (pw + ph) * 4 * (size_of::<usize>() + 4);
        let extractor = patch + taps + cells * (CHANNELS + 1) * 4 + (cw + ch) * 4;
        let filter = cells * complex * (2 * CHANNELS + 5) + cells * 4;
        extractor + filter + self.feat.len() * 4 + size_of::<Self>()
    }

    /// Tracks into the next frame. An error (and no change) when the frame's size differs from
    /// the start frame's.
    pub fn update(&mut self, frame: &Frame<'_>) -> Result<Estimate, FrameError> {
        let got = (frame.width(), frame.height());
        if got != self.frame_size {
            return Err(FrameError::SizeChanged {
                expected: self.frame_size,
                got,
            });
        }
        Ok(match self.state {
            TrackState::Active => self.track(frame),
            TrackState::Lost => self.redetect(frame),
        })
    }

    fn window(&self, cx: f32, cy: f32, scale: f32) -> Window {
        Window {
            cx,
            cy,
            step_x: self.step_x * scale,
            step_y: self.step_y * scale,
        }
    }

    fn detect_at(&mut self, frame: &Frame<'_>, cx: f32, cy: f32, scale: f32) -> Peak {
        let win = self.window(cx, cy, scale);
        self.extractor.extract(frame, win, &mut self.feat);
        self.filter.detect(&self.feat)
    }

    fn confidence(&self, p: &Peak) -> f32 {
        let psr_part = (p.psr / (2.0 * self.cfg.psr_found)).clamp(0.0, 1.0);
        let peak_part = if self.mean_peak > 0.0 {
            (p.value / self.mean_peak).clamp(0.0, 1.0)
        } else {
            1.0
        };
        psr_part * peak_part
    }

    fn track(&mut self, frame: &Frame<'_>) -> Estimate {
        let step = if self.cfg.scale_step.is_finite() {
            self.cfg.scale_step.clamp(1.0, 1.5)
        } else {
            1.0
        };
        let scales = [self.scale, self.scale / step, self.scale * step];
        self.active_frames = self.active_frames.wrapping_add(1);
        let searched = if self
            .active_frames
            .is_multiple_of(self.cfg.scale_every.max(1))
        {
            3
        } else {
            1
        };
        let mut best: Option<(f32, Peak, f32)> = None;
        for (i, s) in scales.iter().take(searched).enumerate() {
            let s = s.clamp(self.min_scale, self.max_scale);
            let p = self.detect_at(frame, self.cx, self.cy, s);
            let score = if i == 0 {
                p.value
            } else {
                p.value * self.cfg.scale_penalty
            };
            if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                best = Some((score, p, s));
            }
        }
        let Some((_, peak, s)) = best else {
            return self.lost_estimate(0.0);
        };
        let weak_peak =
            self.mean_peak > 0.0 && peak.value < self.cfg.peak_ratio_lost * self.mean_peak;
        let psr_drop =
            self.updates >= WARM_UP_UPDATES && peak.psr < self.cfg.psr_ratio_lost * self.mean_psr;
        if !peak.psr.is_finite() || peak.psr < self.cfg.psr_lost || weak_peak || psr_drop {
            self.state = TrackState::Lost;
            self.lost_frames = 0;
            self.probe_next = 0;
            return self.lost_estimate(peak.psr);
        }
        let win = self.window(self.cx, self.cy, s);
        self.move_to(
            self.cx + peak.dx * CELL_PX as f32 * win.step_x,
            self.cy + peak.dy * CELL_PX as f32 * win.step_y,
        );
        self.scale = s;
        let confidence = self.confidence(&peak);
        let confident =
            self.updates < WARM_UP_UPDATES || peak.psr >= self.cfg.psr_ratio_update * self.mean_psr;
        if peak.psr >= self.cfg.psr_update && confident {
            // Running means: equal weights over the first updates, then exponential (10 %).
            self.updates = self.updates.saturating_add(1);
            let a = (1.0 / self.updates as f32).max(0.1);
            self.mean_peak += a * (peak.value - self.mean_peak);
            // The warm-up's PSRs (a model a frame or two old matching its own frame: 134, 93,
            // 78 … on a car whose PSR then settles at 20–35) would make every later PSR look like
            // a sudden drop: the PSR mean follows the latest during the warm-up and averages
            // from there.
            match self.updates.checked_sub(WARM_UP_UPDATES) {
                None | Some(0) => self.mean_psr = peak.psr,
                Some(n) => {
                    let b = (1.0 / (n + 1) as f32).max(0.1);
                    self.mean_psr += b * (peak.psr - self.mean_psr);
                }
            }
            let win = self.window(self.cx, self.cy, self.scale);
            self.extractor.extract(frame, win, &mut self.feat);
            self.filter.train(&self.feat, self.cfg.learning_rate);
        }
        Estimate {
            bbox: self.bbox(),
            state: TrackState::Active,
            confidence,
            psr: peak.psr,
        }
    }

    fn lost_estimate(&self, psr: f32) -> Estimate {
        Estimate {
            bbox: self.bbox(),
            state: TrackState::Lost,
            confidence: 0.0,
            psr: if psr.is_finite() { psr } else { 0.0 },
        }
    }

    fn move_to(&mut self, cx: f32, cy: f32) {
        let (fw, fh) = (self.frame_size.0 as f32, self.frame_size.1 as f32);
        if cx.is_finite() && cy.is_finite() {
            self.cx = cx.clamp(0.0, fw);
            self.cy = cy.clamp(0.0, fh);
        }
    }

    /// Offsets (in half-windows) of the probes of ring `r` ≥ 1: the square's perimeter.
    fn ring_offsets(r: usize) -> impl Iterator<Item = (isize, isize)> {
        let r = r as isize;
        (-r..=r)
            .flat_map(move |y| (-r..=r).map(move |x| (x, y)))
            .filter(move |(x, y)| x.abs() == r || y.abs() == r)
    }

    fn redetect(&mut self, frame: &Frame<'_>) -> Estimate {
        self.lost_frames = self.lost_frames.saturating_add(1);
        let rings = (1 + (self.lost_frames / self.cfg.frames_per_ring.max(1)) as usize)
            .min(self.cfg.max_rings);
        let offsets: Vec<(isize, isize)> = (1..=rings).flat_map(Self::ring_offsets).collect();
        let win = self.window(self.cx, self.cy, self.scale);
        let half_w = win.step_x * (self.feat_cells().0 * CELL_PX) as f32 * 0.5;
        let half_h = win.step_y * (self.feat_cells().1 * CELL_PX) as f32 * 0.5;
        let mut probes = vec![(self.cx, self.cy)];
        let k = self.cfg.probes_per_frame.min(offsets.len());
        for j in 0..k {
            let (ox, oy) = offsets[(self.probe_next + j) % offsets.len()];
            probes.push((self.cx + ox as f32 * half_w, self.cy + oy as f32 * half_h));
        }
        self.probe_next = (self.probe_next + k) % offsets.len().max(1);
        let (fw, fh) = (self.frame_size.0 as f32, self.frame_size.1 as f32);
        let mut best: Option<(Peak, f32, f32)> = None;
        let mut best_psr = 0.0f32;
        for (px, py) in probes {
            if !(0.0..=fw).contains(&px) || !(0.0..=fh).contains(&py) {
                continue;
            }
            let p = self.detect_at(frame, px, py, self.scale);
            best_psr = best_psr.max(if p.psr.is_finite() { p.psr } else { 0.0 });
            let strong =
                self.mean_peak <= 0.0 || p.value >= self.cfg.peak_ratio_found * self.mean_peak;
            let psr_needed = self
                .cfg
                .psr_found
                .max(self.cfg.psr_ratio_found * self.mean_psr);
            if p.psr >= psr_needed
                && strong
                && best.as_ref().is_none_or(|(b, _, _)| p.value > b.value)
            {
                best = Some((p, px, py));
            }
        }
        let Some((peak, px, py)) = best else {
            return self.lost_estimate(best_psr);
        };
        self.move_to(
            px + peak.dx * CELL_PX as f32 * win.step_x,
            py + peak.dy * CELL_PX as f32 * win.step_y,
        );
        self.state = TrackState::Active;
        Estimate {
            bbox: self.bbox(),
            state: TrackState::Active,
            confidence: self.confidence(&peak),
            psr: peak.psr,
        }
    }

    fn feat_cells(&self) -> (usize, usize) {
        self.cells
    }
}
