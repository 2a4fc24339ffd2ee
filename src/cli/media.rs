//! `siyi-bridge media`: list and pull the camera's photos and videos from its web server (HTTP
//! port 82), with the geotags the bridge recorded for each photo.
//!
//! What to ask and what answers mean is `core::media` (listing, geotags, `--since`); the HTTP
//! client and the resumable download are `io::media`. This shell drives them, retries transient
//! failures, reads the state file (read-only) and prints.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use futures_util::StreamExt as _;
use url::Url;

use crate::core::camera::{ImageRecord, PersistedState};
use crate::core::media::api::{ApiError, ApiQuery, MediaFile, MediaKind, FACTORY_HOST};
use crate::core::media::geotag::{
    self, geo_txt, geotags_csv, match_photos, records_by_file, Selection, Since, Unmatched,
};
use crate::core::media::listing::{local_names, Listing, MediaListing};
use crate::io::driver::clock_now;
use crate::io::media::{DownloadError, DownloadOutcome, FetchError, FileMeta, MediaClient};
use crate::io::state_file::{SIMULATED_DIR, STATE_FILE};

/// Arguments of `siyi-bridge media`.
///
/// Talks to the camera's web server (`http://HOST:PORT`, the A8 mini's factory address
/// 192.168.144.25 port 82 by default), lists its photos (or videos), and pulls them into a
/// local directory with their geotags. The geotags come from the captured-image records the
/// bridge keeps in its state directory (`run --state-dir`): a photo gets one only when the
/// bridge recorded which file its capture produced, never by guessing from order or time.
///
/// Connecting waits at most 2 s, a stalled transfer at most 10 s; a failed request or download
/// is tried again up to 3 times (after 0.5 s, 1 s, 2 s), a download continuing where it broke.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    siyi-bridge media list                           # photos on the camera at 192.168.144.25:82\n  \
    siyi-bridge media list --videos\n  \
    siyi-bridge media pull ./flight1                 # every photo, with geo.txt and geotags.csv\n  \
    siyi-bridge media pull ./flight1 --since 120     # photos from image index 120 on\n  \
    siyi-bridge media pull ./flight1 --since 2026-11-30T12:00:00Z\n  \
    siyi-bridge media --camera 127.0.0.1 --media-port 8082 --simulated list   # the simulator\n\n\
    A pull is resumable: run it again after an interruption; complete files are skipped and\n  \
    partial ones (NAME.part) continued. geo.txt is OpenDroneMap's image geolocation file\n  \
    (EPSG:4326; name lon lat alt yaw pitch roll, ODM's pitch: 0 = straight down).")]
pub struct Args {
    /// The camera's address (host name or IP, no port).
    #[arg(long, value_name = "HOST", default_value = FACTORY_HOST, global = true)]
    pub camera: String,
    /// The port of the camera's web server.
    #[arg(long, value_name = "PORT", default_value_t = 82, global = true)]
    pub media_port: u16,
    /// Where the bridge keeps its captured-image records (read only here). Default as `run`:
    /// $STATE_DIRECTORY, else $HOME/.local/state/siyi-bridge.
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,
    /// Read the records of the simulated camera (the `simulated` subdirectory of the state
    /// directory, where `run --simulate` keeps them) instead of the real camera's.
    #[arg(long, global = true)]
    pub simulated: bool,
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// What `siyi-bridge media` does.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print a table of the files on the camera.
    ///
    /// Columns: image index (from the records, `-` if unknown), name, size, time (the recorded
    /// capture time in UTC, else the file's Last-Modified) and geotag (`lat,lon,alt` in degrees
    /// and metres MSL, if recorded).
    List {
        /// Videos instead of photos.
        #[arg(long)]
        videos: bool,
    },
    /// Download the files into DIR, resumably, with their geotags.
    ///
    /// DIR is created if missing. Complete files are skipped, partial ones (NAME.part)
    /// continued, and a local file is never overwritten. Then `geo.txt` (OpenDroneMap) and
    /// `geotags.csv` are written for the photos in DIR that have a geotag, and the photos
    /// without one are listed. Exits non-zero if a download failed.
    Pull {
        /// The local directory.
        dir: PathBuf,
        /// Only files from here on: an image index (files whose record has an index ≥ INDEX;
        /// files without a record are skipped with a note), or an RFC 3339 UTC time such as
        /// 2026-11-30T12:00:00Z (the recorded capture time ≥ TIME, else the file's
        /// Last-Modified ≥ TIME). Default: every file.
        #[arg(long, value_name = "INDEX|TIME", value_parser = parse_since)]
        since: Option<Since>,
        /// Videos instead of photos (no geotags are written).
        #[arg(long)]
        videos: bool,
    },
}

