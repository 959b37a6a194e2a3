//! What a device reports, whatever its transport: an MQTT payload and a Modbus poll both end
//! as a [`Telemetry`], which the central stores as the device's station's observation and as
//! its health.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::registry::DeviceId;
use crate::domain::{Element, Timestamp};

/// A device's own account of its health, sent beside its readings (any part may be missing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthReading {
    /// Battery voltage, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_v: Option<f64>,
    /// Supply (solar or mains adapter) voltage, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply_v: Option<f64>,
    /// Cellular signal strength, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi_dbm: Option<f64>,
}

/// One report of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct Telemetry {
    /// Who reported.
    pub device: DeviceId,
    /// The observation time the readings are for (the device's clock).
    pub time: Timestamp,
    /// The device's clock when it sent the report, if it says: with the arrival time, its drift.
    pub sent_at: Option<Timestamp>,
    /// When the central received it.
    pub received: Timestamp,
    /// The readings, by element (missing is absent, never a sentinel).
    pub values: BTreeMap<Element, f64>,
    /// Its health readings.
    pub health: HealthReading,
    /// Sent late from the device's own memory after a link outage.
    pub backfilled: bool,
}

impl Telemetry {
    /// How far the device's clock runs ahead of the central's (negative: behind), ms. Only a
    /// report that says when it was sent tells; a backfilled one's observation time does not.
    pub fn clock_drift_ms(&self) -> Option<i64> {
        self.sent_at.map(|sent| sent.0 - self.received.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_is_told_only_by_the_send_time() {
        let base = Telemetry {
            device: DeviceId::parse("YR-AWS1").unwrap(),
            time: Timestamp(1_000),
            sent_at: None,
            received: Timestamp(10_000),
            values: BTreeMap::new(),
            health: HealthReading::default(),
            backfilled: true,
        };
        assert_eq!(
            base.clock_drift_ms(),
            None,
            "an old observation is not drift"
        );
        let ahead = Telemetry {
            sent_at: Some(Timestamp(12_500)),
            ..base.clone()
        };
        assert_eq!(ahead.clock_drift_ms(), Some(2_500));
        let behind = Telemetry {
            sent_at: Some(Timestamp(9_000)),
            ..base
        };
        assert_eq!(behind.clock_drift_ms(), Some(-1_000));
    }
}
