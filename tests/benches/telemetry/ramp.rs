//! The ramp: paced gardens, doubling their rate each step until the central falls behind, then
//! in quarters between the last rate sustained and the first not, to find where it saturates.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;
use wxdesk::central::workers::WorkerBoard;
use wxdesk::domain::Timestamp;
use wxdesk::domain::time::{DAY_MS, ManualClock};
use wxdesk::sim::mqtt_device::MqttDevice;

use crate::mqtt_central::{MqttCentral, queues, stored_so_far};
use crate::{NOW, env, ms, quantile, report};

/// What the broker may hold for the central: past the saturating step's backlog, so that a
/// report lost is the central's doing, never the test broker's queue overflowing.
const QUEUED: usize = 5_000_000;

/// When each report was published, in order, and when the stored count reached each value.
#[derive(Default)]
struct Log {
    published: Vec<Instant>,
    /// (when, reports stored by then), as the telemetry worker reported.
    stored: Vec<(Instant, usize)>,
}

/// One step's figures.
struct Step {
    rate: f64,
    seconds: f64,
    published: usize,
    stored: usize,
    backlog: usize,
    /// Which of the published reports were this step's.
    reports: std::ops::Range<usize>,
    /// Publish → stored, known once every report is stored.
    p50: Duration,
    p99: Duration,
    log_rows: i64,
    log_bytes: i64,
    /// CPU seconds of the central's threads, the devices' threads, and the broker.
    cpu: Cpu,
}

/// CPU seconds (user + system) spent so far.
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    central: f64,
    devices: f64,
    broker: f64,
}

impl Cpu {
    fn now(broker: &str) -> Self {
        Self {
            central: threads_cpu("central"),
            devices: threads_cpu("devices"),
            broker: cpu_seconds(&format!("/proc/{broker}/stat")),
        }
    }

    fn since(self, before: Self) -> Self {
        Self {
            central: self.central - before.central,
            devices: self.devices - before.devices,
            broker: self.broker - before.broker,
        }
    }
}

impl Step {
    fn sustained(&self) -> bool {
        #[allow(clippy::cast_precision_loss)]
        let (published, stored) = (self.published as f64, self.stored as f64);
        stored >= 0.98 * published && (self.backlog as f64) < published / self.seconds
    }

    fn print(&self, devices: usize) {
        #[allow(clippy::cast_precision_loss)]
        let per_s = |n: usize| n as f64 / self.seconds;
        let points = per_s(self.stored) * 5.0;
        let hour = 3600.0 / self.seconds;
        #[allow(clippy::cast_precision_loss)]
        let (rows_h, bytes_h) = (self.log_rows as f64 * hour, self.log_bytes as f64 * hour);
        let cpu = self.cpu;
        let serving = (cpu.central + cpu.broker) / self.seconds;
        println!(
            "{devices} × {rate}/s: published {pub_s:.0}/s, stored {st_s:.0}/s ({points:.0} \
             points/s), backlog at end {backlog}; publish → stored p50 {p50:.1} ms, p99 \
             {p99:.1} ms; change log +{rows_h:.0} rows/h, +{mb_h:.2} MB/h; cores busy: central \
             {central:.2}, broker {broker:.2}, devices {dev:.2}; {per_core:.0} points per core \
             of central + broker; {verdict}",
            rate = self.rate,
            pub_s = per_s(self.published),
            st_s = per_s(self.stored),
            backlog = self.backlog,
            p50 = ms(self.p50),
            p99 = ms(self.p99),
            mb_h = bytes_h / 1e6,
            central = cpu.central / self.seconds,
            broker = cpu.broker / self.seconds,
            dev = cpu.devices / self.seconds,
            per_core = points / serving,
            verdict = if self.sustained() {
                "sustained"
            } else {
                "NOT sustained"
            },
        );
    }
}

/// A device publishing one report every `period` until `until`, from minute `minute` on;
/// gives the device back with its next minute.
async fn pace(
    device: MqttDevice,
    mut minute: i64,
    period: Duration,
    phase: Duration,
    until: Instant,
    log: &Mutex<Log>,
) -> (MqttDevice, i64) {
    let first = tokio::time::Instant::now() + phase;
    let mut ticks = tokio::time::interval_at(first, period);
    // A publisher that falls behind publishes less: the rate offered is measured, not assumed.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let start = first_minute();
    loop {
        if ticks.tick().await.into_std() >= until {
            return (device, minute);
        }
        let telemetry = report(device.id(), start, minute);
        log.lock().unwrap().published.push(Instant::now());
        device.publish(&telemetry).await.unwrap();
        minute += 1;
    }
}

