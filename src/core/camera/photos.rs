//! The photo pipeline: from IMAGE_START_CAPTURE to the photo's record with its file.
//!
//! Owns: the [`Capture`] (photos in flight, the series timer), the [`ImageCounter`] (indices,
//! records, save health) and the [`Files`] (the media service, CAMERA_IMAGE_CAPTURED held for
//! its file URL). Never touches: the camera's other parts (mode, video, zoom, tracking, pose),
//! the periodic status timer, the SIYI wire. Its neighbours come in as parameters: the [`Host`]
//! to say things on, the link to start photos on, the wall clock, position and aim as plain
//! values ([`Shot`]), the camera's event queue.

use std::collections::VecDeque;
use std::time::Instant;

use mavlink::dialects::common::{MavCmd, MavResult, MavSeverity, StorageStatus};

use crate::core::link::{LinkControl, OpId, OpOutcome};
use crate::core::mavlink::host::IncomingCommand;
use crate::core::mavlink::{Host, Target};
use crate::core::media::{MediaConfig, MediaRequest, Reply};

use super::capture::{Capture, PhotoOp, Start, Tick};
use super::config::CameraEvent;
use super::counter::ImageCounter;
use super::files::{FileNews, Files};
use super::messages::{self, CaptureStatus};
use super::outcomes;
use super::persist::{ImageRecord, PersistedState};
use super::pose::Position;
use super::records::VideoRecord;
use super::requests::is_recording;

/// Where and when a photo that ends now was taken, as the camera knows it.
#[derive(Clone, Copy, Debug)]
pub struct Shot {
    /// Wall clock, µs since the UNIX epoch.
    pub utc_us: u64,
    /// Our autopilot's position.
    pub position: Position,
    /// Where the camera looked (earth frame), when known.
    pub q: Option<[f32; 4]>,
}

/// How IMAGE_START_CAPTURE went (a refusal's text is already said).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Began {
    /// Refused with this result.
    Refused(MavResult),
    /// A single photo started (ack IN_PROGRESS, the final ack follows).
    Single,
    /// A series started (ack ACCEPTED).
    Series,
}

/// The photo pipeline. See the module docs.
#[derive(Debug)]
pub struct Photos {
    capture: Capture,
    counter: ImageCounter,
    files: Files,
}

impl Photos {
    /// With the media service of `media` (None: no web server), continuing from `state`.
    pub fn new(media: Option<MediaConfig>, state: PersistedState) -> Self {
        Self {
            capture: Capture::default(),
            counter: ImageCounter::new(state),
            files: Files::new(media),
        }
    }

    /// The persisted state as it is now.
    pub fn persisted(&self) -> &PersistedState {
        self.counter.state()
    }

