//! The runner on tokio's paused time with a `ManualClock`: no test waits for real time.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::*;
use crate::domain::time::ManualClock;
use crate::domain::{Element, Network};
use crate::protocol::RecordResult;
use crate::sim::sink::{ChannelSink, all_stored};
use crate::sim::{History, MinuteFate};

/// A guard against hangs: generous, and in paused time it costs nothing when tests pass.
const GUARD: Duration = Duration::from_secs(600);

/// 2026-07-15T02:00:30Z: half a minute into a minute.
const START: Timestamp = Timestamp(1_784_080_830_000);

fn network() -> Network {
    crate::assets::qingliu_network().unwrap()
}

fn config(backfill_hours: u32) -> SimConfig {
    with_archive(0, backfill_hours)
}

fn with_archive(archive_days: u32, backfill_hours: u32) -> SimConfig {
    let history = History {
        archive_days,
        backfill_hours,
    };
    let mut config = SimConfig::new(network(), history);
    config.batch_size = 500;
    config
}

fn key(o: &Observation) -> (Timestamp, String, Source) {
    (o.time, o.station.to_string(), o.source)
}

async fn next<T>(receiver: &mut mpsc::Receiver<T>) -> T {
    tokio::time::timeout(GUARD, receiver.recv())
        .await
        .expect("runner went quiet")
        .expect("runner hung up")
}

#[tokio::test(start_paused = true)]
async fn backfills_then_sends_each_minute_as_it_ends() {
    let clock = ManualClock::new(START);
    let (sink, mut batches) = ChannelSink::new(64);
    let (stop, stopped) = oneshot::channel::<()>();
    let runner = tokio::spawn(run(config(3), sink, clock.clone(), async {
        let _ = stopped.await;
    }));

    let simulator = Simulator::new(&network()).unwrap();
    let now = START.floor(MINUTE_MS);
    let history = simulator.history(now.plus_ms(-3 * HOUR_MS), now);
    assert!(history.len() > 2500, "{}", history.len());
    let mut received = Vec::new();
    while received.len() < history.len() {
        let batch = next(&mut batches).await;
        assert!(batch.len() <= 500);
        received.extend(batch);
    }
    let expected: Vec<Observation> = history
        .iter()
        .filter_map(|d| simulator.delivery(*d))
        .collect();
    assert_eq!(received, expected, "the backfill, in time order");
    assert!(received.windows(2).all(|w| w[0].time <= w[1].time));

    // Nothing more until the minute ends.
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert!(batches.try_recv().is_err());

    for minute in 1..=3 {
        clock.advance(MINUTE_MS);
        let t = now.plus_ms(minute * MINUTE_MS);
        let batch = next(&mut batches).await;
        let expected: Vec<Observation> = simulator
            .deliveries_at(t)
            .iter()
            .filter_map(|d| simulator.delivery(*d))
            .collect();
        assert_eq!(batch, expected, "minute {t}");
        assert!(
            batch
                .iter()
                .any(|o| o.time == t && o.source == Source::Live)
        );
    }

    stop.send(()).unwrap();
    let summary = runner.await.unwrap().unwrap();
    assert_eq!(
        summary.delivered,
        history.len() + 3 * 16 - lost_or_late(&simulator, now)
    );
    assert_eq!(
        (summary.pending, summary.failures, summary.dropped),
        (0, 0, 0)
    );
}

/// Stations silent at minutes now+1..=now+3 (their records are not among the live ones).
fn lost_or_late(simulator: &Simulator, now: Timestamp) -> usize {
    (1..=3)
        .map(|k| {
            let t = now.plus_ms(k * MINUTE_MS);
            let live = simulator
                .deliveries_at(t)
                .iter()
                .filter(|d| d.source == Source::Live)
                .count();
            let late = simulator.deliveries_at(t).len() - live;
            16 - live - late
        })
        .sum()
}

