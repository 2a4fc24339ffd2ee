//! `siyi-bridge camera probe` against the simulator over loopback: the report must say, question
//! by question, what the simulator was configured to do (unanswered ids, silent 0x0B, no web
//! server, AI module on/off, no SD card, motion), a camera that answers garbage or nothing gets
//! "inconclusive" without a crash, and the probe's JSONL replays through the link.
#![allow(clippy::disallowed_methods)] // real sockets and real time: this is an end-to-end test

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use siyi_bridge::cli::probe::{run_probe, ProbeOptions, ProbeOutcome};
use siyi_bridge::core::link::{LinkConfig, LinkControl as _, LinkHealth, SiyiLink};
use siyi_bridge::core::probe::{profile_unanswered, Conclusion, QuestionId, QuestionReport};
use siyi_bridge::record::{read_file, Direction};
use siyi_bridge::sim::server;
use siyi_bridge::sim::web::{self, MediaStore, WebFaults};
use siyi_bridge::sim::SimConfig;
use tokio::sync::oneshot;

const LOCAL: &str = "127.0.0.1:0";

/// A simulator (and optionally its web server) that stops when dropped.
struct Sim {
    udp: SocketAddr,
    pose: tokio::sync::watch::Receiver<siyi_bridge::sim::SimPose>,
    web: SocketAddr,
    _stop: Vec<oneshot::Sender<()>>,
    _card: tempfile::TempDir,
}

fn stopper() -> (
    oneshot::Sender<()>,
    impl std::future::Future<Output = ()> + Send,
) {
    let (tx, rx) = oneshot::channel::<()>();
    (tx, async {
        let _ = rx.await;
    })
}

/// A TCP port on loopback where nothing listens (bound, then closed).
fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind(LOCAL).expect("bind");
    l.local_addr().expect("addr")
}

async fn start_sim(config: SimConfig, with_web: bool) -> Sim {
    let card = tempfile::tempdir().expect("tempdir");
    let store = MediaStore::open(card.path()).expect("store");
    let (s1, f1) = stopper();
    let (udp, _task, pose) =
        server::spawn_with_media(LOCAL.parse().unwrap(), config, f1, Some(store.clone()))
            .await
            .expect("sim");
    let mut stops = vec![s1];
    let web = if with_web {
        let (s2, f2) = stopper();
        let (addr, _t) = web::spawn(
            LOCAL.parse().unwrap(),
            Some(store),
            WebFaults::default(),
            f2,
        )
        .await
        .expect("web");
        stops.push(s2);
        addr
    } else {
        closed_port()
    };
    Sim {
        udp,
        pose,
        web,
        _stop: stops,
        _card: card,
    }
}

fn options(camera: SocketAddr, media: SocketAddr, out: &Path) -> ProbeOptions {
    ProbeOptions {
        camera,
        bind: Some(LOCAL.parse().unwrap()),
        media,
        out: out.to_path_buf(),
        allow_motion: false,
        allow_capture: false,
        reply_timeout: Duration::from_millis(300),
        boot_timeout: Duration::from_secs(5),
    }
}

async fn probe(opts: ProbeOptions) -> ProbeOutcome {
    let t0 = Instant::now();
    let outcome = run_probe(opts, std::future::pending())
        .await
        .expect("the probe runs");
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    outcome
}

fn q(o: &ProbeOutcome, id: QuestionId) -> &QuestionReport {
    o.report
        .question(id)
        .unwrap_or_else(|| panic!("{id:?} missing: {:#?}", o.report.questions))
}

fn concl(o: &ProbeOutcome, id: QuestionId) -> Conclusion {
    q(o, id).judgement.conclusion
}

