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
//! * **Health**: silence for [`LinkConfig::lost_after_ms`] → `Lost` (operations in progress end
//!   `TimedOut`); the next answer, or a 0.0.0 firmware reading while up, is a reboot:
//!   [`LinkEvent::Rebooted`] and the start-up sequence runs again.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use siyi_protocol::{
    CameraModel, CmdId, DataStreamType, FeedbackCode, FrameDecoder, FrameError, FunctionType,
    RecordState, Reply, Request, SystemInfo, ZoomDirection,
};

use super::config::{LinkConfig, LinkStats, BAD_INPUT_REPORT_INTERVAL, ENCODING_STREAMS};
use super::fallback::Fallback;
use super::ops::{self, failed, gimbal, mode, photo, record, ActiveOp, Wait};
use super::pending::{Origin, PendingTable, RetryPolicy};
use super::timer::{Timer, TimerTable};
use super::{
    CameraState, FailReason, FallbackUsed, LinkControl, LinkEvent, LinkHealth, OpId, OpOutcome,
    Operation, RejectReason, ZoomSource,
};

/// Where the start-up sequence is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Startup {
    /// Asking 0x02.
    HardwareId,
    /// Asking 0x01 until the camera word is not 0.0.0.
    Firmware,
    /// Done: steady polling.
    Done,
}

