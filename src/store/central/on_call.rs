//! Who is on call, day by day (Beijing dates), and the alarms raised for them: the duty
//! roster the supervisor keeps, and every alarm (a warning suggestion, later a device's)
//! kept until it has been fanned out to an on-call person, so an alarm raised while nobody is
//! on call is sent once someone is, not lost.
//!
//! Personal data stays with the recipients: the roster holds recipient ids only, the audit
//! entry of a change names the day and the ids.

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::domain::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::store::central::{SqliteCentralStore, audit};
use crate::store::{Context as _, StoreError};

/// The roster and the alarms.
pub const SCHEMA: &str = "
CREATE TABLE on_call (
    day       TEXT    NOT NULL,          -- Beijing date, YYYY-MM-DD
    recipient INTEGER NOT NULL,          -- recipients.id (bureau staff)
    PRIMARY KEY (day, recipient)
);
CREATE TABLE alarms (
    source     TEXT    NOT NULL,         -- who raised it: suggestion, device …
    key        TEXT    NOT NULL,         -- the source's own key: one alarm per key
    text       TEXT    NOT NULL,         -- what the on-call person reads (no personal data)
    raised_at  INTEGER NOT NULL,         -- Unix ms
    fanned_at  INTEGER,                  -- when its rows were made for an on-call person
    PRIMARY KEY (source, key)
);
CREATE INDEX alarms_unfanned ON alarms (raised_at) WHERE fanned_at IS NULL;
";

/// One alarm as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// Who raised it (`suggestion`).
    pub source: String,
    /// The source's key for it.
    pub key: String,
    /// What the on-call person reads.
    pub text: String,
    /// When it was raised.
    pub raised_at: Timestamp,
    /// When its messages were made; `None`: nobody was on call yet.
    pub fanned_at: Option<Timestamp>,
}

/// What the central stores of the roster and the alarms. Blocks the calling thread.
pub trait OnCallStore {
    /// The recipients on call on Beijing date `day` (`2026-12-07`), by id.
    fn on_call(&self, day: &str) -> Result<Vec<u64>, StoreError>;

    /// The roster from `from` to `to` (Beijing dates, inclusive): each day with someone.
    fn roster(&self, from: &str, to: &str) -> Result<Vec<(String, Vec<u64>)>, StoreError>;

    /// Puts `recipients` on call on `day` (replacing whoever was) with its audit entry.
    fn set_on_call(
        &self,
        day: &str,
        recipients: &[u64],
        audit: AuditRecord,
    ) -> Result<(), StoreError>;

    /// Keeps an alarm; `false` if one with its source and key is kept already.
    fn raise_alarm(
        &self,
        source: &str,
        key: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Alarms not yet fanned out, oldest first.
    fn unfanned_alarms(&self) -> Result<Vec<Alarm>, StoreError>;

    /// Records that `source`/`key`'s messages were made.
    fn alarm_fanned(&self, source: &str, key: &str, now: Timestamp) -> Result<(), StoreError>;

    /// One alarm.
    fn alarm(&self, source: &str, key: &str) -> Result<Option<Alarm>, StoreError>;
}

fn ids(conn: &Connection, day: &str) -> Result<Vec<u64>, StoreError> {
    let mut statement = conn
        .prepare_cached("SELECT recipient FROM on_call WHERE day = ?1 ORDER BY recipient")
        .context("reading the roster")?;
    let rows = statement
        .query_map([day], |r| r.get::<_, i64>(0))
        .context("reading the roster")?;
    rows.map(|r| r.map(|id| id.unsigned_abs()))
        .collect::<Result<_, _>>()
        .context("reading the roster")
}

fn alarm_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Alarm> {
    Ok(Alarm {
        source: row.get(0)?,
        key: row.get(1)?,
        text: row.get(2)?,
        raised_at: Timestamp(row.get(3)?),
        fanned_at: row.get::<_, Option<i64>>(4)?.map(Timestamp),
    })
}

const ALARM_COLUMNS: &str = "source, key, text, raised_at, fanned_at";

impl OnCallStore for SqliteCentralStore {
    fn on_call(&self, day: &str) -> Result<Vec<u64>, StoreError> {
        self.read(|conn| ids(conn, day))
    }

    fn roster(&self, from: &str, to: &str) -> Result<Vec<(String, Vec<u64>)>, StoreError> {
        self.read(|conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT DISTINCT day FROM on_call WHERE day BETWEEN ?1 AND ?2 ORDER BY day",
                )
                .context("reading the roster's days")?;
            let days: Vec<String> = statement
                .query_map([from, to], |r| r.get(0))
                .and_then(Iterator::collect)
                .context("reading the roster's days")?;
            days.into_iter()
                .map(|day| Ok((day.clone(), ids(conn, &day)?)))
                .collect()
        })
    }

    fn set_on_call(
        &self,
        day: &str,
        recipients: &[u64],
        record: AuditRecord,
    ) -> Result<(), StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting a roster change")?;
        tx.execute("DELETE FROM on_call WHERE day = ?1", [day])
            .context("clearing the day's roster")?;
        for id in recipients {
            tx.execute(
                "INSERT OR IGNORE INTO on_call (day, recipient) VALUES (?1, ?2)",
                params![day, i64::try_from(*id).unwrap_or(i64::MAX)],
            )
            .context("setting the day's roster")?;
        }
        audit::append(&tx, self.seal()?, record)?;
        tx.commit().context("committing a roster change")
    }

    fn raise_alarm(
        &self,
        source: &str,
        key: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let writer = self.writer();
        let added = writer
            .execute(
                "INSERT OR IGNORE INTO alarms (source, key, text, raised_at) VALUES (?1, ?2, ?3, ?4)",
                params![source, key, text, now.0],
            )
            .context("keeping an alarm")?;
        Ok(added == 1)
    }

    fn unfanned_alarms(&self) -> Result<Vec<Alarm>, StoreError> {
        self.read(|conn| {
            let sql = format!(
                "SELECT {ALARM_COLUMNS} FROM alarms WHERE fanned_at IS NULL ORDER BY raised_at"
            );
            let mut statement = conn.prepare(&sql).context("reading alarms")?;
            statement
                .query_map([], alarm_of)
                .and_then(Iterator::collect)
                .context("reading alarms")
        })
    }

    fn alarm_fanned(&self, source: &str, key: &str, now: Timestamp) -> Result<(), StoreError> {
        self.writer()
            .execute(
                "UPDATE alarms SET fanned_at = ?3 WHERE source = ?1 AND key = ?2",
                params![source, key, now.0],
            )
            .context("marking an alarm sent")?;
        Ok(())
    }

    fn alarm(&self, source: &str, key: &str) -> Result<Option<Alarm>, StoreError> {
        self.read(|conn| {
            let sql = format!("SELECT {ALARM_COLUMNS} FROM alarms WHERE source = ?1 AND key = ?2");
            conn.query_row(&sql, [source, key], alarm_of)
                .optional()
                .context("reading an alarm")
        })
    }
}
