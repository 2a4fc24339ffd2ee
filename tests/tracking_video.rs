//! The built-in tracker as a tracking source, on virtual time: its lifecycle (start on a track
//! command, the first box accepts it, stop, no video, wrong codec, no picture in time, the
//! priority of a connected tracker) and the follow loop through a delayed, noisy box source,
//! with and without the delay compensation (the gimbal's 0x0D attitude history).

mod camera_common;

use std::time::{Duration, Instant};

use camera_common::{acks, rig_with_tracking, texts, Rig};
use mavlink::dialects::common::{
    CameraCapFlags, CameraTrackingMode, MavCmd, MavMessage, MavResult,
    CAMERA_TRACKING_IMAGE_STATUS_DATA,
};
use siyi_bridge::core::camera::{optics, Transmit};
use siyi_bridge::core::link::{Fresh, Operation};
use siyi_bridge::core::tracking::{
    Rect, Target, TrackingConfig, VideoBox, VideoCommand, VideoInput,
};
use siyi_protocol::{Attitude, Decidegrees, DecidegreesPerSecond};

const TRACKING_FLAGS: CameraCapFlags = CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
    .union(CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE);

fn rig(compensate_delay: bool) -> Rig {
    rig_with_tracking(TrackingConfig {
        builtin: true,
        compensate_delay,
        ..TrackingConfig::default()
    })
}

fn video(rig: &mut Rig, input: VideoInput) -> Vec<Transmit> {
    rig.parts.video_input(rig.now, input, &mut rig.link);
    rig.drain()
}

fn commands(rig: &mut Rig) -> Vec<VideoCommand> {
    std::iter::from_fn(|| rig.parts.poll_video()).collect()
}

fn rect(x: f32, y: f32, w: f32, h: f32) -> Rect {
    Rect {
        top_left_x: x,
        top_left_y: y,
        bottom_right_x: x + w,
        bottom_right_y: y + h,
    }
}

/// A box of a frame taken now.
fn give_box(rig: &mut Rig, r: Rect, active: bool) -> Vec<Transmit> {
    let b = VideoInput::Box(VideoBox {
        capture: rig.now,
        rect: r,
        active,
    });
    video(rig, b)
}

fn track_rect(rig: &mut Rig, r: Rect) -> Vec<Transmit> {
    rig.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
        [
            r.top_left_x,
            r.top_left_y,
            r.bottom_right_x,
            r.bottom_right_y,
            0.,
            0.,
            0.,
        ],
    )
}

fn results(out: &[Transmit]) -> Vec<MavResult> {
    acks(out).iter().map(|a| a.result).collect()
}

fn statuses(out: &[Transmit]) -> Vec<CAMERA_TRACKING_IMAGE_STATUS_DATA> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn info_flags(rig: &mut Rig) -> CameraCapFlags {
    let out = rig.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [259.0, 0., 0., 0., 0., 0., 0.],
    );
    out.iter()
        .find_map(|t| match t.mav() {
            Some(MavMessage::CAMERA_INFORMATION(i)) => Some(i.flags),
            _ => None,
        })
        .expect("CAMERA_INFORMATION")
}

#[test]
fn a_track_command_starts_the_video_and_the_first_box_accepts_it() {
    let mut rig = rig(true);
    assert_eq!(info_flags(&mut rig) & TRACKING_FLAGS, TRACKING_FLAGS);
    assert!(commands(&mut rig).is_empty(), "no video while idle");
    let r = rect(0.4, 0.4, 0.2, 0.1);
    let out = track_rect(&mut rig, r);
    assert_eq!(results(&out), [MavResult::MAV_RESULT_IN_PROGRESS]);
    assert_eq!(commands(&mut rig), [VideoCommand::Start(Target::Rect(r))]);
    rig.advance(Duration::from_millis(400));
    let out = give_box(&mut rig, r, true);
    assert_eq!(results(&out), [MavResult::MAV_RESULT_ACCEPTED]);
    let s = statuses(&out);
    assert_eq!(s.len(), 1, "the status changed: {s:?}");
    assert!((s[0].rec_top_x - 0.4).abs() < 1e-6 && (s[0].rec_bottom_y - 0.5).abs() < 1e-6);
    // More boxes: no more acks; the status follows the box.
    rig.advance(Duration::from_millis(33));
    let out = give_box(&mut rig, rect(0.45, 0.4, 0.2, 0.1), true);
    assert!(acks(&out).is_empty());
    assert_eq!(rig.parts.tracking().stats().video_boxes, 2);
    // Stop: accepted at once, the video released, the status idle.
    let out = rig.command(MavCmd::MAV_CMD_CAMERA_STOP_TRACKING, [0.; 7]);
    assert_eq!(results(&out), [MavResult::MAV_RESULT_ACCEPTED]);
    assert_eq!(commands(&mut rig), [VideoCommand::Stop]);
    assert_eq!(statuses(&out).len(), 1);
    // A late box of the stopped run changes nothing.
    let out = give_box(&mut rig, r, true);
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(rig.parts.tracking().stats().video_boxes, 2);
}

