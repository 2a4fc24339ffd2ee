//! Sans-IO model of a SIYI A8 mini: bytes and `now` in, datagrams and deadlines out.
//!
//! [`SimCamera`] never reads a clock, a socket or the environment. The caller passes `now` to
//! [`SimCamera::handle_datagram`] / [`SimCamera::handle_timeout`], sends what
//! [`SimCamera::poll_transmit`] returns and calls `handle_timeout` again at
//! [`SimCamera::poll_timeout`]. All randomness (the drop / corrupt fault knobs) comes from a
//! [`SmallRng`] seeded by [`SimConfig::seed`], so one seed and one input sequence always give the
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
//! * pushes (0x0B) and the 0x25 attitude stream go to the most recent client (see [`Transmit`]).
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
//! * encoding defaults (sim choice, not a capture): recording H.265 1920×1080 8000 kbps 30 fps,
//!   main stream H.265 1920×1080 4000 kbps 30 fps, sub stream H.264 1280×720 2000 kbps 30 fps.
//!   With a 4K recording resolution the zoom is locked at 1.0× (manual §5.3).

use std::collections::BTreeSet;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use siyi_protocol::request::CenterPosition;
use siyi_protocol::{
    Attitude, CmdId, DataStreamType, Decidegrees, DecidegreesPerSecond, EncodingParams,
    FeedbackCode, FirmwareVersion, FrameDecoder, FunctionType, HardwareId, MotionMode,
    MountingDirection, RecordState, Reply, Request, StreamType, SystemInfo, VideoCodec, Zoom,
    ZoomDirection,
};

/// Smallest zoom factor of the A8 mini (digital zoom).
pub const MIN_ZOOM: f64 = 1.0;
/// Largest zoom factor of the A8 mini (6× digital).
pub const MAX_ZOOM: f64 = 6.0;
/// Yaw limit of the A8 mini, degrees either side of the centre (SIYI yaw, positive = left).
pub const YAW_LIMIT_DEG: f64 = 135.0;
/// Lowest pitch of the A8 mini, degrees (−90 = straight down).
pub const PITCH_MIN_DEG: f64 = -90.0;
/// Highest pitch of the A8 mini, degrees.
pub const PITCH_MAX_DEG: f64 = 25.0;
/// Most outgoing frames the model holds before it starts refusing new ones.
const MAX_QUEUED: usize = 4096;

/// Configuration of the simulated camera, fault knobs included. Every field is plain data.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seed of the random generator behind the drop / corrupt knobs.
    pub seed: u64,
    /// How long the camera firmware word reads 0.0.0 after power-up or a reboot, milliseconds
    /// (real cameras: 20 000–30 000).
    pub boot_time_ms: u64,
    /// Camera firmware reported once booted.
    pub camera_firmware: FirmwareVersion,
    /// Gimbal firmware (reported from power-up on).
    pub gimbal_firmware: FirmwareVersion,
    /// The 12-byte ASCII hardware id; `"73…"` is an A8 mini.
    pub hardware_id: HardwareId,
    /// Whether an SD (TF) card is inserted.
    pub sd_card: bool,
    /// Delay before every frame the camera sends (replies, pushes, stream), milliseconds.
    pub reply_delay_ms: u64,
    /// Probability (0…1) that a frame the camera sends is lost on the way.
    pub drop_probability: f64,
    /// Probability (0…1) that a frame the camera sends arrives with a broken CRC.
    pub corrupt_probability: f64,
    /// Command ids the camera ignores completely (no reply, no effect), like older firmware.
    pub unanswered: BTreeSet<u8>,
    /// Command ids the camera acts on but never acknowledges (A8 quirk: 0x05 / 0x0F ACKs often
    /// missing).
    pub silent_acks: BTreeSet<u8>,
    /// Reboot the camera by itself this long after start, milliseconds (`None`: never).
    pub reboot_at_ms: Option<u64>,
    /// How long a rebooting camera answers nothing, milliseconds.
    pub reboot_silence_ms: u64,
    /// Continuous zoom speed, zoom factor per second.
    pub zoom_rate_per_s: f64,
    /// A continuous zoom stops when no non-zero 0x05 arrives for this long, milliseconds.
    pub zoom_keepalive_ms: u64,
    /// Slew speed towards set angles (0x0E, 0x08), degrees per second per axis.
    pub gimbal_slew_dps: f64,
    /// Rotation speed of a 0x07 command at ±100, degrees per second.
    pub gimbal_max_rate_dps: f64,
    /// Delay between a photo / record command and its 0x0B push, milliseconds.
    pub feedback_delay_ms: u64,
    /// Gimbal motion mode at power-up.
    pub motion_mode: MotionMode,
}

