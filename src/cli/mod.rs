//! Subcommands of the `siyi-bridge` binary. Each module has its clap `Args` and a `run` function.

pub mod camera;
pub mod decode;
pub mod replay;
pub mod run;
pub mod sim;
