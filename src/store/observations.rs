//! Observations as the central's database and the console cache both keep them: per series
//! (station × element) one row per hour holding its values ([`Chunk`]) and its aggregate,
//! beside the rollups of coarser levels ([`super::rollups`]). Stations are stored by a small integer key to keep rows short.
//!
//! All writes go through a [`Writer`], which loads each hour it touches once, applies every
//! value of the batch to it in memory, and writes it back with its rollups at
//! [`Writer::finish`]: a batch costs a few rows per hour per series, however many values it
//! holds.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::{Connection, OptionalExtension as _, params};

use super::chunk::{Chunk, ChunkError, Write, chunk_of};
use super::rollups;
use super::{Context as _, StoreError};
use crate::domain::history::Sample;
use crate::domain::qc::{QcFlags, QcMark};
use crate::domain::{Element, Observation, Source, StationId, Timestamp};

mod convert;

pub use convert::{convert_chunks, convert_legacy, upgrade};

/// The first schema of the observation tables (one row per value), kept because released
/// databases were created with it; [`convert_legacy`] moves its rows into chunks.
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

/// Schema of the hourly chunks: one row per series and hour (`start` as in
/// [`super::chunk::chunk_of`]), the values in `data`.
pub const CHUNKS_SCHEMA: &str = "
CREATE TABLE chunks (
    station INTEGER NOT NULL REFERENCES station_keys(key),
    element INTEGER NOT NULL,             -- domain::Element::storage_id
    start   INTEGER NOT NULL,             -- Unix ms: values stamped in (start, start + 1 h]
    data    BLOB    NOT NULL,             -- store::chunk encoding
    PRIMARY KEY (station, element, start)
) WITHOUT ROWID;
";

/// The hour's aggregate moves into its chunk's row (`summary`, [`rollups::encode`]); the
/// rollup table keeps the coarser levels. Rows of older releases have no summary yet and
/// version-1 data: [`convert_chunks`] rewrites them on open, and the coarser rollups are
/// rebuilt ([`rollups::VERSION`]).
pub const HOUR_IN_CHUNKS: &str = "
ALTER TABLE chunks ADD COLUMN summary BLOB;  -- store::rollups::encode; NULL until converted
DELETE FROM rollups WHERE level = 2;         -- domain::history::Level::Hour
DELETE FROM rollup_state;
";

/// What storing one value did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueOutcome {
    /// Stored: it was not there before, or (when replacing) it differed.
    New,
    /// The same value was already stored: nothing changed.
    Duplicate,
    /// A different value is stored for this instant and was kept.
    Conflict {
        /// The value already stored.
        stored: f64,
    },
}

/// How a [`Writer`] treats a value already stored for the same station, element and instant.
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

/// Every station with a storage key: `(key, id)`.
fn station_keys(conn: &Connection) -> Result<Vec<(i64, StationId)>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT key, id FROM station_keys ORDER BY id")
        .context("preparing station keys")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .context("listing station keys")?
        .collect::<Result<Vec<_>, _>>()
        .context("reading station keys")?;
    rows.into_iter()
        .map(|(key, id)| {
            Ok((
                key,
                StationId::parse(&id).map_err(|e| StoreError::Decode(e.to_string()))?,
            ))
        })
        .collect()
}

/// A series' hour, as a key: `(station key, element id, chunk start)`.
type ChunkKey = (i64, u8, i64);

/// An hour loaded for writing.
#[derive(Debug)]
struct Loaded {
    chunk: Chunk,
    changed: bool,
}

/// Writes observations and their QC flags inside the caller's transaction, and keeps the
/// rollups in step: call [`Writer::finish`] before committing (or [`Writer::flush`] before
/// reading what was written through the connection).
#[derive(Debug)]
pub struct Writer<'c> {
    conn: &'c Connection,
    /// Station keys looked up so far: a batch names the same few stations thousands of times.
    keys: HashMap<StationId, i64>,
    /// Every hour touched, as it is now.
    chunks: HashMap<ChunkKey, Loaded>,
    /// Hours written so far (their coarser rollups are refreshed at the end).
    written: BTreeSet<ChunkKey>,
}

