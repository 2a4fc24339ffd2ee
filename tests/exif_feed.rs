//! The camera ↔ autopilot ↔ gimbal links of issue 10, in the whole core (`Bridge` = real
//! `SiyiLink` + camera + gimbal) against the sans-IO simulator on virtual time:
//!
//! * the EXIF feed: our autopilot's SYSTEM_TIME / ATTITUDE / GLOBAL_POSITION_INT reach the
//!   simulated camera as 0x30 / 0x22 / 0x3E (the simulator records them), nothing is fed
//!   without an autopilot or from a spoofed one, the time is set again after a camera reboot,
//!   an unanswered 0x30 is given up quietly;
//! * where the camera looks: CAMERA_IMAGE_CAPTURED.q and CAMERA_FOV_STATUS against geometry
//!   computed by hand;
//! * CAMERA_INFORMATION.gimbal_device_id.

mod camera_common;

use std::time::Duration;

use camera_common::FakeLink;
use mavlink::dialects::common::{
    GimbalDeviceFlags, MavAutopilot, MavCmd, MavMessage, MavModeFlag, MavState, MavType,
    ATTITUDE_DATA, CAMERA_FOV_STATUS_DATA, GIMBAL_DEVICE_SET_ATTITUDE_DATA,
    GLOBAL_POSITION_INT_DATA, HEARTBEAT_DATA, SYSTEM_TIME_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::bridge::BridgeEvent;
use siyi_bridge::core::camera::{CameraConfig, Inbound, PeerId};
use siyi_bridge::core::geo::{Euler, EARTH_RADIUS_M};
use siyi_bridge::core::gimbal::{GimbalComponent, GimbalConfig};
use siyi_bridge::core::link::{FallbackUsed, LinkConfig, LinkEvent};
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;
use siyi_protocol::CmdId;

/// PX4's link (peer) and identity.
const PX4_PEER: PeerId = 1;
const LAT_E7: i32 = 473_977_420;
const LON_E7: i32 = 85_455_940;
/// 588 m AMSL, 100 m above home (home at 488 m).
const ALT_MM: i32 = 588_000;
const REL_ALT_MM: i32 = 100_000;
/// The autopilot's UTC at the start of each world.
const PX4_UTC0_US: u64 = 1_800_000_000_000_000;

fn world(sim: SimConfig, gimbal_device_id: u8) -> SimWorld {
    let now = FakeLink::t0();
    let camera = CameraConfig {
        system_id: Some(1),
        gimbal_device_id,
        ..CameraConfig::default()
    };
    let mut w = SimWorld::with(camera, LinkConfig::default(), sim, now, 0);
    let gimbal = GimbalConfig {
        system_id: Some(1),
        ..GimbalConfig::default()
    };
    w.bridge.set_gimbal(GimbalComponent::new(gimbal, now));
    w
}

fn sends(w: &mut SimWorld, peer: PeerId, sys: u8, comp: u8, msg: MavMessage) {
    let (sys, comp) = (u32::from(sys), comp);
    let header = MavHeader {
        system_id: sys,
        component_id: comp,
        sequence: 0,
    };
    w.mavlink(peer, header, &Inbound::Message(msg));
}

fn heartbeat(w: &mut SimWorld) {
    let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_QUADROTOR,
        autopilot: MavAutopilot::MAV_AUTOPILOT_PX4,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    });
    sends(w, PX4_PEER, 1, 1, hb);
}

/// A world whose camera has booted, with PX4 (1/1) heartbeating on [`PX4_PEER`].
fn booted(sim: SimConfig, gimbal_device_id: u8) -> SimWorld {
    let mut w = world(
        SimConfig {
            boot_time_ms: 500,
            ..sim
        },
        gimbal_device_id,
    );
    heartbeat(&mut w);
    w.run(Duration::from_secs(3));
    w
}

