//! Relay boards read by Modbus: over Modbus TCP, or as Modbus RTU behind a 4G DTU that dials
//! in to the central. Split by concern:
//!
//! - [`pdu`] and [`frame`]: the protocol, pure (PDUs, MBAP, RTU with CRC-16/Modbus, the
//!   DTU's heartbeats between frames);
//! - [`map`]: register maps, pure: what to read from a board and what it means;
//! - [`tcp`]: a Modbus TCP client that reconnects;
//! - [`dtu`]: the listener DTUs dial into, their registration and heartbeats, and one
//!   request at a time per DTU (the serial bus behind it is half-duplex);
//! - [`poller`]: one task per registered board, following the registry;
//! - [`schedule`]: when a board is polled next (less often while it is unreachable), pure.
//!
//! ```text
//! registry ─watch─▶ poller ─┬─ TcpLink ──────────────▶ board (Modbus TCP)
//!                           └─ DtuHub ─▶ DTU session ─▶ DTU ─RS-485─▶ boards (RTU)
//!           each poll ─▶ Arrival (Telemetry) · ModbusEvent::Reading (coils) · ModbusEvent::Link
//! DTU listener ─▶ ModbusEvent::DtuUp / DtuDown (with every board behind it) / DtuRefused
//! ```
//!
//! Started with the central, each as a supervised worker: [`poller::run_pollers`] and, when
//! DTUs are configured, [`dtu::run_dtu_listener`] on a bound `TcpListener`, sharing one
//! [`dtu::DtuHub`]; both run until their future is dropped.
//!
//! We use a small client of our own rather than `tokio-modbus`: the DTU's stream interleaves
//! heartbeat packets with RTU frames and starts with a registration packet, which a stock RTU
//! client would take for garbage, and reads need only four function codes.

pub mod dtu;
pub mod frame;
pub mod map;
pub mod pdu;
pub mod poller;
pub mod schedule;
pub mod switch;
pub mod tcp;

use std::future::Future;

use tokio::sync::mpsc;

use super::Arrivals;
use crate::domain::Timestamp;
use crate::domain::devices::DeviceId;
use crate::domain::devices::health::Exchange;
use crate::domain::time::SharedClock;
use pdu::{Request, Response};

/// A board's relay and contact states from one poll: what relay control compares its
/// commands with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardReading {
    /// The board.
    pub device: DeviceId,
    /// When it answered (the central's clock).
    pub at: Timestamp,
    /// Its coils (relays on or off), in its register map's order.
    pub coils: Vec<bool>,
    /// Its discrete inputs, in its register map's order.
    pub discrete_inputs: Vec<bool>,
}

/// Why an exchange with a board failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkFailure {
    /// Its TCP address does not take connections.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// No (whole) answer in time.
    #[error("no answer within {0} ms")]
    Timeout(u64),
    /// The connection was closed under the exchange.
    #[error("connection closed")]
    Closed,
    /// The connection failed.
    #[error("connection failed: {0}")]
    Io(String),
    /// An answer that is not the answer.
    #[error("garbled answer: {0}")]
    Garbled(String),
    /// The board refused with a Modbus exception.
    #[error("exception {code} ({})", pdu::exception_name(*.code))]
    Exception {
        /// The exception code.
        code: u8,
    },
    /// The DTU the board sits behind is not connected: the fault is the DTU's.
    #[error("its DTU {0} is down")]
    DtuDown(DeviceId),
    /// The board's record cannot be polled (an unknown or impossible register map).
    #[error("cannot be polled: {0}")]
    Config(String),
}

impl From<pdu::PduError> for LinkFailure {
    fn from(error: pdu::PduError) -> Self {
        match error {
            pdu::PduError::Exception { code } => Self::Exception { code },
            pdu::PduError::Malformed(why) => Self::Garbled(why.to_owned()),
        }
    }
}

/// What one exchange (a whole poll) with a board came to, for its link state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEvent {
    /// The board.
    pub device: DeviceId,
    /// When.
    pub at: Timestamp,
    /// Answered or failed.
    pub exchange: Exchange,
    /// Why it failed.
    pub failure: Option<LinkFailure>,
}

/// Why a DTU is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtuDownReason {
    /// It closed its connection (or the connection broke).
    Closed,
    /// Nothing from it, not even a heartbeat, for the configured number of intervals.
    HeartbeatLost,
}

/// What the Modbus transports tell the central besides telemetry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModbusEvent {
    /// A board's relay and contact states.
    Reading(BoardReading),
    /// A board's link: every poll, except that a DTU being down is told once per board.
    Link(LinkEvent),
    /// A DTU dialled in and registered.
    DtuUp {
        /// The DTU.
        dtu: DeviceId,
        /// Its address as seen by the central.
        peer: String,
        /// When.
        at: Timestamp,
        /// It replaced an earlier connection of the same DTU.
        replaced: bool,
    },
    /// A DTU went down: one fault, with every board behind it.
    DtuDown {
        /// The DTU.
        dtu: DeviceId,
        /// When.
        at: Timestamp,
        /// Why.
        reason: DtuDownReason,
        /// The registered boards behind it.
        boards: Vec<DeviceId>,
    },
    /// A connection claiming to be a DTU the registry lacks was refused.
    DtuRefused {
        /// The id it claimed, as text (possibly not an id at all).
        claimed: String,
        /// Its address.
        peer: String,
        /// When.
        at: Timestamp,
    },
}

/// Where the Modbus transports send what they learn.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// Telemetry, to be stored.
    pub arrivals: Arrivals,
    /// Relay states, link events and DTU events.
    pub events: mpsc::Sender<ModbusEvent>,
    /// The central's clock.
    pub clock: SharedClock,
}

impl Outputs {
    /// Sends `event`; a receiver gone means the central is stopping, so it is dropped.
    pub async fn tell(&self, event: ModbusEvent) {
        _ = self.events.send(event).await;
    }
}

/// A way to exchange a request with a board: a Modbus TCP connection or a DTU's bus. A coil
/// write is one more [`Request`] through the same call.
pub trait BoardLink: Send {
    /// Sends `request` to `unit` and waits for its answer.
    fn call(
        &mut self,
        unit: u8,
        request: &Request,
    ) -> impl Future<Output = Result<Response, LinkFailure>> + Send;
}