#[tokio::test]
async fn a_default_simulator_answers_every_a8_question() {
    let sim = start_sim(SimConfig::instant_boot(), true).await;
    let out = tempfile::tempdir().unwrap();
    let o = probe(options(sim.udp, sim.web, out.path())).await;
    let r = &o.report;
    assert_eq!(r.model.as_deref(), Some("A8 mini"));
    assert_eq!(r.camera_firmware.as_deref(), Some("0.2.8"));
    assert_eq!(r.gimbal_firmware.as_deref(), Some("0.3.9"));
    assert_eq!(r.hardware_id.as_deref(), Some("732405150118"));
    assert!(!r.interrupted);
    for id in [
        QuestionId::HardwareId,
        QuestionId::Firmware,
        QuestionId::RecordState,
        QuestionId::MaxZoom,
        QuestionId::CurrentZoom,
        QuestionId::UtcTime,
        QuestionId::AttitudeStream,
        QuestionId::WebServer,
    ] {
        assert_eq!(concl(&o, id), Conclusion::Supported, "{:?}", q(&o, id));
        if id != QuestionId::WebServer {
            assert!(q(&o, id).judgement.latency_ms.is_some(), "{id:?}");
            assert!(q(&o, id).judgement.reply_hex.is_some(), "{id:?}");
        }
    }
    assert_eq!(q(&o, QuestionId::RecordState).judgement.reply_len, Some(7));
    assert_eq!(q(&o, QuestionId::Firmware).judgement.reply_len, Some(8));
    let stream = q(&o, QuestionId::AttitudeStream);
    assert!(
        stream.judgement.note.contains("stopped when asked"),
        "{stream:?}"
    );
    // A bare A8 mini: 0x4D answered "off" (answered: supported, no module); 0x81 not answered
    // by the simulator.
    assert_eq!(concl(&o, QuestionId::AiModule), Conclusion::Supported);
    assert_eq!(q(&o, QuestionId::AiModule).details["ai_mode"], "0");
    assert!(
        q(&o, QuestionId::AiModule)
            .judgement
            .note
            .contains("no AI tracking module"),
        "{:?}",
        q(&o, QuestionId::AiModule)
    );
    assert_eq!(concl(&o, QuestionId::IpByteOrder), Conclusion::Unsupported);
    // Booted at once: no boot window observed.
    assert_eq!(concl(&o, QuestionId::BootWindow), Conclusion::Inconclusive);
    // Without the flags nothing moved and no photo was taken.
    for id in [
        QuestionId::PhotoFeedback,
        QuestionId::PhotoListed,
        QuestionId::YawSign,
    ] {
        assert!(q(&o, id).skipped, "{id:?}");
    }
    // Nothing sent was a photo / mode (0x0C), a rotation (0x07) or angles (0x0E).
    let cmds: Vec<u8> = r
        .questions
        .iter()
        .flat_map(|q| q.sent.clone())
        .filter_map(|h| siyi_bridge::record::parse_hex(&h).ok()?.get(7).copied())
        .collect();
    assert!(cmds.len() > 10, "{cmds:?}");
    assert!(
        !cmds.iter().any(|c| [0x0C, 0x07, 0x0E].contains(c)),
        "no photo, no motion: {cmds:02x?}"
    );
    // No reply documented for 0x22 / 0x3E: never called unsupported.
    assert_eq!(
        concl(&o, QuestionId::AircraftAttitude),
        Conclusion::Inconclusive
    );
    assert_eq!(concl(&o, QuestionId::RawGps), Conclusion::Inconclusive);
    // Both files, named after model, firmware and date.
    let name = o
        .json_path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(name.starts_with("probe-a8-mini-0.2.8-20"), "{name}");
    assert!(o.jsonl_path.exists());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&o.json_path).unwrap()).unwrap();
    assert_eq!(json["questions"][0]["id"], "hardware_id");
    assert_eq!(json["questions"][0]["conclusion"], "supported");
}

#[tokio::test]
async fn unanswered_ids_are_unsupported_and_a_missing_web_server_is_no_answer() {
    let mut config = SimConfig::instant_boot();
    config.unanswered = BTreeSet::from([0x18, 0x16, 0x30, 0x25]);
    let sim = start_sim(config, false).await;
    let out = tempfile::tempdir().unwrap();
    let o = probe(options(sim.udp, sim.web, out.path())).await;
    for id in [
        QuestionId::CurrentZoom,
        QuestionId::MaxZoom,
        QuestionId::UtcTime,
        QuestionId::AttitudeStream,
    ] {
        assert_eq!(concl(&o, id), Conclusion::Unsupported, "{:?}", q(&o, id));
    }
    // Nothing listening on the web port says nothing about the camera: no answer, inconclusive.
    let web = q(&o, QuestionId::WebServer);
    assert_eq!(
        web.judgement.conclusion,
        Conclusion::Inconclusive,
        "{web:?}"
    );
    assert!(web.judgement.note.starts_with("no answer"), "{web:?}");
    assert!(q(&o, QuestionId::CurrentZoom)
        .judgement
        .note
        .contains("answered 0x01 right after"));
    assert_eq!(concl(&o, QuestionId::RecordState), Conclusion::Supported);
    // As a camera profile (`run --camera-profile`): 0x18, 0x30 and 0x25 known unanswered.
    let text = std::fs::read_to_string(&o.json_path).unwrap();
    let skips: Vec<u8> = profile_unanswered(&text)
        .unwrap()
        .iter()
        .map(|(c, _)| c.0)
        .collect();
    assert_eq!(skips, [0x18, 0x30, 0x25]);
}

