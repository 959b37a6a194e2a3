//! The telemetry worker: drains the arrivals queue in batches — the next gathering while the
//! last is stored, a small one for a few milliseconds, so a busy county's reports share
//! transactions — stores each batch in one transaction — a weather-reporting device's values as its station's observation (quality
//! controlled like any other), every device's health — then tells each transport its report is
//! stored. A report the store refuses for good (an unknown device, a time far in the future) is
//! answered stored-or-settled too, with the reason logged: resending it would change nothing.
//! Only a failing database answers `Err`, so the transport keeps the report and tries again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
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

/// A batch this size is stored as soon as the writer is free…
pub const ENOUGH: usize = 32;

/// …a smaller one once no report has come for this long…
pub const GATHER_GAP: Duration = Duration::from_millis(1);

/// …or its first report has waited this long. Every transaction costs a commit, a change-log
/// row and QC's set-up whatever it holds: at a few thousand reports a second, a few
/// milliseconds' wait turns transactions of 4 reports into ones of 30, while a quiet county's
/// lone report waits one gap. A pause in the flow (the broker holding the rest until these are
/// acknowledged) ends the wait at once. The next batch gathers while the writer stores the
/// last, so the writer never waits while there is work.
pub const GATHER_FOR: Duration = Duration::from_millis(8);

/// The telemetry worker.
pub fn worker(state: AppState) -> WorkerSpec {
    WorkerSpec::new(WORKER, move |context: WorkerContext| {
        let state = state.clone();
        async move { run(&state, &context).await }
    })
}

/// What one stored batch counted: (stored, refused).
type Counted = Result<(u64, u64), String>;

async fn run(state: &AppState, context: &WorkerContext) -> Result<(), String> {
    let queue = state.devices().queue();
    let mut queue = queue.lock().await;
    let mut tally = Tally::default();
    let mut index = Arc::new(RegistryIndex::default());
    let mut next = Gathering::default();
    let mut storing: Option<tokio::task::JoinHandle<Counted>> = None;
    let mut open = true;
    loop {
        let due = next.due().filter(|_| storing.is_none());
        tokio::select! {
            arrival = queue.recv(), if open && next.arrivals.len() < BATCH => match arrival {
                Some(arrival) => next.push(arrival),
                None => open = false,
            },
            counted = stored(&mut storing), if storing.is_some() => {
                storing = None;
                let (stored, refused) = counted.map_err(|e| format!("storing a batch: {e}"))??;
                tally.stored += stored;
                tally.refused += refused;
                context.report(tally.to_string());
            }
            () = sleep_until_due(due), if due.is_some() => next.due_now(),
            () = context.stopped(), if storing.is_none() => return Ok(()),
        }
        if storing.is_none() && context.stopping() {
            return Ok(());
        }
        if storing.is_none() && (next.ready() || (!open && !next.arrivals.is_empty())) {
            index = RegistryIndex::follow(index, state.devices().devices());
            let (state, index, batch) = (state.clone(), Arc::clone(&index), next.take());
            storing = Some(tokio::spawn(async move {
                store_batch(&state, &index, batch).await
            }));
        }
        if !open && storing.is_none() && next.arrivals.is_empty() {
            return Ok(());
        }
    }
}

/// The batch being stored, once it is (never, when none is).
async fn stored(
    storing: &mut Option<tokio::task::JoinHandle<Counted>>,
) -> Result<Counted, tokio::task::JoinError> {
    match storing {
        Some(handle) => handle.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_due(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due).await;
    }
}

/// The next batch, gathering while the writer stores the last.
#[derive(Default)]
struct Gathering {
    arrivals: Vec<Arrival>,
    /// When its first and its last report came.
    since: Option<(Instant, Instant)>,
    /// It has waited long enough ([`GATHER_GAP`], [`GATHER_FOR`]).
    waited: bool,
}

impl Gathering {
    fn push(&mut self, arrival: Arrival) {
        let now = Instant::now();
        let first = self.since.map_or(now, |(first, _)| first);
        self.waited |= now - first >= GATHER_FOR;
        self.since = Some((first, now));
        self.arrivals.push(arrival);
    }

    /// When it is to be stored even if small.
    fn due(&self) -> Option<Instant> {
        let (first, last) = self.since.filter(|_| !self.waited)?;
        Some((first + GATHER_FOR).min(last + GATHER_GAP))
    }

    fn due_now(&mut self) {
        self.waited = self.since.is_some();
    }

    /// Whether to store it now that the writer is free.
    fn ready(&self) -> bool {
        self.arrivals.len() >= ENOUGH || (self.waited && !self.arrivals.is_empty())
    }

    fn take(&mut self) -> Vec<Arrival> {
        let taken = std::mem::take(&mut self.arrivals);
        *self = Self::default();
        taken
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
    /// `index`, or a new one if `registry` replaced its registry.
    fn follow(index: Arc<Self>, registry: Arc<Vec<Device>>) -> Arc<Self> {
        if Arc::ptr_eq(&registry, &index.registry) {
            return index;
        }
        let by_id = (registry.iter().enumerate())
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        Arc::new(Self { registry, by_id })
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

async fn store_batch(state: &AppState, index: &RegistryIndex, batch: Vec<Arrival>) -> Counted {
    let now = state.clock().now();
    let (telemetry, answers): (Vec<Telemetry>, Vec<Option<oneshot::Sender<_>>>) =
        batch.into_iter().map(|a| (a.telemetry, a.stored)).unzip();
    let sorted = sort(&telemetry, |id| index.get(id), now);
    for (device, why) in &sorted.refused {
        tracing::warn!(%device, reason = %why, "device report refused");
    }
    let refused = sorted.refused.len() as u64;
    let (reports, records) = (sorted.reports, sorted.records);
    let stored = reports.len() as u64;
    let outcome = state
        .blocking(move |store| store.store_reports(&reports, &records, now))
        .await;
    let answer = match &outcome {
        Ok(report) => {
            state.advance_head(report.head);
            Ok(())
        }
        Err(failure) => Err(failure.body.message.clone()),
    };
    for sender in answers.into_iter().flatten() {
        // A transport that stopped waiting has nothing to acknowledge.
        _ = sender.send(answer.clone());
    }
    answer.map(|()| (stored, refused))
}
