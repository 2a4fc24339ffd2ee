//! SiyiLink scenarios on virtual time: no sockets, no sleeps. A small scripted camera (written
//! here, independent of the simulator) answers the link's requests.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use siyi_bridge::core::link::{
    FailReason, FallbackUsed, LinkConfig, LinkControl, LinkEvent, LinkHealth, OpId, OpOutcome,
    Operation, Owner, SiyiLink, ZoomSource,
};
use siyi_bridge::testing::SpinGuard;
use siyi_protocol::{
    AiMode, AiTarget, AiTrack, AiTrackStatus, Attitude, CmdId, Decidegrees, EncodingParams,
    FeedbackCode, FirmwareVersion, Frame, FunctionType, HardwareId, MotionMode, MountingDirection,
    RecordState, Reply, Request, StreamType, SystemInfo, VideoCodec, Zoom, ZoomDirection,
};

/// A scripted camera: answers like an A8 mini, with knobs.
struct Cam {
    hw: &'static str,
    /// The camera firmware word reads 0.0.0 while this is true.
    fw_zero: bool,
    silent: bool,
    ignore: Vec<CmdId>,
    record: u8,
    toggle_works: bool,
    record_fail_feedback: bool,
    mode: u8,
    zoom_tenths: u16,
    photo_feedback: Option<FeedbackCode>,
    /// An AI tracking module is attached and on.
    ai: bool,
    seq: u16,
}

impl Default for Cam {
    fn default() -> Self {
        Self {
            hw: "7342011256",
            fw_zero: false,
            silent: false,
            ignore: Vec::new(),
            record: 0,
            toggle_works: true,
            record_fail_feedback: false,
            mode: 1,
            zoom_tenths: 10,
            photo_feedback: Some(FeedbackCode::PhotoOk),
            ai: false,
            seq: 0,
        }
    }
}

impl Cam {
    fn handle(&mut self, req: &Request) -> Vec<Reply> {
        if self.silent || self.ignore.contains(&req.cmd_id()) {
            return vec![];
        }
        let reply = match req {
            Request::HardwareId => Reply::HardwareId(HardwareId::from_ascii(self.hw)),
            Request::FirmwareVersion => Reply::FirmwareVersion {
                camera: if self.fw_zero {
                    FirmwareVersion(0)
                } else {
                    FirmwareVersion::new(0, 2, 8)
                },
                gimbal: FirmwareVersion::new(0, 3, 9),
                zoom: None,
            },
            Request::CameraSystemInfo => Reply::CameraSystemInfo(SystemInfo {
                reserved0: 0,
                hdr_sta: 0,
                reserved2: 0,
                record_sta: RecordState::from_u8(self.record),
                motion_mode: Some(MotionMode::from_u8(self.mode)),
                mounting_dir: Some(MountingDirection::Normal),
                video_output: Some(0),
                zoom_linkage: None,
            }),
            Request::Attitude => Reply::Attitude(Attitude {
                pitch: Decidegrees(-100),
                ..Attitude::default()
            }),
            Request::CurrentZoom => Reply::CurrentZoom(Zoom::from_tenths(self.zoom_tenths)),
            Request::MaxZoom => Reply::MaxZoom(Zoom { int: 6, tenths: 0 }),
            Request::AiModeStatus => {
                Reply::AiModeStatus(if self.ai { AiMode::On } else { AiMode::Off })
            }
            Request::SetAiStream { .. } => Reply::SetAiStream {
                status: u8::from(self.ai),
            },
            Request::GetEncoding(stream) => Reply::Encoding(EncodingParams {
                stream: *stream,
                codec: VideoCodec::H265,
                width_px: 1920,
                height_px: 1080,
                bitrate_kbps: 4000,
                framerate_fps: 30,
            }),
            Request::ManualZoom(dir) => {
                match dir {
                    ZoomDirection::In => self.zoom_tenths = (self.zoom_tenths + 1).min(60),
                    ZoomDirection::Out => self.zoom_tenths = (self.zoom_tenths - 1).max(10),
                    ZoomDirection::Stop => {}
                }
                Reply::ManualZoom {
                    zoom_tenths: self.zoom_tenths,
                }
            }
            Request::AbsoluteZoom(z) => {
                self.zoom_tenths = z.in_tenths();
                Reply::AbsoluteZoom { status: 1 }
            }
            Request::GimbalRotation { .. } => Reply::GimbalRotation { status: 1 },
            Request::Center(_) => Reply::Center { status: 1 },
            Request::SetAngles { yaw, pitch } => Reply::SetAngles {
                yaw: *yaw,
                pitch: *pitch,
                roll: Decidegrees(0),
            },
            Request::Function(FunctionType::TakePhoto) => match self.photo_feedback {
                Some(code) => Reply::FunctionFeedback(code),
                None => return vec![],
            },
            Request::Function(FunctionType::RecordToggle) => {
                if self.toggle_works {
                    self.record = match self.record {
                        0 | 3 => 1,
                        1 => 0,
                        other => other,
                    };
                }
                if self.record_fail_feedback {
                    Reply::FunctionFeedback(FeedbackCode::RecordFailed)
                } else {
                    return vec![];
                }
            }
            Request::Function(FunctionType::LockMode) => {
                self.mode = 0;
                return vec![];
            }
            Request::Function(FunctionType::FollowMode) => {
                self.mode = 1;
                return vec![];
            }
            Request::Function(FunctionType::FpvMode) => {
                self.mode = 2;
                return vec![];
            }
            Request::DataStream { data_type, .. } => Reply::DataStream {
                data_type: data_type.to_u8(),
            },
            _ => return vec![],
        };
        vec![reply]
    }
}