#[test]
fn a_track_asked_by_a_point_is_reported_as_a_point() {
    let mut rig = rig(true);
    let out = rig.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_POINT,
        [0.6, 0.4, 0.05, 0., 0., 0., 0.],
    );
    assert_eq!(results(&out), [MavResult::MAV_RESULT_IN_PROGRESS]);
    assert!(matches!(
        commands(&mut rig)[..],
        [VideoCommand::Start(Target::Point(p))] if p.x == 0.6 && p.y == 0.4 && p.radius == 0.05
    ));
    let out = give_box(&mut rig, rect(0.55, 0.35, 0.1, 0.1), true);
    assert_eq!(results(&out), [MavResult::MAV_RESULT_ACCEPTED]);
    let s = &statuses(&out)[0];
    assert_eq!(
        s.tracking_mode,
        CameraTrackingMode::CAMERA_TRACKING_MODE_POINT
    );
    assert!(
        (s.point_x - 0.6).abs() < 1e-6 && (s.point_y - 0.4).abs() < 1e-6,
        "{s:?}"
    );
    assert!((s.radius - 0.05).abs() < 1e-6, "{s:?}");
}

#[test]
fn a_loss_that_lasts_is_said_once_and_its_end_too_and_doubts_are_not() {
    let mut rig = rig(true);
    let r = rect(0.45, 0.45, 0.1, 0.1);
    track_rect(&mut rig, r);
    let mut said = texts(&give_box(&mut rig, r, true));
    // One- and two-frame doubts (33 ms apart): nothing said.
    for active in [false, true, false, false, true, true] {
        rig.advance(Duration::from_millis(33));
        said.extend(texts(&give_box(&mut rig, r, active)));
    }
    assert!(said.is_empty(), "{said:?}");
    // Lost for 0.66 s (behind the tree): said once, after 0.5 s; found again said once.
    for _ in 0..20 {
        rig.advance(Duration::from_millis(33));
        said.extend(texts(&give_box(&mut rig, r, false)));
    }
    for _ in 0..3 {
        rig.advance(Duration::from_millis(33));
        said.extend(texts(&give_box(&mut rig, r, true)));
    }
    assert_eq!(
        said,
        [
            "Tracking: target lost, gimbal held",
            "Tracking: target found again"
        ]
    );
}

#[test]
fn no_video_fails_the_command_with_the_reason_and_releases_the_video() {
    let mut rig = rig(true);
    track_rect(&mut rig, rect(0.4, 0.4, 0.2, 0.1));
    commands(&mut rig);
    let out = video(&mut rig, VideoInput::Unusable("no video server".into()));
    assert_eq!(results(&out), [MavResult::MAV_RESULT_FAILED]);
    assert!(
        texts(&out).iter().any(|t| t.contains("no video server")),
        "{:?}",
        texts(&out)
    );
    assert_eq!(commands(&mut rig), [VideoCommand::Stop]);
    // Still offered: the next command tries again.
    let out = track_rect(&mut rig, rect(0.4, 0.4, 0.2, 0.1));
    assert_eq!(results(&out), [MavResult::MAV_RESULT_IN_PROGRESS]);
}

#[test]
fn no_picture_in_time_fails_the_command_and_releases_the_video() {
    let mut rig = rig(true);
    track_rect(&mut rig, rect(0.4, 0.4, 0.2, 0.1));
    commands(&mut rig);
    let out = rig.advance(Duration::from_millis(4_900));
    assert!(acks(&out).is_empty(), "waits the start timeout (5 s)");
    let out = rig.advance(Duration::from_millis(200));
    assert_eq!(results(&out), [MavResult::MAV_RESULT_FAILED]);
    assert!(
        texts(&out).iter().any(|t| t.contains("no picture")),
        "{:?}",
        texts(&out)
    );
    assert_eq!(commands(&mut rig), [VideoCommand::Stop]);
}

