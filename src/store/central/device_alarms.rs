//! Device alarms as the central keeps them: one open alarm per subject and kind (a unique
//! partial index), each change written to its timeline and, whole, to the change log in the
//! same transaction.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::ingest::append_change;
use super::schema::{enum_text, json};
use crate::domain::Timestamp;
use crate::domain::devices::alarm_book::{AlarmEvent, AlarmKind, AlarmRecord, Holding};
use crate::protocol::ChangeData;
use crate::store::{Context as _, StoreError};

/// Migration 22: device alarms and their timelines.
pub const SCHEMA: &str = "
CREATE TABLE device_alarms (
    id             INTEGER PRIMARY KEY,
    subject        TEXT    NOT NULL,       -- a device id, or incident:{scope}
    kind           TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    devices        TEXT    NOT NULL,       -- JSON array of the device ids it covers
    scope          TEXT,                   -- JSON Scope, for an incident
    active         INTEGER NOT NULL,
    acknowledged   INTEGER NOT NULL DEFAULT 0,
    raised_at      INTEGER NOT NULL,
    last_raised_at INTEGER NOT NULL,
    cleared_at     INTEGER,
    occurrences    INTEGER NOT NULL DEFAULT 1,
    acknowledged_by TEXT,
    assignee       TEXT,
    escalated_at   INTEGER,
    closed_at      INTEGER
);
CREATE UNIQUE INDEX device_alarms_open ON device_alarms (subject, kind) WHERE closed_at IS NULL;
CREATE TABLE device_alarm_events (
    alarm   INTEGER NOT NULL REFERENCES device_alarms(id),
    at      INTEGER NOT NULL,
    what    TEXT    NOT NULL,
    by      TEXT    NOT NULL,
    text    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX device_alarm_events_by_alarm ON device_alarm_events (alarm, at);
";

const COLUMNS: &str =
    "id, subject, kind, severity, devices, scope, active, acknowledged, raised_at,
    last_raised_at, cleared_at, occurrences, acknowledged_by, assignee, escalated_at, closed_at";

fn read_row(r: &Row<'_>) -> rusqlite::Result<AlarmRecord> {
    let text = |i| r.get::<_, String>(i);
    let json_err = |i, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    let unit = |i: usize| -> rusqlite::Result<serde_json::Value> {
        Ok(serde_json::Value::String(text(i)?))
    };
    let kind = serde_json::from_value(unit(2)?).map_err(|e| json_err(2, e))?;
    let severity = serde_json::from_value(unit(3)?).map_err(|e| json_err(3, e))?;
    let devices = serde_json::from_str(&text(4)?).map_err(|e| json_err(4, e))?;
    let scope = r
        .get::<_, Option<String>>(5)?
        .map(|s| serde_json::from_str(&s).map_err(|e| json_err(5, e)))
        .transpose()?;
    let at = |i| -> rusqlite::Result<Option<Timestamp>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(Timestamp))
    };
    let record = AlarmRecord {
        id: u64::try_from(r.get::<_, i64>(0)?).unwrap_or_default(),
        subject: text(1)?,
        kind,
        severity,
        devices,
        scope,
        active: r.get(6)?,
        acknowledged: r.get(7)?,
        raised_at: Timestamp(r.get(8)?),
        last_raised_at: Timestamp(r.get(9)?),
        cleared_at: at(10)?,
        occurrences: r.get(11)?,
        acknowledged_by: r.get(12)?,
        assignee: r.get(13)?,
        escalated_at: at(14)?,
        closed_at: at(15)?,
    };
    Ok(record)
}

/// An id as SQLite stores it.
fn sql_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

/// The alarm with this id.
pub fn get(conn: &Connection, id: u64) -> Result<Option<AlarmRecord>, StoreError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM device_alarms WHERE id = ?1"),
        [sql_id(id)],
        read_row,
    )
    .optional()
    .context("reading an alarm")
}

