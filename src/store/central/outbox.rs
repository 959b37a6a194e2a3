//! The durable outbox (see `OUTBOX-AND-FEED.md`): one row per message to one recipient on one
//! channel, or per relay command, driven through the life cycle of
//! [`crate::domain::outbox`].
//!
//! - Enqueue is idempotent on `idem_key`.
//! - A claim is one `BEGIN IMMEDIATE` transaction: the oldest due rows get `attempt + 1`, a
//!   lease owner and a lease end.
//! - Every later step of the lease holder is fenced: `WHERE id = ? AND attempt = ? AND
//!   lease_owner = ? AND state = ?`. A worker whose lease was taken over updates nothing and
//!   gets [`OutboxError::Fenced`].
//! - [`SqliteOutbox::recover`] after a crash: lapsed `claimed` rows go back to `queued`, lapsed
//!   `sending` rows become `unknown`, never resent blindly.
//!
//! [`SqliteOutbox`] has its own connection to the central's database (the table is one of the
//! central's migrations), so dispatch workers contend for SQLite's write lock like any other
//! writer and a test can "restart" by opening it again.

use std::fmt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension as _, Row, TransactionBehavior, params};

use crate::domain::Timestamp;
use crate::domain::outbox::{
    IllegalTransition, OutboxEvent, OutboxState, needs_lease, recovered, transition,
};
use crate::store::{Context as _, StoreError, sqlite};

pub mod decisions;
pub mod inbound;
pub mod receipts;

pub use decisions::ResendMark;

/// The outbox table (a migration of the central's database).
pub const SCHEMA: &str = "
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    idem_key    TEXT    NOT NULL UNIQUE, -- warning version x recipient x channel; command id
    kind        TEXT    NOT NULL,        -- which channel or device family sends it
    payload     TEXT    NOT NULL,        -- what to send, as the channel reads it (JSON)
    state       TEXT    NOT NULL,        -- domain::outbox::OutboxState code
    attempt     INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,                 -- Unix ms, UTC
    due_at      INTEGER NOT NULL,        -- Unix ms, UTC: not claimed before
    provider_id TEXT,                    -- the provider's id for it (SMSC id, WeChat msgid)
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, due_at);
CREATE INDEX outbox_lease ON outbox (state, lease_until);
";

/// A message to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Unique per message: enqueueing the same key again changes nothing.
    pub idem_key: String,
    /// Which channel or device family sends it (`sms`, `wecom`, `relay`).
    pub kind: String,
    /// What to send, as the channel reads it.
    pub payload: String,
    /// Not claimed before this time.
    pub due_at: Timestamp,
}

/// An outbox row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// Idempotency key.
    pub idem_key: String,
    /// Channel or device family.
    pub kind: String,
    /// What to send.
    pub payload: String,
    /// Where it stands.
    pub state: OutboxState,
    /// Claims so far (the fencing token's second half).
    pub attempt: u32,
    /// The worker holding (or last holding) its lease.
    pub lease_owner: Option<String>,
    /// When that lease ends.
    pub lease_until: Option<Timestamp>,
    /// Not claimed before this time.
    pub due_at: Timestamp,
    /// The provider's id for it, once sent.
    pub provider_id: Option<String>,
    /// Why the last attempt did not succeed.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// How, by whom and why it was last sent again after its outcome was unknown.
    pub resent: Option<ResendMark>,
}

impl OutboxRow {
    /// The fencing token of the lease this row was claimed with.
    pub fn lease(&self) -> Option<Lease> {
        self.lease_owner.as_ref().map(|owner| Lease {
            id: self.id,
            attempt: self.attempt,
            owner: owner.clone(),
        })
    }
}

/// A worker's hold on one row: every step it takes is fenced by all three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Row id.
    pub id: i64,
    /// The attempt it was claimed as.
    pub attempt: u32,
    /// The claiming worker.
    pub owner: String,
}

/// [`SqliteOutbox::enqueue`] inside a caller's transaction (a relay command and its row are
/// written together).
pub fn enqueue_in(
    conn: &Connection,
    message: &NewMessage,
    now: Timestamp,
) -> Result<(i64, bool), StoreError> {
    let added = conn
        .execute(
            "INSERT INTO outbox (idem_key, kind, payload, state, due_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (idem_key) DO NOTHING",
            params![
                message.idem_key,
                message.kind,
                message.payload,
                OutboxState::Queued.code(),
                message.due_at.0,
                now.0
            ],
        )
        .context("enqueueing")?;
    let id = conn
        .query_row(
            "SELECT id FROM outbox WHERE idem_key = ?1",
            [&message.idem_key],
            |row| row.get(0),
        )
        .context("reading the enqueued row")?;
    Ok((id, added == 1))
}

