//! Photo capture: single photos and interval series (IMAGE_START_CAPTURE / IMAGE_STOP_CAPTURE).
//!
//! Owns: the photo operations in flight and the series timer. Never touches: the image counter
//! and records (`counter`, beside it in `photos`), MAVLink sending (it returns what to answer),
//! the link's state beyond starting a photo.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mavlink::dialects::common::MavResult;

use crate::core::link::{LinkControl, LinkHealth, OpId, Operation, Owner};
use crate::core::mavlink::dedupe::DedupeKey;
use crate::core::mavlink::host::next_tick;
use crate::core::mavlink::{Command, Requester};

/// Shortest interval for IMAGE_START_CAPTURE: the A8 mini takes photos at up to 5 Hz
/// (`siyi-protocol.md` §4.1), so a shorter interval could not be honoured (and a zero one would
/// fire photo commands back to back).
pub const MIN_CAPTURE_INTERVAL: Duration = Duration::from_millis(200);
/// Longest interval for IMAGE_START_CAPTURE, seconds.
pub const MAX_CAPTURE_INTERVAL_S: f32 = 3600.0;

/// The STATUSTEXT for an interval outside the range.
pub fn interval_range_text() -> String {
    format!(
        "Photo interval must be {:.1}-{:.0} s (the A8 mini takes at most 5 photos/s)",
        MIN_CAPTURE_INTERVAL.as_secs_f32(),
        MAX_CAPTURE_INTERVAL_S
    )
}

/// What a photo in flight belongs to.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum PhotoOp {
    /// A single photo from IMAGE_START_CAPTURE count 1 (its final ack is pending).
    Single {
        /// Who asked.
        from: Requester,
        /// The command's retransmission key.
        key: DedupeKey,
    },
    /// A photo of an interval series (no ack).
    Series,
}

/// Interval capture in progress.
#[derive(Clone, Copy, Debug)]
struct Series {
    interval: Duration,
    /// Photos still to start (None = until stopped).
    remaining: Option<u32>,
    next_at: Instant,
}

/// How IMAGE_START_CAPTURE was judged.
#[derive(Clone, PartialEq, Debug)]
pub enum Start {
    /// A single photo started: ack IN_PROGRESS, the final ack follows with the outcome.
    Single,
    /// A series started: ack ACCEPTED.
    Series,
    /// Refused with this result; `why` is what the ground station should read (an interval
    /// outside [`MIN_CAPTURE_INTERVAL`]…[`MAX_CAPTURE_INTERVAL_S`] gets the range, a camera
    /// that is not connected says so).
    Refused {
        /// The ack result.
        result: MavResult,
        /// The text for the ground station, if any.
        why: Option<String>,
    },
}

/// What the series timer did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tick {
    /// Nothing due.
    Idle,
    /// The camera is not up: the series stopped.
    StoppedCameraLost,
    /// A photo was due (started unless one was still in flight); `ended` when that was the last.
    Due {
        /// The series has no photos left.
        ended: bool,
    },
}

/// Photo capture state. See the module docs.
#[derive(Debug, Default)]
pub struct Capture {
    photos: HashMap<OpId, PhotoOp>,
    in_flight: Option<OpId>,
    series: Option<Series>,
}

impl Capture {
    /// IMAGE_START_CAPTURE (param2 interval in seconds, param3 count; 0 = until stopped).
    /// `refuse_index` is asked last, once everything else allows the photo: true = no index can
    /// be handed out safely now (FAILED).
    pub fn start(
        &mut self,
        now: Instant,
        from: Requester,
        key: DedupeKey,
        cmd: &Command,
        link: &mut impl LinkControl,
        refuse_index: impl FnOnce() -> bool,
    ) -> Start {
        let refused = |result, interval_out_of_range: bool, camera_down: bool| Start::Refused {
            result,
            why: if interval_out_of_range {
                Some(interval_range_text())
            } else {
                camera_down.then(|| "Photo refused: camera not connected".to_owned())
            },
        };
        let Some(count) = cmd.whole(3).filter(|c| *c >= 0.0) else {
            return refused(MavResult::MAV_RESULT_DENIED, false, false);
        };
        let interval_s = cmd.p(2);
        let min_s = MIN_CAPTURE_INTERVAL.as_secs_f32();
        if count != 1.0
            && (!interval_s.is_finite()
                || interval_s < min_s
                || interval_s > MAX_CAPTURE_INTERVAL_S)
        {
            return refused(MavResult::MAV_RESULT_DENIED, true, false);
        }
        if link.health() != LinkHealth::Up {
            return refused(MavResult::MAV_RESULT_TEMPORARILY_REJECTED, false, true);
        }
        if self.in_flight.is_some() || self.series.is_some() {
            return refused(MavResult::MAV_RESULT_TEMPORARILY_REJECTED, false, false);
        }
        if refuse_index() {
            return refused(MavResult::MAV_RESULT_FAILED, false, false);
        }
        if count == 1.0 {
            self.start_photo(now, PhotoOp::Single { from, key }, link);
            return Start::Single;
        }
        let interval = Duration::from_secs_f32(interval_s).max(MIN_CAPTURE_INTERVAL);
        let mut s = Series {
            interval,
            remaining: (count != 0.0).then_some(count as u32),
            next_at: now + interval,
        };
        self.start_series_photo(now, &mut s, link);
        self.series = Some(s);
        Start::Series
    }

    fn start_photo(&mut self, now: Instant, op: PhotoOp, link: &mut impl LinkControl) {
        let id = link.start(now, Owner::Photos, Operation::TakePhoto);
        self.photos.insert(id, op);
        self.in_flight = Some(id);
    }

    fn start_series_photo(&mut self, now: Instant, s: &mut Series, link: &mut impl LinkControl) {
        self.start_photo(now, PhotoOp::Series, link);
        if let Some(r) = s.remaining.as_mut() {
            *r = r.saturating_sub(1);
        }
    }

    /// IMAGE_STOP_CAPTURE: true when a series was running.
    pub fn stop(&mut self) -> bool {
        self.series.take().is_some()
    }

    /// Runs the series timer at `now`.
    pub fn tick(&mut self, now: Instant, link: &mut impl LinkControl) -> Tick {
        let Some(mut s) = self.series else {
            return Tick::Idle;
        };
        if now < s.next_at {
            return Tick::Idle;
        }
        if link.health() != LinkHealth::Up {
            self.series = None;
            return Tick::StoppedCameraLost;
        }
        // A photo still in flight: skip this tick rather than queue photos behind it.
        if self.in_flight.is_none() {
            self.start_series_photo(now, &mut s, link);
        }
        s.next_at = next_tick(s.next_at, s.interval, now);
        let ended = s.remaining == Some(0);
        self.series = (!ended).then_some(s);
        Tick::Due { ended }
    }

    /// The photo operation `id` ended: what it belonged to (None = not a photo).
    pub fn finished(&mut self, id: OpId) -> Option<PhotoOp> {
        let op = self.photos.remove(&id)?;
        if self.in_flight == Some(id) {
            self.in_flight = None;
        }
        Some(op)
    }

    /// The series timer's next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.series.map(|s| s.next_at)
    }

    /// A photo is being taken.
    pub fn photo_in_progress(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The running series' interval, seconds.
    pub fn interval_s(&self) -> Option<f32> {
        self.series.map(|s| s.interval.as_secs_f32())
    }

    /// A series is running.
    pub fn series_active(&self) -> bool {
        self.series.is_some()
    }
}
