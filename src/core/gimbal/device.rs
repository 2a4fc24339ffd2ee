//! What the A8 mini's gimbal is as a MAVLink gimbal device: its limits, capability flags, the
//! conversion between SIYI angles and MAVLink's, and the messages that describe it.
//!
//! Owns nothing: plain functions of plain values.

use mavlink::dialects::common::{
    GimbalDeviceCapFlags, GimbalDeviceCapFlagsU16, GimbalDeviceErrorFlags, GimbalDeviceFlags,
    GimbalManagerCapFlags, GimbalManagerFlags, MavMessage, MavState, MavType,
    GIMBAL_DEVICE_ATTITUDE_STATUS_DATA, GIMBAL_DEVICE_INFORMATION_DATA,
    GIMBAL_MANAGER_INFORMATION_DATA, GIMBAL_MANAGER_STATUS_DATA,
};
use siyi_protocol::{Attitude, CameraModel, Decidegrees, FirmwareVersion};

use crate::core::geo::Euler;
use crate::core::link::{
    CameraState, LinkHealth, PITCH_MAX_DECIDEGREES, PITCH_MIN_DECIDEGREES, YAW_LIMIT_DECIDEGREES,
};

/// Lowest pitch, degrees (−90 = straight down).
pub const PITCH_MIN_DEG: f64 = PITCH_MIN_DECIDEGREES as f64 / 10.0;
/// Highest pitch, degrees.
pub const PITCH_MAX_DEG: f64 = PITCH_MAX_DECIDEGREES as f64 / 10.0;
/// Yaw limit either side of the vehicle's nose, degrees.
pub const YAW_LIMIT_DEG: f64 = YAW_LIMIT_DECIDEGREES as f64 / 10.0;
/// Closer than this to a limit (degrees) counts as "at the limit" in the failure flags.
pub const AT_LIMIT_DEG: f64 = 0.5;

/// A gimbal direction in MAVLink terms: degrees, yaw relative to the vehicle's nose, positive
/// right; pitch positive up.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct PitchYaw {
    /// Pitch, degrees, positive up.
    pub pitch_deg: f64,
    /// Yaw relative to the vehicle, degrees, positive right (clockwise seen from above).
    pub yaw_deg: f64,
}

impl PitchYaw {
    /// Clamped to the A8 mini's limits; the flag says whether anything had to be clamped.
    pub fn clamped(self) -> (Self, bool) {
        let c = Self {
            pitch_deg: self.pitch_deg.clamp(PITCH_MIN_DEG, PITCH_MAX_DEG),
            yaw_deg: self.yaw_deg.clamp(-YAW_LIMIT_DEG, YAW_LIMIT_DEG),
        };
        (c, c != self)
    }

    /// In SIYI's convention (tenths of a degree, yaw positive = left), for
    /// [`crate::core::link::Operation::GimbalAngles`].
    pub fn to_siyi(self) -> (Decidegrees, Decidegrees) {
        let tenths = |deg: f64| Decidegrees((deg * 10.0).round() as i16);
        (tenths(-self.yaw_deg), tenths(self.pitch_deg))
    }

    /// The gimbal's direction as a SIYI attitude reports it.
    pub fn from_siyi(a: &Attitude) -> Self {
        Self {
            pitch_deg: f64::from(a.pitch.0) / 10.0,
            yaw_deg: -f64::from(a.yaw.0) / 10.0,
        }
    }
}

/// The device capability flags that are true for the A8 mini: pitch and yaw axes, pitch held
/// level (lock; it cannot follow the vehicle's pitch), yaw follow and yaw lock (held by the bridge
/// against the vehicle's heading), and neutral (one-key centering). No roll axis, no retract.
pub fn device_cap_flags() -> GimbalDeviceCapFlags {
    GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_NEUTRAL
        | GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_PITCH_AXIS
        | GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_PITCH_LOCK
        | GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_YAW_AXIS
        | GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_YAW_FOLLOW
        | GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_YAW_LOCK
}

/// The manager capability flags: the device's, plus pointing at a global location (ROI).
pub fn manager_cap_flags() -> GimbalManagerCapFlags {
    GimbalManagerCapFlags::from_bits_retain(device_cap_flags().bits())
        | GimbalManagerCapFlags::GIMBAL_MANAGER_CAP_FLAGS_CAN_POINT_LOCATION_GLOBAL
}

/// HEARTBEAT of the gimbal device: MAV_TYPE_GIMBAL, no autopilot; STANDBY while the camera
/// answers, BOOT before, CRITICAL when it is lost.
pub fn heartbeat(health: LinkHealth) -> MavMessage {
    let status = match health {
        LinkHealth::Up => MavState::MAV_STATE_STANDBY,
        LinkHealth::Searching | LinkHealth::Booting => MavState::MAV_STATE_BOOT,
        LinkHealth::Lost => MavState::MAV_STATE_CRITICAL,
    };
    crate::core::mavlink::heartbeat(MavType::MAV_TYPE_GIMBAL, status)
}

