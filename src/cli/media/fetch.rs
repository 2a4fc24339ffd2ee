//! Asking the camera's web server from the CLI: the listing walk, HEAD requests, and the
//! retry of transient failures.
//!
//! Owns nothing: each function asks through the client and returns what came back.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;

use crate::core::media::api::{ApiError, ApiQuery, MediaFile, MediaKind};
use crate::core::media::listing::{Listing, MediaListing};
use crate::io::media::{FetchError, FileMeta, MediaClient};

/// Waits before the 2nd, 3rd and 4th try of a request or download.
pub(super) const BACKOFF: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// How many HEAD requests `media list` keeps in flight.
pub(super) const HEAD_CONCURRENCY: usize = 4;

/// Calls `f` until it succeeds, fails for good (`transient` says no) or has been tried
/// 1 + [`BACKOFF`].len() times.
pub(super) async fn retry<T, E: std::fmt::Display, Fut: Future<Output = Result<T, E>>>(
    what: &str,
    transient: impl Fn(&E) -> bool,
    mut f: impl FnMut() -> Fut,
) -> Result<T, E> {
    let mut waits = BACKOFF.iter();
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if transient(&e) => match waits.next() {
                Some(wait) => {
                    tracing::debug!("{what}: {e}; trying again in {wait:?}");
                    eprintln!("note: {what}: {e}; trying again in {} ms", wait.as_millis());
                    tokio::time::sleep(*wait).await;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

pub(super) fn fetch_transient(e: &FetchError) -> bool {
    match e {
        FetchError::Unreachable(_) => true,
        FetchError::Status { status } => *status >= 500,
        FetchError::TooLarge { .. } | FetchError::Redirected { .. } => false,
    }
}

/// Walks the listing of `kind` (core::media::listing) with the client.
pub(super) async fn walk(client: &MediaClient, kind: MediaKind) -> anyhow::Result<MediaListing> {
    let mut listing = Listing::new(kind, client.host());
    while let Some(query) = listing.next_query() {
        let what = describe(&query);
        let mut waits = BACKOFF.iter();
        loop {
            // A failed answer leaves the walk where it was: the same query can be sent again.
            let (result, transient) = match client.api(kind, &query).await {
                Ok(a) => match listing.handle_answer(a.status, &a.body) {
                    Ok(()) => break,
                    Err(e) => {
                        // A busy or half-booted camera: an HTTP 5xx, an HTML page.
                        let transient = matches!(
                            e,
                            ApiError::Refused { status, .. } if status >= 500
                        ) || matches!(e, ApiError::Malformed(_));
                        (anyhow::Error::new(e), transient)
                    }
                },
                Err(e) => {
                    let transient = fetch_transient(&e);
                    (anyhow::Error::new(e), transient)
                }
            };
            match waits.next().filter(|_| transient) {
                Some(wait) => {
                    eprintln!(
                        "note: {what}: {result:#}; trying again in {} ms",
                        wait.as_millis()
                    );
                    tokio::time::sleep(*wait).await;
                }
                None => {
                    return Err(result)
                        .with_context(|| format!("{what} (listing the camera's {}s)", kind.noun()))
                }
            }
        }
    }
    let out = listing.finish();
    for r in &out.refused {
        eprintln!("refused: {:?}: {}", r.name, r.reason);
    }
    if out.refused_count > out.refused.len() {
        eprintln!(
            "refused: {} more entries (not shown)",
            out.refused_count - out.refused.len()
        );
    }
    if let Some(e) = &out.exceeded {
        eprintln!("error: {e}");
    }
    Ok(out)
}

fn describe(query: &ApiQuery) -> String {
    match query {
        ApiQuery::Directories => "getdirectories".to_owned(),
        ApiQuery::Count { path } => format!("getmediacount {path:?}"),
        ApiQuery::List { path, start, count } => {
            format!("getmedialist {path:?} from {start} ({count})")
        }
    }
}

pub(super) async fn head(client: &MediaClient, file: &MediaFile) -> Result<FileMeta, FetchError> {
    retry(&format!("HEAD {}", file.path()), fetch_transient, || {
        client.head(file)
    })
    .await
}
