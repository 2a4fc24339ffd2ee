//! The flags of `siyi-bridge run` and the keys of its configuration file: one struct, read by
//! clap from the command line and by serde from the TOML file (a key is the flag without `--`),
//! then validated once into `Config` by `Config::from_args`.
//!
//! The defaults are declared once, in the clap attributes: [`RunArgs::default`] is the command
//! line with no flag, and a file's missing keys take those values. Value rules are declared once
//! too: `cli::config` runs every file value through its flag's own clap parser, so `5` is out of
//! range in the same words whether it came from `--attitude-poll-ms` or from the file.

use std::path::PathBuf;

use clap::{Args as _, FromArgMatches as _};

/// The default MAVLink endpoint: send to a QGroundControl on this machine. QGC listens on UDP
/// 14550 and answers the sender's address, so the camera appears without any setup. On a
/// companion computer, give the autopilot link instead (e.g. `serial:/dev/ttyAMA0:921600` or
/// `udpin:0.0.0.0:14540`).
pub const DEFAULT_MAVLINK: &str = "udpout:127.0.0.1:14550";

/// Arguments of `siyi-bridge run`.
///
/// Presents a SIYI camera to MAVLink (PX4, QGroundControl, MAVSDK) as a camera component
/// (camera protocol v2). Without --camera it talks to the A8 mini's factory address
/// 192.168.144.25:37260; the built-in simulator runs only with --simulate.
/// Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) for more detail.
#[derive(Debug, PartialEq, clap::Args)]
#[command(after_help = "Examples:\n  \
    siyi-bridge run --simulate                        # simulator + local QGroundControl\n  \
    siyi-bridge run --camera 192.168.144.25:37260 --mavlink serial:/dev/ttyAMA0:921600\n  \
    siyi-bridge run --camera 192.168.144.25:37260 --mavlink udpin:0.0.0.0:14540 --mavlink udpout:10.0.0.5:14550\n\n\
    MAVLink addresses: udpin:HOST:PORT (answers every peer that sent a valid frame),\n  \
    udpout:HOST:PORT (hears only that address), tcpout:HOST:PORT and serial:DEVICE:BAUD (reconnect\n  \
    with backoff); MAVSDK spellings (udpin://…, udp://:14540, tcp://…) work too.\n\n\
    Secure field setup: serial to PX4 (or udpin on loopback behind a router), --signing-key-file,\n  \
    --allow-sysid; see docs/trust.md.\n\n\
    Every flag can be set in a configuration file (TOML, the flag without --: camera = \"HOST:PORT\",\n  \
    mavlink = [\"serial:/dev/ttyAMA0:921600\"]); flags given here override it. `siyi-bridge config check`\n  \
    shows what a file sets.")]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RunArgs {
    /// Configuration file (TOML; keys are the flags without --, e.g. `camera = "HOST:PORT"`).
    /// Flags given on the command line override it. Default: /etc/siyi-bridge/config.toml if it
    /// exists.
    #[arg(long, env = "SIYI_BRIDGE_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// The camera's SIYI SDK address, HOST:PORT. Default: the A8 mini's factory address
    /// 192.168.144.25:37260.
    #[arg(long)]
    pub camera: Option<String>,
    /// Use the built-in A8 mini simulator on 127.0.0.1 instead of a real camera (it says so in
    /// the logs and in CAMERA_INFORMATION, and keeps its own state file).
    #[arg(long, conflicts_with = "camera")]
    pub simulate: bool,
    /// MAVLink endpoint (repeatable): udpout:127.0.0.1:14550 (the default) is a QGroundControl
    /// on this machine.
    #[arg(long = "mavlink", value_name = "ADDR", default_value = DEFAULT_MAVLINK)]
    pub mavlink: Vec<String>,
    /// MAVLink system id (default: learned from the autopilot's heartbeat; 1 until then).
    #[arg(long)]
    pub sysid: Option<u16>,
    /// Only these MAVLink systems may command the camera (comma-separated, repeatable, e.g.
    /// `--allow-sysid 1,255`); commands from others are ignored, and the system id is learned
    /// only from an autopilot among them. Default: every system.
    #[arg(long = "allow-sysid", value_name = "LIST")]
    #[serde(deserialize_with = "spelling::numbers_or_words")]
    pub allow_sysid: Vec<String>,
    /// MAVLink component id (QGroundControl shows cameras with 100–105).
    #[arg(long, default_value_t = 100)]
    pub compid: u16,
    /// Directory for the image counter and captured-image records (survive restarts).
    /// Default: $STATE_DIRECTORY, else $HOME/.local/state/siyi-bridge.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Do not keep any state on disk (the image counter restarts at 0).
    #[arg(long, conflicts_with = "state_dir")]
    pub no_state: bool,
    /// Record the SIYI traffic to this file (JSON lines, replayable with `siyi-bridge replay`).
    #[arg(long, value_name = "FILE")]
    pub record_siyi: Option<PathBuf>,
    /// RTSP URI announced in VIDEO_STREAM_INFORMATION: use an address the GCS can reach.
    #[arg(long, default_value = "rtsp://192.168.144.25:8554/main.264")]
    pub stream_uri: String,
    /// How often the gimbal attitude (SIYI 0x0D) is polled, milliseconds (100 = 10 Hz).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(20..=10_000))]
    pub attitude_poll_ms: u64,
    /// MAVLink 2 message signing: FILE holds the 32-byte secret key as 64 hex digits. Then only
    /// correctly signed frames are accepted (RADIO_STATUS excepted) and every frame sent is signed.
    #[arg(long, value_name = "FILE")]
    pub signing_key_file: Option<PathBuf>,
    /// Tracker API (docs/tracker-api.md): where one tracker process (e.g. a visual tracker on
    /// the RTSP video) connects over TCP to serve QGC's point-and-track; `off` disables tracking.
    /// Keep it on loopback: whoever connects decides what the gimbal follows.
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:14660")]
    pub tracker_api: String,
    /// While a target is tracked, turn the gimbal to keep it in the middle of the picture
    /// (stops at the next manual gimbal command until the next track command).
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    #[serde(deserialize_with = "spelling::on_off")]
    pub track_follow: bool,
    /// The built-in tracker: on a track command with no tracker on the tracker API, the bridge
    /// pulls the camera's video (--stream-uri; H.264 over RTSP), tracks the target itself and
    /// releases the video when tracking stops. Off: only a tracker on the API or SIYI's AI
    /// module can track.
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    #[serde(deserialize_with = "spelling::on_off")]
    pub builtin_tracker: bool,
    /// Correct the built-in tracker's boxes by the gimbal's own motion since their frame was
    /// taken (the video arrives 100-300 ms late; without it the follow overshoots and rings).
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    #[serde(deserialize_with = "spelling::on_off")]
    pub track_delay_compensation: bool,
    /// The camera's video latency, sensor to network, milliseconds: subtracted from each
    /// frame's arrival time to date it when the camera's clock is not set (docs/video-in.md).
    #[arg(long, value_name = "MS", default_value_t = 150, value_parser = clap::value_parser!(u64).range(0..=2_000))]
    pub video_latency_ms: u64,
    /// With --simulate: the simulated camera has a SIYI AI tracking module (0x4D/0x51/0x50), used
    /// for tracking when no tracker is connected (start with --tracker-api off to see it alone).
    #[arg(long, requires = "simulate")]
    pub sim_ai_module: bool,
    /// With --simulate: a simulated tracker (it knows where the simulated car is) connects to
    /// the tracker API and serves tracking instead of the built-in tracker on the video.
    #[arg(long, value_name = "on|off", default_value = "off", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    #[serde(deserialize_with = "spelling::on_off")]
    pub sim_tracker: bool,
    /// With --simulate: the simulated camera's web server (its HTTP media API and SD card
    /// downloads, port 82 on a real A8 mini) on 127.0.0.1: `ok`, `slow` (every API answer 3 s
    /// late) or `off` (nothing listens).
    #[arg(long, value_name = "ok|slow|off", default_value = "ok")]
    pub sim_web: String,
    /// With --simulate: TCP port of the simulated web server on 127.0.0.1 (0: any free port;
    /// the address is logged).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub sim_web_port: u16,
    /// With --simulate: the simulated camera's picture size, WIDTHxHEIGHT (even numbers,
    /// 160x90 to 1920x1080; smaller costs less CPU to render and to track).
    #[arg(long, value_name = "WxH", default_value = "1280x720")]
    pub sim_video_size: String,
    /// With --simulate: how late the simulated camera's video arrives, milliseconds (a real
    /// A8 mini's is some 100-300 ms; the built-in tracker corrects for it).
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=2_000))]
    pub sim_video_delay_ms: u64,
    /// With --simulate: what the simulated camera sees besides the car on its textured ground:
    /// `plain` (nothing), or `busy` (a second, similar car, a tree that hides the car for about
    /// 1 s twice every 40 s, and sensor noise).
    #[arg(long, value_name = "plain|busy", default_value = "plain")]
    pub sim_scene: String,
    /// With --simulate: the simulated SD card, a directory (created if missing; photos in
    /// 101SIYI_IMG, videos in 100SIYI_VID; numbering continues from what is there). Default: a
    /// fresh temporary directory, removed at exit.
    #[arg(long, value_name = "DIR", requires = "simulate")]
    pub sim_media_dir: Option<PathBuf>,
    /// TCP port of the camera's web server (its SD card: photo files for CAMERA_IMAGE_CAPTURED's
    /// file_url, card use), on the camera's host. With --simulate the simulator's web server is
    /// used instead.
    #[arg(long, value_name = "PORT", default_value_t = 82, value_parser = clap::value_parser!(u16).range(1..))]
    pub media_port: u16,
    /// Do not use the camera's web server: photos are reported without file URLs and the card's
    /// use is not learned.
    #[arg(long, conflicts_with_all = ["media_url_base", "sd_card_gib"])]
    pub no_media: bool,
    /// Base of the photo URLs given to ground stations, for one that reaches the camera through
    /// another address (e.g. `http://10.0.0.5:8082`). Default: the camera's web server as the
    /// bridge reaches it.
    #[arg(long, value_name = "URL")]
    pub media_url_base: Option<String>,
    /// Size of the camera's SD card, GiB (e.g. 64). With it STORAGE_INFORMATION is READY with
    /// total = this, used = the sizes of the files on the card (learned from the web server),
    /// available = the rest. Without it the capacity is reported as not supported (the camera
    /// cannot tell it).
    #[arg(long, value_name = "GIB")]
    pub sd_card_gib: Option<f64>,
    /// Boot time of the simulated camera, ms (the real A8 mini needs 20–30 s).
    #[arg(long, default_value_t = 2_000)]
    pub sim_boot_ms: u64,
    /// MAVLink component id of the gimbal device (PX4's MNT_MAV_COMPID), or `off` (or 0) for
    /// no gimbal component.
    #[arg(long, value_name = "N|off", default_value = "154")]
    #[serde(deserialize_with = "spelling::number_or_word")]
    pub gimbal_compid: Option<String>,
    /// Act as the gimbal manager: `auto` (until an autopilot manages the gimbal), `on`
    /// (always), `off` (never: the gimbal device only).
    #[arg(long, value_name = "auto|on|off", default_value = "auto")]
    pub gimbal_manager: Option<String>,
    /// A `camera probe` report (JSON) of this camera: commands it found unanswered (0x18,
    /// 0x30, 0x25) are not waited for; their fallback is used from the start (logged).
    #[arg(long, value_name = "FILE")]
    pub camera_profile: Option<PathBuf>,
}

