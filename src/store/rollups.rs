//! The pyramid in SQLite: per series, one row per bucket of every [`Level::ROLLUPS`] level,
//! kept in step with the values in the same transaction as the writes.
//!
//! An hour's row is computed from its chunk, which the writer has in memory anyway
//! ([`write_hour`]); each coarser bucket holding a written hour is then recomputed from its
//! children ([`refresh_above_hours`]). Recomputation rather than arithmetic on deltas stays
//! exact when a value is replaced or its QC flags change (a delta cannot "un-merge" a
//! minimum), and costs a few small index-range reads per touched bucket.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension as _, Row, params};

use super::chunk::Chunk;
use super::{Context as _, StoreError};
use crate::domain::history::{Aggregate, Level, SourceSet, Summary};
use crate::domain::time::Timestamp;

/// Schema of the rollup table: `all` summarises every value, `p_` the values that passed QC
/// (`p_count = 0` and the other `p_` columns `NULL` when none did).
pub const SCHEMA: &str = "
CREATE TABLE rollups (
    station  INTEGER NOT NULL,
    element  INTEGER NOT NULL,
    level    INTEGER NOT NULL,            -- domain::history::Level::storage_id
    start    INTEGER NOT NULL,            -- bucket start, Unix ms, aligned in Beijing time
    count    INTEGER NOT NULL,
    sum      REAL    NOT NULL,
    min      REAL    NOT NULL,
    min_at   INTEGER NOT NULL,
    max      REAL    NOT NULL,
    max_at   INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    first    REAL    NOT NULL,
    last_at  INTEGER NOT NULL,
    last     REAL    NOT NULL,
    sources  INTEGER NOT NULL,
    p_count  INTEGER NOT NULL,
    p_sum    REAL,
    p_min    REAL,
    p_min_at INTEGER,
    p_max    REAL,
    p_max_at INTEGER,
    p_first_at INTEGER,
    p_first  REAL,
    p_last_at INTEGER,
    p_last   REAL,
    p_sources INTEGER,
    PRIMARY KEY (station, element, level, start)
) WITHOUT ROWID;
CREATE TABLE rollup_state (version INTEGER NOT NULL);
";

/// Bumped whenever levels or the row's meaning change: a database at another version has its
/// rollups rebuilt from its values when it is opened.
pub const VERSION: i64 = 2;

/// A series' hour: `(station key, element id, chunk start)`.
pub type HourKey = (i64, u8, i64);

/// Stores (or, with nothing in the hour, removes) the hourly row of one series.
pub fn write_hour(
    conn: &Connection,
    (station, element, start): HourKey,
    aggregate: Option<&Aggregate>,
) -> Result<(), StoreError> {
    write(conn, station, element, Level::Hour, start, aggregate)
}

/// Recomputes every bucket coarser than an hour that holds one of `hours`, level by level,
/// each from its children.
pub fn refresh_above_hours(conn: &Connection, hours: &BTreeSet<HourKey>) -> Result<(), StoreError> {
    let mut touched: BTreeSet<HourKey> = hours.clone();
    for level in Level::ROLLUPS.into_iter().skip(1) {
        let width = level.bucket_ms().unwrap_or(1);
        let parents: BTreeSet<HourKey> = touched
            .iter()
            .map(|&(station, element, start)| {
                (station, element, level.parent_of(Timestamp(start)).millis())
            })
            .collect();
        for &(station, element, start) in &parents {
            let aggregate =
                from_children(conn, station, element, level.finer(), start, start + width)?;
            write(conn, station, element, level, start, aggregate.as_ref())?;
        }
        touched = parents;
    }
    Ok(())
}

/// The merge of one series' `finer` buckets starting in `[start, end)`.
fn from_children(
    conn: &Connection,
    station: i64,
    element: u8,
    finer: Level,
    start: i64,
    end: i64,
) -> Result<Option<Aggregate>, StoreError> {
    let mut aggregate: Option<Aggregate> = None;
    for (_, child) in rows(conn, station, element, finer, start, end)? {
        match aggregate.as_mut() {
            Some(a) => a.merge(&child),
            None => aggregate = Some(child),
        }
    }
    Ok(aggregate)
}

/// The columns of a row after the series key, in table order (a macro, so that every query
/// is one literal the statement cache recognises without formatting a string per call).
macro_rules! columns {
    () => {
        "start, count, sum, min, min_at, max, max_at, first_at, first, last_at, last, sources, \
         p_count, p_sum, p_min, p_min_at, p_max, p_max_at, p_first_at, p_first, p_last_at, \
         p_last, p_sources"
    };
}

