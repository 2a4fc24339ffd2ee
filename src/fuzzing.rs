//! Fuzz entry points: plain functions over `&[u8]` that never panic on any input unless a
//! property of the code under test is broken. `fuzz/` (cargo-fuzz) calls them with generated
//! inputs; `tests/fuzz_corpus.rs` runs them in CI on the committed corpus (`fuzz/corpus/`) plus
//! seeded mutations of it, on stable Rust with nothing to install.
//!
//! * [`siyi_stream`]: the SIYI stream decoder (any chunking) and reply/request payload decoding.
//! * [`mavlink_inbound`]: raw MAVLink bytes → frame splitter → [`Inbound`] → a [`Bridge`] talking
//!   to the A8 mini simulator, on virtual time ([`SimWorld`], with its spin guard).
//! * [`state_file`]: the state-file start-up rules ([`persist::plan_start`]) on any file content.
//! * [`media_listing`]: the camera web server's answers → the `media` listing walk and the media
//!   service (file finder, storage scan) on virtual time, with their bounds.
//! * [`y4m_track`]: the `.y4m` reader of `siyi-bridge track` and the `siyi-vision` tracker's
//!   entry points (start from a box and from a point, updates, a frame of another size) on what
//!   it reads.
//! * [`h264_nal`]: the H.264 framing of video in (Annex B in any chunking, AVCC, avcC) and the
//!   OpenH264 decoder behind it.
//! * [`tracker_lines`]: lines from a hostile process on the tracker API → the tracking service
//!   with a ground station asking it to track, on virtual time; what it asks of the camera and
//!   the ground stays within the stated budgets.
//! * [`ftp_payloads`], [`param_ext_values`] (in `mavlink_trust`): FTP requests from several
//!   senders, and PARAM_EXT messages, straight into the core (the trust rules of issue 19).
#![allow(clippy::disallowed_methods)] // one real Instant per run as the origin of virtual time

use std::time::{Duration, Instant};

use mavlink::dialects::common::{MavCmd, MavMessage};
use mavlink::Message as _;
use siyi_protocol::{FrameDecoder, Reply, Request};

use crate::core::camera::persist::{self, FileRole, FoundFile};
use crate::core::camera::Inbound;
use crate::core::link::{CameraState, LinkControl, LinkHealth, OpId, Operation, Owner};
use crate::core::mavlink::dedupe::DedupeKey;
use crate::core::mavlink::host::IncomingCommand;
use crate::core::mavlink::{Command, Requester, STATUSTEXT_CHUNK_BYTES};
use crate::core::tracking::api::MAX_LINE_BYTES;
use crate::core::tracking::{ConnId, Fov, Tracking, TrackingConfig, TrackingEvent};
use crate::io::mavlink::FrameSplitter;
use crate::sim::SimConfig;
use crate::testing::{SimWorld, SpinGuard};

mod mavlink_trust;
mod video;
pub use mavlink_trust::{ftp_payloads, param_ext_values};
pub use video::h264_nal;

/// The SIYI decoder: the input (after its first byte, which picks a chunk size of 1–256 bytes)
/// is pushed in chunks; every frame's payload is decoded as a reply and as a request.
///
/// # Panics
/// When the chunked decoder finds other frames than one `push` of the whole input (the decoder
/// promises the same output for every chunking).
pub fn siyi_stream(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first) + 1;
    if rest.len() > FrameDecoder::DEFAULT_MAX_BUFFERED {
        // One push of it would overflow the bounded buffer: only "never panics" holds.
        let _ = decode_all(rest.chunks(chunk));
        return;
    }
    let whole = decode_all(std::iter::once(rest));
    let chunked = decode_all(rest.chunks(chunk));
    assert_eq!(
        whole, chunked,
        "decoder output depends on chunking ({chunk})"
    );
}

/// Decoded frames (as `Ok(encoded bytes)` / `Err(error text)`) of a stream given in pieces.
fn decode_all<'a>(pieces: impl Iterator<Item = &'a [u8]>) -> Vec<Result<Vec<u8>, String>> {
    let mut dec = FrameDecoder::new();
    let mut out = Vec::new();
    for piece in pieces {
        dec.push(piece);
        while let Some(item) = dec.next_frame() {
            out.push(match item {
                Ok(frame) => {
                    let _ = Reply::from_frame(&frame);
                    let _ = Request::decode(frame.cmd, frame.payload());
                    let mut bytes = Vec::new();
                    frame.encode(&mut bytes);
                    Ok(bytes)
                }
                Err(e) => Err(e.to_string()),
            });
        }
    }
    out
}

