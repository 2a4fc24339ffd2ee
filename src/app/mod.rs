//! Wiring for `siyi-bridge run`: sockets, the simulator (with `--simulate`), the state file, and
//! the driver loop around the sans-IO [`Bridge`].
//!
//! The driver loop: drain every output of the core, then one [`driver::turn`]: wait for a MAVLink
//! frame, a SIYI datagram, the core's timer or shutdown; feed it in; run every timer that is due
//! by the clock (the sleep's firing is not trusted — the quinn lesson).

use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::{CameraSource, Config};
use crate::core::bridge::{Bridge, BridgeEvent};
use crate::core::camera::{CameraComponent, CameraConfig, CameraEvent, Inbound, PersistedState};
use crate::core::gimbal::{GimbalComponent, GimbalConfig};
use crate::core::link::{LinkConfig, SiyiLink};
use crate::core::tracking::TrackingConfig;
use crate::io::driver::{self, utc_us, Timed};
use crate::io::mavlink::signing::{Signer, OUR_LINK_ID};
use crate::io::mavlink::{self as mavio, Endpoint, OutFrame, PeerIds};
use crate::io::siyi::SiyiSocket;
use crate::io::state_file::SIMULATED_DIR;
use crate::io::tracker::{self, TrackerIn};
use crate::sim::{server as sim_server, tracker_client as sim_tracker, SimConfig};

mod events;
mod media_port;
mod sim_video;
mod sim_web;
mod state_keeper;
mod tracker_port;
mod video_port;

use events::log_event;
use media_port::MediaPort;
use state_keeper::{load_state, lock_state, StateKeeper};
use tracker_port::{recv_or_never, TrackerPort};
use video_port::VideoPort;

/// Name of the state file inside `--state-dir`.
pub use crate::io::state_file::STATE_FILE;

/// A running bridge (see [`spawn`]).
pub struct Running {
    /// Local addresses of the MAVLink sockets, in `--mavlink` order (None for `serial` and
    /// `tcpout`, which connect in the background).
    pub mavlink_local: Vec<Option<SocketAddr>>,
    /// The camera (or simulator) address.
    pub camera: SocketAddr,
    /// Where the tracker API listens (None: off).
    pub tracker_api: Option<SocketAddr>,
    /// With `--simulate`: where the simulated camera's web server (media API, downloads)
    /// listens, `http://ADDR` (None: no simulator, or `--sim-web off`).
    pub sim_web: Option<SocketAddr>,
    /// With `--simulate`: the simulated camera's SD card directory.
    pub sim_media_dir: Option<PathBuf>,
    /// The temporary SD card directory (no `--sim-media-dir`): removed when this is dropped.
    _sim_media_temp: Option<tempfile::TempDir>,
    /// The state directory's lock (`io::state_lock`), released when this is dropped.
    _state_lock: Option<crate::io::state_lock::StateLock>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    others: Vec<tokio::task::JoinHandle<()>>,
    sim: Option<tokio::task::JoinHandle<std::io::Result<crate::sim::SimStats>>>,
    sim_pose: Option<tokio::sync::watch::Receiver<crate::sim::SimPose>>,
}

impl Running {
    /// With `--simulate`: where the simulated camera looks now and the scene's time (the truth
    /// a test or a benchmark compares the tracking with: `sim::scene::target_box`).
    pub fn sim_pose(&self) -> Option<crate::sim::SimPose> {
        self.sim_pose.as_ref().map(|p| *p.borrow())
    }

    /// Stops the bridge and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        let r = (&mut self.task).await.context("bridge task")?;
        for t in &self.others {
            t.abort();
        }
        if let Some(s) = &self.sim {
            s.abort();
        }
        r
    }

    /// Waits until the bridge ends, or until `signal` completes, then stops it cleanly (the
    /// state file records a clean stop: no image indices stay reserved).
    pub async fn wait_or_stop_on(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        tokio::select! {
            r = &mut self.task => {
                self.shutdown = None;
                for t in &self.others {
                    t.abort();
                }
                if let Some(s) = &self.sim {
                    s.abort();
                }
                r.context("bridge task")?
            }
            () = signal => self.stop().await,
        }
    }

    /// Waits until the bridge ends (Ctrl-C / SIGTERM, or an error).
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let r = (&mut self.task).await.context("bridge task")?;
        for t in &self.others {
            t.abort();
        }
        if let Some(s) = &self.sim {
            s.abort();
        }
        r
    }
}

