//! The gimbal manager's control ownership (DO_GIMBAL_MANAGER_CONFIGURE) and whether the bridge
//! plays the manager at all (`--gimbal-manager auto|on|off`).
//!
//! Our autopilot as a client (PX4's `MNT_MODE_OUT=3`: PX4 finds our manager from its
//! GIMBAL_MANAGER_STATUS / INFORMATION, takes primary control for ROI and mission pointing,
//! streams GIMBAL_MANAGER_SET_PITCHYAW, releases with −3 when idle): while it holds primary
//! control it keeps it. A ground station that held primary control when the autopilot took it
//! becomes secondary (it may still move the gimbal); one that asks for primary control meanwhile
//! gets secondary control; when the autopilot releases, that ground station has primary control
//! again. Nobody but the autopilot changes the primary slot while it holds it.
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
    /// Our autopilot holds primary control (taken as a client of our manager).
    autopilot_primary: bool,
    /// The user the autopilot displaced to secondary control (primary again on release).
    displaced: Option<User>,
}

impl Control {
    /// Nobody in control, in `mode`.
    pub fn new(mode: ManagerMode) -> Self {
        Self {
            mode,
            autopilot_manages: false,
            primary: None,
            secondary: None,
            autopilot_primary: false,
            displaced: None,
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
            self.autopilot_primary = false;
            self.displaced = None;
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
    /// control (QGC asks its user before it takes control from another), except from our
    /// autopilot while it holds primary control (see the module docs; `from_autopilot` = the
    /// sender is our autopilot). Returns the result and whether anything changed.
    pub fn configure(
        &mut self,
        from: User,
        from_autopilot: bool,
        p: [f32; 4],
    ) -> (MavResult, bool) {
        let before = (self.primary, self.secondary);
        let Some(mut primary) = slot(self.primary, from, p[0], p[1]) else {
            return (MavResult::MAV_RESULT_DENIED, false);
        };
        let Some(mut secondary) = slot(self.secondary, from, p[2], p[3]) else {
            return (MavResult::MAV_RESULT_DENIED, false);
        };
        if from_autopilot {
            let takes = primary == Some(from) && self.primary != Some(from);
            let releases = self.autopilot_primary && primary != Some(from);
            if takes {
                // The user it displaces keeps secondary control (unless the slot was set).
                if let Some(old) = self.primary.filter(|_| secondary == self.secondary) {
                    secondary = Some(old);
                    self.displaced = Some(old);
                }
                self.autopilot_primary = true;
            } else if releases {
                self.autopilot_primary = false;
                // The displaced user, still secondary, has primary control again.
                if let Some(d) = self.displaced.take().filter(|d| secondary == Some(*d)) {
                    if primary.is_none() {
                        (primary, secondary) = (Some(d), None);
                    }
                }
            }
        } else if self.autopilot_primary {
            // The autopilot keeps primary control; asking for it makes the asker secondary.
            if primary == Some(from) {
                secondary = Some(from);
                self.displaced = Some(from);
            }
            primary = self.primary;
        }
        self.primary = primary;
        self.secondary = secondary;
        (
            MavResult::MAV_RESULT_ACCEPTED,
            before != (self.primary, self.secondary),
        )
    }

    /// True while our autopilot holds primary control as a client of our manager.
    pub fn autopilot_in_control(&self) -> bool {
        self.autopilot_primary
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
            c.configure(QGC, false, [255.0, 190.0, -1.0, -1.0]),
            (MavResult::MAV_RESULT_ACCEPTED, true)
        );
        assert!(!c.may_command(OTHER));
        assert!(c.configure(OTHER, false, [-2.0, -2.0, -1.0, -1.0]).1);
        assert!(!c.may_command(QGC));
        assert!(c.may_command(OTHER));
        // QGC cannot release what it does not hold.
        assert!(!c.configure(QGC, false, [-3.0, -3.0, -1.0, -1.0]).1);
        assert!(c.configure(OTHER, false, [-3.0, -3.0, -1.0, -1.0]).1);
        assert!(c.may_command(QGC));
        assert_eq!(
            c.configure(QGC, false, [f32::NAN, 0.0, -1.0, -1.0]).0,
            MavResult::MAV_RESULT_DENIED
        );
        assert_eq!(
            c.configure(QGC, false, [300.0, 0.0, -1.0, -1.0]).0,
            MavResult::MAV_RESULT_DENIED
        );
    }

    const PX4: User = (1, 1);

    #[test]
    fn px4_as_client_keeps_primary_while_it_holds_it_and_qgc_is_secondary() {
        let mut c = Control::new(ManagerMode::Auto);
        // QGC took control first.
        assert!(c.configure(QGC, false, [-2.0, -2.0, -1.0, -1.0]).1);
        // PX4 (MNT_MODE_OUT=3) takes it with its own ids: QGC becomes secondary.
        let (r, changed) = c.configure(PX4, true, [1.0, 1.0, -1.0, -1.0]);
        assert_eq!((r, changed), (MavResult::MAV_RESULT_ACCEPTED, true));
        assert_eq!(c.controllers().primary, PX4);
        assert_eq!(c.controllers().secondary, QGC);
        assert!(c.autopilot_in_control() && c.manager_active());
        assert!(c.may_command(PX4) && c.may_command(QGC) && !c.may_command(OTHER));
        // Nobody else changes the primary slot meanwhile.
        c.configure(OTHER, false, [-2.0, -2.0, -1.0, -1.0]);
        assert_eq!(c.controllers().primary, PX4);
        assert_eq!(c.controllers().secondary, OTHER);
        c.configure(QGC, false, [0.0, 0.0, -1.0, -1.0]);
        assert_eq!(c.controllers().primary, PX4);
        // QGC asks again: secondary again, and primary after PX4 releases (−3).
        c.configure(QGC, false, [255.0, 190.0, -1.0, -1.0]);
        assert_eq!(c.controllers().secondary, QGC);
        assert!(c.configure(PX4, true, [-3.0, -3.0, -1.0, -1.0]).1);
        assert_eq!(c.controllers().primary, QGC);
        assert_eq!(c.controllers().secondary, (0, 0));
        assert!(!c.autopilot_in_control());
        // Taken with −2 (the spec's "set itself") and released with 0/0: nobody in control.
        let mut c = Control::new(ManagerMode::Auto);
        c.configure(PX4, true, [-2.0, -2.0, -1.0, -1.0]);
        assert_eq!(c.controllers().primary, PX4);
        c.configure(PX4, true, [0.0, 0.0, -1.0, -1.0]);
        assert_eq!(c.controllers().primary, (0, 0));
        assert!(c.may_command(QGC));
        // A repeated take changes nothing.
        c.configure(PX4, true, [1.0, 1.0, -1.0, -1.0]);
        assert!(!c.configure(PX4, true, [1.0, 1.0, -1.0, -1.0]).1);
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
