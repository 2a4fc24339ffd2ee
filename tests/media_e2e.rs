//! End to end over loopback: the bridge with the simulator (`run --simulate` in-process) takes
//! two photos, records their files in its state dir (`simulated/`), stops cleanly; then
//! `siyi-bridge media --simulated` lists and pulls them from the simulator's web server (serving
//! the same card) and matches each to the bridge's record by its file.
#![allow(clippy::disallowed_methods)] // real time: this is the end-to-end test

mod gcs;
mod media_run;

use std::process::Output;
use std::time::Duration;

use mavlink::dialects::common::MavBool;
use siyi_bridge::config::Config;
use siyi_bridge::io::endpoint::Endpoint;
use siyi_bridge::sim::web::{self, MediaStore, WebFaults};

const WAIT: Duration = Duration::from_secs(8);

fn media(port: u16, state_dir: &std::path::Path, args: &[&str]) -> Output {
    media_run::media(port, state_dir, &["--simulated"], args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_taken_through_the_bridge_are_pulled_with_their_records() {
    let root = std::env::temp_dir().join(format!("siyi-media-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (state, card) = (root.join("state"), root.join("card"));
    let config = Config {
        state_dir: Some(state.clone()),
        sim_media_dir: Some(card.clone()),
        ..Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))])
    };
    let (running, mut c) = gcs::start_bridge(config, WAIT).await;
    for want in 0..2 {
        let cap = c.photo().await;
        assert_eq!(cap.capture_result, MavBool::MAV_BOOL_TRUE);
        assert_eq!(cap.image_index, want);
        assert!(
            cap.file_url
                .to_str()
                .expect("utf-8")
                .ends_with(&format!("IMG_{:04}.jpg", want + 1)),
            "{:?}",
            cap.file_url
        );
    }
    // A clean stop writes the records, with their files, to state/simulated/.
    running.stop().await.expect("clean stop");

    // The same card behind the simulator's web server.
    let store = MediaStore::open(&card).expect("card");
    let faults = WebFaults {
        list_delay_ms: 0,
        ..WebFaults::default()
    };
    let (addr, _task) = web::spawn(
        "127.0.0.1:0".parse().expect("addr"),
        Some(store),
        faults,
        std::future::pending(),
    )
    .await
    .expect("web server");
    let port = addr.port();
    let out = root.join("out");
    let (l, pull) = tokio::task::spawn_blocking(move || {
        let l = media(port, &state, &["list"]);
        let pull = media(port, &state, &["pull", out.to_str().expect("utf-8")]);
        (l, pull)
    })
    .await
    .expect("media runs");
    assert!(l.status.success());
    let table = String::from_utf8_lossy(&l.stdout).into_owned();
    for (index, name) in [(0, "IMG_0001.jpg"), (1, "IMG_0002.jpg")] {
        assert!(
            table
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{index} "))
                    && line.contains(name)),
            "{table}"
        );
    }
    assert!(pull.status.success());
    let text = String::from_utf8_lossy(&pull.stdout).into_owned();
    assert!(
        text.contains("2 photos: 2 downloaded, 0 skipped (complete), 0 resumed, 0 failed"),
        "{text}"
    );
    // No autopilot, so no position: matched to their records, but no geotag (never guessed).
    assert!(
        text.contains("/photo/101SIYI_IMG/IMG_0001.jpg (image 0): no position recorded")
            && text.contains("/photo/101SIYI_IMG/IMG_0002.jpg (image 1): no position recorded"),
        "{text}"
    );
    for name in ["IMG_0001.jpg", "IMG_0002.jpg"] {
        assert_eq!(
            std::fs::read(root.join("out").join(name)).expect("pulled"),
            std::fs::read(card.join("101SIYI_IMG").join(name)).expect("on the card")
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
