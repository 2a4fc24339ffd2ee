//! Support for tests, benchmarks and fuzz entry points that drive the sans-IO core on virtual
//! time.
//!
//! [`SpinGuard`] makes a virtual-time loop fail fast instead of running forever: a timer that is
//! always due (a zero period, a deadline that never moves) would otherwise spin a
//! `while let Some(t) = x.poll_timeout() { x.handle_timeout(t) }` loop without end.
//!
//! [`SimWorld`] is the one virtual-time world of the whole core against the simulator: a
//! [`Bridge`] (real SIYI link + camera component), the sans-IO A8 mini, a wire between them that
//! can be cut or lose a seeded share of the datagrams, and optionally the simulated tracker on
//! the tracker API.

use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    MavAutopilot, MavCmd, MavMessage, MavType, COMMAND_LONG_DATA, HEARTBEAT_DATA,
};
use mavlink::MavHeader;
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use siyi_protocol::{CmdId, Frame};

use crate::core::bridge::{Bridge, BridgeEvent};
use crate::core::camera::{CameraComponent, CameraConfig, Inbound, PeerId, Transmit};
use crate::core::link::{LinkConfig, SiyiLink};
use crate::core::mavlink::outbound::Pace;
use crate::core::tracking::{ConnId, TrackerOutput};
use crate::sim::tracker::TrackerModel;
use crate::sim::{SimCamera, SimConfig};

/// Wake-ups allowed per second of virtual time before a loop counts as spinning.
pub const MAX_WAKES_PER_VIRTUAL_SECOND: u32 = 10_000;

/// Wake-ups allowed at one and the same instant (the timer did not move forward).
pub const MAX_WAKES_AT_ONE_INSTANT: u32 = 1_000;

/// Counts the wake-ups of a virtual-time loop and panics, naming the stuck time, when the loop
/// wakes more than [`MAX_WAKES_PER_VIRTUAL_SECOND`] times within one second of virtual time or
/// more than [`MAX_WAKES_AT_ONE_INSTANT`] times without the timer moving forward.
#[derive(Debug, Clone)]
pub struct SpinGuard {
    what: &'static str,
    start: Instant,
    window_start: Instant,
    wakes_in_window: u32,
    last: Option<Instant>,
    wakes_at_last: u32,
}

impl SpinGuard {
    /// A guard for the loop named `what` (used in the panic message); `start` is the virtual
    /// time origin that times in the message are counted from.
    pub fn new(what: &'static str, start: Instant) -> Self {
        Self {
            what,
            start,
            window_start: start,
            wakes_in_window: 0,
            last: None,
            wakes_at_last: 0,
        }
    }

    /// Records one wake-up at virtual time `now` for the timer due at `deadline`.
    ///
    /// # Panics
    /// When the loop spins (see the type docs). The message names the loop, the virtual time
    /// and the deadline of the timer that kept firing.
    pub fn tick(&mut self, now: Instant, deadline: Instant) {
        if now.saturating_duration_since(self.window_start) >= Duration::from_secs(1) {
            self.window_start = now;
            self.wakes_in_window = 0;
        }
        self.wakes_in_window += 1;
        if self.last == Some(now) {
            self.wakes_at_last += 1;
        } else {
            self.last = Some(now);
            self.wakes_at_last = 1;
        }
        let at = now.saturating_duration_since(self.start);
        let due = deadline.saturating_duration_since(self.start);
        assert!(
            self.wakes_at_last <= MAX_WAKES_AT_ONE_INSTANT,
            "spin guard ({}): {} wake-ups at the same virtual time t0+{at:?}: the timer due at \
             t0+{due:?} never moves forward",
            self.what,
            self.wakes_at_last,
        );
        assert!(
            self.wakes_in_window <= MAX_WAKES_PER_VIRTUAL_SECOND,
            "spin guard ({}): more than {MAX_WAKES_PER_VIRTUAL_SECOND} wake-ups within one second \
             of virtual time (now t0+{at:?}, timer due at t0+{due:?}): a timer is always due",
            self.what,
        );
    }
}

/// Most datagram hand-overs in one exchange before it counts as a storm.
const MAX_EXCHANGE_ROUNDS: usize = 10_000;

/// The tracker connection number the world's simulated tracker uses.
pub const WORLD_TRACKER_CONN: ConnId = 1;

