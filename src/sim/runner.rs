//! The runner: send the past (the hourly archive, then the recent minutes), then each minute
//! as it ends, through a sink that may fail.
//!
//! Time comes only from the injected clock. The runner sleeps towards the next minute boundary
//! in steps of at most [`SimConfig::poll`], re-reading the clock after each, so a system clock
//! that jumps (suspend, NTP) or a test's `ManualClock` is followed; tests run on tokio's paused
//! time, where those sleeps take no real time.
//!
//! Delivery: everything due goes into an outbox (a queue of station-minutes; values are
//! regenerated when sent, being pure functions of station and minute) and is sent in order in
//! batches. While the central is unreachable or failing, the outbox holds on and the same batch
//! is retried with exponential back-off; nothing is dropped unless the outbox overflows, and
//! then loudly, oldest first.

mod probe;

use std::collections::VecDeque;
use std::future::Future;
use std::time::{Duration, Instant};

use tracing::{debug, error, info, warn};

use self::probe::{ArchiveProbe, is_archive};
use super::simulator::{Delivery, Simulator};
use super::sink::{ObservationSink, SinkError};
use super::{SimConfig, SimError};
use crate::domain::time::{HOUR_MS, MINUTE_MS, SharedClock};
use crate::domain::{Clock, Observation, Source, Timestamp};
use crate::protocol::{IngestResponse, RecordStatus};

/// What a run did, returned when it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunSummary {
    /// Records the central accepted (stored, duplicate or partial).
    pub delivered: usize,
    /// Records the central refused, alone or with their whole batch.
    pub refused: usize,
    /// Records dropped because the outbox overflowed.
    pub dropped: usize,
    /// Records still unsent at shutdown.
    pub pending: usize,
    /// Failed sends (each retried).
    pub failures: usize,
    /// Archive records not sent again because the central already held them (a restart).
    pub held: usize,
}