fn pack_firmware(fw: FirmwareVersion) -> u32 {
    crate::core::mavlink::pack_firmware(fw.major(), fw.minor(), fw.patch())
}

fn text<const N: usize>(s: &str) -> mavlink::types::CharArray<N> {
    crate::core::mavlink::fixed_text::<N>(s).into()
}

/// GIMBAL_DEVICE_INFORMATION from what the camera said about itself (vendor "SIYI", the model,
/// the gimbal firmware, the hardware id's digits as uid) and the A8 mini's limits.
/// `gimbal_device_id` is 0: the device is its own MAVLink component.
pub fn device_information(time_boot_ms: u32, state: &CameraState) -> MavMessage {
    let model = match state.model {
        Some(CameraModel::Unknown(_)) | None => "SIYI gimbal",
        Some(m) => m.name(),
    };
    let uid = state
        .hardware_id
        .map(|id| {
            id.as_text()
                .bytes()
                .filter(|b| b.is_ascii_digit())
                .fold(0u64, |acc, b| {
                    acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
                })
        })
        .unwrap_or(0);
    MavMessage::GIMBAL_DEVICE_INFORMATION(GIMBAL_DEVICE_INFORMATION_DATA {
        uid,
        time_boot_ms,
        firmware_version: state.gimbal_fw.map(pack_firmware).unwrap_or(0),
        hardware_version: 0,
        roll_min: 0.0,
        roll_max: 0.0,
        pitch_min: PITCH_MIN_DEG.to_radians() as f32,
        pitch_max: PITCH_MAX_DEG.to_radians() as f32,
        yaw_min: (-YAW_LIMIT_DEG).to_radians() as f32,
        yaw_max: YAW_LIMIT_DEG.to_radians() as f32,
        cap_flags: GimbalDeviceCapFlagsU16::from_bits_retain(device_cap_flags().bits() as u16),
        custom_cap_flags: 0,
        vendor_name: text("SIYI"),
        model_name: text(model),
        custom_name: text(""),
        gimbal_device_id: 0,
        cap_flags2: device_cap_flags(),
    })
}

/// GIMBAL_MANAGER_INFORMATION: the device's limits and flags; `gimbal_device_id` is the
/// device's component id (QGC ignores a manager whose device id is 0).
pub fn manager_information(time_boot_ms: u32, device_compid: u8) -> MavMessage {
    MavMessage::GIMBAL_MANAGER_INFORMATION(GIMBAL_MANAGER_INFORMATION_DATA {
        time_boot_ms,
        cap_flags: manager_cap_flags(),
        roll_min: 0.0,
        roll_max: 0.0,
        pitch_min: PITCH_MIN_DEG.to_radians() as f32,
        pitch_max: PITCH_MAX_DEG.to_radians() as f32,
        yaw_min: (-YAW_LIMIT_DEG).to_radians() as f32,
        yaw_max: YAW_LIMIT_DEG.to_radians() as f32,
        gimbal_device_id: device_compid,
    })
}

/// Who is in control, as GIMBAL_MANAGER_STATUS reports it ((0, 0) = nobody).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Controllers {
    /// Primary control (system id, component id).
    pub primary: (u8, u8),
    /// Secondary control (system id, component id).
    pub secondary: (u8, u8),
}

/// GIMBAL_MANAGER_STATUS.
pub fn manager_status(
    time_boot_ms: u32,
    flags: GimbalDeviceFlags,
    device_compid: u8,
    c: Controllers,
) -> MavMessage {
    MavMessage::GIMBAL_MANAGER_STATUS(GIMBAL_MANAGER_STATUS_DATA {
        time_boot_ms,
        flags: GimbalManagerFlags::from_bits_retain(u32::from(flags.bits())),
        gimbal_device_id: device_compid,
        primary_control_sysid: c.primary.0,
        primary_control_compid: c.primary.1,
        secondary_control_sysid: c.secondary.0,
        secondary_control_compid: c.secondary.1,
    })
}

/// What GIMBAL_DEVICE_ATTITUDE_STATUS is built from.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct AttitudeView {
    /// Milliseconds since the component started.
    pub time_boot_ms: u32,
    /// The gimbal's last attitude reading (`None` = never read).
    pub attitude: Option<Attitude>,
    /// The reading is fresh and the link is up.
    pub healthy: bool,
    /// The yaw is being held in the earth frame (yaw lock).
    pub yaw_lock: bool,
    /// The gimbal was sent to neutral and has not been moved since.
    pub neutral: bool,
    /// The vehicle's heading, radians from north (`None` = unknown).
    pub vehicle_yaw_rad: Option<f64>,
    /// The vehicle's yaw rate, rad/s (`None` = unknown).
    pub vehicle_yaw_rate_rad_s: Option<f64>,
    /// No gimbal manager is known (manager role off and no autopilot manages the device).
    pub no_manager: bool,
}

