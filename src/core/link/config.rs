//! The link's tunables, counters and the A8 mini's limits.

use std::time::{Duration, Instant};

use siyi_protocol::{DecoderStats, StreamFrequency, StreamType, Zoom};

/// A8 mini gimbal limits for 0x0E, tenths of a degree: yaw ±135.0°.
pub const YAW_LIMIT_DECIDEGREES: i16 = 1350;
/// A8 mini gimbal limits for 0x0E, tenths of a degree: pitch −90.0°.
pub const PITCH_MIN_DECIDEGREES: i16 = -900;
/// A8 mini gimbal limits for 0x0E, tenths of a degree: pitch +25.0°.
pub const PITCH_MAX_DECIDEGREES: i16 = 250;

/// Bad frames / payloads are all counted in [`LinkStats`], but reported as an event at most once
/// per this interval, so a noisy link cannot flood the log.
pub const BAD_INPUT_REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// Lets a bad-input report through at most once per [`BAD_INPUT_REPORT_INTERVAL`].
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ReportGate {
    last: Option<Instant>,
}

impl ReportGate {
    /// True (and the interval starts again) when a report may go out at `now`.
    pub(super) fn open(&mut self, now: Instant) -> bool {
        let open = (self.last)
            .is_none_or(|t| now.saturating_duration_since(t) >= BAD_INPUT_REPORT_INTERVAL);
        if open {
            self.last = Some(now);
        }
        open
    }
}

/// Streams whose encoding parameters are asked once with 0x20 (recording, main, sub).
pub(super) const ENCODING_STREAMS: [StreamType; 3] =
    [StreamType::Recording, StreamType::Main, StreamType::Sub];

/// Tunables of the link. [`Default`] gives the values described in
/// the field docs.
#[derive(Clone, PartialEq, Debug)]
pub struct LinkConfig {
    /// Time allowed for a reply to one request attempt (default 500 ms).
    pub request_timeout: Duration,
    /// Attempts per request in total, first send included (default 3).
    pub max_attempts: u8,
    /// Consecutive unanswered attempts of one command, while the camera answers others, after which
    /// the command is declared unanswered and its fallback used (default 5). Only for commands
    /// with a fallback (0x05, 0x0F, 0x16, 0x18, 0x19, 0x20, 0x25, 0x30).
    pub unanswered_after: u8,
    /// Silence after which the camera is declared lost (default 3000 ms).
    pub lost_after: Duration,
    /// Interval of the start-up queries 0x02 / 0x01 (default 1000 ms).
    pub startup_interval: Duration,
    /// Interval of the 0x0A system-info poll (default 1000 ms).
    pub info_interval: Duration,
    /// Interval of the 0x0A poll while an operation waits for a reading (default 250 ms).
    pub confirm_poll: Duration,
    /// Interval of the 0x0D attitude poll (default 100 ms = 10 Hz).
    pub attitude_interval: Duration,
    /// Interval of the 0x18 current-zoom poll (default 1000 ms).
    pub zoom_interval: Duration,
    /// Interval of the one-off queries 0x16 / 0x20 until answered (default 1000 ms).
    pub once_interval: Duration,
    /// Interval of the 0x01 firmware check while up, to notice a reboot (default 5000 ms).
    pub firmware_check: Duration,
    /// Re-send interval of a held continuous zoom, 0x05 (default 500 ms).
    pub zoom_keepalive: Duration,
    /// Time to wait for a 0x0B photo feedback (default 1500 ms). Without one the photo counts as
    /// taken only if the camera never reports photos and answered after the command.
    pub photo_timeout: Duration,
    /// A 0x0A reading at most this old counts as fresh for a recording decision (default 1000 ms).
    pub info_fresh: Duration,
    /// Time for a recording operation to get its fresh 0x0A reading, and again to see the
    /// state change after the toggle (default 3000 ms each).
    pub record_timeout: Duration,
    /// Time for a motion-mode change to show in 0x0A (default 3000 ms).
    pub mode_timeout: Duration,
    /// Request a 0x25 attitude stream at this rate (default `None`: poll 0x0D). See the module
    /// docs of `crate::core::link` for the reasoning.
    pub attitude_stream: Option<StreamFrequency>,
    /// Re-arm interval of the 0x25 stream (default 10000 ms; stream lifetime is undocumented).
    pub stream_rearm: Duration,
    /// How often 0x4D (AI mode) is asked while the camera is up (default 5000 ms): an AI
    /// tracking module can be attached or switched on at any time.
    pub ai_poll: Duration,
    /// Commands known beforehand (from a camera profile, `run --camera-profile`) never to be
    /// answered: their fallback is used from the start instead of after `unanswered_after`
    /// silent attempts (default none). Only commands with a fallback are taken.
    pub known_unanswered: std::collections::BTreeSet<siyi_protocol::CmdId>,
    /// Max zoom used when the camera does not answer 0x16 (default 6.0×, the A8 mini's).
    pub max_zoom_fallback: Zoom,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_millis(500),
            max_attempts: 3,
            unanswered_after: 5,
            lost_after: Duration::from_millis(3000),
            startup_interval: Duration::from_millis(1000),
            info_interval: Duration::from_millis(1000),
            confirm_poll: Duration::from_millis(250),
            attitude_interval: Duration::from_millis(100),
            zoom_interval: Duration::from_millis(1000),
            once_interval: Duration::from_millis(1000),
            firmware_check: Duration::from_millis(5000),
            zoom_keepalive: Duration::from_millis(500),
            photo_timeout: Duration::from_millis(1500),
            info_fresh: Duration::from_millis(1000),
            record_timeout: Duration::from_millis(3000),
            mode_timeout: Duration::from_millis(3000),
            attitude_stream: None,
            stream_rearm: Duration::from_millis(10_000),
            ai_poll: Duration::from_millis(5000),
            known_unanswered: std::collections::BTreeSet::new(),
            max_zoom_fallback: Zoom { int: 6, tenths: 0 },
        }
    }
}

/// Counters of a [`super::SiyiLink`].
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug, serde::Serialize)]
pub struct LinkStats {
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Valid frames received.
    pub frames_in: u64,
    /// Frames rejected by the framing layer (bad CRC, truncated, garbage datagrams).
    pub bad_frames: u64,
    /// Valid frames whose payload could not be decoded for their command id.
    pub bad_payloads: u64,
    /// Replies for which no request was in flight (late replies after a give-up, duplicates).
    pub unsolicited: u64,
    /// Frames sent.
    pub frames_out: u64,
    /// Re-sends after a timeout.
    pub retries: u64,
    /// Requests abandoned after their last attempt.
    pub abandoned: u64,
    /// The frame decoder's own counters.
    pub decoder: DecoderStats,
}
