//! The configuration file of `siyi-bridge run` (TOML). Its keys are the `run` flags spelled
//! without `--` (`camera = "192.168.144.25:37260"`, `mavlink = ["serial:/dev/ttyAMA0:921600"]`);
//! a repeatable flag takes an array, a switch (`--simulate`, `--no-state`) takes `true` or
//! `false`, an `on|off` flag takes `"on"`/`"off"` or `true`/`false`. This module reads the file
//! and checks its key names and value types (serde, into [`RunArgs`](super::args::RunArgs), the struct
//! that is also the flags); the values are then validated exactly like the flags by the command
//! line (`cli::config`). Every error names the file, the
//! line and the key.

use std::path::{Path, PathBuf};

use crate::io::text_file::read_capped;

/// Where `run` and `config check` look for the file when neither `--config` nor
/// `SIYI_BRIDGE_CONFIG` names one.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/siyi-bridge/config.toml";

/// The largest configuration file read, bytes (the packaged, fully commented one is about 4 kB).
pub const MAX_CONFIG_FILE_BYTES: u64 = 64 * 1024;

/// One key of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileEntry {
    /// The key, e.g. `camera`.
    pub key: String,
    /// Its line in the file (1-based).
    pub line: usize,
    /// Its value.
    pub value: toml::Value,
}

/// A configuration file whose keys and value types are known to be right.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its keys in the order of the file.
    pub entries: Vec<FileEntry>,
}

/// Something wrong in a configuration file: `FILE:LINE: message` (or `FILE: message`).
#[derive(Debug, thiserror::Error)]
#[error("{place}: {message}")]
pub struct FileError {
    /// `FILE:LINE` or `FILE`.
    pub place: String,
    /// What is wrong, naming the key.
    pub message: String,
}

impl ConfigFile {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<Self, FileError> {
        let text = read_capped(path, MAX_CONFIG_FILE_BYTES).map_err(|e| FileError {
            place: path.display().to_string(),
            message: format!("cannot read the configuration file: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Checks `text`, the contents of the file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, FileError> {
        let place = |line: Option<usize>| match line {
            Some(l) => format!("{}:{l}", path.display()),
            None => path.display().to_string(),
        };
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let syntax = |e: toml::de::Error| {
            let line = e.span().map(|s| line_of(s.start));
            let text_of_line = line.and_then(|l| text.lines().nth(l - 1)).unwrap_or("");
            FileError {
                place: place(line),
                message: with_quote_hint(e.message().trim(), text_of_line),
            }
        };
        // Key positions first: a file that is not TOML fails here, with its line.
        let spanned = toml::de::DeTable::parse(text).map_err(syntax)?;
        let mut lines: Vec<(String, usize)> = spanned
            .get_ref()
            .iter()
            .map(|(k, _)| (k.get_ref().to_string(), line_of(k.span().start)))
            .collect();
        lines.sort_by_key(|(_, line)| *line);
        if let Err(e) = toml::from_str::<super::args::RunArgs>(text) {
            let line = e.span().map(|s| line_of(s.start));
            // The key the error is about: the last one that starts at or before its line.
            let key = line.and_then(|l| lines.iter().rev().find(|(_, kl)| *kl <= l));
            return Err(FileError {
                place: place(line),
                message: describe_schema_error(e.message(), key.map(|(k, _)| k.as_str())),
            });
        }
        let table: toml::Table = toml::from_str(text).map_err(syntax)?;
        let entries = lines
            .into_iter()
            .filter_map(|(key, line)| {
                let value = table.get(&key)?.clone();
                Some(FileEntry { key, line, value })
            })
            .collect();
        Ok(Self {
            path: path.to_owned(),
            entries,
        })
    }

    /// The entry for `key`, if the file sets it.
    pub fn entry(&self, key: &str) -> Option<&FileEntry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// An error about `key`: placed on its line when the file sets it.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> FileError {
        let place = match self.entry(key) {
            Some(e) => format!("{}:{}", self.path.display(), e.line),
            None => self.path.display().to_string(),
        };
        FileError {
            place,
            message: message.into(),
        }
    }
}

/// Words instead of serde's message: `unknown key 'camrea' (did you mean 'camera'?)`, or the
/// type error prefixed with its key.
fn describe_schema_error(message: &str, key: Option<&str>) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        // serde: "unknown field `x`, expected one of `a`, `b`" (or "expected `a`").
        let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
        let Some((unknown, known)) = names.split_first() else {
            return message.to_owned();
        };
        return match closest(unknown, known) {
            Some(k) => format!("unknown key '{unknown}' (did you mean '{k}'?)"),
            None => format!("unknown key '{unknown}' (the keys are the `run` flags without --)"),
        };
    }
    match key {
        Some(k) if message.contains("expected a sequence") => {
            format!("'{k}': {message} (a list, even of one: {k} = [\"…\"])")
        }
        Some(k) => format!("'{k}': {message}"),
        None => message.to_owned(),
    }
}

