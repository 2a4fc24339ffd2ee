//! Geotags for pulled photos, sans-IO: which captured-image record belongs to which file on the
//! card, and the two files written beside the photos — OpenDroneMap's `geo.txt` and a CSV.
//!
//! A photo and a record are matched **only** by the record's `file` (the path on the web server
//! the bridge saw appear for that image index right after the capture, [`ImageRecord::file`],
//! see [`crate::core::media::finder`]): never by order, count or time afterwards. Records without a file or without a position, and files without a record, are listed
//! as [`Unmatched`], never guessed.
//!
//! Units and conventions: latitude / longitude in degrees (WGS-84, 7 decimals ≈ 1 cm), altitude
//! in metres MSL (3 decimals), angles in degrees (2 decimals) from the record's earth-frame
//! attitude `q` through [`Euler::from_quat`]. The CSV keeps MAVLink's convention (yaw 0 = north,
//! clockwise; pitch 0 = horizon, −90 = straight down; roll positive = right side down).
//! `geo.txt` uses OpenDroneMap's normalised one, in which pitch 0 = straight down (nadir) and
//! 90 = looking at the horizon: its pitch is MAVLink's + 90; yaw and roll are the same.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use crate::core::camera::persist::{salvage_records, PersistedState};
use crate::core::camera::records::ImageRecord;
use crate::core::geo::Euler;
use crate::core::media::api::MediaFile;

/// "Unknown" in the records' `lat_e7`, `lon_e7`, `alt_mm`.
const UNKNOWN_I32: i32 = i32::MAX;

/// An attitude in degrees (MAVLink convention, see the module docs).
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct AttitudeDeg {
    /// Yaw, degrees, 0 = north, positive clockwise seen from above, −180…180.
    pub yaw_deg: f64,
    /// Pitch, degrees, 0 = horizon, −90 = straight down.
    pub pitch_deg: f64,
    /// Roll, degrees, positive = right side down.
    pub roll_deg: f64,
}

impl AttitudeDeg {
    /// The attitude of an earth-frame quaternion `[w, x, y, z]`, `None` if it is not a valid
    /// unit quaternion (NaN = unknown).
    pub fn from_quat(q: [f32; 4]) -> Option<Self> {
        Euler::from_quat(q).map(|e| Self {
            yaw_deg: e.yaw_rad.to_degrees(),
            pitch_deg: e.pitch_rad.to_degrees(),
            roll_deg: e.roll_rad.to_degrees(),
        })
    }
}

/// A photo with its position (and attitude when known).
#[derive(Clone, PartialEq, Debug)]
pub struct Geotag {
    /// The photo on the card.
    pub file: MediaFile,
    /// Its local file name (written in `geo.txt` and the CSV); the file's own name unless the
    /// caller sets another (see `listing::local_names`).
    pub name: String,
    /// The image index.
    pub index: i32,
    /// Capture time, microseconds since the UNIX epoch (0 = unknown).
    pub time_utc_us: u64,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Altitude MSL, metres (`None` = unknown).
    pub alt_m: Option<f64>,
    /// Earth-frame attitude (`None` = unknown).
    pub attitude: Option<AttitudeDeg>,
}

/// Why a file or a record has no geotag.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Unmatched {
    /// No record names this file (taken by another app, or before the bridge ran, or its
    /// record was dropped).
    FileWithoutRecord(MediaFile),
    /// The record of image `index` names no file (the bridge never saw it appear).
    RecordWithoutFile {
        /// Image index.
        index: i32,
    },
    /// The record of image `index` names `file`, but has no position.
    RecordWithoutPosition {
        /// Image index.
        index: i32,
        /// Its file.
        file: MediaFile,
    },
    /// The record names a file that is not on the card (deleted, another card).
    FileNotOnCard {
        /// Image index.
        index: i32,
        /// The file it names.
        file: MediaFile,
    },
    /// The record's `file` is not a plain `/photo/<dir>/<name>` path: never used.
    BadPath {
        /// Image index.
        index: i32,
        /// The path as stored.
        path: String,
    },
    /// Several records name this file: none is taken.
    Ambiguous {
        /// The file.
        file: MediaFile,
        /// The indices of the records naming it.
        indices: Vec<i32>,
    },
}

