//! The gimbal component (device 154 + manager role) on virtual time against a fake SIYI link:
//! PX4's sequence, QGC's sequence, the manager stepping down, ROI geometry, link loss, bad input.

mod camera_common;

use std::time::{Duration, Instant};

use camera_common::{acks, FakeLink};
use mavlink::dialects::common::{
    GimbalDeviceErrorFlags, GimbalDeviceFlags, GimbalManagerFlags, MavAutopilot, MavCmd, MavFrame,
    MavMessage, MavModeFlag, MavResult, MavState, MavType, ATTITUDE_DATA, COMMAND_INT_DATA,
    COMMAND_LONG_DATA, GIMBAL_DEVICE_ATTITUDE_STATUS_DATA, GIMBAL_DEVICE_SET_ATTITUDE_DATA,
    GIMBAL_MANAGER_SET_PITCHYAW_DATA, GLOBAL_POSITION_INT_DATA, HEARTBEAT_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::geo::{Euler, GeoPoint};
use siyi_bridge::core::gimbal::{GimbalComponent, GimbalConfig, GimbalEvent, Goal, ManagerMode};
use siyi_bridge::core::link::{Fresh, LinkEvent, LinkHealth, Operation};
use siyi_bridge::core::mavlink::{Inbound, PeerId, Transmit};
use siyi_bridge::testing::SpinGuard;
use siyi_protocol::{Attitude, Decidegrees, DecidegreesPerSecond};

const PX4: (u8, u8) = (1, 1);
const QGC: (u8, u8) = (255, 190);
const OTHER_GCS: (u8, u8) = (254, 190);
const UTC: u64 = 1_750_000_000_000_000;

struct Rig {
    gim: GimbalComponent,
    link: FakeLink,
    t0: Instant,
    now: Instant,
    out: Vec<Transmit>,
    events: Vec<GimbalEvent>,
}

fn peer_of(from: (u8, u8)) -> PeerId {
    if from.0 == 1 {
        1
    } else {
        u32::from(from.0)
    }
}

impl Rig {
    fn new(manager: ManagerMode) -> Self {
        let t0 = FakeLink::t0();
        let config = GimbalConfig {
            system_id: Some(1),
            manager,
            ..GimbalConfig::default()
        };
        let mut r = Self {
            gim: GimbalComponent::new(config, t0),
            link: FakeLink::identified(t0),
            t0,
            now: t0,
            out: Vec::new(),
            events: Vec::new(),
        };
        r.set_attitude(0.0, 0.0);
        r.gim.handle_timeout(t0, &mut r.link);
        r.drain();
        r
    }

    /// The gimbal reads (MAVLink) yaw/pitch degrees now.
    fn set_attitude(&mut self, yaw_deg: f64, pitch_deg: f64) {
        self.link.state.attitude = Some(Fresh::new(
            Attitude {
                yaw: Decidegrees((-yaw_deg * 10.0).round() as i16),
                pitch: Decidegrees((pitch_deg * 10.0).round() as i16),
                roll: Decidegrees(0),
                yaw_rate: DecidegreesPerSecond(0),
                pitch_rate: DecidegreesPerSecond(0),
                roll_rate: DecidegreesPerSecond(0),
            },
            self.now,
        ));
    }

    fn drain(&mut self) -> Vec<Transmit> {
        let mut v = Vec::new();
        while let Some(t) = self.gim.poll_transmit() {
            v.push(t);
        }
        while let Some(e) = self.gim.poll_event() {
            self.events.push(e);
        }
        self.out.extend(v.iter().cloned());
        v
    }

    fn advance(&mut self, d: Duration) -> Vec<Transmit> {
        let end = self.now + d;
        let mut out = Vec::new();
        let mut guard = SpinGuard::new("gimbal Rig::advance", self.t0);
        while let Some(t) = self.gim.poll_timeout().filter(|t| *t <= end) {
            self.now = t.max(self.now);
            guard.tick(self.now, t);
            self.gim.handle_timeout(self.now, &mut self.link);
            out.extend(self.drain());
        }
        self.now = end;
        out
    }

    fn feed(&mut self, from: (u8, u8), msg: MavMessage) -> Vec<Transmit> {
        let header = MavHeader {
            system_id: u32::from(from.0),
            component_id: from.1,
            sequence: 0,
        };
        self.gim.handle_mavlink(
            self.now,
            UTC,
            peer_of(from),
            header,
            &Inbound::Message(msg),
            &mut self.link,
        );
        self.drain()
    }

    fn command(&mut self, from: (u8, u8), target: u8, cmd: MavCmd, p: [f32; 7]) -> Vec<Transmit> {
        self.feed(
            from,
            MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
                param1: p[0],
                param2: p[1],
                param3: p[2],
                param4: p[3],
                param5: p[4],
                param6: p[5],
                param7: p[6],
                command: cmd,
                target_system: 1,
                target_component: target,
                confirmation: 0,
            }),
        )
    }

    fn heartbeat(&mut self, from: (u8, u8)) {
        let autopilot = from.1 == 1;
        self.feed(
            from,
            MavMessage::HEARTBEAT(HEARTBEAT_DATA {
                custom_mode: 0,
                mavtype: if autopilot {
                    MavType::MAV_TYPE_QUADROTOR
                } else {
                    MavType::MAV_TYPE_GCS
                },
                autopilot: if autopilot {
                    MavAutopilot::MAV_AUTOPILOT_PX4
                } else {
                    MavAutopilot::MAV_AUTOPILOT_INVALID
                },
                base_mode: MavModeFlag::empty(),
                system_status: MavState::MAV_STATE_ACTIVE,
                mavlink_version: 3,
            }),
        );
    }

    fn vehicle_attitude(&mut self, yaw_deg: f32, yawspeed_dps: f32) {
        self.feed(
            PX4,
            MavMessage::ATTITUDE(ATTITUDE_DATA {
                time_boot_ms: 0,
                roll: 0.0,
                pitch: 0.0,
                yaw: yaw_deg.to_radians(),
                rollspeed: 0.0,
                pitchspeed: 0.0,
                yawspeed: yawspeed_dps.to_radians(),
            }),
        );
    }

    fn vehicle_position(&mut self, p: GeoPoint, home_alt_m: f64) {
        self.feed(
            PX4,
            MavMessage::GLOBAL_POSITION_INT(GLOBAL_POSITION_INT_DATA {
                time_boot_ms: 0,
                lat: (p.lat_deg * 1e7).round() as i32,
                lon: (p.lon_deg * 1e7).round() as i32,
                alt: (p.alt_m * 1000.0).round() as i32,
                relative_alt: ((p.alt_m - home_alt_m) * 1000.0).round() as i32,
                vx: 0,
                vy: 0,
                vz: 0,
                hdg: 0,
            }),
        );
    }

    fn device_set(
        &mut self,
        from: (u8, u8),
        q: [f32; 4],
        rates: [f32; 3],
        flags: GimbalDeviceFlags,
    ) {
        self.feed(
            from,
            MavMessage::GIMBAL_DEVICE_SET_ATTITUDE(GIMBAL_DEVICE_SET_ATTITUDE_DATA {
                q,
                angular_velocity_x: rates[0],
                angular_velocity_y: rates[1],
                angular_velocity_z: rates[2],
                flags,
                target_system: 1,
                target_component: 154,
            }),
        );
    }

    fn started(&mut self) -> Vec<Operation> {
        self.link.started.drain(..).map(|(_, op)| op).collect()
    }
}

