//! 叫应 as the central keeps it: one line per warning and person called, the phone calls
//! forecasters log on them, and the yearly confirmations of the call list. Every step of a
//! line appends its [`CalloutChange`] to the change log in the same transaction; the change
//! names ids, duty and township only — names and numbers stay in `recipients`, behind the
//! guarded routes.

mod store;

use rusqlite::{Connection, OptionalExtension as _, Row, params};

pub use store::CalloutStore;

use super::ingest::append_change;
use crate::domain::Timestamp;
use crate::domain::callout::{AnswerHow, REPLY_STAMP_SLACK_MS, Stage};
use crate::domain::network::TownshipCode;
use crate::domain::recipients::Duty;
use crate::protocol::ChangeData;
use crate::protocol::callout::{CalloutChange, LineState, PhoneCall};
use crate::store::central::outbox::inbound::{InboundMessage, StoredReply};
use crate::store::{Context as _, StoreError};

/// The call lines, the logged phone calls and the roster confirmations.
pub const SCHEMA: &str = "
CREATE TABLE callout_lines (
    id           INTEGER PRIMARY KEY,
    warning      TEXT    NOT NULL,
    recipient    INTEGER NOT NULL,      -- recipients.id (no foreign key: a line outlives its person)
    code         TEXT    NOT NULL,      -- the warning's short code, as the call SMS asked it back
    duty         TEXT    NOT NULL,      -- domain::recipients::Duty code, as called
    township     INTEGER,               -- NBS code; NULL for county-level people
    called_at    INTEGER NOT NULL,      -- Unix ms, UTC
    stage        TEXT    NOT NULL,      -- domain::callout::Stage code
    escalated_at INTEGER,
    how          TEXT,                  -- domain::callout::AnswerHow code, once answered
    answered_at  INTEGER,
    answered_by  TEXT,                  -- the logged answerer or the replier's name
    said         TEXT,                  -- what was said or written back
    inbound      INTEGER,               -- inbound_messages.id of the reply that answered it
    UNIQUE (warning, recipient)
);
CREATE INDEX callout_lines_open ON callout_lines (answered_at, recipient);
CREATE TABLE callout_calls (
    id        INTEGER PRIMARY KEY,
    line      INTEGER NOT NULL REFERENCES callout_lines (id),
    at        INTEGER NOT NULL,         -- when the call was made
    logged_by TEXT    NOT NULL,         -- the forecaster's account
    answerer  TEXT    NOT NULL,
    said      TEXT    NOT NULL,
    answered  INTEGER NOT NULL,
    logged_at INTEGER NOT NULL
);
CREATE TABLE callout_roster (
    id           INTEGER PRIMARY KEY,
    confirmed_at INTEGER NOT NULL,
    confirmed_by TEXT    NOT NULL
);
";

/// Lines found by the reply that answered them: the 叫应 worker's start asks, for each stored
/// reply, whether a line took it.
pub const BY_REPLY: &str = "
CREATE INDEX callout_lines_by_reply ON callout_lines (inbound) WHERE inbound IS NOT NULL;
";

/// A line to open: whom to call, as their recipient row says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLine {
    /// The recipient.
    pub recipient: u64,
    /// Their duty.
    pub duty: Duty,
    /// Their township.
    pub township: Option<TownshipCode>,
}

/// A line as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLine {
    /// Its state, as the feed carries it.
    pub change: CalloutChange,
    /// The warning's short code.
    pub code: String,
    /// Who answered.
    pub answered_by: Option<String>,
    /// What was said.
    pub said: Option<String>,
}

/// How a line is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// By which way.
    pub how: AnswerHow,
    /// When.
    pub at: Timestamp,
    /// Who answered.
    pub by: String,
    /// What was said.
    pub said: String,
    /// The inbound message that answered it, for a reply.
    pub inbound: Option<i64>,
}

const COLUMNS: &str = "id, warning, recipient, code, duty, township, called_at, stage, \
                       escalated_at, how, answered_at, answered_by, said";

type RawLine = (StoredLine, String, String, Option<String>);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawLine> {
    let answered_at: Option<i64> = row.get(10)?;
    let line = StoredLine {
        change: CalloutChange {
            line: row.get(0)?,
            warning: row.get(1)?,
            recipient: row.get::<_, i64>(2)? as u64,
            duty: Duty::Other,
            township: row.get::<_, Option<u32>>(5)?.map(TownshipCode),
            state: if answered_at.is_some() {
                LineState::Answered
            } else {
                LineState::Open
            },
            how: None,
            called_at: Timestamp(row.get(6)?),
            answered_at: answered_at.map(Timestamp),
            stage: Stage::None,
            escalated_at: row.get::<_, Option<i64>>(8)?.map(Timestamp),
        },
        code: row.get(3)?,
        answered_by: row.get(11)?,
        said: row.get(12)?,
    };
    Ok((line, row.get(4)?, row.get(7)?, row.get(9)?))
}

