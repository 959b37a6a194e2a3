//! The on-call roster and the alarms that ride the channels to its people:
//! `GET /api/v1/on-call?from=&to=` (who is on call, day by Beijing day), `PUT
//! /api/v1/on-call/{day}` (the supervisor sets a day's people), and `GET
//! /api/v1/alarms/{source}:{key}` (one alarm and its messages, with the deliveries' shape).

use serde::{Deserialize, Serialize};

use super::outbox::Delivery;

/// `GET /api/v1/on-call`'s query: Beijing dates, inclusive; both default to today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnCallQuery {
    /// The first day (`2026-12-07`).
    pub from: Option<String>,
    /// The last day.
    pub to: Option<String>,
}

/// `GET /api/v1/on-call`: the days in the range that have someone on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallRoster {
    /// Today, in Beijing.
    pub today: String,
    /// Each day with someone on call, in order.
    pub days: Vec<OnCallDay>,
}

/// The people on call on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallDay {
    /// The Beijing date.
    pub day: String,
    /// Who.
    pub people: Vec<OnCallPerson>,
}

/// One person on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnCallPerson {
    /// The recipient's id.
    pub recipient: u64,
    /// Their name (`null` when they have been deleted since).
    pub name: Option<String>,
    /// Their number: whole for `manage_recipients`, masked otherwise.
    pub phone: Option<String>,
}

/// `PUT /api/v1/on-call/{day}`: the day's people (bureau staff), replacing whoever was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnCallInput {
    /// Recipient ids; empty clears the day.
    pub recipients: Vec<u64>,
}

/// `GET /api/v1/alarms/{source}:{key}`: one alarm and where its messages stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmDeliveries {
    /// Who raised it (`suggestion`).
    pub source: String,
    /// The source's key.
    pub key: String,
    /// What the on-call person reads.
    pub text: String,
    /// When it was raised (RFC 3339).
    pub raised_at: String,
    /// When its messages were made; `null`: nobody on call yet, they are made once someone is.
    pub sent_at: Option<String>,
    /// Messages per state.
    pub counts: std::collections::BTreeMap<String, u64>,
    /// Every message, by person and channel.
    pub deliveries: Vec<Delivery>,
}
