//! What a simulated device puts on the wire: the topics under [`TOPIC_ROOT`] and the telemetry
//! JSON, written here to the same contract the central's MQTT bridge reads:
//!
//! ```text
//! wxdesk/v1/devices/{id}/telemetry   QoS 1, not retained
//!   {"time":ms,"sent_at":ms,"values":{"TEM":21.3,…},"battery_v":12.8,"supply_v":0.0,
//!    "rssi_dbm":-71.0,"backfill":false}
//! wxdesk/v1/devices/{id}/state       QoS 1, retained: {"state":"online"} at connect,
//!                                    {"state":"offline",…} as the last will and at a clean stop
//! ```
//!
//! `time` is the observation's (end of the minute), `sent_at` the device's clock when it sent;
//! element codes are CMA's ([`Element::code`]); health fields are left out when unknown.

use std::collections::BTreeMap;

use crate::domain::devices::{DeviceId, HealthReading, Telemetry};
use crate::domain::{Element, Timestamp};
use crate::protocol::mqtt::{Channel, Topic, encode_telemetry};

/// The root of every device topic.
pub use crate::protocol::mqtt::TOPIC_ROOT;

/// The retained state of a connected device (`protocol::mqtt::decode_state` reads it).
pub const ONLINE: &str = r#"{"state":"online"}"#;
/// The retained state of a device gone (its last will) or stopped.
pub const OFFLINE: &str = r#"{"state":"offline","reason":"lost"}"#;

/// The retained state a device leaves when it stops cleanly.
pub const STOPPED: &str = r#"{"state":"offline","reason":"stopped"}"#;

/// Where `device` publishes its readings.
pub fn telemetry_topic(device: &DeviceId) -> String {
    Topic::new(device, Channel::Telemetry).to_string()
}

/// Where `device`'s retained online/offline state is.
pub fn state_topic(device: &DeviceId) -> String {
    Topic::new(device, Channel::State).to_string()
}

/// The telemetry JSON of `device`'s readings `values` observed at `time`, sent at `sent_at`:
/// the central's own encoding ([`encode_telemetry`]), with values that are not numbers left
/// out (missing is missing).
pub fn telemetry_json(
    device: &DeviceId,
    time: Timestamp,
    sent_at: Timestamp,
    values: &BTreeMap<Element, f64>,
    health: &HealthReading,
    backfill: bool,
) -> String {
    let report = Telemetry {
        device: device.clone(),
        time,
        sent_at: Some(sent_at),
        received: sent_at,
        values: values
            .iter()
            .filter(|(_, value)| value.is_finite())
            .map(|(&element, &value)| (element, value))
            .collect(),
        health: *health,
        backfilled: backfill,
    };
    String::from_utf8(encode_telemetry(&report)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_text_is_pinned() {
        let values = BTreeMap::from([
            (Element::Tem, 21.3),
            (Element::Rhu, 87.0),
            (Element::Svwc10cm, 31.4),
            (Element::LeafWet, 0.0),
            (Element::Co2, f64::NAN), // never on the wire
        ]);
        let health = HealthReading {
            battery_v: Some(12.84),
            supply_v: Some(0.0),
            rssi_dbm: Some(-71.0),
        };
        let json = telemetry_json(
            &DeviceId::parse("YR-AWS1").unwrap(),
            Timestamp(1_796_000_040_000),
            Timestamp(1_796_000_041_250),
            &values,
            &health,
            false,
        );
        assert_eq!(
            json,
            r#"{"time":1796000040000,"sent_at":1796000041250,"values":{"LEAF_WET":0.0,"RHU":87.0,"SVWC_10cm":31.4,"TEM":21.3},"battery_v":12.84,"supply_v":0.0,"rssi_dbm":-71.0,"backfill":false}"#
        );
        let unknown_health = telemetry_json(
            &DeviceId::parse("YR-AWS1").unwrap(),
            Timestamp(60_000),
            Timestamp(61_000),
            &BTreeMap::from([(Element::TemIn, 24.5)]),
            &HealthReading::default(),
            true,
        );
        assert_eq!(
            unknown_health,
            r#"{"time":60000,"sent_at":61000,"values":{"TEM_In":24.5},"backfill":true}"#
        );
    }

    #[test]
    fn the_central_reads_what_a_simulated_device_writes() {
        use crate::protocol::mqtt::{decode_state, decode_telemetry};
        let id = DeviceId::parse("YR-AWS1").unwrap();
        let values = BTreeMap::from([(Element::Tem, 21.3), (Element::Co2, f64::NAN)]);
        let json = telemetry_json(
            &id,
            Timestamp(1_796_000_040_000),
            Timestamp(1_796_000_041_250),
            &values,
            &HealthReading::default(),
            false,
        );
        let decoded = decode_telemetry(&id, json.as_bytes(), Timestamp(1_796_000_041_000)).unwrap();
        let report = &decoded.reports[0];
        assert_eq!(report.values, BTreeMap::from([(Element::Tem, 21.3)]));
        assert_eq!(report.clock_drift_ms(), Some(250));
        let states = [(ONLINE, true), (OFFLINE, false), (STOPPED, false)];
        for (text, online) in states {
            let state = decode_state(text.as_bytes()).unwrap().unwrap();
            assert_eq!(state.online, online, "{text}");
        }
    }

    #[test]
    fn topics_follow_the_device_id() {
        let id = DeviceId::parse("YR-AWS1").unwrap();
        assert_eq!(telemetry_topic(&id), "wxdesk/v1/devices/YR-AWS1/telemetry");
        assert_eq!(state_topic(&id), "wxdesk/v1/devices/YR-AWS1/state");
    }
}
