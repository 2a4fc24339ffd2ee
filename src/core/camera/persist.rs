//! What the camera component keeps across restarts: the image counter and the captured-image
//! records. The core hands out a [`PersistedState`] whenever it changes
//! ([`super::CameraEvent::Persist`]); the app writes it atomically and gives it back at start-up.
//!
//! The decisions about the state file are made here, sans-IO ([`plan_start`], [`SaveHealth`]);
//! `io::state_file` only reads, writes, renames and syncs. The rule: **an image index is never
//! handed out twice, across restarts and damage** (README, "Image indices"):
//!
//! * Every save writes `reserved` = next index + [`LEASE`] (a clean stop writes `reserved` = next
//!   index and `clean: true`). After an unclean stop the next start continues at `reserved`, so
//!   up to [`LEASE`] photos taken after the last successful save are never reused.
//! * While saves fail, photos go on until the counter reaches the last durably saved `reserved`;
//!   then they are refused ([`SaveHealth::refusal`]) until a save works again.
//! * At start-up every file of the state dir counts (the state file, a `.tmp` left over, kept-aside
//!   `.corrupt-N` files): the highest `"index"`, `"image_count"` or `"reserved"` found in their
//!   text is salvaged even when the JSON does not parse, and so are the readable records of a
//!   damaged file.
//! * A damaged state file from which no number can be read, or a state dir without a state file
//!   but with other state files in it (someone removed it), leaves us in doubt: the start index
//!   is then at least the [clock floor](clock_floor), the seconds since 2020-01-01 UTC. A damaged
//!   state file with readable numbers continues after them plus one [`LEASE`].
//! * The last index is `i32::MAX - 1`; after it photos are refused (never a reused index).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::records::{ImageRecord, VideoRecord, MAX_VIDEO_RECORDS};

/// How many captured-image records are kept (oldest dropped first).
pub const MAX_RECORDS: usize = 2000;

/// The camera component's persistent state (serialised as JSON by the app).
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct PersistedState {
    /// Format version of this blob.
    #[serde(default)]
    pub version: u32,
    /// Number of images taken so far = the next image index.
    pub image_count: i32,
    /// In a state file: every index below this may have been handed out (see the module docs).
    /// Set by [`PersistedState::to_file_json`]; 0 in the core's own copy.
    #[serde(default)]
    pub reserved: i32,
    /// In a state file: written by a clean stop (no index beyond `image_count` was used).
    #[serde(default)]
    pub clean: bool,
    /// Records of captured images by index (the most recent [`MAX_RECORDS`]).
    #[serde(default)]
    pub records: BTreeMap<i32, ImageRecord>,
    /// Files of finished recordings, oldest first (the most recent [`MAX_VIDEO_RECORDS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub videos: Vec<VideoRecord>,
}

impl PersistedState {
    /// Adds a record, dropping the oldest ones beyond [`MAX_RECORDS`].
    pub fn add(&mut self, record: ImageRecord) {
        self.records.insert(record.index, record);
        while self.records.len() > MAX_RECORDS {
            self.records.pop_first();
        }
    }

    /// Adds a recording's record, dropping the oldest ones beyond [`MAX_VIDEO_RECORDS`].
    pub fn add_video(&mut self, record: VideoRecord) {
        self.videos.push(record);
        let extra = self.videos.len().saturating_sub(MAX_VIDEO_RECORDS);
        self.videos.drain(..extra);
    }

    /// Decodes a blob written by [`PersistedState::to_json`].
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let mut s: Self = serde_json::from_str(text)?;
        s.image_count = s.image_count.max(0);
        if let Some((&last, _)) = s.records.last_key_value() {
            s.image_count = s.image_count.max(last.saturating_add(1));
        }
        Ok(s)
    }

    /// Encodes the state as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The state as the state file holds it: `reserved` covers the next [`LEASE`] indices unless
    /// this is the save of a clean stop (`clean`).
    pub fn to_file_json(&self, clean: bool) -> String {
        let mut s = self.clone();
        s.clean = clean;
        s.reserved = if clean {
            s.image_count
        } else {
            s.image_count.saturating_add(LEASE)
        };
        s.to_json()
    }

    /// The index the next start may use after this state was saved (see [`to_file_json`]).
    ///
    /// [`to_file_json`]: PersistedState::to_file_json
    pub fn durable_limit(&self, clean: bool) -> i32 {
        if clean {
            self.image_count
        } else {
            self.image_count.saturating_add(LEASE)
        }
    }
}