/// Opens the tracker API on `addr`. Taken (another bridge on this machine) with `--simulate`:
/// a port the OS picks on the same host instead, said in a warning, so a second demo bridge
/// starts; for a real camera an error at once that says what to do.
async fn listen_tracker_api(
    addr: SocketAddr,
    simulated: bool,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>, tracker::TrackerRx)> {
    match tracker::listen(addr).await {
        Ok(opened) => Ok(opened),
        Err(e) if simulated && e.kind() == std::io::ErrorKind::AddrInUse && addr.port() != 0 => {
            let any = SocketAddr::new(addr.ip(), 0);
            let opened = tracker::listen(any).await.with_context(|| {
                format!("--tracker-api {addr} is in use and {any} cannot listen either")
            })?;
            tracing::warn!(
                "--tracker-api {addr} is in use (another siyi-bridge on this machine?): this \
                 simulated bridge's tracker API listens on {} instead",
                opened.0
            );
            Ok(opened)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "--tracker-api {addr}: cannot listen (another siyi-bridge on this machine? give \
             --tracker-api 127.0.0.1:0 for any free port, another port, or off)"
        ))),
    }
}

/// Starts the bridge (and the simulator with `--simulate`) on the current tokio runtime.
/// Errors name the flag or address that failed.
pub async fn spawn(config: Config) -> anyhow::Result<Running> {
    let mut others = Vec::new();
    let (camera_addr, sim, sim_pose, sim_media) = match &config.camera {
        CameraSource::Udp(a) => (*a, None, None, None),
        CameraSource::Simulate => {
            let sim_config = SimConfig {
                boot_time_ms: config.sim_boot_ms,
                ai_module: config.sim_ai_module,
                ..SimConfig::default()
            };
            let mut media = sim_web::start(&config, sim_config.sd_card).await?;
            others.extend(media.task.take());
            let (addr, handle, pose) = sim_server::spawn_with_media(
                ([127, 0, 0, 1], 0).into(),
                sim_config,
                std::future::pending(),
                Some(media.store.clone()),
            )
            .await
            .context("--simulate: cannot start the simulator on 127.0.0.1")?;
            tracing::warn!(
                "--simulate: this is a SIMULATED A8 mini on udp {addr} (boots in {} ms{}), not a real camera",
                config.sim_boot_ms,
                if config.sim_ai_module { ", with an AI tracking module" } else { "" }
            );
            (addr, Some(handle), Some(pose), Some(media))
        }
    };
    // The simulated camera's video replaces the real camera's stream URI.
    let mut stream_uri = config.stream_uri.clone();
    let mut sim_video = false;
    if let Some(pose) = &sim_pose {
        if let Some((uri, task)) = sim_video::start(
            pose.clone(),
            config.sim_video_size,
            config.sim_video_delay_ms,
            config.sim_scene,
        )
        .await
        {
            tracing::info!("--simulate: VIDEO_STREAM_INFORMATION announces {uri}");
            stream_uri = uri;
            sim_video = true;
            others.push(task);
        }
    }
    let video_port = VideoPort::setup(&config, &stream_uri, sim_video);
    let local: Option<SocketAddr> = camera_addr
        .ip()
        .is_loopback()
        .then(|| ([127, 0, 0, 1], 0).into());
    let mut siyi = SiyiSocket::connect(camera_addr, local)
        .await
        .with_context(|| format!("--camera {camera_addr}: cannot open a UDP socket to it"))?;
    if let Some(p) = &config.record_siyi {
        siyi.record_to(p)
            .with_context(|| format!("--record-siyi {}: cannot write", p.display()))?;
        tracing::info!("recording SIYI traffic to {}", p.display());
    }
    tracing::info!("talking SIYI to the camera at udp {camera_addr}");

    // A simulated camera never touches the real camera's state.
    let state_dir = match (&config.state_dir, &config.camera) {
        (Some(dir), CameraSource::Simulate) => {
            let dir = dir.join(SIMULATED_DIR);
            tracing::info!(
                "simulated camera: its image counter is kept in {} (not the real camera's)",
                dir.display()
            );
            Some(dir)
        }
        (dir, _) => dir.clone(),
    };
    let state_lock = match &state_dir {
        Some(dir) => lock_state(dir)?,
        None => None,
    };
    let persisted = match &state_dir {
        Some(dir) => load_state(dir)?,
        None => {
            tracing::warn!("no state directory (--no-state, or neither $STATE_DIRECTORY nor $HOME set): the image counter restarts at 0 on every start");
            PersistedState::default()
        }
    };
    let (in_tx, in_rx) = mpsc::channel(1024);
    let (out_tx, _) = broadcast::channel::<OutFrame>(1024);
    let ids = PeerIds::default();
    let signer = config
        .signing_key
        .as_ref()
        .map(|k| Arc::new(Signer::new(k, OUR_LINK_ID)));
    if signer.is_some() {
        tracing::info!(
            "MAVLink 2 signing on: unsigned frames (except RADIO_STATUS) are dropped; link id {OUR_LINK_ID}"
        );
    }
    let mut mavlink_local = Vec::new();
    for ep in &config.mavlink {
        let opened = mavio::open(
            ep,
            ids.clone(),
            in_tx.clone(),
            out_tx.subscribe(),
            signer.clone(),
        )
        .await
        .with_context(|| format!("--mavlink {ep}: cannot open"))?;
        mavlink_local.push(opened.local);
        others.push(opened.task);
    }
    drop(in_tx);

    let mut tracker_port = TrackerPort::default();
    let tracker_api = match config.tracker_api {
        None => {
            tracing::info!("tracker API off (--tracker-api off)");
            None
        }
        Some(addr) => {
            let simulated = matches!(config.camera, CameraSource::Simulate);
            let (local, task, rx) = listen_tracker_api(addr, simulated).await?;
            tracing::info!("tracker API listening on tcp {local} (docs/tracker-api.md)");
            tracker_port.rx = Some(rx);
            others.push(task);
            if let Some(pose) = sim_pose.clone().filter(|_| config.sim_tracker) {
                tracing::info!("--simulate: a simulated tracker connects to the tracker API");
                let client = sim_tracker::run(local, pose, std::future::pending());
                others.push(tokio::spawn(client));
            }
            Some(local)
        }
    };

    let (media_config, media_client) =
        media_port::setup(&config, camera_addr, sim_media.as_ref().map(|m| m.web)).unzip();
    let media_port = MediaPort::new(media_client);
    let now = driver::clock_now();
    let camera = CameraComponent::with_state(
        CameraConfig {
            system_id: config.system_id,
            component_id: config.component_id,
            stream_uri,
            allowed_systems: config.allowed_systems.clone(),
            simulated: matches!(config.camera, CameraSource::Simulate),
            gimbal_device_id: config.gimbal_component_id.unwrap_or(0),
            media: media_config.clone(),
            ..CameraConfig::default()
        },
        now,
        persisted,
    );
    for (cmd, why) in &config.known_unanswered {
        tracing::info!(cmd = format!("0x{cmd:02x}"), "camera profile: {why}");
    }
    let link_config = LinkConfig {
        attitude_interval: Duration::from_millis(config.attitude_poll_ms),
        known_unanswered: config
            .known_unanswered
            .iter()
            .map(|(cmd, _)| siyi_protocol::CmdId(*cmd))
            .collect(),
        ..LinkConfig::default()
    };
    let link = SiyiLink::new(link_config, now);
    let tracking = TrackingConfig {
        follow: config.track_follow,
        builtin: video_port.is_on(),
        compensate_delay: config.track_delay_compensation,
        ..TrackingConfig::default()
    };
    let mut bridge = Bridge::new(link, camera, now).with_tracking(tracking);
    if let Some(component_id) = config.gimbal_component_id {
        let gimbal = GimbalConfig {
            system_id: config.system_id,
            component_id,
            manager: config.gimbal_manager,
            allowed_systems: config.allowed_systems.clone(),
            ..GimbalConfig::default()
        };
        bridge = bridge.with_gimbal(GimbalComponent::new(gimbal, now));
        let manager = match config.gimbal_manager {
            crate::core::gimbal::ManagerMode::Auto => "auto (until an autopilot manages it)",
            crate::core::gimbal::ManagerMode::On => "on",
            crate::core::gimbal::ManagerMode::Off => "off",
        };
        tracing::info!("MAVLink gimbal device component {component_id}, gimbal manager {manager}");
    }
    tracing::info!(
        "MAVLink camera component {}/{} ({}) on {}",
        config
            .system_id
            .map(|s| s.to_string())
            .unwrap_or_else(|| "auto".into()),
        config.component_id,
        if config.system_id.is_some() {
            "fixed system id"
        } else {
            "system id learned from the autopilot heartbeat, 1 until then"
        },
        config
            .mavlink
            .iter()
            .map(Endpoint::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );

    let (stop_tx, stop_rx) = oneshot::channel();
    let wiring = Wiring {
        siyi,
        camera_addr,
        in_rx,
        out_tx,
        stop: stop_rx,
        signer,
        tracker_port,
        media_port,
        video_port,
    };
    let task = tokio::spawn(drive(bridge, wiring, state_dir));
    Ok(Running {
        mavlink_local,
        camera: camera_addr,
        tracker_api,
        sim_web: sim_media.as_ref().and_then(|m| m.web),
        sim_media_dir: sim_media.as_ref().map(|m| m.store.root().to_owned()),
        _sim_media_temp: sim_media.and_then(|m| m.temp),
        _state_lock: state_lock,
        shutdown: Some(stop_tx),
        task,
        others,
        sim,
        sim_pose,
    })
}

/// What the driver loop talks to: the camera socket, the MAVLink endpoints' channels, the stop
/// signal, the signer, the tracker API and the camera's web server.
struct Wiring {
    siyi: SiyiSocket,
    camera_addr: SocketAddr,
    in_rx: mpsc::Receiver<mavio::Incoming>,
    out_tx: broadcast::Sender<OutFrame>,
    stop: oneshot::Receiver<()>,
    signer: Option<Arc<Signer>>,
    tracker_port: TrackerPort,
    media_port: MediaPort,
    video_port: VideoPort,
}

async fn drive(
    mut bridge: Bridge<SiyiLink>,
    wiring: Wiring,
    state_dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut keeper = state_dir.map(|dir| StateKeeper {
        dir,
        next_retry: None,
    });
    // Save the start state at once: it reserves the indices this run may hand out.
    if let Some(k) = keeper.as_mut() {
        let state = bridge.persisted().clone();
        k.save(&mut bridge, &state, false);
    }
    let r = drive_loop(&mut bridge, wiring, keeper.as_mut()).await;
    // A clean stop gives back the reserved indices (an error or a crash keeps them reserved).
    if let (Some(k), Ok(())) = (keeper.as_mut(), &r) {
        let state = bridge.persisted().clone();
        k.save(&mut bridge, &state, true);
    }
    r
}

async fn drive_loop(
    bridge: &mut Bridge<SiyiLink>,
    wiring: Wiring,
    mut keeper: Option<&mut StateKeeper>,
) -> anyhow::Result<()> {
    let Wiring {
        mut siyi,
        camera_addr,
        mut in_rx,
        out_tx,
        mut stop,
        signer,
        mut tracker_port,
        mut media_port,
        mut video_port,
    } = wiring;
    let mut tracker_rx = tracker_port.rx.take();
    let mut video_rx = video_port.rx.take();
    let mut siyi_errors = 0u64;
    bridge.handle_timeout(driver::clock_now(), utc_us());
    loop {
        // Events first (a failed save queues a STATUSTEXT), then every output of the last input.
        while let Some(ev) = bridge.poll_event() {
            log_event(&ev, camera_addr);
            if let (BridgeEvent::Camera(CameraEvent::Persist(state)), Some(k)) =
                (&ev, keeper.as_deref_mut())
            {
                k.save(bridge, state, false);
            }
        }
        if let Some(k) = keeper.as_deref_mut() {
            k.retry_if_due(bridge);
        }
        while let Some(d) = bridge.poll_siyi() {
            if let Err(e) = siyi.send(&d).await {
                siyi_errors += 1;
                if siyi_errors == 1 || siyi_errors.is_power_of_two() {
                    tracing::warn!("sending to the camera failed ({siyi_errors} times): {e}");
                }
            }
        }
        while let Some((t, seq)) = bridge.poll_mavlink_numbered() {
            let mut bytes = mavio::encode(&t, seq);
            if let Some(s) = &signer {
                bytes = s.sign(&bytes);
            }
            // No receiver yet (all endpoints failed) is not an error.
            let _ = out_tx.send(OutFrame {
                target: t.target,
                bytes: bytes.into(),
            });
        }
        tracker_port.flush(bridge);
        media_port.flush(bridge);
        video_port.flush(bridge);
        let mut listener_ended = false;
        let mut video_ended = false;
        let rx = &mut tracker_rx;
        let vrx = &mut video_rx;
        let media = &mut media_port;
        // Every branch is cancel-safe: the turn drops this future when a timer comes due first.
        let input = async {
            tokio::select! {
                biased;
                _ = &mut stop => Input::Stop("stopping"),
                _ = tokio::signal::ctrl_c() => Input::Stop("Ctrl-C: stopping"),
                inc = in_rx.recv() => Input::Mavlink(inc),
                r = siyi.recv() => Input::Siyi(r),
                t = recv_or_never(rx) => Input::Tracker(t),
                m = media.recv() => Input::Media(m),
                v = recv_or_never(vrx) => Input::Video(v),
            }
        };
        let flow = driver::turn(bridge, None, input, |bridge, now, input| {
            match input {
                Input::Stop(why) => {
                    tracing::info!("{why}");
                    return ControlFlow::Break(Ok(()));
                }
                // Endpoint tasks end only when the bridge stops (tcpout / serial reconnect forever).
                Input::Mavlink(None) => {
                    return ControlFlow::Break(Err(anyhow::anyhow!(
                        "every MAVLink endpoint task ended"
                    )));
                }
                Input::Mavlink(Some(inc)) => {
                    let inbound = Inbound::from_payload(
                        inc.frame.version,
                        inc.frame.msg_id,
                        &inc.frame.payload,
                    );
                    bridge.handle_mavlink(now, utc_us(), inc.peer, inc.frame.header, &inbound);
                }
                Input::Siyi(Ok(d)) => bridge.handle_siyi(now, &d),
                Input::Tracker(None) => listener_ended = true,
                Input::Tracker(Some(t)) => tracker_port.handle(bridge, now, t),
                // The port keeps a sender: `None` never comes.
                Input::Media(None) => {}
                Input::Media(Some(m)) => MediaPort::handle(bridge, now, m),
                Input::Video(None) => video_ended = true,
                Input::Video(Some(v)) => video_port.handle(bridge, now, v),
                Input::Siyi(Err(e)) => {
                    // ICMP "port unreachable" when the camera is off: counted, not fatal.
                    siyi_errors += 1;
                    if siyi_errors == 1 || siyi_errors.is_power_of_two() {
                        tracing::debug!("camera socket error ({siyi_errors} times): {e}");
                    }
                }
            }
            ControlFlow::Continue(())
        })
        .await;
        if let ControlFlow::Break(result) = flow {
            return result;
        }
        if listener_ended {
            tracing::warn!("tracker API listener ended: tracking unavailable");
            tracker_rx = None;
        }
        if video_ended {
            tracing::warn!("the built-in tracker's video thread ended: its boxes no longer come");
            video_rx = None;
        }
    }
}

/// What woke the driver loop.
enum Input {
    Stop(&'static str),
    Mavlink(Option<mavio::Incoming>),
    Siyi(std::io::Result<Vec<u8>>),
    Tracker(Option<TrackerIn>),
    Media(Option<(u64, crate::core::media::Reply)>),
    Video(Option<crate::io::video::source::SourceEvent>),
}

impl Timed for Bridge<SiyiLink> {
    fn poll_timeout(&self) -> Option<Instant> {
        Self::poll_timeout(self)
    }

    fn handle_timeout(&mut self, now: Instant) {
        Self::handle_timeout(self, now, utc_us())
    }
}
