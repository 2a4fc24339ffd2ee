//! siyi-bridge: a MAVLink camera component (camera protocol v2) for the SIYI A8 mini.
//!
//! Layout (see docs/architecture.md):
//! - [`core`]: the sans-IO translation core (SIYI link logic, MAVLink camera component). It never
//!   reads a clock, a socket, a file or the environment.
//! - [`io`]: thin tokio shells that move bytes between sockets and the core.
//! - [`sim`]: an A8 mini simulator speaking the real SIYI protocol (never imports `core`).
//! - [`record`]: the JSON-lines traffic format used for recordings and fixtures.
//! - [`cli`]: the subcommands of the `siyi-bridge` binary, with [`cli::describe`] (SIYI frames as
//!   JSON with units in the field names, used by `decode` and `replay`).
//! - `fuzzing`: fuzz entry points over `&[u8]` (cargo-fuzz targets in `fuzz/`, corpus test in CI),
//!   and `testing`: the spin guard for virtual-time loops and the virtual-time world — both only
//!   with the `testing` feature, which the tests, benchmarks and fuzz targets enable (not the
//!   shipped binary).

pub mod app;
pub mod cli;
pub mod config;
pub mod core;
#[cfg(feature = "testing")]
pub mod fuzzing;
pub mod io;
pub mod record;
pub mod sim;
#[cfg(feature = "testing")]
pub mod testing;
