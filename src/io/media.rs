//! HTTP client for the camera's web server (port 82): it sends what `core::media` decides to ask
//! and hands back the status and body, bounded in size and time. It decides nothing about what
//! an answer means.
//!
//! It also fetches files: [`MediaClient::head`] (size, Last-Modified) and the resumable
//! [`MediaClient::download`] into a local directory (a `.part` file continued with `Range`,
//! checked against the announced size, then renamed; a complete file is never overwritten).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use url::Url;

use crate::core::media::api::{
    is_plain_name, ApiQuery, MediaFile, MediaKind, API_BASE, MAX_API_BODY_BYTES,
};

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
    /// The web server answered with an HTTP status that is not success (404: no such file).
    #[error("the camera's web server answered HTTP {status}")]
    Status {
        /// HTTP status.
        status: u16,
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

/// Longest wait for the next piece of a download (or for a HEAD / GET to answer its headers):
/// a stalled transfer fails after this, and the next try resumes it.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What a HEAD request tells of a file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FileMeta {
    /// Its size (Content-Length), bytes, if the server said.
    pub size_bytes: Option<u64>,
    /// Its Last-Modified time, if the server said (and it parses as an HTTP date).
    pub modified: Option<SystemTime>,
}

/// How a download ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DownloadOutcome {
    /// The local file was already complete (same size as on the camera): nothing fetched.
    AlreadyComplete,
    /// Fetched from the start.
    Fetched,
    /// A `.part` left by an earlier try was continued from `from_bytes`.
    Resumed {
        /// Bytes already there.
        from_bytes: u64,
    },
}

/// A file now complete in the local directory.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Downloaded {
    /// How it went.
    pub outcome: DownloadOutcome,
    /// Where it is.
    pub path: PathBuf,
    /// Its size, bytes.
    pub size_bytes: u64,
    /// Bytes received by this call.
    pub received_bytes: u64,
}

/// Why a download did not complete. A `.part` file stays for the next try to continue.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The file name is not a plain name: it is never joined to a local path.
    #[error("{0:?} is not a plain file name: refused")]
    UnsafeName(String),
    /// No answer, a stalled or broken transfer, an HTTP error.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The body is not as long as announced.
    #[error("got {got_bytes} bytes of {expected_bytes}")]
    Short {
        /// Bytes announced (Content-Length / Content-Range / HEAD).
        expected_bytes: u64,
        /// Bytes the file has.
        got_bytes: u64,
    },
    /// HEAD and GET disagree about the size: the file changed on the camera.
    #[error("the camera announced {head_bytes} bytes, then sent {get_bytes}")]
    SizeChanged {
        /// Size from HEAD.
        head_bytes: u64,
        /// Size from the GET.
        get_bytes: u64,
    },
    /// A local file of that name exists with another size: it is not overwritten.
    #[error("{} exists with {local_bytes} bytes, the camera's has {}: not overwritten", path.display(), remote_bytes.map_or("an unknown size".to_owned(), |b| format!("{b} bytes")))]
    Conflict {
        /// The local file.
        path: PathBuf,
        /// Its size.
        local_bytes: u64,
        /// The camera's size, if known.
        remote_bytes: Option<u64>,
    },
    /// A local file could not be read, written or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

impl DownloadError {
    /// Whether trying again may help (the transfer broke or stalled; a `.part` keeps what came).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Fetch(FetchError::Unreachable(_)) | Self::Short { .. }
        ) || matches!(self, Self::Fetch(FetchError::Status { status }) if *status >= 500)
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A transport error with its causes (reqwest's own text omits them: "connection refused").
fn unreachable(e: reqwest::Error) -> FetchError {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    FetchError::Unreachable(text)
}

async fn within<T>(
    f: impl std::future::Future<Output = reqwest::Result<T>>,
) -> Result<T, FetchError> {
    match tokio::time::timeout(STALL_TIMEOUT, f).await {
        Ok(r) => r.map_err(unreachable),
        Err(_) => Err(FetchError::Unreachable(format!(
            "nothing for {} s",
            STALL_TIMEOUT.as_secs()
        ))),
    }
}

/// The first byte and the total size of a `Content-Range: bytes FIRST-LAST/TOTAL` header.
fn content_range(response: &reqwest::Response) -> Option<(u64, Option<u64>)> {
    parse_content_range(
        response
            .headers()
            .get(reqwest::header::CONTENT_RANGE)?
            .to_str()
            .ok()?,
    )
}

/// `bytes FIRST-LAST/TOTAL` → (FIRST, TOTAL); TOTAL `*` (unknown) → None.
fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, _) = range.split_once('-')?;
    Some((first.trim().parse().ok()?, total.trim().parse().ok()))
}