/// Indices reserved by every save beyond the next one: photos that may be taken while saving
/// fails, and the gap after an unclean stop.
pub const LEASE: i32 = 1000;

/// 2020-01-01T00:00:00Z in seconds since the UNIX epoch: the origin of the [`clock_floor`].
pub const FLOOR_EPOCH_UTC_S: u64 = 1_577_836_800;

/// The clock floor when the wall clock is unknown or before 2020 (no RTC, no GPS or NTP time yet):
/// the floor of 2054-01-09. Documented as a limit: two such starts in doubt may meet.
pub const UNKNOWN_CLOCK_FLOOR: i32 = 1 << 30;

/// The start index when in doubt: seconds since 2020-01-01 UTC (fits in i32 until 2088).
///
/// Why it is above any index handed out before: the counter starts at 0 (at the first start,
/// after 2020), at a clock floor, or at a salvaged value, and then grows by one per photo; at
/// ≤ 1 photo/s on average it never overtakes the seconds elapsed since 2020. Each unclean stop adds
/// at most [`LEASE`], which would take over 190 000 unclean stops to matter.
pub fn clock_floor(utc_s: Option<u64>) -> i32 {
    match utc_s {
        Some(s) if s > FLOOR_EPOCH_UTC_S => {
            i32::try_from(s - FLOOR_EPOCH_UTC_S).unwrap_or(i32::MAX - 1)
        }
        _ => UNKNOWN_CLOCK_FLOOR,
    }
}

/// What a file in the state dir is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileRole {
    /// The state file itself.
    Main,
    /// A temp file left over by an interrupted save.
    Tmp,
    /// A damaged state file kept aside by an earlier start.
    KeptAside,
}

/// One file found in the state dir, with its content.
#[derive(Clone, Copy, Debug)]
pub struct FoundFile<'a> {
    /// File name (for the log).
    pub name: &'a str,
    /// What it is.
    pub role: FileRole,
    /// Its bytes (any content).
    pub bytes: &'a [u8],
}

/// What to start from, decided by [`plan_start`].
#[derive(Clone, PartialEq, Debug)]
pub struct StartPlan {
    /// The state to start with; `image_count` is the next index to hand out.
    pub state: PersistedState,
    /// The state file is damaged: keep it aside (under a new name) before saving.
    pub keep_main_aside: bool,
    /// The start index comes from the clock floor (we were in doubt).
    pub from_clock: bool,
    /// One line for the log: where the start index comes from.
    pub why: String,
}

