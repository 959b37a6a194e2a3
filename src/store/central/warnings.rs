//! Warnings as the central keeps them: one row per record (its content, pin, state and steps
//! as JSON: records are small and read whole), written with its change-log entry and its audit
//! entry in one transaction.

use rusqlite::{Connection, OptionalExtension as _, Row, params};

use super::audit;
use super::ingest::{append_change, head};
use super::schema::json;
use crate::domain::Timestamp;
use crate::domain::audit::{AuditKey, AuditRecord};
use crate::domain::refusal::Refusal;
use crate::protocol::ChangeData;
use crate::protocol::warnings::WarningRecord;
use crate::store::{Context as _, StoreError};

/// The warnings table. `seq` orders records by creation; `id` is what the API names.
pub const SCHEMA: &str = "
CREATE TABLE warnings (
    seq            INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    content        TEXT    NOT NULL,   -- protocol::warnings::WarningContent as JSON
    pin            TEXT    NOT NULL,
    drafter        TEXT    NOT NULL,
    state          TEXT    NOT NULL,   -- domain::warning::approval::DraftState as JSON
    steps          TEXT    NOT NULL,   -- [protocol::warnings::WarningStep] as JSON
    cap_identifier TEXT    UNIQUE,
    released_at    INTEGER,            -- Unix ms, UTC
    replaced_by    TEXT,
    practice       INTEGER NOT NULL
);
";

/// Every warning record, newest first (a county issues a few hundred a year: read whole).
pub fn all(conn: &Connection) -> Result<Vec<WarningRecord>, StoreError> {
    let mut select = conn
        .prepare_cached(
            "SELECT id, content, pin, drafter, state, steps, cap_identifier, released_at,
                    replaced_by
             FROM warnings ORDER BY seq DESC",
        )
        .context("preparing warnings")?;
    let rows = select
        .query_map([], raw)
        .and_then(Iterator::collect::<Result<Vec<Raw>, _>>)
        .context("reading warnings")?;
    rows.into_iter().map(decode).collect()
}

/// One record by id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<WarningRecord>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT id, content, pin, drafter, state, steps, cap_identifier, released_at,
                    replaced_by
             FROM warnings WHERE id = ?1",
        )
        .and_then(|mut s| s.query_row([id], raw).optional())
        .context("reading a warning")?;
    row.map(decode).transpose()
}

/// The id the next new record gets (`w1`, `w2`, …; never reused: records are never deleted).
pub fn next_id(conn: &Connection) -> Result<String, StoreError> {
    let seq: i64 = conn
        .query_row("SELECT coalesce(max(seq), 0) + 1 FROM warnings", [], |r| {
            r.get(0)
        })
        .context("numbering a warning")?;
    Ok(format!("w{seq}"))
}

/// Inserts or replaces `record`.
pub fn upsert(conn: &Connection, record: &WarningRecord) -> Result<(), StoreError> {
    let (content, state, steps) = (
        json(&record.content)?,
        json(&record.state)?,
        json(&record.steps)?,
    );
    conn.prepare_cached(
        "INSERT INTO warnings (id, content, pin, drafter, state, steps, cap_identifier,
                               released_at, replaced_by, practice)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET content = excluded.content, pin = excluded.pin,
             state = excluded.state, steps = excluded.steps,
             cap_identifier = excluded.cap_identifier, released_at = excluded.released_at,
             replaced_by = excluded.replaced_by, practice = excluded.practice",
    )
    .and_then(|mut s| {
        s.execute(params![
            record.id,
            content,
            record.pin,
            record.drafter,
            state,
            steps,
            record.cap_identifier,
            record.released_at.map(Timestamp::millis),
            record.replaced_by,
            record.content.practice,
        ])
    })
    .context("storing a warning")?;
    Ok(())
}

type Raw = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

fn raw(row: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn decode(
    (id, content, pin, drafter, state, steps, cap_identifier, released_at, replaced_by): Raw,
) -> Result<WarningRecord, StoreError> {
    let bad = |e: serde_json::Error| StoreError::Decode(format!("warning {id}: {e}"));
    Ok(WarningRecord {
        content: serde_json::from_str(&content).map_err(bad)?,
        state: serde_json::from_str(&state).map_err(bad)?,
        steps: serde_json::from_str(&steps).map_err(bad)?,
        id,
        pin,
        drafter,
        cap_identifier,
        released_at: released_at.map(Timestamp),
        replaced_by,
    })
}

/// What the records say before a write: every record (newest first) and the id a new one
/// would get.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningBook {
    /// Every record, newest first.
    pub records: Vec<WarningRecord>,
    /// The id of a record created now.
    pub next_id: String,
}

impl WarningBook {
    /// The record `id`, if any.
    pub fn find(&self, id: &str) -> Option<&WarningRecord> {
        self.records.iter().find(|r| r.id == id)
    }
}

/// What a write stores: the records it changes (the one acted on first) and its audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningWrite {
    /// Records to store, each logged as a `warning` change.
    pub records: Vec<WarningRecord>,
    /// The audit entry of the step.
    pub audit: AuditRecord,
}

/// Why a warning write was refused or failed; the central answers each with its status.
#[derive(Debug, thiserror::Error)]
pub enum WarningError {
    /// No record has that id (404).
    #[error("{0}")]
    NotFound(Refusal),
    /// The caller may not take this step (403).
    #[error("{0}")]
    Forbidden(Refusal),
    /// The step contradicts the record as stored (409).
    #[error("{0}")]
    Conflict(Refusal),
    /// The content fails a check or a lifecycle rule (422).
    #[error("{0}")]
    Unprocessable(Refusal),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records written, and the change log's head after logging them.
pub type Written = (Vec<WarningRecord>, u64);

/// Reads the book inside `conn`'s transaction, lets `decide` say what to write, and stores,
/// logs and audits it.
pub fn write(
    conn: &Connection,
    now: Timestamp,
    seal: Option<&AuditKey>,
    decide: &dyn Fn(&WarningBook) -> Result<WarningWrite, WarningError>,
) -> Result<Written, WarningError> {
    let book = WarningBook {
        records: all(conn)?,
        next_id: next_id(conn)?,
    };
    let WarningWrite { records, audit } = decide(&book)?;
    for record in &records {
        upsert(conn, record)?;
        append_change(conn, now, &ChangeData::Warning(Box::new(record.clone())))?;
    }
    audit::append(conn, seal, audit)?;
    Ok((records, head(conn)?))
}
