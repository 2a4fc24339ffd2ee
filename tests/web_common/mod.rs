//! What the web-server tests share: a simulated web server on an ephemeral port of 127.0.0.1
//! and a reqwest client with bounded waits.
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use siyi_bridge::sim::web::{self, MediaStore, WebFaults};
use tokio::sync::oneshot;
use tokio::time::timeout;

pub const WAIT: Duration = Duration::from_secs(5);
pub const API: &str = "/cgi-bin/media.cgi/api/v1";

/// Faults with no list delay: a saved file is listed at once.
pub fn instant_list() -> WebFaults {
    WebFaults {
        list_delay_ms: 0,
        ..WebFaults::default()
    }
}

/// A web server on an ephemeral port of 127.0.0.1; it stops when the guard is dropped.
pub struct WebServer {
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

pub async fn web_server(store: Option<MediaStore>, faults: WebFaults) -> WebServer {
    let (stop, stopped) = oneshot::channel::<()>();
    let (addr, _task) = web::spawn("127.0.0.1:0".parse().unwrap(), store, faults, async {
        let _ = stopped.await;
    })
    .await
    .expect("bind");
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    WebServer { addr, _stop: stop }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(WAIT)
        .build()
        .unwrap()
}

/// GET `path_and_query` on `addr`: status and the JSON body.
pub async fn get_json(addr: SocketAddr, path_and_query: &str) -> (u16, Value) {
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

pub fn names(body: &Value) -> Vec<String> {
    body["data"]["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect()
}

/// Polls `count` of media type `kind` until it is `want` (bounded by [`WAIT`]).
pub async fn wait_for_count(addr: SocketAddr, kind: u8, want: u64) {
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

pub fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