fn decoded((mut line, duty, stage, how): RawLine) -> Result<StoredLine, StoreError> {
    let bad = |what: &str, code: &str| StoreError::Decode(format!("callout {what} {code:?}"));
    line.change.duty = Duty::parse(&duty).ok_or_else(|| bad("duty", &duty))?;
    line.change.stage = Stage::parse(&stage).ok_or_else(|| bad("stage", &stage))?;
    line.change.how = how
        .map(|h| AnswerHow::parse(&h).ok_or_else(|| bad("answer", &h)))
        .transpose()?;
    Ok(line)
}

fn query(
    conn: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<StoredLine>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM callout_lines WHERE {filter} ORDER BY id");
    let rows: Vec<RawLine> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_map(args, raw)?.collect())
        .context("reading callout lines")?;
    rows.into_iter().map(decoded).collect()
}

/// The lines of `warning`, in the order they were opened.
pub fn lines(conn: &Connection, warning: &str) -> Result<Vec<StoredLine>, StoreError> {
    query(conn, "warning = ?1", &[&warning])
}

/// The lines called at or after `start`, of every warning (the 叫应 of the warnings
/// released since: a warning's lines are called once it is released).
pub fn lines_called_since(
    conn: &Connection,
    start: Timestamp,
) -> Result<Vec<StoredLine>, StoreError> {
    query(conn, "called_at >= ?1", &[&start.0])
}

/// Every line still open, of every warning.
pub fn open_lines(conn: &Connection) -> Result<Vec<StoredLine>, StoreError> {
    query(conn, "answered_at IS NULL", &[])
}

/// Every line open at `at`, of every warning: open still, or answered only after it.
pub fn lines_open_at(conn: &Connection, at: Timestamp) -> Result<Vec<StoredLine>, StoreError> {
    query(conn, "answered_at IS NULL OR answered_at > ?1", &[&at.0])
}

/// One line.
pub fn line(conn: &Connection, id: i64) -> Result<Option<StoredLine>, StoreError> {
    Ok(query(conn, "id = ?1", &[&id])?.into_iter().next())
}

/// Opens `new` lines of `warning` (coded `code`) called at `now`, each once: a line already
/// there is left as it is. Returns the lines opened, each logged.
pub fn open(
    conn: &Connection,
    warning: &str,
    code: &str,
    new: &[NewLine],
    now: Timestamp,
) -> Result<Vec<CalloutChange>, StoreError> {
    let mut opened = Vec::new();
    for person in new {
        let added = conn
            .prepare_cached(
                "INSERT INTO callout_lines (warning, recipient, code, duty, township, called_at, stage)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'none')
                 ON CONFLICT (warning, recipient) DO NOTHING RETURNING id",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![
                        warning,
                        person.recipient as i64,
                        code,
                        person.duty.code(),
                        person.township.map(|t| t.0),
                        now.0
                    ],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
            })
            .context("opening a callout line")?;
        if let Some(id) = added {
            opened.push(logged(conn, id, now)?);
        }
    }
    Ok(opened)
}

/// Reads line `id` back and appends it to the change log.
fn logged(conn: &Connection, id: i64, now: Timestamp) -> Result<CalloutChange, StoreError> {
    let stored = line(conn, id)?.ok_or_else(|| StoreError::Decode(format!("callout line {id}")))?;
    append_change(conn, now, &ChangeData::Callout(stored.change.clone()))?;
    Ok(stored.change)
}

