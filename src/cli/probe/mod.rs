//! `siyi-bridge camera probe`: the thin I/O runner around [`crate::core::probe`]. It sends what
//! a question says, collects what comes back (every datagram both ways is kept for the JSONL
//! fixture), asks the web server, reads the clock, writes the two files and prints the summary.
//! Every conclusion is the core's.
//!
//! Safety: the gimbal moves only with `--allow-motion` (a 0x07 speed of 20 for one second, then
//! a stop, sent again on every exit path, and the angles found are restored with 0x0E); a photo
//! is taken only with `--allow-capture` (one 0x0C photo, never a recording); nothing formats,
//! reboots, or changes the IP or encoding settings; zoom and motion mode are read at the start
//! and put back if they changed.

mod capture;
mod options;
mod web;
mod wire;

use options::write_file;
pub use options::{summary, ProbeArgs, ProbeOptions, ProbeOutcome};
use wire::{ms, Wire};

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use siyi_protocol::{CmdId, FunctionType, MotionMode, Reply, Request, StreamFrequency};

use crate::core::probe::{
    self, Conclusion, Heard, ProbeReport, Question, QuestionId, QuestionReport, Timings,
};
use crate::io::driver::utc_us;
use crate::io::siyi::{clock_now, SiyiSocket};

/// The 0x07 yaw speed of the sign test (of ±100).
const YAW_TEST_SPEED: i8 = 20;
/// How long the sign test turns.
const YAW_TEST_TURN: Duration = Duration::from_millis(1000);
/// How often the attitude is read during the sign test's turn.
const YAW_TEST_POLL: Duration = Duration::from_millis(200);
/// How long the attitude stream is listened to.
const STREAM_WINDOW: Duration = Duration::from_millis(1000);
/// After the stream's off request, frames later than this count as "still streaming".
const STREAM_SETTLE: Duration = Duration::from_millis(300);
/// How often the firmware is asked while it reads 0.0.0.
const BOOT_POLL: Duration = Duration::from_millis(1000);

/// The probe in progress: the socket, the traffic kept for the JSONL, the report so far.
struct Runner {
    wire: Wire,
    opts: ProbeOptions,
    report: ProbeReport,
    initial_mode: Option<MotionMode>,
    initial_zoom: Option<siyi_protocol::Zoom>,
}

impl Runner {
    /// Asks a request/reply question (up to `tries` times while silent) and records its entry.
    async fn ask(&mut self, q: &Question, tries: u32) -> Vec<Heard> {
        let window = self.opts.reply_timeout;
        let mut sent = Vec::new();
        let mut all = Vec::new();
        for _ in 0..tries.max(1) {
            let (hex, heard) = self
                .wire
                .exchange(&q.request, Some(q.expect.reply_cmd), window)
                .await;
            sent.push(hex);
            all = heard;
            if q.answered(&all) {
                break;
            }
        }
        let alive = if q.answered(&all) {
            None
        } else {
            Some(self.wire.alive(self.opts.reply_timeout, &mut sent).await)
        };
        let j = probe::judge_reply(&q.expect, &all, ms(window), alive);
        self.push(QuestionReport::new(q, sent, j));
        all
    }

    fn push(&mut self, entry: QuestionReport) {
        tracing::info!(id = ?entry.id, conclusion = ?entry.judgement.conclusion, note = %entry.judgement.note, "probe");
        self.report.questions.push(entry);
    }

    fn last_mut(&mut self) -> Option<&mut QuestionReport> {
        self.report.questions.last_mut()
    }