/// GIMBAL_DEVICE_ATTITUDE_STATUS: the attitude with yaw in the vehicle frame
/// (YAW_IN_VEHICLE_FRAME), roll and pitch relative to the horizon, angular velocities in rad/s
/// (MAVLink signs), `delta_yaw` = the vehicle's heading when known (NaN otherwise), and failure
/// flags: COMMS_ERROR while the camera link is down or the reading is stale, AT_*_LIMIT.
/// `gimbal_device_id` is 0 (the device has its own component id).
pub fn attitude_status(v: &AttitudeView) -> MavMessage {
    let mut flags = GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
        | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK
        | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME;
    if v.yaw_lock {
        flags |= GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK;
    }
    if v.neutral {
        flags |= GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_NEUTRAL;
    }
    if v.vehicle_yaw_rad.is_some() {
        flags |= GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ACCEPTS_YAW_IN_EARTH_FRAME;
    }
    let mut failure = GimbalDeviceErrorFlags::empty();
    if !v.healthy {
        failure |= GimbalDeviceErrorFlags::GIMBAL_DEVICE_ERROR_FLAGS_COMMS_ERROR;
    }
    if v.no_manager {
        failure |= GimbalDeviceErrorFlags::GIMBAL_DEVICE_ERROR_FLAGS_NO_MANAGER;
    }
    let (q, rates) = match v.attitude {
        Some(a) => {
            let py = PitchYaw::from_siyi(&a);
            if py.pitch_deg <= PITCH_MIN_DEG + AT_LIMIT_DEG
                || py.pitch_deg >= PITCH_MAX_DEG - AT_LIMIT_DEG
            {
                failure |= GimbalDeviceErrorFlags::GIMBAL_DEVICE_ERROR_FLAGS_AT_PITCH_LIMIT;
            }
            if py.yaw_deg.abs() >= YAW_LIMIT_DEG - AT_LIMIT_DEG {
                failure |= GimbalDeviceErrorFlags::GIMBAL_DEVICE_ERROR_FLAGS_AT_YAW_LIMIT;
            }
            let e = Euler::from_deg(f64::from(a.roll.0) / 10.0, py.pitch_deg, py.yaw_deg);
            let rad_s = |tenths: i16| (f64::from(tenths) / 10.0).to_radians() as f32;
            (
                e.to_quat(),
                [
                    rad_s(a.roll_rate.0),
                    rad_s(a.pitch_rate.0),
                    -rad_s(a.yaw_rate.0),
                ],
            )
        }
        None => ([f32::NAN; 4], [f32::NAN; 3]),
    };
    let nan_or = |v: Option<f64>| v.map_or(f32::NAN, |v| v as f32);
    MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(GIMBAL_DEVICE_ATTITUDE_STATUS_DATA {
        time_boot_ms: v.time_boot_ms,
        q,
        angular_velocity_x: rates[0],
        angular_velocity_y: rates[1],
        angular_velocity_z: rates[2],
        failure_flags: failure,
        flags,
        target_system: 0,
        target_component: 0,
        delta_yaw: nan_or(v.vehicle_yaw_rad),
        delta_yaw_velocity: nan_or(v.vehicle_yaw_rate_rad_s),
        gimbal_device_id: 0,
    })
}

/// The STATUSTEXT that tells the users the gimbal's limits (sent once, when a set-point is first
/// clamped).
pub fn limits_text() -> String {
    format!("Gimbal limits: pitch {PITCH_MIN_DEG}..{PITCH_MAX_DEG} deg, yaw +-{YAW_LIMIT_DEG} deg")
}

/// The gimbal's current angles as the link last read them (zero when never read).
pub fn current_angles(state: &CameraState) -> PitchYaw {
    state
        .attitude
        .map(|a| PitchYaw::from_siyi(&a.value))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siyi_yaw_is_positive_left() {
        let (yaw, pitch) = PitchYaw {
            pitch_deg: -30.0,
            yaw_deg: 45.0,
        }
        .to_siyi();
        assert_eq!((yaw.0, pitch.0), (-450, -300));
    }

    #[test]
    fn limits_clamp_and_say_so() {
        let (c, clamped) = PitchYaw {
            pitch_deg: 40.0,
            yaw_deg: -200.0,
        }
        .clamped();
        assert!(clamped);
        assert_eq!((c.pitch_deg, c.yaw_deg), (25.0, -135.0));
        assert!(!PitchYaw::default().clamped().1);
    }

    #[test]
    fn capability_flags_are_the_a8_minis() {
        let f = device_cap_flags();
        assert!(!f.contains(GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_ROLL_AXIS));
        assert!(!f.contains(GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_RETRACT));
        assert!(!f.contains(GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_HAS_PITCH_FOLLOW));
        assert!(!f.contains(GimbalDeviceCapFlags::GIMBAL_DEVICE_CAP_FLAGS_SUPPORTS_INFINITE_YAW));
        assert_eq!(f.bits(), 2 | 32 | 128 | 256 | 512 | 1024);
    }
}
