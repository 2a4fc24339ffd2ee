//! `siyi-bridge media`: list and pull the camera's photos and videos from its web server (HTTP
//! port 82), with the geotags the bridge recorded for each photo.
//!
//! What to ask and what answers mean is `core::media` (listing, geotags, `--since`); the HTTP
//! client and the resumable download are `io::media`. This shell drives them, retries transient
//! failures, reads the state file (read-only) and prints.

mod fetch;
pub mod geotag;
mod pull;

use fetch::{head, walk, HEAD_CONCURRENCY};
use pull::{pull, utc_us_of};

use std::io::Read as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use futures_util::StreamExt as _;
use url::Url;

use crate::core::camera::{ImageRecord, PersistedState};
use crate::core::media::api::{MediaFile, MediaKind, FACTORY_HOST};
use crate::io::media::{FetchError, FileMeta, MediaClient};
use crate::io::state_file::{SIMULATED_DIR, STATE_FILE};
use geotag::{records_by_file, Since};

/// Arguments of `siyi-bridge media`.
///
/// Talks to the camera's web server (`http://HOST:PORT`, the A8 mini's factory address
/// 192.168.144.25 port 82 by default), lists its photos (or videos), and pulls them into a
/// local directory with their geotags. The geotags come from the captured-image records the
/// bridge keeps in its state directory (`run --state-dir`): a photo gets one only when the
/// bridge recorded which file its capture produced, never by guessing from order or time.
///
/// Connecting waits at most 2 s, a stalled transfer at most 10 s (`pull --stall-s`); a failed
/// request or download is tried again up to 3 times (after 0.5 s, 1 s, 2 s), a download
/// continuing where it broke. Redirects are never followed. A listing stops at 65 536 files,
/// 1 000 directories or 2 000 pages, saying so (no card holds more).
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
        /// A download that brings less than 16 KiB in this many seconds is abandoned (and
        /// tried again, continuing where it stopped).
        #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
        stall_s: Duration,
        /// Stop the pull after this many seconds (the file being fetched keeps its NAME.part,
        /// continued by the next pull). Default: no limit; the pull ends anyway once each
        /// file is done or has failed its 4 tries, or after 3 files in a row failed for want
        /// of an answer.
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        deadline_s: Option<Duration>,
    },
}

/// A duration in seconds (decimals allowed), more than 0 and at most a day.
fn parse_seconds(v: &str) -> Result<Duration, String> {
    match v.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "{v:?}: a number of seconds, more than 0 and at most 86400"
        )),
    }
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
    media_host(&args.camera, args.media_port).map_err(anyhow::Error::msg)?;
    let base = Url::parse(&format!("http://{}:{}/", args.camera, args.media_port))
        .with_context(|| format!("--camera {:?}: not a host name or address", args.camera))?;
    let client = MediaClient::new(base).context("cannot create the HTTP client")?;
    let state = load_records(&args)?;
    match args.action {
        Action::List { videos } => list(&client, kind(videos), &state).await,
        Action::Pull {
            dir,
            since,
            videos,
            stall_s,
            deadline_s,
        } => {
            let client = client.with_stall_timeout(stall_s);
            let deadline = deadline_s
                .map(|d| tokio::time::Instant::from_std(crate::io::driver::clock_now()) + d);
            pull(&client, kind(videos), &state, &dir, since, deadline).await
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
    outln!(
        "{:>7}  {:<28} {:>10}  {:<20}  geotag (lat,lon,alt)",
        "index",
        "name",
        "size",
        "time (UTC)"
    )?;
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
        outln!(
            "{index:>7}  {:<28} {size:>10}  {time:<20}  {geo}",
            file.name()
        )?;
    }
    outln!(
        "{} {}s{}{}",
        listing.files.len(),
        kind.noun(),
        if listing.refused_count == 0 {
            String::new()
        } else {
            format!(", {} refused names", listing.refused_count)
        },
        if failed > 0 {
            format!(", {failed} without size (HEAD failed)")
        } else {
            String::new()
        }
    )?;
    if let Some(e) = listing.exceeded {
        anyhow::bail!("{e}");
    }
    Ok(())
}

/// `--camera` is a HOST here (the web server's port is `--media-port`), while `run` and
/// `camera` take the SDK's HOST:PORT: a HOST:PORT is refused with the spelling that works.
fn media_host(camera: &str, media_port: u16) -> Result<(), String> {
    let port = match camera.parse::<std::net::SocketAddr>() {
        Ok(a) => Some(a.port()),
        Err(_) => camera
            .rsplit_once(':')
            .filter(|(host, port)| !host.contains(':') && !port.is_empty())
            .and_then(|(_, port)| port.parse::<u16>().ok()),
    };
    let Some(port) = port else {
        return Ok(());
    };
    let host = camera
        .rsplit_once(':')
        .map_or(camera, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    Err(if port == 37260 {
        format!(
            "--camera {camera:?}: media takes a HOST without a port; 37260 is the camera's SDK \
             port (run's and camera's --camera), media talks to its web server (--media-port, \
             now {media_port}): write --camera {host}"
        )
    } else {
        format!(
            "--camera {camera:?}: media takes a HOST without a port (the web server's port is \
             --media-port): write --camera {host} --media-port {port}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_is_a_host_and_a_host_port_says_to_use_media_port() {
        for ok in ["192.168.144.25", "localhost", "::1", "cam.local"] {
            assert_eq!(media_host(ok, 82), Ok(()), "{ok}");
        }
        let e = media_host("127.0.0.1:39203", 82).unwrap_err();
        assert!(e.contains("--camera 127.0.0.1 --media-port 39203"), "{e}");
        let e = media_host("192.168.144.25:37260", 82).unwrap_err();
        assert!(
            e.contains("SDK port") && e.ends_with("write --camera 192.168.144.25"),
            "{e}"
        );
        let e = media_host("[::1]:8082", 82).unwrap_err();
        assert!(e.contains("--camera ::1 --media-port 8082"), "{e}");
    }

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
    fn seconds_are_positive_and_bounded() {
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        for bad in ["0", "-1", "NaN", "inf", "1e400", "86401", "ten", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_size(512), "512 B");
        assert_eq!(format_size(3 << 20), "3.0 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
    }
}
