//! Tracking with everything real but the sockets, on virtual time: the bridge (SIYI link +
//! camera component + tracking), the simulated A8 mini with its moving target, and the simulated
//! tracker on the tracker API (or the simulated AI module). A rectangle drawn around the target
//! makes the gimbal turn until the box sits in the middle of the picture, and stay with it.

use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    CameraTrackingMode, CameraTrackingStatusFlags, MavCmd, MavMessage, MavResult,
    CAMERA_TRACKING_IMAGE_STATUS_DATA,
};
use siyi_bridge::sim::scene;
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;

#[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
fn t0() -> Instant {
    Instant::now()
}

fn booted(sim: SimConfig) -> SimWorld {
    let mut w = SimWorld::new(sim, t0());
    w.run(Duration::from_secs(2));
    w
}

fn final_ack(msgs: &[MavMessage], cmd: MavCmd) -> Option<MavResult> {
    msgs.iter().rev().find_map(|m| match m {
        MavMessage::COMMAND_ACK(a)
            if a.command == cmd && a.result != MavResult::MAV_RESULT_IN_PROGRESS =>
        {
            Some(a.result)
        }
        _ => None,
    })
}

fn statuses(msgs: &[MavMessage]) -> Vec<CAMERA_TRACKING_IMAGE_STATUS_DATA> {
    msgs.iter()
        .filter_map(|m| match m {
            MavMessage::CAMERA_TRACKING_IMAGE_STATUS(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// The target's true place in the picture now (centre, normalised), if it is in the frame.
fn target_in_picture(w: &SimWorld) -> Option<(f64, f64)> {
    scene::target_box(&w.sim.pose()).map(|b| (b.center_x, b.center_y))
}

/// Draws a rectangle around the target where the simulator says it is.
fn track_target(w: &mut SimWorld) {
    let b = scene::target_box(&w.sim.pose()).expect("the target starts in the picture");
    let (l, t, r, bottom) = b.clipped_edges();
    let p = [l, t, r, bottom].map(|v| v as f32);
    w.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
        [p[0], p[1], p[2], p[3], 0.0, 0.0, 0.0],
    );
}

/// How far the target is from the picture's centre, a fraction of the frame (worst axis).
fn error(c: (f64, f64)) -> f64 {
    (c.0 - 0.5).abs().max((c.1 - 0.5).abs())
}

/// Steps `seconds` of virtual time in 100 ms steps; returns the worst error after `settle_s`
/// and when the error first fell under 0.05.
fn follow_for(w: &mut SimWorld, seconds: u32, settle_s: f64) -> (f64, Option<f64>) {
    let start = w.now;
    let mut worst = 0.0_f64;
    let mut settled = None;
    for step in 0..seconds * 10 {
        if step % 10 == 0 {
            // The ground station heartbeats (a requested stream stops for a silent peer).
            w.gcs_heartbeat();
        }
        w.run(Duration::from_millis(100));
        let t = (w.now - start).as_secs_f64();
        let e = error(target_in_picture(w).expect("the target stays in the picture"));
        if settled.is_none() && e < 0.05 {
            settled = Some(t);
        }
        if t >= settle_s {
            worst = worst.max(e);
        }
    }
    (worst, settled)
}

#[test]
fn a_rectangle_around_the_target_turns_the_gimbal_until_it_is_centred() {
    let mut w = booted(SimConfig::instant_boot());
    w.connect_tracker();
    w.take();
    // Look roughly at where the target drives (it starts 20° below the horizon, ahead).
    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [259.0, 0., 0., 0., 0., 0., 0.],
    );
    let start = target_in_picture(&w).expect("in the picture");
    assert!(error(start) > 0.2, "starts well off-centre: {start:?}");
    track_target(&mut w);
    w.run(Duration::from_millis(200));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    let s = statuses(&m);
    assert_eq!(s.len(), 1, "one change: idle → active");
    assert_eq!(
        s[0].tracking_mode,
        CameraTrackingMode::CAMERA_TRACKING_MODE_RECTANGLE
    );
    // QGC asks for the status every 500 ms.
    w.command(
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [275.0, 500_000.0, 0., 0., 0., 0., 0.],
    );
    let (worst, settled) = follow_for(&mut w, 30, 5.0);
    let settled = settled.expect("the target reaches the centre");
    assert!(settled <= 5.0, "settles within 5 s: {settled}");
    assert!(worst < 0.05, "stays within 0.05 of the frame: {worst}");
    // The streamed status shows the box in the middle, from the tracker's own report.
    let s = statuses(&w.take());
    assert!((50..=70).contains(&s.len()), "2 Hz for 30 s: {}", s.len());
    let last = s.last().unwrap();
    assert_eq!(
        last.tracking_status,
        CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ACTIVE
    );
    let cx = f64::from(last.rec_top_x + last.rec_bottom_x) / 2.0;
    assert!((cx - 0.5).abs() < 0.05, "reported centre {cx}");

    // Stop: the gimbal stops and stays where it is.
    w.command(MavCmd::MAV_CMD_CAMERA_STOP_TRACKING, [0.0; 7]);
    w.run(Duration::from_millis(300));
    let yaw = w.sim.state().yaw_deg;
    w.run(Duration::from_secs(2));
    assert!((w.sim.state().yaw_deg - yaw).abs() < 0.01, "gimbal still");
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_CAMERA_STOP_TRACKING),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    assert!(
        statuses(&m)
            .iter()
            .any(|s| s.tracking_status
                == CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_IDLE)
    );
}

#[test]
fn follow_works_zoomed_in() {
    let mut w = booted(SimConfig::instant_boot());
    w.connect_tracker();
    // Centre the target first, then zoom to 4× and keep it centred.
    track_target(&mut w);
    let (_, settled) = follow_for(&mut w, 8, 8.0);
    assert!(settled.is_some());
    // Zoom range 60 % = 4×.
    w.command(
        MavCmd::MAV_CMD_SET_CAMERA_ZOOM,
        [2.0, 60.0, 0., 0., 0., 0., 0.],
    );
    w.run(Duration::from_secs(1));
    assert!(w.sim.state().zoom > 3.5, "zoomed: {}", w.sim.state().zoom);
    let (worst, _) = follow_for(&mut w, 15, 2.0);
    assert!(worst < 0.05, "a narrower picture, still centred: {worst}");
}

#[test]
fn a_point_on_the_background_is_held_still_in_the_middle() {
    let mut w = booted(SimConfig::instant_boot());
    w.connect_tracker();
    // Top left quarter: sky, no target.
    w.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_POINT,
        [0.3, 0.3, 0.05, 0., 0., 0., 0.],
    );
    w.run(Duration::from_secs(8));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_CAMERA_TRACK_POINT),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    let s = &statuses(&m)[0];
    assert_eq!(
        s.tracking_mode,
        CameraTrackingMode::CAMERA_TRACKING_MODE_POINT
    );
    // The gimbal turned left and up towards that point and stopped there.
    let st = w.sim.state();
    assert!(
        st.yaw_deg > 5.0 && st.pitch_deg > 3.0,
        "turned left/up: {st:?}"
    );
    let (yaw, pitch) = (st.yaw_deg, st.pitch_deg);
    w.run(Duration::from_secs(3));
    let st = w.sim.state();
    assert!(
        (st.yaw_deg - yaw).abs() < 0.5 && (st.pitch_deg - pitch).abs() < 0.5,
        "held"
    );
}

