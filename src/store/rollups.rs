//! The pyramid in SQLite: per series, one row per bucket of every [`Level::ROLLUPS`] level,
//! kept in step with the values in the same transaction as the writes.
//!
//! An hour's row is computed from its chunk, which the writer has in memory anyway
//! ([`write_hour`]); each coarser bucket holding a written hour is then recomputed from its
//! children ([`refresh_above_hours`]). Recomputation rather than arithmetic on deltas stays
//! exact when a value is replaced or its QC flags change (a delta cannot "un-merge" a
//! minimum), and costs a few small index-range reads per touched bucket.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension as _, params};

use super::chunk::Chunk;
use super::{Context as _, StoreError};
use crate::domain::history::{Aggregate, Level, SourceSet, Summary};
use crate::domain::qc::QcFlags;
use crate::domain::time::Timestamp;

/// Schema of the rollup table: one row per series and bucket, its [`Aggregate`] encoded in
/// `summary` (see [`encode`]): one column to read per row keeps a year view well under a
/// millisecond.
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
/// rollups rebuilt from its values when it is opened.
pub const VERSION: i64 = 4;

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
        .prepare_cached(
            "SELECT start, summary FROM rollups
             WHERE station = ?1 AND element = ?2 AND level = ?3 AND start >= ?4 AND start < ?5
             ORDER BY start",
        )
        .context("preparing rollup query")?;
    let mut rows = stmt
        .query(params![station, element, level.storage_id(), from, to])
        .context("querying rollups")?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().context("reading rollups")? {
        let start: i64 = row.get(0).context("rollup start")?;
        let bytes = row
            .get_ref(1)
            .and_then(|v| v.as_blob().map_err(Into::into))
            .context("rollup summary")?;
        let aggregate = decode(bytes).ok_or_else(|| {
            StoreError::Decode(format!(
                "rollup of series {station}/{element} at {} does not decode",
                Timestamp(start)
            ))
        })?;
        out.push((Timestamp(start), aggregate));
    }
    Ok(out)
}

/// How many values are stored, from the daily rollups (a few hundred rows a year).
pub fn value_count(conn: &Connection) -> Result<u64, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT summary FROM rollups WHERE level = ?1")
        .context("preparing value count")?;
    let mut rows = stmt
        .query([Level::Day.storage_id()])
        .context("counting values")?;
    let mut count = 0u64;
    while let Some(row) = rows.next().context("counting values")? {
        let bytes: Vec<u8> = row.get(0).context("rollup summary")?;
        let aggregate = decode(&bytes)
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
                s.execute(params![station, element, level.storage_id(), start, encode(aggregate)])
            })
            .context("writing a rollup")?,
    };
    Ok(())
}

/// Bytes of one encoded [`Summary`].
const SUMMARY_BYTES: usize = 4 + 9 * 8 + 1;

/// The stored form of an aggregate: a tag, the tests that flagged any value (a byte), the
/// summary of every value, then — unless no value passed QC (tag 0) or every value did (tag
/// 1, the common case) — the summary of the values that passed (tag 2). Little-endian, fixed
/// width.
pub fn encode(aggregate: &Aggregate) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(2 + 2 * SUMMARY_BYTES);
    let tag = match &aggregate.passed {
        None => 0,
        Some(p) if p == &aggregate.all => 1,
        Some(_) => 2,
    };
    bytes.push(tag);
    bytes.push(aggregate.tests.bits());
    put_summary(&mut bytes, &aggregate.all);
    if let (2, Some(passed)) = (tag, &aggregate.passed) {
        put_summary(&mut bytes, passed);
    }
    bytes
}

/// The inverse of [`encode`]; `None` for bytes it did not write.
pub fn decode(bytes: &[u8]) -> Option<Aggregate> {
    let (&tag, rest) = bytes.split_first()?;
    let (&tests, rest) = rest.split_first()?;
    let all = get_summary(rest.get(..SUMMARY_BYTES)?)?;
    let passed = match tag {
        0 if rest.len() == SUMMARY_BYTES => None,
        1 if rest.len() == SUMMARY_BYTES => Some(all),
        2 if rest.len() == 2 * SUMMARY_BYTES => Some(get_summary(&rest[SUMMARY_BYTES..])?),
        _ => return None,
    };
    Some(Aggregate {
        all,
        passed,
        tests: QcFlags::from_bits(tests),
    })
}

fn put_summary(bytes: &mut Vec<u8>, s: &Summary) {
    bytes.extend_from_slice(&s.count.to_le_bytes());
    for float in [s.sum, s.min] {
        bytes.extend_from_slice(&float.to_le_bytes());
    }
    bytes.extend_from_slice(&s.min_at.millis().to_le_bytes());
    bytes.extend_from_slice(&s.max.to_le_bytes());
    bytes.extend_from_slice(&s.max_at.millis().to_le_bytes());
    bytes.extend_from_slice(&s.first_at.millis().to_le_bytes());
    bytes.extend_from_slice(&s.first.to_le_bytes());
    bytes.extend_from_slice(&s.last_at.millis().to_le_bytes());
    bytes.extend_from_slice(&s.last.to_le_bytes());
    bytes.push(s.sources.bits());
}

fn get_summary(bytes: &[u8]) -> Option<Summary> {
    if bytes.len() != SUMMARY_BYTES {
        return None;
    }
    let word = |i: usize| -> [u8; 8] {
        let mut w = [0; 8];
        w.copy_from_slice(&bytes[4 + 8 * i..12 + 8 * i]);
        w
    };
    let float = |i| f64::from_le_bytes(word(i));
    let time = |i| Timestamp(i64::from_le_bytes(word(i)));
    Some(Summary {
        count: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        sum: float(0),
        min: float(1),
        min_at: time(2),
        max: float(3),
        max_at: time(4),
        first_at: time(5),
        first: float(6),
        last_at: time(7),
        last: float(8),
        sources: SourceSet::from_bits(bytes[SUMMARY_BYTES - 1]),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Source;
    use crate::domain::history::Sample;
    use crate::domain::qc::{QcFlags, QcTest};

    #[test]
    fn aggregates_round_trip_in_their_three_shapes() {
        let clean = Aggregate::of(&Sample::live(Timestamp(60_000), 12.5));
        let flagged = Aggregate::of(&Sample {
            qc: QcFlags::PASSED.with(QcTest::Step),
            source: Source::Backfilled,
            ..Sample::live(Timestamp(120_000), -3.25)
        });
        let mut mixed = clean;
        mixed.merge(&flagged);
        for (aggregate, bytes) in [
            (clean, 2 + SUMMARY_BYTES),
            (flagged, 2 + SUMMARY_BYTES),
            (mixed, 2 + 2 * SUMMARY_BYTES),
        ] {
            let encoded = encode(&aggregate);
            assert_eq!(encoded.len(), bytes);
            assert_eq!(decode(&encoded), Some(aggregate));
        }
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&encode(&mixed)[..40]), None);
        assert_eq!(
            decode(&encode(&flagged)).map(|a| a.tests),
            Some(flagged.tests)
        );
        let mut bad_tag = encode(&clean);
        bad_tag[0] = 7;
        assert_eq!(decode(&bad_tag), None);
    }
}
