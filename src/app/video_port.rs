//! The built-in tracker's video source as the driver loop sees it: the source's events in
//! (logged in words, handed to the core as [`VideoInput`]s), the core's starts and stops out.
//!
//! Owns: the [`VideoSource`] (its threads; no connection while idle), the channel its events
//! come on, how many stops the source has not yet confirmed (boxes of a stopped run are
//! dropped), and the counters of what the log says only now and then.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use siyi_vision::{TrackState, TrackerConfig};
use tokio::sync::mpsc;

use crate::config::{CameraSource, Config};
use crate::core::bridge::Bridge;
use crate::core::link::SiyiLink;
use crate::core::tracking::{Rect, Target, VideoBox, VideoCommand, VideoInput};
use crate::io::video::pipeline::Target as VideoTarget;
use crate::io::video::rtsp::{RtspConfig, VideoState};
use crate::io::video::source::{SourceEvent, VideoSource};

/// Events queued from the video threads to the driver loop (boxes come at the frame rate; a
/// full queue drops the event, counted).
const QUEUE_EVENTS: usize = 64;

/// The video source and its bookkeeping.
#[derive(Default)]
pub(super) struct VideoPort {
    pub(super) rx: Option<mpsc::Receiver<SourceEvent>>,
    source: Option<VideoSource>,
    /// Stops sent that the source has not confirmed with `Stopped` yet.
    unconfirmed_stops: u32,
    /// Events the driver loop was too slow for.
    dropped: Arc<AtomicU64>,
    frames_lost: u64,
    behind: u64,
    boxes: u64,
    /// Decoder and tracker time of the boxes since the last figures line, ms.
    decode_ms: f64,
    track_ms: f64,
}

impl VideoPort {
    /// The built-in tracker as configured (`--builtin-tracker`), on `stream_uri` (the
    /// simulator's when `--simulate` serves its video; with `--simulate` and no simulated
    /// video it stays off, so a simulated run never pulls a real camera's address). Said in
    /// the log either way.
    pub(super) fn setup(config: &Config, stream_uri: &str, sim_video: bool) -> Self {
        if !config.builtin_tracker {
            tracing::info!("built-in tracker off (--builtin-tracker off)");
            return Self::default();
        }
        if matches!(config.camera, CameraSource::Simulate) && !sim_video {
            tracing::warn!("--simulate without its video: the built-in tracker is off");
            return Self::default();
        }
        let latency = Duration::from_millis(config.video_latency_ms);
        match Self::spawn(stream_uri, latency) {
            Ok(port) => {
                tracing::info!(
                    "built-in tracker on: a track command pulls the --stream-uri video ({}), \
                     released when tracking stops",
                    without_password(stream_uri)
                );
                port
            }
            Err(e) => {
                tracing::warn!("built-in tracker off: {e:#}");
                Self::default()
            }
        }
    }

    /// Whether the built-in tracker runs.
    pub(super) fn is_on(&self) -> bool {
        self.source.is_some()
    }

    /// The built-in tracker on `uri`, its frames dated with `latency`: threads spawned, nothing
    /// pulled until the first track command.
    pub(super) fn spawn(uri: &str, latency: Duration) -> anyhow::Result<Self> {
        let url = url::Url::parse(uri).map_err(|e| {
            anyhow::anyhow!("--stream-uri {uri}: not a URL the built-in tracker can pull ({e})")
        })?;
        if url.scheme() != "rtsp" {
            anyhow::bail!(
                "--stream-uri {uri}: the built-in tracker pulls rtsp:// video (or give --builtin-tracker off)"
            );
        }
        let config = RtspConfig {
            latency,
            ..RtspConfig::new(url)
        };
        let (tx, rx) = mpsc::channel(QUEUE_EVENTS);
        let dropped = Arc::new(AtomicU64::new(0));
        let counted = dropped.clone();
        let source = VideoSource::spawn(config, TrackerConfig::default(), move |ev| {
            if tx.try_send(ev).is_err() {
                counted.fetch_add(1, Ordering::Relaxed);
            }
        })?;
        Ok(Self {
            rx: Some(rx),
            source: Some(source),
            dropped,
            ..Self::default()
        })
    }

