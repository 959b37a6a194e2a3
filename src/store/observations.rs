//! The observation table, shared by the central's database and the console cache: one row per
//! station × element × instant ("long" layout: a year of one series is one index range).
//! Stations are stored by a small integer key to keep rows short.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension as _, params};

use super::rollups::{self, Dirty};
use super::{Context as _, StoreError};
use crate::domain::history::Sample;
use crate::domain::qc::QcFlags;
use crate::domain::{Element, Observation, Source, StationId, Timestamp};

/// Schema of the observation tables; a migration step of each database that keeps them.
pub const SCHEMA: &str = "
CREATE TABLE station_keys (
    key INTEGER PRIMARY KEY,
    id  TEXT NOT NULL UNIQUE
);
CREATE TABLE observations (
    station INTEGER NOT NULL REFERENCES station_keys(key),
    element INTEGER NOT NULL,
    time    INTEGER NOT NULL,            -- Unix ms, UTC
    value   REAL    NOT NULL,
    source  INTEGER NOT NULL DEFAULT 0,  -- domain::Source::storage_id
    qc      INTEGER NOT NULL DEFAULT 0,  -- quality-control flags (0 = not checked / passed)
    PRIMARY KEY (station, element, time)
) WITHOUT ROWID;
";

/// Values equal within this are the same measurement (JSON round trips of f64 are exact, but
/// a value re-derived from text may differ in the last bit).
const SAME_VALUE_EPSILON: f64 = 1e-9;

/// What storing one value did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueOutcome {
    /// Stored; it was not there before.
    New,
    /// The same value was already stored: nothing changed.
    Duplicate,
    /// A different value is stored for this instant and was kept.
    Conflict {
        /// The value already stored.
        stored: f64,
    },
}

/// How [`insert`] treats a value already stored for the same station, element and instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Keep the stored value and report the conflict (the central: first report wins).
    KeepStored,
    /// Overwrite (the console cache: the central is the truth).
    Replace,
}

/// The storage key of a station, creating one if needed.
pub fn station_key(conn: &Connection, id: &StationId) -> Result<i64, StoreError> {
    conn.prepare_cached("INSERT INTO station_keys (id) VALUES (?1) ON CONFLICT (id) DO NOTHING")
        .and_then(|mut s| s.execute([id.as_str()]))
        .context("registering station key")?;
    conn.prepare_cached("SELECT key FROM station_keys WHERE id = ?1")
        .and_then(|mut s| s.query_row([id.as_str()], |r| r.get(0)))
        .context("reading station key")
}

/// The storage key of a station, if it has one.
pub fn existing_station_key(conn: &Connection, id: &StationId) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached("SELECT key FROM station_keys WHERE id = ?1")
        .and_then(|mut s| s.query_row([id.as_str()], |r| r.get(0)).optional())
        .context("reading station key")
}

/// Writes observations and their QC flags inside the caller's transaction, and keeps the
/// rollups in step: call [`Writer::finish`] before committing.
#[derive(Debug)]
pub struct Writer<'c> {
    conn: &'c Connection,
    dirty: Dirty,
    /// Station keys looked up so far: a batch names the same few stations thousands of times.
    keys: HashMap<StationId, i64>,
}

