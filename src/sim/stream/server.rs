//! The RTSP server on loopback: one producer thread renders and encodes while at least one
//! client plays, a delay line holds each picture for the configured delay, and each client
//! connection is a task with a bounded queue. This file is the module's I/O shell: the only
//! one that reads the clock.
//!
//! * **Producer** (a thread, `sim-video`): waits (no CPU) while nobody plays; then renders the
//!   pose the UDP simulator published, at `t0 + n / fps`, encodes, and stamps each picture with
//!   its capture time: RTP time `base + 90 kHz · (capture − t0)` and the wall clock (NTP) of the
//!   capture, which the sender reports carry. Behind schedule it skips ticks (never queues).
//! * **Delay line** (a task): sends each picture on at capture + `delay_ms` (+ seeded jitter up
//!   to `jitter_ms`, never reordering) to every playing client's queue with `try_send`. A full
//!   queue (a client that stopped reading, ~1 s of pictures) drops that client; nobody else
//!   waits.
//! * **Connections** (a task each, at most `max_clients`; more get 503): RTSP requests
//!   ([`super::rtsp`]), then the pictures as RTP ([`super::rtp`]), starting at an IDR (a new
//!   player asks for one), a sender report first and then every second. A write that does not
//!   complete in 2 s closes the connection.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use rtsp_types::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::connection::Connection;
use super::encode::{H264Encoder, NAL_PPS, NAL_SPS};
pub use super::hub::VideoStats;
use super::hub::{mix, Hub, Picture};
use super::render::{I420Frame, Renderer, SceneOptions};
use super::rtp;
use super::rtsp::StreamInfo;
use crate::sim::scene::SimPose;

/// How the simulated camera's video looks and is served.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoConfig {
    /// Picture width, pixels (even).
    pub width: usize,
    /// Picture height, pixels (even).
    pub height: usize,
    /// Frames per second.
    pub fps: u32,
    /// Encoder target bit rate, bits per second.
    pub bitrate_bps: u32,
    /// Extra delay between capture and sending, ms.
    pub delay_ms: u64,
    /// Random extra delay per picture, 0..=jitter_ms (seeded; order kept).
    pub jitter_ms: u64,
    /// Scene switches, seed and pixel noise.
    pub scene: SceneOptions,
    /// Connections served at once; more are refused with 503.
    pub max_clients: usize,
    /// The stream's path.
    pub path: String,
}

impl Default for VideoConfig {
    /// 1280×720 at 30 fps, 2 Mbit/s (the A8 mini's sub stream figures), no delay, 8 clients,
    /// `/main.264`.
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            fps: 30,
            bitrate_bps: 2_000_000,
            delay_ms: 0,
            jitter_ms: 0,
            scene: SceneOptions::default(),
            max_clients: 8,
            path: "/main.264".into(),
        }
    }
}

/// A running video server.
#[derive(Debug)]
pub struct VideoServer {
    /// The address it listens on.
    pub local: SocketAddr,
    /// Its stream's URI, `rtsp://127.0.0.1:PORT/main.264`.
    pub uri: String,
    /// The accept loop; aborting it stops the connections and the producer.
    pub task: JoinHandle<()>,
    /// Counters.
    pub stats: Arc<VideoStats>,
}

/// Time of a whole picture at 90 kHz: RTP time of a capture `since` the stream's start.
fn rtp_ticks(since: Duration) -> u32 {
    (since.as_nanos() * u128::from(rtp::CLOCK_HZ) / 1_000_000_000) as u32
}

// The video server's I/O shell: it is the clock of the renderer and the RTP stamps.
#[allow(clippy::disallowed_methods)]
fn clock_now() -> Instant {
    Instant::now()
}

#[allow(clippy::disallowed_methods)]
fn wall_now() -> SystemTime {
    SystemTime::now()
}

/// The send buffer of a client connection, bytes.
const SEND_BUFFER: usize = 256 * 1024;

/// Stops the producer when the accept loop ends (aborted or not).
struct CloseOnDrop(Arc<Hub>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Listens on `bind` and serves the simulated camera's video of the poses on `pose`. Returns at
/// once; when the first client connects the producer thread encodes a first picture for the
/// SDP's SPS and PPS, which that client waits for.
pub async fn spawn(
    bind: SocketAddr,
    config: VideoConfig,
    pose: watch::Receiver<SimPose>,
) -> io::Result<VideoServer> {
    let listener = TcpListener::bind(bind).await?;
    serve_on(listener, config, pose).await
}

/// Like [`spawn`] on 127.0.0.1:`port`; a port in use falls back to one the OS picks, said in a
/// warning (a second simulator on this machine).
pub async fn spawn_on_loopback(
    port: u16,
    config: VideoConfig,
    pose: watch::Receiver<SimPose>,
) -> io::Result<VideoServer> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) if e.kind() == io::ErrorKind::AddrInUse && port != 0 => {
            let l = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            tracing::warn!(
                "simulated video: port {port} is in use (another simulator?): RTSP on {} instead",
                l.local_addr()?
            );
            l
        }
        Err(e) => return Err(e),
    };
    serve_on(listener, config, pose).await
}