/// Decides the start state from the files in the state dir (any bytes: never panics) and the
/// wall clock (`utc_s`, seconds since the UNIX epoch, `None` if unknown). See the module docs.
pub fn plan_start(files: &[FoundFile<'_>], utc_s: Option<u64>) -> StartPlan {
    let mut others_high: Option<i32> = None;
    let mut others_named = Vec::new();
    for f in files.iter().filter(|f| f.role != FileRole::Main) {
        let text = String::from_utf8_lossy(f.bytes);
        if let Some(h) = high_water(&text) {
            others_high = others_high.max(Some(h));
            others_named.push(format!("{} ({h})", f.name));
        }
    }
    let main = files.iter().find(|f| f.role == FileRole::Main);
    let others_exist = files.iter().any(|f| f.role != FileRole::Main);
    let mut keep_main_aside = false;
    let mut from_clock = false;
    let (mut state, base, mut why) = match main {
        Some(f) => {
            let text = String::from_utf8_lossy(f.bytes);
            match PersistedState::from_json(&text) {
                Ok(s) if s.clean => {
                    let n = s.image_count;
                    (s, n, format!("{} (clean stop): next index {n}", f.name))
                }
                Ok(s) => {
                    let n = s.image_count.max(s.reserved);
                    let why = format!(
                        "{} (no clean stop: skipping the {} reserved indices): next index {n}",
                        f.name,
                        n - s.image_count
                    );
                    (s, n, why)
                }
                Err(e) => {
                    keep_main_aside = true;
                    let mut s = PersistedState::default();
                    for r in salvage_records(&text) {
                        s.add(r);
                    }
                    match high_water(&text) {
                        Some(h) => {
                            let n = h.saturating_add(LEASE);
                            let why = format!(
                                "{} is damaged ({e}); salvaged index {h} and {} records, plus {LEASE} in doubt: next index {n}",
                                f.name,
                                s.records.len()
                            );
                            (s, n, why)
                        }
                        None => {
                            from_clock = true;
                            let n = clock_floor(utc_s);
                            let why = format!(
                                "{} is damaged ({e}) and holds no index; starting above any index possibly used, at the clock floor {n}",
                                f.name
                            );
                            (s, n, why)
                        }
                    }
                }
            }
        }
        None if others_exist => {
            // Someone removed the state file: anything may have been used since.
            from_clock = true;
            let floor = clock_floor(utc_s);
            let n = others_high.map_or(floor, |h| h.saturating_add(LEASE).max(floor));
            let why = format!(
                "no state file, but other state files: starting above any index possibly used, at {n} (clock floor {floor})"
            );
            (PersistedState::default(), n, why)
        }
        None => (
            PersistedState::default(),
            0,
            "no state file yet (first start): next index 0".to_string(),
        ),
    };
    let mut next = base;
    if let Some(h) = others_high.filter(|&h| h > base) {
        next = h;
        why = format!("{why}; raised to {h} by {}", others_named.join(", "));
    }
    // Records never lie about the counter either.
    if let Some((&last, _)) = state.records.last_key_value() {
        next = next.max(last.saturating_add(1));
    }
    state.image_count = next.max(0);
    state.reserved = 0;
    state.clean = false;
    StartPlan {
        state,
        keep_main_aside,
        from_clock,
        why,
    }
}

/// The highest index possibly used according to the text of a state file, whether or not it
/// parses: the maximum of every `"image_count": N`, `"reserved": N` and `"index": N` + 1.
pub fn high_water(text: &str) -> Option<i32> {
    let counts = numbers_after(text, "\"image_count\"").chain(numbers_after(text, "\"reserved\""));
    let indices = numbers_after(text, "\"index\"").map(|i| i.saturating_add(1));
    counts
        .chain(indices)
        .max()
        .map(|n| i32::try_from(n.clamp(0, i64::from(i32::MAX))).unwrap_or(i32::MAX))
}

/// Every number following `key` and a colon in `text` (whitespace allowed, any JSON around).
fn numbers_after<'a>(text: &'a str, key: &'a str) -> impl Iterator<Item = i64> + 'a {
    text.match_indices(key).filter_map(move |(at, _)| {
        let rest = text.get(at + key.len()..)?.trim_start();
        let rest = rest.strip_prefix(':')?.trim_start();
        let (neg, digits) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        let n: i64 = digits.get(..end.min(18))?.parse().ok()?;
        Some(if neg { -n } else { n })
    })
}

/// The image records that can still be read from a damaged state file: every `{...}` object that
/// starts with `"index"` and parses as a whole record.
pub fn salvage_records(text: &str) -> impl Iterator<Item = ImageRecord> + '_ {
    text.match_indices("{\"index\"").filter_map(move |(at, _)| {
        let tail = text.get(at..)?;
        let end = tail.find('}')?;
        serde_json::from_str::<ImageRecord>(tail.get(..=end)?)
            .ok()
            .filter(|r| r.index >= 0)
    })
}

/// Whether the state is being saved, and up to which index that is durable. Kept by the camera
/// component; the app reports each save's outcome ([`super::CameraComponent::state_saved`],
/// [`super::CameraComponent::state_save_failed`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveHealth {
    failing: bool,
    /// Indices below this are covered by the last successful save (None: no save yet).
    durable_limit: Option<i32>,
}

