//! `siyi-bridge config check`, and how `run` puts its flags over the configuration file.
//!
//! A file key becomes the flag it is named after (`compid = 101` → `--compid=101`) and goes through
//! that flag's own clap parser, so a value is checked the same way whether it came from the
//! command line or the file. A flag given on the command line replaces the file's key (and any
//! file key it conflicts with: `--simulate` replaces the file's `camera`); the file replaces the
//! defaults.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Args as _, ColorChoice, Command, FromArgMatches as _};

use crate::config::{
    Config, ConfigError, ConfigFile, FileEntry, FileError, RunArgs, DEFAULT_CONFIG_FILE,
};

/// Arguments of `siyi-bridge config`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// What `siyi-bridge config` does.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Check a configuration file and print the configuration `run` would use (the file over
    /// the defaults, every key, with where each value comes from). Exit status 0: valid; 1:
    /// invalid (the error on stderr); 3 (with --require-camera): valid but names no camera.
    Check {
        /// Exit with status 3 when the file sets neither `camera` nor `simulate = true` (the
        /// packaged service waits for the camera to be set).
        #[arg(long)]
        require_camera: bool,
        /// The file; default: $SIYI_BRIDGE_CONFIG, else /etc/siyi-bridge/config.toml (the
        /// same as `run`).
        #[arg(env = "SIYI_BRIDGE_CONFIG", default_value = DEFAULT_CONFIG_FILE)]
        file: PathBuf,
    },
}

/// Where one of `run`'s settings came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A flag on the command line.
    CommandLine,
    /// The configuration file, at this line.
    File {
        /// 1-based line.
        line: usize,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CommandLine => f.write_str("command line"),
            Self::File { line } => write!(f, "file, line {line}"),
        }
    }
}

/// `run`'s flags with the configuration file applied.
#[derive(Debug)]
pub struct Resolved {
    /// The flags as if all were given on the command line.
    pub args: RunArgs,
    /// Where each key that is not at its default came from (by key, e.g. `camera`).
    pub origins: BTreeMap<String, Origin>,
    /// The file, if one was read.
    pub file: Option<ConfigFile>,
}

/// `run`'s clap command on its own (no binary name in the arguments, no colours in errors), built
/// once.
pub fn run_command() -> &'static Command {
    static RUN: OnceLock<Command> = OnceLock::new();
    RUN.get_or_init(|| {
        let mut cmd = RunArgs::augment_args(Command::new("siyi-bridge run"))
            .no_binary_name(true)
            .color(ColorChoice::Never);
        cmd.build();
        cmd
    })
}

/// The flags of `run` that have a key in the configuration file: all but `--config` and `--help`.
pub fn file_flags(cmd: &'static Command) -> Vec<&'static Arg> {
    cmd.get_arguments()
        .filter(|a| {
            a.get_long()
                .is_some_and(|l| !matches!(l, "config" | "help"))
        })
        .collect()
}

/// The file `run` reads: `--config` / `SIYI_BRIDGE_CONFIG` when given, else
/// [`DEFAULT_CONFIG_FILE`] if it exists, else none.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(p.to_owned()),
        None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
    }
}

