//! The pyramid in SQLite: per series, one row per bucket of every [`Level::ROLLUPS`] level,
//! kept in step with the values in the same transaction as the writes.
//!
//! An hour's aggregate lives in its chunk's row (`chunks.summary`), computed from the chunk the
//! writer has in memory anyway; the `rollups` table holds the coarser levels. Each coarser
//! bucket holding a written hour is recomputed from its children ([`refresh_above_hours`]). Recomputation rather than arithmetic on deltas stays
//! exact when a value is replaced or its QC flags change (a delta cannot "un-merge" a
//! minimum), and costs a few small index-range reads per touched bucket.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Context as _, StoreError};
use crate::domain::history::{Aggregate, Level};
use crate::domain::time::Timestamp;

mod summary;

pub use summary::{decode, encode};

/// Schema of the rollup table: one row per series and bucket, its [`Aggregate`] encoded in
/// `summary` (see [`encode`]): one column to read per row keeps a year view well under a
/// millisecond. Since the hour's aggregate moved into the chunk row, hours are not stored here.
pub const SCHEMA: &str = "
CREATE TABLE rollups (
    station  INTEGER NOT NULL,
    element  INTEGER NOT NULL,
    level    INTEGER NOT NULL,            -- domain::history::Level::storage_id
    start    INTEGER NOT NULL,            -- bucket start, Unix ms, aligned in Beijing time
    summary  BLOB    NOT NULL,            -- store::rollups::encode
    PRIMARY KEY (station, element, level, start)
) WITHOUT ROWID;
CREATE TABLE rollup_state (version INTEGER NOT NULL);
";

/// Bumped whenever levels or the row's meaning change: a database at another version has its
/// rollups rebuilt from its hours when it is opened. 5: hours in the chunk rows, compact
/// summaries.
pub const VERSION: i64 = 5;

/// A series' hour: `(station key, element id, chunk start)`.
pub type HourKey = (i64, u8, i64);

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

/// One series' rows of `level` with `start` in `[from, to)`, in time order.
pub fn rows(
    conn: &Connection,
    station: i64,
    element: u8,
    level: Level,
    from: i64,
    to: i64,
) -> Result<Vec<(Timestamp, Aggregate)>, StoreError> {
    let mut out = Vec::new();
    for_rows(
        conn,
        (station, element),
        level,
        (from, to),
        |start, aggregate| {
            out.push((start, aggregate));
            Ok(())
        },
    )?;
    Ok(out)
}

/// Calls `each` with one series' rows of `level` with `start` in `[from, to)`, in time order:
/// hours from the chunk rows, coarser levels from the rollup table.
fn for_rows(
    conn: &Connection,
    (station, element): (i64, u8),
    level: Level,
    (from, to): (i64, i64),
    mut each: impl FnMut(Timestamp, Aggregate) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    // Hours live in the chunk rows (a chunk is an hourly bucket), coarser levels here.
    let (sql, level_id) = match level {
        Level::Hour => (
            "SELECT start, summary FROM chunks
             WHERE station = ?1 AND element = ?2 AND start >= ?3 AND start < ?4
               AND summary IS NOT NULL
             ORDER BY start",
            None,
        ),
        _ => (
            "SELECT start, summary FROM rollups
             WHERE station = ?1 AND element = ?2 AND start >= ?3 AND start < ?4 AND level = ?5
             ORDER BY start",
            Some(level.storage_id()),
        ),
    };
    let mut stmt = conn.prepare_cached(sql).context("preparing rollup query")?;
    let mut rows = match level_id {
        None => stmt.query(params![station, element, from, to]),
        Some(id) => stmt.query(params![station, element, from, to, id]),
    }
    .context("querying rollups")?;
    while let Some(row) = rows.next().context("reading rollups")? {
        let start: i64 = row.get(0).context("rollup start")?;
        let bytes = row
            .get_ref(1)
            .and_then(|v| v.as_blob().map_err(Into::into))
            .context("rollup summary")?;
        let aggregate = decode(bytes, Timestamp(start)).ok_or_else(|| {
            StoreError::Decode(format!(
                "rollup of series {station}/{element} at {} does not decode",
                Timestamp(start)
            ))
        })?;
        each(Timestamp(start), aggregate)?;
    }
    Ok(())
}

