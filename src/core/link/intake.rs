//! What comes in from the camera: datagrams → frames → replies.
//!
//! Owns: the frame decoder, the bad-input report gate and the input counters (datagrams, valid
//! frames, bad frames, bad payloads). Damaged input is counted and reported
//! ([`LinkEvent::BadFrame`], [`LinkEvent::BadPayload`], at most once per
//! [`super::BAD_INPUT_REPORT_INTERVAL`]). Never touches: health, timers, requests or operations
//! (the conductor acts on what comes out).

use std::collections::VecDeque;
use std::time::Instant;

use siyi_protocol::{Frame, FrameDecoder, FrameError, PayloadError, Reply};

use super::config::{LinkStats, ReportGate};
use super::LinkEvent;

/// The input side of the link.
#[derive(Debug)]
pub(super) struct Intake {
    decoder: FrameDecoder,
    bad_reports: ReportGate,
    datagrams_in: u64,
    frames_in: u64,
    bad_frames: u64,
    bad_payloads: u64,
}

impl Default for Intake {
    fn default() -> Self {
        Self {
            decoder: FrameDecoder::new(),
            bad_reports: ReportGate::default(),
            datagrams_in: 0,
            frames_in: 0,
            bad_frames: 0,
            bad_payloads: 0,
        }
    }
}

impl Intake {
    /// Splits one datagram into its frames and framing errors, in order. Over UDP a frame never
    /// spans datagrams: bytes left over are a truncated frame, and a datagram without any frame
    /// is garbage; both end the list as an error. Errors are not counted yet: the conductor hands
    /// them back to [`Self::bad_frame`] in their turn.
    pub(super) fn datagram(&mut self, bytes: &[u8]) -> Vec<Result<Frame, FrameError>> {
        self.datagrams_in += 1;
        self.decoder.push(bytes);
        let mut items = Vec::new();
        while let Some(item) = self.decoder.next_frame() {
            self.frames_in += u64::from(item.is_ok());
            items.push(item);
        }
        let left = self.decoder.buffered();
        if left > 0 || items.is_empty() {
            let err = if left > 0 {
                FrameError::Truncated {
                    needed: 10,
                    got: left,
                }
            } else {
                FrameError::BadSync {
                    found: bytes.iter().take(2).copied().collect(),
                }
            };
            self.decoder.clear();
            items.push(Err(err));
        }
        items
    }

    /// Counts a damaged frame and reports it unless a report went out recently.
    pub(super) fn bad_frame(&mut self, now: Instant, err: FrameError, events: &mut Events) {
        self.bad_frames += 1;
        if self.bad_reports.open(now) {
            events.push_back(LinkEvent::BadFrame(err));
        }
    }

    /// The reply a valid frame carries; an undecodable payload is counted and reported like a
    /// damaged frame.
    pub(super) fn reply(
        &mut self,
        now: Instant,
        frame: &Frame,
        events: &mut Events,
    ) -> Option<Reply> {
        Reply::from_frame(frame)
            .map_err(|err: PayloadError| {
                self.bad_payloads += 1;
                if self.bad_reports.open(now) {
                    events.push_back(LinkEvent::BadPayload(err));
                }
            })
            .ok()
    }

    /// Writes the input counters into `s`.
    pub(super) fn count(&self, s: &mut LinkStats) {
        s.datagrams_in = self.datagrams_in;
        s.frames_in = self.frames_in;
        s.bad_frames = self.bad_frames;
        s.bad_payloads = self.bad_payloads;
        s.decoder = self.decoder.stats();
    }
}

type Events = VecDeque<LinkEvent>;
