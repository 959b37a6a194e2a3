//! What a desk bootstraps from ([`crate::protocol::snapshot`]) and the change log's retention:
//! the snapshot's head read in one read transaction (so its cursor and its data agree), its
//! older parts, one series' hours on demand, and the bounded trimming of old changes.
//!
//! Chunks travel as stored: their bytes are copied out of the `chunks` rows without decoding.

use rusqlite::{Connection, params};

use super::{SqliteCentralStore, ingest, schema};
use crate::domain::history::Level;
use crate::domain::time::Timestamp;
use crate::domain::{Element, StationId};
use crate::protocol::NetworkDto;
use crate::protocol::feed::{Base64Bytes, ChunkDto, Cursor, SeriesHour};
use crate::protocol::history::MaintenanceDto;
use crate::protocol::snapshot::{self, RollupSeries, SnapshotHead};
use crate::store::{Context as _, StoreError, maintenance, rollups};

/// What one pass of [`SnapshotStore::trim_change_log`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trimmed {
    /// Changes deleted.
    pub deleted: usize,
    /// The oldest change kept (`None`: the log is empty).
    pub oldest: Option<u64>,
}

/// Snapshots for desks and the change log's retention.
pub trait SnapshotStore {
    /// The snapshot's head at `now` (see [`SnapshotHead`]), read in one read transaction.
    fn snapshot_head(&self, now: Timestamp) -> Result<SnapshotHead, StoreError>;

