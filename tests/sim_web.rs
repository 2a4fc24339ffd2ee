//! The simulated camera's web server (media API and downloads, `siyi-protocol.md` §8b) over real
//! HTTP on 127.0.0.1 (ephemeral ports), with reqwest as the client. Waits are bounded polls.
#![allow(clippy::disallowed_methods)] // real time: the list delay and the slow fault are timed

mod web_common;

use std::time::{Duration, Instant};

use serde_json::json;
use siyi_bridge::sim::web::{MediaStore, WebFaults, PHOTO_DIR, VIDEO_DIR};
use tokio::time::timeout;
use web_common::{
    client, get_json, header, instant_list, names, wait_for_count, web_server, API, WAIT,
};

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
    assert_eq!(header(&r, "content-type"), "image/jpeg");
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
        api_delay_ms: 800,
        ..instant_list()
    };
    let web = web_server(Some(store), faults).await;
    for query in ["getdirectories?media_type=0", "getmediacount?media_type=7"] {
        let started = Instant::now();
        let (status, _) = get_json(web.addr, &format!("{API}/{query}")).await;
        let took = started.elapsed();
        assert!(status == 200 || status == 400);
        assert!(took >= Duration::from_millis(800), "{query}: {took:?}");
    }
    // Downloads are not delayed (a generous bound under the API delay).
    let started = Instant::now();
    let r = client()
        .get(format!("http://{}/photo/{PHOTO_DIR}/{name}", web.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_millis(700));
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