impl Default for SimConfig {
    /// A realistic A8 mini: 20 s boot, camera 0.2.8 / gimbal 0.3.9, SD card present, no faults.
    fn default() -> Self {
        Self {
            seed: 0,
            boot_time_ms: 20_000,
            camera_firmware: FirmwareVersion::new(0, 2, 8),
            gimbal_firmware: FirmwareVersion::new(0, 3, 9),
            hardware_id: HardwareId::from_ascii("732405150118"),
            sd_card: true,
            reply_delay_ms: 0,
            drop_probability: 0.0,
            corrupt_probability: 0.0,
            unanswered: BTreeSet::new(),
            silent_acks: BTreeSet::new(),
            reboot_at_ms: None,
            reboot_silence_ms: 3_000,
            zoom_rate_per_s: 1.5,
            zoom_keepalive_ms: 1_000,
            gimbal_slew_dps: 90.0,
            gimbal_max_rate_dps: 90.0,
            feedback_delay_ms: 250,
            motion_mode: MotionMode::Follow,
        }
    }
}

impl SimConfig {
    /// Like [`SimConfig::default`] but booted at once (`boot_time_ms = 0`): handy for tests and
    /// demos that should not wait 20 s for the firmware version.
    pub fn instant_boot() -> Self {
        Self {
            boot_time_ms: 0,
            ..Self::default()
        }
    }

    /// Older A8 firmware that does not know 0x16, 0x18, 0x25 and 0x30 (no reply, no effect).
    pub fn with_old_firmware(mut self) -> Self {
        self.unanswered.extend([0x16, 0x18, 0x25, 0x30]);
        self
    }
}

/// Continuous zoom state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ZoomMotion {
    /// Not zooming.
    Stopped,
    /// Zooming in.
    In,
    /// Zooming out.
    Out,
}

/// What the gimbal motors are doing.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum GimbalMotion {
    /// Holding position.
    Idle,
    /// Slewing towards a target (0x0E, 0x08), degrees (SIYI yaw, positive = left).
    Target {
        /// Target yaw, degrees.
        yaw_deg: f64,
        /// Target pitch, degrees.
        pitch_deg: f64,
    },
    /// Turning at a rate (0x07), degrees per second (SIYI signs: yaw positive = left).
    Rate {
        /// Yaw rate, degrees per second.
        yaw_dps: f64,
        /// Pitch rate, degrees per second.
        pitch_dps: f64,
    },
}

/// Everything the simulated camera knows, readable by tests through [`SimCamera::state`].
#[derive(Clone, Debug, PartialEq)]
pub struct SimState {
    /// The camera firmware word reads 0.0.0 until this instant.
    pub booting_until: Instant,
    /// The camera answers nothing until this instant (rebooting).
    pub silent_until: Option<Instant>,
    /// Zoom factor, 1.0…6.0.
    pub zoom: f64,
    /// Continuous zoom in progress.
    pub zoom_motion: ZoomMotion,
    /// Yaw, degrees, positive = left (SIYI convention).
    pub yaw_deg: f64,
    /// Pitch, degrees, positive = up.
    pub pitch_deg: f64,
    /// Roll, degrees (always 0: the simulated vehicle does not move).
    pub roll_deg: f64,
    /// Gimbal motion in progress.
    pub gimbal: GimbalMotion,
    /// Whether the camera is recording.
    pub recording: bool,
    /// Whether an SD card is inserted.
    pub sd_card: bool,
    /// Gimbal motion mode.
    pub motion_mode: MotionMode,
    /// Photos taken (successfully) since power-up.
    pub photos_taken: u32,
    /// Attitude stream (0x25 type 1) rate, hertz (0 = off).
    pub attitude_stream_hz: u16,
    /// Encoding parameters of the recording, main and sub streams (index = stream id).
    pub encoding: [EncodingParams; 3],
    /// Last UTC time set by 0x30, microseconds since the Unix epoch.
    pub utc_time_us: Option<u64>,
    /// Video output, 0x0A byte 6: 0 = HDMI, 1 = CVBS.
    pub video_output: u8,
    /// Number of reboots since start.
    pub reboots: u32,
    /// The camera's SEQ counter: the SEQ of the next frame it sends.
    pub next_seq: u16,
}

impl SimState {
    /// Zoom factor in tenths, as the camera reports it (10…60).
    pub fn zoom_tenths(&self) -> u16 {
        (self.zoom * 10.0).round().clamp(0.0, 1000.0) as u16
    }

