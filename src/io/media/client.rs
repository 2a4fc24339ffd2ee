//! The HTTP client of the camera's web server: API requests and HEAD, bounded in size and time,
//! redirects never followed (see the parent module).

use std::time::Duration;

use url::Url;

use crate::core::media::api::{ApiQuery, MediaFile, MediaKind, API_BASE, MAX_API_BODY_BYTES};

/// Longest wait for a TCP connection to the web server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a whole API answer.
pub const API_TIMEOUT: Duration = Duration::from_secs(5);

/// Default stall timeout, `media pull --stall-s`: a download that brings less than
/// [`MIN_PROGRESS_BYTES`] in this long (or a HEAD / GET that answers no headers) is abandoned,
/// and the next try resumes it.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes a download must bring within each stall timeout (or the rest of the file, if less):
/// 16 KiB per 10 s is 1.6 kB/s, a thousandth of what the camera's Ethernet delivers, and a
/// drip of 1 byte per second is abandoned.
pub const MIN_PROGRESS_BYTES: u64 = 16 * 1024;

/// Why a request got no answer to judge.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No connection, a reset, a timeout: the web server did not answer.
    #[error("no answer from the camera's web server: {0}")]
    Unreachable(String),
    /// The answer is longer than allowed; the rest was not read.
    #[error("the answer is longer than {limit_bytes} bytes")]
    TooLarge {
        /// The limit, bytes.
        limit_bytes: usize,
    },
    /// The web server answered with an HTTP status that is not success (404: no such file).
    #[error("the camera's web server answered HTTP {status}")]
    Status {
        /// HTTP status.
        status: u16,
    },
    /// The web server answered with a redirect (3xx): never followed.
    #[error("the camera's web server redirected (HTTP {status}) to {location:?}: redirects are not followed, files come only from the camera itself")]
    Redirected {
        /// HTTP status.
        status: u16,
        /// Its `Location` header (at most [`MAX_LOCATION_CHARS`] characters of it), or empty.
        location: String,
    },
}

/// Most characters of a redirect's `Location` kept for the report.
pub const MAX_LOCATION_CHARS: usize = 200;

/// [`FetchError::Redirected`] if `response` is a redirect.
pub(super) fn redirected(response: &reqwest::Response) -> Result<(), FetchError> {
    if !response.status().is_redirection() {
        return Ok(());
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(MAX_LOCATION_CHARS)
                .collect()
        })
        .unwrap_or_default();
    Err(FetchError::Redirected {
        status: response.status().as_u16(),
        location,
    })
}

/// A status and a body read to its end (at most the limit).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// A client of one camera's web server.
#[derive(Clone, Debug)]
pub struct MediaClient {
    pub(super) http: reqwest::Client,
    pub(super) base: Url,
    /// A download that brings less than [`MIN_PROGRESS_BYTES`] in this long is abandoned.
    pub(super) stall: Duration,
}

impl MediaClient {
    /// A client of the web server at `base` (`http://192.168.144.25:82`). It never follows a
    /// redirect.
    pub fn new(base: Url) -> reqwest::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()?;
        Ok(Self {
            http,
            base,
            stall: STALL_TIMEOUT,
        })
    }

    /// The same client with another stall timeout for downloads (default [`STALL_TIMEOUT`]): a
    /// download bringing less than [`MIN_PROGRESS_BYTES`] within `stall` is abandoned (and a
    /// HEAD or GET answering no headers within it).
    pub fn with_stall_timeout(mut self, stall: Duration) -> Self {
        self.stall = stall;
        self
    }

    /// The stall timeout of downloads.
    pub fn stall_timeout(&self) -> Duration {
        self.stall
    }

    /// The web server's address.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The host the camera is reached at (for checking listing URLs).
    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or_default()
    }

    /// One API request (`getdirectories`, `getmediacount`, `getmedialist`).
    pub async fn api(&self, kind: MediaKind, query: &ApiQuery) -> Result<Answer, FetchError> {
        let url = self
            .base
            .join(API_BASE)
            .and_then(|u| u.join(query.endpoint()))
            .map_err(|e| FetchError::Unreachable(e.to_string()))?;
        let request = self
            .http
            .get(url)
            .query(&query.params(kind))
            .timeout(API_TIMEOUT);
        let response = request.send().await.map_err(unreachable)?;
        redirected(&response)?;
        read_bounded(response, MAX_API_BODY_BYTES).await
    }
}

impl MediaClient {
    /// The size of `file` from a HEAD request (None: no Content-Length, or not found).
    pub async fn head_size(&self, file: &MediaFile) -> Result<Option<u64>, FetchError> {
        let url = self
            .base
            .join(&file.path())
            .map_err(|e| FetchError::Unreachable(e.to_string()))?;
        let response = self
            .http
            .head(url)
            .timeout(API_TIMEOUT)
            .send()
            .await
            .map_err(unreachable)?;
        redirected(&response)?;
        if !response.status().is_success() {
            return Ok(None);
        }
        Ok(response
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok()))
    }
}

/// A transport error with its causes (reqwest's own text omits them: "connection refused").
pub(super) fn unreachable(e: reqwest::Error) -> FetchError {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    FetchError::Unreachable(text)
}

/// Reads a body chunk by chunk, stopping past `limit` bytes.
pub async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Answer, FetchError> {
    let status = response.status().as_u16();
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(FetchError::TooLarge { limit_bytes: limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge { limit_bytes: limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_is_told_with_where_it_pointed_cut_by_characters() {
        let long = format!("http://127.0.0.2/{}", "é".repeat(300));
        let r = http_response(302, Some(&long));
        match redirected(&r) {
            Err(FetchError::Redirected { status, location }) => {
                assert_eq!(status, 302);
                assert_eq!(location.chars().count(), MAX_LOCATION_CHARS);
                assert!(location.starts_with("http://127.0.0.2/é"));
            }
            other => panic!("{other:?}"),
        }
        assert!(redirected(&http_response(200, None)).is_ok());
        let e = redirected(&http_response(301, None)).unwrap_err();
        assert!(e.to_string().contains("redirects are not followed"), "{e}");
    }

    fn http_response(status: u16, location: Option<&str>) -> reqwest::Response {
        let mut b = axum::http::Response::builder().status(status);
        if let Some(l) = location {
            b = b.header("location", l);
        }
        reqwest::Response::from(b.body(Vec::<u8>::new()).unwrap())
    }
}
