//! The change log desks follow: every write that a desk must see appends its change in the
//! write's own transaction (see `ingest::append_change`); desks read it page by page after a
//! cursor.

use rusqlite::{Connection, params};

use super::SqliteCentralStore;
use super::ingest;
use crate::domain::Timestamp;
use crate::protocol::{Change, ChangeData};
use crate::store::{Context as _, StoreError};

/// What desks sync from: the change log, and the identity of the database it belongs to.
/// Blocks the calling thread.
pub trait ChangeFeed {
    /// Up to `limit` changes with `seq > after` in `seq` order, and the log's head, read
    /// consistently (the head is never older than the page).
    fn changes_after(&self, after: u64, limit: usize) -> Result<(Vec<Change>, u64), StoreError>;

    /// The newest `seq` in the change log (0 when empty).
    fn head(&self) -> Result<u64, StoreError>;

    /// This database's random identity: it changes only when the database is replaced.
    fn instance(&self) -> &str;
}

impl ChangeFeed for SqliteCentralStore {
    fn changes_after(&self, after: u64, limit: usize) -> Result<(Vec<Change>, u64), StoreError> {
        self.read(|conn| {
            let changes = changes_after(conn, after, limit)?;
            Ok((changes, ingest::head(conn)?))
        })
    }

    fn head(&self) -> Result<u64, StoreError> {
        self.read(ingest::head)
    }

    fn instance(&self) -> &str {
        &self.instance
    }
}

/// Up to `limit` changes after `after`, decoded.
fn changes_after(conn: &Connection, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, recorded_at, data FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )
        .context("preparing change query")?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![after, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Timestamp(r.get(1)?),
                r.get::<_, String>(2)?,
            ))
        })
        .context("querying changes")?;
    let mut changes = Vec::new();
    for row in rows {
        let (seq, recorded_at, data) = row.context("reading change")?;
        let seq = ingest::seq_from_sql(seq);
        let data: ChangeData = serde_json::from_str(&data)
            .map_err(|e| StoreError::Decode(format!("change {seq}: {e}")))?;
        changes.push(Change {
            seq,
            recorded_at,
            data,
        });
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::central::tests::{fresh, minute, now, record};
    use crate::store::central::{CentralStore, ObservationStore as _};

    #[test]
    fn the_log_is_served_through_its_own_trait() {
        let (_dir, sqlite) = fresh();
        let feed: &dyn ChangeFeed = &sqlite;
        assert_eq!(feed.head().unwrap(), 0);
        assert_eq!(feed.changes_after(0, 10).unwrap(), (vec![], 0));
        let raw = [record("58819", &minute(-1), json!({"TEM": 3.0}))];
        let parsed = crate::protocol::parse_batch(&raw, now());
        sqlite.ingest(&parsed.records, now()).unwrap();
        let (changes, head) = feed.changes_after(0, 10).unwrap();
        assert_eq!((changes.len(), head), (1, 1));
        assert!(matches!(changes[0].data, ChangeData::Observation(_)));
        // The union hands out each aggregate's trait (upcasting).
        let central: &dyn CentralStore = &sqlite;
        let upcast: &dyn ChangeFeed = central;
        assert_eq!(upcast.instance(), feed.instance());
        assert!(!feed.instance().is_empty());
    }
}
