//! The gimbal model: angles, the motion in progress (slew to a target or turn at a rate), the
//! motion mode, speeds and mechanical limits. Motion is piecewise linear and integrated exactly
//! whenever time advances, so it needs no timer.

use siyi_protocol::request::CenterPosition;
use siyi_protocol::{Attitude, Decidegrees, DecidegreesPerSecond, MotionMode};

use super::config::SimConfig;

/// Yaw limit of the A8 mini, degrees either side of the centre (SIYI yaw, positive = left).
pub const YAW_LIMIT_DEG: f64 = 135.0;
/// Lowest pitch of the A8 mini, degrees (−90 = straight down).
pub const PITCH_MIN_DEG: f64 = -90.0;
/// Highest pitch of the A8 mini, degrees.
pub const PITCH_MAX_DEG: f64 = 25.0;

/// What the gimbal motors are doing.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum GimbalMotion {
    /// Holding position.
    Idle,
    /// Slewing towards a target (0x0E, 0x08), degrees (SIYI yaw, positive = left).
    Target {
        /// Target yaw, degrees.
        yaw_deg: f64,
        /// Target pitch, degrees.
        pitch_deg: f64,
    },
    /// Turning at a rate (0x07), degrees per second (SIYI signs: yaw positive = left).
    Rate {
        /// Yaw rate, degrees per second.
        yaw_dps: f64,
        /// Pitch rate, degrees per second.
        pitch_dps: f64,
    },
}

/// Gimbal angles (SIYI convention: yaw positive = left, pitch positive = up), motion and mode.
#[derive(Clone, Debug)]
pub(super) struct Gimbal {
    pub(super) yaw_deg: f64,
    pub(super) pitch_deg: f64,
    /// Always 0: the simulated vehicle does not move.
    pub(super) roll_deg: f64,
    pub(super) motion: GimbalMotion,
    pub(super) mode: MotionMode,
    slew_dps: f64,
    max_rate_dps: f64,
}

impl Gimbal {
    /// Centred and idle, speeds and mode from `config` (already sanitized).
    pub(super) fn new(config: &SimConfig) -> Self {
        Self {
            yaw_deg: 0.0,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            motion: GimbalMotion::Idle,
            mode: config.motion_mode,
            slew_dps: config.gimbal_slew_dps,
            max_rate_dps: config.gimbal_max_rate_dps,
        }
    }

    /// The current attitude as a 0x0D reply (or 0x25 stream frame) carries it.
    pub(super) fn attitude(&self) -> Attitude {
        let (yaw_dps, pitch_dps) = self.current_rates();
        let (yaw, pitch, roll) = self.angles();
        Attitude {
            yaw,
            pitch,
            roll,
            yaw_rate: DecidegreesPerSecond(to_tenths_i16(yaw_dps)),
            pitch_rate: DecidegreesPerSecond(to_tenths_i16(pitch_dps)),
            roll_rate: DecidegreesPerSecond(0),
        }
    }

    /// Yaw, pitch and roll now, as 0x0E replies carry them.
    pub(super) fn angles(&self) -> (Decidegrees, Decidegrees, Decidegrees) {
        (
            decidegrees(self.yaw_deg),
            decidegrees(self.pitch_deg),
            decidegrees(self.roll_deg),
        )
    }

    /// 0x07: turn at `yaw_speed` / `pitch_speed` (±100 = the maximum rate) until stopped or a limit.
    pub(super) fn rotate(&mut self, yaw_speed: i8, pitch_speed: i8) {
        let scale = |v: i8| f64::from(v.clamp(-100, 100)) / 100.0;
        let max = self.max_rate_dps;
        // Positive turn_yaw turns right, i.e. SIYI yaw (positive left) decreases.
        let yaw_dps = -scale(yaw_speed) * max;
        let pitch_dps = scale(pitch_speed) * max;
        self.motion = if yaw_dps == 0.0 && pitch_dps == 0.0 {
            GimbalMotion::Idle
        } else {
            GimbalMotion::Rate { yaw_dps, pitch_dps }
        };
    }

    /// 0x08: slew to a centre position; `false` (status 0) for a position the model does not know.
    pub(super) fn center(&mut self, pos: CenterPosition) -> bool {
        let (yaw_deg, pitch_deg) = match pos {
            CenterPosition::Center | CenterPosition::Center3 => (0.0, 0.0),
            CenterPosition::CenterDown => (0.0, PITCH_MIN_DEG),
            CenterPosition::Down => (self.yaw_deg, PITCH_MIN_DEG),
            CenterPosition::Other(_) => return false,
        };
        self.motion = GimbalMotion::Target { yaw_deg, pitch_deg };
        true
    }

