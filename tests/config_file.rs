//! The configuration file of `siyi-bridge run`: what wins (flag over file over default), every
//! error naming file, line and key, the packaged example, and `config check` as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

use siyi_bridge::cli::config::{file_flags, resolve, run_command, Origin, Resolved};
use siyi_bridge::config::{CameraSource, ConfigFile};

const EXAMPLE: &str = include_str!("../packaging/config.toml");

fn resolved(flags: &[&str], file: &str) -> Result<Resolved, String> {
    let cli = run_command()
        .clone()
        .try_get_matches_from(flags)
        .map_err(|e| e.to_string())?;
    let file = ConfigFile::parse(Path::new("config.toml"), file).map_err(|e| e.to_string())?;
    resolve(&cli, Some(file)).map_err(|e| e.to_string())
}

/// The error of the whole chain: file, flags, validation.
fn error(flags: &[&str], file: &str) -> String {
    match resolved(flags, file) {
        Err(e) => e,
        Ok(r) => match r.to_config() {
            Err(e) => e.to_string(),
            Ok(c) => panic!("{file:?} with {flags:?} is valid: {c:?}"),
        },
    }
}

#[test]
fn the_file_overrides_defaults_and_flags_override_the_file() {
    let file = "camera = \"127.0.0.1:37260\"\ncompid = 101\nmavlink = [\"udpin:127.0.0.1:14540\", \"udpout:127.0.0.1:14550\"]\nattitude-poll-ms = 50\n";
    let r = resolved(&[], file).unwrap();
    let c = r.to_config().unwrap();
    assert_eq!(
        c.camera,
        CameraSource::Udp("127.0.0.1:37260".parse().unwrap())
    );
    assert_eq!(c.component_id, 101);
    assert_eq!(c.mavlink.len(), 2);
    assert_eq!(c.attitude_poll_ms, 50);
    assert_eq!(
        c.stream_uri, "rtsp://192.168.144.25:8554/main.264",
        "default"
    );
    assert_eq!(r.origins.get("compid"), Some(&Origin::File { line: 2 }));
    assert_eq!(r.origins.get("stream-uri"), None, "a default has no origin");

    // A flag given with its default value still overrides the file.
    let r = resolved(&["--compid", "100", "--mavlink=udpout:127.0.0.1:9"], file).unwrap();
    let c = r.to_config().unwrap();
    assert_eq!(c.component_id, 100);
    assert_eq!(r.origins.get("compid"), Some(&Origin::CommandLine));
    // A repeatable flag replaces the file's array; it is not added to it.
    assert_eq!(c.mavlink, vec!["udpout:127.0.0.1:9".parse().unwrap()]);
    assert_eq!(c.attitude_poll_ms, 50, "keys not given as flags stay");
}

#[test]
fn a_flag_replaces_the_file_keys_it_excludes() {
    let file = "camera = \"127.0.0.1:37260\"\nstate-dir = \"/tmp/x\"\n";
    let c = resolved(&["--simulate", "--no-state"], file)
        .unwrap()
        .to_config()
        .unwrap();
    assert_eq!(c.camera, CameraSource::Simulate);
    assert_eq!(c.state_dir, None);
    let r = resolved(
        &["--camera", "127.0.0.1:1"],
        "simulate = true\nsim-boot-ms = 5\n",
    )
    .unwrap();
    assert!(!r.args.simulate);
    assert_eq!(r.args.camera.as_deref(), Some("127.0.0.1:1"));
}

#[test]
fn switches_and_on_off_keys() {
    let r = resolved(&[], "simulate = true\ntrack-follow = false\nsim-tracker = \"on\"\nno-media = true\nsim-ai-module = false\n").unwrap();
    assert!(r.args.simulate && r.args.no_media && !r.args.sim_ai_module);
    assert!(!r.args.track_follow && r.args.sim_tracker);
    let c = r.to_config().unwrap();
    assert_eq!(c.media_port, None);
    let r = resolved(&["--track-follow", "on"], "track-follow = \"off\"\n").unwrap();
    assert!(r.args.track_follow);
    let c = resolved(
        &[],
        "allow-sysid = [1, \"42,255\"]\ngimbal-compid = \"off\"\nsd-card-gib = 64\n",
    )
    .unwrap()
    .to_config()
    .unwrap();
    assert_eq!(c.allowed_systems, vec![1, 42, 255]);
    assert_eq!(c.gimbal_component_id, None);
    assert_eq!(c.sd_card_bytes, Some(64 << 30));
}

