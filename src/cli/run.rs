//! `siyi-bridge run`: reads the configuration file, merges the flags over it, and runs the
//! bridge until SIGTERM or Ctrl-C.

use anyhow::Context as _;

use crate::config::ConfigFile;
pub use crate::config::RunArgs as Args;

/// Runs `siyi-bridge run` until Ctrl-C; `matches` are the command line's (for which flags were
/// given there, over the configuration file).
pub fn run(args: Args, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    super::init_logging("info");
    let file = match super::config::config_path(args.config.as_deref()) {
        Some(path) => {
            tracing::info!("configuration file: {}", path.display());
            Some(ConfigFile::read(&path)?)
        }
        None => {
            tracing::info!(
                "no configuration file ({} does not exist): flags and defaults only",
                crate::config::DEFAULT_CONFIG_FILE
            );
            None
        }
    };
    let config = super::config::resolve(matches, file)?.to_config()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async move {
        let running = crate::app::spawn(config).await?;
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .context("cannot watch SIGTERM")?;
            running
                .wait_or_stop_on(async move {
                    term.recv().await;
                    tracing::info!("SIGTERM: stopping");
                })
                .await
        }
        #[cfg(not(unix))]
        running.wait().await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::PathBuf;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: Args,
    }

    trait Validated {
        fn validated(&self) -> Result<crate::config::Config, crate::config::ConfigError>;
    }

    impl Validated for Args {
        fn validated(&self) -> Result<crate::config::Config, crate::config::ConfigError> {
            crate::config::Config::from_args(self)
        }
    }

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Cli::try_parse_from(std::iter::once("run").chain(args.iter().copied())).map(|c| c.run)
    }

    #[test]
    fn on_off_flags_take_on_and_off_and_have_their_defaults() {
        let a = parse(&[]).expect("defaults");
        assert!(a.track_follow && a.builtin_tracker && a.track_delay_compensation);
        assert!(
            !a.sim_tracker,
            "the built-in tracker tracks on the simulated video"
        );
        assert_eq!(a.video_latency_ms, 150);
        assert_eq!(a.tracker_api, "127.0.0.1:14660");
        let a = parse(&[
            "--simulate",
            "--track-follow",
            "off",
            "--sim-tracker",
            "on",
            "--builtin-tracker",
            "off",
            "--track-delay-compensation=off",
            "--video-latency-ms",
            "250",
        ])
        .expect("off");
        assert!(!a.track_follow && a.sim_tracker);
        assert!(!a.builtin_tracker && !a.track_delay_compensation);
        assert_eq!(a.video_latency_ms, 250);
        assert!(parse(&["--video-latency-ms", "2001"]).is_err());
        let a = parse(&["--track-follow=on"]).expect("on");
        assert!(a.track_follow);
        assert!(parse(&["--track-follow", "maybe"]).is_err());
        assert!(parse(&["--sim-ai-module"]).is_err(), "needs --simulate");
        assert!(
            parse(&["--sim-media-dir", "/tmp/x"]).is_err(),
            "needs --simulate"
        );
    }

    #[test]
    fn sim_web_flags() {
        use crate::config::SimWeb;
        let c = parse(&["--simulate"]).unwrap().validated().unwrap();
        assert_eq!(
            (c.sim_web, c.sim_web_port, c.sim_media_dir),
            (SimWeb::Ok, 0, None)
        );
        let c = parse(&[
            "--simulate",
            "--sim-web",
            "slow",
            "--sim-web-port",
            "8082",
            "--sim-media-dir",
            "/tmp/card",
        ])
        .unwrap()
        .validated()
        .unwrap();
        assert_eq!(c.sim_web, SimWeb::Slow);
        assert_eq!(c.sim_web_port, 8082);
        assert_eq!(c.sim_media_dir, Some(PathBuf::from("/tmp/card")));
        let c = parse(&["--simulate", "--sim-web", "off"]).unwrap();
        assert_eq!(c.validated().unwrap().sim_web, SimWeb::Off);
        let err = parse(&["--simulate", "--sim-web", "maybe"])
            .unwrap()
            .validated()
            .unwrap_err()
            .to_string();
        assert!(err.contains("--sim-web"), "{err}");
    }

    #[test]
    fn tracker_api_is_off_or_an_address() {
        let config = |v: &str| {
            parse(&["--simulate", "--tracker-api", v])
                .unwrap()
                .validated()
        };
        assert_eq!(config("off").unwrap().tracker_api, None);
        assert_eq!(
            config("127.0.0.1:0").unwrap().tracker_api,
            Some("127.0.0.1:0".parse().unwrap())
        );
        let err = config("localhost").unwrap_err().to_string();
        assert!(err.contains("--tracker-api"), "{err}");
    }
}
