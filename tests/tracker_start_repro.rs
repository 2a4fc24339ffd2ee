//! A defect of the built-in tracker (`siyi-vision`), found by issue 23's busy-scene figures
//! (docs/video-in.md) and fixed in `Tracker::update`: the simulator's car driving over its
//! textured ground, the camera still, the tracker started on the car's true box. Its first
//! updates match the frame they were trained on (PSR 134, 93, 78, 42, 43), so the running mean
//! PSR that the "sudden drop" rule (`psr_ratio_lost`) compares with starts near 78; the PSR of a
//! car moving over texture settles at 20–35, the rule fires on the 7th frame, and the re-detection
//! threshold (`psr_ratio_found` × the same mean) never lets it be found again, although the car
//! stays within 0.04 of the frame of the frozen box. With the camera turning (the gimbal
//! following) the background moves with the car and it holds. Now the PSR mean follows the
//! latest PSR during the warm-up and averages from there.

use siyi_bridge::sim::scene::{target_box, target_direction, SimPose};
use siyi_bridge::sim::stream::render::{Renderer, SceneOptions};
use siyi_vision::{BoundingBox, Frame, TrackState, Tracker, TrackerConfig};

/// Frames (of `frames - 1`, at 30 frames/s) the tracker calls the car lost, the camera turning
/// at `rate_deg_s` for the first half.
fn lost_frames(rate_deg_s: f64, frames: u64) -> usize {
    let r = Renderer::new(SceneOptions::default());
    let (w, h) = (1280usize, 720usize);
    let t0 = 6.3;
    let d = target_direction(t0);
    // SIYI yaw is positive to the left: the car starts 16° right and 8° below the centre.
    let mut yaw = -(d.azimuth_deg - 16.0);
    let pitch = d.elevation_deg + 8.0;
    let mut tracker: Option<Tracker> = None;
    let mut lost = 0;
    for i in 0..frames {
        let t = t0 + i as f64 / 30.0;
        let pose = SimPose {
            yaw_deg: yaw,
            pitch_deg: pitch,
            zoom: 1.0,
            scene_time_s: t,
        };
        let f = r.render(&pose, w, h, i);
        let frame = Frame::new(&f.y, w, h, w).expect("frame");
        let truth = target_box(&pose).expect("the car is in view");
        match &mut tracker {
            None => {
                let b = BoundingBox::new(
                    ((truth.center_x - truth.width / 2.0) * w as f64) as f32,
                    ((truth.center_y - truth.height / 2.0) * h as f64) as f32,
                    (truth.width * w as f64) as f32,
                    (truth.height * h as f64) as f32,
                );
                tracker = Some(Tracker::new(TrackerConfig::default(), &frame, b).expect("start"));
            }
            Some(tr) => {
                let e = tr.update(&frame).expect("update");
                eprint!(
                    "{}{:.0} ",
                    if e.state == TrackState::Active {
                        "A"
                    } else {
                        "L"
                    },
                    e.psr
                );
                lost += usize::from(e.state == TrackState::Lost);
            }
        }
        if i < frames / 2 {
            yaw -= rate_deg_s / 30.0;
        }
    }
    eprintln!();
    lost
}

/// Before the fix (the PSR mean seeded by the warm-up's self-match PSRs) 29 of these 35 frames
/// were lost (83 of 89 over 3 s); the camera turning at 20°/s held either way
/// (`cargo test --release --test tracker_start_repro -- --ignored` runs that longer case).
#[test]
fn a_car_driving_past_a_still_camera_stays_tracked() {
    let still = lost_frames(0.0, 36);
    assert!(still <= 2, "still camera: {still} of 35 frames lost");
}

#[test]
#[ignore = "3 s of 1280x720 frames twice: slow unoptimised; run with --release"]
fn over_three_seconds_still_or_turning() {
    let turning = lost_frames(20.0, 90);
    let still = lost_frames(0.0, 90);
    assert!(turning <= 3, "turning camera: {turning} of 89 frames lost");
    assert!(still <= 3, "still camera: {still} of 89 frames lost");
}