/// Virtual time after each inbound frame, and at the end.
const STEP: Duration = Duration::from_millis(100);
const SETTLE: Duration = Duration::from_secs(5);
const UTC_US: u64 = 1_800_000_000_000_000;

/// The MAVLink inbound path: the input is a byte stream (one or more MAVLink 1/2 frames, with
/// anything between them) from a ground station on link 1. So that a fuzzer gets past the
/// checksum, frames with an even sequence number get their CRC recomputed ([`repair_crcs`]);
/// odd ones keep theirs, so bad checksums are exercised too. The bridge has a simulated A8 mini
/// (booted, identified) on the other side; virtual time moves 100 ms after each frame and 5 s at
/// the end, so every timer the frames started runs.
///
/// # Panics
/// When a virtual-time loop spins ([`SpinGuard`]) or datagrams storm without end.
pub fn mavlink_inbound(data: &[u8]) {
    let _ = mavlink_session(data);
}

/// What a [`mavlink_inbound`] run did (to check that a corpus reaches deep into the bridge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionSummary {
    /// Frames the splitter found.
    pub frames_in: usize,
    /// MAVLink messages the bridge sent.
    pub messages_out: usize,
    /// Images taken (the image counter at the end).
    pub images: i32,
}

/// [`mavlink_inbound`], returning what happened.
pub fn mavlink_session(data: &[u8]) -> SessionSummary {
    let mut w = SimWorld::new(SimConfig::instant_boot(), Instant::now());
    w.utc0_us = UTC_US;
    w.run(Duration::from_secs(2));
    let mut splitter = FrameSplitter::default();
    splitter.push(&repair_crcs(data));
    let mut frames_in = 0;
    while let Some(f) = splitter.next_frame() {
        frames_in += 1;
        let inbound = Inbound::from_payload(f.version, f.msg_id, &f.payload);
        w.mavlink(1, f.header, &inbound);
        w.run(STEP);
    }
    w.run(SETTLE);
    SessionSummary {
        frames_in,
        messages_out: w.out.len(),
        images: w.bridge.persisted().image_count,
    }
}

/// Recomputes the CRC of each MAVLink 1/2 frame with an even sequence number found by walking
/// the input frame by frame (a byte that starts no frame is skipped).
pub fn repair_crcs(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    let mut i = 0;
    while i < v.len() {
        // (frame length without CRC/signature, sequence byte offset, message id)
        let layout = match v.get(i..) {
            Some([0xFD, len, _, _, seq, _, _, a, b, c, ..]) => Some((
                10 + usize::from(*len),
                *seq,
                u32::from_le_bytes([*a, *b, *c, 0]),
                if v.get(i + 2).is_some_and(|f| f & 1 != 0) {
                    13
                } else {
                    0
                },
            )),
            Some([0xFE, len, seq, _, _, id, ..]) => {
                Some((6 + usize::from(*len), *seq, u32::from(*id), 0))
            }
            _ => None,
        };
        let Some((body, seq, msg_id, sig)) = layout else {
            i += 1;
            continue;
        };
        let end = i + body;
        if end + 2 > v.len() {
            break;
        }
        if seq % 2 == 0 {
            let crc = mavlink::calculate_crc(
                v.get(i + 1..end).unwrap_or_default(),
                MavMessage::extra_crc(msg_id),
            );
            v[end..end + 2].copy_from_slice(&crc.to_le_bytes());
        }
        i = end + 2 + sig;
    }
    v
}

/// Wall clock for the state-file rules: 2027-01-15.
const STATE_UTC_S: u64 = 1_800_000_000;

/// The state-file rules on any content: as the state file, as a `.tmp` left over beside a good
/// state file, and as a kept-aside file alone.
///
/// # Panics
/// When the start index could reuse an index the file speaks of: below the highest number a
/// damaged or extra file holds, or not above every kept record.
pub fn state_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let high = persist::high_water(&text).unwrap_or(0);
    let check = |files: &[FoundFile<'_>], must_reach: i32| {
        let plan = persist::plan_start(files, Some(STATE_UTC_S));
        let next = plan.state.image_count;
        assert!(next >= must_reach, "next index {next} < {must_reach}");
        if let Some((&last, _)) = plan.state.records.last_key_value() {
            assert!(next > last, "next index {next} <= record {last}");
        }
        plan
    };
    let main = FoundFile {
        name: "camera-state.json",
        role: FileRole::Main,
        bytes: data,
    };
    let plan = check(&[main], 0);
    if plan.keep_main_aside {
        assert!(
            plan.state.image_count >= high,
            "damaged file: {high} not reached"
        );
    }
    let good = persist::PersistedState {
        image_count: 3,
        ..persist::PersistedState::default()
    }
    .to_file_json(true);
    let beside = [
        FoundFile {
            name: "camera-state.json",
            role: FileRole::Main,
            bytes: good.as_bytes(),
        },
        FoundFile {
            name: "camera-state.json.tmp",
            role: FileRole::Tmp,
            bytes: data,
        },
    ];
    check(&beside, high.max(3));
    let alone = [FoundFile {
        name: "camera-state.json.corrupt-1",
        role: FileRole::KeptAside,
        bytes: data,
    }];
    check(&alone, high);
}

