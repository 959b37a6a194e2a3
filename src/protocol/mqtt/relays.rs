//! Relay commands over MQTT: what the central sends on a device's `commands` topic, what the
//! device answers on `acks`, and the feedback readings it sends on `relays`. Every message is
//! `QoS` 1 and never retained: a retained command would switch a relay again whenever its
//! device reconnected.
//!
//! ```json
//! {"command_id": "c-5f0e…", "channel": 2, "set": "on", "pulse_s": 600}   // central → device
//! {"command_id": "c-5f0e…", "result": "done"}                            // device → central
//! {"time": 1765100000000, "relays": {"1": false, "2": true}}             // device → central
//! ```
//!
//! - `set` is absolute (`on`/`off`), never a toggle. `pulse_s`: the device switches the relay
//!   off by itself after that many seconds (devices that can time a pulse).
//! - A device keeps the ids of the commands it executed (at least the last hundred) and answers
//!   a repeat with `"result": "duplicate"` without switching again. `refused` carries a
//!   `reason` (no such channel, a local interlock, manual mode).
//! - A feedback reading gives each relay's state as the device reads it back (an auxiliary
//!   contact, the output's driver), whenever one changes and with each telemetry report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{PayloadError, parse_object, read_time};
use crate::domain::Timestamp;
use crate::domain::relays::{CommandId, Switch};

/// A relay command as a device receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandMessage {
    /// The command's id: a repeat of an executed id is ignored.
    pub command_id: CommandId,
    /// The relay's channel, from 1.
    pub channel: u16,
    /// The state to set.
    pub set: Switch,
    /// Switch off by itself after this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse_s: Option<u32>,
}

impl CommandMessage {
    /// The payload.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a payload (what a device does).
    pub fn decode(payload: &[u8]) -> Result<Self, PayloadError> {
        serde_json::from_slice(payload).map_err(|e| PayloadError::NotJson(e.to_string()))
    }
}

/// What a device did with a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckResult {
    /// It switched (or the relay already was in that state).
    Done,
    /// It had executed this command id before and did nothing now.
    Duplicate,
    /// It would not.
    Refused,
}

/// A device's answer to a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckMessage {
    /// The command answered.
    pub command_id: CommandId,
    /// What it did.
    pub result: AckResult,
    /// Why it refused (at most 120 characters are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl AckMessage {
    /// The payload.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a payload; a reason is cut to 120 characters.
    pub fn decode(payload: &[u8]) -> Result<Self, PayloadError> {
        let mut ack: Self =
            serde_json::from_slice(payload).map_err(|e| PayloadError::NotJson(e.to_string()))?;
        ack.reason = ack.reason.map(|r| r.chars().take(120).collect());
        Ok(ack)
    }
}

/// A device's relay states, read back at `time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// When read (the device's clock; the central may use its own).
    pub time: Option<Timestamp>,
    /// Each relay's state, by channel.
    pub relays: BTreeMap<u16, Switch>,
}

/// The payload of a feedback reading.
pub fn encode_feedback(time: Timestamp, relays: &BTreeMap<u16, Switch>) -> Vec<u8> {
    let relays: BTreeMap<String, bool> = relays
        .iter()
        .map(|(channel, state)| (channel.to_string(), state.is_on()))
        .collect();
    serde_json::json!({"time": time.0, "relays": relays})
        .to_string()
        .into_bytes()
}

/// Reads a feedback reading; channels that are not numbers from 1 or states that are not
/// booleans refuse the message (a half-read feedback would show a relay wrongly).
pub fn decode_feedback(payload: &[u8]) -> Result<Feedback, PayloadError> {
    let message = parse_object(payload)?;
    let time = message.get("time").and_then(|t| read_time(t).ok());
    let relays = message
        .get("relays")
        .and_then(serde_json::Value::as_object)
        .ok_or(PayloadError::BadRelays)?;
    let mut states = BTreeMap::new();
    for (channel, state) in relays {
        let channel = channel
            .parse::<u16>()
            .ok()
            .filter(|c| *c > 0)
            .ok_or(PayloadError::BadRelays)?;
        let on = state.as_bool().ok_or(PayloadError::BadRelays)?;
        states.insert(channel, Switch::from_bool(on));
    }
    Ok(Feedback {
        time,
        relays: states,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> CommandId {
        CommandId::parse("c-0123456789").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_command_is_absolute_and_round_trips() {
        let command = CommandMessage {
            command_id: id(),
            channel: 2,
            set: Switch::On,
            pulse_s: Some(600),
        };
        let text = String::from_utf8(command.encode()).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"command_id":"c-0123456789","channel":2,"set":"on","pulse_s":600}"#
        );
        assert_eq!(CommandMessage::decode(text.as_bytes()).ok(), Some(command));
        assert!(
            CommandMessage::decode(br#"{"command_id":"c-0123456789","channel":2,"set":"toggle"}"#)
                .is_err()
        );
    }

    #[test]
    fn acks_are_read_and_reasons_cut() {
        let long = "很".repeat(300);
        let payload =
            format!(r#"{{"command_id":"c-0123456789","result":"refused","reason":"{long}"}}"#);
        let ack = AckMessage::decode(payload.as_bytes()).ok();
        assert_eq!(ack.as_ref().map(|a| a.result), Some(AckResult::Refused));
        assert_eq!(
            ack.and_then(|a| a.reason).map(|r| r.chars().count()),
            Some(120)
        );
        assert!(AckMessage::decode(br#"{"command_id":"x","result":"done"}"#).is_err());
    }

    #[test]
    fn feedback_round_trips_and_bad_channels_refuse_it_whole() {
        let relays = BTreeMap::from([(1, Switch::Off), (2, Switch::On)]);
        let payload = encode_feedback(Timestamp(1_765_100_000_000), &relays);
        let read = decode_feedback(&payload).ok();
        assert_eq!(read.map(|f| f.relays), Some(relays));
        for bad in [
            &br#"{"relays":{"0":true}}"#[..],
            br#"{"relays":{"a":true}}"#,
            br#"{"relays":{"1":"on"}}"#,
            br#"{"time":1}"#,
        ] {
            assert!(
                decode_feedback(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