/// What PX4 streams while flying: ATTITUDE (heading `yaw_deg`) at 50 Hz, GLOBAL_POSITION_INT at
/// 10 Hz, SYSTEM_TIME at 1 Hz and a heartbeat at 1 Hz, for `secs`, sent as system `sys`,
/// component `comp` on `peer`.
fn fly_as(w: &mut SimWorld, peer: PeerId, sys: u8, comp: u8, yaw_deg: f32, secs: u32) {
    let ticks = secs * 50;
    for i in 0..ticks {
        let t_ms = w.now.duration_since(w.t0).as_millis() as u32;
        sends(
            w,
            peer,
            sys,
            comp,
            MavMessage::ATTITUDE(ATTITUDE_DATA {
                time_boot_ms: t_ms,
                roll: 0.02,
                pitch: -0.05,
                yaw: yaw_deg.to_radians(),
                rollspeed: 0.0,
                pitchspeed: 0.0,
                yawspeed: 0.0,
            }),
        );
        if i % 5 == 0 {
            sends(
                w,
                peer,
                sys,
                comp,
                MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
                    time_boot_ms: t_ms,
                    lat: LAT_E7,
                    lon: LON_E7,
                    alt: ALT_MM,
                    relative_alt: REL_ALT_MM,
                    vx: 120,
                    vy: -30,
                    vz: 5,
                    hdg: 9000,
                }),
            );
        }
        if i % 50 == 0 {
            let utc = PX4_UTC0_US + w.now.duration_since(w.t0).as_micros() as u64;
            sends(
                w,
                peer,
                sys,
                comp,
                MavMessage::SYSTEM_TIME(SYSTEM_TIME_DATA {
                    time_unix_usec: utc,
                    time_boot_ms: t_ms,
                }),
            );
            heartbeat(w);
        }
        w.run(Duration::from_millis(20));
    }
}

fn fly(w: &mut SimWorld, yaw_deg: f32, secs: u32) {
    fly_as(w, PX4_PEER, 1, 1, yaw_deg, secs);
}

fn px4_utc_now(w: &SimWorld) -> u64 {
    PX4_UTC0_US + w.now.duration_since(w.t0).as_micros() as u64
}

#[test]
fn the_autopilots_time_attitude_and_position_reach_the_camera() {
    let mut w = booted(SimConfig::default(), 0);
    let start = w.now;
    fly(&mut w, 90.0, 2);
    let exif = w.sim.state().exif;
    let utc = exif.utc_time_us.expect("0x30 reached the camera");
    // Set on the first SYSTEM_TIME, with that message's time.
    assert!(utc >= PX4_UTC0_US && utc <= px4_utc_now(&w), "{utc}");
    assert_eq!(exif.utc_sets, 1, "the camera took it: not sent again");
    let (at, a) = exif.attitude.expect("0x22 reached the camera");
    assert!(w.now.duration_since(at) <= Duration::from_millis(120));
    assert!((a.yaw_rad - 90f32.to_radians()).abs() < 1e-6);
    assert!((a.roll_rad - 0.02).abs() < 1e-6 && (a.pitch_rad + 0.05).abs() < 1e-6);
    // 50 Hz in, at most 10 Hz out.
    let secs = w.now.duration_since(start).as_secs_f64();
    assert!(exif.attitudes >= 15, "{}", exif.attitudes);
    assert!(
        f64::from(exif.attitudes) <= secs * 10.0 + 1.0,
        "{}",
        exif.attitudes
    );
    let (_, g) = exif.gps.expect("0x3E reached the camera");
    assert_eq!((g.lat_deg_e7, g.lon_deg_e7), (LAT_E7, LON_E7));
    assert_eq!(g.alt_msl_cm, ALT_MM / 10);
    assert_eq!((g.vn_mm_s, g.ve_mm_s, g.vd_mm_s), (1200, -300, 50));
    assert!(exif.gps_fixes >= 5 && f64::from(exif.gps_fixes) <= secs * 5.0 + 1.0);
    let stats = w.bridge.camera().exif_feed();
    assert_eq!(stats.attitude_sent, exif.attitudes);
    assert_eq!(stats.gps_sent, exif.gps_fixes);
}

#[test]
fn nothing_is_fed_when_the_autopilot_sends_nothing() {
    let mut w = booted(SimConfig::default(), 0);
    for _ in 0..10 {
        heartbeat(&mut w);
        w.run(Duration::from_secs(1));
    }
    assert_eq!(w.sim.state().exif, Default::default());
    assert_eq!(w.bridge.camera().exif_feed(), Default::default());
}