/// The link + the scripted camera on a virtual clock.
struct H {
    link: SiyiLink,
    cam: Cam,
    t0: Instant,
    now: Instant,
    latency: Duration,
    to_link: VecDeque<(Instant, Vec<u8>)>,
    events: Vec<(Duration, LinkEvent)>,
    sent: Vec<(Duration, Request, u16)>,
}

#[allow(clippy::disallowed_methods)] // the one real Instant of the test, then virtual time
fn origin() -> Instant {
    Instant::now()
}

impl H {
    fn new(cam: Cam) -> Self {
        Self::with_config(cam, LinkConfig::default())
    }

    fn with_config(cam: Cam, config: LinkConfig) -> Self {
        let t0 = origin();
        let mut h = Self {
            link: SiyiLink::new(config, t0),
            cam,
            t0,
            now: t0,
            latency: Duration::from_millis(20),
            to_link: VecDeque::new(),
            events: Vec::new(),
            sent: Vec::new(),
        };
        h.pump();
        h
    }

    fn t(&self) -> Duration {
        self.now - self.t0
    }

    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(datagram) = self.link.poll_transmit() {
                progressed = true;
                let (frame, used) = Frame::parse(&datagram).expect("link sends valid frames");
                assert_eq!(used, datagram.len(), "one frame per datagram");
                let req = Request::from_frame(&frame).expect("link sends decodable requests");
                self.sent.push((self.t(), req.clone(), frame.seq));
                for reply in self.cam.handle(&req) {
                    self.cam.seq = self.cam.seq.wrapping_add(1);
                    self.to_link.push_back((
                        self.now + self.latency,
                        reply.to_frame(self.cam.seq).to_bytes(),
                    ));
                }
            }
            while self.to_link.front().is_some_and(|(at, _)| *at <= self.now) {
                if let Some((_, d)) = self.to_link.pop_front() {
                    progressed = true;
                    self.link.handle_datagram(self.now, &d);
                }
            }
            while let Some(e) = self.link.poll_event() {
                progressed = true;
                self.events.push((self.t(), e));
            }
            if !progressed {
                break;
            }
        }
    }

    fn run_until(&mut self, until: Instant) {
        let mut guard = SpinGuard::new("link Harness::run_until", self.now);
        loop {
            self.pump();
            let next = [self.link.poll_timeout(), self.to_link.front().map(|x| x.0)]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    guard.tick(self.now, t);
                    self.link.handle_timeout(self.now);
                }
                _ => {
                    self.now = until;
                    self.link.handle_timeout(until);
                    self.pump();
                    return;
                }
            }
        }
    }

    /// The camera pushes `reply` now (a frame no request asked for).
    fn push(&mut self, reply: Reply) {
        self.cam.seq = self.cam.seq.wrapping_add(1);
        let bytes = reply.to_frame(self.cam.seq).to_bytes();
        self.link.handle_datagram(self.now, &bytes);
        self.pump();
    }

    fn run_ms(&mut self, ms: u64) {
        self.run_until(self.now + Duration::from_millis(ms));
    }

    fn start(&mut self, op: Operation) -> OpId {
        let id = self.link.start(self.now, Owner::Tool, op);
        self.pump();
        id
    }

    fn outcome(&self, id: OpId) -> Option<(Duration, OpOutcome)> {
        let mut found = self.events.iter().filter_map(|(t, e)| match e {
            LinkEvent::OpFinished {
                id: i,
                owner,
                outcome,
                ..
            } if *i == id => {
                assert_eq!(*owner, Owner::Tool, "the outcome names who started it");
                Some((*t, outcome.clone()))
            }
            _ => None,
        });
        let first = found.next();
        assert!(found.next().is_none(), "operation {id:?} finished twice");
        first
    }

    fn sent_of(&self, cmd: CmdId, after: Duration) -> Vec<(Duration, Request)> {
        self.sent
            .iter()
            .filter(|(t, r, _)| r.cmd_id() == cmd && *t >= after)
            .map(|(t, r, _)| (*t, r.clone()))
            .collect()
    }

    fn health_changes(&self) -> Vec<(LinkHealth, LinkHealth)> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                LinkEvent::Health { from, to } => Some((*from, *to)),
                _ => None,
            })
            .collect()
    }

    fn count(&self, pred: impl Fn(&LinkEvent) -> bool) -> usize {
        self.events.iter().filter(|(_, e)| pred(e)).count()
    }

    fn up(cam: Cam) -> Self {
        let mut h = Self::new(cam);
        h.run_ms(1500);
        assert_eq!(h.link.health(), Up);
        h
    }
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

use LinkHealth::*;

