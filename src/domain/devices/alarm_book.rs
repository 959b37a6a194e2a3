//! The alarms a technician works: one per subject (a device, or an incident's scope) and kind,
//! active or cleared, acknowledged or not, with an occurrence count, an assignee and a
//! timeline; and the pure sweep that says which conditions hold now.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::alarms::{Grouping, Quiet, Scope, Threshold, incidents};
use super::{Device, Status, Transport};
use crate::domain::Timestamp;
use crate::domain::access::{Account, Capability, allows};

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// A device is missing its reports (and nothing upstream explains it).
    Silent,
    /// Devices quiet together: one DTU's boards, a township's devices, the county's 4G.
    Incident,
    /// A battery is low.
    LowBattery,
    /// A device's clock has drifted.
    ClockDrift,
    /// A relay the central switched off at its run-time limit was not seen off in time (a
    /// valve left open, fans running): raised and cleared by relay control, not the engine.
    RelayStuck,
}

/// How urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Fix on the next round.
    Minor,
    /// Fix today.
    Major,
    /// Many devices at once: act now.
    Critical,
}

/// An alarm as the central keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmRecord {
    /// The central's id.
    pub id: u64,
    /// What it is about: a device id, or `incident:{scope}`.
    pub subject: String,
    /// Its kind.
    pub kind: AlarmKind,
    /// How urgent.
    pub severity: Severity,
    /// The devices it covers.
    pub devices: Vec<String>,
    /// Its scope, for an incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// The condition holds now.
    pub active: bool,
    /// Someone has taken it in hand.
    pub acknowledged: bool,
    /// Raised first.
    pub raised_at: Timestamp,
    /// Raised last (a new occurrence of the same alarm).
    pub last_raised_at: Timestamp,
    /// Cleared last, while it is cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_at: Option<Timestamp>,
    /// How many times the condition came back while the alarm stayed open.
    pub occurrences: u32,
    /// Who acknowledged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// Who is to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// When the on-call technician was alerted because nobody acknowledged it in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_at: Option<Timestamp>,
    /// Closed: cleared and acknowledged, or by a maintenance visit or an incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
}

/// One line of an alarm's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmEvent {
    /// When.
    pub at: Timestamp,
    /// What: `raised`, `raised_again`, `regrouped` (an incident's devices changed; the text
    /// says how many before and after), `cleared`, `acknowledged`, `assigned`, `commented`,
    /// `escalated`, `closed`.
    pub what: String,
    /// Who (a login name), or `central`.
    pub by: String,
    /// A comment, an assignee, or why it closed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// Whether an alarm may be given to `account`: an enabled account whose role manages devices
/// (a technician), who can act on it.
pub fn may_be_assigned(account: &Account) -> bool {
    !account.disabled && allows(account.role, Capability::ManageDevices)
}

/// What the sweep knows of one device.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The device.
    pub device: &'a Device,
    /// Its status now.
    pub status: Status,
    /// Its last battery voltage.
    pub battery_v: Option<f64>,
    /// Its last clock drift, ms.
    pub drift_ms: Option<i64>,
}

/// The thresholds of the sweep.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// When quiet devices are one incident.
    pub grouping: Grouping,
    /// Low battery, V (raise below, clear above).
    pub battery: Threshold,
    /// Clock drift, s by magnitude.
    pub drift: Threshold,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            grouping: Grouping {
                township_min: 3,
                cellular_percent: 50,
            },
            battery: Threshold {
                raise_at: 11.8,
                clear_at: 12.2,
            },
            drift: Threshold {
                raise_at: 120.0,
                clear_at: 30.0,
            },
        }
    }
}

/// A condition holding now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// Its subject.
    pub subject: String,
    /// Its kind.
    pub kind: AlarmKind,
    /// Its severity.
    pub severity: Severity,
    /// The devices it covers.
    pub devices: Vec<String>,
    /// Its scope, for an incident.
    pub scope: Option<Scope>,
}

/// The subject of an incident's alarm.
pub fn incident_subject(scope: &Scope) -> String {
    match scope {
        Scope::Broker => "incident:broker".to_owned(),
        Scope::Cellular => "incident:cellular".to_owned(),
        Scope::Dtu(dtu) => format!("incident:dtu:{dtu}"),
        Scope::Township(code) => format!("incident:township:{code}"),
        Scope::Device(device) => device.clone(),
    }
}