    /// Why the next photo would be refused now, if it would.
    pub fn refusal(&self) -> Option<&'static str> {
        self.counter.refusal()
    }

    /// The captures' files and the card's figures.
    pub fn files(&self) -> &Files {
        &self.files
    }

    /// A series is running.
    pub fn series_active(&self) -> bool {
        self.capture.series_active()
    }

    /// The next timer (series, held announcements, media service).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.capture.poll_timeout(), self.files.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// What CAMERA_CAPTURE_STATUS says now.
    pub fn status(&self, now: Instant, link: &impl LinkControl) -> CaptureStatus {
        let state = link.state();
        let figures = self.files.figures();
        CaptureStatus {
            photo_in_progress: self.capture.photo_in_progress(),
            interval_s: self.capture.interval_s(),
            recording: is_recording(link),
            recording_time_ms: state
                .recording_since
                .map(|t| now.saturating_duration_since(t).as_millis() as u32)
                .unwrap_or(0),
            image_count: self.counter.next_index(),
            available_mib: match messages::storage_status(state.record.map(|r| r.value), figures) {
                StorageStatus::STORAGE_STATUS_READY => figures.map_or(0.0, |f| f.available_mib),
                _ => 0.0,
            },
        }
    }

    /// IMAGE_START_CAPTURE: starts a photo or a series, or says why not on `host`.
    pub fn image_start(
        &mut self,
        now: Instant,
        c: &IncomingCommand,
        host: &mut Host,
        link: &mut impl LinkControl,
    ) -> Began {
        // A photo whose index cannot be handed out safely is refused (STATUSTEXT says why).
        let counter = &self.counter;
        let refuse = || refuse_index(host, counter);
        match (self.capture).start(now, c.from, c.key, &c.cmd, link, refuse) {
            Start::Refused { result, why } => {
                if let Some(text) = why {
                    host.statustext_to(c.from.peer, MavSeverity::MAV_SEVERITY_WARNING, &text);
                }
                Began::Refused(result)
            }
            Start::Single => Began::Single,
            Start::Series => Began::Series,
        }
    }

    /// IMAGE_STOP_CAPTURE: true when a series was running.
    pub fn stop(&mut self) -> bool {
        self.capture.stop()
    }

    /// Runs the series timer at `now`; true when CAMERA_CAPTURE_STATUS should be broadcast.
    pub fn tick(&mut self, now: Instant, host: &mut Host, link: &mut impl LinkControl) -> bool {
        match self.capture.tick(now, link) {
            Tick::Idle => false,
            Tick::StoppedCameraLost => {
                host.statustext(
                    MavSeverity::MAV_SEVERITY_WARNING,
                    "Interval capture stopped: camera lost",
                );
                true
            }
            Tick::Due { ended } => ended && !self.capture.photo_in_progress(),
        }
    }

    /// Runs the files' timers at `now` (held announcements, the media service).
    pub fn handle_timeout(
        &mut self,
        now: Instant,
        host: &mut Host,
        ev: &mut VecDeque<CameraEvent>,
    ) {
        self.files.handle_timeout(now);
        self.file_news(host, ev);
    }

    /// Operation `id` ended: when it was a photo, record and announce it (and the final ack of a
    /// single photo). `None` = not a photo; `Some(true)` = a series ended with it, broadcast
    /// CAMERA_CAPTURE_STATUS.
    #[allow(clippy::too_many_arguments)]
    pub fn finished(
        &mut self,
        now: Instant,
        id: OpId,
        outcome: &OpOutcome,
        shot: Shot,
        host: &mut Host,
        link: &impl LinkControl,
        ev: &mut VecDeque<CameraEvent>,
    ) -> Option<bool> {
        let photo = self.capture.finished(id)?;
        let mark = host.queued();
        self.photo_done(now, outcome, shot, host, link, ev);
        Some(match photo {
            PhotoOp::Single { from, key } => {
                let result = outcomes::result(outcome);
                host.set_result(&key, result);
                // The final ack goes in front of the photo's messages.
                host.ack_before(mark, from, MavCmd::MAV_CMD_IMAGE_START_CAPTURE, result);
                false
            }
            PhotoOp::Series => !self.capture.series_active(),
        })
    }

    /// A photo ended: record it, announce it (CAMERA_IMAGE_CAPTURED, CAMERA_TRIGGER, status).
    fn photo_done(
        &mut self,
        now: Instant,
        outcome: &OpOutcome,
        shot: Shot,
        host: &mut Host,
        link: &impl LinkControl,
        ev: &mut VecDeque<CameraEvent>,
    ) {
        let utc = shot.utc_us;
        let captured = matches!(outcome, OpOutcome::Succeeded { .. });
        let index = if captured {
            self.counter.next_index()
        } else {
            -1
        };
        let mut record = ImageRecord::new(index, utc, shot.position, captured);
        record.q = shot.q;
        let t = host.boot_ms(now);
        if captured {
            let state = self.counter.take(record.clone());
            ev.push_back(CameraEvent::Persist(state));
            // CAMERA_IMAGE_CAPTURED waits (at most a second) for the photo's file.
            self.files.photo_taken(now, record.clone(), t);
            self.file_news(host, ev);
            host.send(Target::All, messages::camera_trigger(utc, record.index));
            if self.capture.series_active() && refuse_index(host, &self.counter) {
                self.capture.stop();
            }
        } else {
            host.send(Target::All, messages::image_captured(t, &record, ""));
            if let Some(text) = outcomes::failure_text("Photo", outcome) {
                host.statustext(MavSeverity::MAV_SEVERITY_ERROR, &text);
            }
        }
        let status = messages::capture_status(t, self.status(now, link));
        host.send(Target::All, status);
    }

    /// The camera came up (or back): the media service learns counts and sizes afresh.
    pub fn camera_up(&mut self, now: Instant, host: &mut Host, ev: &mut VecDeque<CameraEvent>) {
        self.files.camera_up(now);
        self.file_news(host, ev);
    }

    /// A recording ended and was saved: its file is looked for.
    pub fn recording_saved(
        &mut self,
        now: Instant,
        utc_us: u64,
        host: &mut Host,
        ev: &mut VecDeque<CameraEvent>,
    ) {
        self.files.recording_saved(now, utc_us);
        self.file_news(host, ev);
    }

    /// Next request for the camera's web server.
    pub fn poll_media_request(&mut self) -> Option<MediaRequest> {
        self.files.poll_request()
    }

    /// The shell's answer to media request `id`.
    pub fn handle_media_reply(
        &mut self,
        now: Instant,
        id: u64,
        reply: Reply,
        host: &mut Host,
        ev: &mut VecDeque<CameraEvent>,
    ) {
        self.files.handle_reply(now, id, reply);
        self.file_news(host, ev);
    }

    /// Acts on what the files part says: announce photos, store their files, log the rest.
    fn file_news(&mut self, host: &mut Host, ev: &mut VecDeque<CameraEvent>) {
        while let Some(news) = self.files.poll_news() {
            match news {
                FileNews::Announce {
                    record,
                    time_boot_ms,
                    file_url,
                } => {
                    let m = messages::image_captured(time_boot_ms, &record, &file_url);
                    host.send(Target::All, m);
                }
                FileNews::PhotoFile { index, path } => {
                    if let Some(state) = self.counter.set_file(index, path) {
                        ev.push_back(CameraEvent::Persist(state));
                    }
                }
                FileNews::VideoFile {
                    stopped_utc_us,
                    path,
                } => {
                    let record = VideoRecord {
                        stopped_utc_us,
                        file: path,
                    };
                    ev.push_back(CameraEvent::Persist(self.counter.add_video(record)));
                }
                FileNews::Media(e) => ev.push_back(CameraEvent::Media(e)),
            }
        }
    }

    /// A save failed: says so on `host` once per failure state (true then).
    pub fn save_failed(&mut self, host: &mut Host) -> bool {
        let text = self.counter.save_failed();
        if let Some(text) = text {
            host.statustext(MavSeverity::MAV_SEVERITY_WARNING, text);
        }
        text.is_some()
    }

    /// `saved` was saved: says so on `host` once when saving works again (true then).
    pub fn saved(&mut self, saved: &PersistedState, host: &mut Host) -> bool {
        let text = self.counter.saved(saved);
        if let Some(text) = text {
            host.statustext(MavSeverity::MAV_SEVERITY_INFO, text);
        }
        text.is_some()
    }
}

/// Refuses a photo (STATUSTEXT error, true) when the next index cannot be handed out safely:
/// the range is used up, or saving fails and the index is not covered by the last save.
fn refuse_index(host: &mut Host, counter: &ImageCounter) -> bool {
    let refusal = counter.refusal();
    if let Some(text) = refusal {
        host.statustext(MavSeverity::MAV_SEVERITY_ERROR, text);
    }
    refusal.is_some()
}
