//! The gimbal component inside the whole core (`Bridge` = real `SiyiLink` + camera + gimbal)
//! against the sans-IO simulator, on virtual time: PX4 drives the gimbal with
//! GIMBAL_DEVICE_SET_ATTITUDE and the attitude status follows the simulated gimbal; the rate
//! controller reaches the asked rate on a gimbal whose speed scale is not the assumed one.

mod camera_common;

use std::time::Duration;

use camera_common::FakeLink;
use mavlink::dialects::common::{
    GimbalDeviceFlags, MavAutopilot, MavMessage, MavModeFlag, MavState, MavType,
    GIMBAL_DEVICE_ATTITUDE_STATUS_DATA, GIMBAL_DEVICE_SET_ATTITUDE_DATA, HEARTBEAT_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::camera::Inbound;
use siyi_bridge::core::geo::Euler;
use siyi_bridge::core::gimbal::{GimbalComponent, GimbalConfig};
use siyi_bridge::sim::SimConfig;
use siyi_bridge::testing::SimWorld;

/// The world with a gimbal component, and PX4's side of it.
trait Px4 {
    fn px4_sends(&mut self, msg: MavMessage);
    fn set_attitude(&mut self, q: [f32; 4], yaw_rate_rad_s: f32);
    fn last_status(&self) -> GIMBAL_DEVICE_ATTITUDE_STATUS_DATA;
}

fn world(sim: SimConfig) -> SimWorld {
    let now = FakeLink::t0();
    let mut w = SimWorld::new(sim, now);
    let gimbal = GimbalComponent::new(
        GimbalConfig {
            system_id: Some(1),
            ..GimbalConfig::default()
        },
        now,
    );
    w.bridge.set_gimbal(gimbal);
    w
}

impl Px4 for SimWorld {
    fn px4_sends(&mut self, msg: MavMessage) {
        let header = MavHeader {
            system_id: 1,
            component_id: 1,
            sequence: 0,
        };
        self.mavlink(1, header, &Inbound::Message(msg));
    }

    fn set_attitude(&mut self, q: [f32; 4], yaw_rate_rad_s: f32) {
        self.px4_sends(MavMessage::GIMBAL_DEVICE_SET_ATTITUDE(
            GIMBAL_DEVICE_SET_ATTITUDE_DATA {
                q,
                angular_velocity_x: f32::NAN,
                angular_velocity_y: f32::NAN,
                angular_velocity_z: yaw_rate_rad_s,
                flags: GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
                    | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK,
                target_system: 1,
                target_component: 154,
            },
        ));
    }

    fn last_status(&self) -> GIMBAL_DEVICE_ATTITUDE_STATUS_DATA {
        self.out
            .iter()
            .rev()
            .find_map(|t| match t.mav() {
                Some(MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(s)) => Some(s.clone()),
                _ => None,
            })
            .expect("attitude status")
    }
}

fn booted(sim: SimConfig) -> SimWorld {
    let mut w = world(SimConfig {
        boot_time_ms: 500,
        ..sim
    });
    w.px4_sends(MavMessage::HEARTBEAT(HEARTBEAT_DATA {
        custom_mode: 0,
        mavtype: MavType::MAV_TYPE_QUADROTOR,
        autopilot: MavAutopilot::MAV_AUTOPILOT_PX4,
        base_mode: MavModeFlag::empty(),
        system_status: MavState::MAV_STATE_ACTIVE,
        mavlink_version: 3,
    }));
    w.run(Duration::from_secs(3));
    w
}

#[test]
fn px4_angles_move_the_simulated_gimbal_and_the_status_follows() {
    let mut w = booted(SimConfig::default());
    let q = Euler::from_deg(0.0, -40.0, 60.0).to_quat(); // 60° right, 40° down
    for _ in 0..15 {
        w.set_attitude(q, f32::NAN);
        w.run(Duration::from_millis(200));
    }
    let s = w.sim.state();
    assert!(
        (s.yaw_deg + 60.0).abs() < 0.2,
        "SIYI yaw is positive left: {}",
        s.yaw_deg
    );
    assert!((s.pitch_deg + 40.0).abs() < 0.2, "{}", s.pitch_deg);
    let e = Euler::from_quat(w.last_status().q).expect("unit");
    assert!((e.yaw_rad.to_degrees() - 60.0).abs() < 0.3, "{e:?}");
    assert!((e.pitch_rad.to_degrees() + 40.0).abs() < 0.3, "{e:?}");
    assert!(w.last_status().failure_flags.is_empty());
    assert!(w.out.iter().all(
        |t| !matches!(t.mav(), Some(MavMessage::GIMBAL_MANAGER_STATUS(_))) || t.component_id == 154
    ));
}

/// The asked rate is reached on a gimbal that turns at 60 °/s at full speed (not the 90 °/s the
/// feed-forward assumes), measured from the simulator's own angles.
#[test]
fn rate_controller_reaches_the_asked_rate_on_the_simulator() {
    for max_rate in [60.0, 90.0, 130.0] {
        let mut w = booted(SimConfig {
            gimbal_max_rate_dps: max_rate,
            ..SimConfig::default()
        });
        let asked = 15.0f32;
        // PX4 streams rates at 5 Hz for 4 s.
        let mut yaw_at = Vec::new();
        for _ in 0..20 {
            w.set_attitude([f32::NAN; 4], asked.to_radians());
            w.run(Duration::from_millis(200));
            yaw_at.push((w.now, -w.sim.state().yaw_deg));
        }
        // Over the last second the gimbal turned at the asked rate (±1 unit of the scale).
        let (t1, y1) = yaw_at[yaw_at.len() - 6];
        let (t2, y2) = yaw_at[yaw_at.len() - 1];
        let rate = (y2 - y1) / (t2 - t1).as_secs_f64();
        let unit = max_rate / 100.0;
        assert!(
            (rate - f64::from(asked)).abs() <= unit + 0.2,
            "max {max_rate} °/s: turned at {rate:.2} °/s, asked {asked}"
        );
        assert!(w.bridge.gimbal().is_some_and(|g| g.rate_motion_active()));
        // The stream stops: the gimbal stops within 1.2 s.
        w.run(Duration::from_millis(1300));
        let y_stop = w.sim.state().yaw_deg;
        w.run(Duration::from_secs(1));
        assert_eq!(
            w.sim.state().yaw_deg,
            y_stop,
            "max {max_rate}: still turning"
        );
    }
}
