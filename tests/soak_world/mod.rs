//! The soak world, shared by `tests/soak.rs` (ten virtual minutes, invariants asserted) and
//! `benches/soak.rs` (a virtual hour, figures printed): the whole core (`Bridge` = real
//! `SiyiLink` + `CameraComponent`) against the sans-IO A8 mini simulator, over a lossy wire (a
//! seeded share of the datagrams lost in each direction), with the camera power-cycled every few
//! minutes, and a ground station that takes photos, records and zooms in cycles.
//!
//! It checks what a survey pilot relies on: every photo reported as taken was taken by the
//! camera, no image index is handed out twice, and every command gets a final answer.
#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use mavlink::dialects::common::{MavBool, MavCmd, MavMessage, MavResult, COMMAND_LONG_DATA};
use mavlink::MavHeader;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use siyi_bridge::core::camera::{CameraConfig, Inbound};
use siyi_bridge::core::link::LinkConfig;
use siyi_bridge::sim::{SimCamera, SimConfig};
use siyi_bridge::testing::SimWorld;

/// What the soak is asked to do.
#[derive(Clone, Debug)]
pub struct SoakConfig {
    /// Virtual time to run.
    pub duration: Duration,
    /// Share of the datagrams lost in each direction (0…1).
    pub loss: f64,
    /// The camera is power-cycled this often.
    pub reboot_every: Duration,
    /// Seed of the wire and the simulator.
    pub seed: u64,
}

/// What happened.
#[derive(Clone, Debug, Default)]
pub struct SoakReport {
    /// Commands the ground station sent.
    pub commands: u64,
    /// Commands that got a final answer (not IN_PROGRESS).
    pub answered: u64,
    /// Final answers by result.
    pub results: HashMap<String, u64>,
    /// Longest time from a command to its final answer (virtual).
    pub max_answer: Duration,
    /// Photos the simulated camera really took (all power cycles).
    pub photos_taken: u64,
    /// Photos reported as taken (CAMERA_IMAGE_CAPTURED with capture_result 1).
    pub photos_reported: u64,
    /// Photos reported as failed.
    pub photos_failed: u64,
    /// Image indices reported more than once.
    pub duplicate_indices: u64,
    /// Reported indices that did not increase.
    pub non_increasing_indices: u64,
    /// Power cycles of the camera.
    pub reboots: u64,
    /// Wake-ups of the virtual-time loop.
    pub wakeups: u64,
    /// MAVLink messages the bridge sent.
    pub mavlink_out: u64,
}

const UTC: u64 = 1_750_000_000_000_000;
const GCS_LINK: u32 = 3;
/// Spin guard: most wake-ups per virtual second before the loop is declared stuck.
const MAX_WAKEUPS_PER_S: u64 = 10_000;

struct Pending {
    cmd: MavCmd,
    sent: Instant,
}

/// The world: bridge, camera, wire, ground station.
pub struct SoakWorld {
    config: SoakConfig,
    /// Bridge, camera and the lossy wire between them.
    world: SimWorld,
    sim_config: SimConfig,
    /// The camera is off (between power-down and power-up).
    off_until: Option<Instant>,
    /// The ground station's choices (zoom levels).
    rng: SmallRng,
    now: Instant,
    start: Instant,
    pending: Vec<Pending>,
    indices: BTreeSet<i32>,
    last_index: Option<i32>,
    photos_before_reboots: u64,
    report: SoakReport,
}

impl SoakWorld {
    /// A world at `now` (the test's one real instant; all else is virtual).
    pub fn new(config: SoakConfig, now: Instant) -> Self {
        let sim_config = SimConfig {
            seed: config.seed,
            boot_time_ms: 20_000,
            drop_probability: 0.0, // the wire below drops, in both directions
            ..SimConfig::default()
        };
        let camera = CameraConfig {
            system_id: Some(1),
            ..CameraConfig::default()
        };
        let mut world = SimWorld::with(
            camera,
            LinkConfig::default(),
            sim_config.clone(),
            now,
            config.seed,
        );
        world.utc0_us = UTC;
        world.loss = config.loss.clamp(0.0, 1.0);
        Self {
            rng: SmallRng::seed_from_u64(config.seed ^ 0x6c5),
            world,
            sim_config,
            off_until: None,
            now,
            start: now,
            pending: Vec::new(),
            indices: BTreeSet::new(),
            last_index: None,
            photos_before_reboots: 0,
            report: SoakReport::default(),
            config,
        }
    }

    /// Moves everything between the sides at the current time and reads what the bridge said.
    fn exchange(&mut self) {
        self.world.now = self.now;
        self.world.wire_up = self.off_until.is_none();
        self.world.exchange();
        self.world.events.clear();
        for t in std::mem::take(&mut self.world.out) {
            self.report.mavlink_out += 1;
            if let Some(m) = t.mav() {
                self.observe(m);
            }
        }
    }

    /// Timers of the camera and the bridge due now, then the exchange.
    fn tick(&mut self) {
        self.world.sim.handle_timeout(self.now);
        self.world.bridge.handle_timeout(self.now, UTC);
        self.exchange();
    }

