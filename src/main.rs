//! `siyi-bridge`: joins a SIYI A8 mini gimbal camera to MAVLink (PX4, QGroundControl, MAVSDK).

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use siyi_bridge::cli;

/// MAVLink camera component for the SIYI A8 mini gimbal camera.
///
/// Runs next to the camera (e.g. on a Raspberry Pi), talks the SIYI SDK protocol to the camera over
/// UDP and presents it to PX4, QGroundControl and MAVSDK as a MAVLink camera (camera protocol v2).
/// Without a camera, `run --simulate` starts a built-in A8 mini simulator on loopback.
#[derive(Debug, Parser)]
#[command(name = "siyi-bridge", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once at start; the size of `run`'s flags does not matter.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run the bridge: a MAVLink camera component in front of a SIYI camera (or the simulator).
    Run(cli::run::Args),
    /// Run the A8 mini simulator standalone on a UDP address (for QGC, SIYI clients, tests).
    Sim(cli::sim::Args),
    /// Talk to a camera (or the simulator) directly: info, photo, record, zoom, gimbal.
    Camera(cli::camera::Args),
    /// Decode SIYI frames given as hex (arguments, or one per line on stdin) to JSON lines.
    Decode(cli::decode::Args),
    /// Print a readable timeline of a recorded SIYI session (JSONL).
    Replay(cli::replay::Args),
    /// List and pull the camera's photos and videos from its web server, with geotags.
    Media(cli::media::Args),
    /// Check a configuration file of `run` and print the configuration it gives.
    Config(cli::config::Args),
    /// Track a box (or the object under a point) through a .y4m video: one JSON line per frame.
    Track(cli::track::Args),
}

fn main() -> std::process::ExitCode {
    // The matches are kept: `run` asks them which flags were given on the command line.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Run(args) => match matches.subcommand() {
            Some(("run", run_matches)) => cli::run::run(args, run_matches),
            _ => unreachable!("clap parsed the run subcommand"),
        },
        Command::Config(args) => return cli::config::run(args),
        Command::Sim(args) => cli::sim::run(args),
        Command::Camera(args) => cli::camera::run(args),
        Command::Decode(args) => cli::decode::run(args),
        Command::Replay(args) => cli::replay::run(args),
        Command::Media(args) => cli::media::run(args),
        Command::Track(args) => cli::track::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of a pipe has gone (`| head -1`): the command ends quietly.
        Err(e) if cli::is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The whole cause chain on one line; no backtrace dump for a user error.
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
