//! One bridge per state directory: a lock file (`bridge.lock`, the holder's process id) taken
//! at start and removed when the bridge stops. Two bridges on one directory would hand out the
//! same image indices; the second is refused, naming the first's pid. A lock left by a process
//! that is gone (killed, power cut) is taken over.
//!
//! A process holds the lock when `/proc/PID` exists and runs the same program as we do (a pid
//! reused by another program is not a bridge). Bridges in this process (tests start several)
//! are told apart by the directories this process has locked.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The lock file's name inside the state directory.
pub const LOCK_FILE: &str = "bridge.lock";

/// Directories this process holds the lock of.
static HELD: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another bridge holds it.
    #[error(
        "state directory {dir} is used by another siyi-bridge (pid {pid}, lock file {file}): stop \
         that one, or give this one --state-dir DIR (or --no-state)"
    )]
    Held {
        /// The directory.
        dir: String,
        /// The other bridge's process id.
        pid: u32,
        /// The lock file.
        file: String,
    },
    /// The lock file cannot be written (e.g. a read-only directory).
    #[error("cannot write the lock file {file}: {source}")]
    Io {
        /// The lock file.
        file: String,
        /// Why.
        source: io::Error,
    },
}

/// The lock of one state directory, released on drop.
#[derive(Debug)]
pub struct StateLock {
    dir: PathBuf,
    file: PathBuf,
    /// A stale lock of this pid was taken over.
    pub took_over: Option<u32>,
}

impl StateLock {
    /// Takes the lock of `dir` (which must exist) for this process.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        Self::acquire_as(dir, std::process::id(), &|pid| process_is_a_bridge(pid))
    }

    /// [`StateLock::acquire`] as process `me`, `alive` telling whether another pid holds locks.
    pub fn acquire_as(dir: &Path, me: u32, alive: &dyn Fn(u32) -> bool) -> Result<Self, LockError> {
        let key = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let file = dir.join(LOCK_FILE);
        let io_err = |source| LockError::Io {
            file: file.display().to_string(),
            source,
        };
        let mut took_over = None;
        for _ in 0..3 {
            match OpenOptions::new().write(true).create_new(true).open(&file) {
                Ok(mut f) => {
                    writeln!(f, "{me}").map_err(io_err)?;
                    held().get_or_insert_with(HashSet::new).insert(key.clone());
                    return Ok(Self {
                        dir: key,
                        file,
                        took_over,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(e)),
            }
            let text = fs::read_to_string(&file).unwrap_or_default();
            let holder = text.trim().parse::<u32>().ok();
            let in_use = match holder {
                Some(pid) if pid == me => held().as_ref().is_some_and(|h| h.contains(&key)),
                Some(pid) => alive(pid),
                None => false, // empty or damaged: no bridge wrote it whole
            };
            if let (true, Some(pid)) = (in_use, holder) {
                return Err(LockError::Held {
                    dir: dir.display().to_string(),
                    pid,
                    file: file.display().to_string(),
                });
            }
            took_over = holder;
            match fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(e)),
            }
        }
        Err(io_err(io::Error::other("another process keeps taking it")))
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        if let Some(h) = held().as_mut() {
            h.remove(&self.dir);
        }
        let _ = fs::remove_file(&self.file);
    }
}

fn held() -> std::sync::MutexGuard<'static, Option<HashSet<PathBuf>>> {
    HELD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `pid` runs and runs the program we run (Linux `/proc`; elsewhere a pid is taken as alive).
fn process_is_a_bridge(pid: u32) -> bool {
    let proc_dir = Path::new("/proc");
    if !proc_dir.join("self").exists() {
        return true;
    }
    let comm = |p: &Path| fs::read_to_string(p.join("comm")).ok();
    let theirs = proc_dir.join(pid.to_string());
    if !theirs.exists() {
        return false;
    }
    match (comm(&theirs), comm(&proc_dir.join("self"))) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_a_dead_ones_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = StateLock::acquire_as(dir.path(), 100, &|_| true).unwrap();
        assert_eq!(lock.took_over, None);
        let text = fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text.trim(), "100");
        // Another live process: refused, naming its pid and both ways out.
        let e = StateLock::acquire_as(dir.path(), 200, &|pid| pid == 100).unwrap_err();
        let words = e.to_string();
        assert!(
            words.contains("pid 100") && words.contains("--state-dir DIR"),
            "{words}"
        );
        assert!(words.contains("--no-state"), "{words}");
        // A second bridge in the same process: refused too.
        assert!(StateLock::acquire_as(dir.path(), 100, &|_| false).is_err());
        // Released on drop.
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        // A lock left by a dead process (or damaged) is taken over.
        fs::write(dir.path().join(LOCK_FILE), "4242\n").unwrap();
        let lock = StateLock::acquire_as(dir.path(), 200, &|_| false).unwrap();
        assert_eq!(lock.took_over, Some(4242));
        drop(lock);
        fs::write(dir.path().join(LOCK_FILE), "garbage").unwrap();
        assert!(StateLock::acquire_as(dir.path(), 200, &|_| true).is_ok());
    }

    #[test]
    fn our_own_pid_and_a_missing_process_are_told_apart() {
        assert!(process_is_a_bridge(std::process::id()));
        // Process ids above the kernel's maximum (4 194 304) never run.
        assert!(!process_is_a_bridge(999_999_999));
    }
}
