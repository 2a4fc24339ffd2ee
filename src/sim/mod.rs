//! The A8 mini simulator. Never imports `crate::core`, so it cannot share the bridge's bugs.
//!
//! - [`camera`]: the sans-IO camera model ([`SimCamera`], [`SimConfig`]).
//! - [`server`]: a tokio UDP server around it ([`server::serve`], [`server::spawn`]).

pub mod camera;
pub mod server;

pub use camera::{SimCamera, SimConfig, SimState, SimStats, Transmit};
