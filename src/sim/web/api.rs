//! The media API of the camera's web server: which endpoint a path names, and the JSON answer
//! to a query. Plain functions of the store's contents and `now`; the HTTP shell is in
//! [`super`].
//!
//! Envelope: `{"code":200,"success":true,"message":"success","data":{…}}`; errors are HTTP 400
//! `{"code":400,"success":false,"message":"Invalid media type"}` (missing or bad `media_type`),
//! `… "path not exist"` (a `path` that is no directory of that type) and, a simulator choice,
//! `… "Invalid parameter"` (a `start` or `count` that is not a number). Missing `start` is 0,
//! missing `count` means "all the rest".

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::store::{MediaKind, MediaStore};

/// The address every `url` field carries: the camera's factory address, whatever address the
/// server really has (a quirk of the real camera; clients rewrite the host).
pub const FACTORY_MEDIA_BASE: &str = "http://192.168.144.25:82";

/// The path of the API, after one or two leading slashes (the vendor text writes `//cgi-bin`).
pub const API_PATH: &str = "cgi-bin/media.cgi/api/v1/";

/// One endpoint of the media API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `getdirectories?media_type=`.
    Directories,
    /// `getmediacount?media_type=&path=`.
    Count,
    /// `getmedialist?media_type=&path=&start=&count=`.
    List,
}

impl Endpoint {
    /// The endpoint a request path names: `/cgi-bin/media.cgi/api/v1/NAME` or the same with
    /// `//` in front. None: not the API.
    pub fn from_path(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("//").or_else(|| path.strip_prefix('/'))?;
        match rest.strip_prefix(API_PATH)? {
            "getdirectories" => Some(Self::Directories),
            "getmediacount" => Some(Self::Count),
            "getmedialist" => Some(Self::List),
            _ => None,
        }
    }
}

/// An HTTP status and the JSON body of an answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// 200 or 400.
    pub status: u16,
    /// The envelope.
    pub body: Value,
}

impl Answer {
    fn ok(data: Value) -> Self {
        Self {
            status: 200,
            body: json!({"code": 200, "success": true, "message": "success", "data": data}),
        }
    }

    fn bad(message: &str) -> Self {
        Self {
            status: 400,
            body: json!({"code": 400, "success": false, "message": message}),
        }
    }
}

/// Answers one API query. `store` None: no SD card (nothing is listed, every path is unknown);
/// a file saved less than `list_delay` before `now` is not listed yet.
pub fn answer(
    store: Option<&MediaStore>,
    endpoint: Endpoint,
    query: &[(String, String)],
    now: Instant,
    list_delay: Duration,
) -> Answer {
    let param = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let Some(kind) = param("media_type")
        .and_then(|v| v.trim().parse::<u8>().ok())
        .and_then(MediaKind::from_media_type)
    else {
        return Answer::bad("Invalid media type");
    };
    let media_type = kind.media_type();
    if endpoint == Endpoint::Directories {
        let directories: Vec<Value> = store
            .map(|s| s.directories(kind))
            .unwrap_or_default()
            .into_iter()
            .map(|d| json!({"name": d, "path": d}))
            .collect();
        return Answer::ok(json!({"media_type": media_type, "directories": directories}));
    }
    let path = param("path").unwrap_or_default();
    let files = match (store, path.trim_matches('/')) {
        (None, "") => Vec::new(),
        (Some(s), "") => s.all_files(kind, now, list_delay),
        (None, _) => return Answer::bad("path not exist"),
        (Some(s), dir) => match s.directory_files(kind, dir, now, list_delay) {
            None => return Answer::bad("path not exist"),
            Some(names) => names.into_iter().map(|n| (dir.to_owned(), n)).collect(),
        },
    };
    if endpoint == Endpoint::Count {
        let count = files.len();
        return Answer::ok(json!({"media_type": media_type, "path": path, "count": count}));
    }
    let number = |key: &str, default: usize| match param(key).map(str::trim) {
        None | Some("") => Some(default),
        Some(v) => v.parse::<usize>().ok(),
    };
    let (Some(start), Some(count)) = (number("start", 0), number("count", usize::MAX)) else {
        return Answer::bad("Invalid parameter");
    };
    let list: Vec<Value> = files
        .iter()
        .skip(start)
        .take(count)
        .map(|(dir, name)| {
            json!({"name": name, "url": format!("{FACTORY_MEDIA_BASE}/photo/{dir}/{name}")})
        })
        .collect();
    Answer::ok(json!({"media_type": media_type, "path": path, "list": list}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn paths_with_one_or_two_slashes() {
        let p = |s: &str| Endpoint::from_path(s);
        assert_eq!(
            p("//cgi-bin/media.cgi/api/v1/getdirectories"),
            Some(Endpoint::Directories)
        );
        assert_eq!(
            p("/cgi-bin/media.cgi/api/v1/getmedialist"),
            Some(Endpoint::List)
        );
        assert_eq!(
            p("/cgi-bin/media.cgi/api/v1/getmediacount"),
            Some(Endpoint::Count)
        );
        for none in [
            "///cgi-bin/media.cgi/api/v1/getmedialist",
            "/cgi-bin/media.cgi/api/v1/",
            "/cgi-bin/media.cgi/api/v2/getmedialist",
            "/photo/101SIYI_IMG/IMG_0001.jpg",
            "",
        ] {
            assert_eq!(p(none), None, "{none}");
        }
    }

    #[test]
    fn paging_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path()).unwrap();
        for _ in 0..3 {
            store.save_photo().unwrap();
        }
        let later = store_time() + Duration::from_secs(5);
        let ask =
            |e, pairs: &[(&str, &str)]| answer(Some(&store), e, &q(pairs), later, Duration::ZERO);
        let a = ask(
            Endpoint::List,
            &[
                ("media_type", "0"),
                ("path", "101SIYI_IMG"),
                ("start", "1"),
                ("count", "5"),
            ],
        );
        assert_eq!(a.status, 200);
        let names: Vec<_> = a.body["data"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["IMG_0002.jpg", "IMG_0003.jpg"]);
        let a = ask(Endpoint::List, &[("media_type", "0"), ("start", "9")]);
        assert_eq!(a.body["data"]["list"], json!([]));
        let a = ask(Endpoint::Count, &[("media_type", "0")]);
        assert_eq!(
            a.body["data"],
            json!({"media_type": 0, "path": "", "count": 3})
        );
        for bad in [
            &[][..],
            &[("media_type", "2")][..],
            &[("media_type", "x")][..],
        ] {
            let a = ask(Endpoint::Directories, bad);
            assert_eq!(a.status, 400);
            assert_eq!(a.body["message"], "Invalid media type");
        }
        let a = ask(
            Endpoint::Count,
            &[("media_type", "1"), ("path", "101SIYI_IMG")],
        );
        assert_eq!(
            (a.status, a.body["message"].as_str()),
            (400, Some("path not exist"))
        );
        let a = ask(Endpoint::List, &[("media_type", "0"), ("count", "-1")]);
        assert_eq!(a.status, 400);
        let a = answer(
            None,
            Endpoint::Directories,
            &q(&[("media_type", "0")]),
            later,
            Duration::ZERO,
        );
        assert_eq!(a.body["data"]["directories"], json!([]));
    }

    #[allow(clippy::disallowed_methods)]
    fn store_time() -> Instant {
        Instant::now()
    }
}
