//! Video in (`io::video`): H.264 from the OpenH264 encoder through our framing and decoder, the
//! RTSP client against a loopback server that plays it or misbehaves (absent, refuses, asks for
//! credentials, H.265, corrupt NAL units, a size change, a stall, 4K), and the video source's
//! threads (pull only while asked, boxes with capture times). Each bad input: a clear state in
//! words, no panic, bounded memory. No sleeps: the tests wait on channels with deadlines.
#![allow(clippy::disallowed_methods)] // loopback tests: real deadlines and capture times

mod video_common;

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use siyi_bridge::io::video::decode::H264Decoder;
use siyi_bridge::io::video::nal::{annexb_units, AccessUnit};
use siyi_bridge::io::video::pipeline::{Pipeline, Target};
use siyi_bridge::io::video::rtsp::{self, RtspConfig, VideoEvent, VideoState};
use siyi_bridge::io::video::source::{SourceEvent, VideoSource};
use siyi_vision::TrackerConfig;
use video_common::{encode_scene, serve, target_at, Mode};

fn unit(annexb: &[u8]) -> AccessUnit {
    let mut u = AccessUnit::new();
    for n in annexb_units(annexb) {
        u.push(n).expect("the encoder's units are well framed");
    }
    u
}

#[test]
fn encoded_frames_decode_to_their_luma() {
    let (w, h) = (320, 240);
    let frames = encode_scene(w, h, 10, 30);
    let mut dec = H264Decoder::new().expect("decoder");
    let mut pictures = 0;
    for (k, f) in frames.iter().enumerate() {
        let luma = dec.decode(&unit(f)).expect("decodes").expect("a picture");
        assert_eq!((luma.width, luma.height), (w, h));
        // Lossy, but close: mean absolute error below 8 grey levels.
        let want = video_common::luma(k, w, h);
        let err: u64 = luma
            .data
            .iter()
            .zip(&want)
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        assert!(
            err / (w * h) as u64 <= 8,
            "frame {k}: mean error {}",
            err / (w * h) as u64
        );
        pictures += 1;
    }
    assert_eq!(pictures, 10);
    assert_eq!(dec.stats().errors, 0);
}

#[test]
fn a_decoder_error_costs_one_frame() {
    // All key frames, so no frame depends on another; frame 4 is cut inside its slice.
    let (w, h) = (320, 240);
    let frames = encode_scene(w, h, 10, 1);
    let mut dec = H264Decoder::new().expect("decoder");
    let (mut pictures, mut errors) = (0, 0);
    for (k, f) in frames.iter().enumerate() {
        let mut u = AccessUnit::new();
        for n in annexb_units(f) {
            if k == 4 && n[0] & 0x1f == 5 {
                // The slice's first bytes followed by garbage the decoder cannot parse.
                let mut bad = n[..n.len().min(12)].to_vec();
                bad.extend(std::iter::repeat_n(0xff, 64));
                u.push(&bad).expect("still well framed");
            } else {
                u.push(n).expect("framed");
            }
        }
        match dec.decode(&u) {
            Ok(Some(_)) => pictures += 1,
            Ok(None) => {}
            Err(_) => errors += 1,
        }
    }
    // The cut frame is refused (one error), every other frame decodes.
    assert_eq!((pictures, errors), (9, 1), "pictures, errors");
    assert_eq!(dec.stats().errors, 1);
}

#[test]
fn the_pipeline_tracks_the_encoded_target() {
    let (w, h) = (320, 240);
    let frames = encode_scene(w, h, 40, 30);
    let mut p = Pipeline::new(TrackerConfig::default()).expect("pipeline");
    let (x, y, bw, bh) = target_at(0, w, h);
    p.start(Target::Rect(
        x as f32 / w as f32,
        y as f32 / h as f32,
        bw as f32 / w as f32,
        bh as f32 / h as f32,
    ));
    let mut last = None;
    for f in &frames {
        if let Some((est, _)) = p.feed(&unit(f), true).track {
            last = Some(est);
        }
    }
    let est = last.expect("boxes");
    let (tx, ty, _, _) = target_at(39, w, h);
    assert!(
        (est.bbox.x - tx as f32).abs() < 4.0 && (est.bbox.y - ty as f32).abs() < 4.0,
        "{est:?} vs {tx},{ty}"
    );
}

