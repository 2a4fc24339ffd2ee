//! The A8 mini simulator. Never imports `crate::core`, so it cannot share the bridge's bugs.
//!
//! The camera model is split by the state each part owns; [`camera::SimCamera`] owns one of each
//! and dispatches requests to them. No part imports another part, only the shared `config` —
//! and the pure `scene` helpers (functions and plain values, no state), which `ai` and the
//! simulated `tracker` both use: that is the one exception.
//!
//! - [`camera`]: the sans-IO camera ([`SimCamera`]): decoding, dispatch, time and the attitude
//!   stream.
//! - `config`: [`SimConfig`] and the capped delay arithmetic.
//! - `gimbal`: angles, slew / rate motion, limits, motion mode.
//! - `zoom`: zoom factor, continuous zoom and its keep-alive.
//! - `recorder`: SD card, recording, photos.
//! - `video`: encoding parameters, video output, changes pending until a reboot.
//! - `power`: boot time, reboot silence, the planned reboot.
//! - `outbox`: scheduled frames, the camera's SEQ, the delay / drop / corrupt fault knobs.
//! - `exif`: what the camera was fed for its EXIF geotags (0x30 time, 0x22 attitude, 0x3E GPS).
//! - `ai`: the emulated SIYI AI tracking module (0x4D, 0x4E, 0x51, the 0x50 stream).
//! - [`scene`]: the synthetic scene (a car on a known path) and the camera geometry; pure.
//! - `state`: the [`SimState`] snapshot and [`SimStats`] counters that tests read.
//! - [`server`]: a tokio UDP server around it ([`server::serve`], [`server::spawn`],
//!   [`server::spawn_with_pose`], which also publishes the camera's [`SimPose`]).
//! - [`tracker`]: a sans-IO simulated tracker process (the tracker side of `docs/tracker-api.md`)
//!   that "sees" the scene; [`tracker_client`] is its tokio TCP shell ([`tracker_client::run`]).
//! - [`web`]: the camera's web server (media API and file downloads over HTTP) and its SD card
//!   ([`web::MediaStore`]), fed by [`SimCamera::poll_media`] through
//!   [`server::spawn_with_media`].
//! - [`stream`]: the camera's video (render, H.264, RTP, RTSP on loopback), its own room that
//!   uses only `scene`.

mod ai;
pub mod camera;
mod config;
mod exif;
mod gimbal;
mod outbox;
mod power;
mod recorder;
pub mod scene;
pub mod server;
mod state;
#[cfg(feature = "sim-video")]
pub mod stream;
pub mod tracker;
pub mod tracker_client;
mod video;
pub mod web;
mod zoom;

pub use camera::{SimCamera, SimConfig, SimMedia, SimState, SimStats, Transmit};
pub use exif::ExifInputs;
pub use scene::SimPose;
pub use state::TargetTruth;
