//! The MAVLink gimbal component (gimbal protocol v2), sans-IO: the A8 mini's gimbal as a gimbal
//! device (component 154 by default) and, while no autopilot manages it, its gimbal manager.
//!
//! [`GimbalComponent`] = a [`Host`] (identity, heartbeat timing, de-dup, intervals, routing —
//! `core::mavlink`) + the gimbal service, whose parts each own their state: [`access`] (the
//! allow-list; who may move the gimbal), [`control`] (the manager role, control ownership),
//! [`intent`] (the goal users set), [`vehicle`] (what our autopilot says about the vehicle),
//! [`aim`] (what was sent to the link, the control loop, [`rate`]'s controller, yielding to
//! tracking), [`status`] (the status streams' timers). Plain functions and values: [`motion`]
//! (goals, where they point), [`setpoint`] (MAVLink set-points → goals), [`requests`] (the
//! messages, from a plain view), [`device`] (limits, flags, conversions), [`config`]. The
//! component conducts: it routes what the host accepts and hands each part plain values. It
//! drives the gimbal only through [`LinkControl::start`] with [`Operation::GimbalAngles`],
//! [`Operation::GimbalRates`] and [`Operation::Center`], and reads the attitude the link polls.
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

pub mod access;
pub mod aim;
pub mod config;
pub mod control;
pub mod device;
pub mod intent;
pub mod motion;
pub mod rate;
pub mod requests;
pub mod setpoint;
pub mod status;
pub mod vehicle;

use std::collections::VecDeque;
use std::time::Instant;

use mavlink::dialects::common::{MavCmd, MavMessage, MavResult, MavSeverity, COMMAND_INT_DATA};
use mavlink::MavHeader;

use crate::core::link::{LinkControl, LinkEvent, LinkHealth, Operation, Owner};
use crate::core::mavlink::host::IncomingCommand;
use crate::core::mavlink::{
    Accepted, Addressed, Addressing, Handled, Host, HostConfig, HostEvent, Inbound, PeerId, Target,
    Transmit,
};

pub use aim::{CONTROL_PERIOD, RATE_SETPOINT_TIMEOUT};
pub use config::{GimbalConfig, GimbalEvent, GimbalStats};
pub use control::{ManagerMode, User};
pub use device::PitchYaw;
pub use motion::{Goal, YawFrame};
pub use requests::{
    ATTITUDE_STALE_AFTER, ID_ATTITUDE_STATUS, ID_DEVICE_INFORMATION, ID_MANAGER_INFORMATION,
    ID_MANAGER_STATUS,
};
pub use status::{ATTITUDE_STATUS_PERIOD, MANAGER_STATUS_PERIOD};

use access::{Sender, Verdict};
use aim::{Aim, Step};
use intent::{Intent, Offer};
use requests::{is_request, View};
use setpoint::Setpoint;
use status::StatusStreams;
use vehicle::Vehicle;