/// The link's transmitted command ids over 4 virtual seconds with a camera that answers the
/// start-up (hardware id, firmware) at once and nothing else.
fn link_commands(config: LinkConfig) -> Vec<u8> {
    use siyi_bridge::core::link::LinkControl as _;
    use siyi_protocol::{FirmwareVersion, HardwareId, Reply};
    let t0 = Instant::now();
    let mut link = SiyiLink::new(config, t0);
    let mut sent = Vec::new();
    let mut t = t0;
    while t < t0 + Duration::from_secs(4) {
        link.handle_timeout(t);
        while let Some(bytes) = link.poll_transmit() {
            let cmd = bytes[7];
            sent.push(cmd);
            let reply = match cmd {
                0x02 => Some(Reply::HardwareId(HardwareId::from_ascii("732405150118"))),
                0x01 => Some(Reply::FirmwareVersion {
                    camera: FirmwareVersion::new(0, 2, 8),
                    gimbal: FirmwareVersion::new(0, 3, 9),
                    zoom: None,
                }),
                _ => None,
            };
            if let Some(r) = reply {
                link.handle_datagram(t, &r.to_frame(0).to_bytes());
            }
        }
        while link.poll_event().is_some() {}
        t += Duration::from_millis(50);
    }
    assert_eq!(link.health(), LinkHealth::Up);
    sent
}

#[test]
fn a_camera_profile_skips_the_polls_it_knows_are_unanswered() {
    let plain = link_commands(LinkConfig::default());
    assert!(plain.contains(&0x18), "0x18 polled without a profile");
    let profiled = link_commands(LinkConfig {
        known_unanswered: BTreeSet::from([siyi_protocol::CmdId::CURRENT_ZOOM]),
        ..LinkConfig::default()
    });
    assert!(!profiled.contains(&0x18), "{profiled:02x?}");
    assert!(profiled.contains(&0x0a) && profiled.contains(&0x0d));
}

#[tokio::test]
async fn the_ai_module_is_seen_by_0x4d() {
    let mut config = SimConfig::instant_boot();
    config.ai_module = true;
    let sim = start_sim(config, false).await;
    let out = tempfile::tempdir().unwrap();
    let o = probe(options(sim.udp, sim.web, out.path())).await;
    assert_eq!(concl(&o, QuestionId::AiModule), Conclusion::Supported);
    assert_eq!(q(&o, QuestionId::AiModule).details["ai_mode"], "1");
}

#[tokio::test]
async fn allow_capture_measures_photo_feedback_and_the_listed_file_delay() {
    let sim = start_sim(SimConfig::instant_boot(), true).await;
    let out = tempfile::tempdir().unwrap();
    let mut opts = options(sim.udp, sim.web, out.path());
    opts.allow_capture = true;
    let o = probe(opts).await;
    let fb = q(&o, QuestionId::PhotoFeedback);
    assert_eq!(fb.judgement.conclusion, Conclusion::Supported, "{fb:?}");
    assert!(fb.judgement.note.contains("photo OK"), "{fb:?}");
    let listed = q(&o, QuestionId::PhotoListed);
    assert_eq!(
        listed.judgement.conclusion,
        Conclusion::Supported,
        "{listed:?}"
    );
    // The simulated web server lists a new file 300 ms after the shot.
    let delay = o.report.timings.photo_listed_ms.expect("measured");
    assert!((250..5000).contains(&delay), "{delay}");
    assert!(o.report.timings.photo_feedback_ms.is_some());
    assert!(!q(&o, QuestionId::YawSign).judgement.note.is_empty());
    assert!(q(&o, QuestionId::YawSign).skipped);
}

