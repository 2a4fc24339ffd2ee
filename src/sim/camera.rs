//! Sans-IO model of a SIYI A8 mini: bytes and `now` in, datagrams and deadlines out.
//!
//! [`SimCamera`] never reads a clock, a socket or the environment. The caller passes `now` to
//! [`SimCamera::handle_datagram`] / [`SimCamera::handle_timeout`], sends what
//! [`SimCamera::poll_transmit`] returns and calls `handle_timeout` again at
//! [`SimCamera::poll_timeout`]. All randomness (the drop / corrupt fault knobs) comes from a
//! `SmallRng` seeded by [`SimConfig::seed`], so one seed and one input sequence always give the
//! same output bytes.
//!
//! Behaviour follows `siyi-protocol.md` (the project's reference for the camera):
//!
//! * replies carry CTRL 0x02 and the camera's **own** SEQ counter (starting at 0 after each boot,
//!   +1 per frame put on the wire, dropped frames included), never the request's SEQ;
//! * A8 reply lengths: 0x01 is 8 bytes (no zoom word), 0x0A is 7 bytes;
//! * the camera firmware word reads 0.0.0 for [`SimConfig::boot_time_ms`] after power-up or a
//!   reboot (the gimbal word is real at once: the gimbal board boots in well under a second);
//! * 0x0C is never acknowledged; unknown command ids get no reply (there is no NAK);
//! * the CTRL byte of requests is not checked (CTRL 0x00 is answered too), except that frames
//!   marked as replies (`ack_pack` bit) are ignored, so two simulators cannot ping-pong;
//! * pushes (0x0B), the 0x25 attitude stream and the AI module's 0x50 frames go to the most
//!   recent client (see [`Transmit`]).
//!
//! Choices where the sources are silent (all configurable in [`SimConfig`]):
//!
//! * continuous zoom (0x05) runs at 1.5× per second (1.0× → 6.0× in 3.3 s) and stops at a
//!   `0x05 00`, at a limit, or when no non-zero 0x05 arrives for 1000 ms (a held zoom button must be
//!   re-sent, as ArduPilot does every second; the bridge should re-send about every 500 ms);
//! * absolute zoom (0x0F) jumps at once; the 0x05 ACK carries the zoom at the time of the request;
//! * set angles (0x0E), centering (0x08) and tilt-down slew each axis at 90°/s; the rate command
//!   (0x07) maps ±100 to ±90°/s and needs no keep-alive (it runs until `0x07 00 00` or a limit);
//! * photo feedback (0x0B code 0, or 1 without SD card) arrives 250 ms after the 0x0C;
//!   recording without SD card pushes 0x0B code 4 after the same delay; codes 5/6 (2025 doc only)
//!   are never sent;
//! * a reboot (0x80 camera, or the [`SimConfig::reboot_at_ms`] fault) makes the camera silent for
//!   [`SimConfig::reboot_silence_ms`], then it answers again with firmware 0.0.0 for the boot time;
//!   recording stops, zoom returns to 1.0×, streams stop, pending codec / video-output changes
//!   take effect;
//! * AI tracking (0x4D, 0x4E, 0x51, 0x50) follows `sim/ai.rs`: with [`SimConfig::ai_module`]
//!   the camera looks at the synthetic scene of `sim/scene.rs` (a car on a known path) and
//!   streams its box at 30 Hz; without the module it says "off" and never streams;
//! * encoding defaults (sim choice, not a capture): recording H.265 1920×1080 8000 kbps 30 fps,
//!   main stream H.265 1920×1080 4000 kbps 30 fps, sub stream H.264 1280×720 2000 kbps 30 fps.
//!   With a 4K recording resolution the zoom is locked at 1.0× (manual §5.3).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use siyi_protocol::{
    Attitude, CmdId, DataStreamType, FeedbackCode, FirmwareVersion, FrameDecoder, FunctionType,
    MotionMode, MountingDirection, Reply, Request, SystemInfo, Zoom,
};

pub use super::ai::{AI_STREAM_HZ, LOST_AFTER_MS};
pub use super::config::SimConfig;
pub use super::gimbal::{GimbalMotion, PITCH_MAX_DEG, PITCH_MIN_DEG, YAW_LIMIT_DEG};
pub use super::outbox::Transmit;
pub use super::recorder::SimMedia;
pub use super::scene::{Direction, ImageBox, SimPose};
pub use super::state::{SimState, SimStats};
pub use super::zoom::{ZoomMotion, MAX_ZOOM, MIN_ZOOM};

