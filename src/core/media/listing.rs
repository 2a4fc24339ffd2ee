//! Walking the files of one kind on the camera's card, sans-IO: directories, then each
//! directory's count, then its list page by page ([`LIST_PAGE`] entries at a time).
//!
//! The shell asks [`Listing::next_query`], sends it with the HTTP client and hands the status
//! and body back to [`Listing::handle_answer`] until there is nothing left to ask, then takes
//! the result with [`Listing::finish`]: the files sorted by directory and name, and the entries
//! refused by [`MediaFile::from_entry`] (a foreign host, a path in a name) with their reasons.
//!
//! A page past the end returns what exists (§8b), so a directory ends at its count or at the
//! first empty page, whichever comes first: a camera whose count is wrong never makes the walk
//! loop. Local names for the files are chosen by [`local_names`] (two directories may hold the
//! same file name).
//!
//! The walk is bounded whatever the camera announces: at most [`MAX_LISTING_FILES`] files,
//! [`MAX_DIRECTORIES`] directories and [`MAX_LIST_PAGES`] pages, and the refused entries kept
//! for the report are at most [`MAX_REFUSED_KEPT`] (all are counted). A camera that exceeds a
//! limit ends the walk there, with [`MediaListing::exceeded`] saying which, in words.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::api::{
    is_plain_name, parse_count, parse_directories, parse_list, ApiError, ApiQuery, Directory,
    EntryError, MediaFile, MediaKind, LIST_PAGE,
};

/// Most files a listing (of one kind) takes. A real card holds some thousands, a big one some
/// tens of thousands (SIYI numbers 9 999 files per folder; a FAT32 folder holds at most
/// 65 534 entries): 2¹⁶ bounds the memory of a listing at a few MB.
pub const MAX_LISTING_FILES: usize = 65_536;

/// Most directories a listing walks (DCF folders are numbered 100–999).
pub const MAX_DIRECTORIES: usize = 1_000;

/// Most `getmedialist` pages a listing asks for: a full [`MAX_LISTING_FILES`] in pages of
/// [`LIST_PAGE`] is 656, plus a short last page per directory.
pub const MAX_LIST_PAGES: u32 = 2_000;

/// Most refused entries kept (with their reason) for the report; the rest are only counted.
pub const MAX_REFUSED_KEPT: usize = 100;

/// Most characters of a camera-given name quoted in a report.
const MAX_QUOTED_CHARS: usize = 64;

/// A limit of the walk that the camera's listing exceeded (the walk ends there).
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum LimitExceeded {
    /// A directory's count goes past [`MAX_LISTING_FILES`] files in all.
    #[error("the camera announces {announced} {noun}s in {dir:?} (with {before} before it), more than the {MAX_LISTING_FILES} a card holds: listing stopped at {MAX_LISTING_FILES}")]
    Files {
        /// "photo" or "video".
        noun: &'static str,
        /// The directory (its first characters).
        dir: String,
        /// Its announced count.
        announced: u32,
        /// Files already listed before it.
        before: usize,
    },
    /// More than [`MAX_DIRECTORIES`] directories.
    #[error("the camera announces {announced} directories of {noun}s, more than the {MAX_DIRECTORIES} a card holds: only the first {MAX_DIRECTORIES} are listed")]
    Directories {
        /// "photo" or "video".
        noun: &'static str,
        /// How many it announced.
        announced: usize,
    },
    /// The listing did not end within [`MAX_LIST_PAGES`] pages.
    #[error("the camera's listing of {noun}s did not end within {MAX_LIST_PAGES} pages: listing stopped")]
    Pages {
        /// "photo" or "video".
        noun: &'static str,
    },
}

/// At most [`MAX_QUOTED_CHARS`] characters of `s` (cut at a character, never inside one).
fn quoted(s: &str) -> String {
    s.chars().take(MAX_QUOTED_CHARS).collect()
}

/// An entry of a listing that was not taken, and why.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RefusedEntry {
    /// The entry's `name`, as the camera wrote it (for the report only: never used as a path).
    pub name: String,
    /// Why it was refused.
    pub reason: EntryError,
}