    /// Recording state as 0x0A byte 3 reports it.
    pub fn record_state(&self) -> RecordState {
        match (self.sd_card, self.recording) {
            (false, _) => RecordState::NoCard,
            (true, true) => RecordState::Recording,
            (true, false) => RecordState::NotRecording,
        }
    }
}

/// Counters of what the simulated camera received and sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Valid frames received.
    pub frames_in: u64,
    /// Frames received with a bad CRC (or an oversize length).
    pub bad_frames_in: u64,
    /// Bytes skipped as garbage.
    pub garbage_bytes_in: u64,
    /// Frames whose payload did not decode (too short, invalid value).
    pub bad_payloads: u64,
    /// Frames ignored on purpose (unanswered knob, reply frames, rebooting).
    pub ignored_frames: u64,
    /// Frames put on the wire (dropped ones excluded).
    pub frames_out: u64,
    /// Frames lost by the drop knob.
    pub dropped_out: u64,
    /// Frames sent with a broken CRC by the corrupt knob.
    pub corrupted_out: u64,
    /// Frames refused because the outgoing queue was full.
    pub queue_overflow: u64,
}

/// A datagram to send. `to` is the sender of the request for replies and the most recent client
/// (the last address any datagram came from) for pushes and stream frames; `None` when that address
/// is unknown (the datagram came in through [`SimCamera::handle_datagram`] without an address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Destination, see above.
    pub to: Option<SocketAddr>,
    /// One encoded frame.
    pub bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dest {
    Requester(Option<SocketAddr>),
    LatestClient,
}

#[derive(Clone, Debug)]
struct Scheduled {
    due: Instant,
    order: u64,
    dest: Dest,
    reply: Reply,
}

#[derive(Clone, Copy, Debug)]
struct RebootPlan {
    at: Instant,
    camera: bool,
    gimbal: bool,
}

/// The simulated A8 mini. See the [module documentation](self) for the behaviour.
#[derive(Debug)]
pub struct SimCamera {
    config: SimConfig,
    state: SimState,
    stats: SimStats,
    rng: SmallRng,
    decoder: FrameDecoder,
    /// Time up to which the state has been advanced.
    clock: Instant,
    last_zoom_command: Instant,
    last_client: Option<SocketAddr>,
    next_stream_tick: Option<Instant>,
    reboot: Option<RebootPlan>,
    pending_codec: [Option<VideoCodec>; 3],
    pending_video_output: Option<u8>,
    scheduled: Vec<Scheduled>,
    next_order: u64,
    ready: VecDeque<Transmit>,
}

