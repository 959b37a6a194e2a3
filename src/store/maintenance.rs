//! Maintenance windows, kept by the central (which numbers them) and copied into each
//! console's cache from the change log.

use rusqlite::{Connection, Row, params};

use super::{Context as _, StoreError};
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::{StationId, Timestamp};

/// Schema of the maintenance table (the same in the central and the cache).
pub const SCHEMA: &str = "
CREATE TABLE maintenance (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    station     TEXT    NOT NULL,
    from_ms     INTEGER NOT NULL,
    to_ms       INTEGER,                 -- NULL while the work goes on
    note        TEXT    NOT NULL,
    recorded_by TEXT    NOT NULL
);
CREATE INDEX maintenance_by_station ON maintenance (station, from_ms);
";

/// Records a new window and returns it with its id.
pub fn insert(
    conn: &Connection,
    station: &StationId,
    from: Timestamp,
    to: Option<Timestamp>,
    note: &str,
    recorded_by: &str,
) -> Result<MaintenanceWindow, StoreError> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO maintenance (station, from_ms, to_ms, note, recorded_by)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    station.as_str(),
                    from.millis(),
                    to.map(Timestamp::millis),
                    note,
                    recorded_by
                ],
                |r| r.get(0),
            )
        })
        .context("recording maintenance")?;
    Ok(MaintenanceWindow {
        id: id.unsigned_abs(),
        station: station.clone(),
        from,
        to,
        note: note.to_owned(),
        recorded_by: recorded_by.to_owned(),
    })
}

/// Stores a window as it is now, by id (the cache, following the central).
pub fn upsert(conn: &Connection, window: &MaintenanceWindow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO maintenance (id, station, from_ms, to_ms, note, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            i64::try_from(window.id).unwrap_or(i64::MAX),
            window.station.as_str(),
            window.from.millis(),
            window.to.map(Timestamp::millis),
            window.note,
            window.recorded_by,
        ])
    })
    .context("storing maintenance")?;
    Ok(())
}

/// One window by id.
pub fn get(conn: &Connection, id: u64) -> Result<Option<MaintenanceWindow>, StoreError> {
    let id = i64::try_from(id).unwrap_or(i64::MAX);
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM maintenance WHERE id = ?1"))
        .context("preparing maintenance lookup")?;
    let row = stmt
        .query_map([id], read_row)
        .context("looking up maintenance")?
        .next()
        .transpose()
        .context("reading maintenance")?;
    row.map(decode).transpose()
}

/// Every window (of one station, if given), newest first.
pub fn list(
    conn: &Connection,
    station: Option<&StationId>,
) -> Result<Vec<MaintenanceWindow>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM maintenance WHERE ?1 IS NULL OR station = ?1
             ORDER BY from_ms DESC, id DESC"
        ))
        .context("preparing maintenance list")?;
    let rows = stmt
        .query_map([station.map(StationId::as_str)], read_row)
        .context("listing maintenance")?
        .collect::<Result<Vec<_>, _>>()
        .context("reading maintenance")?;
    rows.into_iter().map(decode).collect()
}

const COLUMNS: &str = "id, station, from_ms, to_ms, note, recorded_by";

/// A row as stored.
type StoredRow = (i64, String, i64, Option<i64>, String, String);

fn read_row(row: &Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn decode(
    (id, station, from, to, note, recorded_by): StoredRow,
) -> Result<MaintenanceWindow, StoreError> {
    Ok(MaintenanceWindow {
        id: id.unsigned_abs(),
        station: StationId::parse(&station).map_err(|e| StoreError::Decode(e.to_string()))?,
        from: Timestamp(from),
        to: to.map(Timestamp),
        note,
        recorded_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::{Migration, migrate, open_in_memory};

    #[test]
    fn windows_round_trip_and_list_newest_first() {
        let mut conn = open_in_memory().unwrap();
        migrate(
            &mut conn,
            &[Migration {
                name: "maintenance",
                sql: SCHEMA,
            }],
        )
        .unwrap();
        let station = StationId::parse("708301").unwrap();
        let first = insert(
            &conn,
            &station,
            Timestamp(1000),
            Some(Timestamp(2000)),
            "校准",
            "tech",
        )
        .unwrap();
        let second = insert(&conn, &station, Timestamp(5000), None, "更换雨量筒", "tech").unwrap();
        assert_eq!(
            list(&conn, Some(&station)).unwrap(),
            [second.clone(), first.clone()]
        );
        assert!(
            list(&conn, Some(&StationId::parse("58819").unwrap()))
                .unwrap()
                .is_empty()
        );
        let ended = MaintenanceWindow {
            to: Some(Timestamp(9000)),
            ..second
        };
        upsert(&conn, &ended).unwrap();
        assert_eq!(get(&conn, ended.id).unwrap(), Some(ended));
        assert_eq!(get(&conn, 99).unwrap(), None);
    }
}
