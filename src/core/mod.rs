//! The sans-IO core. Nothing in here reads a clock, a socket, a file or the environment: time is
//! passed in as `now`, inputs arrive through `handle_*` methods and outputs leave through `poll_*`.

pub mod bridge;
pub mod camera;
pub mod geo;
pub mod gimbal;
pub mod hex;
pub mod link;
pub mod mavlink;
pub mod media;
pub mod probe;
pub mod settings;
pub mod text;
pub mod tracking;