/// Runs the simulator until `shutdown` completes: first the past of [`SimConfig::history`]
/// ([`Simulator::past`]: the hourly archive, then the minute backfill), then every minute as
/// it ends.
pub async fn run(
    config: SimConfig,
    mut sink: impl ObservationSink,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<RunSummary, SimError> {
    let simulator = Simulator::new(&config.network)?;
    let report = simulator.driver().report;
    info!(
        rows = report.rows,
        parse_ms = report.elapsed.as_secs_f64() * 1e3,
        stations = simulator.stations().len(),
        "simulator driven by Guangzhou 2010–2015 hourly weather (UCI, CC BY 4.0)"
    );
    let mut summary = RunSummary::default();

    let mut last = clock.now().floor(MINUTE_MS);
    let history = config.history;
    let backfill_ms = i64::from(history.backfill_hours) * HOUR_MS;
    let generation = Instant::now();
    let past = simulator.past(history, last);
    let archived = past
        .iter()
        .take_while(|d| d.source == Source::Imported)
        .count();
    info!(
        archive = archived,
        archive_days = history.archive_days,
        backfill = past.len() - archived,
        backfill_hours = history.backfill_hours,
        planned_ms = generation.elapsed().as_secs_f64() * 1e3,
        "sending the archive, then the backfill"
    );
    // The past is planned in full, however long; the bound is on what piles up after it.
    let mut outbox = Outbox::new(past.len() + config.max_pending);
    summary.dropped += outbox.extend(past);

    let mut probe = ArchiveProbe::new();
    let mut backoff = Backoff::new(config.retry_initial, config.retry_max);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Send whatever is due, unless waiting out a failure.
        while !outbox.is_empty() && backoff.ready(clock.now()) {
            let deliveries = outbox.front(config.batch_size);
            if probe.active() && !deliveries.iter().all(is_archive) {
                // The archive ended with every batch held; its last one goes anyway.
                stop_probing(&mut probe, &mut outbox, &mut summary);
                continue;
            }
            let batch = simulator.observations(&deliveries);
            if batch.is_empty() {
                outbox.pop(deliveries.len());
                continue;
            }
            let probed = probe.records(&deliveries, &batch);
            let sent = probed.as_deref().unwrap_or(&batch);
            let result = tokio::select! {
                result = sink.send(sent) => result,
                () = &mut shutdown => return Ok(stopped(summary, &outbox)),
            };
            match result {
                Ok(response) => {
                    if backoff.failing() {
                        info!(pending = outbox.len(), "central reachable again");
                    }
                    backoff.reset();
                    if probed.is_some() {
                        if probe.answered(&response, sent.len(), &deliveries) {
                            summary.held += deliveries.len();
                            outbox.pop(deliveries.len());
                        } else {
                            debug!(from = %batch[0].time, "the central lacks archive from here");
                            stop_probing(&mut probe, &mut outbox, &mut summary);
                        }
                        continue;
                    }
                    let refused = log_refusals(&batch, &response);
                    summary.refused += refused;
                    summary.delivered += batch.len() - refused;
                    outbox.pop(deliveries.len());
                    debug!(
                        sent = batch.len(),
                        pending = outbox.len(),
                        "batch delivered"
                    );
                }
                Err(SinkError::Unavailable(reason)) => {
                    summary.failures += 1;
                    let wait = backoff.fail(clock.now());
                    warn!(
                        pending = outbox.len(),
                        retry_in_s = wait.as_secs(),
                        "{reason}; keeping records for retry"
                    );
                    break;
                }
                Err(error @ SinkError::Refused(_)) if probed.is_some() => {
                    // The batch itself will tell what is wrong with it: send it.
                    warn!("{error}; sending the archive without probing");
                    stop_probing(&mut probe, &mut outbox, &mut summary);
                }
                Err(error @ SinkError::Refused(_)) => {
                    // Retrying the same batch would be refused again: it is a bug here.
                    error!(records = batch.len(), "{error}; dropping the batch");
                    summary.refused += batch.len();
                    outbox.pop(deliveries.len());
                }
            }
        }
        let next_minute = last.plus_ms(MINUTE_MS);
        let wake = match backoff.retry_at() {
            Some(retry) if !outbox.is_empty() => retry.min(next_minute),
            _ => next_minute,
        };
        tokio::select! {
            () = wait_until(clock.as_ref(), wake, config.poll) => {}
            () = &mut shutdown => return Ok(stopped(summary, &outbox)),
        }

        let now = clock.now().floor(MINUTE_MS);
        let oldest = now.plus_ms(-backfill_ms.max(HOUR_MS));
        if last < oldest {
            // Asleep (suspend) for longer than the backfill window: skip the rest, say so.
            warn!(
                skipped_minutes = (oldest.0 - last.0) / MINUTE_MS,
                "clock jumped ahead; not replaying minutes older than the backfill window"
            );
            last = oldest;
        }
        while last < now {
            last = last.plus_ms(MINUTE_MS);
            summary.dropped += outbox.extend(simulator.deliveries_at(last));
        }
    }
}

/// Ends probing the archive: the last batch skipped goes back in front, and what was skipped is
/// said.
fn stop_probing(probe: &mut ArchiveProbe, outbox: &mut Outbox, summary: &mut RunSummary) {
    summary.held -= outbox.requeue(probe.stop());
    if summary.held > 0 {
        info!(
            records = summary.held,
            "archive records the central already held: not sent again"
        );
    }
}

/// The summary at shutdown, with what is left unsent logged.
fn stopped(mut summary: RunSummary, outbox: &Outbox) -> RunSummary {
    summary.pending = outbox.len();
    if summary.pending > 0 {
        warn!(pending = summary.pending, "stopping with records unsent");
    }
    info!(?summary, "simulator stopped");
    summary
}

/// Records refused in one batch that are logged one by one; the rest are counted.
const REFUSALS_LOGGED_PER_BATCH: usize = 5;