/// The first report's time: far enough back for every report of the run to be in the past.
fn first_minute() -> Timestamp {
    NOW.plus_ms(-30 * DAY_MS)
}

/// Follows the worker's stored count into `log` until the central stops.
async fn follow_stored(board: &WorkerBoard, log: &Mutex<Log>) {
    let mut seen = 0;
    loop {
        let status = board
            .wait_for("telemetry", |s| stored_so_far(s) > seen)
            .await;
        let Some(status) = status else {
            return;
        };
        seen = stored_so_far(&status);
        log.lock().unwrap().stored.push((Instant::now(), seen));
    }
}

/// Each published report's delay to stored, for reports `from..to` (those stored so far).
fn delays(log: &Log, from: usize, to: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(to - from);
    let mut at = log.stored.partition_point(|&(_, n)| n <= from);
    for k in from..to {
        while at < log.stored.len() && log.stored[at].1 <= k {
            at += 1;
        }
        let Some(&(stored_at, _)) = log.stored.get(at) else {
            break;
        };
        out.push(stored_at.saturating_duration_since(log.published[k]));
    }
    out.sort();
    out
}

/// The change log's rows and payload bytes.
fn change_log(db: &std::path::Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    conn.query_row(
        "SELECT count(*), coalesce(sum(length(CAST(data AS BLOB))), 0) FROM change_log",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// CPU seconds (user + system) in a `/proc/…/stat` file.
fn cpu_seconds(stat: &str) -> f64 {
    let stat = std::fs::read_to_string(stat).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// CPU seconds of this process's threads named `name` (a runtime's workers and blocking
/// threads).
fn threads_cpu(name: &str) -> f64 {
    let tasks = std::fs::read_dir("/proc/self/task").unwrap();
    tasks
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|c| c.trim() == name)
        })
        .map(|task| cpu_seconds(&task.path().join("stat").to_string_lossy()))
        .sum()
}

/// The broker's process id: the Mosquitto whose command line names this run's folder.
fn broker_pid(dir: &std::path::Path) -> String {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
        .filter(|name| name.chars().all(|c| c.is_ascii_digit()))
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle))
        })
        .unwrap_or_default()
}

/// Runs one step at `rate` reports a second per device; gives the devices back.
async fn step(
    rig: &MqttCentral,
    devices: Vec<(MqttDevice, i64)>,
    rate: f64,
    seconds: u64,
    log: &Arc<Mutex<Log>>,
) -> (Vec<(MqttDevice, i64)>, Step) {
    let period = Duration::from_secs_f64(1.0 / rate);
    let count = u32::try_from(devices.len()).unwrap();
    let broker = broker_pid(rig.dir.path());
    let (log_before, cpu_before) = (change_log(&rig.db_path()), Cpu::now(&broker));
    let (first, stored_before) = (log.lock().unwrap().published.len(), rig.stored());
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, (device, minute))| {
            let phase = period * u32::try_from(i).unwrap() / count;
            let log = Arc::clone(log);
            tokio::spawn(async move { pace(device, minute, period, phase, until, &log).await })
        })
        .collect();
    // The step's figures at its end; the devices stop at their next tick, without publishing.
    tokio::time::sleep_until(until.into()).await;
    let elapsed = started.elapsed().as_secs_f64();
    let stored_now = rig.stored();
    let log_after = change_log(&rig.db_path());
    let cpu = Cpu::now(&broker).since(cpu_before);
    let mut back = Vec::with_capacity(tasks.len());
    for task in tasks {
        back.push(task.await.unwrap());
    }
    let last = log.lock().unwrap().published.len();
    let figures = Step {
        rate,
        seconds: elapsed,
        published: last - first,
        stored: stored_now.saturating_sub(stored_before),
        backlog: last.saturating_sub(stored_now),
        reports: first..last,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        log_rows: log_after.0 - log_before.0,
        log_bytes: log_after.1 - log_before.1,
        cpu,
    };
    (back, figures)
}

/// The rates tried, a second per device: doubling from 1 until one is not sustained (or past
/// the most), then the quarters between the last sustained and that one, until one is not.
struct Rates {
    most: f64,
    sustained: Option<f64>,
    failed: Option<f64>,
    quarter: u32,
}