    fn observe(&mut self, m: &MavMessage) {
        match m {
            MavMessage::COMMAND_ACK(a) if a.result != MavResult::MAV_RESULT_IN_PROGRESS => {
                if let Some(i) = self.pending.iter().position(|p| p.cmd == a.command) {
                    let p = self.pending.remove(i);
                    self.report.answered += 1;
                    let waited = self.now - p.sent;
                    self.report.max_answer = self.report.max_answer.max(waited);
                    *self
                        .report
                        .results
                        .entry(format!("{:?}", a.result))
                        .or_default() += 1;
                }
            }
            MavMessage::CAMERA_IMAGE_CAPTURED(c) => {
                if c.capture_result == MavBool::MAV_BOOL_TRUE {
                    self.report.photos_reported += 1;
                    if !self.indices.insert(c.image_index) {
                        self.report.duplicate_indices += 1;
                    }
                    if self.last_index.is_some_and(|l| c.image_index <= l) {
                        self.report.non_increasing_indices += 1;
                    }
                    self.last_index = Some(c.image_index);
                } else {
                    self.report.photos_failed += 1;
                }
            }
            _ => {}
        }
    }

    fn command(&mut self, cmd: MavCmd, p: [f32; 3]) {
        // One command of a kind at a time, like a ground station waiting for its answer.
        if self.pending.iter().any(|x| x.cmd == cmd) {
            return;
        }
        self.report.commands += 1;
        self.pending.push(Pending {
            cmd,
            sent: self.now,
        });
        let msg = MavMessage::COMMAND_LONG(COMMAND_LONG_DATA {
            param1: p[0],
            param2: p[1],
            param3: p[2],
            command: cmd,
            target_system: 1,
            target_component: 100,
            ..COMMAND_LONG_DATA::DEFAULT
        });
        let header = MavHeader {
            system_id: 255,
            component_id: 190,
            sequence: 0,
        };
        (self.world.bridge).handle_mavlink(self.now, UTC, GCS_LINK, header, &Inbound::Message(msg));
        self.exchange();
    }

    fn power_cycle(&mut self) {
        self.photos_before_reboots += u64::from(self.world.sim.state().photos_taken);
        self.report.reboots += 1;
        self.off_until = Some(self.now + Duration::from_secs(3));
    }

    fn power_up(&mut self) {
        self.off_until = None;
        self.sim_config.seed = self.sim_config.seed.wrapping_add(1);
        self.world.sim = SimCamera::new(self.sim_config.clone(), self.now);
    }

    /// Runs the whole soak and returns what happened.
    pub fn run(mut self) -> SoakReport {
        let end = self.start + self.config.duration;
        let mut next_photo = self.start + Duration::from_secs(30);
        let mut next_record = self.start + Duration::from_secs(40);
        let mut recording = false;
        let mut next_zoom = self.start + Duration::from_secs(35);
        let mut next_reboot = self.start + self.config.reboot_every;
        let guard = MAX_WAKEUPS_PER_S * (self.config.duration.as_secs() + 1);
        self.world.bridge.handle_timeout(self.now, UTC);
        self.exchange();
        while self.now < end {
            let next = [
                self.world.bridge.poll_timeout(),
                self.world.sim.poll_timeout(),
                self.off_until,
                Some(next_photo),
                Some(next_record),
                Some(next_zoom),
                Some(next_reboot),
                Some(end),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end);
            self.now = next.max(self.now);
            self.report.wakeups += 1;
            assert!(
                self.report.wakeups <= guard,
                "spin guard: {} wake-ups by {:?}",
                self.report.wakeups,
                self.now - self.start
            );
            if self.off_until.is_some_and(|t| self.now >= t) {
                self.power_up();
            }
            if self.now >= next_reboot && self.now < end {
                self.power_cycle();
                next_reboot += self.config.reboot_every;
            }
            self.tick();
            if self.now >= next_photo {
                self.command(MavCmd::MAV_CMD_IMAGE_START_CAPTURE, [0.0, 0.0, 1.0]);
                next_photo += Duration::from_secs(5);
            }
            if self.now >= next_zoom {
                let level = self.rng.random_range(0..=100) as f32;
                self.command(MavCmd::MAV_CMD_SET_CAMERA_ZOOM, [1.0, level, 0.0]);
                next_zoom += Duration::from_secs(10);
            }
            if self.now >= next_record {
                let cmd = if recording {
                    MavCmd::MAV_CMD_VIDEO_STOP_CAPTURE
                } else {
                    MavCmd::MAV_CMD_VIDEO_START_CAPTURE
                };
                recording = !recording;
                self.command(cmd, [0.0; 3]);
                next_record += Duration::from_secs(30);
            }
        }
        // Let the last commands finish (the world's own loop, with its spin guard), reading
        // the answers every 10 ms so their latency is measured to 10 ms.
        self.world.wire_up = self.off_until.is_none();
        for _ in 0..1000 {
            self.world.now = self.now;
            self.world.run(Duration::from_millis(10));
            self.now = self.world.now;
            self.exchange();
        }
        // A camera still off was counted when it went off.
        let current = if self.off_until.is_some() {
            0
        } else {
            u64::from(self.world.sim.state().photos_taken)
        };
        self.report.photos_taken = self.photos_before_reboots + current;
        self.report
    }
}
