//! Warnings on the desk: the central's records as synced (kept as the JSON the feed carries:
//! the cache stores them without reading them) and the drafts composed here, which survive
//! restarts and an unreachable central.

use rusqlite::{Connection, params};

use super::CacheDb;
use crate::store::{Context as _, StoreError};

/// The records synced and the desk's own drafts.
pub const SCHEMA: &str = "
CREATE TABLE warning_records (
    id     TEXT PRIMARY KEY,
    record TEXT NOT NULL            -- the central's record as JSON
);
CREATE TABLE drafts (
    id           INTEGER PRIMARY KEY,
    composer     TEXT    NOT NULL,  -- the composer's own state, as the UI wrote it
    content      TEXT    NOT NULL,  -- the content as last rendered, JSON
    submitted_as TEXT               -- the central's record, once submitted
);
";

/// Drafts are kept per user: on a shared desk each user sees only their own. Drafts kept
/// before have no owner (`''`) and are offered to whoever signs in, until one saves them.
pub const DRAFT_OWNER: &str = "ALTER TABLE drafts ADD COLUMN owner TEXT NOT NULL DEFAULT '';";

/// One record of the central, as synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedWarning {
    /// The central's id.
    pub id: String,
    /// The record, JSON.
    pub record: String,
}

/// A draft as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDraft {
    /// Local id.
    pub id: u64,
    /// The composer's state.
    pub composer: String,
    /// The content, JSON.
    pub content: String,
    /// The central's record it was submitted as.
    pub submitted_as: Option<String>,
    /// The user who keeps it (`''`: kept before drafts were per user).
    pub owner: String,
}

/// Stores `warning` (replacing its older state).
pub fn upsert(conn: &Connection, warning: &SyncedWarning) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO warning_records (id, record) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET record = excluded.record",
    )
    .and_then(|mut s| s.execute(params![warning.id, warning.record]))
    .context("storing a warning record")?;
    Ok(())
}

/// Where the central's signal set is kept (`meta`).
const SIGNAL_SET_KEY: &str = "signal_set";

impl CacheDb {
    /// The central's signal set as last fetched (`GET /warnings/signals`'s JSON), if any.
    pub fn signal_set(&self) -> Result<Option<String>, StoreError> {
        self.meta(SIGNAL_SET_KEY)
    }

    /// Keeps the central's signal set, replacing the one kept.
    pub fn save_signal_set(&self, json: &str) -> Result<(), StoreError> {
        self.set_meta(SIGNAL_SET_KEY, json)
    }

    /// Every synced record, as JSON, by id.
    pub fn warning_records(&self) -> Result<Vec<SyncedWarning>, StoreError> {
        let mut select = self
            .conn
            .prepare_cached("SELECT id, record FROM warning_records ORDER BY id")
            .context("preparing warning records")?;
        select
            .query_map([], |r| {
                Ok(SyncedWarning {
                    id: r.get(0)?,
                    record: r.get(1)?,
                })
            })
            .and_then(Iterator::collect)
            .context("reading warning records")
    }

    /// Every draft, oldest id first.
    pub fn drafts(&self) -> Result<Vec<StoredDraft>, StoreError> {
        let mut select = self
            .conn
            .prepare_cached(
                "SELECT id, composer, content, submitted_as, owner FROM drafts ORDER BY id",
            )
            .context("preparing drafts")?;
        select
            .query_map([], |r| {
                Ok(StoredDraft {
                    id: r.get::<_, i64>(0)?.unsigned_abs(),
                    composer: r.get(1)?,
                    content: r.get(2)?,
                    submitted_as: r.get(3)?,
                    owner: r.get(4)?,
                })
            })
            .and_then(Iterator::collect)
            .context("reading drafts")
    }

    /// Keeps `draft`, replacing the one with its id.
    pub fn save_draft(&self, draft: &StoredDraft) -> Result<(), StoreError> {
        let id = i64::try_from(draft.id).map_err(|e| StoreError::Decode(e.to_string()))?;
        self.conn
            .prepare_cached(
                "INSERT INTO drafts (id, composer, content, submitted_as, owner)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET composer = excluded.composer,
                     content = excluded.content, submitted_as = excluded.submitted_as,
                     owner = excluded.owner",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id,
                    draft.composer,
                    draft.content,
                    draft.submitted_as,
                    draft.owner
                ])
            })
            .context("keeping a draft")?;
        Ok(())
    }

    /// Forgets draft `id` (nothing if there is none).
    pub fn drop_draft(&self, id: u64) -> Result<(), StoreError> {
        let id = i64::try_from(id).map_err(|e| StoreError::Decode(e.to_string()))?;
        self.conn
            .execute("DELETE FROM drafts WHERE id = ?1", [id])
            .context("forgetting a draft")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::cache::CacheChange;

    #[test]
    fn records_sync_and_drafts_are_kept() {
        let mut cache = CacheDb::in_memory().unwrap();
        let w = |state: &str| SyncedWarning {
            id: "w1".into(),
            record: format!("{{\"state\":\"{state}\"}}"),
        };
        let applied = cache
            .apply(vec![
                CacheChange::Warning(w("submitted")),
                CacheChange::Warning(w("sent")),
            ])
            .unwrap();
        assert!(applied.warnings);
        assert_eq!(cache.warning_records().unwrap(), [w("sent")]);
        let draft = StoredDraft {
            id: 3,
            composer: "{}".into(),
            content: "{\"action\":\"issue\"}".into(),
            submitted_as: None,
            owner: "duty-forecaster".into(),
        };
        cache.save_draft(&draft).unwrap();
        let submitted = StoredDraft {
            submitted_as: Some("w1".into()),
            ..draft.clone()
        };
        cache.save_draft(&submitted).unwrap();
        assert_eq!(cache.drafts().unwrap(), [submitted]);
        cache.forget_synced().unwrap();
        assert!(
            cache.warning_records().unwrap().is_empty(),
            "synced data goes"
        );
        assert_eq!(
            cache.drafts().unwrap().len(),
            1,
            "drafts are the desk's own"
        );
        cache.drop_draft(3).unwrap();
        assert!(cache.drafts().unwrap().is_empty());
    }
}
