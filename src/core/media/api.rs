//! The camera's web server API (HTTP port 82): what to ask and what the answers mean.
//!
//! Three GET endpoints under [`API_BASE`] (`siyi-protocol.md` §8b): `getdirectories`,
//! `getmediacount`, `getmedialist`, each answering the envelope
//! `{"code":200,"success":true,"message":"…","data":{…}}`. Errors come as HTTP 400 with
//! `success: false` and a message (`Invalid media type`, `path not exist`); a camera that is
//! busy or half-booted may answer an HTML page or nothing.
//!
//! Nothing here does I/O: the shell sends the [`ApiQuery`] (its parameters are encoded by the
//! HTTP client) and hands back the status and body, which the `parse_*` functions judge.
//! Listing entries become [`MediaFile`]s only when they name a plain file in a plain directory
//! under `/photo/` on the camera itself: a URL pointing elsewhere, or a name with a path in it,
//! is refused here and never fetched.

use serde::Deserialize;
use url::Url;

/// Path of the API on the camera's web server. The vendor text writes it with a leading `//`;
/// one slash works on every camera seen.
pub const API_BASE: &str = "/cgi-bin/media.cgi/api/v1/";

/// The camera's factory address, which the `url` fields of a listing carry even when the camera
/// has been given another one.
pub const FACTORY_HOST: &str = "192.168.144.25";

/// Largest API answer the shell reads, bytes (a page of 100 entries is about 10 KiB).
pub const MAX_API_BODY_BYTES: usize = 1 << 20;

/// Most entries asked for in one `getmedialist` page.
pub const LIST_PAGE: u32 = 100;

/// Photos or videos (`media_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum MediaKind {
    /// `media_type=0`: JPEG photos (`101SIYI_IMG/IMG_NNNN.jpg` on an A8 mini).
    Photos,
    /// `media_type=1`: MP4 recordings (`100SIYI_VID/REC_NNNN.mp4`).
    Videos,
}

impl MediaKind {
    /// The `media_type` parameter.
    pub fn media_type(self) -> u8 {
        match self {
            Self::Photos => 0,
            Self::Videos => 1,
        }
    }

    /// "photo" or "video", for logs.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Photos => "photo",
            Self::Videos => "video",
        }
    }
}

/// One request to the API.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ApiQuery {
    /// `getdirectories`: the directories holding media of a kind.
    Directories,
    /// `getmediacount`: how many files a directory holds (`path` empty = all directories).
    Count {
        /// A directory's `path` as `getdirectories` gave it, or empty.
        path: String,
    },
    /// `getmedialist`: `count` entries from position `start` (zero-based) of a directory.
    List {
        /// A directory's `path` as `getdirectories` gave it, or empty.
        path: String,
        /// First position, zero-based.
        start: u32,
        /// Most entries to return.
        count: u32,
    },
}

impl ApiQuery {
    /// The endpoint, relative to [`API_BASE`].
    pub fn endpoint(&self) -> &'static str {
        match self {
            Self::Directories => "getdirectories",
            Self::Count { .. } => "getmediacount",
            Self::List { .. } => "getmedialist",
        }
    }

    /// The query parameters (name, value), unencoded: the HTTP client encodes them.
    pub fn params(&self, kind: MediaKind) -> Vec<(&'static str, String)> {
        let mut p = vec![("media_type", kind.media_type().to_string())];
        match self {
            Self::Directories => {}
            Self::Count { path } => p.push(("path", path.clone())),
            Self::List { path, start, count } => {
                p.push(("path", path.clone()));
                p.push(("start", start.to_string()));
                p.push(("count", count.to_string()));
            }
        }
        p
    }
}

