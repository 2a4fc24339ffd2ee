//! The link's timers as a table (quinn-proto style): one optional deadline per [`Timer`].
//!
//! `poll_timeout` is simply the smallest armed deadline. Nothing here spawns tasks or reads a
//! clock.

use std::time::Instant;

/// Every timer the link uses. Each is either armed (a deadline) or stopped.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Timer {
    /// Start-up: next 0x02 hardware-id or 0x01 firmware request (1 Hz while not up).
    StartupPoll,
    /// Next 0x0A camera system info poll (1 Hz, faster while an operation waits for it).
    InfoPoll,
    /// Next 0x0D attitude poll (10 Hz by default; skipped while a 0x25 stream delivers).
    AttitudePoll,
    /// Next 0x18 current-zoom poll (1 Hz).
    ZoomPoll,
    /// Next one-off query (0x16 max zoom, 0x20 per stream) until all are answered or abandoned.
    OncePoll,
    /// Next 0x01 firmware check while up (a reboot reads 0.0.0 again).
    FirmwareCheck,
    /// Re-arm the 0x25 attitude stream (only when streaming is configured).
    StreamRearm,
    /// Re-send the held continuous zoom (0x05 in/out).
    ZoomKeepAlive,
    /// Next 0x4D AI-mode query (is SIYI's AI tracking module attached and on?).
    AiPoll,
    /// The camera is declared lost when nothing valid arrived before this instant.
    Lost,
    /// Earliest deadline in the pending-request table.
    Request,
    /// Earliest deadline among the running operations.
    Operation,
}

impl Timer {
    /// All timers, in the order `handle_timeout` processes them: request deadlines first (so a
    /// poll that timed out frees its command slot before the next poll is due), then operations,
    /// then loss, then the periodic polls.
    pub(crate) const ALL: [Self; 12] = [
        Self::Request,
        Self::Operation,
        Self::Lost,
        Self::StartupPoll,
        Self::FirmwareCheck,
        Self::InfoPoll,
        Self::AttitudePoll,
        Self::ZoomPoll,
        Self::OncePoll,
        Self::StreamRearm,
        Self::ZoomKeepAlive,
        Self::AiPoll,
    ];

    const fn index(self) -> usize {
        match self {
            Self::StartupPoll => 0,
            Self::InfoPoll => 1,
            Self::AttitudePoll => 2,
            Self::ZoomPoll => 3,
            Self::OncePoll => 4,
            Self::FirmwareCheck => 5,
            Self::StreamRearm => 6,
            Self::ZoomKeepAlive => 7,
            Self::Lost => 8,
            Self::Request => 9,
            Self::Operation => 10,
            Self::AiPoll => 11,
        }
    }
}

/// One optional deadline per [`Timer`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; 12],
}

impl TimerTable {
    /// Arms `timer` for `at` (replacing any earlier deadline).
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer.index()] = Some(at);
    }

    /// Arms `timer` for `at` unless it is already armed for an earlier instant.
    pub(crate) fn set_earliest(&mut self, timer: Timer, at: Instant) {
        let slot = &mut self.data[timer.index()];
        *slot = Some(slot.map_or(at, |old| old.min(at)));
    }

    /// Arms or stops `timer`.
    pub(crate) fn set_opt(&mut self, timer: Timer, at: Option<Instant>) {
        self.data[timer.index()] = at;
    }

    /// The deadline of `timer`, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.data[timer.index()]
    }

    /// Stops `timer`.
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer.index()] = None;
    }

    /// The earliest armed deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }

    /// True when `timer` is armed and its deadline is at or before `now`.
    pub(crate) fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|t| t <= now)
    }
}