    async fn run_all(&mut self) {
        // Identity.
        let heard = self.ask(&probe::hardware_id_question(), 3).await;
        if let Some(Reply::HardwareId(id)) = probe::first_reply(CmdId::HARDWARE_ID, &heard) {
            self.report.set_hardware_id(&id);
        }
        self.firmware_and_boot().await;
        if self.report.hardware_id.is_none() && self.report.gimbal_firmware.is_none() {
            // Nothing answered 0x02 or 0x01: asking the rest would only wait out every timeout.
            self.report.camera_silent = true;
            return;
        }

        // Read-only questions.
        for q in probe::read_questions(utc_us()) {
            let heard = self.ask(&q, 1).await;
            let reply = probe::first_reply(q.expect.reply_cmd, &heard);
            match (q.id, reply) {
                (QuestionId::RecordState, Some(Reply::CameraSystemInfo(info))) => {
                    self.initial_mode = info.motion_mode;
                    if let Some(e) = self.last_mut() {
                        e.details
                            .insert("record_sta".into(), info.record_sta.to_u8().to_string());
                        if let Some(m) = info.motion_mode {
                            e.details.insert("motion_mode".into(), format!("{m:?}"));
                        }
                    }
                }
                (QuestionId::CurrentZoom, Some(Reply::CurrentZoom(z))) => {
                    self.initial_zoom = Some(z);
                    if let Some(e) = self.last_mut() {
                        e.details
                            .insert("zoom".into(), format!("{:.1}", z.factor()));
                    }
                }
                (_, Some(Reply::MaxZoom(z))) => {
                    if let Some(e) = self.last_mut() {
                        e.details
                            .insert("max_zoom".into(), format!("{:.1}", z.factor()));
                    }
                }
                (QuestionId::AiModule, Some(Reply::AiModeStatus(mode))) => {
                    let on = mode.to_u8() == 1;
                    if let Some(e) = self.last_mut() {
                        e.details.insert("ai_mode".into(), mode.to_u8().to_string());
                        if !on && e.judgement.conclusion == Conclusion::Supported {
                            // 0x4D answered "off": the camera supports the question (it stays
                            // Supported); the answer is that no module is fitted (or it is off).
                            e.judgement.note = format!(
                                "{}; AI mode off: no AI tracking module fitted (or it is off)",
                                e.judgement.note
                            );
                        } else if on {
                            e.judgement.note =
                                format!("{}; AI mode on: AI module fitted", e.judgement.note);
                        }
                    }
                }
                (QuestionId::IpByteOrder, _) => {
                    let payload = probe::first_payload(probe::CMD_GET_IP, &heard);
                    let cam_ip = match self.opts.camera.ip() {
                        std::net::IpAddr::V4(v4) => Some(v4.octets()),
                        std::net::IpAddr::V6(_) => None,
                    };
                    if let (Some(p), Some(e)) = (payload, self.report.questions.last_mut()) {
                        e.details.extend(probe::ip_byte_order(&p, cam_ip));
                    }
                }
                _ => {}
            }
        }

        self.attitude_stream().await;
        let web_ok = self.web_server().await;
        if self.opts.allow_capture {
            self.photo(web_ok).await;
        } else {
            for (id, cmd, title) in [
                (
                    QuestionId::PhotoFeedback,
                    "0x0b",
                    "0x0B photo feedback over UDP",
                ),
                (
                    QuestionId::PhotoListed,
                    "http",
                    "photo → listed by the web server",
                ),
            ] {
                self.push(QuestionReport::skipped(
                    id,
                    cmd,
                    title,
                    "needs --allow-capture",
                ));
            }
        }
        if self.opts.allow_motion {
            self.yaw_sign().await;
        } else {
            self.push(QuestionReport::skipped(
                QuestionId::YawSign,
                "0x07",
                "0x07 yaw sign",
                "needs --allow-motion",
            ));
        }
        for q in probe::exif_questions() {
            self.ask(&q, 1).await;
        }
        self.restore().await;
    }

