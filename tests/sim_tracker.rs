//! The simulated tracker process: its sans-IO model on virtual time (locks, status cadence,
//! lost → error) and its TCP shell against a test "bridge" on 127.0.0.1 (no sleeps).

mod tracker_lines;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use siyi_bridge::sim::scene::{self, SimPose};
use siyi_bridge::sim::tracker::{TrackerModel, LOST_TO_ERROR_MS, STATUS_PERIOD_MS};
use siyi_bridge::sim::tracker_client;
use siyi_bridge::testing::SpinGuard;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tracker_lines::next_json;

/// The one real clock read of the virtual-time tests: an arbitrary origin.
#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A camera looking straight at the car at scene time `t_s` (the car in the picture's centre).
fn looking_at_target(t_s: f64, zoom: f64) -> SimPose {
    let d = scene::target_direction(t_s);
    SimPose {
        yaw_deg: -d.azimuth_deg,
        pitch_deg: d.elevation_deg,
        zoom,
        scene_time_s: t_s,
    }
}

/// A fixed camera (yaw, pitch in SIYI degrees) at scene time `t_s`.
fn fixed(yaw_deg: f64, pitch_deg: f64, t_s: f64) -> SimPose {
    SimPose {
        yaw_deg,
        pitch_deg,
        zoom: 1.0,
        scene_time_s: t_s,
    }
}

/// The model on virtual time, with a pose that is a function of scene time.
struct Rig {
    model: TrackerModel,
    t0: Instant,
    now: Instant,
    camera: Box<dyn Fn(f64) -> Option<SimPose>>,
    lines: Vec<(u64, Value)>,
}

impl Rig {
    /// Connected and welcomed; the hello and the first idle status are checked and consumed.
    fn new(camera: impl Fn(f64) -> Option<SimPose> + 'static) -> Self {
        let t0 = origin();
        let mut rig = Self {
            model: TrackerModel::new(),
            t0,
            now: t0,
            camera: Box::new(camera),
            lines: Vec::new(),
        };
        let hello = rig.take();
        assert_eq!(hello.len(), 1);
        assert_eq!(hello[0]["type"], "hello");
        assert_eq!(hello[0]["version"], 1);
        rig.line(json!({"type": "welcome", "version": 1, "bridge": "test"}));
        let first = rig.take();
        assert_eq!(first, [json!({"type": "status", "state": "idle"})]);
        rig
    }

    fn pose(&self) -> Option<SimPose> {
        (self.camera)((self.now - self.t0).as_secs_f64())
    }

    fn line(&mut self, msg: Value) {
        let pose = self.pose();
        self.model
            .handle_line(self.now, pose.as_ref(), &msg.to_string());
        self.collect();
    }

    fn collect(&mut self) {
        let at = (self.now - self.t0).as_millis() as u64;
        while let Some(line) = self.model.poll_line() {
            let v: Value = serde_json::from_str(&line).expect("JSON line");
            self.lines.push((at, v));
        }
    }

    /// Lines produced since the last call.
    fn take(&mut self) -> Vec<Value> {
        self.collect();
        std::mem::take(&mut self.lines)
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }

    /// Runs every deadline up to `until_ms`; returns the lines with their time (ms).
    fn run_until(&mut self, until_ms: u64) -> Vec<(u64, Value)> {
        let end = self.t0 + ms(until_ms);
        let mut guard = SpinGuard::new("tracker run_until", self.t0);
        while let Some(t) = self.model.poll_timeout().filter(|&t| t <= end) {
            guard.tick(t, t);
            self.now = t;
            let pose = self.pose();
            self.model.handle_timeout(t, pose.as_ref());
            self.collect();
        }
        self.now = end;
        std::mem::take(&mut self.lines)
    }

    fn at(&mut self, t_ms: u64) {
        self.run_until(t_ms);
    }
}

