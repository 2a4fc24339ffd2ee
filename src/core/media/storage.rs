//! What the card holds, for STORAGE_INFORMATION: the sum of the sizes of its files.
//!
//! No SIYI command tells the card's capacity or free space (`siyi-protocol.md` §8b). When the
//! user gives the card's size (`--sd-card-gib`), the used space is learned from the web server:
//! one scan (every directory of photos and videos: its count, then page by page, a HEAD per file
//! for its size) when the camera comes up, then a HEAD for each new file. Until the scan is
//! complete the figures are unknown (never a made-up number).
//!
//! Bounded whatever the camera announces: one request at a time and at most one every
//! [`REQUEST_GAP`] (≤ 20 requests/s, HEAD or API), at most [`MAX_LISTING_FILES`] files,
//! [`MAX_DIRECTORIES`] directories and [`MAX_LIST_PAGES`] pages per scan; a page's HEADs are
//! asked before the next page, so the work list holds at most a page of files. A card that
//! exceeds a limit is reported once ([`Storage::poll_exceeded`]); its figures stay unknown and it
//! is not scanned again until the camera comes up again.
//!
//! Owns: the sizes of the files seen, the scan's work list. Never touches: MAVLink, the card's
//! presence (the link's 0x0A record state says that).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::api::{
    parse_count, parse_directories, parse_list, ApiError, ApiQuery, MediaFile, MediaKind, LIST_PAGE,
};
use super::listing::{LimitExceeded, MAX_DIRECTORIES, MAX_LISTING_FILES, MAX_LIST_PAGES};

/// After a failed scan, the next one starts this late.
pub const RESCAN_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// Shortest gap between two requests of the scan: at most 20 requests per second to the
/// camera's web server (a card of 10 000 photos is scanned in about 8 minutes).
pub const REQUEST_GAP: Duration = Duration::from_millis(50);

/// Bytes in a MiB (MAVLink's storage unit).
const MIB: f64 = 1024.0 * 1024.0;

/// One step of the scan.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Task {
    /// An API request.
    Api {
        /// Photos or videos.
        kind: MediaKind,
        /// What to ask.
        query: ApiQuery,
    },
    /// The size of a file (HTTP HEAD).
    Head(MediaFile),
}

/// The card's figures, MiB.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Figures {
    /// Card size, as the user gave it.
    pub total_mib: f32,
    /// Sum of the sizes of the files on it.
    pub used_mib: f32,
    /// `total − used`, at least 0.
    pub available_mib: f32,
}

/// The card's use. See the module docs.
#[derive(Debug)]
pub struct Storage {
    card_bytes: Option<u64>,
    camera_host: String,
    sizes: BTreeMap<MediaFile, u64>,
    todo: VecDeque<Task>,
    /// The step asked and not answered yet.
    current: Option<Task>,
    /// The last full scan completed and nothing failed since.
    complete: bool,
    /// When to start a scan (after a failure).
    rescan_at: Option<Instant>,
    /// No request before this ([`REQUEST_GAP`] after the last).
    next_at: Option<Instant>,
    /// Files the directories of this scan announce (their counts summed).
    announced: u64,
    /// Directories and pages asked in this scan.
    dirs: usize,
    pages: u32,
    /// The limit the card exceeded (no rescan until the camera comes up again), and whether
    /// it was reported.
    exceeded: Option<(LimitExceeded, bool)>,
}

impl Storage {
    /// Storage of a card of `card_bytes` (None: size not given, nothing is scanned).
    pub fn new(card_bytes: Option<u64>, camera_host: &str) -> Self {
        Self {
            card_bytes,
            camera_host: camera_host.to_owned(),
            sizes: BTreeMap::new(),
            todo: VecDeque::new(),
            current: None,
            complete: false,
            rescan_at: None,
            next_at: None,
            announced: 0,
            dirs: 0,
            pages: 0,
            exceeded: None,
        }
    }

    /// Starts a full scan (the camera came up).
    pub fn scan(&mut self) {
        if self.card_bytes.is_none() {
            return;
        }
        self.sizes.clear();
        self.complete = false;
        self.rescan_at = None;
        self.announced = 0;
        self.dirs = 0;
        self.pages = 0;
        self.exceeded = None;
        self.todo = [MediaKind::Photos, MediaKind::Videos]
            .map(|kind| Task::Api {
                kind,
                query: ApiQuery::Directories,
            })
            .into();
    }

    /// A new file was found: its size is asked.
    pub fn file_added(&mut self, file: MediaFile) {
        if self.card_bytes.is_some()
            && self.exceeded.is_none()
            && self.sizes.len() < MAX_LISTING_FILES
            && !self.sizes.contains_key(&file)
        {
            self.todo.push_back(Task::Head(file));
        }
    }

    /// The next step to run, if any (the caller runs one at a time and answers it).
    pub fn next_task(&mut self, now: Instant) -> Option<Task> {
        if self.rescan_at.is_some_and(|at| now >= at) {
            self.scan();
        }
        if self.current.is_some() || self.next_at.is_some_and(|at| now < at) {
            return None;
        }
        self.current = self.todo.pop_front();
        if self.current.is_some() {
            self.next_at = Some(now + REQUEST_GAP);
        }
        self.current.clone()
    }

