//! The people warnings go to, as the central keeps them. Personal data: nothing here touches
//! the change log (desks never sync recipients; they ask the guarded routes), and audit entries
//! name the recipient's id and the fields that changed, never a value.
//!
//! Every change bumps `version`; an update or delete names the version it read and is refused
//! ([`RecipientError::VersionConflict`]) when someone else changed the row meanwhile.

mod store;

use rusqlite::{Connection, OptionalExtension as _, Row, params};

pub use store::{ImportedLine, RecipientStore};

use crate::domain::TownshipCode;
use crate::domain::recipients::{Duty, Group, MobileNumber, Recipient, RecipientDraft};
use crate::domain::{Timestamp, audit::AuditRecord};
use crate::store::{Context as _, StoreError};

/// The recipients table. `phone` is unique: one number is one person, so a warning never
/// texts it twice.
pub const SCHEMA: &str = "
CREATE TABLE recipients (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    township      INTEGER,               -- NBS code; NULL for county-level people
    village       TEXT,
    grp           TEXT    NOT NULL,      -- domain::recipients::Group code
    duty          TEXT    NOT NULL,      -- domain::recipients::Duty code
    phone         TEXT,                  -- 11 digits, personal data
    wechat_openid TEXT,
    wecom         TEXT,
    active        INTEGER NOT NULL,
    note          TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL       -- Unix ms
);
CREATE UNIQUE INDEX recipients_by_phone ON recipients (phone) WHERE phone IS NOT NULL;
CREATE INDEX recipients_by_township ON recipients (township, grp, duty);
";

/// Why a recipient could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecipientError {
    /// No recipient has that id.
    #[error("no recipient {0}")]
    NotFound(u64),
    /// The row changed since the caller read it.
    #[error("recipient {id} is at version {current}, not {expected}: someone changed it")]
    VersionConflict {
        /// The recipient.
        id: u64,
        /// The version the caller read.
        expected: u64,
        /// The version stored.
        current: u64,
    },
    /// Another recipient has this number (its id; the number is not repeated).
    #[error("the phone number belongs to recipient {0} already")]
    PhoneTaken(u64),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a listing keeps; `None` keeps all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientFilter {
    /// One township (`Some(None)`: county-level people only).
    pub township: Option<Option<TownshipCode>>,
    /// One group.
    pub group: Option<Group>,
    /// One duty.
    pub duty: Option<Duty>,
    /// Part of the name.
    pub name: Option<String>,
}

/// A page of recipients and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientPage {
    /// The page, by id.
    pub recipients: Vec<Recipient>,
    /// Matching recipients in all.
    pub total: u64,
}

/// Recipients of one township (or the county) and group: what the composer shows live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCount {
    /// The township; `None` for county-level people.
    pub township: Option<TownshipCode>,
    /// The group.
    pub group: Group,
    /// Active recipients.
    pub active: u64,
    /// Inactive recipients.
    pub inactive: u64,
    /// Distinct villages of the active ones.
    pub villages: u64,
}

/// An audit entry made from the recipient as it is after the write.
pub type AuditOf<'a> = &'a dyn Fn(&Recipient) -> AuditRecord;

const COLUMNS: &str = "id, name, township, village, grp, duty, phone, wechat_openid, wecom, \
                       active, note, version";

fn decode(row: &Row<'_>) -> rusqlite::Result<(Recipient, String, String, Option<String>)> {
    let recipient = Recipient {
        id: row.get::<_, i64>(0)?.unsigned_abs(),
        draft: RecipientDraft {
            name: row.get(1)?,
            township: row.get::<_, Option<u32>>(2)?.map(TownshipCode),
            village: row.get(3)?,
            // Filled in below, where a bad code can be an error of ours.
            group: Group::County,
            duty: Duty::Other,
            phone: None,
            wechat_openid: row.get(7)?,
            wecom: row.get(8)?,
            active: row.get(9)?,
            note: row.get(10)?,
        },
        version: row.get::<_, i64>(11)?.unsigned_abs(),
    };
    Ok((recipient, row.get(4)?, row.get(5)?, row.get(6)?))
}