impl MediaClient {
    /// The size and Last-Modified time of a file (HEAD).
    pub async fn head(&self, file: &MediaFile) -> Result<FileMeta, FetchError> {
        let response = within(self.http.head(file.url(&self.base)).send()).await?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(FetchError::Status { status });
        }
        let headers = response.headers();
        let size_bytes = headers
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let modified = headers
            .get(reqwest::header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        Ok(FileMeta {
            size_bytes,
            modified,
        })
    }

    /// Downloads `file` into `dir` as `local_name` (a plain name: else refused), resumably:
    ///
    /// * a local file of that name with the camera's size (HEAD) is complete: nothing fetched;
    ///   with another size it is never overwritten ([`DownloadError::Conflict`]);
    /// * bytes go to `local_name.part`; a `.part` left by an earlier try is continued with
    ///   `Range: bytes=N-` (HTTP 206), or started again if the server sends the whole file (200)
    ///   or if the camera's file is not the one the `.part` was started from (its size and
    ///   Last-Modified, kept in `local_name.part.meta`, removed with the `.part`);
    /// * the finished `.part` must have the size announced (Content-Length / Content-Range and
    ///   HEAD), is synced, and is then renamed to `local_name` without replacing any file;
    /// * each piece must come within [`STALL_TIMEOUT`].
    ///
    /// `progress(bytes_so_far, total_bytes)` is called as bytes arrive (counting a resumed
    /// `.part`).
    pub async fn download(
        &self,
        file: &MediaFile,
        dir: &Path,
        local_name: &str,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<Downloaded, DownloadError> {
        use tokio::io::AsyncWriteExt as _;

        let part_name = format!("{local_name}.part");
        let stamp_name = format!("{part_name}.meta");
        if !is_plain_name(local_name) || !is_plain_name(&stamp_name) {
            return Err(DownloadError::UnsafeName(local_name.to_owned()));
        }
        let target = dir.join(local_name);
        let part = dir.join(&part_name);
        let stamp_path = dir.join(&stamp_name);
        let meta = match self.head(file).await {
            // A server without HEAD: sizes come from the GET alone.
            Err(FetchError::Status { status: 405 | 501 }) => FileMeta {
                size_bytes: None,
                modified: None,
            },
            r => r?,
        };
        if let Ok(local) = tokio::fs::metadata(&target).await {
            // Only a verified file is ever renamed to its name: with the camera's size unknown
            // it is taken as complete (never overwritten either way).
            return if meta.size_bytes.is_none_or(|size| size == local.len()) {
                // A piece left beside a complete file (a pull interrupted between publishing
                // the file and removing its piece, or a copy from elsewhere) is no longer needed.
                for leftover in [&part, &stamp_path] {
                    if tokio::fs::remove_file(leftover).await.is_ok() {
                        tracing::debug!("removed {} beside a complete file", leftover.display());
                    }
                }
                progress(local.len(), meta.size_bytes);
                Ok(Downloaded {
                    outcome: DownloadOutcome::AlreadyComplete,
                    path: target,
                    size_bytes: local.len(),
                    received_bytes: 0,
                })
            } else {
                Err(DownloadError::Conflict {
                    path: target,
                    local_bytes: local.len(),
                    remote_bytes: meta.size_bytes,
                })
            };
        }
        let mut have = match tokio::fs::metadata(&part).await {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io_err(&part)(e)),
        };
        if meta.size_bytes.is_some_and(|size| have > size) {
            have = 0; // longer than the file: not a piece of it
        }
        if have > 0 {
            // A .part we started says which file it is a piece of: another one (the card was
            // formatted, a new file got the name) starts again.
            if let Ok(old) = tokio::fs::read_to_string(&stamp_path).await {
                if old != part_stamp(&meta) {
                    have = 0;
                }
            }
        }
        let from_bytes = have;
        let (mut out, total) = if meta.size_bytes == Some(have) && have > 0 {
            // The earlier try got everything but did not rename.
            let out = tokio::fs::OpenOptions::new()
                .append(true)
                .open(&part)
                .await
                .map_err(io_err(&part))?;
            (out, Some(have))
        } else {
            let mut request = self.http.get(file.url(&self.base));
            if have > 0 {
                request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
            }
            let mut response = within(request.send()).await?;
            let status = response.status().as_u16();
            let total = match status {
                206 if have > 0 => match content_range(&response) {
                    Some((first, total)) if first == have => {
                        total.or(response.content_length().map(|n| have + n))
                    }
                    _ => {
                        return Err(FetchError::Unreachable(
                            "a partial answer for another range".to_owned(),
                        )
                        .into())
                    }
                },
                200 => {
                    have = 0;
                    response.content_length()
                }
                416 if have > 0 => {
                    // The range is past the end: the file changed; start again next try.
                    tokio::fs::remove_file(&part).await.map_err(io_err(&part))?;
                    return Err(FetchError::Status { status }.into());
                }
                _ => return Err(FetchError::Status { status }.into()),
            };
            if let (Some(h), Some(g)) = (meta.size_bytes, total) {
                if h != g {
                    return Err(DownloadError::SizeChanged {
                        head_bytes: h,
                        get_bytes: g,
                    });
                }
            }
            let total = total.or(meta.size_bytes);
            let mut out = if have > 0 {
                tokio::fs::OpenOptions::new().append(true).open(&part).await
            } else {
                tokio::fs::write(&stamp_path, part_stamp(&meta))
                    .await
                    .map_err(io_err(&stamp_path))?;
                tokio::fs::File::create(&part).await
            }
            .map_err(io_err(&part))?;
            progress(have, total);
            let mut got = have;
            loop {
                let chunk = within(response.chunk()).await;
                let chunk = match chunk {
                    Ok(Some(c)) => c,
                    Ok(None) => break,
                    Err(e) => {
                        // Keep what came for the next try.
                        let _ = out.flush().await;
                        return Err(e.into());
                    }
                };
                if total.is_some_and(|t| got + chunk.len() as u64 > t) {
                    let _ = out.flush().await;
                    return Err(FetchError::Unreachable(format!(
                        "the camera sent more than the {} bytes announced",
                        total.unwrap_or_default()
                    ))
                    .into());
                }
                out.write_all(&chunk).await.map_err(io_err(&part))?;
                got += chunk.len() as u64;
                progress(got, total);
            }
            (out, total)
        };
        out.flush().await.map_err(io_err(&part))?;
        out.sync_all().await.map_err(io_err(&part))?;
        let size = out.metadata().await.map_err(io_err(&part))?.len();
        drop(out);
        if let Some(expected) = total {
            if size != expected {
                return Err(DownloadError::Short {
                    expected_bytes: expected,
                    got_bytes: size,
                });
            }
        }
        let resumed = from_bytes > 0 && have > 0;
        let (p, t) = (part.clone(), target.clone());
        tokio::task::spawn_blocking(move || publish(&p, &t))
            .await
            .map_err(|e| io_err(&target)(std::io::Error::other(e)))?
            .map_err(io_err(&target))?;
        let _ = tokio::fs::remove_file(&stamp_path).await;
        Ok(Downloaded {
            outcome: if resumed {
                DownloadOutcome::Resumed { from_bytes }
            } else {
                DownloadOutcome::Fetched
            },
            path: target,
            size_bytes: size,
            received_bytes: size - if resumed { from_bytes } else { 0 },
        })
    }
}

