//! The component host: see the module docs of [`crate::core::mavlink`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use mavlink::dialects::common::{
    MavAutopilot, MavCmd, MavMessage, MavResult, MavSeverity, MavType, COMMAND_ACK_DATA,
};
use mavlink::MavHeader;

use super::address::{self, Addressed, Addressing};
use super::chatter::{self, Chatter, Verdict};
use super::dedupe::{DedupeKey, DedupeTable};
use super::heard::Heartbeats;
use super::presence::{self, Presence};
use super::{statustext, Command, Handled, Inbound, Outgoing, PeerId, Requester, Target, Transmit};

/// A peer (link) not heard for this long is gone: the message intervals it asked for stop, and
/// an autopilot silent this long may be replaced by another.
pub const PEER_SILENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Heartbeat period.
const HEARTBEAT_PERIOD: Duration = Duration::from_secs(1);
/// Default rate for SET_MESSAGE_INTERVAL with interval 0.
const DEFAULT_STREAM_PERIOD: Duration = Duration::from_secs(1);
/// Fastest rate honoured for SET_MESSAGE_INTERVAL.
const MIN_STREAM_PERIOD: Duration = Duration::from_millis(50);
/// Slowest rate honoured for SET_MESSAGE_INTERVAL (longer intervals are clamped).
const MAX_STREAM_PERIOD: Duration = Duration::from_secs(3600);
/// Shortest period of any timer: every timer moves forward by at least this.
pub const MIN_TIMER_STEP: Duration = Duration::from_millis(1);
/// MAV_COMP_ID_AUTOPILOT1.
const AUTOPILOT_COMPONENT: u8 = 1;
mod identity;

/// Log target of the STATUSTEXT lines.
const STATUSTEXT_LOG_TARGET: &str = "mavlink";

/// Configuration of the host.
#[derive(Clone, PartialEq, Debug)]
pub struct HostConfig {
    /// Fixed system id; `None` = learn it from the autopilot's HEARTBEAT (1 until then).
    pub system_id: Option<u8>,
    /// Component id.
    pub component_id: u8,
    /// How long a command is remembered to recognise retransmissions.
    pub dedupe_window: Duration,
    /// Systems allowed to command the component; empty = every system.
    pub allowed_systems: Vec<u8>,
}

/// Something the application should know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HostEvent {
    /// The system id was learned from the autopilot's heartbeat.
    SystemIdLearned(u8),
}

/// Counters (for logs and tests).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct HostStats {
    /// Commands addressed to us.
    pub commands: u64,
    /// Retransmissions answered from the dedupe table.
    pub duplicates: u64,
    /// Commands for someone else.
    pub ignored: u64,
    /// Commands with a number `common` does not know (addressed to us).
    pub unknown_commands: u64,
    /// Frames that did not parse.
    pub unparsed: u64,
    /// Commands from systems not in the allow-list (ignored).
    pub refused: u64,
    /// Message intervals dropped because the peer that asked for them went silent.
    pub intervals_expired: u64,
    /// STATUSTEXTs not sent: the same text to the same destination within a second.
    pub statustext_repeats: u64,
    /// STATUSTEXTs not sent: the destination's STATUSTEXT budget was spent.
    pub statustext_over_budget: u64,
    /// Unsolicited messages held back before the system id was known (`presence`).
    pub held_before_id: u64,
    /// Heartbeats with our ids from another component (`presence`).
    pub rival_heartbeats: u64,
}

/// A command for the service, not a retransmission. Dispatch it, then give the answer to
/// [`Host::complete`].
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct IncomingCommand {
    /// Who sent it.
    pub from: Requester,
    /// Its retransmission key.
    pub key: DedupeKey,
    /// The command.
    pub cmd: Command,
    /// Sent to every component (target component 0).
    pub broadcast: bool,
}

