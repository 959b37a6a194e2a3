//! The status worker: every [`SWEEP`] it judges each device's status from its last report, its
//! link and its broker presence, and logs the devices whose status changed — only those, so the
//! change log carries state changes, not reports.

use std::collections::HashMap;
use std::time::Duration;

use crate::central::core::AppState;
use crate::central::workers::{WorkerContext, WorkerSpec};
use crate::domain::Timestamp;
use crate::domain::devices::health::lateness;
use crate::domain::devices::status::status;
use crate::domain::devices::{Device, DeviceId, Status, StatusSince};
use crate::protocol::devices::DeviceHealth;

/// The worker's name on the board.
pub const WORKER: &str = "device_status";

/// How often statuses are judged: well inside the shortest report interval worth watching.
pub const SWEEP: Duration = Duration::from_secs(10);

/// The status worker.
pub fn worker(state: AppState) -> WorkerSpec {
    WorkerSpec::new(WORKER, move |context: WorkerContext| {
        let state = state.clone();
        async move {
            loop {
                let changed = sweep(&state).await.map_err(|f| f.body.message)?;
                context.report(format!("{changed} status changes at the last sweep"));
                if !context.sleep(SWEEP).await {
                    return Ok(());
                }
            }
        }
    })
}

/// Judges every device now, logs the status changes, then runs the alarm engine and its
/// escalation; returns how many statuses changed.
pub async fn sweep(state: &AppState) -> Result<usize, crate::central::Failure> {
    let now = state.clock().now();
    let rows = state
        .blocking(move |store| store.devices_with_health(now.plus_ms(-86_400_000)))
        .await?;
    let changes = changes(&rows, now);
    let count = changes.len();
    let statuses: HashMap<String, Status> = rows
        .iter()
        .map(|(device, health)| (device.id.to_string(), health.status.status))
        .chain(changes.iter().map(|(id, s, _)| (id.to_string(), s.status)))
        .collect();
    if count > 0 {
        let head = state
            .blocking(move |store| store.set_statuses(&changes, now))
            .await?;
        state.advance_head(head);
    }
    super::alarms::sweep(state, &rows, &statuses, now).await?;
    super::alarms::escalate(state, now).await?;
    Ok(count)
}

/// The devices whose status at `now` differs from the one stored (pure).
pub fn changes(
    rows: &[(Device, DeviceHealth)],
    now: Timestamp,
) -> Vec<(DeviceId, StatusSince, Option<Timestamp>)> {
    rows.iter()
        .filter_map(|(device, health)| {
            let late = lateness(health.last_seen, device.interval_ms(), now);
            let judged = status(late, health.link, health.presence);
            (judged != health.status.status).then(|| {
                let since = StatusSince {
                    status: judged,
                    since: now,
                };
                (device.id.clone(), since, health.last_seen)
            })
        })
        .collect()
}
