//! The camera's web server as the driver loop sees it: requests of `core::media` out, each run
//! on its own task by `io::media`'s client, answers back in (one at a time: the core never has
//! two in flight).

use std::net::SocketAddr;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::config::Config;
use crate::core::bridge::Bridge;
use crate::core::link::SiyiLink;
use crate::core::media::api::ApiError;
use crate::core::media::{MediaConfig, Reply, Request};
use crate::io::media::{FetchError, MediaClient};

/// Web server requests out, answers in.
pub(super) struct MediaPort {
    client: Option<MediaClient>,
    tx: mpsc::Sender<(u64, Reply)>,
    rx: mpsc::Receiver<(u64, Reply)>,
}

impl MediaPort {
    /// A port running requests with `client` (None: no web server; the core then asks nothing).
    pub(super) fn new(client: Option<MediaClient>) -> Self {
        let (tx, rx) = mpsc::channel(8);
        Self { client, tx, rx }
    }

    /// Starts every queued request on its own task.
    pub(super) fn flush(&mut self, bridge: &mut Bridge<SiyiLink>) {
        while let Some(req) = bridge.poll_media_request() {
            let Some(client) = self.client.clone() else {
                continue;
            };
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let reply = run(&client, req.request).await;
                let _ = tx.send((req.id, reply)).await;
            });
        }
    }

    /// The next answer (cancel-safe).
    pub(super) async fn recv(&mut self) -> Option<(u64, Reply)> {
        self.rx.recv().await
    }

    /// Hands an answer to the core.
    pub(super) fn handle(bridge: &mut Bridge<SiyiLink>, now: Instant, (id, reply): (u64, Reply)) {
        bridge.handle_media_reply(now, id, reply);
    }
}

/// The media service's configuration and the client of the camera's web server: on the
/// camera's host at `--media-port`, or the simulator's web server (`sim_web`: Some with
/// `--simulate`, holding its address unless `--sim-web off`). None with `--no-media`.
pub(super) fn setup(
    config: &Config,
    camera: SocketAddr,
    sim_web: Option<Option<SocketAddr>>,
) -> Option<(MediaConfig, MediaClient)> {
    let port = config.media_port?;
    let web = match sim_web {
        Some(web) => web?,
        None => SocketAddr::new(camera.ip(), port),
    };
    let base = url::Url::parse(&format!("http://{web}")).ok()?;
    let client = match MediaClient::new(base.clone()) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("cannot make an HTTP client for the camera's web server: {e}");
            return None;
        }
    };
    let url_base = config
        .media_url_base
        .clone()
        .unwrap_or_else(|| base.clone());
    tracing::info!(
        "photo files from the camera's web server at {base}{}",
        if url_base == base {
            String::new()
        } else {
            format!(", given to ground stations under {url_base}")
        }
    );
    let media = MediaConfig {
        camera_host: base.host_str().unwrap_or_default().to_owned(),
        url_base,
        card_bytes: config.sd_card_bytes,
    };
    Some((media, client))
}

async fn run(client: &MediaClient, request: Request) -> Reply {
    match request {
        Request::Api { kind, query } => Reply::Api(
            client
                .api(kind, &query)
                .await
                .map(|a| (a.status, a.body))
                .map_err(|e| match e {
                    FetchError::TooLarge { .. } => ApiError::TooLarge,
                    FetchError::Unreachable(why) => ApiError::NoAnswer(why),
                    // Not from `api` (it hands every status back), but a status all the same.
                    FetchError::Status { status } => ApiError::Refused {
                        status,
                        message: None,
                    },
                    FetchError::Redirected { status, location } => {
                        redirect_said(&location);
                        ApiError::Refused {
                            status,
                            message: Some(format!("a redirect to {location:?}, not followed")),
                        }
                    }
                }),
        ),
        Request::Head(file) => Reply::Head(client.head_size(&file).await.map_err(|e| {
            if let FetchError::Redirected { location, .. } = &e {
                redirect_said(location);
            }
        })),
    }
}

/// Warns (once per run) that the camera's web server redirects: the bridge never follows.
fn redirect_said(location: &str) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "the camera's web server redirects to {location:?}: redirects are not followed \
             (files come only from the camera itself); photo file URLs stay empty"
        );
    }
}
