//! Commands the camera may never answer, and what the link does without them.
//!
//! Owns: which commands went unanswered how often, and which are given up. Never touches: the
//! link's timers or state (the link applies the fallback's side effects).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use siyi_protocol::CmdId;

use super::FallbackUsed;

/// What the link uses instead of `cmd` once it is declared unanswered.
pub(super) fn used_for(cmd: CmdId) -> FallbackUsed {
    match cmd {
        CmdId::CURRENT_ZOOM => FallbackUsed::ZoomFromAcks,
        CmdId::MAX_ZOOM => FallbackUsed::MaxZoomA8,
        CmdId::DATA_STREAM => FallbackUsed::AttitudePolling,
        CmdId::GET_ENCODING => FallbackUsed::EncodingUnknown,
        CmdId::MANUAL_ZOOM => FallbackUsed::ZoomUnacknowledged,
        CmdId::ABSOLUTE_ZOOM => FallbackUsed::AbsoluteZoomUnacknowledged,
        CmdId::GIMBAL_MODE => FallbackUsed::ModeFromInfo,
        CmdId::SET_UTC_TIME => FallbackUsed::ClockNotSet,
        CmdId::AI_MODE_STATUS => FallbackUsed::NoAiModule,
        _ => FallbackUsed::Nothing,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
struct Unanswered {
    count: u8,
    since: Option<Instant>,
}

/// Unanswered commands. See the module docs.
#[derive(Debug, Default)]
pub(super) struct Fallback {
    unanswered: BTreeMap<CmdId, Unanswered>,
    unsupported: BTreeSet<CmdId>,
}

impl Fallback {
    /// `cmd` was declared unanswered: its fallback is in use.
    pub(super) fn given_up(&self, cmd: CmdId) -> bool {
        self.unsupported.contains(&cmd)
    }

    /// Commands declared unanswered.
    pub(super) fn given_up_commands(&self) -> impl Iterator<Item = CmdId> + '_ {
        self.unsupported.iter().copied()
    }

    /// `cmd` is known never to be answered (a camera profile): its fallback is used from the
    /// start. False (and nothing changes) for a command without a fallback.
    pub(super) fn preset(&mut self, cmd: CmdId) -> bool {
        let known = has_fallback(cmd);
        if known {
            self.unsupported.insert(cmd);
        }
        known
    }

    /// The camera answered `cmd`: its count starts again.
    pub(super) fn answered(&mut self, cmd: CmdId) {
        self.unanswered.remove(&cmd);
    }

    /// An attempt of `cmd` sent at `sent_at` went unanswered. True when `cmd` is now declared
    /// unanswered: it has a fallback, the link is up, `threshold` attempts in a row went
    /// unanswered, and the camera answered other commands since the first of them (`last_rx`).
    pub(super) fn unanswered(
        &mut self,
        cmd: CmdId,
        sent_at: Instant,
        last_rx: Option<Instant>,
        up: bool,
        threshold: u8,
    ) -> bool {
        let entry = self.unanswered.entry(cmd).or_default();
        entry.count = entry.count.saturating_add(1);
        let since = *entry.since.get_or_insert(sent_at);
        let others_answer = last_rx.is_some_and(|t| t > since);
        let give_up = has_fallback(cmd)
            && !self.unsupported.contains(&cmd)
            && up
            && entry.count >= threshold
            && others_answer;
        if give_up {
            self.unsupported.insert(cmd);
        }
        give_up
    }
}

/// Commands the link can do without (they have a fallback); only these are ever declared
/// unanswered. The others (0x01, 0x02, 0x0A, 0x0D, gimbal commands) are essential: their silence
/// is a lost camera, not a missing feature.
fn has_fallback(cmd: CmdId) -> bool {
    matches!(
        cmd,
        CmdId::CURRENT_ZOOM
            | CmdId::MAX_ZOOM
            | CmdId::DATA_STREAM
            | CmdId::GET_ENCODING
            | CmdId::MANUAL_ZOOM
            | CmdId::ABSOLUTE_ZOOM
            | CmdId::GIMBAL_MODE
            | CmdId::SET_UTC_TIME
            | CmdId::AI_MODE_STATUS
    )
}
