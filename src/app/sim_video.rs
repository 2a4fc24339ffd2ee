//! With `--simulate`: the simulated camera's video (H.264 over RTSP on 127.0.0.1:8554, or a
//! free port when that is taken), whose URI VIDEO_STREAM_INFORMATION then announces.

use tokio::sync::watch;

use crate::config::SimScene;
#[cfg(feature = "sim-video")]
use crate::sim::stream::{self, SceneOptions, VideoConfig};
use crate::sim::SimPose;

/// The simulated video's default port (the A8 mini's RTSP port).
#[cfg(feature = "sim-video")]
const PORT: u16 = 8554;

/// Without the `sim-video` feature (the Raspberry Pi build): no simulated video, said once.
#[cfg(not(feature = "sim-video"))]
pub(super) async fn start(
    _pose: watch::Receiver<SimPose>,
    _size: (usize, usize),
    _delay_ms: u64,
    _scene: SimScene,
) -> Option<(String, tokio::task::JoinHandle<()>)> {
    tracing::warn!(
        "--simulate: this build has no simulated video (built without the sim-video feature)"
    );
    None
}

/// Starts the video server on the simulator's poses: its URI and task, or `None` (said in a
/// warning) when it cannot start; the bridge then goes on without video.
#[cfg(feature = "sim-video")]
pub(super) async fn start(
    pose: watch::Receiver<SimPose>,
    (width, height): (usize, usize),
    delay_ms: u64,
    scene: SimScene,
) -> Option<(String, tokio::task::JoinHandle<()>)> {
    let config = VideoConfig {
        width,
        height,
        delay_ms,
        scene: match scene {
            SimScene::Plain => SceneOptions::default(),
            SimScene::Busy => SceneOptions::busy(),
        },
        ..VideoConfig::default()
    };
    match stream::spawn_on_loopback(PORT, config, pose).await {
        Ok(server) => Some((server.uri, server.task)),
        Err(err) => {
            tracing::warn!(%err, "--simulate: the simulated camera's video cannot start; no video");
            None
        }
    }
}
