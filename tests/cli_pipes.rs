//! Commands whose reader goes away (`siyi-bridge replay FILE | head -1`) end quietly, and
//! multibyte text where hex is expected is an error in words: no command panics (exit 101).

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Runs the binary with stdout a pipe whose reader is closed at once, so every write the
/// command makes fails with a broken pipe. Returns the exit code and stderr.
fn run_into_a_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("binary finishes");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_each_printing_command_quietly() {
    let session = "fixtures/sessions/record_with_sd.jsonl";
    let commands: [&[&str]; 5] = [
        &["replay", session],
        &["replay", "--link", session],
        &["config", "check", "packaging/config.toml"],
        &["decode", "55 66 01 00 00 00 00 0d e8 05"],
        &[
            "track",
            "--video",
            "fixtures/track/pan_96x64.y4m",
            "--init",
            "30,24,16,12",
        ],
    ];
    for args in commands {
        let (code, stderr) = run_into_a_closed_pipe(args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// `media list` and `media pull` against the simulator's web server, into a closed pipe: the
/// list ends quietly, the pull still pulls (its lines are only a report) and exits 0.
#[test]
fn media_into_a_closed_pipe() {
    use siyi_bridge::sim::web::{self, MediaStore, WebFaults, PHOTO_DIR};
    let dir = tempfile::tempdir().expect("temp dir");
    let card = dir.path().join("card");
    std::fs::create_dir_all(card.join(PHOTO_DIR)).expect("card");
    for i in 1..=3 {
        let name = format!("IMG_{i:04}.jpg");
        std::fs::write(card.join(PHOTO_DIR).join(name), vec![i as u8; 20_000]).expect("photo");
    }
    let store = MediaStore::open(&card).expect("store");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let faults = WebFaults {
        list_delay_ms: 0,
        ..WebFaults::default()
    };
    let (addr, _task) = runtime
        .block_on(web::spawn(
            "127.0.0.1:0".parse().expect("address"),
            Some(store),
            faults,
            std::future::pending(),
        ))
        .expect("web server");
    let port = addr.port().to_string();
    let state = dir.path().join("state");
    let out = dir.path().join("out");
    let media = |cmd: &[&str]| {
        let mut args = vec![
            "media",
            "--camera",
            "127.0.0.1",
            "--media-port",
            &port,
            "--simulated",
            "--state-dir",
            state.to_str().expect("utf-8"),
        ];
        args.extend(cmd);
        run_into_a_closed_pipe(&args)
    };
    let (code, stderr) = media(&["list"]);
    assert_eq!(code, Some(0), "media list: {stderr}");
    assert!(!stderr.contains("panicked"), "media list: {stderr}");
    let (code, stderr) = media(&["pull", out.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "media pull: {stderr}");
    assert!(!stderr.contains("panicked"), "media pull: {stderr}");
    for i in 1..=3 {
        let got = std::fs::read(out.join(format!("IMG_{i:04}.jpg"))).expect("pulled");
        assert_eq!(got, vec![i as u8; 20_000]);
    }
    assert!(out.join("geo.txt").is_file(), "the geotags are written");
}

#[test]
fn multibyte_hex_is_an_error_in_words() {
    let out = Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
        .args(["decode", "€€"])
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("not a hex byte"), "{stdout}");

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("fullwidth.jsonl");
    let mut f = std::fs::File::create(&file).expect("create");
    writeln!(f, r#"{{"t_ms":1,"dir":"to_camera","hex":"５５"}}"#).expect("write");
    drop(f);
    let out = Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
        .arg("replay")
        .arg(&file)
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("５５"), "{stderr}");
}
