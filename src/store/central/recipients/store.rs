//! The recipients aggregate's store trait and its SQLite impl: each write and its audit entry
//! in one transaction; an import's lines all in one.

use super::{
    AuditOf, GroupCount, RecipientError, RecipientFilter, RecipientPage, delete, get, insert, list,
    named, update,
};
use crate::domain::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::domain::recipients::{Recipient, RecipientDraft};
use crate::store::central::{SqliteCentralStore, audit};
use crate::store::{Context as _, StoreError};

/// One line of an import as stored: its recipient's id, or why the store refused it.
pub type ImportedLine = (usize, Result<u64, RecipientError>);

/// What the central stores and reads of recipients. Blocks the calling thread.
pub trait RecipientStore {
    /// A page of the recipients `filter` keeps, by id.
    fn recipients(
        &self,
        filter: &RecipientFilter,
        offset: u64,
        limit: u64,
    ) -> Result<RecipientPage, StoreError>;

    /// One recipient.
    fn recipient(&self, id: u64) -> Result<Option<Recipient>, StoreError>;

    /// The recipients with these ids, by id (ids no one has are left out).
    fn recipients_named(&self, ids: &[u64]) -> Result<Vec<Recipient>, StoreError>;

    /// Counts per township and group.
    fn recipient_counts(&self) -> Result<Vec<GroupCount>, StoreError>;

    /// Adds a recipient and its audit entry.
    fn add_recipient(
        &self,
        draft: &RecipientDraft,
        now: Timestamp,
        audit: AuditOf<'_>,
    ) -> Result<Recipient, RecipientError>;

    /// Replaces recipient `id`, read at `version`, and audits before → after.
    fn change_recipient(
        &self,
        id: u64,
        version: u64,
        draft: &RecipientDraft,
        now: Timestamp,
        audit: &dyn Fn(&Recipient, &Recipient) -> AuditRecord,
    ) -> Result<Recipient, RecipientError>;

    /// Deletes recipient `id`, read at `version`, and audits it.
    fn delete_recipient(
        &self,
        id: u64,
        version: u64,
        audit: AuditOf<'_>,
    ) -> Result<Recipient, RecipientError>;

    /// Adds the drafts of an import's valid lines in one transaction. The transaction is
    /// rolled back when `keep` says so of the result (a dry run; all-or-nothing with a refusal);
    /// otherwise `audit` makes the entry from the lines stored and committed with them.
    fn import_recipients(
        &self,
        lines: &[(usize, RecipientDraft)],
        now: Timestamp,
        keep: &dyn Fn(&[ImportedLine]) -> bool,
        audit: &dyn Fn(&[ImportedLine]) -> AuditRecord,
    ) -> Result<Vec<ImportedLine>, StoreError>;
}

impl RecipientStore for SqliteCentralStore {
    fn recipients(
        &self,
        filter: &RecipientFilter,
        offset: u64,
        limit: u64,
    ) -> Result<RecipientPage, StoreError> {
        self.read(|conn| list(conn, filter, offset, limit))
    }

    fn recipient(&self, id: u64) -> Result<Option<Recipient>, StoreError> {
        self.read(|conn| get(conn, id))
    }

    fn recipients_named(&self, ids: &[u64]) -> Result<Vec<Recipient>, StoreError> {
        self.read(|conn| named(conn, ids))
    }

    fn recipient_counts(&self) -> Result<Vec<GroupCount>, StoreError> {
        self.read(super::counts)
    }

    fn add_recipient(
        &self,
        draft: &RecipientDraft,
        now: Timestamp,
        audit: AuditOf<'_>,
    ) -> Result<Recipient, RecipientError> {
        self.audited("recipient add", |tx| {
            let stored = insert(tx, draft, now)?;
            let entry = audit(&stored);
            Ok((stored, entry))
        })
    }

    fn change_recipient(
        &self,
        id: u64,
        version: u64,
        draft: &RecipientDraft,
        now: Timestamp,
        audit: &dyn Fn(&Recipient, &Recipient) -> AuditRecord,
    ) -> Result<Recipient, RecipientError> {
        self.audited("recipient change", |tx| {
            let (before, after) = update(tx, id, version, draft, now)?;
            let entry = audit(&before, &after);
            Ok((after, entry))
        })
    }

    fn delete_recipient(
        &self,
        id: u64,
        version: u64,
        audit: AuditOf<'_>,
    ) -> Result<Recipient, RecipientError> {
        self.audited("recipient delete", |tx| {
            let before = delete(tx, id, version)?;
            let entry = audit(&before);
            Ok((before, entry))
        })
    }

    fn import_recipients(
        &self,
        lines: &[(usize, RecipientDraft)],
        now: Timestamp,
        keep: &dyn Fn(&[ImportedLine]) -> bool,
        audit: &dyn Fn(&[ImportedLine]) -> AuditRecord,
    ) -> Result<Vec<ImportedLine>, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting recipient import")?;
        let mut done = Vec::with_capacity(lines.len());
        for (line, draft) in lines {
            let result = match insert(&tx, draft, now) {
                Ok(stored) => Ok(stored.id),
                Err(RecipientError::Store(e)) => return Err(e),
                Err(refused) => Err(refused),
            };
            done.push((*line, result));
        }
        if keep(&done) {
            audit::append(&tx, self.seal()?, audit(&done))?;
            tx.commit().context("committing recipient import")?;
        }
        // Dropped without commit: rolled back.
        Ok(done)
    }
}

impl SqliteCentralStore {
    /// Runs `step` and appends the audit entry it returns, in one transaction: a change to a
    /// recipient and its record stand or fall together (`what` names it in errors).
    fn audited<T>(
        &self,
        what: &str,
        step: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(T, AuditRecord), RecipientError>,
    ) -> Result<T, RecipientError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context(&format!("starting {what}"))?;
        let (done, entry) = step(&tx)?;
        audit::append(&tx, self.seal()?, entry)?;
        tx.commit().context(&format!("committing {what}"))?;
        Ok(done)
    }
}
