//! Relay control on the wire: the command a desk sends, the commands and relay states it
//! reads, and the change-log bodies that keep every desk's switches true.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;
use crate::domain::devices::DeviceId;
use crate::domain::relays::{Command, CommandId, InterlockRefusal, Relay, Switch};

/// `POST /relay-commands`: set a relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRequest {
    /// Made by the desk: sending the same request again queues nothing new.
    pub command_id: CommandId,
    /// The device whose relay it sets.
    pub device: DeviceId,
    /// The relay's channel.
    pub channel: u16,
    /// The state to set.
    pub target: Switch,
    /// Why (required to switch a high-impact class on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How long it may wait for its device, seconds (default 600, at most a day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_s: Option<u32>,
}

/// A relay's state as its device last read it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedState {
    /// On or off.
    pub state: Switch,
    /// When it was read.
    pub at: Timestamp,
    /// Since when it has been in this state (as far as the central saw).
    pub since: Timestamp,
}

/// A relay's observed state changed: the change log's `relay_state` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayStateChange {
    /// The device.
    pub device: DeviceId,
    /// The relay's channel.
    pub channel: u16,
    /// What it now reads.
    pub observed: ObservedState,
}

/// One relay as a desk shows it: what was commanded, acknowledged and observed, apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayView {
    /// The device.
    pub device: DeviceId,
    /// Its description.
    pub relay: Relay,
    /// What its device last read back, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<ObservedState>,
    /// Its latest command, whatever became of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_command: Option<Command>,
}

/// `GET /relays`: every relay of every device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayList {
    /// By device, then channel.
    pub relays: Vec<RelayView>,
    /// The central's time.
    pub now: Timestamp,
}

/// `GET /relay-commands`: recent commands, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandList {
    /// The commands.
    pub commands: Vec<Command>,
}

/// The body of a refused command (beside the refusal's code): which interlock and reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterlockRefused {
    /// The interlock that refused.
    pub interlock: InterlockRefusal,
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    /// Waiting for a person allowed to switch the relay's class.
    Open,
    /// Confirmed: its command was queued.
    Confirmed,
    /// Dismissed by a person.
    Dismissed,
    /// Its reading went back across the rule's hysteresis before anyone decided.
    Lapsed,
}

/// The reading that made a rule fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerReading {
    /// The station.
    pub station: crate::domain::StationId,
    /// The element's code.
    pub element: String,
    /// The value.
    pub value: f64,
    /// Its observation time.
    pub time: Timestamp,
}

/// A command an automation rule proposes for a person to confirm (the change log's
/// `relay_proposal` body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Its id.
    pub id: u64,
    /// The device.
    pub device: DeviceId,
    /// The relay's channel.
    pub channel: u16,
    /// The rule's id.
    pub rule: String,
    /// The rule's name (`茶园霜冻开防霜风机`).
    pub rule_name_zh: String,
    /// What it would set.
    pub target: Switch,
    /// What made it fire.
    pub reading: TriggerReading,
    /// Where it stands.
    pub state: ProposalState,
    /// When the rule fired.
    pub created_at: Timestamp,
    /// Who confirmed or dismissed it (`user:<name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// The command its confirmation queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandId>,
}

/// `GET /relay-proposals`: open proposals and those decided in the last day, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalList {
    /// The proposals.
    pub proposals: Vec<Proposal>,
}

/// `POST /relay-proposals/{id}/confirm`: one click queues the proposed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalConfirmation {
    /// Made by the desk, as for any command.
    pub command_id: CommandId,
    /// Why; when absent the rule's name and its reading are the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