/// Puts the flags given in `cli` (the matches of `run`) over `file`, checking every file value
/// with its flag's parser.
pub fn resolve(cli: &ArgMatches, file: Option<ConfigFile>) -> Result<Resolved, FileError> {
    let cmd = run_command();
    let flags = file_flags(cmd);
    let given =
        |arg: &Arg| cli.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine);
    let key = |arg: &Arg| arg.get_long().unwrap_or_default().to_owned();
    let mut tokens: Vec<OsString> = Vec::new();
    let mut origins = BTreeMap::new();
    let mut from_file: Vec<(&Arg, &FileEntry)> = Vec::new();
    for &arg in &flags {
        if given(arg) {
            tokens.extend(command_line_tokens(arg, cli));
            origins.insert(key(arg), Origin::CommandLine);
            continue;
        }
        let Some(file) = &file else {
            continue;
        };
        let k = key(arg);
        let Some(entry) = file.entry(&k) else {
            continue;
        };
        let t = file_tokens(arg, &entry.value);
        if t.is_empty() {
            // A switch set to false (or an empty array): sets nothing, excludes nothing.
            origins.insert(k, Origin::File { line: entry.line });
            continue;
        }
        if let Some(by) = flags.iter().find(|o| given(o) && conflict(cmd, arg, o)) {
            tracing::info!(
                "{}:{}: {k} is replaced by --{} on the command line",
                file.path.display(),
                entry.line,
                key(by)
            );
            continue;
        }
        if let Some((other, e)) = from_file.iter().find(|(o, _)| conflict(cmd, arg, o)) {
            // Said on the later of the two lines.
            let (first, second) = if e.line < entry.line {
                ((key(other), e.line), k)
            } else {
                ((k, entry.line), key(other))
            };
            return Err(file.error_at(
                &second,
                format!(
                    "'{second}' and '{}' (line {}) exclude each other: keep one",
                    first.0, first.1
                ),
            ));
        }
        check_values(arg, &t).map_err(|why| file.error_at(&k, format!("'{k}': {why}")))?;
        tokens.extend(t);
        origins.insert(k, Origin::File { line: entry.line });
        from_file.push((arg, entry));
    }
    let place = |message: String| FileError {
        place: file.as_ref().map_or_else(
            || "command line".to_owned(),
            |f| f.path.display().to_string(),
        ),
        message,
    };
    let matches = cmd
        .clone()
        .try_get_matches_from(tokens)
        .map_err(|e| place(clap_message(&e)))?;
    let mut args = RunArgs::from_arg_matches(&matches).map_err(|e| place(clap_message(&e)))?;
    args.config = file.as_ref().map(|f| f.path.clone());
    Ok(Resolved {
        args,
        origins,
        file,
    })
}

impl Resolved {
    /// The validated configuration; an error about a key set in the file names its line.
    pub fn to_config(&self) -> anyhow::Result<Config> {
        Config::from_args(&self.args).map_err(|e| self.place(e))
    }

    fn place(&self, e: ConfigError) -> anyhow::Error {
        let key = e.key();
        match (&self.file, self.origins.get(key)) {
            (Some(file), Some(Origin::File { .. })) => {
                let text = e.to_string();
                let why = text
                    .strip_prefix(&format!("--{key}"))
                    .map_or(text.as_str(), |r| r.trim_start_matches(':').trim_start());
                file.error_at(key, format!("'{key}': {why}")).into()
            }
            _ => e.into(),
        }
    }

    /// The configuration in TOML: every key with the value `run` uses (defaults included, in
    /// the file's own types) and where it comes from; keys without a value (and no default) as
    /// comments. The text is itself a valid configuration file.
    pub fn to_toml(&self) -> String {
        let mut values = toml::Table::try_from(&self.args).unwrap_or_default();
        let mut defaults = BTreeMap::new();
        // The defaults `run` applies when it validates (they depend on other keys or on the
        // environment, so clap does not know them).
        if self.args.camera.is_none() && !self.args.simulate {
            let factory = crate::config::FACTORY_CAMERA;
            values.insert("camera".into(), factory.into());
            defaults.insert("camera", "default: the A8 mini's factory address");
        }
        if self.args.state_dir.is_none() && !self.args.no_state {
            if let Some(dir) = super::default_state_dir() {
                values.insert("state-dir".into(), dir.display().to_string().into());
                defaults.insert(
                    "state-dir",
                    "default: $STATE_DIRECTORY, else ~/.local/state",
                );
            }
        }
        // System ids are numbers, however the lists were spelled.
        let ids: Option<Vec<toml::Value>> = (self.args.allow_sysid.iter())
            .flat_map(|l| l.split(','))
            .map(|id| id.trim().parse::<i64>().ok().map(toml::Value::from))
            .collect();
        if let Some(ids) = ids {
            values.insert("allow-sysid".into(), toml::Value::Array(ids));
        }
        if let Some(Ok(id)) = (self.args.gimbal_compid.as_deref()).map(str::parse::<i64>) {
            values.insert("gimbal-compid".into(), id.into());
        }
        let mut out = String::new();
        for arg in file_flags(run_command()) {
            let key = arg.get_long().unwrap_or_default();
            let origin = self.origins.get(key).map_or_else(
                || defaults.get(key).unwrap_or(&"default").to_string(),
                Origin::to_string,
            );
            let line = match values.get(key) {
                Some(v) => format!("{key} = {v}"),
                None if key == "sysid" => {
                    format!("# {key} is not set (learned from the autopilot's heartbeat)")
                }
                None if key == "camera" => format!("# {key} is not set (the simulator is used)"),
                None => format!("# {key} is not set"),
            };
            out.push_str(&format!("{line:<48} # {origin}\n"));
        }
        out
    }
}

