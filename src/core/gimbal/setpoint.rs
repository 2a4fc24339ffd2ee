//! What a MAVLink set-point asks of the gimbal: GIMBAL_DEVICE_SET_ATTITUDE,
//! GIMBAL_MANAGER_SET_ATTITUDE, GIMBAL_MANAGER_SET_PITCHYAW, DO_GIMBAL_MANAGER_PITCHYAW and
//! DO_SET_ROI_LOCATION turned into a [`Goal`] (or refused as a [`BadSetpoint`]).
//!
//! Owns nothing: pure functions of plain values. Never touches: the link, the host, the
//! component's goal (the caller decides what a parsed set-point changes).

use mavlink::dialects::common::{GimbalDeviceFlags, MavFrame, MavMessage, COMMAND_INT_DATA};

use crate::core::geo::{Euler, GeoPoint};
use crate::core::mavlink::Command;

use super::device::PitchYaw;
use super::motion::{Goal, YawFrame};

/// Why a set-point was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BadSetpoint;

/// A parsed set-point: `Ok(None)` = nothing asked.
pub type Setpoint = Result<Option<Goal>, BadSetpoint>;

/// A set-point message: whom it is for and what it asks.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct SetpointMessage {
    /// target_system, target_component.
    pub target: (u8, u8),
    /// The manager message's gimbal_device_id; `None` = GIMBAL_DEVICE_SET_ATTITUDE (to the
    /// device itself).
    pub manager_device: Option<u8>,
    /// What it asks.
    pub setpoint: Setpoint,
}

/// The set-point in GIMBAL_DEVICE_SET_ATTITUDE, GIMBAL_MANAGER_SET_ATTITUDE or
/// GIMBAL_MANAGER_SET_PITCHYAW (`current`: see [`from_pitchyaw`]); `None` for other messages.
pub fn from_message(
    msg: &MavMessage,
    current: impl FnOnce() -> PitchYaw,
) -> Option<SetpointMessage> {
    Some(match msg {
        MavMessage::GIMBAL_DEVICE_SET_ATTITUDE(s) => SetpointMessage {
            target: (s.target_system, s.target_component),
            manager_device: None,
            setpoint: from_attitude(
                s.q,
                s.angular_velocity_y,
                s.angular_velocity_z,
                u32::from(s.flags.bits()),
            ),
        },
        MavMessage::GIMBAL_MANAGER_SET_ATTITUDE(s) => SetpointMessage {
            target: (s.target_system, s.target_component),
            manager_device: Some(s.gimbal_device_id),
            setpoint: from_attitude(
                s.q,
                s.angular_velocity_y,
                s.angular_velocity_z,
                s.flags.bits(),
            ),
        },
        MavMessage::GIMBAL_MANAGER_SET_PITCHYAW(s) => {
            let deg = |r: f32| f64::from(r).to_degrees();
            SetpointMessage {
                target: (s.target_system, s.target_component),
                manager_device: Some(s.gimbal_device_id),
                setpoint: from_pitchyaw(
                    [deg(s.pitch), deg(s.yaw), deg(s.pitch_rate), deg(s.yaw_rate)],
                    s.flags.bits(),
                    current,
                ),
            }
        }
        _ => return None,
    })
}

/// The NEUTRAL bit is set in a set-point's flags (device and manager flags share the bits).
fn neutral(flags: u32) -> bool {
    flags & u32::from(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_NEUTRAL.bits()) != 0
}

/// The yaw frame of a set-point's flags (device and manager flags share the bits): the explicit
/// frame flags win; without them YAW_LOCK means the earth frame.
pub fn yaw_frame(flags: u32) -> YawFrame {
    let has = |f: GimbalDeviceFlags| flags & u32::from(f.bits()) != 0;
    if has(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME) {
        YawFrame::Earth
    } else if has(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME) {
        YawFrame::Vehicle
    } else if has(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK) {
        YawFrame::Earth
    } else {
        YawFrame::Vehicle
    }
}

