//! Delivery receipts matched to outbox rows. A message the gateway took in several parts has
//! one id per part (`id1,id2`, as the provider returned them); each part's receipt is kept
//! here, and the row is settled when every part has one: `delivered` if all were, `failed`
//! with the first failure's reason otherwise. A receipt may beat the record of the send (a
//! fast SMSC answers before `sent` commits): it waits here, unmatched, until the send names it.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{OutboxError, SqliteOutbox};
use crate::domain::Timestamp;
use crate::domain::outbox::{OutboxEvent, OutboxState};
use crate::store::Context as _;

/// The parts' table (a migration of the central's database).
pub const SCHEMA: &str = "
CREATE TABLE outbox_parts (
    provider_id TEXT PRIMARY KEY,   -- one part's id at the gateway
    outbox_id   INTEGER,            -- NULL until the send is recorded
    delivered   INTEGER,            -- 1 delivered, 0 failed, NULL no receipt yet
    reason      TEXT,               -- the gateway's words when it failed
    at          INTEGER             -- when the gateway says it happened, Unix ms
);
CREATE INDEX outbox_parts_row ON outbox_parts (outbox_id);
";

/// What a receipt says of one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartOutcome {
    /// It reached the handset.
    Delivered,
    /// It did not, for this reason (`UNDELIV 005`).
    Failed(String),
}

/// The part ids of a provider id (`id1,id2`).
pub fn part_ids(provider_id: &str) -> impl Iterator<Item = &str> {
    provider_id
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Names the row of each part of `provider_id` (in the transaction that records the send).
pub(super) fn register(
    conn: &Connection,
    outbox_id: i64,
    provider_id: &str,
) -> rusqlite::Result<()> {
    for part in part_ids(provider_id) {
        conn.execute(
            "INSERT INTO outbox_parts (provider_id, outbox_id) VALUES (?1, ?2)
             ON CONFLICT (provider_id) DO UPDATE SET outbox_id = excluded.outbox_id",
            params![part, outbox_id],
        )?;
    }
    Ok(())
}

/// The row's verdict once every part has a receipt: `None` while one is missing.
fn verdict(conn: &Connection, outbox_id: i64) -> rusqlite::Result<Option<PartOutcome>> {
    let mut parts = conn.prepare_cached(
        "SELECT delivered, reason FROM outbox_parts WHERE outbox_id = ?1 ORDER BY rowid",
    )?;
    let rows: Vec<(Option<bool>, Option<String>)> = parts
        .query_map([outbox_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.is_empty() || rows.iter().any(|(d, _)| d.is_none()) {
        return Ok(None);
    }
    let failed = rows.into_iter().find(|(d, _)| *d == Some(false));
    Ok(Some(match failed {
        Some((_, reason)) => PartOutcome::Failed(reason.unwrap_or_default()),
        None => PartOutcome::Delivered,
    }))
}

impl SqliteOutbox {
    /// Keeps one part's receipt and, if it completes its row, settles the row; answers the
    /// row and its new state when it did. A second receipt for a part changes nothing.
    pub fn record_receipt(
        &self,
        provider_id: &str,
        outcome: &PartOutcome,
        at: Timestamp,
        now: Timestamp,
    ) -> Result<Option<(i64, OutboxState)>, OutboxError> {
        let (delivered, reason) = match outcome {
            PartOutcome::Delivered => (true, None),
            PartOutcome::Failed(reason) => (false, Some(reason.as_str())),
        };
        let row = {
            let conn = self.conn();
            conn.execute(
                "INSERT INTO outbox_parts (provider_id, delivered, reason, at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (provider_id) DO UPDATE SET delivered = excluded.delivered,
                 reason = excluded.reason, at = excluded.at
                 WHERE outbox_parts.delivered IS NULL",
                params![provider_id.trim(), delivered, reason, at.0],
            )
            .context("recording a receipt")?;
            conn.query_row(
                "SELECT outbox_id FROM outbox_parts WHERE provider_id = ?1",
                [provider_id.trim()],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()
            .context("finding the receipt's row")?
            .flatten()
        };
        match row {
            Some(id) => self.settle_by_parts(id, now),
            None => Ok(None),
        }
    }

    /// Settles `id` by its parts' receipts if all are in and it still waits for them.
    pub(super) fn settle_by_parts(
        &self,
        id: i64,
        now: Timestamp,
    ) -> Result<Option<(i64, OutboxState)>, OutboxError> {
        let found = verdict(&self.conn(), id).context("reading the parts' receipts")?;
        let Some(found) = found else {
            return Ok(None);
        };
        let current = self.row(id)?.ok_or(OutboxError::NotFound(id))?.state;
        if current != OutboxState::Sent {
            // Already settled (or not yet recorded as sent): nothing to do now.
            return Ok(None);
        }
        let state = match &found {
            PartOutcome::Delivered => self.settle(id, OutboxEvent::Delivered, None, now)?,
            PartOutcome::Failed(reason) => {
                self.settle(id, OutboxEvent::Refused, Some(reason), now)?
            }
        };
        Ok(Some((id, state)))
    }
}
