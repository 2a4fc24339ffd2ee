//! What is tracked, and how CAMERA_TRACKING_IMAGE_STATUS says it.
//!
//! Owns nothing: plain values and the message built from them.

use mavlink::dialects::common::{
    CameraCapFlags, CameraTrackingMode, CameraTrackingStatusFlags, CameraTrackingTargetData,
    CAMERA_TRACKING_GEO_STATUS_DATA, CAMERA_TRACKING_IMAGE_STATUS_DATA,
};

use crate::core::geo::GeoPoint;

use super::api::Target;

/// What tracking shows the camera, which says it under its MAVLink identity: whether a source
/// is available (CAMERA_INFORMATION flags) and what is tracked (CAMERA_TRACKING_IMAGE_STATUS,
/// the geo status). A plain value: the bridge hands the camera a fresh one after every tracking
/// step ([`super::Tracking::report`]).
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct TrackingStatus {
    /// A tracker connected (after its hello), or the AI module on.
    pub available: bool,
    /// What is tracked now.
    pub reported: Reported,
}

impl Default for TrackingStatus {
    /// Nothing connected, nothing tracked (a new [`super::Tracking`]).
    fn default() -> Self {
        Self {
            available: false,
            reported: Reported::Idle,
        }
    }
}

impl TrackingStatus {
    /// CAMERA_INFORMATION flags for tracking (exactly while a source is available; the geo
    /// status is sent when our autopilot's position and attitude and the gimbal's are known).
    pub fn flags(&self) -> CameraCapFlags {
        if self.available {
            CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
                | CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE
                | CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_GEO_STATUS
        } else {
            CameraCapFlags::empty()
        }
    }

    /// CAMERA_TRACKING_IMAGE_STATUS now.
    pub fn image_status(&self) -> CAMERA_TRACKING_IMAGE_STATUS_DATA {
        self.reported.image_status()
    }
}

/// What the tracking source reports.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Reported {
    /// Not tracking.
    Idle,
    /// Tracking this.
    Active(Target),
    /// Temporarily out of sight; the last place it was seen.
    Lost(Option<Target>),
    /// Tracking failed, or the source is gone.
    Error,
}

impl Reported {
    /// The status flags and mode this state is announced with.
    pub fn flags_and_mode(&self) -> (CameraTrackingStatusFlags, CameraTrackingMode) {
        let mode = |t: &Target| match t {
            Target::Point(_) => CameraTrackingMode::CAMERA_TRACKING_MODE_POINT,
            Target::Rect(_) => CameraTrackingMode::CAMERA_TRACKING_MODE_RECTANGLE,
        };
        let active = CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ACTIVE;
        match self {
            Self::Idle => (
                CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_IDLE,
                CameraTrackingMode::CAMERA_TRACKING_MODE_NONE,
            ),
            Self::Active(t) | Self::Lost(Some(t)) => (active, mode(t)),
            Self::Lost(None) => (active, CameraTrackingMode::CAMERA_TRACKING_MODE_NONE),
            Self::Error => (
                CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ERROR,
                CameraTrackingMode::CAMERA_TRACKING_MODE_NONE,
            ),
        }
    }

    /// The target shown in the status, if any.
    pub fn target(&self) -> Option<Target> {
        match self {
            Self::Active(t) | Self::Lost(Some(t)) => Some(*t),
            _ => None,
        }
    }

    /// CAMERA_TRACKING_GEO_STATUS for a target on the ground at `point`, `distance_m` from the
    /// vehicle (horizontally). Its speed, heading and the accuracies are not known (NaN).
    pub fn geo_status(&self, point: GeoPoint, distance_m: f64) -> CAMERA_TRACKING_GEO_STATUS_DATA {
        let nan = f32::NAN;
        CAMERA_TRACKING_GEO_STATUS_DATA {
            lat: (point.lat_deg * 1e7).round() as i32,
            lon: (point.lon_deg * 1e7).round() as i32,
            alt: point.alt_m as f32,
            h_acc: nan,
            v_acc: nan,
            vel_n: nan,
            vel_e: nan,
            vel_d: nan,
            vel_acc: nan,
            dist: distance_m as f32,
            hdg: nan,
            hdg_acc: nan,
            tracking_status: self.flags_and_mode().0,
            camera_device_id: 0,
        }
    }

    /// CAMERA_TRACKING_IMAGE_STATUS for this state (NaN where nothing is known).
    pub fn image_status(&self) -> CAMERA_TRACKING_IMAGE_STATUS_DATA {
        let (tracking_status, tracking_mode) = self.flags_and_mode();
        let nan = f32::NAN;
        let mut m = CAMERA_TRACKING_IMAGE_STATUS_DATA {
            point_x: nan,
            point_y: nan,
            radius: nan,
            rec_top_x: nan,
            rec_top_y: nan,
            rec_bottom_x: nan,
            rec_bottom_y: nan,
            tracking_status,
            tracking_mode,
            target_data: CameraTrackingTargetData::empty(),
            camera_device_id: 0,
        };
        let in_status = CameraTrackingTargetData::CAMERA_TRACKING_TARGET_DATA_IN_STATUS;
        match self.target() {
            Some(Target::Point(p)) => {
                m.target_data = in_status;
                (m.point_x, m.point_y, m.radius) = (p.x, p.y, p.radius);
            }
            Some(Target::Rect(r)) => {
                m.target_data = in_status;
                (m.rec_top_x, m.rec_top_y) = (r.top_left_x, r.top_left_y);
                (m.rec_bottom_x, m.rec_bottom_y) = (r.bottom_right_x, r.bottom_right_y);
            }
            None => {}
        }
        m
    }
}