    /// One event of the source: logged, and handed to the core when it concerns tracking.
    pub(super) fn handle(&mut self, bridge: &mut Bridge<SiyiLink>, now: Instant, ev: SourceEvent) {
        let input = match ev {
            SourceEvent::Stopped => {
                self.unconfirmed_stops = self.unconfirmed_stops.saturating_sub(1);
                tracing::info!("video: released (tracking stopped)");
                None
            }
            // What a stopped run still had queued.
            _ if self.unconfirmed_stops > 0 => None,
            SourceEvent::Video(state) => {
                log_state(&state);
                input_of(&state)
            }
            SourceEvent::Box(b) => {
                self.figures(b.decode_ms, b.track_ms);
                let (x, y, w, h) = b.rect;
                Some(VideoInput::Box(VideoBox {
                    capture: b.capture,
                    rect: Rect {
                        top_left_x: x,
                        top_left_y: y,
                        bottom_right_x: x + w,
                        bottom_right_y: y + h,
                    },
                    active: b.estimate.state == TrackState::Active,
                }))
            }
            SourceEvent::FrameLost(why) => {
                self.frames_lost += 1;
                if self.frames_lost.is_power_of_two() {
                    tracing::warn!(
                        "video: a frame was lost ({} so far): {why}",
                        self.frames_lost
                    );
                }
                None
            }
            SourceEvent::Behind => {
                self.behind += 1;
                if self.behind.is_power_of_two() {
                    tracing::warn!(
                        "video: the decoder falls behind; frames dropped up to the next key frame ({} times)",
                        self.behind
                    );
                }
                None
            }
        };
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!("video: {dropped} events dropped (the bridge's loop was busy)");
        }
        if let Some(input) = input {
            bridge.handle_video(now, input);
        }
    }

    /// Hands the core's starts and stops to the source.
    pub(super) fn flush(&mut self, bridge: &mut Bridge<SiyiLink>) {
        while let Some(c) = bridge.poll_video() {
            let Some(source) = &self.source else { continue };
            match c {
                VideoCommand::Start(target) => {
                    tracing::info!("video: pulling the camera's video for the built-in tracker");
                    source.start(video_target(target));
                }
                VideoCommand::Stop => {
                    self.unconfirmed_stops += 1;
                    source.stop();
                }
            }
        }
    }

    /// Every 300 boxes (10 s at 30 frames/s), the decoder's and tracker's time per frame.
    fn figures(&mut self, decode_ms: f64, track_ms: f64) {
        self.boxes += 1;
        self.decode_ms += decode_ms;
        self.track_ms += track_ms;
        if self.boxes.is_multiple_of(300) {
            tracing::info!(
                "video: {} boxes; the last 300 took {:.1} ms to decode and {:.1} ms to track per frame",
                self.boxes,
                self.decode_ms / 300.0,
                self.track_ms / 300.0
            );
            (self.decode_ms, self.track_ms) = (0.0, 0.0);
        }
    }
}

/// `uri` with its password (if any) hidden, for the log.
fn without_password(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => uri.to_owned(),
    }
}

fn log_state(state: &VideoState) {
    match state {
        VideoState::Connecting(n) if *n > 1 => tracing::debug!("{state}"),
        VideoState::Connecting(_) | VideoState::Playing(..) | VideoState::Resized(..) => {
            tracing::info!("{state}")
        }
        _ => tracing::warn!("{state}"),
    }
}

/// What a state of the video means to tracking, in the short words of a STATUSTEXT.
fn input_of(state: &VideoState) -> Option<VideoInput> {
    let unusable = |s: &str| Some(VideoInput::Unusable(s.to_owned()));
    let interrupted = |s: &str| Some(VideoInput::Interrupted(s.to_owned()));
    match state {
        VideoState::NoServer(_) => unusable("no video server"),
        VideoState::Refused(code, _) => {
            Some(VideoInput::Unusable(format!("video refused (RTSP {code})")))
        }
        VideoState::Credentials => unusable("video needs a password (RTSP 401)"),
        VideoState::NoVideo => unusable("the stream holds no video"),
        VideoState::WrongCodec(codec) => Some(VideoInput::WrongCodec(codec.clone())),
        VideoState::TooLarge(..) => interrupted("video too large (set 1080p)"),
        VideoState::Stalled(_) => interrupted("video stalled"),
        VideoState::Ended(_) => interrupted("video ended"),
        VideoState::Connecting(_) | VideoState::Playing(..) | VideoState::Resized(..) => None,
    }
}

fn video_target(t: Target) -> VideoTarget {
    match t {
        Target::Rect(r) => VideoTarget::Rect(
            r.top_left_x,
            r.top_left_y,
            r.bottom_right_x - r.top_left_x,
            r.bottom_right_y - r.top_left_y,
        ),
        Target::Point(p) => VideoTarget::Point(p.x, p.y, p.radius),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_that_stops_tracking_has_short_words() {
        let states = [
            VideoState::NoServer("connection refused".into()),
            VideoState::Refused(404, "Not Found".into()),
            VideoState::Credentials,
            VideoState::NoVideo,
            VideoState::WrongCodec("H265".into()),
            VideoState::TooLarge(7680, 4320),
            VideoState::Stalled(Duration::from_secs(3)),
            VideoState::Ended("eof".into()),
        ];
        for s in &states {
            let words = match input_of(s) {
                Some(VideoInput::Unusable(w) | VideoInput::Interrupted(w)) => w,
                Some(VideoInput::WrongCodec(c)) => {
                    crate::core::tracking::video::wrong_codec_text(&c)
                }
                other => panic!("{s:?} → {other:?}"),
            };
            // One STATUSTEXT after "Tracking: ".
            assert!(words.len() + "Tracking: ".len() <= 50, "{words}");
        }
        assert_eq!(input_of(&VideoState::Playing(1280, 720)), None);
        assert_eq!(input_of(&VideoState::Connecting(1)), None);
    }

    #[test]
    fn a_password_in_the_uri_is_not_logged() {
        assert_eq!(
            without_password("rtsp://admin:secret@192.168.144.25:8554/main.264"),
            "rtsp://admin:***@192.168.144.25:8554/main.264"
        );
        assert_eq!(without_password("rtsp://h/x"), "rtsp://h/x");
    }

    #[test]
    fn targets_keep_their_place_and_size() {
        let t = video_target(Target::Rect(Rect {
            top_left_x: 0.25,
            top_left_y: 0.5,
            bottom_right_x: 0.5,
            bottom_right_y: 0.75,
        }));
        assert_eq!(t, VideoTarget::Rect(0.25, 0.5, 0.25, 0.25));
    }
}
