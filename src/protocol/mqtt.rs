//! Devices' MQTT: the topics and JSON payloads that tea-garden micro-stations and greenhouse
//! controllers exchange with the central through the bureau's broker. Pure: the central's
//! bridge decodes with it, the simulated devices encode with it.
//!
//! ## Topics
//!
//! | topic | who publishes | `QoS` | retained |
//! |---|---|---|---|
//! | `wxdesk/v1/devices/{device_id}/telemetry` | the device | 1 | never |
//! | `wxdesk/v1/devices/{device_id}/state` | the device (`online`), the broker for it (`offline` will) | 1 | yes |
//! | `wxdesk/v1/devices/{device_id}/commands` | the central (relay commands) | 1 | never |
//! | `wxdesk/v1/devices/{device_id}/acks` | the device (answers to commands) | 1 | never |
//! | `wxdesk/v1/devices/{device_id}/relays` | the device (relay feedback readings) | 1 | never |
//!
//! `{device_id}` is the registry's id, which is also the device's MQTT user name and client id;
//! the broker's ACL lets a device write only its own telemetry and state, so the topic says who
//! spoke.
//!
//! ## Telemetry
//!
//! ```json
//! {"time": 1765100000000, "sent_at": "2025-12-07T09:33:22Z",
//!  "values": {"TEM": 12.3, "RHU": 88, "SVWC_10cm": 31.0},
//!  "battery_v": 12.6, "supply_v": 13.4, "rssi_dbm": -71, "backfill": false}
//! ```
//!
//! - `time` (required): the observation time, Unix milliseconds or RFC 3339. A number before
//!   the year 2000 is refused (seconds sent where milliseconds are due).
//! - `sent_at`: the device's clock when it sent the message; with the arrival time it tells the
//!   device's clock drift.
//! - `values`: readings by CMA element code (`crate::domain::Element::code`), SI units. `null`
//!   is a missing reading. An unknown code, a value that is not a number or lies outside the
//!   element's physical range is refused with its reason; the others are kept.
//! - `battery_v`, `supply_v`, `rssi_dbm`: the device's health, each optional.
//! - `backfill`: sent late from the device's memory after a link outage.
//!
//! After an outage a device may send many records in one message, `{"sent_at": …,
//! "records": [ {…}, {…} ]}`: each record has the fields above and is backfilled (a top-level
//! `sent_at` applies to the records that have none). A record without a usable time is refused
//! alone; a message that is not a JSON object, or a single record without a time, is refused
//! whole.
//!
//! ## State
//!
//! On connect a device publishes `{"state":"online","since":<time>}` retained, and sets the will
//! `{"state":"offline","reason":"lost"}` (retained, `QoS` 1), which the broker publishes when
//! the device's connection drops without a DISCONNECT. An empty retained message clears the
//! state and says nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::devices::{DeviceId, HealthReading, Telemetry};
use crate::domain::{Element, Timestamp};

/// What every device topic begins with.
pub const TOPIC_ROOT: &str = "wxdesk/v1/devices";

/// The earliest observation time believed (2000-01-01T00:00:00Z): a smaller number is seconds
/// or a device whose clock was never set.
pub const EARLIEST_TIME: Timestamp = Timestamp(946_684_800_000);

/// Which of a device's topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Readings and health, device → central.
    Telemetry,
    /// Online / offline, retained.
    State,
    /// Relay commands, central → device.
    Commands,
    /// Devices' answers to relay commands, device → central.
    Acks,
    /// Relay feedback readings, device → central.
    Relays,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Self; 5] = [
        Self::Telemetry,
        Self::State,
        Self::Commands,
        Self::Acks,
        Self::Relays,
    ];

    /// The last level of the topic.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Telemetry => "telemetry",
            Self::State => "state",
            Self::Commands => "commands",
            Self::Acks => "acks",
            Self::Relays => "relays",
        }
    }

    /// The subscription filter matching every device's topic of this channel.
    pub fn filter(self) -> String {
        format!("{TOPIC_ROOT}/+/{}", self.name())
    }
}

/// One device's topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Topic {
    /// Whose.
    pub device: DeviceId,
    /// Which.
    pub channel: Channel,
}

impl Topic {
    /// Device `device`'s topic of `channel`.
    pub fn new(device: &DeviceId, channel: Channel) -> Self {
        Self {
            device: device.clone(),
            channel,
        }
    }

    /// Parses a topic name; `None` for anything that is not a device topic of this version.
    pub fn parse(name: &str) -> Option<Self> {
        let rest = name.strip_prefix(TOPIC_ROOT)?.strip_prefix('/')?;
        let (device, channel) = rest.split_once('/')?;
        let channel = Channel::ALL.into_iter().find(|c| c.name() == channel)?;
        let device = DeviceId::parse(device).ok()?;
        Some(Self { device, channel })
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TOPIC_ROOT}/{}/{}", self.device, self.channel.name())
    }
}

