use super::*;

fn pose(yaw_deg: f64, pitch_deg: f64, zoom: f64, t: f64) -> SimPose {
    SimPose {
        yaw_deg,
        pitch_deg,
        zoom,
        scene_time_s: t,
    }
}

/// Pixels painted in the car's body colour (luma 215 and its chroma).
fn body_pixels(f: &I420Frame) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for y in 0..f.height {
        for x in 0..f.width {
            let c = (y / 2) * (f.width / 2) + x / 2;
            if f.luma(x, y) == 215 && f.u[c] == 40 && f.v[c] == 150 {
                out.push((x, y));
            }
        }
    }
    out
}

#[test]
fn the_car_is_drawn_where_scene_projects_it() {
    let r = Renderer::new(SceneOptions::default());
    // Looking at the car, beside it, and zoomed in, at several times.
    for (yaw, pitch, zoom, t) in [
        (0.0, -20.0, 1.0, 0.0),
        (-5.0, -15.0, 1.0, 3.0),
        (3.0, -22.0, 4.0, 0.5),
        (-20.0, -25.0, 2.0, 9.0),
    ] {
        let p = pose(yaw, pitch, zoom, t);
        let b = scene::target_box(&p).expect("the car is in view");
        let ours = target_box(&p).expect("our box");
        for (x, y) in [
            (ours.center_x, b.center_x),
            (ours.center_y, b.center_y),
            (ours.width, b.width),
            (ours.height, b.height),
        ] {
            assert!((x - y).abs() < 1e-9, "same box as scene.rs: {ours:?} {b:?}");
        }
        let f = r.render(&p, 320, 180, 0);
        let body = body_pixels(&f);
        assert!(body.len() > 10, "{p:?}: {} body pixels", body.len());
        for &(x, y) in &body {
            let (nx, ny) = ((x as f64 + 0.5) / 320.0, (y as f64 + 0.5) / 180.0);
            assert!(
                b.contains(nx, ny),
                "{p:?}: body pixel {x},{y} outside {b:?}"
            );
        }
        // The body band is filled: every pixel centre in its rows and the box's width.
        let (l, _, rr, _) = b.clipped_edges();
        let cy = b.center_y - b.height / 2.0 + b.height * 0.5;
        let row = (cy * 180.0 - 0.5).round() as usize;
        let (x0, x1) = ((l * 320.0).ceil() as usize, (rr * 320.0).floor() as usize);
        for x in x0 + 1..x1.saturating_sub(1) {
            assert_eq!(f.luma(x, row), 215, "{p:?}: pixel {x},{row} in the body");
        }
    }
}

#[test]
fn rendering_is_deterministic_and_the_noise_seeded() {
    let p = pose(2.0, -18.0, 1.5, 4.0);
    let quiet = SceneOptions::default();
    let noisy = SceneOptions {
        noise: 6,
        second_car: true,
        tree: true,
        seed: 9,
    };
    let (a, b) = (Renderer::new(quiet), Renderer::new(quiet));
    assert_eq!(a.render(&p, 160, 90, 0), b.render(&p, 160, 90, 7));
    let n = Renderer::new(noisy);
    let f0 = n.render(&p, 160, 90, 0);
    assert_eq!(f0, Renderer::new(noisy).render(&p, 160, 90, 0));
    assert_ne!(f0, n.render(&p, 160, 90, 1), "the noise changes per frame");
    let diff: i64 =
        f0.y.iter()
            .zip(&n.render(&p, 160, 90, 1).y)
            .map(|(&x, &y)| (i64::from(x) - i64::from(y)).abs())
            .max()
            .unwrap_or(0);
    assert!(
        diff <= 12,
        "noise of ±6 moves a pixel by at most 12: {diff}"
    );
}

