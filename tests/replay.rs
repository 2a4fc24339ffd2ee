//! Fixture replay: every recorded session in `fixtures/sessions/` is fed through a `SiyiLink` on
//! virtual time (the camera's datagrams at their `t_ms`; the link's own requests are regenerated
//! by the link) and the derived state and health transitions are checked.
//!
//! The simulator-made fixtures are produced by the ignored test `generate_session_fixtures`:
//! `cargo test --test replay -- --ignored generate_session_fixtures`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use siyi_bridge::core::link::{
    LinkConfig, LinkControl, LinkEvent, LinkHealth, OpOutcome, Operation, Owner, SiyiLink,
    ZoomSource,
};
use siyi_bridge::record::{self, Direction, RecordWriter, TrafficLine};
use siyi_bridge::sim::{SimCamera, SimConfig};
use siyi_bridge::testing::SpinGuard;
use siyi_protocol::{CmdId, RecordState, Zoom, ZoomDirection};

#[allow(clippy::disallowed_methods)] // the one real Instant; everything after is virtual
fn origin() -> Instant {
    Instant::now()
}

fn sessions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sessions")
}

/// Replays a fixture's camera datagrams through a fresh link; returns the link and its events.
fn replay(name: &str) -> (SiyiLink, Vec<(u64, LinkEvent)>) {
    let lines = record::read_file(&sessions_dir().join(name)).expect("fixture reads");
    assert!(!lines.is_empty());
    let t0 = origin();
    let mut link = SiyiLink::new(LinkConfig::default(), t0);
    let mut events = Vec::new();
    let drain = |link: &mut SiyiLink, t: u64, events: &mut Vec<(u64, LinkEvent)>| {
        while link.poll_transmit().is_some() {}
        while let Some(e) = link.poll_event() {
            events.push((t, e));
        }
    };
    let mut guard = SpinGuard::new("replay link timers", t0);
    for line in &lines {
        let at = t0 + Duration::from_millis(line.t_ms);
        // Let the link's timers run up to this line.
        while let Some(t) = link.poll_timeout().filter(|t| *t <= at) {
            guard.tick(t, t);
            link.handle_timeout(t);
            drain(&mut link, (t - t0).as_millis() as u64, &mut events);
        }
        if line.dir == Direction::FromCamera {
            link.handle_datagram(at, &line.bytes().expect("hex"));
            drain(&mut link, line.t_ms, &mut events);
        }
    }
    (link, events)
}

fn health(events: &[(u64, LinkEvent)]) -> Vec<(LinkHealth, LinkHealth)> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            LinkEvent::Health { from, to } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

use LinkHealth::*;

#[test]
fn every_fixture_decodes() {
    let mut n = 0;
    for entry in std::fs::read_dir(sessions_dir()).expect("fixtures/sessions") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            n += 1;
            let (link, _) = replay(path.file_name().and_then(|f| f.to_str()).unwrap_or(""));
            let st = link.stats();
            // Fixtures with corruption say so in their name.
            if !path.to_string_lossy().contains("faults") {
                assert_eq!(st.bad_frames, 0, "{}", path.display());
            }
            assert_eq!(st.bad_payloads, 0, "{}", path.display());
        }
    }
    assert!(n >= 6, "expected the session fixtures, found {n}");
}

#[test]
fn documented_frames_session() {
    let (link, events) = replay("documented_frames.jsonl");
    assert_eq!(health(&events), vec![(Searching, Booting), (Booting, Up)]);
    let st = link.state();
    assert_eq!(st.startups, 1);
    assert_eq!(st.camera_fw.map(|f| f.to_string()), Some("0.2.8".into()));
    assert_eq!(st.record.map(|r| r.value), Some(RecordState::Recording));
    assert_eq!(
        st.zoom.map(|(z, s)| (z.value, s)),
        Some((Zoom { int: 2, tenths: 5 }, ZoomSource::CurrentZoomReply))
    );
    assert_eq!(st.max_zoom, Some(Zoom { int: 6, tenths: 0 }));
    assert_eq!(st.attitude.map(|a| a.value.pitch.0), Some(-880));
    assert!(st.encodings[1].is_some());
}

