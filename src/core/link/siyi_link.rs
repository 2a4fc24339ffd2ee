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
//! * **Requests**: one in flight per command id (replies carry only the command id), each with a
//!   deadline and bounded retries. A command unanswered [`LinkConfig::unanswered_after`] times in
//!   a row while the camera answers others is given up ([`LinkEvent::CommandUnanswered`]) and its
//!   fallback is used from then on.
//! * **Health**: silence for [`LinkConfig::lost_after`] → `Lost` (operations in progress end
//!   `TimedOut`); the next answer, or a 0.0.0 firmware reading while up, is a reboot:
//!   [`LinkEvent::Rebooted`] and the start-up sequence runs again.
//!
//! The link is the conductor: each part owns its state and returns decisions that the link
//! applies (timers, transmits, events). `intake` owns the frame decoder and the bad-input
//! accounting; `requests` what goes out (SEQ, transmit queue, the requests in flight with their
//! retries, the commands declared unanswered via `fallback`); `health` owns health, start-up and
//! reboot detection; `polls` the polling policy, the 0x25 stream and the zoom hold; `ops` the
//! operations in flight (`OpTable`) and how each ends; `state` what the camera said. The link
//! alone owns the timer table and the event queue, and starts operations.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use siyi_protocol::FunctionType::{RecordToggle, TakePhoto};
use siyi_protocol::{CameraModel, CmdId, FeedbackCode, Reply, Request};

use super::config::{LinkConfig, LinkStats};
use super::fallback;
use super::feed::{self, Fed, Feed};
use super::health::{Effect, Health};
use super::intake::Intake;
use super::ops::photo::PhotoFeedback;
use super::ops::table::OpTable;
use super::ops::{self, encoding, failed, gimbal, mode, record, ActiveOp, Step, Wait};
use super::pending::{Origin, RetryPolicy};
use super::polls::{self, Polls, Send};
use super::requests::{Expired, Requests, Sent};
use super::timer::{Timer, TimerTable};
use super::{
    CameraState, FailReason, LinkControl, LinkEvent, LinkHealth, OpId, OpOutcome, Operation, Owner,
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
    intake: Intake,
    requests: Requests,
    ops: OpTable,
    polls: Polls,
    events: VecDeque<LinkEvent>,
    photo_feedback: PhotoFeedback,
}

impl SiyiLink {
    /// A new link at `now`. The first 0x02 hardware-id request is queued at once.
    pub fn new(config: LinkConfig, now: Instant) -> Self {
        let mut link = Self {
            config,
            state: CameraState::default(),
            health: Health::default(),
            timers: TimerTable::default(),
            intake: Intake::default(),
            requests: Requests::default(),
            ops: OpTable::default(),
            polls: Polls::default(),
            events: VecDeque::new(),
            photo_feedback: PhotoFeedback::default(),
        };
        for cmd in link.config.known_unanswered.clone() {
            if link.requests.preset_unanswered(cmd) && cmd == CmdId::DATA_STREAM {
                link.polls.stream_given_up();
            }
        }
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
        let mut s = LinkStats::default();
        self.intake.count(&mut s);
        self.requests.count(&mut s);
        s
    }

