//! The audit log as an aggregate of its own: appended to on its own (a denied access, a
//! refused file) or with the write it records (accounts, maintenance, imports append inside
//! their own transactions), and read page by page.

use super::SqliteCentralStore;
use super::audit::{self, AuditFilter};
use crate::domain::audit::{AuditEntry, AuditRecord, ChainHash};
use crate::store::{Context as _, StoreError};

/// What the central reads and appends of the hash-chained audit log. Blocks the calling
/// thread.
pub trait AuditStore {
    /// Appends one audit record on its own.
    fn audit(&self, record: AuditRecord) -> Result<AuditEntry, StoreError>;

    /// A page of the audit log, newest first.
    fn audit_page(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;

    /// The audit log's newest entry's seq and hash.
    fn audit_head(&self) -> Result<Option<(u64, ChainHash)>, StoreError>;
}

impl AuditStore for SqliteCentralStore {
    fn audit(&self, record: AuditRecord) -> Result<AuditEntry, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting audit append")?;
        let entry = audit::append(&tx, self.seal()?, record)?;
        tx.commit().context("committing audit entry")?;
        Ok(entry)
    }

    fn audit_page(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(|conn| audit::page(conn, filter))
    }

    fn audit_head(&self) -> Result<Option<(u64, ChainHash)>, StoreError> {
        self.read(audit::last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::domain::audit::{AuditAction, Outcome};
    use crate::store::central::tests::{fresh, now};

    #[test]
    fn the_log_is_served_through_its_own_trait() {
        let (_dir, sqlite) = fresh();
        let store: &dyn AuditStore = &sqlite;
        assert_eq!(store.audit_head().unwrap(), None);
        let record = |at: Timestamp| {
            AuditRecord::new(
                at,
                "admin",
                "desk-1",
                AuditAction::PasswordReset,
                Outcome::Ok,
            )
        };
        let first = store.audit(record(now())).unwrap();
        let second = store.audit(record(now().plus_ms(1))).unwrap();
        assert_eq!(
            store.audit_head().unwrap(),
            Some((second.seq, second.hash)),
            "the head is the newest entry"
        );
        let page = store
            .audit_page(&AuditFilter {
                limit: 10,
                ..AuditFilter::default()
            })
            .unwrap();
        let seqs: Vec<u64> = page.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [second.seq, first.seq], "newest first");
    }
}
