//! The gimbal manager's control ownership (DO_GIMBAL_MANAGER_CONFIGURE) and whether the bridge
//! plays the manager at all (`--gimbal-manager auto|on|off`).
//!
//! Owns: who has primary and secondary control, and the manager role. Never touches: the link,
//! the host.

use mavlink::dialects::common::MavResult;

use super::device::Controllers;

/// Whether the bridge acts as the gimbal manager.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum ManagerMode {
    /// Manager until an autopilot shows it manages the device (requests GIMBAL_DEVICE_INFORMATION
    /// or sends GIMBAL_DEVICE_SET_ATTITUDE); then only the device.
    #[default]
    Auto,
    /// Always the manager (even beside an autopilot).
    On,
    /// Never the manager: only the device.
    Off,
}

/// A MAVLink user: (system id, component id).
pub type User = (u8, u8);

/// Control ownership and the manager role. See the module docs.
#[derive(Clone, PartialEq, Debug)]
pub struct Control {
    mode: ManagerMode,
    /// An autopilot manages the device (seen in auto mode).
    autopilot_manages: bool,
    primary: Option<User>,
    secondary: Option<User>,
}

impl Control {
    /// Nobody in control, in `mode`.
    pub fn new(mode: ManagerMode) -> Self {
        Self {
            mode,
            autopilot_manages: false,
            primary: None,
            secondary: None,
        }
    }

    /// True while the bridge plays the gimbal manager.
    pub fn manager_active(&self) -> bool {
        match self.mode {
            ManagerMode::On => true,
            ManagerMode::Off => false,
            ManagerMode::Auto => !self.autopilot_manages,
        }
    }

    /// An autopilot showed that it manages the device: true when the bridge steps down now.
    pub fn autopilot_manages(&mut self) -> bool {
        let was = self.manager_active();
        self.autopilot_manages = true;
        let stepped_down = was && !self.manager_active();
        if stepped_down {
            self.primary = None;
            self.secondary = None;
        }
        stepped_down
    }

    /// True when an autopilot is known to manage the device.
    pub fn autopilot_is_manager(&self) -> bool {
        self.autopilot_manages
    }

    /// Who is in control, as GIMBAL_MANAGER_STATUS reports it.
    pub fn controllers(&self) -> Controllers {
        Controllers {
            primary: self.primary.unwrap_or((0, 0)),
            secondary: self.secondary.unwrap_or((0, 0)),
        }
    }

    /// May `user` move the gimbal through the manager? Yes when nobody has primary control, or
    /// when `user` has primary or secondary control.
    pub fn may_command(&self, user: User) -> bool {
        match self.primary {
            None => true,
            Some(p) => p == user || self.secondary == Some(user),
        }
    }

    /// DO_GIMBAL_MANAGER_CONFIGURE from `from` with param1…param4 (sysid/compid primary, then
    /// secondary): −1 leaves a slot unchanged, −2 puts the sender in it, −3 releases it when the
    /// sender holds it, a (sysid, compid) pair names a user (0, 0 = nobody). Any user may take
    /// control (QGC asks its user before it takes control from another). Returns the result and
    /// whether anything changed.
    pub fn configure(&mut self, from: User, p: [f32; 4]) -> (MavResult, bool) {
        let before = (self.primary, self.secondary);
        let Some(primary) = slot(self.primary, from, p[0], p[1]) else {
            return (MavResult::MAV_RESULT_DENIED, false);
        };
        let Some(secondary) = slot(self.secondary, from, p[2], p[3]) else {
            return (MavResult::MAV_RESULT_DENIED, false);
        };
        self.primary = primary;
        self.secondary = secondary;
        (
            MavResult::MAV_RESULT_ACCEPTED,
            before != (self.primary, self.secondary),
        )
    }
}

/// The new value of one control slot; `None` = the parameters are not valid.
fn slot(current: Option<User>, from: User, sys: f32, comp: f32) -> Option<Option<User>> {
    let whole = |v: f32| (v.is_finite() && v.fract() == 0.0).then_some(v);
    let (sys, comp) = (whole(sys)?, whole(comp)?);
    Some(match (sys, comp) {
        (-1.0, _) => current,
        (-2.0, _) => Some(from),
        (-3.0, _) => {
            if current == Some(from) {
                None
            } else {
                current
            }
        }
        (s, c) if (0.0..=255.0).contains(&s) && (0.0..=255.0).contains(&c) => {
            if s == 0.0 && c == 0.0 {
                None
            } else {
                Some((s as u8, c as u8))
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const QGC: User = (255, 190);
    const OTHER: User = (254, 190);

    #[test]
    fn take_release_and_deny() {
        let mut c = Control::new(ManagerMode::Auto);
        assert!(c.may_command(QGC));
        assert_eq!(
            c.configure(QGC, [255.0, 190.0, -1.0, -1.0]),
            (MavResult::MAV_RESULT_ACCEPTED, true)
        );
        assert!(!c.may_command(OTHER));
        assert!(c.configure(OTHER, [-2.0, -2.0, -1.0, -1.0]).1);
        assert!(!c.may_command(QGC));
        assert!(c.may_command(OTHER));
        // QGC cannot release what it does not hold.
        assert!(!c.configure(QGC, [-3.0, -3.0, -1.0, -1.0]).1);
        assert!(c.configure(OTHER, [-3.0, -3.0, -1.0, -1.0]).1);
        assert!(c.may_command(QGC));
        assert_eq!(
            c.configure(QGC, [f32::NAN, 0.0, -1.0, -1.0]).0,
            MavResult::MAV_RESULT_DENIED
        );
        assert_eq!(
            c.configure(QGC, [300.0, 0.0, -1.0, -1.0]).0,
            MavResult::MAV_RESULT_DENIED
        );
    }

    #[test]
    fn steps_down_once_in_auto_only() {
        let mut c = Control::new(ManagerMode::Auto);
        assert!(c.manager_active());
        assert!(c.autopilot_manages());
        assert!(!c.manager_active());
        assert!(!c.autopilot_manages());
        let mut on = Control::new(ManagerMode::On);
        assert!(!on.autopilot_manages());
        assert!(on.manager_active());
        assert!(!Control::new(ManagerMode::Off).manager_active());
    }
}