/// A TOML syntax error on a line like `camera = 127.0.0.1:37260`, with the hint that text
/// values go in quotes.
fn with_quote_hint(message: &str, line: &str) -> String {
    let Some((key, value)) = line.split_once('=') else {
        return message.to_owned();
    };
    let (key, value) = (key.trim(), value.trim());
    let bare = !value.is_empty()
        && !value.starts_with(['"', '\'', '[', '{'])
        && value.parse::<f64>().is_err()
        && !matches!(value, "true" | "false");
    if bare {
        format!("{message} (text values go in quotes: {key} = \"{value}\")")
    } else {
        message.to_owned()
    }
}

/// The known key nearest to `unknown`, if it is near enough to be a typo.
fn closest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let (distance, best) = known
        .iter()
        .map(|k| (edit_distance(unknown, k), *k))
        .min_by_key(|(d, _)| *d)?;
    (distance <= 2.max(unknown.chars().count() / 3)).then_some(best)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, String> {
        ConfigFile::parse(Path::new("config.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn keys_come_with_their_lines_in_file_order() {
        let f = parse("# a comment\nsimulate = true\n\nmavlink = [\n  \"udpin:0.0.0.0:14540\",\n]\ncompid = 101\n").unwrap();
        let keys: Vec<(&str, usize)> = f.entries.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(keys, [("simulate", 2), ("mavlink", 4), ("compid", 7)]);
        assert_eq!(f.entry("compid").unwrap().value, toml::Value::Integer(101));
        assert!(f.entry("camera").is_none());
        assert_eq!(f.error_at("compid", "x").to_string(), "config.toml:7: x");
        assert_eq!(f.error_at("camera", "x").to_string(), "config.toml: x");
    }

    #[test]
    fn unknown_keys_name_the_line_and_the_nearest_key() {
        let e = parse("simulate = true\n\n\n\n\n\ncamrea = \"1.2.3.4:5\"\n").unwrap_err();
        assert_eq!(
            e,
            "config.toml:7: unknown key 'camrea' (did you mean 'camera'?)"
        );
        let e = parse("frobnicate = 1\n").unwrap_err();
        assert!(
            e.starts_with("config.toml:1: unknown key 'frobnicate' (the keys"),
            "{e}"
        );
        let e = parse("[camera]\nport = 1\n").unwrap_err();
        assert!(e.starts_with("config.toml:1:"), "{e}");
    }

    #[test]
    fn wrong_types_name_the_key_and_line() {
        let e = parse("simulate = true\nsysid = \"one\"\n").unwrap_err();
        assert!(e.starts_with("config.toml:2: 'sysid': "), "{e}");
        assert!(e.contains("u16") || e.contains("integer"), "{e}");
        let e = parse("mavlink = \"udpin:0.0.0.0:14540\"\n").unwrap_err();
        assert!(e.starts_with("config.toml:1: 'mavlink': "), "{e}");
        let e = parse("track-follow = 3\n").unwrap_err();
        assert!(
            e.contains("'track-follow'") && e.contains("\"on\", \"off\""),
            "{e}"
        );
        let e = parse("compid = 100\nmavlink = [\n  \"a\",\n  3,\n]\n").unwrap_err();
        assert!(e.starts_with("config.toml:4: 'mavlink': "), "{e}");
    }

    #[test]
    fn the_usual_toml_mistakes_say_how_to_write_it() {
        let e = parse("simulate = false\ncamera = 127.0.0.1:37260\n").unwrap_err();
        assert!(e.starts_with("config.toml:2: "), "{e}");
        assert!(
            e.ends_with("(text values go in quotes: camera = \"127.0.0.1:37260\")"),
            "{e}"
        );
        let e = parse("mavlink = \"udpout:127.0.0.1:14550\"\n").unwrap_err();
        assert!(
            e.ends_with("(a list, even of one: mavlink = [\"…\"])"),
            "{e}"
        );
        // A quoted value gets no such hint.
        let e = parse("camera = \"127.0.0.1\" 37260\n").unwrap_err();
        assert!(!e.contains("quotes"), "{e}");
    }

    #[test]
    fn not_toml_names_the_line() {
        let e = parse("simulate = true\ncamera = \n").unwrap_err();
        assert!(e.starts_with("config.toml:2: "), "{e}");
        let e = ConfigFile::read(Path::new("/nonexistent/siyi.toml")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/siyi.toml: cannot read"),
            "{e}"
        );
    }

    #[test]
    fn on_off_and_number_or_word_keys_take_either_spelling() {
        for text in [
            "track-follow = \"off\"\nsim-tracker = false\n",
            "gimbal-compid = 154\n",
            "gimbal-compid = \"off\"\n",
            "allow-sysid = [1, \"255\"]\n",
            "sd-card-gib = 64\n",
            "sd-card-gib = 0.5\n",
        ] {
            parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("camrea", "camera"), 2);
        assert_eq!(edit_distance("sysid", "sysid"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("mavlnk", "mavlink"), 1);
        assert_eq!(closest("zzzzzz", &["camera", "sysid"]), None);
    }
}
