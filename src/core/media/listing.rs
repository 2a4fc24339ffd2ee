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

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::api::{
    is_plain_name, parse_count, parse_directories, parse_list, ApiError, ApiQuery, Directory,
    EntryError, MediaFile, MediaKind, LIST_PAGE,
};

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
    /// The entries refused, in the order met.
    pub refused: Vec<RefusedEntry>,
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
        match self.step.clone() {
            Step::Directories => {
                self.dirs = parse_directories(status, body)?.into();
                self.next_directory(false);
            }
            Step::Count => {
                let count = parse_count(status, body)?;
                if count == 0 {
                    self.next_directory(true);
                } else {
                    self.step = Step::Page { start: 0, count };
                }
            }
            Step::Page { start, count } => {
                let entries = parse_list(status, body)?;
                let got = u32::try_from(entries.len()).unwrap_or(u32::MAX);
                for entry in &entries {
                    match MediaFile::from_entry(entry, &self.camera_host) {
                        Ok(file) => {
                            self.files.insert(file);
                        }
                        Err(reason) => self.refused.push(RefusedEntry {
                            name: entry.name.clone(),
                            reason,
                        }),
                    }
                }
                let start = start.saturating_add(got);
                if got == 0 || start >= count {
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
        self.step = if self.dirs.is_empty() {
            Step::Done
        } else {
            Step::Count
        };
    }

    /// Whether there is nothing left to ask.
    pub fn is_done(&self) -> bool {
        self.step == Step::Done
    }

    /// The files found and the entries refused (so far, if the walk was given up).
    pub fn finish(self) -> MediaListing {
        MediaListing {
            files: self.files.into_iter().collect(),
            refused: self.refused,
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
