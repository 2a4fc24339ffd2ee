//! Each frame's capture time on our clock, sans-IO (times come in as arguments).
//!
//! Two estimates, the first that applies wins:
//! 1. **RTCP sender reports**, when the camera's wall clock agrees with ours: a report ties an
//!    RTP timestamp to the camera's wall time (NTP format). If that wall time is plausible on
//!    our wall clock (the report arrives 0–[`MAX_SR_AGE_S`] s after the time it states, both
//!    clocks set by NTP/GPS), a frame's capture time is the report's time plus the RTP time
//!    since it. A camera without a set clock (the A8 mini boots in 1970 or 2000) fails the test
//!    and the second estimate is used; it is said once in the log ([`CaptureClock::note`]).
//! 2. **Arrival time minus a configured latency**: the RTP timestamps give the frames' spacing
//!    exactly; the arrival times give where they sit on our clock, late by the network and
//!    queueing jitter. The estimate keeps the earliest implied start ("arrival − RTP time",
//!    a minimum filter that drops the jitter), lets it creep later by [`DRIFT`] per second so
//!    a camera clock slower than ours is followed, and subtracts the configured latency (the
//!    encode + send delay from the sensor to the first byte, `latency`; 150 ms for the A8 mini
//!    by default, to be calibrated against a clock filmed by the camera).

use std::time::{Duration, Instant};

/// A sender report whose time is older than this on arrival is not believed, seconds.
pub const MAX_SR_AGE_S: f64 = 2.0;
/// How far the minimum filter may creep later per second of video (100 ppm clock drift).
pub const DRIFT: f64 = 1e-4;
/// The default sensor-to-network latency subtracted from arrival times.
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(150);

/// How a frame's capture time was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureSource {
    /// From an RTCP sender report (the camera's clock agrees with ours).
    SenderReport,
    /// From the arrival time minus the configured latency.
    Arrival,
}

impl CaptureSource {
    /// In words.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SenderReport => "RTCP sender report",
            Self::Arrival => "arrival time minus the configured latency",
        }
    }
}

/// The capture-time estimator of one stream.
#[derive(Debug, Clone)]
pub struct CaptureClock {
    latency: Duration,
    /// The earliest "arrival − RTP seconds" seen, on our clock, and the RTP seconds then.
    floor: Option<(Instant, f64)>,
    /// A believed sender report: our instant for RTP second 0.
    sr_origin: Option<Instant>,
    note: Option<String>,
}

impl CaptureClock {
    /// An estimator subtracting `latency` from arrival times.
    pub fn new(latency: Duration) -> Self {
        Self {
            latency,
            floor: None,
            sr_origin: None,
            note: None,
        }
    }

    /// Forgets the stream (a new session: RTP timestamps start again).
    pub fn reset(&mut self) {
        self.floor = None;
        self.sr_origin = None;
    }

    /// A sender report: RTP time `rtp_s` (seconds on the stream's timeline) was taken at the
    /// camera's wall time `sender_wall_s` (seconds since 1970); it arrived at `now` when our
    /// wall clock read `our_wall_s`.
    pub fn on_sender_report(
        &mut self,
        rtp_s: f64,
        sender_wall_s: f64,
        our_wall_s: f64,
        now: Instant,
    ) {
        let age = our_wall_s - sender_wall_s;
        if !(0.0..=MAX_SR_AGE_S).contains(&age) {
            self.sr_origin = None;
            if self.note.is_none() {
                self.note = Some(format!(
                    "the camera's clock differs from ours by {:.1} s: capture times are arrival times minus {} ms",
                    -age,
                    self.latency.as_millis()
                ));
            }
            return;
        }
        let at = now.checked_sub(Duration::from_secs_f64(age));
        self.sr_origin = at.and_then(|t| sub_secs(t, rtp_s));
    }

    /// A frame with RTP time `rtp_s` (seconds on the stream's timeline, ≥ 0) arrived at `now`:
    /// its capture time and how it was found.
    pub fn on_frame(&mut self, rtp_s: f64, now: Instant) -> (Instant, CaptureSource) {
        let rtp_s = rtp_s.max(0.0);
        if let Some(origin) = self.sr_origin {
            let t = add_secs(origin, rtp_s);
            if t <= now {
                return (t, CaptureSource::SenderReport);
            }
        }
        let implied = sub_secs(now, rtp_s).unwrap_or(now);
        let floor = match self.floor {
            Some((f, at_rtp)) => {
                let crept = add_secs(f, (rtp_s - at_rtp).max(0.0) * DRIFT);
                crept.min(implied)
            }
            None => implied,
        };
        self.floor = Some((floor, rtp_s));
        let arrival_on_time = add_secs(floor, rtp_s).min(now);
        let t = arrival_on_time
            .checked_sub(self.latency)
            .unwrap_or(arrival_on_time);
        (t, CaptureSource::Arrival)
    }

    /// Something to log once (the camera's clock was not believed), taken.
    pub fn note(&mut self) -> Option<String> {
        self.note.take()
    }
}

fn add_secs(t: Instant, s: f64) -> Instant {
    t + Duration::from_secs_f64(s.max(0.0))
}

fn sub_secs(t: Instant, s: f64) -> Option<Instant> {
    t.checked_sub(Duration::from_secs_f64(s.max(0.0)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // one real Instant as the origin of the test's times
    use super::*;

    #[test]
    fn arrival_jitter_is_filtered_and_latency_subtracted() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut c = CaptureClock::new(Duration::from_millis(150));
        // Frames every 40 ms, taken at t0 + k·40 ms, arriving 10 ms later plus 0–30 ms jitter.
        let jitter = [0u64, 30, 5, 20, 0, 25, 10];
        for (k, j) in jitter.iter().enumerate() {
            let rtp = k as f64 * 0.04;
            let arrival = t0 + Duration::from_millis(40 * k as u64 + 10 + j);
            let (t, src) = c.on_frame(rtp, arrival);
            assert_eq!(src, CaptureSource::Arrival);
            let want = t0 + Duration::from_millis(40 * k as u64 + 10) - Duration::from_millis(150);
            // From the first on-time frame on, the jitter is gone (up to the drift allowance:
            // 100 ppm of the RTP time since the filter's minimum).
            if k >= 4 {
                let off = if t > want { t - want } else { want - t };
                assert!(off < Duration::from_micros(100), "frame {k}: {off:?}");
            }
            assert!(t <= arrival - Duration::from_millis(150));
        }
    }

    #[test]
    fn sender_reports_are_used_only_when_the_clocks_agree() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut c = CaptureClock::new(Duration::from_millis(150));
        // A camera in 1970: not believed, said once.
        c.on_sender_report(1.0, 5.0, 1.8e9, t0);
        assert!(c.note().unwrap().contains("clock differs"));
        assert_eq!(c.on_frame(1.0, t0).1, CaptureSource::Arrival);
        // A synchronised camera: RTP 2.0 s was at wall 1000.0, the report came 50 ms later.
        c.on_sender_report(2.0, 1000.0, 1000.05, t0);
        let (t, src) = c.on_frame(2.5, t0 + Duration::from_millis(600));
        assert_eq!(src, CaptureSource::SenderReport);
        assert_eq!(
            t,
            t0 - Duration::from_millis(50) + Duration::from_millis(500)
        );
        assert!(c.note().is_none());
    }
}