fn finish(
    (mut recipient, group, duty, phone): (Recipient, String, String, Option<String>),
) -> Result<Recipient, StoreError> {
    let bad = |what: &str| StoreError::Decode(format!("recipient {}: {what}", recipient.id));
    recipient.draft.group = Group::parse(&group).ok_or_else(|| bad("group"))?;
    recipient.draft.duty = Duty::parse(&duty).ok_or_else(|| bad("duty"))?;
    recipient.draft.phone = phone
        .map(|p| MobileNumber::parse(&p))
        .transpose()
        .map_err(|_| bad("phone"))?;
    Ok(recipient)
}

/// One recipient by id.
pub fn get(conn: &Connection, id: u64) -> Result<Option<Recipient>, StoreError> {
    let row = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM recipients WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id as i64], decode).optional())
        .context("reading a recipient")?;
    row.map(finish).transpose()
}

/// The recipients whose ids are in `ids`, by id; ids no one has are left out. One query
/// whatever the count (the ids go as one JSON array, so no limit on bound parameters).
pub fn named(conn: &Connection, ids: &[u64]) -> Result<Vec<Recipient>, StoreError> {
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    let ids = format!("[{}]", ids.join(","));
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM recipients
             WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id"
        ))
        .and_then(|mut s| s.query_map([ids], decode)?.collect::<Result<Vec<_>, _>>())
        .context("reading recipients by id")?;
    rows.into_iter().map(finish).collect()
}

/// The id of the recipient with `phone`, other than `except`.
fn phone_owner(
    conn: &Connection,
    phone: Option<&MobileNumber>,
    except: Option<u64>,
) -> Result<Option<u64>, StoreError> {
    let Some(phone) = phone else { return Ok(None) };
    conn.prepare_cached("SELECT id FROM recipients WHERE phone = ?1 AND id IS NOT ?2")
        .and_then(|mut s| {
            s.query_row(params![phone.expose(), except.map(|i| i as i64)], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
        })
        .map(|id| id.map(i64::unsigned_abs))
        .context("checking a phone number")
}

/// Adds a recipient (version 1).
pub fn insert(
    conn: &Connection,
    draft: &RecipientDraft,
    now: Timestamp,
) -> Result<Recipient, RecipientError> {
    if let Some(owner) = phone_owner(conn, draft.phone.as_ref(), None)? {
        return Err(RecipientError::PhoneTaken(owner));
    }
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO recipients (name, township, village, grp, duty, phone, wechat_openid,
                 wecom, active, note, version, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11) RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    draft.name,
                    draft.township.map(|t| t.0),
                    draft.village,
                    draft.group.code(),
                    draft.duty.code(),
                    draft.phone.as_ref().map(MobileNumber::expose),
                    draft.wechat_openid,
                    draft.wecom,
                    draft.active,
                    draft.note,
                    now.millis(),
                ],
                |r| r.get(0),
            )
        })
        .context("adding a recipient")?;
    Ok(Recipient {
        id: id.unsigned_abs(),
        draft: draft.clone(),
        version: 1,
    })
}

/// Checks that recipient `id` exists at `expected` version; returns it as stored.
fn at_version(conn: &Connection, id: u64, expected: u64) -> Result<Recipient, RecipientError> {
    let stored = get(conn, id)?.ok_or(RecipientError::NotFound(id))?;
    if stored.version != expected {
        return Err(RecipientError::VersionConflict {
            id,
            expected,
            current: stored.version,
        });
    }
    Ok(stored)
}

/// Replaces recipient `id` read at version `expected` with `draft`; returns before and after.
pub fn update(
    conn: &Connection,
    id: u64,
    expected: u64,
    draft: &RecipientDraft,
    now: Timestamp,
) -> Result<(Recipient, Recipient), RecipientError> {
    let before = at_version(conn, id, expected)?;
    if let Some(owner) = phone_owner(conn, draft.phone.as_ref(), Some(id))? {
        return Err(RecipientError::PhoneTaken(owner));
    }
    conn.prepare_cached(
        "UPDATE recipients SET name = ?2, township = ?3, village = ?4, grp = ?5, duty = ?6,
             phone = ?7, wechat_openid = ?8, wecom = ?9, active = ?10, note = ?11,
             version = version + 1, updated_at = ?12
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            id as i64,
            draft.name,
            draft.township.map(|t| t.0),
            draft.village,
            draft.group.code(),
            draft.duty.code(),
            draft.phone.as_ref().map(MobileNumber::expose),
            draft.wechat_openid,
            draft.wecom,
            draft.active,
            draft.note,
            now.millis(),
        ])
    })
    .context("changing a recipient")?;
    let after = Recipient {
        id,
        draft: draft.clone(),
        version: expected + 1,
    };
    Ok((before, after))
}