fn count(out: &[Transmit], name: &str) -> usize {
    out.iter()
        .filter(|t| t.mav().is_some_and(|m| format!("{m:?}").starts_with(name)))
        .count()
}

fn last_attitude_status(out: &[Transmit]) -> GIMBAL_DEVICE_ATTITUDE_STATUS_DATA {
    out.iter()
        .rev()
        .find_map(|t| match t.mav() {
            Some(MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(s)) => Some(s.clone()),
            _ => None,
        })
        .expect("an attitude status")
}

fn angles(yaw_siyi_tenths: i16, pitch_tenths: i16) -> Operation {
    Operation::GimbalAngles {
        yaw: Decidegrees(yaw_siyi_tenths),
        pitch: Decidegrees(pitch_tenths),
    }
}

fn q(pitch_deg: f64, yaw_deg: f64) -> [f32; 4] {
    Euler::from_deg(0.0, pitch_deg, yaw_deg).to_quat()
}

const NAN_Q: [f32; 4] = [f32::NAN; 4];
const NAN3: [f32; 3] = [f32::NAN; 3];

#[test]
fn px4_discovers_the_device_and_the_bridge_steps_down() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.heartbeat(PX4);
    // Manager while nobody else is.
    let out = r.advance(Duration::from_millis(1500));
    assert!(count(&out, "GIMBAL_MANAGER_STATUS") >= 1);
    assert!(r.gim.is_manager());
    // PX4: REQUEST_MESSAGE(GIMBAL_DEVICE_INFORMATION) broadcast at 1 Hz until answered.
    let out = r.command(
        PX4,
        0,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [283.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let info = out
        .iter()
        .find_map(|t| match t.mav() {
            Some(MavMessage::GIMBAL_DEVICE_INFORMATION(i)) => Some(i.clone()),
            _ => None,
        })
        .expect("device information");
    assert_eq!(info.vendor_name.to_str().unwrap_or_default(), "SIYI");
    assert_eq!(info.model_name.to_str().unwrap_or_default(), "A8 mini");
    assert_eq!(info.firmware_version, 1 << 16 | 3 << 8); // gimbal firmware 0.3.1
    assert_eq!(info.cap_flags2.bits(), 2 | 32 | 128 | 256 | 512 | 1024);
    assert_eq!(u32::from(info.cap_flags.bits()), info.cap_flags2.bits());
    assert!((info.pitch_min.to_degrees() + 90.0).abs() < 1e-3);
    assert!((info.pitch_max.to_degrees() - 25.0).abs() < 1e-3);
    assert!((info.yaw_max.to_degrees() - 135.0).abs() < 1e-3);
    assert_eq!(info.gimbal_device_id, 0);
    assert!(out.iter().all(|t| t.component_id == 154));
    assert_eq!(r.events, vec![GimbalEvent::ManagerSteppedDown]);
    assert!(!r.gim.is_manager());
    // No manager message any more; attitude status at 10 Hz.
    let out = r.advance(Duration::from_secs(3));
    assert_eq!(count(&out, "GIMBAL_MANAGER"), 0, "{out:?}");
    let n = count(&out, "GIMBAL_DEVICE_ATTITUDE_STATUS");
    assert!((29..=31).contains(&n), "{n} attitude status in 3 s");
    let hb = out
        .iter()
        .find_map(|t| match t.mav() {
            Some(MavMessage::HEARTBEAT(h)) => Some(h.clone()),
            _ => None,
        })
        .expect("heartbeat");
    assert_eq!(hb.mavtype, MavType::MAV_TYPE_GIMBAL);
    // Manager commands now belong to the autopilot.
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE,
        [-2.0, -2.0, -1.0, -1.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_UNSUPPORTED);
}

#[test]
fn px4_set_attitude_stream_angles_rates_neutral_and_yaw_lock() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.heartbeat(PX4);
    r.vehicle_attitude(0.0, 0.0);
    let lock = GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
        | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK;
    // Angles at 5 Hz for 2 s: one 0x0E (yaw 20° right = SIYI −20°).
    for _ in 0..10 {
        r.device_set(PX4, q(-30.0, 20.0), NAN3, lock);
        r.advance(Duration::from_millis(200));
    }
    assert!(
        !r.gim.is_manager(),
        "the autopilot's set-points make it the manager"
    );
    assert_eq!(r.started(), vec![angles(-200, -300)]);
    assert!(r.gim.poll_manual_input());
    assert!(!r.gim.poll_manual_input());
    // Rates: 20 °/s right, 10 °/s down, streamed for 2 s.
    for _ in 0..10 {
        r.device_set(
            PX4,
            NAN_Q,
            [f32::NAN, (-10f32).to_radians(), 20f32.to_radians()],
            lock,
        );
        r.advance(Duration::from_millis(200));
    }
    assert!(r.gim.rate_motion_active());
    let ops = r.started();
    let Some(Operation::GimbalRates {
        yaw_speed,
        pitch_speed,
    }) = ops.first().copied()
    else {
        panic!("rates expected: {ops:?}");
    };
    assert_eq!((yaw_speed, pitch_speed), (22, -11)); // 20 / 0.9, −10 / 0.9
                                                     // The stream stops: the motion stops after 1 s.
    r.advance(Duration::from_millis(1300));
    assert_eq!(
        r.started().last().copied(),
        Some(Operation::GimbalRates {
            yaw_speed: 0,
            pitch_speed: 0
        })
    );
    assert!(!r.gim.rate_motion_active());
    // Neutral: one centering, however often it is repeated.
    for _ in 0..5 {
        r.device_set(
            PX4,
            q(0.0, 0.0),
            NAN3,
            lock | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_NEUTRAL,
        );
        r.advance(Duration::from_millis(200));
    }
    assert_eq!(r.started(), vec![Operation::Center]);
    let status = last_attitude_status(&r.out);
    assert!(status
        .flags
        .contains(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_NEUTRAL));
    // Yaw lock: 30° east of north held while the vehicle turns from 0° to 20°.
    r.vehicle_attitude(0.0, 0.0);
    r.device_set(
        PX4,
        q(-10.0, 30.0),
        NAN3,
        lock | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK,
    );
    assert_eq!(r.started(), vec![angles(-300, -100)]);
    for k in 1..=4 {
        r.vehicle_attitude(5.0 * k as f32, 25.0);
        r.device_set(
            PX4,
            q(-10.0, 30.0),
            NAN3,
            lock | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK,
        );
        r.advance(Duration::from_millis(200));
    }
    assert_eq!(r.started().last().copied(), Some(angles(-100, -100)));
    let status = last_attitude_status(&r.out);
    assert!(status
        .flags
        .contains(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK));
    assert!(status
        .flags
        .contains(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME));
    assert!((status.delta_yaw.to_degrees() - 20.0).abs() < 1e-3);
    assert_eq!(status.gimbal_device_id, 0);
}

