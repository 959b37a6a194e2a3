//! SMS over SMPP 3.4: one bound transceiver session to the operator's SMSC.
//!
//! - [`pdu`], [`body`]: the PDUs as bytes (pure).
//! - [`text`]: UCS-2 parts cut where the composer cut them, each behind `05 00 03 ref n i`.
//! - [`receipt`]: a delivery receipt's text; [`status`]: what a `command_status` means.
//! - [`session`]: the TCP link (bind, a window of outstanding `submit_sm` matched by sequence
//!   number, `enquire_link` both ways, `deliver_sm` reported, and answered once its report is
//!   committed).
//! - [`provider`]: [`SmppProvider`], the dispatcher's [`crate::central::workers::dispatch::Provider`]
//!   for kind [`crate::central::channels::SMS`].
//!
//! The password is [`Hidden`]: `Debug` prints `***`, and no error or log line carries it.
//! Phone numbers are personal data: never logged.

use serde::Deserialize;

pub use crate::central::channels::wechat::Hidden;

pub mod body;
pub mod pdu;
pub mod provider;
pub mod receipt;
pub mod session;
pub mod status;
pub mod text;

pub use provider::SmppProvider;

/// The SMPP channel's part of the central's configuration (`[smpp]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmppConfig {
    /// The SMSC's host name or address.
    pub host: String,
    /// The SMSC's port (2775 by convention).
    pub port: u16,
    /// The account's `system_id`.
    pub system_id: String,
    /// The account's password (at most 8 characters in SMPP 3.4).
    pub password: Hidden,
    /// `system_type`, if the operator asks for one.
    #[serde(default)]
    pub system_type: String,
    /// The bureau's long number, the messages' `source_addr`.
    pub source_addr: String,
    /// `submit_sm` outstanding at once on the session.
    #[serde(default = "window")]
    pub window: usize,
    /// Pacing: at most this many `submit_sm` a second, if set.
    #[serde(default)]
    pub max_submits_per_second: Option<u32>,
    /// Connecting and binding, in milliseconds.
    #[serde(default = "connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Waiting for a response to a request, in milliseconds.
    #[serde(default = "response_timeout_ms")]
    pub response_timeout_ms: u64,
    /// An idle link's `enquire_link` interval, in milliseconds.
    #[serde(default = "enquire_link_ms")]
    pub enquire_link_ms: u64,
}

const fn window() -> usize {
    10
}

const fn connect_timeout_ms() -> u64 {
    10_000
}

const fn response_timeout_ms() -> u64 {
    30_000
}

const fn enquire_link_ms() -> u64 {
    30_000
}

impl SmppConfig {
    /// The longest one provider call can take (connect, then each of up to 255 parts waiting
    /// its window slot and response is bounded by the response timeout per part; a lease must
    /// outlast a usual call: two parts).
    pub fn longest_call_ms(&self) -> i64 {
        (self.connect_timeout_ms + 3 * self.response_timeout_ms) as i64
    }
}

#[cfg(test)]
mod ack_tests;
#[cfg(test)]
mod tests;
