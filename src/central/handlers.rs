//! Request handlers: parse the request at the edge, call the store off the async threads,
//! answer with the protocol's DTOs.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use super::MAX_BATCH_RECORDS;
use super::auth::Principal;
use super::core::AppState;
use super::error::{ApiJson, ApiQuery, Failure};
use super::version::{SyncProtocol, check_not_ahead, cursor_seq};
use crate::domain::Source;
use crate::domain::access::may_claim;
use crate::domain::audit::{AuditAction, AuditDetail, Outcome};
use crate::domain::history::{SeriesView, ViewRequest};
use crate::domain::refusal::{Code, Param, Refusal};
use crate::domain::time::DAY_MS;
use crate::domain::{Element, StationId, Timestamp};
use crate::protocol::openapi::OPENAPI_JSON;
use crate::protocol::{
    ChangesPage, ChangesQuery, Cursor, IngestRequest, IngestResponse, LatestResponse, NetworkDto,
    ParsedBatch, SeriesQuery, SeriesResponse, StationLatest, TimedValue, ViewQuery, parse_batch,
};
use crate::store::central::{FeedPage, respond};

/// Most buckets a view may ask for: wider than any screen, small enough to answer quickly.
pub const MAX_VIEW_COLUMNS: usize = 4000;

/// Longest range `GET /observations/series` serves, in days: a month of minute values is about
/// 45 000 points (a few MB). Longer ranges are read page by page, or through the view route.
pub const MAX_SERIES_DAYS: i64 = 31;

/// Page size of `GET /changes` when the client names none.
pub const DEFAULT_CHANGES_LIMIT: u32 = 1000;
/// Largest page `GET /changes` serves.
pub const MAX_CHANGES_LIMIT: u32 = 10_000;

/// `GET /stations`.
pub async fn stations(State(state): State<AppState>) -> Result<Json<NetworkDto>, Failure> {
    let network = state.blocking(|store| store.network()).await?;
    Ok(Json(NetworkDto::from(&network)))
}

/// `POST /observations`: a batch, one transaction, one result per record. Records are parsed
/// here; the store is given only those that parsed.
pub async fn ingest(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<IngestRequest>,
) -> Result<Json<IngestResponse>, Failure> {
    let records = request.observations;
    if records.len() > MAX_BATCH_RECORDS {
        return Err(Failure::too_large(format!(
            "batch of {} records exceeds {MAX_BATCH_RECORDS}; send smaller batches",
            records.len()
        )));
    }
    let now = state.clock().now();
    if let Some(source) = forbidden_claim(&principal, &records) {
        let record = principal
            .record(now, AuditAction::AccessDenied, Outcome::Denied)
            .target("POST /api/v1/observations")
            .detail(&AuditDetail::SourceNotPermitted { source });
        state.blocking(move |store| store.audit(record)).await?;
        return Err(source_not_permitted(&principal, source));
    }
    // Parsing a batch of thousands of records is work too: off the async threads with it.
    let (response, head) = state
        .blocking(move |store| {
            let ParsedBatch { records, refused } = parse_batch(&records, now);
            let report = store.ingest(&records, now)?;
            Ok((respond(&refused, report.results), report.head))
        })
        .await?;
    state.advance_head(head);
    if response.stored > 0 {
        // New values: the alarms worker judges the warning criteria again.
        super::on_call::wake(&state);
    }
    if response.partial + response.rejected > 0 {
        let first_error = response
            .results
            .iter()
            .find_map(|r| r.errors.first())
            .map_or("", String::as_str);
        tracing::warn!(
            stored = response.stored,
            duplicate = response.duplicate,
            partial = response.partial,
            rejected = response.rejected,
            first_error,
            "ingest refused values"
        );
    }
    Ok(Json(response))
}

/// The first source a record of the batch claims that the caller may not claim. A record
/// whose source does not parse is left to ingest, which refuses it on its own.
fn forbidden_claim(principal: &Principal, records: &[serde_json::Value]) -> Option<Source> {
    records
        .iter()
        .filter_map(|record| record.get("source"))
        .filter_map(|source| serde_json::from_value::<Source>(source.clone()).ok())
        .find(|&source| !may_claim(principal.role(), principal.claims(), source))
}

/// 403 `source_not_permitted`: what the caller claimed and what it may claim.
fn source_not_permitted(principal: &Principal, source: Source) -> Failure {
    let allowed: Vec<&str> = Source::ALL
        .into_iter()
        .filter(|&s| may_claim(principal.role(), principal.claims(), s))
        .map(Source::code)
        .collect();
    Failure::refused(
        StatusCode::FORBIDDEN,
        &Refusal::new(Code::SourceNotPermitted)
            .with("source", source.code())
            .with("allowed", allowed.join(", ")),
    )
}

