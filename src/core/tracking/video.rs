//! The built-in tracker on the camera's own video, as a source of tracking (sans-IO), and the
//! follow controller's correction for the video's delay.
//!
//! The shell's video source (`io::video::VideoSource`, started and stopped through
//! [`VideoCommand`]s) pulls the RTSP stream, decodes it and tracks on its own threads; what it
//! says reaches tracking as [`VideoInput`]s. Each box belongs to a frame taken some 100–300 ms
//! before it arrives ([`VideoBox::capture`], on our clock). Steering on that old box would turn
//! the gimbal again by the motion it already made since: the loop would overshoot and oscillate.
//! So the target's place is corrected by the gimbal's own motion since the frame was taken
//! ([`compensate`]): the 0x0D attitude readings kept in an [`AttitudeHistory`], interpolated to
//! the frame's time and extrapolated to now with the reported rates.
//!
//! [`Tracking`](super::Tracking)'s handling of these inputs is in `builtin.rs`.
//!
//! Owns: whether the built-in source is on and running, a wrong-codec verdict (refused for
//! [`WRONG_CODEC_HOLD`] before the video is tried again), the commands for the shell, the
//! attitude history and the capture time of the box being followed.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use siyi_protocol::Attitude;

use super::api::{Rect, Target};
use super::follow::{error_deg, Fov};
use crate::core::link::CameraState;

/// Attitude readings kept (6.4 s at the 10 Hz poll: longer than any video delay).
pub const HISTORY_SAMPLES: usize = 64;

/// The newest reading is extrapolated with its rates for at most this long (a poll that stopped
/// answering is not motion).
pub const MAX_EXTRAPOLATION: Duration = Duration::from_millis(300);

/// A loss is said when it lasts this long (the tracker doubts for a frame or two now and then).
pub const LOST_SAID_AFTER: Duration = Duration::from_millis(500);

/// After the video was found in another codec than H.264, the built-in source is unavailable
/// this long; then a new track command tries the video again (the user may have fixed it).
pub const WRONG_CODEC_HOLD: Duration = Duration::from_secs(30);

/// What the video source says (the shell turns its events into these). The words are short
/// (they go in one STATUSTEXT after "Tracking: "); the shell logs the long ones.
#[derive(Clone, Debug, PartialEq)]
pub enum VideoInput {
    /// A box of the built-in tracker (the first after a start is the start box).
    Box(VideoBox),
    /// The video cannot be had (no server, refused, credentials, no video stream), in words.
    Unusable(String),
    /// The video is in this codec, not H.264 (the built-in tracker decodes only H.264).
    WrongCodec(String),
    /// The video is interrupted and being made again (stalled, ended), in words.
    Interrupted(String),
}

/// What the ground is told when the video is not H.264: the fix, in one STATUSTEXT.
pub fn wrong_codec_text(codec: &str) -> String {
    let codec = crate::core::text::shorten(codec, 8);
    format!("Video is {codec}: set STREAM_CODEC=H.264")
}

/// One box of the built-in tracker.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoBox {
    /// When the frame it belongs to was taken, on our clock.
    pub capture: Instant,
    /// The box, normalised.
    pub rect: Rect,
    /// The tracker holds the target (false: lost, `rect` is its last place).
    pub active: bool,
}

/// What tracking asks of the shell's video source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VideoCommand {
    /// Pull the video and track this target from the next picture.
    Start(Target),
    /// Stop tracking and release the video.
    Stop,
}

/// One attitude reading: when, yaw (degrees, positive right), pitch (degrees, positive up) and
/// their rates (degrees per second).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Sample {
    at: Instant,
    right_deg: f32,
    up_deg: f32,
    right_deg_s: f32,
    up_deg_s: f32,
}

/// The gimbal's recent attitude, from the camera's 0x0D readings (SIYI yaw is positive left:
/// kept here positive right, the image's convention).
#[derive(Clone, Debug, Default)]
pub struct AttitudeHistory {
    samples: VecDeque<Sample>,
}

