//! Subcommands of the `siyi-bridge` binary. Each module has its clap `Args` and a `run` function.

#[macro_use]
mod out;
pub use out::is_broken_pipe;
pub mod camera;
pub mod config;
pub mod decode;
pub mod describe;
pub mod media;
pub mod probe;
pub mod replay;
pub mod run;
pub mod sim;
pub mod track;
mod track_h264;
pub mod y4m;

pub use crate::config::default_state_dir;

/// Initialises `tracing` output to stderr: the filter comes from `RUST_LOG` when set, else
/// `default_filter` (e.g. `"info"`); colours only on a terminal. Safe to call more than once (later
/// calls do nothing).
pub fn init_logging(default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}
