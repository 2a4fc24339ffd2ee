//! Finding the file of each photo (or recording) on the camera's card, by order and count.
//!
//! Owns: the newest directory and its file count as last seen (the *base*), the captures
//! waiting for their file (oldest first), and the poll schedule. Never touches: MAVLink, the
//! records (the camera completes them from [`Found`]), the HTTP shell.
//!
//! The rule is **by order and count, never by guess**: the base is learned before a capture;
//! after it, the count of the newest directory is polled (from [`FIRST_LOOK`], backing off, for
//! at most [`FIND_WITHIN`]). When it grew by `n` and `m ≥ n` captures wait, the `n` new files
//! (sorted by name, the camera's numbering) belong to the `n` oldest waiting captures. More new
//! files than captures (someone else took photos, or a file we gave up on showed up late), a
//! count that went down (card swapped, files deleted), or no base learned before the capture:
//! the waiting captures are given up ([`GiveUp`]) and the base is learned afresh.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::api::{
    parse_count, parse_directories, parse_list, ApiError, ApiQuery, MediaFile, MediaKind, LIST_PAGE,
};

/// First look for a new file after a capture (public clients wait about 0.5 s).
pub const FIRST_LOOK: Duration = Duration::from_millis(500);
/// Longest gap between two looks.
pub const MAX_LOOK_GAP: Duration = Duration::from_secs(2);
/// A capture whose file is not listed this long after it is given up.
pub const FIND_WITHIN: Duration = Duration::from_secs(8);
/// While the base is not known, it is asked again this late after a failure, doubling up to
/// [`MAX_BASE_RETRY`] (an absent web server is not polled hard).
pub const RETRY_BASE_AFTER: Duration = Duration::from_secs(5);
/// Longest gap between two attempts to learn the base.
pub const MAX_BASE_RETRY: Duration = Duration::from_secs(60);

/// Why a capture's file was not found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GiveUp {
    /// The web server did not answer usefully before the deadline.
    NoAnswer,
    /// No new file was listed before the deadline.
    NotListed,
    /// The count changed in a way that does not match the captures (more new files than
    /// captures, or fewer files than before).
    Ambiguous,
    /// The capture happened before the file count was known.
    NoBase,
}

impl GiveUp {
    /// Why, for logs.
    pub fn text(self) -> &'static str {
        match self {
            Self::NoAnswer => "the camera's web server did not answer",
            Self::NotListed => "no new file was listed in time",
            Self::Ambiguous => "the card's file count changed in a way that matches no capture",
            Self::NoBase => "the card's file count was not known before the capture",
        }
    }
}

/// A capture's file, found.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Found {
    /// The capture's tag (the image index for a photo).
    pub tag: i64,
    /// Its file.
    pub file: MediaFile,
}

/// What a [`Finder`] concluded.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// A capture's file.
    Found(Found),
    /// A capture whose file will not be known.
    GaveUp {
        /// The capture's tag.
        tag: i64,
        /// Why.
        why: GiveUp,
    },
    /// A listing entry was refused (a foreign host, an unsafe name): never fetched.
    Refused {
        /// The entry's URL or name and why.
        what: String,
    },
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Base {
    /// The newest directory's `path`.
    dir: String,
    /// Its file count.
    count: u32,
}

#[derive(Clone, Copy, Debug)]
struct Waiting {
    tag: i64,
    deadline: Instant,
}

/// Where the finder is.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Step {
    /// Nothing to do until `at` (None: until a capture or a sync).
    Idle(Option<Instant>),
    /// `getdirectories` asked.
    Dirs,
    /// `getmediacount` of `dir` asked.
    Count { dir: String },
    /// `getmedialist` of the new files of `dir` asked (base count `from`, new count `to`).
    List { dir: String, from: u32, to: u32 },
}

/// The file finder of one kind of media. See the module docs.
#[derive(Debug)]
pub struct Finder {
    kind: MediaKind,
    camera_host: String,
    base: Option<Base>,
    waiting: VecDeque<Waiting>,
    step: Step,
    /// A request is out: [`Finder::poll_query`] gave it, [`Finder::answer`] not yet called.
    asking: bool,
    /// Gap before the next look while captures wait.
    gap: Duration,
    /// Gap before the next attempt to learn the base after a failure.
    base_retry: Duration,
    /// The last request failed (no answer, an error page).
    failing: bool,
    outcomes: VecDeque<Outcome>,
}

