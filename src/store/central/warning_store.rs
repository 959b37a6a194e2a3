//! The warnings aggregate: forecasters submit and revise, supervisors approve or return,
//! records are released; every desk syncs them. Each write is decided on the records as
//! stored inside its transaction, so two steps on one record cannot both pass a check that
//! only one of them may.

use super::SqliteCentralStore;
use super::warnings::{self, WarningBook, WarningError, WarningWrite, Written};
use crate::domain::Timestamp;
use crate::protocol::warnings::WarningRecord;
use crate::store::{Context as _, StoreError};

/// What the central stores and reads of warnings. Blocks the calling thread.
pub trait WarningStore {
    /// Every record, newest first.
    fn warnings(&self) -> Result<Vec<WarningRecord>, StoreError>;

    /// One record.
    fn warning(&self, id: &str) -> Result<Option<WarningRecord>, StoreError>;

    /// Reads every record, lets `decide` say what to write (or refuse), then stores the
    /// records it returns, appends each to the change log (stamped `now`) and writes its
    /// audit entry, in one transaction.
    fn write_warnings(
        &self,
        now: Timestamp,
        decide: &dyn Fn(&WarningBook) -> Result<WarningWrite, WarningError>,
    ) -> Result<Written, WarningError>;
}

impl WarningStore for SqliteCentralStore {
    fn warnings(&self) -> Result<Vec<WarningRecord>, StoreError> {
        self.read(warnings::all)
    }

    fn warning(&self, id: &str) -> Result<Option<WarningRecord>, StoreError> {
        self.read(|conn| warnings::get(conn, id))
    }

    fn write_warnings(
        &self,
        now: Timestamp,
        decide: &dyn Fn(&WarningBook) -> Result<WarningWrite, WarningError>,
    ) -> Result<Written, WarningError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting warning write")?;
        let written = warnings::write(&tx, now, self.seal()?, decide)?;
        tx.commit().context("committing warning write")?;
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::{AuditAction, AuditRecord, Outcome};
    use crate::domain::refusal::{Code, Refusal};
    use crate::domain::warning::approval::DraftState;
    use crate::domain::warning::{Action, Level};
    use crate::protocol::warnings::WarningContent;
    use crate::store::central::tests::{fresh, now};

    fn record(id: &str) -> WarningRecord {
        let content = WarningContent {
            action: Action::Issue,
            follows: None,
            signal: "rainstorm".into(),
            level: Level::Yellow,
            area: ["350423100".to_owned()].into(),
            enlarge_confirmed: false,
            issued_at: now(),
            expires_at: Some(now().plus_ms(6 * 3_600_000)),
            texts: Default::default(),
            template_fields: Default::default(),
            recipient_groups: Default::default(),
            practice: true,
        };
        WarningRecord {
            id: id.into(),
            pin: content.pin(),
            content,
            drafter: "forecaster".into(),
            state: DraftState::Submitted,
            steps: Vec::new(),
            cap_identifier: None,
            released_at: None,
            replaced_by: None,
        }
    }

    #[test]
    fn records_are_written_logged_and_read_back() {
        let (_dir, sqlite) = fresh();
        let store: &dyn WarningStore = &sqlite;
        let audit = AuditRecord::new(
            now(),
            "user:forecaster",
            "",
            AuditAction::WarningSubmitted,
            Outcome::Ok,
        );
        let create = |book: &WarningBook| {
            Ok(WarningWrite {
                records: vec![record(&book.next_id)],
                audit: audit.clone(),
            })
        };
        let (first, head) = store.write_warnings(now(), &create).unwrap();
        assert_eq!((first[0].id.as_str(), head), ("w1", 1));
        let (second, head) = store.write_warnings(now(), &create).unwrap();
        assert_eq!((second[0].id.as_str(), head), ("w2", 2));
        let mut released = first[0].clone();
        released.released_at = Some(now());
        released.cap_identifier = Some("35042341600000_20261127180000".into());
        let update = |book: &WarningBook| {
            assert!(book.find("w1").is_some());
            Ok(WarningWrite {
                records: vec![released.clone()],
                audit: audit.clone(),
            })
        };
        store.write_warnings(now(), &update).unwrap();
        assert_eq!(store.warning("w1").unwrap(), Some(released.clone()));
        assert_eq!(store.warnings().unwrap(), [second[0].clone(), released]);
        let refuse =
            |_: &WarningBook| Err(WarningError::Conflict(Refusal::new(Code::ContentChanged)));
        assert!(matches!(
            store.write_warnings(now(), &refuse),
            Err(WarningError::Conflict(_))
        ));
        assert_eq!(store.warnings().unwrap().len(), 2, "nothing written");
    }
}