/// The outcome of a walk.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct MediaListing {
    /// The files, sorted by directory then name, each once.
    pub files: Vec<MediaFile>,
    /// The entries refused, in the order met (the first [`MAX_REFUSED_KEPT`]).
    pub refused: Vec<RefusedEntry>,
    /// How many entries were refused in all.
    pub refused_count: usize,
    /// The limit the camera exceeded, if it did (the walk stopped there).
    pub exceeded: Option<LimitExceeded>,
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Step {
    Directories,
    Count,
    Page { start: u32, count: u32 },
    Done,
}

/// The walk over the files of one kind (see the module docs).
#[derive(Clone, Debug)]
pub struct Listing {
    kind: MediaKind,
    camera_host: String,
    step: Step,
    dirs: VecDeque<Directory>,
    files: BTreeSet<MediaFile>,
    refused: Vec<RefusedEntry>,
    refused_count: usize,
    pages: u32,
    exceeded: Option<LimitExceeded>,
}

impl Listing {
    /// A walk over the files of `kind`; `camera_host` is the host the camera is reached at (see
    /// [`MediaFile::from_entry`]).
    pub fn new(kind: MediaKind, camera_host: &str) -> Self {
        Self {
            kind,
            camera_host: camera_host.to_owned(),
            step: Step::Directories,
            dirs: VecDeque::new(),
            files: BTreeSet::new(),
            refused: Vec::new(),
            refused_count: 0,
            pages: 0,
            exceeded: None,
        }
    }

    /// The kind of media walked.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// The next request to send, `None` when the walk is over.
    pub fn next_query(&self) -> Option<ApiQuery> {
        let path = self
            .dirs
            .front()
            .map(|d| d.path.clone())
            .unwrap_or_default();
        match self.step {
            Step::Directories => Some(ApiQuery::Directories),
            Step::Count => Some(ApiQuery::Count { path }),
            Step::Page { start, count } => Some(ApiQuery::List {
                path,
                start,
                count: (count - start).min(LIST_PAGE),
            }),
            Step::Done => None,
        }
    }

    /// Takes the answer (HTTP status and body) to the last [`Listing::next_query`]. An error
    /// leaves the walk where it was: the shell may send the same query again, or give up.
    pub fn handle_answer(&mut self, status: u16, body: &[u8]) -> Result<(), ApiError> {
        let noun = self.kind.noun();
        match self.step.clone() {
            Step::Directories => {
                let mut dirs = parse_directories(status, body)?;
                if dirs.len() > MAX_DIRECTORIES {
                    self.exceeded = Some(LimitExceeded::Directories {
                        noun,
                        announced: dirs.len(),
                    });
                    dirs.truncate(MAX_DIRECTORIES);
                }
                self.dirs = dirs.into();
                self.next_directory(false);
            }
            Step::Count => {
                let announced = parse_count(status, body)?;
                let room = MAX_LISTING_FILES.saturating_sub(self.files.len());
                let mut count = announced;
                if usize::try_from(announced).map_or(true, |n| n > room) {
                    self.exceeded.get_or_insert(LimitExceeded::Files {
                        noun,
                        dir: quoted(
                            &self
                                .dirs
                                .front()
                                .map(|d| d.path.clone())
                                .unwrap_or_default(),
                        ),
                        announced,
                        before: self.files.len(),
                    });
                    count = u32::try_from(room).unwrap_or(u32::MAX);
                }
                if count == 0 {
                    self.next_directory(true);
                } else {
                    self.step = Step::Page { start: 0, count };
                }
            }
            Step::Page { start, count } => {
                let entries = parse_list(status, body)?;
                self.pages += 1;
                let asked = (count - start).min(LIST_PAGE);
                let got = u32::try_from(entries.len()).unwrap_or(u32::MAX).min(asked);
                // A page longer than asked: the entries past the request are not taken.
                for entry in entries.iter().take(asked as usize) {
                    match MediaFile::from_entry(entry, &self.camera_host) {
                        Ok(file) => {
                            if self.files.len() < MAX_LISTING_FILES {
                                self.files.insert(file);
                            }
                        }
                        Err(reason) => {
                            self.refused_count += 1;
                            if self.refused.len() < MAX_REFUSED_KEPT {
                                self.refused.push(RefusedEntry {
                                    name: quoted(&entry.name),
                                    reason,
                                });
                            }
                        }
                    }
                }
                let start = start.saturating_add(got);
                if self.pages >= MAX_LIST_PAGES && !(got == 0 || start >= count) {
                    self.exceeded.get_or_insert(LimitExceeded::Pages { noun });
                    self.step = Step::Done;
                } else if got == 0 || start >= count {
                    self.next_directory(true);
                } else {
                    self.step = Step::Page { start, count };
                }
            }
            Step::Done => {}
        }
        Ok(())
    }

