//! Who may move the gimbal: the allow-list (`--allow-sysid`), addressing (our system and
//! component, or a broadcast), the device id a manager message names, and the rules of the two
//! roles: the device listens to our autopilot, or to anyone while no autopilot manages it; the
//! manager obeys a user with control (or anyone while nobody has primary control).
//!
//! Owns: the allow-list. Never touches: the link, the host (our ids are handed in), control
//! ownership (read from [`Control`]; the component carries a [`Verdict`] out).

use super::control::{Control, User};

/// MAV_COMP_ID_AUTOPILOT1.
pub const AUTOPILOT_COMPONENT: u8 = 1;

/// What to do with a set-point message or a manager command.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// Not ours: a message is ignored, a command answered UNSUPPORTED.
    NotOurs,
    /// It names another gimbal device: ignored, a command DENIED.
    OtherDevice,
    /// The sender may not (no control; the device listens to its manager only): counted,
    /// ignored, a command DENIED.
    Denied,
    /// Obey; `autopilot` = from our autopilot, which shows it manages the device.
    Obey {
        /// From our autopilot.
        autopilot: bool,
    },
}

/// The allow-list and the rules. See the module docs.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Access {
    /// Systems allowed to command the gimbal; empty = every system.
    allowed_systems: Vec<u8>,
}

impl Access {
    /// Rules with this allow-list (empty = every system).
    pub fn new(allowed_systems: Vec<u8>) -> Self {
        Self { allowed_systems }
    }

    fn allowed(&self, system: u8) -> bool {
        self.allowed_systems.is_empty() || self.allowed_systems.contains(&system)
    }

    /// GIMBAL_DEVICE_SET_ATTITUDE from `from` to `target`, when we are `us`.
    pub fn device_setpoint(
        &self,
        us: User,
        from: User,
        target: User,
        control: &Control,
    ) -> Verdict {
        if !for_us(us, target) || !self.allowed(from.0) {
            return Verdict::NotOurs;
        }
        if is_our_autopilot(us, from) {
            return Verdict::Obey { autopilot: true };
        }
        if control.autopilot_is_manager() {
            // The device listens to its manager only.
            return Verdict::Denied;
        }
        Verdict::Obey { autopilot: false }
    }

    /// A manager set-point message from `from` to `target` naming `device_id`, when we are `us`.
    pub fn manager_setpoint(
        &self,
        us: User,
        from: User,
        target: User,
        device_id: u8,
        control: &Control,
    ) -> Verdict {
        if !control.manager_active() || !for_us(us, target) || !self.allowed(from.0) {
            return Verdict::NotOurs;
        }
        if !control.may_command(from) {
            return Verdict::Denied;
        }
        if !our_device(us.1, f32::from(device_id)) {
            return Verdict::OtherDevice;
        }
        Verdict::Obey { autopilot: false }
    }
}

/// A manager command (addressing and the allow-list already vetted by the host) from `from`
/// naming `device_id`, when our component id is `component_id`.
pub fn manager_command(component_id: u8, from: User, device_id: f32, control: &Control) -> Verdict {
    if !control.manager_active() {
        return Verdict::NotOurs;
    }
    if !our_device(component_id, device_id) {
        return Verdict::OtherDevice;
    }
    if !control.may_command(from) {
        return Verdict::Denied;
    }
    Verdict::Obey { autopilot: false }
}

/// `user` is our autopilot (our system id, component 1).
pub fn is_our_autopilot(us: User, user: User) -> bool {
    user == (us.0, AUTOPILOT_COMPONENT)
}

/// Addressed to `us` (or to every component of our system).
fn for_us(us: User, (target_system, target_component): User) -> bool {
    (target_system == 0 || target_system == us.0)
        && (target_component == 0 || target_component == us.1)
}

/// The manager's gimbal_device_id parameter names our device (0 = all, 1 = the first).
pub fn our_device(component_id: u8, id: f32) -> bool {
    id.is_nan() || id == 0.0 || id == 1.0 || id == f32::from(component_id)
}
