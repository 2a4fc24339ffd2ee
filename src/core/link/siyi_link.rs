//! [`SiyiLink`]: the sans-IO SIYI client state machine.
//!
//! Fully deterministic: no sockets, no clock, no tasks. Datagrams go in with
//! [`SiyiLink::handle_datagram`], time goes in with [`SiyiLink::handle_timeout`], and the link's
//! outputs are pulled with [`SiyiLink::poll_transmit`] (datagrams to send to the camera, one frame
//! each), [`SiyiLink::poll_event`] and [`SiyiLink::poll_timeout`].
//!
//! **Poll contract** (as in quinn-proto): after constructing the link and after *every* call to
//! `handle_datagram`, `handle_timeout` or [`LinkControl::start`], drain `poll_transmit` and
//! `poll_event`, then ask `poll_timeout` for the next wake-up. Calling `handle_timeout` early or
//! twice is harmless.
//!
//! What the link does:
//!
//! * **Start-up** (health `Searching`): 0x02 hardware id at 1 Hz until answered (a model other than
//!   the A8 mini is reported with [`LinkEvent::UnexpectedModel`] and the link goes on), then
//!   (`Booting`) 0x01 firmware at 1 Hz until the camera word is not 0.0.0, then `Up`:
//!   [`LinkEvent::Identified`] and `state.startups += 1`.
//! * **Steady polls** while `Up`: 0x0A system info at 1 Hz (faster while an operation waits for
//!   it), 0x0D attitude at 10 Hz, 0x18 zoom at 1 Hz, 0x16 max zoom and 0x20 per stream (0, 1, 2)
//!   once, 0x01 every 5 s (a reboot reads 0.0.0 again). Optionally a 0x25 attitude stream
//!   ([`LinkConfig::attitude_stream`]); attitude polling then only fills gaps.
//! * **Requests**: at most one in flight per command id (replies carry only the command id), each
//!   with a deadline and a bounded retry policy. A command that stays unanswered
//!   ([`LinkConfig::unanswered_after`] consecutive attempts) while the camera answers others is
//!   given up with [`LinkEvent::CommandUnanswered`] and its fallback is used from then on.
//! * **Health**: silence for [`LinkConfig::lost_after`] → `Lost` (operations in progress end
//!   `TimedOut`); the next answer, or a 0.0.0 firmware reading while up, is a reboot:
//!   [`LinkEvent::Rebooted`] and the start-up sequence runs again.
//!
//! The link is the conductor: each part owns its state and returns decisions that the link
//! applies (timers, transmits, events). `health` owns health, start-up and reboot detection;
//! `polls` the polling policy, the 0x25 stream and the zoom hold; `ops` the operations in flight
//! (`OpTable`) and how each ends; `fallback` the unanswered commands; `state` what the camera
//! said. The link alone owns the timer table, the pending requests and the output queues.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use siyi_protocol::{
    CameraModel, CmdId, FeedbackCode, FrameDecoder, FrameError, FunctionType, Reply, Request,
};

use super::config::{LinkConfig, LinkStats, ReportGate};
use super::fallback::{self, Fallback};
use super::feed::{Fed, Feed};
use super::health::{Effect, Health};
use super::ops::{self, failed, gimbal, mode, record, ActiveOp, OpTable, Step, Wait};
use super::pending::{Origin, PendingTable, RetryPolicy};
use super::polls::{self, Polls, Send};
use super::timer::{Timer, TimerTable};
use super::{
    CameraState, FailReason, LinkControl, LinkEvent, LinkHealth, OpId, OpOutcome, Operation,
    ZoomSource,
};

/// The sans-IO SIYI camera client. See the `core::link::siyi_link` module docs for what it does and the poll
/// contract.
#[derive(Debug)]
pub struct SiyiLink {
    config: LinkConfig,
    state: CameraState,
    health: Health,
    timers: TimerTable,
    pending: PendingTable,
    ops: OpTable,
    polls: Polls,
    decoder: FrameDecoder,
    seq: u16,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<LinkEvent>,
    stats: LinkStats,
    fallback: Fallback,
    bad_reports: ReportGate,
    /// The camera has sent a 0x0B photo outcome at least once: it reports photos, so silence
    /// about a photo is no longer taken for success.
    photo_feedback_seen: bool,
}

