//! Which message a request asks for (REQUEST_MESSAGE, a SET_MESSAGE_INTERVAL stream) and the
//! messages themselves, built from a plain [`View`] of the component and the link.
//!
//! Owns nothing: pure functions of a [`View`]. Never touches: the link, the host, any part's
//! state (the component builds the view and sends what comes back).

use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    MavCmd, MavMessage, MavResult, GIMBAL_DEVICE_ATTITUDE_STATUS_DATA,
    GIMBAL_DEVICE_INFORMATION_DATA, GIMBAL_MANAGER_INFORMATION_DATA, GIMBAL_MANAGER_STATUS_DATA,
};
use mavlink::MessageData;

use crate::core::link::{CameraState, LinkHealth};
use crate::core::mavlink::{Command, Handled};

use super::control::Control;
use super::device;
use super::motion::Goal;
use super::status;
use super::vehicle::Vehicle;

/// GIMBAL_MANAGER_INFORMATION.
pub const ID_MANAGER_INFORMATION: u32 = GIMBAL_MANAGER_INFORMATION_DATA::ID;
/// GIMBAL_MANAGER_STATUS.
pub const ID_MANAGER_STATUS: u32 = GIMBAL_MANAGER_STATUS_DATA::ID;
/// GIMBAL_DEVICE_INFORMATION.
pub const ID_DEVICE_INFORMATION: u32 = GIMBAL_DEVICE_INFORMATION_DATA::ID;
/// GIMBAL_DEVICE_ATTITUDE_STATUS.
pub const ID_ATTITUDE_STATUS: u32 = GIMBAL_DEVICE_ATTITUDE_STATUS_DATA::ID;

/// An attitude reading older than this counts as a communication failure.
pub const ATTITUDE_STALE_AFTER: Duration = Duration::from_secs(1);

/// Commands that only ask for data.
pub fn is_request(cmd: MavCmd) -> bool {
    matches!(
        cmd,
        MavCmd::MAV_CMD_REQUEST_MESSAGE | MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL
    )
}

/// The messages a peer may stream at its own SET_MESSAGE_INTERVAL (the attitude status is
/// everyone's, see [`super::status`]): the manager status while we are the manager.
pub fn streamable(manager: bool) -> &'static [u32] {
    if manager {
        &[ID_MANAGER_STATUS]
    } else {
        &[]
    }
}

/// The camera is identified ([`CameraState::identified`]).
pub fn identified(s: &CameraState) -> bool {
    s.identified()
}

/// What the messages are built from.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// Now.
    pub now: Instant,
    /// Milliseconds since the component started.
    pub time_boot_ms: u32,
    /// Our component id.
    pub component_id: u8,
    /// What the gimbal is asked to do.
    pub goal: Goal,
    /// The manager role and control ownership.
    pub control: &'a Control,
    /// What our autopilot said about the vehicle.
    pub vehicle: &'a Vehicle,
    /// What the camera's replies said.
    pub camera: &'a CameraState,
    /// The SIYI link's health.
    pub link_health: LinkHealth,
}

/// The message id REQUEST_MESSAGE asks for (param1); `None` = not a message id.
pub fn requested_id(cmd: &Command) -> Option<u32> {
    cmd.whole(1)
        .filter(|v| (0.0..=16_777_215.0).contains(v))
        .map(|id| id as u32)
}

/// The answer to REQUEST_MESSAGE for `id` (see [`requested_id`]): the message after the ack,
/// DENIED for an invalid id or one we do not provide, TEMPORARILY_REJECTED for
/// GIMBAL_DEVICE_INFORMATION until the camera is identified.
pub fn request_message(id: Option<u32>, v: &View<'_>) -> Handled {
    let Some(id) = id else {
        return Handled::just(MavResult::MAV_RESULT_DENIED);
    };
    if id == ID_DEVICE_INFORMATION && !identified(v.camera) {
        // Vendor, model and firmware come from the camera: PX4 asks again at 1 Hz.
        return Handled::just(MavResult::MAV_RESULT_TEMPORARILY_REJECTED);
    }
    match build(id, v) {
        Some(m) => Handled {
            then: vec![m],
            ..Handled::just(MavResult::MAV_RESULT_ACCEPTED)
        },
        None => Handled::just(MavResult::MAV_RESULT_DENIED),
    }
}

/// A message on request; `None` = not one we provide (now).
pub fn build(id: u32, v: &View<'_>) -> Option<MavMessage> {
    let t = v.time_boot_ms;
    let manager = v.control.manager_active();
    match id {
        ID_DEVICE_INFORMATION => Some(device::device_information(t, v.camera)),
        ID_ATTITUDE_STATUS => Some(attitude_status(v)),
        ID_MANAGER_INFORMATION if manager => Some(device::manager_information(t, v.component_id)),
        ID_MANAGER_STATUS if manager => Some(manager_status(v)),
        _ => None,
    }
}

/// GIMBAL_MANAGER_STATUS.
pub fn manager_status(v: &View<'_>) -> MavMessage {
    device::manager_status(
        v.time_boot_ms,
        status::device_flags(&v.goal),
        v.component_id,
        v.control.controllers(),
    )
}

/// GIMBAL_DEVICE_ATTITUDE_STATUS.
pub fn attitude_status(v: &View<'_>) -> MavMessage {
    let reading = v.camera.attitude;
    let healthy = v.link_health == LinkHealth::Up
        && reading.is_some_and(|a| a.is_fresh(v.now, ATTITUDE_STALE_AFTER));
    device::attitude_status(&device::AttitudeView {
        time_boot_ms: v.time_boot_ms,
        attitude: reading.map(|a| a.value),
        healthy,
        yaw_lock: v.goal.yaw_lock(),
        neutral: v.goal == Goal::Neutral,
        vehicle_yaw_rad: v.vehicle.heading_rad(v.now),
        vehicle_yaw_rate_rad_s: v.vehicle.yaw_rate_rad_s(v.now),
        no_manager: !v.control.manager_active() && !v.control.autopilot_is_manager(),
    })
}
