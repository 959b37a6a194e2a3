//! The runner on tokio's paused time with a `ManualClock`: no test waits for real time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::*;
use crate::domain::time::ManualClock;
use crate::domain::{Network, Source};
use crate::protocol::RecordResult;
use crate::sim::sink::{ChannelSink, all_stored};

/// A guard against hangs: generous, and in paused time it costs nothing when tests pass.
const GUARD: Duration = Duration::from_secs(600);

/// 2026-07-15T02:00:30Z: half a minute into a minute.
const START: Timestamp = Timestamp(1_784_080_830_000);

fn network() -> Network {
    crate::assets::qingliu_network().unwrap()
}

fn config(backfill_hours: u32) -> SimConfig {
    let mut config = SimConfig::new(network(), backfill_hours);
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
    stop.send(()).unwrap();
    let summary = runner.await.unwrap().unwrap();
    let simulator = Simulator::new(&network()).unwrap();
    let now = START.floor(MINUTE_MS);
    let history = simulator.history(now.plus_ms(-HOUR_MS), now).len();
    assert_eq!(summary.pending, 100);
    assert_eq!(summary.dropped, history - 100);
    assert_eq!(summary.delivered, 0);
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
    };
    response.results[2].status = RecordStatus::Partial;
    assert_eq!(log_refusals(&batch, &response), 1);
}