#[test]
fn every_error_names_the_file_the_line_and_the_key() {
    let cases: &[(&str, &str)] = &[
        (
            "compid = 100\n\n\n\n\n\ncamrea = \"x\"\n",
            "config.toml:7: unknown key 'camrea' (did you mean 'camera'?)",
        ),
        (
            "sysid = \"one\"\n",
            "config.toml:1: 'sysid': invalid type: string \"one\"",
        ),
        (
            "compid = 100\nattitude-poll-ms = 5\n",
            "config.toml:2: 'attitude-poll-ms': 5 is not in 20..=10000",
        ),
        (
            "track-follow = \"maybe\"\n",
            "config.toml:1: 'track-follow': \"maybe\": expected on or off",
        ),
        (
            "media-port = 0\n",
            "config.toml:1: 'media-port': 0 is not in 1..=65535",
        ),
        (
            "\nmavlink = [\"udpin:nope\"]\n",
            "config.toml:2: 'mavlink': bad MAVLink address \"udpin:nope\"",
        ),
        (
            "camera = \"1.2.3.4\"\n",
            "config.toml:1: 'camera': \"1.2.3.4\" is not HOST:PORT (",
        ),
        (
            "compid = 100\nsysid = 0\n",
            "config.toml:2: 'sysid': 0: must be 1–255",
        ),
        (
            "allow-sysid = [1, 0]\n",
            "config.toml:1: 'allow-sysid': \"0\": expected system ids",
        ),
        (
            "simulate = true\ncamera = \"127.0.0.1:1\"\n",
            "config.toml:2: 'camera' and 'simulate' (line 1) exclude each other",
        ),
        (
            "sim-ai-module = true\n",
            "config.toml: the following required arguments were not provided: --simulate",
        ),
        (
            "sim-web = \"fast\"\nsimulate = true\n",
            "config.toml:1: 'sim-web': \"fast\": expected ok, slow or off",
        ),
    ];
    for (file, expected) in cases {
        let e = error(&[], file);
        assert!(
            e.starts_with(expected),
            "{file:?}:\n  got      {e}\n  expected {expected}…"
        );
        assert!(!e.contains('\n'), "one line: {e}");
    }
    // The same value given as a flag keeps the flag's wording.
    let e = error(&["--sysid", "0"], "");
    assert!(e.starts_with("--sysid 0: must be 1–255"), "{e}");
}

#[test]
fn the_packaged_example_has_a_key_for_every_run_flag() {
    let example = ConfigFile::parse(Path::new("packaging/config.toml"), EXAMPLE).unwrap();
    assert!(
        example.entry("camera").is_none(),
        "the camera is the user's to set"
    );
    let flags = file_flags(run_command());
    assert!(flags.len() > 20, "{} flags", flags.len());
    for flag in flags {
        let key = flag.get_long().unwrap();
        let line = EXAMPLE
            .lines()
            .find(|l| {
                l.strip_prefix("# ")
                    .unwrap_or(l)
                    .starts_with(&format!("{key} = "))
            })
            .unwrap_or_else(|| panic!("packaging/config.toml has no line for --{key}"));
        // Each line, uncommented, is a valid setting (the simulator's keys need the simulator).
        let mut text = line.trim_start_matches("# ").to_owned();
        if key != "camera" && key != "simulate" {
            text = format!("simulate = true\n{text}");
        }
        resolved(&[], &text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
}

fn siyi_bridge(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_check_prints_every_key_and_where_it_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "# the camera\ncamera = \"127.0.0.1:37260\"\ncompid = 101\n",
    )
    .unwrap();
    let out = siyi_bridge(&["config", "check", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("camera = \"127.0.0.1:37260\"") && l.ends_with("# file, line 2")), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("compid = 101") && l.ends_with("# file, line 3")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("attitude-poll-ms = 100") && l.ends_with("# default")),
        "{stdout}"
    );
    for flag in file_flags(run_command()) {
        let key = flag.get_long().unwrap();
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{key} = "))
                || l.starts_with(&format!("# {key} is not set"))),
            "{key} missing:\n{stdout}"
        );
    }
    // The output is itself a configuration file that gives the same configuration.
    let again = resolved(&[], &stdout).unwrap().to_config().unwrap();
    let first = resolved(&[], "camera = \"127.0.0.1:37260\"\ncompid = 101\n").unwrap();
    assert_eq!(again, first.to_config().unwrap());
}