impl Rates {
    fn up_to(most: f64) -> Self {
        Self {
            most,
            sustained: None,
            failed: None,
            quarter: 0,
        }
    }

    /// The next rate after `last` (the rate and whether it was sustained).
    fn next(&mut self, last: Option<(f64, bool)>) -> Option<f64> {
        match (last, self.failed) {
            (None, _) => Some(1.0),
            (Some((rate, true)), None) => {
                self.sustained = Some(rate);
                Some(rate * 2.0).filter(|&r| r <= self.most)
            }
            (Some((rate, false)), None) => {
                self.failed = Some(rate);
                self.next_quarter()
            }
            (Some((_, true)), Some(_)) => self.next_quarter(),
            (Some((_, false)), Some(_)) => None,
        }
    }

    fn next_quarter(&mut self) -> Option<f64> {
        let (low, high) = (self.sustained?, self.failed?);
        self.quarter += 1;
        (self.quarter < 4).then(|| low + (high - low) * f64::from(self.quarter) / 4.0)
    }
}

/// The whole ramp: the central on runtime `central`, the devices on `devices` (each named
/// for its threads, so that their CPU time is told apart).
pub fn run(central: &tokio::runtime::Runtime, devices_rt: &tokio::runtime::Runtime) {
    let devices = usize::try_from(env("WXDESK_BENCH_DEVICES", 1_000)).unwrap();
    let seconds = env("WXDESK_BENCH_STEP_S", 20);
    let max_rate = env("WXDESK_BENCH_MAX_RATE", 64);
    let clock = ManualClock::new(NOW);
    let started = MqttCentral::start(devices, queues(QUEUED), |c| c.clock = clock);
    let Some(rig) = central.block_on(started) else {
        return;
    };
    devices_rt.block_on(ramp(&rig, devices, seconds, max_rate));
    central.block_on(rig.stop());
}

/// The steps, then the drain.
async fn ramp(rig: &MqttCentral, devices: usize, seconds: u64, max_rate: u64) {
    let connected = Instant::now();
    let mut fleet: Vec<(MqttDevice, i64)> =
        rig.connect().await.into_iter().map(|d| (d, 0)).collect();
    println!(
        "{devices} gardens connected in {:.1} s; steps of {seconds} s, broker in flight {}",
        connected.elapsed().as_secs_f64(),
        queues(QUEUED).inflight
    );
    let log = Arc::new(Mutex::new(Log::default()));
    let board = rig.central.workers().clone();
    let follower = {
        let log = Arc::clone(&log);
        tokio::spawn(async move { follow_stored(&board, &log).await })
    };
    let mut steps = Vec::new();
    #[allow(clippy::cast_precision_loss)]
    let mut rates = Rates::up_to(max_rate as f64);
    let mut last = None;
    while let Some(rate) = rates.next(last) {
        if last.is_some_and(|(_, sustained)| !sustained) {
            // A step after one not sustained starts with that one's backlog stored.
            let published = log.lock().unwrap().published.len();
            rig.wait_stored(published).await;
        }
        let (back, figures) = step(rig, fleet, rate, seconds, &log).await;
        fleet = back;
        let sustained = figures.sustained();
        println!("{devices} × {rate}/s: sustained {sustained}");
        steps.push(figures);
        last = Some((rate, sustained));
    }
    drain(rig, &log).await;
    follower.abort();
    for (device, _) in fleet {
        device.disconnect().await;
    }
    let log = log.lock().unwrap();
    for mut figures in steps {
        let sorted = delays(&log, figures.reports.start, figures.reports.end);
        figures.p50 = quantile(&sorted, 0.5);
        figures.p99 = quantile(&sorted, 0.99);
        figures.print(devices);
    }
}

/// Waits for the backlog to be stored, then checks that nothing was lost or stored twice.
async fn drain(rig: &MqttCentral, log: &Arc<Mutex<Log>>) {
    let published = log.lock().unwrap().published.len();
    let started = Instant::now();
    let all = tokio::time::timeout(Duration::from_secs(600), rig.wait_stored(published)).await;
    assert!(
        all.is_ok(),
        "{published} published, only {} stored",
        rig.stored()
    );
    // A report stored twice would push the count past the published one: give it a moment.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stored = rig.stored();
    println!(
        "backlog drained in {:.1} s; published {published}, stored {stored}: {}",
        started.elapsed().as_secs_f64(),
        if stored == published {
            "none lost, none doubled"
        } else {
            "MISMATCH"
        }
    );
}