/// The whole core against the simulated camera on virtual time. See the module docs.
pub struct SimWorld {
    /// The bridge under test.
    pub bridge: Bridge<SiyiLink>,
    /// The simulated A8 mini.
    pub sim: SimCamera,
    /// Virtual time origin.
    pub t0: Instant,
    /// Virtual time now.
    pub now: Instant,
    /// The wall clock at `t0`, µs since the UNIX epoch.
    pub utc0_us: u64,
    /// False: every datagram either way is lost (cable pulled, camera off).
    pub wire_up: bool,
    /// Share of the datagrams lost in each direction (0…1), drawn from a seeded generator.
    pub loss: f64,
    /// The simulated tracker on the tracker API, once connected.
    pub tracker: Option<TrackerModel>,
    /// Every MAVLink message the bridge sent, in order (tests drain it).
    pub out: Vec<Transmit>,
    /// (component id, sequence number, virtual time) of every MAVLink message the bridge sent,
    /// in order.
    pub sequences: Vec<(u8, u8, Instant)>,
    /// Every event the bridge reported, in order (tests drain it).
    pub events: Vec<BridgeEvent>,
    /// The command id of every frame the bridge sent the camera, in order (lost ones too).
    pub to_camera: Vec<CmdId>,
    /// Wake-ups of the virtual-time loop.
    pub wakeups: u64,
    rng: SmallRng,
    guard: SpinGuard,
}

impl SimWorld {
    /// The peer a ground station's commands come from in [`SimWorld::command`].
    pub const GCS_PEER: PeerId = 3;

    /// A world started at `now` (the one real instant; all else is virtual), with the camera
    /// component at system id 1.
    pub fn new(sim: SimConfig, now: Instant) -> Self {
        let camera = CameraConfig {
            system_id: Some(1),
            ..CameraConfig::default()
        };
        Self::with(camera, LinkConfig::default(), sim, now, 0)
    }

    /// A world with these configurations; `seed` seeds the wire's losses.
    pub fn with(
        camera: CameraConfig,
        link: LinkConfig,
        sim: SimConfig,
        now: Instant,
        seed: u64,
    ) -> Self {
        let camera = CameraComponent::new(camera, now);
        let mut bridge = Bridge::new(SiyiLink::new(link, now), camera, now);
        // Unpaced: a test sees every answer at once. The pace (what `run` uses) has its own
        // tests, tests/mavlink_pace.rs, which set it with `bridge.set_pace`.
        bridge.set_pace(Pace::UNPACED);
        Self {
            bridge,
            sim: SimCamera::new(sim, now),
            t0: now,
            now,
            utc0_us: 1_750_000_000_000_000,
            wire_up: true,
            loss: 0.0,
            tracker: None,
            out: Vec::new(),
            sequences: Vec::new(),
            events: Vec::new(),
            to_camera: Vec::new(),
            wakeups: 0,
            rng: SmallRng::seed_from_u64(seed ^ 0x5eed),
            guard: SpinGuard::new("testing::SimWorld", now),
        }
    }

    /// The wall clock now, µs since the UNIX epoch.
    pub fn utc_us(&self) -> u64 {
        self.utc0_us + self.now.duration_since(self.t0).as_micros() as u64
    }

    fn lost(&mut self) -> bool {
        !self.wire_up || (self.loss > 0.0 && self.rng.random_bool(self.loss.clamp(0.0, 1.0)))
    }

    /// Moves datagrams and tracker lines both ways and collects every output.
    ///
    /// # Panics
    /// When the two sides keep exchanging without end (a storm).
    pub fn exchange(&mut self) {
        for _ in 0..MAX_EXCHANGE_ROUNDS {
            let mut moved = false;
            while let Some(d) = self.bridge.poll_siyi() {
                moved = true;
                if let Ok((frame, _)) = Frame::parse(&d) {
                    self.to_camera.push(frame.cmd);
                }
                if !self.lost() {
                    self.sim.handle_datagram(self.now, &d);
                }
            }
            while let Some(d) = self.sim.poll_transmit() {
                moved = true;
                if !self.lost() {
                    self.bridge.handle_siyi(self.now, &d);
                }
            }
            moved |= self.exchange_tracker();
            while let Some((t, seq)) = self.bridge.poll_mavlink_numbered() {
                self.sequences.push((t.component_id, seq, self.now));
                self.out.push(t);
            }
            self.events
                .extend(std::iter::from_fn(|| self.bridge.poll_event()));
            if !moved {
                return;
            }
        }
        panic!(
            "datagram storm at t0+{:?}",
            self.now.saturating_duration_since(self.t0)
        );
    }

    /// Lines between the bridge and the simulated tracker; true if any moved.
    fn exchange_tracker(&mut self) -> bool {
        let mut moved = false;
        let pose = self.sim.pose();
        while let Some(o) = self.bridge.poll_tracker() {
            moved = true;
            match (o, self.tracker.as_mut()) {
                (TrackerOutput::Line(_, line), Some(t)) => {
                    t.handle_line(self.now, Some(&pose), &line)
                }
                (TrackerOutput::Close(conn), _) => {
                    self.tracker = None;
                    self.bridge.handle_tracker_closed(self.now, conn);
                }
                (TrackerOutput::Line(..), None) => {}
            }
        }
        while let Some(line) = self.tracker.as_mut().and_then(TrackerModel::poll_line) {
            moved = true;
            (self.bridge).handle_tracker_line(self.now, WORLD_TRACKER_CONN, Some(&line));
        }
        moved
    }