    /// 0x01 once a second while it reads 0.0.0: the firmware, and the boot window if observed.
    async fn firmware_and_boot(&mut self) {
        let q = probe::firmware_question();
        let deadline = clock_now() + self.opts.boot_timeout;
        let mut sent = Vec::new();
        let mut seen: Vec<(u64, bool)> = Vec::new();
        let mut last = Vec::new();
        let mut silent_tries = 0;
        loop {
            let (hex, at) = self.wire.send(&q.request).await;
            sent.push(hex);
            let heard = self
                .wire
                .listen(at, at + self.opts.reply_timeout, |h| q.answered(h))
                .await;
            let next = at + BOOT_POLL;
            match probe::first_reply(CmdId::FIRMWARE_VERSION, &heard) {
                Some(Reply::FirmwareVersion { camera, gimbal, .. }) => {
                    seen.push((self.wire.elapsed_ms(at), camera.is_zero()));
                    self.report.gimbal_firmware = Some(gimbal.to_string());
                    if !camera.is_zero() {
                        self.report.camera_firmware = Some(camera.to_string());
                        last = heard;
                        break;
                    }
                    last = heard;
                }
                _ => {
                    silent_tries += 1;
                    if seen.is_empty() && silent_tries >= 3 {
                        last = heard;
                        break;
                    }
                }
            }
            if clock_now() >= deadline {
                break;
            }
            // Wait out the rest of the second, keeping whatever arrives.
            let _ = self.wire.listen(at, next.min(deadline), |_| false).await;
        }
        let j = probe::judge_reply(
            &q.expect,
            &last,
            ms(self.opts.reply_timeout),
            if seen.is_empty() { Some(false) } else { None },
        );
        let mut entry = QuestionReport::new(&q, sent, j);
        if let Some(fw) = &self.report.camera_firmware {
            entry.details.insert("camera_firmware".into(), fw.clone());
        }
        if let Some(fw) = &self.report.gimbal_firmware {
            entry.details.insert("gimbal_firmware".into(), fw.clone());
        }
        self.push(entry);
        let boot = probe::judge_boot(&seen);
        if boot.conclusion == Conclusion::Supported {
            self.report.timings.boot_window_ms = boot.latency_ms;
        }
        self.push(QuestionReport {
            id: QuestionId::BootWindow,
            cmd: "0x01".into(),
            title: "firmware 0.0.0 window after power-up".into(),
            sent: Vec::new(),
            judgement: boot,
            a8_len: None,
            skipped: false,
            details: Default::default(),
        });
    }

    async fn attitude_stream(&mut self) {
        let on_req = Request::DataStream {
            data_type: siyi_protocol::DataStreamType::Attitude,
            freq: StreamFrequency::HZ_10,
        };
        let off_req = Request::DataStream {
            data_type: siyi_protocol::DataStreamType::Attitude,
            freq: StreamFrequency::OFF,
        };
        let (on_hex, on) = self.wire.exchange(&on_req, None, STREAM_WINDOW).await;
        // Always switched off again, whatever the camera said.
        let (off_hex, off) = self
            .wire
            .exchange(&off_req, None, STREAM_WINDOW.max(STREAM_SETTLE * 2))
            .await;
        let mut sent = vec![on_hex, off_hex];
        let answered =
            probe::answered(CmdId::DATA_STREAM, &on) || probe::answered(CmdId::ATTITUDE, &on);
        let alive = if answered {
            None
        } else {
            Some(self.wire.alive(self.opts.reply_timeout, &mut sent).await)
        };
        let (j, details) =
            probe::judge_stream(&on, &off, ms(STREAM_WINDOW), ms(STREAM_SETTLE), alive);
        let q = Question {
            id: QuestionId::AttitudeStream,
            title: "0x25 attitude stream: on at 10 Hz, then off",
            request: on_req,
            expect: probe::Expect::reply(CmdId::DATA_STREAM, 1, 1),
        };
        let mut entry = QuestionReport::new(&q, sent, j);
        entry.details = details;
        self.push(entry);
    }

    /// The web server answers the media API? Returns whether it did.
    async fn web_server(&mut self) -> bool {
        let entry = capture::web_server(&self.opts).await;
        let ok = entry.judgement.conclusion == Conclusion::Supported;
        self.push(entry);
        ok
    }

    /// One photo: 0x0B over UDP, and how long until the web server lists it.
    async fn photo(&mut self, web_ok: bool) {
        let [feedback, listed] = capture::photo(&mut self.wire, &self.opts, web_ok).await;
        let latency = |e: &QuestionReport| {
            (e.judgement.conclusion == Conclusion::Supported)
                .then_some(e.judgement.latency_ms)
                .flatten()
        };
        if let Some(ms) = latency(&feedback) {
            self.report.timings.photo_feedback_ms = Some(ms);
        }
        if let Some(ms) = latency(&listed) {
            self.report.timings.photo_listed_ms = Some(ms);
        }
        self.push(feedback);
        self.push(listed);
    }

