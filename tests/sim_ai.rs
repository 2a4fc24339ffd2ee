//! The simulator's AI tracking module (0x4D, 0x4E, 0x51, the 0x50 stream): on virtual time
//! through the sans-IO camera, and over real UDP on 127.0.0.1 through the server functions.

mod sim_common;

use std::time::Duration;

use sim_common::Rig;
use siyi_bridge::sim::camera::{AI_STREAM_HZ, LOST_AFTER_MS};
use siyi_bridge::sim::scene::{self, SimPose};
use siyi_bridge::sim::{server, SimConfig};
use siyi_protocol::{
    AiMode, AiStreamStatus, AiTarget, AiTrack, AiTrackStatus, Decidegrees, Frame, Reply, Request,
};
use tokio::net::UdpSocket;
use tokio::time::timeout;

fn with_module() -> SimConfig {
    SimConfig {
        ai_module: true,
        ..SimConfig::instant_boot()
    }
}

/// What these tests do with the simulated camera.
trait AiRig {
    fn run_tracks(&mut self, until_ms: u64) -> Vec<(u64, AiTrack, SimPose)>;
    fn point(&mut self, yaw_deg: f64, pitch_deg: f64);
}

impl AiRig for Rig {
    /// Runs every deadline up to `until_ms` after power-up; returns the 0x50 frames with their
    /// time (ms after power-up) and the pose at that time.
    fn run_tracks(&mut self, until_ms: u64) -> Vec<(u64, AiTrack, SimPose)> {
        let mut out = Vec::new();
        self.run_until_with(until_ms, |t, frame, cam| {
            if let Ok(Reply::AiTracking(track)) = Reply::from_frame(&frame) {
                out.push((t.as_millis() as u64, track, cam.pose()));
            }
        });
        out
    }

    /// Points the gimbal (SIYI yaw, positive = left) and lets it get there.
    fn point(&mut self, yaw_deg: f64, pitch_deg: f64) {
        let reply = self.ask(Request::SetAngles {
            yaw: Decidegrees((yaw_deg * 10.0).round() as i16),
            pitch: Decidegrees((pitch_deg * 10.0).round() as i16),
        });
        assert!(matches!(reply, Reply::SetAngles { .. }));
    }
}

/// The 0x50 pixels the scene predicts for `pose`, or `None` out of frame.
fn predicted(pose: &SimPose) -> Option<(f64, f64, f64, f64)> {
    scene::target_box(pose).map(|b| {
        (
            b.center_x * 1280.0,
            b.center_y * 720.0,
            b.width * 1280.0,
            b.height * 720.0,
        )
    })
}

fn assert_matches_truth(track: &AiTrack, pose: &SimPose) {
    let (x, y, w, h) = predicted(pose).expect("target in frame");
    for (got, want, what) in [
        (track.x_px, x, "x"),
        (track.y_px, y, "y"),
        (track.width_px, w, "w"),
        (track.height_px, h, "h"),
    ] {
        assert!(
            (f64::from(got) - want).abs() <= 0.5 + 1e-9,
            "{what}: {got} px, truth {want:.2} px ({track:?}, {pose:?})"
        );
    }
}

#[test]
fn without_the_module_ai_is_off_and_nothing_streams() {
    let mut rig = Rig::new(SimConfig::instant_boot());
    assert_eq!(
        rig.ask(Request::AiModeStatus),
        Reply::AiModeStatus(AiMode::Off)
    );
    assert_eq!(
        rig.ask(Request::AiStreamStatus),
        Reply::AiStreamStatus(AiStreamStatus::Off)
    );
    assert_eq!(
        rig.ask(Request::SetAiStream { on: true }),
        Reply::SetAiStream { status: 0 }
    );
    assert!(
        rig.run_tracks(2_000).is_empty(),
        "no 0x50 without the module"
    );
    let state = rig.cam.state();
    assert!(!state.ai_stream_on);
    assert_eq!(state.ai_frames_pushed, 0);
}