#[test]
fn probe_simulated_session() {
    // A `camera probe` file, as written by the probe, drops in here unchanged.
    let (link, events) = replay("probe_simulated.jsonl");
    assert_eq!(health(&events), vec![(Searching, Booting), (Booting, Up)]);
    let st = link.state();
    assert_eq!(st.startups, 1);
    assert_eq!(
        st.hardware_id.map(|h| h.as_text()),
        Some("732405150118".into())
    );
    assert_eq!(st.camera_fw.map(|f| f.to_string()), Some("0.2.8".into()));
    assert_eq!(link.stats().bad_frames, 0);
}

#[test]
fn startup_zero_firmware_session() {
    let (link, events) = replay("startup_zero_firmware.jsonl");
    assert_eq!(health(&events), vec![(Searching, Booting), (Booting, Up)]);
    let up_at = events
        .iter()
        .find(|(_, e)| *e == LinkEvent::Identified)
        .map(|x| x.0)
        .expect("identified");
    assert!(up_at >= 5000, "up at {up_at} ms, the camera booted for 5 s");
    assert_eq!(link.state().startups, 1);
}

#[test]
fn reboot_session() {
    let (link, events) = replay("reboot_mid_session.jsonl");
    assert_eq!(link.health(), Up);
    assert_eq!(link.state().startups, 2);
    assert_eq!(
        health(&events),
        vec![
            (Searching, Booting),
            (Booting, Up),
            (Up, Lost),
            (Lost, Booting),
            (Booting, Up)
        ]
    );
    assert_eq!(
        events
            .iter()
            .filter(|(_, e)| *e == LinkEvent::Rebooted)
            .count(),
        1
    );
}

#[test]
fn recording_sessions() {
    let (link, events) = replay("record_with_sd.jsonl");
    let changes: Vec<RecordState> = events
        .iter()
        .filter_map(|(_, e)| match e {
            LinkEvent::RecordingChanged { to, .. } => Some(*to),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            RecordState::NotRecording,
            RecordState::Recording,
            RecordState::NotRecording
        ]
    );
    assert_eq!(link.health(), Up);
    let (link, _) = replay("record_no_sd.jsonl");
    assert_eq!(
        link.state().record.map(|r| r.value),
        Some(RecordState::NoCard)
    );
}

#[test]
fn zoom_old_firmware_session() {
    let (link, events) = replay("zoom_old_firmware.jsonl");
    let unanswered: Vec<CmdId> = events
        .iter()
        .filter_map(|(_, e)| match e {
            LinkEvent::CommandUnanswered { cmd, .. } => Some(*cmd),
            _ => None,
        })
        .collect();
    assert!(unanswered.contains(&CmdId::CURRENT_ZOOM), "{unanswered:?}");
    assert!(unanswered.contains(&CmdId::MAX_ZOOM), "{unanswered:?}");
    assert_eq!(link.state().max_zoom, Some(Zoom { int: 6, tenths: 0 }));
    // The zoom commands are not replayed (they came from the operator) and this camera never
    // reports its zoom (0x18 unanswered, 0x05/0x0F ACKs silent): the link knows nothing, and says so.
    assert!(link.state().zoom.is_none());
}

// ----- generator ----------------------------------------------------------------------------

