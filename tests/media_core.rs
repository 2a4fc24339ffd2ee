//! The media service on virtual time against a model of the camera's web server: each photo's
//! file found by order and count, given up when it cannot be (never guessed), a web server that
//! is absent or slow, a camera reboot in between, and the card's figures.

use std::time::{Duration, Instant};

use siyi_bridge::core::media::api::{ApiError, ApiQuery, MediaKind};
use siyi_bridge::core::media::finder::{GiveUp, FIND_WITHIN};
use siyi_bridge::core::media::{Media, MediaConfig, MediaEvent, Reply, Request};
use siyi_bridge::testing::SpinGuard;

/// The camera's card and web server, as the API shows them.
#[derive(Default)]
struct Card {
    /// (directory, files), in order.
    photos: Vec<(String, Vec<String>)>,
    videos: Vec<(String, Vec<String>)>,
    /// File sizes, bytes (every file 1000 unless set).
    size_bytes: u64,
    /// The server does not answer at all.
    absent: bool,
    /// Entries listed with this host instead of the factory address.
    host: Option<String>,
    /// The count every directory announces, whatever it holds.
    announce: Option<u32>,
    /// Requests answered.
    asked: Vec<Request>,
}

impl Card {
    fn with_photos(n: usize) -> Self {
        Self {
            photos: vec![("101SIYI_IMG".into(), (1..=n).map(img).collect())],
            size_bytes: 1000,
            ..Self::default()
        }
    }

    fn take_photo(&mut self) {
        let dir = &mut self.photos.last_mut().expect("a directory").1;
        let next = dir.len() + 1;
        dir.push(img(next));
    }

    fn dirs(&self, kind: MediaKind) -> &Vec<(String, Vec<String>)> {
        match kind {
            MediaKind::Photos => &self.photos,
            MediaKind::Videos => &self.videos,
        }
    }

    fn answer(&mut self, request: &Request) -> Reply {
        self.asked.push(request.clone());
        if self.absent {
            return match request {
                Request::Api { .. } => Reply::Api(Err(ApiError::NoAnswer("refused".into()))),
                Request::Head(_) => Reply::Head(Err(())),
            };
        }
        let ok = |data: serde_json::Value| {
            let body = serde_json::json!({"code": 200, "success": true, "message": "success", "data": data});
            Reply::Api(Ok((200, body.to_string().into_bytes())))
        };
        match request {
            Request::Head(_) => Reply::Head(Ok(Some(self.size_bytes))),
            Request::Api { kind, query } => {
                let dirs = self.dirs(*kind);
                match query {
                    ApiQuery::Directories => ok(serde_json::json!({"directories": dirs
                        .iter()
                        .map(|(d, _)| serde_json::json!({"name": d, "path": d}))
                        .collect::<Vec<_>>()})),
                    ApiQuery::Count { path } => {
                        let n: usize = dirs
                            .iter()
                            .filter(|(d, _)| path.is_empty() || d == path)
                            .map(|(_, f)| f.len())
                            .sum();
                        ok(serde_json::json!({"count": self.announce.map_or(n, |a| a as usize)}))
                    }
                    ApiQuery::List { path, start, count } => {
                        let host = self.host.clone().unwrap_or("192.168.144.25".into());
                        let list: Vec<_> = dirs
                            .iter()
                            .filter(|(d, _)| d == path)
                            .flat_map(|(d, f)| f.iter().map(move |n| (d.clone(), n.clone())))
                            .skip(*start as usize)
                            .take(*count as usize)
                            .map(|(d, n)| serde_json::json!({"name": n, "url": format!("http://{host}:82/photo/{d}/{n}")}))
                            .collect();
                        ok(serde_json::json!({"list": list}))
                    }
                }
            }
        }
    }
}

fn img(n: usize) -> String {
    format!("IMG_{n:04}.jpg")
}

/// The media service and the card, on virtual time; the web server answers after `latency`.
struct Rig {
    media: Media,
    card: Card,
    now: Instant,
    start: Instant,
    latency: Duration,
    /// A request in flight and when its answer arrives.
    in_flight: Option<(Instant, u64, Request)>,
    events: Vec<(Duration, MediaEvent)>,
    guard: SpinGuard,
}

