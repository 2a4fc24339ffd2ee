//! `siyi-bridge decode` as a user runs it: the built binary on good and bad frames.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

fn decode(args: &[&str], stdin: Option<&str>) -> (bool, Vec<Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
        .arg("decode")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("binary finishes");
    let lines = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is JSON"))
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn good_frames_as_arguments() {
    let (ok, lines, _) = decode(
        &[
            "55 66 01 00 00 00 00 0d e8 05",
            "55660208000100010802000009030000 4efc",
        ],
        None,
    );
    assert!(ok);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["cmd_id"], 13);
    assert_eq!(lines[0]["kind"], "request");
    assert_eq!(lines[0]["crc_ok"], true);
    assert_eq!(lines[1]["camera_fw"], "0.2.8");
    assert_eq!(lines[1]["kind"], "reply");
    assert_eq!(lines[1]["input"], 2);
}

#[test]
fn bad_crc_fails_with_evidence() {
    let (ok, lines, stderr) = decode(&["55 66 01 01 00 00 00 08 01 d1 13"], None);
    assert!(!ok, "a bad frame gives a non-zero exit status");
    assert_eq!(lines[0]["crc_ok"], false);
    assert_eq!(lines[0]["crc_computed"], "0x12d1");
    assert!(stderr.contains("errors"), "{stderr}");
    let (ok, lines, _) = decode(&["55 66 zz"], None);
    assert!(!ok);
    assert!(lines[0]["error"].as_str().unwrap().contains("bad hex"));
}

#[test]
fn jsonl_on_stdin_uses_dir_and_finds_every_frame() {
    let input = concat!(
        "{\"t_ms\": 0, \"dir\": \"to_camera\", \"hex\": \"55 66 02 0c 00 00 00 82 c0 a8 90 19 ff ff ff 00 c0 a8 90 01 df a6\"}\n",
        "\n",
        "{\"t_ms\": 50, \"dir\": \"from_camera\", \"hex\": \"55 66 02 02 00 33 00 18 02 05 2d 57 55 66 02 01 00 10 00 0b 00 86 94\"}\n",
        "55 66 02 0c 00 20 00 0d 7d 00 3e fe 03 00 0a 00 e7 ff 00 00 cf a4\n",
    );
    let (ok, lines, stderr) = decode(&[], Some(input));
    assert!(ok, "{stderr}");
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["kind"], "request", "dir wins over CTRL 0x02");
    assert_eq!(lines[1]["zoom_factor"], 2.5);
    assert_eq!(lines[1]["t_ms"], 50);
    assert_eq!(lines[2]["feedback"], "photo_ok");
    assert_eq!(lines[3]["yaw_deg"], 12.5);
    assert_eq!(lines[3]["input"], 4);
}

#[test]
fn ai_tracking_frames_are_printed_with_units() {
    // Constructed, not captured (siyi-protocol/tests/ai_tracking.rs): a 0x51 "on" request and
    // a 0x50 push (a car at the frame centre, 64×36 px, tracking).
    let (ok, lines, stderr) = decode(
        &[
            "55 66 01 01 00 02 00 51 01 9e 4b",
            "55 66 02 0a 00 13 00 50 80 02 68 01 40 00 24 00 01 00 7e 60",
        ],
        None,
    );
    assert!(ok, "{stderr}");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["cmd_name"], "set AI tracking stream output");
    assert_eq!(lines[0]["stream_on"], true);
    assert_eq!(lines[1]["cmd_name"], "AI tracking coordinates");
    assert_eq!(lines[1]["x_px"], 640);
    assert_eq!(lines[1]["height_px"], 36);
    assert_eq!(lines[1]["target"], "car");
    assert_eq!(lines[1]["track_sta"], "tracking");
}
