//! SET_CAMERA_ZOOM and RESET_CAMERA_SETTINGS: which link operations they mean, or why they are
//! refused; the zoom and centering operations in flight, whose failures are reported.
//!
//! Owns: those operations in flight. Never touches: the camera mode, MAVLink sending.

use std::collections::HashMap;
use std::time::Instant;

use mavlink::dialects::common::{CameraZoomType, MavResult};
use siyi_protocol::ZoomDirection;

use super::{optics, outcomes};
use crate::core::link::{CameraState, LinkControl, LinkHealth, OpId, OpOutcome, Operation, Owner};
use crate::core::mavlink::Handled;

/// Zoom max when the camera did not report one (A8 mini: 6×).
const DEFAULT_MAX_ZOOM: f32 = 6.0;

/// The current zoom factor and the camera's maximum (1.0 = no zoom).
pub fn current(s: &CameraState) -> (f32, f32) {
    let zoom = s.zoom.map(|(z, _)| z.value.factor()).unwrap_or(1.0);
    let max = s
        .max_zoom
        .map(|z| z.factor())
        .filter(|m| *m >= 1.0)
        .unwrap_or(DEFAULT_MAX_ZOOM);
    (zoom, max)
}

/// Zoom and centering operations in flight: only their failures are reported.
#[derive(Debug, Default)]
pub struct Adjustments {
    in_flight: HashMap<OpId, &'static str>,
}

impl Adjustments {
    /// SET_CAMERA_ZOOM(`zoom_type`, `value`).
    pub fn zoom(
        &mut self,
        now: Instant,
        zoom_type: f32,
        value: f32,
        link: &mut impl LinkControl,
    ) -> Handled {
        let (current, max) = current(link.state());
        let Ok(op) = operation(zoom_type, value, current, max) else {
            return Handled::just(MavResult::MAV_RESULT_DENIED);
        };
        if link.health() != LinkHealth::Up {
            return Handled::just(MavResult::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        let id = link.start(now, Owner::Zoom, op);
        self.in_flight.insert(id, "Zoom");
        Handled::just(MavResult::MAV_RESULT_ACCEPTED)
    }

    /// RESET_CAMERA_SETTINGS: zoom 1× and the gimbal centred.
    pub fn reset(&mut self, now: Instant, link: &mut impl LinkControl) -> Handled {
        if link.health() != LinkHealth::Up {
            return Handled::just(MavResult::MAV_RESULT_TEMPORARILY_REJECTED);
        }
        let z = link.start(now, Owner::Zoom, Operation::ZoomTo { factor: 1.0 });
        self.in_flight.insert(z, "Zoom reset");
        let c = link.start(now, Owner::Zoom, Operation::Center);
        self.in_flight.insert(c, "Gimbal centering");
        Handled::just(MavResult::MAV_RESULT_ACCEPTED)
    }

    /// Operation `id` ended: the STATUSTEXT for its failure, if it was ours and failed.
    pub fn finished(&mut self, id: OpId, outcome: &OpOutcome) -> Option<String> {
        let what = self.in_flight.remove(&id)?;
        outcomes::failure_text(what, outcome)
    }
}

/// Why a zoom command is refused (DENIED).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ZoomRefusal {
    /// NaN / infinite values, or a zoom type that is not a whole number.
    NotANumber,
    /// A zoom type this camera does not know.
    UnknownType,
    /// The value is outside the camera's range.
    OutOfRange,
}

/// The operation for SET_CAMERA_ZOOM(`zoom_type`, `value`) given the current zoom and the
/// camera's maximum (factors, 1.0 = no zoom).
pub fn operation(
    zoom_type: f32,
    value: f32,
    current: f32,
    max: f32,
) -> Result<Operation, ZoomRefusal> {
    if !value.is_finite() || !zoom_type.is_finite() || zoom_type.fract() != 0.0 {
        return Err(ZoomRefusal::NotANumber);
    }
    let in_range = |f: f32| (1.0 - 1e-3..=max + 1e-3).contains(&f);
    let t = zoom_type as u32;
    Ok(if t == CameraZoomType::ZOOM_TYPE_CONTINUOUS as u32 {
        Operation::ZoomContinuous(if value > 0.0 {
            ZoomDirection::In
        } else if value < 0.0 {
            ZoomDirection::Out
        } else {
            ZoomDirection::Stop
        })
    } else if t == CameraZoomType::ZOOM_TYPE_RANGE as u32 {
        if !(0.0..=100.0).contains(&value) {
            return Err(ZoomRefusal::OutOfRange);
        }
        Operation::ZoomTo {
            factor: 1.0 + (max - 1.0) * value / 100.0,
        }
    } else if t == CameraZoomType::ZOOM_TYPE_STEP as u32 {
        // One step = a tenth of the range (0.5× on the A8 mini).
        let step = (max - 1.0) / 10.0;
        Operation::ZoomTo {
            factor: (current + value.round() * step).clamp(1.0, max),
        }
    } else if t == CameraZoomType::ZOOM_TYPE_FOCAL_LENGTH as u32 {
        let f = value / optics::FOCAL_LENGTH_MM;
        if !in_range(f) {
            return Err(ZoomRefusal::OutOfRange);
        }
        Operation::ZoomTo {
            factor: f.clamp(1.0, max),
        }
    } else if t == CameraZoomType::ZOOM_TYPE_HORIZONTAL_FOV as u32 {
        if value <= 0.0 || value >= 180.0 {
            return Err(ZoomRefusal::OutOfRange);
        }
        let f = optics::zoom_for_hfov(value);
        if !in_range(f) {
            return Err(ZoomRefusal::OutOfRange);
        }
        Operation::ZoomTo {
            factor: f.clamp(1.0, max),
        }
    } else {
        return Err(ZoomRefusal::UnknownType);
    })
}
