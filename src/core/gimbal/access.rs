//! Who may move the gimbal: addressing (our system and component, or a broadcast), the device id
//! a manager message names, and the rules of the two roles: the device listens to our autopilot,
//! or to anyone while no autopilot manages it; the manager obeys a user with control (or anyone
//! while nobody has primary control).
//!
//! Owns nothing: whether a message is ours (addressing and the allow-list: the host's one rule,
//! `Host::addressed`) comes in as a bool, what the host knows of the sender (whether it is our
//! autopilot on its own link) as a [`Sender`]; control ownership is read from [`Control`]; the
//! component carries a [`Verdict`] out.

use super::control::{Control, User};

/// A message's sender, as the host vetted it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Sender {
    /// Its system and component ids.
    pub user: User,
    /// It is our autopilot (system id, component 1, and the link its heartbeat came on).
    pub our_autopilot: bool,
}

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

/// GIMBAL_DEVICE_SET_ATTITUDE from `from`; `ours`: addressed to us (or broadcast) by a system
/// the allow-list lets command us.
pub fn device_setpoint(ours: bool, from: Sender, control: &Control) -> Verdict {
    if !ours {
        return Verdict::NotOurs;
    }
    if from.our_autopilot {
        return Verdict::Obey { autopilot: true };
    }
    if control.autopilot_is_manager() {
        // The device listens to its manager only.
        return Verdict::Denied;
    }
    Verdict::Obey { autopilot: false }
}

/// A manager set-point message from `from` naming `device_id`, when our component id is
/// `component_id` (`ours` as for [`device_setpoint`]).
pub fn manager_setpoint(
    ours: bool,
    from: Sender,
    device_id: u8,
    component_id: u8,
    control: &Control,
) -> Verdict {
    if !control.manager_active() || !ours {
        return Verdict::NotOurs;
    }
    if !control.may_command(from.user) {
        return Verdict::Denied;
    }
    if !our_device(component_id, f32::from(device_id)) {
        return Verdict::OtherDevice;
    }
    Verdict::Obey { autopilot: false }
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

/// The manager's gimbal_device_id parameter names our device (0 = all, 1 = the first).
pub fn our_device(component_id: u8, id: f32) -> bool {
    id.is_nan() || id == 0.0 || id == 1.0 || id == f32::from(component_id)
}