impl<'c> Writer<'c> {
    /// A writer on `conn` (inside a transaction, for batches).
    pub fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            keys: HashMap::new(),
            chunks: HashMap::new(),
            written: BTreeSet::new(),
        }
    }

    /// The connection written to.
    pub fn conn(&self) -> &'c Connection {
        self.conn
    }

    fn key(&mut self, station: &StationId, create: bool) -> Result<Option<i64>, StoreError> {
        if let Some(&key) = self.keys.get(station) {
            return Ok(Some(key));
        }
        let key = if create {
            Some(station_key(self.conn, station)?)
        } else {
            existing_station_key(self.conn, station)?
        };
        if let Some(key) = key {
            self.keys.insert(station.clone(), key);
        }
        Ok(key)
    }

    fn chunk(&mut self, key: ChunkKey) -> Result<&mut Loaded, StoreError> {
        if !self.chunks.contains_key(&key) {
            let chunk = read_chunk(self.conn, key)?.unwrap_or_default();
            self.chunks.insert(
                key,
                Loaded {
                    chunk,
                    changed: false,
                },
            );
        }
        self.chunks
            .get_mut(&key)
            .ok_or_else(|| StoreError::Decode("chunk vanished from the writer".into()))
    }

    /// Stores an observation's values, each with its QC flags from `qc` (passed when absent);
    /// returns what happened to each value.
    pub fn insert(
        &mut self,
        obs: &Observation,
        on_conflict: OnConflict,
        qc: &BTreeMap<Element, QcFlags>,
    ) -> Result<Vec<(Element, ValueOutcome)>, StoreError> {
        let key = self.key(&obs.station, true)?.unwrap_or_default();
        let start = chunk_of(obs.time).millis();
        let mut outcomes = Vec::with_capacity(obs.values.len());
        for (&element, &value) in &obs.values {
            let sample = Sample {
                time: obs.time,
                value,
                source: obs.source,
                qc: qc.get(&element).copied().unwrap_or_default(),
            };
            let loaded = self.chunk((key, element.storage_id(), start))?;
            let outcome = match loaded
                .chunk
                .write(sample, on_conflict == OnConflict::Replace)
            {
                Write::Added | Write::Replaced => {
                    loaded.changed = true;
                    ValueOutcome::New
                }
                Write::Same => ValueOutcome::Duplicate,
                Write::Kept { stored } => ValueOutcome::Conflict { stored },
            };
            outcomes.push((element, outcome));
        }
        Ok(outcomes)
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
        let Some(key) = self.key(station, false)? else {
            return Ok(false);
        };
        let loaded = self.chunk((key, element.storage_id(), chunk_of(time).millis()))?;
        let changed = loaded.chunk.set_qc(time, flags);
        loaded.changed |= changed;
        Ok(changed)
    }

    /// Replaces one hour of a series with `chunk` (empty: the hour holds nothing any more), as
    /// the console's copy follows the central's; returns the hour as it was.
    pub fn replace_hour(
        &mut self,
        station: &StationId,
        element: Element,
        start: Timestamp,
        chunk: Chunk,
    ) -> Result<Chunk, StoreError> {
        let key = self.key(station, true)?.unwrap_or_default();
        let loaded = self.chunk((
            key,
            element.storage_id(),
            chunk_of(start.plus_ms(1)).millis(),
        ))?;
        let before = std::mem::replace(&mut loaded.chunk, chunk);
        loaded.changed |= before != loaded.chunk;
        Ok(before)
    }

    /// Every hour written so far (by [`Writer::flush`]): what the central's change log names.
    pub fn written_hours(&self) -> Vec<(StationId, Element, Timestamp)> {
        let ids: HashMap<i64, &StationId> = self.keys.iter().map(|(id, &k)| (k, id)).collect();
        self.written
            .iter()
            .filter_map(|&(key, element, start)| {
                let station = (*ids.get(&key)?).clone();
                Some((
                    station,
                    Element::from_storage_id(element)?,
                    Timestamp(start),
                ))
            })
            .collect()
    }

    /// Writes every changed hour with its aggregate, so reads through the connection see
    /// them; the hours stay loaded for further writes.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        for (&key, loaded) in self.chunks.iter_mut().filter(|(_, l)| l.changed) {
            write_chunk(self.conn, key, &loaded.chunk)?;
            loaded.changed = false;
            self.written.insert(key);
        }
        Ok(())
    }

    /// Writes everything and brings the coarser rollups up to date. Returns how many hours
    /// were written.
    pub fn finish(mut self) -> Result<usize, StoreError> {
        self.flush()?;
        rollups::refresh_above_hours(self.conn, &self.written)?;
        Ok(self.written.len())
    }
}