impl Rig {
    #[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
    fn new(card: Card, card_bytes: Option<u64>) -> Self {
        let now = Instant::now();
        let media = Media::new(MediaConfig {
            camera_host: "10.1.2.3".into(),
            url_base: "http://10.1.2.3:82".parse().unwrap(),
            card_bytes,
        });
        Self {
            media,
            card,
            now,
            start: now,
            latency: Duration::from_millis(20),
            in_flight: None,
            events: Vec::new(),
            guard: SpinGuard::new("media rig", now),
        }
    }

    fn collect(&mut self) {
        while let Some(r) = self.media.poll_request() {
            assert!(self.in_flight.is_none(), "two requests in flight");
            self.in_flight = Some((self.now + self.latency, r.id, r.request));
        }
        while let Some(e) = self.media.poll_event() {
            self.events.push((self.now - self.start, e));
        }
    }

    /// Runs virtual time forward by `d`, answering requests as they come due.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        self.collect();
        loop {
            let answer_at = self.in_flight.as_ref().map(|(at, ..)| *at);
            let next = [answer_at, self.media.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next.filter(|t| *t <= end) else {
                break;
            };
            self.guard.tick(next.max(self.now), next);
            self.now = self.now.max(next);
            if answer_at.is_some_and(|a| a <= self.now) {
                let (_, id, req) = self.in_flight.take().unwrap();
                let reply = self.card.answer(&req);
                self.media.handle_reply(self.now, id, reply);
            } else {
                self.media.handle_timeout(self.now);
            }
            self.collect();
        }
        self.now = end;
    }

    fn photo(&mut self, index: i64) {
        self.card.take_photo();
        self.media.captured(self.now, MediaKind::Photos, index);
        self.collect();
    }

    fn found(&self) -> Vec<(i64, String)> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                MediaEvent::Found { tag, file, .. } => Some((*tag, file.path())),
                _ => None,
            })
            .collect()
    }

    fn gave_up(&self) -> Vec<(i64, GiveUp)> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                MediaEvent::GaveUp { tag, why, .. } => Some((*tag, *why)),
                _ => None,
            })
            .collect()
    }
}

fn up(card: Card) -> Rig {
    let mut r = Rig::new(card, None);
    r.media.camera_up(r.now);
    r.run(Duration::from_secs(1));
    r
}

#[test]
fn a_photo_file_is_found_after_it_is_listed() {
    let mut r = up(Card::with_photos(3));
    r.photo(7);
    // Not looked for before FIRST_LOOK (the camera needs about 0.5 s to list it).
    r.run(Duration::from_millis(400));
    assert!(r.found().is_empty());
    r.run(Duration::from_millis(400));
    assert_eq!(
        r.found(),
        [(7, "/photo/101SIYI_IMG/IMG_0004.jpg".to_owned())]
    );
    let at = r
        .events
        .iter()
        .find(|(_, e)| matches!(e, MediaEvent::Found { .. }))
        .unwrap()
        .0;
    assert!(at < Duration::from_millis(1000 + 600), "found at {at:?}");
    assert!(r.gave_up().is_empty());
}

#[test]
fn a_file_listed_late_is_still_found_and_one_never_listed_is_given_up() {
    let mut r = up(Card::with_photos(0));
    // The photo is confirmed, but the card lists it only 3 s later.
    r.media.captured(r.now, MediaKind::Photos, 0);
    r.run(Duration::from_secs(3));
    assert!(r.found().is_empty());
    r.card.take_photo();
    r.run(Duration::from_secs(3));
    assert_eq!(
        r.found(),
        [(0, "/photo/101SIYI_IMG/IMG_0001.jpg".to_owned())]
    );

    // Never listed: given up after FIND_WITHIN, not earlier, and the next photo still matches.
    r.media.captured(r.now, MediaKind::Photos, 1);
    r.run(FIND_WITHIN - Duration::from_millis(100));
    assert!(r.gave_up().is_empty());
    r.run(Duration::from_millis(200));
    assert_eq!(r.gave_up(), [(1, GiveUp::NotListed)]);
    r.run(Duration::from_secs(1));
    r.photo(2);
    r.run(Duration::from_secs(2));
    assert_eq!(
        r.found().last().unwrap(),
        &(2, "/photo/101SIYI_IMG/IMG_0002.jpg".to_owned())
    );
}

