//! The A8 mini's optics as MAVLink describes them: focal length, sensor size and field of view.
//!
//! SIYI publishes a field of view (≈81° horizontal, ≈51° vertical at 1×), not a lens. MAVLink wants
//! a focal length and a sensor size; we choose a 3.2 mm focal length and derive the sensor size so
//! that `2·atan(sensor / (2·focal))` gives exactly those angles (5.47 mm × 3.05 mm, close to a
//! 1/3" 16:9 sensor). Digital zoom `z` acts like a focal length of `z × 3.2 mm`.

/// Horizontal field of view at 1× zoom, degrees.
pub const HFOV_1X_DEG: f32 = 81.0;
/// Vertical field of view at 1× zoom, degrees.
pub const VFOV_1X_DEG: f32 = 51.0;
/// Focal length reported at 1× zoom, millimetres.
pub const FOCAL_LENGTH_MM: f32 = 3.2;

/// Horizontal sensor size, millimetres (derived from [`HFOV_1X_DEG`]).
pub fn sensor_h_mm() -> f32 {
    2.0 * FOCAL_LENGTH_MM * (HFOV_1X_DEG / 2.0).to_radians().tan()
}

/// Vertical sensor size, millimetres (derived from [`VFOV_1X_DEG`]).
pub fn sensor_v_mm() -> f32 {
    2.0 * FOCAL_LENGTH_MM * (VFOV_1X_DEG / 2.0).to_radians().tan()
}

/// Horizontal and vertical field of view in degrees at zoom factor `zoom` (≥ 1).
pub fn fov_deg(zoom: f32) -> (f32, f32) {
    let z = if zoom.is_finite() && zoom >= 1.0 {
        zoom
    } else {
        1.0
    };
    let f = FOCAL_LENGTH_MM * z;
    (
        2.0 * (sensor_h_mm() / (2.0 * f)).atan().to_degrees(),
        2.0 * (sensor_v_mm() / (2.0 * f)).atan().to_degrees(),
    )
}

/// The zoom factor giving a horizontal field of view of `hfov_deg`.
pub fn zoom_for_hfov(hfov_deg: f32) -> f32 {
    (HFOV_1X_DEG / 2.0).to_radians().tan() / (hfov_deg / 2.0).to_radians().tan()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_x_matches_published_fov() {
        let (h, v) = fov_deg(1.0);
        assert!(
            (h - 81.0).abs() < 0.01 && (v - 51.0).abs() < 0.01,
            "{h} {v}"
        );
        assert!((zoom_for_hfov(h) - 1.0).abs() < 1e-4);
        let (h6, _) = fov_deg(6.0);
        assert!((zoom_for_hfov(h6) - 6.0).abs() < 1e-3);
    }
}