/// Every condition that holds now among `seen`; `held` says which were raised before (for the
/// thresholds' hysteresis). Quiet devices are grouped first: a device an incident explains
/// raises no alarm of its own — and while the central's link to the broker is down
/// (`broker_down`), every quiet MQTT device is explained by it, one incident.
pub fn holding(
    seen: &[Seen<'_>],
    rules: &Rules,
    held: &BTreeSet<(String, AlarmKind)>,
    broker_down: bool,
) -> Vec<Holding> {
    let behind_broker = |s: &&Seen<'_>| broker_down && s.device.transport == Transport::Mqtt;
    let (mqtt, others): (Vec<Seen<'_>>, Vec<Seen<'_>>) = seen.iter().partition(behind_broker);
    let mut found = broker_holding(&mqtt);
    found.extend(quiet_holding(&others, rules.grouping));
    for s in seen {
        let id = s.device.id.to_string();
        let was = |kind| held.contains(&(id.clone(), kind));
        let low = s
            .battery_v
            .is_some_and(|v| rules.battery.holds(v, was(AlarmKind::LowBattery)));
        #[allow(clippy::cast_precision_loss)]
        let drifted = s.drift_ms.is_some_and(|d| {
            rules
                .drift
                .holds((d as f64 / 1000.0).abs(), was(AlarmKind::ClockDrift))
        });
        for (holds, kind, severity) in [
            (low, AlarmKind::LowBattery, Severity::Major),
            (drifted, AlarmKind::ClockDrift, Severity::Minor),
        ] {
            if holds && !s.status.is_quiet() {
                found.push(Holding {
                    subject: id.clone(),
                    kind,
                    severity,
                    devices: vec![id.clone()],
                    scope: None,
                });
            }
        }
    }
    found
}

/// The quiet devices of `behind` (MQTT devices while the broker is down) as one incident.
fn broker_holding(behind: &[Seen<'_>]) -> Vec<Holding> {
    let devices: Vec<String> = behind
        .iter()
        .filter(|s| s.status.is_quiet())
        .map(|s| s.device.id.to_string())
        .collect();
    if devices.is_empty() {
        return Vec::new();
    }
    vec![Holding {
        subject: incident_subject(&Scope::Broker),
        kind: AlarmKind::Incident,
        severity: Severity::Critical,
        devices,
        scope: Some(Scope::Broker),
    }]
}

fn quiet_holding(seen: &[Seen<'_>], grouping: Grouping) -> Vec<Holding> {
    let quiet: Vec<Quiet> = seen
        .iter()
        .filter(|s| s.status.is_quiet())
        .map(|s| Quiet {
            device: s.device.id.to_string(),
            township: s.device.township.0,
            dtu: s.device.dtu.as_ref().map(ToString::to_string),
            cellular: s.device.cellular,
        })
        .collect();
    let cellular_total = seen.iter().filter(|s| s.device.cellular).count();
    incidents(&quiet, cellular_total, grouping)
        .into_iter()
        .map(|incident| {
            let alone = matches!(incident.scope, Scope::Device(_));
            Holding {
                subject: incident_subject(&incident.scope),
                kind: if alone {
                    AlarmKind::Silent
                } else {
                    AlarmKind::Incident
                },
                severity: if alone {
                    Severity::Major
                } else {
                    Severity::Critical
                },
                devices: incident.devices,
                scope: (!alone).then_some(incident.scope),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::devices::{DeviceId, DeviceKind, Transport};
    use crate::domain::geo::LatLon;
    use crate::domain::network::TownshipCode;

    fn device(id: &str, township: u32) -> Device {
        Device {
            id: DeviceId::parse(id).unwrap(),
            name_zh: id.into(),
            kind: DeviceKind::RelayBoard,
            location: LatLon::new(26.0, 116.9),
            altitude_m: 300.0,
            township: TownshipCode(township),
            transport: Transport::Mqtt,
            interval_s: 60,
            station: None,
            reference_station: None,
            dtu: None,
            modbus: None,
            cellular: false,
            simulated: false,
            relays: Vec::new(),
        }
    }

    fn seen(d: &Device, status: Status) -> Seen<'_> {
        Seen {
            device: d,
            status,
            battery_v: None,
            drift_ms: None,
        }
    }

    #[test]
    fn only_enabled_accounts_that_manage_devices_may_be_assigned() {
        use crate::domain::access::{Role, Username};
        let account = |role, disabled| Account {
            username: Username::parse("zhang").unwrap(),
            display_name: "张伟".into(),
            role,
            disabled,
            must_change_password: false,
            locked_until: None,
            last_login: None,
            created_at: Timestamp(0),
        };
        for (role, disabled, may) in [
            (Role::Technician, false, true),
            (Role::Technician, true, false),
            (Role::DutyForecaster, false, false),
            (Role::Supervisor, false, false),
            (Role::Leader, false, false),
            (Role::Administrator, false, false),
        ] {
            assert_eq!(may_be_assigned(&account(role, disabled)), may, "{role:?}");
        }
    }

    #[test]
    fn three_quiet_in_a_township_are_one_incident_and_no_device_alarms() {
        let devices: Vec<Device> = ["A01", "A02", "A03", "B01"]
            .iter()
            .map(|id| device(id, if id.starts_with('A') { 105 } else { 106 }))
            .collect();
        let all_quiet: Vec<Seen<'_>> = devices.iter().map(|d| seen(d, Status::Silent)).collect();
        let found = holding(&all_quiet, &Rules::default(), &BTreeSet::new(), false);
        let subjects: Vec<(&str, AlarmKind)> =
            found.iter().map(|h| (h.subject.as_str(), h.kind)).collect();
        assert_eq!(
            subjects,
            [
                ("incident:township:105", AlarmKind::Incident),
                ("B01", AlarmKind::Silent)
            ]
        );
        assert_eq!(found[0].devices, ["A01", "A02", "A03"]);
    }

    #[test]
    fn while_the_broker_is_down_its_quiet_devices_are_one_incident() {
        let mqtt: Vec<Device> = ["M01", "M02"].iter().map(|id| device(id, 105)).collect();
        let board = Device {
            transport: Transport::ModbusTcp,
            ..device("B01", 106)
        };
        let mut quiet: Vec<Seen<'_>> = mqtt.iter().map(|d| seen(d, Status::Silent)).collect();
        quiet.push(seen(&board, Status::Silent));
        let found = holding(&quiet, &Rules::default(), &BTreeSet::new(), true);
        let subjects: Vec<(&str, usize)> = found
            .iter()
            .map(|h| (h.subject.as_str(), h.devices.len()))
            .collect();
        assert_eq!(subjects, [("incident:broker", 2), ("B01", 1)]);
        let up = holding(&quiet, &Rules::default(), &BTreeSet::new(), false);
        assert!(up.iter().all(|h| h.scope != Some(Scope::Broker)), "{up:?}");
    }

    #[test]
    fn battery_and_drift_hold_with_hysteresis_and_not_for_a_quiet_device() {
        let d = device("C01", 105);
        let rules = Rules::default();
        let with = |battery, drift, status| Seen {
            battery_v: Some(battery),
            drift_ms: Some(drift),
            ..seen(&d, status)
        };
        let kinds = |s: Seen<'_>, held: &BTreeSet<(String, AlarmKind)>| -> Vec<AlarmKind> {
            holding(&[s], &rules, held, false)
                .iter()
                .map(|h| h.kind)
                .collect()
        };
        let none = BTreeSet::new();
        assert_eq!(
            kinds(with(11.7, 0, Status::Reporting), &none),
            [AlarmKind::LowBattery]
        );
        assert!(kinds(with(12.0, 0, Status::Reporting), &none).is_empty());
        let held: BTreeSet<_> = [("C01".to_owned(), AlarmKind::LowBattery)].into();
        assert_eq!(
            kinds(with(12.0, 0, Status::Reporting), &held),
            [AlarmKind::LowBattery],
            "12.0 V keeps a raised alarm: it clears above 12.2 V"
        );
        assert_eq!(
            kinds(with(12.6, -150_000, Status::Reporting), &none),
            [AlarmKind::ClockDrift]
        );
        let silent = kinds(with(11.0, 0, Status::Silent), &none);
        assert_eq!(
            silent,
            [AlarmKind::Silent],
            "a quiet device's stale battery says nothing new"
        );
    }
}