/// `on|off` flags: clap's value parser, and the words the file's `"on"`/`"off"` keys take.
pub(crate) fn parse_on_off(v: &str) -> Result<bool, String> {
    match v {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{v:?}: expected on or off")),
    }
}

impl Default for RunArgs {
    /// `run` with no flag: the defaults of the clap attributes (and no configuration file).
    fn default() -> Self {
        let cmd = Self::augment_args(clap::Command::new("run")).no_binary_name(true);
        let parsed = cmd
            .try_get_matches_from(std::iter::empty::<&str>())
            .map_err(|e| e.to_string())
            .and_then(|m| Self::from_arg_matches(&m).map_err(|e| e.to_string()));
        match parsed {
            Ok(args) => Self {
                config: None,
                ..args
            },
            // Only a flag declared with an invalid default gets here; a unit test parses them.
            Err(e) => unreachable!("the defaults of `run` do not parse: {e}"),
        }
    }
}

/// The file's looser spellings of some keys (`true` for `"on"`, `154` for `"154"`).
mod spelling {
    use std::fmt;

    use serde::de::{self, Deserializer, SeqAccess, Visitor};

    /// A number or a word, as the word (`154` → `"154"`).
    struct NumberOrWord;

    impl Visitor<'_> for NumberOrWord {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number or a string")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
    }

    /// `gimbal-compid = 154` or `"off"`.
    pub(super) fn number_or_word<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<String>, D::Error> {
        d.deserialize_any(NumberOrWord).map(Some)
    }

    /// `allow-sysid = [1, "42,255"]`.
    pub(super) fn numbers_or_words<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<String>, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence of whole numbers or strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element_seed(Seed)? {
                    items.push(item);
                }
                Ok(items)
            }
        }
        struct Seed;
        impl<'de> de::DeserializeSeed<'de> for Seed {
            type Value = String;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
                d.deserialize_any(NumberOrWord)
            }
        }
        d.deserialize_seq(List)
    }

    /// `track-follow = "off"` or `false`.
    pub(super) fn on_off<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = bool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"on\", \"off\", true or false")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
                Ok(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
                crate::config::args::parse_on_off(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> clap::Command {
        RunArgs::augment_args(clap::Command::new("run")).no_binary_name(true)
    }

    #[test]
    fn an_empty_file_is_the_command_line_without_flags() {
        let defaults = RunArgs::default();
        assert_eq!(defaults.compid, 100);
        assert_eq!(defaults.mavlink, [DEFAULT_MAVLINK]);
        assert_eq!(defaults.gimbal_compid.as_deref(), Some("154"));
        assert!(defaults.track_follow && !defaults.sim_tracker && !defaults.simulate);
        assert!(defaults.builtin_tracker && defaults.track_delay_compensation);
        let from_file: RunArgs = toml::from_str("").expect("an empty file");
        assert_eq!(from_file, defaults);
    }

    /// Every flag but `--config` is a key, spelled the same, and every key is a flag: written
    /// out and read back, the settings are the same.
    #[test]
    fn the_keys_are_the_flags() {
        let table = toml::Table::try_from(RunArgs {
            camera: Some("127.0.0.1:1".into()),
            sysid: Some(7),
            state_dir: Some("/s".into()),
            record_siyi: Some("/r".into()),
            signing_key_file: Some("/k".into()),
            sim_media_dir: Some("/m".into()),
            media_url_base: Some("http://h:1".into()),
            sd_card_gib: Some(64.0),
            camera_profile: Some("/p".into()),
            allow_sysid: vec!["1".into()],
            ..RunArgs::default()
        })
        .expect("serializes");
        let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
        let cmd = cmd();
        let mut flags: Vec<&str> = cmd
            .get_arguments()
            .filter_map(clap::Arg::get_long)
            .filter(|l| *l != "config")
            .collect();
        keys.sort_unstable();
        flags.sort_unstable();
        assert_eq!(keys, flags);
        let back: RunArgs = toml::from_str(&table.to_string()).expect("reads back");
        assert_eq!(toml::Table::try_from(back).expect("serializes"), table);
    }

    #[test]
    fn loose_spellings_read_as_the_flags_would() {
        let a: RunArgs = toml::from_str(
            "track-follow = \"off\"\nsim-tracker = true\nbuiltin-tracker = \"off\"\ngimbal-compid = 155\nallow-sysid = [1, \"42,255\"]\n",
        )
        .expect("valid");
        assert!(!a.track_follow && a.sim_tracker && !a.builtin_tracker);
        assert_eq!(a.gimbal_compid.as_deref(), Some("155"));
        assert_eq!(a.allow_sysid, ["1", "42,255"]);
        let e = toml::from_str::<RunArgs>("track-follow = \"maybe\"\n").unwrap_err();
        assert!(e.message().contains("\"maybe\": expected on or off"), "{e}");
        let e = toml::from_str::<RunArgs>("gimbal-compid = 1.5\n").unwrap_err();
        assert!(e.message().contains("a whole number or a string"), "{e}");
    }
}
