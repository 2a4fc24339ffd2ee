//! The MAVLink gimbal component (gimbal protocol v2), sans-IO: the A8 mini's gimbal as a gimbal
//! device (component 154 by default) and, while no autopilot manages it, its gimbal manager.
//!
//! [`GimbalComponent`] = a [`Host`] (identity, heartbeat timing, de-dup, intervals, routing —
//! `core::mavlink`) + the gimbal service, whose parts each own their state: [`control`] (the
//! manager role and control ownership), [`motion`] (the goal a user set, what the vehicle's
//! heading and position make of it), [`rate`] (the closed-loop rate controller), [`device`] (the
//! A8 mini's limits and flags, the messages). It drives the gimbal only through
//! [`LinkControl::start`] with [`Operation::GimbalAngles`], [`Operation::GimbalRates`] and
//! [`Operation::Center`], and reads the attitude the link polls (0x0D at 10 Hz).
//!
//! Poll contract (as the camera's): after any `handle_*` call, drain
//! [`GimbalComponent::poll_transmit`] and [`GimbalComponent::poll_event`], then sleep until
//! [`GimbalComponent::poll_timeout`] and call [`GimbalComponent::handle_timeout`] (early or
//! spurious calls are harmless).
//!
//! What it sends: HEARTBEAT (MAV_TYPE_GIMBAL, 1 Hz); GIMBAL_DEVICE_ATTITUDE_STATUS to everyone
//! every 100 ms (SET_MESSAGE_INTERVAL for it changes that period); GIMBAL_DEVICE_INFORMATION on
//! request; as the manager: GIMBAL_MANAGER_INFORMATION on request and GIMBAL_MANAGER_STATUS at
//! 1 Hz and on change. In `auto` mode it stops being the manager for good as soon as our
//! autopilot (our system id, component 1) requests GIMBAL_DEVICE_INFORMATION or sends
//! GIMBAL_DEVICE_SET_ATTITUDE: a ground station must never see two managers.
//!
//! Angles: MAVLink yaw is positive to the right, SIYI yaw positive to the left; the conversion
//! lives in [`device::PitchYaw`]. Yaw lock holds an earth-frame yaw by re-aiming as the vehicle's
//! heading (ATTITUDE from our autopilot) changes; ROI does the same from GLOBAL_POSITION_INT.

pub mod control;
pub mod device;
pub mod motion;
pub mod rate;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    GimbalDeviceFlags, MavCmd, MavFrame, MavMessage, MavResult, MavSeverity, COMMAND_INT_DATA,
    GIMBAL_DEVICE_ATTITUDE_STATUS_DATA, GIMBAL_DEVICE_INFORMATION_DATA,
    GIMBAL_MANAGER_INFORMATION_DATA, GIMBAL_MANAGER_STATUS_DATA,
};
use mavlink::{MavHeader, MessageData};

use crate::core::geo::{self, Euler, GeoPoint};
use crate::core::link::{LinkControl, LinkEvent, LinkHealth, Operation};
use crate::core::mavlink::host::{next_tick, IncomingCommand, MIN_TIMER_STEP};
use crate::core::mavlink::{
    Accepted, Handled, Host, HostConfig, HostEvent, HostStats, Inbound, PeerId, Target, Transmit,
};

pub use control::{ManagerMode, User};
pub use device::PitchYaw;
pub use motion::{Goal, YawFrame};

/// GIMBAL_MANAGER_INFORMATION.
pub const ID_MANAGER_INFORMATION: u32 = GIMBAL_MANAGER_INFORMATION_DATA::ID;
/// GIMBAL_MANAGER_STATUS.
pub const ID_MANAGER_STATUS: u32 = GIMBAL_MANAGER_STATUS_DATA::ID;
/// GIMBAL_DEVICE_INFORMATION.
pub const ID_DEVICE_INFORMATION: u32 = GIMBAL_DEVICE_INFORMATION_DATA::ID;
/// GIMBAL_DEVICE_ATTITUDE_STATUS.
pub const ID_ATTITUDE_STATUS: u32 = GIMBAL_DEVICE_ATTITUDE_STATUS_DATA::ID;

/// Default period of GIMBAL_DEVICE_ATTITUDE_STATUS (10 Hz).
pub const ATTITUDE_STATUS_PERIOD: Duration = Duration::from_millis(100);
/// Period of GIMBAL_MANAGER_STATUS while the bridge is the manager.
pub const MANAGER_STATUS_PERIOD: Duration = Duration::from_secs(1);
/// Period of the control loop while a motion is active (angles re-aimed, rates corrected).
pub const CONTROL_PERIOD: Duration = Duration::from_millis(100);
/// A rate motion whose set-points stop arriving for longer than this is stopped.
pub const RATE_SETPOINT_TIMEOUT: Duration = Duration::from_secs(1);
/// An attitude reading older than this counts as a communication failure.
pub const ATTITUDE_STALE_AFTER: Duration = Duration::from_secs(1);
/// A new angle target closer than this (degrees) to the last one sent is not sent again.
const ANGLE_RESEND_DEG: f64 = 0.3;
/// Fastest SET_MESSAGE_INTERVAL honoured for the attitude status.
const MIN_ATTITUDE_PERIOD: Duration = Duration::from_millis(20);
/// MAV_COMP_ID_AUTOPILOT1.
const AUTOPILOT_COMPONENT: u8 = 1;

