//! `siyi-bridge track` as a user runs it: the built binary on generated `.y4m` files (a textured
//! square moving over a textured background), good and bad.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const W: usize = 240;
const H: usize = 180;
const FRAMES: usize = 30;

fn texture(x: usize, y: usize, seed: usize) -> u8 {
    let h = (x / 3 * 7919 + y / 3 * 104_729 + seed * 1_299_709) % 1_000_003;
    (h % 200) as u8 + 20
}

/// The target's top-left corner in frame `k` (a 30 × 24 box moving right and down).
fn target_at(k: usize) -> (usize, usize) {
    (60 + 3 * k, 50 + k)
}

fn luma(k: usize) -> Vec<u8> {
    let (tx, ty) = target_at(k);
    let mut img = vec![0u8; W * H];
    for y in 0..H {
        for x in 0..W {
            let inside = (tx..tx + 30).contains(&x) && (ty..ty + 24).contains(&y);
            img[y * W + x] = if inside {
                if (x - tx) / 6 % 2 == (y - ty) / 6 % 2 {
                    230
                } else {
                    30
                }
            } else {
                texture(x + k, y, 1) / 2 + 60
            };
        }
    }
    img
}

fn write_y4m(path: &Path, colour: &str, frames: usize) {
    let mut v = format!("YUV4MPEG2 W{W} H{H} F30:1 Ip A1:1 C{colour}\n").into_bytes();
    for k in 0..frames {
        v.extend_from_slice(b"FRAME\n");
        v.extend_from_slice(&luma(k));
        if colour != "mono" {
            v.extend(std::iter::repeat_n(128u8, 2 * (W / 2) * (H / 2)));
        }
    }
    std::fs::write(path, v).unwrap();
}

fn track(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
        .arg("track")
        .args(args)
        .output()
        .expect("binary runs");
    (
        out.status.success(),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn video(dir: &tempfile::TempDir, name: &str, colour: &str, frames: usize) -> PathBuf {
    let p = dir.path().join(name);
    write_y4m(&p, colour, frames);
    p
}

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

#[test]
fn follows_the_target_with_one_line_per_frame() {
    let dir = tempfile::tempdir().unwrap();
    for colour in ["mono", "420jpeg"] {
        let v = video(&dir, &format!("{colour}.y4m"), colour, FRAMES);
        let (ok, stdout, stderr) =
            track(&["--video", v.to_str().unwrap(), "--init", "60,50,30,24"]);
        assert!(ok, "{stderr}");
        assert!(
            stdout.starts_with(r#"{"frame": 0, "x": 60.0, "y": 50.0, "w": 30.0, "h": 24.0, "state": "active", "confidence": 1.00, "ms": "#),
            "{stdout}"
        );
        let l = lines(&stdout);
        assert_eq!(l.len(), FRAMES);
        for (k, j) in l.iter().enumerate() {
            assert_eq!(j["frame"], k as u64);
            assert_eq!(j["state"], "active", "frame {k}: {j}");
            let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 8, "{j}");
            let (tx, ty) = target_at(k);
            let (x, y) = (j["x"].as_f64().unwrap(), j["y"].as_f64().unwrap());
            assert!(
                (x - tx as f64).abs() < 4.0 && (y - ty as f64).abs() < 4.0,
                "frame {k}: {j}"
            );
        }
        assert!(
            stderr.contains(&format!("track: {FRAMES} frames ({W}x{H})")),
            "{stderr}"
        );
        assert!(
            stderr.contains("p50") && stderr.contains("p99") && stderr.contains("frames/s"),
            "{stderr}"
        );
    }
}

#[test]
fn the_same_video_gives_the_same_boxes_and_out_writes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let v = video(&dir, "v.y4m", "mono", 12);
    let out = dir.path().join("boxes.jsonl");
    let (ok, stdout, stderr) = track(&[
        "--video",
        v.to_str().unwrap(),
        "--init",
        "60,50,30,24",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok && stdout.is_empty(), "{stderr}");
    let strip = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split(", \"ms\"").next().unwrap().to_string())
            .collect()
    };
    let a = strip(&std::fs::read_to_string(&out).unwrap());
    let (_, again, _) = track(&["--video", v.to_str().unwrap(), "--init", "60,50,30,24"]);
    assert_eq!(a, strip(&again));
    assert_eq!(a.len(), 12);
}

