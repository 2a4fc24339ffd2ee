//! What the camera component keeps across restarts: the image counter and the captured-image
//! records. The core hands out a [`PersistedState`] whenever it changes
//! ([`super::CameraEvent::Persist`]); the app writes it atomically and gives it back at start-up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How many captured-image records are kept (oldest dropped first).
pub const MAX_RECORDS: usize = 2000;

/// One captured image, enough to re-send CAMERA_IMAGE_CAPTURED.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
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
        }
    }
}

/// The camera component's persistent state (serialised as JSON by the app).
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct PersistedState {
    /// Format version of this blob.
    #[serde(default)]
    pub version: u32,
    /// Number of images taken so far = the next image index.
    pub image_count: i32,
    /// Records of captured images by index (the most recent [`MAX_RECORDS`]).
    #[serde(default)]
    pub records: BTreeMap<i32, ImageRecord>,
}

impl PersistedState {
    /// Adds a record, dropping the oldest ones beyond [`MAX_RECORDS`].
    pub fn add(&mut self, record: ImageRecord) {
        self.records.insert(record.index, record);
        while self.records.len() > MAX_RECORDS {
            self.records.pop_first();
        }
    }

    /// Decodes a blob written by [`PersistedState::to_json`].
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let mut s: Self = serde_json::from_str(text)?;
        s.image_count = s.image_count.max(0);
        if let Some((&last, _)) = s.records.last_key_value() {
            s.image_count = s.image_count.max(last.saturating_add(1));
        }
        Ok(s)
    }

    /// Encodes the state as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
