//! The files of the camera's captures: the camera hosts the [`Media`] service here, holds each
//! photo's CAMERA_IMAGE_CAPTURED up to [`HOLD_AT_MOST`] for its file URL, and says what the card
//! holds for STORAGE_INFORMATION and CAMERA_CAPTURE_STATUS.
//!
//! Owns: the media service (None with `--no-media`), the held announcements, the recording
//! numbers. Never touches: the records themselves (the counter, beside it in `photos`; this
//! returns what to write), the link.

use std::time::{Duration, Instant};

use crate::core::media::api::{MediaFile, MediaKind};
use crate::core::media::storage::Figures;
use crate::core::media::{Media, MediaConfig, MediaEvent, MediaRequest, Reply};

use super::persist::ImageRecord;

/// Longest wait for a photo's file before CAMERA_IMAGE_CAPTURED goes out without its URL (the
/// record is completed when the file shows up later).
pub const HOLD_AT_MOST: Duration = Duration::from_secs(1);

/// A photo announcement waiting for its file.
#[derive(Clone, Debug)]
struct Held {
    record: ImageRecord,
    time_boot_ms: u32,
    until: Instant,
}

/// What the camera should do about a file.
#[derive(Clone, PartialEq, Debug)]
pub enum FileNews {
    /// Send CAMERA_IMAGE_CAPTURED for `record` (with `file_url`, empty when not found) now.
    Announce {
        /// The record (its `file` set when found).
        record: ImageRecord,
        /// When the photo was taken, ms since boot.
        time_boot_ms: u32,
        /// The URL for ground stations, or empty.
        file_url: String,
    },
    /// Photo `index`'s file is `path` (already announced, or announced with it): store it.
    PhotoFile {
        /// The image index.
        index: i32,
        /// The file's path on the web server.
        path: String,
    },
    /// A finished recording's file is `path`: store it.
    VideoFile {
        /// When the recording stopped, µs since the UNIX epoch.
        stopped_utc_us: u64,
        /// The file's path on the web server.
        path: String,
    },
    /// For the logs: the media service said this.
    Media(MediaEvent),
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct Files {
    media: Option<Media>,
    held: Vec<Held>,
    recordings: i64,
    /// Recordings waiting for their file: (tag, when it stopped in µs UTC).
    recordings_waiting: Vec<(i64, u64)>,
    news: Vec<FileNews>,
}

impl Files {
    /// With the media service of `config` (None: no web server, URLs stay empty).
    pub fn new(config: Option<MediaConfig>) -> Self {
        Self {
            media: config.map(Media::new),
            ..Self::default()
        }
    }

    /// The camera came up (or back): counts and sizes are learned afresh.
    pub fn camera_up(&mut self, now: Instant) {
        if let Some(m) = &mut self.media {
            m.camera_up(now);
        }
        self.collect(now);
    }

    /// Photo `record` was taken at `time_boot_ms`: announce it at once (no media service), or
    /// hold it until its file is found or [`HOLD_AT_MOST`] passes.
    pub fn photo_taken(&mut self, now: Instant, record: ImageRecord, time_boot_ms: u32) {
        let Some(m) = &mut self.media else {
            self.news.push(FileNews::Announce {
                record,
                time_boot_ms,
                file_url: String::new(),
            });
            return;
        };
        m.captured(now, MediaKind::Photos, i64::from(record.index));
        self.held.push(Held {
            record,
            time_boot_ms,
            until: now + HOLD_AT_MOST,
        });
        self.collect(now);
    }

    /// A recording ended and was saved at `utc_us`: its file is looked for (recorded and logged
    /// when found).
    pub fn recording_saved(&mut self, now: Instant, utc_us: u64) {
        if let Some(m) = &mut self.media {
            self.recordings += 1;
            self.recordings_waiting.push((self.recordings, utc_us));
            m.captured(now, MediaKind::Videos, self.recordings);
        }
        self.collect(now);
    }

    /// The shell's answer to media request `id`.
    pub fn handle_reply(&mut self, now: Instant, id: u64, reply: Reply) {
        if let Some(m) = &mut self.media {
            m.handle_reply(now, id, reply);
        }
        self.collect(now);
    }

    /// Timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(m) = &mut self.media {
            m.handle_timeout(now);
        }
        self.collect(now);
        let (due, keep) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| now >= h.until);
        self.held = keep;
        for h in due {
            self.announce(h, String::new());
        }
    }

    /// The next timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let held = self.held.iter().map(|h| h.until).min();
        let media = self.media.as_ref().and_then(Media::poll_timeout);
        match (held, media) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn announce(&mut self, h: Held, file_url: String) {
        self.news.push(FileNews::Announce {
            record: h.record,
            time_boot_ms: h.time_boot_ms,
            file_url,
        });
    }

    fn collect(&mut self, _now: Instant) {
        let Some(m) = &mut self.media else {
            return;
        };
        while let Some(ev) = m.poll_event() {
            match &ev {
                MediaEvent::Found {
                    kind: MediaKind::Photos,
                    tag,
                    file,
                } => {
                    let index = i32::try_from(*tag).unwrap_or(-1);
                    let url = m.url(file);
                    self.news.push(FileNews::PhotoFile {
                        index,
                        path: file.path(),
                    });
                    if let Some(pos) = self.held.iter().position(|h| h.record.index == index) {
                        let mut h = self.held.remove(pos);
                        h.record.file = Some(file.path());
                        self.news.push(FileNews::Announce {
                            record: h.record,
                            time_boot_ms: h.time_boot_ms,
                            file_url: url,
                        });
                    }
                }
                MediaEvent::GaveUp {
                    kind: MediaKind::Photos,
                    tag,
                    ..
                } => {
                    let index = i32::try_from(*tag).unwrap_or(-1);
                    if let Some(pos) = self.held.iter().position(|h| h.record.index == index) {
                        let h = self.held.remove(pos);
                        self.news.push(FileNews::Announce {
                            record: h.record,
                            time_boot_ms: h.time_boot_ms,
                            file_url: String::new(),
                        });
                    }
                }
                MediaEvent::Found {
                    kind: MediaKind::Videos,
                    tag,
                    file,
                } => {
                    if let Some(pos) = self.recordings_waiting.iter().position(|r| r.0 == *tag) {
                        let (_, stopped_utc_us) = self.recordings_waiting.remove(pos);
                        self.news.push(FileNews::VideoFile {
                            stopped_utc_us,
                            path: file.path(),
                        });
                    }
                }
                MediaEvent::GaveUp {
                    kind: MediaKind::Videos,
                    tag,
                    ..
                } => self.recordings_waiting.retain(|r| r.0 != *tag),
                _ => {}
            }
            self.news.push(FileNews::Media(ev));
        }
    }

    /// Next thing for the camera to do.
    pub fn poll_news(&mut self) -> Option<FileNews> {
        (!self.news.is_empty()).then(|| self.news.remove(0))
    }

    /// Next request for the web server.
    pub fn poll_request(&mut self) -> Option<MediaRequest> {
        self.media.as_mut().and_then(Media::poll_request)
    }

    /// The URL for ground stations of a stored file path (empty when there is none).
    pub fn url_of(&self, path: Option<&str>) -> String {
        match (&self.media, path.and_then(MediaFile::from_path)) {
            (Some(m), Some(f)) => m.url(&f),
            _ => String::new(),
        }
    }

    /// The card's figures, when its size was given and its files are all counted.
    pub fn figures(&self) -> Option<Figures> {
        self.media.as_ref().and_then(Media::figures)
    }
}