#[test]
fn a_point_start_picks_the_box_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let v = video(&dir, "v.y4m", "mono", 10);
    let (ok, stdout, stderr) = track(&["--video", v.to_str().unwrap(), "--point", "75,62,8"]);
    assert!(ok, "{stderr}");
    let l = lines(&stdout);
    let (x, y, w, h) = (
        l[0]["x"].as_f64().unwrap(),
        l[0]["y"].as_f64().unwrap(),
        l[0]["w"].as_f64().unwrap(),
        l[0]["h"].as_f64().unwrap(),
    );
    // The 30 × 24 target at (60, 50): the box overlaps it mostly, not a fixed square elsewhere.
    let ix = (x + w).min(90.0) - x.max(60.0);
    let iy = (y + h).min(74.0) - y.max(50.0);
    let inter = ix.max(0.0) * iy.max(0.0);
    let iou = inter / (w * h + 720.0 - inter);
    assert!(iou > 0.5, "{}", l[0]);
    assert_eq!(l.len(), 10);
}

#[test]
fn bad_videos_and_starts_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = video(&dir, "v.y4m", "mono", 5);
    let g = good.to_str().unwrap();
    let bad_header = dir.path().join("bad.y4m");
    std::fs::write(&bad_header, b"YUV4MPEG2 W10 H10 C420p10\nFRAME\n").unwrap();
    let not_y4m = dir.path().join("x.y4m");
    std::fs::write(&not_y4m, b"\x00\x00\x00\x18ftypmp42").unwrap();
    let truncated = dir.path().join("t.y4m");
    let mut bytes = std::fs::read(&good).unwrap();
    bytes.truncate(bytes.len() - 100);
    std::fs::write(&truncated, &bytes).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--video", "/nonexistent/v.y4m", "--init", "1,1,10,10"],
            "opening",
        ),
        (
            vec!["--video", bad_header.to_str().unwrap(), "--init", "1,1,5,5"],
            "420p10",
        ),
        (
            vec!["--video", not_y4m.to_str().unwrap(), "--init", "1,1,5,5"],
            "YUV4MPEG2",
        ),
        (vec!["--video", g, "--init", "230,50,30,24"], "outside"),
        (vec!["--video", g, "--init", "10,10,0,24"], "not positive"),
        (vec!["--video", g, "--init", "10,10,-5,24"], "not positive"),
        (vec!["--video", g, "--init", "NaN,10,20,24"], "NaN"),
        (vec!["--video", g, "--init", "0,0,500,24"], "larger than"),
        (vec!["--video", g, "--init", "10,10,20"], "4 numbers"),
        (
            vec!["--video", g, "--init", "a,b,c,d"],
            "not a list of numbers",
        ),
        (vec!["--video", g, "--point", "500,10"], "outside the frame"),
        (vec!["--video", g], "--init"),
    ];
    for (args, want) in cases {
        let (ok, _, stderr) = track(&args);
        assert!(!ok, "{args:?} succeeded");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // A truncated last frame: the lines before it are written, then a clear error.
    let (ok, stdout, stderr) = track(&[
        "--video",
        truncated.to_str().unwrap(),
        "--init",
        "60,50,30,24",
    ]);
    assert!(!ok);
    assert!(stderr.contains("frame 4 is truncated"), "{stderr}");
    assert_eq!(lines(&stdout).len(), 4);
}

/// The committed clip gives the committed boxes: the tracker is deterministic, and
/// `scripts/ci-aarch64.sh` checks the same file under qemu-aarch64 (`ms` is left out: a time).
#[test]
fn the_committed_clip_gives_the_committed_boxes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/track");
    let clip = dir.join("pan_96x64.y4m");
    let (ok, stdout, stderr) = track(&["--video", clip.to_str().unwrap(), "--init", "30,24,16,12"]);
    assert!(ok, "{stderr}");
    let got: Vec<Value> = lines(&stdout)
        .into_iter()
        .map(|mut v| {
            v.as_object_mut().expect("an object").remove("ms");
            v
        })
        .collect();
    let expected = std::fs::read_to_string(dir.join("pan_96x64.expected.jsonl")).expect("fixture");
    let expected = lines(&expected);
    assert_eq!(got.len(), 24);
    assert_eq!(got, expected);
    // It also tracks: the target moves 1 px right per frame and 1 px down every third.
    let last = got.last().expect("lines");
    assert_eq!(last["state"], "active", "{last}");
    let x = last["x"].as_f64().unwrap_or(f64::NAN);
    assert!((x - 53.0).abs() < 3.0, "{last}");
}
