//! The simulated camera's web server (HTTP port 82 on a real A8 mini): the media API and the
//! files of its SD card (`siyi-protocol.md` §8b "Web server (media API)").
//!
//! * `GET /cgi-bin/media.cgi/api/v1/getdirectories?media_type=0|1`, `getmediacount`,
//!   `getmedialist` (also with `//cgi-bin`, as the vendor text writes it): see [`api`] for the
//!   answers and errors. Every `url` carries the camera's **factory** address
//!   ([`FACTORY_MEDIA_BASE`]), not the simulator's: clients must rewrite the host.
//! * `GET` / `HEAD /photo/<dir>/<file>`: the files, by `tower-http`'s `ServeDir` (Content-Length,
//!   Last-Modified, `Range` → 206).
//! * Anything else: 404.
//!
//! The card is a [`MediaStore`] (a directory on disk); the UDP server
//! ([`server::spawn_with_media`](super::server::spawn_with_media)) saves a file there for each
//! photo and each finished recording of the simulated camera. A new file is listed only
//! [`WebFaults::list_delay_ms`] after the shot (public clients wait about 0.5 s).
//!
//! Fault knobs ([`WebFaults`]): a delay before every API answer ("slow", [`WebFaults::slow`]);
//! "absent" is simply not starting the server (nothing listens on the port). No SD card is
//! `store: None`: the API lists nothing and every download is 404.
//!
//! This is an I/O shell of the simulator: it reads the clock (for the list delay).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::services::ServeDir;

pub mod api;
mod sample;
mod store;

pub use api::{Endpoint, FACTORY_MEDIA_BASE};
pub use store::{MediaKind, MediaStore, PHOTO_DIR, VIDEO_DIR};

/// Default [`WebFaults::list_delay_ms`]: a new file is listed this long after the shot.
pub const DEFAULT_LIST_DELAY_MS: u64 = 300;

/// [`WebFaults::api_delay_ms`] of a "slow" web server ([`WebFaults::slow`]).
pub const SLOW_API_DELAY_MS: u64 = 3_000;

/// Fault knobs of the simulated web server, plain data. The default is a healthy server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebFaults {
    /// Delay before every API answer, milliseconds (downloads are not delayed).
    pub api_delay_ms: u64,
    /// A new file is listed (count and list) only this long after it was saved, milliseconds.
    pub list_delay_ms: u64,
}

impl Default for WebFaults {
    /// No API delay; new files listed after [`DEFAULT_LIST_DELAY_MS`].
    fn default() -> Self {
        Self {
            api_delay_ms: 0,
            list_delay_ms: DEFAULT_LIST_DELAY_MS,
        }
    }
}

impl WebFaults {
    /// A slow server: every API answer comes [`SLOW_API_DELAY_MS`] late.
    pub fn slow() -> Self {
        Self {
            api_delay_ms: SLOW_API_DELAY_MS,
            ..Self::default()
        }
    }
}

/// What the handlers share.
#[derive(Debug)]
struct Web {
    store: Option<MediaStore>,
    faults: WebFaults,
}

// The web server is an I/O shell of the simulator: it is the clock of the list delay.
#[allow(clippy::disallowed_methods)]
fn clock_now() -> Instant {
    Instant::now()
}

/// The web server's routes: the media API on both prefixes, `/photo/…` from the store's root
/// (none without a store: no SD card), 404 for the rest.
pub fn router(store: Option<MediaStore>, faults: WebFaults) -> Router {
    let files = store.as_ref().map(|s| ServeDir::new(s.root()));
    let web = Arc::new(Web { store, faults });
    let router = Router::new().fallback(api_handler).with_state(web);
    match files {
        Some(files) => router.nest_service("/photo", files),
        None => router,
    }
}

async fn api_handler(State(web): State<Arc<Web>>, method: Method, uri: Uri) -> Response {
    let Some(endpoint) = Endpoint::from_path(uri.path()) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    if web.faults.api_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(web.faults.api_delay_ms)).await;
    }
    let query = match Query::<Vec<(String, String)>>::try_from_uri(&uri) {
        Ok(Query(q)) => q,
        Err(_) => Vec::new(),
    };
    let list_delay = Duration::from_millis(web.faults.list_delay_ms);
    let a = api::answer(
        web.store.as_ref(),
        endpoint,
        &query,
        clock_now(),
        list_delay,
    );
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    tracing::debug!(%uri, status = a.status, "simulated web server answer");
    (status, Json(a.body)).into_response()
}

/// Serves the simulated web server on `listener` until `shutdown` completes (then lets open
/// requests finish). `store` None: no SD card.
pub async fn serve(
    listener: TcpListener,
    store: Option<MediaStore>,
    faults: WebFaults,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    tracing::debug!(%local, ?faults, card = store.is_some(), "simulated web server serving");
    axum::serve(listener, router(store, faults))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `bind` (port 0: an ephemeral port) and serves in a new task until `shutdown`
/// completes. Returns the address actually bound and the task.
pub async fn spawn(
    bind: SocketAddr,
    store: Option<MediaStore>,
    faults: WebFaults,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<(SocketAddr, JoinHandle<io::Result<()>>)> {
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(serve(listener, store, faults, shutdown));
    Ok((addr, task))
}