fn chunk_error(key: ChunkKey) -> impl Fn(ChunkError) -> StoreError {
    move |e| {
        StoreError::Decode(format!(
            "series {}/{} at {}: {e}",
            key.0,
            key.1,
            Timestamp(key.2)
        ))
    }
}

fn element_of(key: ChunkKey) -> Result<Element, StoreError> {
    Element::from_storage_id(key.1)
        .ok_or_else(|| StoreError::Decode(format!("series {}/{}: unknown element", key.0, key.1)))
}

/// One stored hour, if there is one.
fn read_chunk(conn: &Connection, key: ChunkKey) -> Result<Option<Chunk>, StoreError> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT data FROM chunks WHERE station = ?1 AND element = ?2 AND start = ?3",
        )
        .and_then(|mut s| {
            s.query_row(params![key.0, key.1, key.2], |r| r.get(0))
                .optional()
        })
        .context("reading an hour of values")?;
    let element = element_of(key)?;
    bytes
        .map(|b| Chunk::decode(Timestamp(key.2), element, &b).map_err(chunk_error(key)))
        .transpose()
}

/// The stored bytes of one hour of a series (`None`: the hour holds nothing), as the change
/// feed carries them to desks.
pub fn hour_bytes(
    conn: &Connection,
    station: &StationId,
    element: Element,
    start: Timestamp,
) -> Result<Option<Vec<u8>>, StoreError> {
    conn.prepare_cached(
        "SELECT data FROM chunks
         WHERE station = (SELECT key FROM station_keys WHERE id = ?1) AND element = ?2 AND start = ?3",
    )
    .and_then(|mut s| {
        s.query_row(
            params![station.as_str(), element.storage_id(), start.millis()],
            |r| r.get(0),
        )
        .optional()
    })
    .context("reading an hour's bytes")
}

/// Decodes an hour's bytes as [`hour_bytes`] reads them (and the feed carries them).
pub fn decode_hour(start: Timestamp, element: Element, bytes: &[u8]) -> Result<Chunk, StoreError> {
    Chunk::decode(start, element, bytes)
        .map_err(|e| StoreError::Decode(format!("{element} hour at {start}: {e}")))
}

/// Stores one hour with its aggregate, or removes its row when it holds nothing.
fn write_chunk(conn: &Connection, key: ChunkKey, chunk: &Chunk) -> Result<(), StoreError> {
    let Some(aggregate) = chunk.aggregate() else {
        conn.prepare_cached(
            "DELETE FROM chunks WHERE station = ?1 AND element = ?2 AND start = ?3",
        )
        .and_then(|mut s| s.execute(params![key.0, key.1, key.2]))
        .context("removing an emptied hour")?;
        return Ok(());
    };
    let data = chunk.encode(Timestamp(key.2), element_of(key)?);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO chunks (station, element, start, data, summary)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| {
        let summary = rollups::encode(&aggregate, Timestamp(key.2));
        s.execute(params![key.0, key.1, key.2, data, summary])
    })
    .context("writing an hour of values")?;
    Ok(())
}