/// Why an API answer is not usable.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ApiError {
    /// The camera said no (HTTP 4xx/5xx, or `success: false`), with its message if it gave one.
    #[error("the camera's web server refused: HTTP {status}{}", message.as_ref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Refused {
        /// HTTP status.
        status: u16,
        /// The envelope's `message`, if the body had one.
        message: Option<String>,
    },
    /// The body is not the API's JSON (an HTML page, a truncated answer, another shape).
    #[error("the camera's web server answered something that is not its API's JSON: {0}")]
    Malformed(String),
    /// No answer came (no connection, a reset, a timeout).
    #[error("no answer from the camera's web server: {0}")]
    NoAnswer(String),
    /// The answer is longer than [`MAX_API_BODY_BYTES`].
    #[error("the camera's web server answered more than {MAX_API_BODY_BYTES} bytes")]
    TooLarge,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    message: Option<String>,
    data: Option<T>,
}

/// A directory of media on the card.
#[derive(Clone, PartialEq, Eq, Debug, Deserialize)]
pub struct Directory {
    /// Its name (`101SIYI_IMG`).
    pub name: String,
    /// The `path` value to pass back to `getmediacount` / `getmedialist`.
    pub path: String,
}

#[derive(Deserialize)]
struct Directories {
    #[serde(default)]
    directories: Vec<Directory>,
}

#[derive(Deserialize)]
struct Count {
    count: u32,
}

/// A `getmedialist` entry as the camera wrote it.
#[derive(Clone, PartialEq, Eq, Debug, Deserialize)]
pub struct ListEntry {
    /// File name (`IMG_0001.jpg`).
    pub name: String,
    /// Download URL, with the camera's factory address.
    pub url: String,
}

#[derive(Deserialize)]
struct List {
    #[serde(default)]
    list: Vec<ListEntry>,
}

fn parse<T: for<'de> Deserialize<'de>>(status: u16, body: &[u8]) -> Result<T, ApiError> {
    if body.len() > MAX_API_BODY_BYTES {
        return Err(ApiError::TooLarge);
    }
    let envelope = serde_json::from_slice::<Envelope<T>>(body);
    if !(200..300).contains(&status) {
        // The API's own errors carry a message; anything else (HTML) is only a status.
        let message = serde_json::from_slice::<Envelope<serde_json::Value>>(body)
            .ok()
            .and_then(|e| e.message);
        return Err(ApiError::Refused { status, message });
    }
    let envelope = envelope.map_err(|e| ApiError::Malformed(e.to_string()))?;
    if envelope.success == Some(false) {
        return Err(ApiError::Refused {
            status,
            message: envelope.message,
        });
    }
    envelope
        .data
        .ok_or_else(|| ApiError::Malformed("no \"data\" in the answer".to_owned()))
}

/// The directories of a `getdirectories` answer, sorted by name (the newest last on a SIYI
/// card: `100…`, `101…`).
pub fn parse_directories(status: u16, body: &[u8]) -> Result<Vec<Directory>, ApiError> {
    let mut dirs = parse::<Directories>(status, body)?.directories;
    dirs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(dirs)
}

/// The count of a `getmediacount` answer.
pub fn parse_count(status: u16, body: &[u8]) -> Result<u32, ApiError> {
    Ok(parse::<Count>(status, body)?.count)
}

/// The entries of a `getmedialist` answer, as written (see [`MediaFile::from_entry`]).
pub fn parse_list(status: u16, body: &[u8]) -> Result<Vec<ListEntry>, ApiError> {
    Ok(parse::<List>(status, body)?.list)
}

/// Why a listing entry is not taken.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum EntryError {
    /// The URL does not parse, or is not plain `http`.
    #[error("not an http URL: {0:?}")]
    BadUrl(String),
    /// The URL names a host that is neither the camera nor its factory address.
    #[error("points to {host:?}, not the camera")]
    ForeignHost {
        /// The host the URL named.
        host: String,
    },
    /// The URL's path is not `/photo/<directory>/<file>` with plain names (no `..`, no `/`,
    /// no hidden or control characters), or its file is not the entry's name.
    #[error("not a plain file under /photo/: {0:?}")]
    BadPath(String),
}

