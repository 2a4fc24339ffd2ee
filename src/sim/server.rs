//! A tokio UDP server around the sans-IO [`SimCamera`].
//!
//! One task, one socket, one `select!` loop: receive a datagram → `handle_datagram_from`, then
//! run the camera's timers that are due by the clock (`handle_timeout`; never because the sleep
//! fired), then send everything `poll_transmit_to` returns.
//! Replies go to the address the request came from; pushes (0x0B) and 0x25 attitude-stream frames
//! go to the most recent client (the last address any datagram came from) — the real camera's
//! choice is undocumented (siyi-protocol.md §8), and with one client (the bridge) both agree.
//!
//! [`spawn_with_pose`] also publishes the camera's [`SimPose`] (gimbal angles, zoom, scene time)
//! on a `tokio::sync::watch` channel after every step, for the simulated tracker
//! ([`tracker_client::run`](super::tracker_client::run)).
//!
//! [`spawn_with_media`] also writes a file into a [`MediaStore`] (the simulated SD card that the
//! [web server](super::web) serves) for each photo and finished recording
//! ([`SimCamera::poll_media`]).
//!
//! This, `web` and `tracker_client` are the only parts of the simulator that read the clock.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::camera::{SimCamera, SimConfig, SimMedia, SimStats};
use super::scene::SimPose;
use super::web::MediaStore;

/// Largest datagram the server reads (bytes); longer ones are truncated by the OS.
const RECV_BUFFER_LEN: usize = 65_536;

// The simulator's I/O shell: it is the clock of the sans-IO camera model.
#[allow(clippy::disallowed_methods)]
fn clock_now() -> Instant {
    Instant::now()
}