#[test]
fn a_wrong_codec_is_said_with_the_fix_and_refuses_tracking_until_it_may_be_fixed() {
    let mut rig = rig(true);
    track_rect(&mut rig, rect(0.4, 0.4, 0.2, 0.1));
    commands(&mut rig);
    let out = video(&mut rig, VideoInput::WrongCodec("H265".into()));
    assert_eq!(results(&out), [MavResult::MAV_RESULT_FAILED]);
    let said = texts(&out);
    assert!(
        said.contains(&"Tracking: Video is H265: set STREAM_CODEC=H.264".to_owned()),
        "{said:?}"
    );
    assert_eq!(commands(&mut rig), [VideoCommand::Stop]);
    rig.advance(Duration::from_secs(1));
    assert_eq!(
        info_flags(&mut rig) & TRACKING_FLAGS,
        CameraCapFlags::empty()
    );
    let out = track_rect(&mut rig, rect(0.4, 0.4, 0.2, 0.1));
    assert_eq!(results(&out), [MavResult::MAV_RESULT_TEMPORARILY_REJECTED]);
    assert!(
        texts(&out).iter().any(|t| t.contains("H265")),
        "{:?}",
        texts(&out)
    );
    assert!(commands(&mut rig).is_empty());
    // 30 s on, the user may have fixed it: offered and tried again.
    rig.advance(Duration::from_secs(30));
    assert_eq!(info_flags(&mut rig) & TRACKING_FLAGS, TRACKING_FLAGS);
    let out = track_rect(&mut rig, rect(0.4, 0.4, 0.2, 0.1));
    assert_eq!(results(&out), [MavResult::MAV_RESULT_IN_PROGRESS]);
    assert_eq!(commands(&mut rig).len(), 1);
}

#[test]
fn an_interruption_mid_track_holds_the_gimbal_and_is_said_once() {
    let mut rig = rig(true);
    let r = rect(0.7, 0.4, 0.2, 0.1);
    track_rect(&mut rig, r);
    give_box(&mut rig, r, true);
    rig.advance(Duration::from_millis(100));
    give_box(&mut rig, r, true);
    let moving = rig.link.started.iter().rev().find_map(|(_, op)| match op {
        Operation::GimbalRates { yaw_speed, .. } => Some(*yaw_speed),
        _ => None,
    });
    assert!(moving.is_some_and(|y| y > 0), "turns right: {moving:?}");
    let mut said = Vec::new();
    for _ in 0..5 {
        rig.advance(Duration::from_millis(500));
        let out = video(
            &mut rig,
            VideoInput::Interrupted("video: no frame for 3.0 s (stalled); reconnecting".into()),
        );
        said.extend(texts(&out));
    }
    assert_eq!(said.len(), 1, "said once: {said:?}");
    let last = rig.link.started.iter().rev().find_map(|(_, op)| match op {
        Operation::GimbalRates {
            yaw_speed,
            pitch_speed,
        } => Some((*yaw_speed, *pitch_speed)),
        _ => None,
    });
    assert_eq!(last, Some((0, 0)), "holds still while the video is away");
    assert!(
        commands(&mut rig).len() == 1,
        "the video is not stopped: it reconnects"
    );
    // Back: follows again, and a new interruption is said again.
    give_box(&mut rig, r, true);
    let out = video(
        &mut rig,
        VideoInput::Interrupted("video: the stream ended (eof); reconnecting".into()),
    );
    assert_eq!(texts(&out).len(), 1);
}

