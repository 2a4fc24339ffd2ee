//! HTTP client for the camera's web server (port 82): it sends what `core::media` decides to ask
//! and hands back the status and body, bounded in size and time. It decides nothing about what
//! an answer means.

use std::time::Duration;

use url::Url;

use crate::core::media::api::{ApiQuery, MediaFile, MediaKind, API_BASE, MAX_API_BODY_BYTES};

/// Longest wait for a TCP connection to the web server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for a whole API answer.
pub const API_TIMEOUT: Duration = Duration::from_secs(5);

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
    http: reqwest::Client,
    base: Url,
}

impl MediaClient {
    /// A client of the web server at `base` (`http://192.168.144.25:82`).
    pub fn new(base: Url) -> reqwest::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .no_proxy()
            .build()?;
        Ok(Self { http, base })
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
        let response = request
            .send()
            .await
            .map_err(|e| FetchError::Unreachable(e.to_string()))?;
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
            .map_err(|e| FetchError::Unreachable(e.to_string()))?;
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
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Unreachable(e.to_string()))?
    {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge { limit_bytes: limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer { status, body })
}
