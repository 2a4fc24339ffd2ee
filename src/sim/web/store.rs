//! [`MediaStore`]: the simulated camera's SD card, a directory on disk.
//!
//! Layout as on a real A8 mini card: photos in `101SIYI_IMG/IMG_NNNN.jpg`, videos in
//! `100SIYI_VID/REC_NNNN.mp4` (four digits, from 0001). [`MediaStore::open`] creates both
//! directories if missing and scans what is there (also other `NNNSIYI_IMG` / `NNNSIYI_VID`
//! directories), so a reused directory continues the numbering: the next number is the highest
//! existing one + 1.
//!
//! The store remembers when it saved each file, so the web server can hide a file for the list
//! delay after the shot ([`MediaStore::directory_files`] takes `now` and the delay). Files
//! found at start are visible at once. Files are written under a hidden temporary name and
//! renamed into place, so a download never sees half a file.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::sample::{PHOTO_JPEG, VIDEO_MP4};

/// Directory of the photos on a real A8 mini card.
pub const PHOTO_DIR: &str = "101SIYI_IMG";
/// Directory of the videos on a real A8 mini card.
pub const VIDEO_DIR: &str = "100SIYI_VID";

/// What a media file is: the web API's `media_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `media_type=0`: photos, `IMG_NNNN.jpg`.
    Photo,
    /// `media_type=1`: videos, `REC_NNNN.mp4`.
    Video,
}

impl MediaKind {
    /// The API's `media_type` value (0 photos, 1 videos).
    pub fn media_type(self) -> u8 {
        match self {
            Self::Photo => 0,
            Self::Video => 1,
        }
    }

    /// The kind of an API `media_type` value (None: not 0 or 1).
    pub fn from_media_type(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::Photo),
            1 => Some(Self::Video),
            _ => None,
        }
    }

    /// The directory new files of this kind go to.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Photo => PHOTO_DIR,
            Self::Video => VIDEO_DIR,
        }
    }

    /// `IMG_` or `REC_`.
    fn prefix(self) -> &'static str {
        match self {
            Self::Photo => "IMG_",
            Self::Video => "REC_",
        }
    }

    /// `.jpg` or `.mp4`.
    fn extension(self) -> &'static str {
        match self {
            Self::Photo => ".jpg",
            Self::Video => ".mp4",
        }
    }

    /// `SIYI_IMG` or `SIYI_VID`: the suffix of every directory of this kind (`NNN` before it).
    fn dir_suffix(self) -> &'static str {
        match self {
            Self::Photo => "SIYI_IMG",
            Self::Video => "SIYI_VID",
        }
    }

    /// The file name of number `n`: `IMG_0001.jpg`.
    pub fn file_name(self, n: u32) -> String {
        format!("{}{n:04}{}", self.prefix(), self.extension())
    }

    /// The number in a file name of this kind (`IMG_0042.jpg` → 42); None for any other name.
    pub fn file_number(self, name: &str) -> Option<u32> {
        let digits = name
            .strip_prefix(self.prefix())?
            .strip_suffix(self.extension())?;
        if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// Whether `name` is a directory of this kind (`101SIYI_IMG`).
    fn is_dir_name(self, name: &str) -> bool {
        name.strip_suffix(self.dir_suffix())
            .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()))
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Self::Photo => &PHOTO_JPEG,
            Self::Video => &VIDEO_MP4,
        }
    }
}

/// Files of one directory: name → when this run saved it (None: found at start).
type Files = BTreeMap<String, Option<Instant>>;

/// What the store knows of one kind.
#[derive(Debug, Default)]
struct Shelf {
    /// Number of the next file.
    next: u32,
    /// Directory name → its files, both in name order.
    dirs: BTreeMap<String, Files>,
}

/// The simulated SD card: a directory on disk with the camera's layout. Cheap to clone (the
/// clones share one index), safe to use from several tasks.
#[derive(Clone, Debug)]
pub struct MediaStore {
    root: PathBuf,
    shelves: Arc<Mutex<[Shelf; 2]>>,
}

// The store is an I/O shell of the simulator (it writes files): it stamps each file it saves.
#[allow(clippy::disallowed_methods)]
fn clock_now() -> Instant {
    Instant::now()
}