/// Runs the RTSP client against `url` until `until` says enough (or 20 s pass); the events.
fn client(url: &str, stall: Duration, until: impl Fn(&[VideoEvent]) -> bool) -> Vec<VideoEvent> {
    let mut config = RtspConfig::new(url.parse().expect("url"));
    config.stall = stall;
    config.step_timeout = Duration::from_secs(2);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut events = Vec::new();
    let deadline = Duration::from_secs(20);
    rt.block_on(async {
        let run = rtsp::run(config, |ev| {
            events.push(ev);
            !until(&events)
        });
        let _ = tokio::time::timeout(deadline, run).await;
    });
    events
}

fn states(events: &[VideoEvent]) -> Vec<VideoState> {
    events
        .iter()
        .filter_map(|e| match e {
            VideoEvent::State(s) => Some(s.clone()),
            VideoEvent::Frame(_) => None,
        })
        .collect()
}

fn frames_of(events: &[VideoEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, VideoEvent::Frame(_)))
        .count()
}

fn has_state(events: &[VideoEvent], f: impl Fn(&VideoState) -> bool) -> bool {
    states(events).iter().any(f)
}

#[test]
fn rtsp_plays_h264_frames_with_capture_times() {
    let frames = encode_scene(320, 240, 20, 10);
    let server = serve(Mode::Play, frames);
    let before = Instant::now();
    let events = client(&server.url, Duration::from_secs(5), |ev| {
        frames_of(ev) >= 20
    });
    assert_eq!(frames_of(&events), 20, "{:?}", states(&events));
    assert!(has_state(&events, |s| *s == VideoState::Playing(320, 240)));
    let mut prev = None;
    for e in &events {
        if let VideoEvent::Frame(f) = e {
            assert!(f.unit.has_picture());
            // Taken before it arrived (arrival minus the 150 ms default latency), in order.
            assert!(f.capture <= Instant::now() - Duration::from_millis(150));
            assert!(f.capture + Duration::from_secs(5) > before);
            if let Some(p) = prev {
                assert!(f.capture >= p);
            }
            prev = Some(f.capture);
        }
    }
}

#[test]
fn rtsp_absent_server_is_no_server_and_retried() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("rtsp://127.0.0.1:{port}/main.264");
    let events = client(&url, Duration::from_secs(1), |ev| {
        states(ev)
            .iter()
            .filter(|s| matches!(s, VideoState::NoServer(_)))
            .count()
            >= 2
    });
    let s = states(&events);
    assert!(matches!(s[0], VideoState::Connecting(1)), "{s:?}");
    assert!(matches!(s[1], VideoState::NoServer(_)), "{s:?}");
    assert!(s[1].to_string().contains("no video server"), "{}", s[1]);
    assert!(matches!(s[2], VideoState::Connecting(2)), "{s:?}");
}

#[test]
fn rtsp_refusal_credentials_and_h265_are_said_with_the_fix() {
    let refused = serve(Mode::Status("404 Not Found".into()), vec![]);
    let ev = client(&refused.url, Duration::from_secs(1), |ev| {
        has_state(ev, |s| matches!(s, VideoState::Refused(..)))
    });
    let s = states(&ev);
    assert!(
        s.iter().any(|s| matches!(s, VideoState::Refused(404, _))),
        "{s:?}"
    );

    let locked = serve(Mode::Unauthorized, vec![]);
    let ev = client(&locked.url, Duration::from_secs(1), |ev| {
        has_state(ev, |s| *s == VideoState::Credentials)
    });
    let words = states(&ev).last().expect("a state").to_string();
    assert!(
        words.contains("401") && words.contains("user:password@"),
        "{words}"
    );

    let hevc = serve(Mode::H265, vec![]);
    let ev = client(&hevc.url, Duration::from_secs(1), |ev| {
        has_state(ev, |s| matches!(s, VideoState::WrongCodec(_)))
    });
    let words = states(&ev).last().expect("a state").to_string();
    assert!(
        words.contains("H.265")
            && words.contains("STREAM_CODEC = H.264")
            && words.contains("power-cycle"),
        "{words}"
    );
    assert_eq!(frames_of(&ev), 0);
}

