//! The image counter on disk, as the running bridge keeps it: loaded at start (saying where the
//! start index comes from), saved after every change, a failed save retried and told once.
//!
//! Owns: the state directory and when to retry a failed save. The rules (what to load, what a
//! damaged file means) are `core::camera::persist`'s; the file operations `io::state_file`'s.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::core::bridge::{Bridge, SiyiSide};
use crate::core::camera::{persist, PersistedState};
use crate::io::driver::{self, utc_us};
use crate::io::state_file::{self, STATE_FILE};
use crate::io::state_lock::{LockError, StateLock};

fn utc_s() -> Option<u64> {
    let us = utc_us();
    (us > 0).then_some(us / 1_000_000)
}

/// Takes the state directory's lock (`io::state_lock`): another bridge on it refuses this one;
/// a stale lock is taken over (said); a lock that cannot be written (read-only directory) is
/// warned about and the bridge runs without it. `None` when the directory cannot be created
/// ([`load_state`] says why).
pub(super) fn lock_state(dir: &Path) -> anyhow::Result<Option<StateLock>> {
    if std::fs::create_dir_all(dir).is_err() {
        return Ok(None);
    }
    match StateLock::acquire(dir) {
        Ok(lock) => {
            if let Some(pid) = lock.took_over {
                tracing::info!(
                    "state directory {}: its lock was left by pid {pid}, which no longer runs: taken over",
                    dir.display()
                );
            }
            Ok(Some(lock))
        }
        Err(e @ LockError::Held { .. }) => Err(e.into()),
        Err(e) => {
            tracing::warn!(
                "{e}: running without it (a second bridge on this directory would go unnoticed)"
            );
            Ok(None)
        }
    }
}

/// Loads the persisted state (see `core::camera::persist` for the rules) and says where the start
/// index comes from.
pub(super) fn load_state(dir: &Path) -> anyhow::Result<PersistedState> {
    // The directory may be the default one (not given by the user): the hint names both flags.
    let hint = "give --state-dir DIR for another place, or --no-state to keep nothing";
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "state directory {}: cannot create it ({hint})",
            dir.display()
        )
    })?;
    let loaded = state_file::load(dir, utc_s())
        .with_context(|| format!("state directory {}: cannot read it ({hint})", dir.display()))?;
    let plan = loaded.plan;
    if let Some(e) = &loaded.keep_aside_error {
        tracing::error!(
            "state file in {} is damaged and cannot be kept aside: {e}",
            dir.display()
        );
    }
    if let Some(aside) = &loaded.kept_aside {
        tracing::warn!(
            "state file in {} is damaged: kept aside as {}",
            dir.display(),
            aside.display()
        );
    }
    if plan.keep_main_aside || plan.from_clock {
        tracing::warn!("image counter: {}", plan.why);
    } else {
        tracing::info!("image counter: {}", plan.why);
    }
    Ok(plan.state)
}

/// Saves the state file and tells the camera component how it went (STATUSTEXT once per change);
/// logs an ERROR once per failure state. A failed save is retried every [`SAVE_RETRY`].
pub(super) struct StateKeeper {
    pub(super) dir: PathBuf,
    pub(super) next_retry: Option<Instant>,
}

/// How often a failed save is retried (besides at every photo).
const SAVE_RETRY: Duration = Duration::from_secs(5);

impl StateKeeper {
    pub(super) fn save(
        &mut self,
        camera: &mut Bridge<impl SiyiSide>,
        state: &PersistedState,
        clean: bool,
    ) {
        let now = driver::clock_now();
        match state_file::save(&self.dir, state, clean) {
            Ok(()) => {
                self.next_retry = None;
                if camera.state_saved(state) {
                    tracing::info!(
                        "image counter saved again to {}",
                        self.dir.join(STATE_FILE).display()
                    );
                }
            }
            Err(e) => {
                self.next_retry = Some(now + SAVE_RETRY);
                let reason = e.to_string();
                if camera.state_save_failed() {
                    // Nothing saved yet (a read-only directory): the very next photo is refused.
                    let refused = if camera.camera().photo_refusal().is_some() {
                        "photos are refused until it can be saved".to_owned()
                    } else {
                        format!(
                            "photos go on until the {} indices saved ahead are used",
                            persist::LEASE
                        )
                    };
                    tracing::error!(
                        "cannot save the image counter to {}: {reason}; retrying every {} s and \
                         at every photo; {refused}",
                        self.dir.join(STATE_FILE).display(),
                        SAVE_RETRY.as_secs(),
                    );
                }
            }
        }
    }

    pub(super) fn retry_if_due(&mut self, camera: &mut Bridge<impl SiyiSide>) {
        if self.next_retry.is_some_and(|t| driver::clock_now() >= t) {
            let state = camera.persisted().clone();
            self.save(camera, &state, false);
        }
    }
}