#[test]
fn start_up_waits_through_zero_firmware() {
    let mut h = H::new(Cam {
        fw_zero: true,
        ..Cam::default()
    });
    h.run_ms(5000);
    assert_eq!(h.link.health(), Booting);
    // 0x01 asked about once a second while booting.
    let fw = h.sent_of(CmdId::FIRMWARE_VERSION, ms(0)).len();
    assert!(
        (5..=6).contains(&fw),
        "firmware requests while booting: {fw}"
    );
    // Nothing else than start-up queries while booting, and operations are rejected.
    assert!(h.sent_of(CmdId::ATTITUDE, ms(0)).is_empty());
    let id = h.start(Operation::TakePhoto);
    assert!(matches!(
        h.outcome(id),
        Some((_, OpOutcome::Rejected { .. }))
    ));
    h.cam.fw_zero = false;
    h.run_ms(1100);
    assert_eq!(h.link.health(), Up);
    assert_eq!(
        h.health_changes(),
        vec![(Searching, Booting), (Booting, Up)]
    );
    assert_eq!(h.count(|e| *e == LinkEvent::Identified), 1);
    let st = h.link.state();
    assert_eq!(st.startups, 1);
    assert_eq!(st.camera_fw, Some(FirmwareVersion::new(0, 2, 8)));
    assert_eq!(st.model.map(|m| m.name()), Some("A8 mini"));
}

#[test]
fn hardware_id_asked_at_1hz_until_answered() {
    let mut h = H::new(Cam {
        silent: true,
        ..Cam::default()
    });
    h.run_ms(3500);
    assert_eq!(
        h.link.health(),
        Searching,
        "silence before the first answer is not Lost"
    );
    let hw: Vec<_> = h
        .sent_of(CmdId::HARDWARE_ID, ms(0))
        .iter()
        .map(|x| x.0)
        .collect();
    assert_eq!(hw, vec![ms(0), ms(1000), ms(2000), ms(3000)]);
    h.cam.silent = false;
    h.run_ms(1000);
    assert_eq!(h.link.health(), Up);
}

#[test]
fn other_model_warns_and_goes_on() {
    let mut h = H::new(Cam {
        hw: "7A12345678",
        ..Cam::default()
    });
    h.run_ms(1500);
    assert_eq!(h.link.health(), Up);
    assert_eq!(
        h.count(|e| matches!(e, LinkEvent::UnexpectedModel { .. })),
        1
    );
}

#[test]
fn steady_polling_rates() {
    let mut h = H::up(Cam::default());
    let from = h.t();
    h.run_ms(10_000);
    let n = |cmd| h.sent_of(cmd, from).len();
    assert!(
        (99..=101).contains(&n(CmdId::ATTITUDE)),
        "0x0D: {}",
        n(CmdId::ATTITUDE)
    );
    assert!((10..=11).contains(&n(CmdId::CAMERA_SYSTEM_INFO)));
    assert!((10..=11).contains(&n(CmdId::CURRENT_ZOOM)));
    assert_eq!(n(CmdId::FIRMWARE_VERSION), 2, "firmware check every 5 s");
    // One-off queries: max zoom once, encoding once per stream.
    assert_eq!(h.sent_of(CmdId::MAX_ZOOM, ms(0)).len(), 1);
    assert_eq!(h.sent_of(CmdId::GET_ENCODING, ms(0)).len(), 3);
    let st = h.link.state();
    assert!(st.encodings.iter().all(Option::is_some));
    assert_eq!(st.max_zoom, Some(Zoom { int: 6, tenths: 0 }));
    assert!(st.attitude.is_some_and(|a| a.is_fresh(h.now, ms(150))));
    assert_eq!(st.record.map(|r| r.value), Some(RecordState::NotRecording));
    // The link owns SEQ: one per frame, increasing.
    let seqs: Vec<u16> = h.sent.iter().map(|s| s.2).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    assert_eq!(h.link.stats().retries, 0);
}

#[test]
fn retries_then_times_out() {
    let mut h = H::up(Cam {
        ignore: vec![CmdId::CENTER],
        ..Cam::default()
    });
    let t = h.t();
    let id = h.start(Operation::Center);
    h.run_ms(3000);
    let times: Vec<_> = h
        .sent_of(CmdId::CENTER, t)
        .iter()
        .map(|x| x.0 - t)
        .collect();
    assert_eq!(
        times,
        vec![ms(0), ms(500), ms(1000)],
        "3 attempts, 500 ms apart"
    );
    assert_eq!(h.outcome(id), Some((t + ms(1500), OpOutcome::TimedOut)));
    // 0x08 has no fallback: it is never declared unanswered.
    assert_eq!(
        h.count(|e| matches!(e, LinkEvent::CommandUnanswered { .. })),
        0
    );
    assert_eq!(h.link.health(), Up);
}