#[test]
fn the_stream_runs_at_30_hz_and_follows_the_gimbal() {
    let mut rig = Rig::new(with_module());
    assert_eq!(
        rig.ask(Request::AiModeStatus),
        Reply::AiModeStatus(AiMode::On)
    );
    assert_eq!(
        rig.ask(Request::AiStreamStatus),
        Reply::AiStreamStatus(AiStreamStatus::Off)
    );
    // At t = 0 the car is at azimuth 0, elevation −20: look there.
    rig.point(0.0, -20.0);
    assert_eq!(
        rig.ask(Request::SetAiStream { on: true }),
        Reply::SetAiStream { status: 1 }
    );
    assert_eq!(
        rig.ask(Request::AiStreamStatus),
        Reply::AiStreamStatus(AiStreamStatus::Streaming)
    );
    assert!(rig.cam.state().ai_stream_on);

    let frames = rig.run_tracks(1_000);
    // 30 frames a second, the first 1/30 s after the switch.
    assert_eq!(frames.len(), AI_STREAM_HZ as usize, "{}", frames.len());
    assert_eq!(frames[0].0, 33);
    for pair in frames.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!((33..=34).contains(&gap), "gap {gap} ms");
    }
    for (_, track, pose) in &frames {
        assert_eq!(track.target, AiTarget::Car);
        if pose.pitch_deg == -20.0 {
            assert_eq!(track.status, AiTrackStatus::Tracking);
            assert_matches_truth(track, pose);
        }
    }
    let (_, last, pose) = frames.last().expect("frames");
    // The car drifted right by 3.9° in that second (about 51 px).
    assert!((f64::from(last.x_px) - 640.0).abs() < 80.0, "{last:?}");
    assert_eq!(rig.cam.state().ai_frames_pushed, frames.len() as u64);
    // The state's ground truth agrees with the scene.
    let truth = rig.cam.state().target;
    assert_eq!(truth.image, scene::target_box(&rig.cam.pose()));
    assert!(pose.scene_time_s > 0.9);

    // Turn the camera left (SIYI yaw +10): the car moves right in the picture.
    let before = f64::from(last.x_px);
    rig.point(10.0, -20.0);
    let frames = rig.run_tracks(1_500);
    let (_, track, pose) = frames.last().expect("frames");
    assert_eq!(pose.yaw_deg, 10.0);
    assert_matches_truth(track, pose);
    assert!(
        f64::from(track.x_px) > before + 100.0,
        "{before} → {track:?}"
    );
    // Zoom in: the box grows six-fold.
    let w1 = track.width_px;
    rig.point(0.0, -20.0);
    assert_eq!(
        rig.ask(Request::AbsoluteZoom(siyi_protocol::Zoom {
            int: 6,
            tenths: 0
        })),
        Reply::AbsoluteZoom { status: 1 }
    );
    let frames = rig.run_tracks(2_000);
    let (_, track, pose) = frames.last().expect("frames");
    assert_eq!(pose.zoom, 6.0);
    assert_matches_truth(track, pose);
    assert!(track.width_px > 5 * w1, "{w1} → {}", track.width_px);

    // Off: no more frames.
    assert_eq!(
        rig.ask(Request::SetAiStream { on: false }),
        Reply::SetAiStream { status: 1 }
    );
    assert_eq!(
        rig.ask(Request::AiStreamStatus),
        Reply::AiStreamStatus(AiStreamStatus::Off)
    );
    assert!(rig.run_tracks(3_000).is_empty());
}

#[test]
fn out_of_frame_is_temporarily_lost_then_lost_then_found_again() {
    let mut rig = Rig::new(with_module());
    rig.point(0.0, -20.0);
    rig.ask(Request::SetAiStream { on: true });
    let frames = rig.run_tracks(500);
    let seen = frames.last().expect("frames").1;
    assert_eq!(seen.status, AiTrackStatus::Tracking);

    // Look up at the sky (pitch +25): the car (elevation −14…−26) leaves the frame.
    rig.point(0.0, 25.0);
    let frames = rig.run_tracks(6_000);
    let out_at = frames
        .iter()
        .position(|(_, t, _)| t.status != AiTrackStatus::Tracking)
        .expect("the car leaves the frame");
    let first_out = &frames[out_at];
    assert_eq!(first_out.1.status, AiTrackStatus::TemporarilyLost);
    assert!(predicted(&first_out.2).is_none());
    // While lost, the last box seen is repeated.
    let last_seen = out_at.checked_sub(1).map_or(seen, |i| frames[i].1);
    assert_eq!(
        (first_out.1.x_px, first_out.1.y_px),
        (last_seen.x_px, last_seen.y_px)
    );
    let first_lost = frames
        .iter()
        .find(|(_, t, _)| t.status == AiTrackStatus::Lost)
        .expect("lost after 3 s");
    let out_for = first_lost.0 - first_out.0;
    assert!(
        (LOST_AFTER_MS..=LOST_AFTER_MS + 34).contains(&out_for),
        "lost after {out_for} ms out of frame"
    );
    assert!(frames
        .iter()
        .filter(|(t, _, _)| *t > first_lost.0)
        .all(|(_, t, _)| t.status == AiTrackStatus::Lost));
    assert!(rig.cam.state().target.image.is_none());

    // Back down: tracking again, on the truth.
    rig.point(0.0, -20.0);
    let frames = rig.run_tracks(8_000);
    let (_, track, pose) = frames.last().expect("frames");
    let truth = rig.cam.state().target;
    assert!(truth.image.is_some());
    assert_eq!(track.status, AiTrackStatus::Tracking);
    assert_matches_truth(track, pose);
}