/// Why a whole message was refused. The text names what is wrong, never the payload's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("not a JSON object")]
    NotAnObject,
    /// A single record with no usable time.
    #[error("no usable time: {0}")]
    NoTime(String),
    /// `records` is not an array of objects.
    #[error("`records` must be an array of objects")]
    BadRecords,
    /// A state message that is not `online` or `offline`.
    #[error("`state` must be \"online\" or \"offline\"")]
    BadState,
    /// A feedback reading whose `relays` is not an object of channels (from 1) to booleans.
    #[error("`relays` must map channels from 1 to true or false")]
    BadRelays,
}

/// A part of a message refused while the rest was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Which record of a `records` message (from 0); `None` for a single record.
    pub record: Option<usize>,
    /// The field or element code refused.
    pub field: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(record) = self.record {
            write!(f, "record {record}: ")?;
        }
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// A telemetry message decoded: its reports, and what of it was refused.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decoded {
    /// One report per usable record.
    pub reports: Vec<Telemetry>,
    /// What was refused, with reasons.
    pub refused: Vec<Refusal>,
}

/// Decodes device `device`'s telemetry message, received at `received`.
pub fn decode_telemetry(
    device: &DeviceId,
    payload: &[u8],
    received: Timestamp,
) -> Result<Decoded, PayloadError> {
    let message = parse_object(payload)?;
    let mut decoded = Decoded::default();
    let Some(records) = message.get("records") else {
        let mut record = RecordReader::new(device, received, None, &mut decoded.refused);
        let report = record.read(&message).map_err(PayloadError::NoTime)?;
        decoded.reports.push(report);
        return Ok(decoded);
    };
    let records = records.as_array().ok_or(PayloadError::BadRecords)?;
    let batch_sent_at = match message.get("sent_at") {
        None | Some(Value::Null) => None,
        Some(value) => Some(read_time(value).map_err(PayloadError::NoTime)?),
    };
    for (index, record) in records.iter().enumerate() {
        let record = record.as_object().ok_or(PayloadError::BadRecords)?;
        let mut reader = RecordReader::new(device, received, Some(index), &mut decoded.refused);
        match reader.read(record) {
            Ok(mut report) => {
                report.backfilled = true;
                report.sent_at = report.sent_at.or(batch_sent_at);
                decoded.reports.push(report);
            }
            Err(reason) => decoded.refused.push(Refusal {
                record: Some(index),
                field: "time".into(),
                reason,
            }),
        }
    }
    Ok(decoded)
}

fn parse_object(payload: &[u8]) -> Result<Map<String, Value>, PayloadError> {
    match serde_json::from_slice(payload) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(PayloadError::NotAnObject),
        // serde_json's messages give a position, never the text.
        Err(error) => Err(PayloadError::NotJson(error.to_string())),
    }
}

/// Reads one record, noting refused parts.
struct RecordReader<'a> {
    device: &'a DeviceId,
    received: Timestamp,
    index: Option<usize>,
    refused: &'a mut Vec<Refusal>,
}

impl<'a> RecordReader<'a> {
    fn new(
        device: &'a DeviceId,
        received: Timestamp,
        index: Option<usize>,
        refused: &'a mut Vec<Refusal>,
    ) -> Self {
        Self {
            device,
            received,
            index,
            refused,
        }
    }

    /// The record's report; `Err` with the reason when it has no usable time.
    fn read(&mut self, record: &Map<String, Value>) -> Result<Telemetry, String> {
        let time = read_time(record.get("time").unwrap_or(&Value::Null))?;
        let sent_at = match record.get("sent_at") {
            None | Some(Value::Null) => None,
            Some(value) => self.keep("sent_at", read_time(value)),
        };
        let values = match record.get("values") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(values)) => self.values(values),
            Some(_) => {
                self.refuse("values", "must be an object of element codes");
                BTreeMap::new()
            }
        };
        let health = HealthReading {
            battery_v: self.health(record, "battery_v", 0.0..=60.0),
            supply_v: self.health(record, "supply_v", 0.0..=60.0),
            rssi_dbm: self.health(record, "rssi_dbm", -150.0..=0.0),
        };
        let backfilled = match record.get("backfill") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => self
                .keep("backfill", Err("must be true or false".into()))
                .unwrap_or(false),
        };
        Ok(Telemetry {
            device: self.device.clone(),
            time,
            sent_at,
            received: self.received,
            values,
            health,
            backfilled,
        })
    }

    fn values(&mut self, values: &Map<String, Value>) -> BTreeMap<Element, f64> {
        let mut kept = BTreeMap::new();
        for (code, value) in values {
            if value.is_null() {
                continue;
            }
            let Ok(element) = code.parse::<Element>() else {
                self.refuse(code, "unknown element code");
                continue;
            };
            let range = element.physical_range();
            let checked = match value.as_f64() {
                None => Err("not a number".to_owned()),
                Some(v) if !v.is_finite() => Err("not a finite number".to_owned()),
                Some(v) if !range.contains(&v) => Err(format!(
                    "{v} is outside the physical range {}…{} {}",
                    range.start(),
                    range.end(),
                    element.unit()
                )),
                Some(v) => Ok(v),
            };
            if let Some(v) = self.keep(code, checked) {
                kept.insert(element, v);
            }
        }
        kept
    }

    fn health(
        &mut self,
        record: &Map<String, Value>,
        field: &str,
        range: std::ops::RangeInclusive<f64>,
    ) -> Option<f64> {
        let value = record.get(field).filter(|v| !v.is_null())?;
        let checked = match value.as_f64() {
            Some(v) if range.contains(&v) => Ok(v),
            Some(v) => Err(format!("{v} is outside {}…{}", range.start(), range.end())),
            None => Err("not a number".to_owned()),
        };
        self.keep(field, checked)
    }

    /// The value if it is good; otherwise notes why not.
    fn keep<T>(&mut self, field: &str, checked: Result<T, String>) -> Option<T> {
        checked.map_err(|reason| self.refuse(field, &reason)).ok()
    }

    fn refuse(&mut self, field: &str, reason: &str) {
        self.refused.push(Refusal {
            record: self.index,
            field: field.to_owned(),
            reason: reason.to_owned(),
        });
    }
}

