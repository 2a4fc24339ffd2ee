//! The steady polling policy: which request each poll timer sends, with which retry policy, and
//! when that timer fires next.
//!
//! Owns: the 0x25 attitude stream state (`streaming`, when the last stream frame arrived) and the
//! continuous-zoom hold (the direction re-sent as a keep-alive). Plans are plain values
//! ([`Plan`]): the conductor sends them and re-arms the timer. Never touches: the timer table,
//! the pending table, the transmit queue, operations or health (it reads what it needs from
//! [`Ctx`]).

use std::time::{Duration, Instant};

use siyi_protocol::{CmdId, DataStreamType, Request, ZoomDirection};

use super::config::{LinkConfig, ENCODING_STREAMS};
use super::fallback::Fallback;
use super::pending::RetryPolicy;
use super::timer::Timer;
use super::CameraState;

/// The retry policy of ordinary requests.
pub(super) fn normal(cfg: &LinkConfig) -> RetryPolicy {
    RetryPolicy {
        timeout: cfg.request_timeout,
        max_attempts: cfg.max_attempts.max(1),
    }
}

/// One attempt, never waiting longer than `interval` (a poll that repeats anyway).
fn once_within(cfg: &LinkConfig, interval: Duration) -> RetryPolicy {
    RetryPolicy {
        timeout: interval.min(cfg.request_timeout),
        max_attempts: 1,
    }
}

/// One attempt within the request timeout.
pub(super) fn single(cfg: &LinkConfig) -> RetryPolicy {
    once_within(cfg, Duration::MAX)
}

/// The policy of a 0x05 continuous-zoom request: a keep-alive never waits longer than its own
/// interval.
pub(super) fn keepalive(cfg: &LinkConfig) -> RetryPolicy {
    once_within(cfg, cfg.zoom_keepalive)
}

/// How often 0x0A is polled: faster while an operation waits for a reading.
pub(super) fn info_interval(cfg: &LinkConfig, waiting: bool) -> Duration {
    if waiting {
        cfg.confirm_poll
    } else {
        cfg.info_interval
    }
}

/// The poll timers that run only while the link is up, started when it comes up.
pub(super) const STEADY: [Timer; 6] = [
    Timer::InfoPoll,
    Timer::AiPoll,
    Timer::AttitudePoll,
    Timer::ZoomPoll,
    Timer::OncePoll,
    Timer::StreamRearm,
];

/// How a planned request is sent.
#[derive(Clone, PartialEq, Debug)]
pub(super) enum Send {
    /// As a poll: unless one is in flight for the command, tracked with this policy.
    Poll(Request, RetryPolicy),
    /// Just transmitted (the command is given up, nobody waits for an answer).
    Blind(Request),
}

/// What a poll timer does now: requests to send, and when the timer fires next (`None`: it stays
/// stopped).
#[derive(Clone, PartialEq, Debug, Default)]
pub(super) struct Plan {
    pub(super) sends: Vec<Send>,
    pub(super) next: Option<Instant>,
}

/// What the polling policy reads from the rest of the link.
pub(super) struct Ctx<'a> {
    pub(super) now: Instant,
    pub(super) up: bool,
    /// The start-up request while not up.
    pub(super) startup: Option<Request>,
    /// An operation waits for a 0x0A reading.
    pub(super) info_wanted: bool,
    pub(super) cfg: &'a LinkConfig,
    pub(super) fallback: &'a Fallback,
    pub(super) state: &'a CameraState,
}

/// Stream and zoom-hold state. See the module docs.
#[derive(Debug, Default)]
pub(super) struct Polls {
    streaming: bool,
    /// When the last attitude frame arrived that no 0x0D request asked for (a stream frame).
    last_stream_attitude: Option<Instant>,
    zoom_hold: Option<ZoomDirection>,
}

impl Polls {
    /// An attitude frame arrived that no request asked for.
    pub(super) fn stream_attitude(&mut self, now: Instant) {
        self.last_stream_attitude = Some(now);
    }

    /// The camera confirmed a 0x25 data stream of `data_type`.
    pub(super) fn stream_confirmed(&mut self, data_type: u8, cfg: &LinkConfig) {
        if data_type == DataStreamType::Attitude.to_u8() && cfg.attitude_stream.is_some() {
            self.streaming = true;
        }
    }

    /// The stream is given up (0x25 unanswered): attitude is polled.
    pub(super) fn stream_given_up(&mut self) {
        self.streaming = false;
    }

