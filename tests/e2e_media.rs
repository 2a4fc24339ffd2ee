//! End to end over loopback: a photo through the bridge and the simulator gets its file URL in
//! CAMERA_IMAGE_CAPTURED, and that URL serves the JPEG (after the host is mapped to the
//! simulator's web server, as `--media-url-base` would for a ground station).
#![allow(clippy::disallowed_methods)] // real time: this is the end-to-end test

mod gcs;

use std::time::{Duration, Instant};

use gcs::{p, Gcs};
use mavlink::dialects::common::{MavBool, MavCmd, MavMessage, MavResult, StorageStatus};
use siyi_bridge::config::Config;
use siyi_bridge::io::endpoint::Endpoint;

const WAIT: Duration = Duration::from_secs(10);

fn config() -> Config {
    Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().expect("addr"))])
}

async fn photo(c: &mut Gcs) -> (i32, String, Duration) {
    let t0 = Instant::now();
    let cap = c.photo().await;
    assert_eq!(cap.capture_result, MavBool::MAV_BOOL_TRUE);
    let url = cap.file_url.to_str().expect("utf-8 url").to_owned();
    (cap.image_index, url, t0.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_carry_their_file_url_and_it_serves_the_jpeg() {
    let (running, mut c) = gcs::start_bridge(config(), WAIT).await;
    let web = running.sim_web.expect("the simulator's web server");
    let (i0, url0, _) = photo(&mut c).await;
    let (i1, url1, latency) = photo(&mut c).await;
    assert_eq!((i0, i1), (0, 1));
    let base = format!("http://{web}/photo/101SIYI_IMG/");
    assert_eq!(url0, format!("{base}IMG_0001.jpg"));
    assert_eq!(url1, format!("{base}IMG_0002.jpg"));
    assert!(
        latency < Duration::from_secs(3),
        "photo → file_url took {latency:?}"
    );
    let body = reqwest::get(&url1)
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    assert_eq!(&body[..2], [0xFF, 0xD8], "a JPEG");
    assert_eq!(&body[body.len() - 2..], [0xFF, 0xD9]);

    // A card with an unknown size: NOT_SUPPORTED, so QGC's shutter stays usable.
    let r = c
        .command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[261.0]))
        .await;
    assert_eq!(r, MavResult::MAV_RESULT_ACCEPTED);
    let st = c
        .expect_msg(|m| match m {
            MavMessage::STORAGE_INFORMATION(s) => Some(s.clone()),
            _ => None,
        })
        .await;
    assert_eq!(st.status, StorageStatus::STORAGE_STATUS_NOT_SUPPORTED);
    running.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_size_given_reports_ready_with_the_files_counted() {
    let config = Config {
        sd_card_bytes: Some(1 << 30),
        media_url_base: Some("http://10.9.8.7:8082".parse().expect("url")),
        ..config()
    };
    let (running, mut c) = gcs::start_bridge(config, WAIT).await;
    let (_, url, _) = photo(&mut c).await;
    // The ground station's view of the camera: --media-url-base.
    assert_eq!(url, "http://10.9.8.7:8082/photo/101SIYI_IMG/IMG_0001.jpg");
    // The scan of the card and the new file's size arrive shortly: ask until READY.
    let deadline = Instant::now() + WAIT;
    let st = loop {
        c.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, p(&[261.0]))
            .await;
        let st = c
            .expect_msg(|m| match m {
                MavMessage::STORAGE_INFORMATION(s) => Some(s.clone()),
                _ => None,
            })
            .await;
        if st.status == StorageStatus::STORAGE_STATUS_READY && st.used_capacity > 0.0 {
            break st;
        }
        assert!(
            Instant::now() < deadline,
            "never READY with the photo counted: {st:?}"
        );
        c.expect_msg(|m| matches!(m, MavMessage::HEARTBEAT(_)).then_some(()))
            .await;
    };
    assert_eq!(st.total_capacity, 1024.0);
    assert!(
        st.used_capacity < 0.01,
        "one tiny JPEG: {}",
        st.used_capacity
    );
    assert_eq!(st.available_capacity, 1024.0 - st.used_capacity);
    running.stop().await.expect("clean stop");
}