impl SaveHealth {
    /// A save of `saved` worked. True when saving works again after failures.
    pub fn saved(&mut self, saved: &PersistedState) -> bool {
        let limit = saved.durable_limit(false);
        self.durable_limit = Some(self.durable_limit.map_or(limit, |l| l.max(limit)));
        std::mem::replace(&mut self.failing, false)
    }

    /// A save failed. True when this is a change (it worked, or was never tried, before).
    pub fn failed(&mut self) -> bool {
        !std::mem::replace(&mut self.failing, true)
    }

    /// True while saves fail.
    pub fn failing(&self) -> bool {
        self.failing
    }

    /// Why the next photo (which would get index `next_index`) must be refused, if it must: the
    /// index range is used up, or saves fail and the next index is not covered by the last
    /// successful save. The text fits one STATUSTEXT.
    pub fn refusal(&self, next_index: i32) -> Option<&'static str> {
        if next_index == i32::MAX {
            return Some("Photo refused: image index range used up");
        }
        if self.failing && self.durable_limit.is_none_or(|l| next_index >= l) {
            return Some("Photo refused: image counter cannot be saved");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_S: u64 = FLOOR_EPOCH_UTC_S + 200_000_000;

    fn main(bytes: &[u8]) -> FoundFile<'_> {
        FoundFile {
            name: "camera-state.json",
            role: FileRole::Main,
            bytes,
        }
    }

    fn other<'a>(name: &'a str, role: FileRole, bytes: &'a [u8]) -> FoundFile<'a> {
        FoundFile { name, role, bytes }
    }

    fn saved(count: i32, clean: bool) -> String {
        let mut s = PersistedState {
            image_count: count,
            ..PersistedState::default()
        };
        if count > 0 {
            s.add(record(count - 1));
        }
        s.to_file_json(clean)
    }

    fn record(index: i32) -> ImageRecord {
        ImageRecord {
            index,
            time_utc_us: 1,
            lat_e7: 2,
            lon_e7: 3,
            alt_mm: 4,
            relative_alt_mm: 5,
            captured: true,
            q: None,
            file: None,
        }
    }