#[test]
fn unanswered_zoom_queries_fall_back() {
    let mut h = H::new(Cam {
        ignore: vec![CmdId::CURRENT_ZOOM, CmdId::MAX_ZOOM, CmdId::ABSOLUTE_ZOOM],
        ..Cam::default()
    });
    h.run_ms(10_000);
    let unanswered: Vec<CmdId> = h
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            LinkEvent::CommandUnanswered { cmd, .. } => Some(*cmd),
            _ => None,
        })
        .collect();
    assert!(unanswered.contains(&CmdId::CURRENT_ZOOM));
    assert!(unanswered.contains(&CmdId::MAX_ZOOM));
    assert_eq!(unanswered.len(), 2, "each reported once: {unanswered:?}");
    assert_eq!(h.link.state().max_zoom, Some(Zoom { int: 6, tenths: 0 }));
    // No more polls of the unanswered commands.
    let t = h.t();
    h.run_ms(5000);
    assert!(h.sent_of(CmdId::CURRENT_ZOOM, t).is_empty());
    assert!(h.sent_of(CmdId::MAX_ZOOM, t).is_empty());
    // Zoom to 9x is clamped to 6.0 and marked commanded (no ACK for 0x0F).
    let id = h.start(Operation::ZoomTo { factor: 9.0 });
    assert_eq!(
        h.sent_of(CmdId::ABSOLUTE_ZOOM, h.t())
            .last()
            .map(|x| x.1.clone()),
        Some(Request::AbsoluteZoom(Zoom { int: 6, tenths: 0 }))
    );
    let z = h.link.state().zoom.expect("zoom");
    assert_eq!(
        (z.0.value, z.1),
        (Zoom { int: 6, tenths: 0 }, ZoomSource::Commanded)
    );
    h.run_ms(2000);
    assert_eq!(
        h.outcome(id).map(|x| x.1),
        Some(OpOutcome::Succeeded { confirmed: false })
    );
    // A 0x05 ACK is a reading and replaces the commanded value.
    let id = h.start(Operation::ZoomContinuous(ZoomDirection::Out));
    h.run_ms(100);
    assert_eq!(
        h.outcome(id).map(|x| x.1),
        Some(OpOutcome::Succeeded { confirmed: true })
    );
    let z = h.link.state().zoom.expect("zoom");
    assert_eq!(z.1, ZoomSource::ManualZoomAck);
    h.start(Operation::ZoomContinuous(ZoomDirection::Stop));
}

#[test]
fn zoom_ack_missing_is_detected_and_not_waited_for() {
    let mut h = H::up(Cam {
        ignore: vec![CmdId::MANUAL_ZOOM],
        ..Cam::default()
    });
    let id = h.start(Operation::ZoomContinuous(ZoomDirection::In));
    h.run_ms(4000);
    assert_eq!(
        h.outcome(id).map(|x| x.1),
        Some(OpOutcome::Succeeded { confirmed: false })
    );
    assert_eq!(
        h.count(
            |e| matches!(e, LinkEvent::CommandUnanswered { cmd, .. } if *cmd == CmdId::MANUAL_ZOOM)
        ),
        1
    );
    // Keep-alive continues without waiting for ACKs.
    let t = h.t();
    h.run_ms(1000);
    assert!((2..=3).contains(&h.sent_of(CmdId::MANUAL_ZOOM, t).len()));
    let id = h.start(Operation::ZoomContinuous(ZoomDirection::Stop));
    assert_eq!(
        h.outcome(id).map(|x| x.1),
        Some(OpOutcome::Succeeded { confirmed: false })
    );
}

#[test]
fn zoom_keepalive_while_held() {
    let mut h = H::up(Cam::default());
    let t = h.t();
    let id = h.start(Operation::ZoomContinuous(ZoomDirection::In));
    h.run_ms(1600);
    assert_eq!(
        h.outcome(id).map(|x| x.1),
        Some(OpOutcome::Succeeded { confirmed: true })
    );
    let times: Vec<_> = h
        .sent_of(CmdId::MANUAL_ZOOM, t)
        .iter()
        .map(|x| x.0 - t)
        .collect();
    assert_eq!(times, vec![ms(0), ms(500), ms(1000), ms(1500)]);
    assert!(h
        .sent_of(CmdId::MANUAL_ZOOM, t)
        .iter()
        .all(|x| x.1 == Request::ManualZoom(ZoomDirection::In)));
    let stop = h.start(Operation::ZoomContinuous(ZoomDirection::Stop));
    let t2 = h.t();
    h.run_ms(2000);
    let after: Vec<_> = h
        .sent_of(CmdId::MANUAL_ZOOM, t2)
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(after, vec![Request::ManualZoom(ZoomDirection::Stop)]);
    assert_eq!(
        h.outcome(stop).map(|x| x.1),
        Some(OpOutcome::Succeeded { confirmed: true })
    );
    // 1.0 + 4 steps = 1.4x, read back from the ACK / 0x18.
    assert_eq!(
        h.link.state().zoom.map(|z| z.0.value),
        Some(Zoom { int: 1, tenths: 4 })
    );
    assert!(h.count(|e| matches!(e, LinkEvent::ZoomChanged(_))) >= 4);
}

