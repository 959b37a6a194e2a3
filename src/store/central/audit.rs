//! The audit log's table: append inside the caller's transaction (so a change and its entry
//! commit together), page through it with filters, and read it whole for verification.
//!
//! Triggers refuse `UPDATE` and `DELETE` on the table, so the program itself can only append;
//! the hash chain ([`crate::domain::audit`]) catches whoever edits the file by other means.
//! The head (newest seq and hash) is also kept in `meta` as the chain's anchor. From the
//! "key introduced" entry on, entries are sealed with the audit key, which lives in a file
//! beside (not inside) the database ([`crate::central::audit::load_or_create_key`]).

use rusqlite::{Connection, OptionalExtension as _, Row, params};

use crate::domain::Timestamp;
use crate::domain::audit::{
    self, AuditAction, AuditEntry, AuditKey, AuditRecord, ChainBreak, ChainHash, ChainSummary,
    Checks,
};
use crate::store::{Context as _, StoreError, sqlite};

/// The tables of accounts, sessions, device keys and the audit log, with the triggers that
/// keep the log append-only.
pub const SCHEMA: &str = "
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,  -- lower-case
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,         -- domain::access::Role code
    password_hash TEXT    NOT NULL,         -- argon2id PHC string (salt inside)
    must_change   INTEGER NOT NULL,         -- the password is a one-time password
    disabled      INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,                  -- Unix ms, UTC
    last_login    INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE TABLE sessions (
    token_hash  BLOB    PRIMARY KEY,        -- SHA-256 of the bearer token, never the token
    user_id     INTEGER NOT NULL REFERENCES users(id),
    workstation TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE TABLE device_keys (
    name       TEXT    PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE,     -- SHA-256 of the key
    issued_at  INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,        -- from 1, gap-free
    at          INTEGER NOT NULL,           -- Unix ms, UTC
    actor       TEXT    NOT NULL,
    workstation TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    details     TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,           -- hex SHA-256 of entry seq - 1
    hash        TEXT    NOT NULL            -- hex SHA-256 of this entry (domain::audit::entry_hash)
);
CREATE INDEX audit_by_time ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// Device keys' claims, fixed when a key is issued: whether it may import (an archive
/// loader). Keys issued before claims existed may not.
pub const CLAIMS_SCHEMA: &str = "
ALTER TABLE device_keys ADD COLUMN may_import INTEGER NOT NULL DEFAULT 0;
";

/// Which entries to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries at or after this time.
    pub from: Option<Timestamp>,
    /// Entries at or before this time.
    pub to: Option<Timestamp>,
    /// Entries whose actor contains this text.
    pub actor: Option<String>,
    /// Entries with exactly this action code.
    pub action: Option<String>,
    /// Entries with a seq below this one (the next page after a page ending there).
    pub before: Option<u64>,
    /// At most this many.
    pub limit: u32,
}

/// Appends `record` after the newest entry, inside `conn`'s current transaction, and moves
/// the anchor. `seal` is the key when the log is sealed ([`is_sealed`]), `None` before.
pub fn append(
    conn: &Connection,
    seal: Option<&AuditKey>,
    record: AuditRecord,
) -> Result<AuditEntry, StoreError> {
    let prev = last(conn)?;
    let entry = audit::chain(prev, record, seal);
    let r = &entry.record;
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, workstation, action, target, details, outcome, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            sql_seq(entry.seq),
            r.at.millis(),
            r.actor,
            r.workstation,
            r.action,
            r.target,
            r.details,
            r.outcome,
            entry.prev_hash.to_hex(),
            entry.hash.to_hex(),
        ])
    })
    .context("appending to the audit log")?;
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('audit_head', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut s| s.execute([format!("{}:{}", entry.seq, entry.hash)]))
    .context("moving the audit anchor")?;
    Ok(entry)
}

/// Whether the log is sealed: it holds a "key introduced" entry.
pub fn is_sealed(conn: &Connection) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = ?1)",
        [AuditAction::AuditKeyIntroduced.code()],
        |r| r.get(0),
    )
    .context("reading whether the audit log is sealed")
}

/// Seals the log from now on: appends the "key introduced" entry (itself sealed, naming the
/// key's fingerprint) at `now`. Earlier entries keep their plain hashes and stay verifiable.
pub fn introduce_key(
    conn: &mut Connection,
    key: &AuditKey,
    now: Timestamp,
) -> Result<AuditEntry, StoreError> {
    let tx = conn
        .transaction()
        .context("starting audit key introduction")?;
    let record = AuditRecord::key_introduced(now, key);
    let entry = append(&tx, Some(key), record)?;
    tx.commit().context("committing audit key introduction")?;
    Ok(entry)
}

/// The newest entry's seq and hash.
pub fn last(conn: &Connection) -> Result<Option<(u64, ChainHash)>, StoreError> {
    let row = conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .and_then(|mut s| {
            s.query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .optional()
        })
        .context("reading the audit head")?;
    row.map(|(seq, hash)| Ok((seq_from_sql(seq), decode_hash(seq, &hash)?)))
        .transpose()
}