/// Deletes recipient `id` read at version `expected`; returns it as it was.
pub fn delete(conn: &Connection, id: u64, expected: u64) -> Result<Recipient, RecipientError> {
    let before = at_version(conn, id, expected)?;
    conn.prepare_cached("DELETE FROM recipients WHERE id = ?1")
        .and_then(|mut s| s.execute([id as i64]))
        .context("deleting a recipient")?;
    Ok(before)
}

/// The `WHERE` clause of `filter` and its parameters.
fn filter_sql(filter: &RecipientFilter) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut clauses = vec!["1 = 1".to_owned()];
    let mut values = Vec::new();
    match filter.township {
        Some(Some(code)) => {
            values.push(Value::Integer(i64::from(code.0)));
            clauses.push(format!("township = ?{}", values.len()));
        }
        Some(None) => clauses.push("township IS NULL".to_owned()),
        None => {}
    }
    if let Some(group) = filter.group {
        values.push(Value::Text(group.code().to_owned()));
        clauses.push(format!("grp = ?{}", values.len()));
    }
    if let Some(duty) = filter.duty {
        values.push(Value::Text(duty.code().to_owned()));
        clauses.push(format!("duty = ?{}", values.len()));
    }
    if let Some(name) = filter.name.as_deref().filter(|n| !n.is_empty()) {
        // LIKE's own characters are matched literally.
        let escaped = name
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        values.push(Value::Text(format!("%{escaped}%")));
        clauses.push(format!("name LIKE ?{} ESCAPE '\\'", values.len()));
    }
    (clauses.join(" AND "), values)
}

/// A page of the recipients `filter` keeps, by id, and their total.
pub fn list(
    conn: &Connection,
    filter: &RecipientFilter,
    offset: u64,
    limit: u64,
) -> Result<RecipientPage, StoreError> {
    let (clause, values) = filter_sql(filter);
    let total: i64 = conn
        .prepare(&format!("SELECT count(*) FROM recipients WHERE {clause}"))
        .and_then(|mut s| s.query_row(rusqlite::params_from_iter(&values), |r| r.get(0)))
        .context("counting recipients")?;
    let sql = format!(
        "SELECT {COLUMNS} FROM recipients WHERE {clause} ORDER BY id LIMIT {limit} OFFSET {offset}"
    );
    let rows = conn
        .prepare(&sql)
        .and_then(|mut s| {
            s.query_map(rusqlite::params_from_iter(&values), decode)?
                .collect::<Result<Vec<_>, _>>()
        })
        .context("listing recipients")?;
    Ok(RecipientPage {
        recipients: rows.into_iter().map(finish).collect::<Result<_, _>>()?,
        total: total.unsigned_abs(),
    })
}

/// Counts per township and group: active and inactive people, villages covered.
pub fn counts(conn: &Connection) -> Result<Vec<GroupCount>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT township, grp, sum(active), sum(NOT active),
                    count(DISTINCT CASE WHEN active THEN village END)
             FROM recipients GROUP BY township, grp ORDER BY township, grp",
        )
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok((
                    r.get::<_, Option<u32>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .context("counting recipients")?;
    rows.into_iter()
        .map(|(township, group, active, inactive, villages)| {
            Ok(GroupCount {
                township: township.map(TownshipCode),
                group: Group::parse(&group)
                    .ok_or_else(|| StoreError::Decode(format!("recipient group {group:?}")))?,
                active: active.unsigned_abs(),
                inactive: inactive.unsigned_abs(),
                villages: villages.unsigned_abs(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
