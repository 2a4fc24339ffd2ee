//! `siyi-bridge media` against hostile web servers on loopback (ephemeral ports): a redirect to
//! another host is never followed (a second server on 127.0.0.2 sees no request), a body
//! without Content-Length or longer than announced is stopped and leaves nothing behind, a drip
//! is abandoned after `--stall-s` and resumed byte-identical later, a full disk (a `.part` that
//! is `/dev/full`) is a clear error that leaves no temporary file, a pull whose camera stops
//! answering ends, and a listing over the limits is reported in words.
//!
//! Each server is a few lines of HTTP/1.1 over std threads (one request per connection); the
//! stall tests use short timeouts, and nothing waits on a sleep to synchronise.

mod media_run;

use media_run::{read_request, Req};

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use siyi_bridge::core::media::api::{ApiQuery, MediaFile, MediaKind};
use siyi_bridge::io::media::{FetchError, MediaClient};

const DIR: &str = "101SIYI_IMG";

type Handler = dyn Fn(&Req, &mut TcpStream) -> std::io::Result<()> + Send + Sync;

/// Serves `handler` on an ephemeral port of `ip` (a thread per connection); counts connections.
fn serve(ip: &str, handler: Arc<Handler>) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &*handler);
            });
        }
    });
    (addr, connections)
}

