//! With `--simulate`: the simulated camera's SD card (a [`MediaStore`] directory) and its web
//! server on 127.0.0.1 (`--sim-web`, `--sim-web-port`, `--sim-media-dir`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::{Config, SimWeb};
use crate::sim::web::{self, MediaStore, WebFaults};

/// The simulated SD card and web server of one run.
pub(super) struct SimCard {
    /// The card, for the UDP simulator to write photos and videos into.
    pub(super) store: MediaStore,
    /// Where the web server listens (None: `--sim-web off`).
    pub(super) web: Option<SocketAddr>,
    /// The web server task.
    pub(super) task: Option<JoinHandle<()>>,
    /// The temporary card directory when no `--sim-media-dir` was given: removed when dropped.
    pub(super) temp: Option<tempfile::TempDir>,
}

/// Opens the card (a fresh temporary directory without `--sim-media-dir`) and starts the web
/// server unless `--sim-web off`. `sd_card` false: the server lists nothing.
pub(super) async fn start(config: &Config, sd_card: bool) -> anyhow::Result<SimCard> {
    let (root, temp): (PathBuf, _) = match &config.sim_media_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("siyi-sim-card-")
                .tempdir()
                .context("--simulate: cannot create a temporary directory for the SD card")?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let store = MediaStore::open(&root)
        .with_context(|| format!("--sim-media-dir {}: cannot use it", root.display()))?;
    tracing::info!(
        "simulated camera SD card in {}{}",
        root.display(),
        if temp.is_some() {
            " (temporary, removed at exit; --sim-media-dir to keep it)"
        } else {
            ""
        }
    );
    let faults = match config.sim_web {
        SimWeb::Off => {
            tracing::info!("simulated camera web server off (--sim-web off)");
            return Ok(SimCard {
                store,
                web: None,
                task: None,
                temp,
            });
        }
        SimWeb::Ok => WebFaults::default(),
        SimWeb::Slow => WebFaults::slow(),
    };
    let bind = SocketAddr::from(([127, 0, 0, 1], config.sim_web_port));
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("--sim-web-port {}: cannot listen on {bind}", bind.port()))?;
    let local = listener.local_addr().context("--sim-web-port")?;
    tracing::info!(
        "simulated camera web server on http://{local} (media API /cgi-bin/media.cgi/api/v1/, files /photo/; {})",
        match config.sim_web {
            SimWeb::Slow => "slow: every API answer 3 s late",
            _ => "ok",
        }
    );
    let served = sd_card.then(|| store.clone());
    let task = tokio::spawn(async move {
        if let Err(err) = web::serve(listener, served, faults, std::future::pending()).await {
            tracing::warn!(%err, "simulated camera web server stopped");
        }
    });
    Ok(SimCard {
        store,
        web: Some(local),
        task: Some(task),
        temp,
    })
}