/// Configuration of the gimbal component.
#[derive(Clone, PartialEq, Debug)]
pub struct GimbalConfig {
    /// Fixed system id; `None` = learn it from the autopilot's HEARTBEAT (1 until then).
    pub system_id: Option<u8>,
    /// Component id (154 = MAV_COMP_ID_GIMBAL, what PX4's `MNT_MAV_COMPID` expects).
    pub component_id: u8,
    /// Whether to act as the gimbal manager.
    pub manager: ManagerMode,
    /// How long a command is remembered to recognise retransmissions.
    pub dedupe_window: Duration,
    /// Systems allowed to command the gimbal; empty = every system.
    pub allowed_systems: Vec<u8>,
}

impl Default for GimbalConfig {
    fn default() -> Self {
        Self {
            system_id: None,
            component_id: 154,
            manager: ManagerMode::Auto,
            dedupe_window: Duration::from_secs(3),
            allowed_systems: Vec::new(),
        }
    }
}

/// Something the application should know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GimbalEvent {
    /// The system id was learned from the autopilot's heartbeat.
    SystemIdLearned(u8),
    /// An autopilot manages the gimbal: the bridge stopped being the manager (auto mode).
    ManagerSteppedDown,
}

/// Counters (for logs and tests).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct GimbalStats {
    /// The host's counters.
    pub host: HostStats,
    /// Set-points refused: NaN/infinite values, a quaternion that is not a unit quaternion.
    pub bad_setpoints: u64,
    /// Set-points clamped to the gimbal's limits.
    pub clamped: u64,
    /// Manager commands and messages from a user without control (DENIED or ignored).
    pub denied: u64,
    /// Rate motions stopped because their set-points stopped arriving.
    pub rate_timeouts: u64,
}

/// The MAVLink gimbal component. See the module docs for the poll contract.
pub struct GimbalComponent {
    host: Host,
    config: GimbalConfig,
    control: control::Control,
    goal: Goal,
    rate: rate::RateController,
    vehicle: motion::Vehicle,
    /// When the current goal's last set-point arrived.
    last_setpoint: Option<Instant>,
    /// The last angles sent to the link, and when.
    sent_angles: Option<(PitchYaw, Instant)>,
    /// The last speeds sent to the link.
    sent_rates: (i8, i8),
    next_control: Option<Instant>,
    /// Tracking's follow moves the gimbal: the goal is kept as the reference (the same set-point
    /// again changes nothing), but nothing is sent until a different set-point arrives.
    yielded: bool,
    attitude_period: Option<Duration>,
    next_attitude: Instant,
    next_manager_status: Instant,
    /// COMMAND_INT being dispatched (ROI needs its integer coordinates).
    command_int: Option<COMMAND_INT_DATA>,
    manual: bool,
    said_clamped: bool,
    stats: GimbalStats,
    events: VecDeque<GimbalEvent>,
}

/// Commands that only ask for data.
fn is_request(cmd: MavCmd) -> bool {
    matches!(
        cmd,
        MavCmd::MAV_CMD_REQUEST_MESSAGE | MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL
    )
}

/// Why a set-point was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct BadSetpoint;

impl GimbalComponent {
    /// A component started at `now`.
    pub fn new(config: GimbalConfig, now: Instant) -> Self {
        let host = Host::new(
            HostConfig {
                system_id: config.system_id,
                component_id: config.component_id,
                dedupe_window: config.dedupe_window,
                allowed_systems: config.allowed_systems.clone(),
            },
            now,
        );
        Self {
            host,
            control: control::Control::new(config.manager),
            config,
            goal: Goal::Idle,
            rate: rate::RateController::default(),
            vehicle: motion::Vehicle::default(),
            last_setpoint: None,
            sent_angles: None,
            sent_rates: (0, 0),
            next_control: None,
            yielded: false,
            attitude_period: Some(ATTITUDE_STATUS_PERIOD),
            next_attitude: now,
            next_manager_status: now,
            command_int: None,
            manual: false,
            said_clamped: false,
            stats: GimbalStats::default(),
            events: VecDeque::new(),
        }
    }

    /// Our current system id.
    pub fn system_id(&self) -> u8 {
        self.host.system_id()
    }

    /// Our component id.
    pub fn component_id(&self) -> u8 {
        self.host.component_id()
    }

