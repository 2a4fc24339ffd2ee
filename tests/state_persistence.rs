//! Image indices are never handed out twice, across restarts, damaged state files and failed
//! saves: the state-file shell (`io::state_file`) and the camera component together, on virtual
//! time, with the files in a temp dir.

mod camera_common;

use std::fs;
use std::path::{Path, PathBuf};

use camera_common::{find, result_of, FakeLink, Rig};
use mavlink::dialects::common::{MavCmd, MavMessage, MavResult};
use siyi_bridge::core::camera::persist::{clock_floor, LEASE};
use siyi_bridge::core::camera::{CameraComponent, CameraConfig, CameraEvent, PersistedState};
use siyi_bridge::core::link::{OpOutcome, Operation};
use siyi_bridge::io::state_file::{self, STATE_FILE};

/// A fresh, empty temp dir for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("siyi-state-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir");
    dir
}

const NOW_S: u64 = 1_800_000_000;

/// One run of the bridge: what `app` does, minus the sockets.
struct Run {
    rig: Rig,
    dir: PathBuf,
    photos: u32,
}

impl Run {
    fn start(dir: &Path) -> Self {
        let loaded = state_file::load(dir, Some(NOW_S)).expect("load");
        let t0 = FakeLink::t0();
        let cam = CameraComponent::with_state(
            CameraConfig {
                system_id: Some(1),
                ..CameraConfig::default()
            },
            t0,
            loaded.plan.state,
        );
        let mut run = Self {
            rig: Rig::with(cam, FakeLink::identified(t0), t0),
            dir: dir.to_path_buf(),
            photos: 0,
        };
        let state = run.rig.cam().persisted().clone();
        run.save(&state);
        run
    }

    fn save(&mut self, state: &PersistedState) {
        match state_file::save(&self.dir, state, false) {
            Ok(()) => {
                self.rig.cam_mut().state_saved(state);
            }
            Err(_) => {
                self.rig.cam_mut().state_save_failed();
            }
        }
        self.rig.drain();
    }

