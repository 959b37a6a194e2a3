//! Bringing a database of an older release to this one's observation tables when it is
//! opened: the first schema's value rows into chunks, older chunk rows into the current
//! encoding with their aggregate, and the coarser rollups rebuilt.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::{ChunkKey, OnConflict, Writer, chunk_error, element_of, write_chunk};
use crate::domain::qc::QcFlags;
use crate::domain::{Element, Observation, Source, StationId, Timestamp};
use crate::store::chunk::Chunk;
use crate::store::{Context as _, StoreError, rollups};

/// Moves the values of a database created with the first schema (one row per value) into
/// hourly chunks and drops the old table; does nothing when there is none. Returns how many
/// values moved.
pub fn convert_legacy(conn: &mut Connection) -> Result<usize, StoreError> {
    let legacy: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'observations')",
            [],
            |r| r.get(0),
        )
        .context("looking for the first observation table")?;
    if !legacy {
        return Ok(0);
    }
    let tx = conn.transaction().context("starting conversion")?;
    let mut moved = 0;
    {
        let mut writer = Writer::new(&tx);
        let mut stmt = tx
            .prepare(
                "SELECT k.id, o.element, o.time, o.value, o.source, o.qc
                 FROM observations o JOIN station_keys k ON k.key = o.station
                 ORDER BY o.station, o.element, o.time",
            )
            .context("preparing conversion")?;
        let mut rows = stmt.query([]).context("reading old observations")?;
        while let Some(row) = rows.next().context("reading old observations")? {
            let id: String = row.get(0).context("station")?;
            let Some(element) = Element::from_storage_id(row.get(1).context("element")?) else {
                continue;
            };
            let observation = Observation {
                station: StationId::parse(&id).map_err(|e| StoreError::Decode(e.to_string()))?,
                time: Timestamp(row.get(2).context("time")?),
                source: Source::from_storage_id(row.get(4).context("source")?),
                values: BTreeMap::from([(element, row.get(3).context("value")?)]),
            };
            let qc = BTreeMap::from([(element, QcFlags::from_bits(row.get(5).context("qc")?))]);
            writer.insert(&observation, OnConflict::Replace, &qc)?;
            moved += 1;
            // Bound the memory a large old database needs.
            if writer.chunks.len() > 50_000 {
                writer.flush()?;
                writer.chunks.clear();
            }
        }
        writer.finish()?;
    }
    tx.execute_batch("DROP TABLE observations")
        .context("dropping the first observation table")?;
    tx.commit().context("committing conversion")?;
    tracing::info!(values = moved, "observations moved into hourly chunks");
    Ok(moved)
}

/// Brings a database's observations to this release's form when it is opened: the first
/// schema's rows into chunks, older chunk rows into the current encoding with their
/// aggregate, and the coarser rollups rebuilt if their version changed.
pub fn upgrade(conn: &mut Connection) -> Result<(), StoreError> {
    convert_legacy(conn)?;
    convert_chunks(conn)?;
    rollups::ensure_current(conn)?;
    Ok(())
}

/// Hours converted per transaction: a crash keeps what was done, and memory stays small.
const CONVERT_BATCH: usize = 2_000;

/// Rewrites every hour that has no aggregate in its row yet (a database of an older release)
/// in the current encoding, with its aggregate: in key order, a batch per transaction, so a
/// database of any size converts in bounded memory and an interrupted conversion resumes.
/// Returns how many hours were rewritten.
pub fn convert_chunks(conn: &mut Connection) -> Result<usize, StoreError> {
    convert_chunks_by(conn, CONVERT_BATCH)
}