use super::ai::AiModule;
use super::config::later;
use super::exif::ExifInputs;
use super::gimbal::Gimbal;
use super::outbox::{Dest, Outbox};
use super::power::{Power, RebootPlan};
use super::recorder::Recorder;
use super::scene;
use super::state::TargetTruth;
use super::video::Video;
use super::zoom::ZoomLens;

/// The simulated A8 mini. See the [module documentation](self) for the behaviour.
///
/// It owns one part per piece of state (`Gimbal`, `ZoomLens`, `Recorder`, `Video`,
/// `Power`, `Outbox`, `AiModule`), decodes requests and dispatches each to the parts it concerns.
#[derive(Debug)]
pub struct SimCamera {
    config: SimConfig,
    gimbal: Gimbal,
    zoom: ZoomLens,
    recorder: Recorder,
    video: Video,
    power: Power,
    outbox: Outbox,
    ai: AiModule,
    /// Power-up instant: scene time counts from here.
    started: Instant,
    /// Counters of the way in (the way out counts in the outbox).
    stats_in: SimStats,
    decoder: FrameDecoder,
    /// Time up to which the state has been advanced.
    clock: Instant,
    last_client: Option<SocketAddr>,
    attitude_stream_hz: u16,
    next_stream_tick: Option<Instant>,
    exif: ExifInputs,
}