    /// Takes one photo; its index, or the ACK result when it was refused.
    fn photo(&mut self) -> Result<i32, MavResult> {
        self.photos += 1;
        let before = self.rig.events.len();
        let out = self.rig.command(
            MavCmd::MAV_CMD_IMAGE_START_CAPTURE,
            [0.0, 0.0, 1.0, self.photos as f32, 0.0, 0.0, 0.0],
        );
        let result = result_of(&out);
        if result != MavResult::MAV_RESULT_IN_PROGRESS {
            return Err(result);
        }
        let (id, op) = *self.rig.link.started.last().expect("photo started");
        assert_eq!(op, Operation::TakePhoto);
        let out = self
            .rig
            .finish(id, OpOutcome::Succeeded { confirmed: true });
        let Some(MavMessage::CAMERA_IMAGE_CAPTURED(c)) =
            find(&out, "CAMERA_IMAGE_CAPTURED").and_then(|t| t.mav())
        else {
            panic!("no CAMERA_IMAGE_CAPTURED");
        };
        let states: Vec<PersistedState> = self.rig.events[before..]
            .iter()
            .filter_map(|e| match e {
                CameraEvent::Persist(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        for s in &states {
            self.save(s);
        }
        Ok(c.image_index)
    }

    fn statustexts(&self, needle: &str) -> usize {
        self.rig
            .out
            .iter()
            .filter(|t| {
                matches!(t.mav(), Some(MavMessage::STATUSTEXT(s))
                    if s.text.to_str().is_ok_and(|t| t.contains(needle)))
            })
            .count()
    }

    fn stop_clean(mut self) {
        let state = self.rig.cam().persisted().clone();
        state_file::save(&self.dir, &state, true).expect("clean save");
        self.rig.drain();
    }
}

/// Makes every save fail, also as root: the temp file's name is taken by a directory.
fn block_saves(dir: &Path) {
    fs::create_dir_all(state_file::tmp_path(dir)).expect("blocker");
}

fn unblock_saves(dir: &Path) {
    fs::remove_dir_all(state_file::tmp_path(dir)).expect("unblock");
}

#[test]
fn restart_after_failed_saves_never_repeats_an_index() {
    let dir = temp_dir("failed-saves");
    let mut used = Vec::new();
    let mut run = Run::start(&dir);
    for _ in 0..3 {
        used.push(run.photo().expect("photo"));
    }
    assert_eq!(used, [0, 1, 2]);
    block_saves(&dir);
    for _ in 0..3 {
        used.push(run.photo().expect("photos go on within the lease"));
    }
    assert_eq!(
        run.statustexts("Image counter not saved"),
        1,
        "one warning per failure state, not per photo"
    );
    // Saving works again: told once.
    unblock_saves(&dir);
    used.push(run.photo().expect("photo"));
    assert_eq!(run.statustexts("Image counter saved again"), 1);
    // The same STATUSTEXT goes out at most once a second (chatter): let that second pass.
    run.rig.advance(std::time::Duration::from_secs(2));
    block_saves(&dir);
    used.push(run.photo().expect("photo"));
    assert_eq!(run.statustexts("Image counter not saved"), 2);
    // Crash (no clean stop) while saves fail, then the directory heals.
    drop(run);
    unblock_saves(&dir);
    let mut run = Run::start(&dir);
    let next = run.photo().expect("photo after restart");
    assert!(!used.contains(&next), "index {next} reused; used {used:?}");
    assert_eq!(
        next,
        7 + LEASE,
        "the last good save reserved up to 7 + LEASE"
    );
    used.push(next);
    // A clean stop continues exactly.
    run.stop_clean();
    let mut run = Run::start(&dir);
    assert_eq!(run.photo(), Ok(next + 1));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn photos_are_refused_when_nothing_could_be_saved() {
    let dir = temp_dir("never-saved");
    block_saves(&dir);
    let mut run = Run::start(&dir);
    assert_eq!(run.statustexts("Image counter not saved"), 1);
    assert_eq!(run.photo(), Err(MavResult::MAV_RESULT_FAILED));
    assert_eq!(
        run.statustexts("Photo refused: image counter cannot be saved"),
        1
    );
    unblock_saves(&dir);
    // The next save (at the next photo event or the app's retry) heals it.
    let state = run.rig.cam().persisted().clone();
    run.save(&state);
    assert_eq!(run.photo(), Ok(0));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn photos_stop_at_the_end_of_the_index_range() {
    let dir = temp_dir("end-of-range");
    let blob = PersistedState {
        image_count: i32::MAX - 1,
        ..PersistedState::default()
    }
    .to_file_json(true);
    fs::write(dir.join(STATE_FILE), blob).expect("write");
    let mut run = Run::start(&dir);
    assert_eq!(run.photo(), Ok(i32::MAX - 1), "the last index");
    assert_eq!(run.photo(), Err(MavResult::MAV_RESULT_FAILED));
    assert_eq!(run.statustexts("image index range used up"), 1);
    assert_eq!(run.rig.cam().persisted().image_count, i32::MAX);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn damaged_files_are_kept_aside_under_unique_names_and_still_count() {
    let dir = temp_dir("kept-aside");
    let mut run = Run::start(&dir);
    for _ in 0..5 {
        run.photo().expect("photo");
    }
    run.stop_clean();
    // Truncate the state file: its count is salvaged (+ a lease in doubt).
    let text = fs::read_to_string(dir.join(STATE_FILE)).expect("read");
    fs::write(dir.join(STATE_FILE), &text[..text.len() / 2]).expect("truncate");
    let mut run = Run::start(&dir);
    let a = run.photo().expect("photo");
    assert!(a >= 5 + LEASE, "{a}");
    run.stop_clean();
    // Garbage twice: the clock floor, each damaged file kept under its own name.
    for round in 2..=3 {
        fs::write(dir.join(STATE_FILE), b"\x00garbage").expect("garbage");
        let loaded = state_file::load(&dir, Some(NOW_S)).expect("load");
        assert_eq!(
            loaded.kept_aside.as_deref(),
            Some(dir.join(format!("{STATE_FILE}.corrupt-{round}")).as_path())
        );
        assert!(loaded.plan.from_clock);
        assert!(loaded.plan.state.image_count >= clock_floor(Some(NOW_S)));
        state_file::save(&dir, &loaded.plan.state, true).expect("save");
    }
    let first = fs::read_to_string(dir.join(format!("{STATE_FILE}.corrupt-1"))).expect("kept");
    assert_eq!(
        first,
        text[..text.len() / 2],
        "the first kept-aside file is intact"
    );
    // Delete the state file: the kept-aside files still count.
    fs::remove_file(dir.join(STATE_FILE)).expect("rm");
    let loaded = state_file::load(&dir, Some(NOW_S)).expect("load");
    assert!(loaded.plan.state.image_count > a, "{:?}", loaded.plan);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn saves_sync_the_directory_and_fail_cleanly_where_no_dir_can_be() {
    let dir = temp_dir("fsync");
    let state = PersistedState {
        image_count: 3,
        ..PersistedState::default()
    };
    state_file::save(&dir, &state, false).expect("save with the directory fsync");
    state_file::sync_dir(&dir).expect("directory fsync");
    assert!(
        !state_file::tmp_path(&dir).exists(),
        "the temp file was renamed"
    );
    let back = fs::read_to_string(dir.join(STATE_FILE)).expect("read");
    assert!(
        back.contains(&format!("\"reserved\":{}", 3 + LEASE)),
        "{back}"
    );
    // A state dir below a regular file cannot exist, even for root.
    let file = dir.join("a-file");
    fs::write(&file, b"x").expect("file");
    let below = file.join("state");
    assert!(state_file::load(&below, Some(NOW_S)).is_err());
    assert!(state_file::save(&below, &state, false).is_err());
    assert!(state_file::sync_dir(&below).is_err());
    // A kept-aside name that is taken, by anything, is skipped.
    fs::write(dir.join(STATE_FILE), b"garbage").expect("garbage");
    fs::create_dir_all(dir.join(format!("{STATE_FILE}.corrupt-1"))).expect("taken name");
    let loaded = state_file::load(&dir, Some(NOW_S)).expect("load");
    assert!(loaded.plan.from_clock);
    assert!(loaded.keep_aside_error.is_none());
    assert_eq!(
        loaded.kept_aside,
        Some(dir.join(format!("{STATE_FILE}.corrupt-2")))
    );
    let _ = fs::remove_dir_all(&dir);
}