/// The anchor: the head as last recorded by an append.
pub fn anchor(conn: &Connection) -> Result<Option<(u64, ChainHash)>, StoreError> {
    let value: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'audit_head'", [], |r| {
            r.get(0)
        })
        .optional()
        .context("reading the audit anchor")?;
    value
        .map(|text| {
            text.split_once(':')
                .and_then(|(seq, hash)| Some((seq.parse().ok()?, ChainHash::from_hex(hash)?)))
                .ok_or_else(|| StoreError::Decode(format!("audit anchor {text:?}")))
        })
        .transpose()
}

/// A page of entries, newest first.
pub fn page(conn: &Connection, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, at, actor, workstation, action, target, details, outcome, prev_hash, hash
             FROM audit_log
             WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at <= ?2)
               AND (?3 IS NULL OR instr(lower(actor), lower(?3)) > 0)
               AND (?4 IS NULL OR action = ?4)
               AND (?5 IS NULL OR seq < ?5)
             ORDER BY seq DESC LIMIT ?6",
        )
        .context("preparing audit query")?;
    let rows = stmt
        .query_map(
            params![
                filter.from.map(Timestamp::millis),
                filter.to.map(Timestamp::millis),
                filter.actor,
                filter.action,
                filter.before.map(sql_seq),
                filter.limit,
            ],
            raw_entry,
        )
        .context("querying the audit log")?;
    rows.map(|row| decode(row.context("reading an audit entry")?))
        .collect()
}

/// Verifies the whole log at `path`, opened read-only, against its recorded head, with `key`
/// for the sealed part and against `noted_head` (a head noted elsewhere), when given.
pub fn verify_file(
    path: &std::path::Path,
    key: Option<&AuditKey>,
    noted_head: Option<(u64, ChainHash)>,
) -> Result<Result<ChainSummary, ChainBreak>, StoreError> {
    if !path.exists() {
        return Err(StoreError::Corrupt {
            path: path.display().to_string(),
            reason: "no such file".into(),
        });
    }
    let conn = sqlite::open(path)?;
    conn.pragma_update(None, "query_only", true)
        .context("opening read-only")?;
    verify(&conn, key, noted_head)
}

/// Verifies the whole log in `conn`, reading it in `seq` order (see [`verify_file`]).
pub fn verify(
    conn: &Connection,
    key: Option<&AuditKey>,
    noted_head: Option<(u64, ChainHash)>,
) -> Result<Result<ChainSummary, ChainBreak>, StoreError> {
    let checks = Checks {
        key,
        recorded_head: anchor(conn)?,
        noted_head,
    };
    let mut stmt = conn
        .prepare(
            "SELECT seq, at, actor, workstation, action, target, details, outcome, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )
        .context("preparing audit scan")?;
    let rows = stmt
        .query_map([], raw_entry)
        .context("scanning the audit log")?;
    let mut failure = None;
    let mut undecodable = None;
    let entries = rows.map_while(|row| match row.context("reading an audit entry") {
        Ok(raw) => {
            let seq = seq_from_sql(raw.0);
            match decode(raw) {
                Ok(entry) => Some(entry),
                Err(_) => {
                    undecodable = Some(seq);
                    None
                }
            }
        }
        Err(error) => {
            failure = Some(error);
            None
        }
    });
    let result = audit::verify(entries, checks);
    if let Some(error) = failure {
        return Err(error);
    }
    Ok(match (result, undecodable) {
        // Everything before the row that does not even decode (a hash that is not hex) was
        // intact, so that row is the first broken entry.
        (
            Ok(_)
            | Err(
                ChainBreak::Truncated { .. }
                | ChainBreak::HeadMismatch { .. }
                | ChainBreak::NotedHeadMissing { .. }
                | ChainBreak::Unsealed,
            ),
            Some(seq),
        ) => Err(ChainBreak::Altered { seq }),
        (result, _) => result,
    })
}

/// A row as stored.
type RawEntry = (i64, i64, [String; 6], String, String);

fn raw_entry(r: &Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        [
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
        ],
        r.get(8)?,
        r.get(9)?,
    ))
}

fn decode((seq, at, fields, prev_hash, hash): RawEntry) -> Result<AuditEntry, StoreError> {
    let [actor, workstation, action, target, details, outcome] = fields;
    Ok(AuditEntry {
        seq: seq_from_sql(seq),
        record: AuditRecord {
            at: Timestamp(at),
            actor,
            workstation,
            action,
            target,
            details,
            outcome,
        },
        prev_hash: decode_hash(seq, &prev_hash)?,
        hash: decode_hash(seq, &hash)?,
    })
}

fn decode_hash(seq: i64, text: &str) -> Result<ChainHash, StoreError> {
    ChainHash::from_hex(text).ok_or_else(|| {
        StoreError::Decode(format!(
            "audit entry {seq}: hash {text:?} is not 64 hex digits"
        ))
    })
}

fn seq_from_sql(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or_default()
}

fn sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}