#[test]
fn the_ground_is_textured_and_moves_with_the_gimbal() {
    let r = Renderer::new(SceneOptions::default());
    let (w, h) = (320usize, 180usize);
    // Looking down at the ground, far from the car.
    let a = r.render(&pose(-90.0, -30.0, 1.0, 0.0), w, h, 0);
    let mean = a.y.iter().map(|&v| f64::from(v)).sum::<f64>() / a.y.len() as f64;
    let var =
        a.y.iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / a.y.len() as f64;
    assert!(var > 100.0, "texture variance {var}");
    // The camera turns 2° right (SIYI yaw −2): the picture moves left by as much as the
    // direction at the centre moves in the new picture (about 5.7 px of 320 at pitch −30°).
    let (pa, pb) = (pose(-90.0, -30.0, 1.0, 0.0), pose(-92.0, -30.0, 1.0, 0.0));
    let centre = scene::unproject(&pa, 0.5, 0.5).unwrap();
    let moved = (0.5 - scene::project_point(&pb, centre).unwrap().0) * w as f64;
    let b = r.render(&pb, w, h, 0);
    let sad = |shift: usize| -> u64 {
        let mut s = 0u64;
        for y in 60..120 {
            for x in 100..220 {
                s += u64::from(a.luma(x, y).abs_diff(b.luma(x - shift, y)));
            }
        }
        s
    };
    let best = (0..20).min_by_key(|&s| sad(s)).unwrap_or(0);
    assert!(
        (best as f64 - moved).abs() <= 1.0,
        "best shift {best} px, expected {moved:.1}"
    );
    assert!(
        sad(best) * 2 < sad(0),
        "the texture tells the shift: {} vs {}",
        sad(best),
        sad(0)
    );
}

#[test]
fn the_tree_hides_the_car_for_about_a_second_twice_a_period() {
    let opts = SceneOptions {
        tree: true,
        ..SceneOptions::default()
    };
    let r = Renderer::new(opts);
    let looking_at = |t: f64| {
        let d = scene::target_direction(t);
        pose(-d.azimuth_deg, d.elevation_deg, 2.0, t)
    };
    assert!(tree_hides_target(2.62) && tree_hides_target(17.38));
    assert!(body_pixels(&r.render(&looking_at(2.62), 320, 180, 0)).is_empty());
    assert!(!body_pixels(&r.render(&looking_at(5.0), 320, 180, 0)).is_empty());
    // Hidden intervals over one 40 s period, 10 ms steps.
    let mut spans = Vec::new();
    let mut start = None;
    for i in 0..4000 {
        let t = f64::from(i) * 0.01;
        match (tree_hides_target(t), start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                spans.push((s, t - s));
                start = None;
            }
            _ => {}
        }
    }
    assert_eq!(spans.len(), 2, "{spans:?}");
    for (s, len) in spans {
        assert!((0.8..1.3).contains(&len), "hidden {len} s from {s}");
    }
}

#[test]
fn the_second_car_never_overlaps_the_car() {
    for i in 0..60_000 {
        let t = f64::from(i) * 0.01;
        let (a, b) = (scene::target_direction(t), second_car_direction(t));
        let apart = (a.azimuth_deg - b.azimuth_deg).abs() > scene::TARGET_WIDTH_DEG
            || (a.elevation_deg - b.elevation_deg).abs() > scene::TARGET_HEIGHT_DEG;
        assert!(apart, "t = {t}: {a:?} {b:?}");
    }
    let opts = SceneOptions {
        second_car: true,
        ..SceneOptions::default()
    };
    let p = pose(0.0, -23.0, 1.0, 0.0);
    let f = Renderer::new(opts).render(&p, 320, 180, 0);
    let b2 = second_car_box(&p).unwrap();
    let (x, y) = (
        (b2.center_x * 320.0) as usize,
        ((b2.center_y - b2.height * 0.1) * 180.0) as usize,
    );
    assert_eq!(f.luma(x, y + (b2.height * 180.0 * 0.15) as usize), 200);
}
