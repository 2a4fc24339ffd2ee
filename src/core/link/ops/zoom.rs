//! Zoom: absolute (0x0F) and continuous (0x05, re-sent while held).

use siyi_protocol::Zoom;

/// The absolute zoom to send for `factor` (NaN → 1×), within 1× … `max`.
pub(in crate::core::link) fn absolute(factor: f32, max: Zoom) -> Zoom {
    let max = max.factor().max(1.0);
    let factor = if factor.is_nan() {
        1.0
    } else {
        factor.clamp(1.0, max)
    };
    Zoom::from_factor(factor)
}
