//! `siyi-bridge media` against a web server on 127.0.0.1 (ephemeral port) that speaks the
//! camera's media API (`siyi-protocol.md` §8b) and serves `/photo/<dir>/<file>` with HEAD and
//! Range: list, pull twice (the second fetches nothing), resume a truncated `.part`, refuse
//! path-traversal names and foreign hosts, a failed download exits non-zero, and the geotag
//! files come from the records of the state dir.
//!
//! The server is a few lines of HTTP/1.1 over tokio (one request per connection) so that it can
//! list hostile entries and count what is fetched.

mod media_run;

use media_run::read_request;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use siyi_bridge::core::camera::{ImageRecord, PersistedState};
use siyi_bridge::core::geo::Euler;

const IMG_DIR: &str = "101SIYI_IMG";

/// What the fake camera serves.
#[derive(Default)]
struct Card {
    /// (directory, name) → bytes.
    files: BTreeMap<(String, String), Vec<u8>>,
    /// Extra listing entries (name, url) in [`IMG_DIR`], `{HOST}` replaced by the server's.
    extra: Vec<(String, String)>,
    /// Names listed but answering 404.
    missing: Vec<String>,
    /// GET requests of files served (bodies).
    file_gets: AtomicUsize,
    /// Range requests answered with 206.
    ranges: AtomicUsize,
    /// Answer every GET with the whole file (200), ignoring Range.
    no_ranges: bool,
    /// Cut the connection after this many body bytes of the first GET (a broken transfer).
    cut_first_get_at: Option<usize>,
    /// Last-Modified of every file (default: 2026-11-30 12:00:00 UTC).
    modified: Option<&'static str>,
}

fn jpeg(n: usize, seed: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    v[..2].copy_from_slice(&[0xFF, 0xD8]);
    let l = v.len();
    v[l - 2..].copy_from_slice(&[0xFF, 0xD9]);
    v
}

fn card_with(sizes: &[usize]) -> Card {
    let mut c = Card::default();
    for (i, &n) in sizes.iter().enumerate() {
        c.files.insert(
            (IMG_DIR.to_owned(), format!("IMG_{:04}.jpg", i + 1)),
            jpeg(n, i as u8),
        );
    }
    c
}

/// Starts the server on an ephemeral port of 127.0.0.1 (a thread per connection).
fn serve(card: Arc<Card>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let card = card.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &card, addr);
            });
        }
    });
    addr
}

fn query_params(q: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8], head: bool) {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = s.write_all(out.as_bytes());
    if !head {
        let _ = s.write_all(body);
    }
}

fn handle(mut s: TcpStream, card: &Card, addr: SocketAddr) -> std::io::Result<()> {
    let Some(req) = read_request(&mut s)? else {
        return Ok(());
    };
    let (path, query, range_from) = (req.path.as_str(), req.query.as_str(), req.range_from);
    let head = req.method == "HEAD";
    let json = |v: serde_json::Value| v.to_string().into_bytes();
    let ok = |data: serde_json::Value| {
        json(serde_json::json!({"code":200,"success":true,"message":"ok","data":data}))
    };
    if let Some(endpoint) = path.strip_prefix("/cgi-bin/media.cgi/api/v1/") {
        let p = query_params(query);
        if p.get("media_type").map(String::as_str) != Some("0") {
            let body = json(
                serde_json::json!({"code":400,"success":false,"message":"Invalid media type"}),
            );
            respond(&mut s, "400 Bad Request", &[], &body, head);
            return Ok(());
        }
        let host = addr.to_string();
        let mut entries: Vec<(String, String)> = card
            .files
            .keys()
            .map(|(d, n)| (n.clone(), format!("http://192.168.144.25:82/photo/{d}/{n}")))
            .collect();
        for n in &card.missing {
            entries.push((n.clone(), format!("http://{host}/photo/{IMG_DIR}/{n}")));
        }
        for (n, u) in &card.extra {
            entries.push((n.clone(), u.replace("{HOST}", &host)));
        }
        let body = match endpoint {
            "getdirectories" => ok(serde_json::json!({"media_type":0,
                "directories":[{"name":IMG_DIR,"path":IMG_DIR}]})),
            "getmediacount" => ok(serde_json::json!({"count": entries.len()})),
            "getmedialist" => {
                let start: usize = p["start"].parse().unwrap();
                let count: usize = p["count"].parse().unwrap();
                let list: Vec<_> = entries
                    .iter()
                    .skip(start)
                    .take(count)
                    .map(|(n, u)| serde_json::json!({"name":n,"url":u}))
                    .collect();
                ok(serde_json::json!({"list": list}))
            }
            _ => {
                respond(&mut s, "404 Not Found", &[], b"no", head);
                return Ok(());
            }
        };
        respond(
            &mut s,
            "200 OK",
            &[("Content-Type", "application/json".into())],
            &body,
            head,
        );
        return Ok(());
    }
    let file = path
        .strip_prefix("/photo/")
        .and_then(|r| r.split_once('/'))
        .and_then(|(d, n)| card.files.get(&(d.to_owned(), n.to_owned())));
    let Some(bytes) = file else {
        respond(&mut s, "404 Not Found", &[], b"not found", head);
        return Ok(());
    };
    let modified = (
        "Last-Modified",
        card.modified
            .unwrap_or("Mon, 30 Nov 2026 12:00:00 GMT")
            .to_owned(),
    );
    let jpeg_type = ("Content-Type", "image/jpeg".to_owned());
    let nth_get = if head {
        None
    } else {
        Some(card.file_gets.fetch_add(1, Ordering::SeqCst))
    };
    if let (Some(0), Some(cut)) = (nth_get, card.cut_first_get_at) {
        // Announce the whole file, send a part, hang up.
        let h = format!(
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            bytes.len()
        );
        s.write_all(h.as_bytes())?;
        s.write_all(&bytes[..cut])?;
        return Ok(());
    }
    match range_from {
        Some(from) if !head && !card.no_ranges && from < bytes.len() => {
            card.ranges.fetch_add(1, Ordering::SeqCst);
            let cr = format!("bytes {from}-{}/{}", bytes.len() - 1, bytes.len());
            respond(
                &mut s,
                "206 Partial Content",
                &[modified, jpeg_type, ("Content-Range", cr)],
                &bytes[from..],
                head,
            );
        }
        _ => respond(&mut s, "200 OK", &[modified, jpeg_type], bytes, head),
    }
    Ok(())
}