/// `GET /observations/latest`.
pub async fn latest(State(state): State<AppState>) -> Result<Json<LatestResponse>, Failure> {
    let latest = state.blocking(|store| store.latest()).await?;
    let stations = latest
        .into_iter()
        .map(|(station, values)| StationLatest {
            station: station.to_string(),
            values: values
                .into_iter()
                .map(|(element, (time, value))| (element, TimedValue { time, value }))
                .collect(),
        })
        .collect();
    Ok(Json(LatestResponse { stations }))
}

/// A series request, parsed.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    station: StationId,
    element: Element,
    from: Timestamp,
    to: Timestamp,
}

/// A station id from a query.
pub(super) fn query_station(text: &str) -> Result<StationId, Failure> {
    StationId::parse(text)
        .map_err(|_| Failure::invalid(&Refusal::new(Code::InvalidStationId).with("text", text)))
}

/// An element code from a query.
fn query_element(text: &str) -> Result<Element, Failure> {
    text.parse::<Element>()
        .map_err(|e| super::imports::unknown_element(&e))
}

/// A time from a query parameter called `name`.
fn query_time(name: &str, text: &str) -> Result<Timestamp, Failure> {
    Timestamp::parse_rfc3339(text).map_err(|_| invalid_time(name, text))
}

/// 400 `invalid_time`: the query parameter `name` is not an RFC 3339 time.
pub(super) fn invalid_time(name: &str, text: &str) -> Failure {
    Failure::invalid(
        &Refusal::new(Code::InvalidTime)
            .with("name", name)
            .with("text", text),
    )
}

/// 400 `range_reversed`: a range that ends before it starts (or, for a view, where it starts).
pub(super) fn reversed(from: Timestamp, to: Timestamp) -> Failure {
    Failure::invalid(
        &Refusal::new(Code::RangeReversed)
            .with("from", from)
            .with("to", to),
    )
}

/// 400 `out_of_bounds`: a count parameter outside `1..=max`.
pub(super) fn out_of_bounds(name: &str, value: impl Into<Param>, max: impl Into<Param>) -> Failure {
    Failure::invalid(
        &Refusal::new(Code::OutOfBounds)
            .with("name", name)
            .with("value", value)
            .with("max", max),
    )
}

/// Parses the series query into types that cannot be wrong.
fn parse_series(query: &SeriesQuery) -> Result<Series, Failure> {
    let station = query_station(&query.station)?;
    let element = query_element(&query.element)?;
    let from = query_time("from", &query.from)?;
    let to = query_time("to", &query.to)?;
    if from > to {
        return Err(reversed(from, to));
    }
    if to.millis() - from.millis() > MAX_SERIES_DAYS * DAY_MS {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            Code::RangeTooLong,
            format!(
                "from {from} to {to} is longer than {MAX_SERIES_DAYS} days, the most one series \
                 request serves: ask for it {MAX_SERIES_DAYS} days at a time, or use \
                 /observations/view for a summary of any range"
            ),
        )
        .with("max_days", MAX_SERIES_DAYS));
    }
    Ok(Series {
        station,
        element,
        from,
        to,
    })
}

/// `GET /observations/series?station=&element=&from=&to=`.
pub async fn series(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SeriesQuery>,
) -> Result<Json<SeriesResponse>, Failure> {
    let Series {
        station,
        element,
        from,
        to,
    } = parse_series(&query)?;
    let id = station.clone();
    let points = state
        .blocking(move |store| store.series(&id, element, from, to))
        .await?
        .ok_or_else(|| Failure::unknown_station(&station))?;
    Ok(Json(SeriesResponse {
        station: station.to_string(),
        element,
        unit: element.unit().to_owned(),
        from,
        to,
        points: points
            .into_iter()
            .map(|(time, value)| TimedValue { time, value })
            .collect(),
    }))
}

/// Parses the view query: `(from, to]` with `from < to`, 1 to [`MAX_VIEW_COLUMNS`] columns.
fn parse_view(query: &ViewQuery) -> Result<ViewRequest, Failure> {
    let station = query_station(&query.station)?;
    let element = query_element(&query.element)?;
    let from = query_time("from", &query.from)?;
    let to = query_time("to", &query.to)?;
    if from >= to {
        return Err(reversed(from, to));
    }
    if !(1..=MAX_VIEW_COLUMNS).contains(&query.columns) {
        return Err(out_of_bounds("columns", query.columns, MAX_VIEW_COLUMNS));
    }
    Ok(ViewRequest {
        station,
        element,
        from,
        to,
        columns: query.columns,
    })
}

/// `GET /observations/view?station=&element=&from=&to=&columns=`: buckets with raw and QC'd
/// summaries, gaps with their causes and completeness, judged at the central's clock.
pub async fn view(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ViewQuery>,
) -> Result<Json<SeriesView>, Failure> {
    let request = parse_view(&query)?;
    let station = request.station.clone();
    let now = state.clock().now();
    state
        .blocking(move |store| store.series_view(&request, now))
        .await?
        .map(Json)
        .ok_or_else(|| Failure::unknown_station(&station))
}

