//! `GET /api/v1/outbox/summary`: how many messages stand where, per channel — counts only, no
//! payload, no recipient. `GET /api/v1/warnings/{id}/deliveries`: one released warning's
//! messages, person by person (numbers masked unless the reader manages recipients), each in
//! its channel's own words. `POST …/deliveries/retry` and `…/deliveries/resend`: a person's
//! recorded decisions on the messages that will not move by themselves.

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
    /// `unknown` …; states with none left out). Always the whole warning, filter or not.
    pub counts: std::collections::BTreeMap<String, u64>,
    /// Per channel, how many stand at each of its own status words.
    #[serde(default)]
    pub channels: Vec<ChannelDeliveries>,
    /// Messages not received (every one not `delivered`; a robot's `accepted` counts as
    /// received, being the most a robot tells).
    #[serde(default)]
    pub not_received: u64,
    /// Whether the bureau's policy resends this warning's `unknown` messages by itself
    /// (`[warnings] resend_unknown` names its level).
    #[serde(default)]
    pub resend_policy: bool,
    /// Every message (or, with `?not_received=true`, those not received), by recipient.
    pub deliveries: Vec<Delivery>,
}

/// `GET /api/v1/warnings/{id}/deliveries?not_received=true`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Only the messages not received.
    #[serde(default)]
    pub not_received: bool,
}

/// One channel's messages of a warning, by its own status words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelDeliveries {
    /// The channel (`sms`, `wecom`, `wechat`).
    pub channel: String,
    /// Messages per status word (`queued`, `submitted`, `accepted`, `delivered`, `failed`,
    /// `unknown` …; words with none left out).
    pub counts: std::collections::BTreeMap<String, u64>,
    /// All its messages.
    pub total: u64,
    /// Those received (delivered; for robots, accepted).
    pub received: u64,
    /// What its words mean here, when it matters (a robot says only `accepted`; template
    /// messages without a callback stay `accepted`).
    pub note: Option<String>,
}

/// `POST /api/v1/warnings/{id}/deliveries/retry`: which failed messages to try again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    /// Only these recipients' failed messages; absent or empty: every failed message.
    #[serde(default)]
    pub recipients: Vec<u64>,
}

/// `POST /api/v1/warnings/{id}/deliveries/resend`: a recorded decision to send messages whose
/// outcome is unknown again (their recipients may get it twice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    /// The recipients whose unknown messages are resent (at least one).
    pub recipients: Vec<u64>,
    /// Why (required, kept in the audit log and on each message).
    pub reason: String,
}

/// What a retry or resend did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionAnswer {
    /// The warning.
    pub warning: String,
    /// Messages put back in the queue, as (recipient, channel).
    pub requeued: Vec<RequeuedDelivery>,
    /// Messages asked for that were not in the state the step takes (delivered, sending,
    /// already queued …): left alone.
    pub skipped: u64,
}

/// One message a decision put back in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequeuedDelivery {
    /// The recipient.
    pub recipient: u64,
    /// The channel.
    pub channel: String,
}

/// How and by whom a message was sent again after its outcome was unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResendInfo {
    /// `decision` (a person's) or `policy` (the bureau's per-level setting).
    pub how: String,
    /// The login name that decided, or `policy:red`.
    pub by: String,
    /// The reason given.
    pub reason: String,
    /// When (RFC 3339).
    pub at: String,
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
    /// The channel's own word for it (SMS: `queued`, `sending`, `submitted`, `delivered`,
    /// `failed`, `unknown`; robots: `accepted`; template messages: `accepted` until the
    /// job-finish callback says `delivered`).
    #[serde(default)]
    pub status: String,
    /// Whether it counts as received (delivered; a robot's `accepted`).
    #[serde(default)]
    pub received: bool,
    /// The recipient's township (NBS code); `null` for county-level people.
    #[serde(default)]
    pub township: Option<String>,
    /// Hand-overs tried so far.
    #[serde(default)]
    pub attempt: u32,
    /// The gateway's reason for a failure, or why its outcome is unknown.
    pub reason: Option<String>,
    /// Set when it was sent again after its outcome was unknown.
    #[serde(default)]
    pub resent: Option<ResendInfo>,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}