fn media(addr: SocketAddr, state_dir: &Path, args: &[&str]) -> Output {
    media_run::media(addr.port(), state_dir, &[], args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn record(index: i32, file: Option<&str>) -> ImageRecord {
    ImageRecord {
        index,
        time_utc_us: 1_796_040_000_000_000 + index as u64 * 2_000_000,
        lat_e7: 473_977_420 + index,
        lon_e7: 85_455_940,
        alt_mm: 500_000,
        relative_alt_mm: 30_000,
        captured: true,
        q: Some(Euler::from_deg(0.0, -80.0, 45.0).to_quat()),
        file: file.map(|n| format!("/photo/{IMG_DIR}/{n}")),
    }
}

fn write_state(dir: &Path, records: Vec<ImageRecord>) {
    let mut s = PersistedState::default();
    for r in records {
        s.add(r);
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("camera-state.json"), s.to_file_json(true)).unwrap();
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("siyi-media-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn pull_twice_resume_refuse_and_geotag() {
    let mut card = card_with(&[2_000_000, 1_500_000, 700_000]);
    card.extra = vec![
        // Path traversal, encoded and not, and a foreign host: refused, never fetched.
        (
            "passwd".into(),
            "http://{HOST}/photo/101SIYI_IMG/../../etc/passwd".into(),
        ),
        (
            "../evil.jpg".into(),
            "http://{HOST}/photo/101SIYI_IMG/..%2Fevil.jpg".into(),
        ),
        (
            "IMG_0009.jpg".into(),
            "http://evil.example/photo/101SIYI_IMG/IMG_0009.jpg".into(),
        ),
    ];
    let card = Arc::new(card);
    let addr = serve(card.clone());
    let root = temp_dir("pull");
    let state = root.join("state");
    // Image 10 is IMG_0001, image 11 IMG_0002 (no attitude), image 12 names no file;
    // IMG_0003 has no record.
    let mut no_q = record(11, Some("IMG_0002.jpg"));
    no_q.q = None;
    write_state(
        &state,
        vec![record(10, Some("IMG_0001.jpg")), no_q, record(12, None)],
    );
    let out = root.join("out");

    // list: the table names every file, with index and geotag when recorded.
    let l = media(addr, &state, &["list"]);
    assert!(l.status.success());
    let table = stdout(&l);
    assert!(table.contains("IMG_0001.jpg"), "{table}");
    assert!(
        table
            .lines()
            .any(|line| line.trim_start().starts_with("10 ")
                && line.contains("1.9 MiB")
                && line.contains("2026-11-30T12:00:20Z")
                && line.contains("47.3977430,8.5455940,500.0")),
        "{table}"
    );
    assert!(
        table.lines().any(|line| line.trim_start().starts_with("- ")
            && line.contains("IMG_0003.jpg")
            && line.contains("2026-11-30T12:00:00Z")),
        "{table}"
    );
    assert!(table.contains("3 photos, 3 refused names"), "{table}");
    assert!(String::from_utf8_lossy(&l.stderr).contains("evil.example"));
    // The API's own refusal is told, not retried.
    let v = media(addr, &state, &["list", "--videos"]);
    assert!(!v.status.success());
    let err = String::from_utf8_lossy(&v.stderr).into_owned();
    assert!(
        err.contains("HTTP 400 (Invalid media type)") && !err.contains("trying again"),
        "{err}"
    );

    // First pull: everything, with a truncated .part of IMG_0002 to resume.
    std::fs::create_dir_all(&out).unwrap();
    let two = &card.files[&(IMG_DIR.to_owned(), "IMG_0002.jpg".to_owned())];
    std::fs::write(out.join("IMG_0002.jpg.part"), &two[..600_001]).unwrap();
    let p = media(addr, &state, &["pull", out.to_str().unwrap()]);
    assert!(p.status.success());
    let s = stdout(&p);
    assert!(
        s.contains("3 photos: 2 downloaded, 0 skipped (complete), 1 resumed, 0 failed, 3 refused names, 1 unmatched"),
        "{s}"
    );
    assert!(s.contains("IMG_0002.jpg: resumed from 600001 bytes"), "{s}");
    assert_eq!(card.ranges.load(Ordering::SeqCst), 1);
    for ((_, name), bytes) in &card.files {
        assert_eq!(&std::fs::read(out.join(name)).unwrap(), bytes, "{name}");
        assert!(!out.join(format!("{name}.part")).exists());
    }
    // Nothing but the photos and the geotag files; nothing outside DIR.
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "IMG_0001.jpg",
            "IMG_0002.jpg",
            "IMG_0003.jpg",
            "geo.txt",
            "geotags.csv"
        ]
    );
    assert!(!root.join("evil.jpg").exists() && !root.join("passwd").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("geo.txt")).unwrap(),
        "EPSG:4326\n\
         IMG_0001.jpg 8.5455940 47.3977430 500.000 45.00 10.00 0.00\n\
         IMG_0002.jpg 8.5455940 47.3977431 500.000\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("geotags.csv")).unwrap(),
        "name,index,time_utc,lon,lat,alt_m,yaw_deg,pitch_deg,roll_deg\n\
         IMG_0001.jpg,10,2026-11-30T12:00:20.000Z,8.5455940,47.3977430,500.000,45.00,-80.00,0.00\n\
         IMG_0002.jpg,11,2026-11-30T12:00:22.000Z,8.5455940,47.3977431,500.000,,,\n"
    );
    assert!(
        s.contains("/photo/101SIYI_IMG/IMG_0003.jpg: no record names it"),
        "{s}"
    );

    // Second pull: nothing fetched; a stale piece left beside a complete file is removed.
    std::fs::write(out.join("IMG_0001.jpg.part"), b"stale").unwrap();
    std::fs::write(out.join("IMG_0001.jpg.part.meta"), b"1 -\n").unwrap();
    let gets = card.file_gets.load(Ordering::SeqCst);
    let p = media(addr, &state, &["pull", out.to_str().unwrap()]);
    assert!(!out.join("IMG_0001.jpg.part").exists());
    assert!(!out.join("IMG_0001.jpg.part.meta").exists());
    assert!(p.status.success());
    assert!(
        stdout(&p).contains("3 photos: 0 downloaded, 3 skipped (complete), 0 resumed, 0 failed"),
        "{}",
        stdout(&p)
    );
    assert_eq!(card.file_gets.load(Ordering::SeqCst), gets);

    // --since: by index (IMG_0003 has no record: skipped with a note) and by time.
    let since = root.join("since");
    let p = media(
        addr,
        &state,
        &["pull", since.to_str().unwrap(), "--since", "11"],
    );
    assert!(p.status.success());
    assert!(since.join("IMG_0002.jpg").exists() && !since.join("IMG_0001.jpg").exists());
    assert!(!since.join("IMG_0003.jpg").exists());
    assert!(String::from_utf8_lossy(&p.stderr).contains("IMG_0003.jpg: no record"));
    let since_t = root.join("since-t");
    let p = media(
        addr,
        &state,
        &[
            "pull",
            since_t.to_str().unwrap(),
            "--since",
            "2026-11-30T12:00:21Z",
        ],
    );
    assert!(p.status.success());
    // IMG_0002 at 12:00:22 (record); IMG_0003 by its Last-Modified 12:00:00: before.
    let mut got: Vec<String> = std::fs::read_dir(&since_t)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".jpg"))
        .collect();
    got.sort();
    assert_eq!(got, ["IMG_0002.jpg"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_failed_download_exits_non_zero_and_keeps_the_others() {
    let mut card = card_with(&[10_000]);
    card.missing = vec!["IMG_0002.jpg".into()];
    let card = Arc::new(card);
    let addr = serve(card.clone());
    let root = temp_dir("fail");
    let out = root.join("out");
    let p = media(addr, &root.join("state"), &["pull", out.to_str().unwrap()]);
    assert!(!p.status.success());
    assert!(
        stdout(&p).contains("IMG_0002.jpg: FAILED"),
        "{}",
        stdout(&p)
    );
    assert!(stdout(&p).contains("1 downloaded, 0 skipped (complete), 0 resumed, 1 failed"));
    assert!(out.join("IMG_0001.jpg").exists());
    assert!(!out.join("IMG_0002.jpg").exists());
    assert!(String::from_utf8_lossy(&p.stderr).contains("1 of 2 downloads failed"));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_local_file_of_another_size_is_never_overwritten() {
    let card = Arc::new(card_with(&[10_000]));
    let addr = serve(card.clone());
    let root = temp_dir("conflict");
    let out = root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("IMG_0001.jpg"), b"an older photo").unwrap();
    let p = media(addr, &root.join("state"), &["pull", out.to_str().unwrap()]);
    assert!(!p.status.success());
    assert_eq!(
        std::fs::read(out.join("IMG_0001.jpg")).unwrap(),
        b"an older photo"
    );
    assert!(stdout(&p).contains("not overwritten"), "{}", stdout(&p));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_server_ignoring_range_restarts_the_part_and_a_broken_transfer_resumes() {
    // No Range support: the stale .part is replaced by the whole file.
    let mut card = card_with(&[300_000]);
    card.no_ranges = true;
    let card = Arc::new(card);
    let addr = serve(card.clone());
    let root = temp_dir("norange");
    let out = root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("IMG_0001.jpg.part"), b"stale bytes").unwrap();
    let p = media(addr, &root.join("state"), &["pull", out.to_str().unwrap()]);
    assert!(p.status.success());
    assert!(stdout(&p).contains("1 downloaded, 0 skipped (complete), 0 resumed"));
    let want = &card.files[&(IMG_DIR.to_owned(), "IMG_0001.jpg".to_owned())];
    assert_eq!(&std::fs::read(out.join("IMG_0001.jpg")).unwrap(), want);

    // The first transfer breaks after 100 kB: the retry continues the .part with Range.
    let mut card = card_with(&[250_000]);
    card.cut_first_get_at = Some(100_000);
    let card = Arc::new(card);
    let addr = serve(card.clone());
    let out = root.join("cut");
    let p = media(addr, &root.join("state"), &["pull", out.to_str().unwrap()]);
    assert!(p.status.success());
    assert!(
        stdout(&p).contains("IMG_0001.jpg: resumed from 100000 bytes"),
        "{}",
        stdout(&p)
    );
    assert!(String::from_utf8_lossy(&p.stderr).contains("trying again in 500 ms"));
    assert_eq!(card.ranges.load(Ordering::SeqCst), 1);
    let want = &card.files[&(IMG_DIR.to_owned(), "IMG_0001.jpg".to_owned())];
    assert_eq!(&std::fs::read(out.join("IMG_0001.jpg")).unwrap(), want);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_part_of_a_replaced_file_is_started_again() {
    // A .part (with its .part.meta) from an earlier pull of IMG_0001 as it was then; the card
    // has since been formatted and a new IMG_0001 of the same size taken: never spliced.
    let mut card = card_with(&[50_000]);
    card.modified = Some("Tue, 01 Dec 2026 08:00:00 GMT");
    let card = Arc::new(card);
    let addr = serve(card.clone());
    let root = temp_dir("replaced");
    let out = root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("IMG_0001.jpg.part"), &jpeg(50_000, 99)[..20_000]).unwrap();
    std::fs::write(
        out.join("IMG_0001.jpg.part.meta"),
        "50000 Mon, 30 Nov 2026 12:00:00 GMT\n",
    )
    .unwrap();
    let p = media(addr, &root.join("state"), &["pull", out.to_str().unwrap()]);
    assert!(p.status.success());
    assert!(stdout(&p).contains("1 downloaded, 0 skipped (complete), 0 resumed"));
    assert_eq!(card.ranges.load(Ordering::SeqCst), 0);
    let want = &card.files[&(IMG_DIR.to_owned(), "IMG_0001.jpg".to_owned())];
    assert_eq!(&std::fs::read(out.join("IMG_0001.jpg")).unwrap(), want);
    assert!(!out.join("IMG_0001.jpg.part.meta").exists());
    let _ = std::fs::remove_dir_all(&root);
}

/// By hand: `cargo test --test media_cli throughput -- --ignored --nocapture` prints the pull's
/// summary line (MB/s over loopback) for 64 MB of photos.
#[test]
#[ignore = "a measurement, not a check"]
fn throughput() {
    let card = Arc::new(card_with(&[16 << 20; 4]));
    let addr = serve(card.clone());
    let root = temp_dir("throughput");
    let p = media(
        addr,
        &root.join("state"),
        &["pull", root.join("out").to_str().unwrap()],
    );
    assert!(p.status.success());
    let _ = std::fs::remove_dir_all(&root);
}
