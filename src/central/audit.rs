//! `GET /audit`: the audit log, newest first, filtered and paged, for roles that may read it.
//! Appending happens where things are done (logins, account changes, refusals); verifying is
//! `wxdesk central audit-verify`.
//!
//! Also the audit key's file: 32 random bytes as 64 hex digits, mode 0600, created on first
//! start. By default it sits beside the database (`<db>.audit-key`; the embedded central's is in
//! the user's data directory beside its database); `--audit-key` puts it elsewhere, which is
//! the point: a copy of the database without the key cannot be rewritten unnoticed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::core::AppState;
use super::error::{ApiQuery, Failure};
use crate::domain::Timestamp;
use crate::domain::audit::AuditKey;
use crate::domain::refusal::Code;
use crate::protocol::{AuditEntryDto, AuditPage, AuditQuery};
use crate::store::StoreError;
use crate::store::central::AuditFilter;

/// The audit key's default file: beside the database, named after it (`central.sqlite` →
/// `central.sqlite.audit-key`).
pub fn default_key_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".audit-key");
    db.with_file_name(name)
}

/// Reads the audit key at `path`.
pub fn read_key(path: &Path) -> Result<AuditKey, StoreError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| StoreError::AuditKey(format!("reading {}: {e}", path.display())))?;
    warn_if_readable_by_others(path);
    AuditKey::parse(&text).ok_or_else(|| {
        StoreError::AuditKey(format!(
            "{} is not an audit key (64 hex digits)",
            path.display()
        ))
    })
}

/// Reads the audit key at `path`, or creates one there (mode 0600) when there is no file.
pub fn load_or_create_key(path: &Path) -> Result<AuditKey, StoreError> {
    if path.exists() {
        return read_key(path);
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::AuditKey(format!("the OS random number generator failed: {e}")))?;
    let key = AuditKey::from_bytes(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(path).and_then(|mut file| {
        file.write_all(key.to_file_text().as_bytes())
            .and(file.sync_all())
    });
    written.map_err(|e| StoreError::AuditKey(format!("creating {}: {e}", path.display())))?;
    tracing::info!(path = %path.display(), fingerprint = %key.fingerprint(), "audit key created");
    Ok(key)
}

/// A key others may read protects nothing from them: say so (without the key).
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the audit key is readable by others; chmod 600 it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Page size when the client names none.
pub const DEFAULT_AUDIT_LIMIT: u32 = 100;
/// Largest page served.
pub const MAX_AUDIT_LIMIT: u32 = 1000;

/// Parses the query into a filter that cannot be wrong: times are RFC 3339 (an empty one is
/// malformed, not absent), `from` is not after `to`, `before` and `limit` are in range, as
/// the OpenAPI document states.
pub fn parse_filter(query: &AuditQuery) -> Result<AuditFilter, Failure> {
    let time = |name: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| {
                Timestamp::parse_rfc3339(t).map_err(|_| super::handlers::invalid_time(name, t))
            })
            .transpose()
    };
    let (from, to) = (time("from", &query.from)?, time("to", &query.to)?);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(super::handlers::reversed(from, to));
    }
    if query.before == Some(0) {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidCursor,
            "before=0: seqs start at 1, so give the next_before of a page",
        )
        .with("text", "before=0"));
    }
    let limit = query.limit.unwrap_or(DEFAULT_AUDIT_LIMIT);
    if !(1..=MAX_AUDIT_LIMIT).contains(&limit) {
        return Err(super::handlers::out_of_bounds(
            "limit",
            limit,
            MAX_AUDIT_LIMIT,
        ));
    }
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    Ok(AuditFilter {
        from,
        to,
        actor: text(&query.actor),
        action: text(&query.action),
        before: query.before,
        limit,
    })
}

/// `GET /audit?from=&to=&actor=&action=&before=&limit=`.
pub async fn audit(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, Failure> {
    let filter = parse_filter(&query)?;
    let limit = filter.limit as usize;
    // One more than asked: whether it exists says whether there is a next page.
    let probe = AuditFilter {
        limit: filter.limit + 1,
        ..filter
    };
    let mut entries = state
        .blocking(move |store| store.audit_page(&probe))
        .await?;
    let more = entries.len() > limit;
    entries.truncate(limit);
    Ok(Json(AuditPage {
        next_before: more.then(|| entries.last().map(|e| e.seq)).flatten(),
        entries: entries.iter().map(AuditEntryDto::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_private_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("central.sqlite");
        let path = default_key_path(&db);
        assert_eq!(path, dir.path().join("central.sqlite.audit-key"));
        let created = load_or_create_key(&path).unwrap();
        assert_eq!(load_or_create_key(&path).unwrap(), created, "created once");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let refused = read_key(&path).unwrap_err().to_string();
        assert!(refused.contains("is not an audit key"), "{refused}");
    }

    #[test]
    fn queries_are_parsed_or_explained() {
        let good = parse_filter(&AuditQuery {
            from: Some("2026-11-27T00:00:00+08:00".into()),
            actor: Some("  zhang ".into()),
            action: Some(String::new()),
            ..AuditQuery::default()
        })
        .unwrap();
        assert_eq!(
            good.from,
            Some(Timestamp::parse_rfc3339("2026-11-26T16:00:00Z").unwrap())
        );
        assert_eq!(good.actor.as_deref(), Some("zhang"));
        assert_eq!(good.action, None, "an empty filter is no filter");
        assert_eq!(good.limit, DEFAULT_AUDIT_LIMIT);
        for (query, says) in [
            (
                AuditQuery {
                    to: Some("yesterday".into()),
                    ..AuditQuery::default()
                },
                "RFC 3339",
            ),
            (
                AuditQuery {
                    to: Some("2026-13-45".into()),
                    ..AuditQuery::default()
                },
                "RFC 3339",
            ),
            (
                AuditQuery {
                    from: Some(String::new()),
                    ..AuditQuery::default()
                },
                "RFC 3339",
            ),
            (
                AuditQuery {
                    from: Some("2026-11-28T00:00:00Z".into()),
                    to: Some("2026-11-27T00:00:00Z".into()),
                    ..AuditQuery::default()
                },
                "is not before to",
            ),
            (
                AuditQuery {
                    before: Some(0),
                    ..AuditQuery::default()
                },
                "before=0",
            ),
            (
                AuditQuery {
                    limit: Some(0),
                    ..AuditQuery::default()
                },
                "between 1 and",
            ),
            (
                AuditQuery {
                    limit: Some(5000),
                    ..AuditQuery::default()
                },
                "between 1 and",
            ),
        ] {
            assert!(
                parse_filter(&query)
                    .unwrap_err()
                    .body
                    .message
                    .contains(says)
            );
        }
    }
}
