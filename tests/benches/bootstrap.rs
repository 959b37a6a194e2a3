//! A new desk's first login against a central holding three years, measured: from the login
//! accepted to the live screen's charts of every station in the cache (the snapshot's head),
//! to every part installed (a year view of daily rollups works offline), and to a year view
//! of one series at full resolution (its minutes fetched on demand). Once over loopback, once
//! through a shaping proxy (10 Mbit/s, 50 ms each way; `support/shaper.rs`).
//!
//! The fixture is written through the store's observation writer on the database file (no
//! HTTP, no change log: what years of ingest leave behind, after retention trimmed the log):
//! 16 stations × 8 elements, the last `WXDESK_BENCH_RECENT_DAYS` (8) days in minutes, the
//! years before in `WXDESK_BENCH_OLD_STEP_MIN`-minute steps (60, an hourly archive; 1 for
//! minutes throughout, slow to build), `WXDESK_BENCH_YEARS` (3) years in all, and the series
//! the year view shows (the first station's TEM) in minutes for its whole year.
//! `WXDESK_BENCH_FIXTURE=path` keeps the database between runs.
//!
//! `cargo bench --bench bootstrap` (or `--profile dev` to reuse a debug build).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "support/shaper.rs"]
mod shaper;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wxdesk::central::{self, CentralConfig};
use wxdesk::console::backend::bootstrap;
use wxdesk::console::backend::client::CentralClient;
use wxdesk::console::backend::history::on_demand;
use wxdesk::domain::access::Secret;
use wxdesk::domain::history::ViewRequest;
use wxdesk::domain::time::{DAY_MS, MINUTE_MS, ManualClock};
use wxdesk::domain::{Element, Observation, Source, Timestamp};
use wxdesk::protocol::{LoginRequest, LoginResponse, PasswordChange};
use wxdesk::store::cache::CacheDb;
use wxdesk::store::central::SqliteCentralStore;
use wxdesk::store::observations::{OnConflict, Writer};

/// Days of minutes of the series the year view shows (the rest is hourly before the week).
const YEAR_OF_MINUTES_DAYS: i64 = 380;

/// The first administrator's password after the first run.
const BENCH_PASSWORD: &str = "bench-password-1";

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The station whose year is viewed at full resolution.
fn viewed() -> wxdesk::domain::StationId {
    wxdesk::domain::StationId::parse("58819").unwrap()
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-07T00:00:00Z").unwrap()
}

/// Smooth values on each element's resolution.
fn observation(station: &wxdesk::domain::StationId, index: usize, t: Timestamp) -> Observation {
    let minute = t.millis() / MINUTE_MS;
    let phase = (minute as f64 / 1440.0 * std::f64::consts::TAU) + index as f64;
    let wave = phase.sin();
    let round = |v: f64, decimals: i32| {
        let scale = 10f64.powi(decimals);
        (v * scale).round() / scale
    };
    let values = Element::EVERY_MINUTE
        .iter()
        .map(|&e| {
            let v = match e {
                Element::Tem => 15.0 + 6.0 * wave,
                Element::Gst => 17.0 + 9.0 * wave,
                Element::Rhu => (75.0 - 15.0 * wave).round(),
                Element::Pre | Element::Pre1h => 0.0,
                Element::Prs => 980.0 + 2.0 * (minute as f64 / 4000.0).sin(),
                Element::WinSAvg2mi => 2.0 + wave.abs(),
                _ => (200.0 + 40.0 * wave).round(),
            };
            (e, round(v, 1))
        })
        .collect();
    Observation {
        station: station.clone(),
        time: t,
        source: Source::Live,
        values,
    }
}

