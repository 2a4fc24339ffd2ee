//! The records the camera keeps of its captures (persisted in [`super::persist::PersistedState`]).

use serde::{Deserialize, Serialize};

/// How many recording records are kept (oldest dropped first).
pub const MAX_VIDEO_RECORDS: usize = 500;

/// One captured image, enough to re-send CAMERA_IMAGE_CAPTURED.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct ImageRecord {
    /// Zero-based image index.
    pub index: i32,
    /// Capture time, microseconds since the UNIX epoch (0 = unknown).
    pub time_utc_us: u64,
    /// Latitude, degrees × 1e7 (`i32::MAX` = unknown).
    pub lat_e7: i32,
    /// Longitude, degrees × 1e7 (`i32::MAX` = unknown).
    pub lon_e7: i32,
    /// Altitude MSL, millimetres (`i32::MAX` = unknown).
    pub alt_mm: i32,
    /// Altitude above home, millimetres (`i32::MAX` = unknown).
    pub relative_alt_mm: i32,
    /// True when the camera confirmed (or did not deny) the photo.
    pub captured: bool,
    /// The camera's attitude in the earth frame `[w, x, y, z]` (`None` = unknown: NaN on the wire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<[f32; 4]>,
    /// The photo's file on the camera's web server (`/photo/101SIYI_IMG/IMG_0001.jpg`), once
    /// found (`None`: not found, or no web server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl ImageRecord {
    /// A record of photo `index` (−1 for a failed photo) taken at `time_utc_us` at `position`.
    pub fn new(index: i32, time_utc_us: u64, position: super::Position, captured: bool) -> Self {
        Self {
            index,
            time_utc_us,
            lat_e7: position.lat_e7,
            lon_e7: position.lon_e7,
            alt_mm: position.alt_mm,
            relative_alt_mm: position.relative_alt_mm,
            captured,
            q: None,
            file: None,
        }
    }
}

/// A finished recording and its file on the camera's card.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct VideoRecord {
    /// When the recording stopped, microseconds since the UNIX epoch (0 = unknown).
    pub stopped_utc_us: u64,
    /// Its file on the camera's web server (`/photo/100SIYI_VID/REC_0001.mp4`).
    pub file: String,
}