/// HTTP statuses a [`media_listing`] answer can carry (picked by its first byte).
const MEDIA_STATUSES: [u16; 8] = [200, 200, 200, 200, 400, 500, 302, 404];

/// Most answers one [`media_listing`] input gives (the last one repeated, see there).
const MEDIA_MAX_ANSWERS: usize = 2_100;

/// The camera web server's answers, hostile: the input is a sequence of answers separated by
/// `0xFF` (never in UTF-8 JSON), each a status byte (index into 200, 200, 200, 200, 400, 500,
/// 302, 404) and the body. They answer, in order, the `media` listing walk of photos
/// ([`Listing`](crate::core::media::listing::Listing)), then the media service (file finder and
/// storage scan of a 64 GiB card, a photo taken now and then) on virtual time. With the input's
/// first byte odd and a last answer of at most 1 KiB, that answer is repeated until the walk
/// ends (at most 2 100 answers): a camera whose listing never ends.
///
/// # Panics
/// When the walk takes more than its limits (files, pages, refused entries kept), a file is not
/// a plain name under `/photo/`, two files get one local name, the storage scan asks faster than
/// its request gap, or the service's timers spin ([`SpinGuard`](crate::testing::SpinGuard)).
pub fn media_listing(data: &[u8]) {
    use crate::core::media::api::{is_plain_name, MediaFile, MediaKind};
    use crate::core::media::listing::{self, Listing};

    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let answers: Vec<(u16, &[u8])> = rest
        .split(|&b| b == 0xFF)
        .map(|piece| match piece.split_first() {
            Some((&s, body)) => (MEDIA_STATUSES[usize::from(s) % MEDIA_STATUSES.len()], body),
            None => (200, piece),
        })
        .collect();
    let repeat = mode % 2 == 1 && answers.last().is_some_and(|(_, b)| b.len() <= 1024);
    let answer = |i: usize| -> Option<(u16, &[u8])> {
        match answers.get(i) {
            Some(a) => Some(*a),
            None if repeat && i < MEDIA_MAX_ANSWERS => answers.last().copied(),
            None => None,
        }
    };

    let mut walk = Listing::new(MediaKind::Photos, "10.0.0.9");
    let mut i = 0;
    while let (Some(_), Some((status, body))) = (walk.next_query(), answer(i)) {
        let _ = walk.handle_answer(status, body);
        i += 1;
    }
    assert!(
        walk.pages() <= listing::MAX_LIST_PAGES,
        "{} pages",
        walk.pages()
    );
    let out = walk.finish();
    assert!(out.files.len() <= listing::MAX_LISTING_FILES);
    assert!(out.refused.len() <= listing::MAX_REFUSED_KEPT);
    assert!(out.refused_count >= out.refused.len());
    for f in &out.files {
        assert_eq!(MediaFile::from_path(&f.path()).as_ref(), Some(f), "{f:?}");
    }
    let names = listing::local_names(&out.files);
    let distinct: std::collections::BTreeSet<_> = names.values().collect();
    assert_eq!(distinct.len(), names.len(), "two files share a local name");
    assert!(names.values().all(|n| is_plain_name(n)));

    media_service(&answers);
}

