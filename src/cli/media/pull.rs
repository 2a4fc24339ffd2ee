//! `media pull`: download what the listing selects into a directory, resumably, and write the
//! geotag files for the photos there.
//!
//! Owns the pull's tally; the download itself is `io::media`, the selection and geotags
//! `core::media`.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context as _};

use super::fetch::{head, retry, walk};
use super::geotag::{
    geo_txt, geotags_csv, match_photos, records_by_file, Selection, Since, Unmatched,
};
use crate::core::camera::PersistedState;
use crate::core::media::api::{MediaFile, MediaKind};
use crate::core::media::listing::local_names;
use crate::io::driver::clock_now;
use crate::io::media::{DownloadError, DownloadOutcome, MediaClient};

/// A line of the pull's report on stdout ([`outln!`]). A reader that has gone (`media pull DIR |
/// head -1`) does not stop the pull: the files and the geotags are its work, the lines only say
/// how it went, and the exit status still does once the reader is gone.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = outln!($($arg)*);
    }};
}

/// A time as microseconds since the Unix epoch (0 before it).
pub(super) fn utc_us_of(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Counts for the summary line of a pull.
#[derive(Default, Debug)]
struct Tally {
    downloaded: usize,
    complete: usize,
    resumed: usize,
    failed: usize,
    not_selected: usize,
    /// Selected but not tried (the pull was stopped).
    not_started: usize,
    received_bytes: u64,
}

/// A pull stops after this many files in a row failed for want of an answer (no connection,
/// stalls), each after its 4 tries: the camera has gone away.
const MAX_FAILED_IN_A_ROW: usize = 3;

pub(super) async fn pull(
    client: &MediaClient,
    kind: MediaKind,
    state: &PersistedState,
    dir: &Path,
    since: Option<Since>,
    deadline: Option<tokio::time::Instant>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // The deadline bounds the listing too (2 000 pages each answered just within the API's
    // 5 s would take hours).
    let listing = match deadline {
        Some(d) => tokio::time::timeout_at(d, walk(client, kind))
            .await
            .map_err(|_| anyhow!("pull stopped: the --deadline-s passed while listing"))??,
        None => walk(client, kind).await?,
    };
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
                unknown @ (Selection::NoRecord | Selection::NoTime) => {
                    let why = if unknown == Selection::NoRecord {
                        "no record, so no image index"
                    } else {
                        "neither a recorded capture time nor a Last-Modified"
                    };
                    eprintln!("note: {}: {why}: skipped", file.path());
                    tally.not_selected += 1;
                    continue;
                }
            }
        }
        selected.push((file, name.as_str()));
    }

    let terminal = std::io::stdout().is_terminal();
    let started = clock_now();
    let mut failed_in_a_row = 0;
    let mut stopped: Option<String> = None;
    for (i, (file, name)) in selected.iter().enumerate() {
        if deadline.is_some_and(|d| tokio::time::Instant::from_std(clock_now()) >= d) {
            stopped = Some("the --deadline-s passed".to_owned());
        }
        if stopped.is_some() {
            tally.not_started += 1;
            continue;
        }
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
        let what = format!("download {}", file.path());
        let tries = retry(&what, DownloadError::is_transient, || {
            client.download(file, dir, name, |so_far, total| {
                if let Some(bar) = &bar {
                    if let Some(t) = total {
                        bar.set_length(t);
                    }
                    bar.set_position(so_far);
                }
            })
        });
        let result = match deadline {
            Some(d) => tokio::time::timeout_at(d, tries).await.ok(),
            None => Some(tries.await),
        };
        let Some(result) = result else {
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            tally.failed += 1;
            say!("{name}: FAILED: stopped at the --deadline-s (NAME.part is kept)");
            stopped = Some("the --deadline-s passed".to_owned());
            continue;
        };
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        match result {
            Ok(d) => {
                failed_in_a_row = 0;
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
                say!("{name}: {how}, {} bytes", d.size_bytes);
            }
            Err(e) => {
                tally.failed += 1;
                say!("{name}: FAILED: {e}");
                if e.is_disk_full() {
                    stopped = Some(format!("the disk of {} is full", dir.display()));
                } else if e.is_transient() {
                    failed_in_a_row += 1;
                    if failed_in_a_row >= MAX_FAILED_IN_A_ROW {
                        stopped = Some(format!(
                            "{MAX_FAILED_IN_A_ROW} files in a row failed for want of an answer"
                        ));
                    }
                } else {
                    failed_in_a_row = 0;
                }
            }
        }
    }
    if let Some(why) = &stopped {
        eprintln!(
            "pull stopped: {why}; {} files not tried (run the pull again to continue)",
            tally.not_started
        );
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
    say!(
        "{} {}s: {} downloaded, {} skipped (complete), {} resumed, {} failed, {} refused names, \
         {} unmatched, {} not selected; {} bytes in {elapsed_s:.2} s ({mb_per_s:.1} MB/s)",
        selected.len(),
        kind.noun(),
        tally.downloaded,
        tally.complete,
        tally.resumed,
        tally.failed,
        listing.refused_count,
        unmatched_count,
        tally.not_selected,
        tally.received_bytes,
    );
    if let Some(e) = listing.exceeded {
        bail!("{e} (the files listed up to there were pulled)");
    }
    if let Some(why) = stopped {
        bail!(
            "pull stopped ({why}): {} of {} downloads failed, {} not tried (run the pull again to \
             continue)",
            tally.failed,
            selected.len(),
            tally.not_started
        );
    }
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
    say!(
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
        say!("photos without a geotag ({}):", unmatched.len());
        for u in &unmatched {
            say!("  {u}");
        }
    }
    let other = matching.unmatched.len() - unmatched.len();
    if other > 0 {
        eprintln!("note: {other} records name no photo in {}", dir.display());
    }
    Ok(unmatched.len())
}

/// Writes a file atomically (temp file, sync, rename); on failure (a full disk) the temp file
/// is removed and the old file, if any, stays as it was.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let result = written.and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        let why = if e.kind() == std::io::ErrorKind::StorageFull {
            "no space left on the disk".to_owned()
        } else {
            e.to_string()
        };
        bail!(
            "cannot write {}: {why} (nothing left behind)",
            path.display()
        );
    }
    Ok(())
}
