//! [`SimConfig`]: the simulated camera's configuration and fault knobs, plain data, and the
//! delay arithmetic every part of the model shares.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use siyi_protocol::{FirmwareVersion, HardwareId, MotionMode};

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
    /// missing). With 0x0B in it, photos and recordings are taken but no 0x0B function feedback
    /// is pushed (a firmware that sends none over UDP).
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
    /// Whether SIYI's external AI tracking module is fitted: it answers 0x4D / 0x4E / 0x51 and
    /// pushes 0x50 tracking frames of the synthetic scene (see `sim/ai.rs`). Off by default, as
    /// on a bare A8 mini.
    pub ai_module: bool,
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
            ai_module: false,
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

    /// Probabilities clamped to 0…1, speeds made non-negative and finite.
    pub(super) fn sanitized(mut self) -> Self {
        self.drop_probability = clamp_probability(self.drop_probability);
        self.corrupt_probability = clamp_probability(self.corrupt_probability);
        let defaults = Self::default();
        self.zoom_rate_per_s = sane_speed(self.zoom_rate_per_s, defaults.zoom_rate_per_s);
        self.gimbal_slew_dps = sane_speed(self.gimbal_slew_dps, defaults.gimbal_slew_dps);
        self.gimbal_max_rate_dps =
            sane_speed(self.gimbal_max_rate_dps, defaults.gimbal_max_rate_dps);
        self
    }
}

/// Longest delay the model schedules (about 31 years): larger knob values are cut to it, so adding
/// them to an `Instant` cannot overflow.
const MAX_DELAY_MS: u64 = 1_000_000_000_000;

/// `t` plus `ms` milliseconds, the delay capped at [`MAX_DELAY_MS`].
pub(super) fn later(t: Instant, ms: u64) -> Instant {
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