/// One series' rows of `level` with `start` in `[from, to)`, in time order.
pub fn rows(
    conn: &Connection,
    station: i64,
    element: u8,
    level: Level,
    from: i64,
    to: i64,
) -> Result<Vec<(Timestamp, Aggregate)>, StoreError> {
    let mut stmt = conn
        .prepare_cached(concat!(
            "SELECT ",
            columns!(),
            " FROM rollups
             WHERE station = ?1 AND element = ?2 AND level = ?3 AND start >= ?4 AND start < ?5
             ORDER BY start"
        ))
        .context("preparing rollup query")?;
    let rows = stmt
        .query_map(
            params![station, element, level.storage_id(), from, to],
            decode_row,
        )
        .context("querying rollups")?;
    rows.collect::<Result<_, _>>().context("reading rollups")
}

fn decode_row(row: &Row<'_>) -> rusqlite::Result<(Timestamp, Aggregate)> {
    let summary = |base: usize| -> rusqlite::Result<Summary> {
        Ok(Summary {
            count: row.get(base)?,
            sum: row.get(base + 1)?,
            min: row.get(base + 2)?,
            min_at: Timestamp(row.get(base + 3)?),
            max: row.get(base + 4)?,
            max_at: Timestamp(row.get(base + 5)?),
            first_at: Timestamp(row.get(base + 6)?),
            first: row.get(base + 7)?,
            last_at: Timestamp(row.get(base + 8)?),
            last: row.get(base + 9)?,
            sources: SourceSet::from_bits(row.get(base + 10)?),
        })
    };
    let all = summary(1)?;
    let passed_count: u32 = row.get(12)?;
    let passed = if passed_count == 0 {
        None
    } else {
        Some(summary(12)?)
    };
    Ok((Timestamp(row.get(0)?), Aggregate { all, passed }))
}

/// Stores one bucket, or removes it when nothing is left in it.
fn write(
    conn: &Connection,
    station: i64,
    element: u8,
    level: Level,
    start: i64,
    aggregate: Option<&Aggregate>,
) -> Result<(), StoreError> {
    let Some(aggregate) = aggregate else {
        conn.prepare_cached(
            "DELETE FROM rollups WHERE station = ?1 AND element = ?2 AND level = ?3 AND start = ?4",
        )
        .and_then(|mut s| s.execute(params![station, element, level.storage_id(), start]))
        .context("removing an empty rollup")?;
        return Ok(());
    };
    let a = &aggregate.all;
    let p = aggregate.passed.as_ref();
    conn.prepare_cached(concat!(
        "INSERT OR REPLACE INTO rollups (station, element, level, ",
        columns!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                   ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            station,
            element,
            level.storage_id(),
            start,
            a.count,
            a.sum,
            a.min,
            a.min_at.millis(),
            a.max,
            a.max_at.millis(),
            a.first_at.millis(),
            a.first,
            a.last_at.millis(),
            a.last,
            a.sources.bits(),
            p.map_or(0, |p| p.count),
            p.map(|p| p.sum),
            p.map(|p| p.min),
            p.map(|p| p.min_at.millis()),
            p.map(|p| p.max),
            p.map(|p| p.max_at.millis()),
            p.map(|p| p.first_at.millis()),
            p.map(|p| p.first),
            p.map(|p| p.last_at.millis()),
            p.map(|p| p.last),
            p.map(|p| p.sources.bits()),
        ])
    })
    .context("writing a rollup")?;
    Ok(())
}

/// Rebuilds every rollup from the stored values when the database's rollups are missing or of
/// another [`VERSION`] (a database from before rollups, or from a release with other levels).
/// Returns whether it rebuilt.
pub fn ensure_current(conn: &mut Connection) -> Result<bool, StoreError> {
    let version: Option<i64> = conn
        .query_row("SELECT version FROM rollup_state", [], |r| r.get(0))
        .optional()
        .context("reading rollup version")?;
    if version == Some(VERSION) {
        return Ok(false);
    }
    let tx = conn.transaction().context("starting rollup rebuild")?;
    tx.execute("DELETE FROM rollups", [])
        .context("clearing rollups")?;
    let mut hours = BTreeSet::new();
    {
        let mut stmt = tx
            .prepare("SELECT station, element, start, data FROM chunks")
            .context("preparing rollup rebuild")?;
        let mut rows = stmt.query([]).context("reading hours to roll up")?;
        while let Some(row) = rows.next().context("reading hours to roll up")? {
            let key: HourKey = (
                row.get(0).context("station")?,
                row.get(1).context("element")?,
                row.get(2).context("start")?,
            );
            let bytes: Vec<u8> = row.get(3).context("data")?;
            let chunk = Chunk::decode(Timestamp(key.2), &bytes)
                .map_err(|e| StoreError::Decode(e.to_string()))?;
            write_hour(&tx, key, chunk.aggregate().as_ref())?;
            hours.insert(key);
        }
    }
    refresh_above_hours(&tx, &hours)?;
    tx.execute("DELETE FROM rollup_state", [])
        .context("resetting rollup version")?;
    tx.execute("INSERT INTO rollup_state (version) VALUES (?1)", [VERSION])
        .context("recording rollup version")?;
    tx.commit().context("committing rollup rebuild")?;
    tracing::info!(hours = hours.len(), "rollups rebuilt from stored values");
    Ok(true)
}
