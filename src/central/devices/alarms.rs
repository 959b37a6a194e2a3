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

/// Where each condition stands, kept between sweeps; `None` until the first sweep loads the
/// alarms still active (so a restart neither raises them again nor forgets to clear them).
pub type Memory = Arc<Mutex<Option<HashMap<(String, AlarmKind), Condition>>>>;

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
    let conditions = memory.get_or_insert_with(HashMap::new);
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
    let (raise, clear) = step(conditions, &seen, broker_down, now);
    if raise.is_empty() && clear.is_empty() {
        return Ok(Vec::new());
    }
    let (changed, head) = state
        .blocking(move |store| store.sweep_alarms(&raise, &clear, now))
        .await?;
    state.advance_head(head);
    Ok(changed)
}

/// The active alarms as raised conditions (those the engine judges: relay control keeps its own).
fn remembered(open: &[AlarmRecord]) -> HashMap<(String, AlarmKind), Condition> {
    open.iter()
        .filter(|a| a.active && a.closed_at.is_none() && a.kind != AlarmKind::RelayStuck)
        .map(|a| ((a.subject.clone(), a.kind), Condition::Raised))
        .collect()
}

/// Steps every condition through what holds now (pure but for `conditions`), the broker link
/// being down when `broker_down`: what to raise and what to clear.
pub fn step(
    conditions: &mut HashMap<(String, AlarmKind), Condition>,
    seen: &[Seen<'_>],
    broker_down: bool,
    now: Timestamp,
) -> (Vec<Holding>, Vec<(String, AlarmKind)>) {
    let held: BTreeSet<(String, AlarmKind)> = conditions
        .iter()
        .filter(|(_, c)| matches!(c, Condition::Raised | Condition::Clearing { .. }))
        .map(|(key, _)| key.clone())
        .collect();
    let found = holding(seen, &Rules::default(), &held, broker_down);
    let mut raise = Vec::new();
    let mut clear = Vec::new();
    let holding_keys: BTreeSet<(String, AlarmKind)> =
        found.iter().map(|h| (h.subject.clone(), h.kind)).collect();
    for h in found {
        let key = (h.subject.clone(), h.kind);
        let condition = conditions.entry(key).or_insert(Condition::Quiet);
        let (next, edge) = condition.step(true, now, debounce(h.kind));
        *condition = next;
        if edge == Some(Edge::Raise) {
            raise.push(h);
        }
    }
    for (key, condition) in conditions.iter_mut() {
        if holding_keys.contains(key) {
            continue;
        }
        let (next, edge) = condition.step(false, now, debounce(key.1));
        *condition = next;
        if edge == Some(Edge::Clear) {
            clear.push(key.clone());
        }
    }
    conditions.retain(|_, c| *c != Condition::Quiet);
    (raise, clear)
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
