//! The state file shell: reads every state file in `--state-dir`, keeps a damaged one aside, and
//! writes the state atomically (temp file, fsync, rename, fsync of the directory). What to salvage
//! and which index to start from is decided in [`crate::core::camera::persist`].

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::core::camera::persist::{plan_start, FileRole, FoundFile, StartPlan};
use crate::core::camera::PersistedState;

/// Name of the state file inside `--state-dir`.
pub const STATE_FILE: &str = "camera-state.json";

/// Subdirectory of `--state-dir` used by `run --simulate` (never the real camera's state).
pub const SIMULATED_DIR: &str = "simulated";

/// Largest state file read (bytes); a longer file is read up to this size (salvage still works).
const MAX_READ_BYTES: u64 = 16 << 20;

/// The temp file a save writes before renaming it over the state file.
pub fn tmp_path(dir: &Path) -> PathBuf {
    dir.join(format!("{STATE_FILE}.tmp"))
}

fn role_of(name: &str) -> Option<FileRole> {
    if name == STATE_FILE {
        Some(FileRole::Main)
    } else if name == format!("{STATE_FILE}.tmp") {
        Some(FileRole::Tmp)
    } else if name.starts_with(&format!("{STATE_FILE}.corrupt")) {
        Some(FileRole::KeptAside)
    } else {
        None
    }
}

/// The outcome of [`load`].
#[derive(Debug)]
pub struct Loaded {
    /// What to start from (and why, for the log).
    pub plan: StartPlan,
    /// Where the damaged state file was moved to, if it was.
    pub kept_aside: Option<PathBuf>,
    /// Why a damaged state file could not be moved aside (a read-only dir): not fatal, the plan
    /// holds, and the damaged file stays where it is (the next start salvages it again).
    pub keep_aside_error: Option<io::Error>,
}

/// Reads every state file in `dir` (creating `dir`), decides the start state with
/// [`plan_start`] (`utc_s` = wall clock, seconds since the UNIX epoch) and moves a damaged state
/// file aside under a name no earlier kept-aside file has.
pub fn load(dir: &Path, utc_s: Option<u64>) -> io::Result<Loaded> {
    fs::create_dir_all(dir)?;
    let mut found: Vec<(String, FileRole, Vec<u8>)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(role) = role_of(&name) else {
            continue;
        };
        if !entry.file_type()?.is_file() {
            continue;
        }
        let mut bytes = Vec::new();
        fs::File::open(entry.path())?
            .take(MAX_READ_BYTES)
            .read_to_end(&mut bytes)?;
        found.push((name, role, bytes));
    }
    let files: Vec<FoundFile<'_>> = found
        .iter()
        .map(|(name, role, bytes)| FoundFile {
            name,
            role: *role,
            bytes,
        })
        .collect();
    let plan = plan_start(&files, utc_s);
    let (kept_aside, keep_aside_error) = if plan.keep_main_aside {
        match keep_aside(dir) {
            Ok(to) => (Some(to), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    Ok(Loaded {
        plan,
        kept_aside,
        keep_aside_error,
    })
}

/// Moves the state file to `camera-state.json.corrupt-N`, N the first number not yet taken.
fn keep_aside(dir: &Path) -> io::Result<PathBuf> {
    let from = dir.join(STATE_FILE);
    for n in 1u32.. {
        let to = dir.join(format!("{STATE_FILE}.corrupt-{n}"));
        // A hard link fails if `to` exists, so an earlier kept-aside file is never replaced.
        match fs::hard_link(&from, &to) {
            Ok(()) => {
                fs::remove_file(&from)?;
                sync_dir(dir)?;
                return Ok(to);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) if !to.exists() => {
                // No hard links on this filesystem: rename to the free name.
                fs::rename(&from, &to)?;
                sync_dir(dir)?;
                return Ok(to);
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(
        "no free name to keep the state file aside",
    ))
}

/// Writes `state` atomically: temp file, fsync, rename over the state file, fsync of the
/// directory (so the rename itself survives a power cut). `clean` marks the save of a clean stop.
pub fn save(dir: &Path, state: &PersistedState, clean: bool) -> io::Result<()> {
    let path = dir.join(STATE_FILE);
    let tmp = tmp_path(dir);
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(state.to_file_json(clean).as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    sync_dir(dir)
}

/// fsync of a directory (its entries: a rename, a new name).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}