    /// 0x07 yaw sign: read, turn slowly for 1 s, stop, read, put the angles back.
    async fn yaw_sign(&mut self) {
        let mut sent = Vec::new();
        let before = self.wire.attitude(self.opts.reply_timeout, &mut sent).await;
        if before.is_none() {
            // No reading to compare with or to go back to: do not move.
            let (j, details) = probe::judge_yaw_sign(None, None, YAW_TEST_SPEED);
            let mut entry = QuestionReport::skipped(
                QuestionId::YawSign,
                "0x07",
                "0x07 yaw sign",
                "no 0x0D attitude reading, so the gimbal was not moved",
            );
            entry.sent = sent;
            entry.judgement.note = format!("{}; {}", entry.judgement.note, j.note);
            entry.details = details;
            self.push(entry);
            return;
        }
        let turn = Request::GimbalRotation {
            yaw_speed: YAW_TEST_SPEED,
            pitch_speed: 0,
        };
        let (hex, at) = self.wire.send(&turn).await;
        self.wire.moving = true;
        sent.push(hex);
        // Read the attitude while turning (the traffic shows the motion).
        let end = at + YAW_TEST_TURN;
        while clock_now() < end {
            let (_, t) = self.wire.send(&Request::Attitude).await;
            let _ = self
                .wire
                .listen(t, (t + YAW_TEST_POLL).min(end), |_| false)
                .await;
        }
        self.wire.stop_motion(&mut sent).await;
        let now = clock_now();
        let _ = self
            .wire
            .listen(now, now + Duration::from_millis(300), |_| false)
            .await;
        let after = self.wire.attitude(self.opts.reply_timeout, &mut sent).await;
        let (j, details) = probe::judge_yaw_sign(before.as_ref(), after.as_ref(), YAW_TEST_SPEED);
        if let Some(b) = before {
            let back = Request::SetAngles {
                yaw: b.yaw,
                pitch: b.pitch,
            };
            let (hex, _) = self
                .wire
                .exchange(&back, Some(CmdId::SET_ANGLES), self.opts.reply_timeout)
                .await;
            sent.push(hex);
            self.report.restored.push(format!(
                "gimbal angles yaw {:.1}° pitch {:.1}° (SIYI convention)",
                b.yaw.degrees(),
                b.pitch.degrees()
            ));
        }
        let q = Question {
            id: QuestionId::YawSign,
            title: "0x07 yaw sign (gimbal turned slowly for 1 s)",
            request: turn,
            expect: probe::Expect::reply(CmdId::GIMBAL_ROTATION, 1, 1),
        };
        let mut entry = QuestionReport::new(&q, sent, j);
        entry.details = details;
        entry.a8_len = None;
        self.push(entry);
    }

    /// Puts the motion mode and zoom back if they changed.
    async fn restore(&mut self) {
        if let Some(mode) = self.initial_mode {
            let (window, mut sent) = (self.opts.reply_timeout, Vec::new());
            let read = (self.wire)
                .read(
                    &Request::CameraSystemInfo,
                    CmdId::CAMERA_SYSTEM_INFO,
                    window,
                    &mut sent,
                )
                .await;
            if let Some(Reply::CameraSystemInfo(info)) = read {
                if info.motion_mode.is_some_and(|m| m != mode) {
                    if let Some(f) = FunctionType::set_motion_mode(mode) {
                        self.wire.send(&Request::Function(f)).await;
                        self.report.restored.push(format!("motion mode {mode:?}"));
                    }
                }
            }
        }
        if let Some(zoom) = self.initial_zoom {
            let (window, mut sent) = (self.opts.reply_timeout, Vec::new());
            let read = (self.wire)
                .read(
                    &Request::CurrentZoom,
                    CmdId::CURRENT_ZOOM,
                    window,
                    &mut sent,
                )
                .await;
            if let Some(Reply::CurrentZoom(now)) = read {
                if now != zoom {
                    self.wire
                        .exchange(
                            &Request::AbsoluteZoom(zoom),
                            Some(CmdId::ABSOLUTE_ZOOM),
                            self.opts.reply_timeout,
                        )
                        .await;
                    self.report
                        .restored
                        .push(format!("zoom {:.1}×", zoom.factor()));
                }
            }
        }
    }
}