impl std::fmt::Display for Unmatched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FileWithoutRecord(file) => write!(f, "{}: no record names it", file.path()),
            Self::RecordWithoutFile { index } => {
                write!(f, "image {index}: its record names no file")
            }
            Self::RecordWithoutPosition { index, file } => {
                write!(f, "{} (image {index}): no position recorded", file.path())
            }
            Self::FileNotOnCard { index, file } => {
                write!(f, "image {index}: {} is not on the card", file.path())
            }
            Self::BadPath { index, path } => {
                write!(
                    f,
                    "image {index}: {path:?} is not a plain file path, ignored"
                )
            }
            Self::Ambiguous { file, indices } => {
                write!(
                    f,
                    "{}: named by the records of images {indices:?}",
                    file.path()
                )
            }
        }
    }
}

/// The records that name a file, by file; records naming the same file are left out and
/// reported as [`Unmatched::Ambiguous`], unusable paths as [`Unmatched::BadPath`].
pub fn records_by_file(
    state: &PersistedState,
) -> (BTreeMap<MediaFile, &ImageRecord>, Vec<Unmatched>) {
    let mut by_file: BTreeMap<MediaFile, Vec<&ImageRecord>> = BTreeMap::new();
    let mut problems = Vec::new();
    for r in state.records.values() {
        let Some(path) = &r.file else { continue };
        match MediaFile::from_path(path) {
            Some(f) => by_file.entry(f).or_default().push(r),
            None => problems.push(Unmatched::BadPath {
                index: r.index,
                path: path.clone(),
            }),
        }
    }
    let mut out = BTreeMap::new();
    for (file, records) in by_file {
        if let [one] = records[..] {
            out.insert(file, one);
        } else {
            problems.push(Unmatched::Ambiguous {
                file,
                indices: records.iter().map(|r| r.index).collect(),
            });
        }
    }
    (out, problems)
}

/// The geotag of a record for `file`, if it has a position (latitude and longitude).
pub fn geotag(file: &MediaFile, r: &ImageRecord) -> Option<Geotag> {
    if r.lat_e7 == UNKNOWN_I32 || r.lon_e7 == UNKNOWN_I32 {
        return None;
    }
    Some(Geotag {
        file: file.clone(),
        name: file.name().to_owned(),
        index: r.index,
        time_utc_us: r.time_utc_us,
        lat_deg: f64::from(r.lat_e7) / 1e7,
        lon_deg: f64::from(r.lon_e7) / 1e7,
        alt_m: (r.alt_mm != UNKNOWN_I32).then(|| f64::from(r.alt_mm) / 1e3),
        attitude: r.q.and_then(AttitudeDeg::from_quat),
    })
}

/// Photos matched to records.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Matching {
    /// The geotags, in the order of the files.
    pub tags: Vec<Geotag>,
    /// Files and records without a geotag, and why.
    pub unmatched: Vec<Unmatched>,
}

/// Matches the photos `files` (as listed on the card) to the records of `state` by the
/// records' `file` (see the module docs).
pub fn match_photos(files: &[MediaFile], state: &PersistedState) -> Matching {
    let (by_file, mut unmatched) = records_by_file(state);
    // Sets, not scans: a card lists up to 65 536 files (a scan per file was quadratic, 10 s).
    let ambiguous: BTreeSet<MediaFile> = unmatched
        .iter()
        .filter_map(|u| match u {
            Unmatched::Ambiguous { file, .. } => Some(file.clone()),
            _ => None,
        })
        .collect();
    let on_card: BTreeSet<&MediaFile> = files.iter().collect();
    let mut tags = Vec::new();
    for f in files {
        match by_file.get(f) {
            Some(r) => match geotag(f, r) {
                Some(t) => tags.push(t),
                None => unmatched.push(Unmatched::RecordWithoutPosition {
                    index: r.index,
                    file: f.clone(),
                }),
            },
            None => {
                if !ambiguous.contains(f) {
                    unmatched.push(Unmatched::FileWithoutRecord(f.clone()));
                }
            }
        }
    }
    for r in state.records.values().filter(|r| r.captured) {
        if r.file.is_none() {
            unmatched.push(Unmatched::RecordWithoutFile { index: r.index });
        }
    }
    for (file, r) in &by_file {
        if !on_card.contains(file) {
            unmatched.push(Unmatched::FileNotOnCard {
                index: r.index,
                file: file.clone(),
            });
        }
    }
    Matching { tags, unmatched }
}