#[test]
fn lost_and_back_reruns_start_up() {
    let mut h = H::up(Cam::default());
    h.cam.silent = true;
    let t = h.t();
    h.run_ms(5000);
    let lost_at = h
        .events
        .iter()
        .find(|(_, e)| *e == LinkEvent::Health { from: Up, to: Lost })
        .map(|x| x.0)
        .expect("lost");
    // Last reply was at most one attitude period before the silence started.
    let delay = lost_at - t;
    assert!(
        delay <= ms(3000) && delay >= ms(2800),
        "lost after {delay:?}"
    );
    // While lost: only 0x02 at 1 Hz, operations rejected.
    assert!(h.sent_of(CmdId::ATTITUDE, lost_at + ms(1)).is_empty());
    assert!(h.sent_of(CmdId::HARDWARE_ID, lost_at).len() >= 2);
    let id = h.start(Operation::StartRecording);
    assert!(matches!(
        h.outcome(id),
        Some((_, OpOutcome::Rejected { .. }))
    ));
    h.cam.silent = false;
    h.run_ms(1100);
    assert_eq!(h.link.health(), Up);
    assert_eq!(
        h.health_changes(),
        vec![
            (Searching, Booting),
            (Booting, Up),
            (Up, Lost),
            (Lost, Booting),
            (Booting, Up)
        ]
    );
    assert_eq!(h.count(|e| *e == LinkEvent::Rebooted), 1);
    assert_eq!(h.count(|e| *e == LinkEvent::Identified), 2);
    assert_eq!(h.link.state().startups, 2);
}

#[test]
fn operations_in_progress_end_when_lost() {
    let mut h = H::up(Cam {
        ignore: vec![CmdId::SET_ANGLES],
        ..Cam::default()
    });
    h.cam.silent = true;
    let id = h.start(Operation::GimbalAngles {
        yaw: Decidegrees(0),
        pitch: Decidegrees(-900),
    });
    h.run_ms(4000);
    assert_eq!(h.outcome(id).map(|x| x.1), Some(OpOutcome::TimedOut));
    assert_eq!(h.link.operations_in_progress(), 0);
}

#[test]
fn reboot_seen_as_zero_firmware() {
    let mut h = H::up(Cam::default());
    h.cam.fw_zero = true;
    let t = h.t();
    h.run_ms(6000);
    let (at, _) = h
        .events
        .iter()
        .find(|(_, e)| *e == LinkEvent::Rebooted)
        .expect("reboot detected");
    assert!(*at - t <= ms(5100), "noticed after {:?}", *at - t);
    assert_eq!(h.link.health(), Booting);
    h.cam.fw_zero = false;
    h.run_ms(2100);
    assert_eq!(h.link.health(), Up);
    assert_eq!(h.link.state().startups, 2);
    assert_eq!(
        h.health_changes(),
        vec![
            (Searching, Booting),
            (Booting, Up),
            (Up, Booting),
            (Booting, Up)
        ]
    );
}

fn record_case(start: bool, sta: u8) -> (Option<OpOutcome>, usize, u8) {
    let mut h = H::up(Cam {
        record: sta,
        ..Cam::default()
    });
    let t = h.t();
    let id = h.start(if start {
        Operation::StartRecording
    } else {
        Operation::StopRecording
    });
    h.run_ms(4000);
    let toggles = h
        .sent_of(CmdId::FUNCTION, t)
        .iter()
        .filter(|x| x.1 == Request::Function(FunctionType::RecordToggle))
        .count();
    (h.outcome(id).map(|x| x.1), toggles, h.cam.record)
}

#[test]
fn record_decision_for_every_state() {
    let ok = Some(OpOutcome::Succeeded { confirmed: true });
    let no_card = Some(OpOutcome::Failed {
        reason: FailReason::NoSdCard,
    });
    // (start?, record_sta) -> (outcome, toggles sent, camera state after)
    assert_eq!(record_case(true, 0), (ok.clone(), 1, 1));
    assert_eq!(record_case(true, 1), (ok.clone(), 0, 1));
    assert_eq!(record_case(true, 2), (no_card, 0, 2));
    assert_eq!(record_case(true, 3), (ok.clone(), 1, 1));
    assert_eq!(record_case(false, 0), (ok.clone(), 0, 0));
    assert_eq!(record_case(false, 1), (ok.clone(), 1, 0));
    assert_eq!(record_case(false, 2), (ok.clone(), 0, 2));
    assert_eq!(record_case(false, 3), (ok, 0, 3));
    let (o, toggles, _) = record_case(true, 7);
    assert!(matches!(o, Some(OpOutcome::Failed { .. })));
    assert_eq!(toggles, 0);
}

#[test]
fn record_toggle_without_effect_fails() {
    let mut h = H::up(Cam {
        toggle_works: false,
        ..Cam::default()
    });
    let t = h.t();
    let id = h.start(Operation::StartRecording);
    h.run_ms(5000);
    assert_eq!(
        h.outcome(id),
        Some((
            t + ms(3000),
            OpOutcome::Failed {
                reason: FailReason::RecordingUnchanged
            }
        ))
    );
}

