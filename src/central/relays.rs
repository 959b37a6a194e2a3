//! Relay control on the central: commands queued by people (or confirmed automations) with
//! their checks, handed to the device through the outbox, and followed to the end by what the
//! device answers and reads back.
//!
//! ```text
//! POST …/relays/{channel}/commands ─▶ checks (class × role, reason, interlocks)
//!      ─▶ relay_commands row + outbox row (one transaction) ─▶ wake dispatch-relay
//! dispatch-relay (outbox dispatcher) ─▶ RelayProvider ─┬─ MQTT: publish on …/commands, PUBACK
//!                                                      └─ Modbus: read coil, write, read back
//! relay-mqtt (acks, feedback) · Modbus polls ─▶ feedback ─▶ acknowledged / observed
//! relay-sweep ─▶ deadlines: expired (queued), timed out (sent, acknowledged); run-time limits
//! ```
//!
//! - [`routes`]: the HTTP side and its checks;
//! - [`provider`]: the outbox provider that hands a command to its transport;
//! - [`mqtt_link`]: the central's MQTT client for commands, acks and feedback;
//! - [`feedback`]: acks and feedback readings into the commands they prove;
//! - [`sweep`]: deadlines and run-time limits;
//! - [`automations`] and [`proposals`]: threshold rules that propose, people who confirm.

pub mod automations;
pub mod feedback;
pub mod mqtt_link;
pub mod proposals;
pub mod provider;
pub mod routes;
pub mod sweep;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::central::core::AppState;
use crate::central::devices::mqtt::MqttSettings;
use crate::central::failpoint::Failpoints;
use crate::central::workers::WorkerSpec;
use crate::central::workers::channels::{self, Channel, Wakers, dispatch_config};
use crate::domain::relays::command::Deadlines;
use crate::store::central::outbox::SqliteOutbox;
use crate::store::central::relays::OUTBOX_KIND;

/// What the relay routes and workers share.
#[derive(Debug, Clone)]
pub struct RelayControl {
    /// Wakes the relay dispatcher (a command was queued).
    pub wakers: Wakers,
    /// Wakes the sweep (a command was sent: its deadline is new).
    pub sweep: Arc<Notify>,
    /// The central's MQTT command link, when `[mqtt]` is configured.
    pub mqtt: Option<mqtt_link::MqttCommands>,
    /// How long commands wait for each step.
    pub deadlines: Deadlines,
}

impl Default for RelayControl {
    fn default() -> Self {
        Self {
            wakers: Wakers::new(&[OUTBOX_KIND]),
            sweep: Arc::default(),
            mqtt: None,
            deadlines: Deadlines::default(),
        }
    }
}

impl RelayControl {
    /// The control, with the MQTT command link of `mqtt` if configured (its worker, too).
    pub fn new(mqtt: Option<&MqttSettings>) -> (Self, Option<mqtt_link::MqttLink>) {
        let link = mqtt.map(mqtt_link::MqttLink::new);
        let control = Self {
            mqtt: link.as_ref().map(mqtt_link::MqttLink::commands),
            ..Self::default()
        };
        (control, link)
    }

    /// Wakes the dispatcher: a command is queued.
    pub fn queued(&self) {
        self.wakers.wake(OUTBOX_KIND);
    }
}

/// The longest a relay hand-over takes (a Modbus read, write and read-back behind a DTU).
pub const LONGEST_CALL_MS: i64 = 20_000;

/// The relay workers: the dispatcher over the outbox at `db`, the sweep, and the MQTT link's
/// worker when there is one.
pub fn workers(
    state: &AppState,
    db: &Path,
    link: Option<mqtt_link::MqttLink>,
    tick: Duration,
) -> Result<Vec<WorkerSpec>, String> {
    let outbox = SqliteOutbox::open(db).map_err(|e| format!("the outbox: {e}"))?;
    let mut dispatch = dispatch_config(OUTBOX_KIND, LONGEST_CALL_MS, &Failpoints::none());
    // A device offline is "not now": look again soon, so a command goes out as its link returns.
    dispatch.retry_base_ms = 1_000;
    dispatch.retry_cap_ms = 5_000;
    let channel = Channel {
        kind: OUTBOX_KIND,
        provider: Arc::new(provider::RelayProvider::new(state.clone())),
        dispatch,
    };
    let control = state.relays();
    let mut specs = vec![
        channels::worker(Arc::new(outbox), channel, &control.wakers, tick),
        sweep::worker(state.clone()),
    ];
    specs.extend(link.map(|link| link.worker(state.clone())));
    Ok(specs)
}
