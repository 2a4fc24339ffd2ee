#![allow(clippy::disallowed_methods)] // loopback tests
//! `siyi-bridge track` on H.264: the committed clip `fixtures/track/pan_96x64.h264` (the
//! committed `.y4m` clip encoded with OpenH264, made by `regenerate_h264_clip`), an `rtsp://`
//! stream from a loopback server, and bad `.h264` files.

mod video_common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

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

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/track")
}

/// The H.264 clip is tracked like the `.y4m` it was made from: 24 lines, each box within
/// 2 px of the committed boxes of the `.y4m`, decoding time reported apart.
#[test]
fn the_committed_h264_clip_tracks_like_its_y4m() {
    let clip = fixtures().join("pan_96x64.h264");
    let (ok, stdout, stderr) = track(&["--video", clip.to_str().unwrap(), "--init", "30,24,16,12"]);
    assert!(ok, "{stderr}");
    let got = lines(&stdout);
    let expected = std::fs::read_to_string(fixtures().join("pan_96x64.expected.jsonl")).unwrap();
    let expected = lines(&expected);
    assert_eq!(got.len(), expected.len(), "{stdout}");
    for (g, e) in got.iter().zip(&expected) {
        for key in ["x", "y", "w", "h"] {
            let (a, b) = (g[key].as_f64().unwrap(), e[key].as_f64().unwrap());
            assert!((a - b).abs() <= 2.0, "{key}: {g} vs {e}");
        }
        assert!(g["decode_ms"].as_f64().is_some(), "{g}");
    }
    assert_eq!(got.last().unwrap()["state"], "active");
    assert!(stderr.contains("decode ms per frame p50"), "{stderr}");
    assert!(stderr.contains("track ms per frame p50"), "{stderr}");
    assert!(stderr.contains("decoder refused 0 frames"), "{stderr}");
}

#[test]
fn an_rtsp_stream_is_tracked_for_the_frames_asked() {
    let (w, h) = (320, 240);
    let server = video_common::serve(
        video_common::Mode::Play,
        video_common::encode_scene(w, h, 40, 30),
    );
    let (x, y, bw, bh) = video_common::target_at(0, w, h);
    let init = format!("{x},{y},{bw},{bh}");
    let (ok, stdout, stderr) = track(&["--video", &server.url, "--init", &init, "--frames", "30"]);
    assert!(ok, "{stderr}");
    let got = lines(&stdout);
    assert_eq!(got.len(), 30, "{stderr}");
    assert!(stderr.contains("video: playing H.264 320x240"), "{stderr}");
    let (tx, _, _, _) = video_common::target_at(29, w, h);
    let x29 = got[29]["x"].as_f64().unwrap();
    assert!((x29 - tx as f64).abs() < 4.0, "{} vs {tx}", got[29]);
}

#[test]
fn bad_h264_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.h264");
    std::fs::write(&junk, b"not a video at all, no start code").unwrap();
    let (ok, _, stderr) = track(&["--video", junk.to_str().unwrap(), "--init", "1,1,8,8"]);
    assert!(!ok);
    assert!(stderr.contains("no H.264 picture decoded"), "{stderr}");
    // The clip cut in half: the frames before the cut are tracked, the run ends cleanly.
    let clip = std::fs::read(fixtures().join("pan_96x64.h264")).unwrap();
    let cut = dir.path().join("cut.h264");
    std::fs::write(&cut, &clip[..clip.len() / 2]).unwrap();
    let (ok, stdout, stderr) = track(&["--video", cut.to_str().unwrap(), "--init", "30,24,16,12"]);
    assert!(ok, "{stderr}");
    let n = lines(&stdout).len();
    assert!((5..24).contains(&n), "{n} lines");
    // A start box outside the picture.
    let (ok, _, stderr) = track(&[
        "--video",
        fixtures().join("pan_96x64.h264").to_str().unwrap(),
        "--init",
        "90,60,20,20",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("starting the tracker on a 96x64 video"),
        "{stderr}"
    );
}

/// Writes `fixtures/track/pan_96x64.h264` from `pan_96x64.y4m` (OpenH264, 1 Mbit/s, one key
/// frame). Run by hand: `cargo test --test track_h264 -- --ignored regenerate_h264_clip`.
#[test]
#[ignore = "writes fixtures/track/pan_96x64.h264"]
fn regenerate_h264_clip() {
    let file = std::fs::File::open(fixtures().join("pan_96x64.y4m")).unwrap();
    let mut reader = siyi_bridge::cli::y4m::Y4mReader::new(std::io::BufReader::new(file)).unwrap();
    let (w, h) = (reader.header().width, reader.header().height);
    let mut enc = video_common::encoder(1_000_000, 300);
    let mut out = Vec::new();
    while let Some(luma) = reader.next_frame().unwrap() {
        let yuv = video_common::yuv(luma, w, h);
        out.extend(enc.encode(&yuv).unwrap().to_vec());
    }
    std::fs::write(fixtures().join("pan_96x64.h264"), out).unwrap();
}