    /// Counters.
    pub fn stats(&self) -> GimbalStats {
        GimbalStats {
            host: self.host.stats(),
            ..self.stats
        }
    }

    /// The MAVLink side every component shares.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// What the gimbal is asked to do now.
    pub fn goal(&self) -> Goal {
        self.goal
    }

    /// True while the bridge plays the gimbal manager.
    pub fn is_manager(&self) -> bool {
        self.control.manager_active()
    }

    /// True while this component drives a rate motion (another part of the core that moves the
    /// gimbal, e.g. tracking, must not send rates then).
    pub fn rate_motion_active(&self) -> bool {
        matches!(self.goal, Goal::Rates { .. })
    }

    /// True while this component moves the gimbal (rates, yaw lock, ROI): anything but idle or
    /// centred.
    pub fn is_driving(&self) -> bool {
        !self.yielded && !matches!(self.goal, Goal::Idle | Goal::Neutral)
    }

    /// Lets another part of the core (tracking's "gimbal follow") move the gimbal: the control
    /// loop stops re-aiming (yaw lock, ROI, angles, rates). The goal is kept as the reference, so
    /// a manager that keeps streaming the same set-point (PX4 at 5 Hz, QGC's rates every 500 ms)
    /// changes nothing; a **different** set-point takes the gimbal back (and
    /// [`GimbalComponent::poll_manual_input`] says so). Sends nothing: a rate motion in progress
    /// must be replaced by the caller's own command.
    pub fn yield_gimbal(&mut self) {
        self.yielded = true;
        self.rate.reset();
        self.sent_rates = (0, 0);
        self.sent_angles = None;
        self.next_control = None;
    }

    /// True once after a MAVLink user (ground station or autopilot) gave the gimbal a new
    /// set-point: whoever else moves the gimbal (tracking's "gimbal follow") should stop.
    pub fn poll_manual_input(&mut self) -> bool {
        std::mem::take(&mut self.manual)
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.host.poll_transmit()
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<GimbalEvent> {
        while let Some(HostEvent::SystemIdLearned(s)) = self.host.poll_event() {
            self.events.push_back(GimbalEvent::SystemIdLearned(s));
        }
        self.events.pop_front()
    }

    /// When [`GimbalComponent::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let manager = self
            .control
            .manager_active()
            .then_some(self.next_manager_status);
        let attitude = self.attitude_period.map(|_| self.next_attitude);
        let t = [manager, attitude, self.next_control]
            .into_iter()
            .flatten()
            .fold(self.host.poll_timeout(), Instant::min);
        Some(t)
    }

