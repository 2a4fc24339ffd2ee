//! The recorder: SD card, recording on/off and photos taken, with the 0x0B feedback each
//! photo / record command earns.

use siyi_protocol::{FeedbackCode, RecordState};

/// Recording state as 0x0A byte 3 reports it.
pub(super) fn record_state(sd_card: bool, recording: bool) -> RecordState {
    match (sd_card, recording) {
        (false, _) => RecordState::NoCard,
        (true, true) => RecordState::Recording,
        (true, false) => RecordState::NotRecording,
    }
}

/// SD card, recording and photo count.
#[derive(Clone, Debug)]
pub(super) struct Recorder {
    pub(super) sd_card: bool,
    pub(super) recording: bool,
    /// Photos taken (successfully) since power-up.
    pub(super) photos_taken: u32,
}

impl Recorder {
    /// Not recording, no photo taken.
    pub(super) fn new(sd_card: bool) -> Self {
        Self {
            sd_card,
            recording: false,
            photos_taken: 0,
        }
    }

    /// Recording state as 0x0A reports it.
    pub(super) fn state(&self) -> RecordState {
        record_state(self.sd_card, self.recording)
    }

    /// Takes a photo; returns the 0x0B code to push.
    pub(super) fn take_photo(&mut self) -> FeedbackCode {
        if self.sd_card {
            self.photos_taken += 1;
            FeedbackCode::PhotoOk
        } else {
            FeedbackCode::PhotoFailed
        }
    }

    /// Toggles recording; returns the 0x0B code to push, if any (only without SD card).
    pub(super) fn toggle_recording(&mut self) -> Option<FeedbackCode> {
        if self.sd_card {
            self.recording = !self.recording;
            None
        } else {
            Some(FeedbackCode::RecordFailed)
        }
    }
}
