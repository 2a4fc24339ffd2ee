//! Downloading a file from the camera's web server into a local directory, resumably and
//! within bounds (see [`MediaClient::download`]):
//!
//! * never more than the size announced (HEAD, Content-Length, Content-Range): a body going past
//!   it is stopped and its `.part` removed ([`DownloadError::TooLong`]); a file whose size no
//!   answer announces is not downloaded ([`DownloadError::NoSize`]: its completeness could not be
//!   checked);
//! * a transfer that brings less than [`MIN_PROGRESS_BYTES`] within the client's stall timeout
//!   ([`STALL_TIMEOUT`] unless set) is abandoned ([`DownloadError::Stalled`]; the `.part` keeps
//!   what came, the next try continues it);
//! * a local write that fails (a full disk) removes the `.part` and its `.part.meta`
//!   ([`DownloadError::DiskFull`], [`DownloadError::Io`]): nothing half-written stays behind.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::client::{redirected, unreachable, FetchError, MediaClient, MIN_PROGRESS_BYTES};
use crate::core::media::api::{is_plain_name, MediaFile};
use crate::io::driver::clock_now;

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

/// Why a download did not complete. After a broken or stalled transfer the `.part` stays for the
/// next try to continue; after a local write error or a body longer than announced it is removed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// Neither HEAD nor GET announced the file's size: without it a complete file cannot be told
    /// from a cut one, so nothing is written.
    #[error("the camera announced no size for it (no Content-Length): not downloaded")]
    NoSize,
    /// The body went on past the size announced: stopped, the `.part` removed.
    #[error("the camera sent more than the {announced_bytes} bytes it announced: stopped, the partial file removed")]
    TooLong {
        /// The size announced, bytes.
        announced_bytes: u64,
    },
    /// Less than [`MIN_PROGRESS_BYTES`] came within the stall timeout (the `.part` keeps it).
    #[error("stalled: {got_bytes} bytes in {stall_ms} ms (at least {MIN_PROGRESS_BYTES} bytes are needed in that time)")]
    Stalled {
        /// The stall timeout, ms.
        stall_ms: u128,
        /// Bytes that came in it.
        got_bytes: u64,
    },
    /// The local disk is full: the `.part` and `.part.meta` were removed.
    #[error("no space left on the disk of {}: the partial file was removed; free some space and pull again", path.display())]
    DiskFull {
        /// The file being written.
        path: PathBuf,
    },
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
    /// A local file could not be read, written or renamed (a `.part` being written is removed).
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
            Self::Fetch(FetchError::Unreachable(_)) | Self::Short { .. } | Self::Stalled { .. }
        ) || matches!(self, Self::Fetch(FetchError::Status { status }) if *status >= 500)
    }

    /// Whether the local disk is full (nothing more can be pulled).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Self::DiskFull { .. })
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| {
        if source.kind() == std::io::ErrorKind::StorageFull {
            DownloadError::DiskFull {
                path: path.to_owned(),
            }
        } else {
            DownloadError::Io {
                path: path.to_owned(),
                source,
            }
        }
    }
}

/// Removes a `.part` and its `.part.meta` (after a local write error or an over-long body).
async fn discard(part: &Path, stamp: &Path) {
    for p in [part, stamp] {
        if let Err(e) = tokio::fs::remove_file(p).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!("cannot remove {}: {e}", p.display());
            }
        }
    }
}

