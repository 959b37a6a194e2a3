use serde_json::{Value, json};

use super::*;
use crate::assets::qingliu_network;
use crate::domain::qc::QcConfig;
use crate::domain::time::MINUTE_MS;
use crate::domain::{Element, StationId};
use crate::protocol::{IngestResponse, RecordStatus, parse_batch};

pub(super) fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-27T10:00:00Z").unwrap()
}

pub(super) fn minute(n: i64) -> String {
    now().plus_ms(n * MINUTE_MS).to_rfc3339()
}

pub(super) fn fresh() -> (tempfile::TempDir, SqliteCentralStore) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        SqliteCentralStore::open(&dir.path().join("central.sqlite"), &network(), qc()).unwrap();
    (dir, store)
}

fn qc() -> QcConfig {
    crate::assets::qc_config().unwrap()
}

fn network() -> Network {
    qingliu_network().unwrap()
}

pub(super) fn record(station: &str, time: &str, values: Value) -> Value {
    let mut record = json!({"station": station, "time": time});
    record["values"] = values;
    record
}

/// What ingesting raw records came to, with the response a client gets.
struct Ingested {
    response: IngestResponse,
    head: u64,
    new_changes: u64,
    qc_work: QcWork,
}

/// Ingests raw records as `POST /observations` does: parsed at the edge, the store given
/// those that parsed, the refused ones put back in batch order.
fn ingest_json(store: &SqliteCentralStore, batch: &[Value]) -> Ingested {
    let parsed = parse_batch(batch, now());
    let report = store.ingest(&parsed.records, now()).unwrap();
    Ingested {
        response: respond(&parsed.refused, report.results),
        head: report.head,
        new_changes: report.new_changes,
        qc_work: report.qc_work,
    }
}

fn statuses(store: &SqliteCentralStore, batch: &[Value]) -> Vec<(RecordStatus, usize)> {
    ingest_json(store, batch)
        .response
        .results
        .iter()
        .map(|r| (r.status, r.stored_values))
        .collect()
}

#[test]
fn ingest_outcomes() {
    use RecordStatus::{Duplicate, Partial, Rejected, Stored};
    let (_dir, store) = fresh();
    let t = minute(-10);
    // Each step is a batch and what must become of each of its records.
    type Step = (Vec<Value>, Vec<(RecordStatus, usize)>);
    let steps: Vec<Step> = vec![
        (
            vec![record("58819", &t, json!({"TEM": 12.5, "RHU": 80}))],
            vec![(Stored, 2)],
        ),
        (
            vec![record("58819", &t, json!({"TEM": 12.5, "RHU": 80}))],
            vec![(Duplicate, 0)],
        ),
        (
            vec![record("58819", &t, json!({"TEM": 12.5, "PRS": 990.1}))],
            vec![(Stored, 1)],
        ),
        (
            // Conflict: TEM differs from what is stored, RHU out of range, PRE_1h new.
            vec![record(
                "58819",
                &t,
                json!({"TEM": 13.0, "RHU": 130, "PRE_1h": 0.2}),
            )],
            vec![(Partial, 1)],
        ),
        (
            vec![record("58819", &t, json!({"TEM": 13.0}))],
            vec![(Rejected, 0)],
        ),
        (
            vec![
                record("708399", &t, json!({"TEM": 1.0})),
                record("708301", &minute(60), json!({"TEM": 1.0})),
                json!({"station": "708301"}),
                record("708301", &t, json!({"TEM": "warm"})),
                record("708301", &t, json!({"TEM": null})),
                record("708301", &t, json!({"TEM": 9.5})),
            ],
            vec![
                (Rejected, 0),
                (Rejected, 0),
                (Rejected, 0),
                (Rejected, 0),
                (Rejected, 0),
                (Stored, 1),
            ],
        ),
    ];
    for (index, (batch, expected)) in steps.iter().enumerate() {
        assert_eq!(&statuses(&store, batch), expected, "step {index}");
    }
    let id = StationId::parse("58819").unwrap();
    let tem = store
        .series(&id, Element::Tem, Timestamp(0), now())
        .unwrap()
        .unwrap();
    assert_eq!(
        tem,
        [(Timestamp::parse_rfc3339(&t).unwrap(), 12.5)],
        "first report wins"
    );
}

#[test]
fn record_errors_say_what_is_wrong() {
    let (_dir, store) = fresh();
    let t = minute(-1);
    ingest_json(&store, &[record("58819", &t, json!({"TEM": 12.5}))]);
    let batch = [
        record("708399", &t, json!({"TEM": 1.0})),
        record("58819", &t, json!({"TEM": 13.0})),
        record("58819", &minute(60), json!({"TEM": 1.0})),
        record("58819", &t, json!({})),
    ];
    let report = ingest_json(&store, &batch);
    let errors: Vec<&str> = report
        .response
        .results
        .iter()
        .map(|r| r.errors[0].as_str())
        .collect();
    assert_eq!(errors[0], "station 708399 is not in this central's network");
    assert!(
        errors[1].contains("differs from the stored 12.5"),
        "{}",
        errors[1]
    );
    assert!(errors[2].contains("in the future"), "{}", errors[2]);
    assert!(errors[3].contains("no values"), "{}", errors[3]);
}