/// OpenDroneMap's image geolocation file: `EPSG:4326`, then per photo
/// `name lon lat alt yaw pitch roll` (ODM's pitch: 0 = nadir, see the module docs), or
/// `name lon lat alt` when the attitude is unknown, or `name lon lat` when the altitude is.
pub fn geo_txt(tags: &[Geotag]) -> String {
    let mut s = String::from("EPSG:4326\n");
    for t in tags {
        let _ = write!(s, "{} {:.7} {:.7}", t.name, t.lon_deg, t.lat_deg);
        if let Some(alt) = t.alt_m {
            let _ = write!(s, " {alt:.3}");
            if let Some(a) = t.attitude {
                let _ = write!(
                    s,
                    " {} {} {}",
                    deg2(a.yaw_deg),
                    deg2(a.pitch_deg + 90.0),
                    deg2(a.roll_deg)
                );
            }
        }
        s.push('\n');
    }
    s
}

/// The CSV header of [`geotags_csv`].
pub const CSV_HEADER: &str = "name,index,time_utc,lon,lat,alt_m,yaw_deg,pitch_deg,roll_deg";

/// The geotags as CSV ([`CSV_HEADER`]; time in RFC 3339 UTC with milliseconds, angles in
/// MAVLink's convention; empty cells for unknowns). Names are plain file names: no quoting.
pub fn geotags_csv(tags: &[Geotag]) -> String {
    let mut s = format!("{CSV_HEADER}\n");
    for t in tags {
        let time = if t.time_utc_us > 0 {
            format_utc_us(t.time_utc_us)
        } else {
            String::new()
        };
        let alt = t.alt_m.map(|a| format!("{a:.3}")).unwrap_or_default();
        let angles = t
            .attitude
            .map(|a| {
                format!(
                    "{},{},{}",
                    deg2(a.yaw_deg),
                    deg2(a.pitch_deg),
                    deg2(a.roll_deg)
                )
            })
            .unwrap_or_else(|| ",,".to_owned());
        let _ = writeln!(
            s,
            "{},{},{time},{:.7},{:.7},{alt},{angles}",
            t.name, t.index, t.lon_deg, t.lat_deg
        );
    }
    s
}

/// An angle with 2 decimals, never `-0.00` (a rounding remainder of a float attitude).
fn deg2(deg: f64) -> String {
    let s = format!("{deg:.2}");
    if s == "-0.00" {
        "0.00".to_owned()
    } else {
        s
    }
}

/// A time in microseconds since the UNIX epoch as RFC 3339 UTC with milliseconds
/// (`2026-11-30T12:00:00.250Z`).
pub fn format_utc_us(utc_us: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_micros(utc_us)).to_string()
}

/// The persisted state in a state file's text, for reading only: the whole state if it parses,
/// else the records that can still be read (and `true`: the file is damaged).
pub fn state_from_text(text: &str) -> (PersistedState, bool) {
    match PersistedState::from_json(text) {
        Ok(s) => (s, false),
        Err(_) => {
            let mut s = PersistedState::default();
            for r in salvage_records(text) {
                s.add(r);
            }
            (s, true)
        }
    }
}

/// Which files `media pull --since` takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Since {
    /// Files whose record's image index is at least this.
    Index(i32),
    /// Files taken at or after this time, microseconds since the UNIX epoch: the record's
    /// capture time, else the file's Last-Modified.
    TimeUtcUs(u64),
}

/// What [`Since::select`] says of one file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Selection {
    /// Take it.
    Take,
    /// Leave it: before the limit.
    Before,
    /// Leave it: no record, so no index to compare (said in a note).
    NoRecord,
    /// Leave it: neither a capture time nor a Last-Modified to compare (said in a note).
    NoTime,
}