#[test]
fn rtsp_silent_server_and_stall_are_said_and_reconnected() {
    let silent = serve(Mode::Silent, vec![]);
    let ev = client(&silent.url, Duration::from_secs(1), |ev| {
        has_state(ev, |s| matches!(s, VideoState::NoServer(_)))
    });
    let words = states(&ev).last().expect("a state").to_string();
    assert!(words.contains("no answer to DESCRIBE"), "{words}");

    let frames = encode_scene(320, 240, 10, 10);
    let stalling = serve(Mode::StallAfter(5), frames);
    let ev = client(&stalling.url, Duration::from_millis(400), |ev| {
        has_state(ev, |s| matches!(s, VideoState::Connecting(2)))
    });
    let s = states(&ev);
    assert!(
        s.iter().any(|s| matches!(s, VideoState::Stalled(_))),
        "{s:?}"
    );
    assert!(s.iter().any(|s| s.to_string().contains("stalled")), "{s:?}");
    assert!(frames_of(&ev) >= 4, "{}", frames_of(&ev));
    assert!(stalling.connections.load(Ordering::SeqCst) >= 2 || s.len() >= 3);
}

#[test]
fn rtsp_corrupt_slice_data_costs_frames_not_the_stream() {
    // Every third frame's second half is garbage (all key frames, so the rest decode).
    let mut frames = encode_scene(320, 240, 15, 1);
    for (k, f) in frames.iter_mut().enumerate() {
        if k % 3 == 2 {
            let n = f.len();
            for b in &mut f[n / 2..] {
                *b = 0xff;
            }
        }
    }
    let server = serve(Mode::PlayThenClose, frames);
    let ev = client(&server.url, Duration::from_secs(2), |ev| {
        has_state(ev, |s| matches!(s, VideoState::Ended(_)))
    });
    let mut dec = H264Decoder::new().expect("decoder");
    let (mut pictures, mut lost) = (0, 0);
    for e in &ev {
        if let VideoEvent::Frame(f) = e {
            match dec.decode(&f.unit) {
                Ok(Some(_)) => pictures += 1,
                _ => lost += 1,
            }
        }
    }
    assert_eq!(frames_of(&ev), 15, "{:?}", states(&ev));
    assert!(
        pictures >= 10 && lost <= 5,
        "{pictures} pictures, {lost} lost"
    );
}

#[test]
fn rtsp_a_malformed_nal_header_is_said_and_the_session_made_again() {
    // Frame 3 carries a NAL unit with the forbidden bit set.
    let mut frames = encode_scene(320, 240, 8, 1);
    frames[3].extend_from_slice(&[0, 0, 0, 1, 0xe5, 1, 2, 3]);
    let server = serve(Mode::Play, frames);
    let ev = client(&server.url, Duration::from_secs(2), |ev| {
        has_state(ev, |s| matches!(s, VideoState::Connecting(2)))
    });
    let s = states(&ev);
    let ended = s.iter().find(|s| matches!(s, VideoState::Ended(_)));
    let ended = ended.unwrap_or_else(|| panic!("{s:?}")).to_string();
    assert!(ended.contains("reconnecting"), "{ended}");
    // The frames before it arrived; the bad unit never reached a frame.
    assert!(frames_of(&ev) >= 3, "{}", frames_of(&ev));
    for e in &ev {
        if let VideoEvent::Frame(f) = e {
            assert!(annexb_units(f.unit.bytes()).all(|n| n[0] & 0x80 == 0));
        }
    }
}

#[test]
fn rtsp_size_change_and_4k_are_said() {
    let mut frames = encode_scene(320, 240, 5, 30);
    frames.extend(encode_scene(640, 360, 5, 30));
    let server = serve(Mode::PlayThenClose, frames);
    let ev = client(&server.url, Duration::from_secs(2), |ev| {
        has_state(ev, |s| matches!(s, VideoState::Ended(_)))
    });
    let s = states(&ev);
    assert!(
        s.contains(&VideoState::Resized((320, 240), (640, 360))),
        "{s:?}"
    );
    assert!(s
        .iter()
        .any(|s| s.to_string().contains("changed from 320x240 to 640x360")));

    let big = encode_scene(3840, 2160, 2, 30);
    let server = serve(Mode::PlayThenClose, big);
    let ev = client(&server.url, Duration::from_secs(5), |ev| {
        has_state(ev, |s| matches!(s, VideoState::Ended(_)))
    });
    let s = states(&ev);
    assert!(s.contains(&VideoState::Playing(3840, 2160)), "{s:?}");
    assert!(s.iter().any(|s| s.to_string().contains("4K")), "{s:?}");
    let mut dec = H264Decoder::new().expect("decoder");
    for e in &ev {
        if let VideoEvent::Frame(f) = e {
            let _ = dec.decode(&f.unit);
        }
    }
    assert_eq!(dec.size(), (3840, 2160));
    // One luma buffer of the picture's size.
    assert!(
        dec.buffer_bytes() <= 3840 * 2160 + 4096,
        "{}",
        dec.buffer_bytes()
    );
}