/// The second half of [`media_listing`]: the media service answered by `answers` in order.
fn media_service(answers: &[(u16, &[u8])]) {
    use crate::core::media::storage::REQUEST_GAP;
    use crate::core::media::{api::MediaKind, Media, MediaConfig, Reply, Request};

    let t0 = Instant::now();
    let mut now = t0;
    let mut media = Media::new(MediaConfig {
        camera_host: "10.0.0.9".into(),
        url_base: url::Url::parse("http://10.0.0.9:82").expect("a URL"),
        card_bytes: Some(64 << 30),
    });
    media.camera_up(now);
    let mut guard = SpinGuard::new("media service", t0);
    let mut next = answers.iter();
    let mut last_head: Option<Instant> = None;
    let mut tag = 0;
    for _ in 0..answers.len().saturating_mul(4).saturating_add(64) {
        if let Some(req) = media.poll_request() {
            let Some(&(status, body)) = next.next() else {
                return;
            };
            let reply = match &req.request {
                Request::Api { .. } => Reply::Api(Ok((status, body.to_vec()))),
                Request::Head(_) => {
                    if let Some(at) = last_head {
                        assert!(now - at >= REQUEST_GAP, "HEADs {:?} apart", now - at);
                    }
                    last_head = Some(now);
                    Reply::Head(if status == 200 {
                        Ok(Some(body.len() as u64))
                    } else {
                        Err(())
                    })
                }
            };
            now += Duration::from_millis(5);
            media.handle_reply(now, req.id, reply);
            if status == 302 {
                tag += 1;
                media.captured(now, MediaKind::Photos, tag);
            }
        } else {
            let Some(at) = media.poll_timeout() else {
                return;
            };
            guard.tick(at.max(now), at);
            now = now.max(at);
            media.handle_timeout(now);
        }
        while media.poll_event().is_some() {}
    }
}

/// The `.y4m` reader on any bytes; the frames it reads go to the tracker (started on frame 0
/// from the centre half box and from the centre point), at most 4 frames of at most 64 × 64
/// pixels (larger frames are only read), plus one update with a frame of another size.
///
/// # Panics
/// Never, unless the reader or the tracker is broken (a panic is the finding).
pub fn y4m_track(data: &[u8]) {
    use siyi_vision::{BoundingBox, Frame, Tracker, TrackerConfig};
    let Ok(mut reader) = crate::cli::y4m::Y4mReader::new(data) else {
        return;
    };
    let (w, h) = (reader.header().width, reader.header().height);
    let small = w * h <= 64 * 64;
    let mut trackers: Vec<Tracker> = Vec::new();
    for index in 0..4 {
        let Ok(Some(luma)) = reader.next_frame() else {
            return;
        };
        if !small {
            continue;
        }
        let Ok(frame) = Frame::new(luma, w, h, w) else {
            return;
        };
        if index == 0 {
            let (fw, fh) = (w as f32, h as f32);
            let b = BoundingBox::new(fw / 4.0, fh / 4.0, fw / 2.0, fh / 2.0);
            trackers.extend(Tracker::new(TrackerConfig::default(), &frame, b).ok());
            trackers.extend(
                Tracker::from_point(TrackerConfig::default(), &frame, fw / 2.0, fh / 2.0, 4.0).ok(),
            );
            continue;
        }
        for t in &mut trackers {
            let e = t.update(&frame);
            assert!(e.is_ok(), "same-size frame refused: {e:?}");
            if let Ok(e) = e {
                assert!(
                    e.bbox.x.is_finite()
                        && e.bbox.w.is_finite()
                        && (0.0..=1.0).contains(&e.confidence),
                    "{e:?}"
                );
            }
        }
        if w > 1 {
            if let Ok(other) = Frame::new(luma, w - 1, h, w) {
                for t in &mut trackers {
                    assert!(
                        t.update(&other).is_err(),
                        "a frame of another size was accepted"
                    );
                }
            }
        }
    }
}

/// The tracker connection a [`tracker_lines`] run speaks on.
const HOSTILE_CONN: ConnId = 7;
/// Most lines of one [`tracker_lines`] input that are fed (a line each virtual millisecond).
const MAX_FUZZ_LINES: usize = 4000;

/// A link that is up and counts the gimbal-speed operations started on it.
#[derive(Default)]
struct CountingLink {
    state: CameraState,
    next: u64,
    gimbal_rates: usize,
}

impl LinkControl for CountingLink {
    fn state(&self) -> &CameraState {
        &self.state
    }
    fn health(&self) -> LinkHealth {
        LinkHealth::Up
    }
    fn start(&mut self, _now: Instant, _owner: Owner, op: Operation) -> OpId {
        if matches!(op, Operation::GimbalRates { .. }) {
            self.gimbal_rates += 1;
        }
        self.next += 1;
        OpId(self.next)
    }
}

