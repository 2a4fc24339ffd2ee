//! PX4 as a *client* of the bridge's gimbal manager (PX4's `MNT_MODE_OUT=3`), on virtual time
//! against a fake SIYI link: PX4 finds the manager from GIMBAL_MANAGER_STATUS (or asks for
//! GIMBAL_MANAGER_INFORMATION by a broadcast), takes primary control with
//! DO_GIMBAL_MANAGER_CONFIGURE, streams GIMBAL_MANAGER_SET_PITCHYAW (or SET_ATTITUDE), releases
//! with −3. The bridge stays the manager; QGC keeps secondary control meanwhile and has primary
//! control again after PX4 releases.

mod camera_common;

use std::time::{Duration, Instant};

use camera_common::{acks, FakeLink};
use mavlink::dialects::common::{
    GimbalManagerFlags, MavAutopilot, MavCmd, MavMessage, MavModeFlag, MavResult, MavState,
    MavType, COMMAND_LONG_DATA, GIMBAL_MANAGER_SET_ATTITUDE_DATA, GIMBAL_MANAGER_SET_PITCHYAW_DATA,
    GIMBAL_MANAGER_STATUS_DATA, HEARTBEAT_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::geo::Euler;
use siyi_bridge::core::gimbal::{GimbalComponent, GimbalConfig, GimbalEvent, ManagerMode};
use siyi_bridge::core::link::Operation;
use siyi_bridge::core::mavlink::{Inbound, PeerId, Transmit};
use siyi_bridge::testing::SpinGuard;

const PX4: (u8, u8) = (1, 1);
const QGC: (u8, u8) = (255, 190);
const OTHER_GCS: (u8, u8) = (254, 190);

struct Rig {
    gim: GimbalComponent,
    link: FakeLink,
    t0: Instant,
    now: Instant,
    events: Vec<GimbalEvent>,
}

fn peer_of(from: (u8, u8)) -> PeerId {
    u32::from(from.0)
}

impl Rig {
    fn new() -> Self {
        let t0 = FakeLink::t0();
        let config = GimbalConfig {
            manager: ManagerMode::Auto,
            ..GimbalConfig::default()
        };
        let mut r = Self {
            gim: GimbalComponent::new(config, t0),
            link: FakeLink::identified(t0),
            t0,
            now: t0,
            events: Vec::new(),
        };
        r.gim.handle_timeout(t0, &mut r.link);
        r.drain();
        r
    }

    fn drain(&mut self) -> Vec<Transmit> {
        let mut v = Vec::new();
        while let Some(t) = self.gim.poll_transmit() {
            v.push(t);
        }
        while let Some(e) = self.gim.poll_event() {
            self.events.push(e);
        }
        v
    }

    fn advance(&mut self, d: Duration) -> Vec<Transmit> {
        let end = self.now + d;
        let mut out = Vec::new();
        let mut guard = SpinGuard::new("gimbal_px4_client advance", self.t0);
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
        let inbound = Inbound::Message(msg);
        (self.gim).handle_mavlink(self.now, 0, peer_of(from), header, &inbound, &mut self.link);
        self.drain()
    }

    fn command(&mut self, from: (u8, u8), target: (u8, u8), cmd: MavCmd, p: [f32; 7]) -> MavResult {
        let out = self.feed(
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
                target_system: target.0,
                target_component: target.1,
                confirmation: 0,
            }),
        );
        acks(&out).first().map(|a| a.result).expect("an ack")
    }

    fn configure(&mut self, from: (u8, u8), p: [f32; 4]) -> MavResult {
        let cmd = MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE;
        self.command(
            from,
            (1, 154),
            cmd,
            [p[0], p[1], p[2], p[3], f32::NAN, f32::NAN, 154.0],
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

    /// PX4's GIMBAL_MANAGER_SET_PITCHYAW as `OutputToGimbalManager` builds it: angles in rad,
    /// rates NaN, PITCH_LOCK; YAW_LOCK + YAW_IN_EARTH_FRAME only for an earth-frame yaw.
    fn px4_pitchyaw(&mut self, from: (u8, u8), pitch_deg: f32, yaw_deg: f32) {
        let msg = MavMessage::GIMBAL_MANAGER_SET_PITCHYAW(GIMBAL_MANAGER_SET_PITCHYAW_DATA {
            flags: GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_PITCH_LOCK,
            pitch: pitch_deg.to_radians(),
            yaw: yaw_deg.to_radians(),
            pitch_rate: f32::NAN,
            yaw_rate: f32::NAN,
            target_system: 1,
            target_component: 154,
            gimbal_device_id: 154,
        });
        self.feed(from, msg);
    }

    fn started(&mut self) -> Vec<Operation> {
        self.link.started.drain(..).map(|(_, op)| op).collect()
    }
}

fn statuses(out: &[Transmit]) -> Vec<GIMBAL_MANAGER_STATUS_DATA> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::GIMBAL_MANAGER_STATUS(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn control(s: &GIMBAL_MANAGER_STATUS_DATA) -> [(u8, u8); 2] {
    [
        (s.primary_control_sysid, s.primary_control_compid),
        (s.secondary_control_sysid, s.secondary_control_compid),
    ]
}

fn angles(yaw_deg: i16, pitch_deg: i16) -> Operation {
    Operation::GimbalAngles {
        yaw: siyi_protocol::Decidegrees(-yaw_deg * 10),
        pitch: siyi_protocol::Decidegrees(pitch_deg * 10),
    }
}

#[test]
fn px4_takes_primary_control_streams_pitchyaw_and_releases_qgc_stays_secondary() {
    let mut r = Rig::new();
    r.heartbeat(PX4);
    r.heartbeat(QGC);
    // Discovery: the manager's status streams (who is in control, device 154), and the answer
    // to the broadcast request of the older PX4 client.
    let out = r.advance(Duration::from_millis(2_100));
    let st = statuses(&out);
    assert!(st.len() >= 2, "{} statuses", st.len());
    assert!(st
        .iter()
        .all(|s| s.gimbal_device_id == 154 && control(s) == [(0, 0); 2]));
    let out = r.feed(
        PX4,
        MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            param1: 280.0, // GIMBAL_MANAGER_INFORMATION
            command: MavCmd::MAV_CMD_REQUEST_MESSAGE,
            target_system: 0,
            target_component: 0,
            ..COMMAND_LONG_DATA::default()
        }),
    );
    assert!(out
        .iter()
        .any(|t| matches!(t.mav(), Some(MavMessage::GIMBAL_MANAGER_INFORMATION(i)) if i.gimbal_device_id == 154)));

    // QGC had control; PX4 (a mission's ROI) takes it with its own ids.
    assert_eq!(
        r.configure(QGC, [255.0, 190.0, -1.0, -1.0]),
        MavResult::MAV_RESULT_ACCEPTED
    );
    assert_eq!(
        r.configure(PX4, [1.0, 1.0, -1.0, -1.0]),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let out = r.advance(Duration::from_millis(1_100));
    let last = statuses(&out).pop().expect("a status");
    assert_eq!(control(&last), [PX4, QGC], "PX4 primary, QGC secondary");

    // PX4 streams its set-point every loop; the bridge obeys and stays the manager.
    for _ in 0..25 {
        r.px4_pitchyaw(PX4, -30.0, 10.0);
        r.advance(Duration::from_millis(20));
    }
    assert_eq!(
        r.started(),
        vec![angles(10, -30)],
        "one motion for a steady stream"
    );
    assert!(r.gim.is_manager());
    assert!(!r.events.contains(&GimbalEvent::ManagerSteppedDown));

    // QGC asking for primary control meanwhile stays secondary, and may still nudge.
    assert_eq!(
        r.configure(QGC, [-2.0, -2.0, -1.0, -1.0]),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let body = GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_PITCH_LOCK.bits() as f32;
    let pitchyaw = MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW;
    let nudge = [-20.0, 0.0, f32::NAN, f32::NAN, body, 0.0, 154.0];
    assert_eq!(
        r.command(QGC, (1, 154), pitchyaw, nudge),
        MavResult::MAV_RESULT_ACCEPTED
    );
    assert_eq!(r.started(), vec![angles(0, -20)]);
    // A third user has no control.
    assert_eq!(
        r.command(OTHER_GCS, (1, 154), pitchyaw, nudge),
        MavResult::MAV_RESULT_DENIED
    );
    let out = r.advance(Duration::from_millis(1_100));
    assert_eq!(control(&statuses(&out).pop().expect("status")), [PX4, QGC]);

    // PX4 idle: it releases (−3); QGC has primary control again, PX4's set-points are ignored.
    assert_eq!(
        r.configure(PX4, [-3.0, -3.0, -1.0, -1.0]),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let out = r.advance(Duration::from_millis(1_100));
    assert_eq!(
        control(&statuses(&out).pop().expect("status")),
        [QGC, (0, 0)]
    );
    let denied = r.gim.stats().denied;
    r.px4_pitchyaw(PX4, -60.0, 0.0);
    assert!(r.started().is_empty());
    assert_eq!(r.gim.stats().denied, denied + 1);
}

#[test]
fn px4_client_with_minus_two_and_set_attitude_then_nobody_in_control() {
    // The other client variant: takes control with −2 ("set itself"), sends
    // GIMBAL_MANAGER_SET_ATTITUDE quaternions.
    let mut r = Rig::new();
    r.heartbeat(PX4);
    r.advance(Duration::from_millis(1_100));
    assert_eq!(
        r.configure(PX4, [-2.0, -2.0, -1.0, -1.0]),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let q = Euler::from_deg(0.0, -45.0, -15.0).to_quat();
    let msg = MavMessage::GIMBAL_MANAGER_SET_ATTITUDE(GIMBAL_MANAGER_SET_ATTITUDE_DATA {
        flags: GimbalManagerFlags::GIMBAL_MANAGER_FLAGS_YAW_IN_VEHICLE_FRAME,
        q,
        angular_velocity_x: f32::NAN,
        angular_velocity_y: f32::NAN,
        angular_velocity_z: f32::NAN,
        target_system: 1,
        target_component: 154,
        gimbal_device_id: 154,
    });
    r.feed(PX4, msg.clone());
    assert_eq!(r.started(), vec![angles(-15, -45)]);
    // A ground station without control cannot move it while PX4 holds it.
    r.heartbeat(QGC);
    r.feed(QGC, {
        let mut m = msg;
        if let MavMessage::GIMBAL_MANAGER_SET_ATTITUDE(a) = &mut m {
            a.q = [1.0, 0.0, 0.0, 0.0];
        }
        m
    });
    assert!(r.started().is_empty());
    // Released with 0/0: nobody in control, anyone may command.
    assert_eq!(
        r.configure(PX4, [0.0, 0.0, -1.0, -1.0]),
        MavResult::MAV_RESULT_ACCEPTED
    );
    let out = r.advance(Duration::from_millis(1_100));
    assert_eq!(control(&statuses(&out).pop().expect("status")), [(0, 0); 2]);
    assert!(r.gim.is_manager());
}
