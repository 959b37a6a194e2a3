//! The central's HTTP API, version 1: the JSON shapes both ends speak (serde DTOs), their
//! conversions to and from domain types, and the checked-in OpenAPI description.
//!
//! Conventions: times are RFC 3339 UTC strings (`2026-11-27T10:00:00Z`); element values are
//! keyed by CMA codes (`TEM`, `RHU`, `PRE_1h` …) in SI units; a missing value is absent or
//! `null`, never a sentinel. Every route but health, the API description and login needs an
//! `Authorization: Bearer` session token or device key.

pub mod access;
pub mod admin;
pub mod callout;
pub mod changes;
pub mod devices;
pub mod dto;
pub mod feed;
pub mod history;
pub mod ingest;
pub mod mqtt;
pub mod on_call;
pub mod openapi;
pub mod outbox;
pub mod recipients;
pub mod relays;
pub mod reports;
pub mod snapshot;
pub mod warnings;

pub use access::*;
pub use admin::*;
pub use changes::*;
pub use dto::*;
pub use feed::*;
pub use history::*;
pub use ingest::*;
pub use outbox::*;

/// Every route of the API lives under this prefix.
pub const API_PREFIX: &str = "/api/v1";
