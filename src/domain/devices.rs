//! Devices in the field — weather stations, tea-garden micro-stations, greenhouse controllers,
//! relay boards, DTUs — and the rules that say how healthy each one is. Pure types and rules:
//! the registry, the MQTT and Modbus adapters and the desk build on them.

pub mod alarm_book;
pub mod alarms;
pub mod health;
pub mod registry;
pub mod status;
pub mod telemetry;

pub use health::Transport;
pub use registry::{Device, DeviceId, DeviceKind, ModbusEndpoint};
pub use status::{Presence, Status, StatusSince};
pub use telemetry::{HealthReading, Telemetry};