impl SimCamera {
    /// A camera powered up at `now`. Probabilities are clamped to 0…1, speeds made non-negative
    /// and finite, delays capped at about 31 years.
    pub fn new(config: SimConfig, now: Instant) -> Self {
        let config = config.sanitized();
        Self {
            gimbal: Gimbal::new(&config),
            zoom: ZoomLens::new(&config, now),
            recorder: Recorder::new(config.sd_card),
            video: Video::new(),
            power: Power::new(&config, now),
            outbox: Outbox::new(&config),
            ai: AiModule::new(&config),
            started: now,
            config,
            stats_in: SimStats::default(),
            decoder: FrameDecoder::new(),
            clock: now,
            last_client: None,
            attitude_stream_hz: 0,
            next_stream_tick: None,
            exif: ExifInputs::default(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// A snapshot of the camera state as of the last `now` passed in.
    pub fn state(&self) -> SimState {
        SimState {
            booting_until: self.power.booting_until,
            silent_until: self.power.silent_until,
            zoom: self.zoom.level,
            zoom_motion: self.zoom.motion,
            yaw_deg: self.gimbal.yaw_deg,
            pitch_deg: self.gimbal.pitch_deg,
            roll_deg: self.gimbal.roll_deg,
            gimbal: self.gimbal.motion,
            recording: self.recorder.recording,
            sd_card: self.recorder.sd_card,
            motion_mode: self.gimbal.mode,
            photos_taken: self.recorder.photos_taken,
            attitude_stream_hz: self.attitude_stream_hz,
            encoding: self.video.encoding,
            utc_time_us: self.exif.utc_time_us,
            exif: self.exif,
            video_output: self.video.output,
            reboots: self.power.reboots,
            next_seq: self.outbox.next_seq,
            scene_time_s: self.scene_time_s(self.clock),
            target: self.target_truth(),
            ai_stream_on: self.ai.stream_on,
            ai_frames_pushed: self.ai.frames_pushed,
        }
    }

    /// Where the camera looks and the scene time, as of the last `now` passed in: what the AI
    /// module and a simulated tracker see.
    pub fn pose(&self) -> SimPose {
        self.pose_at(self.clock)
    }

    fn pose_at(&self, t: Instant) -> SimPose {
        SimPose {
            yaw_deg: self.gimbal.yaw_deg,
            pitch_deg: self.gimbal.pitch_deg,
            zoom: self.zoom.level,
            scene_time_s: self.scene_time_s(t),
        }
    }

    fn scene_time_s(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.started).as_secs_f64()
    }

    /// The scene's target now: its direction and where it is in the picture.
    fn target_truth(&self) -> TargetTruth {
        let pose = self.pose();
        TargetTruth {
            direction: scene::target_direction(pose.scene_time_s),
            image: scene::target_box(&pose),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        let out = self.outbox.counters;
        SimStats {
            frames_out: out.frames_out,
            dropped_out: out.dropped_out,
            corrupted_out: out.corrupted_out,
            queue_overflow: out.queue_overflow,
            ..self.stats_in
        }
    }

    /// The current attitude as a 0x0D reply would carry it.
    pub fn attitude(&self) -> Attitude {
        self.gimbal.attitude()
    }

    /// Handles one received datagram from an unknown address (replies get `to: None`).
    pub fn handle_datagram(&mut self, now: Instant, bytes: &[u8]) {
        self.handle_datagram_from(now, None, bytes);
    }

    /// Handles one received datagram from `from`: every valid frame in it is a request; garbage and
    /// bad frames are counted and skipped; frames do not span datagrams.
    pub fn handle_datagram_from(&mut self, now: Instant, from: Option<SocketAddr>, bytes: &[u8]) {
        self.advance(now);
        self.stats_in.datagrams_in += 1;
        if self.power.is_silent(now) {
            self.stats_in.ignored_frames += 1;
            return;
        }
        if from.is_some() {
            self.last_client = from;
        }
        let before = self.decoder.stats();
        self.decoder.push(bytes);
        let mut frames = Vec::new();
        while let Some(item) = self.decoder.next_frame() {
            match item {
                Ok(frame) => frames.push(frame),
                Err(_) => self.stats_in.bad_frames_in += 1,
            }
        }
        self.decoder.clear();
        let after = self.decoder.stats();
        self.stats_in.garbage_bytes_in += after.garbage_bytes - before.garbage_bytes;
        for frame in frames {
            self.stats_in.frames_in += 1;
            self.handle_frame(now, from, frame.ctrl.ack_pack(), frame.cmd, frame.payload());
        }
        self.release_due(now);
    }

    /// Advances time to `now`: motion, the attitude stream, delayed frames, a planned reboot.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        self.release_due(now);
    }

    /// The next instant at which [`SimCamera::handle_timeout`] has work to do (`None`: nothing
    /// planned). Motion is computed exactly whenever time is advanced, so it needs no timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let reboot = self.power.planned().map(|r| r.at);
        [
            self.outbox.next_due(),
            self.next_stream_tick,
            self.ai.next_tick(),
            reboot,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next datagram ready to send (one frame each), without its destination.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop().map(|t| t.bytes)
    }

    /// The next datagram ready to send, with its destination.
    pub fn poll_transmit_to(&mut self) -> Option<Transmit> {
        self.outbox.pop()
    }

    /// The next file the camera put on its SD card (a photo taken, a recording finished), for
    /// the I/O shell to write; in the order they happened. At most 1 024 wait (the oldest go).
    pub fn poll_media(&mut self) -> Option<SimMedia> {
        self.recorder.media.pop_front()
    }

    fn release_due(&mut self, now: Instant) {
        self.outbox.release_due(now, self.last_client);
    }

    /// Brings the model to `now`, handling stream ticks and reboots in time order (at one instant:
    /// the reboot first, then the attitude stream, then the AI stream).
    fn advance(&mut self, now: Instant) {
        let now = now.max(self.clock);
        loop {
            let reboot = self.power.planned().filter(|r| r.at <= now);
            let tick = self.next_stream_tick.filter(|&t| t <= now);
            let ai_tick = self.ai.next_tick().filter(|&t| t <= now);
            let first = [
                reboot.map(|r| (r.at, Due::Reboot(r))),
                tick.map(|t| (t, Due::Attitude)),
                ai_tick.map(|t| (t, Due::Ai)),
            ]
            .into_iter()
            .flatten()
            .min_by_key(|(at, due)| (*at, due.rank()));
            match first {
                None => break,
                Some((_, Due::Reboot(r))) => self.reboot(r),
                Some((t, Due::Attitude)) => {
                    self.integrate(t);
                    self.release_due(t);
                    let frame = Reply::Attitude(self.gimbal.attitude());
                    self.outbox.schedule(t, Dest::LatestClient, frame);
                    self.next_stream_tick = self.stream_period().map(|p| {
                        let mut next = t + p;
                        while next <= now {
                            next += p;
                        }
                        next
                    });
                }
                Some((t, Due::Ai)) => {
                    self.integrate(t);
                    self.release_due(t);
                    let pose = self.pose_at(t);
                    let track = self.ai.tick(t, now, &pose);
                    self.outbox
                        .schedule(t, Dest::LatestClient, Reply::AiTracking(track));
                }
            }
        }
        self.integrate(now);
        self.power.wake(now);
    }

    fn reboot(&mut self, plan: RebootPlan) {
        self.integrate(plan.at);
        self.release_due(plan.at);
        self.power.start(plan);
        if plan.camera {
            self.outbox.reboot();
            self.recorder.stop_recording();
            self.zoom.reset();
            self.attitude_stream_hz = 0;
            self.next_stream_tick = None;
            self.ai.stop();
            self.video.reboot();
            self.exif.reboot();
        }
        if plan.gimbal {
            self.gimbal.recenter();
        }
    }

    fn stream_period(&self) -> Option<Duration> {
        match self.attitude_stream_hz {
            0 => None,
            hz => Some(Duration::from_secs(1) / u32::from(hz)),
        }
    }

    /// Moves zoom and gimbal from `self.clock` to `to` exactly (piecewise linear motion).
    fn integrate(&mut self, to: Instant) {
        if to <= self.clock {
            return;
        }
        let from = self.clock;
        self.clock = to;
        self.zoom.integrate(from, to);
        self.gimbal.integrate((to - from).as_secs_f64());
    }

    fn handle_frame(
        &mut self,
        now: Instant,
        from: Option<SocketAddr>,
        is_reply: bool,
        cmd: CmdId,
        payload: &[u8],
    ) {
        if is_reply || self.config.unanswered.contains(&cmd.0) {
            self.stats_in.ignored_frames += 1;
            return;
        }
        let Ok(request) = Request::decode(cmd, payload) else {
            self.stats_in.bad_payloads += 1;
            return;
        };
        if let Some(reply) = self.apply(now, request) {
            if self.config.silent_acks.contains(&reply.cmd_id().0) {
                return;
            }
            self.outbox.schedule(now, Dest::Requester(from), reply);
        }
    }

    /// Applies one request at `now` and returns the reply, if the A8 mini sends one.
    fn apply(&mut self, now: Instant, request: Request) -> Option<Reply> {
        match request {
            Request::FirmwareVersion => {
                let camera = if self.power.is_booting(now) {
                    FirmwareVersion(0)
                } else {
                    self.config.camera_firmware
                };
                Some(Reply::FirmwareVersion {
                    camera,
                    gimbal: self.config.gimbal_firmware,
                    zoom: None,
                })
            }
            Request::HardwareId => Some(Reply::HardwareId(self.config.hardware_id)),
            Request::ManualZoom(dir) => {
                let reply = Reply::ManualZoom {
                    zoom_tenths: self.zoom.tenths(),
                };
                if !self.video.zoom_locked() {
                    self.zoom.manual(now, dir);
                }
                Some(reply)
            }
            Request::AbsoluteZoom(z) => {
                let locked = self.video.zoom_locked();
                if !locked {
                    self.zoom.absolute(z);
                }
                Some(Reply::AbsoluteZoom {
                    status: u8::from(!locked),
                })
            }
            Request::MaxZoom => Some(Reply::MaxZoom(Zoom::from_factor(MAX_ZOOM as f32))),
            Request::CurrentZoom => Some(Reply::CurrentZoom(Zoom::from_tenths(self.zoom.tenths()))),
            Request::GimbalRotation {
                yaw_speed,
                pitch_speed,
            } => {
                self.gimbal.rotate(yaw_speed, pitch_speed);
                Some(Reply::GimbalRotation { status: 1 })
            }
            Request::Center(pos) => Some(Reply::Center {
                status: u8::from(self.gimbal.center(pos)),
            }),
            Request::SetAngles { yaw, pitch } => {
                let reply = self.angles_reply();
                self.gimbal.set_angles(yaw, pitch);
                Some(reply)
            }
            Request::SingleAxis { angle, axis } => {
                // The A8 mini answers 0x41 with a 0x0E frame.
                let reply = self.angles_reply();
                self.gimbal.single_axis(angle, axis).then_some(reply)
            }
            Request::Attitude => Some(Reply::Attitude(self.gimbal.attitude())),
            Request::CameraSystemInfo => Some(Reply::CameraSystemInfo(SystemInfo {
                reserved0: 0,
                hdr_sta: 0,
                reserved2: 0,
                record_sta: self.recorder.state(),
                motion_mode: Some(self.gimbal.mode),
                mounting_dir: Some(MountingDirection::Normal),
                video_output: Some(self.video.output),
                zoom_linkage: None,
            })),
            Request::GimbalMode => Some(Reply::GimbalMode(self.gimbal.mode)),
            Request::Function(func) => {
                self.function(now, func);
                None
            }
            Request::DataStream { data_type, freq } => match (data_type, freq.hz()) {
                (DataStreamType::Attitude, Some(hz)) => {
                    self.attitude_stream_hz = hz;
                    self.next_stream_tick = self.stream_period().map(|p| now + p);
                    Some(Reply::DataStream {
                        data_type: data_type.to_u8(),
                    })
                }
                // No laser, encoder or motor-voltage stream on this model; bad rate codes ignored.
                _ => None,
            },
            Request::GetEncoding(stream) => self.video.get(stream).map(Reply::Encoding),
            Request::SetEncoding(params) => {
                let ok = self.video.set(params);
                if ok && self.video.zoom_locked() {
                    self.zoom.reset();
                }
                Some(Reply::SetEncoding {
                    stream: params.stream,
                    status: u8::from(ok),
                })
            }
            Request::SetUtcTime { unix_time_us } => Some(Reply::SetUtcTime {
                status: i8::from(self.exif.set_time(unix_time_us)),
            }),
            // No reply from the A8 mini: the values land in the EXIF data of its photos.
            Request::AircraftAttitude(a) => {
                self.exif.attitude(now, a);
                None
            }
            Request::RawGps(g) => {
                self.exif.gps(now, g);
                None
            }
            Request::SoftReboot { camera, gimbal } => {
                if camera || gimbal {
                    // Acknowledge first, then reboot once the ACK is on its way.
                    let at = later(now, self.config.reply_delay_ms.saturating_add(50));
                    self.power.plan(RebootPlan { at, camera, gimbal });
                }
                Some(Reply::SoftReboot {
                    camera: u8::from(camera),
                    gimbal: u8::from(gimbal),
                })
            }
            Request::AiModeStatus => Some(Reply::AiModeStatus(self.ai.mode())),
            Request::AiStreamStatus => Some(Reply::AiStreamStatus(self.ai.stream_status())),
            Request::SetAiStream { on } => Some(Reply::SetAiStream {
                status: self.ai.set_stream(now, on),
            }),
            // No reply: TCP heartbeat, format SD (A8: "no response"), and every command this
            // model does not know.
            Request::TcpHeartbeat | Request::FormatSd | Request::Unknown { .. } => None,
            _ => None,
        }
    }

    /// A 0x0E reply: the angles at the time of the request.
    fn angles_reply(&self) -> Reply {
        let (yaw, pitch, roll) = self.gimbal.angles();
        Reply::SetAngles { yaw, pitch, roll }
    }

    fn function(&mut self, now: Instant, func: FunctionType) {
        match func {
            FunctionType::TakePhoto => {
                let code = self.recorder.take_photo();
                self.push_feedback(now, code);
            }
            FunctionType::RecordToggle => {
                if let Some(code) = self.recorder.toggle_recording() {
                    self.push_feedback(now, code);
                }
            }
            FunctionType::LockMode => self.gimbal.mode = MotionMode::Lock,
            FunctionType::FollowMode => self.gimbal.mode = MotionMode::Follow,
            FunctionType::FpvMode => self.gimbal.mode = MotionMode::Fpv,
            FunctionType::VideoOutHdmi => self.video.set_output_after_reboot(0),
            FunctionType::VideoOutCvbs => self.video.set_output_after_reboot(1),
            FunctionType::TiltDown => self.gimbal.tilt_down(),
            // HDR (not on the A8 mini), video off, zoom linkage, unknown: nothing happens.
            _ => {}
        }
    }

    /// Schedules a 0x0B push to the latest client after the feedback delay.
    fn push_feedback(&mut self, now: Instant, code: FeedbackCode) {
        // `silent_acks` with 0x0B: a firmware that never sends function feedback over UDP
        // (siyi-protocol.md §8 question 1).
        if self
            .config
            .silent_acks
            .contains(&CmdId::FUNCTION_FEEDBACK.0)
        {
            return;
        }
        let at = later(now, self.config.feedback_delay_ms);
        let push = Reply::FunctionFeedback(code);
        self.outbox.schedule(at, Dest::LatestClient, push);
    }
}

/// A timed event of [`SimCamera::advance`].
#[derive(Clone, Copy, Debug)]
enum Due {
    Reboot(RebootPlan),
    Attitude,
    Ai,
}

impl Due {
    /// Order at one and the same instant.
    fn rank(&self) -> u8 {
        match self {
            Self::Reboot(_) => 0,
            Self::Attitude => 1,
            Self::Ai => 2,
        }
    }
}