fn wait_for(
    rx: &mpsc::Receiver<SourceEvent>,
    what: &str,
    f: impl Fn(&SourceEvent) -> bool,
) -> Vec<SourceEvent> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(ev) => {
                let done = f(&ev);
                seen.push(ev);
                if done {
                    return seen;
                }
            }
            Err(_) => panic!("no {what} within 20 s; saw {seen:?}"),
        }
    }
}

#[test]
fn the_source_pulls_only_while_started_and_reports_boxes_with_capture_times() {
    let (w, h) = (320, 240);
    // Paced at 30 frames/s like a camera (a burst would fill the queue: frames are then
    // dropped up to the next key frame, tested by the benchmark's burst).
    let server = serve(
        Mode::Paced(Duration::from_millis(33)),
        encode_scene(w, h, 60, 30),
    );
    let (tx, rx) = mpsc::channel();
    let config = RtspConfig::new(server.url.parse().expect("url"));
    let source = VideoSource::spawn(config, TrackerConfig::default(), move |ev| {
        let _ = tx.send(ev);
    })
    .expect("spawn");
    // Idle: no connection.
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
    let (x, y, bw, bh) = target_at(0, w, h);
    source.start(Target::Rect(
        x as f32 / w as f32,
        y as f32 / h as f32,
        bw as f32 / w as f32,
        bh as f32 / h as f32,
    ));
    let seen = wait_for(&rx, "40 boxes", {
        let count = std::cell::Cell::new(0);
        move |ev| {
            if matches!(ev, SourceEvent::Box(_)) {
                count.set(count.get() + 1);
            }
            count.get() >= 40
        }
    });
    let boxes: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            SourceEvent::Box(b) => Some(*b),
            _ => None,
        })
        .collect();
    assert!(seen
        .iter()
        .any(|e| matches!(e, SourceEvent::Video(VideoState::Playing(320, 240)))));
    for b in &boxes {
        assert!(b.capture <= Instant::now());
        assert_eq!(b.size, (w, h));
    }
    // The first box is the start box; the boxes follow the target.
    let first = boxes[0].rect;
    assert!((first.0 - x as f32 / w as f32).abs() < 0.01, "{first:?}");
    let last = boxes.last().expect("boxes");
    assert!(last.rect.0 > first.0, "{:?} → {:?}", first, last.rect);
    source.stop();
    wait_for(&rx, "Stopped", |ev| matches!(ev, SourceEvent::Stopped));
    // Stopped: the connection is closed (the server saw EOF).
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.closed.load(Ordering::SeqCst) < 1 {
        assert!(
            Instant::now() < deadline,
            "the connection stays open after stop"
        );
        std::thread::yield_now();
    }
    drop(source);
}

#[test]
fn a_size_change_restarts_the_tracker_on_the_new_picture_from_its_scaled_box() {
    let mut frames = encode_scene(320, 240, 10, 30);
    frames.extend(encode_scene(640, 480, 10, 30));
    let mut p = Pipeline::new(TrackerConfig::default()).expect("pipeline");
    let (x, y, bw, bh) = target_at(0, 320, 240);
    p.start(Target::Rect(
        x as f32 / 320.0,
        y as f32 / 240.0,
        bw as f32 / 320.0,
        bh as f32 / 240.0,
    ));
    let mut starts = Vec::new();
    let mut last = None;
    for f in &frames {
        let step = p.feed(&unit(f), true);
        if step.started {
            starts.push((step.size, step.track.expect("a box").0.bbox));
        }
        last = step.track.map(|(e, _)| (step.size, e));
    }
    assert_eq!(starts.len(), 2, "{starts:?}");
    let (size, b) = starts[1];
    assert_eq!(size, (640, 480));
    // The box where it was at the change, in the new picture's pixels (twice the old).
    let (tx, _, _, _) = target_at(9, 320, 240);
    assert!((b.x - 2.0 * tx as f32).abs() < 10.0, "{b:?} vs {}", 2 * tx);
    assert!(b.w > 1.5 * bw as f32, "{b:?}");
    let (size, est) = last.expect("boxes");
    assert_eq!(size, (640, 480));
    assert_eq!(p.decoder().stats().size_changes, 2);
    let _ = est;
}
