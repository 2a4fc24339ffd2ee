//! `siyi-bridge track`: the visual tracker (`siyi-vision`) on a recorded `.y4m` or `.h264`
//! video or a live `rtsp://` stream, one JSON line per frame (docs/track.md).
//!
//! ```text
//! siyi-bridge track --video flight.y4m --init 412,230,64,40
//! siyi-bridge track --video flight.h264 --point 444,250,10 --out boxes.jsonl
//! siyi-bridge track --video rtsp://192.168.144.25:8554/main.264 --init 600,320,80,60 --frames 300
//! ```
#![allow(clippy::disallowed_methods)] // a CLI tool: it times the tracker with a real clock

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use siyi_vision::{BoundingBox, Estimate, Frame, TrackState, Tracker, TrackerConfig};

use super::y4m::Y4mReader;

/// Default pointing radius of `--point`, pixels.
const DEFAULT_RADIUS_PX: f32 = 10.0;

/// Arguments of `siyi-bridge track`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The video: a YUV4MPEG2 file (`.y4m`, 8-bit mono or 4:2:0 as ffmpeg writes it), an H.264
    /// Annex B file (`.h264`, `.264`) or an RTSP stream (`rtsp://host:port/path`, H.264).
    #[arg(long)]
    pub video: PathBuf,
    /// For an `rtsp://` stream: stop after this many pictures.
    #[arg(long, default_value_t = 300)]
    pub frames: u64,
    /// Start box on frame 0 in video pixels: top-left x, y, width, height (`412,230,64,40`).
    #[arg(
        long,
        value_name = "X,Y,W,H",
        conflicts_with = "point",
        required_unless_present = "point"
    )]
    pub init: Option<String>,
    /// Start point on frame 0 in video pixels and an optional radius (default 10): the tracker
    /// picks the box of the object under it (`444,250` or `444,250,10`).
    #[arg(long, value_name = "X,Y[,R]")]
    pub point: Option<String>,
    /// Write the JSON lines to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn numbers(text: &str, what: &str, counts: &[usize]) -> anyhow::Result<Vec<f32>> {
    let values: Vec<f32> = text
        .split(',')
        .map(|t| t.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{what} {text:?}: not a list of numbers"))?;
    if !counts.contains(&values.len()) {
        bail!(
            "{what} {text:?}: expected {} numbers separated by commas",
            counts
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        );
    }
    if values.iter().any(|v| !v.is_finite()) {
        bail!("{what} {text:?}: NaN or infinite value");
    }
    Ok(values)
}

/// One output line, keys in the documented order.
pub fn json_line(frame: u64, est: &Estimate, ms: f64) -> String {
    let b = est.bbox;
    format!(
        "{{\"frame\": {frame}, \"x\": {:.1}, \"y\": {:.1}, \"w\": {:.1}, \"h\": {:.1}, \"state\": \"{}\", \"confidence\": {:.2}, \"ms\": {:.2}}}",
        b.x,
        b.y,
        b.w,
        b.h,
        est.state.as_str(),
        est.confidence,
        ms
    )
}

/// Where the lines go: `--out FILE` (buffered) or stdout through `outln!` (a closed pipe ends
/// `track` quietly, see cli/out.rs).
pub(super) struct Emit(Option<BufWriter<File>>);

impl Emit {
    pub(super) fn new(out: Option<&PathBuf>) -> anyhow::Result<Self> {
        Ok(Self(match out {
            Some(p) => Some(BufWriter::new(
                File::create(p).with_context(|| format!("creating {}", p.display()))?,
            )),
            None => None,
        }))
    }

    pub(super) fn line(&mut self, line: String) -> std::io::Result<()> {
        match self.0.as_mut() {
            Some(f) => writeln!(f, "{line}"),
            None => outln!("{line}"),
        }
    }

    pub(super) fn flush(&mut self) -> std::io::Result<()> {
        self.0.as_mut().map_or(Ok(()), Write::flush)
    }
}

/// p50 / p99 / max of `times` (sorted here), ms.
pub(super) fn percentiles(times: &mut [f64]) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| -> f64 {
        if times.is_empty() {
            return 0.0;
        }
        let i = ((times.len() as f64 - 1.0) * p).round() as usize;
        times[i.min(times.len() - 1)]
    };
    (pct(0.5), pct(0.99), times.last().copied().unwrap_or(0.0))
}