impl Finder {
    /// A finder of `kind` files on the camera reached at `camera_host`.
    pub fn new(kind: MediaKind, camera_host: &str) -> Self {
        Self {
            kind,
            camera_host: camera_host.to_owned(),
            base: None,
            waiting: VecDeque::new(),
            step: Step::Idle(None),
            asking: false,
            gap: FIRST_LOOK,
            base_retry: RETRY_BASE_AFTER,
            failing: false,
            outcomes: VecDeque::new(),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// Learns the base afresh now (the camera came up or rebooted; a capture was given up):
    /// captures waiting are given up when the new count does not explain them.
    pub fn sync(&mut self, now: Instant) {
        if self.waiting.is_empty() {
            self.base = None;
        }
        if matches!(self.step, Step::Idle(_)) {
            self.step = Step::Idle(Some(now));
        }
    }

    /// A capture tagged `tag` succeeded at `now`: its file is looked for.
    pub fn captured(&mut self, now: Instant, tag: i64) {
        if self.base.is_none() {
            self.outcomes.push_back(Outcome::GaveUp {
                tag,
                why: GiveUp::NoBase,
            });
            return;
        }
        self.waiting.push_back(Waiting {
            tag,
            deadline: now + FIND_WITHIN,
        });
        if self.waiting.len() == 1 {
            self.gap = FIRST_LOOK;
            if matches!(self.step, Step::Idle(_)) {
                self.step = Step::Idle(Some(now + FIRST_LOOK));
            }
        }
    }

    /// Captures waiting for their file.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The next request to send at `now`, if one is due (one at a time).
    pub fn poll_query(&mut self, now: Instant) -> Option<ApiQuery> {
        if self.asking {
            return None;
        }
        let q = match &self.step {
            Step::Idle(Some(at)) if now >= *at => {
                self.step = Step::Dirs;
                ApiQuery::Directories
            }
            Step::Idle(_) => return None,
            Step::Dirs => ApiQuery::Directories,
            Step::Count { dir } => ApiQuery::Count { path: dir.clone() },
            Step::List { dir, from, to } => ApiQuery::List {
                path: dir.clone(),
                start: *from,
                count: (to - from).min(LIST_PAGE),
            },
        };
        self.asking = true;
        Some(q)
    }

    /// When [`Finder::poll_query`] has something to send next (None: nothing planned).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let deadline = self.waiting.front().map(|w| w.deadline);
        // A step other than `Idle` is asked at once by whoever drains `poll_query`.
        let at = match (&self.step, self.asking) {
            (Step::Idle(at), false) => *at,
            _ => None,
        };
        match (at, deadline) {
            (Some(a), Some(d)) => Some(a.min(d)),
            (a, d) => a.or(d),
        }
    }

    /// When the oldest waiting capture is given up.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.waiting.front().map(|w| w.deadline)
    }

    /// Gives up the captures whose deadline passed (call from the timer).
    pub fn handle_timeout(&mut self, now: Instant) {
        let why = if self.failing {
            GiveUp::NoAnswer
        } else {
            GiveUp::NotListed
        };
        self.expire(now, why);
    }

    fn expire(&mut self, now: Instant, why: GiveUp) {
        let mut gave_up = false;
        while let Some(w) = self.waiting.front().copied().filter(|w| now >= w.deadline) {
            self.waiting.pop_front();
            self.outcomes.push_back(Outcome::GaveUp { tag: w.tag, why });
            gave_up = true;
        }
        // A file given up on may still show up: the count is learned afresh.
        if gave_up && self.waiting.is_empty() {
            self.base = None;
            if self.step == Step::Idle(None) {
                self.step = Step::Idle(Some(now));
            }
        }
    }

    /// The answer to the last query: `Ok((status, body))`, or `Err` when none came (no
    /// connection, a timeout, an over-long answer).
    pub fn answer(&mut self, now: Instant, answer: Result<(u16, &[u8]), ApiError>) {
        self.asking = false;
        let step = std::mem::replace(&mut self.step, Step::Idle(None));
        let result = answer.and_then(|(status, body)| self.judge(now, step, status, body));
        self.failing = result.is_err();
        if result.is_err() {
            // Try again, backing off; the deadlines give the captures up meanwhile.
            let retry = if !self.waiting.is_empty() {
                Some(self.next_gap())
            } else if self.base.is_none() {
                let r = self.base_retry;
                self.base_retry = (r * 2).min(MAX_BASE_RETRY);
                Some(r)
            } else {
                None
            };
            self.step = Step::Idle(retry.map(|r| now + r));
            self.expire(now, GiveUp::NoAnswer);
        } else if self.base.is_some() {
            self.base_retry = RETRY_BASE_AFTER;
        }
    }