impl SiyiLink {
    /// A new link at `now`. The first 0x02 hardware-id request is queued at once.
    pub fn new(config: LinkConfig, now: Instant) -> Self {
        let mut link = Self {
            config,
            state: CameraState::default(),
            health: Health::default(),
            timers: TimerTable::default(),
            pending: PendingTable::default(),
            ops: OpTable::default(),
            polls: Polls::default(),
            decoder: FrameDecoder::new(),
            seq: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: LinkStats::default(),
            fallback: Fallback::default(),
            bad_reports: ReportGate::default(),
            photo_feedback_seen: false,
        };
        link.timers.set(Timer::StartupPoll, now);
        link.handle_timeout(now);
        link
    }

    /// The configuration.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Counters.
    pub fn stats(&self) -> LinkStats {
        let mut s = self.stats;
        s.decoder = self.decoder.stats();
        s
    }

    /// Commands declared unanswered (their fallback is in use).
    pub fn unanswered_commands(&self) -> impl Iterator<Item = CmdId> + '_ {
        self.fallback.given_up_commands()
    }

    /// Number of requests in flight.
    pub fn requests_in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Number of operations not finished yet.
    pub fn operations_in_progress(&self) -> usize {
        self.ops.len()
    }

    /// When the last valid frame arrived from the camera.
    pub fn last_rx(&self) -> Option<Instant> {
        self.health.last_rx()
    }

    /// The next datagram to send to the camera (exactly one frame).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<LinkEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    /// One datagram from the camera. It may hold several frames; damaged frames are counted and
    /// reported ([`LinkEvent::BadFrame`], rate-limited), valid ones processed.
    pub fn handle_datagram(&mut self, now: Instant, bytes: &[u8]) {
        self.stats.datagrams_in += 1;
        self.decoder.push(bytes);
        let mut items = 0usize;
        while let Some(item) = self.decoder.next_frame() {
            items += 1;
            match item {
                Ok(frame) => self.handle_frame(now, &frame),
                Err(err) => self.bad_frame(now, err),
            }
        }
        // Over UDP a frame never spans datagrams: what is left is a truncated frame.
        let left = self.decoder.buffered();
        if left > 0 || items == 0 {
            let err = if left > 0 {
                FrameError::Truncated {
                    needed: 10,
                    got: left,
                }
            } else {
                FrameError::BadSync {
                    found: bytes.iter().take(2).copied().collect(),
                }
            };
            self.decoder.clear();
            self.bad_frame(now, err);
        }
        self.rearm();
    }

    /// Processes every timer due at `now`. Safe to call early (does nothing) or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        for timer in Timer::ALL {
            if self.timers.is_expired(timer, now) {
                self.timers.stop(timer);
                self.on_timer(now, timer);
            }
        }
        self.rearm();
    }

    // ----- inputs -------------------------------------------------------------------------

    fn bad_frame(&mut self, now: Instant, err: FrameError) {
        self.stats.bad_frames += 1;
        if self.bad_reports.open(now) {
            self.events.push_back(LinkEvent::BadFrame(err));
        }
    }

    fn handle_frame(&mut self, now: Instant, frame: &siyi_protocol::Frame) {
        self.stats.frames_in += 1;
        if let Some(effect) = self.health.on_rx(now, &mut self.events) {
            self.apply(now, effect);
        }
        if self.health.watching() {
            self.timers.set(Timer::Lost, now + self.config.lost_after);
        }
        let reply = match Reply::from_frame(frame) {
            Ok(r) => r,
            Err(err) => {
                self.stats.bad_payloads += 1;
                if self.bad_reports.open(now) {
                    self.events.push_back(LinkEvent::BadPayload(err));
                }
                return;
            }
        };
        let cmd = reply.cmd_id();
        let origin = self.pending.remove(cmd).map(|p| p.origin);
        self.fallback.answered(cmd);
        if origin.is_none()
            && !matches!(
                reply,
                Reply::FunctionFeedback(_) | Reply::Attitude(_) | Reply::AiTracking(_)
            )
            && !(cmd == CmdId::FIRMWARE_VERSION || cmd == CmdId::HARDWARE_ID)
        {
            self.stats.unsolicited += 1;
        }
        if origin.is_none() && cmd == CmdId::ATTITUDE {
            self.polls.stream_attitude(now);
        }
        // What the reply says about the camera, then what it means for start-up and operations.
        self.state.read(now, &reply, &mut self.events);
        if let Some(effect) = self.health.on_reply(&reply, &mut self.events) {
            self.apply(now, effect);
        }
        match &reply {
            Reply::CameraSystemInfo(info) => {
                let mut kept = Vec::new();
                for a in self.ops.take_all() {
                    kept.extend(self.step(now, ops::on_info(now, a, info, &self.config)));
                }
                self.ops.restore(kept);
            }
            Reply::FunctionFeedback(code) => self.on_feedback(*code),
            Reply::DataStream { data_type } => {
                self.polls.stream_confirmed(*data_type, &self.config);
            }
            _ => {}
        }
        if let Some(a) = origin.and_then(Origin::op).and_then(|id| self.ops.take(id)) {
            self.finish(a.id, a.op, ops::reply_outcome(&reply));
        }
    }

    /// Applies a step of an operation; the operation if it goes on.
    fn step(&mut self, now: Instant, step: Step) -> Option<ActiveOp> {
        match step {
            Step::Keep(a) => return Some(a),
            Step::Finish(a, outcome) => self.finish(a.id, a.op, outcome),
            Step::Toggle(a) => {
                self.transmit(&Request::Function(FunctionType::RecordToggle));
                self.timers
                    .set_earliest(Timer::InfoPoll, now + self.config.confirm_poll);
                return Some(a);
            }
            Step::Resend(a, func) => {
                self.transmit(&Request::Function(func));
                self.stats.retries += 1;
                return Some(a);
            }
        }
        None
    }

    fn on_feedback(&mut self, code: FeedbackCode) {
        if matches!(code, FeedbackCode::PhotoOk | FeedbackCode::PhotoFailed) {
            if !self.photo_feedback_seen {
                tracing::info!(target: "link", "the camera reports photo outcomes (0x0B): a photo without one is not assumed taken");
            }
            self.photo_feedback_seen = true;
        }
        let Some((pick, outcome)) = ops::feedback(code) else {
            return;
        };
        if let Some(a) = self.ops.take_first(pick) {
            self.finish(a.id, a.op, outcome);
        }
    }

    // ----- timers -------------------------------------------------------------------------

    fn on_timer(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::Request => {
                for cmd in self.pending.expired(now) {
                    self.request_timed_out(now, cmd);
                }
            }
            Timer::Operation => {
                for a in self.ops.take_due(now) {
                    let last_rx = self.health.last_rx();
                    let outcome = a.wait.timed_out(self.photo_feedback_seen, last_rx);
                    self.finish(a.id, a.op, outcome);
                }
            }
            Timer::Lost => {
                if let Some(effect) = self.health.on_lost_timer(&mut self.events) {
                    self.timers.stop(Timer::Lost);
                    self.apply(now, effect);
                }
            }
            poll => {
                let ctx = polls::Ctx {
                    now,
                    up: self.health.is_up(),
                    startup: self.health.startup_request(),
                    info_wanted: self.ops.any(ops::wants_info),
                    cfg: &self.config,
                    fallback: &self.fallback,
                    state: &self.state,
                };
                let plan = self.polls.plan(poll, &ctx);
                for send in plan.sends {
                    match send {
                        Send::Poll(req, policy) => self.send_poll(now, req, policy),
                        Send::Blind(req) => self.transmit(&req),
                    }
                }
                if let Some(next) = plan.next {
                    self.timers.set(poll, next);
                }
            }
        }
    }

    fn request_timed_out(&mut self, now: Instant, cmd: CmdId) {
        let Some(p) = self.pending.get(cmd) else {
            return;
        };
        let sent_at = p
            .deadline
            .checked_sub(p.policy.timeout)
            .unwrap_or(p.deadline);
        let (last_rx, up) = (self.health.last_rx(), self.health.is_up());
        let threshold = self.config.unanswered_after;
        let given_up = self
            .fallback
            .unanswered(cmd, sent_at, last_rx, up, threshold);
        if given_up {
            self.declare_unanswered(cmd);
        } else if let Some(p) = self.pending.get_mut(cmd) {
            if p.attempts < p.policy.max_attempts {
                p.attempts += 1;
                p.deadline = now + p.policy.timeout;
                let req = p.request.clone();
                self.stats.retries += 1;
                self.transmit(&req);
                return;
            }
        }
        if let Some(p) = self.pending.remove(cmd) {
            self.stats.abandoned += 1;
            self.give_up(p.origin);
        }
    }

    fn give_up(&mut self, origin: Origin) {
        if let Some(a) = origin.op().and_then(|id| self.ops.take(id)) {
            self.finish(a.id, a.op, ops::request_given_up(a.op));
        }
    }

    fn declare_unanswered(&mut self, cmd: CmdId) {
        match cmd {
            CmdId::CURRENT_ZOOM => self.timers.stop(Timer::ZoomPoll),
            CmdId::MAX_ZOOM
                if self.state.max_zoom.is_none()
                    && matches!(self.state.model, Some(CameraModel::A8Mini)) =>
            {
                self.state.max_zoom = Some(self.config.max_zoom_fallback);
            }
            CmdId::DATA_STREAM => {
                self.polls.stream_given_up();
                self.timers.stop(Timer::StreamRearm);
            }
            _ => {}
        }
        let fallback = fallback::used_for(cmd);
        self.events
            .push_back(LinkEvent::CommandUnanswered { cmd, fallback });
    }

    // ----- health -------------------------------------------------------------------------

    /// Applies what a health transition asks for.
    fn apply(&mut self, now: Instant, effect: Effect) {
        match effect {
            Effect::Booting => {
                self.timers.set(Timer::Lost, now + self.config.lost_after);
                self.timers.set(Timer::StartupPoll, now);
            }
            Effect::Up => {
                self.state.startups += 1;
                self.timers.stop(Timer::StartupPoll);
                for t in polls::STEADY {
                    self.timers.set(t, now);
                }
                let check = now + self.config.firmware_check;
                self.timers.set(Timer::FirmwareCheck, check);
            }
            Effect::Restart { abort } => {
                if let Some(outcome) = abort {
                    for a in self.ops.take_all() {
                        self.finish(a.id, a.op, outcome.clone());
                    }
                }
                let others = [Timer::FirmwareCheck, Timer::ZoomKeepAlive];
                for t in polls::STEADY.into_iter().chain(others) {
                    self.timers.stop(t);
                }
                self.polls.stop();
                // Requests of the previous session are void; polls ask again.
                for p in self.pending.drain() {
                    self.give_up(p.origin);
                }
                self.timers.set(Timer::StartupPoll, now);
            }
        }
    }

    // ----- output helpers -----------------------------------------------------------------

    fn transmit(&mut self, req: &Request) {
        let mut out = Vec::with_capacity(16);
        req.encode_frame(self.seq, &mut out);
        self.seq = self.seq.wrapping_add(1);
        self.stats.frames_out += 1;
        self.transmits.push_back(out);
    }

    /// Sends a poll unless a request for the same command is in flight or the command is
    /// declared unanswered.
    fn send_poll(&mut self, now: Instant, req: Request, policy: RetryPolicy) {
        let cmd = req.cmd_id();
        if self.pending.get(cmd).is_none() && !self.fallback.given_up(cmd) {
            self.transmit(&req);
            self.pending.insert(now, req, Origin::Poll, policy);
        }
    }

    /// Sends an operation's request; a request in flight for the same command is superseded (an
    /// operation waiting for it ends as sent-but-unconfirmed).
    fn send_op_request(&mut self, now: Instant, a: ActiveOp, req: Request, policy: RetryPolicy) {
        let cmd = req.cmd_id();
        self.transmit(&req);
        if self.fallback.given_up(cmd) {
            self.finish(a.id, a.op, OpOutcome::Succeeded { confirmed: false });
            return;
        }
        let old = self.pending.insert(now, req, Origin::Op(a.id), policy);
        if let Some(o) = old
            .and_then(|p| p.origin.op())
            .and_then(|id| self.ops.take(id))
        {
            self.finish(o.id, o.op, OpOutcome::Succeeded { confirmed: false });
        }
        self.ops.push(a);
    }

    fn finish(&mut self, id: OpId, op: Operation, outcome: OpOutcome) {
        self.events
            .push_back(LinkEvent::OpFinished { id, op, outcome });
    }

    fn rearm(&mut self) {
        self.timers
            .set_opt(Timer::Request, self.pending.next_deadline());
        self.timers
            .set_opt(Timer::Operation, self.ops.next_deadline());
    }

    // ----- operations ---------------------------------------------------------------------

    fn start_op(&mut self, now: Instant, id: OpId, op: Operation) {
        let normal = polls::normal(&self.config);
        let active = |wait, timeout: Option<Duration>| ActiveOp {
            id,
            op,
            wait,
            deadline: timeout.map(|t| now + t),
        };
        let reply_op = active(Wait::Reply, None);
        match op {
            Operation::TakePhoto => {
                self.transmit(&Request::Function(FunctionType::TakePhoto));
                let wait = Wait::Photo { sent_at: now };
                self.ops.push(active(wait, Some(self.config.photo_timeout)));
            }
            Operation::StartRecording | Operation::StopRecording => {
                if record::busy(self.ops.as_slice()) {
                    self.finish(id, op, failed(FailReason::RecordingBusy));
                    return;
                }
                let start = op == Operation::StartRecording;
                let fresh = (self.state.record).filter(|r| r.is_fresh(now, self.config.info_fresh));
                let waiting = active(
                    Wait::RecordFresh { start },
                    Some(self.config.record_timeout),
                );
                if let Some(rec) = fresh {
                    let step = ops::decide_record(now, waiting, start, rec.value, &self.config);
                    if let Some(a) = self.step(now, step) {
                        self.ops.push(a);
                    }
                } else {
                    self.ops.push(waiting);
                    self.send_poll(now, Request::CameraSystemInfo, normal);
                    let interval = polls::info_interval(&self.config, true);
                    self.timers.set(Timer::InfoPoll, now + interval);
                }
            }
            Operation::ZoomContinuous(dir) => {
                let keepalive = self.config.zoom_keepalive;
                let policy = polls::keepalive(&self.config);
                if self.polls.hold(Some(dir)) {
                    self.timers.set(Timer::ZoomKeepAlive, now + keepalive);
                } else {
                    self.timers.stop(Timer::ZoomKeepAlive);
                    self.read_zoom_soon(now);
                }
                self.send_op_request(now, reply_op, Request::ManualZoom(dir), policy);
            }
            Operation::ZoomTo { factor } => {
                self.polls.hold(None);
                self.timers.stop(Timer::ZoomKeepAlive);
                let max = self.state.max_zoom.unwrap_or(self.config.max_zoom_fallback);
                let z = ops::zoom::absolute(factor, max);
                self.state
                    .set_zoom(now, z, ZoomSource::Commanded, &mut self.events);
                self.read_zoom_soon(now);
                self.send_op_request(now, reply_op, Request::AbsoluteZoom(z), normal);
            }
            Operation::GimbalRates { .. } | Operation::GimbalAngles { .. } | Operation::Center => {
                if let Some(req) = gimbal::request(op) {
                    self.send_op_request(now, reply_op, req, normal);
                }
            }
            Operation::SetAiStream { on } => {
                self.send_op_request(now, reply_op, Request::SetAiStream { on }, normal);
            }
            Operation::SetMotionMode(mode) => {
                let Some(func) = mode::function(mode) else {
                    self.finish(id, op, failed(FailReason::UnknownMotionMode));
                    return;
                };
                self.transmit(&Request::Function(func));
                let wait = Wait::ModeConfirm {
                    mode,
                    sent_at: now,
                    attempts: 1,
                    seen: false,
                };
                self.ops.push(active(wait, Some(self.config.mode_timeout)));
                self.timers
                    .set_earliest(Timer::InfoPoll, now + self.config.confirm_poll);
            }
        }
    }

    fn read_zoom_soon(&mut self, now: Instant) {
        if self.health.is_up() && !self.fallback.given_up(CmdId::CURRENT_ZOOM) {
            self.timers
                .set_earliest(Timer::ZoomPoll, now + self.config.confirm_poll);
        }
    }
}