    fn next_directory(&mut self, pop: bool) {
        if pop {
            self.dirs.pop_front();
        }
        let stop = matches!(
            self.exceeded,
            Some(LimitExceeded::Files { .. } | LimitExceeded::Pages { .. })
        ) || self.files.len() >= MAX_LISTING_FILES;
        self.step = if self.dirs.is_empty() || stop {
            Step::Done
        } else {
            Step::Count
        };
    }

    /// Whether there is nothing left to ask.
    pub fn is_done(&self) -> bool {
        self.step == Step::Done
    }

    /// Pages asked so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// The files found and the entries refused (so far, if the walk was given up).
    pub fn finish(self) -> MediaListing {
        MediaListing {
            files: self.files.into_iter().collect(),
            refused: self.refused,
            refused_count: self.refused_count,
            exceeded: self.exceeded,
        }
    }
}

/// The local file name of each file: its own name, or `DIR_NAME` for a name that an earlier
/// directory (in sorted order) already holds, so that two files never share a local name. Every
/// name returned is a plain name ([`is_plain_name`]); a file for which none can be made (a
/// `DIR_NAME` over 255 bytes) is left out.
pub fn local_names(files: &[MediaFile]) -> BTreeMap<MediaFile, String> {
    let mut sorted: Vec<&MediaFile> = files.iter().collect();
    sorted.sort();
    let mut taken = BTreeSet::new();
    let mut out = BTreeMap::new();
    for f in sorted {
        let own = f.name().to_owned();
        let name = if taken.contains(&own) {
            format!("{}_{}", f.dir(), f.name())
        } else {
            own
        };
        if is_plain_name(&name) && taken.insert(name.clone()) {
            out.insert(f.clone(), name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(names: &[&str]) -> String {
        let d: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{"name":"{n}","path":"{n}"}}"#))
            .collect();
        format!(
            r#"{{"code":200,"success":true,"data":{{"directories":[{}]}}}}"#,
            d.join(",")
        )
    }

    fn count(n: u32) -> String {
        format!(r#"{{"code":200,"success":true,"data":{{"count":{n}}}}}"#)
    }

    fn page(dir: &str, names: &[&str], host: &str) -> String {
        let l: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{"name":"{n}","url":"http://{host}:82/photo/{dir}/{n}"}}"#))
            .collect();
        format!(
            r#"{{"code":200,"success":true,"data":{{"list":[{}]}}}}"#,
            l.join(",")
        )
    }

    fn answer(l: &mut Listing, body: &str) {
        l.handle_answer(200, body.as_bytes()).unwrap();
    }

    #[test]
    fn walks_directories_counts_and_pages() {
        let mut l = Listing::new(MediaKind::Photos, "10.0.0.9");
        assert_eq!(l.next_query(), Some(ApiQuery::Directories));
        answer(&mut l, &dirs(&["102SIYI_IMG", "101SIYI_IMG"]));
        // Sorted: 101 first.
        assert_eq!(
            l.next_query(),
            Some(ApiQuery::Count {
                path: "101SIYI_IMG".into()
            })
        );
        answer(&mut l, &count(LIST_PAGE + 2));
        assert_eq!(
            l.next_query(),
            Some(ApiQuery::List {
                path: "101SIYI_IMG".into(),
                start: 0,
                count: LIST_PAGE
            })
        );
        let names: Vec<String> = (0..LIST_PAGE).map(|i| format!("IMG_{i:04}.jpg")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        answer(&mut l, &page("101SIYI_IMG", &refs, "192.168.144.25"));
        assert_eq!(
            l.next_query(),
            Some(ApiQuery::List {
                path: "101SIYI_IMG".into(),
                start: LIST_PAGE,
                count: 2
            })
        );
        answer(
            &mut l,
            &page("101SIYI_IMG", &["IMG_0100.jpg", "IMG_0101.jpg"], "10.0.0.9"),
        );
        assert_eq!(
            l.next_query(),
            Some(ApiQuery::Count {
                path: "102SIYI_IMG".into()
            })
        );
        answer(&mut l, &count(1));
        answer(&mut l, &page("102SIYI_IMG", &["IMG_0000.jpg"], "10.0.0.9"));
        assert!(l.is_done());
        assert_eq!(l.next_query(), None);
        let out = l.finish();
        assert_eq!(out.files.len(), LIST_PAGE as usize + 3);
        assert!(out.refused.is_empty());
        assert_eq!(out.files[0].path(), "/photo/101SIYI_IMG/IMG_0000.jpg");
        assert_eq!(
            out.files.last().unwrap().path(),
            "/photo/102SIYI_IMG/IMG_0000.jpg"
        );
    }

    #[test]
    fn a_wrong_count_ends_at_the_first_empty_page_and_empty_dirs_are_skipped() {
        let mut l = Listing::new(MediaKind::Videos, "cam");
        answer(&mut l, &dirs(&["100SIYI_VID", "101SIYI_VID"]));
        answer(&mut l, &count(0));
        assert_eq!(
            l.next_query(),
            Some(ApiQuery::Count {
                path: "101SIYI_VID".into()
            })
        );
        answer(&mut l, &count(1000));
        answer(&mut l, &page("101SIYI_VID", &["REC_0001.mp4"], "cam"));
        assert!(!l.is_done());
        answer(&mut l, &page("101SIYI_VID", &[], "cam"));
        assert!(l.is_done());
        assert_eq!(l.finish().files.len(), 1);
    }

    #[test]
    fn no_directories_is_an_empty_listing() {
        let mut l = Listing::new(MediaKind::Photos, "cam");
        answer(&mut l, &dirs(&[]));
        assert!(l.is_done());
        assert_eq!(l.finish(), MediaListing::default());
    }

    #[test]
    fn refused_entries_are_reported_with_their_reason() {
        let mut l = Listing::new(MediaKind::Photos, "cam");
        answer(&mut l, &dirs(&["D"]));
        answer(&mut l, &count(3));
        let body = r#"{"success":true,"data":{"list":[
            {"name":"A.jpg","url":"http://cam/photo/D/A.jpg"},
            {"name":"B.jpg","url":"http://evil.example/photo/D/B.jpg"},
            {"name":"..","url":"http://cam/photo/D/.."}]}}"#;
        answer(&mut l, body);
        let out = l.finish();
        assert_eq!(out.files.len(), 1);
        assert_eq!(out.refused.len(), 2);
        assert_eq!(out.refused[0].name, "B.jpg");
        assert!(matches!(
            out.refused[0].reason,
            EntryError::ForeignHost { .. }
        ));
        assert!(matches!(out.refused[1].reason, EntryError::BadPath(_)));
    }

    #[test]
    fn an_error_leaves_the_walk_where_it_was() {
        let mut l = Listing::new(MediaKind::Photos, "cam");
        answer(&mut l, &dirs(&["D"]));
        let q = l.next_query();
        assert!(l
            .handle_answer(400, br#"{"success":false,"message":"path not exist"}"#)
            .is_err());
        assert_eq!(l.next_query(), q);
    }

    fn pages_until_done(l: &mut Listing, name_of: impl Fn(u32) -> String) -> u32 {
        let mut pages = 0;
        while let Some(ApiQuery::List { path, start, count }) = l.next_query() {
            assert!(count <= LIST_PAGE);
            let names: Vec<String> = (start..start + count).map(&name_of).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            answer(l, &page(&path, &refs, "cam"));
            pages += 1;
            assert!(pages <= MAX_LIST_PAGES, "the walk goes on");
        }
        pages
    }

    #[test]
    fn four_billion_files_are_cut_at_the_limit_and_said() {
        let mut l = Listing::new(MediaKind::Photos, "cam");
        answer(&mut l, &dirs(&["101SIYI_IMG", "102SIYI_IMG"]));
        answer(&mut l, &count(u32::MAX));
        let pages = pages_until_done(&mut l, |i| format!("IMG_{i:06}.jpg"));
        assert_eq!(pages, 656);
        assert!(l.is_done(), "the second directory is not walked");
        let out = l.finish();
        assert_eq!(out.files.len(), MAX_LISTING_FILES);
        let e = out.exceeded.expect("said");
        assert!(matches!(
            e,
            LimitExceeded::Files {
                announced: u32::MAX,
                before: 0,
                ..
            }
        ));
        assert!(
            e.to_string().starts_with(
                "the camera announces 4294967295 photos in \"101SIYI_IMG\" (with 0 before it), \
                 more than the 65536 a card holds"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_listing_that_never_ends_stops_at_the_page_limit() {
        // A page of one entry, always the same: no new file, and the pages run out.
        let mut l = Listing::new(MediaKind::Videos, "cam");
        answer(&mut l, &dirs(&["D"]));
        // Within the file limit: it is the pages that run out.
        answer(&mut l, &count(60_000));
        let mut pages = 0;
        while l.next_query().is_some() {
            answer(&mut l, &page("D", &["REC_0001.mp4"], "cam"));
            pages += 1;
            assert!(pages <= MAX_LIST_PAGES, "the walk goes on");
        }
        assert_eq!(pages, MAX_LIST_PAGES);
        let out = l.finish();
        assert_eq!(out.files.len(), 1);
        assert_eq!(out.exceeded, Some(LimitExceeded::Pages { noun: "video" }));
    }

    #[test]
    fn more_entries_than_asked_and_refused_entries_are_bounded() {
        let mut l = Listing::new(MediaKind::Photos, "cam");
        answer(&mut l, &dirs(&["D"]));
        answer(&mut l, &count(2));
        answer(
            &mut l,
            &page("D", &["A.jpg", "B.jpg", "C.jpg", "E.jpg"], "cam"),
        );
        assert!(l.is_done());
        assert_eq!(
            l.finish().files.len(),
            2,
            "the entries past the request are not taken"
        );

        let mut l = Listing::new(MediaKind::Photos, "cam");
        answer(&mut l, &dirs(&["D"]));
        answer(&mut l, &count(300));
        let long = "é".repeat(200);
        let bad: Vec<&str> = vec![long.as_str(); 100];
        for _ in 0..3 {
            answer(&mut l, &page("D", &bad, "evil.example"));
        }
        let out = l.finish();
        assert_eq!(out.refused.len(), MAX_REFUSED_KEPT);
        assert_eq!(out.refused_count, 300);
        assert_eq!(
            out.refused[0].name.chars().count(),
            64,
            "quoted, cut at a character"
        );
        assert_eq!(out.exceeded, None);
    }

    #[test]
    fn more_directories_than_a_card_holds_are_said_and_the_first_walked() {
        let names: Vec<String> = (0..MAX_DIRECTORIES + 5)
            .map(|i| format!("D{i:04}"))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut l = Listing::new(MediaKind::Photos, "cam");
        answer(&mut l, &dirs(&refs));
        let mut counts = 0;
        while let Some(ApiQuery::Count { .. }) = l.next_query() {
            answer(&mut l, &count(0));
            counts += 1;
        }
        assert_eq!(counts, MAX_DIRECTORIES);
        let e = l.finish().exceeded.expect("said");
        assert!(e.to_string().contains("1005 directories of photos"), "{e}");
    }

    #[test]
    fn clashing_names_get_their_directory() {
        let a = MediaFile::new("100SIYI_IMG", "IMG_0001.jpg").unwrap();
        let b = MediaFile::new("101SIYI_IMG", "IMG_0001.jpg").unwrap();
        let c = MediaFile::new("101SIYI_IMG", "IMG_0002.jpg").unwrap();
        let names = local_names(&[c.clone(), b.clone(), a.clone()]);
        assert_eq!(names[&a], "IMG_0001.jpg");
        assert_eq!(names[&b], "101SIYI_IMG_IMG_0001.jpg");
        assert_eq!(names[&c], "IMG_0002.jpg");
    }
}