/// Writes the fixture into `db` (created through the store, filled through its writer, a day
/// per transaction).
fn build_fixture(db: &Path) -> (usize, Duration) {
    let network = wxdesk::assets::qingliu_network().unwrap();
    let qc = wxdesk::assets::qc_config().unwrap();
    drop(SqliteCentralStore::open(db, &network, qc).unwrap());
    let years = env("WXDESK_BENCH_YEARS", 3);
    let recent_days = env("WXDESK_BENCH_RECENT_DAYS", 8);
    let old_step = env("WXDESK_BENCH_OLD_STEP_MIN", 60) * MINUTE_MS;
    let start = now().plus_ms(-years * 365 * DAY_MS).floor(DAY_MS);
    let recent = now().plus_ms(-recent_days * DAY_MS);
    let viewed_from = now().plus_ms(-YEAR_OF_MINUTES_DAYS * DAY_MS);
    let viewed = viewed();
    let started = Instant::now();
    let mut conn = wxdesk::store::sqlite::open(db).unwrap();
    let mut values = 0;
    let mut day = start;
    while day < now() {
        let tx = conn.transaction().unwrap();
        let mut writer = Writer::new(&tx);
        let mut t = day.plus_ms(MINUTE_MS);
        while t <= day.plus_ms(DAY_MS) && t <= now() {
            let every_series = t >= recent || (t.millis() - start.millis()) % old_step == 0;
            for (index, station) in network.stations.iter().enumerate() {
                // The year view's series has minutes for its whole year.
                let viewed_minute = station.id == viewed && t >= viewed_from;
                if !every_series && !viewed_minute {
                    continue;
                }
                let mut o = observation(&station.id, index, t);
                if !every_series {
                    o.values.retain(|&e, _| e == Element::Tem);
                }
                values += o.values.len();
                writer
                    .insert(&o, OnConflict::KeepStored, &Default::default())
                    .unwrap();
            }
            t = t.plus_ms(MINUTE_MS);
        }
        writer.finish().unwrap();
        tx.commit().unwrap();
        day = day.plus_ms(DAY_MS);
    }
    let _ = wxdesk::store::sqlite::open(db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
    (values, started.elapsed())
}

/// A token of the first administrator, with the one-time password replaced.
async fn login(url: &str, one_time: &Secret) -> Secret {
    let client = CentralClient::new(url, &[]).unwrap();
    let login = |password: &Secret| LoginRequest {
        username: "admin".into(),
        password: password.clone(),
        workstation: "bench".into(),
    };
    let first: LoginResponse = client.login(&login(one_time)).await.unwrap();
    let new = Secret::new(BENCH_PASSWORD);
    client
        .with_token(first.token.clone())
        .change_password(&PasswordChange {
            current_password: one_time.clone(),
            new_password: new.clone(),
        })
        .await
        .unwrap();
    client.login(&login(&new)).await.unwrap().token
}

#[derive(Debug)]
struct Figures {
    live: Duration,
    parts: Duration,
    year: Duration,
    requests: usize,
    hours: usize,
    rollups: usize,
    received: u64,
    cache_bytes: u64,
}

/// A new desk's first sync through `url` with `token`, measured from the login accepted.
async fn first_sync(
    url: &str,
    token: &Secret,
    cache_path: &Path,
    counted: &shaper::Counter,
) -> Figures {
    let cache = Arc::new(Mutex::new(CacheDb::open(cache_path).unwrap()));
    let client = CentralClient::new(url, &[])
        .unwrap()
        .with_token(token.clone());
    counted.reset();
    let started = Instant::now();
    // What sync asks before the snapshot.
    client.health().await.unwrap();
    client.session().await.unwrap();
    client.network().await.unwrap();
    let installed = bootstrap::install_head(&client, &cache).await.unwrap();
    let live = started.elapsed();
    let tally = bootstrap::install_parts(&client, &cache, &installed)
        .await
        .unwrap();
    bootstrap::finish(&cache, &installed).await.unwrap();
    let parts = started.elapsed();
    // Any year view: the year before the snapshot's week, one series, at full resolution.
    let year = ViewRequest {
        station: viewed(),
        element: Element::Tem,
        from: installed.full_from.plus_ms(-365 * DAY_MS),
        to: installed.full_from,
        columns: 1200,
    };
    let filled = on_demand::fill(Some(&client), &cache, &on_demand::view_spans(&[year]))
        .await
        .unwrap();
    assert!(filled.held.is_empty() && !filled.failed, "{filled:?}");
    let year = started.elapsed();
    drop(cache);
    Figures {
        live,
        parts,
        year,
        requests: tally.requests,
        hours: tally.hours,
        rollups: tally.rollups,
        received: counted.received(),
        cache_bytes: file_size(cache_path),
    }
}

fn file_size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_owned(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

fn print(name: &str, f: &Figures) {
    println!(
        "{name}: live screen {:.2} s · all parts {:.2} s ({} requests, {} hours, {} daily rollups, {:.1} MB received) · a year view at full resolution {:.2} s · cache {:.1} MB",
        f.live.as_secs_f64(),
        f.parts.as_secs_f64(),
        f.requests,
        f.hours,
        f.rollups,
        f.received as f64 / 1e6,
        f.year.as_secs_f64(),
        f.cache_bytes as f64 / 1e6,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db = std::env::var("WXDESK_BENCH_FIXTURE")
        .map_or_else(|_| dir.path().join("central.sqlite"), PathBuf::from);
    if !db.exists() {
        let (values, took) = tokio::task::spawn_blocking({
            let db = db.clone();
            move || build_fixture(&db)
        })
        .await
        .unwrap();
        println!(
            "fixture: {values} values in {:.1} s ({:.1} MB)",
            took.as_secs_f64(),
            file_size(&db) as f64 / 1e6
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = CentralConfig::new(&db, wxdesk::assets::qingliu_network().unwrap());
    config.clock = ManualClock::new(now());
    config.reissue_first_admin = true;
    config.retention = None;
    let central = central::start(listener, config).await.unwrap();
    let token = match central.first_admin_password() {
        Some(one_time) => login(&central.url(), one_time).await,
        // A kept fixture: the password the first run chose.
        None => {
            CentralClient::new(&central.url(), &[])
                .unwrap()
                .login(&LoginRequest {
                    username: "admin".into(),
                    password: Secret::new(BENCH_PASSWORD),
                    workstation: "bench".into(),
                })
                .await
                .unwrap()
                .token
        }
    };

    let loopback = shaper::start(central.addr(), shaper::Shape::unlimited()).await;
    let figures = first_sync(
        &format!("http://{}", loopback.0),
        &token,
        &dir.path().join("loopback.sqlite"),
        &loopback.1,
    )
    .await;
    print(
        "loopback (target: live screen < 5 s, year view < 30 s)",
        &figures,
    );

    let shaped = shaper::start(central.addr(), shaper::Shape::mbit(10.0, 50)).await;
    let figures = first_sync(
        &format!("http://{}", shaped.0),
        &token,
        &dir.path().join("shaped.sqlite"),
        &shaped.1,
    )
    .await;
    print(
        "10 Mbit/s, 50 ms each way (target: year view < 30 s)",
        &figures,
    );
    central.shutdown().await.unwrap();
}