/// The input's lines (split at `\n`, UTF-8 lossily, a line over the API's limit discarded as the
/// socket does) from tracker connection 7 into the tracking service, one per virtual
/// millisecond; after the first line a ground station asks to track a point, so a hello in the
/// input makes the lines that follow steer the gimbal.
///
/// # Panics
/// When tracking starts more gimbal-speed commands than the follow controller's period allows,
/// or asks the camera component for more tracking status, availability announcements or
/// STATUSTEXT than their budgets.
pub fn tracker_lines(data: &[u8]) {
    let _ = tracker_session(data);
}

/// What a [`tracker_lines`] run sent (to check that a corpus reaches the follow controller).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrackerSummary {
    /// Gimbal-speed commands (SIYI 0x07) started.
    pub gimbal_commands: usize,
    /// CAMERA_TRACKING_IMAGE_STATUS announcements asked for.
    pub tracking_statuses: usize,
    /// CAMERA_INFORMATION announcements asked for (a source came or went).
    pub availability: usize,
    /// STATUSTEXT asked for.
    pub texts: usize,
}

/// [`tracker_lines`], returning what was sent.
pub fn tracker_session(data: &[u8]) -> TrackerSummary {
    let start = Instant::now();
    let mut now = start;
    let fov = Fov {
        h_deg: 81.0,
        v_deg: 51.0,
    };
    let mut t = Tracking::new(TrackingConfig::default());
    let mut link = CountingLink::default();
    let mut sum = TrackerSummary::default();
    let mut guard = SpinGuard::new("fuzzing::tracker_lines", start);
    let drain = |t: &mut Tracking, sum: &mut TrackerSummary| {
        while t.poll_tracker().is_some() {}
        while let Some(e) = t.poll_event() {
            match e {
                TrackingEvent::StatusChanged => sum.tracking_statuses += 1,
                TrackingEvent::AvailabilityChanged => sum.availability += 1,
                TrackingEvent::Text(_, text) => {
                    assert!(
                        text.len() <= STATUSTEXT_CHUNK_BYTES,
                        "{text:?} is over one STATUSTEXT"
                    );
                    sum.texts += 1;
                }
                TrackingEvent::Ack { .. } => {}
            }
        }
    };
    let mut run_until = |t: &mut Tracking,
                         now: &mut Instant,
                         end: Instant,
                         sum: &mut TrackerSummary,
                         link: &mut CountingLink| {
        while let Some(at) = t.poll_timeout().filter(|at| *at <= end) {
            *now = at.max(*now);
            guard.tick(*now, at);
            t.handle_timeout(*now, fov, link);
            drain(t, sum);
        }
        *now = end;
    };
    t.tracker_opened(now, HOSTILE_CONN);
    for (i, line) in data.split(|&b| b == b'\n').take(MAX_FUZZ_LINES).enumerate() {
        let text = String::from_utf8_lossy(line);
        let line = (line.len() <= MAX_LINE_BYTES).then_some(text.as_ref());
        t.tracker_line(now, HOSTILE_CONN, line, fov, &mut link);
        drain(&mut t, &mut sum);
        if i == 0 {
            let cmd = Command {
                command: MavCmd::MAV_CMD_CAMERA_TRACK_POINT,
                params: [0.5, 0.5, 0.05, 0., 0., 0., 0.],
                target_system: 1,
                target_component: 100,
                confirmation: 0,
            };
            let c = IncomingCommand {
                from: Requester {
                    peer: 1,
                    system: 255,
                    component: 190,
                },
                key: DedupeKey {
                    system: 255,
                    component: 190,
                    command: cmd.command as u16,
                    params: cmd.params.map(f32::to_bits),
                },
                cmd,
                broadcast: false,
            };
            let _ = t.command(now, &c, &mut link);
            drain(&mut t, &mut sum);
        }
        let end = now + Duration::from_millis(1);
        run_until(&mut t, &mut now, end, &mut sum, &mut link);
    }
    let end = now + Duration::from_secs(1);
    run_until(&mut t, &mut now, end, &mut sum, &mut link);
    sum.gimbal_commands = link.gimbal_rates;
    let ms = now.saturating_duration_since(start).as_millis() as usize;
    // 20 Hz; the stop at the end.
    assert!(sum.gimbal_commands <= ms / 50 + 2, "{sum:?} in {ms} ms");
    // Bursts of 3, then 10 Hz / 2 Hz / 1 Hz.
    assert!(sum.tracking_statuses <= ms / 100 + 4, "{sum:?} in {ms} ms");
    assert!(sum.availability <= ms / 500 + 4, "{sum:?} in {ms} ms");
    assert!(sum.texts <= ms / 1000 + 4, "{sum:?} in {ms} ms");
    sum
}
