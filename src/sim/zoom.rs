//! The zoom model: the zoom factor, a continuous zoom in progress and its keep-alive.

use std::time::Instant;

use siyi_protocol::{Zoom, ZoomDirection};

use super::config::{later, SimConfig};

/// Smallest zoom factor of the A8 mini (digital zoom).
pub const MIN_ZOOM: f64 = 1.0;
/// Largest zoom factor of the A8 mini (6× digital).
pub const MAX_ZOOM: f64 = 6.0;

/// Continuous zoom state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ZoomMotion {
    /// Not zooming.
    Stopped,
    /// Zooming in.
    In,
    /// Zooming out.
    Out,
}

/// Zoom factor `zoom` in tenths, as the camera reports it (10…60).
pub(super) fn zoom_tenths(zoom: f64) -> u16 {
    (zoom * 10.0).round().clamp(0.0, 1000.0) as u16
}

/// The zoom lens: factor 1.0…6.0, continuous motion, when the last 0x05 arrived.
#[derive(Clone, Debug)]
pub(super) struct ZoomLens {
    pub(super) level: f64,
    pub(super) motion: ZoomMotion,
    last_command: Instant,
    rate_per_s: f64,
    keepalive_ms: u64,
}

impl ZoomLens {
    /// At 1.0×, still, speed and keep-alive from `config` (already sanitized).
    pub(super) fn new(config: &SimConfig, now: Instant) -> Self {
        Self {
            level: MIN_ZOOM,
            motion: ZoomMotion::Stopped,
            last_command: now,
            rate_per_s: config.zoom_rate_per_s,
            keepalive_ms: config.zoom_keepalive_ms,
        }
    }

    /// The zoom factor in tenths.
    pub(super) fn tenths(&self) -> u16 {
        zoom_tenths(self.level)
    }

    /// 0x05 at `now`: start, keep alive or stop a continuous zoom.
    pub(super) fn manual(&mut self, now: Instant, dir: ZoomDirection) {
        self.motion = match dir {
            ZoomDirection::In if self.level < MAX_ZOOM => ZoomMotion::In,
            ZoomDirection::Out if self.level > MIN_ZOOM => ZoomMotion::Out,
            _ => ZoomMotion::Stopped,
        };
        self.last_command = now;
    }

    /// 0x0F: jump to `z` at once, clamped to the range.
    pub(super) fn absolute(&mut self, z: Zoom) {
        let factor = f64::from(z.int) + f64::from(z.tenths.min(9)) / 10.0;
        self.level = factor.clamp(MIN_ZOOM, MAX_ZOOM);
        self.motion = ZoomMotion::Stopped;
    }

    /// Back to 1.0× and still (reboot, zoom locked by a 4K recording resolution).
    pub(super) fn reset(&mut self) {
        self.level = MIN_ZOOM;
        self.motion = ZoomMotion::Stopped;
    }

    /// Runs a continuous zoom from `from` to `to`, stopping at the keep-alive expiry or a limit.
    pub(super) fn integrate(&mut self, from: Instant, to: Instant) {
        if self.motion == ZoomMotion::Stopped {
            return;
        }
        let expiry = later(self.last_command, self.keepalive_ms);
        let end = to.min(expiry);
        let run = end.saturating_duration_since(from).as_secs_f64();
        let sign = if self.motion == ZoomMotion::In {
            1.0
        } else {
            -1.0
        };
        self.level = (self.level + sign * self.rate_per_s * run).clamp(MIN_ZOOM, MAX_ZOOM);
        let at_limit =
            (sign > 0.0 && self.level >= MAX_ZOOM) || (sign < 0.0 && self.level <= MIN_ZOOM);
        if to >= expiry || at_limit {
            self.motion = ZoomMotion::Stopped;
        }
    }
}
