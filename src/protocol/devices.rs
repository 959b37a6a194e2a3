//! Devices on the wire: the registry (`GET/POST /devices`, `PUT /devices/{id}`), a device's
//! health page (`GET /devices/{id}/health`), and the changes that tell desks a device was
//! registered or changed (`device`) or that its status changed (`device_status`).

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;
use crate::domain::devices::alarm_book::{AlarmEvent, AlarmRecord};
use crate::domain::devices::health::{BatteryForecast, Lateness, LinkState};
use crate::domain::devices::{Device, DeviceId, Presence, StatusSince};

/// What the central last heard of a device, and how it judges it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceHealth {
    /// When the central last received a report from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// The observation time of its newest report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_time: Option<Timestamp>,
    /// Battery voltage in its newest report that had one, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_v: Option<f64>,
    /// Supply voltage, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply_v: Option<f64>,
    /// Signal strength, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi_dbm: Option<f64>,
    /// How far its clock ran ahead of the central's when it last said (negative: behind), ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_drift_ms: Option<i64>,
    /// The central's link to it (polled devices; an MQTT device's is its broker session).
    pub link: LinkState,
    /// What the broker last said of its connection (MQTT devices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Presence>,
    /// Its status and since when.
    pub status: StatusSince,
    /// Reports received in the last 24 h.
    pub reports_24h: u32,
}

/// A device with its health: one row of `GET /devices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    /// The registry's record.
    pub device: Device,
    /// Its health now.
    pub health: DeviceHealth,
}

/// `GET /devices`: every registered device with its health, by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceList {
    /// The devices.
    pub devices: Vec<DeviceView>,
    /// The central's clock when it judged them.
    pub now: Timestamp,
}

/// One hour of a device's health, downsampled as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthHour {
    /// The hour's start.
    pub hour: Timestamp,
    /// Reports received in it.
    pub reports: u32,
    /// Lowest battery voltage, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_min_v: Option<f64>,
    /// Last battery voltage, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_v: Option<f64>,
    /// Last supply voltage, V.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply_v: Option<f64>,
    /// Mean signal strength, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi_dbm: Option<f64>,
    /// Largest clock drift seen, by magnitude, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_drift_ms: Option<i64>,
}

/// `GET /devices/{id}/health`: the device, its health judged now, its trend and forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthPage {
    /// The device and its health.
    pub view: DeviceView,
    /// Its reports against its interval, at `now`.
    pub lateness: Lateness,
    /// The share of expected reports received in the last 24 h, 0–1.
    pub completeness_24h: f64,
    /// Hour by hour, oldest first (up to 14 days).
    pub trend: Vec<HealthHour>,
    /// When its battery reaches the cut-off.
    pub battery: BatteryForecast,
    /// The central's clock.
    pub now: Timestamp,
}

/// A `device_status` change: a device's status changed. Only the change travels, never each
/// report; desks count "late by N" themselves from `last_seen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStatusChange {
    /// The device.
    pub device: DeviceId,
    /// Its new status and since when.
    pub status: StatusSince,
    /// When the central last heard it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
}

/// The battery voltage below which a 12 V lead-acid or lithium iron phosphate pack in the field is flat.
pub const BATTERY_CUTOFF_V: f64 = 11.0;

/// `GET /alarms`: every open alarm, and those closed in the last day, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmList {
    /// The alarms.
    pub alarms: Vec<AlarmRecord>,
    /// The central's clock.
    pub now: Timestamp,
}

/// `GET /alarms/{id}`: an alarm with its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmDetail {
    /// The alarm.
    pub alarm: AlarmRecord,
    /// What happened to it, oldest first.
    pub events: Vec<AlarmEvent>,
}

/// `POST /alarms/{id}/assign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmAssignment {
    /// The login name of who is to fix it.
    pub assignee: String,
}

/// `GET /device-alarms/assignees`: who an alarm may be given to — the enabled accounts whose
/// role manages devices. Names only: staff see staff's names, never more of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssigneeList {
    /// By login name.
    pub assignees: Vec<Assignee>,
}

/// One person an alarm may be given to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    /// Login name (what `assign` takes).
    pub username: String,
    /// Name shown to people (张伟).
    pub display_name: String,
}

/// `POST /alarms/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmComment {
    /// The comment, 1–500 characters.
    pub text: String,
}
