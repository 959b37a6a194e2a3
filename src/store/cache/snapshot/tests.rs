use super::*;
use crate::domain::Source;
use crate::domain::qc::{QcFlags, QcTest};
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};

fn station() -> StationId {
    StationId::parse("58819").unwrap()
}

fn full_from() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-29T16:00:00Z").unwrap()
}

/// An hour of TEM minutes starting at `start`: one flagged, one backfilled.
fn hour(start: Timestamp) -> (StoredHour, Vec<Sample>) {
    let mut chunk = Chunk::default();
    for minute in 1..=60 {
        let sample = Sample {
            time: start.plus_ms(minute * MINUTE_MS),
            value: 10.0 + minute as f64 / 10.0,
            source: if minute == 5 {
                Source::Backfilled
            } else {
                Source::Live
            },
            qc: if minute == 7 {
                QcFlags::PASSED.with(QcTest::Step)
            } else {
                QcFlags::default()
            },
        };
        chunk.write(sample, true);
    }
    let samples = chunk.samples().to_vec();
    let stored = StoredHour {
        station: station(),
        element: Element::Tem,
        start,
        data: chunk.encode(start, Element::Tem),
    };
    (stored, samples)
}

#[test]
fn subtracting_a_period_leaves_what_is_outside_it() {
    type Periods = &'static [(i64, i64)];
    let table: [(Periods, (i64, i64), Periods); 6] = [
        (&[(0, 100)], (20, 30), &[(0, 20), (30, 100)]),
        (&[(0, 100)], (0, 100), &[]),
        (&[(0, 100)], (-5, 10), &[(10, 100)]),
        (&[(0, 100)], (90, 200), &[(0, 90)]),
        (&[(0, 10), (20, 30)], (5, 25), &[(0, 5), (25, 30)]),
        (&[(0, 10)], (10, 20), &[(0, 10)]),
    ];
    for (periods, cut, left) in table {
        assert_eq!(subtract(periods, cut), left, "{periods:?} - {cut:?}");
    }
}

#[test]
fn a_snapshot_installs_values_flags_provenance_and_maintenance_then_its_cursor() {
    let mut cache = CacheDb::in_memory().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    let window = MaintenanceWindow {
        id: 3,
        station: station(),
        from: full_from(),
        to: None,
        note: "换温度传感器".into(),
        recorded_by: "tech".into(),
    };
    let start = full_from().plus_ms(2 * DAY_MS);
    let (stored, samples) = hour(start);
    cache
        .begin_snapshot(&SnapshotStart {
            instance: "abc",
            network: &network,
            maintenance: std::slice::from_ref(&window),
            warnings: &[],
            full_from: full_from(),
            hours: std::slice::from_ref(&stored),
        })
        .unwrap();
    let got = cache
        .samples(&station(), Element::Tem, start, start.plus_ms(HOUR_MS))
        .unwrap();
    assert_eq!(got, samples);
    assert_eq!(cache.maintenance(None).unwrap(), vec![window]);
    assert_eq!(cache.network().unwrap(), Some(network));
    assert_eq!(
        cache.meta(CURSOR_KEY).unwrap(),
        None,
        "not followed until finished"
    );
    cache.finish_snapshot("7").unwrap();
    assert_eq!(cache.meta(CURSOR_KEY).unwrap().as_deref(), Some("7"));
    assert_eq!(cache.meta(INSTANCE_KEY).unwrap().as_deref(), Some("abc"));
}

#[test]
fn rollups_only_periods_shrink_as_days_are_filled() {
    let mut cache = CacheDb::in_memory().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    cache
        .begin_snapshot(&SnapshotStart {
            instance: "abc",
            network: &network,
            maintenance: &[],
            warnings: &[],
            full_from: full_from(),
            hours: &[],
        })
        .unwrap();
    let far = Timestamp(0);
    let only = |cache: &CacheDb| {
        cache
            .rollups_only(&station(), Element::Tem, far, full_from().plus_ms(DAY_MS))
            .unwrap()
            .into_iter()
            .map(|p| (p.from, p.to))
            .collect::<Vec<_>>()
    };
    assert_eq!(only(&cache), [(far, full_from())]);
    // A daily rollup before full_from, as the snapshot sends it.
    let day = full_from().plus_ms(-3 * DAY_MS);
    let (stored, samples) = hour(day.plus_ms(5 * HOUR_MS));
    let mut aggregate = Aggregate::of(&samples[0]);
    for s in &samples[1..] {
        aggregate.merge(&Aggregate::of(s));
    }
    cache
        .install_rollups(&[SeriesRollups {
            station: station(),
            element: Element::Tem,
            level: Level::Day,
            rows: vec![(day, aggregate)],
        }])
        .unwrap();
    let key = station_key(cache.connection(), &station()).unwrap();
    let rows = |cache: &CacheDb, level: Level| {
        rollups::rows(
            cache.connection(),
            key,
            Element::Tem.storage_id(),
            level,
            day.millis(),
            day.millis() + DAY_MS,
        )
        .unwrap()
    };
    assert_eq!(rows(&cache, Level::Day), vec![(day, aggregate)]);
    assert!(rows(&cache, Level::Hour).is_empty(), "nothing finer");
    // The day fetched on demand: its hours, and the same daily rollup recomputed from them.
    cache
        .fill_hours(
            &station(),
            Element::Tem,
            (day, day.plus_ms(DAY_MS)),
            std::slice::from_ref(&stored),
        )
        .unwrap();
    assert_eq!(rows(&cache, Level::Hour).len(), 1);
    assert_eq!(rows(&cache, Level::Day), vec![(day, aggregate)]);
    assert_eq!(
        only(&cache),
        [(far, day), (day.plus_ms(DAY_MS), full_from())]
    );
}

#[test]
fn a_snapshot_forgets_what_an_earlier_sync_skipped() {
    let mut cache = CacheDb::in_memory().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    let skipped = crate::store::cache::Skipped {
        from: Some("s1.5".into()),
        kinds: [("warning".to_owned(), 3)].into(),
    };
    crate::store::cache::feed::write_skipped(&cache.conn, &skipped).unwrap();
    assert_eq!(cache.skipped().unwrap(), skipped);
    cache
        .begin_snapshot(&SnapshotStart {
            instance: "abc",
            network: &network,
            maintenance: &[],
            warnings: &[],
            full_from: full_from(),
            hours: &[],
        })
        .unwrap();
    // The snapshot holds every kind: replaying from an old cursor would go behind it.
    assert_eq!(
        cache.skipped().unwrap(),
        crate::store::cache::Skipped::default()
    );
}
