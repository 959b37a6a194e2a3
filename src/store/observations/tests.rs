//! Tests of the observation tables.
use super::*;
use crate::store::sqlite::{Migration, migrate, open_in_memory};

fn db() -> Connection {
    let mut conn = open_in_memory().unwrap();
    migrate(
        &mut conn,
        &[
            Migration {
                name: "observations",
                sql: SCHEMA,
            },
            Migration {
                name: "chunks",
                sql: CHUNKS_SCHEMA,
            },
            Migration {
                name: "rollups",
                sql: rollups::SCHEMA,
            },
            Migration {
                name: "hour in chunks",
                sql: HOUR_IN_CHUNKS,
            },
        ],
    )
    .unwrap();
    conn
}

fn obs(station: &str, t: i64, values: &[(Element, f64)]) -> Observation {
    Observation {
        station: StationId::parse(station).unwrap(),
        time: Timestamp(t),
        source: Source::Live,
        values: values.iter().copied().collect(),
    }
}

#[test]
fn keep_stored_reports_new_duplicate_and_conflict() {
    let conn = db();
    let first = insert(
        &conn,
        &obs("58819", 60_000, &[(Element::Tem, 10.0)]),
        OnConflict::KeepStored,
    )
    .unwrap();
    assert_eq!(first, [(Element::Tem, ValueOutcome::New)]);
    let again = obs(
        "58819",
        60_000,
        &[(Element::Tem, 10.0), (Element::Rhu, 80.0)],
    );
    let second = insert(&conn, &again, OnConflict::KeepStored).unwrap();
    assert_eq!(
        second,
        [
            (Element::Tem, ValueOutcome::Duplicate),
            (Element::Rhu, ValueOutcome::New)
        ]
    );
    let third = insert(
        &conn,
        &obs("58819", 60_000, &[(Element::Tem, 11.0)]),
        OnConflict::KeepStored,
    )
    .unwrap();
    assert_eq!(
        third,
        [(Element::Tem, ValueOutcome::Conflict { stored: 10.0 })]
    );
    let id = StationId::parse("58819").unwrap();
    assert_eq!(
        series(&conn, &id, Element::Tem, Timestamp(0), Timestamp(i64::MAX)).unwrap(),
        [(Timestamp(60_000), 10.0)]
    );
}

#[test]
fn replace_overwrites() {
    let conn = db();
    insert(
        &conn,
        &obs("58819", 60_000, &[(Element::Tem, 10.0)]),
        OnConflict::Replace,
    )
    .unwrap();
    let outcome = insert(
        &conn,
        &obs("58819", 60_000, &[(Element::Tem, 11.0)]),
        OnConflict::Replace,
    )
    .unwrap();
    assert_eq!(outcome, [(Element::Tem, ValueOutcome::New)]);
    let id = StationId::parse("58819").unwrap();
    assert_eq!(
        series(&conn, &id, Element::Tem, Timestamp(0), Timestamp(i64::MAX)).unwrap()[0].1,
        11.0
    );
}

#[test]
fn latest_and_since() {
    let conn = db();
    for (station, t, tem) in [
        ("58819", 1, 1.0),
        ("58819", 3, 3.0),
        ("58819", 2, 2.0),
        ("708301", 2, 5.0),
    ] {
        insert(
            &conn,
            &obs(
                station,
                t * 60_000,
                &[(Element::Tem, tem), (Element::Rhu, 50.0)],
            ),
            OnConflict::KeepStored,
        )
        .unwrap();
    }
    let latest = latest(&conn).unwrap();
    assert_eq!(
        latest[&StationId::parse("58819").unwrap()][&Element::Tem],
        (Timestamp(180_000), 3.0)
    );
    assert_eq!(
        latest[&StationId::parse("708301").unwrap()][&Element::Tem],
        (Timestamp(120_000), 5.0)
    );
    let (snapshot, failed) = since(&conn, Timestamp(120_000)).unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    let keys: Vec<(String, i64, usize)> = snapshot
        .iter()
        .map(|o| (o.station.to_string(), o.time.0 / 60_000, o.values.len()))
        .collect();
    assert_eq!(
        keys,
        [
            ("58819".into(), 2, 2),
            ("708301".into(), 2, 2),
            ("58819".into(), 3, 2)
        ]
    );
}
