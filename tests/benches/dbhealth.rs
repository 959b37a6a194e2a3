//! The database-health figures README reports, on a county-year *central* database (16
//! stations × 8 elements × every minute of a year, ingested through the central's own store,
//! so its change log, rollups and QC flags are all there):
//!
//! - the start-up integrity check: `PRAGMA quick_check` (what the central runs) against
//!   `PRAGMA integrity_check`;
//! - `wxdesk central backup` (its copy, verification included): time and size;
//! - `wxdesk central restore`: time.
//!
//! `cargo bench --bench dbhealth`; `WXDESK_BENCH_DAYS=30` builds a month instead (the checks
//! and the copy are linear in the file's size). `WXDESK_BENCH_DB=PATH` keeps the database
//! there and reuses it on the next run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::time::Instant;

use serde_json::{Map, Value, json};
use wxdesk::domain::time::{DAY_MS, MINUTE_MS};
use wxdesk::domain::{Element, Timestamp};
use wxdesk::protocol::parse_batch;
use wxdesk::store::central::backup;
use wxdesk::store::central::{ObservationStore as _, SqliteCentralStore, respond};
use wxdesk::store::sqlite::{self, Check};

/// 2025-12-01T16:00:00Z: midnight Beijing time, a year before "now".
const START: i64 = 1_764_604_800_000;
/// Records per ingest call: the central's largest batch.
const BATCH: usize = 10_000;

fn main() {
    let days: i64 = std::env::var("WXDESK_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(365);
    let dir = tempfile::tempdir().unwrap();
    let db = std::env::var_os("WXDESK_BENCH_DB")
        .map_or_else(|| dir.path().join("central.sqlite"), Into::into);
    if !db.exists() {
        build(&db, days);
    }
    let bytes = std::fs::metadata(&db).unwrap().len();
    println!("database: {} ({:.2} GiB)", db.display(), gib(bytes));

    for (name, check) in [
        ("quick_check", Check::Quick),
        ("integrity_check", Check::Full),
    ] {
        let conn = sqlite::open(&db).unwrap();
        let started = Instant::now();
        sqlite::check_integrity(&conn, check).unwrap();
        let took = started.elapsed().as_secs_f64();
        println!(
            "{name}: {took:.1} s ({:.0} MiB/s)",
            bytes as f64 / 1_048_576.0 / took
        );
    }

    let copy = dir.path().join("backup.sqlite");
    let report = backup::backup(&db, &copy).unwrap();
    println!(
        "backup: {:.1} s, {:.2} GiB, head {}",
        report.took.as_secs_f64(),
        gib(report.bytes),
        report.head
    );
    let restored = dir.path().join("restored.sqlite");
    let started = Instant::now();
    backup::restore(&restored, &copy).unwrap();
    println!("restore: {:.1} s", started.elapsed().as_secs_f64());
}

/// Ingests `days` of every minute at every station through the central's store.
fn build(db: &Path, days: i64) {
    let network = wxdesk::assets::qingliu_network().unwrap();
    let qc = wxdesk::assets::qc_config().unwrap();
    let store = SqliteCentralStore::open(db, &network, qc).unwrap();
    let stations: Vec<String> = network.stations.iter().map(|s| s.id.to_string()).collect();
    let now = Timestamp(START + days * DAY_MS + MINUTE_MS);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    let mut records = 0usize;
    for minute in 0..days * 1440 {
        let time = Timestamp(START + minute * MINUTE_MS).to_rfc3339();
        for (index, station) in stations.iter().enumerate() {
            batch.push(record(station, index, &time, minute));
            if batch.len() == BATCH {
                records += ingest(&store, &mut batch, now);
            }
        }
        if minute % (30 * 1440) == 0 && minute > 0 {
            println!(
                "  built {} days in {:.0} s",
                minute / 1440,
                started.elapsed().as_secs_f64()
            );
        }
    }
    records += ingest(&store, &mut batch, now);
    println!(
        "built: {days} days, {records} records × {} elements in {:.0} s",
        Element::EVERY_MINUTE.len(),
        started.elapsed().as_secs_f64()
    );
}

fn ingest(store: &SqliteCentralStore, batch: &mut Vec<Value>, now: Timestamp) -> usize {
    let parsed = parse_batch(batch, now);
    assert!(parsed.refused.is_empty(), "{:?}", parsed.refused);
    let report = store.ingest(&parsed.records, now).unwrap();
    assert_eq!(respond(&[], report.results).rejected, 0);
    std::mem::take(batch).len()
}

/// A plausible minute of weather (the history bench's shape).
fn record(station: &str, index: usize, time: &str, minute: i64) -> Value {
    let day_phase = (minute % 1440) as f64 / 1440.0 * std::f64::consts::TAU;
    let noise = ((minute * 7919 + index as i64 * 104_729) % 1000) as f64 / 1000.0;
    let tem = 15.0 + 6.0 * (day_phase - 2.0).sin() - index as f64 * 0.3 + noise;
    let raining = (minute / 97 + index as i64) % 11 == 0;
    let values = [
        round(tem),
        (70.0 + 20.0 * (day_phase + 1.0).cos()).round(),
        if raining { 0.2 } else { 0.0 },
        round(980.0 - index as f64 * 3.0 + noise),
        round(2.0 + 2.0 * noise),
        ((minute * 13 + index as i64 * 29) % 360) as f64,
        round(4.0 + 3.0 * noise),
        round(tem + 4.0 * day_phase.sin()),
    ];
    let values: Map<String, Value> = Element::EVERY_MINUTE
        .iter()
        .zip(values)
        .map(|(element, value)| (element.code().to_owned(), json!(value)))
        .collect();
    json!({"station": station, "time": time, "values": values})
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}