impl Since {
    /// Whether a file with `record` (if any) and Last-Modified `last_modified_utc_us` (if
    /// known) is taken.
    pub fn select(
        self,
        record: Option<&ImageRecord>,
        last_modified_utc_us: Option<u64>,
    ) -> Selection {
        let yes = |b: bool| {
            if b {
                Selection::Take
            } else {
                Selection::Before
            }
        };
        match self {
            Self::Index(i) => match record {
                Some(r) => yes(r.index >= i),
                None => Selection::NoRecord,
            },
            Self::TimeUtcUs(t) => {
                let time = record
                    .map(|r| r.time_utc_us)
                    .filter(|&us| us > 0)
                    .or(last_modified_utc_us);
                match time {
                    Some(us) => yes(us >= t),
                    None => Selection::NoTime,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: u32) -> MediaFile {
        MediaFile::new("101SIYI_IMG", &format!("IMG_{n:04}.jpg")).unwrap()
    }

    fn record(index: i32, file: Option<&MediaFile>) -> ImageRecord {
        ImageRecord {
            index,
            time_utc_us: 1_796_040_000_250_000 + index as u64 * 1_000_000,
            lat_e7: 473_977_420,
            lon_e7: 85_455_940,
            alt_mm: 488_123,
            relative_alt_mm: 30_000,
            captured: true,
            q: Some(Euler::from_deg(0.0, -90.0, 30.0).to_quat()),
            file: file.map(MediaFile::path),
        }
    }

    #[test]
    fn a_full_card_is_matched_each_file_once() {
        // 65 536 files (the listing's limit), a record every 1 000 files, two records for one
        // file, one record for a file not on the card.
        let files: Vec<MediaFile> = (0..65_536).map(file).collect();
        let mut records: Vec<ImageRecord> = (0..66)
            .map(|i| record(i, Some(&file(i as u32 * 1000))))
            .collect();
        records.push(record(100, Some(&file(7))));
        records.push(record(101, Some(&file(7))));
        records.push(record(102, Some(&file(70_000))));
        let m = match_photos(&files, &state(records));
        assert_eq!(m.tags.len(), 66);
        let without = m
            .unmatched
            .iter()
            .filter(|u| matches!(u, Unmatched::FileWithoutRecord(_)))
            .count();
        assert_eq!(without, 65_536 - 66 - 1, "the ambiguous file is told once");
        assert!(m.unmatched.contains(&Unmatched::FileNotOnCard {
            index: 102,
            file: file(70_000)
        }));
    }

    fn state(records: Vec<ImageRecord>) -> PersistedState {
        let mut s = PersistedState::default();
        for r in records {
            s.add(r);
        }
        s
    }

    #[test]
    fn matches_by_the_recorded_file_only() {
        let files = vec![file(1), file(2), file(3)];
        // Record 7 names IMG_0002, record 8 names nothing, record 9 a deleted file; IMG_0001
        // and IMG_0003 have no record: never guessed from order.
        let s = state(vec![
            record(7, Some(&file(2))),
            record(8, None),
            record(9, Some(&file(4))),
        ]);
        let m = match_photos(&files, &s);
        assert_eq!(m.tags.len(), 1);
        assert_eq!(m.tags[0].file, file(2));
        assert_eq!(m.tags[0].index, 7);
        assert!(m.unmatched.contains(&Unmatched::FileWithoutRecord(file(1))));
        assert!(m.unmatched.contains(&Unmatched::FileWithoutRecord(file(3))));
        assert!(m
            .unmatched
            .contains(&Unmatched::RecordWithoutFile { index: 8 }));
        assert!(m.unmatched.contains(&Unmatched::FileNotOnCard {
            index: 9,
            file: file(4)
        }));
        assert_eq!(m.unmatched.len(), 4);
    }

    #[test]
    fn unknowns_are_never_guessed() {
        let files = vec![file(1), file(2), file(3), file(5)];
        let mut no_pos = record(1, Some(&file(1)));
        no_pos.lat_e7 = i32::MAX;
        let mut no_alt = record(2, Some(&file(2)));
        no_alt.alt_mm = i32::MAX;
        let mut no_q = record(3, Some(&file(3)));
        no_q.q = Some([f32::NAN; 4]);
        no_q.time_utc_us = 0;
        let mut bad = record(4, None);
        bad.file = Some("/photo/../etc/passwd".into());
        let s = state(vec![
            no_pos,
            no_alt,
            no_q,
            bad,
            record(5, Some(&file(5))),
            record(6, Some(&file(5))),
        ]);
        let m = match_photos(&files, &s);
        let names: Vec<&str> = m.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["IMG_0002.jpg", "IMG_0003.jpg"]);
        assert_eq!(m.tags[0].alt_m, None);
        assert!(m.tags[0].attitude.is_some());
        assert_eq!(m.tags[1].attitude, None);
        assert!(m.unmatched.contains(&Unmatched::RecordWithoutPosition {
            index: 1,
            file: file(1)
        }));
        assert!(m.unmatched.contains(&Unmatched::BadPath {
            index: 4,
            path: "/photo/../etc/passwd".into()
        }));
        assert!(m.unmatched.contains(&Unmatched::Ambiguous {
            file: file(5),
            indices: vec![5, 6]
        }));
        assert!(!m.unmatched.contains(&Unmatched::FileWithoutRecord(file(5))));

        assert_eq!(
            geo_txt(&m.tags),
            "EPSG:4326\nIMG_0002.jpg 8.5455940 47.3977420\nIMG_0003.jpg 8.5455940 47.3977420 488.123\n"
        );
        assert_eq!(
            geotags_csv(&m.tags),
            format!(
                "{CSV_HEADER}\n\
                 IMG_0002.jpg,2,2026-11-30T12:00:02.250Z,8.5455940,47.3977420,,30.00,-90.00,0.00\n\
                 IMG_0003.jpg,3,,8.5455940,47.3977420,488.123,,,\n"
            )
        );
    }

    #[test]
    fn exact_text_of_both_formats() {
        let mut r = record(12, Some(&file(12)));
        r.q = Some(Euler::from_deg(2.5, -45.0, -120.25).to_quat());
        r.lat_e7 = -337_000_001;
        r.lon_e7 = 1_512_000_000;
        r.alt_mm = -1_500;
        let m = match_photos(&[file(12)], &state(vec![r]));
        assert!(m.unmatched.is_empty());
        assert_eq!(
            geo_txt(&m.tags),
            "EPSG:4326\nIMG_0012.jpg 151.2000000 -33.7000001 -1.500 -120.25 45.00 2.50\n"
        );
        assert_eq!(
            geotags_csv(&m.tags),
            "name,index,time_utc,lon,lat,alt_m,yaw_deg,pitch_deg,roll_deg\n\
             IMG_0012.jpg,12,2026-11-30T12:00:12.250Z,151.2000000,-33.7000001,-1.500,-120.25,-45.00,2.50\n"
        );
        assert_eq!(geo_txt(&[]), "EPSG:4326\n");
        assert_eq!(geotags_csv(&[]), format!("{CSV_HEADER}\n"));
    }

    #[test]
    fn since_index_and_time() {
        let r = record(10, Some(&file(10)));
        assert_eq!(Since::Index(10).select(Some(&r), None), Selection::Take);
        assert_eq!(Since::Index(11).select(Some(&r), None), Selection::Before);
        assert_eq!(Since::Index(0).select(None, Some(5)), Selection::NoRecord);
        let t = r.time_utc_us;
        assert_eq!(Since::TimeUtcUs(t).select(Some(&r), None), Selection::Take);
        assert_eq!(
            Since::TimeUtcUs(t + 1).select(Some(&r), Some(u64::MAX)),
            Selection::Before
        );
        // No record: the Last-Modified decides; neither: a note.
        assert_eq!(Since::TimeUtcUs(t).select(None, Some(t)), Selection::Take);
        assert_eq!(Since::TimeUtcUs(t).select(None, None), Selection::NoTime);
        let mut untimed = r.clone();
        untimed.time_utc_us = 0;
        assert_eq!(
            Since::TimeUtcUs(t).select(Some(&untimed), Some(t - 1)),
            Selection::Before
        );
    }

    #[test]
    fn a_damaged_state_file_still_gives_its_records() {
        let s = state(vec![record(3, Some(&file(3)))]);
        let text = s.to_json();
        let (parsed, damaged) = state_from_text(&text);
        assert!(!damaged);
        assert_eq!(parsed.records, s.records);
        let (salvaged, damaged) = state_from_text(&text[..text.len() - 2]);
        assert!(damaged);
        assert_eq!(salvaged.records.get(&3), s.records.get(&3));
    }
}