/// `config check` prints the values `run` uses, defaults included, in the file's types: read
/// back as a file (every key now set in it), its output gives `run`'s configuration exactly,
/// for the packaged example, an empty file and a file that spells things loosely.
#[test]
fn config_check_prints_what_run_uses_for_every_key() {
    let dir = tempfile::tempdir().unwrap();
    for (name, file) in [
        ("example", EXAMPLE),
        ("empty", ""),
        (
            "loose",
            "allow-sysid = [\"1\", \"255,7\"]\ngimbal-compid = \"155\"\nno-state = true\n",
        ),
        ("simulate", "simulate = true\nsim-tracker = \"off\"\n"),
    ] {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, file).unwrap();
        let out = siyi_bridge(&["config", "check", path.to_str().unwrap()], &[]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        let printed = text(&out.stdout);
        let run = resolved(&[], file).unwrap().to_config().unwrap();
        let back = resolved(&[], &printed).unwrap();
        assert_eq!(back.to_config().unwrap(), run, "{name}:\n{printed}");
        // Every key with a value `run` uses is written out, not left to a default.
        for l in printed.lines().filter(|l| l.starts_with("# ")).skip(1) {
            let key = l.trim_start_matches("# ").split(' ').next().unwrap();
            assert!(
                [
                    "sysid",
                    "camera",
                    "record-siyi",
                    "signing-key-file",
                    "sim-media-dir",
                    "media-url-base",
                    "sd-card-gib",
                    "camera-profile",
                    "state-dir"
                ]
                .contains(&key),
                "{name}: {key} has a value run uses but is not printed: {l}"
            );
        }
        let has = |line: &str| printed.lines().any(|l| l.starts_with(line));
        assert!(
            has("mavlink = [\"udpout:127.0.0.1:14550\"]"),
            "{name}:\n{printed}"
        );
        match name {
            "simulate" => assert!(!has("camera = "), "{printed}"),
            _ => assert!(
                has("camera = \"192.168.144.25:37260\""),
                "{name}:\n{printed}"
            ),
        }
        match name {
            "loose" => {
                assert!(has("allow-sysid = [1, 255, 7]"), "{printed}");
                assert!(has("gimbal-compid = 155 "), "{printed}");
                assert!(has("# state-dir is not set"), "{printed}");
            }
            _ => assert!(has("gimbal-compid = 154 "), "{name}:\n{printed}"),
        }
        assert!(has("gimbal-manager = \"auto\""), "{name}:\n{printed}");
    }
}

/// Like `run`, `config check` without a file argument reads `$SIYI_BRIDGE_CONFIG`.
#[test]
fn config_check_reads_the_file_named_by_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("env.toml");
    std::fs::write(&path, "compid = 102\n").unwrap();
    let out = siyi_bridge(
        &["config", "check"],
        &[("SIYI_BRIDGE_CONFIG", path.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!("# {}: valid", path.display())),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("compid = 102")),
        "{stdout}"
    );
}

#[test]
fn config_check_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let bad = write("bad.toml", "compid = 100\nsysid = 0\n");
    let out = siyi_bridge(&["config", "check", &bad], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad.toml:2: 'sysid': 0: must be 1–255"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    let out = siyi_bridge(
        &[
            "config",
            "check",
            &dir.path().join("missing.toml").to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );

    // --require-camera: valid but no camera → 3 with one line; camera or simulator → 0.
    let example = write("example.toml", EXAMPLE);
    let out = siyi_bridge(&["config", "check", "--require-camera", &example], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("will not start until") && stdout.contains("camera"),
        "{stdout}"
    );
    assert_eq!(
        siyi_bridge(&["config", "check", &example], &[])
            .status
            .code(),
        Some(0)
    );
    for body in ["camera = \"127.0.0.1:37260\"\n", "simulate = true\n"] {
        let p = write("set.toml", body);
        let out = siyi_bridge(&["config", "check", "--require-camera", &p], &[]);
        assert_eq!(out.status.code(), Some(0), "{body}: {}", text(&out.stderr));
    }
    // An invalid file is 1 with --require-camera too (not 3).
    let out = siyi_bridge(&["config", "check", "--require-camera", &bad], &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn run_refuses_a_bad_file_named_by_flag_or_environment() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "simulate = true\ncamrea = \"x\"\n").unwrap();
    let bad = bad.to_str().unwrap();
    for (args, env) in [
        (vec!["run", "--config", bad], vec![]),
        (vec!["run"], vec![("SIYI_BRIDGE_CONFIG", bad)]),
    ] {
        let out = siyi_bridge(&args, &env);
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("bad.toml:2: unknown key 'camrea' (did you mean 'camera'?)"),
            "{stderr}"
        );
        assert!(
            stderr.contains("configuration file: "),
            "the file read is logged: {stderr}"
        );
    }
}

#[cfg(unix)]
#[test]
fn endless_config_and_key_files_are_refused_in_words() {
    let out = siyi_bridge(&["config", "check", "/dev/zero"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("/dev/zero"), "{stderr}");
    assert!(stderr.contains("larger than 65536 bytes"), "{stderr}");
    let out = siyi_bridge(
        &[
            "run",
            "--simulate",
            "--no-state",
            "--signing-key-file",
            "/dev/zero",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("larger than 1024 bytes"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("mavlink.key");
    // Spaced pairs, as the README allows; readable by everyone.
    std::fs::write(&key, "01 23 45 67 89 ab cd ef ".repeat(4) + "\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(
        &file,
        format!("signing-key-file = {:?}\n", key.to_str().unwrap()),
    )
    .unwrap();
    let out = siyi_bridge(&["config", "check", file.to_str().unwrap()], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("can be read by other users: chmod 600"),
        "{stderr}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = siyi_bridge(&["config", "check", file.to_str().unwrap()], &[]);
    assert!(
        !text(&out.stderr).contains("chmod"),
        "{}",
        text(&out.stderr)
    );
}
