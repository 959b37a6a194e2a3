//! Installing a snapshot of the central into the cache, and the periods the cache holds only
//! as rollups.
//!
//! ```text
//! begin_snapshot   empty the cache; network, maintenance, the newest hours; every series
//!                  "rollups only" before full_from; no cursor yet
//! install_hours    older hours (recent first)          ┐ parts, each its own transaction
//! install_rollups  daily rollups before full_from      ┘
//! finish_snapshot  the cursor: sync follows the log from here
//! fill_hours       a rollups-only period fetched on demand: hours in, period out
//! ```
//!
//! A desk stopped mid-bootstrap has no cursor, so it bootstraps again. Hours arrive as the
//! central stores them (`store::chunk` bytes) and are written through the observation
//! [`Writer`], which keeps every rollup level in step; daily rollups before `full_from` are
//! written as they come, with nothing finer under them.

use rusqlite::{Connection, params};

use super::{CURSOR_KEY, CacheDb, INSTANCE_KEY};
use crate::domain::history::{Aggregate, Level, Sample};
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::{Element, Network, Observation, StationId, Timestamp};
use crate::store::chunk::Chunk;
use crate::store::observations::{OnConflict, Writer, station_key};
use crate::store::{Context as _, StoreError, maintenance, rollups};

/// Schema of the periods a cache holds only as rollups: per series, `[from_ms, to_ms)`.
pub const SCHEMA: &str = "
CREATE TABLE rollups_only (
    station TEXT    NOT NULL,
    element INTEGER NOT NULL,            -- domain::Element::storage_id
    from_ms INTEGER NOT NULL,
    to_ms   INTEGER NOT NULL,
    PRIMARY KEY (station, element, from_ms)
) WITHOUT ROWID;
";

/// One stored hour as the central sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHour {
    /// Station.
    pub station: StationId,
    /// Element.
    pub element: Element,
    /// The chunk's start.
    pub start: Timestamp,
    /// `store::chunk` bytes.
    pub data: Vec<u8>,
}

/// A snapshot's head, in domain terms.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotStart<'a> {
    /// The central's identity.
    pub instance: &'a str,
    /// The network.
    pub network: &'a Network,
    /// Every maintenance window.
    pub maintenance: &'a [MaintenanceWindow],
    /// Every warning record.
    pub warnings: &'a [super::warnings::SyncedWarning],
    /// Before this, the snapshot moves daily rollups only.
    pub full_from: Timestamp,
    /// The newest hours.
    pub hours: &'a [StoredHour],
}

/// One series' rollups of one level.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRollups {
    /// Station.
    pub station: StationId,
    /// Element.
    pub element: Element,
    /// Level.
    pub level: Level,
    /// `(bucket start, aggregate)`.
    pub rows: Vec<(Timestamp, Aggregate)>,
}

/// A period one series is held only as rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupsOnly {
    /// Start, inclusive.
    pub from: Timestamp,
    /// End, exclusive.
    pub to: Timestamp,
}

impl CacheDb {
    /// Empties the cache and installs a snapshot's head (see the module doc). The cursor is
    /// set by [`CacheDb::finish_snapshot`] once every part is in.
    pub fn begin_snapshot(&mut self, start: &SnapshotStart<'_>) -> Result<(), StoreError> {
        let tx = self.conn.transaction().context("starting snapshot")?;
        super::empty_synced(&tx)?;
        set_meta(&tx, INSTANCE_KEY, start.instance)?;
        let network =
            serde_json::to_string(start.network).map_err(|e| StoreError::Decode(e.to_string()))?;
        set_meta(&tx, super::NETWORK_KEY, &network)?;
        for window in start.maintenance {
            maintenance::upsert(&tx, window)?;
        }
        for warning in start.warnings {
            super::warnings::upsert(&tx, warning)?;
        }
        for station in &start.network.stations {
            for element in Element::ALL {
                tx.execute(
                    "INSERT INTO rollups_only (station, element, from_ms, to_ms) VALUES (?1, ?2, ?3, ?4)",
                    params![station.id.as_str(), element.storage_id(), i64::MIN, start.full_from.millis()],
                )
                .context("recording a rollups-only period")?;
            }
        }
        write_hours(&tx, start.hours)?;
        tx.commit().context("committing snapshot head")
    }

    /// Installs older hours of a snapshot.
    pub fn install_hours(&mut self, hours: &[StoredHour]) -> Result<(), StoreError> {
        let tx = self.conn.transaction().context("starting snapshot part")?;
        write_hours(&tx, hours)?;
        tx.commit().context("committing snapshot part")
    }

