//! Shared harness for the camera component scenario tests: a fake SIYI link and helpers on
//! virtual time.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    MavCmd, MavMessage, MavResult, COMMAND_ACK_DATA, COMMAND_INT_DATA, COMMAND_LONG_DATA,
};
use mavlink::MavHeader;
use siyi_bridge::core::bridge::Parts;
use siyi_bridge::core::camera::{
    CameraComponent, CameraConfig, CameraEvent, Inbound, PeerId, Target, Transmit,
};
use siyi_bridge::core::link::{
    CameraState, Fresh, LinkControl, LinkEvent, LinkHealth, OpId, OpOutcome, Operation, Owner,
    ZoomSource,
};
use siyi_bridge::testing::SpinGuard;
use siyi_protocol::{CameraModel, FirmwareVersion, HardwareId, RecordState, Zoom};

/// A fake SIYI link: records started operations; the test finishes them.
pub struct FakeLink {
    pub state: CameraState,
    pub health: LinkHealth,
    pub started: Vec<(OpId, Operation)>,
    /// Who started each operation (what the link reports back with its outcome).
    pub owners: Vec<(OpId, Owner)>,
    next: u64,
}

impl FakeLink {
    pub fn identified(now: Instant) -> Self {
        let state = CameraState {
            hardware_id: Some(HardwareId::from_ascii("7342011256")),
            model: Some(CameraModel::A8Mini),
            camera_fw: Some(FirmwareVersion::new(0, 3, 4)),
            gimbal_fw: Some(FirmwareVersion::new(0, 3, 1)),
            record: Some(Fresh::new(RecordState::NotRecording, now)),
            zoom: Some((
                Fresh::new(Zoom::from_factor(1.0), now),
                ZoomSource::CurrentZoomReply,
            )),
            max_zoom: Some(Zoom::from_factor(6.0)),
            startups: 1,
            ..CameraState::default()
        };
        Self {
            state,
            health: LinkHealth::Up,
            started: Vec::new(),
            owners: Vec::new(),
            next: 1,
        }
    }

    #[allow(clippy::disallowed_methods)]
    pub fn t0() -> Instant {
        Instant::now()
    }

    pub fn searching() -> Self {
        Self {
            state: CameraState::default(),
            health: LinkHealth::Searching,
            started: Vec::new(),
            owners: Vec::new(),
            next: 1,
        }
    }
}

impl LinkControl for FakeLink {
    fn state(&self) -> &CameraState {
        &self.state
    }
    fn health(&self) -> LinkHealth {
        self.health
    }
    fn start(&mut self, _now: Instant, owner: Owner, op: Operation) -> OpId {
        let id = OpId(self.next);
        self.next += 1;
        self.started.push((id, op));
        self.owners.push((id, owner));
        id
    }
}

pub const GCS: (u8, u8) = (255, 190);
pub const GCS_LINK: PeerId = 7;
pub const UTC0: u64 = 1_700_000_000_000_000;

/// The parts (camera and tracking, as the bridge routes them) + fake link on virtual time.
pub struct Rig {
    pub parts: Parts,
    pub link: FakeLink,
    pub t0: Instant,
    pub now: Instant,
    pub out: Vec<Transmit>,
    pub events: Vec<CameraEvent>,
}

impl Rig {
    pub fn new(link: FakeLink, t0: Instant) -> Self {
        let config = CameraConfig {
            system_id: Some(1),
            ..CameraConfig::default()
        };
        Self::with(CameraComponent::new(config, t0), link, t0)
    }

    pub fn with(cam: CameraComponent, link: FakeLink, t0: Instant) -> Self {
        Self::with_parts(Parts::new(cam), link, t0)
    }

    pub fn with_parts(parts: Parts, link: FakeLink, t0: Instant) -> Self {
        let mut r = Self {
            parts,
            link,
            t0,
            now: t0,
            out: Vec::new(),
            events: Vec::new(),
        };
        r.parts.handle_timeout(t0, &mut r.link);
        r.drain();
        r
    }

    #[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
    pub fn ready() -> Self {
        let t0 = Instant::now();
        Self::new(FakeLink::identified(t0), t0)
    }

    pub fn drain(&mut self) -> Vec<Transmit> {
        let mut v = Vec::new();
        while let Some(t) = self.parts.poll_transmit() {
            v.push(t);
        }
        while let Some(e) = self.parts.poll_camera_event() {
            self.events.push(e);
        }
        self.out.extend(v.iter().cloned());
        v
    }

    pub fn advance(&mut self, d: Duration) -> Vec<Transmit> {
        let end = self.now + d;
        let mut out = Vec::new();
        let mut guard = SpinGuard::new("camera Rig::advance", self.t0);
        loop {
            let next = self.parts.poll_timeout().unwrap_or(end);
            if next > end {
                break;
            }
            self.now = next.max(self.now);
            guard.tick(self.now, next);
            self.parts.handle_timeout(self.now, &mut self.link);
            out.extend(self.drain());
        }
        self.now = end;
        out
    }

    pub fn feed(&mut self, from: (u8, u8), link_id: PeerId, msg: MavMessage) -> Vec<Transmit> {
        let header = MavHeader {
            system_id: u32::from(from.0),
            component_id: from.1,
            sequence: 0,
        };
        self.parts.handle_mavlink(
            self.now,
            UTC0 + self.now.duration_since(self.t0).as_micros() as u64,
            link_id,
            header,
            &Inbound::Message(msg),
            &mut self.link,
        );
        self.drain()
    }