/// What [`SqliteOutbox::recover`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Lapsed claims put back in the queue.
    pub requeued: usize,
    /// Lapsed sends marked `unknown`.
    pub unknown: usize,
}

/// Why an outbox step was not taken.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The lease is no longer this worker's (taken over, recovered, or withdrawn): stop.
    #[error("outbox row {id}: lease of attempt {attempt} by {owner} no longer holds")]
    Fenced {
        /// Row id.
        id: i64,
        /// The attempt the worker held.
        attempt: u32,
        /// The worker.
        owner: String,
    },
    /// The row's state does not allow the step.
    #[error("outbox row {id}: {source}")]
    Illegal {
        /// Row id.
        id: i64,
        /// The refused step.
        #[source]
        source: IllegalTransition,
    },
    /// No such row.
    #[error("outbox row {0} does not exist")]
    NotFound(i64),
}

/// The outbox over one connection to the central's database.
pub struct SqliteOutbox {
    conn: Mutex<Connection>,
}

impl fmt::Debug for SqliteOutbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteOutbox").finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, idem_key, kind, payload, state, attempt, lease_owner, lease_until, \
                       due_at, provider_id, last_error, created_at, updated_at, resent_how, \
                       resent_by, resent_reason, resent_at";

impl SqliteOutbox {
    /// Opens the outbox of the central database at `path`, which the central has migrated.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = sqlite::open(path)?;
        let exists: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'outbox'",
                [],
                |row| row.get(0),
            )
            .context("looking for the outbox")?;
        if !exists {
            return Err(StoreError::Corrupt {
                path: path.display().to_string(),
                reason: "no outbox table: open it as a central database first".into(),
            });
        }
        Ok(Self {
            conn: Mutex::new(super::immediate(conn)),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock dropped its transaction, which rolled back.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `message` unless its key is already there; returns its row id and whether it is
    /// new.
    pub fn enqueue(&self, message: &NewMessage, now: Timestamp) -> Result<(i64, bool), StoreError> {
        enqueue_in(&self.conn(), message, now)
    }

    /// Claims up to `limit` of the oldest due `queued` rows for `owner` until `now + lease_ms`.
    pub fn claim(
        &self,
        owner: &str,
        lease_ms: i64,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.claim_kind(None, owner, lease_ms, limit, now)
    }

    /// [`Self::claim`] of one kind only (`Some("sms")`), so each channel's dispatcher takes
    /// its own rows at its own pace.
    pub fn claim_kind(
        &self,
        kind: Option<&str>,
        owner: &str,
        lease_ms: i64,
        limit: usize,
        now: Timestamp,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let mut conn = self.conn();
        // IMMEDIATE: take the write lock before reading, so two claimers never read the same
        // rows as free.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context("starting claim")?;
        let ids: Vec<i64> = {
            let mut due = tx
                .prepare_cached(
                    "SELECT id FROM outbox WHERE state = ?1 AND due_at <= ?2
                     AND (?4 IS NULL OR kind = ?4) ORDER BY due_at, id LIMIT ?3",
                )
                .context("preparing claim")?;
            due.query_map(
                params![OutboxState::Queued.code(), now.0, limit as i64, kind],
                |row| row.get(0),
            )
            .and_then(Iterator::collect)
            .context("finding due rows")?
        };
        let claimed = transition(OutboxState::Queued, OutboxEvent::Claim)
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            tx.execute(
                "UPDATE outbox SET state = ?2, attempt = attempt + 1, lease_owner = ?3,
                 lease_until = ?4, updated_at = ?5 WHERE id = ?1",
                params![id, claimed.code(), owner, now.0 + lease_ms, now.0],
            )
            .context("claiming")?;
            rows.push(read_row(&tx, id)?.ok_or_else(|| missing(id))?);
        }
        tx.commit().context("committing claim")?;
        Ok(rows)
    }

    /// The lease holder is about to call the provider: `claimed` → `sending`.
    pub fn mark_sending(&self, lease: &Lease, now: Timestamp) -> Result<(), OutboxError> {
        self.fenced(
            lease,
            OutboxState::Claimed,
            OutboxEvent::MarkSending,
            now,
            |_| Ok(()),
        )
    }

    /// The provider accepted it as `provider_id`: `sending` → `sent`, recorded in one
    /// transaction with its parts' ids so the window of doubt is only the call itself. Receipts
    /// that came before it settle the row at once.
    pub fn mark_sent(
        &self,
        lease: &Lease,
        provider_id: &str,
        now: Timestamp,
    ) -> Result<(), OutboxError> {
        self.fenced(
            lease,
            OutboxState::Sending,
            OutboxEvent::MarkSent,
            now,
            |conn| {
                conn.execute(
                    "UPDATE outbox SET provider_id = ?2, lease_until = NULL WHERE id = ?1",
                    params![lease.id, provider_id],
                )?;
                receipts::register(conn, lease.id, provider_id)
            },
        )?;
        self.settle_by_parts(lease.id, now).map(drop)
    }

    /// The provider answered "not now": `sending` → `queued`, due again at `due_at`.
    pub fn retry(
        &self,
        lease: &Lease,
        error: &str,
        due_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), OutboxError> {
        self.fenced(
            lease,
            OutboxState::Sending,
            OutboxEvent::Retry,
            now,
            |conn| {
                conn.execute(
                    "UPDATE outbox SET last_error = ?2, due_at = ?3, lease_until = NULL
                 WHERE id = ?1",
                    params![lease.id, error, due_at.0],
                )
                .map(drop)
            },
        )
    }

    /// The provider call ended without a clear answer: `sending` → `unknown`, never resent
    /// unless a person or the bureau's policy decides so.
    pub fn mark_unknown(
        &self,
        lease: &Lease,
        error: &str,
        now: Timestamp,
    ) -> Result<(), OutboxError> {
        self.fenced(
            lease,
            OutboxState::Sending,
            OutboxEvent::InDoubt,
            now,
            |conn| {
                conn.execute(
                    "UPDATE outbox SET last_error = ?2, lease_until = NULL WHERE id = ?1",
                    params![lease.id, error],
                )
                .map(drop)
            },
        )
    }

    /// The provider refused it for good: `sending` → `failed`.
    pub fn refuse(&self, lease: &Lease, error: &str, now: Timestamp) -> Result<(), OutboxError> {
        self.fenced(
            lease,
            OutboxState::Sending,
            OutboxEvent::Refused,
            now,
            |conn| {
                conn.execute(
                    "UPDATE outbox SET last_error = ?2, lease_until = NULL WHERE id = ?1",
                    params![lease.id, error],
                )
                .map(drop)
            },
        )
    }

    /// One fenced step from `from`: updates only if the row is still in `from` under this very
    /// lease, then lets `also` record the step's details in the same transaction.
    fn fenced(
        &self,
        lease: &Lease,
        from: OutboxState,
        event: OutboxEvent,
        now: Timestamp,
        also: impl FnOnce(&Connection) -> rusqlite::Result<()>,
    ) -> Result<(), OutboxError> {
        debug_assert!(needs_lease(from, event));
        let to = transition(from, event).map_err(|source| OutboxError::Illegal {
            id: lease.id,
            source,
        })?;
        let mut conn = self.conn();
        let tx = conn.transaction().context("starting outbox step")?;
        let changed = tx
            .execute(
                "UPDATE outbox SET state = ?5, updated_at = ?6
                 WHERE id = ?1 AND attempt = ?2 AND lease_owner = ?3 AND state = ?4",
                params![
                    lease.id,
                    lease.attempt,
                    lease.owner,
                    from.code(),
                    to.code(),
                    now.0
                ],
            )
            .context("fenced outbox update")?;
        if changed == 0 {
            return Err(OutboxError::Fenced {
                id: lease.id,
                attempt: lease.attempt,
                owner: lease.owner.clone(),
            });
        }
        also(&tx).context("recording the outbox step")?;
        tx.commit().context("committing outbox step")?;
        Ok(())
    }

    /// A step anyone may take on a row no lease covers (a receipt, a recorded resend, a
    /// cancellation); refused by the life cycle's rules otherwise.
    pub fn settle(
        &self,
        id: i64,
        event: OutboxEvent,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<OutboxState, OutboxError> {
        let mut conn = self.conn();
        let tx = conn.transaction().context("starting outbox settle")?;
        let from = read_row(&tx, id)?.ok_or(OutboxError::NotFound(id))?.state;
        let to = transition(from, event).map_err(|source| OutboxError::Illegal { id, source })?;
        if needs_lease(from, event) {
            return Err(OutboxError::Illegal {
                id,
                source: IllegalTransition { from, event },
            });
        }
        tx.execute(
            "UPDATE outbox SET state = ?3, last_error = coalesce(?4, last_error),
             lease_until = NULL, updated_at = ?5 WHERE id = ?1 AND state = ?2",
            params![id, from.code(), to.code(), note, now.0],
        )
        .context("settling outbox row")?;
        tx.commit().context("committing outbox settle")?;
        Ok(to)
    }

    /// After a crash (or a hung worker): rows whose lease ended by `now` go back to `queued`
    /// if they were only claimed, and become `unknown` if the provider call had begun.
    pub fn recover(&self, now: Timestamp) -> Result<Recovered, StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context("starting outbox recovery")?;
        let mut counts = Recovered::default();
        for from in [OutboxState::Claimed, OutboxState::Sending] {
            let Some(to) = recovered(from) else { continue };
            let note = match to {
                OutboxState::Unknown => "lease lapsed during the provider call",
                _ => "lease lapsed before the provider call",
            };
            let changed = tx
                .execute(
                    "UPDATE outbox SET state = ?2, lease_until = NULL, last_error = ?3,
                     updated_at = ?4 WHERE state = ?1 AND lease_until <= ?4",
                    params![from.code(), to.code(), note, now.0],
                )
                .context("recovering lapsed leases")?;
            match to {
                OutboxState::Unknown => counts.unknown += changed,
                _ => counts.requeued += changed,
            }
        }
        tx.commit().context("committing outbox recovery")?;
        if counts != Recovered::default() {
            tracing::warn!(
                requeued = counts.requeued,
                unknown = counts.unknown,
                "outbox leases lapsed"
            );
        }
        Ok(counts)
    }

    /// One row.
    pub fn row(&self, id: i64) -> Result<Option<OutboxRow>, StoreError> {
        read_row(&self.conn(), id)
    }

    /// The rows whose key starts with `prefix` (`warning:w7:`), by id.
    pub fn rows_keyed(&self, prefix: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let conn = self.conn();
        let raw: Vec<(OutboxRow, String)> = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE substr(idem_key, 1, length(?1)) = ?1 \
                 ORDER BY id"
            ))
            .and_then(|mut s| s.query_map([prefix], raw_row)?.collect())
            .context("reading keyed rows")?;
        raw.into_iter().map(decoded).collect()
    }

    /// How many rows stand in each state (states with none left out).
    pub fn counts(&self) -> Result<Vec<(OutboxState, u64)>, StoreError> {
        let conn = self.conn();
        let mut query = conn
            .prepare_cached("SELECT state, count(*) FROM outbox GROUP BY state")
            .context("preparing outbox counts")?;
        let counts: Vec<(String, i64)> = query
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .and_then(Iterator::collect)
            .context("counting outbox rows")?;
        counts
            .into_iter()
            .map(|(code, n)| Ok((parse_state(&code)?, n.unsigned_abs())))
            .collect()
    }
}