#[test]
fn one_change_per_batch_names_the_hours_it_changed() {
    use crate::protocol::{HoursChange, SeriesHour, kind};
    let (_dir, store) = fresh();
    assert_eq!(store.head().unwrap(), 0);
    let (t, earlier) = (minute(-5), minute(-65));
    let batch = [
        record("58819", &t, json!({"TEM": 12.5})),
        record("708301", &t, json!({"TEM": 11.0})),
        record("58819", &earlier, json!({"TEM": 12.0})),
        record("708399", &t, json!({"TEM": 11.0})),
    ];
    let report = ingest_json(&store, &batch);
    assert_eq!((report.head, report.new_changes), (1, 1));
    // The same batch again: no change; then a record with one new value among duplicates.
    assert_eq!(ingest_json(&store, &batch).new_changes, 0);
    let report = ingest_json(
        &store,
        &[record("58819", &t, json!({"TEM": 12.5, "RHU": 77}))],
    );
    assert_eq!((report.head, report.new_changes), (2, 1));
    let page = store.changes_after(0, 100, None).unwrap();
    assert_eq!(page.head, 2);
    let seqs: Vec<u64> = page.changes.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, [1, 2]);
    let hour = |station: &str, element, at: &str| SeriesHour {
        station: station.into(),
        element,
        start: crate::store::chunk::chunk_of(Timestamp::parse_rfc3339(at).unwrap()),
    };
    let (first, last) = (&page.changes[0].1, &page.changes[1].1);
    assert_eq!(
        (first.kind.as_str(), first.recorded_at),
        (kind::HOURS, now())
    );
    let mut named = first.decode::<HoursChange>().unwrap().series_hours().0;
    named.sort();
    let mut expected = vec![
        hour("58819", Element::Tem, &t),
        hour("708301", Element::Tem, &t),
        hour("58819", Element::Tem, &earlier),
    ];
    expected.sort();
    assert_eq!(named, expected);
    assert_eq!(last.named_hours(), [hour("58819", Element::Rhu, &t)]);
    // Every hour named comes with its chunk as stored now, once.
    assert_eq!(page.chunks.len(), 4);
    let rhu = page
        .chunks
        .iter()
        .find(|c| c.hour.element == Element::Rhu)
        .unwrap();
    let chunk =
        crate::store::chunk::Chunk::decode(rhu.hour.start, rhu.hour.element, &rhu.data.0).unwrap();
    assert_eq!(chunk.samples().len(), 1);
    assert_eq!(chunk.samples()[0].value, 77.0);
}

#[test]
fn changes_page_after_a_cursor_and_by_kind() {
    let (_dir, store) = fresh();
    for n in 0..7 {
        ingest_json(
            &store,
            &[record("58819", &minute(-n), json!({"TEM": 10.0}))],
        );
    }
    let mut cursor = 0;
    let mut pages = Vec::new();
    loop {
        let page = store.changes_after(cursor, 3, None).unwrap();
        assert_eq!(page.head, 7);
        let Some(&(last, _)) = page.changes.last() else {
            break;
        };
        cursor = last;
        pages.push(page.changes.iter().map(|c| c.0).collect::<Vec<_>>());
    }
    assert_eq!(pages, [vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
    assert!(store.changes_after(99, 3, None).unwrap().changes.is_empty());
    let kinds = |k: &[&str]| k.iter().map(|&k| k.to_owned()).collect::<Vec<_>>();
    let hours = store
        .changes_after(2, 10, Some(&kinds(&["hours"])))
        .unwrap();
    assert_eq!(hours.changes.len(), 5);
    let none = store
        .changes_after(0, 10, Some(&kinds(&["warning"])))
        .unwrap();
    assert!(none.changes.is_empty() && none.chunks.is_empty());
    assert_eq!(none.head, 7);
}

#[test]
fn latest_and_series() {
    let (_dir, store) = fresh();
    let batch: Vec<Value> = (0..5)
        .map(|n| record("708305", &minute(-n), json!({"TEM": n as f64, "RHU": 60})))
        .collect();
    ingest_json(&store, &batch);
    let id = StationId::parse("708305").unwrap();
    let latest = store.latest().unwrap();
    assert_eq!(latest[&id][&Element::Tem], (now(), 0.0));
    assert_eq!(latest.len(), 1);
    let from = now().plus_ms(-3 * MINUTE_MS);
    let to = now().plus_ms(-MINUTE_MS);
    let series = store.series(&id, Element::Tem, from, to).unwrap().unwrap();
    let values: Vec<f64> = series.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [3.0, 2.0, 1.0], "inclusive range, oldest first");
    assert!(
        store
            .series(&id, Element::Prs, from, to)
            .unwrap()
            .unwrap()
            .is_empty()
    );
    let stranger = StationId::parse("708399").unwrap();
    assert_eq!(
        store.series(&stranger, Element::Tem, from, to).unwrap(),
        None
    );
}

#[test]
fn the_network_is_seeded_once_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.sqlite");
    let store = SqliteCentralStore::open(&path, &network(), qc()).unwrap();
    assert_eq!(store.network().unwrap(), network());
    drop(store);
    // Reopening with another catalogue keeps the stored network: the database is the truth.
    let store = SqliteCentralStore::open(&path, &Network::default(), qc()).unwrap();
    assert_eq!(store.network().unwrap(), network());
}