    /// Runs the timers due at `now`: heartbeat, attitude status, manager status, the control
    /// loop, requested message intervals. Calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant, link: &mut impl LinkControl) {
        if self.host.heartbeat_due(now) {
            self.host
                .send(Target::All, device::heartbeat(link.health()));
        }
        if let Some(period) = self.attitude_period {
            if now >= self.next_attitude {
                self.next_attitude = next_tick(self.next_attitude, period, now);
                let m = self.attitude_status(now, link);
                self.host.send(Target::All, m);
            }
        }
        if self.control.manager_active() && now >= self.next_manager_status {
            self.send_manager_status(now);
        }
        if let Some(at) = self.next_control.filter(|at| now >= *at) {
            self.drive(now, link);
            self.next_control = self
                .is_driving()
                .then(|| next_tick(at, CONTROL_PERIOD, now));
        }
        for (peer, id) in self.host.due_intervals(now) {
            if let Some(m) = self.build(id, now, link) {
                self.host.send(Target::Peer(peer), m);
            }
        }
    }

    /// Handles an event of the SIYI link: a lost camera ends a rate motion (nothing can stop it
    /// later), the other events change nothing here.
    pub fn handle_link_event(
        &mut self,
        now: Instant,
        event: &LinkEvent,
        link: &mut impl LinkControl,
    ) {
        if let LinkEvent::Health { to, .. } = event {
            if *to != LinkHealth::Up && self.rate_motion_active() {
                self.goal = Goal::Idle;
                self.sent_rates = (0, 0);
                self.rate.reset();
            }
            if *to == LinkHealth::Up {
                // Aim again what was aimed before the outage.
                self.sent_angles = None;
                if self.is_driving() {
                    self.drive(now, link);
                }
            }
        }
    }

    /// Handles one MAVLink frame from `peer` (`utc_us` = wall clock at `now`, unused so far).
    pub fn handle_mavlink(
        &mut self,
        now: Instant,
        _utc_us: u64,
        peer: PeerId,
        header: MavHeader,
        inbound: &Inbound,
        link: &mut impl LinkControl,
    ) {
        let sender = (
            u8::try_from(header.system_id).unwrap_or(0),
            header.component_id,
        );
        match self.host.accept(now, peer, header, inbound, is_request) {
            Accepted::Nothing => {}
            Accepted::Message {
                msg,
                from_autopilot,
            } => self.message(now, sender, msg, from_autopilot, link),
            Accepted::Command(c) => {
                self.command_int = match inbound {
                    Inbound::Message(MavMessage::COMMAND_INT(ci)) => Some(ci.clone()),
                    _ => None,
                };
                let handled = self.dispatch(now, &c, link);
                self.command_int = None;
                self.host.complete(now, c, handled, is_request);
            }
        }
    }

    fn is_our_autopilot_id(&self, user: User) -> bool {
        user == (self.host.system_id(), AUTOPILOT_COMPONENT)
    }

    fn allowed(&self, system: u8) -> bool {
        self.config.allowed_systems.is_empty() || self.config.allowed_systems.contains(&system)
    }

    /// Addressed to us (or to every component of our system).
    fn for_us(&self, target_system: u8, target_component: u8) -> bool {
        (target_system == 0 || target_system == self.host.system_id())
            && (target_component == 0 || target_component == self.host.component_id())
    }

    /// The manager's gimbal_device_id parameter names our device (0 = all, 1 = the first).
    fn our_device(&self, id: f32) -> bool {
        id.is_nan() || id == 0.0 || id == 1.0 || id == f32::from(self.host.component_id())
    }

    fn message(
        &mut self,
        now: Instant,
        from: User,
        msg: &MavMessage,
        from_autopilot: bool,
        link: &mut impl LinkControl,
    ) {
        match msg {
            MavMessage::ATTITUDE(a) if from_autopilot => {
                let e = Euler {
                    roll_rad: f64::from(a.roll),
                    pitch_rad: f64::from(a.pitch),
                    yaw_rad: f64::from(a.yaw),
                };
                if [e.roll_rad, e.pitch_rad, e.yaw_rad]
                    .iter()
                    .all(|v| v.is_finite())
                {
                    let rate = f64::from(a.yawspeed);
                    let rate = if rate.is_finite() { rate } else { 0.0 };
                    self.vehicle.attitude = Some((now, e, rate));
                }
            }
            MavMessage::GLOBAL_POSITION_INT(p) if from_autopilot => {
                let pos = GeoPoint::from_e7_mm(p.lat, p.lon, p.alt);
                let home_alt_m = f64::from(p.alt.saturating_sub(p.relative_alt)) / 1000.0;
                if pos.is_valid() {
                    self.vehicle.position = Some((now, pos, home_alt_m));
                }
            }
            MavMessage::GIMBAL_DEVICE_SET_ATTITUDE(s) => {
                if !self.for_us(s.target_system, s.target_component) || !self.allowed(from.0) {
                    return;
                }
                if self.is_our_autopilot_id(from) {
                    self.autopilot_manages();
                } else if self.control.autopilot_is_manager() {
                    // The device listens to its manager only.
                    self.stats.denied += 1;
                    return;
                }
                let flags = u32::from(s.flags.bits());
                let goal =
                    setpoint_from_attitude(s.q, s.angular_velocity_y, s.angular_velocity_z, flags);
                self.apply(now, goal, link);
            }
            MavMessage::GIMBAL_MANAGER_SET_ATTITUDE(s) => {
                if !self.manager_may(from, s.target_system, s.target_component) {
                    return;
                }
                if !self.our_device(f32::from(s.gimbal_device_id)) {
                    return;
                }
                let goal = setpoint_from_attitude(
                    s.q,
                    s.angular_velocity_y,
                    s.angular_velocity_z,
                    s.flags.bits(),
                );
                self.apply(now, goal, link);
            }
            MavMessage::GIMBAL_MANAGER_SET_PITCHYAW(s) => {
                if !self.manager_may(from, s.target_system, s.target_component) {
                    return;
                }
                if !self.our_device(f32::from(s.gimbal_device_id)) {
                    return;
                }
                let deg = |r: f32| f64::from(r).to_degrees();
                let goal = self.setpoint_from_pitchyaw(
                    link,
                    [deg(s.pitch), deg(s.yaw), deg(s.pitch_rate), deg(s.yaw_rate)],
                    s.flags.bits(),
                );
                self.apply(now, goal, link);
            }
            _ => {}
        }
    }

    /// A manager message from `from` for us that `from` may send (counted when not).
    fn manager_may(&mut self, from: User, target_system: u8, target_component: u8) -> bool {
        if !self.control.manager_active()
            || !self.for_us(target_system, target_component)
            || !self.allowed(from.0)
        {
            return false;
        }
        if !self.control.may_command(from) {
            self.stats.denied += 1;
            return false;
        }
        true
    }

    /// Our autopilot manages the gimbal: step down in auto mode.
    fn autopilot_manages(&mut self) {
        if self.control.autopilot_manages() {
            tracing::info!(target: "gimbal", "an autopilot manages the gimbal: the bridge is the gimbal device only");
            self.events.push_back(GimbalEvent::ManagerSteppedDown);
        }
    }

    /// Takes a parsed set-point: counts a bad one, starts the motion of a new one.
    fn apply(
        &mut self,
        now: Instant,
        goal: Result<Option<Goal>, BadSetpoint>,
        link: &mut impl LinkControl,
    ) -> MavResult {
        let goal = match goal {
            Ok(Some(g)) => g,
            Ok(None) => return MavResult::MAV_RESULT_ACCEPTED,
            Err(BadSetpoint) => {
                self.stats.bad_setpoints += 1;
                if self.stats.bad_setpoints.is_power_of_two() {
                    tracing::warn!(target: "gimbal", bad = self.stats.bad_setpoints, "gimbal set-point refused (NaN, infinite or not a unit quaternion)");
                }
                return MavResult::MAV_RESULT_DENIED;
            }
        };
        let goal = match goal {
            Goal::Rates {
                pitch_dps, yaw_dps, ..
            } if pitch_dps == 0.0 && yaw_dps == 0.0 => Goal::Idle,
            g => g,
        };
        if let Goal::Angles {
            frame: YawFrame::Earth,
            ..
        } = goal
        {
            if self.vehicle.heading_rad(now).is_none() {
                // Yaw lock needs the vehicle's heading (ATTITUDE from our autopilot).
                return MavResult::MAV_RESULT_TEMPORARILY_REJECTED;
            }
        }
        self.last_setpoint = Some(now);
        if goal == self.goal {
            return MavResult::MAV_RESULT_ACCEPTED;
        }
        self.manual = true;
        self.yielded = false;
        let was_rates = self.rate_motion_active();
        let flags_before = self.device_flags();
        self.goal = goal;
        self.sent_angles = None;
        if self.control.manager_active() && self.device_flags() != flags_before {
            // GIMBAL_MANAGER_STATUS on change (yaw lock, neutral).
            let m = self.manager_status(now);
            self.host.send(Target::All, m);
        }
        match goal {
            Goal::Rates { .. } if !was_rates => self.rate.reset(),
            Goal::Rates { .. } => {}
            _ if was_rates => {
                self.rate.reset();
                if !matches!(goal, Goal::Idle) || self.sent_rates != (0, 0) {
                    self.send_rates(now, (0, 0), link);
                }
            }
            _ => {}
        }
        if goal == Goal::Neutral {
            link.start(now, Operation::Center);
        }
        self.drive(now, link);
        if self.is_driving() {
            self.next_control
                .get_or_insert(now + CONTROL_PERIOD.max(MIN_TIMER_STEP));
        }
        MavResult::MAV_RESULT_ACCEPTED
    }

    fn clamped_once(&mut self) {
        self.stats.clamped += 1;
        if !self.said_clamped {
            self.said_clamped = true;
            self.host.statustext(
                MavSeverity::MAV_SEVERITY_WARNING,
                &format!(
                    "Gimbal limits: pitch {}..{} deg, yaw +-{} deg",
                    device::PITCH_MIN_DEG,
                    device::PITCH_MAX_DEG,
                    device::YAW_LIMIT_DEG
                ),
            );
        }
    }

    fn send_rates(&mut self, now: Instant, speeds: (i8, i8), link: &mut impl LinkControl) {
        self.sent_rates = speeds;
        link.start(
            now,
            Operation::GimbalRates {
                yaw_speed: speeds.0,
                pitch_speed: speeds.1,
            },
        );
    }

    /// One step of the control loop: aim the angles again (yaw lock, ROI), correct the rates,
    /// stop a rate motion whose set-points stopped.
    fn drive(&mut self, now: Instant, link: &mut impl LinkControl) {
        if link.health() != LinkHealth::Up {
            return;
        }
        if let Some(rates) = motion::vehicle_rates(&self.goal, &self.vehicle, now) {
            let stale = self
                .last_setpoint
                .is_none_or(|at| now.saturating_duration_since(at) > RATE_SETPOINT_TIMEOUT);
            if stale {
                self.stats.rate_timeouts += 1;
                tracing::info!(target: "gimbal", "rate set-points stopped arriving: gimbal stopped");
                self.goal = Goal::Idle;
                self.rate.reset();
                self.send_rates(now, (0, 0), link);
                return;
            }
            let attitude = link.state().attitude;
            let at_limit = attitude.map_or([false; 2], |a| {
                let py = PitchYaw::from_siyi(&a.value);
                let lim = device::AT_LIMIT_DEG;
                [
                    (rates[0] > 0.0 && py.yaw_deg >= device::YAW_LIMIT_DEG - lim)
                        || (rates[0] < 0.0 && py.yaw_deg <= -device::YAW_LIMIT_DEG + lim),
                    (rates[1] > 0.0 && py.pitch_deg >= device::PITCH_MAX_DEG - lim)
                        || (rates[1] < 0.0 && py.pitch_deg <= device::PITCH_MIN_DEG + lim),
                ]
            });
            let speeds = self.rate.update(rates, attitude, at_limit);
            if speeds != self.sent_rates {
                self.send_rates(now, speeds, link);
            }
            return;
        }
        let Some(wanted) = motion::direction(&self.goal, &self.vehicle, now) else {
            return;
        };
        let (aim, clamped) = wanted.clamped();
        if clamped && !matches!(self.goal, Goal::Roi(_)) {
            self.clamped_once();
        }
        let far = |a: PitchYaw, b: PitchYaw| {
            (a.pitch_deg - b.pitch_deg).abs() >= ANGLE_RESEND_DEG
                || geo::wrap_180(a.yaw_deg - b.yaw_deg).abs() >= ANGLE_RESEND_DEG
        };
        let send = match self.sent_angles {
            None => true,
            Some((last, _)) => far(aim, last),
        };
        if send {
            self.sent_angles = Some((aim, now));
            let (yaw, pitch) = aim.to_siyi();
            link.start(now, Operation::GimbalAngles { yaw, pitch });
        }
    }

    /// A set-point from DO_GIMBAL_MANAGER_PITCHYAW / GIMBAL_MANAGER_SET_PITCHYAW: `v` = pitch °,
    /// yaw °, pitch rate °/s, yaw rate °/s (NaN = unused). Angles win over rates; a NaN angle
    /// beside a given one keeps the gimbal's current value.
    fn setpoint_from_pitchyaw(
        &self,
        link: &impl LinkControl,
        v: [f64; 4],
        flags: u32,
    ) -> Result<Option<Goal>, BadSetpoint> {
        if v.iter().any(|x| x.is_infinite()) {
            return Err(BadSetpoint);
        }
        if flags & u32::from(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_NEUTRAL.bits()) != 0 {
            return Ok(Some(Goal::Neutral));
        }
        let frame = yaw_frame(flags);
        let [pitch, yaw, pitch_rate, yaw_rate] = v;
        if pitch.is_nan() && yaw.is_nan() {
            if pitch_rate.is_nan() && yaw_rate.is_nan() {
                return Ok(None);
            }
            let z = |r: f64| if r.is_nan() { 0.0 } else { r };
            return Ok(Some(Goal::Rates {
                pitch_dps: z(pitch_rate),
                yaw_dps: z(yaw_rate),
                frame,
            }));
        }
        let current = link
            .state()
            .attitude
            .map(|a| PitchYaw::from_siyi(&a.value))
            .unwrap_or_default();
        let (yaw, frame) = if yaw.is_nan() {
            (current.yaw_deg, YawFrame::Vehicle)
        } else {
            (yaw, frame)
        };
        Ok(Some(Goal::Angles {
            pitch_deg: if pitch.is_nan() {
                current.pitch_deg
            } else {
                pitch
            },
            yaw_deg: yaw,
            frame,
        }))
    }

    /// Handles a command addressed to us; `None` = not a command we handle (UNSUPPORTED).
    fn dispatch(
        &mut self,
        now: Instant,
        c: &IncomingCommand,
        link: &mut impl LinkControl,
    ) -> Option<Handled> {
        use MavResult as R;
        let cmd = &c.cmd;
        let from = (c.from.system, c.from.component);
        Some(match cmd.command {
            MavCmd::MAV_CMD_REQUEST_MESSAGE => {
                let Some(id) = cmd.whole(1).filter(|v| (0.0..=16_777_215.0).contains(v)) else {
                    return Some(Handled::just(R::MAV_RESULT_DENIED));
                };
                let id = id as u32;
                if id == ID_DEVICE_INFORMATION && self.is_our_autopilot_id(from) {
                    self.autopilot_manages();
                }
                if id == ID_DEVICE_INFORMATION && !identified(link.state()) {
                    // Vendor, model and firmware come from the camera: PX4 asks again at 1 Hz.
                    return Some(Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED));
                }
                match self.build(id, now, link) {
                    Some(m) => Handled {
                        result: R::MAV_RESULT_ACCEPTED,
                        then: vec![m],
                        then_all: Vec::new(),
                    },
                    None => Handled::just(R::MAV_RESULT_DENIED),
                }
            }
            MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL => self.set_interval(now, c),
            MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE => {
                if !self.control.manager_active() {
                    return None;
                }
                if !self.our_device(cmd.p(7)) {
                    return Some(Handled::just(R::MAV_RESULT_DENIED));
                }
                let (result, changed) = self
                    .control
                    .configure(from, [cmd.p(1), cmd.p(2), cmd.p(3), cmd.p(4)]);
                if changed {
                    let m = self.manager_status(now);
                    return Some(Handled::then_all(result, m));
                }
                Handled::just(result)
            }
            MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW => {
                if let Some(refused) = self.manager_command_refused(from, cmd.p(7)) {
                    return refused;
                }
                let v = [cmd.p(1), cmd.p(2), cmd.p(3), cmd.p(4)].map(f64::from);
                let flags = cmd
                    .whole(5)
                    .map_or(0, |f| f.clamp(0.0, u32::MAX as f32) as u32);
                let goal = self.setpoint_from_pitchyaw(link, v, flags);
                Handled::just(self.apply(now, goal, link))
            }
            MavCmd::MAV_CMD_DO_SET_ROI_LOCATION => {
                if let Some(refused) = self.manager_command_refused(from, cmd.p(1)) {
                    return refused;
                }
                let Some(target) = self.roi_target(now, cmd) else {
                    return Some(Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED));
                };
                Handled::just(self.apply(now, Ok(Some(Goal::Roi(target))), link))
            }
            MavCmd::MAV_CMD_DO_SET_ROI_NONE => {
                if let Some(refused) = self.manager_command_refused(from, cmd.p(1)) {
                    return refused;
                }
                if matches!(self.goal, Goal::Roi(_)) {
                    self.goal = Goal::Idle;
                    self.manual = true;
                }
                Handled::just(R::MAV_RESULT_ACCEPTED)
            }
            _ => return None,
        })
    }

    /// `Some(answer)` when a manager command cannot be obeyed: not the manager (UNSUPPORTED),
    /// another device (DENIED), the sender has no control (DENIED).
    fn manager_command_refused(&mut self, from: User, device_id: f32) -> Option<Option<Handled>> {
        if !self.control.manager_active() {
            return Some(None);
        }
        if !self.our_device(device_id) {
            return Some(Some(Handled::just(MavResult::MAV_RESULT_DENIED)));
        }
        if !self.control.may_command(from) {
            self.stats.denied += 1;
            return Some(Some(Handled::just(MavResult::MAV_RESULT_DENIED)));
        }
        None
    }

    /// The location of DO_SET_ROI_LOCATION, altitude AMSL. COMMAND_INT: x/y in degrees × 10⁷,
    /// z in metres in its frame (GLOBAL = AMSL, else relative to home). COMMAND_LONG: param5/6
    /// degrees, param7 metres above home (QGC's and missions' usual frame). Needs the vehicle's
    /// home altitude for relative altitudes; `None` when unknown or invalid.
    fn roi_target(&self, now: Instant, cmd: &crate::core::mavlink::Command) -> Option<GeoPoint> {
        let home_alt = self.vehicle.position(now).map(|(_, h)| h);
        let (lat, lon, alt, amsl) = match &self.command_int {
            Some(ci) => (
                f64::from(ci.x) * 1e-7,
                f64::from(ci.y) * 1e-7,
                f64::from(ci.z),
                is_amsl_frame(ci.frame),
            ),
            None => (
                f64::from(cmd.p(5)),
                f64::from(cmd.p(6)),
                f64::from(cmd.p(7)),
                false,
            ),
        };
        let alt_m = if amsl { alt } else { alt + home_alt? };
        let p = GeoPoint {
            lat_deg: lat,
            lon_deg: lon,
            alt_m,
        };
        p.is_valid().then_some(p)
    }

    fn set_interval(&mut self, now: Instant, c: &IncomingCommand) -> Handled {
        use MavResult as R;
        let (id, interval_us) = (c.cmd.p(1), c.cmd.p(2));
        if id == ID_ATTITUDE_STATUS as f32 {
            // The attitude status goes to everyone: the period is the component's.
            self.attitude_period = if interval_us == -1.0 {
                None
            } else if interval_us == 0.0 {
                Some(ATTITUDE_STATUS_PERIOD)
            } else if interval_us.is_finite() && interval_us > 0.0 {
                Some(
                    Duration::from_micros(interval_us as u64)
                        .clamp(MIN_ATTITUDE_PERIOD, Duration::from_secs(60)),
                )
            } else {
                return Handled::just(R::MAV_RESULT_DENIED);
            };
            self.next_attitude = now;
            return Handled::just(R::MAV_RESULT_ACCEPTED);
        }
        let streamable: &[u32] = if self.control.manager_active() {
            &[ID_MANAGER_STATUS]
        } else {
            &[]
        };
        self.host
            .set_interval(now, c.from.peer, id, interval_us, streamable)
    }

    /// A message on request; `None` = not one we provide (now).
    fn build(&self, id: u32, now: Instant, link: &impl LinkControl) -> Option<MavMessage> {
        let t = self.host.boot_ms(now);
        let compid = self.host.component_id();
        match id {
            ID_DEVICE_INFORMATION => Some(device::device_information(t, link.state())),
            ID_ATTITUDE_STATUS => Some(self.attitude_status(now, link)),
            ID_MANAGER_INFORMATION if self.control.manager_active() => {
                Some(device::manager_information(t, compid))
            }
            ID_MANAGER_STATUS if self.control.manager_active() => Some(self.manager_status(now)),
            _ => None,
        }
    }

    fn device_flags(&self) -> GimbalDeviceFlags {
        let mut f = GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_ROLL_LOCK
            | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_PITCH_LOCK
            | GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME;
        if self.goal.yaw_lock() {
            f |= GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK;
        }
        if self.goal == Goal::Neutral {
            f |= GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_NEUTRAL;
        }
        f
    }

    fn manager_status(&self, now: Instant) -> MavMessage {
        device::manager_status(
            self.host.boot_ms(now),
            self.device_flags(),
            self.host.component_id(),
            self.control.controllers(),
        )
    }

    fn send_manager_status(&mut self, now: Instant) {
        self.next_manager_status = next_tick(self.next_manager_status, MANAGER_STATUS_PERIOD, now);
        let m = self.manager_status(now);
        self.host.send(Target::All, m);
    }

    fn attitude_status(&self, now: Instant, link: &impl LinkControl) -> MavMessage {
        let reading = link.state().attitude;
        let healthy = link.health() == LinkHealth::Up
            && reading.is_some_and(|a| a.is_fresh(now, ATTITUDE_STALE_AFTER));
        device::attitude_status(&device::AttitudeView {
            time_boot_ms: self.host.boot_ms(now),
            attitude: reading.map(|a| a.value),
            healthy,
            yaw_lock: self.goal.yaw_lock(),
            neutral: self.goal == Goal::Neutral,
            vehicle_yaw_rad: self.vehicle.heading_rad(now),
            vehicle_yaw_rate_rad_s: self.vehicle.yaw_rate_rad_s(now),
            no_manager: !self.control.manager_active() && !self.control.autopilot_is_manager(),
        })
    }
}

