//! Bytes per stored value, everything included, on the central's real write path (its store's
//! ingest: parsing, QC, chunks with their hour aggregates, coarser rollups, the change log),
//! as README reports, for two series:
//!
//! - `sim`: the simulator's minutes of every station (smooth, with its outages and rain);
//! - `noisy`: 16 stations × 8 elements, a random walk with noise at each element's resolution
//!   and about one value in a hundred off it (stored as an escape).
//!
//! After the store is closed the WAL is checkpointed (`TRUNCATE`), and the file is broken down
//! per table and index with SQLite's `dbstat`. The console cache's size for the same data is
//! measured by copying the central's hours into a fresh cache, oldest first, as sync delivers
//! them. A county-year (16 stations × 8 elements of minutes) is extrapolated from the measured
//! days at the measured bytes per value.
//!
//! `decode` compares reading 30 days of a series from the first encoding and the current one.
//!
//! `cargo bench --profile dev --bench storage [-- sim|noisy|decode]`; `WXDESK_BENCH_DAYS` (default 7,
//! the least the figure is taken from).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "args.rs"]
mod args;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use rusqlite::Connection;
use serde_json::{Map, Value, json};
use wxdesk::domain::history::Sample;
use wxdesk::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use wxdesk::domain::{Element, Timestamp};
use wxdesk::protocol::ObservationRecord;
use wxdesk::sim::simulator::Simulator;
use wxdesk::store::cache::CacheDb;
use wxdesk::store::central::{ObservationStore as _, SqliteCentralStore};
use wxdesk::store::chunk::{Chunk, codec};
use wxdesk::store::rollups;

/// 2025-12-01T16:00:00Z: midnight Beijing time.
const START: i64 = 1_764_604_800_000;
/// Records per ingest call: the central's largest batch.
const BATCH: usize = 10_000;
/// A county-year: 16 stations × 8 elements × every minute of 365 days.
const COUNTY_YEAR_VALUES: f64 = 16.0 * 8.0 * 525_600.0;

fn main() {
    let wanted = args::Wanted::from_args();
    let wanted = |name: &str| wanted.wants(name);
    let days = args::days(7);
    if wanted("sim") {
        measure("sim", days, sim_batches);
    }
    if wanted("noisy") {
        measure("noisy", days, noisy_batches);
    }
    if wanted("live") {
        // As the stations send them: one batch a minute, so one change-log row a minute.
        measure("live", 1, live_batches);
    }
    if wanted("decode") {
        decode_cost();
    }
}