fn parse_since(v: &str) -> Result<Since, String> {
    if let Ok(index) = v.parse::<i32>() {
        return if index >= 0 {
            Ok(Since::Index(index))
        } else {
            Err(format!("{v}: an image index is 0 or more"))
        };
    }
    let t = humantime::parse_rfc3339(v).map_err(|e| {
        format!("{v:?}: neither an image index nor an RFC 3339 UTC time like 2026-11-30T12:00:00Z ({e})")
    })?;
    Ok(Since::TimeUtcUs(utc_us_of(t)))
}

fn utc_us_of(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Waits before the 2nd, 3rd and 4th try of a request or download.
const BACKOFF: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// How many HEAD requests `media list` keeps in flight.
const HEAD_CONCURRENCY: usize = 4;

/// Largest state file read, bytes.
const MAX_STATE_BYTES: u64 = 16 << 20;

/// Runs `siyi-bridge media`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let base = Url::parse(&format!("http://{}:{}/", args.camera, args.media_port))
        .with_context(|| format!("--camera {:?}: not a host name or address", args.camera))?;
    let client = MediaClient::new(base).context("cannot create the HTTP client")?;
    let state = load_records(&args)?;
    match args.action {
        Action::List { videos } => list(&client, kind(videos), &state).await,
        Action::Pull { dir, since, videos } => {
            pull(&client, kind(videos), &state, &dir, since).await
        }
    }
}

fn kind(videos: bool) -> MediaKind {
    if videos {
        MediaKind::Videos
    } else {
        MediaKind::Photos
    }
}