/// Only a reading taken after the toggle can confirm (or refute) it: a reading that arrives in
/// the same instant the toggle goes out was taken before it. Here the camera ignores the toggle
/// and then goes silent: with no reading after the toggle, the outcome is "timed out", not
/// "recording state did not change".
#[test]
fn a_reading_from_the_instant_of_the_toggle_does_not_count() {
    let mut h = H::up(Cam {
        toggle_works: false,
        ..Cam::default()
    });
    let not_recording = |h: &mut H| {
        let mut out = Vec::new();
        h.cam.handle(&Request::CameraSystemInfo)[0].encode_frame(99, &mut out);
        out
    };
    // A fresh reading now: the start is decided at once and the toggle goes out at `now`.
    let reading = not_recording(&mut h);
    h.link.handle_datagram(h.now, &reading);
    h.pump();
    let id = h.start(Operation::StartRecording);
    assert!(h.outcome(id).is_none());
    // The same (pre-toggle) reading again, in the same instant, then silence.
    h.link.handle_datagram(h.now, &reading);
    h.pump();
    h.cam.silent = true;
    h.run_ms(4000);
    assert_eq!(h.outcome(id).map(|o| o.1), Some(OpOutcome::TimedOut));
}

/// One recording change at a time: a second one while the first waits is refused, the first
/// goes on.
#[test]
fn a_second_recording_change_while_one_is_in_flight_is_refused() {
    let mut h = H::up(Cam::default());
    let first = h.start(Operation::StartRecording);
    let second = h.start(Operation::StopRecording);
    assert_eq!(
        h.outcome(second).map(|o| o.1),
        Some(OpOutcome::Failed {
            reason: FailReason::RecordingBusy
        })
    );
    h.run_ms(3000);
    assert_eq!(
        h.outcome(first).map(|o| o.1),
        Some(OpOutcome::Succeeded { confirmed: true })
    );
}

#[test]
fn record_failed_feedback() {
    let mut h = H::up(Cam {
        toggle_works: false,
        record_fail_feedback: true,
        ..Cam::default()
    });
    let id = h.start(Operation::StartRecording);
    h.run_ms(500);
    assert_eq!(
        h.outcome(id).map(|x| x.1),
        Some(OpOutcome::Failed {
            reason: FailReason::RecordingFailed
        })
    );
}

#[test]
fn record_needs_fresh_reading() {
    let mut h = H::up(Cam::default());
    // The camera stops answering 0x0A: the last reading gets old.
    h.cam.ignore = vec![CmdId::CAMERA_SYSTEM_INFO];
    h.run_ms(2000);
    let t = h.t();
    let id = h.start(Operation::StartRecording);
    h.run_ms(4000);
    assert_eq!(h.outcome(id), Some((t + ms(3000), OpOutcome::TimedOut)));
    let toggles = h.sent_of(CmdId::FUNCTION, t).len();
    assert_eq!(toggles, 0, "never toggle without a fresh reading");
    // With a stale reading the link asks for one first and decides from it.
    h.cam.ignore.clear();
    h.run_ms(1200); // stale again? no: polls resume and answer
    h.cam.ignore = vec![CmdId::CAMERA_SYSTEM_INFO];
    h.run_ms(1500);
    h.cam.ignore.clear();
    let t = h.t();
    let id = h.start(Operation::StartRecording);
    h.run_ms(3000);
    let toggle_at = h
        .sent_of(CmdId::FUNCTION, t)
        .first()
        .map(|x| x.0)
        .expect("toggled");
    assert!(
        h.sent_of(CmdId::CAMERA_SYSTEM_INFO, t)
            .first()
            .is_some_and(|x| x.0 < toggle_at),
        "decided from a new 0x0A reading"
    );
    assert_eq!(
        h.outcome(id).map(|x| x.1),
        Some(OpOutcome::Succeeded { confirmed: true })
    );
    assert_eq!(h.cam.record, 1);
    assert!(h.link.state().recording_since.is_some());
    assert!(
        h.count(|e| matches!(
            e,
            LinkEvent::RecordingChanged {
                to: RecordState::Recording,
                ..
            }
        )) == 1
    );
}

#[test]
fn photo_outcomes() {
    for (feedback, expected, at) in [
        (
            Some(FeedbackCode::PhotoOk),
            OpOutcome::Succeeded { confirmed: true },
            ms(20),
        ),
        (
            Some(FeedbackCode::PhotoFailed),
            OpOutcome::Failed {
                reason: FailReason::PhotoFailed,
            },
            ms(20),
        ),
        (None, OpOutcome::Succeeded { confirmed: false }, ms(1500)),
    ] {
        let mut h = H::up(Cam {
            photo_feedback: feedback,
            ..Cam::default()
        });
        let t = h.t();
        let id = h.start(Operation::TakePhoto);
        h.run_ms(3000);
        assert_eq!(h.outcome(id), Some((t + at, expected)));
        assert_eq!(
            h.sent_of(CmdId::FUNCTION, t)
                .iter()
                .map(|x| x.1.clone())
                .collect::<Vec<_>>(),
            vec![Request::Function(FunctionType::TakePhoto)]
        );
    }
}

