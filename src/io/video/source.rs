//! The built-in tracker as a video source: its own threads, never the MAVLink/SIYI tokio loop.
//!
//! * `video-source` (one, for the source's life): owns the decoder and the tracker, waits on
//!   one channel for commands and frames, and calls the sink with what happened.
//! * `video-rtsp` (one while started): a current-thread tokio runtime around the RTSP client
//!   ([`super::rtsp::run`]); it exists only between [`VideoSource::start`] and
//!   [`VideoSource::stop`], so an idle source holds no connection and spends no CPU.
//!
//! Frames go from the network thread to the decoder through a bounded queue
//! ([`QUEUE_FRAMES`]). H.264 frames depend on each other, so a frame is never skipped on its own:
//! when the queue is full the frames are dropped up to the next key frame (said once per run of
//! drops). Every frame is decoded; only the newest picture is tracked (when frames queue up,
//! the older ones are decoded and not tracked), so a box is never older than one tracking step.
//!
//! What the sink gets ([`SourceEvent`]): the video's states in words, the tracker's boxes with
//! the capture time of their frame, and frames lost to the decoder.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Instant;

use siyi_vision::{Estimate, TrackerConfig};

use super::clock::CaptureSource;
use super::pipeline::{Pipeline, Target};
use super::rtsp::{self, EncodedFrame, RtspConfig, VideoEvent, VideoState};

/// Frames queued between the network and the decoder (about 1 s at 30 frames/s).
pub const QUEUE_FRAMES: usize = 32;

/// One box of the tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackBox {
    /// When the frame it belongs to was taken, on our clock.
    pub capture: Instant,
    /// How `capture` was estimated.
    pub capture_source: CaptureSource,
    /// The estimate in pixels of the picture.
    pub estimate: Estimate,
    /// The picture size, pixels.
    pub size: (usize, usize),
    /// The box as fractions of the picture: left, top, width, height.
    pub rect: (f32, f32, f32, f32),
    /// Decoder and tracker time of this frame, ms.
    pub decode_ms: f64,
    /// Tracker time, ms.
    pub track_ms: f64,
}

/// What the source reports.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// The video's state changed (in words by `Display`).
    Video(VideoState),
    /// A box (the first one after a start is the start box).
    Box(TrackBox),
    /// A frame gave no picture or the tracker could not use it (in words).
    FrameLost(String),
    /// The queue was full: frames dropped until the next key frame.
    Behind,
    /// Tracking stopped and the video is released.
    Stopped,
}

enum Input {
    Start(Target),
    Stop,
    Shutdown,
    Frame(Box<EncodedFrame>, u64),
    State(VideoState, u64),
    Behind(u64),
}

/// Frames in the queue (the network thread adds, the worker takes).
type Queued = std::sync::Arc<std::sync::atomic::AtomicUsize>;

/// The running source; dropping it stops its threads.
pub struct VideoSource {
    tx: SyncSender<Input>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for VideoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoSource").finish_non_exhaustive()
    }
}

impl VideoSource {
    /// Spawns the `video-source` thread; nothing is pulled until [`Self::start`]. `sink` is
    /// called on that thread (keep it short: e.g. a channel send into the core's loop).
    pub fn spawn(
        rtsp: RtspConfig,
        tracker: TrackerConfig,
        sink: impl FnMut(SourceEvent) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel(QUEUE_FRAMES);
        let worker_tx = tx.clone();
        let thread = std::thread::Builder::new()
            .name("video-source".into())
            .spawn(move || worker(rtsp, tracker, rx, worker_tx, sink))?;
        Ok(Self {
            tx,
            thread: Some(thread),
        })
    }

    /// Starts pulling video and tracks `target` on the first picture.
    pub fn start(&self, target: Target) {
        let _ = self.tx.send(Input::Start(target));
    }

    /// Stops tracking and releases the video.
    pub fn stop(&self) {
        let _ = self.tx.send(Input::Stop);
    }
}

