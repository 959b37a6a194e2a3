//! `GET /audit`: the audit log, newest first, filtered and paged, for roles that may read it.
//! Appending happens where things are done (logins, account changes, refusals); verifying is
//! `wxdesk central audit-verify`.

use axum::Json;
use axum::extract::State;

use super::core::AppState;
use super::error::{ApiQuery, Failure};
use crate::domain::Timestamp;
use crate::protocol::{AuditEntryDto, AuditPage, AuditQuery};
use crate::store::central::AuditFilter;

/// Page size when the client names none.
pub const DEFAULT_AUDIT_LIMIT: u32 = 100;
/// Largest page served.
pub const MAX_AUDIT_LIMIT: u32 = 1000;

/// Parses the query into a filter that cannot be wrong.
pub fn parse_filter(query: &AuditQuery) -> Result<AuditFilter, Failure> {
    let time = |name: &str, text: &Option<String>| {
        text.as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| {
                Timestamp::parse_rfc3339(t).map_err(|_| {
                    Failure::bad_request(format!(
                        "{name}={t:?} is not RFC 3339 (e.g. 2026-11-27T10:00:00Z)"
                    ))
                })
            })
            .transpose()
    };
    let limit = query.limit.unwrap_or(DEFAULT_AUDIT_LIMIT);
    if !(1..=MAX_AUDIT_LIMIT).contains(&limit) {
        return Err(Failure::bad_request(format!(
            "limit={limit} must be between 1 and {MAX_AUDIT_LIMIT}"
        )));
    }
    let text = |t: &Option<String>| {
        t.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    Ok(AuditFilter {
        from: time("from", &query.from)?,
        to: time("to", &query.to)?,
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