/// Runs the simulated camera on `socket` until `shutdown` completes; returns the final counters.
///
/// Socket errors never stop the server: they are counted and logged (the first one at `warn`,
/// later ones at `debug`).
pub async fn serve(
    socket: UdpSocket,
    config: SimConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<SimStats> {
    let camera = SimCamera::new(config, clock_now());
    serve_inner(socket, camera, shutdown, None, None).await
}

/// Like [`serve`], and publishes the camera's pose and scene time on `pose` after every step
/// (each datagram received, each deadline reached): at least at the attitude poll or stream
/// rate, 30 Hz while the AI stream is on. The channel's receivers may come and go.
pub async fn serve_with_pose(
    socket: UdpSocket,
    config: SimConfig,
    shutdown: impl Future<Output = ()>,
    pose: watch::Sender<SimPose>,
) -> io::Result<SimStats> {
    serve_with_media(socket, config, shutdown, pose, None).await
}

/// Like [`serve_with_pose`], and writes a file into `media` (when given) for each photo and
/// each finished recording of the camera (see [`SimCamera::poll_media`]). A file that cannot be
/// written is logged and counted as a socket error is; the server goes on.
pub async fn serve_with_media(
    socket: UdpSocket,
    config: SimConfig,
    shutdown: impl Future<Output = ()>,
    pose: watch::Sender<SimPose>,
    media: Option<MediaStore>,
) -> io::Result<SimStats> {
    let camera = SimCamera::new(config, clock_now());
    pose.send_replace(camera.pose());
    serve_inner(socket, camera, shutdown, Some(pose), media).await
}

async fn serve_inner(
    socket: UdpSocket,
    mut camera: SimCamera,
    shutdown: impl Future<Output = ()>,
    pose: Option<watch::Sender<SimPose>>,
    media: Option<MediaStore>,
) -> io::Result<SimStats> {
    let local = socket.local_addr()?;
    let mut buf = vec![0u8; RECV_BUFFER_LEN];
    let mut io_errors: u64 = 0;
    tokio::pin!(shutdown);
    tracing::info!(%local, "A8 mini simulator serving");

    loop {
        while let Some(event) = camera.poll_media() {
            let Some(store) = &media else { continue };
            let saved = match event {
                SimMedia::PhotoTaken => store.save_photo(),
                SimMedia::VideoFinished => store.save_video(),
            };
            match saved {
                Ok(name) => tracing::debug!(name, "simulated camera saved a file"),
                Err(err) => {
                    io_errors += 1;
                    tracing::warn!(%err, root = %store.root().display(), "simulated SD card: cannot write");
                }
            }
        }
        while let Some(tx) = camera.poll_transmit_to() {
            let Some(to) = tx.to else {
                tracing::debug!("no client known yet; frame not sent");
                continue;
            };
            if let Err(err) = socket.send_to(&tx.bytes, to).await {
                io_errors += 1;
                log_io_error(io_errors, "send", &err);
            }
        }
        let deadline = camera.poll_timeout();
        tokio::select! {
            () = &mut shutdown => break,
            received = socket.recv_from(&mut buf) => match received {
                Ok((len, from)) => {
                    let bytes = buf.get(..len).unwrap_or_default();
                    tracing::trace!(%from, len, "datagram in");
                    camera.handle_datagram_from(clock_now(), Some(from), bytes);
                }
                Err(err) => {
                    io_errors += 1;
                    log_io_error(io_errors, "receive", &err);
                }
            },
            () = sleep_until_opt(deadline) => {}
        }
        // Timers run when the clock says they are due, not when the sleep won the race: a
        // datagram arriving at the deadline (or a stream of them) must not delay them.
        let now = clock_now();
        if camera.poll_timeout().is_some_and(|t| t <= now) {
            camera.handle_timeout(now);
        }
        if let Some(tx) = &pose {
            tx.send_replace(camera.pose());
        }
    }
    let stats = camera.stats();
    tracing::info!("A8 mini simulator stopped: {stats}; {io_errors} socket errors");
    Ok(stats)
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

fn log_io_error(count: u64, what: &str, err: &io::Error) {
    if count == 1 {
        tracing::warn!(%err, "simulator socket {what} error (further ones logged at debug)");
    } else {
        tracing::debug!(%err, count, "simulator socket {what} error");
    }
}

/// Binds `bind` (use port 0 for an ephemeral port) and runs the simulator in a new task.
///
/// Returns the address actually bound and the task handle; the task runs until aborted
/// (`handle.abort()`). Use [`spawn_with_shutdown`] for a clean stop that returns the counters.
pub async fn spawn(
    bind: SocketAddr,
    config: SimConfig,
) -> io::Result<(SocketAddr, JoinHandle<io::Result<SimStats>>)> {
    spawn_with_shutdown(bind, config, std::future::pending()).await
}

/// Like [`spawn`], but the task stops when `shutdown` completes and then yields the counters.
pub async fn spawn_with_shutdown(
    bind: SocketAddr,
    config: SimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<(SocketAddr, JoinHandle<io::Result<SimStats>>)> {
    let socket = UdpSocket::bind(bind).await?;
    let addr = socket.local_addr()?;
    let handle = tokio::spawn(serve(socket, config, shutdown));
    Ok((addr, handle))
}

/// Like [`spawn_with_shutdown`], and also returns a `watch` receiver of the simulated camera's
/// pose and scene time ([`SimPose`]), published after every step of the simulator (see
/// [`serve_with_pose`]). Feed it to [`tracker_client::run`](super::tracker_client::run).
pub async fn spawn_with_pose(
    bind: SocketAddr,
    config: SimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<(
    SocketAddr,
    JoinHandle<io::Result<SimStats>>,
    watch::Receiver<SimPose>,
)> {
    spawn_with_media(bind, config, shutdown, None).await
}

/// Like [`spawn_with_pose`], and the camera's photos and finished recordings become files in
/// `media` (see [`serve_with_media`]); serve the same store with
/// [`web::spawn`](super::web::spawn). `media` None: nothing is written.
pub async fn spawn_with_media(
    bind: SocketAddr,
    config: SimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
    media: Option<MediaStore>,
) -> io::Result<(
    SocketAddr,
    JoinHandle<io::Result<SimStats>>,
    watch::Receiver<SimPose>,
)> {
    let socket = UdpSocket::bind(bind).await?;
    let addr = socket.local_addr()?;
    let (tx, rx) = watch::channel(SimPose {
        yaw_deg: 0.0,
        pitch_deg: 0.0,
        zoom: 1.0,
        scene_time_s: 0.0,
    });
    let handle = tokio::spawn(serve_with_media(socket, config, shutdown, tx, media));
    Ok((addr, handle, rx))
}