impl LinkControl for SiyiLink {
    fn state(&self) -> &CameraState {
        &self.state
    }

    fn health(&self) -> LinkHealth {
        self.health.get()
    }

    fn start(&mut self, now: Instant, op: Operation) -> OpId {
        let id = self.ops.next_id();
        if self.health.is_up() {
            self.start_op(now, id, op);
        } else {
            let reason = self.health.reject_reason(self.config.lost_after);
            self.finish(id, op, OpOutcome::Rejected { reason });
        }
        self.rearm();
        id
    }

    fn feed(&mut self, now: Instant, item: Feed) -> Fed {
        if !self.health.is_up() {
            return Fed::LinkDown;
        }
        match item {
            Feed::UtcTime { unix_time_us } => {
                let cmd = CmdId::SET_UTC_TIME;
                if self.fallback.given_up(cmd) {
                    return Fed::GivenUp;
                }
                if self.pending.get(cmd).is_some() {
                    return Fed::InFlight;
                }
                let policy = polls::single(&self.config);
                self.send_poll(now, Request::SetUtcTime { unix_time_us }, policy);
                self.rearm();
            }
            Feed::AircraftAttitude(a) => self.transmit(&Request::AircraftAttitude(a)),
            Feed::RawGps(g) => self.transmit(&Request::RawGps(g)),
        }
        Fed::Sent
    }
}
