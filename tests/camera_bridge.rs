//! The whole core (`Bridge` = real `SiyiLink` + `CameraComponent`) against the sans-IO simulator
//! model, on virtual time: no sockets, no sleeps. Datagrams are handed over instantly; time jumps
//! to the earliest timer of either side.

mod camera_common;

use std::time::{Duration, Instant};

use camera_common::FakeLink;
use mavlink::dialects::common::{
    MavCmd, MavMessage, MavResult, MavState, StorageStatus, COMMAND_LONG_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::bridge::Bridge;
use siyi_bridge::core::camera::{CameraComponent, CameraConfig, Inbound, Transmit};
use siyi_bridge::core::link::{LinkConfig, SiyiLink};
use siyi_bridge::sim::{SimCamera, SimConfig};
use siyi_bridge::testing::SpinGuard;

struct World {
    bridge: Bridge<SiyiLink>,
    sim: SimCamera,
    now: Instant,
    /// When false, datagrams to and from the camera are lost (cable pulled).
    wire: bool,
    out: Vec<Transmit>,
}

const UTC: u64 = 1_750_000_000_000_000;

impl World {
    fn new(sim: SimConfig) -> Self {
        let now = FakeLink::t0();
        let camera = CameraComponent::new(
            CameraConfig {
                system_id: Some(1),
                ..CameraConfig::default()
            },
            now,
        );
        Self {
            bridge: Bridge::new(SiyiLink::new(LinkConfig::default(), now), camera, now),
            sim: SimCamera::new(sim, now),
            now,
            wire: true,
            out: Vec::new(),
        }
    }

    fn exchange(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            while let Some(d) = self.bridge.poll_siyi() {
                moved = true;
                if self.wire {
                    self.sim.handle_datagram(self.now, &d);
                }
            }
            while let Some(d) = self.sim.poll_transmit() {
                moved = true;
                if self.wire {
                    self.bridge.handle_siyi(self.now, &d);
                }
            }
            while let Some(t) = self.bridge.poll_mavlink() {
                self.out.push(t);
            }
            while self.bridge.poll_event().is_some() {}
            if !moved {
                return;
            }
        }
        panic!("datagram storm");
    }

    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        self.bridge.handle_timeout(self.now, UTC);
        self.exchange();
        let mut guard = SpinGuard::new("camera_bridge run", self.now);
        loop {
            let next = [self.bridge.poll_timeout(), self.sim.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next.filter(|n| *n <= end) else {
                break;
            };
            self.now = next.max(self.now);
            guard.tick(self.now, next);
            self.sim.handle_timeout(self.now);
            self.bridge.handle_timeout(self.now, UTC);
            self.exchange();
        }
        self.now = end;
    }

    fn command(&mut self, command: MavCmd, p: [f32; 3]) {
        let msg = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            param1: p[0],
            param2: p[1],
            param3: p[2],
            param4: 0.0,
            param5: 0.0,
            param6: 0.0,
            param7: 0.0,
            command,
            target_system: 1,
            target_component: 100,
            confirmation: 0,
        });
        let header = MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 0,
        };
        self.bridge
            .handle_mavlink(self.now, UTC, 3, header, &Inbound::Message(msg));
        self.exchange();
    }

    fn take(&mut self) -> Vec<MavMessage> {
        self.out
            .drain(..)
            .filter_map(|t| t.mav().cloned())
            .collect()
    }
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