/// The camera is identified: model known and a firmware that is not 0.0.0 (booted).
fn identified(s: &crate::core::link::CameraState) -> bool {
    s.model.is_some() && s.camera_fw.is_some_and(|fw| !fw.is_zero())
}

/// The yaw frame of a set-point's flags (device and manager flags share the bits): the explicit
/// frame flags win; without them YAW_LOCK means the earth frame.
fn yaw_frame(flags: u32) -> YawFrame {
    let has = |f: GimbalDeviceFlags| flags & u32::from(f.bits()) != 0;
    if has(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME) {
        YawFrame::Earth
    } else if has(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME) {
        YawFrame::Vehicle
    } else if has(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_LOCK) {
        YawFrame::Earth
    } else {
        YawFrame::Vehicle
    }
}

/// A set-point from GIMBAL_DEVICE_SET_ATTITUDE / GIMBAL_MANAGER_SET_ATTITUDE: a unit quaternion
/// (angles; it wins over rates), or all-NaN `q` with the pitch (`rate_y`) and yaw (`rate_z`)
/// rates in rad/s (NaN = 0 when the other is given). NEUTRAL centres. `Ok(None)`: nothing asked.
/// NaN or infinite parts of `q`, a quaternion that is not a unit one, infinite rates: refused.
fn setpoint_from_attitude(
    q: [f32; 4],
    rate_y: f32,
    rate_z: f32,
    flags: u32,
) -> Result<Option<Goal>, BadSetpoint> {
    if flags & u32::from(GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_NEUTRAL.bits()) != 0 {
        return Ok(Some(Goal::Neutral));
    }
    let frame = yaw_frame(flags);
    if q.iter().all(|c| c.is_nan()) {
        if rate_y.is_infinite() || rate_z.is_infinite() {
            return Err(BadSetpoint);
        }
        if rate_y.is_nan() && rate_z.is_nan() {
            return Ok(None);
        }
        let dps = |r: f32| {
            if r.is_nan() {
                0.0
            } else {
                f64::from(r).to_degrees()
            }
        };
        return Ok(Some(Goal::Rates {
            pitch_dps: dps(rate_y),
            yaw_dps: dps(rate_z),
            frame,
        }));
    }
    let e = Euler::from_quat(q).ok_or(BadSetpoint)?;
    Ok(Some(Goal::Angles {
        pitch_deg: e.pitch_rad.to_degrees(),
        yaw_deg: e.yaw_rad.to_degrees(),
        frame,
    }))
}

/// A global frame whose altitude is above mean sea level.
#[allow(deprecated)] // MAV_FRAME_GLOBAL_INT is still sent by older ground stations
fn is_amsl_frame(frame: MavFrame) -> bool {
    matches!(
        frame,
        MavFrame::MAV_FRAME_GLOBAL | MavFrame::MAV_FRAME_GLOBAL_INT
    )
}