/// Runs a probe until it ends or `cancel` completes (Ctrl-C), then writes the two files into
/// `opts.out` and returns the report. The gimbal is stopped on every path once it was moved.
pub async fn run_probe(
    opts: ProbeOptions,
    cancel: impl Future<Output = ()>,
) -> anyhow::Result<ProbeOutcome> {
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("cannot create {}", opts.out.display()))?;
    let socket = SiyiSocket::connect(opts.camera, opts.bind)
        .await
        .with_context(|| format!("cannot open a UDP socket towards {}", opts.camera))?;
    let start = clock_now();
    let report = ProbeReport {
        format: probe::REPORT_FORMAT,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        camera: opts.camera.to_string(),
        date_utc: probe::utc_date(utc_us()),
        model: None,
        hardware_id: None,
        camera_firmware: None,
        gimbal_firmware: None,
        allow_motion: opts.allow_motion,
        allow_capture: opts.allow_capture,
        interrupted: false,
        camera_silent: false,
        restored: Vec::new(),
        timings: Timings::default(),
        questions: Vec::new(),
    };
    let mut runner = Runner {
        wire: Wire::new(socket, start),
        opts,
        report,
        initial_mode: None,
        initial_zoom: None,
    };
    let interrupted = {
        let work = runner.run_all();
        tokio::pin!(work);
        tokio::pin!(cancel);
        tokio::select! {
            () = &mut work => false,
            () = &mut cancel => true,
        }
    };
    if runner.wire.moving {
        // Interrupted mid-turn: never leave the gimbal moving.
        let mut sent = Vec::new();
        runner.wire.stop_motion(&mut sent).await;
        runner
            .report
            .restored
            .push("gimbal stopped (0x07 0, 0)".into());
    }
    runner.report.interrupted = interrupted;
    runner.report.timings.total_ms = runner.wire.elapsed_ms(clock_now());
    write_outputs(runner)
}

fn write_outputs(runner: Runner) -> anyhow::Result<ProbeOutcome> {
    let stem = runner.report.file_stem();
    let dir = &runner.opts.out;
    let jsonl_path = dir.join(format!("{stem}.jsonl"));
    let json_path = dir.join(format!("{stem}.json"));
    let mut text = String::new();
    for line in &runner.wire.traffic {
        text.push_str(&line.to_json());
        text.push('\n');
    }
    write_file(&jsonl_path, text.as_bytes())?;
    let json = serde_json::to_string_pretty(&runner.report).context("cannot encode the report")?;
    write_file(&json_path, json.as_bytes())?;
    Ok(ProbeOutcome {
        report: runner.report,
        jsonl_path,
        json_path,
    })
}

/// Runs `siyi-bridge camera probe` for the CLI: Ctrl-C stops it and still writes the files.
pub async fn run_cli(
    camera: SocketAddr,
    bind: Option<SocketAddr>,
    boot_timeout: Duration,
    args: &ProbeArgs,
) -> anyhow::Result<()> {
    let opts = ProbeOptions {
        camera,
        bind,
        media: SocketAddr::new(camera.ip(), args.media_port),
        out: args.out.clone(),
        allow_motion: args.allow_motion,
        allow_capture: args.allow_capture,
        reply_timeout: Duration::from_millis(args.reply_timeout_ms),
        boot_timeout,
    };
    eprintln!(
        "probing {camera} (gimbal motion {}, photo {}); Ctrl-C stops and still writes the files…",
        if opts.allow_motion { "allowed" } else { "off" },
        if opts.allow_capture { "allowed" } else { "off" },
    );
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let outcome = run_probe(opts, cancel).await?;
    out!("{}", summary(&outcome))?;
    if outcome.report.camera_silent && !outcome.report.interrupted {
        anyhow::bail!(
            "nothing answered at {camera}: no SIYI camera there (check --camera, that it is powered \
             and that this machine is on its network)"
        );
    }
    Ok(())
}