fn handle(mut s: TcpStream, handler: &Handler) -> std::io::Result<()> {
    match read_request(&mut s)? {
        Some(req) => handler(&req, &mut s),
        None => Ok(()),
    }
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

fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn name(i: usize) -> String {
    format!("IMG_{i:04}.jpg")
}

/// Answers the media API for a card of `count` photos named IMG_0001.jpg… (the count as
/// announced; the pages list what is asked). `None` for a request that is not the API.
fn api(req: &Req, s: &mut TcpStream, count: u64) -> Option<()> {
    let endpoint = req.path.strip_prefix("/cgi-bin/media.cgi/api/v1/")?;
    let data = match endpoint {
        "getdirectories" => format!(r#"{{"directories":[{{"name":"{DIR}","path":"{DIR}"}}]}}"#),
        "getmediacount" => format!(r#"{{"count":{count}}}"#),
        _ => {
            let start: u64 = param(&req.query, "start")?.parse().ok()?;
            let n: u64 = param(&req.query, "count")?.parse().ok()?;
            let list: Vec<String> = (start..count.min(start + n))
                .map(|i| {
                    let f = name(i as usize + 1);
                    format!(r#"{{"name":"{f}","url":"http://192.168.144.25:82/photo/{DIR}/{f}"}}"#)
                })
                .collect();
            format!(r#"{{"list":[{}]}}"#, list.join(","))
        }
    };
    let body = format!(r#"{{"code":200,"success":true,"message":"ok","data":{data}}}"#);
    respond(s, "200 OK", &[], body.as_bytes(), req.method == "HEAD");
    Some(())
}

/// The index of `/photo/DIR/IMG_NNNN.jpg`.
fn file_index(path: &str) -> Option<usize> {
    path.strip_prefix(&format!("/photo/{DIR}/IMG_"))?
        .strip_suffix(".jpg")?
        .parse()
        .ok()
}

fn bytes_of(i: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|k| (k as u8).wrapping_mul(7).wrapping_add(i as u8))
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("siyi-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn media(addr: SocketAddr, root: &Path, options: &[&str], args: &[&str]) -> Output {
    media_run::media(addr.port(), &root.join("state"), options, args)
}

/// `media ARGS` against `addr`, which must fail; what it said.
fn failed(addr: SocketAddr, root: &Path, args: &[&str]) -> String {
    let p = media(addr, root, &[], args);
    assert!(!p.status.success(), "{}", text(&p));
    text(&p)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn no_temporary_files(dir: &Path) {
    let left: Vec<String> = files_in(dir)
        .into_iter()
        .filter(|n| n.ends_with(".part") || n.ends_with(".meta") || n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_redirect_to_another_host_is_never_followed() {
    // The second server, on 127.0.0.2, serves a whole card: any request reaching it counts.
    let (other, reached) = serve(
        "127.0.0.2",
        Arc::new(|req: &Req, s: &mut TcpStream| {
            if api(req, s, 2).is_none() {
                respond(
                    s,
                    "200 OK",
                    &[],
                    b"a file from elsewhere",
                    req.method == "HEAD",
                );
            }
            Ok(())
        }),
    );
    // The camera redirects everything there.
    let (cam, _) = serve(
        "127.0.0.1",
        Arc::new(move |req: &Req, s: &mut TcpStream| {
            let to = format!("http://{other}{}?{}", req.path, req.query);
            respond(
                s,
                "302 Found",
                &[("Location", to)],
                b"",
                req.method == "HEAD",
            );
            Ok(())
        }),
    );
    let root = temp_dir("redirect");
    let out = root.join("out");
    let list = media(cam, &root, &[], &["list"]);
    let pull = media(cam, &root, &[], &["pull", out.to_str().unwrap()]);
    for o in [&list, &pull] {
        assert!(!o.status.success());
        let t = text(o);
        assert!(t.contains("redirected (HTTP 302)"), "{t}");
        assert!(t.contains("redirects are not followed"), "{t}");
        assert!(
            t.contains(&format!("http://{other}/cgi-bin")),
            "where it pointed: {t}"
        );
    }
    assert_eq!(files_in(&out), Vec::<String>::new());

    // A camera whose listing is fine but whose files redirect: each file fails in words.
    let (cam, _) = serve(
        "127.0.0.1",
        Arc::new(move |req: &Req, s: &mut TcpStream| {
            if api(req, s, 2).is_none() {
                let to = format!("http://{other}{}", req.path);
                respond(
                    s,
                    "302 Found",
                    &[("Location", to)],
                    b"",
                    req.method == "HEAD",
                );
            }
            Ok(())
        }),
    );
    let pull = media(cam, &root, &[], &["pull", out.to_str().unwrap()]);
    assert!(!pull.status.success());
    let t = text(&pull);
    assert!(t.contains("IMG_0001.jpg: FAILED"), "{t}");
    assert!(t.contains("redirects are not followed"), "{t}");
    assert_eq!(
        files_in(&out)
            .iter()
            .filter(|n| n.ends_with(".jpg"))
            .count(),
        0
    );
    no_temporary_files(&out);
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "a request reached 127.0.0.2"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn the_client_reports_a_redirect_of_the_api_and_of_a_head() {
    let (other, reached) = serve("127.0.0.2", Arc::new(|_: &Req, _: &mut TcpStream| Ok(())));
    let (cam, _) = serve(
        "127.0.0.1",
        Arc::new(move |req: &Req, s: &mut TcpStream| {
            let to = format!("http://{other}/x");
            respond(
                s,
                "307 Temporary Redirect",
                &[("Location", to)],
                b"",
                req.method == "HEAD",
            );
            Ok(())
        }),
    );
    let client = MediaClient::new(format!("http://{cam}").parse().unwrap()).unwrap();
    let r = client.api(MediaKind::Photos, &ApiQuery::Directories).await;
    assert!(
        matches!(&r, Err(FetchError::Redirected { status: 307, location }) if location.contains("127.0.0.2")),
        "{r:?}"
    );
    let file = MediaFile::new(DIR, "IMG_0001.jpg").unwrap();
    let r = client.head_size(&file).await;
    assert!(matches!(r, Err(FetchError::Redirected { .. })), "{r:?}");
    let r = client.head(&file).await;
    assert!(matches!(r, Err(FetchError::Redirected { .. })), "{r:?}");
    assert_eq!(reached.load(Ordering::SeqCst), 0);
}

/// A card of two photos of 50 000 bytes whose IMG_0001 is served by `bad` (HEAD and GET), and
/// IMG_0002 well.
fn card_with_a_bad_first_file(
    bad: impl Fn(&Req, &mut TcpStream) -> std::io::Result<()> + Send + Sync + 'static,
) -> SocketAddr {
    let (addr, _) = serve(
        "127.0.0.1",
        Arc::new(move |req: &Req, s: &mut TcpStream| {
            if api(req, s, 2).is_some() {
                return Ok(());
            }
            match file_index(&req.path) {
                Some(1) => bad(req, s),
                Some(i) => {
                    respond(s, "200 OK", &[], &bytes_of(i, 50_000), req.method == "HEAD");
                    Ok(())
                }
                None => {
                    respond(s, "404 Not Found", &[], b"", req.method == "HEAD");
                    Ok(())
                }
            }
        }),
    );
    addr
}

/// Headers without Content-Length, then a body until the client hangs up; counts bytes sent.
fn endless(s: &mut TcpStream, sent: &AtomicUsize) -> std::io::Result<()> {
    s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")?;
    let chunk = vec![0x5Au8; 64 * 1024];
    loop {
        s.write_all(&chunk)?;
        if sent.fetch_add(chunk.len(), Ordering::SeqCst) > 1 << 30 {
            return Ok(());
        }
    }
}

#[test]
fn a_body_without_a_size_is_not_written_and_one_past_its_size_is_discarded() {
    // No Content-Length on HEAD or GET, an endless body: nothing is written.
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let cam = card_with_a_bad_first_file(move |req, s| {
        if req.method == "HEAD" {
            return s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        }
        endless(s, &counter)
    });
    let root = temp_dir("nosize");
    let out = root.join("out");
    let t = failed(cam, &root, &["pull", out.to_str().unwrap()]);
    assert!(
        t.contains("IMG_0001.jpg: FAILED: the camera announced no size"),
        "{t}"
    );
    assert!(t.contains("IMG_0002.jpg: downloaded, 50000 bytes"), "{t}");
    assert_eq!(
        std::fs::read(out.join("IMG_0002.jpg")).unwrap(),
        bytes_of(2, 50_000)
    );
    assert!(!out.join("IMG_0001.jpg").exists());
    no_temporary_files(&out);
    eprintln!(
        "endless body: {} bytes sent before the client hung up",
        sent.load(Ordering::SeqCst)
    );

    // HEAD announces 1000 bytes, the GET sends on without end: stopped, the .part removed, not
    // tried again.
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let gets = Arc::new(AtomicUsize::new(0));
    let g = gets.clone();
    let cam = card_with_a_bad_first_file(move |req, s| {
        if req.method == "HEAD" {
            respond(s, "200 OK", &[], &[0; 1000], true);
            return Ok(());
        }
        g.fetch_add(1, Ordering::SeqCst);
        endless(s, &counter)
    });
    let out = root.join("long");
    let t = failed(cam, &root, &["pull", out.to_str().unwrap()]);
    assert!(
        t.contains("IMG_0001.jpg: FAILED: the camera sent more than the 1000 bytes it announced"),
        "{t}"
    );
    assert_eq!(gets.load(Ordering::SeqCst), 1, "not tried again");
    assert_eq!(
        std::fs::read(out.join("IMG_0002.jpg")).unwrap(),
        bytes_of(2, 50_000)
    );
    assert!(!out.join("IMG_0001.jpg").exists());
    no_temporary_files(&out);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_drip_is_abandoned_after_the_stall_timeout_and_resumed_byte_identical() {
    const SIZE: usize = 40_000;
    let whole = bytes_of(1, SIZE);
    let data = whole.clone();
    // 2 000 bytes at once, then one byte every 20 ms: far under 16 KiB per 0.3 s.
    let cam = card_with_a_bad_first_file(move |req, s| {
        if req.method == "HEAD" {
            respond(s, "200 OK", &[], &data, true);
            return Ok(());
        }
        let from = req.range_from.unwrap_or(0).min(SIZE);
        let head = if from > 0 {
            format!(
                "HTTP/1.1 206 Partial Content\r\nConnection: close\r\nContent-Range: bytes \
                 {from}-{}/{SIZE}\r\nContent-Length: {}\r\n\r\n",
                SIZE - 1,
                SIZE - from
            )
        } else {
            format!("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {SIZE}\r\n\r\n")
        };
        s.write_all(head.as_bytes())?;
        let rest = &data[from..];
        let (fast, slow) = rest.split_at(rest.len().min(2_000));
        s.write_all(fast)?;
        for b in slow {
            std::thread::sleep(Duration::from_millis(20)); // the drip itself, not a synchronisation
            s.write_all(&[*b])?;
        }
        Ok(())
    });
    let root = temp_dir("drip");
    let out = root.join("out");
    let t = failed(
        cam,
        &root,
        &["pull", out.to_str().unwrap(), "--stall-s", "0.3"],
    );
    assert!(t.contains("IMG_0001.jpg: FAILED: stalled"), "{t}");
    assert!(
        t.contains("in 300 ms (at least 16384 bytes are needed"),
        "{t}"
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0002.jpg")).unwrap(),
        bytes_of(2, 50_000)
    );
    // What came is kept to resume: a prefix of the file.
    let part = std::fs::read(out.join("IMG_0001.jpg.part")).unwrap();
    assert!(part.len() >= 2_000 && part.len() < SIZE, "{}", part.len());
    assert_eq!(part[..], whole[..part.len()]);

    // A deadline ends the pull at once, keeping the .part.
    let t = failed(
        cam,
        &root,
        &[
            "pull",
            out.to_str().unwrap(),
            "--stall-s",
            "5",
            "--deadline-s",
            "0.5",
        ],
    );
    assert!(t.contains("stopped at the --deadline-s"), "{t}");
    assert!(t.contains("pull stopped (the --deadline-s passed)"), "{t}");

    // The camera well again: the pull resumes it, byte-identical, and leaves nothing behind.
    let data = whole.clone();
    let good = card_with_a_bad_first_file(move |req, s| {
        let from = req.range_from.unwrap_or(0).min(SIZE);
        if from > 0 && req.method == "GET" {
            let cr = format!("bytes {from}-{}/{SIZE}", SIZE - 1);
            respond(
                s,
                "206 Partial Content",
                &[("Content-Range", cr)],
                &data[from..],
                false,
            );
        } else {
            respond(s, "200 OK", &[], &data, req.method == "HEAD");
        }
        Ok(())
    });
    let p = media(good, &root, &[], &["pull", out.to_str().unwrap()]);
    assert!(p.status.success(), "{}", text(&p));
    assert!(
        text(&p).contains("IMG_0001.jpg: resumed from"),
        "{}",
        text(&p)
    );
    assert_eq!(std::fs::read(out.join("IMG_0001.jpg")).unwrap(), whole);
    no_temporary_files(&out);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_camera_that_stops_answering_ends_the_pull_after_three_files() {
    // Five photos listed; every file request is hung up on at once.
    let (cam, _) = serve(
        "127.0.0.1",
        Arc::new(|req: &Req, s: &mut TcpStream| {
            if api(req, s, 5).is_none() {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            Ok(())
        }),
    );
    let root = temp_dir("gone");
    let out = root.join("out");
    let t = failed(cam, &root, &["pull", out.to_str().unwrap()]);
    assert!(
        t.contains(
            "pull stopped: 3 files in a row failed for want of an answer; 2 files not tried"
        ),
        "{t}"
    );
    assert!(!t.contains("IMG_0004.jpg: FAILED"), "{t}");
    no_temporary_files(&out);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_no_temporary_file() {
    if !Path::new("/dev/full").exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let cam = card_with_a_bad_first_file(|req, s| {
        respond(s, "200 OK", &[], &bytes_of(1, 50_000), req.method == "HEAD");
        Ok(())
    });
    let root = temp_dir("full");
    let out = root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    // The .part and the geotag temp file are /dev/full: every write fails with ENOSPC.
    std::os::unix::fs::symlink("/dev/full", out.join("IMG_0001.jpg.part")).unwrap();
    std::os::unix::fs::symlink("/dev/full", out.join("geo.tmp")).unwrap();
    let t = failed(cam, &root, &["pull", out.to_str().unwrap()]);
    assert!(
        t.contains("IMG_0001.jpg: FAILED: no space left on the disk of"),
        "{t}"
    );
    assert!(t.contains("the partial file was removed"), "{t}");
    assert!(t.contains("pull stopped: the disk of"), "{t}");
    assert!(t.contains("1 files not tried"), "{t}");
    assert!(
        t.contains("cannot write") && t.contains("geo.txt: no space left on the disk"),
        "{t}"
    );
    assert_eq!(files_in(&out), Vec::<String>::new(), "nothing left behind");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_listing_over_the_limits_is_reported_in_words() {
    // 1 001 directories, each empty: the first 1 000 are walked, and the camera is named.
    let (cam, _) = serve(
        "127.0.0.1",
        Arc::new(|req: &Req, s: &mut TcpStream| {
            let data = if req.path.ends_with("getdirectories") {
                let d: Vec<String> = (0..1001)
                    .map(|i| format!(r#"{{"name":"D{i:04}","path":"D{i:04}"}}"#))
                    .collect();
                format!(r#"{{"directories":[{}]}}"#, d.join(","))
            } else {
                r#"{"count":0,"list":[]}"#.to_owned()
            };
            let body = format!(r#"{{"code":200,"success":true,"data":{data}}}"#);
            respond(s, "200 OK", &[], body.as_bytes(), false);
            Ok(())
        }),
    );
    let root = temp_dir("dirs");
    let t = failed(cam, &root, &["list"]);
    assert!(
        t.contains(
            "the camera announces 1001 directories of photos, more than the 1000 a card holds"
        ),
        "{t}"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_deadline_bounds_the_listing_too() {
    // Every API answer comes 3 s late (inside the client's 5 s): a listing of many pages would
    // take hours; --deadline-s 0.5 ends it.
    let (cam, _) = serve(
        "127.0.0.1",
        Arc::new(|req: &Req, s: &mut TcpStream| {
            std::thread::sleep(Duration::from_secs(3)); // the hostile camera's pace
            let _ = api(req, s, 100_000);
            Ok(())
        }),
    );
    let root = temp_dir("slowlist");
    let out = root.join("out");
    let t = failed(
        cam,
        &root,
        &["pull", out.to_str().unwrap(), "--deadline-s", "0.5"],
    );
    assert!(
        t.contains("pull stopped: the --deadline-s passed while listing"),
        "{t}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
