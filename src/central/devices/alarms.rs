//! The alarm engine, run after each status sweep: which conditions hold (quiet devices grouped
//! into incidents first, then low batteries and drifting clocks), each stepped through its
//! pending and clearing periods so a flicker raises nothing; what rises or clears is stored and
//! logged; an alarm nobody acknowledges within [`ACK_WITHIN_MS`] reaches the on-call technician
//! through the dispatch channels (`notify_on_call`), whose receipts settle it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::central::Failure;
use crate::central::core::AppState;
use crate::central::on_call::notify_on_call;
use crate::domain::Timestamp;
use crate::domain::devices::alarm_book::{AlarmKind, AlarmRecord, Holding, Rules, Seen, holding};
use crate::domain::devices::alarms::{Condition, Debounce, Edge, Scope};
use crate::domain::devices::{Device, Status};
use crate::domain::network::Network;
use crate::protocol::devices::DeviceHealth;

/// How long an active alarm may stay unacknowledged before the on-call technician is alerted.
pub const ACK_WITHIN_MS: i64 = 15 * 60_000;

/// The on-call alarms' source name.
pub const SOURCE: &str = "device";

/// Each kind's pending and clearing periods.
pub fn debounce(kind: AlarmKind) -> Debounce {
    let minutes = |m: i64| m * 60_000;
    match kind {
        // Silence already waited three reports; a minute more lets devices dropping together
        // be seen together.
        AlarmKind::Silent | AlarmKind::Incident => Debounce {
            pending_ms: minutes(1),
            clear_ms: minutes(2),
        },
        // A battery sags under load and at night: only a sustained low counts.
        AlarmKind::LowBattery => Debounce {
            pending_ms: minutes(10),
            clear_ms: minutes(30),
        },
        AlarmKind::ClockDrift => Debounce {
            pending_ms: minutes(5),
            clear_ms: minutes(5),
        },
        // Relay control raises and clears it itself, at once.
        AlarmKind::RelayStuck => Debounce {
            pending_ms: 0,
            clear_ms: 0,
        },
    }
}

/// An alarm's subject and kind: the one alarm they name.
pub type Key = (String, AlarmKind);

/// Where each condition stands, and the devices each raised alarm names as stored.
#[derive(Debug, Default)]
pub struct Book {
    conditions: HashMap<Key, Condition>,
    named: HashMap<Key, Vec<String>>,
}

/// What one step of the engine changes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stepped {
    /// Newly raised (or raised again).
    pub raise: Vec<Holding>,
    /// Raised and still holding, over another set of devices: an incident that grew or shrank.
    pub regroup: Vec<Holding>,
    /// Cleared.
    pub clear: Vec<Key>,
}

impl Stepped {
    fn is_empty(&self) -> bool {
        self.raise.is_empty() && self.regroup.is_empty() && self.clear.is_empty()
    }
}

/// The book, kept between sweeps; `None` until the first sweep loads the alarms still active
/// (so a restart neither raises them again nor forgets to clear them).
pub type Memory = Arc<Mutex<Option<Book>>>;

/// One sweep of the engine over `rows` with their `statuses` judged now; returns the alarms
/// that changed.
pub async fn sweep(
    state: &AppState,
    rows: &[(Device, DeviceHealth)],
    statuses: &HashMap<String, Status>,
    now: Timestamp,
) -> Result<Vec<AlarmRecord>, Failure> {
    let memory = state.devices().alarm_memory();
    let mut memory = memory.lock().await;
    if memory.is_none() {
        let open = state.blocking(move |store| store.alarms(now)).await?;
        *memory = Some(remembered(&open));
    }
    let book = memory.get_or_insert_with(Book::default);
    let seen: Vec<Seen<'_>> = rows
        .iter()
        .map(|(device, health)| Seen {
            device,
            status: statuses
                .get(device.id.as_str())
                .copied()
                .unwrap_or(health.status.status),
            battery_v: health.battery_v,
            drift_ms: health.clock_drift_ms,
        })
        .collect();
    let broker_down = !state.devices().broker_up();
    let stepped = step(book, &seen, broker_down, now);
    if stepped.is_empty() {
        return Ok(Vec::new());
    }
    let (changed, head) = state
        .blocking(move |store| {
            store.sweep_alarms(&stepped.raise, &stepped.regroup, &stepped.clear, now)
        })
        .await?;
    state.advance_head(head);
    Ok(changed)
}

