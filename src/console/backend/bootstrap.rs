//! A desk's bootstrap from a snapshot of the central (see [`crate::protocol::snapshot`]): what
//! a desk does instead of replaying the change log from its start when it has never synced,
//! when its cursor expired (410 `cursor_expired`), or when its central was replaced.
//!
//! ```text
//! install_head   GET /snapshot → cache emptied; network, maintenance, the last 26 h   (live screen)
//! install_parts  GET /snapshot/chunks, a day at a time back to full_from (recent first)
//!                GET /snapshot/rollups, a year at a time back to the oldest hour
//! finish         the snapshot's cursor: sync follows the log from it
//! ```
//!
//! Every part is installed before the log is followed: a part read after a change the log
//! then applies could otherwise put an hour back as it was before that change.

use std::sync::{Arc, Mutex, PoisonError};

use super::client::{CentralClient, ClientError};
use crate::domain::history::Level;
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::time::{DAY_MS, Timestamp};
use crate::domain::{Network, StationId};
use crate::protocol::snapshot::{
    ChunkPage, MAX_SNAPSHOT_CHUNK_MS, MAX_SNAPSHOT_ROLLUP_MS, RollupPage, SnapshotHead, rollup_rows,
};
use crate::protocol::{ChunkDto, Cursor};
use crate::store::StoreError;
use crate::store::cache::CacheDb;
use crate::store::cache::snapshot::{SeriesRollups, SnapshotStart, StoredHour};
use crate::store::cache::warnings::SyncedWarning;
use crate::store::rollups;

/// Why a bootstrap stopped (it starts again at the next session: the cache has no cursor).
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The central did not answer, or refused.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The cache failed.
    #[error("cache: {0}")]
    Store(#[from] StoreError),
    /// The central sent something that does not decode.
    #[error("the central sent a malformed snapshot: {0}")]
    Malformed(String),
}

/// A snapshot's head as installed: what the live screen shows, and where the parts go.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    /// Follow the log from here once the parts are in.
    pub cursor: Cursor,
    /// The network.
    pub network: Network,
    /// Every maintenance window.
    pub maintenance: Vec<MaintenanceWindow>,
    /// Every warning record, as the cache keeps it.
    pub warnings: Vec<SyncedWarning>,
    /// Hours from here on are (or will be) held in full.
    pub full_from: Timestamp,
    /// Hours from here on came with the head.
    pub recent_from: Timestamp,
    /// The oldest stored hour at the central.
    pub oldest: Option<Timestamp>,
}

/// What the parts moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartsTally {
    /// Requests made.
    pub requests: usize,
    /// Hours installed.
    pub hours: usize,
    /// Rollup rows installed.
    pub rollups: usize,
}

impl CentralClient {
    /// `GET /snapshot`.
    pub async fn snapshot(&self) -> Result<SnapshotHead, ClientError> {
        self.get_json("/snapshot", &[]).await
    }

