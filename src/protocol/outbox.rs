//! `GET /api/v1/outbox/summary`: how many messages stand where, per channel — counts only, no
//! payload, no recipient. `GET /api/v1/warnings/{id}/deliveries`: one released warning's
//! messages, person by person (numbers masked unless the reader manages recipients).

use serde::{Deserialize, Serialize};

/// `GET /api/v1/outbox/summary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxSummary {
    /// The central's clock (RFC 3339).
    pub time: String,
    /// The kinds a dispatcher runs for (`sms`, `wecom`, `wechat`); empty: none configured.
    pub dispatching: Vec<String>,
    /// Rows per kind and state (pairs with none left out).
    pub counts: Vec<OutboxCount>,
}

/// Rows of one kind in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxCount {
    /// The outbox kind (`wechat`).
    pub kind: String,
    /// The state (`queued`, `sent`, `delivered` …).
    pub state: String,
    /// How many.
    pub count: u64,
    /// Why these rows will not move on by themselves, when the central knows (`null`
    /// otherwise).
    pub note: Option<String>,
}

/// `GET /api/v1/warnings/{id}/deliveries`: where each of a warning's messages stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryList {
    /// The warning.
    pub warning: String,
    /// How many messages stand in each state (`queued`, `sent`, `delivered`, `failed`,
    /// `unknown` …; states with none left out).
    pub counts: std::collections::BTreeMap<String, u64>,
    /// Every message, by recipient: those not `delivered` are who has not received it.
    pub deliveries: Vec<Delivery>,
}

/// One message of a warning to one person (or one WeCom group robot) on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The recipient's id; `null` for a group robot's message.
    pub recipient: Option<u64>,
    /// The WeCom robot's configured name, for a group robot's message (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot: Option<String>,
    /// Their name (`null` when they have been deleted since).
    pub name: Option<String>,
    /// Their number: whole for `manage_recipients`, masked (`138****1234`) otherwise.
    pub phone: Option<String>,
    /// The channel (`sms`).
    pub channel: String,
    /// Where it stands.
    pub state: String,
    /// The gateway's reason for a failure, or why its outcome is unknown.
    pub reason: Option<String>,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}