/// What the service should do with one inbound frame.
#[derive(Debug)]
pub enum Accepted<'a> {
    /// Nothing: handled here, or not for us.
    Nothing,
    /// A message for the service. `from_autopilot` is true only when it comes from the
    /// autopilot our system id belongs to (its system id, component 1, the link it was heard on):
    /// position, attitude and time are taken only from such messages.
    Message {
        /// The message.
        msg: &'a MavMessage,
        /// From our autopilot.
        from_autopilot: bool,
    },
    /// A command to dispatch.
    Command(IncomingCommand),
}

/// The generic part of a MAVLink component. See the module docs.
#[derive(Debug)]
pub struct Host {
    config: HostConfig,
    start: Instant,
    system_id: u8,
    learned: bool,
    /// The autopilot the system id belongs to: its link and when it was last heard.
    autopilot: Option<(PeerId, Instant)>,
    next_heartbeat: Instant,
    out: VecDeque<Transmit>,
    events: VecDeque<HostEvent>,
    /// Id of the next multi-chunk STATUSTEXT (never 0: 0 means "single chunk").
    statustext_id: u16,
    dedupe: DedupeTable,
    /// SET_MESSAGE_INTERVAL streams: (peer that asked, message id) → (period, next send).
    intervals: BTreeMap<(PeerId, u32), (Duration, Instant)>,
    /// When each peer was last heard.
    peers_heard: HashMap<PeerId, Instant>,
    /// Which senders heartbeat.
    heartbeats: Heartbeats,
    /// The latest `now` the host was given (for STATUSTEXT budgets).
    clock: Instant,
    /// STATUSTEXT repeats and budgets.
    chatter: Chatter,
    /// The startup hold and rival heartbeats.
    presence: Presence,
    stats: HostStats,
}

impl Host {
    /// A host started at `now`.
    pub fn new(config: HostConfig, now: Instant) -> Self {
        let presence = Presence::new(config.system_id.is_some(), now);
        Self {
            system_id: config.system_id.unwrap_or(1),
            learned: false,
            config,
            start: now,
            autopilot: None,
            next_heartbeat: now,
            out: VecDeque::new(),
            events: VecDeque::new(),
            statustext_id: 0,
            dedupe: DedupeTable::default(),
            intervals: BTreeMap::new(),
            peers_heard: HashMap::new(),
            heartbeats: Heartbeats::new(PEER_SILENT_TIMEOUT),
            clock: now,
            chatter: Chatter::default(),
            presence,
            stats: HostStats::default(),
        }
    }

    /// Our current system id.
    pub fn system_id(&self) -> u8 {
        self.system_id
    }

    /// Our component id.
    pub fn component_id(&self) -> u8 {
        self.config.component_id
    }

    /// Counters.
    pub fn stats(&self) -> HostStats {
        self.stats
    }

    /// Milliseconds since the component started (for `time_boot_ms`).
    pub fn boot_ms(&self, now: Instant) -> u32 {
        now.saturating_duration_since(self.start).as_millis() as u32
    }

    /// Queues `msg` for `target` (an unsolicited message to everyone is dropped while the
    /// system id is unknown: see `presence`).
    pub fn send(&mut self, target: Target, msg: MavMessage) {
        let (admit, hold_expired) = self.presence.admit(self.clock, target, &msg);
        if hold_expired && !self.learned {
            tracing::info!(target: "mavlink", component = self.config.component_id, "no autopilot heard within {:?}: sending as system {} until one is", presence::STARTUP_HOLD, self.system_id);
        }
        if !admit {
            self.stats.held_before_id += 1;
            return;
        }
        self.out.push_back(Transmit {
            target,
            system_id: self.system_id,
            component_id: self.config.component_id,
            message: Outgoing::Message(msg),
        });
    }