    /// Installs rollups of periods held only as rollups (nothing finer is under them).
    pub fn install_rollups(&mut self, series: &[SeriesRollups]) -> Result<(), StoreError> {
        let tx = self.conn.transaction().context("starting rollup part")?;
        for s in series {
            let key = station_key(&tx, &s.station)?;
            for (start, aggregate) in &s.rows {
                rollups::write(
                    &tx,
                    key,
                    s.element.storage_id(),
                    s.level,
                    start.millis(),
                    Some(aggregate),
                )?;
            }
        }
        tx.commit().context("committing rollup part")
    }

    /// Ends a bootstrap: sync follows the log after `cursor` (the cursor's text as the cache
    /// stores it).
    pub fn finish_snapshot(&mut self, cursor: &str) -> Result<(), StoreError> {
        set_meta(&self.conn, CURSOR_KEY, cursor)
    }

    /// The periods of one series in `[from, to)` held only as rollups, clipped to it, in time
    /// order.
    pub fn rollups_only(
        &self,
        station: &StationId,
        element: Element,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RollupsOnly>, StoreError> {
        Ok(periods(&self.conn, station, element)?
            .into_iter()
            .filter_map(|(a, b)| {
                let (a, b) = (a.max(from.millis()), b.min(to.millis()));
                (a < b).then_some(RollupsOnly {
                    from: Timestamp(a),
                    to: Timestamp(b),
                })
            })
            .collect())
    }

    /// The end of the newest rollups-only period of any series (`None`: the cache holds
    /// everything in full): values after it need no check.
    pub fn rollups_only_until(&self) -> Result<Option<Timestamp>, StoreError> {
        self.conn
            .query_row("SELECT max(to_ms) FROM rollups_only", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map(|end| end.map(Timestamp))
            .context("reading the rollups-only horizon")
    }

    /// Installs one series' hours fetched for `[from, to)` (whole Beijing days of a
    /// rollups-only period), which is then no longer rollups only.
    pub fn fill_hours(
        &mut self,
        station: &StationId,
        element: Element,
        (from, to): (Timestamp, Timestamp),
        hours: &[StoredHour],
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction()
            .context("starting on-demand hours")?;
        write_hours(&tx, hours)?;
        let left = subtract(
            &periods(&tx, station, element)?,
            (from.millis(), to.millis()),
        );
        tx.execute(
            "DELETE FROM rollups_only WHERE station = ?1 AND element = ?2",
            params![station.as_str(), element.storage_id()],
        )
        .context("updating rollups-only periods")?;
        for (a, b) in left {
            tx.execute(
                "INSERT INTO rollups_only (station, element, from_ms, to_ms) VALUES (?1, ?2, ?3, ?4)",
                params![station.as_str(), element.storage_id(), a, b],
            )
            .context("updating rollups-only periods")?;
        }
        tx.commit().context("committing on-demand hours")
    }
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .context("writing cache metadata")?;
    Ok(())
}

/// One series' rollups-only periods, `[from, to)` in ms, in time order.
fn periods(
    conn: &Connection,
    station: &StationId,
    element: Element,
) -> Result<Vec<(i64, i64)>, StoreError> {
    conn.prepare_cached(
        "SELECT from_ms, to_ms FROM rollups_only WHERE station = ?1 AND element = ?2 ORDER BY from_ms",
    )
    .and_then(|mut s| {
        s.query_map(params![station.as_str(), element.storage_id()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect()
    })
    .context("reading rollups-only periods")
}

/// `periods` without `cut` (all `[from, to)`).
pub fn subtract(periods: &[(i64, i64)], (cut_from, cut_to): (i64, i64)) -> Vec<(i64, i64)> {
    let mut out = Vec::with_capacity(periods.len() + 1);
    for &(from, to) in periods {
        if to <= cut_from || from >= cut_to {
            out.push((from, to));
            continue;
        }
        if from < cut_from {
            out.push((from, cut_from));
        }
        if to > cut_to {
            out.push((cut_to, to));
        }
    }
    out
}

/// Writes hours through the observation writer (every rollup level kept in step), into
/// periods the cache holds nothing finer for (an emptied cache, a rollups-only day).
fn write_hours(conn: &Connection, hours: &[StoredHour]) -> Result<(), StoreError> {
    let mut writer = Writer::new(conn);
    for hour in hours {
        let chunk = Chunk::decode(hour.start, hour.element, &hour.data).map_err(|e| {
            StoreError::Decode(format!(
                "{}/{} at {}: {e}",
                hour.station,
                hour.element.code(),
                hour.start
            ))
        })?;
        for sample in chunk.samples() {
            write_sample(&mut writer, &hour.station, hour.element, sample)?;
        }
    }
    writer.finish()?;
    Ok(())
}

fn write_sample(
    writer: &mut Writer<'_>,
    station: &StationId,
    element: Element,
    sample: &Sample,
) -> Result<(), StoreError> {
    let observation = Observation {
        station: station.clone(),
        time: sample.time,
        source: sample.source,
        values: [(element, sample.value)].into(),
    };
    writer.insert(
        &observation,
        OnConflict::Replace,
        &[(element, sample.qc)].into(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