/// Runs `siyi-bridge track`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let name = args.video.to_string_lossy();
    if name.starts_with("rtsp://") || name.starts_with("rtsps://") {
        return super::track_h264::run_rtsp(&args);
    }
    let ext = args
        .video
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("h264" | "264" | "avc")) {
        return super::track_h264::run_file(&args);
    }
    run_y4m(args)
}

/// The start of `--init` / `--point` as a pipeline target (pixels of the first picture).
pub(super) fn target(args: &Args) -> anyhow::Result<crate::io::video::pipeline::Target> {
    use crate::io::video::pipeline::Target;
    match (&args.init, &args.point) {
        (Some(init), _) => {
            let v = numbers(init, "--init", &[4])?;
            Ok(Target::Pixels(BoundingBox::new(v[0], v[1], v[2], v[3])))
        }
        (None, Some(point)) => {
            let v = numbers(point, "--point", &[2, 3])?;
            let r = v.get(2).copied().unwrap_or(DEFAULT_RADIUS_PX);
            Ok(Target::PixelPoint(v[0], v[1], r))
        }
        (None, None) => bail!("give --init X,Y,W,H or --point X,Y[,R]"),
    }
}

/// Tracks a `.y4m` file.
fn run_y4m(args: Args) -> anyhow::Result<()> {
    let file =
        File::open(&args.video).with_context(|| format!("opening {}", args.video.display()))?;
    let mut reader = Y4mReader::new(BufReader::with_capacity(1 << 20, file))
        .with_context(|| format!("reading {}", args.video.display()))?;
    let (width, height) = (reader.header().width, reader.header().height);
    // `--out FILE` is buffered; stdout goes through `outln!` (a closed pipe ends `track`
    // quietly, see cli/out.rs).
    let mut file = match &args.out {
        Some(p) => Some(BufWriter::new(
            File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let mut emit = |line: String| -> std::io::Result<()> {
        match file.as_mut() {
            Some(f) => writeln!(f, "{line}"),
            None => outln!("{line}"),
        }
    };
    let first = reader
        .next_frame()
        .with_context(|| format!("reading {}", args.video.display()))?
        .context("the video has no frames")?;
    let frame = Frame::new(first, width, height, width)?;
    let cfg = TrackerConfig::default();
    let t0 = Instant::now();
    let mut tracker = match (&args.init, &args.point) {
        (Some(init), _) => {
            let v = numbers(init, "--init", &[4])?;
            Tracker::new(cfg, &frame, BoundingBox::new(v[0], v[1], v[2], v[3]))
        }
        (None, Some(point)) => {
            let v = numbers(point, "--point", &[2, 3])?;
            let r = v.get(2).copied().unwrap_or(DEFAULT_RADIUS_PX);
            Tracker::from_point(cfg, &frame, v[0], v[1], r)
        }
        (None, None) => bail!("give --init X,Y,W,H or --point X,Y[,R]"),
    }
    .with_context(|| format!("starting the tracker on a {width}x{height} video"))?;
    let start_ms = t0.elapsed().as_secs_f64() * 1e3;
    let start = Estimate {
        bbox: tracker.bbox(),
        state: TrackState::Active,
        confidence: 1.0,
        psr: 0.0,
    };
    emit(json_line(0, &start, start_ms))?;
    let mut times_ms = Vec::new();
    let mut lost = 0u64;
    let mut index = 1u64;
    while let Some(luma) = reader
        .next_frame()
        .with_context(|| format!("reading {}", args.video.display()))?
    {
        let frame = Frame::new(luma, width, height, width)?;
        let t = Instant::now();
        let est = tracker.update(&frame)?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        times_ms.push(ms);
        if est.state == TrackState::Lost {
            lost += 1;
        }
        emit(json_line(index, &est, ms))?;
        index += 1;
    }
    if let Some(f) = file.as_mut() {
        f.flush()?;
    }
    let total_ms: f64 = times_ms.iter().sum();
    let (p50, p99, max) = percentiles(&mut times_ms);
    let fps = if total_ms > 0.0 {
        times_ms.len() as f64 * 1e3 / total_ms
    } else {
        0.0
    };
    eprintln!(
        "track: {index} frames ({width}x{height}), {fps:.0} frames/s (tracker only), ms per frame p50 {:.2} p99 {:.2} max {:.2}, start {start_ms:.2} ms, lost in {lost} frames, tracker memory {} kB",
        p50,
        p99,
        max,
        tracker.memory_bytes().div_ceil(1024)
    );
    Ok(())
}
