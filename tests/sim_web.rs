//! The simulated camera's web server (media API and downloads, `siyi-protocol.md` §8b) over real
//! HTTP on 127.0.0.1 (ephemeral ports), with reqwest as the client. Waits are bounded polls.
#![allow(clippy::disallowed_methods)] // real time: the list delay and the slow fault are timed

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use siyi_bridge::app;
use siyi_bridge::config::{Config, SimWeb};
use siyi_bridge::io::endpoint::Endpoint;
use siyi_bridge::sim::web::{self, MediaStore, WebFaults, PHOTO_DIR, VIDEO_DIR};
use siyi_bridge::sim::{server, SimConfig};
use siyi_protocol::{FeedbackCode, Frame, FunctionType, Reply, Request};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);
const API: &str = "/cgi-bin/media.cgi/api/v1";

/// Faults with no list delay: a saved file is listed at once.
fn instant_list() -> WebFaults {
    WebFaults {
        list_delay_ms: 0,
        ..WebFaults::default()
    }
}

/// A web server on an ephemeral port of 127.0.0.1; it stops when the guard is dropped.
struct WebServer {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn web_server(store: Option<MediaStore>, faults: WebFaults) -> WebServer {
    let (stop, stopped) = oneshot::channel::<()>();
    let (addr, _task) = web::spawn("127.0.0.1:0".parse().unwrap(), store, faults, async {
        let _ = stopped.await;
    })
    .await
    .expect("bind");
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    WebServer { addr, _stop: stop }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(WAIT)
        .build()
        .unwrap()
}

/// GET `path_and_query` on `addr`: status and the JSON body.
async fn get_json(addr: SocketAddr, path_and_query: &str) -> (u16, Value) {
    let r = client()
        .get(format!("http://{addr}{path_and_query}"))
        .send()
        .await
        .expect("answer");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, body)
}

