//! The gimbal component's configuration, the events it hands the application and its counters.
//!
//! Owns nothing: plain values the component is built from and reports with. Never touches: the
//! link, the host.

use std::time::Duration;

use crate::core::mavlink::HostStats;

use super::control::ManagerMode;

/// Configuration of the gimbal component.
#[derive(Clone, PartialEq, Debug)]
pub struct GimbalConfig {
    /// Fixed system id; `None` = learn it from the autopilot's HEARTBEAT (1 until then).
    pub system_id: Option<u8>,
    /// Component id (154 = MAV_COMP_ID_GIMBAL, what PX4's `MNT_MAV_COMPID` expects).
    pub component_id: u8,
    /// Whether to act as the gimbal manager.
    pub manager: ManagerMode,
    /// How long a command is remembered to recognise retransmissions.
    pub dedupe_window: Duration,
    /// Systems allowed to command the gimbal; empty = every system.
    pub allowed_systems: Vec<u8>,
}

impl Default for GimbalConfig {
    fn default() -> Self {
        Self {
            system_id: None,
            component_id: 154,
            manager: ManagerMode::Auto,
            dedupe_window: Duration::from_secs(3),
            allowed_systems: Vec::new(),
        }
    }
}

/// Something the application should know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GimbalEvent {
    /// The system id was learned from the autopilot's heartbeat.
    SystemIdLearned(u8),
    /// An autopilot manages the gimbal: the bridge stopped being the manager (auto mode).
    ManagerSteppedDown,
}

/// Counters (for logs and tests).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct GimbalStats {
    /// The host's counters.
    pub host: HostStats,
    /// Set-points refused: NaN/infinite values, a quaternion that is not a unit quaternion.
    pub bad_setpoints: u64,
    /// Set-points clamped to the gimbal's limits.
    pub clamped: u64,
    /// Manager commands and messages from a user without control (DENIED or ignored).
    pub denied: u64,
    /// Rate motions stopped because their set-points stopped arriving.
    pub rate_timeouts: u64,
}