/// The MAVLink gimbal component. See the module docs for the poll contract.
pub struct GimbalComponent {
    host: Host,
    control: control::Control,
    intent: Intent,
    vehicle: Vehicle,
    aim: Aim,
    streams: StatusStreams,
    /// When the newest attitude reading the attitude status has seen was taken.
    attitude_seen: Option<Instant>,
    /// Manager commands and messages from a user without control (DENIED or ignored).
    denied: u64,
    events: VecDeque<GimbalEvent>,
}

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
            intent: Intent::default(),
            vehicle: Vehicle::default(),
            aim: Aim::default(),
            streams: StatusStreams::new(now),
            attitude_seen: None,
            denied: 0,
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
        let (clamped, rate_timeouts) = self.aim.counts();
        GimbalStats {
            host: self.host.stats(),
            bad_setpoints: self.intent.bad_setpoints(),
            clamped,
            denied: self.denied,
            rate_timeouts,
        }
    }

    /// The MAVLink side every component shares.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The MAVLink side, to tell it what the bridge did with its frames.
    pub fn host_mut(&mut self) -> &mut Host {
        &mut self.host
    }

    /// What the gimbal is asked to do now.
    pub fn goal(&self) -> Goal {
        self.intent.goal()
    }

    /// True while the bridge plays the gimbal manager.
    pub fn is_manager(&self) -> bool {
        self.control.manager_active()
    }

    /// True while this component drives a rate motion (another part of the core that moves the
    /// gimbal, e.g. tracking, must not send rates then).
    pub fn rate_motion_active(&self) -> bool {
        self.intent.rate_motion()
    }

    /// True while this component moves the gimbal (rates, yaw lock, ROI): anything but idle or
    /// centred.
    pub fn is_driving(&self) -> bool {
        !self.aim.yielded() && !matches!(self.intent.goal(), Goal::Idle | Goal::Neutral)
    }

    /// Lets another part of the core (tracking's "gimbal follow") move the gimbal: the control
    /// loop stops re-aiming (yaw lock, ROI, angles, rates). The goal is kept as the reference, so
    /// a manager that keeps streaming the same set-point (PX4 at 5 Hz, QGC's rates every 500 ms)
    /// changes nothing; a **different** set-point takes the gimbal back (and
    /// [`GimbalComponent::poll_manual_input`] says so). Sends nothing: a rate motion in progress
    /// must be replaced by the caller's own command.
    pub fn yield_gimbal(&mut self) {
        self.aim.yield_gimbal();
    }

    /// True once after a MAVLink user (ground station or autopilot) gave the gimbal a new
    /// set-point: whoever else moves the gimbal (tracking's "gimbal follow") should stop.
    pub fn poll_manual_input(&mut self) -> bool {
        self.intent.take_manual()
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
        let [attitude, manager] = self.streams.next_due(self.control.manager_active());
        let t = [manager, attitude, self.aim.next_control()]
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
        let reading_at = link.state().attitude.as_ref().map(|a| a.at);
        let fresh_reading = reading_at > self.attitude_seen;
        self.attitude_seen = reading_at.max(self.attitude_seen);
        if self.streams.attitude_due(now, fresh_reading) {
            let m = requests::attitude_status(&self.view(now, link));
            self.host.send(Target::All, m);
        }
        if self.control.manager_active() && self.streams.manager_status_due(now) {
            let m = requests::manager_status(&self.view(now, link));
            self.host.send(Target::All, m);
        }
        if let Some(at) = self.aim.control_due(now) {
            self.drive(now, link);
            self.aim.schedule_after(at, self.is_driving(), now);
        }
        for (peer, id) in self.host.due_intervals(now) {
            if let Some(m) = requests::build(id, &self.view(now, link)) {
                self.host.send(Target::Peer(peer), m);
            }
        }
    }

    /// The link events the gimbal subscribes to: the link's health (the outcomes of its own
    /// operations reach it by their [`Owner::Gimbal`]).
    pub fn hears(event: &LinkEvent) -> bool {
        matches!(event, LinkEvent::Health { .. })
    }

    /// Handles an event of the SIYI link: a lost camera ends a rate motion (nothing can stop it
    /// later), the other events change nothing here.
    pub fn handle_link_event(
        &mut self,
        now: Instant,
        event: &LinkEvent,
        link: &mut impl LinkControl,
    ) {
        self.host.tick(now);
        if let LinkEvent::Health { to, .. } = event {
            if *to != LinkHealth::Up && self.rate_motion_active() {
                self.intent.end();
                self.aim.rates_lost();
            }
            if *to == LinkHealth::Up {
                // Aim again what was aimed before the outage.
                self.aim.link_up();
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
        let user = (
            u8::try_from(header.system_id).unwrap_or(0),
            header.component_id,
        );
        match self.host.accept(now, peer, header, inbound, is_request) {
            Accepted::Nothing => {}
            Accepted::Message {
                msg,
                from_autopilot,
            } => {
                let sender = Sender {
                    user,
                    our_autopilot: from_autopilot,
                };
                self.message(now, (peer, &header), sender, msg, link);
            }
            Accepted::Command(c) => {
                let command_int = match inbound {
                    Inbound::Message(MavMessage::COMMAND_INT(ci)) => Some(ci),
                    _ => None,
                };
                let handled = self.dispatch(now, &c, command_int, link);
                self.host.complete(now, c, handled, is_request);
            }
        }
    }

    fn message(
        &mut self,
        now: Instant,
        (peer, header): (PeerId, &MavHeader),
        from: Sender,
        msg: &MavMessage,
        link: &mut impl LinkControl,
    ) {
        match msg {
            MavMessage::ATTITUDE(a) if from.our_autopilot => self.vehicle.hear_attitude(now, a),
            MavMessage::GLOBAL_POSITION_INT(p) if from.our_autopilot => {
                self.vehicle.hear_position(now, p);
            }
            _ => {
                let Some(m) = setpoint::from_message(msg, || device::current_angles(link.state()))
                else {
                    return;
                };
                let how = Addressing::OrBroadcast;
                let addressed = self.host.addressed(peer, header, m.target, how);
                let ours = matches!(addressed, Addressed::Ours(_));
                let verdict = match m.manager_device {
                    None => access::device_setpoint(ours, from, &self.control),
                    Some(id) => {
                        let comp = self.host.component_id();
                        access::manager_setpoint(ours, from, id, comp, &self.control)
                    }
                };
                if self.obeyed(verdict) {
                    self.apply(now, m.setpoint, link);
                }
            }
        }
    }

    /// Carries out a verdict: counts a denial, steps down for our autopilot; true = obey.
    fn obeyed(&mut self, verdict: Verdict) -> bool {
        match verdict {
            Verdict::Obey { autopilot } => {
                if autopilot {
                    self.autopilot_manages();
                }
                true
            }
            Verdict::Denied => {
                self.denied += 1;
                false
            }
            Verdict::NotOurs | Verdict::OtherDevice => false,
        }
    }

    /// Our autopilot manages the gimbal: step down in auto mode.
    fn autopilot_manages(&mut self) {
        if self.control.autopilot_manages() {
            tracing::info!(target: "gimbal", "an autopilot manages the gimbal: the bridge is the gimbal device only");
            self.events.push_back(GimbalEvent::ManagerSteppedDown);
        }
    }

    /// Takes a parsed set-point: counts a bad one, starts the motion of a new one.
    fn apply(&mut self, now: Instant, goal: Setpoint, link: &mut impl LinkControl) -> MavResult {
        let before = match self.intent.offer(now, goal, &self.vehicle) {
            Offer::Bad => return MavResult::MAV_RESULT_DENIED,
            // Yaw lock needs the vehicle's heading (ATTITUDE from our autopilot).
            Offer::NeedsHeading => return MavResult::MAV_RESULT_TEMPORARILY_REJECTED,
            Offer::Nothing | Offer::Same => return MavResult::MAV_RESULT_ACCEPTED,
            Offer::Changed { from } => from,
        };
        let goal = self.intent.goal();
        let was_rates = matches!(before, Goal::Rates { .. });
        if self.control.manager_active()
            && status::device_flags(&goal) != status::device_flags(&before)
        {
            // GIMBAL_MANAGER_STATUS on change (yaw lock, neutral).
            let m = requests::manager_status(&self.view(now, link));
            self.host.send(Target::All, m);
        }
        self.aim.retarget(now, was_rates, &goal, link);
        if goal == Goal::Neutral {
            link.start(now, Owner::Gimbal, Operation::Center);
        }
        self.drive(now, link);
        if self.is_driving() {
            self.aim.start_loop(now);
        }
        MavResult::MAV_RESULT_ACCEPTED
    }

    /// One step of the control loop (see [`Aim::step`]); ends a rate motion whose set-points
    /// stopped.
    fn drive(&mut self, now: Instant, link: &mut impl LinkControl) {
        let (goal, last) = (self.intent.goal(), self.intent.last_setpoint());
        match self.aim.step(now, &goal, &self.vehicle, last, link) {
            Step::Steady => {}
            Step::RatesTimedOut => self.intent.end(),
            Step::FirstClamp => {
                let text = device::limits_text();
                self.host
                    .statustext(MavSeverity::MAV_SEVERITY_WARNING, &text);
            }
        }
    }

    /// Handles a command addressed to us (`command_int`: the COMMAND_INT it came in, whose integer
    /// coordinates ROI needs); `None` = not a command we handle (UNSUPPORTED).
    fn dispatch(
        &mut self,
        now: Instant,
        c: &IncomingCommand,
        command_int: Option<&COMMAND_INT_DATA>,
        link: &mut impl LinkControl,
    ) -> Option<Handled> {
        use MavResult as R;
        let cmd = &c.cmd;
        let from = (c.from.system, c.from.component);
        Some(match cmd.command {
            MavCmd::MAV_CMD_REQUEST_MESSAGE => {
                let id = requests::requested_id(cmd);
                if id == Some(ID_DEVICE_INFORMATION) && self.host.is_our_autopilot(&c.from) {
                    self.autopilot_manages();
                }
                requests::request_message(id, &self.view(now, link))
            }
            MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL => self.set_interval(now, c),
            MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE => {
                if !self.control.manager_active() {
                    return None;
                }
                if !access::our_device(self.host.component_id(), cmd.p(7)) {
                    return Some(Handled::just(R::MAV_RESULT_DENIED));
                }
                let from_autopilot = self.host.is_our_autopilot(&c.from);
                let params = [cmd.p(1), cmd.p(2), cmd.p(3), cmd.p(4)];
                let (result, changed) = self.control.configure(from, from_autopilot, params);
                if changed {
                    tracing::info!(target: "gimbal", primary = ?self.control.controllers().primary, secondary = ?self.control.controllers().secondary, "gimbal manager control changed by {}/{}", from.0, from.1);
                }
                if changed {
                    let m = requests::manager_status(&self.view(now, link));
                    return Some(Handled::then_all(result, m));
                }
                Handled::just(result)
            }
            MavCmd::MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW => {
                if let Some(refused) = self.manager_command_refused(from, cmd.p(7)) {
                    return refused;
                }
                let goal =
                    setpoint::from_pitchyaw_command(cmd, || device::current_angles(link.state()));
                Handled::just(self.apply(now, goal, link))
            }
            MavCmd::MAV_CMD_DO_SET_ROI_LOCATION => {
                if let Some(refused) = self.manager_command_refused(from, cmd.p(1)) {
                    return refused;
                }
                let home_alt_m = self.vehicle.home_alt_m(now);
                let Some(target) = setpoint::roi_target(cmd, command_int, home_alt_m) else {
                    return Some(Handled::just(R::MAV_RESULT_TEMPORARILY_REJECTED));
                };
                Handled::just(self.apply(now, Ok(Some(Goal::Roi(target))), link))
            }
            MavCmd::MAV_CMD_DO_SET_ROI_NONE => {
                if let Some(refused) = self.manager_command_refused(from, cmd.p(1)) {
                    return refused;
                }
                self.intent.end_roi();
                Handled::just(R::MAV_RESULT_ACCEPTED)
            }
            _ => return None,
        })
    }

    /// `Some(answer)` when a manager command cannot be obeyed: not the manager (UNSUPPORTED),
    /// another device (DENIED), the sender has no control (DENIED).
    fn manager_command_refused(&mut self, from: User, device_id: f32) -> Option<Option<Handled>> {
        let compid = self.host.component_id();
        match access::manager_command(compid, from, device_id, &self.control) {
            Verdict::NotOurs => Some(None),
            Verdict::OtherDevice => Some(Some(Handled::just(MavResult::MAV_RESULT_DENIED))),
            v => (!self.obeyed(v)).then(|| Some(Handled::just(MavResult::MAV_RESULT_DENIED))),
        }
    }

    fn set_interval(&mut self, now: Instant, c: &IncomingCommand) -> Handled {
        use MavResult as R;
        let (id, interval_us) = (c.cmd.p(1), c.cmd.p(2));
        if id == ID_ATTITUDE_STATUS as f32 {
            // The attitude status goes to everyone: the period is the component's.
            return Handled::just(if self.streams.set_attitude_interval(now, interval_us) {
                R::MAV_RESULT_ACCEPTED
            } else {
                R::MAV_RESULT_DENIED
            });
        }
        let streamable = requests::streamable(self.control.manager_active());
        self.host
            .set_interval(now, c.from.peer, id, interval_us, streamable)
    }

    /// What the messages are built from at `now`.
    fn view<'a>(&'a self, now: Instant, link: &'a impl LinkControl) -> View<'a> {
        View {
            now,
            time_boot_ms: self.host.boot_ms(now),
            component_id: self.host.component_id(),
            goal: self.intent.goal(),
            control: &self.control,
            vehicle: &self.vehicle,
            camera: link.state(),
            link_health: link.health(),
        }
    }
}