#[test]
fn a_tracker_that_dies_mid_track_stops_the_gimbal() {
    let mut w = booted(SimConfig::instant_boot());
    w.connect_tracker();
    track_target(&mut w);
    w.run(Duration::from_millis(300));
    assert!(
        w.sim.state().gimbal != siyi_bridge::sim::camera::GimbalMotion::Idle,
        "moving"
    );
    // The tracker process dies: its connection closes.
    w.tracker = None;
    w.bridge
        .handle_tracker_closed(w.now, siyi_bridge::testing::WORLD_TRACKER_CONN);
    w.exchange();
    w.run(Duration::from_millis(500));
    let yaw = w.sim.state().yaw_deg;
    w.run(Duration::from_secs(2));
    assert!((w.sim.state().yaw_deg - yaw).abs() < 0.01, "gimbal stopped");
    let s = statuses(&w.take());
    assert!(s.iter().any(
        |s| s.tracking_status == CameraTrackingStatusFlags::CAMERA_TRACKING_STATUS_FLAGS_ERROR
    ));
}

#[test]
fn the_simulated_ai_module_tracks_its_own_target() {
    let mut w = booted(SimConfig {
        ai_module: true,
        ..SimConfig::instant_boot()
    });
    w.run(Duration::from_secs(6)); // 0x4D is asked every 5 s
    let m = w.take();
    assert!(m.iter().any(|m| matches!(m, MavMessage::STATUSTEXT(t) if t.text.to_str().unwrap_or("").contains("AI tracking module on"))));
    // The user draws anywhere: the module tracks the car anyway.
    w.command(
        MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE,
        [0.1, 0.1, 0.2, 0.2, 0., 0., 0.],
    );
    w.run(Duration::from_millis(300));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_CAMERA_TRACK_RECTANGLE),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    assert!(w.sim.state().ai_stream_on);
    let (worst, settled) = follow_for(&mut w, 20, 5.0);
    assert!(settled.is_some_and(|s| s <= 5.0), "{settled:?}");
    assert!(worst < 0.05, "{worst}");
    w.command(MavCmd::MAV_CMD_CAMERA_STOP_TRACKING, [0.0; 7]);
    w.run(Duration::from_millis(300));
    assert!(!w.sim.state().ai_stream_on);
}