impl SimCamera {
    /// A camera powered up at `now`. Probabilities are clamped to 0…1, speeds made non-negative
    /// and finite, delays capped at about 31 years.
    pub fn new(mut config: SimConfig, now: Instant) -> Self {
        config.drop_probability = clamp_probability(config.drop_probability);
        config.corrupt_probability = clamp_probability(config.corrupt_probability);
        let defaults = SimConfig::default();
        config.zoom_rate_per_s = sane_speed(config.zoom_rate_per_s, defaults.zoom_rate_per_s);
        config.gimbal_slew_dps = sane_speed(config.gimbal_slew_dps, defaults.gimbal_slew_dps);
        config.gimbal_max_rate_dps =
            sane_speed(config.gimbal_max_rate_dps, defaults.gimbal_max_rate_dps);
        let state = SimState {
            booting_until: later(now, config.boot_time_ms),
            silent_until: None,
            zoom: MIN_ZOOM,
            zoom_motion: ZoomMotion::Stopped,
            yaw_deg: 0.0,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            gimbal: GimbalMotion::Idle,
            recording: false,
            sd_card: config.sd_card,
            motion_mode: config.motion_mode,
            photos_taken: 0,
            attitude_stream_hz: 0,
            encoding: default_encoding(),
            utc_time_us: None,
            video_output: 0,
            reboots: 0,
            next_seq: 0,
        };
        let reboot = config.reboot_at_ms.map(|ms| RebootPlan {
            at: later(now, ms),
            camera: true,
            gimbal: true,
        });
        Self {
            rng: SmallRng::seed_from_u64(config.seed),
            config,
            state,
            stats: SimStats::default(),
            decoder: FrameDecoder::new(),
            clock: now,
            last_zoom_command: now,
            last_client: None,
            next_stream_tick: None,
            reboot,
            pending_codec: [None; 3],
            pending_video_output: None,
            scheduled: Vec::new(),
            next_order: 0,
            ready: VecDeque::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The camera state as of the last `now` passed in.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.stats
    }

    /// The current attitude as a 0x0D reply would carry it.
    pub fn attitude(&self) -> Attitude {
        let (yaw_dps, pitch_dps) = self.current_rates();
        Attitude {
            yaw: decidegrees(self.state.yaw_deg),
            pitch: decidegrees(self.state.pitch_deg),
            roll: decidegrees(self.state.roll_deg),
            yaw_rate: DecidegreesPerSecond(to_tenths_i16(yaw_dps)),
            pitch_rate: DecidegreesPerSecond(to_tenths_i16(pitch_dps)),
            roll_rate: DecidegreesPerSecond(0),
        }
    }

    /// Handles one received datagram from an unknown address (replies get `to: None`).
    pub fn handle_datagram(&mut self, now: Instant, bytes: &[u8]) {
        self.handle_datagram_from(now, None, bytes);
    }

    /// Handles one received datagram from `from`: every valid frame in it is a request; garbage and
    /// bad frames are counted and skipped; frames do not span datagrams.
    pub fn handle_datagram_from(&mut self, now: Instant, from: Option<SocketAddr>, bytes: &[u8]) {
        self.advance(now);
        self.stats.datagrams_in += 1;
        if self.is_silent(now) {
            self.stats.ignored_frames += 1;
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
                Err(_) => self.stats.bad_frames_in += 1,
            }
        }
        self.decoder.clear();
        let after = self.decoder.stats();
        self.stats.garbage_bytes_in += after.garbage_bytes - before.garbage_bytes;
        for frame in frames {
            self.stats.frames_in += 1;
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
        let scheduled = self.scheduled.iter().map(|s| s.due).min();
        [scheduled, self.next_stream_tick, self.reboot.map(|r| r.at)]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next datagram ready to send (one frame each), without its destination.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.ready.pop_front().map(|t| t.bytes)
    }

    /// The next datagram ready to send, with its destination.
    pub fn poll_transmit_to(&mut self) -> Option<Transmit> {
        self.ready.pop_front()
    }

    fn is_silent(&self, now: Instant) -> bool {
        self.state.silent_until.is_some_and(|t| now < t)
    }

    /// Brings the model to `now`, handling stream ticks and reboots in time order.
    fn advance(&mut self, now: Instant) {
        let now = now.max(self.clock);
        loop {
            let tick = self.next_stream_tick.filter(|&t| t <= now);
            let reboot = self.reboot.filter(|r| r.at <= now);
            match (tick, reboot) {
                (Some(t), Some(r)) if r.at <= t => self.do_reboot(r),
                (Some(t), _) => {
                    self.integrate(t);
                    self.release_due(t);
                    self.schedule(t, Dest::LatestClient, Reply::Attitude(self.attitude()));
                    self.next_stream_tick = self.stream_period().map(|p| {
                        let mut next = t + p;
                        while next <= now {
                            next += p;
                        }
                        next
                    });
                }
                (None, Some(r)) => self.do_reboot(r),
                (None, None) => break,
            }
        }
        self.integrate(now);
        if let Some(t) = self.state.silent_until {
            if t <= now {
                self.state.silent_until = None;
            }
        }
    }

    fn do_reboot(&mut self, plan: RebootPlan) {
        self.integrate(plan.at);
        self.release_due(plan.at);
        self.reboot = None;
        if plan.camera {
            let awake = later(plan.at, self.config.reboot_silence_ms);
            self.scheduled.clear();
            self.state.silent_until = Some(awake);
            self.state.booting_until = later(awake, self.config.boot_time_ms);
            self.state.recording = false;
            self.state.zoom = MIN_ZOOM;
            self.state.zoom_motion = ZoomMotion::Stopped;
            self.state.attitude_stream_hz = 0;
            self.next_stream_tick = None;
            self.state.next_seq = 0;
            self.state.reboots += 1;
            for (enc, pending) in self.state.encoding.iter_mut().zip(&mut self.pending_codec) {
                if let Some(codec) = pending.take() {
                    enc.codec = codec;
                }
            }
            if let Some(out) = self.pending_video_output.take() {
                self.state.video_output = out;
            }
        }
        if plan.gimbal {
            self.state.gimbal = GimbalMotion::Target {
                yaw_deg: 0.0,
                pitch_deg: 0.0,
            };
        }
    }

    fn stream_period(&self) -> Option<Duration> {
        match self.state.attitude_stream_hz {
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
        let dt = (to - from).as_secs_f64();

        // Zoom: runs until the keep-alive expires.
        if self.state.zoom_motion != ZoomMotion::Stopped {
            let expiry = later(self.last_zoom_command, self.config.zoom_keepalive_ms);
            let end = to.min(expiry);
            let run = end.saturating_duration_since(from).as_secs_f64();
            let sign = if self.state.zoom_motion == ZoomMotion::In {
                1.0
            } else {
                -1.0
            };
            self.state.zoom = (self.state.zoom + sign * self.config.zoom_rate_per_s * run)
                .clamp(MIN_ZOOM, MAX_ZOOM);
            let at_limit = (sign > 0.0 && self.state.zoom >= MAX_ZOOM)
                || (sign < 0.0 && self.state.zoom <= MIN_ZOOM);
            if to >= expiry || at_limit {
                self.state.zoom_motion = ZoomMotion::Stopped;
            }
        }

        // Gimbal.
        match self.state.gimbal {
            GimbalMotion::Idle => {}
            GimbalMotion::Target { yaw_deg, pitch_deg } => {
                let step = self.config.gimbal_slew_dps * dt;
                self.state.yaw_deg = move_toward(self.state.yaw_deg, yaw_deg, step);
                self.state.pitch_deg = move_toward(self.state.pitch_deg, pitch_deg, step);
                if self.state.yaw_deg == yaw_deg && self.state.pitch_deg == pitch_deg {
                    self.state.gimbal = GimbalMotion::Idle;
                }
            }
            GimbalMotion::Rate { yaw_dps, pitch_dps } => {
                self.state.yaw_deg =
                    (self.state.yaw_deg + yaw_dps * dt).clamp(-YAW_LIMIT_DEG, YAW_LIMIT_DEG);
                self.state.pitch_deg =
                    (self.state.pitch_deg + pitch_dps * dt).clamp(PITCH_MIN_DEG, PITCH_MAX_DEG);
            }
        }
    }

    /// Actual angular rates now, degrees per second (SIYI signs).
    fn current_rates(&self) -> (f64, f64) {
        let s = &self.state;
        match s.gimbal {
            GimbalMotion::Idle => (0.0, 0.0),
            GimbalMotion::Target { yaw_deg, pitch_deg } => {
                let slew = self.config.gimbal_slew_dps;
                let toward = |pos: f64, target: f64| {
                    if target > pos {
                        slew
                    } else if target < pos {
                        -slew
                    } else {
                        0.0
                    }
                };
                (toward(s.yaw_deg, yaw_deg), toward(s.pitch_deg, pitch_deg))
            }
            GimbalMotion::Rate { yaw_dps, pitch_dps } => {
                let limited = |pos: f64, rate: f64, lo: f64, hi: f64| {
                    if (rate > 0.0 && pos >= hi) || (rate < 0.0 && pos <= lo) {
                        0.0
                    } else {
                        rate
                    }
                };
                (
                    limited(s.yaw_deg, yaw_dps, -YAW_LIMIT_DEG, YAW_LIMIT_DEG),
                    limited(s.pitch_deg, pitch_dps, PITCH_MIN_DEG, PITCH_MAX_DEG),
                )
            }
        }
    }

    fn zoom_locked(&self) -> bool {
        self.state.encoding[0].width_px >= 3840
    }

    fn schedule(&mut self, base: Instant, dest: Dest, reply: Reply) {
        if self.scheduled.len() >= MAX_QUEUED {
            self.stats.queue_overflow += 1;
            return;
        }
        let due = later(base, self.config.reply_delay_ms);
        self.scheduled.push(Scheduled {
            due,
            order: self.next_order,
            dest,
            reply,
        });
        self.next_order += 1;
    }

    fn push_feedback(&mut self, now: Instant, code: FeedbackCode) {
        let at = later(now, self.config.feedback_delay_ms);
        self.schedule(at, Dest::LatestClient, Reply::FunctionFeedback(code));
    }

    /// Moves every scheduled frame due at or before `now` to the ready queue, in time order,
    /// giving each the next camera SEQ and applying the drop / corrupt knobs.
    fn release_due(&mut self, now: Instant) {
        if !self.scheduled.iter().any(|s| s.due <= now) {
            return;
        }
        let mut due: Vec<Scheduled> = Vec::new();
        let mut keep = Vec::with_capacity(self.scheduled.len());
        for s in self.scheduled.drain(..) {
            if s.due <= now {
                due.push(s);
            } else {
                keep.push(s);
            }
        }
        self.scheduled = keep;
        due.sort_by_key(|s| (s.due, s.order));
        for s in due {
            let seq = self.state.next_seq;
            self.state.next_seq = seq.wrapping_add(1);
            if self.config.drop_probability > 0.0
                && self.rng.random::<f64>() < self.config.drop_probability
            {
                self.stats.dropped_out += 1;
                continue;
            }
            let mut bytes = Vec::with_capacity(32);
            s.reply.encode_frame(seq, &mut bytes);
            if self.config.corrupt_probability > 0.0
                && self.rng.random::<f64>() < self.config.corrupt_probability
            {
                if let Some(last) = bytes.last_mut() {
                    *last ^= 0x5a;
                }
                self.stats.corrupted_out += 1;
            }
            let to = match s.dest {
                Dest::Requester(addr) => addr,
                Dest::LatestClient => self.last_client,
            };
            self.stats.frames_out += 1;
            self.ready.push_back(Transmit { to, bytes });
        }
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
            self.stats.ignored_frames += 1;
            return;
        }
        let Ok(request) = Request::decode(cmd, payload) else {
            self.stats.bad_payloads += 1;
            return;
        };
        if let Some(reply) = self.apply(now, request) {
            if self.config.silent_acks.contains(&reply.cmd_id().0) {
                return;
            }
            self.schedule(now, Dest::Requester(from), reply);
        }
    }

    /// Applies one request at `now` and returns the reply, if the A8 mini sends one.
    fn apply(&mut self, now: Instant, request: Request) -> Option<Reply> {
        let s = &mut self.state;
        match request {
            Request::FirmwareVersion => {
                let camera = if now < s.booting_until {
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
                    zoom_tenths: s.zoom_tenths(),
                };
                if self.zoom_locked() {
                    return Some(reply);
                }
                let s = &mut self.state;
                s.zoom_motion = match dir {
                    ZoomDirection::In if s.zoom < MAX_ZOOM => ZoomMotion::In,
                    ZoomDirection::Out if s.zoom > MIN_ZOOM => ZoomMotion::Out,
                    _ => ZoomMotion::Stopped,
                };
                self.last_zoom_command = now;
                Some(reply)
            }
            Request::AbsoluteZoom(z) => {
                if self.zoom_locked() {
                    return Some(Reply::AbsoluteZoom { status: 0 });
                }
                let s = &mut self.state;
                let tenths = f64::from(z.int) + f64::from(z.tenths.min(9)) / 10.0;
                s.zoom = tenths.clamp(MIN_ZOOM, MAX_ZOOM);
                s.zoom_motion = ZoomMotion::Stopped;
                Some(Reply::AbsoluteZoom { status: 1 })
            }
            Request::MaxZoom => Some(Reply::MaxZoom(Zoom::from_factor(MAX_ZOOM as f32))),
            Request::CurrentZoom => Some(Reply::CurrentZoom(Zoom::from_tenths(s.zoom_tenths()))),
            Request::GimbalRotation {
                yaw_speed,
                pitch_speed,
            } => {
                let scale = |v: i8| f64::from(v.clamp(-100, 100)) / 100.0;
                let max = self.config.gimbal_max_rate_dps;
                // Positive turn_yaw turns right, i.e. SIYI yaw (positive left) decreases.
                let yaw_dps = -scale(yaw_speed) * max;
                let pitch_dps = scale(pitch_speed) * max;
                s.gimbal = if yaw_dps == 0.0 && pitch_dps == 0.0 {
                    GimbalMotion::Idle
                } else {
                    GimbalMotion::Rate { yaw_dps, pitch_dps }
                };
                Some(Reply::GimbalRotation { status: 1 })
            }
            Request::Center(pos) => {
                let (yaw_deg, pitch_deg, status) = match pos {
                    CenterPosition::Center | CenterPosition::Center3 => (0.0, 0.0, 1),
                    CenterPosition::CenterDown => (0.0, PITCH_MIN_DEG, 1),
                    CenterPosition::Down => (s.yaw_deg, PITCH_MIN_DEG, 1),
                    CenterPosition::Other(_) => return Some(Reply::Center { status: 0 }),
                };
                s.gimbal = GimbalMotion::Target { yaw_deg, pitch_deg };
                Some(Reply::Center { status })
            }
            Request::SetAngles { yaw, pitch } => {
                let reply = Reply::SetAngles {
                    yaw: decidegrees(s.yaw_deg),
                    pitch: decidegrees(s.pitch_deg),
                    roll: decidegrees(s.roll_deg),
                };
                s.gimbal = GimbalMotion::Target {
                    yaw_deg: (f64::from(yaw.0) / 10.0).clamp(-YAW_LIMIT_DEG, YAW_LIMIT_DEG),
                    pitch_deg: (f64::from(pitch.0) / 10.0).clamp(PITCH_MIN_DEG, PITCH_MAX_DEG),
                };
                Some(reply)
            }
            Request::SingleAxis { angle, axis } => {
                // The A8 mini answers 0x41 with a 0x0E frame.
                let reply = Reply::SetAngles {
                    yaw: decidegrees(s.yaw_deg),
                    pitch: decidegrees(s.pitch_deg),
                    roll: decidegrees(s.roll_deg),
                };
                let (mut yaw_deg, mut pitch_deg) = match s.gimbal {
                    GimbalMotion::Target { yaw_deg, pitch_deg } => (yaw_deg, pitch_deg),
                    _ => (s.yaw_deg, s.pitch_deg),
                };
                let deg = f64::from(angle.0) / 10.0;
                match axis {
                    0 => yaw_deg = deg.clamp(-YAW_LIMIT_DEG, YAW_LIMIT_DEG),
                    1 => pitch_deg = deg.clamp(PITCH_MIN_DEG, PITCH_MAX_DEG),
                    _ => return None,
                }
                s.gimbal = GimbalMotion::Target { yaw_deg, pitch_deg };
                Some(reply)
            }
            Request::Attitude => Some(Reply::Attitude(self.attitude())),
            Request::CameraSystemInfo => Some(Reply::CameraSystemInfo(SystemInfo {
                reserved0: 0,
                hdr_sta: 0,
                reserved2: 0,
                record_sta: s.record_state(),
                motion_mode: Some(s.motion_mode),
                mounting_dir: Some(MountingDirection::Normal),
                video_output: Some(s.video_output),
                zoom_linkage: None,
            })),
            Request::GimbalMode => Some(Reply::GimbalMode(s.motion_mode)),
            Request::Function(func) => {
                self.function(now, func);
                None
            }
            Request::DataStream { data_type, freq } => match (data_type, freq.hz()) {
                (DataStreamType::Attitude, Some(hz)) => {
                    s.attitude_stream_hz = hz;
                    self.next_stream_tick = self.stream_period().map(|p| now + p);
                    Some(Reply::DataStream {
                        data_type: data_type.to_u8(),
                    })
                }
                // No laser, encoder or motor-voltage stream on this model; bad rate codes ignored.
                _ => None,
            },
            Request::GetEncoding(stream) => {
                let idx = stream_index(stream)?;
                s.encoding.get(idx).copied().map(Reply::Encoding)
            }
            Request::SetEncoding(params) => {
                let ok = self.set_encoding(params);
                Some(Reply::SetEncoding {
                    stream: params.stream,
                    status: u8::from(ok),
                })
            }
            Request::SetUtcTime { unix_time_us } => {
                let ok = unix_time_us > 0;
                if ok {
                    s.utc_time_us = Some(unix_time_us);
                }
                Some(Reply::SetUtcTime {
                    status: i8::from(ok),
                })
            }
            Request::SoftReboot { camera, gimbal } => {
                if camera || gimbal {
                    // Acknowledge first, then reboot once the ACK is on its way.
                    let at = later(now, self.config.reply_delay_ms.saturating_add(50));
                    self.reboot = Some(RebootPlan { at, camera, gimbal });
                }
                Some(Reply::SoftReboot {
                    camera: u8::from(camera),
                    gimbal: u8::from(gimbal),
                })
            }
            // No reply: TCP heartbeat, aircraft attitude, raw GPS, format SD (A8: "no response"),
            // and every command this model does not know.
            Request::TcpHeartbeat
            | Request::AircraftAttitude { .. }
            | Request::RawGps { .. }
            | Request::FormatSd
            | Request::Unknown { .. } => None,
            _ => None,
        }
    }

    fn function(&mut self, now: Instant, func: FunctionType) {
        match func {
            FunctionType::TakePhoto => {
                if self.state.sd_card {
                    self.state.photos_taken += 1;
                    self.push_feedback(now, FeedbackCode::PhotoOk);
                } else {
                    self.push_feedback(now, FeedbackCode::PhotoFailed);
                }
            }
            FunctionType::RecordToggle => {
                if self.state.sd_card {
                    self.state.recording = !self.state.recording;
                } else {
                    self.push_feedback(now, FeedbackCode::RecordFailed);
                }
            }
            FunctionType::LockMode => self.state.motion_mode = MotionMode::Lock,
            FunctionType::FollowMode => self.state.motion_mode = MotionMode::Follow,
            FunctionType::FpvMode => self.state.motion_mode = MotionMode::Fpv,
            FunctionType::VideoOutHdmi => self.pending_video_output = Some(0),
            FunctionType::VideoOutCvbs => self.pending_video_output = Some(1),
            FunctionType::TiltDown => {
                self.state.gimbal = GimbalMotion::Target {
                    yaw_deg: self.state.yaw_deg,
                    pitch_deg: PITCH_MIN_DEG,
                }
            }
            // HDR (not on the A8 mini), video off, zoom linkage, unknown: nothing happens.
            _ => {}
        }
    }

    /// Applies a 0x21 request; its frame-rate byte is reserved and ignored.
    fn set_encoding(&mut self, params: EncodingParams) -> bool {
        let EncodingParams {
            stream,
            codec,
            width_px,
            height_px,
            bitrate_kbps,
            framerate_fps: _,
        } = params;
        let Some(idx) = stream_index(stream) else {
            return false;
        };
        if matches!(codec, VideoCodec::Other(_)) {
            return false;
        }
        let res = (width_px, height_px);
        let valid = match stream {
            // The recording codec cannot be changed [V].
            StreamType::Recording => {
                codec == self.state.encoding[0].codec
                    && matches!(
                        res,
                        (3840, 2160) | (2560, 1440) | (1920, 1080) | (1280, 720)
                    )
                    && (1000..=20_000).contains(&bitrate_kbps)
            }
            // Field figures [JO]: 1080p 2000–4000 kbps, 720p 1570–4000 kbps.
            StreamType::Main => match res {
                (1920, 1080) => (2000..=4000).contains(&bitrate_kbps),
                (1280, 720) => (1570..=4000).contains(&bitrate_kbps),
                _ => false,
            },
            StreamType::Sub => {
                matches!(res, (1280, 720) | (640, 360)) && (500..=4000).contains(&bitrate_kbps)
            }
            StreamType::Other(_) => false,
        };
        if !valid {
            return false;
        }
        let Some(enc) = self.state.encoding.get_mut(idx) else {
            return false;
        };
        enc.width_px = width_px;
        enc.height_px = height_px;
        enc.bitrate_kbps = bitrate_kbps;
        if codec != enc.codec {
            // A codec change needs a power cycle [JO].
            if let Some(p) = self.pending_codec.get_mut(idx) {
                *p = Some(codec);
            }
        }
        if self.zoom_locked() {
            self.state.zoom = MIN_ZOOM;
            self.state.zoom_motion = ZoomMotion::Stopped;
        }
        true
    }
}

fn default_encoding() -> [EncodingParams; 3] {
    [
        EncodingParams {
            stream: StreamType::Recording,
            codec: VideoCodec::H265,
            width_px: 1920,
            height_px: 1080,
            bitrate_kbps: 8000,
            framerate_fps: 30,
        },
        EncodingParams {
            stream: StreamType::Main,
            codec: VideoCodec::H265,
            width_px: 1920,
            height_px: 1080,
            bitrate_kbps: 4000,
            framerate_fps: 30,
        },
        EncodingParams {
            stream: StreamType::Sub,
            codec: VideoCodec::H264,
            width_px: 1280,
            height_px: 720,
            bitrate_kbps: 2000,
            framerate_fps: 30,
        },
    ]
}

fn stream_index(stream: StreamType) -> Option<usize> {
    match stream {
        StreamType::Recording => Some(0),
        StreamType::Main => Some(1),
        StreamType::Sub => Some(2),
        StreamType::Other(_) => None,
    }
}

/// Longest delay the model schedules (about 31 years): larger knob values are cut to it, so adding
/// them to an `Instant` cannot overflow.
const MAX_DELAY_MS: u64 = 1_000_000_000_000;

/// `t` plus `ms` milliseconds, the delay capped at [`MAX_DELAY_MS`].
fn later(t: Instant, ms: u64) -> Instant {
    let d = Duration::from_millis(ms.min(MAX_DELAY_MS));
    t.checked_add(d).unwrap_or(t)
}

/// A speed knob: finite and non-negative, else `default`.
fn sane_speed(v: f64, default: f64) -> f64 {
    if v.is_finite() {
        v.abs()
    } else {
        default
    }
}

fn clamp_probability(p: f64) -> f64 {
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

fn move_toward(pos: f64, target: f64, step: f64) -> f64 {
    if (target - pos).abs() <= step {
        target
    } else if target > pos {
        pos + step
    } else {
        pos - step
    }
}

fn to_tenths_i16(x: f64) -> i16 {
    (x * 10.0)
        .round()
        .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

fn decidegrees(deg: f64) -> Decidegrees {
    Decidegrees(to_tenths_i16(deg))
}
