//! Older minutes on demand: a desk that bootstrapped from a snapshot holds the time before
//! the snapshot's `full_from` only as daily rollups. When a view needs a finer level there,
//! the hours of those whole Beijing days are fetched from the central
//! (`GET /observations/chunks`, 31 days a request) and stored, so the view is drawn from
//! them. What cannot be fetched (offline) is drawn from the daily rollups and named to the
//! user.

use std::sync::{Arc, Mutex};

use crate::console::backend::bootstrap::{self, BootstrapError, spans_back, whole_days};
use crate::console::backend::client::CentralClient;
use crate::console::messages::history::HeldPeriod;
use crate::domain::history::{Level, ViewRequest};
use crate::domain::time::DAY_MS;
use crate::domain::{Element, StationId, Timestamp};
use crate::protocol::snapshot::MAX_SERIES_CHUNK_MS;
use crate::store::StoreError;
use crate::store::cache::CacheDb;

/// The range a view reads below daily rollups, if it does: `[first_row, end_row)` of its plan.
fn finer_than_days(request: &ViewRequest) -> Option<(Timestamp, Timestamp)> {
    let plan = request.plan();
    (plan.level < Level::Day).then_some((plan.first_row, plan.end_row))
}

/// The spans of series `requests` read below daily rollups: what they need in minutes.
pub fn view_spans(requests: &[ViewRequest]) -> Vec<HeldPeriod> {
    requests
        .iter()
        .filter_map(|request| {
            let (from, to) = finer_than_days(request)?;
            Some(HeldPeriod {
                station: request.station.clone(),
                element: request.element,
                from,
                to,
            })
        })
        .collect()
}

/// Every part of `spans` that the cache holds only as rollups.
fn held(cache: &CacheDb, spans: &[HeldPeriod]) -> Result<Vec<HeldPeriod>, StoreError> {
    let mut out = Vec::new();
    for span in spans {
        for period in cache.rollups_only(&span.station, span.element, span.from, span.to)? {
            let held = HeldPeriod {
                station: span.station.clone(),
                element: span.element,
                from: period.from,
                to: period.to,
            };
            if !out.contains(&held) {
                out.push(held);
            }
        }
    }
    Ok(out)
}

/// Fetches and stores the hours of `period` (widened to whole days), newest first.
async fn fetch(
    client: &CentralClient,
    cache: &Arc<Mutex<CacheDb>>,
    period: &HeldPeriod,
) -> Result<(), BootstrapError> {
    let (start, end) = whole_days(period.from, period.to);
    for (from, to) in spans_back(end, start, MAX_SERIES_CHUNK_MS) {
        let page = client
            .series_chunks(&period.station, period.element, from, to)
            .await?;
        let hours = bootstrap::stored_hours(page.chunks)?;
        let (station, element) = (period.station.clone(), period.element);
        bootstrap::with_cache(cache, move |cache| {
            cache.fill_hours(&station, element, (from, to), &hours)
        })
        .await?;
    }
    Ok(())
}

/// What [`fill`] left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    /// Periods still held only as rollups.
    pub held: Vec<HeldPeriod>,
    /// A fetch was tried and failed (the central unreachable, or refusing).
    pub failed: bool,
}

/// Fills what `spans` need of rollups-only periods from the central (`client`: `None` when
/// nobody is signed in, or fetching is resting after a failure): views ([`view_spans`]), and
/// the rain, wind and export answers that read every value.
pub async fn fill(
    client: Option<&CentralClient>,
    cache: &Arc<Mutex<CacheDb>>,
    spans: &[HeldPeriod],
) -> Result<Filled, StoreError> {
    let wanted = spans.to_vec();
    let periods = bootstrap::with_cache(cache, move |cache| held(cache, &wanted)).await?;
    let Some(client) = client.filter(|_| !periods.is_empty()) else {
        return Ok(Filled {
            held: periods,
            failed: false,
        });
    };
    let mut failed = false;
    for period in &periods {
        if let Err(error) = fetch(client, cache, period).await {
            tracing::info!(%error, "older minutes not fetched; the view shows daily rollups");
            failed = true;
            break;
        }
    }
    let wanted = spans.to_vec();
    let held = bootstrap::with_cache(cache, move |cache| held(cache, &wanted)).await?;
    Ok(Filled { held, failed })
}

