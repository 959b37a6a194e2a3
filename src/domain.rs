//! Pure types and rules of a county bureau's world: stations, townships, elements, observations,
//! time, summaries of station data (rain, extremes, wind roses), who may do what (roles,
//! capabilities) and the hash-chained audit trail. No I/O, no egui, no tokio: everything here
//! is tested with plain tables.

pub mod access;
pub mod audit;
pub mod callout;
pub mod devices;
pub mod element;
pub mod geo;
pub mod history;
pub mod maintenance;
pub mod network;
pub mod observation;
pub mod outbox;
pub mod qc;
pub mod recipients;
pub mod refusal;
pub mod relays;
pub mod stats;
pub mod time;
pub mod warning;

pub use element::Element;
pub use network::{Network, Station, StationId, StationKind, Township, TownshipCode};
pub use observation::{Observation, ObservationError, Source};
pub use time::{Clock, Timestamp};
