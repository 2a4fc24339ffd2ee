//! Tracking on virtual time: QGC's point-and-track through the tracker API, and the gimbal
//! following the target (the camera component with a fake SIYI link; the tracker is played by
//! the test through the same calls the tracker socket makes).

mod camera_common;

use std::time::Duration;

use camera_common::{acks, find, names, only_ack, rig_with_tracking, texts, Rig};
use mavlink::dialects::common::{
    CameraCapFlags, CameraTrackingMode, CameraTrackingStatusFlags, MavCmd, MavMessage, MavResult,
    CAMERA_TRACKING_IMAGE_STATUS_DATA,
};
use serde_json::Value;
use siyi_bridge::core::camera::Transmit;
use siyi_bridge::core::link::Operation;
use siyi_bridge::core::tracking::{ConnId, FollowConfig, TrackerOutput, TrackingConfig};
use siyi_bridge::testing::SpinGuard;

const CONN: ConnId = 1;

/// The test plays the tracker on connection `CONN`.
trait TrackerSide {
    fn open(&mut self, conn: ConnId) -> Vec<Transmit>;
    fn say(&mut self, conn: ConnId, line: &str) -> Vec<Transmit>;
    fn say_raw(&mut self, conn: ConnId, line: Option<&str>) -> Vec<Transmit>;
    fn hang_up(&mut self, conn: ConnId) -> Vec<Transmit>;
    /// Lines (parsed) and closes the bridge sent to the tracker since last asked.
    fn heard(&mut self) -> Vec<(ConnId, Option<Value>)>;
    fn connect_tracker(&mut self) -> Vec<Transmit>;
}

impl TrackerSide for Rig {
    fn open(&mut self, conn: ConnId) -> Vec<Transmit> {
        self.parts.tracker_opened(self.now, conn, &self.link);
        self.drain()
    }
    fn say(&mut self, conn: ConnId, line: &str) -> Vec<Transmit> {
        self.say_raw(conn, Some(line))
    }
    fn say_raw(&mut self, conn: ConnId, line: Option<&str>) -> Vec<Transmit> {
        (self.parts).tracker_line(self.now, conn, line, &mut self.link);
        self.drain()
    }
    fn hang_up(&mut self, conn: ConnId) -> Vec<Transmit> {
        (self.parts).tracker_closed(self.now, conn, &mut self.link);
        self.drain()
    }
    fn heard(&mut self) -> Vec<(ConnId, Option<Value>)> {
        let mut v = Vec::new();
        while let Some(o) = self.parts.poll_tracker() {
            v.push(match o {
                TrackerOutput::Line(c, l) => (c, Some(serde_json::from_str(&l).expect("JSON"))),
                TrackerOutput::Close(c) => (c, None),
            });
        }
        v
    }
    fn connect_tracker(&mut self) -> Vec<Transmit> {
        let mut out = self.open(CONN);
        out.extend(self.say(
            CONN,
            r#"{"type":"hello","version":1,"name":"test-tracker"}"#,
        ));
        let heard = self.heard();
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert_eq!(heard[0].1.as_ref().unwrap()["type"], "welcome");
        assert_eq!(heard[0].1.as_ref().unwrap()["version"], 1);
        out
    }
}

fn tracking_status(out: &[Transmit]) -> Vec<CAMERA_TRACKING_IMAGE_STATUS_DATA> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn info_flags(out: &[Transmit]) -> Option<CameraCapFlags> {
    out.iter().rev().find_map(|t| match t.mav() {
        Some(MavMessage::CAMERA_INFORMATION(i)) => Some(i.flags),
        _ => None,
    })
}

fn rates(rig: &Rig) -> Vec<(i8, i8)> {
    rig.link
        .started
        .iter()
        .filter_map(|(_, op)| match op {
            Operation::GimbalRates {
                yaw_speed,
                pitch_speed,
            } => Some((*yaw_speed, *pitch_speed)),
            _ => None,
        })
        .collect()
}

const TRACKING_FLAGS: CameraCapFlags = CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
    .union(CameraCapFlags::CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE);

fn request_info(rig: &mut Rig) -> CameraCapFlags {
    let out = rig.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [259.0, 0., 0., 0., 0., 0., 0.],
    );
    info_flags(&out).expect("CAMERA_INFORMATION")
}

fn track_point(rig: &mut Rig, x: f32, y: f32) -> Vec<Transmit> {
    rig.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_POINT,
        [x, y, 0.05, 0., 0., 0., 0.],
    )
}

/// Connects a tracker and makes it accept a point at (x, y); returns the request id.
fn tracking_point(rig: &mut Rig, x: f32, y: f32) -> u64 {
    rig.connect_tracker();
    let out = track_point(rig, x, y);
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_IN_PROGRESS);
    let heard = rig.heard();
    let req = heard[0].1.clone().unwrap();
    let id = req["id"].as_u64().unwrap();
    let out = rig.say(
        CONN,
        &format!(r#"{{"type":"answer","id":{id},"accepted":true}}"#),
    );
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_ACCEPTED);
    id
}

/// How often the test's tracker reports: the follow controller's period (20 Hz), so that each
/// report is acted on at once.
const REPORT_PERIOD: Duration = Duration::from_millis(50);

/// One report of a target at (x, y), [`REPORT_PERIOD`] after the last.
fn status_point(rig: &mut Rig, x: f32, y: f32) -> Vec<Transmit> {
    let mut out = rig.advance(REPORT_PERIOD);
    out.extend(rig.say(
        CONN,
        &format!(
            r#"{{"type":"status","state":"active","point":{{"x":{x},"y":{y},"radius":0.05}}}}"#
        ),
    ));
    out
}

#[test]
fn without_a_tracker_tracking_is_refused_and_not_advertised() {
    let mut rig = Rig::ready();
    assert!(!request_info(&mut rig).intersects(TRACKING_FLAGS));
    let out = track_point(&mut rig, 0.5, 0.5);
    assert_eq!(
        only_ack(&out).result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
    assert!(
        texts(&out).iter().any(|t| t.contains("no tracker")),
        "{:?}",
        texts(&out)
    );
    let out = rig.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
        [0.1, 0.1, 0.2, 0.2, 0., 0., 0.],
    );
    assert_eq!(
        only_ack(&out).result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
    // Stopping what is not tracked is done already.
    let out = rig.command(MavCmd::MAV_CMD_CAMERA_STOP_TRACKING, [0.; 7]);
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_ACCEPTED);
    assert!(rig.heard().is_empty());
}

