//! A person's (or the bureau's policy's) decisions on rows that will not move by themselves:
//! a `failed` row requeued as a new attempt, an `unknown` row resent with its mark (how, by
//! whom, why). Each step is fenced by the row's state, so a row that moved on meanwhile (a
//! late receipt settled it, another desk decided first) is left alone and not reported.
//!
//! A requeued row forgets its earlier parts: the verdict of its receipts is about the new
//! attempt only (an old part's failure must not fail a new delivery).

use rusqlite::{Connection, TransactionBehavior, params};

use super::SqliteOutbox;
use crate::domain::Timestamp;
use crate::domain::outbox::policy::ResendHow;
use crate::domain::outbox::{OutboxEvent, OutboxState, transition};
use crate::store::{Context as _, StoreError};

/// The mark's columns (a migration of the central's database).
pub const SCHEMA: &str = "
ALTER TABLE outbox ADD COLUMN resent_how    TEXT;    -- decision | policy; NULL: never resent
ALTER TABLE outbox ADD COLUMN resent_by     TEXT;    -- the login name that decided, or the level
ALTER TABLE outbox ADD COLUMN resent_reason TEXT;    -- the decision's reason, as written
ALTER TABLE outbox ADD COLUMN resent_at     INTEGER; -- Unix ms, UTC
";

/// Why and by whom an unknown row was sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendMark {
    /// A person's decision or the policy.
    pub how: ResendHow,
    /// The login name that decided (for the policy: `policy:red`).
    pub by: String,
    /// The reason given (for the policy: which setting).
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

impl SqliteOutbox {
    /// Puts those of `ids` still `failed` back in the queue, due now, as a new attempt;
    /// answers the ids it requeued.
    pub fn requeue_failed(&self, ids: &[i64], now: Timestamp) -> Result<Vec<i64>, StoreError> {
        self.decide(ids, OutboxState::Failed, OutboxEvent::Requeue, None, now)
    }

    /// Puts those of `ids` still `unknown` back in the queue with `mark`; answers the ids it
    /// resent.
    pub fn resend_unknown(
        &self,
        ids: &[i64],
        mark: &ResendMark,
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        self.decide(
            ids,
            OutboxState::Unknown,
            OutboxEvent::Resend,
            Some(mark),
            now,
        )
    }

    fn decide(
        &self,
        ids: &[i64],
        from: OutboxState,
        event: OutboxEvent,
        mark: Option<&ResendMark>,
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        let to = transition(from, event).map_err(|e| StoreError::Decode(e.to_string()))?;
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context("starting an outbox decision")?;
        let mut done = Vec::new();
        for &id in ids {
            if requeue_one(&tx, id, from, to, now).context("requeueing")? {
                if let Some(mark) = mark {
                    stamp(&tx, id, mark).context("marking the resend")?;
                }
                done.push(id);
            }
        }
        tx.commit().context("committing an outbox decision")?;
        Ok(done)
    }
}

/// `from` → `to` for one row if it is still `from`; its earlier parts let go.
fn requeue_one(
    conn: &Connection,
    id: i64,
    from: OutboxState,
    to: OutboxState,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE outbox SET state = ?3, due_at = ?4, updated_at = ?4, provider_id = NULL,
         last_error = NULL, lease_owner = NULL, lease_until = NULL
         WHERE id = ?1 AND state = ?2",
        params![id, from.code(), to.code(), now.0],
    )?;
    if changed == 1 {
        conn.execute(
            "UPDATE outbox_parts SET outbox_id = NULL WHERE outbox_id = ?1",
            [id],
        )?;
    }
    Ok(changed == 1)
}

fn stamp(conn: &Connection, id: i64, mark: &ResendMark) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE outbox SET resent_how = ?2, resent_by = ?3, resent_reason = ?4, resent_at = ?5
         WHERE id = ?1",
        params![id, mark.how.code(), mark.by, mark.reason, mark.at.0],
    )
    .map(drop)
}
