//! The built-in tracker as a source of [`Tracking`]: what its video source's inputs do to the
//! track in flight (the first box accepts it; no video or the wrong codec fails it; an
//! interruption mid-track holds the gimbal still) and what it asks of the shell. Its state and
//! the delay compensation are in [`super::video`].

use std::time::Instant;

use mavlink::dialects::common::{MavResult, MavSeverity};

use super::follow::Fov;
use super::video::{wrong_codec_text, VideoCommand, VideoInput};
use super::{Reported, Source, Tracking, Waiting};
use crate::core::link::LinkControl;

impl Tracking {
    /// What the built-in tracker's video source said (ignored unless it runs for a track).
    /// `fov`: the camera's field of view now (for the follow controller).
    pub fn video_input(
        &mut self,
        now: Instant,
        input: VideoInput,
        fov: Fov,
        link: &mut impl LinkControl,
    ) {
        if !self.video.running || self.source != Some(Source::Video) {
            return;
        }
        self.video.history_from(link.state());
        let starting = self
            .pending
            .as_ref()
            .is_some_and(|p| p.waiting == Waiting::Video);
        match input {
            VideoInput::Box(b) => {
                self.stats.video_boxes += 1;
                self.video.interrupted = false;
                self.video.capture = Some(b.capture);
                if let Some(p) = self.pending.take_if(|p| p.waiting == Waiting::Video) {
                    self.answered(now, p, true, None, link);
                }
                let target = self.video.target_of(b.rect);
                // MAVLink's status has no "lost": the ground is told in words, for a loss that
                // lasts (not the tracker's one-frame doubts), and when it ends.
                if let Some(text) = self.video.lost_words(now, b.active) {
                    self.text(now, MavSeverity::MAV_SEVERITY_INFO, text.to_owned());
                }
                let reported = if b.active {
                    Reported::Active(target)
                } else {
                    Reported::Lost(Some(target))
                };
                self.set_reported(now, reported);
                self.steer(now, fov, link);
            }
            VideoInput::WrongCodec(codec) => {
                let why = wrong_codec_text(&codec);
                self.video.wrong_codec = Some((now, why.clone()));
                self.availability_changed(now);
                self.finish_pending(now, MavResult::MAV_RESULT_FAILED, Some(&why));
                self.video_gone(now, link);
            }
            VideoInput::Unusable(why) if starting => {
                self.finish_pending(now, MavResult::MAV_RESULT_FAILED, Some(&why));
                self.video_gone(now, link);
            }
            // Mid-track the video is made again: hold still, say it once.
            VideoInput::Unusable(why) | VideoInput::Interrupted(why) => {
                if !self.video.interrupted {
                    self.video.interrupted = true;
                    let text = format!("Tracking: {why}");
                    self.text(now, MavSeverity::MAV_SEVERITY_WARNING, text);
                }
                if !starting {
                    self.set_reported(now, Reported::Lost(self.reported.target()));
                    self.steer(now, fov, link);
                }
            }
        }
    }

    /// Next start or stop for the shell's video source.
    pub fn poll_video(&mut self) -> Option<VideoCommand> {
        self.video.poll()
    }

    /// A camera datagram was read: the attitude history takes the newest reading (while the
    /// built-in tracker runs).
    pub fn link_read(&mut self, link: &impl LinkControl) {
        self.video.history_from(link.state());
    }

    /// The built-in tracker's track ends (no video, or no picture in time).
    pub(super) fn video_gone(&mut self, now: Instant, link: &mut impl LinkControl) {
        if self.source == Some(Source::Video) {
            self.source = None;
            self.video.stop();
            self.end_track(now, link);
            if self.reported != Reported::Idle {
                self.set_reported(now, Reported::Error);
            }
        }
    }
}