#[test]
fn reopening_keeps_data_and_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.sqlite");
    let store = SqliteCentralStore::open(&path, &network(), qc()).unwrap();
    ingest_json(&store, &[record("58819", &minute(-2), json!({"TEM": 1.0}))]);
    drop(store);
    let mut conn = sqlite::open(&path).unwrap();
    assert_eq!(sqlite::migrate(&mut conn, &MIGRATIONS).unwrap(), 0);
    drop(conn);
    let store = SqliteCentralStore::open(&path, &network(), qc()).unwrap();
    assert_eq!(store.head().unwrap(), 1);
    let report = ingest_json(&store, &[record("58819", &minute(-1), json!({"TEM": 2.0}))]);
    assert_eq!(report.head, 2);
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.sqlite");
    std::fs::write(&path, b"this is a spreadsheet, not a database".repeat(200)).unwrap();
    let error = SqliteCentralStore::open(&path, &network(), qc()).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    assert!(
        error.to_string().contains("not an SQLite database"),
        "{error}"
    );
}

#[test]
fn readers_see_commits_while_the_writer_is_busy() {
    let (_dir, store) = fresh();
    // Hold the writer inside an open transaction; readers must neither block nor see it.
    let mut writer = store.writer();
    let tx = writer.transaction().unwrap();
    let (network, qc) = (network(), qc());
    let quality = Quality {
        network: &network,
        config: &qc,
    };
    let batch = parse_batch(&[record("58819", &minute(-1), json!({"TEM": 1.0}))], now());
    ingest::ingest_batch(&tx, &batch.records, now(), quality).unwrap();
    assert_eq!(store.head().unwrap(), 0);
    tx.commit().unwrap();
    drop(writer);
    assert_eq!(store.head().unwrap(), 1);
}

/// What judging `batch` read, ingested into `store`.
fn qc_work(store: &SqliteCentralStore, batch: &[Value]) -> QcWork {
    ingest_json(store, batch).qc_work
}

/// A TEM value at 58819, `minutes` before now.
fn tem(minutes_ago: i64, value: f64) -> Value {
    record("58819", &minute(-minutes_ago), json!({ "TEM": value }))
}

#[test]
fn qc_reads_do_not_grow_with_the_span_between_values() {
    use crate::domain::time::DAY_MS;
    // Two values of one series in one batch, `span` apart (76 years is the 1950-to-2026 batch
    // that stalled ingest): judging reads two small windows, however far apart they are.
    let work_at = |span_ms: i64| {
        let (_dir, store) = fresh();
        let late = now().plus_ms(-MINUTE_MS);
        let early = late.plus_ms(-span_ms);
        let batch = [
            record("58819", &early.to_rfc3339(), json!({"TEM": 10.0})),
            record("58819", &late.to_rfc3339(), json!({"TEM": 11.0})),
        ];
        let stored = ingest_json(&store, &batch);
        assert_eq!(stored.response.stored, 2, "{:?}", stored.response);
        stored.qc_work
    };
    let hour = work_at(60 * MINUTE_MS);
    let year = work_at(365 * DAY_MS);
    let lifetime = work_at(76 * 365 * DAY_MS);
    assert_eq!(
        lifetime, year,
        "76 years apart cost what one year apart does"
    );
    // Far apart, the two windows are read separately: twice one window, never more.
    assert_eq!(year.series_reads, 2 * hour.series_reads);
    // Each station's temperature and what judging it reads, not every element.
    let judged = crate::domain::qc::judged_with([Element::Tem]).len();
    let per_window = (network().stations.len() * judged) as u64;
    assert_eq!(
        hour.series_reads, per_window,
        "one window: each series judged once"
    );
    assert_eq!((hour.values_read, year.values_read), (2, 2));
}

