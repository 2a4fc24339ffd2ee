//! Thin tokio shells: they move bytes between sockets and the sans-IO core and decide nothing.
pub mod mavlink;
pub mod siyi;
pub mod state_file;
