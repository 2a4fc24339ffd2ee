//! The A8 mini simulator. Never imports `crate::core`, so it cannot share the bridge's bugs.
//!
//! The camera model is split by the state each part owns; [`camera::SimCamera`] owns one of each
//! and dispatches requests to them. No part imports another part, only the shared `config`:
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
//! - `state`: the [`SimState`] snapshot and [`SimStats`] counters that tests read.
//! - [`server`]: a tokio UDP server around it ([`server::serve`], [`server::spawn`]).

pub mod camera;
mod config;
mod gimbal;
mod outbox;
mod power;
mod recorder;
pub mod server;
mod state;
mod video;
mod zoom;

pub use camera::{SimCamera, SimConfig, SimState, SimStats, Transmit};
