//! The image counter as the camera component uses it: the persisted state (next index,
//! records) and the health of its saves, and the one rule that joins them — an index is handed
//! out only when a save covers it.
//!
//! Owns: the [`PersistedState`] and the [`SaveHealth`]. Never touches: files (the app saves what
//! [`ImageCounter::take`] returns), MAVLink (it returns the words; `photos` says them).

use super::persist::{ImageRecord, PersistedState, SaveHealth, VideoRecord};

/// Image counter + save health. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct ImageCounter {
    state: PersistedState,
    health: SaveHealth,
}

impl ImageCounter {
    /// A counter continuing from `state`.
    pub fn new(state: PersistedState) -> Self {
        Self {
            state,
            health: SaveHealth::default(),
        }
    }

    /// The persisted state as it is now.
    pub fn state(&self) -> &PersistedState {
        &self.state
    }

    /// The index the next photo gets.
    pub fn next_index(&self) -> i32 {
        self.state.image_count
    }

    /// Why the next index cannot be handed out safely (the range is used up, or saving fails and
    /// it is not covered by the last save); `None` when it can.
    pub fn refusal(&self) -> Option<&'static str> {
        self.health.refusal(self.state.image_count)
    }

    /// A photo was taken with `record` (its index is [`ImageCounter::next_index`]): the counter
    /// moves on; returns the state to save.
    pub fn take(&mut self, record: ImageRecord) -> PersistedState {
        self.state.image_count = self.state.image_count.saturating_add(1);
        self.state.add(record);
        self.state.clone()
    }

    /// Photo `index`'s file is `path`: returns the state to save (None: no such record, or it
    /// already had that file).
    pub fn set_file(&mut self, index: i32, path: String) -> Option<PersistedState> {
        let r = self.state.records.get_mut(&index)?;
        if r.file.as_deref() == Some(path.as_str()) {
            return None;
        }
        r.file = Some(path);
        Some(self.state.clone())
    }

    /// A recording's file was found: returns the state to save.
    pub fn add_video(&mut self, record: VideoRecord) -> PersistedState {
        self.state.add_video(record);
        self.state.clone()
    }

    /// A save failed: the words to say once per failure state (`None` while it keeps failing).
    pub fn save_failed(&mut self) -> Option<&'static str> {
        self.health
            .failed()
            .then_some("Image counter not saved: retrying")
    }

    /// `saved` was saved: the words to say when saving works again after failures.
    pub fn saved(&mut self, saved: &PersistedState) -> Option<&'static str> {
        self.health
            .saved(saved)
            .then_some("Image counter saved again")
    }
}