impl AttitudeHistory {
    /// Keeps a reading taken at `at` (ignored unless newer than the last one).
    pub fn record(&mut self, at: Instant, a: &Attitude) {
        if self.samples.back().is_some_and(|s| at <= s.at) {
            return;
        }
        let rate = |r: siyi_protocol::DecidegreesPerSecond| f32::from(r.0) / 10.0;
        if self.samples.len() == HISTORY_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample {
            at,
            right_deg: -a.yaw.degrees(),
            up_deg: a.pitch.degrees(),
            right_deg_s: -rate(a.yaw_rate),
            up_deg_s: rate(a.pitch_rate),
        });
    }

    /// Forgets every reading.
    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// Readings kept.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no reading is kept.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The attitude at `t` (yaw right, pitch up, degrees): interpolated between the readings
    /// around it, extrapolated with the newest reading's rates after it (at most
    /// [`MAX_EXTRAPOLATION`]); `None` before the oldest reading or with none.
    pub fn at(&self, t: Instant) -> Option<(f32, f32)> {
        let newest = self.samples.back()?;
        if t >= newest.at {
            let dt = t
                .duration_since(newest.at)
                .min(MAX_EXTRAPOLATION)
                .as_secs_f32();
            return Some((
                newest.right_deg + newest.right_deg_s * dt,
                newest.up_deg + newest.up_deg_s * dt,
            ));
        }
        let after = self.samples.iter().position(|s| s.at > t)?;
        let b = self.samples[after];
        let a = *self.samples.get(after.checked_sub(1)?)?;
        let span = b.at.duration_since(a.at).as_secs_f32();
        let f = if span > 0.0 {
            t.duration_since(a.at).as_secs_f32() / span
        } else {
            1.0
        };
        let lerp = |x: f32, y: f32| x + (y - x) * f;
        Some((lerp(a.right_deg, b.right_deg), lerp(a.up_deg, b.up_deg)))
    }

    /// How far the gimbal turned from `then` to `now` (yaw right, pitch up, degrees); `None`
    /// when the history does not reach back to `then`.
    pub fn moved(&self, then: Instant, now: Instant) -> Option<(f32, f32)> {
        let (r0, u0) = self.at(then)?;
        let (r1, u1) = self.at(now)?;
        Some((r1 - r0, u1 - u0))
    }
}

/// Where a target seen at `centre` (normalised, origin top left) on a frame is now, after the
/// gimbal turned by `moved` (yaw right, pitch up, degrees) since that frame: its angle from
/// the centre less the turn, back to normalised coordinates with the field of view `fov`.
/// The target's own motion is left to the controller's integral term.
pub fn compensate(centre: (f32, f32), fov: Fov, moved: (f32, f32)) -> (f32, f32) {
    if !(centre.0.is_finite() && centre.1.is_finite() && moved.0.is_finite() && moved.1.is_finite())
    {
        return centre;
    }
    let (right, up) = error_deg(centre, fov);
    let back = |e_deg: f32, fov_deg: f32| {
        let half = (fov_deg / 2.0).to_radians().tan();
        e_deg.to_radians().tan() / (2.0 * half)
    };
    let x = 0.5 + back(right - moved.0, fov.h_deg);
    let y = 0.5 - back(up - moved.1, fov.v_deg);
    if x.is_finite() && y.is_finite() {
        (x, y)
    } else {
        centre
    }
}

/// The built-in source's state inside tracking.
#[derive(Debug)]
pub(super) struct BuiltIn {
    /// `--builtin-tracker`.
    pub(super) enabled: bool,
    /// `--track-delay-compensation`.
    pub(super) compensate: bool,
    /// Started and not stopped.
    pub(super) running: bool,
    /// The video was found in another codec: unavailable until then, with these words.
    pub(super) wrong_codec: Option<(Instant, String)>,
    /// An interruption was said (cleared by the next box).
    pub(super) interrupted: bool,
    /// The capture time of the box being followed.
    pub(super) capture: Option<Instant>,
    /// The track was asked for by a point (its boxes are then reported as points).
    pub(super) by_point: bool,
    /// Since when the tracker has said "lost", and whether that was said to the ground.
    lost_since: Option<Instant>,
    lost_said: bool,
    pub(super) history: AttitudeHistory,
    commands: VecDeque<VideoCommand>,
}

impl BuiltIn {
    pub(super) fn new(enabled: bool, compensate: bool) -> Self {
        Self {
            enabled,
            compensate,
            running: false,
            wrong_codec: None,
            interrupted: false,
            capture: None,
            by_point: false,
            lost_since: None,
            lost_said: false,
            history: AttitudeHistory::default(),
            commands: VecDeque::new(),
        }
    }

