//! `siyi-bridge track` on H.264: an Annex B file or an `rtsp://` stream, decoded with OpenH264
//! (luma only) and tracked; decoding time is reported apart from tracking time.
//!
//! Lines as for `.y4m` (docs/track.md) with one more key, `decode_ms`; a frame the decoder
//! refuses gives no line and is counted ("decoder refused N frames"). For a stream the video's
//! states are printed on stderr as they happen, and `--frames N` ends the run.
#![allow(clippy::disallowed_methods)] // a CLI tool: it times the decoder and tracker

use std::fs::File;
use std::io::BufReader;
use std::sync::mpsc;

use anyhow::{bail, Context};
use siyi_vision::{Estimate, TrackState, TrackerConfig};
use url::Url;

use super::track::{json_line, percentiles, target, Args, Emit};
use crate::io::video::file::H264File;
use crate::io::video::nal::AccessUnit;
use crate::io::video::pipeline::{Pipeline, Step};
use crate::io::video::rtsp::{self, RtspConfig, VideoEvent};

/// What the run measured.
#[derive(Default)]
struct Tally {
    pictures: u64,
    decode_ms: Vec<f64>,
    track_ms: Vec<f64>,
    lost: u64,
    size: (usize, usize),
    started: bool,
}

fn line(index: u64, est: &Estimate, track_ms: f64, decode_ms: f64) -> String {
    let mut l = json_line(index, est, track_ms);
    l.pop();
    format!("{l}, \"decode_ms\": {decode_ms:.2}}}")
}

impl Tally {
    /// Handles one step; `Err` when the tracker cannot start (the run ends).
    fn step(&mut self, step: &Step, emit: &mut Emit) -> anyhow::Result<()> {
        if step.decoded {
            self.decode_ms.push(step.decode_ms);
            self.size = step.size;
        }
        if let Some((est, ms)) = step.track {
            if step.started {
                self.started = true;
            } else {
                self.track_ms.push(ms);
            }
            if est.state == TrackState::Lost {
                self.lost += 1;
            }
            emit.line(line(self.pictures, &est, ms, step.decode_ms))?;
            self.pictures += 1;
        } else if step.decoded && !self.started {
            if let Some(e) = &step.error {
                bail!(
                    "starting the tracker on a {}x{} video: {e}",
                    step.size.0,
                    step.size.1
                );
            }
        }
        Ok(())
    }

    fn summary(mut self, what: &str, pipeline: &Pipeline) {
        let stats = pipeline.decoder().stats();
        let (d50, d99, dmax) = percentiles(&mut self.decode_ms);
        let (t50, t99, tmax) = percentiles(&mut self.track_ms);
        eprintln!(
            "track: {} frames ({}x{}) from {what}; decode ms per frame p50 {d50:.2} p99 {d99:.2} max {dmax:.2}; track ms per frame p50 {t50:.2} p99 {t99:.2} max {tmax:.2}; lost in {} frames; decoder refused {} frames, picture size changed {} times; tracker memory {} kB",
            self.pictures,
            self.size.0,
            self.size.1,
            self.lost,
            stats.errors + stats.too_large,
            stats.size_changes.saturating_sub(1),
            pipeline.tracker_bytes().div_ceil(1024)
        );
    }
}

fn pipeline(args: &Args) -> anyhow::Result<Pipeline> {
    let mut p = Pipeline::new(TrackerConfig::default()).context("starting the H.264 decoder")?;
    p.start(target(args)?);
    Ok(p)
}

/// Tracks an Annex B `.h264` file.
pub(super) fn run_file(args: &Args) -> anyhow::Result<()> {
    let path = &args.video;
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = H264File::new(BufReader::new(file));
    let mut pipeline = pipeline(args)?;
    let mut emit = Emit::new(args.out.as_ref())?;
    let mut tally = Tally::default();
    while let Some(unit) = reader
        .next_unit()
        .with_context(|| format!("reading {}", path.display()))?
    {
        let step = pipeline.feed(&unit, true);
        tally.step(&step, &mut emit)?;
    }
    emit.flush()?;
    if tally.pictures == 0 {
        bail!(
            "{}: no H.264 picture decoded ({} NAL units dropped as malformed)",
            path.display(),
            reader.dropped()
        );
    }
    tally.summary(&path.display().to_string(), &pipeline);
    Ok(())
}

/// Tracks an `rtsp://` stream for `--frames` pictures.
pub(super) fn run_rtsp(args: &Args) -> anyhow::Result<()> {
    let text = args.video.to_string_lossy().into_owned();
    let url = Url::parse(&text).with_context(|| format!("{text}: not a URL"))?;
    let mut pipeline = pipeline(args)?;
    let mut emit = Emit::new(args.out.as_ref())?;
    let (tx, rx) = mpsc::sync_channel::<Result<AccessUnit, String>>(64);
    let config = RtspConfig::new(url);
    // Ends at its next event once the receiver is gone (never stopped otherwise).
    let never = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let net = rtsp::spawn(config, never, move |ev| match ev {
        VideoEvent::State(s) => tx.send(Err(s.to_string())).is_ok(),
        VideoEvent::Frame(f) => tx.send(Ok(f.unit)).is_ok(),
    })?;
    let mut tally = Tally::default();
    while tally.pictures < args.frames {
        let Ok(item) = rx.recv() else { break };
        match item {
            Err(words) => eprintln!("{words}"),
            Ok(unit) => {
                let step = pipeline.feed(&unit, true);
                tally.step(&step, &mut emit)?;
            }
        }
    }
    drop(rx);
    emit.flush()?;
    tally.summary(&text, &pipeline);
    // The network thread ends at its next event (the receiver is gone).
    drop(net);
    Ok(())
}