/// The open alarm of `subject` and `kind`.
pub fn open_of(
    conn: &Connection,
    subject: &str,
    kind: AlarmKind,
) -> Result<Option<AlarmRecord>, StoreError> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM device_alarms
             WHERE subject = ?1 AND kind = ?2 AND closed_at IS NULL"
        ),
        params![subject, enum_text(&kind)?],
        read_row,
    )
    .optional()
    .context("reading an open alarm")
}

/// Every open alarm, and those closed since `closed_since`, newest first.
pub fn list(conn: &Connection, closed_since: Timestamp) -> Result<Vec<AlarmRecord>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM device_alarms
             WHERE closed_at IS NULL OR closed_at >= ?1 ORDER BY last_raised_at DESC, id DESC"
        ))
        .context("preparing alarms")?;
    let rows = stmt
        .query_map([closed_since.0], read_row)
        .context("reading alarms")?;
    rows.map(|r| r.context("reading an alarm")).collect()
}

/// An alarm's timeline, oldest first.
pub fn events(conn: &Connection, id: u64) -> Result<Vec<AlarmEvent>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT at, what, by, text FROM device_alarm_events WHERE alarm = ?1
             ORDER BY at, rowid",
        )
        .context("preparing alarm events")?;
    let rows = stmt
        .query_map([sql_id(id)], |r| {
            Ok(AlarmEvent {
                at: Timestamp(r.get(0)?),
                what: r.get(1)?,
                by: r.get(2)?,
                text: r.get(3)?,
            })
        })
        .context("reading alarm events")?;
    rows.map(|r| r.context("reading an alarm event")).collect()
}

/// Adds a line to an alarm's timeline and logs the alarm's new state.
fn note(
    conn: &Connection,
    id: u64,
    now: Timestamp,
    event: (&str, &str, &str),
) -> Result<AlarmRecord, StoreError> {
    let (what, by, text) = event;
    conn.execute(
        "INSERT INTO device_alarm_events (alarm, at, what, by, text) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![sql_id(id), now.0, what, by, text],
    )
    .context("writing an alarm event")?;
    let record =
        get(conn, id)?.ok_or_else(|| StoreError::Decode(format!("alarm {id} vanished")))?;
    append_change(conn, now, &ChangeData::Alarm(Box::new(record.clone())))?;
    Ok(record)
}

/// Raises `holding`: a new alarm, or one more occurrence of the open one (active again).
pub fn raise(
    conn: &Connection,
    holding: &Holding,
    now: Timestamp,
) -> Result<AlarmRecord, StoreError> {
    if let Some(open) = open_of(conn, &holding.subject, holding.kind)? {
        conn.execute(
            "UPDATE device_alarms SET active = 1, cleared_at = NULL, last_raised_at = ?2,
                 occurrences = occurrences + 1, devices = ?3, severity = ?4
             WHERE id = ?1",
            params![
                sql_id(open.id),
                now.0,
                json(&holding.devices)?,
                enum_text(&holding.severity)?
            ],
        )
        .context("raising an alarm again")?;
        return note(conn, open.id, now, ("raised_again", "central", ""));
    }
    conn.execute(
        "INSERT INTO device_alarms (subject, kind, severity, devices, scope, active, raised_at,
             last_raised_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)",
        params![
            holding.subject,
            enum_text(&holding.kind)?,
            enum_text(&holding.severity)?,
            json(&holding.devices)?,
            holding.scope.as_ref().map(json).transpose()?,
            now.0
        ],
    )
    .context("raising an alarm")?;
    let id = u64::try_from(conn.last_insert_rowid()).unwrap_or_default();
    note(conn, id, now, ("raised", "central", ""))
}