async fn within<T>(
    stall: Duration,
    f: impl std::future::Future<Output = reqwest::Result<T>>,
) -> Result<T, FetchError> {
    match tokio::time::timeout(stall, f).await {
        Ok(r) => r.map_err(unreachable),
        Err(_) => Err(FetchError::Unreachable(format!(
            "no answer within {} ms",
            stall.as_millis()
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
        let response = within(self.stall, self.http.head(file.url(&self.base)).send()).await?;
        redirected(&response)?;
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
    ///   HEAD), is synced, and is then renamed to `local_name` without replacing any file; a body
    ///   going past that size is stopped and the `.part` removed; with no size announced nothing
    ///   is fetched;
    /// * each stall timeout ([`MediaClient::with_stall_timeout`]) must bring
    ///   [`MIN_PROGRESS_BYTES`] (or the rest of the file);
    /// * a local write error (a full disk) removes the `.part` and `.part.meta`.
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
            if let Some(old) = read_stamp(&stamp_path).await {
                if old != part_stamp(&meta) {
                    have = 0;
                }
            }
        }
        let from_bytes = have;
        let (out, total) = if meta.size_bytes == Some(have) && have > 0 {
            // The earlier try got everything but did not rename.
            let out = tokio::fs::OpenOptions::new()
                .append(true)
                .open(&part)
                .await
                .map_err(io_err(&part))?;
            (out, have)
        } else {
            let mut request = self.http.get(file.url(&self.base));
            if have > 0 {
                request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
            }
            let response = within(self.stall, request.send()).await?;
            redirected(&response)?;
            let status = response.status().as_u16();
            let total = match status {
                206 if have > 0 => match content_range(&response) {
                    Some((first, total)) if first == have => {
                        total.or(response.content_length().map(|n| have.saturating_add(n)))
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
                    discard(&part, &stamp_path).await;
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
            let total = total.or(meta.size_bytes).ok_or(DownloadError::NoSize)?;
            let opened = if have > 0 {
                tokio::fs::OpenOptions::new().append(true).open(&part).await
            } else {
                match tokio::fs::write(&stamp_path, part_stamp(&meta)).await {
                    Ok(()) => tokio::fs::File::create(&part).await,
                    Err(e) => Err(e),
                }
            };
            let mut out = match opened {
                Ok(out) => out,
                Err(e) => {
                    discard(&part, &stamp_path).await;
                    return Err(io_err(&part)(e));
                }
            };
            progress(have, Some(total));
            match self
                .receive(response, &mut out, have, total, &mut progress)
                .await
            {
                Ok(()) => {}
                Err(Received::Local(e)) => {
                    drop(out);
                    discard(&part, &stamp_path).await;
                    return Err(io_err(&part)(e));
                }
                Err(Received::TooLong) => {
                    drop(out);
                    discard(&part, &stamp_path).await;
                    return Err(DownloadError::TooLong {
                        announced_bytes: total,
                    });
                }
                Err(Received::Broken(e)) => {
                    // Keep what came for the next try (a failed flush: the .part is shorter,
                    // still a prefix of the file).
                    use tokio::io::AsyncWriteExt as _;
                    let _ = out.flush().await;
                    return Err(e);
                }
            }
            (out, total)
        };
        let size = match finish(out).await {
            Ok(size) => size,
            Err(e) => {
                discard(&part, &stamp_path).await;
                return Err(io_err(&part)(e));
            }
        };
        if size != total {
            return Err(DownloadError::Short {
                expected_bytes: total,
                got_bytes: size,
            });
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

    /// Copies the body into `out` (which holds `have` bytes) up to `total` bytes, each stall
    /// timeout bringing at least [`MIN_PROGRESS_BYTES`] or the rest of the file.
    async fn receive(
        &self,
        mut response: reqwest::Response,
        out: &mut tokio::fs::File,
        have: u64,
        total: u64,
        progress: &mut impl FnMut(u64, Option<u64>),
    ) -> Result<(), Received> {
        use tokio::io::AsyncWriteExt as _;
        let mut got = have;
        let mut window_end = Instant::from_std(clock_now()) + self.stall;
        let mut in_window = 0u64;
        loop {
            let chunk = match tokio::time::timeout_at(window_end, response.chunk()).await {
                Ok(Ok(Some(c))) => c,
                Ok(Ok(None)) => return Ok(()),
                Ok(Err(e)) => return Err(Received::Broken(unreachable(e).into())),
                Err(_) => {
                    return Err(Received::Broken(DownloadError::Stalled {
                        stall_ms: self.stall.as_millis(),
                        got_bytes: in_window,
                    }))
                }
            };
            let len = chunk.len() as u64;
            if got.saturating_add(len) > total {
                return Err(Received::TooLong);
            }
            out.write_all(&chunk).await.map_err(Received::Local)?;
            got += len;
            in_window += len;
            if in_window >= MIN_PROGRESS_BYTES.min(total - got + in_window) {
                window_end = Instant::from_std(clock_now()) + self.stall;
                in_window = 0;
            }
            progress(got, Some(total));
        }
    }
}

/// How copying a body ended badly.
enum Received {
    /// A local write failed.
    Local(std::io::Error),
    /// More than announced came.
    TooLong,
    /// The transfer broke or stalled.
    Broken(DownloadError),
}

/// Flushes and syncs a finished `.part`; its size.
async fn finish(mut out: tokio::fs::File) -> std::io::Result<u64> {
    use tokio::io::AsyncWriteExt as _;
    out.flush().await?;
    out.sync_all().await?;
    Ok(out.metadata().await?.len())
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

/// The text of a `.part.meta`, at most [`MAX_STAMP_BYTES`] of it (None: none to read).
async fn read_stamp(path: &Path) -> Option<String> {
    use tokio::io::AsyncReadExt as _;
    let f = tokio::fs::File::open(path).await.ok()?;
    let mut bytes = Vec::new();
    f.take(MAX_STAMP_BYTES).read_to_end(&mut bytes).await.ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Most bytes of a `.part.meta` read (it holds a size and an HTTP date: some 40 bytes).
const MAX_STAMP_BYTES: u64 = 256;

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