    fn next(files: &[FoundFile<'_>]) -> i32 {
        plan_start(files, Some(NOW_S)).state.image_count
    }

    #[test]
    fn first_start_is_zero_and_a_clean_file_continues_exactly() {
        assert_eq!(next(&[]), 0);
        let clean = saved(12, true);
        let p = plan_start(&[main(clean.as_bytes())], Some(NOW_S));
        assert_eq!(p.state.image_count, 12);
        assert!(!p.keep_main_aside && !p.from_clock);
        assert_eq!(p.state.records.len(), 1);
    }

    #[test]
    fn an_unclean_file_skips_the_lease() {
        let running = saved(12, false);
        assert_eq!(next(&[main(running.as_bytes())]), 12 + LEASE);
        // A file of the previous format (no "reserved", no "clean") continues at its count.
        assert_eq!(next(&[main(br#"{"version":0,"image_count":7}"#)]), 7);
    }

    #[test]
    fn garbage_empty_and_wrong_type_start_at_the_clock_floor() {
        let floor = clock_floor(Some(NOW_S));
        assert_eq!(floor, 200_000_000);
        for bytes in [
            &b""[..],
            b"\x00\xff\xfe garbage",
            b"[]",
            b"\"a string\"",
            b"42",
            b"null",
            br#"{"image_count":"twelve"}"#,
        ] {
            let p = plan_start(&[main(bytes)], Some(NOW_S));
            assert!(p.keep_main_aside, "{bytes:?}");
            assert!(p.from_clock, "{bytes:?}");
            assert_eq!(p.state.image_count, floor, "{bytes:?}");
        }
        // Without a wall clock the fixed floor is used.
        assert_eq!(
            plan_start(&[main(b"")], None).state.image_count,
            UNKNOWN_CLOCK_FLOOR
        );
        assert_eq!(
            plan_start(&[main(b"")], Some(0)).state.image_count,
            UNKNOWN_CLOCK_FLOOR
        );
    }

    #[test]
    fn a_truncated_file_keeps_its_readable_records_and_skips_the_lease() {
        let mut s = PersistedState {
            image_count: 30,
            ..PersistedState::default()
        };
        for i in 27..30 {
            s.add(record(i));
        }
        let full = s.to_file_json(false);
        // Cut inside the last record.
        let cut = &full[..full.len() - 20];
        let p = plan_start(&[main(cut.as_bytes())], Some(NOW_S));
        assert!(p.keep_main_aside && !p.from_clock);
        assert_eq!(
            p.state.records.keys().copied().collect::<Vec<_>>(),
            [27, 28]
        );
        assert_eq!(p.state.records[&28], record(28));
        // "reserved" (30 + LEASE) was readable: plus another lease in doubt.
        assert_eq!(p.state.image_count, 30 + 2 * LEASE);
        // Cut right after the count.
        let p = plan_start(
            &[main(br#"{"version":0,"image_count":30,"res"#)],
            Some(NOW_S),
        );
        assert_eq!(p.state.image_count, 30 + LEASE);
        assert!(!p.from_clock);
    }

    #[test]
    fn a_tmp_leftover_with_a_higher_index_wins() {
        let good = saved(10, true);
        let tmp = saved(11, false);
        let p = plan_start(
            &[
                main(good.as_bytes()),
                other("camera-state.json.tmp", FileRole::Tmp, tmp.as_bytes()),
            ],
            Some(NOW_S),
        );
        assert_eq!(p.state.image_count, 11 + LEASE);
        assert!(p.why.contains("camera-state.json.tmp"), "{}", p.why);
        // A damaged tmp still counts by the numbers in its text.
        let p = plan_start(
            &[
                main(good.as_bytes()),
                other(
                    "camera-state.json.tmp",
                    FileRole::Tmp,
                    br#"{"image_count":15,"rec"#,
                ),
            ],
            Some(NOW_S),
        );
        assert_eq!(p.state.image_count, 15);
    }

    #[test]
    fn every_kept_aside_file_counts() {
        let good = saved(5, true);
        let p = plan_start(
            &[
                other(
                    "camera-state.json.corrupt-1",
                    FileRole::KeptAside,
                    br#"xx "index": 40 }"#,
                ),
                main(good.as_bytes()),
                other(
                    "camera-state.json.corrupt-2",
                    FileRole::KeptAside,
                    br#"{"image_count": 77"#,
                ),
                other("camera-state.json.corrupt-3", FileRole::KeptAside, b""),
            ],
            Some(NOW_S),
        );
        assert_eq!(p.state.image_count, 77);
        // No state file but kept-aside ones: in doubt, the clock floor (or more).
        let p = plan_start(
            &[other(
                "camera-state.json.corrupt-1",
                FileRole::KeptAside,
                br#""index":40"#,
            )],
            Some(NOW_S),
        );
        assert_eq!(p.state.image_count, clock_floor(Some(NOW_S)));
        assert!(p.from_clock);
    }

    #[test]
    fn numbers_in_text_are_read_leniently_and_never_overflow() {
        assert_eq!(high_water(r#"{"index" :  9}"#), Some(10));
        assert_eq!(high_water(r#""image_count":-5"#), Some(0));
        assert_eq!(
            high_water(r#""image_count":99999999999999999999999"#),
            Some(i32::MAX)
        );
        assert_eq!(high_water(r#""index":2147483647"#), Some(i32::MAX));
        assert_eq!(high_water("no numbers"), None);
        assert_eq!(high_water(r#""index":"#), None);
    }

    #[test]
    fn save_health_refuses_only_what_is_not_covered() {
        let mut h = SaveHealth::default();
        assert_eq!(h.refusal(5), None, "no state dir: never refused");
        assert!(h.failed(), "first failure is a change");
        assert!(!h.failed(), "second is not");
        assert!(h.refusal(0).is_some(), "nothing saved yet");
        let s = PersistedState {
            image_count: 3,
            ..PersistedState::default()
        };
        assert!(h.saved(&s), "recovered");
        assert!(!h.saved(&s));
        h.failed();
        assert_eq!(h.refusal(3 + LEASE - 1), None);
        assert!(h.refusal(3 + LEASE).is_some());
        assert!(SaveHealth::default().refusal(i32::MAX).is_some());
    }
}