mod with_the_gimbal_component {
    use super::*;
    use mavlink::dialects::common::{
        GimbalDeviceFlags, MavAutopilot, MavModeFlag, MavState, MavType, ATTITUDE_DATA,
        GIMBAL_DEVICE_SET_ATTITUDE_DATA, HEARTBEAT_DATA,
    };
    use mavlink::MavHeader;
    use siyi_bridge::core::camera::Inbound;
    use siyi_bridge::core::geo::Euler;
    use siyi_bridge::core::gimbal::{GimbalComponent, GimbalConfig};

    fn px4(w: &mut SimWorld, msg: MavMessage) {
        let header = MavHeader {
            system_id: 1,
            component_id: 1,
            sequence: 0,
        };
        w.mavlink(1, header, &Inbound::Message(msg));
    }

    fn px4_heartbeat(w: &mut SimWorld) {
        px4(
            w,
            MavMessage::HEARTBEAT(HEARTBEAT_DATA {
                custom_mode: 0,
                mavtype: MavType::MAV_TYPE_QUADROTOR,
                autopilot: MavAutopilot::MAV_AUTOPILOT_PX4,
                base_mode: MavModeFlag::empty(),
                system_status: MavState::MAV_STATE_ACTIVE,
                mavlink_version: 3,
            }),
        );
    }

    /// PX4 as gimbal manager: the same angle set-point with yaw lock (held in the earth frame),
    /// as it streams it; with the vehicle's attitude: it turns at 3°/s, so the gimbal component
    /// keeps re-aiming to hold the earth-frame yaw.
    fn px4_setpoint(w: &mut SimWorld, pitch_deg: f64, yaw_deg: f64) {
        let heading_rad = (w.now - w.t0).as_secs_f32() * 3.0_f32.to_radians();
        px4(
            w,
            MavMessage::ATTITUDE(ATTITUDE_DATA {
                time_boot_ms: 0,
                roll: 0.0,
                pitch: 0.0,
                yaw: heading_rad.sin().atan2(heading_rad.cos()),
                rollspeed: 0.0,
                pitchspeed: 0.0,
                yawspeed: 0.0,
            }),
        );
        let q = Euler::from_deg(0.0, pitch_deg, yaw_deg).to_quat();
        px4(
            w,
            MavMessage::GIMBAL_DEVICE_SET_ATTITUDE(GIMBAL_DEVICE_SET_ATTITUDE_DATA {
                q,
                angular_velocity_x: f32::NAN,
                angular_velocity_y: f32::NAN,
                angular_velocity_z: f32::NAN,
                flags: GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
                    | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK
                    | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK,
                target_system: 1,
                target_component: 154,
            }),
        );
    }

    #[test]
    fn follow_and_px4_set_points_take_turns() {
        let now = t0();
        let mut w = SimWorld::new(SimConfig::instant_boot(), now);
        let gimbal = GimbalConfig {
            system_id: Some(1),
            ..GimbalConfig::default()
        };
        w.bridge.set_gimbal(GimbalComponent::new(gimbal, now));
        w.run(Duration::from_secs(2));
        px4_heartbeat(&mut w);
        px4_setpoint(&mut w, -10.0, 0.0);
        w.run(Duration::from_secs(2));
        assert!(
            (w.sim.state().pitch_deg + 10.0).abs() < 1.0,
            "PX4 aims the gimbal"
        );
        let yaw_before = w.sim.state().yaw_deg;
        px4_setpoint(&mut w, -10.0, 0.0);
        w.run(Duration::from_secs(2));
        assert!(
            (w.sim.state().yaw_deg - yaw_before).abs() > 3.0,
            "yaw lock turns the gimbal against the vehicle's turn"
        );
        w.connect_tracker();
        track_target(&mut w);
        // PX4 keeps streaming the same set-point at 5 Hz; the follow keeps the target centred.
        let mut worst = 0.0_f64;
        for step in 0..150 {
            if step % 2 == 0 {
                px4_setpoint(&mut w, -10.0, 0.0);
            }
            if step % 10 == 0 {
                px4_heartbeat(&mut w);
            }
            w.run(Duration::from_millis(100));
            if step >= 50 {
                worst = worst.max(error(target_in_picture(&w).expect("in the picture")));
            }
        }
        assert!(worst < 0.05, "centred despite PX4's stream: {worst}");
        assert!(w.bridge.tracking().is_following());
        // The user moves the gimbal (PX4 passes on a new set-point): follow stops, PX4 wins.
        px4_setpoint(&mut w, -40.0, 20.0);
        assert!(!w.bridge.tracking().is_following());
        for step in 0..30 {
            if step % 2 == 0 {
                px4_setpoint(&mut w, -40.0, 20.0);
            }
            w.run(Duration::from_millis(100));
        }
        let st = w.sim.state();
        assert!((st.pitch_deg + 40.0).abs() < 1.0, "pitch {}", st.pitch_deg);
        assert!(!w.bridge.tracking().is_following());
    }
}