#[test]
fn boot_discovery_photo_video_on_virtual_time() {
    let mut w = World::new(SimConfig {
        boot_time_ms: 5_000,
        ..SimConfig::default()
    });
    w.run(Duration::from_secs(1));
    w.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, [259.0, 0.0, 0.0]);
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_REQUEST_MESSAGE),
        Some(MavResult::MAV_RESULT_TEMPORARILY_REJECTED),
        "booting camera"
    );
    w.run(Duration::from_secs(6));
    w.take();
    w.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, [259.0, 0.0, 0.0]);
    let m = w.take();
    assert!(m.iter().any(
        |m| matches!(m, MavMessage::CAMERA_INFORMATION(i) if &i.model_name[..7] == b"A8 mini")
    ));

    w.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, [0.0, 0.0, 1.0]);
    w.run(Duration::from_secs(2));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_IMAGE_START_CAPTURE),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    assert!(m
        .iter()
        .any(|m| matches!(m, MavMessage::CAMERA_IMAGE_CAPTURED(c) if c.image_index == 0)));
    assert_eq!(w.sim.state().photos_taken, 1);

    w.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, [0.0; 3]);
    w.run(Duration::from_secs(3));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_VIDEO_START_CAPTURE),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    assert!(w.sim.state().recording);
    assert!(m
        .iter()
        .any(|m| matches!(m, MavMessage::CAMERA_CAPTURE_STATUS(s) if s.video_status == 1 && s.recording_time_ms >= 1000)));
    w.command(MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE, [0.0; 3]);
    w.run(Duration::from_secs(2));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE),
        Some(MavResult::MAV_RESULT_ACCEPTED)
    );
    assert!(!w.sim.state().recording);

    // Zoom to 100 %: the camera gets there and CAMERA_SETTINGS says so.
    w.command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, [2.0, 100.0, 0.0]);
    w.run(Duration::from_secs(3));
    let m = w.take();
    assert!((w.sim.state().zoom - 6.0).abs() < 0.05);
    assert!(m
        .iter()
        .any(|m| matches!(m, MavMessage::CAMERA_SETTINGS(s) if s.zoomLevel > 99.0)));
}

#[test]
fn no_sd_card_fails_recording_with_a_reason() {
    let mut w = World::new(SimConfig {
        sd_card: false,
        ..SimConfig::instant_boot()
    });
    w.run(Duration::from_secs(3));
    let m = w.take();
    assert!(
        m.iter().any(|m| matches!(m, MavMessage::STATUSTEXT(t) if t.text.to_str().unwrap_or("").contains("SD card"))),
        "no-card warning"
    );
    w.command(MavCmd::MAV_CMD_VIDEO_START_CAPTURE, [0.0; 3]);
    w.run(Duration::from_secs(5));
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_VIDEO_START_CAPTURE),
        Some(MavResult::MAV_RESULT_FAILED)
    );
    assert!(!w.sim.state().recording);
    w.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, [261.0, 0.0, 0.0]);
    let m = w.take();
    assert!(m.iter().any(|m| matches!(m, MavMessage::STORAGE_INFORMATION(s) if s.status == StorageStatus::STORAGE_STATUS_EMPTY)));
}

#[test]
fn camera_lost_and_back() {
    let mut w = World::new(SimConfig::instant_boot());
    w.run(Duration::from_secs(3));
    w.take();
    w.wire = false;
    w.run(Duration::from_secs(10));
    let m = w.take();
    assert!(m.iter().any(
        |m| matches!(m, MavMessage::HEARTBEAT(h) if h.system_status == MavState::MAV_STATE_CRITICAL)
    ));
    let hb = m
        .iter()
        .filter(|m| matches!(m, MavMessage::HEARTBEAT(_)))
        .count();
    assert!(hb >= 9, "heartbeats continue: {hb}");
    w.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, [0.0, 0.0, 1.0]);
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_IMAGE_START_CAPTURE),
        Some(MavResult::MAV_RESULT_TEMPORARILY_REJECTED)
    );
    w.command(MavCmd::MAV_CMD_REQUEST_MESSAGE, [259.0, 0.0, 0.0]);
    let m = w.take();
    assert_eq!(
        final_ack(&m, MavCmd::MAV_CMD_REQUEST_MESSAGE),
        Some(MavResult::MAV_RESULT_ACCEPTED),
        "cached information is still served"
    );
    w.wire = true;
    w.run(Duration::from_secs(10));
    let m = w.take();
    assert!(m.iter().any(
        |m| matches!(m, MavMessage::HEARTBEAT(h) if h.system_status == MavState::MAV_STATE_STANDBY)
    ));
}
