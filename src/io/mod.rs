//! Thin tokio shells: they move bytes between sockets and the sans-IO core and decide nothing.
pub mod driver;
pub mod endpoint;
pub mod mavlink;
pub mod media;
pub mod siyi;
pub mod state_file;
pub mod state_lock;
pub mod text_file;
pub mod tracker;
pub mod video;
