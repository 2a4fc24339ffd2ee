//! The one door into the link for the MAVLink side: [`LinkControl`].
//!
//! Owns nothing: a trait.

use std::time::Instant;

use super::events::{LinkHealth, OpId, Operation, Owner};
use super::feed::{Fed, Feed};
use super::state::CameraState;

/// What the MAVLink side needs from the SIYI link. Implemented by [`SiyiLink`]; tests may use a
/// fake.
pub trait LinkControl {
    /// The camera state as last read from the camera.
    fn state(&self) -> &CameraState;
    /// Current link health.
    fn health(&self) -> LinkHealth;
    /// Starts an operation; its outcome arrives later as [`LinkEvent::OpFinished`] (possibly
    /// already during this call's follow-up polls, e.g. `Rejected` when the link is down),
    /// tagged with `owner`, the part that hears it.
    fn start(&mut self, now: Instant, owner: Owner, op: Operation) -> OpId;
    /// Feeds the camera one item for its EXIF data ([`Feed`]); says what was done with it. A
    /// link that does not feed the camera sends nothing ([`Fed::NotSupported`]).
    fn feed(&mut self, _now: Instant, _item: Feed) -> Fed {
        Fed::NotSupported
    }
}