fn read_row(conn: &Connection, id: i64) -> Result<Option<OutboxRow>, StoreError> {
    let raw = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"),
            [id],
            raw_row,
        )
        .optional()
        .context("reading outbox row")?;
    raw.map(decoded).transpose()
}

/// A raw row with its state decoded.
fn decoded((row, state): (OutboxRow, String)) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        state: parse_state(&state)?,
        ..row
    })
}

/// The row with a placeholder state, and the stored state's code (decoded by the caller, so a
/// bad code is a decode error rather than a SQLite one).
fn raw_row(row: &Row<'_>) -> rusqlite::Result<(OutboxRow, String)> {
    let time = |i: usize| row.get::<_, i64>(i).map(Timestamp);
    Ok((
        OutboxRow {
            id: row.get(0)?,
            idem_key: row.get(1)?,
            kind: row.get(2)?,
            payload: row.get(3)?,
            state: OutboxState::Queued,
            attempt: row.get(5)?,
            lease_owner: row.get(6)?,
            lease_until: row.get::<_, Option<i64>>(7)?.map(Timestamp),
            due_at: time(8)?,
            provider_id: row.get(9)?,
            last_error: row.get(10)?,
            created_at: time(11)?,
            updated_at: time(12)?,
            resent: resend_mark(row)?,
        },
        row.get(4)?,
    ))
}

/// The resend mark of a row read with [`COLUMNS`], if it has one (an unknown `how` code is
/// read as a decision: a person's, the stricter reading).
fn resend_mark(row: &Row<'_>) -> rusqlite::Result<Option<ResendMark>> {
    let Some(how) = row.get::<_, Option<String>>(13)? else {
        return Ok(None);
    };
    Ok(Some(ResendMark {
        how: crate::domain::outbox::policy::ResendHow::parse(&how)
            .unwrap_or(crate::domain::outbox::policy::ResendHow::Decision),
        by: row.get::<_, Option<String>>(14)?.unwrap_or_default(),
        reason: row.get::<_, Option<String>>(15)?.unwrap_or_default(),
        at: Timestamp(row.get::<_, Option<i64>>(16)?.unwrap_or_default()),
    }))
}

fn parse_state(code: &str) -> Result<OutboxState, StoreError> {
    OutboxState::parse(code).ok_or_else(|| StoreError::Decode(format!("outbox state {code:?}")))
}

fn missing(id: i64) -> StoreError {
    StoreError::Decode(format!("outbox row {id} vanished while claimed"))
}