/// How many values are stored, from the daily rollups (a few hundred rows a year).
pub fn value_count(conn: &Connection) -> Result<u64, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT start, summary FROM rollups WHERE level = ?1")
        .context("preparing value count")?;
    let mut rows = stmt
        .query([Level::Day.storage_id()])
        .context("counting values")?;
    let mut count = 0u64;
    while let Some(row) = rows.next().context("counting values")? {
        let start: i64 = row.get(0).context("rollup start")?;
        let bytes: Vec<u8> = row.get(1).context("rollup summary")?;
        let aggregate = decode(&bytes, Timestamp(start))
            .ok_or_else(|| StoreError::Decode("a daily rollup does not decode".into()))?;
        count += u64::from(aggregate.all.count);
    }
    Ok(count)
}

/// Stores one bucket, or removes it when nothing is left in it.
pub fn write(
    conn: &Connection,
    station: i64,
    element: u8,
    level: Level,
    start: i64,
    aggregate: Option<&Aggregate>,
) -> Result<(), StoreError> {
    match aggregate {
        None => conn
            .prepare_cached(
                "DELETE FROM rollups WHERE station = ?1 AND element = ?2 AND level = ?3 AND start = ?4",
            )
            .and_then(|mut s| s.execute(params![station, element, level.storage_id(), start]))
            .context("removing an empty rollup")?,
        Some(aggregate) => conn
            .prepare_cached(
                "INSERT OR REPLACE INTO rollups (station, element, level, start, summary)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                let summary = encode(aggregate, Timestamp(start));
                s.execute(params![station, element, level.storage_id(), start, summary])
            })
            .context("writing a rollup")?,
    };
    Ok(())
}

/// Rebuilds the coarser rollups from the hours' aggregates when the database's rollups are
/// missing or of another [`VERSION`] (a database from before rollups, or from a release with
/// other levels or encodings). Streams series by series, so memory stays small whatever the
/// database's size. Returns whether it rebuilt.
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
    let series: Vec<(i64, u8)> = tx
        .prepare("SELECT DISTINCT station, element FROM chunks ORDER BY station, element")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()
        })
        .context("listing series to roll up")?;
    for &key in &series {
        for level in Level::ROLLUPS.into_iter().skip(1) {
            rebuild_level(&tx, key, level)?;
        }
    }
    tx.execute("DELETE FROM rollup_state", [])
        .context("resetting rollup version")?;
    tx.execute("INSERT INTO rollup_state (version) VALUES (?1)", [VERSION])
        .context("recording rollup version")?;
    tx.commit().context("committing rollup rebuild")?;
    tracing::info!(series = series.len(), "rollups rebuilt from the hours");
    Ok(true)
}

/// Writes every bucket of `level` of one series from its children, read in time order: a
/// bucket is written when the first child of the next one arrives.
fn rebuild_level(conn: &Connection, series: (i64, u8), level: Level) -> Result<(), StoreError> {
    let (station, element) = series;
    let mut open: Option<(i64, Aggregate)> = None;
    for_rows(
        conn,
        series,
        level.finer(),
        (i64::MIN, i64::MAX),
        |start, child| {
            let parent = level.parent_of(start).millis();
            match open.as_mut() {
                Some((bucket, aggregate)) if *bucket == parent => aggregate.merge(&child),
                _ => {
                    if let Some((bucket, aggregate)) = open.replace((parent, child)) {
                        write(conn, station, element, level, bucket, Some(&aggregate))?;
                    }
                }
            }
            Ok(())
        },
    )?;
    if let Some((bucket, aggregate)) = open {
        write(conn, station, element, level, bucket, Some(&aggregate))?;
    }
    Ok(())
}