impl<'c> Writer<'c> {
    /// A writer on `conn` (inside a transaction, for batches).
    pub fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            dirty: Dirty::default(),
            keys: HashMap::new(),
        }
    }

    /// The connection written to.
    pub fn conn(&self) -> &'c Connection {
        self.conn
    }

    /// Stores an observation's values, each with its QC flags from `qc` (passed when absent);
    /// returns what happened to each value.
    pub fn insert(
        &mut self,
        obs: &Observation,
        on_conflict: OnConflict,
        qc: &BTreeMap<Element, QcFlags>,
    ) -> Result<Vec<(Element, ValueOutcome)>, StoreError> {
        let key = match self.keys.get(&obs.station) {
            Some(&key) => key,
            None => {
                let key = station_key(self.conn, &obs.station)?;
                self.keys.insert(obs.station.clone(), key);
                key
            }
        };
        let mut outcomes = Vec::with_capacity(obs.values.len());
        for (&element, &value) in &obs.values {
            let flags = qc.get(&element).copied().unwrap_or_default();
            let outcome = self.insert_value(key, element, obs, value, flags, on_conflict)?;
            if outcome == ValueOutcome::New {
                self.dirty.touch(key, element.storage_id(), obs.time);
            }
            outcomes.push((element, outcome));
        }
        Ok(outcomes)
    }

    fn insert_value(
        &self,
        key: i64,
        element: Element,
        obs: &Observation,
        value: f64,
        flags: QcFlags,
        on_conflict: OnConflict,
    ) -> Result<ValueOutcome, StoreError> {
        let sql = match on_conflict {
            OnConflict::KeepStored => {
                "INSERT INTO observations (station, element, time, value, source, qc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"
            }
            OnConflict::Replace => {
                "INSERT INTO observations (station, element, time, value, source, qc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT DO UPDATE SET value = excluded.value, source = excluded.source, qc = excluded.qc
                 WHERE value != excluded.value OR source != excluded.source OR qc != excluded.qc"
            }
        };
        let changed = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut s| {
                s.execute(params![
                    key,
                    element.storage_id(),
                    obs.time.millis(),
                    value,
                    obs.source.storage_id(),
                    flags.bits()
                ])
            })
            .context("storing observation")?;
        if changed > 0 {
            return Ok(ValueOutcome::New);
        }
        if on_conflict == OnConflict::Replace {
            // The update's guard skipped it: value, source and flags are already the same.
            return Ok(ValueOutcome::Duplicate);
        }
        let stored: f64 = self
            .conn
            .prepare_cached(
                "SELECT value FROM observations WHERE station = ?1 AND element = ?2 AND time = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![key, element.storage_id(), obs.time.millis()], |r| {
                    r.get(0)
                })
            })
            .context("reading stored observation")?;
        Ok(if (stored - value).abs() <= SAME_VALUE_EPSILON {
            ValueOutcome::Duplicate
        } else {
            ValueOutcome::Conflict { stored }
        })
    }

    /// Sets the QC flags of one stored value; returns whether they changed (`false` also when
    /// there is no such value).
    pub fn set_qc(
        &mut self,
        station: &StationId,
        element: Element,
        time: Timestamp,
        flags: QcFlags,
    ) -> Result<bool, StoreError> {
        let Some(key) = existing_station_key(self.conn, station)? else {
            return Ok(false);
        };
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE observations SET qc = ?4
                 WHERE station = ?1 AND element = ?2 AND time = ?3 AND qc != ?4",
            )
            .and_then(|mut s| {
                s.execute(params![
                    key,
                    element.storage_id(),
                    time.millis(),
                    flags.bits()
                ])
            })
            .context("setting QC flags")?;
        if changed > 0 {
            self.dirty.touch(key, element.storage_id(), time);
        }
        Ok(changed > 0)
    }

    /// Brings the rollups of everything written up to date. Returns how many finest buckets
    /// were recomputed.
    pub fn finish(self) -> Result<usize, StoreError> {
        rollups::refresh(self.conn, &self.dirty)?;
        Ok(self.dirty.len())
    }
}

/// Stores an observation's values without QC flags and brings their rollups up to date: for
/// single writes and tests; batches use a [`Writer`].
pub fn insert(
    conn: &Connection,
    obs: &Observation,
    on_conflict: OnConflict,
) -> Result<Vec<(Element, ValueOutcome)>, StoreError> {
    let mut writer = Writer::new(conn);
    let outcomes = writer.insert(obs, on_conflict, &BTreeMap::new())?;
    writer.finish()?;
    Ok(outcomes)
}

/// The values of one series stamped in `(after, until]`, with provenance and QC flags, in
/// time order.
pub fn samples(
    conn: &Connection,
    station: &StationId,
    element: Element,
    after: Timestamp,
    until: Timestamp,
) -> Result<Vec<Sample>, StoreError> {
    let Some(key) = existing_station_key(conn, station)? else {
        return Ok(Vec::new());
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT time, value, source, qc FROM observations
             WHERE station = ?1 AND element = ?2 AND time > ?3 AND time <= ?4 ORDER BY time",
        )
        .context("preparing sample query")?;
    let rows = stmt
        .query_map(
            params![key, element.storage_id(), after.millis(), until.millis()],
            |r| {
                Ok(Sample {
                    time: Timestamp(r.get(0)?),
                    value: r.get(1)?,
                    source: Source::from_storage_id(r.get(2)?),
                    qc: QcFlags::from_bits(r.get(3)?),
                })
            },
        )
        .context("querying samples")?;
    rows.collect::<Result<_, _>>().context("reading samples")
}

