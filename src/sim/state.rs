//! What tests read from the simulated camera: a [`SimState`] snapshot and the [`SimStats`]
//! counters. Both are plain data assembled by [`SimCamera`](super::SimCamera) from its parts.

use std::time::Instant;

use siyi_protocol::{EncodingParams, MotionMode, RecordState};

use super::exif::ExifInputs;
use super::gimbal::GimbalMotion;
use super::recorder::record_state;
use super::scene::{Direction, ImageBox};
use super::zoom::{zoom_tenths, ZoomMotion};

/// Everything the simulated camera knows, readable by tests through [`SimCamera::state`].
///
/// [`SimCamera::state`]: super::SimCamera::state
#[derive(Clone, Debug, PartialEq)]
pub struct SimState {
    /// The camera firmware word reads 0.0.0 until this instant.
    pub booting_until: Instant,
    /// The camera answers nothing until this instant (rebooting).
    pub silent_until: Option<Instant>,
    /// Zoom factor, 1.0…6.0.
    pub zoom: f64,
    /// Continuous zoom in progress.
    pub zoom_motion: ZoomMotion,
    /// Yaw, degrees, positive = left (SIYI convention).
    pub yaw_deg: f64,
    /// Pitch, degrees, positive = up.
    pub pitch_deg: f64,
    /// Roll, degrees (always 0: the simulated vehicle does not move).
    pub roll_deg: f64,
    /// Gimbal motion in progress.
    pub gimbal: GimbalMotion,
    /// Whether the camera is recording.
    pub recording: bool,
    /// Whether an SD card is inserted.
    pub sd_card: bool,
    /// Gimbal motion mode.
    pub motion_mode: MotionMode,
    /// Photos taken (successfully) since power-up.
    pub photos_taken: u32,
    /// Attitude stream (0x25 type 1) rate, hertz (0 = off).
    pub attitude_stream_hz: u16,
    /// Encoding parameters of the recording, main and sub streams (index = stream id).
    pub encoding: [EncodingParams; 3],
    /// Last UTC time set by 0x30, microseconds since the Unix epoch.
    pub utc_time_us: Option<u64>,
    /// What the camera was fed for its EXIF geotags since power-up (0x30, 0x22, 0x3E).
    pub exif: ExifInputs,
    /// Video output, 0x0A byte 6: 0 = HDMI, 1 = CVBS.
    pub video_output: u8,
    /// Number of reboots since start.
    pub reboots: u32,
    /// The camera's SEQ counter: the SEQ of the next frame it sends.
    pub next_seq: u16,
    /// Scene time, seconds since the simulator started (the scene's clock, `sim/scene.rs`).
    pub scene_time_s: f64,
    /// The scene's target (a car) now: ground truth for tests.
    pub target: TargetTruth,
    /// Whether the AI module's 0x50 stream is on.
    pub ai_stream_on: bool,
    /// 0x50 frames the AI module handed to the outbox since power-up (before the drop knob).
    pub ai_frames_pushed: u64,
}

/// Ground truth about the scene's target at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetTruth {
    /// Its direction from the camera.
    pub direction: Direction,
    /// Its box in the picture, `None` when outside the frame.
    pub image: Option<ImageBox>,
}

impl SimState {
    /// Zoom factor in tenths, as the camera reports it (10…60).
    pub fn zoom_tenths(&self) -> u16 {
        zoom_tenths(self.zoom)
    }

    /// Recording state as 0x0A byte 3 reports it.
    pub fn record_state(&self) -> RecordState {
        record_state(self.sd_card, self.recording)
    }
}

/// Counters of what the simulated camera received and sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Valid frames received.
    pub frames_in: u64,
    /// Frames received with a bad CRC (or an oversize length).
    pub bad_frames_in: u64,
    /// Bytes skipped as garbage.
    pub garbage_bytes_in: u64,
    /// Frames whose payload did not decode (too short, invalid value).
    pub bad_payloads: u64,
    /// Frames ignored on purpose (unanswered knob, reply frames, rebooting).
    pub ignored_frames: u64,
    /// Frames put on the wire (dropped ones excluded).
    pub frames_out: u64,
    /// Frames lost by the drop knob.
    pub dropped_out: u64,
    /// Frames sent with a broken CRC by the corrupt knob.
    pub corrupted_out: u64,
    /// Frames refused because the outgoing queue was full.
    pub queue_overflow: u64,
}

impl std::fmt::Display for SimStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} datagrams in: {} frames, {} bad, {} garbage bytes, {} bad payloads, {} ignored; \
             {} frames out, {} dropped, {} corrupted, {} refused by a full queue",
            self.datagrams_in,
            self.frames_in,
            self.bad_frames_in,
            self.garbage_bytes_in,
            self.bad_payloads,
            self.ignored_frames,
            self.frames_out,
            self.dropped_out,
            self.corrupted_out,
            self.queue_overflow
        )
    }
}