    /// Queues a COMMAND_ACK for `to` (progress 255 = unknown while IN_PROGRESS).
    pub fn ack(&mut self, to: Requester, command: MavCmd, result: MavResult) {
        let progress = if result == MavResult::MAV_RESULT_IN_PROGRESS {
            u8::MAX
        } else {
            0
        };
        self.send(
            Target::Peer(to.peer),
            MavMessage::COMMAND_ACK(COMMAND_ACK_DATA {
                command,
                result,
                progress,
                result_param2: 0,
                target_system: to.system,
                target_component: to.component,
            }),
        );
    }

    /// Queues an ack and moves it in front of everything queued since `mark` (see
    /// [`Host::queued`]): a final ack goes before the data it announces.
    pub fn ack_before(&mut self, mark: usize, to: Requester, command: MavCmd, result: MavResult) {
        self.ack(to, command, result);
        if let Some(ack) = self.out.pop_back() {
            self.out.insert(mark.min(self.out.len()), ack);
        }
    }

    /// How many messages are queued (a mark for [`Host::ack_before`]).
    pub fn queued(&self) -> usize {
        self.out.len()
    }

    /// A STATUSTEXT to every peer, in MAVLink 2 chunks when it is longer than 50 bytes, within
    /// the limits of [`chatter`]: cut to 4 chunks, the same text at most once a second, a budget
    /// of chunks for everyone together. Use [`Host::statustext_to`] for what answers one sender.
    pub fn statustext(&mut self, severity: MavSeverity, text: &str) {
        self.say(Target::All, severity, text);
    }

    /// A STATUSTEXT only to `peer` (an error that answers what it sent), with its own budget:
    /// one peer cannot make the bridge talk to the others.
    pub fn statustext_to(&mut self, peer: PeerId, severity: MavSeverity, text: &str) {
        self.say(Target::Peer(peer), severity, text);
    }

    /// Moves the host's clock to `now` (components call it on every input; the STATUSTEXT
    /// budgets run on the latest time given).
    pub fn tick(&mut self, now: Instant) {
        self.clock = self.clock.max(now);
    }

    fn say(&mut self, to: Target, severity: MavSeverity, text: &str) {
        let text = chatter::bounded(text);
        let id = self.statustext_id.wrapping_add(1).max(1);
        let chunks = statustext(severity, &text, id);
        match (self.chatter).admit(self.clock, to, severity, &text, chunks.len()) {
            Verdict::Say => {}
            Verdict::Repeat => {
                self.stats.statustext_repeats += 1;
                return;
            }
            Verdict::OverBudget => {
                self.stats.statustext_over_budget += 1;
                if self.stats.statustext_over_budget.is_power_of_two() {
                    tracing::warn!(target: STATUSTEXT_LOG_TARGET, component = self.config.component_id, dropped = self.stats.statustext_over_budget, "STATUSTEXT budget spent: texts dropped (the log keeps them)");
                }
                tracing::info!(target: STATUSTEXT_LOG_TARGET, component = self.config.component_id, "STATUSTEXT not sent (budget): {text}");
                return;
            }
        }
        tracing::info!(target: STATUSTEXT_LOG_TARGET, component = self.config.component_id, "STATUSTEXT: {text}");
        self.statustext_id = id;
        for m in chunks {
            self.send(to, m);
        }
    }