    /// A ground station's HEARTBEAT from `from` on `link_id` (FTP serves bursts and file data
    /// only to senders that heartbeat).
    pub fn heartbeat(&mut self, from: (u8, u8), link_id: PeerId) -> Vec<Transmit> {
        use mavlink::dialects::common::{
            MavAutopilot, MavModeFlag, MavState, MavType, HEARTBEAT_DATA,
        };
        let hb = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: MavType::MAV_TYPE_GCS,
            autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
            base_mode: MavModeFlag::empty(),
            system_status: MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        });
        self.feed(from, link_id, hb)
    }

    pub fn feed_inbound(&mut self, from: (u8, u8), inbound: Inbound) -> Vec<Transmit> {
        let header = MavHeader {
            system_id: u32::from(from.0),
            component_id: from.1,
            sequence: 0,
        };
        self.parts
            .handle_mavlink(self.now, UTC0, GCS_LINK, header, &inbound, &mut self.link);
        self.drain()
    }

    pub fn command(&mut self, cmd: MavCmd, params: [f32; 7]) -> Vec<Transmit> {
        self.command_to(cmd, params, 1, 100, 0)
    }

    pub fn command_to(
        &mut self,
        cmd: MavCmd,
        p: [f32; 7],
        target_system: u8,
        target_component: u8,
        confirmation: u8,
    ) -> Vec<Transmit> {
        self.feed(
            GCS,
            GCS_LINK,
            MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
                param1: p[0],
                param2: p[1],
                param3: p[2],
                param4: p[3],
                param5: p[4],
                param6: p[5],
                param7: p[6],
                command: cmd,
                target_system,
                target_component,
                confirmation,
            }),
        )
    }

    pub fn command_int(&mut self, cmd: MavCmd, p: [f32; 4]) -> Vec<Transmit> {
        self.feed(
            GCS,
            GCS_LINK,
            MavMessage::COMMAND_INT(COMMAND_INT_DATA {
                param1: p[0],
                param2: p[1],
                param3: p[2],
                param4: p[3],
                x: 0,
                y: 0,
                z: 0.0,
                command: cmd,
                target_system: 1,
                target_component: 100,
                frame: mavlink::dialects::common::MavFrame::MAV_FRAME_GLOBAL,
                current: 0,
                autocontinue: 0,
            }),
        )
    }

    pub fn link_event(&mut self, ev: LinkEvent) -> Vec<Transmit> {
        self.parts.handle_link_event(self.now, &ev, &mut self.link);
        self.drain()
    }

    pub fn finish(&mut self, id: OpId, outcome: OpOutcome) -> Vec<Transmit> {
        let op = self
            .link
            .started
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, o)| *o)
            .expect("op was started");
        let owner = (self.link.owners.iter())
            .find(|(i, _)| *i == id)
            .map(|(_, o)| *o)
            .expect("op has an owner");
        self.link_event(LinkEvent::OpFinished {
            id,
            owner,
            op,
            outcome,
        })
    }

    /// The camera component.
    pub fn cam(&self) -> &CameraComponent {
        self.parts.camera()
    }

    /// The camera component, for what concerns it alone.
    pub fn cam_mut(&mut self) -> &mut CameraComponent {
        self.parts.camera_mut()
    }
}

/// The STATUSTEXTs in `out`, as text.
pub fn texts(out: &[Transmit]) -> Vec<String> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::STATUSTEXT(s)) => Some(s.text.to_str().unwrap_or("").to_owned()),
            _ => None,
        })
        .collect()
}

/// A ready camera (system id 1, an identified fake link) with tracking configured so.
pub fn rig_with_tracking(tracking: siyi_bridge::core::tracking::TrackingConfig) -> Rig {
    let t0 = FakeLink::t0();
    let config = CameraConfig {
        system_id: Some(1),
        ..CameraConfig::default()
    };
    let mut parts = Parts::new(CameraComponent::new(config, t0));
    parts.set_tracking(tracking);
    Rig::with_parts(parts, FakeLink::identified(t0), t0)
}

pub fn acks(out: &[Transmit]) -> Vec<COMMAND_ACK_DATA> {
    out.iter()
        .filter_map(|t| match t.mav() {
            Some(MavMessage::COMMAND_ACK(a)) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

pub fn only_ack(out: &[Transmit]) -> COMMAND_ACK_DATA {
    let a = acks(out);
    assert_eq!(a.len(), 1, "expected exactly one ack in {out:#?}");
    a[0].clone()
}

pub fn names(out: &[Transmit]) -> Vec<String> {
    out.iter()
        .map(|t| match t.mav() {
            Some(MavMessage::COMMAND_ACK(a)) => format!("ACK({:?})", a.result),
            Some(m) => format!("{m:?}")
                .split('(')
                .next()
                .unwrap_or_default()
                .to_owned(),
            None => "UNKNOWN_ACK".to_owned(),
        })
        .collect()
}

pub fn find<'a>(out: &'a [Transmit], name: &str) -> Option<&'a Transmit> {
    out.iter().find(|t| {
        t.mav()
            .map(|m| format!("{m:?}").starts_with(name))
            .unwrap_or(false)
    })
}

pub fn result_of(out: &[Transmit]) -> MavResult {
    only_ack(out).result
}

pub fn all_targets(out: &[Transmit], target: Target) -> bool {
    out.iter().all(|t| t.target == target)
}

/// Command parameters: `v` then zeros (7 in all).
pub fn p(v: &[f32]) -> [f32; 7] {
    let mut a = [0.0; 7];
    a[..v.len()].copy_from_slice(v);
    a
}
