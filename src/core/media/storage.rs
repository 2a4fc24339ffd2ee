//! What the card holds, for STORAGE_INFORMATION: the sum of the sizes of its files.
//!
//! No SIYI command tells the card's capacity or free space (`siyi-protocol.md` §8b). When the
//! user gives the card's size (`--sd-card-gib`), the used space is learned from the web server:
//! one scan (every directory of photos and videos, page by page, a HEAD per file for its size)
//! when the camera comes up, then a HEAD for each new file. Until the scan is complete the
//! figures are unknown (never a made-up number).
//!
//! Owns: the sizes of the files seen, the scan's work list. Never touches: MAVLink, the card's
//! presence (the link's 0x0A record state says that).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::api::{
    parse_directories, parse_list, ApiError, ApiQuery, MediaFile, MediaKind, LIST_PAGE,
};

/// After a failed scan, the next one starts this late.
pub const RESCAN_AFTER_FAILURE: Duration = Duration::from_secs(60);

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
        self.todo = [MediaKind::Photos, MediaKind::Videos]
            .map(|kind| Task::Api {
                kind,
                query: ApiQuery::Directories,
            })
            .into();
    }

    /// A new file was found: its size is asked.
    pub fn file_added(&mut self, file: MediaFile) {
        if self.card_bytes.is_some() && !self.sizes.contains_key(&file) {
            self.todo.push_back(Task::Head(file));
        }
    }

    /// The next step to run, if any (the caller runs one at a time and answers it).
    pub fn next_task(&mut self, now: Instant) -> Option<Task> {
        if self.rescan_at.is_some_and(|at| now >= at) {
            self.scan();
        }
        if self.current.is_some() {
            return None;
        }
        self.current = self.todo.pop_front();
        self.current.clone()
    }

    /// When a rescan is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.rescan_at
    }

    /// The answer to an API step: `Ok((status, body))` or no answer.
    pub fn api_answer(&mut self, now: Instant, answer: Result<(u16, &[u8]), ApiError>) {
        let Some(Task::Api { kind, query }) = self.current.take() else {
            return;
        };
        let done = answer.and_then(|(status, body)| match query {
            ApiQuery::Directories => {
                for d in parse_directories(status, body)? {
                    self.todo.push_back(Task::Api {
                        kind,
                        query: ApiQuery::List {
                            path: d.path,
                            start: 0,
                            count: LIST_PAGE,
                        },
                    });
                }
                Ok(())
            }
            ApiQuery::List { path, start, .. } => {
                let list = parse_list(status, body)?;
                if list.len() as u32 >= LIST_PAGE {
                    self.todo.push_back(Task::Api {
                        kind,
                        query: ApiQuery::List {
                            path,
                            start: start + LIST_PAGE,
                            count: LIST_PAGE,
                        },
                    });
                }
                for e in &list {
                    // Refused entries are the finder's to report; here they are just not counted.
                    if let Ok(f) = MediaFile::from_entry(e, &self.camera_host) {
                        if !self.sizes.contains_key(&f) {
                            self.todo.push_back(Task::Head(f));
                        }
                    }
                }
                Ok(())
            }
            ApiQuery::Count { .. } => Ok(()),
        });
        match done {
            Ok(()) => self.check_complete(),
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