#[test]
fn two_photos_in_quick_succession_get_their_files_in_order() {
    let mut r = up(Card::with_photos(10));
    r.photo(20);
    r.run(Duration::from_millis(200));
    r.photo(21);
    r.run(Duration::from_secs(3));
    assert_eq!(
        r.found(),
        [
            (20, "/photo/101SIYI_IMG/IMG_0011.jpg".to_owned()),
            (21, "/photo/101SIYI_IMG/IMG_0012.jpg".to_owned())
        ]
    );
}

#[test]
fn more_new_files_than_photos_is_ambiguous_and_never_guessed() {
    let mut r = up(Card::with_photos(2));
    // Someone else took a photo (the SIYI app) just before ours.
    r.card.take_photo();
    r.photo(5);
    r.run(Duration::from_secs(3));
    assert!(r.found().is_empty(), "{:?}", r.found());
    assert_eq!(r.gave_up(), [(5, GiveUp::Ambiguous)]);
    // The base is the new count: the next photo matches again.
    r.photo(6);
    r.run(Duration::from_secs(2));
    assert_eq!(
        r.found(),
        [(6, "/photo/101SIYI_IMG/IMG_0005.jpg".to_owned())]
    );
}

#[test]
fn a_photo_before_the_count_is_known_is_given_up_at_once() {
    let mut r = Rig::new(Card::with_photos(2), None);
    r.photo(0);
    assert_eq!(r.gave_up(), [(0, GiveUp::NoBase)]);
    assert!(
        r.card.asked.is_empty(),
        "nothing asked before the camera is up"
    );
}

#[test]
fn web_server_absent_gives_up_with_one_warning_and_is_not_polled_hard() {
    let mut card = Card::with_photos(2);
    card.absent = true;
    let mut r = up(card);
    r.photo(0);
    r.run(Duration::from_secs(60));
    assert_eq!(r.gave_up(), [(0, GiveUp::NoBase)]);
    let downs = r
        .events
        .iter()
        .filter(|(_, e)| *e == MediaEvent::ServerDown)
        .count();
    assert_eq!(downs, 1, "{:?}", r.events);
    // Backing off 5, 10, 20, 40 s (to 60 s): four tries a minute for photos and four for
    // videos, not one per second.
    let asked = r.card.asked.len();
    assert!((4..=8).contains(&asked), "{asked} requests in 61 s");
    // It comes back: said once, and photos match again.
    r.card.absent = false;
    r.run(Duration::from_secs(61));
    assert!(r.events.iter().any(|(_, e)| *e == MediaEvent::ServerBack));
    r.photo(1);
    r.run(Duration::from_secs(2));
    // IMG_0003 is photo 0, taken while the server was away (its file stays unknown).
    assert_eq!(
        r.found(),
        [(1, "/photo/101SIYI_IMG/IMG_0004.jpg".to_owned())]
    );
}

#[test]
fn web_server_lost_while_a_photo_waits_gives_it_up_as_no_answer() {
    let mut r = up(Card::with_photos(1));
    r.card.absent = true;
    r.photo(3);
    r.run(FIND_WITHIN + Duration::from_secs(1));
    assert_eq!(r.gave_up(), [(3, GiveUp::NoAnswer)]);
    assert!(r.found().is_empty());
}

#[test]
fn camera_reboot_between_photo_and_listing() {
    let mut r = up(Card::with_photos(4));
    r.photo(9);
    // The camera reboots at once: its web server is gone for 3 s, then lists the photo.
    r.card.absent = true;
    r.run(Duration::from_secs(3));
    r.card.absent = false;
    r.media.camera_up(r.now);
    r.run(Duration::from_secs(3));
    assert_eq!(
        r.found(),
        [(9, "/photo/101SIYI_IMG/IMG_0005.jpg".to_owned())]
    );
    assert!(r.gave_up().is_empty());
}

#[test]
fn a_new_directory_holds_only_new_files() {
    let mut card = Card::with_photos(9999);
    card.photos.push(("102SIYI_IMG".into(), Vec::new()));
    let mut r = up(card);
    r.photo(0);
    r.run(Duration::from_secs(2));
    assert_eq!(
        r.found(),
        [(0, "/photo/102SIYI_IMG/IMG_0001.jpg".to_owned())]
    );
}

