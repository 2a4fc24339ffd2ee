//! Power and boot: when the camera firmware word becomes real, when a rebooting camera answers
//! again, the planned reboot (0x80 or the `reboot_at_ms` fault knob) and the reboot count.

use std::time::Instant;

use super::config::{later, SimConfig};

/// A reboot planned for `at`: of the camera, the gimbal or both.
#[derive(Clone, Copy, Debug)]
pub(super) struct RebootPlan {
    pub(super) at: Instant,
    pub(super) camera: bool,
    pub(super) gimbal: bool,
}

/// Boot and reboot timing.
#[derive(Clone, Debug)]
pub(super) struct Power {
    /// The camera firmware word reads 0.0.0 until this instant.
    pub(super) booting_until: Instant,
    /// The camera answers nothing until this instant (rebooting).
    pub(super) silent_until: Option<Instant>,
    /// Number of reboots since start.
    pub(super) reboots: u32,
    plan: Option<RebootPlan>,
    boot_time_ms: u64,
    silence_ms: u64,
}

impl Power {
    /// Powered up at `now`, with the `reboot_at_ms` fault planned if set.
    pub(super) fn new(config: &SimConfig, now: Instant) -> Self {
        Self {
            booting_until: later(now, config.boot_time_ms),
            silent_until: None,
            reboots: 0,
            plan: config.reboot_at_ms.map(|ms| RebootPlan {
                at: later(now, ms),
                camera: true,
                gimbal: true,
            }),
            boot_time_ms: config.boot_time_ms,
            silence_ms: config.reboot_silence_ms,
        }
    }

    /// Whether the camera answers nothing at `now`.
    pub(super) fn is_silent(&self, now: Instant) -> bool {
        self.silent_until.is_some_and(|t| now < t)
    }

    /// Whether the camera firmware word still reads 0.0.0 at `now`.
    pub(super) fn is_booting(&self, now: Instant) -> bool {
        now < self.booting_until
    }

    /// Plans a reboot at `at` (replacing any planned one).
    pub(super) fn plan(&mut self, plan: RebootPlan) {
        self.plan = Some(plan);
    }

    /// The planned reboot, if any.
    pub(super) fn planned(&self) -> Option<RebootPlan> {
        self.plan
    }

    /// Starts the planned reboot `plan`: a camera reboot is silent, then boots again.
    pub(super) fn start(&mut self, plan: RebootPlan) {
        self.plan = None;
        if plan.camera {
            let awake = later(plan.at, self.silence_ms);
            self.silent_until = Some(awake);
            self.booting_until = later(awake, self.boot_time_ms);
            self.reboots += 1;
        }
    }

    /// Ends the silence once `now` has reached it.
    pub(super) fn wake(&mut self, now: Instant) {
        if self.silent_until.is_some_and(|t| t <= now) {
            self.silent_until = None;
        }
    }
}