/// Whether any of `elements` of a station has a value strictly between `after` and `before`.
pub fn any_between(
    conn: &Connection,
    station: &StationId,
    elements: &[Element],
    after: Timestamp,
    before: Timestamp,
) -> Result<bool, StoreError> {
    let Some(key) = existing_station_key(conn, station)? else {
        return Ok(false);
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM observations
             WHERE station = ?1 AND element = ?2 AND time > ?3 AND time < ?4)",
        )
        .context("preparing presence query")?;
    for element in elements {
        let found: bool = stmt
            .query_row(
                params![key, element.storage_id(), after.millis(), before.millis()],
                |r| r.get(0),
            )
            .context("querying presence")?;
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Values of one series with `from <= time <= to`, in time order.
pub fn series(
    conn: &Connection,
    station: &StationId,
    element: Element,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(Timestamp, f64)>, StoreError> {
    let Some(key) = existing_station_key(conn, station)? else {
        return Ok(Vec::new());
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT time, value FROM observations
             WHERE station = ?1 AND element = ?2 AND time BETWEEN ?3 AND ?4 ORDER BY time",
        )
        .context("preparing series query")?;
    let rows = stmt
        .query_map(
            params![key, element.storage_id(), from.millis(), to.millis()],
            |r| Ok((Timestamp(r.get(0)?), r.get(1)?)),
        )
        .context("querying series")?;
    rows.collect::<Result<_, _>>().context("reading series")
}

/// Newest `(time, value)` per element, per station.
pub type LatestValues = BTreeMap<StationId, BTreeMap<Element, (Timestamp, f64)>>;

/// The newest value of every element at every station.
pub fn latest(conn: &Connection) -> Result<LatestValues, StoreError> {
    // One index seek per station × element: with the primary key this is a few hundred
    // b-tree probes, far cheaper than a GROUP BY over the table.
    let mut stmt = conn
        .prepare_cached(
            "SELECT k.id, e.element, o.time, o.value
             FROM station_keys k
             JOIN (SELECT DISTINCT station, element FROM observations) e ON e.station = k.key
             JOIN observations o ON o.station = e.station AND o.element = e.element
                AND o.time = (SELECT max(time) FROM observations
                              WHERE station = e.station AND element = e.element)",
        )
        .context("preparing latest query")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u8>(1)?,
                Timestamp(r.get(2)?),
                r.get::<_, f64>(3)?,
            ))
        })
        .context("querying latest")?;
    let mut latest = LatestValues::new();
    for row in rows {
        let (id, element, time, value) = row.context("reading latest")?;
        let id = StationId::parse(&id).map_err(|e| StoreError::Decode(e.to_string()))?;
        let Some(element) = Element::from_storage_id(element) else {
            continue;
        };
        latest.entry(id).or_default().insert(element, (time, value));
    }
    Ok(latest)
}

/// Every observation with `time >= from`, grouped back into per-instant observations, in
/// time order: what a console loads at start-up to fill its live charts.
pub fn since(conn: &Connection, from: Timestamp) -> Result<Vec<Observation>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT k.id, o.time, o.source, o.element, o.value
             FROM observations o JOIN station_keys k ON k.key = o.station
             WHERE o.time >= ?1 ORDER BY o.time, k.id",
        )
        .context("preparing snapshot query")?;
    let rows = stmt
        .query_map([from.millis()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Timestamp(r.get(1)?),
                Source::from_storage_id(r.get(2)?),
                r.get::<_, u8>(3)?,
                r.get::<_, f64>(4)?,
            ))
        })
        .context("querying snapshot")?;
    let mut out: Vec<Observation> = Vec::new();
    for row in rows {
        let (id, time, source, element, value) = row.context("reading snapshot")?;
        let Some(element) = Element::from_storage_id(element) else {
            continue;
        };
        match out.last_mut() {
            Some(last) if last.time == time && last.station.as_str() == id => {
                last.values.insert(element, value);
            }
            _ => out.push(Observation {
                station: StationId::parse(&id).map_err(|e| StoreError::Decode(e.to_string()))?,
                time,
                source,
                values: BTreeMap::from([(element, value)]),
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
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
                    name: "rollups",
                    sql: rollups::SCHEMA,
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
        let snapshot = since(&conn, Timestamp(120_000)).unwrap();
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
}