/// A camera that dies right before the photo: silence is not a photo (issue 7, defect 2). The
/// same silence from a camera that goes on answering polls is an (unconfirmed) photo.
#[test]
fn photo_from_a_dead_camera_times_out() {
    let mut h = H::up(Cam {
        photo_feedback: None,
        ..Cam::default()
    });
    h.cam.silent = true;
    let t = h.t();
    let id = h.start(Operation::TakePhoto);
    h.run_ms(3000);
    assert_eq!(h.outcome(id), Some((t + ms(1500), OpOutcome::TimedOut)));
    // It answered again later: the next photo without feedback is assumed taken, since the
    // camera demonstrably answered after the command went out.
    h.cam.silent = false;
    h.run_ms(3000);
    assert_eq!(h.link.health(), Up);
    let t = h.t();
    let id = h.start(Operation::TakePhoto);
    h.run_ms(3000);
    assert_eq!(
        h.outcome(id),
        Some((t + ms(1500), OpOutcome::Succeeded { confirmed: false }))
    );
}

/// Once the camera has reported a photo with 0x0B, a photo it says nothing about (the 0x0C or
/// the 0x0B lost on the way) is not assumed taken, even though the camera answers polls.
#[test]
fn a_camera_that_reports_photos_is_not_assumed_to_take_unreported_ones() {
    let mut h = H::up(Cam::default());
    let id = h.start(Operation::TakePhoto);
    h.run_ms(100);
    assert_eq!(
        h.outcome(id).map(|o| o.1),
        Some(OpOutcome::Succeeded { confirmed: true })
    );
    h.cam.photo_feedback = None;
    let t = h.t();
    let id = h.start(Operation::TakePhoto);
    h.run_ms(3000);
    assert_eq!(h.link.health(), Up, "the camera answers polls all along");
    assert_eq!(h.outcome(id), Some((t + ms(1500), OpOutcome::TimedOut)));
}

#[test]
fn gimbal_operations() {
    let mut h = H::up(Cam::default());
    let t = h.t();
    let a = h.start(Operation::GimbalAngles {
        yaw: Decidegrees(2000),
        pitch: Decidegrees(-1200),
    });
    let r = h.start(Operation::GimbalRates {
        yaw_speed: 50,
        pitch_speed: -20,
    });
    let c = h.start(Operation::Center);
    h.run_ms(200);
    let ok = Some(OpOutcome::Succeeded { confirmed: true });
    assert_eq!(h.outcome(a).map(|x| x.1), ok);
    assert_eq!(h.outcome(r).map(|x| x.1), ok);
    assert_eq!(h.outcome(c).map(|x| x.1), ok);
    assert_eq!(
        h.sent_of(CmdId::SET_ANGLES, t)[0].1,
        Request::SetAngles {
            yaw: Decidegrees(1350),
            pitch: Decidegrees(-900)
        },
        "clamped to the A8 limits"
    );
}

#[test]
fn motion_mode_confirmed_by_system_info() {
    let mut h = H::up(Cam::default());
    let id = h.start(Operation::SetMotionMode(MotionMode::Lock));
    h.run_ms(1000);
    assert_eq!(
        h.outcome(id).map(|x| x.1),
        Some(OpOutcome::Succeeded { confirmed: true })
    );
    assert_eq!(
        h.link.state().motion_mode.map(|m| m.value),
        Some(MotionMode::Lock)
    );
    assert!(h.count(|e| *e == LinkEvent::MotionModeChanged(MotionMode::Lock)) == 1);
}

#[test]
fn rejected_promptly_when_not_up() {
    let mut h = H::new(Cam {
        silent: true,
        ..Cam::default()
    });
    let id = h.start(Operation::Center);
    assert!(matches!(h.outcome(id), Some((t, OpOutcome::Rejected { .. })) if t == ms(0)));
}

#[test]
fn bad_frames_counted_and_reported_rarely() {
    let mut h = H::up(Cam::default());
    for _ in 0..5 {
        let now = h.now;
        h.link.handle_datagram(now, &[0x12, 0x34, 0x56]);
        h.link.handle_datagram(
            now,
            &[
                0x55, 0x66, 0x02, 0x01, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00,
            ],
        );
        h.pump();
    }
    assert_eq!(h.link.stats().bad_frames, 10);
    assert_eq!(
        h.count(|e| matches!(e, LinkEvent::BadFrame(_) | LinkEvent::BadPayload(_))),
        1
    );
    assert_eq!(h.link.health(), Up);
}

#[test]
fn handle_timeout_early_or_twice_is_harmless() {
    let mut h = H::up(Cam::default());
    h.pump();
    let before = h.sent.len();
    let now = h.now;
    h.link.handle_timeout(now);
    h.link.handle_timeout(now);
    h.link.handle_timeout(now - ms(50));
    h.pump();
    assert_eq!(h.sent.len(), before);
}