/// `GET /changes?after=&limit=&kinds=` (protocol 2 only).
pub async fn changes(
    _: SyncProtocol,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<Json<ChangesPage>, Failure> {
    let limit = query.limit.unwrap_or(DEFAULT_CHANGES_LIMIT);
    if !(1..=MAX_CHANGES_LIMIT).contains(&limit) {
        return Err(out_of_bounds("limit", limit, MAX_CHANGES_LIMIT));
    }
    let after = cursor_seq(query.after.as_deref())?.unwrap_or(0);
    super::snapshot::check_cursor(&state, after).await?;
    let kinds: Option<Vec<String>> = query.kinds.as_deref().map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let page = state
        .blocking(move |store| store.changes_after(after, limit as usize, kinds.as_deref()))
        .await?;
    check_not_ahead(after, page.head)?;
    Ok(Json(feed_page(page, limit as usize)))
}

/// The wire page of a store page read with `limit`: a page that is not full reached the head,
/// so it continues from there (past changes of kinds it filtered out).
pub fn feed_page(page: FeedPage, limit: usize) -> ChangesPage {
    let next = match page.changes.last() {
        Some(&(seq, _)) if page.changes.len() >= limit => seq,
        _ => page.head,
    };
    ChangesPage {
        changes: page.changes.into_iter().map(|(_, change)| change).collect(),
        chunks: page.chunks,
        head: Cursor::from_seq(page.head),
        next: Cursor::from_seq(next),
        behind: page.head.saturating_sub(next),
    }
}

/// `GET /openapi.json`: the checked-in description of this API.
pub async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(station: &str, element: &str, from: &str, to: &str) -> SeriesQuery {
        SeriesQuery {
            station: station.into(),
            element: element.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    fn view_query(from: &str, to: &str, columns: usize) -> ViewQuery {
        ViewQuery {
            station: "58819".into(),
            element: "TEM".into(),
            from: from.into(),
            to: to.into(),
            columns,
        }
    }

    #[test]
    fn view_queries_are_parsed_or_explained() {
        let t0 = "2026-11-27T00:00:00Z";
        let t1 = "2026-11-28T00:00:00Z";
        let good = parse_view(&view_query(t0, t1, 1000)).unwrap();
        assert_eq!((good.element, good.columns), (Element::Tem, 1000));
        assert!(parse_view(&view_query(t0, t1, MAX_VIEW_COLUMNS)).is_ok());
        let cases = [
            (view_query(t0, t0, 100), "is not before"),
            (view_query(t1, t0, 100), "is not before"),
            (view_query(t0, t1, 0), "columns=0"),
            (view_query(t0, t1, MAX_VIEW_COLUMNS + 1), "columns=4001"),
            (view_query("now", t1, 10), "from=\"now\" is not RFC 3339"),
            (
                ViewQuery {
                    element: "XYZ".into(),
                    ..view_query(t0, t1, 10)
                },
                "unknown element",
            ),
        ];
        for (q, expected) in cases {
            let failure = parse_view(&q).unwrap_err();
            assert_eq!(failure.status, StatusCode::BAD_REQUEST);
            assert!(
                failure.body.message.contains(expected),
                "{}",
                failure.body.message
            );
        }
    }

    #[test]
    fn series_queries_are_parsed_or_explained() {
        let t0 = "2026-11-27T00:00:00Z";
        let t1 = "2026-11-27T08:00:00+08:00";
        let good = parse_series(&query("708301", "PRE_1h", t0, t1)).unwrap();
        assert_eq!(good.element, Element::Pre1h);
        assert_eq!(good.from, good.to, "offsets are normalised to UTC");
        let month = parse_series(&query("58819", "TEM", t0, "2026-12-28T00:00:00Z"));
        assert!(month.is_ok(), "exactly {MAX_SERIES_DAYS} days is served");
        let cases = [
            (query("7", "TEM", t0, t1), "station id"),
            (query("58819", "tem", t0, t1), "unknown element"),
            (
                query("58819", "TEM", "today", t1),
                "from=\"today\" is not RFC 3339",
            ),
            (
                query("58819", "TEM", t0, "2026-11-26T00:00:00Z"),
                "is not before",
            ),
            (
                query("58819", "TEM", t0, "2026-12-28T00:00:01Z"),
                "longer than 31 days",
            ),
        ];
        for (q, expected) in cases {
            let failure = parse_series(&q).unwrap_err();
            assert_eq!(failure.status, StatusCode::BAD_REQUEST);
            assert!(
                failure.body.message.contains(expected),
                "{}",
                failure.body.message
            );
        }
    }
}