/// The records of the state file (read-only: never created, moved or written); empty with a
/// note when there is none.
fn load_records(args: &Args) -> anyhow::Result<PersistedState> {
    let Some(mut dir) = args.state_dir.clone().or_else(super::default_state_dir) else {
        eprintln!("note: no --state-dir, $STATE_DIRECTORY or $HOME: no records, no geotags");
        return Ok(PersistedState::default());
    };
    if args.simulated {
        dir = dir.join(SIMULATED_DIR);
    }
    let path = dir.join(STATE_FILE);
    let mut bytes = Vec::new();
    match std::fs::File::open(&path) {
        Ok(f) => {
            f.take(MAX_STATE_BYTES)
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "note: no state file at {}: no records, no geotags",
                path.display()
            );
            return Ok(PersistedState::default());
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let (state, damaged) = geotag::state_from_text(&String::from_utf8_lossy(&bytes));
    if damaged {
        eprintln!(
            "note: {} is damaged: using the {} records that can still be read",
            path.display(),
            state.records.len()
        );
    }
    Ok(state)
}

/// Calls `f` until it succeeds, fails for good (`transient` says no) or has been tried
/// 1 + [`BACKOFF`].len() times.
async fn retry<T, E: std::fmt::Display, Fut: Future<Output = Result<T, E>>>(
    what: &str,
    transient: impl Fn(&E) -> bool,
    mut f: impl FnMut() -> Fut,
) -> Result<T, E> {
    let mut waits = BACKOFF.iter();
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if transient(&e) => match waits.next() {
                Some(wait) => {
                    tracing::debug!("{what}: {e}; trying again in {wait:?}");
                    eprintln!("note: {what}: {e}; trying again in {} ms", wait.as_millis());
                    tokio::time::sleep(*wait).await;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

fn fetch_transient(e: &FetchError) -> bool {
    match e {
        FetchError::Unreachable(_) => true,
        FetchError::Status { status } => *status >= 500,
        FetchError::TooLarge { .. } => false,
    }
}

/// Walks the listing of `kind` (core::media::listing) with the client.
async fn walk(client: &MediaClient, kind: MediaKind) -> anyhow::Result<MediaListing> {
    let mut listing = Listing::new(kind, client.host());
    while let Some(query) = listing.next_query() {
        let what = describe(&query);
        let mut waits = BACKOFF.iter();
        loop {
            // A failed answer leaves the walk where it was: the same query can be sent again.
            let (result, transient) = match client.api(kind, &query).await {
                Ok(a) => match listing.handle_answer(a.status, &a.body) {
                    Ok(()) => break,
                    Err(e) => {
                        // A busy or half-booted camera: an HTTP 5xx, an HTML page.
                        let transient = matches!(
                            e,
                            ApiError::Refused { status, .. } if status >= 500
                        ) || matches!(e, ApiError::Malformed(_));
                        (anyhow::Error::new(e), transient)
                    }
                },
                Err(e) => {
                    let transient = fetch_transient(&e);
                    (anyhow::Error::new(e), transient)
                }
            };
            match waits.next().filter(|_| transient) {
                Some(wait) => {
                    eprintln!(
                        "note: {what}: {result:#}; trying again in {} ms",
                        wait.as_millis()
                    );
                    tokio::time::sleep(*wait).await;
                }
                None => {
                    return Err(result)
                        .with_context(|| format!("{what} (listing the camera's {}s)", kind.noun()))
                }
            }
        }
    }
    let out = listing.finish();
    for r in &out.refused {
        eprintln!("refused: {:?}: {}", r.name, r.reason);
    }
    Ok(out)
}

fn describe(query: &ApiQuery) -> String {
    match query {
        ApiQuery::Directories => "getdirectories".to_owned(),
        ApiQuery::Count { path } => format!("getmediacount {path:?}"),
        ApiQuery::List { path, start, count } => {
            format!("getmedialist {path:?} from {start} ({count})")
        }
    }
}

async fn head(client: &MediaClient, file: &MediaFile) -> Result<FileMeta, FetchError> {
    retry(&format!("HEAD {}", file.path()), fetch_transient, || {
        client.head(file)
    })
    .await
}

fn format_time_s(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn format_size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", bytes as f64 / f64::from(1 << 10))
    } else {
        format!("{bytes} B")
    }
}

fn position_text(r: &ImageRecord, file: &MediaFile) -> String {
    match geotag::geotag(file, r) {
        Some(t) => match t.alt_m {
            Some(alt) => format!("{:.7},{:.7},{alt:.1}", t.lat_deg, t.lon_deg),
            None => format!("{:.7},{:.7}", t.lat_deg, t.lon_deg),
        },
        None => "-".to_owned(),
    }
}

async fn list(client: &MediaClient, kind: MediaKind, state: &PersistedState) -> anyhow::Result<()> {
    let listing = walk(client, kind).await?;
    let (by_file, _) = records_by_file(state);
    let metas: Vec<Result<FileMeta, FetchError>> =
        futures_util::stream::iter(listing.files.iter().map(|f| head(client, f)))
            .buffered(HEAD_CONCURRENCY)
            .collect()
            .await;
    println!(
        "{:>7}  {:<28} {:>10}  {:<20}  geotag (lat,lon,alt)",
        "index", "name", "size", "time (UTC)"
    );
    let mut failed = 0;
    for (file, meta) in listing.files.iter().zip(&metas) {
        let record = by_file.get(file).copied();
        let index = record.map_or("-".to_owned(), |r| r.index.to_string());
        let (size, modified) = match meta {
            Ok(m) => (m.size_bytes.map_or("?".to_owned(), format_size), m.modified),
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e}", file.path());
                ("?".to_owned(), None)
            }
        };
        let time = record
            .filter(|r| r.time_utc_us > 0)
            .map(|r| format_time_s(UNIX_EPOCH + Duration::from_micros(r.time_utc_us)))
            .or_else(|| modified.map(format_time_s))
            .unwrap_or_else(|| "-".to_owned());
        let geo = record.map_or("-".to_owned(), |r| position_text(r, file));
        println!(
            "{index:>7}  {:<28} {size:>10}  {time:<20}  {geo}",
            file.name()
        );
    }
    println!(
        "{} {}s{}{}",
        listing.files.len(),
        kind.noun(),
        if listing.refused.is_empty() {
            String::new()
        } else {
            format!(", {} refused names", listing.refused.len())
        },
        if failed > 0 {
            format!(", {failed} without size (HEAD failed)")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Counts for the summary line of a pull.
#[derive(Default, Debug)]
struct Tally {
    downloaded: usize,
    complete: usize,
    resumed: usize,
    failed: usize,
    not_selected: usize,
    received_bytes: u64,
}

async fn pull(
    client: &MediaClient,
    kind: MediaKind,
    state: &PersistedState,
    dir: &Path,
    since: Option<Since>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let listing = walk(client, kind).await?;
    let (by_file, _) = records_by_file(state);
    let names = local_names(&listing.files);
    let mut selected = Vec::new();
    let mut tally = Tally::default();
    for file in &listing.files {
        let Some(name) = names.get(file) else {
            eprintln!("refused: {}: no plain local name for it", file.path());
            tally.failed += 1;
            continue;
        };
        if let Some(since) = since {
            let record = by_file.get(file).copied();
            let needs_modified =
                matches!(since, Since::TimeUtcUs(_)) && record.is_none_or(|r| r.time_utc_us == 0);
            let modified = if needs_modified {
                head(client, file)
                    .await
                    .ok()
                    .and_then(|m| m.modified)
                    .map(utc_us_of)
            } else {
                None
            };
            match since.select(record, modified) {
                Selection::Take => {}
                Selection::Before => {
                    tally.not_selected += 1;
                    continue;
                }
                Selection::NoRecord => {
                    eprintln!(
                        "note: {}: no record, so no image index: skipped",
                        file.path()
                    );
                    tally.not_selected += 1;
                    continue;
                }
                Selection::NoTime => {
                    eprintln!(
                        "note: {}: neither a recorded capture time nor a Last-Modified: skipped",
                        file.path()
                    );
                    tally.not_selected += 1;
                    continue;
                }
            }
        }
        selected.push((file, name.as_str()));
    }

    let terminal = std::io::stdout().is_terminal();
    let started = clock_now();
    for (i, (file, name)) in selected.iter().enumerate() {
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stdout(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} {msg:<28} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(format!("[{}/{}]", i + 1, selected.len()));
            bar.set_message(name.to_string());
            bar
        });
        let result = retry(
            &format!("download {}", file.path()),
            DownloadError::is_transient,
            || {
                client.download(file, dir, name, |so_far, total| {
                    if let Some(bar) = &bar {
                        if let Some(t) = total {
                            bar.set_length(t);
                        }
                        bar.set_position(so_far);
                    }
                })
            },
        )
        .await;
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        match result {
            Ok(d) => {
                tally.received_bytes += d.received_bytes;
                let how = match d.outcome {
                    DownloadOutcome::AlreadyComplete => {
                        tally.complete += 1;
                        "already complete".to_owned()
                    }
                    DownloadOutcome::Fetched => {
                        tally.downloaded += 1;
                        "downloaded".to_owned()
                    }
                    DownloadOutcome::Resumed { from_bytes } => {
                        tally.resumed += 1;
                        format!("resumed from {from_bytes} bytes")
                    }
                };
                println!("{name}: {how}, {} bytes", d.size_bytes);
            }
            Err(e) => {
                tally.failed += 1;
                println!("{name}: FAILED: {e}");
            }
        }
    }
    let elapsed_s = clock_now().duration_since(started).as_secs_f64();

    let mut unmatched_count = 0;
    if kind == MediaKind::Photos {
        unmatched_count = write_geotags(&listing.files, &names, state, dir)?;
    }
    let mb_per_s = if elapsed_s > 0.0 {
        tally.received_bytes as f64 / 1e6 / elapsed_s
    } else {
        0.0
    };
    println!(
        "{} {}s: {} downloaded, {} skipped (complete), {} resumed, {} failed, {} refused names, \
         {} unmatched, {} not selected; {} bytes in {elapsed_s:.2} s ({mb_per_s:.1} MB/s)",
        selected.len(),
        kind.noun(),
        tally.downloaded,
        tally.complete,
        tally.resumed,
        tally.failed,
        listing.refused.len(),
        unmatched_count,
        tally.not_selected,
        tally.received_bytes,
    );
    if tally.failed > 0 {
        bail!(
            "{} of {} downloads failed (run the pull again to resume them)",
            tally.failed,
            selected.len()
        );
    }
    Ok(())
}

/// Writes `geo.txt` and `geotags.csv` for every matched photo present (complete) in `dir`,
/// lists the photos in `dir` without a geotag, and returns how many those are.
fn write_geotags(
    files: &[MediaFile],
    names: &BTreeMap<MediaFile, String>,
    state: &PersistedState,
    dir: &Path,
) -> anyhow::Result<usize> {
    let present = |f: &MediaFile| names.get(f).is_some_and(|n| dir.join(n).is_file());
    let matching = match_photos(files, state);
    let mut tags: Vec<_> = matching
        .tags
        .into_iter()
        .filter(|t| present(&t.file))
        .collect();
    for t in &mut tags {
        if let Some(n) = names.get(&t.file) {
            t.name.clone_from(n);
        }
    }
    write_atomic(&dir.join("geo.txt"), geo_txt(&tags).as_bytes())?;
    write_atomic(&dir.join("geotags.csv"), geotags_csv(&tags).as_bytes())?;
    println!(
        "geotags: {} photos in {} and {}",
        tags.len(),
        dir.join("geo.txt").display(),
        dir.join("geotags.csv").display()
    );
    let unmatched: Vec<&Unmatched> = matching
        .unmatched
        .iter()
        .filter(|u| match u {
            Unmatched::FileWithoutRecord(f)
            | Unmatched::RecordWithoutPosition { file: f, .. }
            | Unmatched::Ambiguous { file: f, .. } => present(f),
            _ => false,
        })
        .collect();
    if !unmatched.is_empty() {
        println!("photos without a geotag ({}):", unmatched.len());
        for u in &unmatched {
            println!("  {u}");
        }
    }
    let other = matching.unmatched.len() - unmatched.len();
    if other > 0 {
        eprintln!("note: {other} records name no photo in {}", dir.display());
    }
    Ok(unmatched.len())
}

/// Writes a file atomically (temp file, sync, rename).
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_an_index_or_an_rfc3339_utc_time() {
        assert_eq!(parse_since("120"), Ok(Since::Index(120)));
        assert_eq!(
            parse_since("2026-11-30T12:00:00Z"),
            Ok(Since::TimeUtcUs(1_796_040_000_000_000))
        );
        assert!(parse_since("-1").is_err());
        assert!(parse_since("yesterday").is_err());
        assert!(parse_since("2026-11-30 12:00").is_err());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_size(512), "512 B");
        assert_eq!(format_size(3 << 20), "3.0 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
    }
}
