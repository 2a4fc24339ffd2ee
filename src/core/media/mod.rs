//! The camera's media (its SD card, served by its web server on HTTP port 82), sans-IO: what to
//! ask and what the answers mean.
//!
//! [`Media`] is a service the camera component hosts: it finds the file of each photo and
//! recording ([`finder`]), and learns how much of the card is used ([`storage`]). It asks the
//! web server one request at a time ([`Media::poll_request`]); the I/O shell runs each and
//! hands the answer back ([`Media::handle_reply`]). [`api`] is the web API's vocabulary.
//!
//! For `siyi-bridge media` (list and pull): [`listing`] walks a kind's files page by page,
//! The geotags of pulled photos (matching them to the captured-image records) are the camera's:
//! `cli::media::geotag`.
//!
//! Owns: the finders, the storage figures, the request in flight, whether the web server
//! answers. Never touches: MAVLink (the camera turns [`MediaEvent`]s into messages), the link.

pub mod api;
pub mod finder;
pub mod listing;
pub mod storage;

use std::collections::VecDeque;
use std::time::Instant;

use url::Url;

use api::{ApiError, ApiQuery, MediaFile, MediaKind};
use finder::{Finder, GiveUp, Outcome};
use storage::{Figures, Storage, Task};

/// Configuration of the media service.
#[derive(Clone, PartialEq, Debug)]
pub struct MediaConfig {
    /// The host the bridge reaches the camera's web server at (listing URLs naming it or the
    /// factory address are taken; any other host is refused).
    pub camera_host: String,
    /// Base of the file URLs given to ground stations (`http://<camera>:82`, or
    /// `--media-url-base`).
    pub url_base: Url,
    /// The card's size in bytes, if the user gave it (`--sd-card-gib`).
    pub card_bytes: Option<u64>,
}

/// A request for the web server.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Request {
    /// An API call.
    Api {
        /// Photos or videos.
        kind: MediaKind,
        /// What to ask.
        query: ApiQuery,
    },
    /// The size of a file (HTTP HEAD of its path).
    Head(MediaFile),
}

/// A numbered request; answer it with [`Media::handle_reply`] and the same id.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MediaRequest {
    /// Its id.
    pub id: u64,
    /// What to send.
    pub request: Request,
}

/// The shell's answer to a [`MediaRequest`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Reply {
    /// To an API call: the HTTP status and body, or why none came.
    Api(Result<(u16, Vec<u8>), ApiError>),
    /// To a HEAD: the size in bytes (None: no Content-Length), or `Err` when none came.
    Head(Result<Option<u64>, ()>),
}

/// What the media service tells the camera.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MediaEvent {
    /// The file of a capture: photo `tag` = image index; video `tag` = its recording number.
    Found {
        /// Photos or videos.
        kind: MediaKind,
        /// The capture's tag.
        tag: i64,
        /// Its file.
        file: MediaFile,
    },
    /// A capture whose file will not be known.
    GaveUp {
        /// Photos or videos.
        kind: MediaKind,
        /// The capture's tag.
        tag: i64,
        /// Why.
        why: GiveUp,
    },
    /// A listing entry refused (never fetched): a foreign host or an unsafe name.
    Refused {
        /// Which and why.
        what: String,
    },
    /// The card exceeds a limit of the storage scan (said once per scan): its figures stay
    /// unknown.
    LimitExceeded {
        /// Which, in words.
        what: String,
    },
    /// The web server stopped answering usefully (said once per outage).
    ServerDown,
    /// It answers again.
    ServerBack,
}

/// Who a request in flight belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Owner {
    Finder(MediaKind),
    Storage,
}

/// The media service. See the module docs.
#[derive(Debug)]
pub struct Media {
    config: MediaConfig,
    photos: Finder,
    videos: Finder,
    storage: Storage,
    next_id: u64,
    in_flight: Option<(u64, Owner)>,
    out: VecDeque<MediaRequest>,
    events: VecDeque<MediaEvent>,
    /// Whether the web server answered the last request usefully (None: not asked yet).
    server_up: Option<bool>,
}

impl Media {
    /// A media service for the camera described by `config`.
    pub fn new(config: MediaConfig) -> Self {
        Self {
            photos: Finder::new(MediaKind::Photos, &config.camera_host),
            videos: Finder::new(MediaKind::Videos, &config.camera_host),
            storage: Storage::new(config.card_bytes, &config.camera_host),
            config,
            next_id: 0,
            in_flight: None,
            out: VecDeque::new(),
            events: VecDeque::new(),
            server_up: None,
        }
    }

    /// The URL of `file` for ground stations.
    pub fn url(&self, file: &MediaFile) -> String {
        file.url(&self.config.url_base)
    }

    /// The camera came up (or back after a reboot): learn the file counts, scan the card.
    pub fn camera_up(&mut self, now: Instant) {
        self.photos.sync(now);
        self.videos.sync(now);
        self.storage.scan();
        self.pump(now);
    }