#[test]
fn qc_reads_grow_with_the_batch() {
    use crate::domain::time::DAY_MS;
    // Values a day apart each need a window of their own: reads grow one window per value.
    let spread = |n: i64| {
        let (_dir, store) = fresh();
        let batch: Vec<Value> = (0..n)
            .map(|i| {
                let time = now().plus_ms(-MINUTE_MS - i * DAY_MS).to_rfc3339();
                record("58819", &time, json!({"TEM": 10.0}))
            })
            .collect();
        qc_work(&store, &batch)
    };
    let one = spread(1);
    for n in [2, 5] {
        assert_eq!(spread(n).series_reads, n as u64 * one.series_reads, "{n}");
    }
    // Consecutive minutes after five hours of history: the values read are the history the
    // window needs (the same for any batch) plus the batch itself.
    let consecutive = |n: i64| {
        let (_dir, store) = fresh();
        let history: Vec<Value> = (0..300)
            .map(|i| tem(400 - i, 10.0 + (i % 7) as f64 * 0.1))
            .collect();
        ingest_json(&store, &history);
        let batch: Vec<Value> = (0..n)
            .map(|i| tem(100 - i, 11.0 + (i % 5) as f64 * 0.1))
            .collect();
        qc_work(&store, &batch)
    };
    let (ten, ninety) = (consecutive(10), consecutive(90));
    assert_eq!(ninety.values_read - ten.values_read, 80);
    assert_eq!(ninety.series_reads, ten.series_reads);
}

#[test]
fn a_garden_judged_minute_by_minute_gets_the_flags_judging_its_whole_day_gives() {
    use crate::domain::network::StationKind;
    // A garden's temperature and humidity: a walk at the reported resolution, with a sensor
    // stuck for two hours, a spike, fog and an outage. Stored a minute at a time (each judged
    // alone where that is exact, else over the whole window) and all at once (judged over the
    // whole window), every value ends with the same flags.
    let mut network = network();
    let beside = network.stations[0].clone();
    network.stations.push(crate::domain::Station {
        id: StationId::parse("G0001").unwrap(),
        kind: StationKind::Garden,
        ..beside
    });
    let open = |dir: &tempfile::TempDir| {
        SqliteCentralStore::open(&dir.path().join("central.sqlite"), &network, qc()).unwrap()
    };
    let (one_dir, many_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (at_once, by_minute) = (open(&one_dir), open(&many_dir));
    let mut seed = 0x9e37_79b9_u64;
    let mut next = move |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) % n
    };
    let (mut tem, mut rhu) = (12.0_f64, 90.0_f64);
    let mut day = Vec::new();
    for m in -600..0_i64 {
        if (-200..-190).contains(&m) {
            continue; // the outage
        }
        let stuck = (-450..-300).contains(&m);
        if !stuck {
            tem += [0.0, 0.0, 0.1, -0.1][next(4) as usize];
            rhu = (rhu + [0.0, 0.0, 1.0, -1.0][next(4) as usize]).clamp(60.0, 90.0);
        }
        let spike = if m == -100 { 9.0 } else { 0.0 };
        let values = json!({"TEM": ((tem + spike) * 10.0).round() / 10.0, "RHU": rhu});
        day.push(record("G0001", &minute(m), values));
    }
    assert_eq!(ingest_json(&at_once, &day).response.stored, day.len());
    let mut values_read = 0;
    for one in &day {
        let ingested = ingest_json(&by_minute, std::slice::from_ref(one));
        assert_eq!(ingested.response.stored, 1);
        values_read += ingested.qc_work.values_read;
    }
    // Over the whole window each minute would read ≈ 250 minutes of both series; most are
    // judged alone, from ≈ 131.
    let whole_windows = 2 * 250 * day.len() as u64;
    assert!(
        values_read * 10 < whole_windows * 7,
        "{values_read} of {whole_windows}"
    );
    let flags = |store: &SqliteCentralStore, element| {
        let station = StationId::parse("G0001").unwrap();
        let (from, to) = (now().plus_ms(-700 * MINUTE_MS), now());
        store
            .read(|conn| observations::samples(conn, &station, element, from, to))
            .unwrap()
            .into_iter()
            .map(|s| (s.time, s.qc))
            .collect::<Vec<_>>()
    };
    for element in [Element::Tem, Element::Rhu] {
        let (whole, minutes) = (flags(&at_once, element), flags(&by_minute, element));
        assert_eq!(whole.len(), day.len());
        assert!(
            whole.iter().any(|(_, f)| !f.passed()),
            "{element:?}: the faults are flagged"
        );
        for (w, m) in whole.iter().zip(&minutes) {
            assert_eq!(w, m, "{element:?} at {}", w.0.to_rfc3339());
        }
    }
}
