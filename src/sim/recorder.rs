//! The recorder: SD card, recording on/off and photos taken, with the 0x0B feedback each
//! photo / record command earns, and the files each puts on the card ([`SimMedia`]).

use std::collections::VecDeque;

use siyi_protocol::{FeedbackCode, RecordState};

/// A file the simulated camera put on its SD card, for the I/O shell to write (see
/// [`SimCamera::poll_media`](super::SimCamera::poll_media)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimMedia {
    /// A photo was taken (the one that earned 0x0B code 0, "photo OK").
    PhotoTaken,
    /// A recording ended (record toggle, or a camera reboot while recording).
    VideoFinished,
}

/// At most this many media events wait for [`SimCamera::poll_media`](super::SimCamera::poll_media);
/// beyond, the oldest is forgotten (a shell that never polls must not grow the camera forever).
const MEDIA_QUEUE_MAX: usize = 1_024;

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
    /// Files put on the card, not yet polled.
    pub(super) media: VecDeque<SimMedia>,
}

impl Recorder {
    /// Not recording, no photo taken.
    pub(super) fn new(sd_card: bool) -> Self {
        Self {
            sd_card,
            recording: false,
            photos_taken: 0,
            media: VecDeque::new(),
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
            self.put_on_card(SimMedia::PhotoTaken);
            FeedbackCode::PhotoOk
        } else {
            FeedbackCode::PhotoFailed
        }
    }

    /// Toggles recording; returns the 0x0B code to push, if any (only without SD card).
    pub(super) fn toggle_recording(&mut self) -> Option<FeedbackCode> {
        if self.sd_card {
            if self.recording {
                self.stop_recording();
            } else {
                self.recording = true;
            }
            None
        } else {
            Some(FeedbackCode::RecordFailed)
        }
    }

    /// Stops a recording in progress (its video goes on the card); nothing when not recording.
    pub(super) fn stop_recording(&mut self) {
        if self.recording {
            self.recording = false;
            self.put_on_card(SimMedia::VideoFinished);
        }
    }

    fn put_on_card(&mut self, media: SimMedia) {
        if self.media.len() >= MEDIA_QUEUE_MAX {
            self.media.pop_front();
        }
        self.media.push_back(media);
    }
}