/// The text of `NAME.part.meta`, written when a `.part` is started: the size and Last-Modified
/// the camera announced for the file (`-` when unknown). A `.part` is continued only if the
/// camera still announces the same (or if it has no such file: a `.part` from elsewhere).
fn part_stamp(meta: &FileMeta) -> String {
    format!(
        "{} {}\n",
        meta.size_bytes.map_or("-".to_owned(), |n| n.to_string()),
        meta.modified
            .map_or("-".to_owned(), httpdate::fmt_http_date)
    )
}

/// Renames `part` to `target` without ever replacing a `target` (a hard link fails if it
/// exists; on filesystems without hard links, e.g. FAT on a USB stick, a rename after checking),
/// then syncs the directory.
fn publish(part: &Path, target: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(part, target) {
        Ok(()) => std::fs::remove_file(part)?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
        Err(_) if !target.exists() => std::fs::rename(part, target)?,
        Err(e) => return Err(e),
    }
    if let Some(dir) = target.parent() {
        // Not every filesystem can sync a directory: the data itself is synced already.
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_values() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("bytes */200"), None);
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn a_part_stamp_names_size_and_time() {
        let meta = FileMeta {
            size_bytes: Some(1234),
            modified: httpdate::parse_http_date("Mon, 30 Nov 2026 12:00:00 GMT").ok(),
        };
        assert_eq!(part_stamp(&meta), "1234 Mon, 30 Nov 2026 12:00:00 GMT\n");
        let unknown = FileMeta {
            size_bytes: None,
            modified: None,
        };
        assert_eq!(part_stamp(&unknown), "- -\n");
    }
}