    /// Steady polling stops (lost or rebooted): no stream, no hold.
    pub(super) fn stop(&mut self) {
        self.zoom_hold = None;
        self.streaming = false;
    }

    /// Continuous zoom in `dir` (`Stop` or `None` releases the hold). True while held.
    pub(super) fn hold(&mut self, dir: Option<ZoomDirection>) -> bool {
        self.zoom_hold = dir.filter(|d| *d != ZoomDirection::Stop);
        self.zoom_hold.is_some()
    }

    fn stream_period(cfg: &LinkConfig) -> Option<Duration> {
        let hz = cfg.attitude_stream?.hz()?;
        (hz > 0).then(|| Duration::from_millis(1000 / u64::from(hz)))
    }

    /// What poll `timer` does now (nothing for timers that are not polls, or not running).
    pub(super) fn plan(&self, timer: Timer, c: &Ctx<'_>) -> Plan {
        let (now, cfg) = (c.now, c.cfg);
        let mut plan = Plan::default();
        let every = |v: Duration| Some(now + v);
        let given_up = |cmd| c.fallback.given_up(cmd);
        let poll = |req| Send::Poll(req, normal(cfg));
        match timer {
            Timer::StartupPoll if !c.up => {
                if let Some(req) = c.startup.clone() {
                    plan.sends.push(Send::Poll(req, single(cfg)));
                }
                plan.next = every(cfg.startup_interval);
            }
            Timer::FirmwareCheck if c.up => {
                plan.sends
                    .push(Send::Poll(Request::FirmwareVersion, single(cfg)));
                plan.next = every(cfg.firmware_check);
            }
            Timer::InfoPoll if c.up => {
                plan.sends.push(poll(Request::CameraSystemInfo));
                plan.next = Some(now + info_interval(cfg, c.info_wanted));
            }
            Timer::AttitudePoll if c.up => {
                let interval = cfg.attitude_interval;
                // Poll unless stream frames (attitude nobody asked for) keep arriving.
                let stream_fresh = self.streaming
                    && Self::stream_period(cfg).is_some_and(|p| {
                        self.last_stream_attitude
                            .is_some_and(|t| now.saturating_duration_since(t) <= p * 3)
                    });
                if !stream_fresh {
                    let policy = once_within(cfg, interval);
                    plan.sends.push(Send::Poll(Request::Attitude, policy));
                }
                plan.next = Some(now + interval);
            }
            Timer::ZoomPoll if c.up && !given_up(CmdId::CURRENT_ZOOM) => {
                plan.sends.push(poll(Request::CurrentZoom));
                plan.next = every(cfg.zoom_interval);
            }
            Timer::OncePoll if c.up => {
                if c.state.max_zoom.is_none() && !given_up(CmdId::MAX_ZOOM) {
                    plan.sends.push(poll(Request::MaxZoom));
                }
                if !given_up(CmdId::GET_ENCODING) {
                    let next_stream = ENCODING_STREAMS
                        .iter()
                        .zip(c.state.encodings.iter())
                        .find(|(_, e)| e.is_none())
                        .map(|(s, _)| *s);
                    if let Some(stream) = next_stream {
                        plan.sends.push(poll(Request::GetEncoding(stream)));
                    }
                }
                if !plan.sends.is_empty() {
                    plan.next = every(cfg.once_interval);
                }
            }
            Timer::StreamRearm if c.up && !given_up(CmdId::DATA_STREAM) => {
                if let Some(freq) = cfg.attitude_stream {
                    let data_type = DataStreamType::Attitude;
                    plan.sends
                        .push(poll(Request::DataStream { data_type, freq }));
                    plan.next = every(cfg.stream_rearm);
                }
            }
            Timer::AiPoll if c.up && !given_up(CmdId::AI_MODE_STATUS) => {
                plan.sends.push(poll(Request::AiModeStatus));
                plan.next = every(cfg.ai_poll);
            }
            Timer::ZoomKeepAlive if c.up => {
                if let Some(dir) = self.zoom_hold {
                    let req = Request::ManualZoom(dir);
                    plan.sends.push(if given_up(CmdId::MANUAL_ZOOM) {
                        Send::Blind(req)
                    } else {
                        Send::Poll(req, keepalive(cfg))
                    });
                    plan.next = every(cfg.zoom_keepalive);
                }
            }
            _ => {}
        }
        plan
    }
}