/// The stored replies no line took that arrived since the oldest open line was called (with
/// [`REPLY_STAMP_SLACK_MS`]), oldest first: those stored but never applied, as when the
/// central stopped between the two, and those that matched nothing (harmless to try again).
/// None while no line is open.
pub fn replies_to_apply(conn: &Connection) -> Result<Vec<StoredReply>, StoreError> {
    conn.prepare_cached(
        "SELECT i.id, i.channel, i.sender, i.text, i.at, i.message_id FROM inbound_messages i
         WHERE i.at >= (SELECT MIN(called_at) FROM callout_lines WHERE answered_at IS NULL) - ?1
           AND NOT EXISTS (SELECT 1 FROM callout_lines l WHERE l.inbound = i.id)
         ORDER BY i.at, i.id",
    )
    .and_then(|mut s| {
        s.query_map([REPLY_STAMP_SLACK_MS], |r| {
            Ok(StoredReply {
                id: r.get(0)?,
                message: InboundMessage {
                    channel: r.get(1)?,
                    sender: r.get(2)?,
                    text: r.get(3)?,
                    at: Timestamp(r.get(4)?),
                    message_id: r.get(5)?,
                },
            })
        })?
        .collect()
    })
    .context("reading the replies to apply")
}

/// Answers line `id` if it is still open and the reply (if any) answered no line yet: a reply
/// answers one line at most, however often it is applied. The change, or `None` when nothing
/// changed.
pub fn answer(
    conn: &Connection,
    id: i64,
    answer: &Answer,
    now: Timestamp,
) -> Result<Option<CalloutChange>, StoreError> {
    let changed = conn
        .execute(
            "UPDATE callout_lines SET how = ?2, answered_at = ?3, answered_by = ?4, said = ?5,
                    inbound = ?6
             WHERE id = ?1 AND answered_at IS NULL
               AND (?6 IS NULL OR NOT EXISTS (SELECT 1 FROM callout_lines WHERE inbound = ?6))",
            params![
                id,
                answer.how.code(),
                answer.at.0,
                answer.by,
                answer.said,
                answer.inbound
            ],
        )
        .context("answering a callout line")?;
    if changed == 0 {
        return Ok(None);
    }
    logged(conn, id, now).map(Some)
}

/// Moves open line `id` to `stage` (only forward); the change, or `None` if nothing moved.
pub fn escalate(
    conn: &Connection,
    id: i64,
    stage: Stage,
    now: Timestamp,
) -> Result<Option<CalloutChange>, StoreError> {
    let Some(current) = line(conn, id)? else {
        return Ok(None);
    };
    if current.change.state != LineState::Open || current.change.stage >= stage {
        return Ok(None);
    }
    conn.execute(
        "UPDATE callout_lines SET stage = ?2, escalated_at = ?3 WHERE id = ?1",
        params![id, stage.code(), now.0],
    )
    .context("escalating a callout line")?;
    logged(conn, id, now).map(Some)
}

/// Keeps a logged phone call on line `line`.
pub fn add_call(conn: &Connection, call: &PhoneCall, now: Timestamp) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO callout_calls (line, at, logged_by, answerer, said, answered, logged_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            call.line,
            call.at.0,
            call.logged_by,
            call.answerer,
            call.said,
            call.answered,
            now.0
        ],
    )
    .context("logging a callout call")?;
    Ok(conn.last_insert_rowid())
}

/// The phone calls logged on `warning`'s lines, oldest first.
pub fn calls(conn: &Connection, warning: &str) -> Result<Vec<PhoneCall>, StoreError> {
    conn.prepare_cached(
        "SELECT c.id, c.line, c.at, c.logged_by, c.answerer, c.said, c.answered
         FROM callout_calls c JOIN callout_lines l ON l.id = c.line
         WHERE l.warning = ?1 ORDER BY c.id",
    )
    .and_then(|mut s| {
        s.query_map([warning], |r| {
            Ok(PhoneCall {
                id: r.get(0)?,
                line: r.get(1)?,
                at: Timestamp(r.get(2)?),
                logged_by: r.get(3)?,
                answerer: r.get(4)?,
                said: r.get(5)?,
                answered: r.get(6)?,
            })
        })?
        .collect()
    })
    .context("reading callout calls")
}

/// The latest confirmation of the call list: when, by whom.
pub fn roster(conn: &Connection) -> Result<Option<(Timestamp, String)>, StoreError> {
    conn.prepare_cached(
        "SELECT confirmed_at, confirmed_by FROM callout_roster ORDER BY id DESC LIMIT 1",
    )
    .and_then(|mut s| {
        s.query_row([], |r| Ok((Timestamp(r.get(0)?), r.get(1)?)))
            .optional()
    })
    .context("reading the roster confirmation")
}

/// Records that `by` confirmed the call list at `now`.
pub fn confirm_roster(conn: &Connection, by: &str, now: Timestamp) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO callout_roster (confirmed_at, confirmed_by) VALUES (?1, ?2)",
        params![now.0, by],
    )
    .context("confirming the roster")?;
    Ok(())
}

#[cfg(test)]
mod tests;
