//! Video in against the simulator's own RTSP server (`sim::stream`, written apart from the
//! client): retina + our framing + OpenH264 play its stream, and the capture times follow its
//! RTCP sender reports through a 200 ms video delay. Loopback, ephemeral port, no sleeps.
#![allow(clippy::disallowed_methods)] // real time: capture times against the clock

use std::time::{Duration, Instant};

use siyi_bridge::io::video::clock::CaptureSource;
use siyi_bridge::io::video::decode::H264Decoder;
use siyi_bridge::io::video::rtsp::{self, RtspConfig, VideoEvent, VideoState};
use siyi_bridge::sim::scene::SimPose;
use siyi_bridge::sim::stream::{self, SceneOptions, VideoConfig};
use tokio::sync::watch;

#[test]
fn the_simulators_stream_plays_and_its_sender_reports_give_the_capture_time() {
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let pose = SimPose {
        yaw_deg: 0.0,
        pitch_deg: -20.0,
        zoom: 1.5,
        scene_time_s: 0.0,
    };
    let (_pose_tx, pose_rx) = watch::channel(pose);
    let config = VideoConfig {
        width: 320,
        height: 180,
        fps: 30,
        bitrate_bps: 1_000_000,
        delay_ms: 200,
        scene: SceneOptions::default(),
        ..VideoConfig::default()
    };
    let server = server_rt
        .block_on(stream::spawn(([127, 0, 0, 1], 0).into(), config, pose_rx))
        .expect("server");
    let mut client = RtspConfig::new(server.uri.parse().expect("uri"));
    client.stall = Duration::from_secs(5);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut dec = H264Decoder::new().expect("decoder");
    let (mut frames, mut pictures, mut by_sr) = (0, 0, 0);
    let mut ages_ms = Vec::new();
    let mut states = Vec::new();
    rt.block_on(async {
        let run = rtsp::run(client, |ev| {
            match ev {
                VideoEvent::State(s) => states.push(s),
                VideoEvent::Frame(f) => {
                    frames += 1;
                    if matches!(dec.decode(&f.unit), Ok(Some(_))) {
                        pictures += 1;
                    }
                    if f.capture_source == CaptureSource::SenderReport {
                        by_sr += 1;
                        ages_ms.push((Instant::now() - f.capture).as_secs_f64() * 1e3);
                    }
                }
            }
            frames < 45
        });
        let _ = tokio::time::timeout(Duration::from_secs(30), run).await;
    });
    assert_eq!(frames, 45, "{states:?}");
    assert!(
        states.contains(&VideoState::Playing(320, 180)),
        "{states:?}"
    );
    assert!(pictures >= 44, "{pictures} of {frames} decoded");
    // After the first sender report every frame's capture time comes from the reports, and
    // it is the 200 ms delay old on arrival (plus our decoding, under 150 ms on a loaded VM).
    assert!(by_sr >= 30, "{by_sr} frames timed by sender reports");
    ages_ms.sort_by(f64::total_cmp);
    let median = ages_ms[ages_ms.len() / 2];
    eprintln!("{by_sr} of {frames} frames timed by sender reports; age on arrival: median {median:.0} ms, min {:.0}, max {:.0}", ages_ms[0], ages_ms[ages_ms.len() - 1]);
    assert!(
        (190.0..350.0).contains(&median),
        "median age {median:.0} ms: {ages_ms:?}"
    );
    server.task.abort();
}