async fn serve_on(
    listener: TcpListener,
    config: VideoConfig,
    pose: watch::Receiver<SimPose>,
) -> io::Result<VideoServer> {
    let local = listener.local_addr()?;
    let hub = Arc::new(Hub::default());
    let stats = hub.stats.clone();
    let queue =
        16 + (config.fps as usize) * (1 + (config.delay_ms + config.jitter_ms) as usize / 1000);
    let (tx, rx) = mpsc::channel(queue);
    // The SDP needs the SPS and PPS of a first picture, which the producer thread encodes when
    // the first client connects (an idle simulator renders nothing, and starts at once).
    let (first_tx, info) = watch::channel(None);
    let producer_hub = hub.clone();
    let producer_config = config.clone();
    std::thread::Builder::new()
        .name("sim-video".into())
        .spawn(move || {
            if let Err(err) = produce(&producer_hub, &producer_config, &pose, &tx, &first_tx) {
                tracing::warn!("simulated video: {err}; no video");
            }
        })?;
    let uri = format!("rtsp://{local}{}", config.path);
    tracing::info!(
        "simulated camera video on {uri} ({}x{} at {} fps, H.264 {} kbit/s, delay {} ms; rendered only while someone plays)",
        config.width,
        config.height,
        config.fps,
        config.bitrate_bps / 1000,
        config.delay_ms
    );
    let task = tokio::spawn(accept_loop(listener, hub, info, config, rx));
    Ok(VideoServer {
        local,
        uri,
        task,
        stats,
    })
}

async fn accept_loop(
    listener: TcpListener,
    hub: Arc<Hub>,
    info: watch::Receiver<Option<Arc<StreamInfo>>>,
    config: VideoConfig,
    pictures: mpsc::Receiver<Arc<Picture>>,
) {
    let _close = CloseOnDrop(hub.clone());
    let mut tasks = JoinSet::new();
    tasks.spawn(delay_line(hub.clone(), pictures));
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_clients));
    let mut next_id = 0u64;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(a) => a,
            Err(err) => {
                tracing::debug!(%err, "simulated video: accept failed");
                continue;
            }
        };
        while tasks.try_join_next().is_some() {}
        // A client that stops reading fills this (≈ 1 s at 2 Mbit/s), then its queue, then it is
        // dropped: seconds, not the minutes a kernel-tuned buffer of several MB would take.
        if let Err(err) = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER) {
            tracing::debug!(%err, "simulated video: cannot size the send buffer");
        }
        next_id += 1;
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            hub.stats.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%peer, "simulated video: {} clients already, refused", config.max_clients);
            tasks.spawn(refuse(stream));
            continue;
        };
        let (hub, mut info) = (hub.clone(), info.clone());
        let seed = config.scene.seed;
        let fps = config.fps;
        tasks.spawn(async move {
            let _permit = permit;
            hub.want_info();
            let ready = info.wait_for(Option::is_some).await.map(|r| r.clone());
            let Ok(Some(info)) = ready else {
                return; // the encoder never started (logged)
            };
            let conn = Connection::new(next_id, seed, fps, hub.clone());
            tracing::info!(%peer, "simulated video: RTSP client connected");
            let why = conn.run(stream, peer, &info).await;
            hub.remove_player(next_id);
            tracing::info!(%peer, "simulated video: RTSP client gone ({why})");
        });
    }
}

/// Answers the first request of a connection beyond the limit with 503 and closes it.
async fn refuse(mut stream: TcpStream) {
    let mut buf = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
    let cseq = match read {
        Ok(Ok(n)) => match Message::<Vec<u8>>::parse(&buf[..n]) {
            Ok((Message::Request(req), _)) => req
                .header(&rtsp_types::headers::CSEQ)
                .map(|v| v.as_str().to_owned()),
            _ => None,
        },
        _ => None,
    };
    let reply = format!(
        "RTSP/1.0 503 Service Unavailable\r\n{}Content-Length: 0\r\n\r\n",
        cseq.map(|c| format!("CSeq: {c}\r\n")).unwrap_or_default()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(reply.as_bytes())).await;
}