/// Calls `each` with every stored hour of one series whose values may fall in `(after,
/// until]`, in time order.
fn for_chunks(
    conn: &Connection,
    key: i64,
    element: Element,
    after: Timestamp,
    until: Timestamp,
    mut each: impl FnMut(Chunk) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    if until <= after {
        return Ok(());
    }
    let first = chunk_of(after.plus_ms(1)).millis();
    let last = chunk_of(until).millis();
    let mut stmt = conn
        .prepare_cached(
            "SELECT start, data FROM chunks
             WHERE station = ?1 AND element = ?2 AND start >= ?3 AND start <= ?4 ORDER BY start",
        )
        .context("preparing a series read")?;
    let mut rows = stmt
        .query(params![key, element.storage_id(), first, last])
        .context("reading a series")?;
    while let Some(row) = rows.next().context("reading a series")? {
        let start: i64 = row.get(0).context("chunk start")?;
        let bytes: &[u8] = row
            .get_ref(1)
            .and_then(|v| v.as_blob().map_err(Into::into))
            .context("chunk data")?;
        let chunk = Chunk::decode(Timestamp(start), element, bytes).map_err(chunk_error((
            key,
            element.storage_id(),
            start,
        )))?;
        each(chunk)?;
    }
    Ok(())
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
    let mut out = Vec::new();
    for_chunks(conn, key, element, after, until, |chunk| {
        out.extend(
            chunk
                .samples()
                .iter()
                .filter(|s| s.time > after && s.time <= until),
        );
        Ok(())
    })?;
    Ok(out)
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
    let until = before.plus_ms(-1);
    for &element in elements {
        let mut found = false;
        for_chunks(conn, key, element, after, until, |chunk| {
            found |= chunk
                .samples()
                .iter()
                .any(|s| s.time > after && s.time <= until);
            Ok(())
        })?;
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
    Ok(samples(conn, station, element, from.plus_ms(-1), to)?
        .into_iter()
        .map(|s| (s.time, s.value))
        .collect())
}

/// Newest `(time, value)` per element, per station.
pub type LatestValues = BTreeMap<StationId, BTreeMap<Element, (Timestamp, f64)>>;

/// The newest value of every element at every station: one index probe per station and
/// element (the newest hour), a few hundred in all.
pub fn latest(conn: &Connection) -> Result<LatestValues, StoreError> {
    let mut latest = LatestValues::new();
    let mut stmt = conn
        .prepare_cached(
            "SELECT start, data FROM chunks WHERE station = ?1 AND element = ?2
             ORDER BY start DESC LIMIT 1",
        )
        .context("preparing latest query")?;
    for (key, id) in station_keys(conn)? {
        for element in Element::ALL {
            let row: Option<(i64, Vec<u8>)> = stmt
                .query_row(params![key, element.storage_id()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .context("querying latest")?;
            let Some((start, bytes)) = row else { continue };
            let chunk = Chunk::decode(Timestamp(start), element, &bytes).map_err(chunk_error((
                key,
                element.storage_id(),
                start,
            )))?;
            if let Some(newest) = chunk.samples().last() {
                latest
                    .entry(id.clone())
                    .or_default()
                    .insert(element, (newest.time, newest.value));
            }
        }
    }
    Ok(latest)
}

/// Every observation with `time >= from`, grouped back into per-instant observations in time
/// order (then by station), with the flags of the values that failed a test: what a console
/// loads at start-up to fill its live charts and judge its suggestions. Each
/// observation's source is that of its values (the first one read, should they differ).
pub fn since(
    conn: &Connection,
    from: Timestamp,
) -> Result<(Vec<Observation>, Vec<QcMark>), StoreError> {
    let mut grouped: BTreeMap<(Timestamp, StationId), (Source, BTreeMap<Element, f64>)> =
        BTreeMap::new();
    let mut failed = Vec::new();
    let until = Timestamp(i64::MAX / 2);
    for (key, id) in station_keys(conn)? {
        for element in Element::ALL {
            for_chunks(conn, key, element, from.plus_ms(-1), until, |chunk| {
                for s in chunk.samples().iter().filter(|s| s.time >= from) {
                    if !s.qc.passed() {
                        failed.push(QcMark {
                            station: id.clone(),
                            element,
                            time: s.time,
                            flags: s.qc,
                        });
                    }
                    grouped
                        .entry((s.time, id.clone()))
                        .or_insert_with(|| (s.source, BTreeMap::new()))
                        .1
                        .insert(element, s.value);
                }
                Ok(())
            })?;
        }
    }
    let observations = grouped
        .into_iter()
        .map(|((time, station), (source, values))| Observation {
            station,
            time,
            source,
            values,
        })
        .collect();
    Ok((observations, failed))
}

/// Every stored value with its station and element, ordered by station id, element and
/// time: for diagnostics and for tests that compare two databases.
pub fn every_value(conn: &Connection) -> Result<Vec<(StationId, Element, Sample)>, StoreError> {
    let mut out = Vec::new();
    let mut elements = Element::ALL;
    elements.sort_by_key(|e| e.storage_id());
    for (key, id) in station_keys(conn)? {
        for element in elements {
            let (from, to) = (Timestamp(i64::MIN / 2), Timestamp(i64::MAX / 2));
            for_chunks(conn, key, element, from, to, |chunk| {
                out.extend(chunk.samples().iter().map(|s| (id.clone(), element, *s)));
                Ok(())
            })?;
        }
    }
    Ok(out)
}

/// Stores one observation's values without QC flags, with its rollups: for single writes
/// and tests; batches use one [`Writer`].
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

#[cfg(test)]
mod tests;