/// A set-point from GIMBAL_DEVICE_SET_ATTITUDE / GIMBAL_MANAGER_SET_ATTITUDE: a unit quaternion
/// (angles; it wins over rates), or all-NaN `q` with the pitch (`rate_y`) and yaw (`rate_z`)
/// rates in rad/s (NaN = 0 when the other is given). NEUTRAL centres. `Ok(None)`: nothing asked.
/// NaN or infinite parts of `q`, a quaternion that is not a unit one, infinite rates: refused.
pub fn from_attitude(q: [f32; 4], rate_y: f32, rate_z: f32, flags: u32) -> Setpoint {
    if neutral(flags) {
        return Ok(Some(Goal::Neutral));
    }
    let frame = yaw_frame(flags);
    if q.iter().all(|c| c.is_nan()) {
        if rate_y.is_infinite() || rate_z.is_infinite() {
            return Err(BadSetpoint);
        }
        if rate_y.is_nan() && rate_z.is_nan() {
            return Ok(None);
        }
        let dps = |r: f32| {
            if r.is_nan() {
                0.0
            } else {
                f64::from(r).to_degrees()
            }
        };
        return Ok(Some(Goal::Rates {
            pitch_dps: dps(rate_y),
            yaw_dps: dps(rate_z),
            frame,
        }));
    }
    let e = Euler::from_quat(q).ok_or(BadSetpoint)?;
    Ok(Some(Goal::Angles {
        pitch_deg: e.pitch_rad.to_degrees(),
        yaw_deg: e.yaw_rad.to_degrees(),
        frame,
    }))
}

/// A set-point from DO_GIMBAL_MANAGER_PITCHYAW / GIMBAL_MANAGER_SET_PITCHYAW: `v` = pitch °,
/// yaw °, pitch rate °/s, yaw rate °/s (NaN = unused). Angles win over rates; a NaN angle
/// beside a given one keeps the gimbal's `current` value (what the link last read, or zero).
pub fn from_pitchyaw(v: [f64; 4], flags: u32, current: impl FnOnce() -> PitchYaw) -> Setpoint {
    if v.iter().any(|x| x.is_infinite()) {
        return Err(BadSetpoint);
    }
    if neutral(flags) {
        return Ok(Some(Goal::Neutral));
    }
    let frame = yaw_frame(flags);
    let [pitch, yaw, pitch_rate, yaw_rate] = v;
    if pitch.is_nan() && yaw.is_nan() {
        if pitch_rate.is_nan() && yaw_rate.is_nan() {
            return Ok(None);
        }
        let z = |r: f64| if r.is_nan() { 0.0 } else { r };
        return Ok(Some(Goal::Rates {
            pitch_dps: z(pitch_rate),
            yaw_dps: z(yaw_rate),
            frame,
        }));
    }
    let current = current();
    let (yaw, frame) = if yaw.is_nan() {
        (current.yaw_deg, YawFrame::Vehicle)
    } else {
        (yaw, frame)
    };
    Ok(Some(Goal::Angles {
        pitch_deg: if pitch.is_nan() {
            current.pitch_deg
        } else {
            pitch
        },
        yaw_deg: yaw,
        frame,
    }))
}

/// The set-point of DO_GIMBAL_MANAGER_PITCHYAW (see [`from_pitchyaw`]): param1…4 the angles and
/// rates, param5 the flags (a whole number clamped to u32; 0 when missing or not whole).
pub fn from_pitchyaw_command(cmd: &Command, current: impl FnOnce() -> PitchYaw) -> Setpoint {
    let v = [cmd.p(1), cmd.p(2), cmd.p(3), cmd.p(4)].map(f64::from);
    let flags = cmd
        .whole(5)
        .map_or(0, |f| f.clamp(0.0, u32::MAX as f32) as u32);
    from_pitchyaw(v, flags, current)
}

/// The location of DO_SET_ROI_LOCATION, altitude AMSL. COMMAND_INT (`command_int`): x/y in
/// degrees × 10⁷, z in metres in its frame (GLOBAL = AMSL, else relative to home). COMMAND_LONG:
/// param5/6 degrees, param7 metres above home (QGC's and missions' usual frame). Needs the
/// vehicle's home altitude (`home_alt_m`, AMSL) for relative altitudes; `None` when unknown or
/// invalid.
pub fn roi_target(
    cmd: &Command,
    command_int: Option<&COMMAND_INT_DATA>,
    home_alt_m: Option<f64>,
) -> Option<GeoPoint> {
    let (lat, lon, alt, amsl) = match command_int {
        Some(ci) => (
            f64::from(ci.x) * 1e-7,
            f64::from(ci.y) * 1e-7,
            f64::from(ci.z),
            is_amsl_frame(ci.frame),
        ),
        None => (
            f64::from(cmd.p(5)),
            f64::from(cmd.p(6)),
            f64::from(cmd.p(7)),
            false,
        ),
    };
    let alt_m = if amsl { alt } else { alt + home_alt_m? };
    let p = GeoPoint {
        lat_deg: lat,
        lon_deg: lon,
        alt_m,
    };
    p.is_valid().then_some(p)
}

/// A global frame whose altitude is above mean sea level.
#[allow(deprecated)] // MAV_FRAME_GLOBAL_INT is still sent by older ground stations
fn is_amsl_frame(frame: MavFrame) -> bool {
    matches!(
        frame,
        MavFrame::MAV_FRAME_GLOBAL | MavFrame::MAV_FRAME_GLOBAL_INT
    )
}