#[test]
fn a_connected_tracker_comes_first_and_the_video_is_released() {
    let mut rig = rig(true);
    let r = rect(0.4, 0.4, 0.2, 0.1);
    track_rect(&mut rig, r);
    give_box(&mut rig, r, true);
    assert_eq!(commands(&mut rig).len(), 1);
    rig.parts.tracker_opened(rig.now, 1, &rig.link);
    rig.parts.tracker_line(
        rig.now,
        1,
        Some(r#"{"type":"hello","version":1,"name":"ext"}"#),
        &mut rig.link,
    );
    rig.drain();
    let out = track_rect(&mut rig, r);
    assert_eq!(results(&out), [MavResult::MAV_RESULT_IN_PROGRESS]);
    assert_eq!(commands(&mut rig), [VideoCommand::Stop]);
    let lines: Vec<_> = std::iter::from_fn(|| rig.parts.poll_tracker()).collect();
    assert!(
        format!("{lines:?}").contains("track_rectangle"),
        "{lines:?}"
    );
}

#[test]
fn without_the_built_in_tracker_nothing_changes() {
    let t0 = camera_common::FakeLink::t0();
    let mut rig = Rig::new(camera_common::FakeLink::identified(t0), t0);
    assert_eq!(
        info_flags(&mut rig) & TRACKING_FLAGS,
        CameraCapFlags::empty()
    );
    let out = track_rect(&mut rig, rect(0.4, 0.4, 0.2, 0.1));
    assert_eq!(results(&out), [MavResult::MAV_RESULT_TEMPORARILY_REJECTED]);
    assert!(commands(&mut rig).is_empty());
    // A box nobody asked for is ignored.
    let out = give_box(&mut rig, rect(0.4, 0.4, 0.2, 0.1), true);
    assert!(out.is_empty());
}

// ----- the follow loop through the video's delay -------------------------------------------

/// A seeded generator of noise (xorshift), so every run sees the same boxes.
struct Noise(u64);

impl Noise {
    /// Uniform in −1..1.
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// What one closed-loop run measured.
#[derive(Debug)]
struct Run {
    /// Seconds until the target's true place is within 0.05 of the frame's centre.
    settled_s: Option<f32>,
    /// Mean true error (fraction of the frame, the larger axis) from 3 s to the end.
    mean_after_3s: f32,
    /// Largest true error from settling to the end.
    worst_after_settling: f32,
    /// Sign changes of the commanded yaw rate (of at least 5 speed units, 4.5°/s: not the
    /// one-unit corrections around the centre) after settling.
    yaw_sign_changes: usize,
    /// How far past the centre the target's true place went after first reaching it, on the
    /// yaw axis (fraction of the frame).
    overshoot: f32,
    /// Follow steps corrected for the delay.
    corrected: u64,
}

/// The gimbal (a rate-controlled turn, 0.9°/s per SIYI speed unit, reaching the commanded rate
/// with a 60 ms time constant), a target fixed in the world, and a video that sees them: 30
/// frames/s, each box delivered `delay` after its frame with ±`noise` (fraction of the frame)
/// added; the 0x0D attitude read every 100 ms. For `seconds` of virtual time.
fn closed_loop(compensate: bool, delay: Duration, noise: f32, seconds: u32) -> Run {
    let mut rig = rig(compensate);
    let (h_deg, v_deg) = optics::fov_deg(1.0);
    let (half_h, half_v) = (
        (h_deg / 2.0).to_radians().tan(),
        (v_deg / 2.0).to_radians().tan(),
    );
    // Where the target is, degrees right and up of the gimbal's zero.
    let target = (18.0_f32, -9.0_f32);
    let mut gimbal = (0.0_f32, 0.0_f32);
    let mut rate = (0.0_f32, 0.0_f32);
    let place = |g: (f32, f32)| {
        (
            0.5 + (target.0 - g.0).to_radians().tan() / (2.0 * half_h),
            0.5 - (target.1 - g.1).to_radians().tan() / (2.0 * half_v),
        )
    };
    let start = place(gimbal);
    let r = rect(start.0 - 0.05, start.1 - 0.04, 0.1, 0.08);
    let out = track_rect(&mut rig, r);
    assert_eq!(results(&out), [MavResult::MAV_RESULT_IN_PROGRESS]);
    let mut noise_gen = Noise(0x5eed_2023);
    let mut in_flight: std::collections::VecDeque<(Instant, VideoInput)> = Default::default();
    let tick = Duration::from_millis(10);
    let t0 = rig.now;
    let (mut next_frame, mut next_read) = (t0, t0);
    let mut settled_s = None;
    let (mut sum, mut n, mut worst) = (0.0_f32, 0u32, 0.0_f32);
    let mut last_yaw_sign = 0i8;
    let mut yaw_sign_changes = 0usize;
    let (mut crossed, mut overshoot) = (false, 0.0_f32);
    for _ in 0..(seconds * 100) {
        rig.advance(tick);
        let now = rig.now;
        // The gimbal turns at the rate it was last given (first-order response).
        let commanded = rig.link.started.iter().rev().find_map(|(_, op)| match op {
            Operation::GimbalRates {
                yaw_speed,
                pitch_speed,
            } => Some((f32::from(*yaw_speed) * 0.9, f32::from(*pitch_speed) * 0.9)),
            _ => None,
        });
        let want = commanded.unwrap_or((0.0, 0.0));
        let k = 1.0 - (-0.010_f32 / 0.060).exp();
        rate = (
            rate.0 + (want.0 - rate.0) * k,
            rate.1 + (want.1 - rate.1) * k,
        );
        gimbal = (gimbal.0 + rate.0 * 0.010, gimbal.1 + rate.1 * 0.010);
        if now >= next_read {
            next_read += Duration::from_millis(100);
            let tenths = |v: f32| Decidegrees((v * 10.0).round() as i16);
            let per_s = |v: f32| DecidegreesPerSecond((v * 10.0).round() as i16);
            // SIYI yaw is positive to the left.
            rig.link.state.attitude = Some(Fresh::new(
                Attitude {
                    yaw: tenths(-gimbal.0),
                    pitch: tenths(gimbal.1),
                    roll: Decidegrees(0),
                    yaw_rate: per_s(-rate.0),
                    pitch_rate: per_s(rate.1),
                    roll_rate: DecidegreesPerSecond(0),
                },
                now,
            ));
            rig.parts.camera_datagram_handled(now, &mut rig.link);
            rig.drain();
        }
        if now >= next_frame {
            next_frame += Duration::from_micros(33_333);
            let (x, y) = place(gimbal);
            let (x, y) = (x + noise * noise_gen.next(), y + noise * noise_gen.next());
            let b = VideoInput::Box(VideoBox {
                capture: now,
                rect: rect(x - 0.05, y - 0.04, 0.1, 0.08),
                active: true,
            });
            in_flight.push_back((now + delay, b));
        }
        while in_flight.front().is_some_and(|(at, _)| *at <= now) {
            let (_, b) = in_flight.pop_front().expect("checked");
            video(&mut rig, b);
        }
        let (x, y) = place(gimbal);
        let err = (x - 0.5).abs().max((y - 0.5).abs());
        // The target starts right of the centre: past it is left.
        crossed |= x <= 0.5;
        if crossed {
            overshoot = overshoot.max(0.5 - x);
        }
        let t = now.duration_since(t0).as_secs_f32();
        if settled_s.is_none() && err < 0.05 {
            settled_s = Some(t);
        }
        if t >= 3.0 {
            sum += err;
            n += 1;
        }
        if settled_s.is_some() {
            worst = worst.max(err);
            let sign = if want.0.abs() >= 4.5 {
                want.0.partial_cmp(&0.0).map_or(0, |o| o as i8)
            } else {
                0
            };
            if sign != 0 && last_yaw_sign != 0 && sign != last_yaw_sign {
                yaw_sign_changes += 1;
            }
            if sign != 0 {
                last_yaw_sign = sign;
            }
        }
    }
    Run {
        settled_s,
        mean_after_3s: sum / n.max(1) as f32,
        worst_after_settling: worst,
        yaw_sign_changes,
        overshoot,
        corrected: rig.parts.tracking().stats().delay_corrected,
    }
}

/// Figures (printed with `--nocapture`, in docs/video-in.md): 0.4 % noise, the target 18°
/// right and 9° below the axis at the start.
#[test]
fn through_the_video_delay_the_compensated_loop_centres_the_target_without_oscillating() {
    let mut table = Vec::new();
    for ms in [100u64, 200, 300, 400, 500] {
        let on = closed_loop(true, Duration::from_millis(ms), 0.004, 30);
        let off = closed_loop(false, Duration::from_millis(ms), 0.004, 30);
        eprintln!("{ms} ms on:  {on:?}\n{ms} ms off: {off:?}");
        table.push((ms, on, off));
    }
    for (ms, on, off) in &table {
        let settled = on.settled_s.expect("settles");
        assert!(settled <= 3.0, "{ms} ms: centred within 3 s: {on:?}");
        assert!(on.mean_after_3s <= 0.03, "{ms} ms: {on:?}");
        assert!(on.overshoot <= 0.03, "{ms} ms: {on:?}");
        assert!(
            on.worst_after_settling < 0.05,
            "{ms} ms: stays centred: {on:?}"
        );
        assert_eq!(on.yaw_sign_changes, 0, "{ms} ms: no oscillation: {on:?}");
        assert!(
            on.corrected > 500,
            "{ms} ms: the correction was applied: {on:?}"
        );
        assert_eq!(off.corrected, 0, "off means off: {off:?}");
        assert!(on.overshoot < off.overshoot, "{ms} ms: {on:?} / {off:?}");
    }
    // Without it the overshoot grows with the delay, and the loop rings at 400 ms and more.
    let off = |ms: u64| &table.iter().find(|t| t.0 == ms).expect("run").2;
    assert!(off(200).overshoot > 0.05, "{:?}", off(200));
    assert!(
        off(400).overshoot > 0.1 && off(400).yaw_sign_changes >= 2,
        "{:?}",
        off(400)
    );
    assert!(off(500).yaw_sign_changes > off(400).yaw_sign_changes);
}
