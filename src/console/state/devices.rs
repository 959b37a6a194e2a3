//! What the desk knows of devices: which changed since the devices screen last read the
//! registry (the screen reads it again when this moves).

use crate::domain::devices::DeviceId;

/// The devices' state on the desk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevicesState {
    /// Moves on every change the feed brings of a device (registered, changed, status).
    pub revision: u64,
    /// The devices the last change named.
    pub last_changed: Vec<DeviceId>,
    /// Moves on every change the feed brings of a device alarm.
    pub alarm_revision: u64,
}

impl DevicesState {
    /// Notes that the feed brought changes of `devices`.
    pub fn changed(&mut self, devices: Vec<DeviceId>) {
        self.revision += 1;
        self.last_changed = devices;
    }

    /// Notes that the feed brought changes of device alarms.
    pub fn alarms_changed(&mut self, _alarms: Vec<u64>) {
        self.alarm_revision += 1;
    }
}