#[test]
fn attitude_status_reports_the_gimbal_in_mavlink_signs() {
    let mut r = Rig::new(ManagerMode::Off);
    r.set_attitude(30.0, -45.0); // 30° right, 45° down
    let out = r.advance(Duration::from_millis(250));
    let s = last_attitude_status(&out);
    let e = Euler::from_quat(s.q).expect("unit");
    assert!((e.yaw_rad.to_degrees() - 30.0).abs() < 0.01, "{e:?}");
    assert!((e.pitch_rad.to_degrees() + 45.0).abs() < 0.01, "{e:?}");
    assert!(s.delta_yaw.is_nan(), "heading unknown");
    assert!(s
        .failure_flags
        .contains(GimbalDeviceErrorFlags::GIMBAL_DEVICE_ERROR_FLAGS_NO_MANAGER));
    assert_eq!(count(&out, "GIMBAL_MANAGER"), 0);
    // SET_MESSAGE_INTERVAL(285, 1 s) slows it down; −1 stops it.
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [285.0, 1e6, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let out = r.advance(Duration::from_millis(3050));
    assert_eq!(count(&out, "GIMBAL_DEVICE_ATTITUDE_STATUS"), 4);
    r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [285.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let out = r.advance(Duration::from_secs(3));
    assert_eq!(count(&out, "GIMBAL_DEVICE_ATTITUDE_STATUS"), 0);
}

#[test]
fn qgc_sequence_configure_angles_rates_and_losing_control() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.heartbeat(QGC);
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [280.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let info = out
        .iter()
        .find_map(|t| match t.mav() {
            Some(MavMessage::GIMBAL_MANAGER_INFORMATION(i)) => Some(i.clone()),
            _ => None,
        })
        .expect("manager information");
    assert_eq!(
        info.gimbal_device_id, 154,
        "QGC ignores a manager of device 0"
    );
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [281.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        [285.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let out = r.advance(Duration::from_secs(2));
    assert!(count(&out, "GIMBAL_MANAGER_STATUS") >= 2);
    // Take control (QGC names itself).
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE,
        [255.0, 190.0, -1.0, -1.0, f32::NAN, f32::NAN, 154.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let status = out
        .iter()
        .find_map(|t| match t.mav() {
            Some(MavMessage::GIMBAL_MANAGER_STATUS(s)) => Some(s.clone()),
            _ => None,
        })
        .expect("status on change");
    assert_eq!(
        (status.primary_control_sysid, status.primary_control_compid),
        QGC
    );
    assert_eq!(status.gimbal_device_id, 154);
    // Angles, body yaw.
    let body = (GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_ROLL_LOCK
        | GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_PITCH_LOCK
        | GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_YAW_IN_VEHICLE_FRAME)
        .bits() as f32;
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        [-45.0, 30.0, f32::NAN, f32::NAN, body, 0.0, 154.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    assert_eq!(r.started(), vec![angles(-300, -450)]);
    assert!(r.gim.poll_manual_input());
    // Rates with NaN angles, re-sent every 500 ms for 3 s: one motion, never stopped meanwhile.
    for _ in 0..6 {
        let out = r.command(
            QGC,
            154,
            MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
            [f32::NAN, f32::NAN, 0.0, -18.0, body, 0.0, 154.0],
        );
        assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
        r.advance(Duration::from_millis(500));
    }
    let ops = r.started();
    assert_eq!(
        ops.first().copied(),
        Some(Operation::GimbalRates {
            yaw_speed: -20,
            pitch_speed: 0
        })
    );
    assert!(
        !ops.contains(&Operation::GimbalRates {
            yaw_speed: 0,
            pitch_speed: 0
        }),
        "{ops:?}"
    );
    // QGC's stop: rates 0.
    r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        [f32::NAN, f32::NAN, 0.0, 0.0, body, 0.0, 154.0],
    );
    assert_eq!(
        r.started(),
        vec![Operation::GimbalRates {
            yaw_speed: 0,
            pitch_speed: 0
        }]
    );
    // Another GCS takes control: the first is denied, by COMMAND_INT too.
    let out = r.command(
        OTHER_GCS,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE,
        [-2.0, -2.0, -1.0, -1.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        [-10.0, 0.0, f32::NAN, f32::NAN, body, 0.0, 154.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_DENIED);
    let out = r.feed(
        QGC,
        MavMessage::COMMAND_INT(COMMAND_INT_DATA {
            param1: -10.0,
            param2: 0.0,
            param3: f32::NAN,
            param4: f32::NAN,
            x: body as i32,
            y: 0,
            z: 154.0,
            command: MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
            target_system: 1,
            target_component: 154,
            frame: MavFrame::MAV_FRAME_GLOBAL,
            current: 0,
            autocontinue: 0,
        }),
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_DENIED);
    // The message form is ignored for it as well, and obeyed for the one in control.
    let pitchyaw = |pitch_deg: f32| {
        MavMessage::GIMBAL_MANAGER_SET_PITCHYAW(GIMBAL_MANAGER_SET_PITCHYAW_DATA {
            flags: GimbalManagerFlags::from_bits_retain(body as u32),
            pitch: pitch_deg.to_radians(),
            yaw: 0.0,
            pitch_rate: f32::NAN,
            yaw_rate: f32::NAN,
            target_system: 1,
            target_component: 154,
            gimbal_device_id: 154,
        })
    };
    r.feed(QGC, pitchyaw(-20.0));
    assert!(r.started().is_empty());
    assert_eq!(r.gim.stats().denied, 3);
    r.feed(OTHER_GCS, pitchyaw(-20.0));
    assert_eq!(r.started(), vec![angles(0, -200)]);
}

#[test]
fn manager_steps_down_when_the_autopilot_sends_set_attitude() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.heartbeat(PX4);
    r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE,
        [-2.0, -2.0, -1.0, -1.0, 0.0, 0.0, 0.0],
    );
    r.advance(Duration::from_secs(2));
    assert!(count(&r.out, "GIMBAL_MANAGER_STATUS") >= 2);
    r.device_set(
        PX4,
        q(-20.0, 0.0),
        NAN3,
        GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK,
    );
    assert_eq!(r.events, vec![GimbalEvent::ManagerSteppedDown]);
    assert_eq!(r.started(), vec![angles(0, -200)]);
    let out = r.advance(Duration::from_secs(3));
    assert_eq!(count(&out, "GIMBAL_MANAGER"), 0);
    // A ground station's device set-point is not the manager's: ignored.
    r.device_set(
        QGC,
        q(-60.0, 0.0),
        NAN3,
        GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK,
    );
    assert!(r.started().is_empty());
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [280.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_DENIED);
    // Manager mode "on" never steps down.
    let mut on = Rig::new(ManagerMode::On);
    on.device_set(
        PX4,
        q(-20.0, 0.0),
        NAN3,
        GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK,
    );
    assert!(on.gim.is_manager());
    assert!(on.events.is_empty());
}

#[test]
fn roi_points_at_a_location_and_follows_the_vehicle() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.heartbeat(PX4);
    let home = GeoPoint {
        lat_deg: 47.397742,
        lon_deg: 8.545594,
        alt_m: 488.0,
    };
    let vehicle = GeoPoint {
        alt_m: home.alt_m + 100.0,
        ..home
    };
    r.vehicle_position(vehicle, home.alt_m);
    r.vehicle_attitude(90.0, 0.0); // facing east
                                   // 100 m north of the vehicle, on the ground at home altitude (COMMAND_LONG: relative alt).
    let target = home.offset(100.0, 0.0, 0.0);
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_SET_ROI_LOCATION,
        [
            0.0,
            0.0,
            0.0,
            0.0,
            target.lat_deg as f32,
            target.lon_deg as f32,
            0.0,
        ],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    // North is 90° to the left (SIYI +90°), 45° down. f32 latitude costs a few decimetres.
    let ops = r.started();
    let Some(Operation::GimbalAngles { yaw, pitch }) = ops.first().copied() else {
        panic!("{ops:?}");
    };
    assert!(
        (yaw.0 - 900).abs() <= 2 && (pitch.0 + 450).abs() <= 3,
        "{yaw:?} {pitch:?}"
    );
    // COMMAND_INT with AMSL altitude: exact.
    let out = r.feed(
        QGC,
        MavMessage::COMMAND_INT(COMMAND_INT_DATA {
            param1: 0.0,
            param2: 0.0,
            param3: 0.0,
            param4: 0.0,
            x: (target.lat_deg * 1e7).round() as i32,
            y: (target.lon_deg * 1e7).round() as i32,
            z: home.alt_m as f32,
            command: MavCmd::MAV_CMD_DO_SET_ROI_LOCATION,
            target_system: 1,
            target_component: 154,
            frame: MavFrame::MAV_FRAME_GLOBAL,
            current: 0,
            autocontinue: 0,
        }),
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    // The vehicle turns to face north-east and climbs to 200 m: 45° left, atan(200/100) down.
    r.vehicle_attitude(45.0, 0.0);
    r.vehicle_position(
        GeoPoint {
            alt_m: home.alt_m + 200.0,
            ..vehicle
        },
        home.alt_m,
    );
    r.advance(Duration::from_millis(300));
    let last = r.started().last().copied();
    let down = -(200f64 / 100.0).atan().to_degrees();
    assert_eq!(last, Some(angles(450, (down * 10.0).round() as i16)));
    let status = last_attitude_status(&r.out);
    assert!(status
        .flags
        .contains(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK));
    // ROI none: the gimbal stays, nothing more is sent.
    let out = r.command(QGC, 154, MavCmd::MAV_CMD_DO_SET_ROI_NONE, [0.0; 7]);
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    r.vehicle_attitude(0.0, 0.0);
    r.advance(Duration::from_secs(1));
    assert!(r.started().is_empty());
    assert_eq!(r.gim.goal(), Goal::Idle);
}

#[test]
fn link_loss_raises_failure_flags_and_stops_rates() {
    let mut r = Rig::new(ManagerMode::Auto);
    let out = r.advance(Duration::from_millis(300));
    assert!(last_attitude_status(&out).failure_flags.is_empty());
    r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        [f32::NAN, f32::NAN, 9.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert!(r.gim.rate_motion_active());
    r.link.health = LinkHealth::Lost;
    let ev = LinkEvent::Health {
        from: LinkHealth::Up,
        to: LinkHealth::Lost,
    };
    r.gim.handle_link_event(r.now, &ev, &mut r.link);
    assert!(!r.gim.rate_motion_active());
    let out = r.advance(Duration::from_millis(1500));
    let s = last_attitude_status(&out);
    assert!(s
        .failure_flags
        .contains(GimbalDeviceErrorFlags::GIMBAL_DEVICE_ERROR_FLAGS_COMMS_ERROR));
    let hb = out
        .iter()
        .find_map(|t| match t.mav() {
            Some(MavMessage::HEARTBEAT(h)) => Some(h.clone()),
            _ => None,
        })
        .expect("heartbeat");
    assert_eq!(hb.system_status, MavState::MAV_STATE_CRITICAL);
    // Up again but the reading is stale: still a failure until a fresh reading.
    r.link.health = LinkHealth::Up;
    let out = r.advance(Duration::from_millis(200));
    assert!(!last_attitude_status(&out).failure_flags.is_empty());
    r.set_attitude(0.0, 0.0);
    let out = r.advance(Duration::from_millis(200));
    assert!(last_attitude_status(&out).failure_flags.is_empty());
}

#[test]
fn bad_set_points_are_refused_and_angles_clamped() {
    let mut r = Rig::new(ManagerMode::Auto);
    let flags = GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK;
    r.device_set(QGC, [f32::NAN, 0.0, 0.0, 0.0], NAN3, flags);
    r.device_set(QGC, [0.5, 0.0, 0.0, 0.0], NAN3, flags);
    r.device_set(QGC, [f32::INFINITY, 0.0, 0.0, 0.0], NAN3, flags);
    r.device_set(QGC, NAN_Q, [0.0, f32::INFINITY, 0.0], flags);
    assert!(r.started().is_empty());
    assert_eq!(r.gim.stats().bad_setpoints, 4);
    assert_eq!(r.gim.goal(), Goal::Idle);
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        [f32::INFINITY, 0.0, f32::NAN, f32::NAN, 0.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_DENIED);
    // Beyond the limits: clamped, said once.
    r.device_set(QGC, q(60.0, 170.0), NAN3, flags);
    r.device_set(QGC, q(-10.0, -150.0), NAN3, flags);
    assert_eq!(r.started(), vec![angles(-1350, 250), angles(1350, -100)]);
    assert_eq!(count(&r.out, "STATUSTEXT"), 1);
    assert_eq!(r.gim.stats().clamped, 2);
    // Rates beyond the gimbal's speed: clamped to ±100.
    r.device_set(QGC, NAN_Q, [0.0, 0.0, 10.0], flags);
    assert_eq!(
        r.started(),
        vec![Operation::GimbalRates {
            yaw_speed: 100,
            pitch_speed: 0
        }]
    );
    // Yaw lock without the vehicle's heading cannot be held.
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        [0.0, 10.0, f32::NAN, f32::NAN, 16.0, 0.0, 0.0],
    );
    assert_eq!(
        acks(&out)[0].result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
}

#[test]
fn manager_set_attitude_rates_and_earth_frame_rates_follow_the_vehicle_turn() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.heartbeat(PX4);
    r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE,
        [-2.0, -2.0, -1.0, -1.0, 0.0, 0.0, 154.0],
    );
    // QGC's rate control: GIMBAL_MANAGER_SET_ATTITUDE with NaN q, rates in rad/s.
    let set = |yaw_dps: f32, flags: GimbalManagerFlags| {
        MavMessage::GIMBAL_MANAGER_SET_ATTITUDE(
            mavlink::dialects::common::GIMBAL_MANAGER_SET_ATTITUDE_DATA {
                flags,
                q: NAN_Q,
                angular_velocity_x: f32::NAN,
                angular_velocity_y: 0.0,
                angular_velocity_z: yaw_dps.to_radians(),
                target_system: 1,
                target_component: 154,
                gimbal_device_id: 154,
            },
        )
    };
    r.feed(
        QGC,
        set(
            9.0,
            GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_YAW_IN_VEHICLE_FRAME,
        ),
    );
    assert_eq!(
        r.started(),
        vec![Operation::GimbalRates {
            yaw_speed: 10,
            pitch_speed: 0
        }]
    );
    assert!(r.gim.rate_motion_active() && r.gim.is_driving());
    // Earth frame while the vehicle turns right at 4.5 °/s: the gimbal turns 4.5 °/s less.
    r.vehicle_attitude(0.0, 4.5);
    r.feed(
        QGC,
        set(9.0, GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_YAW_LOCK),
    );
    assert_eq!(
        r.started(),
        vec![Operation::GimbalRates {
            yaw_speed: 5,
            pitch_speed: 0
        }]
    );
    // Another user's message without control: ignored.
    r.feed(
        OTHER_GCS,
        set(
            -9.0,
            GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_YAW_IN_VEHICLE_FRAME,
        ),
    );
    assert!(r.started().is_empty());
    // ROI by COMMAND_INT with a relative altitude needs the home altitude: rejected without it.
    let roi = MavMessage::COMMAND_INT(COMMAND_INT_DATA {
        param1: 0.0,
        param2: 0.0,
        param3: 0.0,
        param4: 0.0,
        x: 473_977_420,
        y: 85_455_940,
        z: 0.0,
        command: MavCmd::MAV_CMD_DO_SET_ROI_LOCATION,
        target_system: 1,
        target_component: 154,
        frame: MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
        current: 0,
        autocontinue: 0,
    });
    let out = r.feed(QGC, roi);
    assert_eq!(
        acks(&out)[0].result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
    assert!(r.gim.rate_motion_active());
}

#[test]
fn yielding_to_another_part_stops_the_re_aiming() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.heartbeat(PX4);
    r.vehicle_attitude(0.0, 0.0);
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        [-10.0, 30.0, f32::NAN, f32::NAN, 16.0, 0.0, 0.0],
    );
    assert_eq!(acks(&out)[0].result, MavResult::MAV_RESULT_ACCEPTED);
    assert_eq!(r.started(), vec![angles(-300, -100)]);
    assert!(r.gim.is_driving() && r.gim.poll_manual_input());
    r.gim.yield_gimbal();
    assert!(!r.gim.is_driving());
    r.vehicle_attitude(20.0, 0.0);
    r.advance(Duration::from_millis(500));
    assert!(r.started().is_empty(), "no re-aiming after yielding");
    assert!(!r.gim.poll_manual_input());
}

#[test]
fn device_information_waits_for_the_camera_and_status_follows_yaw_lock() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.link = FakeLink::searching();
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [283.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        acks(&out)[0].result,
        MavResult::MAV_RESULT_TEMPORARILY_REJECTED
    );
    assert_eq!(count(&out, "GIMBAL_DEVICE_INFORMATION"), 0);
    // Yaw lock on: GIMBAL_MANAGER_STATUS says so at once (not only at the next 1 Hz tick).
    r.link = FakeLink::identified(r.now);
    r.heartbeat(PX4);
    r.vehicle_attitude(0.0, 0.0);
    r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE,
        [-2.0, -2.0, -1.0, -1.0, 0.0, 0.0, 0.0],
    );
    let out = r.command(
        QGC,
        154,
        MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        [-10.0, 30.0, f32::NAN, f32::NAN, 16.0, 0.0, 0.0],
    );
    let status = out
        .iter()
        .find_map(|t| match t.mav() {
            Some(MavMessage::GIMBAL_MANAGER_STATUS(s)) => Some(s.clone()),
            _ => None,
        })
        .expect("status on change");
    assert!(status
        .flags
        .contains(GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_YAW_LOCK));
}

/// A copy of the autopilot's ids (system 1, component 1) on another link than the one PX4's
/// heartbeat came on is not PX4: its requests and set-points do not make the bridge step down.
#[test]
fn the_autopilots_ids_from_another_link_do_not_make_the_bridge_step_down() {
    let mut r = Rig::new(ManagerMode::Auto);
    r.heartbeat(PX4);
    r.advance(Duration::from_millis(500));
    let header = MavHeader {
        system_id: 1,
        component_id: 1,
        sequence: 0,
    };
    let spoof_link: PeerId = 77;
    let request = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
        param1: 283.0,
        command: MavCmd::MAV_CMD_REQUEST_MESSAGE,
        target_system: 0,
        target_component: 0,
        ..COMMAND_LONG_DATA::DEFAULT
    });
    let setpoint = MavMessage::GIMBAL_DEVICE_SET_ATTITUDE(GIMBAL_DEVICE_SET_ATTITUDE_DATA {
        q: q(-30.0, 0.0),
        angular_velocity_x: f32::NAN,
        angular_velocity_y: f32::NAN,
        angular_velocity_z: f32::NAN,
        flags: GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK,
        target_system: 1,
        target_component: 154,
    });
    for msg in [request.clone(), setpoint] {
        r.gim.handle_mavlink(
            r.now,
            UTC,
            spoof_link,
            header,
            &Inbound::Message(msg),
            &mut r.link,
        );
        r.drain();
    }
    assert!(r.gim.is_manager(), "still the manager");
    assert!(r.events.is_empty(), "{:?}", r.events);
    // The same request from PX4's own link does.
    r.command(
        PX4,
        0,
        MavCmd::MAV_CMD_REQUEST_MESSAGE,
        [283.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert!(!r.gim.is_manager());
}
