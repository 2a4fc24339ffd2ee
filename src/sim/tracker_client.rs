//! The simulated tracker process over TCP: a thin tokio shell around the sans-IO
//! [`TrackerModel`] that connects to the bridge's tracker API (`docs/tracker-api.md`).
//!
//! It connects, says `hello`, feeds every line the bridge sends to the model, sends every line
//! the model produces and wakes the model at its deadlines and at every new pose, with the
//! simulated camera's pose read from a `watch` channel. When the connection fails or ends it reconnects after a backoff
//! that doubles from 0.5 s to 5 s (reset by a successful connection); each change of connection
//! state is logged once (`info`), repeated failures only at `debug`.
//!
//! # Wiring (for `run --simulate`)
//!
//! ```ignore
//! let (camera_addr, sim_task, pose) =
//!     sim::server::spawn_with_pose(([127, 0, 0, 1], 0).into(), sim_config, sim_shutdown).await?;
//! tokio::spawn(sim::tracker_client::run(tracker_api_addr, pose, tracker_shutdown));
//! ```
//!
//! `tracker_api_addr` is the address the bridge's tracker API listens on (default
//! 127.0.0.1:14660). The pose channel says "unknown" (requests refused) once the simulator has
//! stopped (its sender dropped).
//!
//! This is, with `server`, the only part of the simulator that reads the clock.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::scene::SimPose;
use super::tracker::TrackerModel;

/// First reconnection delay.
pub const BACKOFF_INITIAL: Duration = Duration::from_millis(500);
/// Longest reconnection delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Longest line read from the bridge, bytes (the API's limit); longer ones are discarded.
pub const MAX_LINE_BYTES: usize = 4096;

// The tracker's I/O shell: it is the clock of the sans-IO tracker model.
#[allow(clippy::disallowed_methods)]
fn clock_now() -> Instant {
    Instant::now()
}

/// Connection state, logged once per change.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Link {
    Connected,
    Unreachable(io::ErrorKind),
    Closed,
}

/// How a session ended.
enum End {
    Shutdown,
    Closed(String),
}

/// Runs the simulated tracker against the bridge's tracker API at `api` until `shutdown`
/// completes, reconnecting as needed; `pose` is the simulated camera's pose
/// ([`server::spawn_with_pose`](super::server::spawn_with_pose)).
pub async fn run(
    api: SocketAddr,
    mut pose: watch::Receiver<SimPose>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut backoff = BACKOFF_INITIAL;
    let mut link: Option<Link> = None;
    loop {
        let attempt = tokio::select! {
            () = &mut shutdown => return,
            r = TcpStream::connect(api) => r,
        };
        match attempt {
            Ok(stream) => {
                note(&mut link, Link::Connected, api, "");
                backoff = BACKOFF_INITIAL;
                match session(stream, &mut pose, &mut shutdown).await {
                    End::Shutdown => return,
                    End::Closed(why) => note(&mut link, Link::Closed, api, &why),
                }
            }
            Err(err) => note(
                &mut link,
                Link::Unreachable(err.kind()),
                api,
                &err.to_string(),
            ),
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

fn note(link: &mut Option<Link>, now: Link, api: SocketAddr, detail: &str) {
    if link.as_ref() == Some(&now) {
        tracing::debug!(%api, detail, "simulated tracker: {now:?} again");
        return;
    }
    match &now {
        Link::Connected => tracing::info!(%api, "simulated tracker connected to the tracker API"),
        Link::Unreachable(_) => tracing::info!(
            %api,
            detail,
            "simulated tracker: tracker API unreachable; retrying with backoff (0.5 s up to 5 s)"
        ),
        Link::Closed => tracing::info!(%api, detail, "simulated tracker: connection ended"),
    }
    *link = Some(now);
}

/// The pose now, `None` once the simulator has stopped.
fn current_pose(pose: &watch::Receiver<SimPose>) -> Option<SimPose> {
    match pose.has_changed() {
        Ok(_) => Some(*pose.borrow()),
        Err(_) => None,
    }
}

async fn session(
    stream: TcpStream,
    pose: &mut watch::Receiver<SimPose>,
    shutdown: &mut (impl Future<Output = ()> + Unpin),
) -> End {
    // Small lines, answered at once: no Nagle delay.
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut reader = LineReader::new(read);
    let mut model = TrackerModel::new();
    // Re-evaluate on every new pose too, so a change (the target leaving the picture) is
    // reported at the simulator's step rate rather than at the next 100 ms status.
    let mut pose_open = true;
    loop {
        while let Some(mut line) = model.poll_line() {
            line.push('\n');
            if let Err(err) = write.write_all(line.as_bytes()).await {
                return End::Closed(format!("write: {err}"));
            }
        }
        if let Some(reason) = model.bridge_error() {
            return End::Closed(format!("the bridge refused us: {reason}"));
        }
        let deadline = model.poll_timeout();
        tokio::select! {
            () = &mut *shutdown => return End::Shutdown,
            line = reader.next_line() => match line {
                Ok(Some(line)) => model.handle_line(clock_now(), current_pose(pose).as_ref(), &line),
                Ok(None) => return End::Closed("closed by the bridge".into()),
                Err(err) => return End::Closed(format!("read: {err}")),
            },
            () = sleep_until_opt(deadline) => {
                model.handle_timeout(clock_now(), current_pose(pose).as_ref());
            }
            changed = pose.changed(), if pose_open => {
                // A closed channel (the simulator stopped) means "pose unknown" from now on.
                pose_open = changed.is_ok();
                model.handle_timeout(clock_now(), current_pose(pose).as_ref());
            }
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// Reads `\n`-ended lines of at most [`MAX_LINE_BYTES`]; longer ones are discarded (counted
/// and logged). Cancel-safe: bytes read stay buffered when a `select!` drops `next_line`.
struct LineReader {
    read: OwnedReadHalf,
    buf: Vec<u8>,
    discarding: bool,
    too_long: u64,
}

impl LineReader {
    fn new(read: OwnedReadHalf) -> Self {
        Self {
            read,
            buf: Vec::new(),
            discarding: false,
            too_long: 0,
        }
    }

    /// The next line (without `\n` / `\r\n`), `None` at the end of the stream.
    async fn next_line(&mut self) -> io::Result<Option<String>> {
        let mut chunk = [0u8; 1024];
        loop {
            if let Some(line) = self.take_line() {
                return Ok(Some(line));
            }
            let n = self.read.read(&mut chunk).await?;
            if n == 0 {
                return Ok(None);
            }
            self.buf
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }

    fn take_line(&mut self) -> Option<String> {
        loop {
            let Some(end) = self.buf.iter().position(|&b| b == b'\n') else {
                if self.buf.len() > MAX_LINE_BYTES {
                    self.start_discarding();
                    self.buf.clear();
                }
                return None;
            };
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            if std::mem::take(&mut self.discarding) {
                continue; // the end of an over-long line
            }
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > MAX_LINE_BYTES {
                self.count_too_long();
                continue;
            }
            return Some(String::from_utf8_lossy(line).into_owned());
        }
    }

    fn start_discarding(&mut self) {
        if !self.discarding {
            self.discarding = true;
            self.count_too_long();
        }
    }

    fn count_too_long(&mut self) {
        self.too_long += 1;
        if self.too_long == 1 {
            tracing::warn!(
                "simulated tracker: a line over {MAX_LINE_BYTES} bytes from the bridge discarded (further ones at debug)"
            );
        } else {
            tracing::debug!(count = self.too_long, "over-long line discarded");
        }
    }
}