impl Drop for VideoSource {
    fn drop(&mut self) {
        let _ = self.tx.send(Input::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The network thread of one run (`generation`): ends when its flag is cleared.
struct Net {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: JoinHandle<()>,
}

fn spawn_net(
    rtsp: RtspConfig,
    tx: SyncSender<Input>,
    generation: u64,
    queued: Queued,
) -> std::io::Result<Net> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let mut behind = false;
    let sink = move |ev: VideoEvent| -> bool {
        if flag.load(Ordering::Relaxed) {
            return false;
        }
        match ev {
            VideoEvent::State(s) => tx.send(Input::State(s, generation)).is_ok(),
            VideoEvent::Frame(f) => {
                if behind && !f.unit.is_key() {
                    return true;
                }
                match tx.try_send(Input::Frame(Box::new(f), generation)) {
                    Ok(()) => {
                        queued.fetch_add(1, Ordering::Relaxed);
                        behind = false;
                        true
                    }
                    Err(TrySendError::Full(_)) => {
                        if !behind {
                            behind = true;
                            let _ = tx.send(Input::Behind(generation));
                        }
                        true
                    }
                    Err(TrySendError::Disconnected(_)) => false,
                }
            }
        }
    };
    let thread = rtsp::spawn(rtsp, stop.clone(), sink)?;
    Ok(Net { stop, thread })
}

fn stop_net(net: &mut Option<Net>) {
    if let Some(n) = net.take() {
        n.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = n.thread.join();
    }
}

fn worker(
    rtsp: RtspConfig,
    tracker: TrackerConfig,
    rx: Receiver<Input>,
    tx: SyncSender<Input>,
    mut sink: impl FnMut(SourceEvent),
) {
    let mut pipeline: Option<Pipeline> = None;
    let mut net: Option<Net> = None;
    let mut generation = 0u64;
    let queued = Queued::default();
    while let Ok(input) = rx.recv() {
        match input {
            Input::Start(target) => {
                if pipeline.is_none() {
                    match Pipeline::new(tracker.clone()) {
                        Ok(p) => pipeline = Some(p),
                        Err(e) => {
                            sink(SourceEvent::FrameLost(e.to_string()));
                            continue;
                        }
                    }
                }
                if let Some(p) = pipeline.as_mut() {
                    p.start(target);
                }
                if net.is_none() {
                    generation += 1;
                    match spawn_net(rtsp.clone(), tx.clone(), generation, queued.clone()) {
                        Ok(n) => net = Some(n),
                        Err(e) => sink(SourceEvent::FrameLost(format!(
                            "cannot start the video thread: {e}"
                        ))),
                    }
                }
            }
            Input::Stop | Input::Shutdown => {
                let shutdown = matches!(input, Input::Shutdown);
                stop_net(&mut net);
                // The decoder's memory goes with the video (a new start makes a new one).
                pipeline = None;
                generation += 1;
                sink(SourceEvent::Stopped);
                if shutdown {
                    return;
                }
            }
            Input::Frame(_, g) if g != generation => {
                queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
            Input::State(_, g) | Input::Behind(g) if g != generation => {}
            Input::Behind(_) => sink(SourceEvent::Behind),
            Input::State(state, _) => sink(SourceEvent::Video(state)),
            Input::Frame(frame, _) => {
                // Track only the newest picture: decode the others and move on.
                let newest = queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) <= 1;
                let Some(p) = pipeline.as_mut() else { continue };
                let step = p.feed(&frame.unit, newest);
                if let Some(why) = step.error {
                    sink(SourceEvent::FrameLost(why));
                }
                if let Some((estimate, track_ms)) = step.track {
                    let (w, h) = (step.size.0 as f32, step.size.1 as f32);
                    let b = estimate.bbox;
                    sink(SourceEvent::Box(TrackBox {
                        capture: frame.capture,
                        capture_source: frame.capture_source,
                        estimate,
                        size: step.size,
                        rect: (b.x / w, b.y / h, b.w / w, b.h / h),
                        decode_ms: step.decode_ms,
                        track_ms,
                    }));
                }
            }
        }
    }
    stop_net(&mut net);
}