#[test]
fn flags_appear_and_disappear_with_the_tracker() {
    let mut rig = Rig::ready();
    let out = rig.connect_tracker();
    assert_eq!(
        info_flags(&out).map(|f| f & TRACKING_FLAGS),
        Some(TRACKING_FLAGS),
        "{:?}",
        names(&out)
    );
    assert!(texts(&out).iter().any(|t| t.contains("test-tracker")));
    assert_eq!(request_info(&mut rig) & TRACKING_FLAGS, TRACKING_FLAGS);
    let out = rig.hang_up(CONN);
    assert_eq!(
        info_flags(&out).map(|f| f & TRACKING_FLAGS),
        Some(CameraCapFlags::empty())
    );
    assert!(!request_info(&mut rig).intersects(TRACKING_FLAGS));
}

#[test]
fn a_tracker_counts_only_after_hello_with_our_version() {
    let mut rig = Rig::ready();
    rig.open(CONN);
    assert!(
        !request_info(&mut rig).intersects(TRACKING_FLAGS),
        "no hello yet"
    );
    let out = track_point(&mut rig, 0.5, 0.5);
    assert_eq!(
        only_ack(&out).result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
    rig.say(CONN, r#"{"type":"hello","version":2}"#);
    let heard = rig.heard();
    assert_eq!(heard.len(), 2, "{heard:?}");
    assert_eq!(heard[0].1.as_ref().unwrap()["type"], "error");
    assert!(heard[0].1.as_ref().unwrap()["reason"]
        .as_str()
        .unwrap()
        .contains("version 2"));
    assert_eq!(heard[1], (CONN, None), "closed");
    assert!(!request_info(&mut rig).intersects(TRACKING_FLAGS));
    assert_eq!(rig.parts.tracking().stats().session.refused, 1);
}

#[test]
fn a_second_tracker_is_refused_and_the_first_keeps_working() {
    let mut rig = Rig::ready();
    rig.connect_tracker();
    rig.open(2);
    let heard = rig.heard();
    assert_eq!(heard.len(), 2);
    assert_eq!(heard[0].0, 2);
    assert_eq!(heard[0].1.as_ref().unwrap()["type"], "error");
    assert_eq!(heard[1], (2, None));
    // The refused connection closing changes nothing.
    rig.hang_up(2);
    assert_eq!(request_info(&mut rig) & TRACKING_FLAGS, TRACKING_FLAGS);
}

/// The connections the bridge closed (with the reason it gave each) since last asked.
fn closed_with_reasons(rig: &mut Rig) -> Vec<(ConnId, String)> {
    let heard = rig.heard();
    let mut out = Vec::new();
    for (i, (conn, line)) in heard.iter().enumerate() {
        if line.is_none() {
            let reason = heard[..i]
                .iter()
                .rev()
                .find(|(c, l)| c == conn && l.as_ref().is_some_and(|l| l["type"] == "error"))
                .and_then(|(_, l)| l.as_ref()?["reason"].as_str().map(str::to_owned))
                .unwrap_or_default();
            out.push((*conn, reason));
        }
    }
    out
}

/// Lets `d` pass while the tracker on `CONN` reports idle every 250 ms (so it is not silent).
fn chat_for(rig: &mut Rig, d: Duration) {
    let step = Duration::from_millis(250);
    let mut left = d;
    while !left.is_zero() {
        let now = left.min(step);
        rig.advance(now);
        rig.say(CONN, r#"{"type":"status","state":"idle"}"#);
        left -= now;
    }
}

#[test]
fn the_refusal_names_the_connected_tracker_and_the_flag_to_free_the_slot() {
    let mut rig = Rig::ready();
    rig.connect_tracker();
    rig.open(2);
    let closed = closed_with_reasons(&mut rig);
    assert_eq!(closed.len(), 1);
    assert!(closed[0].1.contains("test-tracker"), "{closed:?}");
    assert!(closed[0].1.contains("--sim-tracker off"), "{closed:?}");
}

#[test]
fn a_connection_that_never_says_hello_blocks_no_tracker() {
    let mut rig = Rig::ready();
    rig.open(5);
    rig.advance(Duration::from_millis(500));
    // A real tracker connects while the idle one still waits: it is welcomed and serves.
    rig.connect_tracker();
    assert_eq!(request_info(&mut rig) & TRACKING_FLAGS, TRACKING_FLAGS);
    let out = track_point(&mut rig, 0.5, 0.5);
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_IN_PROGRESS);
    assert_eq!(rig.heard()[0].1.as_ref().unwrap()["type"], "track_point");
    // The idle connection is closed when its hello time is up, and only it.
    chat_for(&mut rig, Duration::from_millis(1490));
    assert!(
        closed_with_reasons(&mut rig).is_empty(),
        "1990 ms: still waiting"
    );
    chat_for(&mut rig, Duration::from_millis(20));
    let closed = closed_with_reasons(&mut rig);
    assert_eq!(closed, [(5, "no hello within 2000 ms".to_owned())]);
    assert_eq!(rig.parts.tracking().stats().session.no_hello, 1);
    // Its hello, too late, is not heard; the tracker still serves.
    rig.say(5, r#"{"type":"hello","version":1,"name":"late"}"#);
    assert!(rig.heard().is_empty());
    assert_eq!(request_info(&mut rig) & TRACKING_FLAGS, TRACKING_FLAGS);
}

#[test]
fn many_idle_connections_push_each_other_out_and_a_tracker_still_gets_in() {
    let mut rig = Rig::ready();
    for conn in 10..19 {
        rig.open(conn);
    }
    // Only the last four wait; the five older ones were closed at once.
    let closed: Vec<ConnId> = closed_with_reasons(&mut rig)
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(closed, [10, 11, 12, 13, 14]);
    // One goes away by itself: room for the tracker without pushing anyone out.
    rig.hang_up(15);
    rig.connect_tracker();
    assert_eq!(request_info(&mut rig) & TRACKING_FLAGS, TRACKING_FLAGS);
    // A waiting connection that says hello after the tracker is ready is refused.
    rig.say(18, r#"{"type":"hello","version":1,"name":"second"}"#);
    let closed = closed_with_reasons(&mut rig);
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert_eq!(closed[0].0, 18);
    assert!(closed[0].1.contains("another tracker (test-tracker)"));
    chat_for(&mut rig, Duration::from_millis(2000));
    let closed: Vec<ConnId> = closed_with_reasons(&mut rig)
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(closed, [16, 17]);
    assert_eq!(rig.parts.tracking().stats().session.no_hello, 7);
}

#[test]
fn point_is_sent_answered_and_reported() {
    let mut rig = Rig::ready();
    rig.connect_tracker();
    let out = track_point(&mut rig, 0.25, 0.75);
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_IN_PROGRESS);
    let heard = rig.heard();
    let req = heard[0].1.clone().unwrap();
    assert_eq!(req["type"], "track_point");
    assert_eq!(
        (req["x"].as_f64(), req["y"].as_f64()),
        (Some(0.25), Some(0.75))
    );
    assert!((req["radius"].as_f64().unwrap() - 0.05).abs() < 1e-6);
    let id = req["id"].as_u64().unwrap();
    // A wrong id is not the answer.
    let out = rig.say(CONN, r#"{"type":"answer","id":999,"accepted":true}"#);
    assert!(acks(&out).is_empty());
    assert_eq!(rig.parts.tracking().stats().stray_answers, 1);
    let out = rig.say(
        CONN,
        &format!(r#"{{"type":"answer","id":{id},"accepted":true}}"#),
    );
    let ack = only_ack(&out);
    assert_eq!(
        (ack.command, ack.result),
        (
            MavCmd::MAV_CMD_CAMERA_TRACK_POINT,
            MavResult::MAV_RESULT_ACCEPTED
        )
    );
    assert_eq!(
        (ack.target_system, ack.target_component),
        camera_common::GCS
    );

    let out = status_point(&mut rig, 0.3, 0.7);
    let s = tracking_status(&out);
    assert_eq!(s.len(), 1, "a change of state is announced");
    assert_eq!(
        s[0].tracking_status,
        CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ACTIVE
    );
    assert_eq!(
        s[0].tracking_mode,
        CameraTrackingMode::CAMERA_TRACKING_MODE_POINT
    );
    assert_eq!((s[0].point_x, s[0].point_y, s[0].radius), (0.3, 0.7, 0.05));
    assert!(s[0].rec_top_x.is_nan());
    // Moving coordinates are not a change of state (the interval stream carries them).
    let out = status_point(&mut rig, 0.31, 0.69);
    assert!(tracking_status(&out).is_empty());
    // On request: the latest.
    let out = rig.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [275.0, 0., 0., 0., 0., 0., 0.],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    assert_eq!(tracking_status(&out)[0].point_x, 0.31);
}

#[test]
fn rectangle_rejected_by_the_tracker_is_denied_with_its_reason() {
    let mut rig = Rig::ready();
    rig.connect_tracker();
    let out = rig.command_int(MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE, [0.1, 0.2, 0.3, 0.4]);
    assert_eq!(
        only_ack(&out).result,
        MavResult::MAV_RESULT_IN_PROGRESS,
        "COMMAND_INT too"
    );
    let heard = rig.heard();
    let req = heard[0].1.clone().unwrap();
    assert_eq!(req["type"], "track_rectangle");
    for (k, v) in [
        ("top_left_x", 0.1),
        ("top_left_y", 0.2),
        ("bottom_right_x", 0.3),
        ("bottom_right_y", 0.4),
    ] {
        assert!((req[k].as_f64().unwrap() - v).abs() < 1e-6, "{k}");
    }
    let id = req["id"].as_u64().unwrap();
    let out = rig.say(
        CONN,
        &format!(r#"{{"type":"answer","id":{id},"accepted":false,"reason":"no texture there"}}"#),
    );
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_DENIED);
    assert!(texts(&out).iter().any(|t| t.contains("no texture there")));
    assert!(rates(&rig).is_empty(), "nothing tracked, nothing moved");
}

#[test]
fn bad_coordinates_are_denied_before_the_tracker_hears_of_them() {
    let mut rig = Rig::ready();
    rig.connect_tracker();
    let cases: [(MavCmd, [f32; 4]); 6] = [
        (
            MavCmd::MAV_CMD_CAMERA_TRACK_POINT,
            [f32::NAN, 0.5, 0.05, 0.],
        ),
        (MavCmd::MAV_CMD_CAMERA_TRACK_POINT, [1.5, 0.5, 0.05, 0.]),
        (MavCmd::MAV_CMD_CAMERA_TRACK_POINT, [0.5, -0.1, 0.05, 0.]),
        (MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE, [0.4, 0.2, 0.3, 0.4]),
        (MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE, [0.1, 0.5, 0.3, 0.4]),
        (
            MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
            [0.1, 0.2, f32::INFINITY, 0.4],
        ),
    ];
    for (cmd, p) in cases {
        let out = rig.command(cmd, [p[0], p[1], p[2], p[3], 0., 0., 0.]);
        assert_eq!(
            only_ack(&out).result,
            MavResult::MAV_RESULT_DENIED,
            "{cmd:?} {p:?}"
        );
    }
    assert!(rig.heard().is_empty());
}

#[test]
fn a_tracker_that_does_not_answer_fails_the_command() {
    let mut rig = Rig::ready();
    rig.connect_tracker();
    track_point(&mut rig, 0.5, 0.5);
    let id = rig.heard()[0].1.clone().unwrap()["id"].as_u64().unwrap();
    // Status keeps it alive, but no answer comes.
    let mut out = Vec::new();
    for _ in 0..4 {
        out.extend(rig.advance(Duration::from_millis(240)));
        out.extend(rig.say(CONN, r#"{"type":"status","state":"idle"}"#));
    }
    assert!(acks(&out).is_empty(), "not yet at 960 ms");
    let out = rig.advance(Duration::from_millis(100));
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_FAILED);
    assert!(texts(&out).iter().any(|t| t.contains("did not answer")));
    // A late answer changes nothing.
    let out = rig.say(
        CONN,
        &format!(r#"{{"type":"answer","id":{id},"accepted":true}}"#),
    );
    assert!(acks(&out).is_empty());
}

#[test]
fn follow_turns_the_gimbal_towards_the_target_holds_when_lost_and_stops_at_the_end() {
    // Proportional only: centred means no motion at once (the integral would carry on).
    let mut rig = rig_with_follow(FollowConfig {
        integral_gain_per_s2: 0.0,
        ..FollowConfig::default()
    });
    tracking_point(&mut rig, 0.8, 0.2);
    status_point(&mut rig, 0.8, 0.2);
    let r = rates(&rig);
    assert_eq!(r.len(), 1);
    assert!(r[0].0 > 0 && r[0].1 > 0, "right and up: {r:?}");
    status_point(&mut rig, 0.2, 0.9);
    let (yaw, pitch) = *rates(&rig).last().unwrap();
    assert!(yaw < 0 && pitch < 0, "left and down: {yaw} {pitch}");
    // Centred: the gimbal stops.
    status_point(&mut rig, 0.5, 0.5);
    assert_eq!(*rates(&rig).last().unwrap(), (0, 0));
    status_point(&mut rig, 0.7, 0.5);
    // Lost: hold still (at the next control step), keep the last box in the status.
    let n = rates(&rig).len();
    let out = rig.say(CONN, r#"{"type":"status","state":"lost"}"#);
    assert_eq!(rates(&rig).len(), n, "within the control period: not yet");
    let out = [out, rig.advance(REPORT_PERIOD)].concat();
    assert_eq!(*rates(&rig).last().unwrap(), (0, 0));
    assert!(tracking_status(&out).is_empty(), "lost is still ACTIVE");
    let out = rig.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [275.0, 0., 0., 0., 0., 0., 0.],
    );
    let s = &tracking_status(&out)[0];
    assert_eq!(
        (s.tracking_status, s.point_x),
        (
            CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ACTIVE,
            0.7
        )
    );
    // Back in sight: moves again.
    status_point(&mut rig, 0.7, 0.5);
    assert!(rates(&rig).last().unwrap().0 > 0);
    // Stop: the gimbal stops at once, before the tracker answers.
    let n = rates(&rig).len();
    let out = rig.command(MavCmd::MAV_CMD_CAMERA_STOP_TRACKING, [0.; 7]);
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_IN_PROGRESS);
    assert_eq!(rates(&rig)[n..], [(0, 0)]);
    let req = rig.heard()[0].1.clone().unwrap();
    assert_eq!(req["type"], "track_off");
    let out = rig.say(
        CONN,
        &format!(r#"{{"type":"answer","id":{},"accepted":true}}"#, req["id"]),
    );
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_ACCEPTED);
    let out = rig.say(CONN, r#"{"type":"status","state":"idle"}"#);
    let s = tracking_status(&out);
    assert_eq!(
        s[0].tracking_status,
        CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_IDLE
    );
    // A stale "active" status after the stop moves nothing.
    let n = rates(&rig).len();
    status_point(&mut rig, 0.9, 0.5);
    assert_eq!(rates(&rig).len(), n);
}

#[test]
fn follow_keeps_a_moving_command_alive_and_yields_to_manual_gimbal_input() {
    // Proportional only, so that the same report gives the same command.
    let mut rig = rig_with_follow(FollowConfig {
        integral_gain_per_s2: 0.0,
        ..FollowConfig::default()
    });
    tracking_point(&mut rig, 0.7, 0.5);
    status_point(&mut rig, 0.7, 0.5);
    let first = rates(&rig);
    assert_eq!(first.len(), 1);
    // Same status 200 ms later: unchanged, not re-sent; after 500 ms: re-sent.
    rig.advance(Duration::from_millis(200));
    status_point(&mut rig, 0.7, 0.5);
    assert_eq!(rates(&rig).len(), 1);
    rig.advance(Duration::from_millis(200));
    status_point(&mut rig, 0.7, 0.5);
    rig.advance(Duration::from_millis(150));
    assert_eq!(rates(&rig), [first[0], first[0]]);
    // The user moves the gimbal: no more follow commands, no stop that would fight the user.
    rig.parts.manual_gimbal_input();
    let n = rates(&rig).len();
    status_point(&mut rig, 0.9, 0.5);
    rig.advance(Duration::from_millis(600));
    status_point(&mut rig, 0.9, 0.5);
    assert_eq!(rates(&rig).len(), n);
    // The next track command follows again.
    let out = track_point(&mut rig, 0.9, 0.5);
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_IN_PROGRESS);
    let id = rig.heard()[0].1.clone().unwrap()["id"].as_u64().unwrap();
    rig.say(
        CONN,
        &format!(r#"{{"type":"answer","id":{id},"accepted":true}}"#),
    );
    status_point(&mut rig, 0.9, 0.5);
    assert_eq!(rates(&rig).len(), n + 1);
}

fn rig_with_follow(follow_config: FollowConfig) -> Rig {
    rig_with_tracking(TrackingConfig {
        follow_config,
        ..TrackingConfig::default()
    })
}

#[test]
fn follow_off_never_moves_the_gimbal() {
    let mut rig = rig_with_tracking(TrackingConfig {
        follow: false,
        ..TrackingConfig::default()
    });
    tracking_point(&mut rig, 0.9, 0.5);
    status_point(&mut rig, 0.9, 0.5);
    assert!(rates(&rig).is_empty());
}

#[test]
fn a_tracker_that_dies_mid_track_reports_error_and_stops_the_gimbal() {
    let mut rig = Rig::ready();
    tracking_point(&mut rig, 0.8, 0.5);
    status_point(&mut rig, 0.8, 0.5);
    assert!(rates(&rig).last().unwrap().0 > 0);
    let out = rig.hang_up(CONN);
    assert_eq!(*rates(&rig).last().unwrap(), (0, 0));
    let s = tracking_status(&out);
    assert_eq!(
        s[0].tracking_status,
        CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ERROR
    );
    assert!(texts(&out)
        .iter()
        .any(|t| t.contains("Tracker disconnected")));
    assert_eq!(
        info_flags(&out).map(|f| f & TRACKING_FLAGS),
        Some(CameraCapFlags::empty())
    );
    let out = track_point(&mut rig, 0.5, 0.5);
    assert_eq!(
        only_ack(&out).result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
}

#[test]
fn a_silent_tracker_is_dropped_within_a_second() {
    let mut rig = Rig::ready();
    tracking_point(&mut rig, 0.8, 0.5);
    status_point(&mut rig, 0.8, 0.5);
    rig.heard();
    let out = rig.advance(Duration::from_millis(990));
    assert!(tracking_status(&out).is_empty(), "quiet for 990 ms is fine");
    let out = rig.advance(Duration::from_millis(20));
    let s = tracking_status(&out);
    assert_eq!(
        s[0].tracking_status,
        CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ERROR
    );
    assert_eq!(*rates(&rig).last().unwrap(), (0, 0));
    let heard = rig.heard();
    assert_eq!(
        heard.last(),
        Some(&(CONN, None)),
        "connection closed: {heard:?}"
    );
    assert_eq!(rig.parts.tracking().stats().session.silent, 1);
    // Its closing is then no news.
    let out = rig.hang_up(CONN);
    assert!(tracking_status(&out).is_empty());
}

#[test]
fn garbage_from_the_tracker_is_counted_and_harmless() {
    let mut rig = Rig::ready();
    rig.connect_tracker();
    for line in [
        "",
        "not json",
        "{\"type\":\"status\",\"state\":\"active\"}", // active without a target
        "{\"type\":\"status\",\"state\":\"active\",\"point\":{\"x\":7,\"y\":0.5,\"radius\":0.1}}",
        "{\"type\":\"answer\"}",
        "[1,2,3]",
        "\u{fffd}\u{fffd}",
    ] {
        rig.say(CONN, line);
    }
    rig.say_raw(CONN, None);
    let stats = rig.parts.tracking().stats().session;
    assert_eq!((stats.bad_lines, stats.long_lines), (7, 1));
    assert!(rates(&rig).is_empty());
    assert_eq!(
        request_info(&mut rig) & TRACKING_FLAGS,
        TRACKING_FLAGS,
        "still connected"
    );
}

#[test]
fn tracking_status_streams_at_the_interval_qgc_asks_for() {
    let mut rig = Rig::ready();
    tracking_point(&mut rig, 0.5, 0.5);
    let out = rig.command(
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [275.0, 500_000.0, 0., 0., 0., 0., 0.],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let mut n = 0;
    let mut guard = SpinGuard::new("tracking interval", rig.t0);
    for _ in 0..20 {
        let out = rig.advance(Duration::from_millis(100));
        guard.tick(rig.now, rig.now);
        n += tracking_status(&out).len();
        rig.say(CONN, r#"{"type":"status","state":"idle"}"#);
    }
    assert!((3..=5).contains(&n), "about 4 in 2 s at 500 ms: {n}");
    let out = rig.command(
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [275.0, -1.0, 0., 0., 0., 0., 0.],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let mut n = 0;
    for _ in 0..10 {
        n += tracking_status(&rig.advance(Duration::from_millis(100))).len();
        rig.say(CONN, r#"{"type":"status","state":"idle"}"#);
    }
    assert_eq!(n, 0);
    assert!(find(&rig.out, "CAMERA_TRACKING_IMAGE_STATUS").is_some());
}

/// Closed loop: a target crossing the picture at a known angular speed, a gimbal that turns at
/// the commanded rate (0.9°/s per SIYI unit, like the simulator), a tracker that reports the
/// target's place every 100 ms. The error settles under 0.05 of the frame.
#[test]
fn follow_converges_on_a_moving_target_and_holds_through_a_one_second_loss() {
    let mut rig = Rig::ready();
    tracking_point(&mut rig, 0.5, 0.5);
    let hfov_deg: f32 = 81.0;
    let half = (hfov_deg / 2.0).to_radians().tan();
    let target_speed_deg_s = 4.0_f32; // faster than the simulator's target (≤ 3.9°/s)
    let mut target_deg = 20.0_f32; // starts 20° right of the camera's axis
    let mut gimbal_deg = 0.0_f32;
    let mut rate_deg_s = 0.0_f32;
    let x_of = |off: f32| 0.5 + off.to_radians().tan() / (2.0 * half);
    let mut settled_at = None;
    let mut worst_after = 0.0_f32;
    for step in 0..200 {
        // 100 ms of motion.
        target_deg += target_speed_deg_s * 0.1;
        gimbal_deg += rate_deg_s * 0.1;
        rig.advance(Duration::from_millis(100));
        let x = x_of(target_deg - gimbal_deg);
        let lost = (120..130).contains(&step);
        if lost {
            rig.say(CONN, r#"{"type":"status","state":"lost"}"#);
        } else {
            status_point(&mut rig, x, 0.5);
        }
        if let Some((yaw, _)) = rates(&rig).last() {
            rate_deg_s = f32::from(*yaw) * 0.9;
        }
        let err = (x - 0.5).abs();
        if lost {
            assert_eq!(rate_deg_s, 0.0, "holds still while lost");
        }
        if settled_at.is_none() && err < 0.05 {
            settled_at = Some(step);
        }
        if settled_at.is_some() && !(120..140).contains(&step) {
            worst_after = worst_after.max(err);
        }
    }
    let settled_at = settled_at.expect("settles");
    assert!(settled_at <= 20, "settles within 2 s: {settled_at}");
    assert!(
        worst_after < 0.05,
        "stays within 0.05 of the frame: {worst_after}"
    );
}

mod ai_module {
    use super::*;
    use siyi_bridge::core::link::{LinkEvent, OpOutcome};
    use siyi_protocol::{AiMode, AiTarget, AiTrack, AiTrackStatus};

    /// One push of the AI module, [`REPORT_PERIOD`] after the last.
    fn push(rig: &mut Rig, x: u16, y: u16, status: AiTrackStatus) -> Vec<Transmit> {
        let mut out = rig.advance(REPORT_PERIOD);
        out.extend(rig.link_event(LinkEvent::AiTrack(AiTrack {
            x_px: x,
            y_px: y,
            width_px: 128,
            height_px: 72,
            target: AiTarget::Car,
            status,
        })));
        out
    }

    fn ai_stream_ops(rig: &Rig) -> Vec<(siyi_bridge::core::link::OpId, bool)> {
        rig.link
            .started
            .iter()
            .filter_map(|(id, op)| match op {
                Operation::SetAiStream { on } => Some((*id, *on)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_ai_module_is_a_source_while_it_is_on() {
        let mut rig = Rig::ready();
        let out = rig.link_event(LinkEvent::AiModeChanged(AiMode::On));
        assert_eq!(
            info_flags(&out).map(|f| f & TRACKING_FLAGS),
            Some(TRACKING_FLAGS)
        );
        assert!(texts(&out)
            .iter()
            .any(|t| t.contains("AI tracking module on")));
        // The same mode again is no news.
        assert!(rig
            .link_event(LinkEvent::AiModeChanged(AiMode::On))
            .is_empty());
        let out = rig.link_event(LinkEvent::AiModeChanged(AiMode::Off));
        assert_eq!(
            info_flags(&out).map(|f| f & TRACKING_FLAGS),
            Some(CameraCapFlags::empty())
        );
    }

    #[test]
    fn a_track_command_switches_the_stream_on_and_says_what_the_user_gets() {
        let mut rig = Rig::ready();
        rig.link_event(LinkEvent::AiModeChanged(AiMode::On));
        let out = rig.command(
            MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
            [0.1, 0.1, 0.3, 0.3, 0., 0., 0.],
        );
        assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_IN_PROGRESS);
        assert!(
            texts(&out).iter().any(|t| t.contains("chooses")),
            "{:?}",
            texts(&out)
        );
        let ops = ai_stream_ops(&rig);
        assert_eq!(ops.len(), 1);
        assert!(ops[0].1, "on");
        let out = rig.finish(ops[0].0, OpOutcome::Succeeded { confirmed: true });
        assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_ACCEPTED);

        // Boxes: 1280×720 → 0..1; the gimbal follows.
        let out = push(&mut rig, 960, 360, AiTrackStatus::Tracking);
        let s = &tracking_status(&out)[0];
        assert_eq!(
            s.tracking_mode,
            CameraTrackingMode::CAMERA_TRACKING_MODE_RECTANGLE
        );
        assert_eq!((s.rec_top_x, s.rec_bottom_x), (0.7, 0.8));
        assert!(rates(&rig).last().unwrap().0 > 0, "target right: yaw right");
        // Temporarily lost: hold; lost: error; the gimbal stays stopped.
        push(&mut rig, 0, 0, AiTrackStatus::TemporarilyLost);
        assert_eq!(*rates(&rig).last().unwrap(), (0, 0));
        let out = push(&mut rig, 0, 0, AiTrackStatus::Lost);
        assert_eq!(
            tracking_status(&out)[0].tracking_status,
            CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ERROR
        );
        let n = rates(&rig).len();
        push(&mut rig, 960, 360, AiTrackStatus::Tracking);
        assert_eq!(rates(&rig).len(), n, "an ended track is not followed");
        // Cancelled on the module itself: idle.
        let out = push(&mut rig, 0, 0, AiTrackStatus::CancelledByUser);
        assert_eq!(
            tracking_status(&out)[0].tracking_status,
            CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_IDLE
        );

        // Stop: the stream goes off.
        let out = rig.command(MavCmd::MAV_CMD_CAMERA_STOP_TRACKING, [0.; 7]);
        assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_IN_PROGRESS);
        let ops = ai_stream_ops(&rig);
        assert_eq!(ops.len(), 2);
        assert!(!ops[1].1, "off");
        let out = rig.finish(ops[1].0, OpOutcome::Succeeded { confirmed: true });
        assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_ACCEPTED);
    }

    #[test]
    fn a_refused_or_unanswered_stream_switch_fails_the_command() {
        let mut rig = Rig::ready();
        rig.link_event(LinkEvent::AiModeChanged(AiMode::On));
        track_point(&mut rig, 0.5, 0.5);
        let id = ai_stream_ops(&rig)[0].0;
        let out = rig.finish(
            id,
            OpOutcome::Failed {
                reason: siyi_bridge::core::link::FailReason::AiRefused,
            },
        );
        assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_DENIED);
        track_point(&mut rig, 0.5, 0.5);
        let out = rig.advance(Duration::from_millis(3100));
        assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_FAILED);
        assert!(texts(&out)
            .iter()
            .any(|t| t.contains("AI module did not answer")));
    }

    #[test]
    fn pushes_count_only_for_a_track_the_ai_module_serves() {
        let mut rig = Rig::ready();
        rig.link_event(LinkEvent::AiModeChanged(AiMode::On));
        // A connected tracker is preferred.
        tracking_point(&mut rig, 0.5, 0.5);
        assert!(ai_stream_ops(&rig).is_empty());
        let out = push(&mut rig, 960, 360, AiTrackStatus::Tracking);
        assert!(tracking_status(&out).is_empty());
        assert!(rates(&rig).is_empty());
    }

    #[test]
    fn the_module_switched_off_mid_track_ends_it() {
        let mut rig = Rig::ready();
        rig.link_event(LinkEvent::AiModeChanged(AiMode::On));
        track_point(&mut rig, 0.5, 0.5);
        let id = ai_stream_ops(&rig)[0].0;
        rig.finish(id, OpOutcome::Succeeded { confirmed: true });
        push(&mut rig, 1100, 360, AiTrackStatus::Tracking);
        assert!(rates(&rig).last().unwrap().0 > 0);
        let out = rig.link_event(LinkEvent::AiModeChanged(AiMode::Off));
        assert_eq!(*rates(&rig).last().unwrap(), (0, 0));
        assert_eq!(
            tracking_status(&out)[0].tracking_status,
            CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ERROR
        );
        assert_eq!(
            info_flags(&out).map(|f| f & TRACKING_FLAGS),
            Some(CameraCapFlags::empty())
        );
        let out = track_point(&mut rig, 0.5, 0.5);
        assert_eq!(
            only_ack(&out).result,
            MavResult::MAV_RESULT_TEMPORARILY_REJECTED
        );
    }
}

mod geo_status {
    use super::*;
    use mavlink::dialects::common::{
        MavAutopilot, MavModeFlag, MavState, MavType, ATTITUDE_DATA, GLOBAL_POSITION_INT_DATA,
        HEARTBEAT_DATA,
    };
    use siyi_bridge::core::link::Fresh;
    use siyi_protocol::{Attitude, Decidegrees};

    const AUTOPILOT: (u8, u8) = (1, 1);
    const AUTOPILOT_LINK: u32 = 2;
    const LAT_E7: i32 = 473_977_000;
    const LON_E7: i32 = 85_456_000;

    /// Our autopilot: heading east, 100 m above home (home at 400 m AMSL).
    fn autopilot(rig: &mut Rig) {
        rig.feed(
            AUTOPILOT,
            AUTOPILOT_LINK,
            MavMessage::HEARTBEAT(HEARTBEAT_DATA {
                custom_mode: 0,
                mavtype: MavType::MAV_TYPE_QUADROTOR,
                autopilot: MavAutopilot::MAV_AUTOPILOT_PX4,
                base_mode: MavModeFlag::empty(),
                system_status: MavState::MAV_STATE_ACTIVE,
                mavlink_version: 3,
            }),
        );
        rig.feed(
            AUTOPILOT,
            AUTOPILOT_LINK,
            MavMessage::ATTITUDE(ATTITUDE_DATA {
                yaw: 90f32.to_radians(),
                ..ATTITUDE_DATA::DEFAULT
            }),
        );
        rig.feed(
            AUTOPILOT,
            AUTOPILOT_LINK,
            MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
                lat: LAT_E7,
                lon: LON_E7,
                alt: 500_000,
                relative_alt: 100_000,
                ..GLOBAL_POSITION_INT_DATA::DEFAULT
            }),
        );
    }

    fn geo(rig: &mut Rig) -> Option<mavlink::dialects::common::CAMERA_TRACKING_GEO_STATUS_DATA> {
        let out = rig.command(
            MavCmd::MAV_CMD_REQUEST_MESSAGE,
            [276.0, 0., 0., 0., 0., 0., 0.],
        );
        out.iter().find_map(|t| match t.mav() {
            Some(MavMessage::CAMERA_TRACKING_GEO_STATUS(g)) => Some(g.clone()),
            _ => None,
        })
    }

    /// Metres east and north of the vehicle.
    fn offset_m(g: &mavlink::dialects::common::CAMERA_TRACKING_GEO_STATUS_DATA) -> (f64, f64) {
        let lat0 = f64::from(LAT_E7) * 1e-7;
        let north = f64::from(g.lat - LAT_E7) * 1e-7 * 111_195.0;
        let east = f64::from(g.lon - LON_E7) * 1e-7 * 111_195.0 * lat0.to_radians().cos();
        (east, north)
    }

    #[test]
    fn the_target_on_the_ground_from_known_geometry() {
        let mut rig = Rig::ready();
        rig.link.state.attitude = Some(Fresh::new(
            Attitude {
                pitch: Decidegrees(-450),
                ..Attitude::default()
            },
            rig.now,
        ));
        autopilot(&mut rig);
        assert_eq!(rig.cam().system_id(), 1);
        tracking_point(&mut rig, 0.5, 0.5);
        assert!(
            geo(&mut rig).is_none(),
            "nothing tracked yet: no geo status"
        );
        // The target in the middle: 100 m below at 45° down, looking east → 100 m east.
        status_point(&mut rig, 0.5, 0.5);
        let g = geo(&mut rig).expect("geo status");
        let (east, north) = offset_m(&g);
        assert!(
            (east - 100.0).abs() < 1.5 && north.abs() < 1.5,
            "{east} {north}"
        );
        assert!((g.alt - 400.0).abs() < 0.01, "home altitude: {}", g.alt);
        assert!((g.dist - 100.0).abs() < 1.5, "{}", g.dist);
        assert_eq!(
            g.tracking_status,
            CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ACTIVE
        );
        assert!(g.vel_n.is_nan() && g.hdg.is_nan(), "unknown is NaN");
        // 0.8 across an 81° picture is 27° right of the axis: bearing 117°, still 100 m away.
        status_point(&mut rig, 0.8, 0.5);
        let (east, north) = offset_m(&geo(&mut rig).expect("geo status"));
        let (want_e, want_n) = (
            100.0 * 27f64.to_radians().cos(),
            -100.0 * 27f64.to_radians().sin(),
        );
        assert!(
            (east - want_e).abs() < 2.0 && (north - want_n).abs() < 2.0,
            "{east} {north}"
        );
        // Above the horizon: the ray misses the ground, no geo status.
        rig.link.state.attitude = Some(Fresh::new(
            Attitude {
                pitch: Decidegrees(100),
                ..Attitude::default()
            },
            rig.now,
        ));
        status_point(&mut rig, 0.5, 0.5);
        assert!(geo(&mut rig).is_none());
    }

    #[test]
    fn no_geo_status_without_our_autopilot() {
        let mut rig = Rig::ready();
        rig.link.state.attitude = Some(Fresh::new(
            Attitude {
                pitch: Decidegrees(-450),
                ..Attitude::default()
            },
            rig.now,
        ));
        tracking_point(&mut rig, 0.5, 0.5);
        status_point(&mut rig, 0.5, 0.5);
        assert!(geo(&mut rig).is_none(), "no position, no attitude");
        // A stranger's position (another link, never heard as our autopilot) is not used.
        rig.feed(
            AUTOPILOT,
            9,
            MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
                lat: LAT_E7,
                lon: LON_E7,
                alt: 500_000,
                relative_alt: 100_000,
                ..GLOBAL_POSITION_INT_DATA::DEFAULT
            }),
        );
        assert!(geo(&mut rig).is_none());
    }
}

/// STATUSTEXT messages sent (chunks counted one by one).
fn statustexts(out: &[Transmit]) -> Vec<mavlink::dialects::common::STATUSTEXT_DATA> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::STATUSTEXT(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_tracker_flooding_lines_stays_within_the_follow_status_and_text_budgets() {
    let mut rig = Rig::ready();
    tracking_point(&mut rig, 0.5, 0.5);
    rig.link.started.clear();
    // One second of 10 000 lines: boxes that change every line, lost every seventh.
    let step = Duration::from_micros(100);
    let mut out = Vec::new();
    for i in 0..10_000u32 {
        out.extend(rig.advance(step));
        let x = 0.1 + 0.8 * f64::from(i % 97) / 97.0;
        let line = if i % 7 == 6 {
            r#"{"type":"status","state":"lost"}"#.to_owned()
        } else {
            format!(
                r#"{{"type":"status","state":"active","point":{{"x":{x},"y":0.3,"radius":0.05}}}}"#
            )
        };
        out.extend(rig.say(CONN, &line));
    }
    let follow = rates(&rig).len();
    assert!(
        (5..=21).contains(&follow),
        "gimbal commands in 1 s: {follow}"
    );
    assert_eq!(
        rig.parts.tracking().stats().follow_commands,
        follow as u64,
        "counted"
    );
    // One more second: error (with a 4 000-byte reason), active and idle flips on every line.
    let reason = "ü".repeat(2000);
    let mut out = Vec::new();
    for i in 0..10_000u32 {
        out.extend(rig.advance(step));
        let line = match i % 3 {
            0 => format!(r#"{{"type":"status","state":"error","reason":"{reason}-{i}"}}"#),
            1 => r#"{"type":"status","state":"active","point":{"x":0.4,"y":0.3,"radius":0.05}}"#
                .to_owned(),
            _ => r#"{"type":"status","state":"idle"}"#.to_owned(),
        };
        out.extend(rig.say(CONN, &line));
    }
    out.extend(rig.advance(Duration::from_millis(200)));
    let status = tracking_status(&out);
    assert!(
        (5..=3 + 10 + 2).contains(&status.len()),
        "CAMERA_TRACKING_IMAGE_STATUS in 1.2 s: {}",
        status.len()
    );
    let texts = statustexts(&out);
    assert!(
        (1..=3 + 2).contains(&texts.len()),
        "STATUSTEXT in 1.2 s: {}",
        texts.len()
    );
    for t in &texts {
        assert_eq!(t.id, 0, "one message, not chunks");
        assert!(t.text.to_str().unwrap_or("").len() <= 50);
    }
    assert!(rig.parts.tracking().stats().texts_dropped > 1000);
    // The last state is announced, not lost to the pacing.
    let last = status.last().unwrap();
    assert_eq!(
        last.tracking_status,
        rig.parts.tracking().image_status().tracking_status
    );
}

#[test]
fn trackers_connecting_and_leaving_in_a_loop_stay_within_the_budgets() {
    let mut rig = Rig::ready();
    let name = "n".repeat(4000);
    let mut out = Vec::new();
    for conn in 100..1100 {
        out.extend(rig.advance(Duration::from_millis(1)));
        out.extend(rig.open(conn));
        let hello = format!(r#"{{"type":"hello","version":1,"name":"{name}"}}"#);
        out.extend(rig.say(conn, &hello));
        out.extend(rig.hang_up(conn));
        rig.heard();
    }
    out.extend(rig.advance(Duration::from_millis(600)));
    let infos = out
        .iter()
        .filter(|t| matches!(t.mav(), Some(MavMessage::CAMERA_INFORMATION(_))))
        .count();
    assert!(
        (2..=3 + 4).contains(&infos),
        "CAMERA_INFORMATION in 1.6 s: {infos}"
    );
    let texts = statustexts(&out);
    assert!(
        (1..=3 + 2).contains(&texts.len()),
        "STATUSTEXT: {}",
        texts.len()
    );
    assert!(texts.iter().all(|t| t.id == 0));
    // After the loop, nothing connected: the last word says so.
    assert!(!request_info(&mut rig).intersects(TRACKING_FLAGS));
    assert_eq!(
        info_flags(&out).map(|f| f & TRACKING_FLAGS),
        Some(CameraCapFlags::empty())
    );
}

/// The AI stream switch's outcome reaches tracking only as tracking's: the same id reported as
/// another part's operation answers nothing; as tracking's, it answers the track command.
#[test]
fn the_ai_stream_outcome_reaches_tracking_only_under_its_owner() {
    use siyi_bridge::core::link::{LinkEvent, OpOutcome, Owner};
    use siyi_protocol::AiMode;
    let mut rig = Rig::ready();
    rig.link_event(LinkEvent::AiModeChanged(AiMode::On));
    let out = rig.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
        [0.1, 0.1, 0.3, 0.3, 0., 0., 0.],
    );
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_IN_PROGRESS);
    let (id, op) = *rig.link.started.last().expect("the AI stream switch");
    assert!(matches!(op, Operation::SetAiStream { on: true }), "{op:?}");
    assert!(rig.link.owners.contains(&(id, Owner::Tracking)));
    for owner in [Owner::Photos, Owner::Gimbal, Owner::Settings, Owner::Tool] {
        let out = rig.link_event(LinkEvent::OpFinished {
            id,
            owner,
            op,
            outcome: OpOutcome::Succeeded { confirmed: true },
        });
        assert!(acks(&out).is_empty(), "{owner:?}: {:?}", acks(&out));
    }
    let out = rig.finish(id, OpOutcome::Succeeded { confirmed: true });
    assert_eq!(only_ack(&out).result, MavResult::MAV_RESULT_ACCEPTED);
}