    /// Tilt-down function (0x0C): slew the pitch straight down, keeping the yaw.
    pub(super) fn tilt_down(&mut self) {
        self.motion = GimbalMotion::Target {
            yaw_deg: self.yaw_deg,
            pitch_deg: PITCH_MIN_DEG,
        };
    }

    /// After a gimbal reboot: slew back to the centre.
    pub(super) fn recenter(&mut self) {
        self.motion = GimbalMotion::Target {
            yaw_deg: 0.0,
            pitch_deg: 0.0,
        };
    }

    /// 0x0E: slew to `yaw` / `pitch`, clamped to the limits.
    pub(super) fn set_angles(&mut self, yaw: Decidegrees, pitch: Decidegrees) {
        self.motion = GimbalMotion::Target {
            yaw_deg: clamp_yaw(f64::from(yaw.0) / 10.0),
            pitch_deg: clamp_pitch(f64::from(pitch.0) / 10.0),
        };
    }

    /// 0x41: slew one axis (0 = yaw, 1 = pitch) to `angle`, keeping the other axis's target;
    /// `false` for an unknown axis (no effect, no reply).
    pub(super) fn single_axis(&mut self, angle: Decidegrees, axis: u8) -> bool {
        let (mut yaw_deg, mut pitch_deg) = match self.motion {
            GimbalMotion::Target { yaw_deg, pitch_deg } => (yaw_deg, pitch_deg),
            _ => (self.yaw_deg, self.pitch_deg),
        };
        let deg = f64::from(angle.0) / 10.0;
        match axis {
            0 => yaw_deg = clamp_yaw(deg),
            1 => pitch_deg = clamp_pitch(deg),
            _ => return false,
        }
        self.motion = GimbalMotion::Target { yaw_deg, pitch_deg };
        true
    }

    /// Moves the gimbal over `dt` seconds exactly.
    pub(super) fn integrate(&mut self, dt: f64) {
        match self.motion {
            GimbalMotion::Idle => {}
            GimbalMotion::Target { yaw_deg, pitch_deg } => {
                let step = self.slew_dps * dt;
                self.yaw_deg = move_toward(self.yaw_deg, yaw_deg, step);
                self.pitch_deg = move_toward(self.pitch_deg, pitch_deg, step);
                if self.yaw_deg == yaw_deg && self.pitch_deg == pitch_deg {
                    self.motion = GimbalMotion::Idle;
                }
            }
            GimbalMotion::Rate { yaw_dps, pitch_dps } => {
                self.yaw_deg = clamp_yaw(self.yaw_deg + yaw_dps * dt);
                self.pitch_deg = clamp_pitch(self.pitch_deg + pitch_dps * dt);
            }
        }
    }

    /// Actual angular rates now, degrees per second (SIYI signs).
    fn current_rates(&self) -> (f64, f64) {
        match self.motion {
            GimbalMotion::Idle => (0.0, 0.0),
            GimbalMotion::Target { yaw_deg, pitch_deg } => {
                let slew = self.slew_dps;
                let toward = |pos: f64, target: f64| {
                    if target > pos {
                        slew
                    } else if target < pos {
                        -slew
                    } else {
                        0.0
                    }
                };
                (
                    toward(self.yaw_deg, yaw_deg),
                    toward(self.pitch_deg, pitch_deg),
                )
            }
            GimbalMotion::Rate { yaw_dps, pitch_dps } => {
                let limited = |pos: f64, rate: f64, lo: f64, hi: f64| {
                    if (rate > 0.0 && pos >= hi) || (rate < 0.0 && pos <= lo) {
                        0.0
                    } else {
                        rate
                    }
                };
                (
                    limited(self.yaw_deg, yaw_dps, -YAW_LIMIT_DEG, YAW_LIMIT_DEG),
                    limited(self.pitch_deg, pitch_dps, PITCH_MIN_DEG, PITCH_MAX_DEG),
                )
            }
        }
    }
}

fn clamp_yaw(deg: f64) -> f64 {
    deg.clamp(-YAW_LIMIT_DEG, YAW_LIMIT_DEG)
}

fn clamp_pitch(deg: f64) -> f64 {
    deg.clamp(PITCH_MIN_DEG, PITCH_MAX_DEG)
}

fn move_toward(pos: f64, target: f64, step: f64) -> f64 {
    if (target - pos).abs() <= step {
        target
    } else if target > pos {
        pos + step
    } else {
        pos - step
    }
}

fn to_tenths_i16(x: f64) -> i16 {
    (x * 10.0)
        .round()
        .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

fn decidegrees(deg: f64) -> Decidegrees {
    Decidegrees(to_tenths_i16(deg))
}
