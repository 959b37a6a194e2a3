//! The telemetry worker: drains the arrivals queue in batches — gathering for a moment while
//! reports keep coming, so a busy county's reports share transactions — stores each batch in one
//! transaction — a weather-reporting device's values as its station's observation (quality
//! controlled like any other), every device's health — then tells each transport its report is
//! stored. A report the store refuses for good (an unknown device, a time far in the future) is
//! answered stored-or-settled too, with the reason logged: resending it would change nothing.
//! Only a failing database answers `Err`, so the transport keeps the report and tries again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::Arrival;
use crate::central::core::AppState;
use crate::central::workers::{WorkerContext, WorkerSpec};
use crate::domain::devices::{Device, DeviceId, Telemetry};
use crate::domain::observation::{IngestRecord, check_time, check_value};
use crate::domain::{Observation, Source, Timestamp};

/// The worker's name on the board.
pub const WORKER: &str = "telemetry";

/// Reports stored in one transaction, at most.
pub const BATCH: usize = 2_000;

/// A batch keeps gathering while each next report comes within this of the last…
pub const GATHER_GAP: Duration = Duration::from_millis(1);

/// …for at most this long after its first. Every transaction costs a commit, a change-log row
/// and QC's set-up whatever it holds; at a few thousand reports a second, a few milliseconds'
/// wait turns a transaction of 4 reports into one of 40, while a quiet county's lone report
/// waits one gap.
pub const GATHER_FOR: Duration = Duration::from_millis(10);

/// The telemetry worker.
pub fn worker(state: AppState) -> WorkerSpec {
    WorkerSpec::new(WORKER, move |context: WorkerContext| {
        let state = state.clone();
        async move { run(&state, &context).await }
    })
}

async fn run(state: &AppState, context: &WorkerContext) -> Result<(), String> {
    let queue = state.devices().queue();
    let mut queue = queue.lock().await;
    let mut tally = Tally::default();
    let mut index = RegistryIndex::default();
    loop {
        let first = tokio::select! {
            arrival = queue.recv() => arrival,
            () = context.stopped() => return Ok(()),
        };
        let Some(first) = first else {
            return Ok(());
        };
        let mut batch = vec![first];
        gather(&mut queue, &mut batch).await;
        index.follow(state.devices().devices());
        store_batch(state, &index, batch, &mut tally).await?;
        context.report(tally.to_string());
    }
}

/// Adds to `batch` what is queued, then what keeps coming within [`GATHER_GAP`] of the last,
/// until [`GATHER_FOR`] after the call or [`BATCH`] reports.
async fn gather(queue: &mut mpsc::Receiver<Arrival>, batch: &mut Vec<Arrival>) {
    let until = Instant::now() + GATHER_FOR;
    while batch.len() < BATCH {
        match queue.try_recv() {
            Ok(arrival) => {
                batch.push(arrival);
                continue;
            }
            Err(TryRecvError::Disconnected) => return,
            Err(TryRecvError::Empty) => {}
        }
        let wait = GATHER_GAP.min(until.saturating_duration_since(Instant::now()));
        if wait.is_zero() {
            return;
        }
        match tokio::time::timeout(wait, queue.recv()).await {
            Ok(Some(arrival)) => batch.push(arrival),
            Ok(None) | Err(_) => return,
        }
    }
}

/// The registry and its devices by id, indexed again only when the registry is replaced (a
/// county's thousand devices are not re-indexed for every batch).
#[derive(Debug, Default)]
struct RegistryIndex {
    registry: Arc<Vec<Device>>,
    by_id: HashMap<DeviceId, usize>,
}

impl RegistryIndex {
    fn follow(&mut self, registry: Arc<Vec<Device>>) {
        if Arc::ptr_eq(&registry, &self.registry) {
            return;
        }
        self.by_id = (registry.iter().enumerate())
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        self.registry = registry;
    }

    fn get(&self, id: &DeviceId) -> Option<&Device> {
        self.by_id.get(id).map(|&i| &self.registry[i])
    }
}

/// Reports stored and refused since the worker started.
#[derive(Debug, Default)]
struct Tally {
    stored: u64,
    refused: u64,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} reports stored, {} refused",
            self.stored, self.refused
        )
    }
}

/// A batch sorted into what is stored and what is refused, each with whom to tell.
#[derive(Debug, Default)]
pub struct Sorted {
    /// Reports of registered devices.
    pub reports: Vec<Telemetry>,
    /// Their stations' observations, each indexed by its report's place in `reports` (so the
    /// store can tell which reports were repeats).
    pub records: Vec<IngestRecord>,
    /// Refused reports: why, by device.
    pub refused: Vec<(DeviceId, String)>,
}

/// Sorts `batch` against the registry (`device` finds one by id) at `now` (pure).
pub fn sort<'d>(
    batch: &[Telemetry],
    device: impl Fn(&DeviceId) -> Option<&'d Device>,
    now: Timestamp,
) -> Sorted {
    let mut sorted = Sorted::default();
    for telemetry in batch {
        let Some(device) = device(&telemetry.device) else {
            let why = "not in the registry".to_owned();
            sorted.refused.push((telemetry.device.clone(), why));
            continue;
        };
        if let Err(e) = check_time(telemetry.time, now) {
            sorted
                .refused
                .push((telemetry.device.clone(), e.to_string()));
            continue;
        }
        if let Some(record) = record_of(device, telemetry, sorted.reports.len()) {
            sorted.records.push(record);
        }
        sorted.reports.push(telemetry.clone());
    }
    sorted
}

/// A weather-reporting device's report as its station's observation; values outside their
/// element's physical range are refused one by one, the rest kept.
pub fn record_of(device: &Device, telemetry: &Telemetry, index: usize) -> Option<IngestRecord> {
    let station = device.station.clone()?;
    let mut values = BTreeMap::new();
    let mut value_errors = Vec::new();
    for (&element, &value) in &telemetry.values {
        match check_value(element, value) {
            Ok(value) => {
                values.insert(element, value);
            }
            Err(e) => value_errors.push(e),
        }
    }
    let source = if telemetry.backfilled {
        Source::Backfilled
    } else {
        Source::Live
    };
    Some(IngestRecord {
        index,
        observation: Observation {
            station,
            time: telemetry.time,
            source,
            values,
        },
        value_errors,
    })
}

async fn store_batch(
    state: &AppState,
    index: &RegistryIndex,
    batch: Vec<Arrival>,
    tally: &mut Tally,
) -> Result<(), String> {
    let now = state.clock().now();
    let (telemetry, answers): (Vec<Telemetry>, Vec<Option<oneshot::Sender<_>>>) =
        batch.into_iter().map(|a| (a.telemetry, a.stored)).unzip();
    let sorted = sort(&telemetry, |id| index.get(id), now);
    for (device, why) in &sorted.refused {
        tracing::warn!(%device, reason = %why, "device report refused");
    }
    let (reports, records) = (sorted.reports, sorted.records);
    let stored = reports.len() as u64;
    let outcome = state
        .blocking(move |store| store.store_reports(&reports, &records, now))
        .await;
    let answer = match &outcome {
        Ok(report) => {
            state.advance_head(report.head);
            tally.stored += stored;
            tally.refused += sorted.refused.len() as u64;
            Ok(())
        }
        Err(failure) => Err(failure.body.message.clone()),
    };
    for sender in answers.into_iter().flatten() {
        // A transport that stopped waiting has nothing to acknowledge.
        _ = sender.send(answer.clone());
    }
    outcome.map(drop).map_err(|f| f.body.message)
}