/// Runs the link against the sans-IO simulator on virtual time with a script of operations;
/// returns every datagram both ways and every finished operation.
fn simulate(
    sim: SimConfig,
    script: &[(u64, Operation)],
    total_ms: u64,
) -> (Vec<TrafficLine>, Vec<(u64, OpOutcome)>) {
    let t0 = origin();
    let mut link = SiyiLink::new(LinkConfig::default(), t0);
    let mut cam = SimCamera::new(sim, t0);
    let mut lines = Vec::new();
    let mut outcomes = Vec::new();
    let mut now = t0;
    let end = t0 + Duration::from_millis(total_ms);
    let mut script: Vec<_> = script.to_vec();
    script.reverse();
    let mut guard = SpinGuard::new("replay simulated session", t0);
    loop {
        let t_ms = (now - t0).as_millis() as u64;
        loop {
            let mut progressed = false;
            while let Some(d) = link.poll_transmit() {
                progressed = true;
                lines.push(TrafficLine::new(t_ms, Direction::ToCamera, &d));
                cam.handle_datagram(now, &d);
            }
            while let Some(d) = cam.poll_transmit() {
                progressed = true;
                lines.push(TrafficLine::new(t_ms, Direction::FromCamera, &d));
                link.handle_datagram(now, &d);
            }
            while let Some(e) = link.poll_event() {
                if let LinkEvent::OpFinished { outcome, .. } = e {
                    outcomes.push((t_ms, outcome));
                }
            }
            if !progressed {
                break;
            }
        }
        let next_op = script.last().map(|(t, _)| t0 + Duration::from_millis(*t));
        let next = [link.poll_timeout(), cam.poll_timeout(), next_op]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next.filter(|n| *n <= end) else {
            break;
        };
        // Whole milliseconds, so t_ms is exact.
        let ms = (next.max(now) - t0).as_millis() as u64;
        let rounded = t0 + Duration::from_millis(ms);
        now = if rounded < next {
            rounded + Duration::from_millis(1)
        } else {
            rounded
        };
        guard.tick(now, next);
        while script
            .last()
            .is_some_and(|(t, _)| t0 + Duration::from_millis(*t) <= now)
        {
            if let Some((_, op)) = script.pop() {
                link.start(now, Owner::Tool, op);
            }
        }
        link.handle_timeout(now);
        cam.handle_timeout(now);
    }
    (lines, outcomes)
}

fn write(name: &str, lines: &[TrafficLine]) {
    let path = sessions_dir().join(name);
    let _ = std::fs::remove_file(&path);
    let mut w = RecordWriter::append(&path).expect("open fixture");
    for l in lines {
        w.write(l).expect("write fixture");
    }
}

#[test]
#[ignore = "writes fixtures/sessions/*.jsonl from the simulator"]
fn generate_session_fixtures() {
    let quick = SimConfig {
        boot_time_ms: 0,
        feedback_delay_ms: 250,
        reply_delay_ms: 15,
        ..SimConfig::default()
    };

    let (l, o) = simulate(
        SimConfig {
            boot_time_ms: 5000,
            ..quick.clone()
        },
        &[],
        7000,
    );
    write("startup_zero_firmware.jsonl", &l);
    assert!(o.is_empty());

    let (l, o) = simulate(
        quick.clone(),
        &[
            (2000, Operation::StartRecording),
            (2100, Operation::StartRecording),
            (6000, Operation::TakePhoto),
            (8000, Operation::StopRecording),
        ],
        11_000,
    );
    write("record_with_sd.jsonl", &l);
    println!("record_with_sd: {o:?}");

    let (l, o) = simulate(
        SimConfig {
            sd_card: false,
            ..quick.clone()
        },
        &[
            (2000, Operation::StartRecording),
            (3000, Operation::TakePhoto),
        ],
        5000,
    );
    write("record_no_sd.jsonl", &l);
    println!("record_no_sd: {o:?}");

    let (l, o) = simulate(
        SimConfig {
            boot_time_ms: 2000,
            reboot_at_ms: Some(6000),
            reboot_silence_ms: 4000,
            ..quick.clone()
        },
        &[],
        16_000,
    );
    write("reboot_mid_session.jsonl", &l);
    assert!(o.is_empty());

    let mut old = quick.clone().with_old_firmware();
    old.silent_acks.extend([0x05, 0x0f]);
    let (l, o) = simulate(
        old,
        &[
            (2000, Operation::ZoomTo { factor: 2.5 }),
            (4000, Operation::ZoomContinuous(ZoomDirection::In)),
            (5000, Operation::ZoomContinuous(ZoomDirection::Stop)),
        ],
        12_000,
    );
    write("zoom_old_firmware.jsonl", &l);
    println!("zoom_old_firmware: {o:?}");

    let (l, o) = simulate(
        SimConfig {
            drop_probability: 0.2,
            corrupt_probability: 0.02,
            seed: 7,
            ..quick
        },
        &[
            (2000, Operation::TakePhoto),
            (2500, Operation::StartRecording),
            (6000, Operation::ZoomTo { factor: 3.0 }),
            (7000, Operation::StopRecording),
        ],
        10_000,
    );
    write("photo_record_faults.jsonl", &l);
    println!("photo_record_faults: {o:?}");
}