fn convert_chunks_by(conn: &mut Connection, batch_size: usize) -> Result<usize, StoreError> {
    let mut after: ChunkKey = (i64::MIN, 0, i64::MIN);
    let mut converted = 0;
    loop {
        let tx = conn.transaction().context("starting chunk conversion")?;
        let batch: Vec<(ChunkKey, Vec<u8>)> = tx
            .prepare_cached(
                "SELECT station, element, start, data FROM chunks
                 WHERE (station, element, start) > (?1, ?2, ?3) AND summary IS NULL
                 ORDER BY station, element, start LIMIT ?4",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![after.0, after.1, after.2, batch_size as i64], |r| {
                    Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?))
                })?
                .collect::<Result<_, _>>()
            })
            .context("reading hours to convert")?;
        let Some(&(last, _)) = batch.last() else {
            break;
        };
        for (key, bytes) in &batch {
            if Element::from_storage_id(key.1).is_none() {
                continue; // an element this release does not know: left as it is
            }
            let chunk = Chunk::decode(Timestamp(key.2), element_of(*key)?, bytes)
                .map_err(chunk_error(*key))?;
            write_chunk(&tx, *key, &chunk)?;
        }
        tx.commit().context("committing chunk conversion")?;
        converted += batch.len();
        after = last;
    }
    if converted > 0 {
        tracing::info!(hours = converted, "hours rewritten in the compact encoding");
    }
    Ok(converted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::{Level, Sample};
    use crate::domain::qc::QcTest;
    use crate::domain::time::{HOUR_MS, MINUTE_MS};
    use crate::store::central::MIGRATIONS;
    use crate::store::chunk::codec;
    use crate::store::observations::every_value;
    use crate::store::sqlite::{migrate, open_in_memory};

    const START: i64 = 1_767_225_600_000;

    /// An hour of a series as a release before this one stored it.
    fn old_hour(hour: i64, element: Element) -> Vec<Sample> {
        let start = Timestamp(START + hour * HOUR_MS);
        (1..=60)
            .map(|m| Sample {
                qc: if m == 7 {
                    QcFlags::PASSED.with(QcTest::Step)
                } else {
                    QcFlags::PASSED
                },
                ..Sample::live(
                    start.plus_ms(m * MINUTE_MS),
                    if m == 9 {
                        12.34
                    } else if element.decimals() == 0 {
                        (hour + m) as f64
                    } else {
                        (hour * 60 + m) as f64 / 10.0
                    },
                )
            })
            .collect()
    }

    #[test]
    fn an_old_central_database_converts_on_open() {
        let mut conn = open_in_memory().unwrap();
        migrate(&mut conn, &MIGRATIONS[..9]).unwrap();
        conn.execute("INSERT INTO station_keys (key, id) VALUES (1, '58819')", [])
            .unwrap();
        let mut expected = Vec::new();
        for element in [Element::Tem, Element::Rhu] {
            for hour in 0..30 {
                let samples = old_hour(hour, element);
                let start = START + hour * HOUR_MS;
                conn.execute(
                    "INSERT INTO chunks (station, element, start, data) VALUES (1, ?1, ?2, ?3)",
                    params![
                        element.storage_id(),
                        start,
                        codec::encode_v1(&samples, Timestamp(start))
                    ],
                )
                .unwrap();
                // The old hour rollup (its fixed-width bytes are never read again).
                conn.execute(
                    "INSERT INTO rollups (station, element, level, start, summary) VALUES (1, ?1, 2, ?2, ?3)",
                    params![element.storage_id(), start, vec![1u8; 79]],
                )
                .unwrap();
                expected.extend(samples.into_iter().map(|s| (element, s)));
            }
        }
        conn.execute("INSERT INTO rollup_state (version) VALUES (4)", [])
            .unwrap();

        migrate(&mut conn, &MIGRATIONS).unwrap();
        // A small batch, so the conversion takes several transactions.
        assert_eq!(convert_chunks_by(&mut conn, 7).unwrap(), 60);
        upgrade(&mut conn).unwrap();

        let mut stored: Vec<(Element, Sample)> = every_value(&conn)
            .unwrap()
            .into_iter()
            .map(|(_, e, s)| (e, s))
            .collect();
        stored.sort_by_key(|(e, s)| (e.storage_id(), s.time));
        expected.sort_by_key(|(e, s)| (e.storage_id(), s.time));
        assert_eq!(stored, expected, "every value, flag and provenance kept");
        let rows: Vec<(i64, i64, Vec<u8>, Vec<u8>)> = conn
            .prepare("SELECT element, start, data, summary FROM chunks")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 60);
        for (element, start, data, summary) in &rows {
            assert!(Chunk::is_current(data));
            if *element == i64::from(Element::Tem.storage_id()) {
                // On its resolution but one value: a fifth of the first encoding, at most.
                assert!(data.len() < 14 * 60 / 5, "{} bytes", data.len());
            }
            assert_eq!(
                rollups::decode(summary, Timestamp(*start)).map(|a| a.all.count),
                Some(60)
            );
        }
        let hour_rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM rollups WHERE level = ?1",
                [Level::Hour.storage_id()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hour_rows, 0, "hours live in the chunk rows now");
        assert_eq!(rollups::value_count(&conn).unwrap(), 3_600, "days rebuilt");
        let day = rollups::rows(
            &conn,
            1,
            Element::Tem.storage_id(),
            Level::FourHours,
            0,
            i64::MAX,
        )
        .unwrap();
        assert_eq!(day.iter().map(|(_, a)| a.all.count).sum::<u32>(), 1_800);
        assert_eq!(
            upgrade(&mut conn)
                .map(|()| convert_chunks(&mut conn).unwrap())
                .unwrap(),
            0,
            "nothing left to do"
        );
    }
}