    /// `GET /snapshot/chunks?from=&to=`.
    pub async fn snapshot_chunks(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<ChunkPage, ClientError> {
        self.get_json("/snapshot/chunks", &range(from, to)).await
    }

    /// `GET /snapshot/rollups?from=&to=`.
    pub async fn snapshot_rollups(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<RollupPage, ClientError> {
        self.get_json("/snapshot/rollups", &range(from, to)).await
    }

    /// `GET /observations/chunks?station=&element=&from=&to=`.
    pub async fn series_chunks(
        &self,
        station: &StationId,
        element: crate::domain::Element,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<ChunkPage, ClientError> {
        let mut query = range(from, to);
        query.push(("station", station.to_string()));
        query.push(("element", element.code().to_owned()));
        self.get_json("/observations/chunks", &query).await
    }
}

fn range(from: Timestamp, to: Timestamp) -> Vec<(&'static str, String)> {
    vec![("from", from.to_rfc3339()), ("to", to.to_rfc3339())]
}

/// Fetches the snapshot's head and installs it (the cache is emptied first).
pub async fn install_head(
    client: &CentralClient,
    cache: &Arc<Mutex<CacheDb>>,
) -> Result<Installed, BootstrapError> {
    let head = client.snapshot().await?;
    let network = Network::try_from(head.network).map_err(BootstrapError::Malformed)?;
    let maintenance: Vec<MaintenanceWindow> =
        head.maintenance.into_iter().map(Into::into).collect();
    let hours = stored_hours(head.chunks)?;
    let warnings = head
        .warnings
        .iter()
        .map(super::warnings::synced)
        .collect::<Result<_, _>>()
        .map_err(BootstrapError::Malformed)?;
    let installed = Installed {
        cursor: head.cursor,
        network,
        maintenance,
        warnings,
        full_from: head.full_from,
        recent_from: head.recent_from,
        oldest: head.oldest,
    };
    let (instance, copy) = (head.instance, installed.clone());
    with_cache(cache, move |cache| {
        cache.begin_snapshot(&SnapshotStart {
            instance: &instance,
            network: &copy.network,
            maintenance: &copy.maintenance,
            warnings: &copy.warnings,
            full_from: copy.full_from,
            hours: &hours,
        })
    })
    .await?;
    Ok(installed)
}

/// Fetches and installs the older parts: hours back to `full_from` a day at a time, then
/// daily rollups back to the oldest hour a year at a time, newest first.
pub async fn install_parts(
    client: &CentralClient,
    cache: &Arc<Mutex<CacheDb>>,
    installed: &Installed,
) -> Result<PartsTally, BootstrapError> {
    let mut tally = PartsTally::default();
    for (from, to) in spans_back(
        installed.recent_from,
        installed.full_from,
        MAX_SNAPSHOT_CHUNK_MS,
    ) {
        let hours = stored_hours(client.snapshot_chunks(from, to).await?.chunks)?;
        tally.requests += 1;
        tally.hours += hours.len();
        with_cache(cache, move |cache| cache.install_hours(&hours)).await?;
    }
    let Some(oldest) = installed.oldest else {
        return Ok(tally);
    };
    let floor = Level::Day.parent_of(oldest);
    for (from, to) in spans_back(installed.full_from, floor, MAX_SNAPSHOT_ROLLUP_MS) {
        let page = client.snapshot_rollups(from, to).await?;
        let series = series_rollups(&page)?;
        tally.requests += 1;
        tally.rollups += series.iter().map(|s| s.rows.len()).sum::<usize>();
        with_cache(cache, move |cache| cache.install_rollups(&series)).await?;
    }
    Ok(tally)
}

/// Ends the bootstrap: the cache follows the log from the snapshot's cursor. Returns the
/// cursor as the cache now holds it.
pub async fn finish(
    cache: &Arc<Mutex<CacheDb>>,
    installed: &Installed,
) -> Result<Option<Cursor>, BootstrapError> {
    let text = installed.cursor.as_str().to_owned();
    with_cache(cache, move |cache| {
        cache.finish_snapshot(&text)?;
        cache.cursor()
    })
    .await
    .map(|cursor| cursor.map(Cursor::from_text))
    .map_err(Into::into)
}

/// `[from, to)` spans of at most `width` covering `[floor, top)`, newest first.
pub fn spans_back(top: Timestamp, floor: Timestamp, width: i64) -> Vec<(Timestamp, Timestamp)> {
    let mut spans = Vec::new();
    let mut to = top;
    while to > floor {
        let from = to.plus_ms(-width).max(floor);
        spans.push((from, to));
        to = from;
    }
    spans
}

/// Chunks as the cache installs them.
pub fn stored_hours(chunks: Vec<ChunkDto>) -> Result<Vec<StoredHour>, BootstrapError> {
    chunks
        .into_iter()
        .map(|c| {
            let station = StationId::parse(&c.hour.station)
                .map_err(|e| BootstrapError::Malformed(e.to_string()))?;
            Ok(StoredHour {
                station,
                element: c.hour.element,
                start: c.hour.start,
                data: c.data.0,
            })
        })
        .collect()
}

fn series_rollups(page: &RollupPage) -> Result<Vec<SeriesRollups>, BootstrapError> {
    page.series
        .iter()
        .map(|s| {
            let station = StationId::parse(&s.station)
                .map_err(|e| BootstrapError::Malformed(e.to_string()))?;
            let rows = rollup_rows(s, rollups::decode).ok_or_else(|| {
                BootstrapError::Malformed(format!("rollups of {}/{}", s.station, s.element.code()))
            })?;
            Ok(SeriesRollups {
                station,
                element: s.element,
                level: s.level,
                rows,
            })
        })
        .collect()
}

/// Runs blocking cache work off the async threads.
pub async fn with_cache<R, E>(
    cache: &Arc<Mutex<CacheDb>>,
    work: impl FnOnce(&mut CacheDb) -> Result<R, E> + Send + 'static,
) -> Result<R, E>
where
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let cache = Arc::clone(cache);
    tokio::task::spawn_blocking(move || {
        work(&mut cache.lock().unwrap_or_else(PoisonError::into_inner))
    })
    .await
    .unwrap_or_else(|join| Err(StoreError::Decode(format!("cache task failed: {join}")).into()))
}

/// Beijing-day spans of `[from, to)`, widened to whole days: what an on-demand fetch asks
/// for, so a day's rollups are recomputed from all of its hours.
pub fn whole_days(from: Timestamp, to: Timestamp) -> (Timestamp, Timestamp) {
    let start = Level::Day.parent_of(from);
    let end = Level::Day.parent_of(to.plus_ms(DAY_MS - 1));
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn spans_go_back_from_the_top_and_stop_at_the_floor() {
        let top = at("2026-12-07T00:00:00Z");
        assert_eq!(
            spans_back(top, top.plus_ms(-2 * DAY_MS - 5), DAY_MS),
            vec![
                (top.plus_ms(-DAY_MS), top),
                (top.plus_ms(-2 * DAY_MS), top.plus_ms(-DAY_MS)),
                (top.plus_ms(-2 * DAY_MS - 5), top.plus_ms(-2 * DAY_MS)),
            ]
        );
        assert!(spans_back(top, top, DAY_MS).is_empty());
        assert!(spans_back(top, top.plus_ms(1), DAY_MS).is_empty());
    }

    #[test]
    fn on_demand_ranges_widen_to_whole_beijing_days() {
        // Beijing midnight is 16:00 UTC.
        let table = [
            (
                "2026-03-01T17:00:00Z",
                "2026-03-02T03:00:00Z",
                "2026-03-01T16:00:00Z",
                "2026-03-02T16:00:00Z",
            ),
            (
                "2026-03-01T16:00:00Z",
                "2026-03-02T16:00:00Z",
                "2026-03-01T16:00:00Z",
                "2026-03-02T16:00:00Z",
            ),
        ];
        for (from, to, start, end) in table {
            assert_eq!(whole_days(at(from), at(to)), (at(start), at(end)), "{from}");
        }
    }
}
