//! The embedded default's first start, measured: a central on a fresh database takes in the
//! simulator's past over HTTP (a year of hourly archive, then a week of minutes, as
//! `embedded` sends them), then a restart sends the same past again and the central answers
//! duplicates.
//!
//! `cargo bench --bench first_start`; `WXDESK_BENCH_ARCHIVE_DAYS`, `WXDESK_BENCH_BACKFILL_HOURS`
//! and `WXDESK_BENCH_BATCH` change the history and the batch size. The simulator's clock stands
//! still, so no live minute mixes in and both starts send exactly the same records.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use wxdesk::central::{self, CentralConfig};
use wxdesk::domain::access::{DeviceClaims, DeviceName};
use wxdesk::domain::time::{MINUTE_MS, ManualClock};
use wxdesk::domain::{Observation, Source, Timestamp};
use wxdesk::protocol::{IngestResponse, RecordStatus};
use wxdesk::sim::{History, HttpSink, ObservationSink, SimConfig, Simulator, SinkError};

/// What the central answered, per kind of record, and when the last answer came.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    records: usize,
    stored: usize,
    duplicate: usize,
    other: usize,
    finished: Option<Instant>,
}

#[derive(Debug, Default)]
struct Progress {
    archive: Tally,
    minutes: Tally,
    batches: usize,
}

/// The HTTP sink, counting answers; wakes `done` once the `minutes` were answered. The minutes
/// follow the archive and are never skipped (a restart skips the archive the central holds),
/// so their last answer is the end of the start.
struct Counting {
    inner: HttpSink,
    progress: Arc<Mutex<Progress>>,
    minutes: usize,
    done: Arc<Notify>,
}

impl ObservationSink for Counting {
    fn send(
        &mut self,
        batch: &[Observation],
    ) -> impl Future<Output = Result<IngestResponse, SinkError>> + Send {
        let archive: Vec<bool> = batch.iter().map(|o| o.source == Source::Imported).collect();
        let progress = self.progress.clone();
        let done = self.done.clone();
        let minutes = self.minutes;
        let sent = self.inner.send(batch);
        async move {
            let response = sent.await?;
            let mut p = progress.lock().unwrap();
            let now = Instant::now();
            for result in &response.results {
                let tally = if archive[result.index] {
                    &mut p.archive
                } else {
                    &mut p.minutes
                };
                tally.records += 1;
                match result.status {
                    RecordStatus::Stored => tally.stored += 1,
                    RecordStatus::Duplicate => tally.duplicate += 1,
                    RecordStatus::Partial | RecordStatus::Rejected => tally.other += 1,
                }
                tally.finished = Some(now);
            }
            p.batches += 1;
            if p.minutes.records >= minutes {
                done.notify_one();
            }
            Ok(response)
        }
    }
}

fn env(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One start of the simulator against the central at `url`; prints what it took.
async fn start(label: &str, url: &str, key: &wxdesk::domain::access::Secret, config: SimConfig) {
    let now = Timestamp::now().floor(MINUTE_MS);
    let simulator = Simulator::new(&config.network).unwrap();
    let planning = Instant::now();
    let past = simulator.observations(&simulator.past(config.history, now));
    let planned = planning.elapsed();
    let expected = past.len();
    let minutes = past.iter().filter(|o| o.source != Source::Imported).count();
    let progress = Arc::new(Mutex::new(Progress::default()));
    let done = Arc::new(Notify::new());
    let sink = Counting {
        inner: HttpSink::new(url, key, Vec::new()).unwrap(),
        progress: progress.clone(),
        minutes,
        done: done.clone(),
    };
    let started = Instant::now();
    let stop = done.clone();
    let runner = tokio::spawn(wxdesk::sim::run(
        config,
        sink,
        ManualClock::new(now),
        async move { stop.notified().await },
    ));
    let summary = runner.await.unwrap().unwrap();
    let total = started.elapsed();
    let p = progress.lock().unwrap();
    let since = |t: Option<Instant>| t.map_or(0.0, |t| (t - started).as_secs_f64());
    println!(
        "{label}: {expected} records planned, {} sent in {} batches (generated alone in \
         {planned:.0?}), {total:.2?} in all",
        p.archive.records + p.minutes.records,
        p.batches
    );
    for (name, t) in [("archive", p.archive), ("minutes", p.minutes)] {
        println!(
            "  {name}: {} records, done at {:.2} s; stored {}, duplicate {}, other {}",
            t.records,
            since(t.finished),
            t.stored,
            t.duplicate,
            t.other
        );
    }
    assert_eq!(summary.refused, 0, "{summary:?}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let history = History {
        archive_days: env("WXDESK_BENCH_ARCHIVE_DAYS", 365),
        backfill_hours: env("WXDESK_BENCH_BACKFILL_HOURS", 7 * 24),
    };
    let batch = env("WXDESK_BENCH_BATCH", 2000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite");
    let network = wxdesk::assets::qingliu_network().unwrap();
    let device = DeviceName::parse("simulator").unwrap();
    let mut config = CentralConfig::new(&db, network.clone());
    config.device_keys = vec![(device.clone(), DeviceClaims::ARCHIVE_LOADER)];
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let opening = Instant::now();
    let central = central::start(listener, config).await.unwrap();
    println!("central started in {:.0?}", opening.elapsed());
    let key = central.device_key(&device).unwrap().clone();
    let url = central.url();
    let sim = || {
        let mut config = SimConfig::new(network.clone(), history);
        config.batch_size = batch;
        config.poll = Duration::from_millis(50);
        config
    };
    println!(
        "{} days of archive, {} h of minutes, batches of {batch}",
        history.archive_days, history.backfill_hours
    );
    start("first start", &url, &key, sim()).await;
    start("restart", &url, &key, sim()).await;
    central.shutdown().await.unwrap();
    let size: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("database: {:.1} MB", size as f64 / 1e6);
}
