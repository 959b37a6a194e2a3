//! The devices screen at the desk: what the view asks of the backend ([`DeviceCommand`]) and
//! what it answers ([`DeviceEvent`]). The registry and each device's health are the central's
//! (`GET /devices`, `GET /devices/{id}/health`); the desk judges lateness itself between reads.

// Re-exported: the view names what it shows through the messages that carry them (the UI may
// not reach into the protocol layer).
pub use crate::protocol::devices::{
    BATTERY_CUTOFF_V, DeviceHealth, DeviceList, DeviceView, HealthHour, HealthPage,
};

use crate::domain::devices::DeviceId;

/// Requests to the devices service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceCommand {
    /// Read every device with its health.
    LoadList,
    /// Read one device's health page.
    LoadHealth(DeviceId),
}

/// Which read a refusal answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceRead {
    /// The list.
    List,
    /// One device's health page.
    Health(DeviceId),
}

/// Reports of the devices service.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEvent {
    /// The list, as the central judged it.
    ListLoaded(Box<DeviceList>),
    /// A device's health page.
    HealthLoaded(Box<HealthPage>),
    /// A read was not done: the code and its words in the desk's language.
    Refused {
        /// What was read.
        read: DeviceRead,
        /// The refusal's code (`unreachable` when the central could not be reached).
        code: String,
        /// What to show.
        message: String,
    },
}