#[tokio::test]
async fn a_silent_0x0b_is_unsupported_photo_feedback() {
    let mut config = SimConfig::instant_boot();
    config.silent_acks = BTreeSet::from([0x0B]);
    let sim = start_sim(config, false).await;
    let out = tempfile::tempdir().unwrap();
    let mut opts = options(sim.udp, sim.web, out.path());
    opts.allow_capture = true;
    let o = probe(opts).await;
    let fb = q(&o, QuestionId::PhotoFeedback);
    assert_eq!(fb.judgement.conclusion, Conclusion::Unsupported, "{fb:?}");
    assert!(fb.judgement.note.contains("no 0x0B"), "{fb:?}");
    // No web server: the listing delay cannot be measured.
    assert_eq!(concl(&o, QuestionId::PhotoListed), Conclusion::Inconclusive);
}

#[tokio::test]
async fn without_a_card_the_photo_feedback_says_failed() {
    let out = tempfile::tempdir().unwrap();
    let mut config = SimConfig::instant_boot();
    config.sd_card = false;
    let sim = start_sim(config, false).await;
    let mut opts = options(sim.udp, sim.web, out.path());
    opts.allow_capture = true;
    let o = probe(opts).await;
    let fb = q(&o, QuestionId::PhotoFeedback);
    assert_eq!(fb.judgement.conclusion, Conclusion::Supported, "{fb:?}");
    assert!(fb.judgement.note.contains("photo failed"), "{fb:?}");
    assert_eq!(q(&o, QuestionId::RecordState).details["record_sta"], "2");
}

#[tokio::test]
async fn allow_motion_learns_the_yaw_sign_and_puts_the_gimbal_back() {
    let sim = start_sim(SimConfig::instant_boot(), false).await;
    let out = tempfile::tempdir().unwrap();
    let mut opts = options(sim.udp, sim.web, out.path());
    opts.allow_motion = true;
    let o = probe(opts).await;
    let yaw = q(&o, QuestionId::YawSign);
    assert_eq!(yaw.judgement.conclusion, Conclusion::Supported, "{yaw:?}");
    assert_eq!(yaw.details["positive_yaw_speed_turns"], "right");
    // The turn was stopped (0x07 0, 0) and the angles restored (0x0E).
    assert!(yaw.sent.iter().any(|h| h.contains(" 07 00 00 ")), "{yaw:?}");
    assert!(yaw.sent.iter().any(|h| h.contains(" 00 0e ")), "{yaw:?}");
    assert!(o
        .report
        .restored
        .iter()
        .any(|r| r.contains("gimbal angles")));
}

/// A fake camera that answers every datagram with `answer`.
async fn fake_camera(answer: Vec<u8>) -> (SocketAddr, oneshot::Sender<()>) {
    let socket = tokio::net::UdpSocket::bind(LOCAL).await.unwrap();
    let addr = socket.local_addr().unwrap();
    let (tx, mut rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        loop {
            tokio::select! {
                _ = &mut rx => break,
                got = socket.recv_from(&mut buf) => {
                    if let Ok((_, from)) = got {
                        if !answer.is_empty() {
                            let _ = socket.send_to(&answer, from).await;
                        }
                    }
                }
            }
        }
    });
    (addr, tx)
}

#[tokio::test]
async fn a_camera_answering_garbage_is_inconclusive_everywhere() {
    let (addr, _stop) = fake_camera(vec![0x55, 0x66, 0x02, 0xff, 0x13, 0x37, 0x00]).await;
    let out = tempfile::tempdir().unwrap();
    let o = probe(options(addr, closed_port(), out.path())).await;
    assert_eq!(concl(&o, QuestionId::HardwareId), Conclusion::Inconclusive);
    assert!(q(&o, QuestionId::HardwareId)
        .judgement
        .note
        .contains("garbage"));
    assert_eq!(concl(&o, QuestionId::Firmware), Conclusion::Inconclusive);
    assert!(o.report.model.is_none());
    let name = o
        .json_path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(name.starts_with("probe-unknown-unknown-"), "{name}");
    assert!(o.jsonl_path.exists());
}