/// Logs the records the central refused in whole or in part (a simulator bug — its values are
/// meant to be always valid — or a model changed under a central that holds older values):
/// the first few with their reasons, then how many more. Returns how many were refused
/// outright.
fn log_refusals(batch: &[Observation], response: &IngestResponse) -> usize {
    let troubled: Vec<_> = response
        .results
        .iter()
        .filter(|r| matches!(r.status, RecordStatus::Rejected | RecordStatus::Partial))
        .collect();
    for result in troubled.iter().take(REFUSALS_LOGGED_PER_BATCH) {
        let (station, time) = batch.get(result.index).map_or_else(
            || ("?".to_owned(), "?".to_owned()),
            |o| (o.station.to_string(), o.time.to_string()),
        );
        warn!(
            %station, %time, status = ?result.status,
            "central refused simulated values: {}", result.errors.join("; ")
        );
    }
    if troubled.len() > REFUSALS_LOGGED_PER_BATCH {
        warn!(
            more = troubled.len() - REFUSALS_LOGGED_PER_BATCH,
            batch = batch.len(),
            "central refused values of more records in this batch"
        );
    }
    troubled
        .iter()
        .filter(|r| r.status == RecordStatus::Rejected)
        .count()
}

/// Waits until `clock` reads `target` or later, re-reading it at least every `poll`.
async fn wait_until(clock: &dyn Clock, target: Timestamp, poll: Duration) {
    loop {
        let now = clock.now();
        if now >= target {
            return;
        }
        let remaining = Duration::from_millis(u64::try_from(target.0 - now.0).unwrap_or(0));
        tokio::time::sleep(remaining.min(poll)).await;
    }
}

/// Exponential back-off measured on the injected clock.
#[derive(Debug)]
struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
    retry_at: Option<Timestamp>,
}

impl Backoff {
    fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            next: initial,
            retry_at: None,
        }
    }

    fn failing(&self) -> bool {
        self.retry_at.is_some()
    }

    fn retry_at(&self) -> Option<Timestamp> {
        self.retry_at
    }

    fn ready(&self, now: Timestamp) -> bool {
        self.retry_at.is_none_or(|at| now >= at)
    }

    /// Records a failure at `now`; returns how long until the retry.
    fn fail(&mut self, now: Timestamp) -> Duration {
        let wait = self.next;
        self.retry_at = Some(now.plus_ms(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)));
        self.next = (self.next * 2).min(self.max);
        wait
    }

    fn reset(&mut self) {
        self.next = self.initial;
        self.retry_at = None;
    }
}

/// The queue of deliveries not yet accepted, oldest first, bounded.
#[derive(Debug)]
struct Outbox {
    queue: VecDeque<Delivery>,
    capacity: usize,
}

impl Outbox {
    fn new(capacity: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    fn len(&self) -> usize {
        self.queue.len()
    }

    fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Appends; when full, drops the oldest and says so. Returns how many were dropped.
    fn extend(&mut self, deliveries: Vec<Delivery>) -> usize {
        self.queue.extend(deliveries);
        let excess = self.queue.len().saturating_sub(self.capacity);
        if excess > 0 {
            self.queue.drain(..excess);
            error!(
                dropped = excess,
                capacity = self.capacity,
                "outbox full (central unreachable for too long): dropped the oldest records"
            );
        }
        excess
    }

    /// Up to `n` of the oldest, without removing them; never archive and minutes together (an
    /// archive batch may be skipped whole).
    fn front(&self, n: usize) -> Vec<Delivery> {
        let archive = self.queue.front().is_some_and(is_archive);
        self.queue
            .iter()
            .take(n.max(1))
            .take_while(|d| is_archive(d) == archive)
            .copied()
            .collect()
    }

    /// Puts `deliveries` back in front, in their order; returns how many.
    fn requeue(&mut self, deliveries: Vec<Delivery>) -> usize {
        let count = deliveries.len();
        for delivery in deliveries.into_iter().rev() {
            self.queue.push_front(delivery);
        }
        count
    }

    /// Removes the `n` oldest.
    fn pop(&mut self, n: usize) {
        self.queue.drain(..n.min(self.queue.len()));
    }
}

#[cfg(test)]
mod tests;