fn names(body: &Value) -> Vec<String> {
    body["data"]["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect()
}

/// Polls `count` of media type `kind` until it is `want` (bounded by [`WAIT`]).
async fn wait_for_count(addr: SocketAddr, kind: u8, want: u64) {
    let query = format!("{API}/getmediacount?media_type={kind}");
    timeout(WAIT, async {
        loop {
            let (_, body) = get_json(addr, &query).await;
            if body["data"]["count"] == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("media_type {kind}: count never reached {want}"));
}

#[tokio::test]
async fn three_endpoints_answer_in_the_envelope_on_both_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    for _ in 0..3 {
        store.save_photo().unwrap();
    }
    store.save_video().unwrap();
    let web = web_server(Some(store), instant_list()).await;

    for prefix in ["//cgi-bin/media.cgi/api/v1", API] {
        let (status, body) =
            get_json(web.addr, &format!("{prefix}/getdirectories?media_type=0")).await;
        assert_eq!(status, 200);
        assert_eq!(body["code"], 200);
        assert_eq!(body["success"], true);
        assert!(body["message"].is_string());
        assert_eq!(
            body["data"],
            json!({"media_type": 0, "directories": [{"name": PHOTO_DIR, "path": PHOTO_DIR}]})
        );
        let (_, body) = get_json(web.addr, &format!("{prefix}/getdirectories?media_type=1")).await;
        assert_eq!(
            body["data"]["directories"],
            json!([{"name": VIDEO_DIR, "path": VIDEO_DIR}])
        );

        let (status, body) = get_json(
            web.addr,
            &format!("{prefix}/getmediacount?media_type=0&path={PHOTO_DIR}"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"],
            json!({"media_type": 0, "path": PHOTO_DIR, "count": 3})
        );
        // Empty or absent path: every directory of that type.
        let (_, body) = get_json(
            web.addr,
            &format!("{prefix}/getmediacount?media_type=0&path="),
        )
        .await;
        assert_eq!(body["data"]["count"], 3);
        let (_, body) = get_json(web.addr, &format!("{prefix}/getmediacount?media_type=1")).await;
        assert_eq!(
            body["data"],
            json!({"media_type": 1, "path": "", "count": 1})
        );

        let (status, body) = get_json(
            web.addr,
            &format!("{prefix}/getmedialist?media_type=0&path={PHOTO_DIR}&start=0&count=10"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["success"], true);
        assert_eq!(body["data"]["media_type"], 0);
        assert_eq!(body["data"]["path"], PHOTO_DIR);
        assert_eq!(
            names(&body),
            ["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"]
        );
        // The quirk: the url carries the camera's factory address, not the simulator's.
        assert_eq!(
            body["data"]["list"][0]["url"],
            "http://192.168.144.25:82/photo/101SIYI_IMG/IMG_0001.jpg"
        );
        let (_, body) = get_json(
            web.addr,
            &format!("{prefix}/getmedialist?media_type=1&start=0&count=10"),
        )
        .await;
        assert_eq!(
            body["data"]["list"],
            json!([{"name": "REC_0001.mp4", "url": "http://192.168.144.25:82/photo/100SIYI_VID/REC_0001.mp4"}])
        );
    }
}

#[tokio::test]
async fn bad_media_type_and_unknown_path_are_400_and_other_routes_404() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    let web = web_server(Some(store), instant_list()).await;
    let invalid = json!({"code": 400, "success": false, "message": "Invalid media type"});
    for query in [
        "getdirectories",
        "getdirectories?media_type=2",
        "getmediacount?media_type=x",
        "getmedialist?path=101SIYI_IMG&start=0&count=5",
    ] {
        let (status, body) = get_json(web.addr, &format!("{API}/{query}")).await;
        assert_eq!((status, &body), (400, &invalid), "{query}");
    }
    let not_exist = json!({"code": 400, "success": false, "message": "path not exist"});
    for query in [
        "getmediacount?media_type=0&path=999SIYI_IMG",
        "getmedialist?media_type=1&path=101SIYI_IMG&start=0&count=5",
    ] {
        let (status, body) = get_json(web.addr, &format!("{API}/{query}")).await;
        assert_eq!((status, &body), (400, &not_exist), "{query}");
    }
    for path in [
        "/",
        "/cgi-bin/media.cgi/api/v1/getnothing?media_type=0",
        "/photo/101SIYI_IMG/IMG_0001.jpg",
        "/index.html",
    ] {
        let r = client()
            .get(format!("http://{}{path}", web.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }
}

#[tokio::test]
async fn paging_past_the_end_returns_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    for _ in 0..5 {
        store.save_photo().unwrap();
    }
    let web = web_server(Some(store), instant_list()).await;
    let list = |start: u32, count: u32| {
        let q =
            format!("{API}/getmedialist?media_type=0&path={PHOTO_DIR}&start={start}&count={count}");
        async move { get_json(web.addr, &q).await }
    };
    let (_, body) = list(0, 2).await;
    assert_eq!(names(&body), ["IMG_0001.jpg", "IMG_0002.jpg"]);
    let (_, body) = list(3, 10).await;
    assert_eq!(names(&body), ["IMG_0004.jpg", "IMG_0005.jpg"]);
    let (status, body) = list(5, 10).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["list"], json!([]));
    let (status, body) = list(100, 1).await;
    assert_eq!((status, names(&body).len()), (200, 0));
}

#[tokio::test]
async fn photo_downloads_as_a_jpeg_with_length_head_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    let name = store.save_photo().unwrap();
    let web = web_server(Some(store), instant_list()).await;
    let url = format!("http://{}/photo/{PHOTO_DIR}/{name}", web.addr);

    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let length: usize = header(&r, "content-length").parse().unwrap();
    assert!(!header(&r, "last-modified").is_empty());
    let jpeg = r.bytes().await.unwrap();
    assert_eq!(jpeg.len(), length);
    assert!(jpeg.len() > 100, "{} bytes", jpeg.len());
    assert_eq!(jpeg[..2], [0xFF, 0xD8], "JPEG SOI");
    assert_eq!(jpeg[jpeg.len() - 2..], [0xFF, 0xD9], "JPEG EOI");

    let r = client().head(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(&r, "content-length"), length.to_string());

    let from = length - 10;
    let r = client()
        .get(&url)
        .header("Range", format!("bytes={from}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(
        header(&r, "content-range"),
        format!("bytes {from}-{}/{length}", length - 1)
    );
    assert_eq!(r.bytes().await.unwrap(), jpeg[from..]);
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_new_photo_is_listed_only_after_the_list_delay() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    let delay = Duration::from_millis(600);
    let faults = WebFaults {
        list_delay_ms: 600,
        ..WebFaults::default()
    };
    let web = web_server(Some(store.clone()), faults).await;
    let count = format!("{API}/getmediacount?media_type=0");

    let before = Instant::now();
    store.save_photo().unwrap();
    let (_, body) = get_json(web.addr, &count).await;
    if before.elapsed() < delay {
        assert_eq!(body["data"]["count"], 0, "listed before the delay");
        let (_, body) = get_json(web.addr, &format!("{API}/getmedialist?media_type=0")).await;
        if before.elapsed() < delay {
            assert_eq!(body["data"]["list"], json!([]));
        }
    }
    wait_for_count(web.addr, 0, 1).await;
    assert!(
        before.elapsed() >= delay,
        "listed after {:?}",
        before.elapsed()
    );
    assert_eq!(WebFaults::default().list_delay_ms, 300);
}

#[tokio::test]
async fn slow_delays_every_api_answer() {
    assert_eq!(WebFaults::slow().api_delay_ms, 3_000);
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    let name = store.save_photo().unwrap();
    let faults = WebFaults {
        api_delay_ms: 500,
        ..instant_list()
    };
    let web = web_server(Some(store), faults).await;
    for query in ["getdirectories?media_type=0", "getmediacount?media_type=7"] {
        let started = Instant::now();
        let (status, _) = get_json(web.addr, &format!("{API}/{query}")).await;
        let took = started.elapsed();
        assert!(status == 200 || status == 400);
        assert!(took >= Duration::from_millis(500), "{query}: {took:?}");
    }
    // Downloads are not delayed (a generous bound: well under the API delay).
    let started = Instant::now();
    let r = client()
        .get(format!("http://{}/photo/{PHOTO_DIR}/{name}", web.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_millis(450));
}

#[tokio::test]
async fn numbering_continues_in_a_reused_directory() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = MediaStore::open(dir.path()).unwrap();
        store.save_photo().unwrap();
        store.save_photo().unwrap();
        store.save_video().unwrap();
    }
    let store = MediaStore::open(dir.path()).unwrap();
    assert_eq!(store.save_photo().unwrap(), "IMG_0003.jpg");
    assert_eq!(store.save_video().unwrap(), "REC_0002.mp4");
    let web = web_server(Some(store), instant_list()).await;
    let (_, body) = get_json(web.addr, &format!("{API}/getmedialist?media_type=0&path=")).await;
    assert_eq!(
        names(&body),
        ["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"]
    );
    let (_, body) = get_json(web.addr, &format!("{API}/getmedialist?media_type=1")).await;
    assert_eq!(names(&body), ["REC_0001.mp4", "REC_0002.mp4"]);
}

/// The UDP simulator writing into `store`, and a SIYI client socket.
struct UdpSim {
    addr: SocketAddr,
    client: UdpSocket,
    seq: u16,
    _stop: oneshot::Sender<()>,
}

impl UdpSim {
    async fn start(config: SimConfig, store: MediaStore) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr, _task, _pose) = server::spawn_with_media(
            "127.0.0.1:0".parse().unwrap(),
            config,
            async {
                let _ = stopped.await;
            },
            Some(store),
        )
        .await
        .expect("bind");
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        Self {
            addr,
            client,
            seq: 0,
            _stop: stop,
        }
    }

    async fn function(&mut self, f: FunctionType) {
        self.seq += 1;
        let bytes = Request::Function(f).to_frame(self.seq).to_bytes();
        self.client.send_to(&bytes, self.addr).await.unwrap();
    }

    /// The next 0x0B push (other frames skipped).
    async fn feedback(&mut self) -> FeedbackCode {
        let mut buf = [0u8; 512];
        timeout(WAIT, async {
            loop {
                let (len, _) = self.client.recv_from(&mut buf).await.unwrap();
                let (frame, _) = Frame::parse(&buf[..len]).expect("frame");
                if let Ok(Reply::FunctionFeedback(code)) = Reply::from_frame(&frame) {
                    return code;
                }
            }
        })
        .await
        .expect("0x0B within the wait")
    }
}

