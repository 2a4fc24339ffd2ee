//! What the gimbal should do (the goal a MAVLink user set) and where that points it now, given
//! what the autopilot says about the vehicle (heading for yaw lock, position for ROI).
//!
//! Owns: nothing but plain values; the component keeps one [`Goal`], and one [`Vehicle`] (its
//! own part, `vehicle`).

use std::time::Instant;

use crate::core::geo::{self, GeoPoint};

use super::device::PitchYaw;
pub use super::vehicle::{Vehicle, VEHICLE_STALE_AFTER};

/// The frame a yaw is given in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum YawFrame {
    /// Relative to the vehicle's nose (yaw follow).
    Vehicle,
    /// Relative to north (yaw lock): held against the vehicle's heading.
    Earth,
}

/// What the gimbal should do.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Goal {
    /// Nothing asked (or a motion ended): the gimbal holds where it is.
    Idle,
    /// Centred (one-key centering).
    Neutral,
    /// Point at these angles: pitch degrees (positive up), yaw degrees (positive right) in
    /// `frame`.
    Angles {
        /// Pitch, degrees.
        pitch_deg: f64,
        /// Yaw, degrees, in `frame`.
        yaw_deg: f64,
        /// The yaw's frame.
        frame: YawFrame,
    },
    /// Turn at these rates: degrees per second (pitch positive up, yaw positive right in
    /// `frame`).
    Rates {
        /// Pitch rate, °/s.
        pitch_dps: f64,
        /// Yaw rate, °/s, in `frame`.
        yaw_dps: f64,
        /// The yaw rate's frame.
        frame: YawFrame,
    },
    /// Keep pointing at a location (ROI); altitude AMSL.
    Roi(GeoPoint),
}

impl Goal {
    /// The yaw is held in the earth frame (yaw lock, or a location).
    pub fn yaw_lock(&self) -> bool {
        matches!(
            self,
            Self::Angles {
                frame: YawFrame::Earth,
                ..
            } | Self::Rates {
                frame: YawFrame::Earth,
                ..
            } | Self::Roi(_)
        )
    }
}

/// Where `goal` points the gimbal now, relative to the vehicle (not yet clamped); `None` when it
/// does not point anywhere or what it needs (heading, position) is unknown.
pub fn direction(goal: &Goal, vehicle: &Vehicle, now: Instant) -> Option<PitchYaw> {
    match *goal {
        Goal::Angles {
            pitch_deg,
            yaw_deg,
            frame,
        } => {
            let yaw_deg = match frame {
                YawFrame::Vehicle => yaw_deg,
                YawFrame::Earth => {
                    let heading = vehicle.heading_rad(now)?;
                    geo::yaw_earth_to_vehicle(yaw_deg.to_radians(), heading).to_degrees()
                }
            };
            Some(PitchYaw { pitch_deg, yaw_deg })
        }
        Goal::Roi(target) => {
            let heading = vehicle.heading_rad(now)?;
            let (from, _) = vehicle.position(now)?;
            let look = geo::look_at(&from, &target);
            Some(PitchYaw {
                pitch_deg: look.elevation_rad.to_degrees(),
                yaw_deg: geo::yaw_earth_to_vehicle(look.bearing_rad, heading).to_degrees(),
            })
        }
        Goal::Idle | Goal::Neutral | Goal::Rates { .. } => None,
    }
}

/// The rates of a rate goal relative to the vehicle, °/s `[yaw, pitch]`: an earth-frame yaw rate
/// has the vehicle's own yaw rate taken off (when known).
pub fn vehicle_rates(goal: &Goal, vehicle: &Vehicle, now: Instant) -> Option<[f64; 2]> {
    match *goal {
        Goal::Rates {
            pitch_dps,
            yaw_dps,
            frame,
        } => {
            let yaw = match (frame, vehicle.yaw_rate_rad_s(now)) {
                (YawFrame::Earth, Some(r)) => yaw_dps - r.to_degrees(),
                _ => yaw_dps,
            };
            Some([yaw, pitch_dps])
        }
        _ => None,
    }
}