    fn next_gap(&mut self) -> Duration {
        let gap = self.gap;
        self.gap = (self.gap * 3 / 2).min(MAX_LOOK_GAP);
        gap
    }

    fn judge(
        &mut self,
        now: Instant,
        step: Step,
        status: u16,
        body: &[u8],
    ) -> Result<(), ApiError> {
        match step {
            Step::Dirs => {
                let dirs = parse_directories(status, body)?;
                match dirs.last() {
                    Some(d) => {
                        self.step = Step::Count {
                            dir: d.path.clone(),
                        }
                    }
                    // An empty card: the base is 0 files in a directory not yet made.
                    None => self.counted(now, String::new(), 0),
                }
            }
            Step::Count { dir } => {
                let count = parse_count(status, body)?;
                self.counted(now, dir, count);
            }
            Step::List { dir, from, to } => {
                let list = parse_list(status, body)?;
                self.listed(now, dir, from, to, list);
            }
            Step::Idle(_) => {}
        }
        Ok(())
    }

    fn counted(&mut self, now: Instant, dir: String, count: u32) {
        let Some(base) = self.base.clone() else {
            // First count: the base. Captures cannot wait without one (see `captured`).
            self.base = Some(Base { dir, count });
            return;
        };
        // A new newest directory: its files are all new.
        let from = if base.dir == dir { base.count } else { 0 };
        if count < from {
            self.ambiguous(dir, count);
        } else if count == from {
            self.look_again(now);
        } else if (count - from) as usize > self.waiting.len() {
            self.ambiguous(dir, count);
        } else {
            self.step = Step::List {
                dir,
                from,
                to: count,
            };
        }
    }

    fn look_again(&mut self, now: Instant) {
        if !self.waiting.is_empty() {
            let gap = self.next_gap();
            self.step = Step::Idle(Some(now + gap));
        }
    }

    fn ambiguous(&mut self, dir: String, count: u32) {
        for w in self.waiting.drain(..) {
            self.outcomes.push_back(Outcome::GaveUp {
                tag: w.tag,
                why: GiveUp::Ambiguous,
            });
        }
        self.base = Some(Base { dir, count });
    }

    fn listed(
        &mut self,
        now: Instant,
        dir: String,
        from: u32,
        to: u32,
        list: Vec<super::api::ListEntry>,
    ) {
        let mut files = Vec::new();
        for entry in list {
            match MediaFile::from_entry(&entry, &self.camera_host) {
                Ok(f) => files.push(f),
                Err(e) => self.outcomes.push_back(Outcome::Refused {
                    what: format!("{:?}: {e}", entry.name),
                }),
            }
        }
        files.sort();
        let asked = (to - from).min(LIST_PAGE) as usize;
        if files.len() != asked {
            // The page does not hold exactly the new files: nothing can be matched by order.
            return self.ambiguous(dir, to);
        }
        for file in files {
            if let Some(w) = self.waiting.pop_front() {
                self.outcomes
                    .push_back(Outcome::Found(Found { tag: w.tag, file }));
            }
        }
        let next = from + asked as u32;
        self.base = Some(Base {
            dir: dir.clone(),
            count: next,
        });
        if next < to {
            self.step = Step::List {
                dir,
                from: next,
                to,
            };
        } else {
            self.gap = FIRST_LOOK;
            self.look_again(now);
        }
    }

    /// Next conclusion.
    pub fn poll_outcome(&mut self) -> Option<Outcome> {
        self.outcomes.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::GiveUp;

    #[test]
    fn each_reason_says_what_happened() {
        let all = [
            GiveUp::NoAnswer,
            GiveUp::NotListed,
            GiveUp::Ambiguous,
            GiveUp::NoBase,
        ];
        let texts: Vec<_> = all.iter().map(|w| w.text()).collect();
        assert!(texts[0].contains("did not answer"));
        assert!(texts[1].contains("no new file"));
        assert!(texts[2].contains("matches no capture"));
        assert!(texts[3].contains("not known before"));
        let distinct: std::collections::BTreeSet<_> = texts.iter().collect();
        assert_eq!(distinct.len(), all.len());
    }
}