    /// True when `system` on `peer` sent a HEARTBEAT within [`PEER_SILENT_TIMEOUT`] (every
    /// ground station does; a spoofed source usually does not).
    pub fn heartbeating(&self, now: Instant, peer: PeerId, system: u8) -> bool {
        self.heartbeats.is_heartbeating(now, peer, system)
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<HostEvent> {
        self.events.pop_front()
    }

    /// The host's next deadline: heartbeat, a message interval, a peer's silence timeout.
    pub fn poll_timeout(&self) -> Instant {
        let mut t = self.next_heartbeat;
        for (_, at) in self.intervals.values() {
            t = t.min(*at);
        }
        if let Some(at) = self.peers_heard.values().min() {
            t = t.min(*at + PEER_SILENT_TIMEOUT);
        }
        t
    }

    /// True when a heartbeat is due at `now` (the timer moves on): send one.
    pub fn heartbeat_due(&mut self, now: Instant) -> bool {
        self.tick(now);
        if now < self.next_heartbeat {
            return false;
        }
        self.next_heartbeat = next_tick(self.next_heartbeat, HEARTBEAT_PERIOD, now);
        true
    }

    /// The message intervals due at `now` (their timers move on): build each message and send
    /// it to the peer that asked (`Target::Peer`), never to everyone. Peers silent for
    /// [`PEER_SILENT_TIMEOUT`] are forgotten first, with their intervals.
    pub fn due_intervals(&mut self, now: Instant) -> Vec<(PeerId, u32)> {
        self.forget_silent_peers(now);
        let mut due = Vec::new();
        for ((peer, id), (period, at)) in self.intervals.iter_mut() {
            if now >= *at {
                due.push((*peer, *id));
                *at = next_tick(*at, *period, now);
            }
        }
        due
    }

    fn forget_silent_peers(&mut self, now: Instant) {
        self.heartbeats.forget_stale(now);
        let gone: Vec<PeerId> = self
            .peers_heard
            .iter()
            .filter(|(_, heard)| now.saturating_duration_since(**heard) >= PEER_SILENT_TIMEOUT)
            .map(|(id, _)| *id)
            .collect();
        for peer in gone {
            self.peers_heard.remove(&peer);
            let before = self.intervals.len();
            self.intervals.retain(|(p, _), _| *p != peer);
            let dropped = before - self.intervals.len();
            if dropped > 0 {
                self.stats.intervals_expired += dropped as u64;
                tracing::info!(target: "mavlink", peer, dropped, "peer silent: its message intervals stopped");
            }
        }
    }

    /// Whether a message from `peer` naming `target` (system, component) `how` is ours and who
    /// answers it: the one addressing rule (camera settings, FTP, gimbal set-points use it).
    pub fn addressed(
        &self,
        peer: PeerId,
        header: &MavHeader,
        target: (u8, u8),
        how: Addressing,
    ) -> Addressed {
        let us = (self.system_id, self.config.component_id);
        address::addressed(us, peer, header, target, how, |s| self.allows(s))
    }

    /// Whether `--allow-sysid` lets system `system` command us (every system when the list is
    /// empty).
    pub fn allows(&self, system: u8) -> bool {
        self.config.allowed_systems.is_empty() || self.config.allowed_systems.contains(&system)
    }

    /// Vets one inbound frame from `peer`: our own looped-back messages, 32-bit system ids,
    /// autopilot heartbeats (system id learning), the allow-list, unknown command numbers
    /// (UNSUPPORTED), addressing and retransmissions are handled here. `is_request` tells
    /// which commands only ask for data (a retransmitted one is answered again in full; an
    /// action is never executed twice).
    pub fn accept<'a>(
        &mut self,
        now: Instant,
        peer: PeerId,
        header: MavHeader,
        inbound: &'a Inbound,
        is_request: fn(MavCmd) -> bool,
    ) -> Accepted<'a> {
        let Ok(sender_sys) = u8::try_from(header.system_id) else {
            return Accepted::Nothing; // 32-bit system ids are not ours to answer
        };
        self.tick(now);
        if sender_sys == self.system_id && header.component_id == self.config.component_id {
            if let Inbound::Message(m) = inbound {
                self.heard_own_ids(now, m, header.sequence);
            }
            return Accepted::Nothing; // our own message looped back, or a rival's
        }
        self.peers_heard.insert(peer, now);
        let from = Requester {
            peer,
            system: sender_sys,
            component: header.component_id,
        };
        let command = match inbound {
            Inbound::Message(MavMessage::COMMAND_LONG(_) | MavMessage::COMMAND_INT(_))
            | Inbound::UnknownCommand(_)
                if !self.allows(sender_sys) =>
            {
                self.stats.refused += 1;
                // Said by the component it is addressed to (every component hears it).
                let to_us = inbound_target(inbound) == Some(self.config.component_id);
                if to_us && self.stats.refused.is_power_of_two() {
                    tracing::warn!(target: "mavlink", system_id = sender_sys, component = self.config.component_id, refused = self.stats.refused, "command from a system not in --allow-sysid ignored");
                }
                return Accepted::Nothing;
            }
            Inbound::Message(MavMessage::COMMAND_LONG(c)) => Command::from_long(c),
            Inbound::Message(MavMessage::COMMAND_INT(c)) => Command::from_int(c),
            Inbound::Message(msg) => {
                if let MavMessage::HEARTBEAT(hb) = msg {
                    self.heartbeats.heard(now, peer, sender_sys);
                    let is_autopilot = header.component_id == AUTOPILOT_COMPONENT
                        && hb.mavtype != MavType::MAV_TYPE_GCS
                        && hb.autopilot != MavAutopilot::MAV_AUTOPILOT_INVALID
                        && self.allows(sender_sys);
                    if is_autopilot {
                        self.autopilot_heartbeat(now, peer, sender_sys);
                    }
                }
                let from_autopilot = self.is_our_autopilot(&from);
                return Accepted::Message {
                    msg,
                    from_autopilot,
                };
            }
            Inbound::UnknownCommand(raw) => {
                if raw.target_system != 0 && raw.target_system != self.system_id
                    || raw.target_component != self.config.component_id
                {
                    // Broadcast unknown commands are for someone else: an UNSUPPORTED from us
                    // would race the real answer of the component that handles them.
                    self.stats.ignored += 1;
                    return Accepted::Nothing;
                }
                self.stats.unknown_commands += 1;
                self.out.push_back(Transmit {
                    target: Target::Peer(peer),
                    system_id: self.system_id,
                    component_id: self.config.component_id,
                    message: Outgoing::UnknownCommandAck {
                        command: raw.command,
                        result: MavResult::MAV_RESULT_UNSUPPORTED,
                        target_system: sender_sys,
                        target_component: header.component_id,
                    },
                });
                return Accepted::Nothing;
            }
            Inbound::Unparsed { .. } => {
                self.stats.unparsed += 1;
                return Accepted::Nothing;
            }
        };
        if command.target_system != 0 && command.target_system != self.system_id {
            self.stats.ignored += 1;
            return Accepted::Nothing;
        }
        let broadcast = command.target_component == 0;
        if !broadcast && command.target_component != self.config.component_id {
            self.stats.ignored += 1;
            return Accepted::Nothing;
        }
        // A client commands us: what follows (a photo's CAMERA_IMAGE_CAPTURED) must go out.
        // Not an autopilot's broadcast (PX4 asks every gimbal for GIMBAL_DEVICE_INFORMATION):
        // its heartbeat follows within a second and gives the system id; released now, our
        // streams would go out as system 1 and PX4 would forward them (found by interop-px4).
        if !(broadcast && header.component_id == AUTOPILOT_COMPONENT) {
            self.presence.release();
        }
        let key = DedupeKey {
            system: from.system,
            component: from.component,
            command: command.command as u16,
            params: command.params.map(f32::to_bits),
        };
        self.dedupe.expire(now, self.config.dedupe_window);
        // A retransmission (confirmation > 0) of an action seen within the window gets the
        // remembered answer again; a new tap (confirmation 0) is a new command.
        if !is_request(command.command) && command.confirmation > 0 {
            if let Some(result) = self.dedupe.result(&key) {
                self.dedupe.touch(key, now);
                self.stats.duplicates += 1;
                self.ack(from, command.command, result);
                return Accepted::Nothing;
            }
        }
        Accepted::Command(IncomingCommand {
            from,
            key,
            cmd: command,
            broadcast,
        })
    }

    /// Answers a dispatched command: `None` = not a command the service handles (UNSUPPORTED).
    /// A broadcast the service cannot serve (UNSUPPORTED or DENIED) stays silent: it is for
    /// another component, and an answer from us would race the real one.
    pub fn complete(
        &mut self,
        now: Instant,
        c: IncomingCommand,
        handled: Option<Handled>,
        is_request: fn(MavCmd) -> bool,
    ) {
        let handled = match handled {
            Some(h) => h,
            None if c.broadcast => {
                self.stats.ignored += 1;
                return;
            }
            None => Handled::just(MavResult::MAV_RESULT_UNSUPPORTED),
        };
        if c.broadcast
            && matches!(
                handled.result,
                MavResult::MAV_RESULT_DENIED | MavResult::MAV_RESULT_UNSUPPORTED
            )
        {
            self.stats.ignored += 1;
            return;
        }
        self.stats.commands += 1;
        if !is_request(c.cmd.command) {
            self.dedupe.remember(c.key, now, handled.result);
        }
        self.ack(c.from, c.cmd.command, handled.result);
        for m in handled.then {
            self.send(Target::Peer(c.from.peer), m);
        }
        for m in handled.then_all {
            self.send(Target::All, m);
        }
    }

    /// The final answer of a command first answered IN_PROGRESS (for its retransmissions).
    pub fn set_result(&mut self, key: &DedupeKey, result: MavResult) {
        self.dedupe.set_result(key, result);
    }

    /// SET_MESSAGE_INTERVAL from `peer` for message `id` among `streamable`: −1 stops, 0 is the
    /// default rate (1 Hz), a positive value is clamped to 50 ms…1 h. The stream belongs to
    /// `peer` and ends when it goes silent.
    pub fn set_interval(
        &mut self,
        now: Instant,
        peer: PeerId,
        id: f32,
        interval_us: f32,
        streamable: &[u32],
    ) -> Handled {
        use MavResult as R;
        if !id.is_finite() || id < 0.0 || id.fract() != 0.0 || !streamable.contains(&(id as u32)) {
            return Handled::just(R::MAV_RESULT_DENIED);
        }
        let key = (peer, id as u32);
        if interval_us == -1.0 {
            self.intervals.remove(&key);
        } else if interval_us == 0.0 {
            self.intervals
                .insert(key, (DEFAULT_STREAM_PERIOD, now + DEFAULT_STREAM_PERIOD));
        } else if interval_us.is_finite() && interval_us > 0.0 {
            let period = Duration::from_micros(interval_us as u64)
                .clamp(MIN_STREAM_PERIOD, MAX_STREAM_PERIOD);
            self.intervals.insert(key, (period, now + period));
        } else {
            return Handled::just(R::MAV_RESULT_DENIED);
        }
        Handled::just(R::MAV_RESULT_ACCEPTED)
    }

    /// Commands remembered for retransmission detection right now.
    pub fn dedupe_len(&self) -> usize {
        self.dedupe.len()
    }

    /// Active SET_MESSAGE_INTERVAL streams (all peers).
    pub fn interval_count(&self) -> usize {
        self.intervals.len()
    }
}

/// The target component of a command.
fn inbound_target(inbound: &Inbound) -> Option<u8> {
    match inbound {
        Inbound::Message(MavMessage::COMMAND_LONG(c)) => Some(c.target_component),
        Inbound::Message(MavMessage::COMMAND_INT(c)) => Some(c.target_component),
        Inbound::UnknownCommand(raw) => Some(raw.target_component),
        _ => None,
    }
}

/// The next tick of a periodic timer: `prev + period`, or `now + period` when that is already
/// past (never a catch-up burst). Whatever `period` is, the result is after `now`: a timer
/// always moves forward.
pub fn next_tick(prev: Instant, period: Duration, now: Instant) -> Instant {
    let period = period.max(MIN_TIMER_STEP);
    let next = prev + period;
    if next <= now {
        now + period
    } else {
        next
    }
}
