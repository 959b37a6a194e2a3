//! The 叫应 aggregate's store trait and its SQLite impl: each write, its change-log entries
//! and its audit entry in one transaction.

use super::{Answer, NewLine, StoredLine};
use crate::domain::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::domain::callout::Stage;
use crate::protocol::callout::{CalloutChange, PhoneCall};
use crate::store::central::outbox::inbound::StoredReply;
use crate::store::central::{SqliteCentralStore, audit};
use crate::store::{Context as _, StoreError};

/// What the central stores and reads of 叫应. Blocks the calling thread.
pub trait CalloutStore {
    /// Opens the lines of `warning` not opened yet (see [`super::open`]); the new ones.
    fn open_callout(
        &self,
        warning: &str,
        code: &str,
        lines: &[NewLine],
        now: Timestamp,
    ) -> Result<Vec<CalloutChange>, StoreError>;

    /// The lines of `warning`.
    fn callout_lines(&self, warning: &str) -> Result<Vec<StoredLine>, StoreError>;

    /// The lines called at or after `start`, of every warning.
    fn callout_lines_since(&self, start: Timestamp) -> Result<Vec<StoredLine>, StoreError>;

    /// One line.
    fn callout_line(&self, id: i64) -> Result<Option<StoredLine>, StoreError>;

    /// Every open line.
    fn open_callout_lines(&self) -> Result<Vec<StoredLine>, StoreError>;

    /// Every line open at `at` (see [`super::lines_open_at`]).
    fn callout_lines_open_at(&self, at: Timestamp) -> Result<Vec<StoredLine>, StoreError>;

    /// The stored replies to apply (see [`super::replies_to_apply`]).
    fn callout_replies_to_apply(&self) -> Result<Vec<StoredReply>, StoreError>;

    /// Answers line `id` if open (and its reply answered no line yet).
    fn answer_callout(
        &self,
        id: i64,
        answer: &Answer,
        now: Timestamp,
    ) -> Result<Option<CalloutChange>, StoreError>;

    /// Moves open line `id` forward to `stage`.
    fn escalate_callout(
        &self,
        id: i64,
        stage: Stage,
        now: Timestamp,
    ) -> Result<Option<CalloutChange>, StoreError>;

    /// Logs `call` with its audit entry; an answering call also answers its line (if open).
    fn log_callout_call(
        &self,
        call: &PhoneCall,
        now: Timestamp,
        audit: AuditRecord,
    ) -> Result<(PhoneCall, Option<CalloutChange>), StoreError>;

    /// The calls logged on `warning`'s lines.
    fn callout_calls(&self, warning: &str) -> Result<Vec<PhoneCall>, StoreError>;

    /// The latest confirmation of the call list.
    fn callout_roster(&self) -> Result<Option<(Timestamp, String)>, StoreError>;

    /// Records a confirmation of the call list with its audit entry.
    fn confirm_callout_roster(
        &self,
        by: &str,
        now: Timestamp,
        audit: AuditRecord,
    ) -> Result<(), StoreError>;
}

impl CalloutStore for SqliteCentralStore {
    fn open_callout(
        &self,
        warning: &str,
        code: &str,
        lines: &[NewLine],
        now: Timestamp,
    ) -> Result<Vec<CalloutChange>, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting callout open")?;
        let opened = super::open(&tx, warning, code, lines, now)?;
        tx.commit().context("committing callout open")?;
        Ok(opened)
    }

    fn callout_lines(&self, warning: &str) -> Result<Vec<StoredLine>, StoreError> {
        self.read(|conn| super::lines(conn, warning))
    }

    fn callout_lines_since(&self, start: Timestamp) -> Result<Vec<StoredLine>, StoreError> {
        self.read(|conn| super::lines_called_since(conn, start))
    }

    fn callout_line(&self, id: i64) -> Result<Option<StoredLine>, StoreError> {
        self.read(|conn| super::line(conn, id))
    }

    fn open_callout_lines(&self) -> Result<Vec<StoredLine>, StoreError> {
        self.read(super::open_lines)
    }

    fn callout_lines_open_at(&self, at: Timestamp) -> Result<Vec<StoredLine>, StoreError> {
        self.read(|conn| super::lines_open_at(conn, at))
    }

    fn callout_replies_to_apply(&self) -> Result<Vec<StoredReply>, StoreError> {
        self.read(super::replies_to_apply)
    }

    fn answer_callout(
        &self,
        id: i64,
        answer: &Answer,
        now: Timestamp,
    ) -> Result<Option<CalloutChange>, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting callout answer")?;
        let changed = super::answer(&tx, id, answer, now)?;
        tx.commit().context("committing callout answer")?;
        Ok(changed)
    }

    fn escalate_callout(
        &self,
        id: i64,
        stage: Stage,
        now: Timestamp,
    ) -> Result<Option<CalloutChange>, StoreError> {
        let mut writer = self.writer();
        let tx = writer
            .transaction()
            .context("starting callout escalation")?;
        let changed = super::escalate(&tx, id, stage, now)?;
        tx.commit().context("committing callout escalation")?;
        Ok(changed)
    }

    fn log_callout_call(
        &self,
        call: &PhoneCall,
        now: Timestamp,
        record: AuditRecord,
    ) -> Result<(PhoneCall, Option<CalloutChange>), StoreError> {
        let seal = self.seal()?;
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting callout call")?;
        let id = super::add_call(&tx, call, now)?;
        let answered = if call.answered {
            let answer = Answer {
                how: crate::domain::callout::AnswerHow::PhoneCall,
                at: call.at,
                by: call.answerer.clone(),
                said: call.said.clone(),
                inbound: None,
            };
            super::answer(&tx, call.line, &answer, now)?
        } else {
            None
        };
        audit::append(&tx, seal, record)?;
        tx.commit().context("committing callout call")?;
        Ok((PhoneCall { id, ..call.clone() }, answered))
    }

    fn callout_calls(&self, warning: &str) -> Result<Vec<PhoneCall>, StoreError> {
        self.read(|conn| super::calls(conn, warning))
    }

    fn callout_roster(&self) -> Result<Option<(Timestamp, String)>, StoreError> {
        self.read(super::roster)
    }

    fn confirm_callout_roster(
        &self,
        by: &str,
        now: Timestamp,
        record: AuditRecord,
    ) -> Result<(), StoreError> {
        let seal = self.seal()?;
        let mut writer = self.writer();
        let tx = writer
            .transaction()
            .context("starting roster confirmation")?;
        super::confirm_roster(&tx, by, now)?;
        audit::append(&tx, seal, record)?;
        tx.commit().context("committing roster confirmation")?;
        Ok(())
    }
}