/// The active alarms as raised conditions naming their devices (those the engine judges:
/// relay control keeps its own).
fn remembered(open: &[AlarmRecord]) -> Book {
    let mut book = Book::default();
    for alarm in open
        .iter()
        .filter(|a| a.active && a.closed_at.is_none() && a.kind != AlarmKind::RelayStuck)
    {
        let key = (alarm.subject.clone(), alarm.kind);
        book.conditions.insert(key.clone(), Condition::Raised);
        book.named.insert(key, sorted(&alarm.devices));
    }
    book
}

fn sorted(devices: &[String]) -> Vec<String> {
    let mut devices = devices.to_vec();
    devices.sort();
    devices
}

/// Steps every condition through what holds now (pure but for `book`), the broker link being
/// down when `broker_down`: what to raise, what to regroup and what to clear. An incident
/// raised while devices fall quiet one by one grows with them, one alarm throughout.
pub fn step(book: &mut Book, seen: &[Seen<'_>], broker_down: bool, now: Timestamp) -> Stepped {
    let held: BTreeSet<Key> = book
        .conditions
        .iter()
        .filter(|(_, c)| matches!(c, Condition::Raised | Condition::Clearing { .. }))
        .map(|(key, _)| key.clone())
        .collect();
    let found = holding(seen, &Rules::default(), &held, broker_down);
    let mut stepped = Stepped::default();
    let holding_keys: BTreeSet<Key> = found.iter().map(|h| (h.subject.clone(), h.kind)).collect();
    for h in found {
        let key = (h.subject.clone(), h.kind);
        let condition = book
            .conditions
            .entry(key.clone())
            .or_insert(Condition::Quiet);
        let (next, edge) = condition.step(true, now, debounce(h.kind));
        *condition = next;
        let devices = sorted(&h.devices);
        if edge == Some(Edge::Raise) {
            book.named.insert(key, devices);
            stepped.raise.push(h);
        } else if held.contains(&key) && book.named.get(&key) != Some(&devices) {
            book.named.insert(key, devices);
            stepped.regroup.push(h);
        }
    }
    for (key, condition) in &mut book.conditions {
        if holding_keys.contains(key) {
            continue;
        }
        let (next, edge) = condition.step(false, now, debounce(key.1));
        *condition = next;
        if edge == Some(Edge::Clear) {
            stepped.clear.push(key.clone());
        }
    }
    book.conditions.retain(|_, c| *c != Condition::Quiet);
    let conditions = &book.conditions;
    book.named.retain(|key, _| conditions.contains_key(key));
    stepped
}

/// Alerts the on-call technician of every active alarm nobody acknowledged in time, once.
pub async fn escalate(state: &AppState, now: Timestamp) -> Result<usize, Failure> {
    let open = state.blocking(move |store| store.alarms(now)).await?;
    let due: Vec<&AlarmRecord> = open
        .iter()
        .filter(|a| {
            a.active
                && !a.acknowledged
                && a.escalated_at.is_none()
                && a.closed_at.is_none()
                && now.0 - a.raised_at.0 >= ACK_WITHIN_MS
        })
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    // The network (for township names) only when someone is to be told.
    let network = state.blocking(|store| store.network()).await?;
    for alarm in &due {
        let text = on_call_text(alarm, &network);
        notify_on_call(state, SOURCE, &format!("alarm-{}", alarm.id), &text).await?;
        let id = alarm.id;
        let head = state
            .blocking(move |store| store.alarm_escalated(id, now))
            .await?;
        state.advance_head(head);
    }
    Ok(due.len())
}

/// What the on-call technician reads: what, where, how many; no personal data.
pub fn on_call_text(alarm: &AlarmRecord, network: &Network) -> String {
    let township = |code: u32| {
        network
            .township(crate::domain::TownshipCode(code))
            .map_or_else(|| code.to_string(), |t| t.name.clone())
    };
    let what = match (&alarm.scope, alarm.kind) {
        (Some(Scope::Township(code)), _) => {
            format!("{}{}台设备同时失联", township(*code), alarm.devices.len())
        }
        (Some(Scope::Dtu(dtu)), _) => format!("DTU {dtu} 下{}台设备同时失联", alarm.devices.len()),
        (Some(Scope::Cellular), _) => format!("全县4G设备{}台同时失联", alarm.devices.len()),
        (Some(Scope::Broker), _) => {
            format!(
                "中心与MQTT代理的连接中断，{}台设备无法上报",
                alarm.devices.len()
            )
        }
        (_, AlarmKind::Silent) => format!("设备 {} 失联", alarm.subject),
        (_, AlarmKind::LowBattery) => format!("设备 {} 电池电压低", alarm.subject),
        (_, AlarmKind::ClockDrift) => format!("设备 {} 时钟偏差大", alarm.subject),
        (_, AlarmKind::RelayStuck) => format!("设备 {} 继电器到时未能关闭", alarm.subject),
        (_, AlarmKind::Incident) => format!("{}台设备同时失联", alarm.devices.len()),
    };
    format!(
        "【设备告警】{what}，15分钟内无人确认，请处理（告警 {}）",
        alarm.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::devices::alarm_book::Severity;
    use crate::domain::devices::{DeviceId, DeviceKind, Transport};
    use crate::domain::geo::LatLon;
    use crate::domain::network::TownshipCode;

    const TOWNSHIP: u32 = 350_423_105;

    fn devices(n: usize) -> Vec<Device> {
        (1..=n)
            .map(|i| Device {
                id: DeviceId::parse(&format!("garden-{i}")).unwrap(),
                name_zh: format!("茶园{i}"),
                kind: DeviceKind::GardenStation,
                location: LatLon::new(26.2, 116.8),
                altitude_m: 400.0,
                township: TownshipCode(TOWNSHIP),
                transport: Transport::ModbusTcp,
                interval_s: 60,
                station: None,
                reference_station: None,
                dtu: None,
                modbus: None,
                cellular: false,
                simulated: false,
                relays: Vec::new(),
            })
            .collect()
    }

    /// The first `quiet` of `devices` silent, the rest reporting.
    fn seen(devices: &[Device], quiet: usize) -> Vec<Seen<'_>> {
        devices
            .iter()
            .enumerate()
            .map(|(i, device)| Seen {
                device,
                status: if i < quiet {
                    Status::Silent
                } else {
                    Status::Reporting
                },
                battery_v: None,
                drift_ms: None,
            })
            .collect()
    }

    fn at_minute(m: i64) -> Timestamp {
        Timestamp(1_765_100_000_000 + m * 60_000)
    }

    fn counts(holdings: &[Holding]) -> Vec<(String, usize)> {
        holdings
            .iter()
            .map(|h| (h.subject.clone(), h.devices.len()))
            .collect()
    }

    #[test]
    fn an_incident_grows_and_shrinks_with_its_quiet_devices_as_one_alarm() {
        let all = devices(6);
        let subject = format!("incident:township:{TOWNSHIP}");
        let mut book = Book::default();
        // (minute, devices quiet, raised, regrouped, cleared)
        type Line = (
            i64,
            usize,
            Vec<(String, usize)>,
            Vec<(String, usize)>,
            usize,
        );
        let script: [Line; 8] = [
            (0, 3, vec![], vec![], 0),
            (1, 3, vec![(subject.clone(), 3)], vec![], 0),
            (2, 3, vec![], vec![], 0),
            (3, 5, vec![], vec![(subject.clone(), 5)], 0),
            (4, 6, vec![], vec![(subject.clone(), 6)], 0),
            (5, 4, vec![], vec![(subject.clone(), 4)], 0),
            (6, 0, vec![], vec![], 0),
            (8, 0, vec![], vec![], 1),
        ];
        for (minute, quiet, raised, regrouped, cleared) in script {
            let stepped = step(&mut book, &seen(&all, quiet), false, at_minute(minute));
            assert_eq!(counts(&stepped.raise), raised, "raised at minute {minute}");
            assert_eq!(counts(&stepped.regroup), regrouped, "regrouped at {minute}");
            assert_eq!(stepped.clear.len(), cleared, "cleared at minute {minute}");
        }
        assert!(book.conditions.is_empty() && book.named.is_empty());
    }

    #[test]
    fn an_incident_remembered_across_a_restart_regroups_only_when_its_devices_change() {
        let all = devices(5);
        let subject = format!("incident:township:{TOWNSHIP}");
        let open = AlarmRecord {
            id: 7,
            subject: subject.clone(),
            kind: AlarmKind::Incident,
            severity: Severity::Critical,
            devices: vec!["garden-3".into(), "garden-1".into(), "garden-2".into()],
            scope: Some(Scope::Township(TOWNSHIP)),
            active: true,
            acknowledged: false,
            raised_at: at_minute(0),
            last_raised_at: at_minute(0),
            cleared_at: None,
            occurrences: 1,
            acknowledged_by: None,
            assignee: None,
            escalated_at: None,
            closed_at: None,
        };
        let mut book = remembered(&[open]);
        let same = step(&mut book, &seen(&all, 3), false, at_minute(10));
        assert_eq!(same, Stepped::default(), "the same three devices");
        let grown = step(&mut book, &seen(&all, 4), false, at_minute(11));
        assert_eq!(counts(&grown.regroup), vec![(subject, 4)]);
        assert!(grown.raise.is_empty());
    }
}