    /// A capture succeeded: photo `tag` = its image index. Its file is looked for; the outcome
    /// comes as [`MediaEvent::Found`] or [`MediaEvent::GaveUp`] (at once when the file count was
    /// not known before the capture).
    pub fn captured(&mut self, now: Instant, kind: MediaKind, tag: i64) {
        self.finder(kind).captured(now, tag);
        self.pump(now);
    }

    fn finder(&mut self, kind: MediaKind) -> &mut Finder {
        match kind {
            MediaKind::Photos => &mut self.photos,
            MediaKind::Videos => &mut self.videos,
        }
    }

    /// The answer to request `id` (an unknown or stale id is ignored).
    pub fn handle_reply(&mut self, now: Instant, id: u64, reply: Reply) {
        let Some((_, owner)) = self.in_flight.filter(|(i, _)| *i == id) else {
            return;
        };
        self.in_flight = None;
        let useful = match (&reply, owner) {
            (Reply::Api(r), _) => r.as_ref().is_ok_and(|(s, _)| (200..300).contains(s)),
            (Reply::Head(r), _) => r.is_ok(),
        };
        self.server_answered(useful);
        match (owner, reply) {
            (Owner::Finder(kind), Reply::Api(r)) => {
                let answer = r
                    .as_ref()
                    .map(|(s, b)| (*s, b.as_slice()))
                    .map_err(Clone::clone);
                self.finder(kind).answer(now, answer);
            }
            (Owner::Storage, Reply::Api(r)) => {
                let answer = r
                    .as_ref()
                    .map(|(s, b)| (*s, b.as_slice()))
                    .map_err(Clone::clone);
                self.storage.api_answer(now, answer);
            }
            (Owner::Storage, Reply::Head(r)) => self.storage.head_answer(now, r),
            (Owner::Finder(_), Reply::Head(_)) => {}
        }
        self.pump(now);
    }

    fn server_answered(&mut self, useful: bool) {
        match (self.server_up, useful) {
            (Some(true) | None, false) => self.events.push_back(MediaEvent::ServerDown),
            (Some(false), true) => self.events.push_back(MediaEvent::ServerBack),
            _ => {}
        }
        self.server_up = Some(useful);
    }

    /// Timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.photos.handle_timeout(now);
        self.videos.handle_timeout(now);
        self.pump(now);
    }

    /// When [`Media::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        // With a request in flight nothing new is asked: only the deadlines count.
        let steps = if self.in_flight.is_some() {
            [None; 3]
        } else {
            [
                self.photos.poll_timeout(),
                self.videos.poll_timeout(),
                self.storage.poll_timeout(),
            ]
        };
        let deadlines = [self.photos.next_deadline(), self.videos.next_deadline()];
        steps.into_iter().chain(deadlines).flatten().min()
    }

    /// Collects conclusions and starts the next request if none is in flight: photos first,
    /// then videos, then the storage scan.
    fn pump(&mut self, now: Instant) {
        for kind in [MediaKind::Photos, MediaKind::Videos] {
            while let Some(o) = self.finder(kind).poll_outcome() {
                let found = match &o {
                    Outcome::Found(f) => Some(f.file.clone()),
                    _ => None,
                };
                self.events.push_back(match o {
                    Outcome::Found(f) => MediaEvent::Found {
                        kind,
                        tag: f.tag,
                        file: f.file,
                    },
                    Outcome::GaveUp { tag, why } => MediaEvent::GaveUp { kind, tag, why },
                    Outcome::Refused { what } => MediaEvent::Refused { what },
                });
                if let Some(file) = found {
                    self.storage.file_added(file);
                }
            }
        }
        if let Some(e) = self.storage.poll_exceeded() {
            self.events.push_back(MediaEvent::LimitExceeded {
                what: e.to_string(),
            });
        }
        if self.in_flight.is_some() {
            return;
        }
        let next = [MediaKind::Photos, MediaKind::Videos]
            .into_iter()
            .find_map(|kind| {
                let q = self.finder(kind).poll_query(now)?;
                Some((Owner::Finder(kind), Request::Api { kind, query: q }))
            })
            .or_else(|| {
                self.storage.next_task(now).map(|t| {
                    let r = match t {
                        Task::Api { kind, query } => Request::Api { kind, query },
                        Task::Head(f) => Request::Head(f),
                    };
                    (Owner::Storage, r)
                })
            });
        if let Some((owner, request)) = next {
            self.next_id += 1;
            self.in_flight = Some((self.next_id, owner));
            self.out.push_back(MediaRequest {
                id: self.next_id,
                request,
            });
        }
    }

    /// Next request for the web server.
    pub fn poll_request(&mut self) -> Option<MediaRequest> {
        self.out.pop_front()
    }

    /// Next event for the camera.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// The card's figures, when its size was given and its files are all counted.
    pub fn figures(&self) -> Option<Figures> {
        self.storage.figures()
    }

    /// Photos waiting for their file.
    pub fn photos_waiting(&self) -> usize {
        self.photos.waiting()
    }
}