/// A time as Unix milliseconds or RFC 3339, not before [`EARLIEST_TIME`].
fn read_time(value: &Value) -> Result<Timestamp, String> {
    let time = match value {
        Value::Null => return Err("missing".into()),
        Value::Number(number) => number
            .as_i64()
            .map(Timestamp)
            .ok_or("must be whole Unix milliseconds")?,
        Value::String(text) => Timestamp::parse_rfc3339(text)
            .map_err(|e| format!("not RFC 3339 ({e}) nor Unix milliseconds"))?,
        _ => return Err("must be Unix milliseconds or RFC 3339".into()),
    };
    if time < EARLIEST_TIME {
        return Err(format!(
            "{} is before 2000 (seconds instead of milliseconds?)",
            time.0
        ));
    }
    Ok(time)
}

/// A record as a device sends it (the encoding half).
#[derive(Serialize)]
struct RecordOut<'a> {
    time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent_at: Option<i64>,
    values: BTreeMap<&'static str, f64>,
    #[serde(flatten)]
    health: &'a HealthReading,
    backfill: bool,
}

impl<'a> From<&'a Telemetry> for RecordOut<'a> {
    fn from(report: &'a Telemetry) -> Self {
        Self {
            time: report.time.0,
            sent_at: report.sent_at.map(|t| t.0),
            values: report.values.iter().map(|(e, v)| (e.code(), *v)).collect(),
            health: &report.health,
            backfill: report.backfilled,
        }
    }
}

/// The telemetry message a device sends for `report` (its `device` and `received` are not on
/// the wire).
pub fn encode_telemetry(report: &Telemetry) -> Vec<u8> {
    serde_json::to_vec(&RecordOut::from(report)).unwrap_or_default()
}

/// One `records` message carrying `reports` (a backfill), sent at `sent_at`.
pub fn encode_records(reports: &[Telemetry], sent_at: Timestamp) -> Vec<u8> {
    #[derive(Serialize)]
    struct Records<'a> {
        sent_at: i64,
        records: Vec<RecordOut<'a>>,
    }
    let records = reports.iter().map(RecordOut::from).collect();
    serde_json::to_vec(&Records {
        sent_at: sent_at.0,
        records,
    })
    .unwrap_or_default()
}

/// What a state message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceState {
    /// Online (its own announcement) or offline (its will, or its own goodbye).
    pub online: bool,
    /// Since when, by the device's clock, if it says.
    pub since: Option<Timestamp>,
    /// Why, if it says (`lost` for the will).
    pub reason: Option<String>,
}

/// Decodes a state message; `Ok(None)` for an empty one (a retained state cleared).
pub fn decode_state(payload: &[u8]) -> Result<Option<DeviceState>, PayloadError> {
    if payload.is_empty() {
        return Ok(None);
    }
    let message = parse_object(payload)?;
    let online = match message.get("state").and_then(Value::as_str) {
        Some("online") => true,
        Some("offline") => false,
        _ => return Err(PayloadError::BadState),
    };
    let since = message.get("since").and_then(|v| read_time(v).ok());
    let reason = message
        .get("reason")
        .and_then(Value::as_str)
        .map(|r| r.chars().take(80).collect());
    Ok(Some(DeviceState {
        online,
        since,
        reason,
    }))
}

/// The retained message a device publishes when it connects.
pub fn encode_online(since: Timestamp) -> Vec<u8> {
    serde_json::json!({"state": "online", "since": since.0})
        .to_string()
        .into_bytes()
}

/// The will a device leaves with the broker: published, retained, when its link drops.
pub fn encode_offline_will() -> Vec<u8> {
    br#"{"state":"offline","reason":"lost"}"#.to_vec()
}

pub mod relays;

#[cfg(test)]
mod tests;