    /// On, and not known to be unusable.
    pub(super) fn available(&self) -> bool {
        self.enabled && self.wrong_codec.is_none()
    }

    pub(super) fn start(&mut self, target: Target) {
        self.running = true;
        self.interrupted = false;
        self.capture = None;
        self.by_point = matches!(target, Target::Point(_));
        (self.lost_since, self.lost_said) = (None, false);
        self.commands.push_back(VideoCommand::Start(target));
    }

    /// Stops the video if it runs.
    pub(super) fn stop(&mut self) {
        if self.running {
            self.running = false;
            self.capture = None;
            self.history.clear();
            self.commands.push_back(VideoCommand::Stop);
        }
    }

    /// When the wrong-codec verdict ends.
    pub(super) fn wrong_codec_until(&self) -> Option<Instant> {
        self.wrong_codec
            .as_ref()
            .map(|(at, _)| *at + WRONG_CODEC_HOLD)
    }

    pub(super) fn poll(&mut self) -> Option<VideoCommand> {
        self.commands.pop_front()
    }

    /// What to tell the ground of a box that is `active` or not: a loss once it lasted
    /// [`LOST_SAID_AFTER`], and its end when it was said.
    pub(super) fn lost_words(&mut self, now: Instant, active: bool) -> Option<&'static str> {
        if active {
            self.lost_since = None;
            return std::mem::take(&mut self.lost_said).then_some("Tracking: target found again");
        }
        let since = *self.lost_since.get_or_insert(now);
        if !self.lost_said && now.saturating_duration_since(since) >= LOST_SAID_AFTER {
            self.lost_said = true;
            return Some("Tracking: target lost, gimbal held");
        }
        None
    }

    /// A box as the track was asked for: a rectangle, or its centre and half its width for a
    /// track asked for by a point (QGC then shows a point, as asked).
    pub(super) fn target_of(&self, r: Rect) -> Target {
        if self.by_point {
            Target::Point(super::api::Point {
                x: (r.top_left_x + r.bottom_right_x) / 2.0,
                y: (r.top_left_y + r.bottom_right_y) / 2.0,
                radius: (r.bottom_right_x - r.top_left_x) / 2.0,
            })
        } else {
            Target::Rect(r)
        }
    }

    /// Keeps the camera's newest attitude reading while the video runs.
    pub(super) fn history_from(&mut self, state: &CameraState) {
        if let (true, Some(a)) = (self.running, &state.attitude) {
            self.history.record(a.at, &a.value);
        }
    }

    /// Where to steer for a target seen at `centre` on the frame of the box being followed,
    /// and whether it was corrected (compensation on, the history reaching back to the frame).
    pub(super) fn corrected(
        &self,
        now: Instant,
        centre: (f32, f32),
        fov: Fov,
    ) -> ((f32, f32), bool) {
        let moved = self
            .capture
            .filter(|_| self.compensate)
            .and_then(|then| self.history.moved(then, now));
        match moved {
            Some(m) => (compensate(centre, fov, m), true),
            None => (centre, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use siyi_protocol::{Decidegrees, DecidegreesPerSecond};

    const FOV: Fov = Fov {
        h_deg: 81.0,
        v_deg: 51.0,
    };

    fn attitude(yaw_left_deg: f32, pitch_deg: f32, yaw_left_deg_s: f32) -> Attitude {
        Attitude {
            yaw: Decidegrees((yaw_left_deg * 10.0) as i16),
            pitch: Decidegrees((pitch_deg * 10.0) as i16),
            roll: Decidegrees(0),
            yaw_rate: DecidegreesPerSecond((yaw_left_deg_s * 10.0) as i16),
            pitch_rate: DecidegreesPerSecond(0),
            roll_rate: DecidegreesPerSecond(0),
        }
    }

    fn close(a: (f32, f32), b: (f32, f32)) -> bool {
        (a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-3
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn history_interpolates_and_extrapolates_in_image_signs() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut h = AttitudeHistory::default();
        assert_eq!(h.at(t0), None);
        // SIYI yaw +10° is 10° to the left: −10 in the image's convention.
        h.record(ms(0), &attitude(10.0, -5.0, 0.0));
        h.record(ms(100), &attitude(0.0, 5.0, -20.0));
        // Not newer: ignored.
        h.record(ms(50), &attitude(90.0, 90.0, 0.0));
        assert_eq!(h.len(), 2);
        assert!(
            close(h.at(ms(50)).unwrap(), (-5.0, 0.0)),
            "{:?}",
            h.at(ms(50))
        );
        assert!(close(h.at(ms(0)).unwrap(), (-10.0, -5.0)));
        // After the newest: its rate (20°/s to the right) for 100 ms…
        assert!(
            close(h.at(ms(200)).unwrap(), (2.0, 5.0)),
            "{:?}",
            h.at(ms(200))
        );
        // …and never more than MAX_EXTRAPOLATION.
        assert!(close(h.at(ms(5_000)).unwrap(), (6.0, 5.0)));
        assert_eq!(h.at(t0 - Duration::from_millis(1)), None);
        assert!(close(h.moved(ms(0), ms(100)).unwrap(), (10.0, 10.0)));
        assert_eq!(h.moved(t0 - Duration::from_millis(1), ms(100)), None);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn history_is_bounded() {
        let t0 = Instant::now();
        let mut h = AttitudeHistory::default();
        for i in 0..(HISTORY_SAMPLES as u64 * 3) {
            h.record(
                t0 + Duration::from_millis(100 * i),
                &attitude(0.0, 0.0, 0.0),
            );
        }
        assert_eq!(h.len(), HISTORY_SAMPLES);
        assert_eq!(h.at(t0), None, "the oldest readings are gone");
        h.clear();
        assert!(h.is_empty());
    }

    #[test]
    fn compensation_takes_off_the_turn_already_made() {
        // A target 10° right of the centre; the gimbal has since turned 10° right: centred.
        let x = 0.5 + (10f32.to_radians().tan()) / (2.0 * (40.5f32.to_radians().tan()));
        let c = compensate((x, 0.5), FOV, (10.0, 0.0));
        assert!(close(c, (0.5, 0.5)), "{c:?}");
        // Turned only half way: half the angle is left.
        let c = compensate((x, 0.5), FOV, (5.0, 0.0));
        let (e, _) = error_deg(c, FOV);
        assert!((e - 5.0).abs() < 1e-3, "{e}");
        // Pitch: the gimbal tilted up 4° towards a target 4° above the centre.
        let y = 0.5 - (4f32.to_radians().tan()) / (2.0 * (25.5f32.to_radians().tan()));
        assert!(close(compensate((0.5, y), FOV, (0.0, 4.0)), (0.5, 0.5)));
        // No turn, no change; a turn away moves the target further out.
        assert!(close(compensate((0.7, 0.3), FOV, (0.0, 0.0)), (0.7, 0.3)));
        assert!(compensate((0.7, 0.5), FOV, (-5.0, 0.0)).0 > 0.7);
        // Nonsense in, the box unchanged out.
        assert_eq!(compensate((0.7, 0.3), FOV, (f32::NAN, 0.0)), (0.7, 0.3));
        assert_eq!(compensate((f32::INFINITY, 0.3), FOV, (1.0, 0.0)).1, 0.3);
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant; the rest is arithmetic
    fn the_built_in_source_corrects_only_when_asked_and_known() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut b = BuiltIn::new(true, true);
        b.history.record(ms(0), &attitude(0.0, 0.0, 0.0));
        b.history.record(ms(200), &attitude(-10.0, 0.0, 0.0));
        let seen = (0.7, 0.5);
        // No capture time yet: as seen.
        assert_eq!(b.corrected(ms(200), seen, FOV), (seen, false));
        b.capture = Some(ms(0));
        let (c, applied) = b.corrected(ms(200), seen, FOV);
        assert!(applied && c.0 < 0.7 - 0.05, "10° to the right since: {c:?}");
        b.compensate = false;
        assert_eq!(b.corrected(ms(200), seen, FOV), (seen, false));
        // Start and stop are said once each.
        b.start(Target::Point(super::super::api::Point {
            x: 0.5,
            y: 0.5,
            radius: 0.1,
        }));
        assert!(matches!(b.poll(), Some(VideoCommand::Start(_))));
        b.stop();
        b.stop();
        assert_eq!(b.poll(), Some(VideoCommand::Stop));
        assert_eq!(b.poll(), None);
        assert!(b.history.is_empty() && b.capture.is_none());
    }
}
