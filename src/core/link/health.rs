//! The link's health and start-up phase: a small state machine that says what a frame, a
//! reply or the loss timer means, and hands the conductor the effect to apply.
//!
//! Owns: [`LinkHealth`], the start-up phase (0x02 then 0x01), when the last valid frame arrived,
//! and reboot detection (an answer after `Lost`, or a 0.0.0 firmware reading while `Up`). It
//! pushes the [`LinkEvent::Health`], [`LinkEvent::Rebooted`] and [`LinkEvent::Identified`]
//! events itself. Never touches: timers, the pending table, operations or the camera state (the
//! conductor applies each [`Effect`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use siyi_protocol::{Reply, Request};

use super::ops::failed;
use super::{FailReason, LinkEvent, LinkHealth, OpOutcome, RejectReason};

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

/// What the conductor must do after a health transition.
#[derive(Clone, PartialEq, Debug)]
pub(super) enum Effect {
    /// The hardware id answered: the camera is booting; arm the loss timer, ask 0x01 now.
    Booting,
    /// Identified: count a start-up, start the steady polls.
    Up,
    /// Run the start-up sequence again; first end every operation with `abort`, if given.
    Restart { abort: Option<OpOutcome> },
}

/// Health and start-up. See the module docs.
#[derive(Debug)]
pub(super) struct Health {
    health: LinkHealth,
    startup: Startup,
    last_rx: Option<Instant>,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            health: LinkHealth::Searching,
            startup: Startup::HardwareId,
            last_rx: None,
        }
    }
}

impl Health {
    pub(super) fn get(&self) -> LinkHealth {
        self.health
    }

    pub(super) fn is_up(&self) -> bool {
        self.health == LinkHealth::Up
    }

    /// When the last valid frame arrived from the camera.
    pub(super) fn last_rx(&self) -> Option<Instant> {
        self.last_rx
    }

    /// Whether silence is being watched (the loss timer runs while booting or up).
    pub(super) fn watching(&self) -> bool {
        matches!(self.health, LinkHealth::Booting | LinkHealth::Up)
    }

    fn set(&mut self, to: LinkHealth, events: &mut VecDeque<LinkEvent>) {
        if self.health != to {
            let from = self.health;
            self.health = to;
            events.push_back(LinkEvent::Health { from, to });
        }
    }

    /// A valid frame arrived. After `Lost`, it is a reboot.
    pub(super) fn on_rx(
        &mut self,
        now: Instant,
        events: &mut VecDeque<LinkEvent>,
    ) -> Option<Effect> {
        self.last_rx = Some(now);
        if self.health != LinkHealth::Lost {
            return None;
        }
        // It answers again: treat it as a reboot and run the start-up sequence again.
        self.set(LinkHealth::Booting, events);
        events.push_back(LinkEvent::Rebooted);
        self.startup = Startup::HardwareId;
        Some(Effect::Restart { abort: None })
    }

    /// What a reply means for start-up and reboot detection.
    pub(super) fn on_reply(
        &mut self,
        reply: &Reply,
        events: &mut VecDeque<LinkEvent>,
    ) -> Option<Effect> {
        match reply {
            Reply::HardwareId(_) if self.startup == Startup::HardwareId => {
                self.startup = Startup::Firmware;
                self.set(LinkHealth::Booting, events);
                Some(Effect::Booting)
            }
            Reply::FirmwareVersion { camera, .. } if camera.is_zero() => {
                if self.health != LinkHealth::Up {
                    return None;
                }
                self.set(LinkHealth::Booting, events);
                events.push_back(LinkEvent::Rebooted);
                self.startup = Startup::HardwareId;
                Some(Effect::Restart {
                    abort: Some(failed(FailReason::Rebooted)),
                })
            }
            Reply::FirmwareVersion { .. } if self.startup == Startup::Firmware => {
                self.startup = Startup::Done;
                self.set(LinkHealth::Up, events);
                events.push_back(LinkEvent::Identified);
                Some(Effect::Up)
            }
            _ => None,
        }
    }

    /// The loss timer fired: `Lost` if silence was being watched.
    pub(super) fn on_lost_timer(&mut self, events: &mut VecDeque<LinkEvent>) -> Option<Effect> {
        if !self.watching() {
            return None;
        }
        self.set(LinkHealth::Lost, events);
        self.startup = Startup::HardwareId;
        Some(Effect::Restart {
            abort: Some(OpOutcome::TimedOut),
        })
    }

    /// The start-up request to send now (none once up).
    pub(super) fn startup_request(&self) -> Option<Request> {
        match self.startup {
            Startup::HardwareId => Some(Request::HardwareId),
            Startup::Firmware => Some(Request::FirmwareVersion),
            Startup::Done => None,
        }
    }

    /// Why an operation is refused while not up.
    pub(super) fn reject_reason(&self, lost_after: Duration) -> RejectReason {
        match self.health {
            LinkHealth::Searching | LinkHealth::Up => RejectReason::NotFound,
            LinkHealth::Booting => RejectReason::Booting,
            LinkHealth::Lost => RejectReason::Lost {
                lost_after_ms: u64::try_from(lost_after.as_millis()).unwrap_or(u64::MAX),
            },
        }
    }
}