#[test]
fn a_spoofed_autopilot_is_ignored() {
    let mut w = booted(SimConfig::default(), 0);
    // Another component of our system, and another system's autopilot on another link.
    fly_as(&mut w, PX4_PEER, 1, 2, 90.0, 2);
    fly_as(&mut w, 2, 7, 1, 90.0, 2);
    assert_eq!(w.sim.state().exif, Default::default());
    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [271.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let fov = last_fov(&mut w);
    assert!(fov.q.iter().all(|c| c.is_nan()), "{:?}", fov.q);
    assert_eq!(fov.lat_image, i32::MAX);
}

#[test]
fn the_time_is_set_again_after_a_camera_reboot() {
    let mut w = booted(
        SimConfig {
            reboot_at_ms: Some(6_000),
            // Longer than the link's loss threshold (3 s): lost, then back = a reboot.
            reboot_silence_ms: 4_000,
            ..SimConfig::default()
        },
        0,
    );
    fly(&mut w, 0.0, 2);
    assert!(w.sim.state().exif.utc_time_us.is_some());
    fly(&mut w, 0.0, 10);
    let s = w.sim.state();
    assert_eq!(s.reboots, 1);
    let utc = s.exif.utc_time_us.expect("set again after the reboot");
    assert!(
        utc > PX4_UTC0_US + 6_000_000,
        "the new time, not the old one"
    );
    assert!(w
        .events
        .iter()
        .any(|e| matches!(e, BridgeEvent::Link(LinkEvent::Rebooted))));
    assert_eq!(w.bridge.camera().exif_feed().time_sent, 2);
}

#[test]
fn an_unanswered_utc_time_is_given_up_quietly() {
    let mut sim = SimConfig::default();
    sim.unanswered.insert(CmdId::SET_UTC_TIME.0);
    let mut w = booted(sim, 0);
    fly(&mut w, 0.0, 20);
    let sent = w.bridge.camera().exif_feed().time_sent;
    assert!((1..=5).contains(&sent), "{sent}");
    let given_up: Vec<_> = w
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                BridgeEvent::Link(LinkEvent::CommandUnanswered {
                    fallback: FallbackUsed::ClockNotSet,
                    ..
                })
            )
        })
        .collect();
    assert_eq!(given_up.len(), 1, "{given_up:?}");
    fly(&mut w, 0.0, 10);
    assert_eq!(
        w.bridge.camera().exif_feed().time_sent,
        sent,
        "nothing more"
    );
    // Nobody was told on MAVLink: the camera's clock is not a ground station's problem.
    let texts: Vec<_> = w
        .take()
        .into_iter()
        .filter_map(|m| match m {
            MavMessage::STATUSTEXT(t) => Some(t.text.to_str().unwrap_or("").to_owned()),
            _ => None,
        })
        .collect();
    assert!(
        texts
            .iter()
            .all(|t| !t.contains("0x30") && !t.to_lowercase().contains("time")),
        "{texts:?}"
    );
    // The attitude and position feed goes on.
    assert!(w.sim.state().exif.attitudes > 100);
}

fn point_gimbal(w: &mut SimWorld, pitch_deg: f64, yaw_right_deg: f64) {
    let q = Euler::from_deg(0.0, pitch_deg, yaw_right_deg).to_quat();
    let msg = MavMessage::GIMBAL_DEVICE_SET_ATTITUDE(GIMBAL_DEVICE_SET_ATTITUDE_DATA {
        q,
        angular_velocity_x: f32::NAN,
        angular_velocity_y: f32::NAN,
        angular_velocity_z: f32::NAN,
        flags: GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
            | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK,
        target_system: 1,
        target_component: 154,
    });
    sends(w, PX4_PEER, 1, 1, msg);
}

fn last_fov(w: &mut SimWorld) -> CAMERA_FOV_STATUS_DATA {
    w.take()
        .into_iter()
        .rev()
        .find_map(|m| match m {
            MavMessage::CAMERA_FOV_STATUS(f) => Some(f),
            _ => None,
        })
        .expect("CAMERA_FOV_STATUS")
}

