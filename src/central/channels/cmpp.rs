//! SMS over CMPP 2.0, China Mobile's SP-to-gateway (ISMG) protocol, on one TCP session.
//!
//! - [`wire`] and [`pdu`]: the bytes (12-byte header; CONNECT, SUBMIT, DELIVER, `ACTIVE_TEST`,
//!   TERMINATE and their responses in the 2.0 layout), checked against golden PDUs
//!   (`tests/data/sms/cmpp20-golden.json`, see its PROVENANCE.md).
//! - [`auth`]: CONNECT's `AuthenticatorSource` and CMPP's Beijing-time stamps.
//! - [`parts`]: UCS-2 parts behind a `05 00 03` UDH, the composer's own segmentation.
//! - [`session`]: one logged-in link, responses paired by `Sequence_Id` (`pending`: the
//!   waiters and the closed flag under one lock), DELIVERs answered
//!   once their reports are committed, `ACTIVE_TEST`s answered, a keep-alive.
//! - [`provider`]: [`CmppProvider`], the outbox's [`crate::central::workers::dispatch::Provider`]
//!   for kind `sms`; [`reports`]: status reports and MO messages as
//!   [`crate::central::channels::ChannelReport`]s, settled by [`crate::central::channels::reports::settle_report`].
//!
//! Result mapping: flow control (8) and any failure to log in → retry; other SUBMIT results →
//! refused; a link lost or a response missing after a SUBMIT left → unknown (never resent
//! blindly), also when earlier parts of the message were accepted.
//!
//! The shared secret is [`Hidden`]; phone numbers appear in no log line or error.

use serde::Deserialize;

pub use super::wechat::Hidden;

pub mod auth;
pub mod parts;
pub mod pdu;
mod pending;
pub mod provider;
pub mod reports;
pub mod session;
pub mod status;
pub mod wire;

#[cfg(test)]
mod tests;

pub use provider::CmppProvider;

/// The CMPP gateway and the SP's account (`[cmpp]` in the central's configuration).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CmppConfig {
    /// The gateway's host.
    pub host: String,
    /// The gateway's port (7890 is usual for SPs).
    pub port: u16,
    /// The SP's id (企业代码, 6 characters): CONNECT's `Source_Addr` and SUBMIT's `Msg_src`.
    pub source_addr: String,
    /// The shared secret the gateway issued.
    pub shared_secret: Hidden,
    /// The service id (业务代码) the gateway assigned.
    pub service_id: String,
    /// The bureau's long number, shown to recipients (`Src_Id`).
    pub src_id: String,
    /// Submits in flight at once.
    #[serde(default = "default_window")]
    pub window: usize,
    /// The gateway's agreed submit rate.
    #[serde(default = "default_rate")]
    pub max_submits_per_second: u32,
    /// How long connecting and logging in may take, in milliseconds.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// How long a response may take, in milliseconds; then the link is dropped and a submit
    /// waiting for it is unknown.
    #[serde(default = "default_response_timeout_ms")]
    pub response_timeout_ms: u64,
    /// Seconds between `ACTIVE_TEST`s (the spec's C, 3 minutes).
    #[serde(default = "default_active_test_interval_s")]
    pub active_test_interval_s: u64,
}

impl CmppConfig {
    /// The longest one provider call can take for a message of `parts` parts: the
    /// dispatcher's lease for kind `sms` must be longer.
    pub fn longest_call_ms(&self, parts: u64) -> u64 {
        self.connect_timeout_ms * 2
            + parts
                * (self.response_timeout_ms + 1000 / u64::from(self.max_submits_per_second.max(1)))
    }
}

fn default_window() -> usize {
    16
}

fn default_rate() -> u32 {
    50
}

fn default_connect_timeout_ms() -> u64 {
    10_000
}

fn default_response_timeout_ms() -> u64 {
    10_000
}

fn default_active_test_interval_s() -> u64 {
    180
}