#[tokio::test]
async fn a_silent_camera_is_said_so_and_ctrl_c_still_writes_the_files() {
    let (addr, _stop) = fake_camera(Vec::new()).await;
    let out = tempfile::tempdir().unwrap();
    let o = probe(options(addr, closed_port(), out.path())).await;
    assert!(o.report.camera_silent);
    assert_eq!(concl(&o, QuestionId::HardwareId), Conclusion::Inconclusive);
    assert!(
        q(&o, QuestionId::HardwareId)
            .judgement
            .note
            .contains("stopped answering"),
        "{:?}",
        q(&o, QuestionId::HardwareId)
    );
    let summary = siyi_bridge::cli::probe::summary(&o);
    assert!(summary.contains("answered neither"), "{summary}");
    assert!(summary.contains("Nothing answered at"), "{summary}");
    assert!(!summary.contains("opening an issue"), "{summary}");

    // Cancelled at once (Ctrl-C): interrupted, both files written.
    let sim = start_sim(SimConfig::instant_boot(), false).await;
    let out = tempfile::tempdir().unwrap();
    let o = run_probe(
        options(sim.udp, sim.web, out.path()),
        std::future::ready(()),
    )
    .await
    .expect("files");
    assert!(o.report.interrupted);
    assert!(o.json_path.exists() && o.jsonl_path.exists());
}

#[tokio::test]
async fn the_probe_jsonl_replays_through_the_link() {
    let mut config = SimConfig::instant_boot();
    config.boot_time_ms = 1200;
    let sim = start_sim(config, false).await;
    let out = tempfile::tempdir().unwrap();
    let o = probe(options(sim.udp, sim.web, out.path())).await;
    assert_eq!(concl(&o, QuestionId::BootWindow), Conclusion::Supported);
    assert!(o.report.timings.boot_window_ms.is_some());

    let lines = read_file(&o.jsonl_path).expect("fixture format");
    assert!(lines.iter().any(|l| l.dir == Direction::ToCamera));
    assert!(lines.iter().any(|l| l.dir == Direction::FromCamera));
    assert!(lines.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
    // As `siyi-bridge replay --link` does: the camera's datagrams on the recording's clock.
    let origin = Instant::now();
    let mut link = SiyiLink::new(LinkConfig::default(), origin);
    for line in &lines {
        let at = origin + Duration::from_millis(line.t_ms);
        link.handle_timeout(at);
        if line.dir == Direction::FromCamera {
            link.handle_datagram(at, &line.bytes().unwrap());
        }
        while link.poll_transmit().is_some() {}
        while link.poll_event().is_some() {}
    }
    assert_eq!(link.health(), LinkHealth::Up);
    let st = link.state();
    assert_eq!(
        st.hardware_id.map(|h| h.as_text()).as_deref(),
        Some("732405150118")
    );
    assert_eq!(
        st.camera_fw.map(|f| f.to_string()).as_deref(),
        Some("0.2.8")
    );
    assert_eq!(link.stats().bad_frames, 0);
}

#[tokio::test]
async fn ctrl_c_mid_turn_stops_the_gimbal_and_writes_the_files() {
    let sim = start_sim(SimConfig::instant_boot(), false).await;
    let out = tempfile::tempdir().unwrap();
    let mut opts = options(sim.udp, sim.web, out.path());
    opts.allow_motion = true;
    // "Ctrl-C" as soon as the simulated gimbal has turned by a degree.
    let mut pose = sim.pose.clone();
    let cancel = async move {
        let _ = pose.wait_for(|p| p.yaw_deg.abs() > 1.0).await;
    };
    let o = run_probe(opts, cancel).await.expect("files");
    assert!(o.report.interrupted);
    assert!(
        o.report
            .restored
            .iter()
            .any(|r| r.contains("gimbal stopped")),
        "{:?}",
        o.report.restored
    );
    // The last frames sent are the 0x07 stop.
    let lines = read_file(&o.jsonl_path).expect("fixture format");
    let last_sent = lines
        .iter()
        .rev()
        .find(|l| l.dir == Direction::ToCamera)
        .expect("sent");
    let bytes = last_sent.bytes().unwrap();
    assert_eq!(
        (bytes[7], bytes[8], bytes[9]),
        (0x07, 0, 0),
        "{}",
        last_sent.hex
    );
    assert!(o.json_path.exists());
}