    /// The stored hours starting in `[from, to)`, newest first: of one series, or of every
    /// series when `series` is `None`. `None` when the station is not in the network.
    fn chunks_between(
        &self,
        series: Option<(&StationId, Element)>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Option<Vec<ChunkDto>>, StoreError>;

    /// Every series' daily rollups with bucket starts in `[from, to)`.
    fn daily_rollups(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RollupSeries>, StoreError>;

    /// The oldest change still in the log (`None`: the log is empty).
    fn oldest_change(&self) -> Result<Option<u64>, StoreError>;

    /// Deletes up to `batch` of the oldest changes recorded before `before`, in one short
    /// write transaction; never the newest change (the head a cursor counts from).
    fn trim_change_log(&self, before: Timestamp, batch: usize) -> Result<Trimmed, StoreError>;
}

impl SnapshotStore for SqliteCentralStore {
    fn snapshot_head(&self, now: Timestamp) -> Result<SnapshotHead, StoreError> {
        self.read(|conn| {
            let head = ingest::head(conn)?;
            let recent_from = snapshot::recent_from(now);
            let network = schema::read_network(conn)?;
            let chunks = every_series_chunks(conn, recent_from, Timestamp(i64::MAX))?;
            Ok(SnapshotHead {
                cursor: Cursor::from_seq(head),
                instance: schema::instance(conn)?,
                taken_at: now,
                full_from: snapshot::full_from(now),
                recent_from,
                network: NetworkDto::from(&network),
                maintenance: maintenance::list(conn, None)?
                    .iter()
                    .map(MaintenanceDto::from)
                    .collect(),
                warnings: super::warnings::all(conn)?,
                oldest: oldest_hour(conn)?,
                chunks,
            })
        })
    }

    fn chunks_between(
        &self,
        series: Option<(&StationId, Element)>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Option<Vec<ChunkDto>>, StoreError> {
        self.read(|conn| match series {
            None => every_series_chunks(conn, from, to).map(Some),
            Some((station, element)) => {
                if !schema::station_exists(conn, station)? {
                    return Ok(None);
                }
                let Some(key) = crate::store::observations::existing_station_key(conn, station)?
                else {
                    return Ok(Some(Vec::new()));
                };
                let mut out = Vec::new();
                series_chunks(conn, (key, station), element, from, to, &mut out)?;
                Ok(Some(out))
            }
        })
    }

    fn daily_rollups(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RollupSeries>, StoreError> {
        self.read(|conn| {
            let mut out = Vec::new();
            for (key, station) in station_keys(conn)? {
                for element in Element::ALL {
                    let level = Level::Day;
                    let rows = rollups::rows(
                        conn,
                        key,
                        element.storage_id(),
                        level,
                        from.millis(),
                        to.millis(),
                    )?;
                    if rows.is_empty() {
                        continue;
                    }
                    let encoded: Vec<(Timestamp, Vec<u8>)> = rows
                        .iter()
                        .map(|(t, a)| (*t, rollups::encode(a, *t)))
                        .collect();
                    out.push(snapshot::rollup_series(&station, element, level, &encoded));
                }
            }
            Ok(out)
        })
    }

    fn oldest_change(&self) -> Result<Option<u64>, StoreError> {
        self.read(oldest_change)
    }

    fn trim_change_log(&self, before: Timestamp, batch: usize) -> Result<Trimmed, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting change-log trim")?;
        let deleted = trim(&tx, before, batch)?;
        let oldest = oldest_change(&tx)?;
        tx.commit().context("committing change-log trim")?;
        Ok(Trimmed { deleted, oldest })
    }
}

/// The start of the oldest stored hour of any series (series by series, along the primary
/// key).
fn oldest_hour(conn: &Connection) -> Result<Option<Timestamp>, StoreError> {
    let mut oldest: Option<i64> = None;
    let mut stmt = conn
        .prepare_cached("SELECT min(start) FROM chunks WHERE station = ?1 AND element = ?2")
        .context("preparing the oldest hour")?;
    for (key, _) in station_keys(conn)? {
        for element in Element::ALL {
            let start: Option<i64> = stmt
                .query_row(params![key, element.storage_id()], |r| r.get(0))
                .context("reading the oldest hour")?;
            oldest = match (oldest, start) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    Ok(oldest.map(Timestamp))
}

/// The oldest `seq` in the log.
fn oldest_change(conn: &Connection) -> Result<Option<u64>, StoreError> {
    conn.prepare_cached("SELECT min(seq) FROM change_log")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, Option<i64>>(0)))
        .map(|seq| seq.map(ingest::seq_from_sql))
        .context("reading the oldest change")
}

/// Deletes the longest run of oldest changes (at most `batch`) recorded before `before`,
/// stopping at the first newer one, so what remains is always a gap-free suffix of the log;
/// the head is never deleted. Reads only along the primary key.
fn trim(conn: &Connection, before: Timestamp, batch: usize) -> Result<usize, StoreError> {
    let head = i64::try_from(ingest::head(conn)?).unwrap_or(i64::MAX);
    let limit = i64::try_from(batch).unwrap_or(i64::MAX);
    let oldest: Vec<(i64, i64)> = conn
        .prepare_cached(
            "SELECT seq, recorded_at FROM change_log WHERE seq < ?1 ORDER BY seq LIMIT ?2",
        )
        .and_then(|mut s| {
            s.query_map(params![head, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .context("reading the oldest changes")?;
    let last = oldest
        .iter()
        .take_while(|&&(_, at)| at < before.millis())
        .last()
        .map(|&(seq, _)| seq);
    let Some(last) = last else {
        return Ok(0);
    };
    let deleted = conn
        .prepare_cached("DELETE FROM change_log WHERE seq <= ?1")
        .and_then(|mut s| s.execute([last]))
        .context("deleting old changes")?;
    Ok(deleted)
}

/// Every station with a storage key: `(key, id)`.
fn station_keys(conn: &Connection) -> Result<Vec<(i64, StationId)>, StoreError> {
    let rows: Vec<(i64, String)> = conn
        .prepare_cached("SELECT key, id FROM station_keys ORDER BY id")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .context("listing station keys")?;
    rows.into_iter()
        .map(|(key, id)| {
            StationId::parse(&id)
                .map(|id| (key, id))
                .map_err(|e| StoreError::Decode(e.to_string()))
        })
        .collect()
}

/// Every series' hours starting in `[from, to)`, newest first (series by series along the
/// primary key: a range over `start` alone would scan the table).
fn every_series_chunks(
    conn: &Connection,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<ChunkDto>, StoreError> {
    let mut out = Vec::new();
    for (key, station) in station_keys(conn)? {
        for element in Element::ALL {
            series_chunks(conn, (key, &station), element, from, to, &mut out)?;
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.hour.start));
    Ok(out)
}

/// One series' hours starting in `[from, to)`, appended to `out` newest first.
fn series_chunks(
    conn: &Connection,
    (key, station): (i64, &StationId),
    element: Element,
    from: Timestamp,
    to: Timestamp,
    out: &mut Vec<ChunkDto>,
) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT start, data FROM chunks
             WHERE station = ?1 AND element = ?2 AND start >= ?3 AND start < ?4
             ORDER BY start DESC",
        )
        .context("preparing an hours read")?;
    let rows = stmt
        .query_map(
            params![key, element.storage_id(), from.millis(), to.millis()],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )
        .context("reading hours")?;
    for row in rows {
        let (start, data) = row.context("reading an hour")?;
        out.push(ChunkDto {
            hour: SeriesHour {
                station: station.to_string(),
                element,
                start: Timestamp(start),
            },
            data: Base64Bytes(data),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
