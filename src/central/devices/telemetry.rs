//! The telemetry worker: drains the arrivals queue in batches, stores each batch in one
//! transaction — a weather-reporting device's values as its station's observation (quality
//! controlled like any other), every device's health — then tells each transport its report is
//! stored. A report the store refuses for good (an unknown device, a time far in the future) is
//! answered stored-or-settled too, with the reason logged: resending it would change nothing.
//! Only a failing database answers `Err`, so the transport keeps the report and tries again.

use std::collections::{BTreeMap, HashMap};

use tokio::sync::oneshot;

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
    loop {
        let first = tokio::select! {
            arrival = queue.recv() => arrival,
            () = context.stopped() => return Ok(()),
        };
        let Some(first) = first else {
            return Ok(());
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(arrival) => batch.push(arrival),
                Err(_) => break,
            }
        }
        store_batch(state, batch, &mut tally).await?;
        context.report(tally.to_string());
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

/// Sorts `batch` against the registry `devices` at `now` (pure).
pub fn sort(batch: &[Telemetry], devices: &HashMap<&DeviceId, &Device>, now: Timestamp) -> Sorted {
    let mut sorted = Sorted::default();
    for telemetry in batch {
        let Some(device) = devices.get(&telemetry.device) else {
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
    batch: Vec<Arrival>,
    tally: &mut Tally,
) -> Result<(), String> {
    let now = state.clock().now();
    let (telemetry, answers): (Vec<Telemetry>, Vec<Option<oneshot::Sender<_>>>) =
        batch.into_iter().map(|a| (a.telemetry, a.stored)).unzip();
    let registry = state.devices().devices();
    let by_id: HashMap<&DeviceId, &Device> = registry.iter().map(|d| (&d.id, d)).collect();
    let sorted = sort(&telemetry, &by_id, now);
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
