//! `siyi-bridge camera probe`, the pure part: which questions a probe asks a camera, what each
//! one sends, how long it waits, and what the camera's answers (or its silence) mean.
//!
//! Nothing here touches a socket or a clock. The runner (`cli/probe.rs`) sends what a
//! [`Question`] says, collects the datagrams that come back as [`Heard`] values (with their
//! delay after the request, in milliseconds), asks a liveness question when a reply is missing,
//! and hands everything to a `judge_*` function, which returns a [`Judgement`]:
//!
//! * **supported**: the camera answered with a frame of the expected command id whose payload is
//!   at least as long as the layout needs (a length other than the A8 mini's is said in the note);
//! * **unsupported**: no reply within the timeout while the camera answered the liveness question
//!   (0x01) right after: the firmware ignores this command;
//! * **inconclusive**: garbage, a reply too short to be the layout, or silence while the camera
//!   answered nothing at all (it stopped answering mid-probe), or a question that was skipped.

mod heard;
mod judge;
mod questions;
mod report;
#[cfg(test)]
mod tests;

pub use heard::{answered, Heard};
pub use judge::*;
pub use questions::*;
pub use report::*;