/// Names the devices an open, active alarm now covers (an incident that grew or shrank): one
/// alarm throughout, its timeline saying how many before and after. `None` when no such alarm.
pub fn regroup(
    conn: &Connection,
    holding: &Holding,
    now: Timestamp,
) -> Result<Option<AlarmRecord>, StoreError> {
    let Some(open) = open_of(conn, &holding.subject, holding.kind)? else {
        return Ok(None);
    };
    if !open.active || open.devices == holding.devices {
        return Ok(None);
    }
    conn.execute(
        "UPDATE device_alarms SET devices = ?2, severity = ?3 WHERE id = ?1",
        params![
            sql_id(open.id),
            json(&holding.devices)?,
            enum_text(&holding.severity)?
        ],
    )
    .context("regrouping an alarm")?;
    let counts = format!("{} → {}", open.devices.len(), holding.devices.len());
    note(conn, open.id, now, ("regrouped", "central", &counts)).map(Some)
}

/// Clears the open alarm of `subject`/`kind`; an acknowledged one closes with it.
pub fn clear(
    conn: &Connection,
    subject: &str,
    kind: AlarmKind,
    now: Timestamp,
) -> Result<Option<AlarmRecord>, StoreError> {
    let Some(open) = open_of(conn, subject, kind)? else {
        return Ok(None);
    };
    conn.execute(
        "UPDATE device_alarms SET active = 0, cleared_at = ?2,
             closed_at = CASE WHEN acknowledged = 1 THEN ?2 END
         WHERE id = ?1",
        params![sql_id(open.id), now.0],
    )
    .context("clearing an alarm")?;
    note(conn, open.id, now, ("cleared", "central", "")).map(Some)
}

/// What a person does to an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handling {
    /// Takes it in hand; a cleared alarm closes.
    Acknowledge,
    /// Gives it to someone.
    Assign(String),
    /// Adds a comment.
    Comment(String),
    /// Closes it: a maintenance visit dealt with it (the text says which).
    Close(String),
}

/// Applies `handling` by `by` to open alarm `id`; `None` when there is no such open alarm.
pub fn handle(
    conn: &Connection,
    id: u64,
    handling: &Handling,
    by: &str,
    now: Timestamp,
) -> Result<Option<AlarmRecord>, StoreError> {
    let Some(alarm) = get(conn, id)?.filter(|a| a.closed_at.is_none()) else {
        return Ok(None);
    };
    let id = sql_id(alarm.id);
    let done = |result: rusqlite::Result<usize>| result.map(drop).context("handling an alarm");
    let (what, text) = match handling {
        Handling::Acknowledge => {
            done(conn.execute(
                "UPDATE device_alarms SET acknowledged = 1, acknowledged_by = ?2,
                     closed_at = CASE WHEN active = 0 THEN ?3 END WHERE id = ?1",
                params![id, by, now.0],
            ))?;
            ("acknowledged", "")
        }
        Handling::Assign(who) => {
            done(conn.execute(
                "UPDATE device_alarms SET assignee = ?2 WHERE id = ?1",
                params![id, who],
            ))?;
            ("assigned", who.as_str())
        }
        // Nothing but the timeline changes.
        Handling::Comment(text) => ("commented", text.as_str()),
        Handling::Close(why) => {
            done(conn.execute(
                "UPDATE device_alarms SET active = 0, closed_at = ?2,
                     cleared_at = coalesce(cleared_at, ?2) WHERE id = ?1",
                params![id, now.0],
            ))?;
            ("closed", why.as_str())
        }
    };
    note(conn, alarm.id, now, (what, by, text)).map(Some)
}

/// Marks an alarm escalated to the on-call technician.
pub fn escalated(conn: &Connection, id: u64, now: Timestamp) -> Result<AlarmRecord, StoreError> {
    conn.execute(
        "UPDATE device_alarms SET escalated_at = ?2 WHERE id = ?1",
        params![sql_id(id), now.0],
    )
    .context("marking an alarm escalated")?;
    note(
        conn,
        id,
        now,
        ("escalated", "central", "on-call technician alerted"),
    )
}