/// The whole days held only as rollups that values the log just applied fall in, fetched
/// again: an hour written into such a day leaves its daily rollup computed from that hour
/// alone (a late import of last month's file), so the day's every hour is fetched and the
/// rollup recomputed from them. Returns the days fetched.
pub async fn refill_touched(
    client: &CentralClient,
    cache: &Arc<Mutex<CacheDb>>,
    touched: Vec<(StationId, Element, Timestamp)>,
) -> Result<usize, BootstrapError> {
    let days = bootstrap::with_cache(cache, move |cache| {
        let Some(horizon) = cache.rollups_only_until()? else {
            return Ok(Vec::new());
        };
        let mut days: Vec<HeldPeriod> = Vec::new();
        for (station, element, time) in touched.into_iter().filter(|t| t.2 <= horizon) {
            let (from, to) = whole_days(time.plus_ms(-1), time);
            let day = HeldPeriod {
                station,
                element,
                from,
                to,
            };
            if !days.contains(&day)
                && !cache
                    .rollups_only(&day.station, element, from, to)?
                    .is_empty()
            {
                days.push(day);
            }
        }
        Ok::<_, StoreError>(days)
    })
    .await?;
    for day in &days {
        fetch(client, cache, day).await?;
    }
    Ok(days.len())
}

/// How long fetching rests after a failure, so panning an offline desk's charts does not wait
/// on the network at every step.
pub const REST_AFTER_FAILURE_MS: i64 = 60_000;

/// The request as daily rollups can answer it: a column per day at least, so the view reads
/// the daily level (offline, over a period held only as rollups).
pub fn by_days(request: &ViewRequest) -> ViewRequest {
    let span = request.to.millis() - request.from.millis();
    let days = usize::try_from(span / DAY_MS).unwrap_or(1).max(1);
    ViewRequest {
        columns: request.columns.min(days),
        ..request.clone()
    }
}

/// The requests to build: those over periods still held only as rollups, by days.
pub fn answerable(requests: &[ViewRequest], held: &[HeldPeriod]) -> Vec<ViewRequest> {
    requests
        .iter()
        .map(|r| {
            let over_held = held
                .iter()
                .any(|h| h.station == r.station && h.element == r.element);
            if over_held { by_days(r) } else { r.clone() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(days: i64, columns: usize) -> ViewRequest {
        let to = Timestamp::parse_rfc3339("2026-12-07T00:00:00Z").unwrap();
        ViewRequest {
            station: StationId::parse("58819").unwrap(),
            element: Element::Tem,
            from: to.plus_ms(-days * DAY_MS),
            to,
            columns,
        }
    }

    #[test]
    fn views_over_rollups_only_periods_read_days() {
        for (days, columns) in [(365, 1200), (90, 1000), (3 * 365, 2000), (31, 800)] {
            let by_days = by_days(&request(days, columns));
            assert_eq!(by_days.plan().level, Level::Day, "{days} days");
            assert!(by_days.columns <= columns);
        }
        assert!(
            finer_than_days(&request(365, 1200)).is_some(),
            "a year view reads 4 h rows"
        );
        assert!(finer_than_days(&request(3 * 365, 200)).is_none());
    }

    #[test]
    fn only_the_series_held_as_rollups_are_coarsened() {
        let year = request(365, 1200);
        let other = ViewRequest {
            element: Element::Rhu,
            ..year.clone()
        };
        let held = [HeldPeriod {
            station: year.station.clone(),
            element: Element::Tem,
            from: year.from,
            to: year.to,
        }];
        let built = answerable(&[year.clone(), other.clone()], &held);
        assert_eq!(built[0], by_days(&year));
        assert_eq!(built[1], other);
    }
}
