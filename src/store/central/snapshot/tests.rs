use std::collections::BTreeMap;

use super::*;
use crate::domain::qc::{QcConfig, QcFlags, QcTest};
use crate::domain::time::{DAY_MS, HOUR_MS};
use crate::domain::{Network, Observation, Source};
use crate::store::central::{ChangeFeed as _, NetworkStore as _};
use crate::store::chunk::Chunk;
use crate::store::observations::{OnConflict, Writer};

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-07T00:30:00Z").unwrap()
}

fn fresh() -> (tempfile::TempDir, SqliteCentralStore) {
    let dir = tempfile::tempdir().unwrap();
    let network: Network = crate::assets::qingliu_network().unwrap();
    let qc: QcConfig = crate::assets::qc_config().unwrap();
    let store = SqliteCentralStore::open(&dir.path().join("central.sqlite"), &network, qc).unwrap();
    (dir, store)
}

fn station(id: &str) -> StationId {
    StationId::parse(id).unwrap()
}

/// Hourly TEM at two stations for the ten days before `now()`, the last value flagged.
fn write_ten_days(store: &SqliteCentralStore) {
    let mut writer = store.writer();
    let tx = writer.transaction().unwrap();
    let mut values = Writer::new(&tx);
    for id in ["58819", "708301"] {
        for hour in 0..240 {
            let time = now().plus_ms(-hour * HOUR_MS);
            let obs = Observation {
                station: station(id),
                time,
                source: Source::Live,
                values: BTreeMap::from([(Element::Tem, 10.0 + hour as f64 / 10.0)]),
            };
            let flags = if hour == 0 {
                BTreeMap::from([(Element::Tem, QcFlags::PASSED.with(QcTest::Step))])
            } else {
                BTreeMap::new()
            };
            values.insert(&obs, OnConflict::KeepStored, &flags).unwrap();
        }
    }
    values.finish().unwrap();
    tx.commit().unwrap();
}

fn log_changes(store: &SqliteCentralStore, recorded_at: &[i64]) {
    let writer = store.writer();
    for &at in recorded_at {
        writer
            .execute(
                "INSERT INTO change_log (recorded_at, data) VALUES (?1, '{}')",
                [at],
            )
            .unwrap();
    }
}

#[test]
fn trimming_deletes_old_changes_in_batches_and_keeps_the_head() {
    let (_dir, store) = fresh();
    assert_eq!(store.oldest_change().unwrap(), None);
    log_changes(&store, &[1000, 2000, 3000, 4000, 5000, 9000, 4500, 10_000]);
    let before = Timestamp(5500);
    let passes: Vec<Trimmed> = (0..4)
        .map(|_| store.trim_change_log(before, 3).unwrap())
        .collect();
    let deleted: Vec<usize> = passes.iter().map(|t| t.deleted).collect();
    // 1..=3, then 4..=5; change 6 (9000) is newer, so 7 (4500, a clock that went back) stays
    // with it: the log stays a gap-free suffix.
    assert_eq!(deleted, [3, 2, 0, 0]);
    assert_eq!(passes[3].oldest, Some(6));
    let all = store.trim_change_log(Timestamp(i64::MAX), 100).unwrap();
    assert_eq!((all.deleted, all.oldest), (2, Some(8)), "the head survives");
    assert_eq!(store.head().unwrap(), 8);
    log_changes(&store, &[11_000]);
    assert_eq!(store.head().unwrap(), 9, "seq numbers are never reused");
}

#[test]
fn the_head_carries_the_last_day_and_its_cursor_the_log_head() {
    let (_dir, store) = fresh();
    write_ten_days(&store);
    log_changes(&store, &[1, 2, 3]);
    let head = store.snapshot_head(now()).unwrap();
    assert_eq!(head.cursor, Cursor::from_seq(3));
    assert_eq!(head.instance, store.instance());
    assert_eq!(head.full_from, snapshot::full_from(now()));
    assert_eq!(
        head.network.stations.len(),
        store.network().unwrap().stations.len()
    );
    // Two series, 26 hours each: the hour holding now() and 25 before it.
    assert_eq!(head.chunks.len(), 52);
    let oldest = crate::store::chunk::chunk_of(now().plus_ms(-239 * HOUR_MS));
    assert_eq!(head.oldest, Some(oldest));
    assert!(head.chunks.iter().all(|c| c.hour.start >= head.recent_from));
    assert!(
        head.chunks
            .windows(2)
            .all(|w| w[0].hour.start >= w[1].hour.start)
    );
    let newest = &head.chunks[0];
    let decoded = Chunk::decode(newest.hour.start, newest.hour.element, &newest.data.0).unwrap();
    assert_eq!(decoded.samples()[0].qc, QcFlags::PASSED.with(QcTest::Step));
}

#[test]
fn older_hours_and_daily_rollups_are_served_by_range() {
    let (_dir, store) = fresh();
    write_ten_days(&store);
    let full_from = snapshot::full_from(now());
    let day = store
        .chunks_between(None, full_from, full_from.plus_ms(DAY_MS))
        .unwrap()
        .unwrap();
    assert_eq!(day.len(), 48, "a day of two series");
    let one = store
        .chunks_between(Some((&station("58819"), Element::Tem)), Timestamp(0), now())
        .unwrap()
        .unwrap();
    assert_eq!(one.len(), 240);
    let unknown = station("999999");
    assert_eq!(
        store
            .chunks_between(Some((&unknown, Element::Tem)), Timestamp(0), now())
            .unwrap(),
        None
    );
    let rollups = store.daily_rollups(Timestamp(0), full_from).unwrap();
    assert_eq!(rollups.len(), 2);
    let rows = snapshot::rollup_rows(&rollups[0], rollups::decode).unwrap();
    assert!(rows.iter().all(|(t, _)| *t < full_from));
    let values: u32 = rows.iter().map(|(_, a)| a.all.count).sum();
    let first = now().plus_ms(-239 * HOUR_MS);
    let expected = (full_from.millis() - first.millis()).div_euclid(HOUR_MS) + 1;
    assert_eq!(
        i64::from(values),
        expected,
        "every hourly value before full_from"
    );
}