#[test]
fn attitude_stream_replaces_polling_and_falls_back() {
    // A camera that acknowledges 0x25 but never streams: polling must go on.
    let config = LinkConfig {
        attitude_stream: Some(siyi_protocol::StreamFrequency::HZ_20),
        ..LinkConfig::default()
    };
    let mut h = H::with_config(Cam::default(), config.clone());
    h.run_ms(3000);
    assert!(h.sent_of(CmdId::DATA_STREAM, ms(0)).len() == 1);
    let t = h.t();
    h.run_ms(1000);
    assert!(
        h.sent_of(CmdId::ATTITUDE, t).len() >= 9,
        "polls fill the gap"
    );
    // A camera that ignores 0x25: declared unanswered, polling continues.
    let mut h = H::with_config(
        Cam {
            ignore: vec![CmdId::DATA_STREAM],
            ..Cam::default()
        },
        config,
    );
    h.run_ms(60_000);
    assert_eq!(
        h.count(
            |e| matches!(e, LinkEvent::CommandUnanswered { cmd, .. } if *cmd == CmdId::DATA_STREAM)
        ),
        1
    );
    assert!(h
        .link
        .state()
        .attitude
        .is_some_and(|a| a.is_fresh(h.now, ms(200))));
    let _ = StreamType::Main;
}

#[test]
fn the_ai_module_is_asked_for_every_5_s_and_its_boxes_become_events() {
    let mut h = H::up(Cam {
        ai: true,
        ..Cam::default()
    });
    let from = h.t();
    h.run_ms(10_000);
    let n = h.sent_of(CmdId::AI_MODE_STATUS, from).len();
    assert!((2..=3).contains(&n), "0x4D every 5 s: {n}");
    assert_eq!(
        h.count(|e| matches!(e, LinkEvent::AiModeChanged(AiMode::On))),
        1,
        "a change is told once"
    );
    assert_eq!(h.link.state().ai_mode.map(|m| m.value), Some(AiMode::On));
    let id = h.start(Operation::SetAiStream { on: true });
    h.run_ms(100);
    assert!(matches!(
        h.outcome(id),
        Some((_, OpOutcome::Succeeded { confirmed: true }))
    ));
    // A pushed 0x50 box is an event and the latest box in the state; not "unsolicited".
    let unsolicited = h.link.stats().unsolicited;
    let track = AiTrack {
        x_px: 640,
        y_px: 360,
        width_px: 100,
        height_px: 50,
        target: AiTarget::Car,
        status: AiTrackStatus::Tracking,
    };
    h.push(Reply::AiTracking(track));
    assert_eq!(h.count(|e| *e == LinkEvent::AiTrack(track)), 1);
    assert_eq!(h.link.state().ai_track.map(|t| t.value), Some(track));
    assert_eq!(h.link.stats().unsolicited, unsolicited);
}

#[test]
fn without_an_ai_module_the_stream_switch_fails_and_silence_gives_0x4d_up() {
    let mut h = H::up(Cam::default());
    let id = h.start(Operation::SetAiStream { on: true });
    h.run_ms(100);
    assert!(matches!(
        h.outcome(id),
        Some((
            _,
            OpOutcome::Failed {
                reason: FailReason::AiRefused
            }
        ))
    ));
    let mut h = H::up(Cam {
        ignore: vec![CmdId::AI_MODE_STATUS],
        ..Cam::default()
    });
    h.run_ms(60_000);
    assert_eq!(
        h.count(|e| matches!(
            e,
            LinkEvent::CommandUnanswered {
                cmd: CmdId::AI_MODE_STATUS,
                fallback: FallbackUsed::NoAiModule
            }
        )),
        1
    );
    let t = h.t();
    h.run_ms(20_000);
    assert!(
        h.sent_of(CmdId::AI_MODE_STATUS, t).is_empty(),
        "given up: no more polls"
    );
}

/// Every operation's outcome names the part that started it (the bridge routes by it), for
/// operations that end at once (rejected while booting) and later (answered), and the link
/// forgets each owner once the outcome is out.
#[test]
fn each_outcome_names_the_owner_that_started_it_and_the_link_then_forgets_it() {
    let mut booting = H::new(Cam {
        fw_zero: true,
        ..Cam::default()
    });
    let id = booting
        .link
        .start(booting.now, Owner::Gimbal, Operation::Center);
    booting.pump();
    assert_eq!(
        owner_of(&booting, id),
        Some(Owner::Gimbal),
        "rejected at once"
    );
    assert_eq!(booting.link.operations_unreported(), 0);

    let mut h = H::up(Cam::default());
    let owners = [
        (Owner::Photos, Operation::TakePhoto),
        (Owner::Zoom, Operation::ZoomTo { factor: 2.0 }),
        (Owner::Tracking, Operation::SetAiStream { on: true }),
        (Owner::Video, Operation::StartRecording),
    ];
    let ids: Vec<_> = owners
        .iter()
        .map(|(owner, op)| (h.link.start(h.now, *owner, *op), *owner))
        .collect();
    h.pump();
    assert_eq!(h.link.operations_unreported(), owners.len());
    h.run_ms(20_000);
    for (id, owner) in ids {
        assert_eq!(owner_of(&h, id), Some(owner), "{id:?}");
    }
    assert_eq!(h.link.operations_unreported(), 0, "every owner forgotten");
}

fn owner_of(h: &H, id: OpId) -> Option<Owner> {
    let mut owners = h.events.iter().filter_map(|(_, e)| match e {
        LinkEvent::OpFinished { id: i, owner, .. } if *i == id => Some(*owner),
        _ => None,
    });
    let first = owners.next();
    assert!(owners.next().is_none(), "operation {id:?} finished twice");
    first
}
