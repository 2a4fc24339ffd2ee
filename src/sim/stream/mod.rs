//! The simulated camera's video: what it sees, rendered ([`render`]), encoded as H.264
//! ([`encode`], OpenH264), packetised as RTP ([`rtp`], RFC 6184) and served over RTSP
//! ([`rtsp`] sans-IO, [`server`] the tokio shell) on loopback at `rtsp://127.0.0.1:PORT/main.264`
//! like the A8 mini's main stream.
//!
//! Its own room (`sim/stream` in `scripts/house.py`): it uses the pure `sim::scene` (the car,
//! the camera geometry) and nothing else of the simulator; the poses come in on the
//! `watch` channel the UDP simulator publishes ([`crate::sim::server::spawn_with_media`]).

mod connection;
pub mod encode;
mod hub;
pub mod render;
pub mod rtp;
pub mod rtsp;
pub mod server;

pub use render::{I420Frame, Renderer, SceneOptions};
pub use server::{spawn, spawn_on_loopback, VideoConfig, VideoServer, VideoStats};
