//! The SIYI link: a careful SIYI client that polls the camera's real state (sans-IO).
//!
//! This file defines the interface the MAVLink side uses ([`LinkControl`], [`Operation`],
//! [`LinkEvent`], [`CameraState`]). The implementation is [`SiyiLink`].

mod config;
mod control;
mod events;
mod fallback;
mod feed;
mod health;
mod intake;
mod ops;
mod pending;
mod polls;
mod requests;
mod siyi_link;
pub mod state;
mod timer;
mod words;

pub use config::{
    LinkConfig, LinkStats, BAD_INPUT_REPORT_INTERVAL, PITCH_MAX_DECIDEGREES, PITCH_MIN_DECIDEGREES,
    YAW_LIMIT_DECIDEGREES,
};
pub use control::LinkControl;
pub use events::{
    FailReason, FallbackUsed, LinkEvent, LinkHealth, OpId, OpOutcome, Operation, Owner,
    RejectReason,
};
pub use feed::{Fed, Feed};
pub use siyi_link::SiyiLink;

pub use state::{CameraState, Fresh, ZoomSource};
pub use words::{link_event_words, link_stats_words, record_state_words, recording_change_words};