    /// Commands declared unanswered (their fallback is in use).
    pub fn unanswered_commands(&self) -> impl Iterator<Item = CmdId> + '_ {
        self.requests.fallback().given_up_commands()
    }

    /// Number of requests in flight.
    pub fn requests_in_flight(&self) -> usize {
        self.requests.len()
    }

    /// Number of operations not finished yet.
    pub fn operations_in_progress(&self) -> usize {
        self.ops.len()
    }

    /// Operations started whose outcome is not reported yet (the link keeps their owners until
    /// then; every operation ends once, so this falls back to 0).
    pub fn operations_unreported(&self) -> usize {
        self.ops.unfinished()
    }

    /// When the last valid frame arrived from the camera.
    pub fn last_rx(&self) -> Option<Instant> {
        self.health.last_rx()
    }

    /// The next datagram to send to the camera (exactly one frame).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.requests.poll_transmit()
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
        for item in self.intake.datagram(bytes) {
            match item {
                Ok(frame) => self.handle_frame(now, &frame),
                Err(err) => self.intake.bad_frame(now, err, &mut self.events),
            }
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

    fn handle_frame(&mut self, now: Instant, frame: &siyi_protocol::Frame) {
        if let Some(effect) = self.health.on_rx(now, &mut self.events) {
            self.apply(now, effect);
        }
        if self.health.watching() {
            self.timers.set(Timer::Lost, now + self.config.lost_after);
        }
        let Some(reply) = self.intake.reply(now, frame, &mut self.events) else {
            return;
        };
        let origin = self.requests.answered(&reply);
        if origin.is_none() && reply.cmd_id() == CmdId::ATTITUDE {
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
            match ops::after_reply(a, &reply) {
                encoding::After::Finish(outcome) => self.finish(a.id, a.op, outcome),
                encoding::After::Ask(next, req) => {
                    self.send_op_request(now, next, req, polls::normal(&self.config));
                }
            }
        }
    }

    /// Applies a step of an operation; the operation if it goes on.
    fn step(&mut self, now: Instant, step: Step) -> Option<ActiveOp> {
        match step {
            Step::Keep(a) => return Some(a),
            Step::Finish(a, outcome) => self.finish(a.id, a.op, outcome),
            Step::Toggle(a) => {
                self.requests.transmit(&Request::Function(RecordToggle));
                self.timers
                    .set_earliest(Timer::InfoPoll, now + self.config.confirm_poll);
                return Some(a);
            }
            Step::Resend(a, func) => {
                self.requests.resend(&Request::Function(func));
                return Some(a);
            }
        }
        None
    }

    fn on_feedback(&mut self, code: FeedbackCode) {
        self.photo_feedback.note(code);
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
                let (last_rx, up) = (self.health.last_rx(), self.health.is_up());
                let threshold = self.config.unanswered_after;
                for expired in self.requests.expire(now, last_rx, up, threshold) {
                    match expired {
                        Expired::Unanswered(cmd) => self.declare_unanswered(cmd),
                        Expired::Abandoned(origin) => self.give_up(origin),
                    }
                }
            }
            Timer::Operation => {
                for a in self.ops.take_due(now) {
                    let last_rx = self.health.last_rx();
                    let outcome = a.wait.timed_out(self.photo_feedback.seen(), last_rx);
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
                    fallback: self.requests.fallback(),
                    state: &self.state,
                };
                let plan = self.polls.plan(poll, &ctx);
                for send in plan.sends {
                    match send {
                        Send::Poll(req, policy) => self.requests.poll(now, req, policy),
                        Send::Blind(req) => self.requests.transmit(&req),
                    }
                }
                if let Some(next) = plan.next {
                    self.timers.set(poll, next);
                }
            }
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
                let check = self.config.firmware_check;
                self.timers.set(Timer::FirmwareCheck, now + check);
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
                // A power cycle applies a pending codec change: read the encodings again.
                self.state.encodings = Default::default();
                // Requests of the previous session are void; polls ask again.
                for origin in self.requests.drain() {
                    self.give_up(origin);
                }
                self.timers.set(Timer::StartupPoll, now);
            }
        }
    }

    // ----- output helpers -----------------------------------------------------------------

    /// Sends an operation's request; a request in flight for the same command is superseded (an
    /// operation waiting for it ends as sent-but-unconfirmed).
    fn send_op_request(&mut self, now: Instant, a: ActiveOp, req: Request, policy: RetryPolicy) {
        let unconfirmed = OpOutcome::Succeeded { confirmed: false };
        match self.requests.for_op(now, a.id, req, policy) {
            Sent::Untracked => self.finish(a.id, a.op, unconfirmed),
            Sent::Tracked { superseded } => {
                if let Some(o) = superseded.and_then(|id| self.ops.take(id)) {
                    self.finish(o.id, o.op, unconfirmed);
                }
                self.ops.push(a);
            }
        }
    }

    fn finish(&mut self, id: OpId, op: Operation, outcome: OpOutcome) {
        let owner = self.ops.finished_owner(id);
        self.events.push_back(LinkEvent::OpFinished {
            id,
            owner,
            op,
            outcome,
        });
    }

    fn rearm(&mut self) {
        let (requests, ops) = (self.requests.next_deadline(), self.ops.next_deadline());
        self.timers.set_opt(Timer::Request, requests);
        self.timers.set_opt(Timer::Operation, ops);
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
                self.requests.transmit(&Request::Function(TakePhoto));
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
                let timeout = Some(self.config.record_timeout);
                let waiting = active(Wait::RecordFresh { start }, timeout);
                if let Some(rec) = fresh {
                    let step = ops::decide_record(now, waiting, start, rec.value, &self.config);
                    if let Some(a) = self.step(now, step) {
                        self.ops.push(a);
                    }
                } else {
                    self.ops.push(waiting);
                    self.requests.poll(now, Request::CameraSystemInfo, normal);
                    let interval = polls::info_interval(&self.config, true);
                    self.timers.set(Timer::InfoPoll, now + interval);
                }
            }
            Operation::ZoomContinuous(dir) => {
                let policy = polls::keepalive(&self.config);
                if self.polls.hold(Some(dir)) {
                    let keepalive = self.config.zoom_keepalive;
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
            Operation::SetEncoding(params) => {
                let a = active(encoding::wait(params), None);
                self.send_op_request(now, a, Request::SetEncoding(params), normal);
            }
            Operation::SetAiStream { on } => {
                self.send_op_request(now, reply_op, Request::SetAiStream { on }, normal);
            }
            Operation::SetMotionMode(mode) => {
                let Some(func) = mode::function(mode) else {
                    self.finish(id, op, failed(FailReason::UnknownMotionMode));
                    return;
                };
                self.requests.transmit(&Request::Function(func));
                let wait = mode::wait(mode, now);
                self.ops.push(active(wait, Some(self.config.mode_timeout)));
                self.timers
                    .set_earliest(Timer::InfoPoll, now + self.config.confirm_poll);
            }
        }
    }

    fn read_zoom_soon(&mut self, now: Instant) {
        if self.health.is_up() && !self.requests.given_up(CmdId::CURRENT_ZOOM) {
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

    fn start(&mut self, now: Instant, owner: Owner, op: Operation) -> OpId {
        let id = self.ops.next_id(owner);
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
        let policy = polls::single(&self.config);
        let fed = feed::send(&mut self.requests, now, item, policy);
        self.rearm();
        fed
    }
}
