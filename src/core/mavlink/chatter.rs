//! How much the host may say in STATUSTEXT: the same text to the same destination at most once
//! per [`STATUSTEXT_REPEAT`], at most [`STATUSTEXT_MAX_CHUNKS`] chunks per text, and per
//! destination (every peer together, or one peer) a budget of chunks ([`STATUSTEXT_RATE`]).
//! A peer receives what goes to everyone plus what answers it, so it gets at most twice the rate.
//!
//! Owns: the texts said lately and the budgets. Never touches: clocks, messages.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use mavlink::dialects::common::MavSeverity;

use super::budget::{Budgets, Rate};
use super::{Target, STATUSTEXT_CHUNK_BYTES};

/// The same text to the same destination is said at most once within this time.
pub const STATUSTEXT_REPEAT: Duration = Duration::from_secs(1);
/// STATUSTEXT chunks (≤ 50 bytes of text each) per destination: a burst of 20, then 5 per
/// second. A peer gets what goes to everyone plus what answers it: at most 40 chunks at once and
/// 10 per second (≤ 790 B/s, signed MAVLink 2 frames of ≤ 79 bytes).
pub const STATUSTEXT_RATE: Rate = Rate {
    burst: 20,
    per_second: 5,
};
/// Most chunks of one text (200 bytes); a longer text is cut on a character boundary and ends
/// with "…".
pub const STATUSTEXT_MAX_CHUNKS: usize = 4;
/// Texts remembered for the repeat rule (at most this many said within one second).
const MAX_RECENT: usize = 256;
/// Destinations with a budget at once (every peer together counts as one).
const MAX_DESTINATIONS: usize = 64;

/// Whether a text may be said now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Verdict {
    /// Say it.
    Say,
    /// Said to this destination less than [`STATUSTEXT_REPEAT`] ago.
    Repeat,
    /// The destination's budget is spent.
    OverBudget,
}

/// The repeat rule and the budgets. See the module docs.
#[derive(Debug)]
pub(super) struct Chatter {
    budgets: Budgets<Target>,
    /// (when, to whom, hash of severity and text), oldest first.
    recent: VecDeque<(Instant, Target, u64)>,
}

impl Default for Chatter {
    fn default() -> Self {
        Self {
            budgets: Budgets::new(STATUSTEXT_RATE, MAX_DESTINATIONS),
            recent: VecDeque::new(),
        }
    }
}

impl Chatter {
    /// May `text` (`chunks` messages) go to `to` at `now`? A yes spends the budget.
    pub(super) fn admit(
        &mut self,
        now: Instant,
        to: Target,
        severity: MavSeverity,
        text: &str,
        chunks: usize,
    ) -> Verdict {
        while let Some(&(at, _, _)) = self.recent.front() {
            if now.saturating_duration_since(at) < STATUSTEXT_REPEAT {
                break;
            }
            self.recent.pop_front();
        }
        let mut h = DefaultHasher::new();
        (severity as u32, text).hash(&mut h);
        let key = h.finish();
        if (self.recent.iter()).any(|&(_, t, k)| t == to && k == key) {
            return Verdict::Repeat;
        }
        if !self.budgets.take(now, to, chunks as u64) {
            return Verdict::OverBudget;
        }
        if self.recent.len() >= MAX_RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((now, to, key));
        Verdict::Say
    }
}

/// `text` cut to [`STATUSTEXT_MAX_CHUNKS`] chunks on a character boundary, ending with "…" when
/// it was cut.
pub(super) fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
    let max = STATUSTEXT_MAX_CHUNKS * STATUSTEXT_CHUNK_BYTES;
    if text.len() <= max {
        return text.into();
    }
    const MORE: &str = "…";
    let mut cut = max - MORE.len();
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = text.get(..cut).unwrap_or_default();
    format!("{head}{MORE}").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let max = STATUSTEXT_MAX_CHUNKS * STATUSTEXT_CHUNK_BYTES;
        for n in [0, 1, 199, 200, 201, 4000] {
            for unit in ["a", "é", "€", "😀"] {
                let text = unit.repeat(n);
                let b = bounded(&text);
                assert!(b.len() <= max, "{n} {unit}: {}", b.len());
                if text.len() <= max {
                    assert_eq!(b, text);
                } else {
                    assert!(b.ends_with('…') && text.starts_with(b.trim_end_matches('…')));
                }
            }
        }
    }
}
