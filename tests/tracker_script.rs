//! `scripts/tracker_client.py`, the example tracker of `docs/tracker-api.md`, against a test
//! "bridge" on 127.0.0.1: hello, welcome, a request answered, active statuses, a clean exit.
//! Needs `python3` (as `scripts/test.sh` does for the interop scripts); without it the test
//! says so on stderr and passes.

mod tracker_lines;

use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tracker_lines::next_json;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn the_example_tracker_speaks_the_api() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/tracker_client.py");
    let spawned = Command::new("python3")
        .arg(script)
        .args(["--api", &api.to_string(), "--exit-after", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(child) = spawned else {
        eprintln!("skipped: python3 not found");
        return;
    };

    let (socket, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let hello = next_json(&mut lines, WAIT).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["version"], 1);
    write
        .write_all(b"{\"type\":\"welcome\",\"version\":1,\"bridge\":\"test\"}\n")
        .await
        .unwrap();
    write
        .write_all(b"{\"type\":\"track_point\",\"id\":7,\"x\":0.42,\"y\":0.55,\"radius\":0.05}\n")
        .await
        .unwrap();
    let answer = loop {
        let v = next_json(&mut lines, WAIT).await;
        if v["type"] == "answer" {
            break v;
        }
        assert_eq!(v["state"], "idle", "{v}");
    };
    assert_eq!(answer["id"], 7);
    assert_eq!(answer["accepted"], true);
    let status = next_json(&mut lines, WAIT).await;
    assert_eq!(status["state"], "active");
    assert!((status["point"]["x"].as_f64().unwrap() - 0.42).abs() < 0.03);
    assert_eq!(status["point"]["radius"], 0.05);
    // The statuses keep coming (ten a second).
    for _ in 0..3 {
        assert_eq!(next_json(&mut lines, WAIT).await["type"], "status");
    }
    // The script stops by itself after 2 s (--exit-after), also when this test fails.
    let out = timeout(
        WAIT,
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .expect("exits after --exit-after")
    .unwrap()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
