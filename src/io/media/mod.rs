//! HTTP client for the camera's web server (port 82): it sends what `core::media` decides to ask
//! and hands back the status and body, bounded in size and time. It decides nothing about what
//! an answer means.
//!
//! It also fetches files ([`download`]): [`MediaClient::head`] (size, Last-Modified) and the
//! resumable [`MediaClient::download`] into a local directory (a `.part` file continued with
//! `Range`, never longer than the announced size, then renamed; a complete file is never
//! overwritten).
//!
//! Redirects are never followed (reqwest's policy `none`): a listing's URLs are checked to name
//! the camera, and a `302` to another host would bypass that check. A redirect is reported as
//! [`FetchError::Redirected`], with where it pointed.

mod client;
mod download;

pub use client::{
    read_bounded, Answer, FetchError, MediaClient, API_TIMEOUT, CONNECT_TIMEOUT,
    MAX_LOCATION_CHARS, MIN_PROGRESS_BYTES, STALL_TIMEOUT,
};
pub use download::{DownloadError, DownloadOutcome, Downloaded, FileMeta};