fn answer(v: &Value) -> (u64, bool) {
    assert_eq!(v["type"], "answer", "{v}");
    (
        v["id"].as_u64().expect("id"),
        v["accepted"].as_bool().expect("accepted"),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn status_every_100_ms_when_idle() {
    let mut rig = Rig::new(|t| Some(fixed(0.0, 0.0, t)));
    let lines = rig.run_until(1_000);
    assert_eq!(lines.len(), 10, "{lines:?}");
    for (i, (t, v)) in lines.iter().enumerate() {
        assert_eq!(*t, (i as u64 + 1) * STATUS_PERIOD_MS);
        assert_eq!(v["state"], "idle");
    }
}

#[test]
fn a_point_on_the_car_locks_on_the_car() {
    // A fixed camera at yaw 0, pitch −20: the car moves across the picture.
    let mut rig = Rig::new(|t| Some(fixed(0.0, -20.0, t)));
    rig.at(2_000);
    let pose = rig.pose().unwrap();
    let b = scene::target_box(&pose).expect("car in frame");
    rig.line(
        json!({"type": "track_point", "id": 7, "x": b.center_x, "y": b.center_y, "radius": 0.03}),
    );
    let out = rig.take();
    assert_eq!(answer(&out[0]), (7, true));
    assert_eq!(out[1]["state"], "active", "a status at once on the change");
    assert!(close(out[1]["point"]["x"].as_f64().unwrap(), b.center_x));
    assert!(close(out[1]["point"]["radius"].as_f64().unwrap(), 0.03));

    // Four seconds later the car moved (12.5° of azimuth); the point follows it.
    let lines = rig.run_until(6_000);
    let (_, last) = lines.last().expect("statuses");
    let truth = scene::target_box(&rig.pose().unwrap()).expect("still in frame");
    assert_eq!(last["state"], "active");
    let x = last["point"]["x"].as_f64().unwrap();
    assert!(
        (x - truth.center_x).abs() < 0.02,
        "{x} vs {}",
        truth.center_x
    );
    assert!(
        x - b.center_x > 0.1,
        "the point moved with the car: {} → {x}",
        b.center_x
    );
    // Status cadence while active: every 100 ms.
    for pair in lines.windows(2) {
        assert!(pair[1].0 - pair[0].0 <= STATUS_PERIOD_MS);
    }
}

#[test]
fn a_rectangle_on_the_car_reports_the_car_box() {
    let mut rig = Rig::new(|t| Some(looking_at_target(t, 3.0)));
    rig.at(500);
    rig.line(
        json!({"type": "track_rectangle", "id": 8, "top_left_x": 0.45, "top_left_y": 0.45,
        "bottom_right_x": 0.55, "bottom_right_y": 0.55}),
    );
    let out = rig.take();
    assert_eq!(answer(&out[0]), (8, true));
    let rect = &out[1]["rectangle"];
    let b = scene::target_box(&rig.pose().unwrap()).unwrap();
    let (l, t, r, bo) = b.clipped_edges();
    assert!(close(rect["top_left_x"].as_f64().unwrap(), l));
    assert!(close(rect["top_left_y"].as_f64().unwrap(), t));
    assert!(close(rect["bottom_right_x"].as_f64().unwrap(), r));
    assert!(close(rect["bottom_right_y"].as_f64().unwrap(), bo));
    // The car's box at 3× (4° of a 2·atan(tan(40.5°)/3) field), not the requested 0.1 × 0.1.
    let want = 3.0 * 2f64.to_radians().tan() / 40.5f64.to_radians().tan();
    assert!((r - l - want).abs() < 1e-9, "{} vs {want}", r - l);
}

#[test]
fn a_point_beside_the_car_locks_on_the_background() {
    // The camera turns slowly left (SIYI yaw +1°/s) from yaw 0, pitch −20.
    let mut rig = Rig::new(|t| Some(fixed(t, -20.0, t)));
    rig.at(1_000);
    let pose0 = rig.pose().unwrap();
    let (x0, y0) = (0.2, 0.3);
    assert!(!scene::target_box(&pose0).unwrap().contains(x0, y0));
    let dir = scene::unproject(&pose0, x0, y0).unwrap();
    rig.line(
        json!({"type": "track_rectangle", "id": 9, "top_left_x": 0.15, "top_left_y": 0.25,
        "bottom_right_x": 0.25, "bottom_right_y": 0.35}),
    );
    assert_eq!(answer(&rig.take()[0]), (9, true));
    let lines = rig.run_until(4_000);
    let (_, last) = lines.last().unwrap();
    // The same world direction, seen from the turned camera, with the requested size.
    let (x, y) = scene::project_point(&rig.pose().unwrap(), dir).unwrap();
    let rect = &last["rectangle"];
    let l = rect["top_left_x"].as_f64().unwrap();
    let r = rect["bottom_right_x"].as_f64().unwrap();
    let t = rect["top_left_y"].as_f64().unwrap();
    let b = rect["bottom_right_y"].as_f64().unwrap();
    assert!(
        close((l + r) / 2.0, x) && close((t + b) / 2.0, y),
        "{rect} vs {x},{y}"
    );
    assert!(close(r - l, 0.1) && close(b - t, 0.1));
    assert!(
        x > x0 + 0.02,
        "turning left moves the background right: {x0} → {x}"
    );
}

#[test]
fn lost_out_of_frame_then_error_after_3_s() {
    // On the car until 2 s, then the camera looks at the sky.
    let mut rig = Rig::new(|t| {
        Some(if t < 2.0 {
            looking_at_target(t, 1.0)
        } else {
            fixed(0.0, 25.0, t)
        })
    });
    rig.at(1_000);
    rig.line(json!({"type": "track_point", "id": 1, "x": 0.5, "y": 0.5, "radius": 0.05}));
    assert_eq!(answer(&rig.take()[0]), (1, true));
    let lines = rig.run_until(8_000);
    let first_lost = lines
        .iter()
        .find(|(_, v)| v["state"] == "lost")
        .expect("lost");
    assert_eq!(
        first_lost.0, 2_000,
        "lost as soon as the car leaves the frame"
    );
    let error = lines
        .iter()
        .find(|(_, v)| v["state"] == "error")
        .expect("error");
    assert_eq!(error.0 - first_lost.0, LOST_TO_ERROR_MS);
    assert_eq!(error.1["reason"], "target lost");
    assert!(lines
        .iter()
        .filter(|(t, _)| *t > first_lost.0 && *t < error.0)
        .all(|(_, v)| v["state"] == "lost"));
    // The error stays until a new request; statuses keep coming every 100 ms.
    let after: Vec<_> = lines.iter().filter(|(t, _)| *t > error.0).collect();
    assert!(after.len() >= 25);
    assert!(after.iter().all(|(_, v)| v["state"] == "error"));
    rig.line(json!({"type": "track_off", "id": 2}));
    let out = rig.take();
    assert_eq!(answer(&out[0]), (2, true));
    assert_eq!(out[1], json!({"type": "status", "state": "idle"}));
}

#[test]
fn refusals() {
    let mut rig = Rig::new(|_| None);
    rig.line(json!({"type": "track_point", "id": 3, "x": 0.5, "y": 0.5, "radius": 0.05}));
    let out = rig.take();
    assert_eq!(answer(&out[0]), (3, false));
    assert_eq!(out[0]["reason"], "camera pose unknown");
    let mut rig = Rig::new(|t| Some(fixed(0.0, 0.0, t)));
    for bad in [
        json!({"type": "track_point", "id": 4, "x": 1.5, "y": 0.5, "radius": 0.05}),
        json!({"type": "track_point", "id": 4, "x": 0.5, "y": 0.5, "radius": -1.0}),
        json!({"type": "track_rectangle", "id": 4, "top_left_x": 0.6, "top_left_y": 0.4,
            "bottom_right_x": 0.5, "bottom_right_y": 0.6}),
    ] {
        rig.line(bad);
        let out = rig.take();
        assert_eq!(answer(&out[0]), (4, false), "{out:?}");
        assert!(out[0]["reason"].is_string());
    }
    assert_eq!(rig.model.stats().refused, 3);
}

// ---- the TCP shell against a test bridge ----

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn the_client_speaks_to_a_bridge_and_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    // The camera looks at the car at scene time 0: it is in the middle of the picture.
    let (pose_tx, pose_rx) = tokio::sync::watch::channel(looking_at_target(0.0, 2.0));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let client = tokio::spawn(tracker_client::run(api, pose_rx, async {
        let _ = stop_rx.await;
    }));

    let (socket, peer) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    assert!(peer.ip().is_loopback());
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let hello = next_json(&mut lines, WAIT).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["version"], 1);
    write
        .write_all(b"{\"type\":\"welcome\",\"version\":1,\"bridge\":\"test\"}\n")
        .await
        .unwrap();
    assert_eq!(next_json(&mut lines, WAIT).await["state"], "idle");
    // An over-long line is discarded; the connection stays open.
    let long = format!(
        "{{\"type\":\"track_off\",\"id\":1,\"pad\":\"{}\"}}\n",
        "x".repeat(5000)
    );
    write.write_all(long.as_bytes()).await.unwrap();
    write
        .write_all(
            b"{\"type\":\"track_rectangle\",\"id\":8,\"top_left_x\":0.45,\"top_left_y\":0.45,\
              \"bottom_right_x\":0.55,\"bottom_right_y\":0.55}\n",
        )
        .await
        .unwrap();
    // Idle statuses may still be in flight; then the answer, then an active status.
    let answer = loop {
        let v = next_json(&mut lines, WAIT).await;
        if v["type"] == "answer" {
            break v;
        }
        assert_eq!(v["state"], "idle", "{v}");
    };
    assert_eq!(answer["id"], 8, "the over-long track_off was not taken");
    assert_eq!(answer["accepted"], true);
    let status = next_json(&mut lines, WAIT).await;
    assert_eq!(status["state"], "active");
    let l = status["rectangle"]["top_left_x"].as_f64().unwrap();
    let r = status["rectangle"]["bottom_right_x"].as_f64().unwrap();
    assert!(((l + r) / 2.0 - 0.5).abs() < 1e-6, "{status}");
    // The pose moves on: statuses keep coming.
    pose_tx.send_replace(looking_at_target(0.5, 2.0));
    let next = next_json(&mut lines, WAIT).await;
    assert_eq!(next["type"], "status");
    // The camera turns to the sky: the car is lost.
    pose_tx.send_replace(fixed(0.0, 25.0, 0.6));
    loop {
        let v = next_json(&mut lines, WAIT).await;
        if v["state"] == "lost" {
            break;
        }
        assert_eq!(v["state"], "active", "{v}");
    }

    // The bridge goes away: the client comes back (backoff 0.5 s) and says hello again.
    drop(lines);
    drop(write);
    let (socket, _) = timeout(WAIT, listener.accept()).await.unwrap().unwrap();
    let (read, _write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    assert_eq!(next_json(&mut lines, WAIT).await["type"], "hello");

    stop_tx.send(()).unwrap();
    timeout(WAIT, client).await.expect("client stops").unwrap();
}