/// Sends each picture on at its due time to every player; a full queue drops that player.
async fn delay_line(hub: Arc<Hub>, mut pictures: mpsc::Receiver<Arc<Picture>>) {
    while let Some(p) = pictures.recv().await {
        tokio::time::sleep_until(tokio::time::Instant::from_std(p.due)).await;
        let mut s = hub.lock();
        s.players.retain(|(id, tx)| match tx.try_send(p.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                hub.stats.dropped_clients.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    client = id,
                    "simulated video: a client stopped reading; dropped"
                );
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
    }
}

/// The producer thread: render and encode while someone plays.
fn produce(
    hub: &Hub,
    config: &VideoConfig,
    pose: &watch::Receiver<SimPose>,
    out: &mpsc::Sender<Arc<Picture>>,
    first: &watch::Sender<Option<Arc<StreamInfo>>>,
) -> Result<(), String> {
    {
        let mut s = hub.lock();
        while !s.want_info && !s.closed {
            s = hub.wake.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        if s.closed {
            return Ok(());
        }
    }
    let renderer = Renderer::new(config.scene);
    let mut frame = I420Frame::new(config.width, config.height);
    let fps = config.fps.clamp(1, 120);
    // Copy the pose out: a borrow held while rendering would block the simulator's sends.
    let first_pose = *pose.borrow();
    let started = H264Encoder::new(fps, config.bitrate_bps).and_then(|mut e| {
        renderer.render_into(&first_pose, 0, &mut frame);
        let au = e.encode(&frame, true)?;
        Ok((e, au))
    });
    let (mut encoder, au) = started.map_err(|e| e.to_string())?;
    let (Some(sps), Some(pps)) = (au.find(NAL_SPS), au.find(NAL_PPS)) else {
        return Err("the encoder gave no SPS / PPS".into());
    };
    let info = StreamInfo {
        path: config.path.clone(),
        sps: sps.to_vec(),
        pps: pps.to_vec(),
        fps,
        width: frame.width,
        height: frame.height,
    };
    first.send_replace(Some(Arc::new(info)));
    let period = Duration::from_secs(1) / fps;
    let (t0, wall0) = (clock_now(), wall_now());
    let rtp_base = (mix(config.scene.seed ^ 0x5254_5021) >> 32) as u32;
    let mut scene_epoch: Option<Instant> = None;
    let mut next = t0;
    let mut n: u64 = 0;
    let mut last_due = t0;
    loop {
        let want_idr = {
            let mut s = hub.lock();
            while s.players.is_empty() && !s.closed {
                s = hub.wake.wait(s).unwrap_or_else(PoisonError::into_inner);
            }
            if s.closed {
                return Ok(());
            }
            std::mem::take(&mut s.want_idr)
        };
        let now = clock_now();
        if next + period < now {
            // Behind (or back from idle): skip the missed ticks rather than queue, staying on
            // the tick grid so RTP times stay multiples of 90 kHz / fps (players derive frame
            // times from them).
            let missed = (now - next).as_nanos() / period.as_nanos().max(1);
            hub.stats
                .skipped
                .fetch_add(missed as u64, Ordering::Relaxed);
            next += period * u32::try_from(missed).unwrap_or(u32::MAX);
        }
        if next > now {
            std::thread::sleep(next - now);
        }
        let capture = next;
        next += period;
        n += 1;
        let mut p = *pose.borrow();
        // The UDP simulator publishes its pose after each step: the scene time it carries is at
        // most that old. Its epoch (capture − scene time) is the smallest seen.
        let candidate = capture
            .checked_sub(Duration::from_secs_f64(p.scene_time_s.clamp(0.0, 1e9)))
            .unwrap_or(capture);
        let epoch = *scene_epoch.get_or_insert(candidate);
        let epoch = epoch.min(candidate);
        scene_epoch = Some(epoch);
        p.scene_time_s = (capture - epoch).as_secs_f64();
        let busy = clock_now();
        renderer.render_into(&p, n, &mut frame);
        let au = match encoder.encode(&frame, want_idr) {
            Ok(au) => au,
            Err(err) => {
                tracing::warn!(%err, "simulated video: a picture could not be encoded");
                continue;
            }
        };
        hub.stats
            .busy_us
            .fetch_add(busy.elapsed().as_micros() as u64, Ordering::Relaxed);
        hub.stats.frames.fetch_add(1, Ordering::Relaxed);
        hub.stats
            .bytes
            .fetch_add(au.len_bytes() as u64, Ordering::Relaxed);
        let jitter_ms = if config.jitter_ms > 0 {
            mix(config.scene.seed ^ n) % (config.jitter_ms + 1)
        } else {
            0
        };
        let due = (capture + Duration::from_millis(config.delay_ms + jitter_ms)).max(last_due);
        last_due = due;
        let since = capture - t0;
        let picture = Picture {
            rtp_ts: rtp_base.wrapping_add(rtp_ticks(since)),
            ntp: rtp::ntp_time(wall0 + since),
            capture,
            due,
            idr: au.is_idr(),
            nals: au.nals,
        };
        if out.try_send(Arc::new(picture)).is_err() {
            hub.stats.skipped.fetch_add(1, Ordering::Relaxed);
        }
    }
}
