//! The change log desks follow: every write that a desk must see appends its change in the
//! write's own transaction (see `ingest::append_change`); desks read it page by page after a
//! cursor.

use super::SqliteCentralStore;
use super::feed::{self, FeedPage};
use super::ingest;
use crate::store::StoreError;

/// What desks sync from: the change log, and the identity of the database it belongs to.
/// Blocks the calling thread.
pub trait ChangeFeed {
    /// Up to `limit` changes with `seq > after` in `seq` order (of `kinds` only, if given), the
    /// current chunk of every hour they name, and the log's head, read in one transaction (the
    /// head is never older than the page).
    fn changes_after(
        &self,
        after: u64,
        limit: usize,
        kinds: Option<&[String]>,
    ) -> Result<FeedPage, StoreError>;

    /// The newest `seq` in the change log (0 when empty).
    fn head(&self) -> Result<u64, StoreError>;

    /// This database's random identity: it changes only when the database is replaced.
    fn instance(&self) -> &str;
}

impl ChangeFeed for SqliteCentralStore {
    fn changes_after(
        &self,
        after: u64,
        limit: usize,
        kinds: Option<&[String]>,
    ) -> Result<FeedPage, StoreError> {
        self.read(|conn| feed::page(conn, after, limit, kinds))
    }

    fn head(&self) -> Result<u64, StoreError> {
        self.read(ingest::head)
    }

    fn instance(&self) -> &str {
        &self.instance
    }
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
        let empty = feed.changes_after(0, 10, None).unwrap();
        assert_eq!((empty.changes.len(), empty.head), (0, 0));
        let raw = [record("58819", &minute(-1), json!({"TEM": 3.0}))];
        let parsed = crate::protocol::parse_batch(&raw, now());
        sqlite.ingest(&parsed.records, now()).unwrap();
        let page = feed.changes_after(0, 10, None).unwrap();
        assert_eq!((page.changes.len(), page.head), (1, 1));
        assert_eq!(page.changes[0].1.kind, crate::protocol::kind::HOURS);
        assert!(
            !page.chunks.is_empty(),
            "the page carries the hours it names"
        );
        // The union hands out each aggregate's trait (upcasting).
        let central: &dyn CentralStore = &sqlite;
        let upcast: &dyn ChangeFeed = central;
        assert_eq!(upcast.instance(), feed.instance());
        assert!(!feed.instance().is_empty());
    }
}