#[tokio::test]
async fn a_photo_and_a_recording_over_siyi_udp_become_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    let web = web_server(Some(store.clone()), WebFaults::default()).await;
    let mut sim = UdpSim::start(SimConfig::instant_boot(), store).await;

    sim.function(FunctionType::TakePhoto).await;
    assert_eq!(sim.feedback().await, FeedbackCode::PhotoOk);
    wait_for_count(web.addr, 0, 1).await;
    let (_, body) = get_json(
        web.addr,
        &format!("{API}/getmedialist?media_type=0&start=0&count=5"),
    )
    .await;
    assert_eq!(names(&body), ["IMG_0001.jpg"]);
    let jpeg = client()
        .get(format!(
            "http://{}/photo/{PHOTO_DIR}/IMG_0001.jpg",
            web.addr
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!((jpeg[0], jpeg[1]), (0xFF, 0xD8));

    // Start and stop a recording: one video.
    sim.function(FunctionType::RecordToggle).await;
    sim.function(FunctionType::RecordToggle).await;
    wait_for_count(web.addr, 1, 1).await;
    assert!(dir.path().join(VIDEO_DIR).join("REC_0001.mp4").is_file());
}

#[tokio::test]
async fn no_sd_card_no_files_and_the_api_lists_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = MediaStore::open(dir.path()).unwrap();
    let web = web_server(None, instant_list()).await;
    let config = SimConfig {
        sd_card: false,
        ..SimConfig::instant_boot()
    };
    let mut sim = UdpSim::start(config, store).await;
    sim.function(FunctionType::TakePhoto).await;
    assert_eq!(sim.feedback().await, FeedbackCode::PhotoFailed);
    sim.function(FunctionType::RecordToggle).await;
    assert_eq!(sim.feedback().await, FeedbackCode::RecordFailed);

    let (status, body) = get_json(web.addr, &format!("{API}/getdirectories?media_type=0")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["directories"], json!([]));
    let (_, body) = get_json(web.addr, &format!("{API}/getmediacount?media_type=0")).await;
    assert_eq!(body["data"]["count"], 0);
    let (_, body) = get_json(
        web.addr,
        &format!("{API}/getmedialist?media_type=1&start=0&count=9"),
    )
    .await;
    assert_eq!(body["data"]["list"], json!([]));
    assert!(dir_is_empty(&dir.path().join(PHOTO_DIR)));
    assert!(dir_is_empty(&dir.path().join(VIDEO_DIR)));
}