/// What reading costs per value: 30 days of one minute series decoded from the first
/// encoding's bytes and from the current one's (the same values), best of many runs, so a
/// query's decode time can be compared on a busy machine.
fn decode_cost() {
    let element = Element::Tem;
    let mut walk = 150;
    let mut random = XorShift(7);
    let hours: Vec<(Timestamp, Vec<Sample>)> = (0..30 * 24)
        .map(|hour| {
            let start = Timestamp(START + hour * HOUR_MS);
            let samples = (1..=60)
                .map(|m| {
                    let value = noisy_value(element, &mut walk, &mut random);
                    Sample::live(start.plus_ms(m * MINUTE_MS), value)
                })
                .collect();
            (start, samples)
        })
        .collect();
    let v1: Vec<(Timestamp, Vec<u8>)> = hours
        .iter()
        .map(|(start, samples)| (*start, codec::encode_v1(samples, *start)))
        .collect();
    let v2: Vec<(Timestamp, Vec<u8>)> = hours
        .iter()
        .map(|(start, samples)| {
            (
                *start,
                codec::encode_v2(samples, *start, element.decimals()),
            )
        })
        .collect();
    let best = |encoded: &[(Timestamp, Vec<u8>)]| -> f64 {
        (0..50)
            .map(|_| {
                let started = Instant::now();
                for (start, bytes) in encoded {
                    std::hint::black_box(Chunk::decode(*start, element, bytes).unwrap());
                }
                started.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let values = 30.0 * 24.0 * 60.0;
    for round in 0..2 {
        let (old, new) = (best(&v1), best(&v2));
        println!(
            "decode {round}: 30 days of minute TEM ({values} values): first encoding {:.2} ms \
             ({:.1} ns a value), current {:.2} ms ({:.1} ns a value)",
            old * 1e3,
            old * 1e9 / values,
            new * 1e3,
            new * 1e9 / values,
        );
    }
}

/// Builds a central from `batches`, then reports its size and the cache's.
fn measure(name: &str, days: i64, batches: fn(i64, &mut dyn FnMut(Vec<Value>))) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite");
    let network = wxdesk::assets::qingliu_network().unwrap();
    let store =
        SqliteCentralStore::open(&db, &network, wxdesk::assets::qc_config().unwrap()).unwrap();
    let now = Timestamp(START + days * DAY_MS + MINUTE_MS);
    let started = Instant::now();
    let mut records = 0;
    batches(days, &mut |batch| {
        let parsed = wxdesk::protocol::parse_batch(&batch, now);
        assert!(parsed.refused.is_empty(), "{:?}", parsed.refused.first());
        let report = store.ingest(&parsed.records, now).unwrap();
        let rejected = report
            .results
            .iter()
            .find(|r| r.status == wxdesk::protocol::RecordStatus::Rejected);
        assert!(rejected.is_none(), "{rejected:?}");
        records += batch.len();
    });
    let took = started.elapsed().as_secs_f64();
    drop(store);

    let conn = Connection::open(&db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let values = rollups::value_count(&conn).unwrap() as f64;
    println!("{name}: {days} days, {records} records, {values} values, ingested in {took:.1} s");
    let objects = breakdown(&conn);
    let group = |names: &[&str]| -> u64 {
        objects
            .iter()
            .filter(|(table, _, _)| names.contains(&table.as_str()))
            .map(|(_, _, bytes)| bytes)
            .sum()
    };
    for (table, object, bytes) in &objects {
        println!(
            "  {object:<34} ({table:<12}) {:>12} bytes  {:>6.3} bytes/value",
            bytes,
            *bytes as f64 / values
        );
    }
    let (rows, data_bytes, summary_bytes): (i64, f64, f64) = conn
        .query_row(
            "SELECT count(*), avg(length(data)), avg(length(summary)) FROM chunks",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    println!(
        "  {rows} hour rows: values {data_bytes:.1} bytes, aggregate {summary_bytes:.1} bytes a \
         row on average ({:.1} values a row)",
        values / rows as f64
    );
    let data = group(&["chunks", "rollups", "station_keys"]);
    let total = file_size(&db);
    let change_log = group(&["change_log"]);
    println!(
        "  chunks+rollups+indexes: {:.3} bytes/value; change log {:.3}; all included (file after \
         checkpoint, WAL {} bytes): {:.3} bytes/value; all but the change log {:.3}",
        data as f64 / values,
        change_log as f64 / values,
        wal_size(&db),
        total as f64 / values,
        (total - change_log) as f64 / values,
    );
    println!(
        "  county-year (16 × 8 minutes, extrapolated from {days} days): {:.0} MB all included, \
         {:.0} MB chunks+rollups+indexes",
        total as f64 / values * COUNTY_YEAR_VALUES / 1e6,
        data as f64 / values * COUNTY_YEAR_VALUES / 1e6,
    );
    drop(conn);
    let cache = cache_copy(&db, &dir.path().join("cache.sqlite"));
    println!(
        "  console cache of the same: {:.3} bytes/value; a county-year ≈ {:.0} MB",
        cache as f64 / values,
        cache as f64 / values * COUNTY_YEAR_VALUES / 1e6,
    );
}

/// `(table, table or index, bytes)` of every b-tree, from `dbstat` (page counts if the
/// SQLite build lacks it).
fn breakdown(conn: &Connection) -> Vec<(String, String, u64)> {
    let tables: BTreeMap<String, String> = conn
        .prepare("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let sizes: Vec<(String, u64)> = match conn
        .prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC")
    {
        Ok(mut stmt) => stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap(),
        Err(error) => {
            println!("  (no dbstat: {error}; the file's size only)");
            Vec::new()
        }
    };
    sizes
        .into_iter()
        .map(|(name, bytes)| {
            let table = tables.get(&name).cloned().unwrap_or_else(|| name.clone());
            (table, name, bytes)
        })
        .collect()
}

fn file_size(db: &Path) -> u64 {
    std::fs::metadata(db).unwrap().len() + wal_size(db)
}

fn wal_size(db: &Path) -> u64 {
    std::fs::metadata(format!("{}-wal", db.display())).map_or(0, |m| m.len())
}

/// A console cache holding the central's hours and rollups, filled oldest hour first (as a
/// desk receives them); its size after a checkpoint.
fn cache_copy(central: &Path, path: &Path) -> u64 {
    drop(CacheDb::open(path).unwrap());
    let conn = Connection::open(path).unwrap();
    conn.execute(
        "ATTACH DATABASE ?1 AS central",
        [central.display().to_string()],
    )
    .unwrap();
    conn.execute_batch(
        "BEGIN;
         INSERT INTO station_keys SELECT * FROM central.station_keys;
         INSERT INTO chunks (station, element, start, data, summary)
             SELECT station, element, start, data, summary FROM central.chunks
             ORDER BY start, station, element;
         INSERT INTO rollups SELECT * FROM central.rollups ORDER BY start, station, element;
         COMMIT;
         DETACH DATABASE central;",
    )
    .unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(conn);
    file_size(path)
}

/// The simulator's minutes of every station, one batch per minute as they arrive live.
fn live_batches(days: i64, ingest: &mut dyn FnMut(Vec<Value>)) {
    sim_batches(days, &mut |records| {
        let mut by_minute: BTreeMap<String, Vec<Value>> = Default::default();
        for record in records {
            by_minute
                .entry(record["time"].as_str().unwrap_or_default().to_owned())
                .or_default()
                .push(record);
        }
        by_minute.into_values().for_each(&mut *ingest);
    });
}

/// The simulator's minutes of every station, a day at a time, in ingest-sized batches.
fn sim_batches(days: i64, ingest: &mut dyn FnMut(Vec<Value>)) {
    let sim = Simulator::new(&wxdesk::assets::qingliu_network().unwrap()).unwrap();
    for day in 0..days {
        let from = Timestamp(START + day * DAY_MS);
        let deliveries = sim.history(from, from.plus_ms(DAY_MS));
        let records: Vec<Value> = sim
            .observations(&deliveries)
            .iter()
            .map(|o| serde_json::to_value(ObservationRecord::from(o)).unwrap())
            .collect();
        for batch in records.chunks(BATCH) {
            ingest(batch.to_vec());
        }
    }
}

/// 16 stations × 8 elements of minutes: a random walk at each element's resolution with
/// noise, and one value in about a hundred off the resolution.
fn noisy_batches(days: i64, ingest: &mut dyn FnMut(Vec<Value>)) {
    let network = wxdesk::assets::qingliu_network().unwrap();
    let stations: Vec<String> = network
        .stations
        .iter()
        .take(16)
        .map(|s| s.id.to_string())
        .collect();
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut walks: Vec<[i64; 8]> = vec![[150, 70, 0, 9800, 20, 180, 40, 160]; stations.len()];
    let mut batch = Vec::with_capacity(BATCH);
    for minute in 1..=days * 1440 {
        let time = Timestamp(START + minute * MINUTE_MS).to_rfc3339();
        for (station, walk) in stations.iter().zip(walks.iter_mut()) {
            let mut values = Map::new();
            for (element, n) in Element::EVERY_MINUTE.iter().zip(walk.iter_mut()) {
                let value = noisy_value(*element, n, &mut random);
                values.insert(element.code().to_owned(), json!(value));
            }
            batch.push(json!({"station": station, "time": time, "values": values}));
            if batch.len() == BATCH {
                ingest(std::mem::take(&mut batch));
            }
        }
    }
    ingest(batch);
}

/// The walk's next step (a few resolution steps either way, kept in the element's range) and
/// the value sent: the walk, or now and then a value off the resolution.
fn noisy_value(element: Element, walk: &mut i64, random: &mut XorShift) -> f64 {
    let scale = 10f64.powi(element.decimals() as i32);
    let range = element.physical_range();
    let step = (random.next() % 7) as i64 - 3;
    let next = *walk + step;
    if (next as f64 / scale) >= *range.start() && (next as f64 / scale) <= range.end() - 1.0 {
        *walk = next;
    }
    let value = *walk as f64 / scale;
    if random.next().is_multiple_of(100) {
        value + 0.0137
    } else {
        value
    }
}

/// A small deterministic generator (xorshift64), so every run measures the same series.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
