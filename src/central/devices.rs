//! Devices on the central. The registry says which devices exist; the transports (MQTT through
//! the broker, Modbus TCP, Modbus RTU behind a DTU) turn what devices say into [`Arrival`]s; the
//! telemetry worker stores each as the device's station's observation and as its health, and
//! answers the transport once it is stored (an MQTT `QoS 1` message is acknowledged only then).
//!
//! ```text
//! registry ──watch──▶ mqtt bridge ─┐
//!          ──watch──▶ modbus pollers ─┼─ Arrival ─▶ telemetry worker ─▶ store ─▶ change log
//!          ──watch──▶ dtu listener ─┘                     │
//!                                                  stored ▼ (oneshot)
//! ```

pub mod alarm_routes;
pub mod alarms;
pub mod hub;
pub mod links;
pub mod modbus;
pub mod mqtt;
pub mod presence;
pub mod routes;
pub mod status;
pub mod telemetry;

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use crate::domain::devices::{Device, Telemetry};

pub use hub::DeviceHub;

/// The registry as the transports see it: every registered device, replaced whole when one is
/// added or changed, so a transport picks up a new device without a restart.
pub type Registry = watch::Receiver<Arc<Vec<Device>>>;

/// One report on its way to the store, with where to say it was stored (or why not).
#[derive(Debug)]
pub struct Arrival {
    /// The report.
    pub telemetry: Telemetry,
    /// Told once the report is durably stored (`Err` with the reason it was not); `None` when
    /// the transport does not wait (a Modbus poll is simply read again).
    pub stored: Option<oneshot::Sender<Result<(), String>>>,
}

/// Where transports hand reports: bounded, so a flood waits on the store rather than growing
/// memory.
pub type Arrivals = mpsc::Sender<Arrival>;
