//! The emulated SIYI AI tracking module (an external box on the real camera): AI mode (0x4D),
//! the stream status (0x4E), the stream switch (0x51) and the 0x50 frames it pushes.
//!
//! It owns its state and imports only `config` and the pure `scene` helpers. The camera
//! (`camera.rs`) asks it what to answer and, at each [`AiModule::next_tick`], hands it the pose
//! and scene time of that instant; it returns the 0x50 payload to push to the most recent client.
//!
//! Behaviour (with [`SimConfig::ai_module`]):
//!
//! * 0x4D → 1 (on); 0x4E → 1 (streaming) while the stream is on, else 0 (off);
//! * 0x51 `1` / `0` switches the stream on / off, ACK `01`; while on, a 0x50 frame every
//!   1/30 s ([`AI_STREAM_HZ`], the video frame rate), the first one 1/30 s after the switch;
//! * each 0x50 frame carries the scene's car (`target_id` 1) as the camera sees it: its box
//!   centre and size in a 1280×720 frame (the scene's projection at the gimbal's attitude and the
//!   zoom's field of view), `track_sta` 0 (tracking) while its centre is in the frame,
//!   1 (temporarily lost) once it left the frame, 2 (lost) after [`LOST_AFTER_MS`] out of the
//!   frame; while out of the frame the last box seen is repeated (zeros if it was never seen).
//!   The real module's choice of target is not public (siyi-protocol.md §8b): this one always
//!   tracks the scene's only car and re-acquires it when it comes back into the frame;
//! * a camera reboot switches the stream off.
//!
//! Without the module: 0x4D → 0 (off), 0x4E → 0 (off), 0x51 → ACK `00` (failure) and no 0x50
//! ever. ⚠ What real firmware without the module answers to 0x51 is not documented; the
//! `siyi_sdk` client reads a `00` ACK as failure. `unanswered` (`--unanswered 0x51`) simulates a
//! camera that does not answer at all.

use std::time::{Duration, Instant};

use siyi_protocol::{AiMode, AiStreamStatus, AiTarget, AiTrack, AiTrackStatus};

use super::config::{later, SimConfig};
use super::scene::{self, ImageBox, SimPose};

/// Rate of the 0x50 stream while on, frames per second (the video frame rate).
pub const AI_STREAM_HZ: u32 = 30;
/// How long the target must be out of the frame before `track_sta` says lost (2), milliseconds.
pub const LOST_AFTER_MS: u64 = 3_000;

/// The AI module: present or not, the stream switch, the next frame's time, the out-of-frame
/// timer and the last box seen.
#[derive(Clone, Debug)]
pub(super) struct AiModule {
    present: bool,
    pub(super) stream_on: bool,
    next_tick: Option<Instant>,
    out_of_frame_since: Option<Instant>,
    last_box: [u16; 4],
    /// 0x50 frames handed to the outbox so far.
    pub(super) frames_pushed: u64,
}

impl AiModule {
    /// Off, with the module present or not per `config.ai_module`.
    pub(super) fn new(config: &SimConfig) -> Self {
        Self {
            present: config.ai_module,
            stream_on: false,
            next_tick: None,
            out_of_frame_since: None,
            last_box: [0; 4],
            frames_pushed: 0,
        }
    }

    /// The 0x4D answer.
    pub(super) fn mode(&self) -> AiMode {
        if self.present {
            AiMode::On
        } else {
            AiMode::Off
        }
    }

    /// The 0x4E answer.
    pub(super) fn stream_status(&self) -> AiStreamStatus {
        if self.stream_on {
            AiStreamStatus::Streaming
        } else {
            AiStreamStatus::Off
        }
    }

    /// 0x51 at `now`: switches the stream; returns the ACK status byte (1 done, 0 no module).
    pub(super) fn set_stream(&mut self, now: Instant, on: bool) -> u8 {
        if !self.present {
            return 0;
        }
        if on && !self.stream_on {
            self.next_tick = Some(now + period());
            self.out_of_frame_since = None;
        }
        if !on {
            self.stop();
        }
        self.stream_on = on;
        1
    }

    /// Stream off (0x51 `0`, camera reboot).
    pub(super) fn stop(&mut self) {
        self.stream_on = false;
        self.next_tick = None;
        self.out_of_frame_since = None;
    }

    /// When the next 0x50 frame is due (`None`: stream off).
    pub(super) fn next_tick(&self) -> Option<Instant> {
        self.next_tick
    }

    /// The 0x50 frame due at `t`, seen with `pose` (the pose at `t`); plans the next frame after
    /// `now` (frames a late caller missed are skipped, not sent in a burst).
    pub(super) fn tick(&mut self, t: Instant, now: Instant, pose: &SimPose) -> AiTrack {
        let mut next = t + period();
        while next <= now {
            next += period();
        }
        self.next_tick = Some(next);
        self.frames_pushed += 1;
        let status = match scene::target_box(pose) {
            Some(b) => {
                self.out_of_frame_since = None;
                self.last_box = to_pixels(&b);
                AiTrackStatus::Tracking
            }
            None => {
                let since = *self.out_of_frame_since.get_or_insert(t);
                if t >= later(since, LOST_AFTER_MS) {
                    AiTrackStatus::Lost
                } else {
                    AiTrackStatus::TemporarilyLost
                }
            }
        };
        let [x_px, y_px, width_px, height_px] = self.last_box;
        AiTrack {
            x_px,
            y_px,
            width_px,
            height_px,
            target: AiTarget::Car,
            status,
        }
    }
}

fn period() -> Duration {
    Duration::from_secs(1) / AI_STREAM_HZ
}

/// A normalised box as 0x50 pixels of a 1280×720 frame: centre x, centre y, width, height.
fn to_pixels(b: &ImageBox) -> [u16; 4] {
    let w = f64::from(AiTrack::FRAME_WIDTH_PX);
    let h = f64::from(AiTrack::FRAME_HEIGHT_PX);
    let px = |v: f64, scale: f64| (v * scale).round().clamp(0.0, scale) as u16;
    [
        px(b.center_x, w),
        px(b.center_y, h),
        px(b.width, w),
        px(b.height, h),
    ]
}