/// A file on the camera's card, as the bridge names it: a plain directory and file name under
/// `/photo/`. Built only from a checked listing entry (or a checked stored path), so its path is
/// safe to fetch from the camera and to join to a local directory.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub struct MediaFile {
    dir: String,
    name: String,
}

/// Whether `s` is a plain file or directory name: 1–255 bytes of ASCII letters, digits, `_`, `-`
/// and `.`, not starting with a dot (so never `.` or `..`).
pub fn is_plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl MediaFile {
    /// A file `name` in directory `dir`, if both are plain names ([`is_plain_name`]).
    pub fn new(dir: &str, name: &str) -> Option<Self> {
        (is_plain_name(dir) && is_plain_name(name)).then(|| Self {
            dir: dir.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The file of a listing entry. `camera_host` is the host the bridge reaches the camera at;
    /// URLs naming it or [`FACTORY_HOST`] are taken (their host is not used further: the file is
    /// fetched from the camera the bridge talks to), any other host is refused.
    pub fn from_entry(entry: &ListEntry, camera_host: &str) -> Result<Self, EntryError> {
        let url = Url::parse(&entry.url).map_err(|_| EntryError::BadUrl(entry.url.clone()))?;
        if url.scheme() != "http" {
            return Err(EntryError::BadUrl(entry.url.clone()));
        }
        let host = url.host_str().unwrap_or_default();
        if host != FACTORY_HOST && !host.eq_ignore_ascii_case(camera_host) {
            return Err(EntryError::ForeignHost {
                host: host.to_owned(),
            });
        }
        Self::from_path(url.path())
            .filter(|f| f.name == entry.name)
            .ok_or_else(|| EntryError::BadPath(entry.url.clone()))
    }

    /// A file from its path on the web server (`/photo/101SIYI_IMG/IMG_0001.jpg`), as
    /// [`MediaFile::path`] writes it.
    pub fn from_path(path: &str) -> Option<Self> {
        let mut parts = path.strip_prefix("/photo/")?.split('/');
        let (dir, name) = (parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        Self::new(dir, name)
    }

    /// Its directory (`101SIYI_IMG`).
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// Its file name (`IMG_0001.jpg`), a plain name: safe to join to a local directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its path on the camera's web server (`/photo/101SIYI_IMG/IMG_0001.jpg`).
    pub fn path(&self) -> String {
        format!("/photo/{}/{}", self.dir, self.name)
    }

    /// Its URL under `base` (`http://192.168.144.25:82`, or `--media-url-base`).
    pub fn url(&self, base: &Url) -> String {
        base.join(&self.path())
            .map(String::from)
            .unwrap_or_else(|_| format!("{}{}", base.as_str().trim_end_matches('/'), self.path()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIRS: &str = r#"{"code":200,"success":true,"message":"ok","data":{"media_type":0,
        "directories":[{"name":"102SIYI_IMG","path":"102SIYI_IMG"},{"name":"101SIYI_IMG","path":"101SIYI_IMG"}]}}"#;

    #[test]
    fn directories_sorted_by_name() {
        let d = parse_directories(200, DIRS.as_bytes()).unwrap();
        assert_eq!(d[0].name, "101SIYI_IMG");
        assert_eq!(d[1].path, "102SIYI_IMG");
    }

    #[test]
    fn count_and_list() {
        let c = br#"{"code":200,"success":true,"data":{"media_type":0,"path":"","count":7}}"#;
        assert_eq!(parse_count(200, c), Ok(7));
        let l = br#"{"code":200,"success":true,"data":{"list":[{"name":"IMG_0001.jpg","url":"http://192.168.144.25:82/photo/101SIYI_IMG/IMG_0001.jpg"}]}}"#;
        let entries = parse_list(200, l).unwrap();
        assert_eq!(entries.len(), 1);
        let f = MediaFile::from_entry(&entries[0], "10.0.0.9").unwrap();
        assert_eq!(f.path(), "/photo/101SIYI_IMG/IMG_0001.jpg");
        assert_eq!(f.name(), "IMG_0001.jpg");
        let base = Url::parse("http://10.0.0.9:82").unwrap();
        assert_eq!(
            f.url(&base),
            "http://10.0.0.9:82/photo/101SIYI_IMG/IMG_0001.jpg"
        );
    }

    #[test]
    fn errors_are_told_apart() {
        let bad = br#"{"code":400,"success":false,"message":"Invalid media type"}"#;
        assert_eq!(
            parse_count(400, bad),
            Err(ApiError::Refused {
                status: 400,
                message: Some("Invalid media type".into())
            })
        );
        // success:false with HTTP 200 is a refusal too.
        let no = br#"{"code":400,"success":false,"message":"path not exist"}"#;
        assert!(
            matches!(parse_list(200, no), Err(ApiError::Refused { status: 200, message: Some(m) }) if m == "path not exist")
        );
        let html = b"<html><body>502 Bad Gateway</body></html>";
        assert_eq!(
            parse_count(502, html),
            Err(ApiError::Refused {
                status: 502,
                message: None
            })
        );
        assert!(matches!(
            parse_count(200, html),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(
            parse_count(200, br#"{"success":true}"#),
            Err(ApiError::Malformed(_))
        ));
        let huge = vec![b' '; MAX_API_BODY_BYTES + 1];
        assert_eq!(parse_count(200, &huge), Err(ApiError::TooLarge));
    }

    fn entry(name: &str, url: &str) -> ListEntry {
        ListEntry {
            name: name.into(),
            url: url.into(),
        }
    }

    #[test]
    fn entries_elsewhere_or_with_paths_are_refused() {
        let cam = "127.0.0.1";
        let ok = entry(
            "IMG_0002.jpg",
            "http://127.0.0.1:8082/photo/101SIYI_IMG/IMG_0002.jpg",
        );
        assert!(MediaFile::from_entry(&ok, cam).is_ok());
        for (e, why) in [
            (
                entry(
                    "IMG_1.jpg",
                    "http://evil.example/photo/101SIYI_IMG/IMG_1.jpg",
                ),
                "foreign host",
            ),
            (
                entry(
                    "IMG_1.jpg",
                    "https://192.168.144.25/photo/101SIYI_IMG/IMG_1.jpg",
                ),
                "https",
            ),
            (entry("IMG_1.jpg", "not a url"), "garbage"),
            (
                entry("..", "http://192.168.144.25:82/photo/101SIYI_IMG/.."),
                "dot-dot",
            ),
            (
                entry(
                    "passwd",
                    "http://192.168.144.25:82/photo/101SIYI_IMG/%2E%2E%2F%2E%2E%2Fetc/passwd",
                ),
                "encoded traversal",
            ),
            (
                entry("a.jpg", "http://192.168.144.25:82/photo/a/b/a.jpg"),
                "nested",
            ),
            (
                entry("a.jpg", "http://192.168.144.25:82/other/d/a.jpg"),
                "not /photo/",
            ),
            (
                entry("b.jpg", "http://192.168.144.25:82/photo/d/a.jpg"),
                "name differs from the URL's",
            ),
            (
                entry(".hidden", "http://192.168.144.25:82/photo/d/.hidden"),
                "hidden",
            ),
        ] {
            assert!(MediaFile::from_entry(&e, cam).is_err(), "{why}: {e:?}");
        }
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_name("IMG_0001.jpg"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\0", ".x", "é.jpg"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert!(!is_plain_name(&"a".repeat(256)));
    }

    #[test]
    fn query_parameters() {
        let q = ApiQuery::List {
            path: "101SIYI_IMG".into(),
            start: 5,
            count: 10,
        };
        assert_eq!(q.endpoint(), "getmedialist");
        assert_eq!(
            q.params(MediaKind::Videos),
            vec![
                ("media_type", "1".to_owned()),
                ("path", "101SIYI_IMG".to_owned()),
                ("start", "5".to_owned()),
                ("count", "10".to_owned())
            ]
        );
        assert_eq!(ApiQuery::Directories.params(MediaKind::Photos).len(), 1);
    }
}