#[test]
fn a_reboot_switches_the_stream_off() {
    let mut rig = Rig::new(with_module());
    rig.ask(Request::SetAiStream { on: true });
    assert!(!rig.run_tracks(200).is_empty());
    rig.ask(Request::SoftReboot {
        camera: true,
        gimbal: false,
    });
    let frames = rig.run_tracks(10_000);
    assert!(
        frames.iter().all(|(t, _, _)| *t < 300),
        "frames after the reboot"
    );
    assert!(!rig.cam.state().ai_stream_on);
}

// ---- over UDP ----

const WAIT: Duration = Duration::from_secs(5);

/// Receives frames until a reply `pick` accepts (other frames, e.g. 0x50 pushes, are skipped).
async fn recv_until<T>(socket: &UdpSocket, mut pick: impl FnMut(Reply) -> Option<T>) -> T {
    let mut buf = [0u8; 512];
    let wanted = async {
        loop {
            let (len, _) = socket.recv_from(&mut buf).await.expect("recv");
            let (frame, _) = Frame::parse(&buf[..len]).expect("valid frame");
            if let Some(v) = pick(Reply::from_frame(&frame).expect("decodable")) {
                return v;
            }
        }
    };
    timeout(WAIT, wanted)
        .await
        .expect("the expected frame within 5 s")
}

#[tokio::test]
async fn over_udp_the_sequence_and_the_published_pose() {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, task, mut pose) =
        server::spawn_with_pose("127.0.0.1:0".parse().unwrap(), with_module(), async {
            let _ = stop_rx.await;
        })
        .await
        .expect("bind");
    assert!(addr.ip().is_loopback());
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let send = |req: Request| {
        let bytes = req.to_frame(3).to_bytes();
        let client = &client;
        async move { client.send_to(&bytes, addr).await.expect("send") }
    };

    send(Request::AiModeStatus).await;
    let mode = recv_until(&client, |r| match r {
        Reply::AiModeStatus(m) => Some(m),
        _ => None,
    })
    .await;
    assert_eq!(mode, AiMode::On);
    send(Request::SetAngles {
        yaw: Decidegrees(0),
        pitch: Decidegrees(-200),
    })
    .await;
    send(Request::SetAiStream { on: true }).await;
    let status = recv_until(&client, |r| match r {
        Reply::SetAiStream { status } => Some(status),
        _ => None,
    })
    .await;
    assert_eq!(status, 1);
    send(Request::AiStreamStatus).await;
    let stream = recv_until(&client, |r| match r {
        Reply::AiStreamStatus(s) => Some(s),
        _ => None,
    })
    .await;
    assert_eq!(stream, AiStreamStatus::Streaming);

    // 0x50 frames arrive; once the gimbal got there (0.22 s at 90°/s) the car is tracked near the
    // middle of the picture (it drifts slowly: 21 px in the first second).
    let near_middle =
        |t: &AiTrack| (i32::from(t.x_px) - 640).abs() < 60 && (i32::from(t.y_px) - 360).abs() < 60;
    let track = recv_until(&client, |r| match r {
        Reply::AiTracking(t) if t.status == AiTrackStatus::Tracking && near_middle(&t) => Some(t),
        _ => None,
    })
    .await;
    assert_eq!(track.target, AiTarget::Car);

    // The published pose follows the camera.
    let p = timeout(WAIT, pose.wait_for(|p| p.pitch_deg == -20.0))
        .await
        .expect("pose within 5 s")
        .expect("publisher alive")
        .to_owned();
    assert!(p.scene_time_s > 0.0);

    // Look at the sky: temporarily lost.
    send(Request::SetAngles {
        yaw: Decidegrees(0),
        pitch: Decidegrees(250),
    })
    .await;
    let lost = recv_until(&client, |r| match r {
        Reply::AiTracking(t) if t.status != AiTrackStatus::Tracking => Some(t),
        _ => None,
    })
    .await;
    assert_eq!(lost.status, AiTrackStatus::TemporarilyLost);

    stop_tx.send(()).unwrap();
    let stats = timeout(WAIT, task)
        .await
        .expect("server stops")
        .expect("task")
        .expect("io");
    assert!(stats.frames_out > 5);
}
