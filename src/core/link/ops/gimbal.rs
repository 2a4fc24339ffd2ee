//! Gimbal motion: rates (0x07), angles (0x0E) and centering (0x08), each acknowledged by a reply.

use siyi_protocol::{CenterPosition, Decidegrees, Request};

use crate::core::link::config::{
    PITCH_MAX_DECIDEGREES, PITCH_MIN_DECIDEGREES, YAW_LIMIT_DECIDEGREES,
};
use crate::core::link::Operation;

/// The request for a gimbal operation, clamped to the A8 mini's limits (`None`: not a gimbal
/// operation).
pub(in crate::core::link) fn request(op: Operation) -> Option<Request> {
    Some(match op {
        Operation::GimbalRates {
            yaw_speed,
            pitch_speed,
        } => Request::GimbalRotation {
            yaw_speed: yaw_speed.clamp(-100, 100),
            pitch_speed: pitch_speed.clamp(-100, 100),
        },
        Operation::GimbalAngles { yaw, pitch } => Request::SetAngles {
            yaw: Decidegrees(yaw.0.clamp(-YAW_LIMIT_DECIDEGREES, YAW_LIMIT_DECIDEGREES)),
            pitch: Decidegrees(pitch.0.clamp(PITCH_MIN_DECIDEGREES, PITCH_MAX_DECIDEGREES)),
        },
        Operation::Center => Request::Center(CenterPosition::Center),
        _ => return None,
    })
}
