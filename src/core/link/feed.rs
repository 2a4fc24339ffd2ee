//! What the camera is fed for the geotags of its own files (EXIF): the UTC time (0x30), the
//! aircraft's attitude (0x22) and its raw GPS position (0x3E), as plain values.
//!
//! The link only sends them: what they mean, where they come from and how often is the
//! caller's business (`core::camera::exif_feed`). 0x30 has a reply and goes through the pending
//! table (at most one in flight, one attempt; after [`super::LinkConfig::unanswered_after`]
//! unanswered attempts it is given up with [`super::FallbackUsed::ClockNotSet`]); 0x22 and 0x3E
//! have no reply on the A8 mini and are sent blind. Nothing is sent unless the link is up.

use std::time::Instant;

use siyi_protocol::{AircraftAttitude, CmdId, RawGps, Request};

use super::pending::RetryPolicy;
use super::requests::Requests;

/// One item for the camera's EXIF data.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Feed {
    /// 0x30 set UTC time, microseconds since the Unix epoch.
    UtcTime {
        /// Microseconds since 1970-01-01T00:00:00Z.
        unix_time_us: u64,
    },
    /// 0x22 aircraft attitude (fire and forget).
    AircraftAttitude(AircraftAttitude),
    /// 0x3E raw GPS (fire and forget).
    RawGps(RawGps),
}

/// What the link did with a [`Feed`] item.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fed {
    /// Put on the wire.
    Sent,
    /// Not sent: the link is not up (camera searching, booting or lost).
    LinkDown,
    /// Not sent: a 0x30 is already waiting for its reply.
    InFlight,
    /// Not sent: the camera never answers 0x30 (given up, its fallback is in use).
    GivenUp,
    /// Not sent: this link does not feed the camera (a test fake).
    NotSupported,
}

/// Sends `item` at `now` (the link is up); 0x30 waits for its reply with `policy`.
pub(super) fn send(requests: &mut Requests, now: Instant, item: Feed, policy: RetryPolicy) -> Fed {
    match item {
        Feed::UtcTime { unix_time_us } => {
            let cmd = CmdId::SET_UTC_TIME;
            if requests.given_up(cmd) {
                return Fed::GivenUp;
            }
            if requests.in_flight(cmd) {
                return Fed::InFlight;
            }
            requests.poll(now, Request::SetUtcTime { unix_time_us }, policy);
        }
        Feed::AircraftAttitude(a) => requests.transmit(&Request::AircraftAttitude(a)),
        Feed::RawGps(g) => requests.transmit(&Request::RawGps(g)),
    }
    Fed::Sent
}
