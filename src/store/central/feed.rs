//! Reading the change log for the feed: a page of changes after a `seq`, optionally of some
//! kinds only, with the current chunk of every hour the page names, all in the caller's read
//! transaction so chunks and changes agree.

use std::collections::{BTreeSet, HashMap};

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params};

use super::change_row;
use super::ingest::{head, seq_from_sql};
use crate::domain::{StationId, Timestamp};
use crate::protocol::{Base64Bytes, Change, ChunkDto, Cursor, SeriesHour, kind, split_kind};
use crate::store::observations::hour_bytes;
use crate::store::{Context as _, StoreError};

/// A page of the change log as the central serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    /// The changes after the requested `seq`, oldest first, each with its own `seq`.
    pub changes: Vec<(u64, Change)>,
    /// The current chunk of every hour the changes name, once each (empty data: no values).
    pub chunks: Vec<ChunkDto>,
    /// The newest `seq` when the page was read.
    pub head: u64,
}

/// Up to `limit` changes with `seq > after` (of `kinds` only, if given) and the chunks they
/// name, read inside `conn`'s current transaction.
pub fn page(
    conn: &Connection,
    after: u64,
    limit: usize,
    kinds: Option<&[String]>,
) -> Result<FeedPage, StoreError> {
    let changes = changes_after(conn, after, limit, kinds)?;
    let named: BTreeSet<SeriesHour> = changes
        .iter()
        .flat_map(|(_, change)| change.named_hours())
        .collect();
    let chunks = named
        .into_iter()
        .map(|hour| current_chunk(conn, hour))
        .collect::<Result<_, _>>()?;
    Ok(FeedPage {
        changes,
        chunks,
        head: head(conn)?,
    })
}

/// One hour as it is stored now.
fn current_chunk(conn: &Connection, hour: SeriesHour) -> Result<ChunkDto, StoreError> {
    let bytes = match StationId::parse(&hour.station) {
        Ok(station) => hour_bytes(conn, &station, hour.element, hour.start)?,
        Err(_) => None,
    };
    Ok(ChunkDto {
        hour,
        data: Base64Bytes(bytes.unwrap_or_default()),
    })
}

/// Up to `limit` changes after `after`, each as the wire carries it. A row is read by its
/// kind only, so a row this build cannot decode is still served.
fn changes_after(
    conn: &Connection,
    after: u64,
    limit: usize,
    kinds: Option<&[String]>,
) -> Result<Vec<(u64, Change)>, StoreError> {
    let kinds = kinds
        .map(|kinds| serde_json::to_string(kinds).map_err(|e| StoreError::Decode(e.to_string())))
        .transpose()?;
    // Rows from before the kind column say their kind in their JSON.
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, recorded_at, kind, data FROM change_log WHERE seq > ?1
               AND (?3 IS NULL OR (CASE WHEN kind IS NOT NULL THEN kind
                                        ELSE json_extract(data, '$.kind') END)
                                  IN (SELECT value FROM json_each(?3)))
             ORDER BY seq LIMIT ?2",
        )
        .context("preparing change query")?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![after, limit, kinds], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Timestamp(r.get(1)?),
                r.get::<_, Option<String>>(2)?,
                r.get::<_, SqlValue>(3)?,
            ))
        })
        .context("querying changes")?;
    let mut ids = None;
    let mut changes = Vec::new();
    for row in rows {
        let (seq, recorded_at, kind, stored) = row.context("reading change")?;
        let seq = seq_from_sql(seq);
        let (kind, data) = match stored {
            SqlValue::Blob(bytes) => {
                let ids = match &mut ids {
                    Some(ids) => ids,
                    None => ids.insert(station_ids(conn)?),
                };
                let hours = change_row::decode_hours(&bytes, ids).ok_or_else(|| {
                    StoreError::Decode(format!("change {seq}: its stored hours do not decode"))
                })?;
                let data = serde_json::to_value(hours)
                    .map_err(|e| StoreError::Decode(format!("change {seq}: {e}")))?;
                (kind.unwrap_or_else(|| kind::HOURS.to_owned()), data)
            }
            SqlValue::Text(text) => split_kind(
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Decode(format!("change {seq}: {e}")))?,
            ),
            _ => return Err(StoreError::Decode(format!("change {seq}: no data"))),
        };
        let change = Change {
            cursor: Cursor::from_seq(seq),
            recorded_at,
            kind,
            data,
        };
        changes.push((seq, change));
    }
    Ok(changes)
}

/// Every station's storage key and id, to name the stations of compactly stored rows.
fn station_ids(conn: &Connection) -> Result<HashMap<i64, StationId>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT key, id FROM station_keys")
        .context("preparing station keys")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .context("listing station keys")?;
    let mut ids = HashMap::new();
    for row in rows {
        let (key, id) = row.context("reading a station key")?;
        let id = StationId::parse(&id).map_err(|e| StoreError::Decode(e.to_string()))?;
        ids.insert(key, id);
    }
    Ok(ids)
}