/// `siyi-bridge config`: the exit status is 0 (valid), 1 (invalid) or 3 (no camera, with
/// `--require-camera`).
pub fn run(args: Args) -> ExitCode {
    super::init_logging("warn");
    let Action::Check {
        require_camera,
        file,
    } = args.action;
    let checked = ConfigFile::read(&file)
        .map_err(anyhow::Error::from)
        .and_then(|f| {
            let no_flags = run_command()
                .clone()
                .try_get_matches_from(Vec::<OsString>::new())
                .map_err(|e| anyhow::anyhow!(clap_message(&e)))?;
            Ok(resolve(&no_flags, Some(f))?)
        })
        .and_then(|r| r.to_config().map(|_| r));
    let resolved = match checked {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let printed = (|| -> std::io::Result<ExitCode> {
        if require_camera && resolved.args.camera.is_none() && !resolved.args.simulate {
            outln!(
                "{}: no camera set: the bridge will not start until `camera = \"HOST:PORT\"` (or `simulate = true`) is set",
                file.display()
            )?;
            return Ok(ExitCode::from(3));
        }
        outln!(
            "# {}: valid. The configuration `siyi-bridge run` uses with it:",
            file.display()
        )?;
        out!("{}", resolved.to_toml())?;
        Ok(ExitCode::SUCCESS)
    })();
    match printed {
        Ok(code) => code,
        // The reader of a pipe has gone (`| head -1`): nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: writing to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

/// True when clap says `a` and `b` cannot be given together (either way round).
fn conflict(cmd: &Command, a: &Arg, b: &Arg) -> bool {
    let names = |x: &Arg, y: &Arg| {
        cmd.get_arg_conflicts_with(x)
            .iter()
            .any(|c| c.get_id() == y.get_id())
    };
    names(a, b) || names(b, a)
}

/// The command-line arguments that gave `arg` its value.
fn command_line_tokens(arg: &Arg, cli: &ArgMatches) -> Vec<OsString> {
    let long = arg.get_long().unwrap_or_default();
    if !arg.get_action().takes_values() {
        return vec![format!("--{long}").into()];
    }
    cli.get_raw(arg.get_id().as_str())
        .into_iter()
        .flatten()
        .map(|raw| {
            let mut t = OsString::from(format!("--{long}="));
            t.push(raw);
            t
        })
        .collect()
}

/// The command-line arguments a file value stands for: a switch is the bare flag when `true`
/// (nothing when `false`), an array one flag per element, `true`/`false` read `on`/`off`.
fn file_tokens(arg: &Arg, value: &toml::Value) -> Vec<OsString> {
    let long = arg.get_long().unwrap_or_default();
    if !arg.get_action().takes_values() {
        return match value {
            toml::Value::Boolean(false) => Vec::new(),
            _ => vec![format!("--{long}").into()],
        };
    }
    let items = match value {
        toml::Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    items
        .into_iter()
        .map(|v| {
            let text = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Boolean(b) => (if *b { "on" } else { "off" }).to_owned(),
                other => other.to_string(),
            };
            format!("--{long}={text}").into()
        })
        .collect()
}

/// Runs `tokens` through `arg`'s own value parser (alone: relations between flags are checked
/// once all are known).
fn check_values(arg: &'static Arg, tokens: &[OsString]) -> Result<(), String> {
    let alone = Arg::new(arg.get_id().clone())
        .long(arg.get_long().unwrap_or_default())
        .action(arg.get_action().clone())
        .value_parser(arg.get_value_parser().clone());
    Command::new("siyi-bridge run")
        .no_binary_name(true)
        .color(ColorChoice::Never)
        .arg(alone)
        .try_get_matches_from(tokens)
        .map(|_| ())
        .map_err(|e| match std::error::Error::source(&e) {
            Some(inner) => inner.to_string(),
            None => clap_message(&e),
        })
}

/// clap's error text on one line, without `error:` and the usage hint.
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    text.lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_owned()
}