/// A central that is down for its first `failures` calls, answering with each attempt.
struct FlakySink {
    failures: usize,
    calls: usize,
    delivered: Arc<Mutex<Vec<Observation>>>,
    attempts: mpsc::Sender<bool>,
}

impl ObservationSink for FlakySink {
    fn send(
        &mut self,
        batch: &[Observation],
    ) -> impl Future<Output = Result<IngestResponse, SinkError>> + Send {
        self.calls += 1;
        let ok = self.calls > self.failures;
        if ok {
            self.delivered.lock().unwrap().extend_from_slice(batch);
        }
        let attempts = self.attempts.clone();
        let count = batch.len();
        async move {
            let _ = attempts.send(ok).await;
            if ok {
                Ok(all_stored(count))
            } else {
                Err(SinkError::Unavailable("connection refused".into()))
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_central_gets_everything_once_in_order_after_retries() {
    let clock = ManualClock::new(START);
    let delivered = Arc::new(Mutex::new(Vec::new()));
    let (attempts_tx, mut attempts) = mpsc::channel(64);
    let sink = FlakySink {
        failures: 4,
        calls: 0,
        delivered: delivered.clone(),
        attempts: attempts_tx,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let runner = tokio::spawn(run(config(1), sink, clock.clone(), async {
        let _ = stopped.await;
    }));

    // Four failures, each followed by a longer wait on the injected clock: 1, 2, 4, 8 s.
    // Meanwhile minutes keep ending and queue up behind the backfill.
    for wait_s in [1, 2, 4, 8] {
        assert!(!next(&mut attempts).await, "failure expected");
        assert!(delivered.lock().unwrap().is_empty());
        clock.advance(wait_s * 1000 - 1);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(
            attempts.try_recv().is_err(),
            "retried before the back-off ended"
        );
        clock.advance(1 + 20_000);
    }
    let now = START.floor(MINUTE_MS);
    clock.set(now.plus_ms(6 * MINUTE_MS + 30_000));
    let simulator = Simulator::new(&network()).unwrap();
    let mut expected: Vec<Delivery> = simulator.history(now.plus_ms(-HOUR_MS), now);
    for k in 1..=6 {
        expected.extend(simulator.deliveries_at(now.plus_ms(k * MINUTE_MS)));
    }
    let expected: Vec<_> = expected
        .iter()
        .filter_map(|d| simulator.delivery(*d))
        .map(|o| key(&o))
        .collect();
    while delivered.lock().unwrap().len() < expected.len() {
        assert!(next(&mut attempts).await, "no failure after the fourth");
    }
    let got: Vec<_> = delivered.lock().unwrap().iter().map(key).collect();
    assert_eq!(got, expected, "every record once, in order");

    stop.send(()).unwrap();
    let summary = runner.await.unwrap().unwrap();
    assert_eq!(summary.failures, 4);
    assert_eq!(summary.delivered, expected.len());
    assert_eq!(summary.pending, 0);
}

#[tokio::test(start_paused = true)]
async fn an_overflowing_outbox_drops_the_oldest_and_counts_them() {
    let clock = ManualClock::new(START);
    let (attempts_tx, mut attempts) = mpsc::channel(64);
    let sink = FlakySink {
        failures: usize::MAX,
        calls: 0,
        delivered: Arc::new(Mutex::new(Vec::new())),
        attempts: attempts_tx,
    };
    let mut config = config(1);
    config.max_pending = 100;
    let (stop, stopped) = oneshot::channel::<()>();
    let runner = tokio::spawn(run(config, sink, clock.clone(), async {
        let _ = stopped.await;
    }));
    assert!(!next(&mut attempts).await);
    // The backfill is planned in full; ten minutes of live records pile up behind it while
    // the central stays down, and past 100 the oldest go.
    let now = START.floor(MINUTE_MS);
    clock.set(now.plus_ms(10 * MINUTE_MS + 30_000));
    assert!(!next(&mut attempts).await);
    stop.send(()).unwrap();
    let summary = runner.await.unwrap().unwrap();
    let simulator = Simulator::new(&network()).unwrap();
    let backfill = simulator.history(now.plus_ms(-HOUR_MS), now).len();
    let live: usize = (1..=10)
        .map(|k| simulator.deliveries_at(now.plus_ms(k * MINUTE_MS)).len())
        .sum();
    assert!(live > 100, "{live}");
    assert_eq!(summary.pending, backfill + 100);
    assert_eq!(summary.dropped, live - 100);
    assert_eq!(summary.delivered, 0);
}

/// What a central holds: each value by station, time and element.
type Held = BTreeMap<(String, Timestamp, Element), f64>;

/// A stand-in central: holds what it is sent and answers each record as the central does
/// (stored, duplicate, or partial when a value conflicts with the one held).
#[derive(Clone, Default)]
struct Central(Arc<Mutex<Held>>);

impl Central {
    /// A sink posting to this central, and the batches it posts, in order.
    fn connect(&self) -> (HoldingSink, mpsc::Receiver<Vec<Observation>>) {
        let (batches, receiver) = mpsc::channel(64);
        let central = self.clone();
        (HoldingSink { central, batches }, receiver)
    }

    fn held(&self) -> Held {
        self.0.lock().unwrap().clone()
    }

    fn answer(&self, index: usize, o: &Observation) -> RecordResult {
        use std::collections::btree_map::Entry;
        let mut held = self.0.lock().unwrap();
        let (mut new, mut errors) = (0, Vec::new());
        for (element, value) in &o.values {
            match held.entry((o.station.to_string(), o.time, *element)) {
                Entry::Vacant(entry) => {
                    entry.insert(*value);
                    new += 1;
                }
                Entry::Occupied(entry) if entry.get() == value => {}
                Entry::Occupied(entry) => {
                    errors.push(format!("{element}: {value} differs from {}", entry.get()));
                }
            }
        }
        let status = match (errors.is_empty(), new > 0) {
            (true, true) => RecordStatus::Stored,
            (true, false) => RecordStatus::Duplicate,
            (false, _) => RecordStatus::Partial,
        };
        RecordResult {
            index,
            status,
            stored_values: new,
            errors,
            refusals: Vec::new(),
        }
    }
}

/// A connection to a [`Central`] that also passes each batch on.
struct HoldingSink {
    central: Central,
    batches: mpsc::Sender<Vec<Observation>>,
}

impl ObservationSink for HoldingSink {
    fn send(
        &mut self,
        batch: &[Observation],
    ) -> impl Future<Output = Result<IngestResponse, SinkError>> + Send {
        let results: Vec<RecordResult> = batch
            .iter()
            .enumerate()
            .map(|(index, o)| self.central.answer(index, o))
            .collect();
        let count = |status| results.iter().filter(|r| r.status == status).count();
        let response = IngestResponse {
            stored: count(RecordStatus::Stored),
            duplicate: count(RecordStatus::Duplicate),
            partial: count(RecordStatus::Partial),
            rejected: 0,
            results,
        };
        let batches = self.batches.clone();
        let batch = batch.to_vec();
        async move {
            let _ = batches.send(batch).await;
            Ok(response)
        }
    }
}

/// Starts a simulator with `config` at `start` against `sink`, lets it send its past and the
/// next minute, and stops it: the batches it sent, in order, and its summary.
async fn start_and_stop(
    config: SimConfig,
    start: Timestamp,
    (sink, mut batches): (HoldingSink, mpsc::Receiver<Vec<Observation>>),
) -> (Vec<Vec<Observation>>, RunSummary) {
    let clock = ManualClock::new(start);
    let (stop, stopped) = oneshot::channel::<()>();
    let runner = tokio::spawn(run(config, sink, clock.clone(), async {
        let _ = stopped.await;
    }));
    // The first batch means the past is planned; the minute may end.
    let mut sent = vec![next(&mut batches).await];
    clock.advance(MINUTE_MS);
    let minute = start.floor(MINUTE_MS).plus_ms(MINUTE_MS);
    while !sent
        .last()
        .unwrap()
        .iter()
        .any(|o| o.time == minute && o.source == Source::Live)
    {
        sent.push(next(&mut batches).await);
    }
    stop.send(()).unwrap();
    let summary = runner.await.unwrap().unwrap();
    assert!(batches.try_recv().is_err(), "the minute's batch came last");
    assert_eq!(
        (summary.pending, summary.dropped, summary.failures),
        (0, 0, 0)
    );
    assert_eq!(summary.refused, 0);
    (sent, summary)
}

/// Every value of `records` is held, equal.
fn holds(held: &Held, records: &[Observation]) -> bool {
    records.iter().all(|o| {
        o.values
            .iter()
            .all(|(e, v)| held.get(&(o.station.to_string(), o.time, *e)) == Some(v))
    })
}

#[tokio::test(start_paused = true)]
async fn sends_the_archive_then_the_backfill_then_each_minute() {
    let config = with_archive(2, 3);
    let history = config.history;
    let (sent, summary) = start_and_stop(config, START, Central::default().connect()).await;
    let simulator = Simulator::new(&network()).unwrap();
    let now = START.floor(MINUTE_MS);
    let past = simulator.observations(&simulator.past(history, now));
    let live = simulator.observations(&simulator.deliveries_at(now.plus_ms(MINUTE_MS)));

    // A fresh central holds nothing: the probe of the first archive batch (its first and last
    // record) finds that out, and probing stops.
    let (probe, batches) = sent.split_first().unwrap();
    assert_eq!(probe.as_slice(), [past[0].clone(), past[499].clone()]);
    let records: Vec<Observation> = batches.concat();
    assert_eq!(
        records,
        [past.clone(), live].concat(),
        "the past, then the minute"
    );
    assert!(batches.iter().all(|b| b.len() <= 500));
    assert_eq!(summary.delivered, records.len());
    assert_eq!(summary.held, 0);

    let archive = past
        .iter()
        .take_while(|o| o.source == Source::Imported)
        .count();
    assert!(archive > 2 * 24 * 16 * 9 / 10, "{archive}");
    let backfill_from = history.backfill_from(now);
    assert!(past[..archive].iter().all(|o| o.time <= backfill_from));
    assert!(past[archive..].iter().all(|o| o.time > backfill_from));
    assert!(
        records.windows(2).all(|w| w[0].time <= w[1].time),
        "archive, backfill and live minutes in time order"
    );
    assert!(
        batches.iter().all(|b| {
            let archived = b.iter().filter(|o| o.source == Source::Imported).count();
            archived == 0 || archived == b.len()
        }),
        "no batch mixes archive and minutes"
    );
}

#[tokio::test(start_paused = true)]
async fn a_restart_resends_the_same_records_and_skips_the_archive_held() {
    let fresh = || with_archive(2, 3);
    let central = Central::default();
    let (first, _) = start_and_stop(fresh(), START, central.connect()).await;
    let (again, _) = start_and_stop(fresh(), START, Central::default().connect()).await;
    assert_eq!(first, again, "the same start sends the same records");

    // The same start again, against the central that holds the first: its archive batches
    // are probed and skipped but the last; nothing it sends is new or conflicting.
    let holding = central.held();
    let (restart, summary) = start_and_stop(fresh(), START, central.connect()).await;
    assert_eq!(central.held(), holding, "nothing new");
    let simulator = Simulator::new(&network()).unwrap();
    let now = START.floor(MINUTE_MS);
    let past = simulator.past(fresh().history, now);
    let archive = past.iter().filter(|d| d.source == Source::Imported).count();
    assert_eq!(
        summary.held,
        archive - ((archive - 1) % 500 + 1),
        "all but the last batch"
    );
    let probes = restart.iter().take_while(|b| b.len() == 2).count();
    assert_eq!(probes, archive.div_ceil(500));
    let minute = simulator.deliveries_at(now.plus_ms(MINUTE_MS)).len();
    assert_eq!(summary.delivered, past.len() - summary.held + minute);

    // A restart 90 minutes later: its windows moved, so hours that went out as minutes now
    // come from the archive and minutes that went out live come again in the backfill. Every
    // value comes back equal, and afterwards the central holds all of the restart's past.
    let later = START.plus_ms(90 * MINUTE_MS);
    let (sent, _) = start_and_stop(fresh(), later, central.connect()).await;
    let mut conflicts = 0;
    for o in sent.concat() {
        for (element, value) in &o.values {
            let key = (o.station.to_string(), o.time, *element);
            conflicts += usize::from(holding.get(&key).is_some_and(|held| held != value));
        }
    }
    assert_eq!(conflicts, 0);
    let past = simulator.observations(&simulator.past(fresh().history, later.floor(MINUTE_MS)));
    assert!(holds(&central.held(), &past));
}

#[tokio::test(start_paused = true)]
async fn a_station_silent_when_the_last_run_stopped_gets_its_archive_hours() {
    let simulator = Simulator::new(&network()).unwrap();
    // A station whose link is down on the hour and stays down past the next minute: a run
    // stopped half an hour later never sent that hour.
    let (station, hour) = (0..48)
        .map(|h| START.floor(HOUR_MS).plus_ms(h * HOUR_MS))
        .find_map(|hour| {
            (0..16).find_map(|s| match simulator.fate(s, hour) {
                MinuteFate::Delayed { sent_at } if sent_at > hour.plus_ms(32 * MINUTE_MS) => {
                    Some((s, hour))
                }
                _ => None,
            })
        })
        .expect("a communication outage over an hour");
    let stop = hour.plus_ms(30 * MINUTE_MS);
    let central = Central::default();
    let _ = start_and_stop(with_archive(2, 3), stop, central.connect()).await;
    let id = simulator.stations()[station].id.to_string();
    assert!(
        !central
            .held()
            .keys()
            .any(|(s, t, _)| *s == id && *t == hour)
    );

    // Eight hours later that hour is in the archive, in a batch that ends (as a probe sees it)
    // held — every other record up to the stop was sent.
    let restart = stop.plus_ms(8 * HOUR_MS);
    let mut config = with_archive(2, 3);
    let past = simulator.observations(&simulator.past(config.history, restart));
    config.batch_size = past.iter().filter(|o| o.time <= stop).count();
    let (_, summary) = start_and_stop(config, restart, central.connect()).await;
    assert!(holds(&central.held(), &past), "no hole");
    assert_eq!(summary.held, 0, "the held batch went anyway");
}

#[test]
fn backoff_doubles_up_to_its_ceiling_and_resets() {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
    let now = Timestamp(0);
    assert!(backoff.ready(now));
    let waits: Vec<u64> = (0..5).map(|_| backoff.fail(now).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 5, 5]);
    assert!(!backoff.ready(Timestamp(4_999)));
    assert!(backoff.ready(Timestamp(5_000)));
    backoff.reset();
    assert!(!backoff.failing());
    assert_eq!(backoff.fail(now).as_secs(), 1);
}

#[test]
fn refusals_are_counted_per_record() {
    let simulator = Simulator::new(&network()).unwrap();
    let batch: Vec<Observation> = (0..3)
        .filter_map(|s| simulator.observe(s, START.floor(MINUTE_MS), Source::Live))
        .collect();
    let mut response = all_stored(batch.len());
    response.results[1] = RecordResult {
        index: 1,
        status: RecordStatus::Rejected,
        stored_values: 0,
        errors: vec!["RHU: 120 is outside the physical range".into()],
        refusals: Vec::new(),
    };
    response.results[2].status = RecordStatus::Partial;
    assert_eq!(log_refusals(&batch, &response), 1);
}