impl MediaStore {
    /// Opens (creating if missing) the store at `root` and scans the files already there.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let mut shelves: [Shelf; 2] = Default::default();
        for kind in [MediaKind::Photo, MediaKind::Video] {
            fs::create_dir_all(root.join(kind.dir()))?;
            let shelf = &mut shelves[index(kind)];
            let mut highest = 0;
            for entry in fs::read_dir(&root)? {
                let entry = entry?;
                let Some(dir) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                if !kind.is_dir_name(&dir) || !entry.file_type()?.is_dir() {
                    continue;
                }
                let files = shelf.dirs.entry(dir).or_default();
                for file in fs::read_dir(entry.path())? {
                    let file = file?;
                    let Some(name) = file.file_name().to_str().map(str::to_owned) else {
                        continue;
                    };
                    if let Some(n) = kind.file_number(&name) {
                        if file.file_type()?.is_file() {
                            highest = highest.max(n);
                            files.insert(name, None);
                        }
                    }
                }
            }
            shelf.next = highest.saturating_add(1);
        }
        Ok(Self {
            root,
            shelves: Arc::new(Mutex::new(shelves)),
        })
    }

    /// The store's root directory (served under `/photo/`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes a new photo (a small valid JPEG) as the next `IMG_NNNN.jpg`; returns its name.
    pub fn save_photo(&self) -> io::Result<String> {
        self.save(MediaKind::Photo)
    }

    /// Writes a new video (a placeholder MP4) as the next `REC_NNNN.mp4`; returns its name.
    pub fn save_video(&self) -> io::Result<String> {
        self.save(MediaKind::Video)
    }

    /// Writes the next file of `kind` into [`MediaKind::dir`]; returns its name. The number
    /// is used up even when writing fails (as a camera's counter would be).
    pub fn save(&self, kind: MediaKind) -> io::Result<String> {
        let name = {
            let mut shelves = self.lock();
            let shelf = &mut shelves[index(kind)];
            let n = shelf.next;
            shelf.next = n.saturating_add(1);
            kind.file_name(n)
        };
        let dir = self.root.join(kind.dir());
        let temp = dir.join(format!(".{name}.part"));
        fs::write(&temp, kind.bytes())?;
        fs::rename(&temp, dir.join(&name))?;
        let saved = clock_now();
        self.lock()[index(kind)]
            .dirs
            .entry(kind.dir().to_owned())
            .or_default()
            .insert(name.clone(), Some(saved));
        Ok(name)
    }

    /// The directories of `kind`, in name order (the default one is always there).
    pub fn directories(&self, kind: MediaKind) -> Vec<String> {
        self.lock()[index(kind)].dirs.keys().cloned().collect()
    }

    /// The files of `kind` in directory `dir` that are listed at `now`: those found at start
    /// and those saved at least `list_delay` before `now`, in name order. None: no such
    /// directory of that kind.
    pub fn directory_files(
        &self,
        kind: MediaKind,
        dir: &str,
        now: Instant,
        list_delay: Duration,
    ) -> Option<Vec<String>> {
        let shelves = self.lock();
        let files = shelves[index(kind)].dirs.get(dir)?;
        Some(
            files
                .iter()
                .filter(|(_, saved)| saved.is_none_or(|at| at + list_delay <= now))
                .map(|(name, _)| name.clone())
                .collect(),
        )
    }

    /// Every listed file of `kind` at `now` as `(directory, name)`, in directory then name
    /// order (see [`MediaStore::directory_files`]).
    pub fn all_files(
        &self,
        kind: MediaKind,
        now: Instant,
        list_delay: Duration,
    ) -> Vec<(String, String)> {
        self.directories(kind)
            .into_iter()
            .flat_map(|dir| {
                let files = self
                    .directory_files(kind, &dir, now, list_delay)
                    .unwrap_or_default();
                files.into_iter().map(move |name| (dir.clone(), name))
            })
            .collect()
    }

    /// The number the next file of `kind` gets.
    pub fn next_number(&self, kind: MediaKind) -> u32 {
        self.lock()[index(kind)].next
    }

    fn lock(&self) -> MutexGuard<'_, [Shelf; 2]> {
        // A panic while holding the lock leaves a consistent index: keep going.
        self.shelves.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn index(kind: MediaKind) -> usize {
    match kind {
        MediaKind::Photo => 0,
        MediaKind::Video => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(MediaKind::Photo.file_name(1), "IMG_0001.jpg");
        assert_eq!(MediaKind::Video.file_name(12), "REC_0012.mp4");
        assert_eq!(MediaKind::Photo.file_number("IMG_0042.jpg"), Some(42));
        assert_eq!(MediaKind::Photo.file_number("IMG_12345.jpg"), Some(12_345));
        for bad in [
            "IMG_42.jpg",
            "REC_0001.mp4",
            "IMG_00a1.jpg",
            "IMG_0001.png",
            ".IMG_0001.jpg.part",
        ] {
            assert_eq!(MediaKind::Photo.file_number(bad), None, "{bad}");
        }
        assert!(MediaKind::Photo.is_dir_name("102SIYI_IMG"));
        assert!(!MediaKind::Photo.is_dir_name("100SIYI_VID"));
        assert!(!MediaKind::Video.is_dir_name("SIYI_VID"));
    }

    #[test]
    fn photo_is_a_jpeg_and_video_an_mp4() {
        assert_eq!(PHOTO_JPEG[..3], [0xFF, 0xD8, 0xFF]);
        assert_eq!(PHOTO_JPEG[PHOTO_JPEG.len() - 2..], [0xFF, 0xD9]);
        assert!(PHOTO_JPEG.len() < 1_000);
        assert_eq!(&VIDEO_MP4[4..8], b"ftyp");
    }

    #[test]
    fn numbering_starts_at_one_and_continues_in_a_reused_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path()).unwrap();
        assert_eq!(store.save_photo().unwrap(), "IMG_0001.jpg");
        assert_eq!(store.save_photo().unwrap(), "IMG_0002.jpg");
        assert_eq!(store.save_video().unwrap(), "REC_0001.mp4");
        let written = fs::read(dir.path().join(PHOTO_DIR).join("IMG_0002.jpg")).unwrap();
        assert_eq!(written, PHOTO_JPEG);
        // A gap and a stray file: the highest number counts, the stray file is ignored.
        fs::write(dir.path().join(PHOTO_DIR).join("IMG_0041.jpg"), b"x").unwrap();
        fs::write(dir.path().join(PHOTO_DIR).join("notes.txt"), b"x").unwrap();
        drop(store);

        let store = MediaStore::open(dir.path()).unwrap();
        assert_eq!(store.next_number(MediaKind::Photo), 42);
        assert_eq!(store.next_number(MediaKind::Video), 2);
        assert_eq!(store.save_photo().unwrap(), "IMG_0042.jpg");
        let far = clock_now() + Duration::from_secs(3600);
        let names = store
            .directory_files(MediaKind::Photo, PHOTO_DIR, far, Duration::ZERO)
            .unwrap();
        assert_eq!(
            names,
            [
                "IMG_0001.jpg",
                "IMG_0002.jpg",
                "IMG_0041.jpg",
                "IMG_0042.jpg"
            ]
        );
    }

    #[test]
    fn a_new_file_is_listed_only_after_the_list_delay() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path()).unwrap();
        let before = clock_now();
        store.save_photo().unwrap();
        let after = clock_now();
        let delay = Duration::from_millis(300);
        let listed = |now| {
            store
                .directory_files(MediaKind::Photo, PHOTO_DIR, now, delay)
                .unwrap()
        };
        assert!(listed(after).is_empty());
        assert!(listed(before + delay - Duration::from_millis(1)).is_empty());
        assert_eq!(listed(after + delay), ["IMG_0001.jpg"]);
        // Files found at start are listed at once.
        let reopened = MediaStore::open(dir.path()).unwrap();
        let found = reopened.directory_files(MediaKind::Photo, PHOTO_DIR, before, delay);
        assert_eq!(found.unwrap(), ["IMG_0001.jpg"]);
    }

    #[test]
    fn other_directories_of_a_kind_are_listed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("102SIYI_IMG")).unwrap();
        fs::write(dir.path().join("102SIYI_IMG").join("IMG_0007.jpg"), b"x").unwrap();
        fs::create_dir_all(dir.path().join("misc")).unwrap();
        let store = MediaStore::open(dir.path()).unwrap();
        assert_eq!(
            store.directories(MediaKind::Photo),
            ["101SIYI_IMG", "102SIYI_IMG"]
        );
        assert_eq!(store.directories(MediaKind::Video), ["100SIYI_VID"]);
        store.save_photo().unwrap();
        let far = clock_now() + Duration::from_secs(1);
        let all = store.all_files(MediaKind::Photo, far, Duration::ZERO);
        let all: Vec<_> = all.iter().map(|(d, n)| format!("{d}/{n}")).collect();
        assert_eq!(
            all,
            ["101SIYI_IMG/IMG_0008.jpg", "102SIYI_IMG/IMG_0007.jpg"]
        );
        assert!(store
            .directory_files(MediaKind::Video, "101SIYI_IMG", far, Duration::ZERO)
            .is_none());
    }
}