/// The sans-IO SIYI camera client. See the `core::link::siyi_link` module docs for what it does and the poll
/// contract.
#[derive(Debug)]
pub struct SiyiLink {
    config: LinkConfig,
    state: CameraState,
    health: LinkHealth,
    startup: Startup,
    timers: TimerTable,
    pending: PendingTable,
    ops: Vec<ActiveOp>,
    decoder: FrameDecoder,
    seq: u16,
    next_op: u64,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<LinkEvent>,
    stats: LinkStats,
    last_rx: Option<Instant>,
    fallback: Fallback,
    zoom_hold: Option<ZoomDirection>,
    streaming: bool,
    /// When the last attitude frame arrived that no 0x0D request asked for (a stream frame).
    last_stream_attitude: Option<Instant>,
    last_bad_report: Option<Instant>,
    /// The camera has sent a 0x0B photo outcome at least once: it reports photos, so silence
    /// about a photo is no longer taken for success.
    photo_feedback_seen: bool,
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

impl SiyiLink {
    /// A new link at `now`. The first 0x02 hardware-id request is queued at once.
    pub fn new(config: LinkConfig, now: Instant) -> Self {
        let mut link = Self {
            config,
            state: CameraState::default(),
            health: LinkHealth::Searching,
            startup: Startup::HardwareId,
            timers: TimerTable::default(),
            pending: PendingTable::default(),
            ops: Vec::new(),
            decoder: FrameDecoder::new(),
            seq: 0,
            next_op: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: LinkStats::default(),
            last_rx: None,
            fallback: Fallback::default(),
            zoom_hold: None,
            streaming: false,
            last_stream_attitude: None,
            last_bad_report: None,
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
        self.last_rx
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
        if self.should_report_bad(now) {
            self.events.push_back(LinkEvent::BadFrame(err));
        }
    }

    fn should_report_bad(&mut self, now: Instant) -> bool {
        let report = self
            .last_bad_report
            .is_none_or(|t| now.saturating_duration_since(t) >= BAD_INPUT_REPORT_INTERVAL);
        if report {
            self.last_bad_report = Some(now);
        }
        report
    }

    fn handle_frame(&mut self, now: Instant, frame: &siyi_protocol::Frame) {
        self.stats.frames_in += 1;
        self.on_rx(now);
        let reply = match Reply::from_frame(frame) {
            Ok(r) => r,
            Err(err) => {
                self.stats.bad_payloads += 1;
                if self.should_report_bad(now) {
                    self.events.push_back(LinkEvent::BadPayload(err));
                }
                return;
            }
        };
        let cmd = reply.cmd_id();
        let origin = self.pending.remove(cmd).map(|p| p.origin);
        self.fallback.answered(cmd);
        if origin.is_none()
            && !matches!(reply, Reply::FunctionFeedback(_) | Reply::Attitude(_))
            && !(cmd == CmdId::FIRMWARE_VERSION || cmd == CmdId::HARDWARE_ID)
        {
            self.stats.unsolicited += 1;
        }
        if origin.is_none() && cmd == CmdId::ATTITUDE {
            self.last_stream_attitude = Some(now);
        }
        self.apply_reply(now, &reply);
        if let Some(Origin::Op(id)) = origin {
            self.finish_reply_op(id, &reply);
        }
    }

    fn on_rx(&mut self, now: Instant) {
        self.last_rx = Some(now);
        if self.health == LinkHealth::Lost {
            // It answers again: treat it as a reboot and run the start-up sequence again.
            self.set_health(LinkHealth::Booting);
            self.events.push_back(LinkEvent::Rebooted);
            self.restart_startup(now);
        }
        if matches!(self.health, LinkHealth::Booting | LinkHealth::Up) {
            self.timers
                .set(Timer::Lost, now + ms(self.config.lost_after_ms));
        }
    }

    fn apply_reply(&mut self, now: Instant, reply: &Reply) {
        // What the reply says about the camera, then what it means for start-up and operations.
        self.state.read(now, reply, &mut self.events);
        match reply {
            Reply::HardwareId(_) if self.startup == Startup::HardwareId => {
                self.startup = Startup::Firmware;
                self.set_health(LinkHealth::Booting);
                self.timers
                    .set(Timer::Lost, now + ms(self.config.lost_after_ms));
                self.timers.set(Timer::StartupPoll, now);
            }
            Reply::FirmwareVersion { camera, .. } => {
                if camera.is_zero() {
                    if self.health == LinkHealth::Up {
                        self.set_health(LinkHealth::Booting);
                        self.events.push_back(LinkEvent::Rebooted);
                        self.abort_ops(|_| failed(FailReason::Rebooted));
                        self.restart_startup(now);
                    }
                } else if self.startup == Startup::Firmware {
                    self.become_up(now);
                }
            }
            Reply::CameraSystemInfo(info) => self.on_info(now, info),
            Reply::FunctionFeedback(code) => self.on_feedback(*code),
            Reply::DataStream { data_type }
                if *data_type == DataStreamType::Attitude.to_u8()
                    && self.config.attitude_stream.is_some() =>
            {
                self.streaming = true;
            }
            _ => {}
        }
    }

    /// Operations waiting for a 0x0A reading (the state has taken it already).
    fn on_info(&mut self, now: Instant, info: &SystemInfo) {
        let rec = info.record_sta;
        let ops = std::mem::take(&mut self.ops);
        let mut keep = Vec::with_capacity(ops.len());
        for mut a in ops {
            match a.wait {
                Wait::RecordFresh { start } => {
                    if let Some(next) = self.decide_record(now, a.id, a.op, start, rec) {
                        keep.push(next);
                    }
                }
                // Only a reading taken after the toggle can confirm it.
                Wait::RecordConfirm { start, since, .. } if now > since => {
                    match record::confirm(start, rec) {
                        Some(outcome) => self.finish(a.id, a.op, outcome),
                        None => {
                            a.wait = Wait::RecordConfirm {
                                start,
                                since,
                                seen: true,
                            };
                            keep.push(a);
                        }
                    }
                }
                Wait::ModeConfirm {
                    mode,
                    sent_at,
                    attempts,
                    ..
                } if now > sent_at => match mode::confirm(mode, info.motion_mode) {
                    Some(outcome) => self.finish(a.id, a.op, outcome),
                    None => {
                        // Setting a mode is idempotent: re-send it if the camera may have lost it.
                        let resend = attempts < self.config.max_attempts
                            && now.saturating_duration_since(sent_at)
                                >= ms(self.config.request_timeout_ms);
                        let (sent_at, attempts) = if resend {
                            if let Some(func) = mode::function(mode) {
                                self.transmit(&Request::Function(func));
                                self.stats.retries += 1;
                            }
                            (now, attempts + 1)
                        } else {
                            (sent_at, attempts)
                        };
                        a.wait = Wait::ModeConfirm {
                            mode,
                            sent_at,
                            attempts,
                            seen: true,
                        };
                        keep.push(a);
                    }
                },
                _ => keep.push(a),
            }
        }
        keep.append(&mut self.ops);
        self.ops = keep;
    }

    fn on_feedback(&mut self, code: FeedbackCode) {
        if matches!(code, FeedbackCode::PhotoOk | FeedbackCode::PhotoFailed) {
            if !self.photo_feedback_seen {
                tracing::info!(target: "link", "the camera reports photo outcomes (0x0B): a photo without one is not assumed taken");
            }
            self.photo_feedback_seen = true;
        }
        let (pick, outcome): (fn(&Wait) -> bool, OpOutcome) = match code {
            FeedbackCode::RecordFailed => (
                |w| matches!(w, Wait::RecordConfirm { .. }),
                failed(FailReason::RecordingFailed),
            ),
            code => match photo::feedback(code) {
                Some(outcome) => (|w| matches!(w, Wait::Photo { .. }), outcome),
                None => return,
            },
        };
        if let Some(i) = self.ops.iter().position(|a| pick(&a.wait)) {
            let a = self.ops.remove(i);
            self.finish(a.id, a.op, outcome);
        }
    }

    fn finish_reply_op(&mut self, id: OpId, reply: &Reply) {
        let Some(i) = self.ops.iter().position(|a| a.id == id) else {
            return;
        };
        let a = self.ops.remove(i);
        let outcome = match reply {
            Reply::GimbalRotation { status } | Reply::Center { status } if *status != 1 => {
                failed(FailReason::Refused(*status))
            }
            Reply::AbsoluteZoom { status } if *status != 1 => {
                failed(FailReason::ZoomRefused(*status))
            }
            _ => OpOutcome::Succeeded { confirmed: true },
        };
        self.finish(a.id, a.op, outcome);
    }

    // ----- timers -------------------------------------------------------------------------

    fn on_timer(&mut self, now: Instant, timer: Timer) {
        let cfg = &self.config;
        let normal = RetryPolicy {
            timeout: ms(cfg.request_timeout_ms),
            max_attempts: cfg.max_attempts.max(1),
        };
        let single = RetryPolicy {
            timeout: ms(cfg.request_timeout_ms),
            max_attempts: 1,
        };
        let up = self.health == LinkHealth::Up;
        match timer {
            Timer::Request => {
                for cmd in self.pending.expired(now) {
                    self.request_timed_out(now, cmd);
                }
            }
            Timer::Operation => self.ops_timed_out(now),
            Timer::Lost => {
                if matches!(self.health, LinkHealth::Booting | LinkHealth::Up) {
                    self.lose(now);
                }
            }
            Timer::StartupPoll => {
                if !up {
                    let req = match self.startup {
                        Startup::HardwareId => Some(Request::HardwareId),
                        Startup::Firmware => Some(Request::FirmwareVersion),
                        Startup::Done => None,
                    };
                    if let Some(req) = req {
                        self.send_poll(now, req, single);
                    }
                    let next = now + ms(self.config.startup_interval_ms);
                    self.timers.set(Timer::StartupPoll, next);
                }
            }
            Timer::FirmwareCheck => {
                if up {
                    self.send_poll(now, Request::FirmwareVersion, single);
                    let next = now + ms(self.config.firmware_check_ms);
                    self.timers.set(Timer::FirmwareCheck, next);
                }
            }
            Timer::InfoPoll => {
                if up {
                    self.send_poll(now, Request::CameraSystemInfo, normal);
                    self.arm_info_poll(now);
                }
            }
            Timer::AttitudePoll => {
                if up {
                    let interval = ms(self.config.attitude_interval_ms);
                    // Poll unless stream frames (attitude nobody asked for) keep arriving.
                    let stream_fresh = self.streaming
                        && self.stream_period().is_some_and(|p| {
                            self.last_stream_attitude
                                .is_some_and(|t| now.saturating_duration_since(t) <= p * 3)
                        });
                    if !stream_fresh {
                        let policy = RetryPolicy {
                            timeout: interval.min(ms(self.config.request_timeout_ms)),
                            max_attempts: 1,
                        };
                        self.send_poll(now, Request::Attitude, policy);
                    }
                    self.timers.set(Timer::AttitudePoll, now + interval);
                }
            }
            Timer::ZoomPoll => {
                if up && !self.fallback.given_up(CmdId::CURRENT_ZOOM) {
                    self.send_poll(now, Request::CurrentZoom, normal);
                    let next = now + ms(self.config.zoom_interval_ms);
                    self.timers.set(Timer::ZoomPoll, next);
                }
            }
            Timer::OncePoll => {
                if up {
                    let mut missing = false;
                    if self.state.max_zoom.is_none() && !self.fallback.given_up(CmdId::MAX_ZOOM) {
                        missing = true;
                        self.send_poll(now, Request::MaxZoom, normal);
                    }
                    if !self.fallback.given_up(CmdId::GET_ENCODING) {
                        let next_stream = ENCODING_STREAMS
                            .iter()
                            .zip(self.state.encodings.iter())
                            .find(|(_, e)| e.is_none())
                            .map(|(s, _)| *s);
                        if let Some(stream) = next_stream {
                            missing = true;
                            self.send_poll(now, Request::GetEncoding(stream), normal);
                        }
                    }
                    if missing {
                        let next = now + ms(self.config.once_interval_ms);
                        self.timers.set(Timer::OncePoll, next);
                    }
                }
            }
            Timer::StreamRearm => {
                if up && !self.fallback.given_up(CmdId::DATA_STREAM) {
                    if let Some(freq) = self.config.attitude_stream {
                        let req = Request::DataStream {
                            data_type: DataStreamType::Attitude,
                            freq,
                        };
                        self.send_poll(now, req, normal);
                        let next = now + ms(self.config.stream_rearm_ms);
                        self.timers.set(Timer::StreamRearm, next);
                    }
                }
            }
            Timer::ZoomKeepAlive => {
                if up {
                    if let Some(dir) = self.zoom_hold {
                        // A keep-alive never waits longer than its own interval.
                        let policy = RetryPolicy {
                            timeout: ms(self.config.zoom_keepalive_ms)
                                .min(ms(self.config.request_timeout_ms)),
                            max_attempts: 1,
                        };
                        if self.fallback.given_up(CmdId::MANUAL_ZOOM) {
                            self.transmit(&Request::ManualZoom(dir));
                        } else {
                            self.send_poll(now, Request::ManualZoom(dir), policy);
                        }
                        let next = now + ms(self.config.zoom_keepalive_ms);
                        self.timers.set(Timer::ZoomKeepAlive, next);
                    }
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
        let up = self.health == LinkHealth::Up;
        let threshold = self.config.unanswered_after;
        if self
            .fallback
            .unanswered(cmd, sent_at, self.last_rx, up, threshold)
        {
            self.declare_unanswered(now, cmd);
            if let Some(p) = self.pending.remove(cmd) {
                self.stats.abandoned += 1;
                self.give_up(p.origin);
            }
            return;
        }
        let Some(p) = self.pending.get_mut(cmd) else {
            return;
        };
        if p.attempts < p.policy.max_attempts {
            p.attempts += 1;
            p.deadline = now + p.policy.timeout;
            let req = p.request.clone();
            self.stats.retries += 1;
            self.transmit(&req);
        } else if let Some(p) = self.pending.remove(cmd) {
            self.stats.abandoned += 1;
            self.give_up(p.origin);
        }
    }

    fn give_up(&mut self, origin: Origin) {
        let Origin::Op(id) = origin else {
            return;
        };
        let Some(i) = self.ops.iter().position(|a| a.id == id) else {
            return;
        };
        let a = self.ops.remove(i);
        self.finish(a.id, a.op, ops::request_given_up(a.op));
    }

    fn declare_unanswered(&mut self, now: Instant, cmd: CmdId) {
        let fallback = match cmd {
            CmdId::CURRENT_ZOOM => {
                self.timers.stop(Timer::ZoomPoll);
                FallbackUsed::ZoomFromAcks
            }
            CmdId::MAX_ZOOM => {
                if self.state.max_zoom.is_none()
                    && matches!(self.state.model, Some(CameraModel::A8Mini))
                {
                    self.state.max_zoom = Some(self.config.max_zoom_fallback);
                }
                FallbackUsed::MaxZoomA8
            }
            CmdId::DATA_STREAM => {
                self.streaming = false;
                self.timers.stop(Timer::StreamRearm);
                FallbackUsed::AttitudePolling
            }
            CmdId::GET_ENCODING => FallbackUsed::EncodingUnknown,
            CmdId::MANUAL_ZOOM => FallbackUsed::ZoomUnacknowledged,
            CmdId::ABSOLUTE_ZOOM => FallbackUsed::AbsoluteZoomUnacknowledged,
            CmdId::GIMBAL_MODE => FallbackUsed::ModeFromInfo,
            CmdId::SET_UTC_TIME => FallbackUsed::ClockNotSet,
            _ => FallbackUsed::Nothing,
        };
        let _ = now;
        self.events
            .push_back(LinkEvent::CommandUnanswered { cmd, fallback });
    }

    fn ops_timed_out(&mut self, now: Instant) {
        let ops = std::mem::take(&mut self.ops);
        let mut keep = Vec::with_capacity(ops.len());
        for a in ops {
            if a.deadline.is_none_or(|d| d > now) {
                keep.push(a);
                continue;
            }
            let outcome = a.wait.timed_out(self.photo_feedback_seen, self.last_rx);
            self.finish(a.id, a.op, outcome);
        }
        keep.append(&mut self.ops);
        self.ops = keep;
    }

    // ----- health -------------------------------------------------------------------------

    fn set_health(&mut self, to: LinkHealth) {
        if self.health != to {
            let from = self.health;
            self.health = to;
            self.events.push_back(LinkEvent::Health { from, to });
        }
    }

    fn become_up(&mut self, now: Instant) {
        self.startup = Startup::Done;
        self.set_health(LinkHealth::Up);
        self.state.startups += 1;
        self.events.push_back(LinkEvent::Identified);
        self.timers.stop(Timer::StartupPoll);
        for t in [
            Timer::InfoPoll,
            Timer::AttitudePoll,
            Timer::ZoomPoll,
            Timer::OncePoll,
            Timer::StreamRearm,
        ] {
            self.timers.set(t, now);
        }
        self.timers.set(
            Timer::FirmwareCheck,
            now + ms(self.config.firmware_check_ms),
        );
    }

    fn stop_steady(&mut self) {
        for t in [
            Timer::InfoPoll,
            Timer::AttitudePoll,
            Timer::ZoomPoll,
            Timer::OncePoll,
            Timer::StreamRearm,
            Timer::FirmwareCheck,
            Timer::ZoomKeepAlive,
        ] {
            self.timers.stop(t);
        }
        self.zoom_hold = None;
        self.streaming = false;
    }

    fn restart_startup(&mut self, now: Instant) {
        self.stop_steady();
        self.startup = Startup::HardwareId;
        // Requests of the previous session are void; polls ask again.
        for p in self.pending.drain() {
            self.give_up(p.origin);
        }
        self.timers.set(Timer::StartupPoll, now);
    }

    fn lose(&mut self, now: Instant) {
        self.set_health(LinkHealth::Lost);
        self.timers.stop(Timer::Lost);
        self.abort_ops(|_| OpOutcome::TimedOut);
        self.restart_startup(now);
    }

    fn abort_ops(&mut self, outcome: impl Fn(&Operation) -> OpOutcome) {
        for a in std::mem::take(&mut self.ops) {
            let o = outcome(&a.op);
            self.finish(a.id, a.op, o);
        }
    }

    // ----- state --------------------------------------------------------------------------

    fn stream_period(&self) -> Option<Duration> {
        let hz = self.config.attitude_stream?.hz()?;
        (hz > 0).then(|| Duration::from_millis(1000 / u64::from(hz)))
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
    fn send_poll(&mut self, now: Instant, req: Request, policy: RetryPolicy) -> bool {
        let cmd = req.cmd_id();
        if self.pending.get(cmd).is_some() || self.fallback.given_up(cmd) {
            return false;
        }
        self.transmit(&req);
        self.pending.insert(now, req, Origin::Poll, policy);
        true
    }

    /// Sends an operation's request; a request in flight for the same command is superseded (an
    /// operation waiting for it ends as sent-but-unconfirmed).
    fn send_op_request(&mut self, now: Instant, a: ActiveOp, req: Request, policy: RetryPolicy) {
        let cmd = req.cmd_id();
        if self.fallback.given_up(cmd) {
            self.transmit(&req);
            self.finish(a.id, a.op, OpOutcome::Succeeded { confirmed: false });
            return;
        }
        self.transmit(&req);
        if let Some(old) = self.pending.insert(now, req, Origin::Op(a.id), policy) {
            if let Origin::Op(old_id) = old.origin {
                if let Some(i) = self.ops.iter().position(|o| o.id == old_id) {
                    let o = self.ops.remove(i);
                    self.finish(o.id, o.op, OpOutcome::Succeeded { confirmed: false });
                }
            }
        }
        self.ops.push(a);
    }

    fn finish(&mut self, id: OpId, op: Operation, outcome: OpOutcome) {
        self.events
            .push_back(LinkEvent::OpFinished { id, op, outcome });
    }

    fn arm_info_poll(&mut self, now: Instant) {
        let waiting = self.ops.iter().any(|a| {
            matches!(
                a.wait,
                Wait::RecordFresh { .. } | Wait::RecordConfirm { .. } | Wait::ModeConfirm { .. }
            )
        });
        let interval = if waiting {
            self.config.confirm_poll_ms
        } else {
            self.config.info_interval_ms
        };
        self.timers.set(Timer::InfoPoll, now + ms(interval));
    }

    fn rearm(&mut self) {
        self.timers
            .set_opt(Timer::Request, self.pending.next_deadline());
        let op_deadline = self.ops.iter().filter_map(|a| a.deadline).min();
        self.timers.set_opt(Timer::Operation, op_deadline);
    }

    // ----- operations ---------------------------------------------------------------------

    fn decide_record(
        &mut self,
        now: Instant,
        id: OpId,
        op: Operation,
        start: bool,
        rec: RecordState,
    ) -> Option<ActiveOp> {
        match record::decide(start, rec) {
            record::Decision::Done(outcome) => {
                self.finish(id, op, outcome);
                None
            }
            record::Decision::Toggle => {
                self.transmit(&Request::Function(FunctionType::RecordToggle));
                self.timers
                    .set_earliest(Timer::InfoPoll, now + ms(self.config.confirm_poll_ms));
                Some(ActiveOp {
                    id,
                    op,
                    wait: Wait::RecordConfirm {
                        start,
                        since: now,
                        seen: false,
                    },
                    deadline: Some(now + ms(self.config.record_timeout_ms)),
                })
            }
        }
    }

    fn start_op(&mut self, now: Instant, id: OpId, op: Operation) {
        let cfg = &self.config;
        let normal = RetryPolicy {
            timeout: ms(cfg.request_timeout_ms),
            max_attempts: cfg.max_attempts.max(1),
        };
        let reply_op = ActiveOp {
            id,
            op,
            wait: Wait::Reply,
            deadline: None,
        };
        match op {
            Operation::TakePhoto => {
                self.transmit(&Request::Function(FunctionType::TakePhoto));
                self.ops.push(ActiveOp {
                    id,
                    op,
                    wait: Wait::Photo { sent_at: now },
                    deadline: Some(now + ms(self.config.photo_timeout_ms)),
                });
            }
            Operation::StartRecording | Operation::StopRecording => {
                if record::busy(&self.ops) {
                    self.finish(id, op, failed(FailReason::RecordingBusy));
                    return;
                }
                let start = op == Operation::StartRecording;
                let fresh = self
                    .state
                    .record
                    .filter(|r| r.is_fresh(now, ms(self.config.info_fresh_ms)));
                if let Some(rec) = fresh {
                    if let Some(a) = self.decide_record(now, id, op, start, rec.value) {
                        self.ops.push(a);
                    }
                } else {
                    self.ops.push(ActiveOp {
                        id,
                        op,
                        wait: Wait::RecordFresh { start },
                        deadline: Some(now + ms(self.config.record_timeout_ms)),
                    });
                    self.send_poll(now, Request::CameraSystemInfo, normal);
                    self.arm_info_poll(now);
                }
            }
            Operation::ZoomContinuous(dir) => {
                self.zoom_hold = match dir {
                    ZoomDirection::Stop => None,
                    d => Some(d),
                };
                let keepalive = ms(self.config.zoom_keepalive_ms);
                if self.zoom_hold.is_some() {
                    self.timers.set(Timer::ZoomKeepAlive, now + keepalive);
                } else {
                    self.timers.stop(Timer::ZoomKeepAlive);
                    self.read_zoom_soon(now);
                }
                let policy = RetryPolicy {
                    timeout: keepalive.min(ms(self.config.request_timeout_ms)),
                    max_attempts: 1,
                };
                self.send_op_request(now, reply_op, Request::ManualZoom(dir), policy);
            }
            Operation::ZoomTo { factor } => {
                self.zoom_hold = None;
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
            Operation::SetMotionMode(mode) => {
                let Some(func) = mode::function(mode) else {
                    self.finish(id, op, failed(FailReason::UnknownMotionMode));
                    return;
                };
                self.transmit(&Request::Function(func));
                self.ops.push(ActiveOp {
                    id,
                    op,
                    wait: Wait::ModeConfirm {
                        mode,
                        sent_at: now,
                        attempts: 1,
                        seen: false,
                    },
                    deadline: Some(now + ms(self.config.mode_timeout_ms)),
                });
                self.timers
                    .set_earliest(Timer::InfoPoll, now + ms(self.config.confirm_poll_ms));
            }
        }
    }

    fn read_zoom_soon(&mut self, now: Instant) {
        if self.health == LinkHealth::Up && !self.fallback.given_up(CmdId::CURRENT_ZOOM) {
            self.timers
                .set_earliest(Timer::ZoomPoll, now + ms(self.config.confirm_poll_ms));
        }
    }

    fn reject_reason(&self) -> RejectReason {
        match self.health {
            LinkHealth::Searching | LinkHealth::Up => RejectReason::NotFound,
            LinkHealth::Booting => RejectReason::Booting,
            LinkHealth::Lost => RejectReason::Lost {
                lost_after_ms: self.config.lost_after_ms,
            },
        }
    }
}

impl LinkControl for SiyiLink {
    fn state(&self) -> &CameraState {
        &self.state
    }

    fn health(&self) -> LinkHealth {
        self.health
    }

    fn start(&mut self, now: Instant, op: Operation) -> OpId {
        let id = OpId(self.next_op);
        self.next_op += 1;
        if self.health != LinkHealth::Up {
            let reason = self.reject_reason();
            self.finish(id, op, OpOutcome::Rejected { reason });
        } else {
            self.start_op(now, id, op);
        }
        self.rearm();
        id
    }
}