fn dir_is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

fn simulated(sim_web: SimWeb) -> Config {
    Config {
        sim_web,
        ..Config::simulated(vec![Endpoint::UdpIn("127.0.0.1:0".parse().unwrap())])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_simulate_serves_the_web_server_from_a_temporary_card() {
    let running = app::spawn(simulated(SimWeb::Ok))
        .await
        .expect("bridge starts");
    let addr = running.sim_web.expect("web server on");
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let card = running.sim_media_dir.clone().expect("card directory");
    assert!(card.join(PHOTO_DIR).is_dir() && card.join(VIDEO_DIR).is_dir());
    let (status, body) = get_json(addr, &format!("{API}/getdirectories?media_type=0")).await;
    assert_eq!(
        (status, &body["data"]["directories"][0]["name"]),
        (200, &json!(PHOTO_DIR))
    );
    running.stop().await.expect("clean stop");
    assert!(!card.exists(), "the temporary card is removed at exit");

    let running = app::spawn(simulated(SimWeb::Off))
        .await
        .expect("bridge starts");
    assert_eq!(running.sim_web, None);
    running.stop().await.expect("clean stop");
}

#[tokio::test]
async fn double_slash_request_target_is_answered_as_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let web = web_server(Some(MediaStore::open(dir.path()).unwrap()), instant_list()).await;
    // Raw HTTP/1.1, so no client library can normalise the path.
    let mut tcp = tokio::net::TcpStream::connect(web.addr).await.unwrap();
    let request = "GET //cgi-bin/media.cgi/api/v1/getmediacount?media_type=0 HTTP/1.1\r\n\
                   Host: 192.168.144.25:82\r\nConnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    timeout(WAIT, tcp.read_to_string(&mut answer))
        .await
        .expect("answer in time")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""count":0"#), "{answer}");
}
