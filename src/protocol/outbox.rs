//! `GET /api/v1/outbox/summary`: how many messages stand where, per channel — counts only, no
//! payload, no recipient.

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
