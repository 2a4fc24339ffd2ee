//! The tracker on synthetic sequences: a textured target moving over a textured, panning
//! background; occlusion (→ lost, no drift), reappearance (→ found), bad input (→ errors).

use siyi_vision::{
    box_from_point, BoundingBox, Frame, FrameError, StartError, TrackState, Tracker, TrackerConfig,
};

const W: usize = 320;
const H: usize = 240;

fn hash(x: i64, y: i64, seed: u64) -> f32 {
    let mut h = (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (y as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ seed.wrapping_mul(0x1656_67B1_9E37_79F9);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 32;
    (h & 0xFFFF) as f32 / 65535.0
}

/// Smooth value noise with lattice spacing `cell` pixels, in 0..1.
fn noise(x: f32, y: f32, cell: f32, seed: u64) -> f32 {
    let (u, v) = (x / cell, y / cell);
    let (i, j) = (u.floor(), v.floor());
    let (fx, fy) = (u - i, v - j);
    let (i, j) = (i as i64, j as i64);
    let a = hash(i, j, seed);
    let b = hash(i + 1, j, seed);
    let c = hash(i, j + 1, seed);
    let d = hash(i + 1, j + 1, seed);
    let sx = fx * fx * (3.0 - 2.0 * fx);
    let sy = fy * fy * (3.0 - 2.0 * fy);
    let top = a + (b - a) * sx;
    let bot = c + (d - c) * sx;
    top + (bot - top) * sy
}

fn background(x: f32, y: f32) -> f32 {
    40.0 + 120.0 * (0.6 * noise(x, y, 24.0, 1) + 0.4 * noise(x, y, 7.0, 2))
}

fn target_tex(u: f32, v: f32) -> f32 {
    // Stripes and blobs: clearly different from the background's statistics.
    let stripes = if ((u / 5.0).floor() as i64 + (v / 9.0).floor() as i64) % 2 == 0 {
        1.0
    } else {
        0.0
    };
    60.0 + 150.0 * (0.5 * stripes + 0.5 * noise(u, v, 5.0, 9))
}

struct Scene {
    pan: (f32, f32),
    target: BoundingBox,
    occluder: Option<BoundingBox>,
}

fn render(s: &Scene) -> Vec<u8> {
    let mut img = vec![0u8; W * H];
    for y in 0..H {
        for x in 0..W {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = &s.target;
            let mut v = background(fx + s.pan.0, fy + s.pan.1);
            if fx >= t.x && fx < t.x + t.w && fy >= t.y && fy < t.y + t.h {
                v = target_tex((fx - t.x) * 40.0 / t.w, (fy - t.y) * 30.0 / t.h);
            }
            if let Some(o) = &s.occluder {
                if fx >= o.x && fx < o.x + o.w && fy >= o.y && fy < o.y + o.h {
                    v = 90.0 + 60.0 * noise(fx, fy, 10.0, 5);
                }
            }
            img[y * W + x] = v.clamp(0.0, 255.0) as u8;
        }
    }
    img
}

fn center_error(a: &BoundingBox, b: &BoundingBox) -> f32 {
    let (ax, ay) = a.center();
    let (bx, by) = b.center();
    ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt()
}

fn scene_at(k: usize) -> Scene {
    let k = k as f32;
    Scene {
        pan: (k * 0.7, k * 0.3),
        target: BoundingBox::new(
            60.0 + 2.5 * k,
            80.0 + 1.0 * k + 10.0 * (k * 0.1).sin(),
            40.0,
            30.0,
        ),
        occluder: None,
    }
}

#[test]
fn follows_a_moving_target_over_a_panning_background() {
    let first = render(&scene_at(0));
    let frame = Frame::new(&first, W, H, W).unwrap();
    let start = scene_at(0).target;
    let mut t = Tracker::new(TrackerConfig::default(), &frame, start).unwrap();
    let mut worst = 0.0f32;
    let frames = 60;
    for k in 1..frames {
        let s = scene_at(k);
        let img = render(&s);
        let est = t.update(&Frame::new(&img, W, H, W).unwrap()).unwrap();
        assert_eq!(est.state, TrackState::Active, "frame {k}: {est:?}");
        worst = worst.max(center_error(&est.bbox, &s.target));
    }
    // The target moved ~150 px: a tracker that stays put would be far off.
    assert!(center_error(&start, &scene_at(frames - 1).target) > 100.0);
    assert!(worst < 6.0, "worst centre error {worst} px");
    let b = t.bbox();
    assert!(
        (b.w - 40.0).abs() < 8.0 && (b.h - 30.0).abs() < 6.0,
        "size drifted: {b:?}"
    );
}

#[test]
fn the_same_frames_give_the_same_boxes() {
    let run = || {
        let first = render(&scene_at(0));
        let mut t = Tracker::new(
            TrackerConfig::default(),
            &Frame::new(&first, W, H, W).unwrap(),
            scene_at(0).target,
        )
        .unwrap();
        (1..15)
            .map(|k| {
                let img = render(&scene_at(k));
                t.update(&Frame::new(&img, W, H, W).unwrap()).unwrap()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn a_stride_wider_than_the_width_reads_the_same_pixels() {
    let img = render(&scene_at(0));
    let stride = W + 13;
    let mut padded = vec![255u8; stride * H];
    for y in 0..H {
        padded[y * stride..y * stride + W].copy_from_slice(&img[y * W..(y + 1) * W]);
    }
    let a = Tracker::new(
        TrackerConfig::default(),
        &Frame::new(&img, W, H, W).unwrap(),
        scene_at(0).target,
    )
    .unwrap();
    let b = Tracker::new(
        TrackerConfig::default(),
        &Frame::new(&padded, W, H, stride).unwrap(),
        scene_at(0).target,
    )
    .unwrap();
    let next = render(&scene_at(1));
    let mut next_padded = vec![0u8; stride * H];
    for y in 0..H {
        next_padded[y * stride..y * stride + W].copy_from_slice(&next[y * W..(y + 1) * W]);
    }
    let (mut a, mut b) = (a, b);
    assert_eq!(
        a.update(&Frame::new(&next, W, H, W).unwrap()).unwrap(),
        b.update(&Frame::new(&next_padded, W, H, stride).unwrap())
            .unwrap()
    );
}

/// Target moves right; an occluder covers it fully for frames 20..40 while it keeps still, then
/// it reappears 30 px further on (it moved behind the occluder).
fn occlusion_scene(k: usize) -> Scene {
    let x = if k < 20 {
        60.0 + 2.0 * k as f32
    } else if k < 40 {
        100.0 + 1.5 * (k - 20) as f32
    } else {
        130.0 + 1.0 * (k - 40) as f32
    };
    let target = BoundingBox::new(x, 100.0, 40.0, 30.0);
    let occluder = (20..40)
        .contains(&k)
        .then(|| BoundingBox::new(85.0, 80.0, 100.0, 70.0));
    Scene {
        pan: (0.5 * k as f32, 0.0),
        target,
        occluder,
    }
}

#[test]
fn occlusion_turns_lost_without_drift_and_reappearance_is_found() {
    let first = render(&occlusion_scene(0));
    let mut t = Tracker::new(
        TrackerConfig::default(),
        &Frame::new(&first, W, H, W).unwrap(),
        occlusion_scene(0).target,
    )
    .unwrap();
    let mut states = Vec::new();
    let mut lost_boxes = Vec::new();
    for k in 1..70 {
        let s = occlusion_scene(k);
        let img = render(&s);
        let est = t.update(&Frame::new(&img, W, H, W).unwrap()).unwrap();
        states.push((k, est.state));
        if k < 18 {
            assert_eq!(
                est.state,
                TrackState::Active,
                "frame {k} before occlusion: {est:?}"
            );
            assert!(
                center_error(&est.bbox, &s.target) < 6.0,
                "frame {k}: {est:?}"
            );
        }
        if (24..40).contains(&k) {
            assert_eq!(
                est.state,
                TrackState::Lost,
                "frame {k} under the occluder: {est:?}"
            );
            assert_eq!(est.confidence, 0.0);
            lost_boxes.push(est.bbox);
        }
        if k >= 55 {
            assert_eq!(
                est.state,
                TrackState::Active,
                "frame {k} after reappearance: {est:?}"
            );
            assert!(
                center_error(&est.bbox, &s.target) < 8.0,
                "frame {k}: {est:?} vs {:?}",
                s.target
            );
        }
    }
    // While lost the box stays at the last estimate (no drift onto the occluder).
    assert!(
        lost_boxes.windows(2).all(|p| p[0] == p[1]),
        "{lost_boxes:?}"
    );
}

#[test]
fn a_vanished_target_stays_lost() {
    let first = render(&scene_at(0));
    let mut t = Tracker::new(
        TrackerConfig::default(),
        &Frame::new(&first, W, H, W).unwrap(),
        scene_at(0).target,
    )
    .unwrap();
    for k in 1..10 {
        let img = render(&scene_at(k));
        t.update(&Frame::new(&img, W, H, W).unwrap()).unwrap();
    }
    // The target is gone: background only, still panning.
    let mut lost = 0;
    for k in 10..60 {
        let mut s = scene_at(k);
        s.target = BoundingBox::new(-100.0, -100.0, 1.0, 1.0);
        let img = render(&s);
        let est = t.update(&Frame::new(&img, W, H, W).unwrap()).unwrap();
        if est.state == TrackState::Lost {
            lost += 1;
        }
    }
    assert!(
        lost >= 45,
        "lost in only {lost} of 50 frames without the target"
    );
}

#[test]
fn bad_start_boxes_and_frames_are_errors() {
    let img = render(&scene_at(0));
    let f = Frame::new(&img, W, H, W).unwrap();
    let cfg = TrackerConfig::default;
    for b in [
        BoundingBox::new(f32::NAN, 10.0, 20.0, 20.0),
        BoundingBox::new(10.0, 10.0, 0.0, 20.0),
        BoundingBox::new(10.0, 10.0, -5.0, 20.0),
        BoundingBox::new(10.0, 10.0, 2.0, 2.0),
        BoundingBox::new(310.0, 10.0, 20.0, 20.0),
        BoundingBox::new(-1.0, 10.0, 20.0, 20.0),
        BoundingBox::new(0.0, 0.0, 400.0, 20.0),
        BoundingBox::new(0.0, 0.0, 20.0, f32::INFINITY),
    ] {
        assert!(
            matches!(Tracker::new(cfg(), &f, b), Err(StartError::Box(_))),
            "{b:?}"
        );
    }
    assert!(Frame::new(&img, 0, H, W).is_err());
    assert!(Frame::new(&img, W, H, W - 1).is_err());
    assert!(Frame::new(&img[..W * H - 1], W, H, W).is_err());
    assert!(Frame::new(&img, W, H, usize::MAX).is_err());
    let mut t = Tracker::new(cfg(), &f, scene_at(0).target).unwrap();
    let small = Frame::new(&img, W / 2, H / 2, W).unwrap();
    assert!(matches!(
        t.update(&small),
        Err(FrameError::SizeChanged { .. })
    ));
    // The tracker goes on after the error.
    assert_eq!(t.update(&f).unwrap().state, TrackState::Active);
    // A whole-frame box, a box touching the corner, a 1-row frame: no panic.
    let _ = Tracker::new(cfg(), &f, BoundingBox::new(0.0, 0.0, W as f32, H as f32))
        .unwrap()
        .update(&f);
    let _ = Tracker::new(cfg(), &f, BoundingBox::new(316.0, 236.0, 4.0, 4.0))
        .unwrap()
        .update(&f);
    let row = Frame::new(&img[..W], W, 1, W).unwrap();
    assert!(Tracker::new(cfg(), &row, BoundingBox::new(0.0, 0.0, 10.0, 1.0)).is_err());
}

#[test]
fn a_point_on_the_target_gives_its_box() {
    let s = scene_at(0);
    let img = render(&s);
    let f = Frame::new(&img, W, H, W).unwrap();
    let (cx, cy) = s.target.center();
    for (px, py) in [(cx, cy), (cx - 8.0, cy + 5.0), (cx + 10.0, cy - 6.0)] {
        let b = box_from_point(&f, px, py, 10.0).unwrap();
        let iou = iou(&b, &s.target);
        assert!(iou > 0.5, "point {px},{py}: {b:?} iou {iou}");
    }
    assert!(box_from_point(&f, -1.0, 10.0, 5.0).is_err());
    assert!(box_from_point(&f, 10.0, 240.0, 5.0).is_err());
    assert!(box_from_point(&f, 10.0, 10.0, f32::NAN).is_err());
    assert!(box_from_point(&f, 10.0, 10.0, 0.0).is_err());
    // A corner point still gives a box inside the frame.
    let b = box_from_point(&f, 1.0, 1.0, 10.0).unwrap();
    assert!(
        b.x >= 0.0 && b.y >= 0.0 && b.x + b.w <= W as f32 && b.y + b.h <= H as f32,
        "{b:?}"
    );
}

fn iou(a: &BoundingBox, b: &BoundingBox) -> f32 {
    let x0 = a.x.max(b.x);
    let y0 = a.y.max(b.y);
    let x1 = (a.x + a.w).min(b.x + b.w);
    let y1 = (a.y + a.h).min(b.y + b.h);
    let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
    inter / (a.w * a.h + b.w * b.h - inter)
}

#[test]
fn memory_depends_on_the_grid_not_on_the_frame_or_the_box() {
    let mut seen = Vec::new();
    for (fw, fh, side) in [(160, 120, 20.0), (1280, 720, 40.0), (3840, 2160, 400.0)] {
        let img: Vec<u8> = (0..fw * fh)
            .map(|i| (background((i % fw) as f32, (i / fw) as f32)) as u8)
            .collect();
        let f = Frame::new(&img, fw, fh, fw).unwrap();
        let b = BoundingBox::new(fw as f32 / 2.0, fh as f32 / 2.0, side, side);
        let mut t = Tracker::new(TrackerConfig::default(), &f, b).unwrap();
        t.update(&f).unwrap();
        seen.push(t.memory_bytes());
    }
    assert!(seen.windows(2).all(|p| p[0] == p[1]), "{seen:?}");
    // A square box: a 28 × 28 grid of 10 channels; well under the 921 600 bytes of one 720p frame.
    assert!(seen[0] < 400 * 1024, "{seen:?}");
}