    /// Connects the simulated tracker to the tracker API (it says hello at once).
    pub fn connect_tracker(&mut self) {
        self.tracker = Some(TrackerModel::new());
        self.bridge
            .handle_tracker_opened(self.now, WORLD_TRACKER_CONN);
        self.exchange();
    }

    /// A MAVLink message from `peer` with `header`.
    pub fn mavlink(&mut self, peer: PeerId, header: MavHeader, inbound: &Inbound) {
        let utc = self.utc_us();
        self.bridge
            .handle_mavlink(self.now, utc, peer, header, inbound);
        self.exchange();
    }

    /// A COMMAND_LONG from a ground station (system 255, component 190, peer
    /// [`SimWorld::GCS_PEER`]) to the camera (1/100).
    pub fn command(&mut self, command: MavCmd, params: [f32; 7]) {
        let [param1, param2, param3, param4, param5, param6, param7] = params;
        let msg = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            param1,
            param2,
            param3,
            param4,
            param5,
            param6,
            param7,
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
        self.mavlink(Self::GCS_PEER, header, &Inbound::Message(msg));
    }

    /// A HEARTBEAT from the ground station of [`SimWorld::command`].
    pub fn gcs_heartbeat(&mut self) {
        let msg = MavMessage::HEARTBEAT(HEARTBEAT_DATA {
            mavtype: MavType::MAV_TYPE_GCS,
            autopilot: MavAutopilot::MAV_AUTOPILOT_INVALID,
            ..HEARTBEAT_DATA::DEFAULT
        });
        let header = MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 0,
        };
        self.mavlink(Self::GCS_PEER, header, &Inbound::Message(msg));
    }

    /// Runs every timer of the bridge, the camera and the tracker up to `d` from now.
    ///
    /// # Panics
    /// When the loop spins ([`SpinGuard`]) or the sides storm.
    pub fn run(&mut self, d: Duration) {
        let end = self.now + d;
        let utc = self.utc_us();
        self.bridge.handle_timeout(self.now, utc);
        self.exchange();
        loop {
            let tracker_due = self.tracker.as_ref().and_then(TrackerModel::poll_timeout);
            let next = [
                self.bridge.poll_timeout(),
                self.sim.poll_timeout(),
                tracker_due,
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next.filter(|n| *n <= end) else {
                break;
            };
            self.now = next.max(self.now);
            self.guard.tick(self.now, next);
            self.wakeups += 1;
            self.sim.handle_timeout(self.now);
            if let Some(t) = self.tracker.as_mut() {
                let pose = self.sim.pose();
                t.handle_timeout(self.now, Some(&pose));
            }
            let utc = self.utc_us();
            self.bridge.handle_timeout(self.now, utc);
            self.exchange();
        }
        self.now = end;
    }

    /// How many frames with command `cmd` the bridge has sent the camera.
    pub fn sent_to_camera(&self, cmd: CmdId) -> usize {
        self.to_camera.iter().filter(|c| **c == cmd).count()
    }

    /// The MAVLink messages sent since last asked (drained from [`SimWorld::out`]).
    pub fn take(&mut self) -> Vec<MavMessage> {
        self.out
            .drain(..)
            .filter_map(|t| t.mav().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
    fn t0() -> Instant {
        Instant::now()
    }

    #[test]
    fn a_timer_that_moves_forward_passes() {
        let t0 = t0();
        let mut g = SpinGuard::new("test", t0);
        for i in 0..100_000u64 {
            let t = t0 + Duration::from_millis(i);
            g.tick(t, t);
        }
    }

    #[test]
    #[should_panic(expected = "never moves forward")]
    fn a_timer_stuck_at_one_instant_panics() {
        let t0 = t0();
        let mut g = SpinGuard::new("test", t0);
        for _ in 0..=MAX_WAKES_AT_ONE_INSTANT {
            g.tick(t0, t0);
        }
    }

    #[test]
    #[should_panic(expected = "within one second")]
    fn a_timer_crawling_by_nanoseconds_panics() {
        let t0 = t0();
        let mut g = SpinGuard::new("test", t0);
        for i in 0..=u64::from(MAX_WAKES_PER_VIRTUAL_SECOND) {
            let t = t0 + Duration::from_nanos(i);
            g.tick(t, t);
        }
    }
}