    /// When a rescan or the next request is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let next = self
            .next_at
            .filter(|_| self.current.is_none() && !self.todo.is_empty());
        [self.rescan_at, next].into_iter().flatten().min()
    }

    /// The limit the card exceeded, once (then `None`).
    pub fn poll_exceeded(&mut self) -> Option<LimitExceeded> {
        match &mut self.exceeded {
            Some((e, said @ false)) => {
                *said = true;
                Some(e.clone())
            }
            _ => None,
        }
    }

    fn exceed(&mut self, e: LimitExceeded) {
        self.todo.clear();
        self.current = None;
        self.complete = false;
        self.rescan_at = None;
        self.exceeded = Some((e, false));
    }

    /// The answer to an API step: `Ok((status, body))` or no answer.
    pub fn api_answer(&mut self, now: Instant, answer: Result<(u16, &[u8]), ApiError>) {
        let Some(Task::Api { kind, query }) = self.current.take() else {
            return;
        };
        let noun = kind.noun();
        let done = answer.and_then(|(status, body)| match query {
            ApiQuery::Directories => {
                let dirs = parse_directories(status, body)?;
                self.dirs += dirs.len();
                if self.dirs > MAX_DIRECTORIES {
                    return Ok(Some(LimitExceeded::Directories {
                        noun,
                        announced: self.dirs,
                    }));
                }
                for d in dirs {
                    self.todo.push_back(Task::Api {
                        kind,
                        query: ApiQuery::Count { path: d.path },
                    });
                }
                Ok(None)
            }
            ApiQuery::Count { path } => {
                let count = parse_count(status, body)?;
                let before = self.announced;
                self.announced += u64::from(count);
                if self.announced > MAX_LISTING_FILES as u64 {
                    return Ok(Some(LimitExceeded::Files {
                        noun,
                        dir: path.chars().take(64).collect(),
                        announced: count,
                        before: usize::try_from(before).unwrap_or(usize::MAX),
                    }));
                }
                if count > 0 {
                    self.todo.push_back(Task::Api {
                        kind,
                        query: ApiQuery::List {
                            path,
                            start: 0,
                            count: LIST_PAGE,
                        },
                    });
                }
                Ok(None)
            }
            ApiQuery::List { path, start, .. } => {
                let list = parse_list(status, body)?;
                self.pages += 1;
                for e in list.iter().take(LIST_PAGE as usize) {
                    // Refused entries are the finder's to report; here they are just not counted.
                    if let Ok(f) = MediaFile::from_entry(e, &self.camera_host) {
                        if !self.sizes.contains_key(&f)
                            && !self.todo.contains(&Task::Head(f.clone()))
                        {
                            self.todo.push_back(Task::Head(f));
                        }
                    }
                }
                let queued = self.todo.len() + self.sizes.len();
                if queued > MAX_LISTING_FILES {
                    return Ok(Some(LimitExceeded::Files {
                        noun,
                        dir: path.chars().take(64).collect(),
                        announced: u32::try_from(queued).unwrap_or(u32::MAX),
                        before: self.sizes.len(),
                    }));
                }
                // The next page after this page's HEADs: the work list holds one page at most.
                if list.len() as u64 >= u64::from(LIST_PAGE) {
                    if self.pages >= MAX_LIST_PAGES {
                        return Ok(Some(LimitExceeded::Pages { noun }));
                    }
                    self.todo.push_back(Task::Api {
                        kind,
                        query: ApiQuery::List {
                            path,
                            start: start.saturating_add(LIST_PAGE),
                            count: LIST_PAGE,
                        },
                    });
                }
                Ok(None)
            }
        });
        match done {
            Ok(None) => self.check_complete(),
            Ok(Some(e)) => self.exceed(e),
            Err(_) => self.failed(now),
        }
    }

    /// The answer to a HEAD step: the size (None: the server gave none), or no answer.
    pub fn head_answer(&mut self, now: Instant, size: Result<Option<u64>, ()>) {
        let Some(Task::Head(file)) = self.current.take() else {
            return;
        };
        match size {
            Ok(Some(bytes)) => {
                self.sizes.insert(file, bytes);
                self.check_complete();
            }
            // A file without a size cannot be counted: the figures stay unknown.
            _ => self.failed(now),
        }
    }

    fn check_complete(&mut self) {
        if self.todo.is_empty() && self.current.is_none() {
            self.complete = true;
        }
    }

    fn failed(&mut self, now: Instant) {
        self.todo.clear();
        self.current = None;
        self.complete = false;
        self.rescan_at = Some(now + RESCAN_AFTER_FAILURE);
    }

    /// Bytes used by the files seen (only meaningful once the scan is complete).
    pub fn used_bytes(&self) -> u64 {
        self.sizes.values().sum()
    }

    /// The figures, when the card's size was given and its files are all counted.
    pub fn figures(&self) -> Option<Figures> {
        let total = self.card_bytes?;
        if !self.complete {
            return None;
        }
        let used = self.used_bytes();
        Some(Figures {
            total_mib: (total as f64 / MIB) as f32,
            used_mib: (used as f64 / MIB) as f32,
            available_mib: (total.saturating_sub(used) as f64 / MIB) as f32,
        })
    }
}