#[test]
fn entries_that_point_elsewhere_are_refused_not_matched() {
    let mut card = Card::with_photos(1);
    card.host = Some("203.0.113.9".into());
    let mut r = up(card);
    r.photo(0);
    r.run(Duration::from_secs(3));
    assert!(r.found().is_empty());
    assert!(r
        .events
        .iter()
        .any(|(_, e)| matches!(e, MediaEvent::Refused { .. })));
    assert_eq!(r.gave_up(), [(0, GiveUp::Ambiguous)]);
    // Nothing was ever fetched from the foreign host: only API calls went out.
    assert!(r
        .card
        .asked
        .iter()
        .all(|q| matches!(q, Request::Api { .. })));
}

#[test]
fn figures_only_when_the_size_is_given_and_every_file_is_counted() {
    // No size given: no figures, nothing scanned.
    let r = up(Card::with_photos(3));
    assert_eq!(r.media.figures(), None);
    assert!(r.card.asked.iter().all(|q| !matches!(q, Request::Head(_))));

    let gib = 1024 * 1024 * 1024;
    let mut card = Card::with_photos(150);
    card.videos = vec![("100SIYI_VID".into(), vec!["REC_0001.mp4".into()])];
    card.size_bytes = 2 * 1024 * 1024;
    let mut r = Rig::new(card, Some(8 * gib));
    r.media.camera_up(r.now);
    assert_eq!(r.media.figures(), None, "unknown until scanned");
    r.run(Duration::from_secs(30));
    let f = r.media.figures().expect("figures after the scan");
    assert_eq!(f.total_mib, 8192.0);
    // 151 files of 2 MiB, across two pages of photos and the videos.
    assert_eq!(f.used_mib, 302.0);
    assert_eq!(f.available_mib, 8192.0 - 302.0);
    // A new photo adds its size once found.
    r.photo(0);
    r.run(Duration::from_secs(3));
    assert_eq!(r.media.figures().unwrap().used_mib, 304.0);
}

#[test]
fn figures_stay_unknown_while_the_web_server_is_absent() {
    let mut card = Card::with_photos(3);
    card.absent = true;
    let mut r = Rig::new(card, Some(1 << 30));
    r.media.camera_up(r.now);
    r.run(Duration::from_secs(120));
    assert_eq!(r.media.figures(), None);
}

#[test]
fn the_storage_scan_asks_at_most_20_requests_a_second() {
    let mut r = Rig::new(Card::with_photos(1000), Some(64 << 30));
    r.media.camera_up(r.now);
    r.run(Duration::from_secs(10));
    // The finders' few requests (directories and counts of both kinds) plus 20 a second.
    let asked = r.card.asked.len();
    assert!(
        (150..=10 * 20 + 6).contains(&asked),
        "{asked} requests in 10 s"
    );
    assert_eq!(r.media.figures(), None, "not yet counted");
    r.run(Duration::from_secs(50));
    let asked = r.card.asked.len();
    assert!(asked <= 60 * 20 + 6, "{asked} requests in 60 s");
    let f = r.media.figures().expect("1000 files counted within 60 s");
    assert!(
        (f.used_mib - 1000.0 * 1000.0 / 1024.0 / 1024.0).abs() < 0.01,
        "{f:?}"
    );
}

#[test]
fn a_card_announcing_four_billion_files_is_said_once_and_not_scanned() {
    let mut card = Card::with_photos(3);
    card.announce = Some(u32::MAX);
    let mut r = Rig::new(card, Some(64 << 30));
    r.media.camera_up(r.now);
    r.run(Duration::from_secs(300));
    let said: Vec<&String> = r
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            MediaEvent::LimitExceeded { what } => Some(what),
            _ => None,
        })
        .collect();
    assert_eq!(said.len(), 1, "{:?}", r.events);
    assert!(said[0].contains("4294967295 photos"), "{}", said[0]);
    assert!(
        said[0].contains("more than the 65536 a card holds"),
        "{}",
        said[0]
    );
    assert_eq!(r.media.figures(), None);
    assert!(
        r.card.asked.iter().all(|q| !matches!(q, Request::Head(_))),
        "no file's size is asked"
    );
    // Nothing more than the finders' look and the scan's first steps: no rescan.
    assert!(r.card.asked.len() < 20, "{} requests", r.card.asked.len());
}