/// Vehicle 100 m above home heading east (90°), gimbal straight ahead and 45° down: the camera
/// looks east, 45° down, and the image centre is on the ground 100 m east of the vehicle.
#[test]
fn image_captured_and_fov_status_say_where_the_camera_looks() {
    let mut w = booted(SimConfig::default(), 154);
    for _ in 0..3 {
        point_gimbal(&mut w, -45.0, 0.0);
        fly(&mut w, 90.0, 1);
    }
    let s = w.sim.state();
    assert!(
        (s.pitch_deg + 45.0).abs() < 0.2 && s.yaw_deg.abs() < 0.2,
        "{s:?}"
    );
    w.take();
    w.command(
        MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
        [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
    );
    fly(&mut w, 90.0, 2);
    let captured = w
        .take()
        .into_iter()
        .find_map(|m| match m {
            MavMessage::CAMERA_IMAGE_CAPTURED(c) => Some(c),
            _ => None,
        })
        .expect("CAMERA_IMAGE_CAPTURED");
    let e = Euler::from_quat(captured.q).expect("a unit quaternion");
    assert!((e.yaw_rad.to_degrees() - 90.0).abs() < 0.3, "{e:?}");
    assert!((e.pitch_rad.to_degrees() + 45.0).abs() < 0.3, "{e:?}");
    assert!(
        e.roll_rad.abs() < 0.01,
        "the gimbal holds roll level: {e:?}"
    );

    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [271.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let fov = last_fov(&mut w);
    assert_eq!(fov.q, captured.q);
    let lat = f64::from(LAT_E7) * 1e-7;
    let north_m = f64::from(fov.lat_image - LAT_E7) * 1e-7_f64.to_radians() * EARTH_RADIUS_M;
    let east_m = f64::from(fov.lon_image - LON_E7)
        * 1e-7_f64.to_radians()
        * EARTH_RADIUS_M
        * lat.to_radians().cos();
    assert!(north_m.abs() < 1.0, "{north_m} m north");
    assert!((east_m - 100.0).abs() < 1.5, "{east_m} m east");
    assert_eq!(
        fov.alt_image,
        ALT_MM - REL_ALT_MM,
        "on the ground at home altitude"
    );
    assert_eq!((fov.lat_camera, fov.lon_camera), (LAT_E7, LON_E7));

    // Looking above the horizon: the centre never meets the ground.
    for _ in 0..3 {
        point_gimbal(&mut w, 10.0, 0.0);
        fly(&mut w, 90.0, 1);
    }
    w.command(
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [271.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let fov = last_fov(&mut w);
    assert_eq!(
        (fov.lat_image, fov.lon_image, fov.alt_image),
        (i32::MIN, i32::MIN, i32::MIN)
    );
    assert!(fov.q.iter().all(|c| c.is_finite()));
}

#[test]
fn camera_information_names_the_gimbal_device() {
    for id in [154, 0] {
        let mut w = booted(SimConfig::default(), id);
        w.take();
        w.command(
            MavCmd::MAV_CMD_REQUEST_MESSAGE,
            [259.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        );
        let info = w
            .take()
            .into_iter()
            .find_map(|m| match m {
                MavMessage::CAMERA_INFORMATION(i) => Some(i),
                _ => None,
            })
            .expect("CAMERA_INFORMATION");
        assert_eq!(info.gimbal_device_id, id);
    }
}

/// Without ATTITUDE the camera's attitude is unknown: NaN quaternion, image centre unknown.
#[test]
fn without_the_vehicle_attitude_the_pose_is_unknown() {
    let mut w = booted(SimConfig::default(), 154);
    w.command(
        MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
        [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
    );
    w.run(Duration::from_secs(2));
    let captured = w
        .take()
        .into_iter()
        .find_map(|m| match m {
            MavMessage::CAMERA_IMAGE_CAPTURED(c) => Some(c),
            _ => None,
        })
        .expect("CAMERA_IMAGE_CAPTURED");
    assert!(captured.q.iter().all(|c| c.is_nan()), "{:?}", captured.q);
}
