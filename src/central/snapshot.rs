//! The routes a desk bootstraps from (`GET /snapshot` and its parts, see
//! [`crate::protocol::snapshot`]), one series' hours on demand, and the check that a
//! `/changes` cursor is not older than the retained change log.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::core::AppState;
use super::error::{ApiQuery, Failure};
use super::handlers::query_station;
use super::version::SyncProtocol;
use crate::domain::refusal::Code;
use crate::domain::time::DAY_MS;
use crate::domain::{Element, Timestamp};
use crate::protocol::Cursor;
use crate::protocol::snapshot::{
    ChunkPage, MAX_SERIES_CHUNK_MS, MAX_SNAPSHOT_CHUNK_MS, MAX_SNAPSHOT_ROLLUP_MS, RollupPage,
    SeriesChunksQuery, SnapshotHead, SnapshotRangeQuery,
};

/// `GET /snapshot`: the head of a snapshot, read in one transaction.
pub async fn head(
    _: SyncProtocol,
    State(state): State<AppState>,
) -> Result<Json<SnapshotHead>, Failure> {
    let now = state.clock().now();
    let head = state
        .blocking(move |store| store.snapshot_head(now))
        .await?;
    Ok(Json(head))
}

/// `GET /snapshot/chunks?from=&to=`: every series' hours starting in `[from, to)`, at most a
/// day.
pub async fn chunks(
    _: SyncProtocol,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SnapshotRangeQuery>,
) -> Result<Json<ChunkPage>, Failure> {
    let (from, to) = parse_range(&query.from, &query.to, MAX_SNAPSHOT_CHUNK_MS)?;
    let chunks = state
        .blocking(move |store| store.chunks_between(None, from, to))
        .await?
        .unwrap_or_default();
    Ok(Json(ChunkPage { chunks }))
}

/// `GET /snapshot/rollups?from=&to=`: every series' daily rollups starting in `[from, to)`,
/// at most a year.
pub async fn rollups(
    _: SyncProtocol,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SnapshotRangeQuery>,
) -> Result<Json<RollupPage>, Failure> {
    let (from, to) = parse_range(&query.from, &query.to, MAX_SNAPSHOT_ROLLUP_MS)?;
    let series = state
        .blocking(move |store| store.daily_rollups(from, to))
        .await?;
    Ok(Json(RollupPage { series }))
}

/// `GET /observations/chunks?station=&element=&from=&to=`: one series' hours starting in
/// `[from, to)`, at most 31 days (older minutes a desk holds only as rollups).
pub async fn series_chunks(
    _: SyncProtocol,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SeriesChunksQuery>,
) -> Result<Json<ChunkPage>, Failure> {
    let station = query_station(&query.station)?;
    let element = query
        .element
        .parse::<Element>()
        .map_err(|e| Failure::bad_request(e.to_string()))?;
    let (from, to) = parse_range(&query.from, &query.to, MAX_SERIES_CHUNK_MS)?;
    let id = station.clone();
    let chunks = state
        .blocking(move |store| store.chunks_between(Some((&id, element)), from, to))
        .await?
        .ok_or_else(|| Failure::unknown_station(&station))?;
    Ok(Json(ChunkPage { chunks }))
}

/// Refuses a `/changes` request whose cursor (after change `after`) is older than the oldest
/// retained change: 410 `cursor_expired`. The changes handler calls it before reading.
pub async fn check_cursor(state: &AppState, after: u64) -> Result<(), Failure> {
    let oldest = state.blocking(|store| store.oldest_change()).await?;
    if expired(after, oldest) {
        return Err(Failure::new(
            StatusCode::GONE,
            Code::CursorExpired,
            format!(
                "changes after {after} are no longer kept (the oldest kept is {}); start again \
                 from GET /api/v1/snapshot",
                oldest.unwrap_or_default()
            ),
        )
        .with(
            "oldest",
            Cursor::from_seq(oldest.unwrap_or_default()).to_string(),
        ));
    }
    Ok(())
}

/// Whether changes right after `after` were deleted: the log keeps a gap-free suffix, so they
/// were when the oldest kept change is further on than the next one.
pub fn expired(after: u64, oldest: Option<u64>) -> bool {
    oldest.is_some_and(|oldest| after.saturating_add(1) < oldest)
}

/// `[from, to)` from RFC 3339 texts, non-empty and at most `max_ms` wide.
fn parse_range(from: &str, to: &str, max_ms: i64) -> Result<(Timestamp, Timestamp), Failure> {
    let time = |name: &str, text: &str| {
        Timestamp::parse_rfc3339(text).map_err(|_| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidTime,
                format!("{name}={text:?} is not RFC 3339 (e.g. 2026-11-27T10:00:00Z)"),
            )
            .with("name", name)
            .with("text", text)
        })
    };
    let (from, to) = (time("from", from)?, time("to", to)?);
    if from >= to {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            Code::RangeReversed,
            format!("from ({from}) must be before to ({to}): the range is [from, to)"),
        )
        .with("from", from.to_string())
        .with("to", to.to_string()));
    }
    if to.millis() - from.millis() > max_ms {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            Code::RangeTooLong,
            format!(
                "from {from} to {to} is longer than {} days, the most this route serves in one \
                 answer: ask for it in parts",
                max_ms / DAY_MS
            ),
        )
        .with("max_days", max_ms / DAY_MS));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_expires_when_the_changes_after_it_are_gone() {
        let table = [
            (0, None, false),
            (0, Some(1), false),
            (0, Some(2), true),
            (5, Some(6), false),
            (5, Some(5), false),
            (5, Some(7), true),
            (u64::MAX, Some(3), false),
        ];
        for (after, oldest, gone) in table {
            assert_eq!(expired(after, oldest), gone, "{after} {oldest:?}");
        }
    }

    #[test]
    fn ranges_are_parsed_or_explained() {
        let t0 = "2026-12-06T00:00:00Z";
        let t1 = "2026-12-07T00:00:00Z";
        assert!(parse_range(t0, t1, DAY_MS).is_ok());
        let cases = [
            (t1, t0, DAY_MS, "range_reversed"),
            (t0, t0, DAY_MS, "range_reversed"),
            ("yesterday", t1, DAY_MS, "invalid_time"),
            (t0, t1, DAY_MS - 1, "range_too_long"),
        ];
        for (from, to, max, code) in cases {
            let failure = parse_range(from, to, max).unwrap_err();
            assert_eq!(failure.status, StatusCode::BAD_REQUEST);
            assert_eq!(failure.body.error, code, "{from} {to}");
        }
    }
}
