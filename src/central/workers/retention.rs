//! The change log's retention (`[retention] change_log_days` in `central.toml`, 30 days when
//! unset): every `every`, changes recorded longer ago than `keep` (by the central's clock) are
//! deleted, `batch` at a time in short write transactions so ingest is never held up for
//! long. The newest change is never deleted, so the head a cursor counts from survives (and
//! `seq` is `AUTOINCREMENT`: numbers are never reused). A desk whose cursor falls before the
//! oldest kept change is answered 410 `cursor_expired` and bootstraps from a snapshot.

use std::sync::Arc;
use std::time::Duration;

use super::{WorkerContext, WorkerSpec};
use crate::domain::Timestamp;
use crate::domain::time::DAY_MS;
use crate::store::central::{SnapshotStore, Trimmed};

/// Days of change log kept when `central.toml` does not say.
pub const DEFAULT_CHANGE_LOG_DAYS: u32 = 30;

/// How much of the change log is kept, and how it is trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Changes recorded longer ago than this are deleted.
    pub keep_days: u32,
    /// Time between trims.
    pub every: Duration,
    /// Changes deleted per write transaction.
    pub batch: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self::days(DEFAULT_CHANGE_LOG_DAYS)
    }
}

impl Retention {
    /// Keeps `days` of change log, trimming hourly in batches of 10 000.
    pub fn days(days: u32) -> Self {
        Self {
            keep_days: days,
            every: Duration::from_secs(3600),
            batch: 10_000,
        }
    }

    /// Changes recorded before this are deleted at `now`.
    pub fn cutoff(&self, now: Timestamp) -> Timestamp {
        now.plus_ms(-i64::from(self.keep_days) * DAY_MS)
    }
}

/// One trim: batch after batch until none is full (or the central stops); returns the
/// deleted count and the last pass.
async fn trim_all<S>(
    store: &Arc<S>,
    retention: Retention,
    cutoff: Timestamp,
    context: &WorkerContext,
) -> Result<(usize, Trimmed), String>
where
    S: SnapshotStore + Send + Sync + 'static,
{
    let mut deleted = 0;
    loop {
        let store = Arc::clone(store);
        let pass =
            tokio::task::spawn_blocking(move || store.trim_change_log(cutoff, retention.batch))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        deleted += pass.deleted;
        if pass.deleted < retention.batch || context.stopping() {
            return Ok((deleted, pass));
        }
        // Let ingest's writes in between batches.
        tokio::task::yield_now().await;
    }
}

/// What administrators read of a trim.
pub fn verdict(deleted: usize, cutoff: Timestamp, oldest: Option<u64>) -> String {
    let oldest = oldest.map_or_else(
        || "the log is empty".to_owned(),
        |o| format!("oldest kept #{o}"),
    );
    format!("deleted {deleted} change(s) recorded before {cutoff}; {oldest}")
}

/// The `retention` worker.
pub fn worker<S>(store: Arc<S>, retention: Retention) -> WorkerSpec
where
    S: SnapshotStore + Send + Sync + 'static,
{
    WorkerSpec::new("retention", move |context: WorkerContext| {
        let store = Arc::clone(&store);
        async move {
            loop {
                let cutoff = retention.cutoff(context.clock().now());
                let (deleted, last) = trim_all(&store, retention, cutoff, &context).await?;
                if deleted > 0 {
                    tracing::info!(worker = "retention", deleted, %cutoff, "change log trimmed");
                }
                context.report(verdict(deleted, cutoff, last.oldest));
                if !context.sleep(retention.every).await {
                    return Ok(());
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::sync::watch;

    use super::*;
    use crate::central::workers::{Backoff, Supervisor, WorkerBoard};
    use crate::domain::time::{ManualClock, SharedClock};
    use crate::store::StoreError;

    /// A log of `recorded_at` stamps, `seq` 1, 2, …; the calls' batch sizes.
    #[derive(Debug, Default)]
    struct FakeLog {
        log: Mutex<Vec<(u64, i64)>>,
        passes: Mutex<Vec<usize>>,
    }

    impl SnapshotStore for FakeLog {
        fn snapshot_head(
            &self,
            _now: Timestamp,
        ) -> Result<crate::protocol::snapshot::SnapshotHead, StoreError> {
            Err(StoreError::Decode("not in this test".into()))
        }
        fn chunks_between(
            &self,
            _series: Option<(&crate::domain::StationId, crate::domain::Element)>,
            _from: Timestamp,
            _to: Timestamp,
        ) -> Result<Option<Vec<crate::protocol::ChunkDto>>, StoreError> {
            Ok(None)
        }
        fn daily_rollups(
            &self,
            _from: Timestamp,
            _to: Timestamp,
        ) -> Result<Vec<crate::protocol::snapshot::RollupSeries>, StoreError> {
            Ok(Vec::new())
        }
        fn oldest_change(&self) -> Result<Option<u64>, StoreError> {
            Ok(self.log.lock().unwrap().first().map(|&(seq, _)| seq))
        }
        fn trim_change_log(&self, before: Timestamp, batch: usize) -> Result<Trimmed, StoreError> {
            let mut log = self.log.lock().unwrap();
            let deletable = log.len().saturating_sub(1);
            let deleted = log
                .iter()
                .take(deletable.min(batch))
                .take_while(|&&(_, at)| at < before.millis())
                .count();
            log.drain(..deleted);
            self.passes.lock().unwrap().push(deleted);
            Ok(Trimmed {
                deleted,
                oldest: log.first().map(|&(seq, _)| seq),
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn old_changes_go_in_batches_by_the_central_clock_and_the_head_stays() {
        let start = Timestamp(1_800_000_000_000);
        let clock = ManualClock::new(start);
        let log = Arc::new(FakeLog::default());
        // 25 changes a day apart ending at `start`: with 10 days kept, 14 are too old.
        *log.log.lock().unwrap() = (1..=25u64)
            .map(|seq| (seq, start.millis() - (25 - seq as i64) * DAY_MS))
            .collect();
        let retention = Retention {
            keep_days: 10,
            every: Duration::from_secs(3600),
            batch: 4,
        };
        let (stop, stopping) = watch::channel(false);
        let board = WorkerBoard::default();
        let shared: SharedClock = clock.clone();
        let supervisor = Supervisor::start(
            vec![worker(Arc::clone(&log), retention)],
            board.clone(),
            &shared,
            &stopping,
            Backoff::default(),
        );
        let status = board
            .wait_for("retention", |s| s.detail.is_some())
            .await
            .unwrap();
        assert_eq!(*log.passes.lock().unwrap(), [4, 4, 4, 2]);
        assert_eq!(log.oldest_change().unwrap(), Some(15));
        assert!(
            status.detail.unwrap().contains("deleted 14 change(s)"),
            "reported"
        );
        // A month on, everything but the head is too old: the head stays.
        clock.advance(30 * DAY_MS);
        tokio::time::advance(retention.every).await;
        board
            .wait_for("retention", |s| {
                s.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("deleted 10 "))
            })
            .await
            .unwrap();
        assert_eq!(log.oldest_change().unwrap(), Some(25));
        stop.send(true).unwrap();
        supervisor.join().await;
    }

    #[test]
    fn verdicts_say_what_was_deleted_and_what_is_kept() {
        let cutoff = Timestamp::parse_rfc3339("2026-11-07T00:00:00Z").unwrap();
        assert_eq!(
            verdict(3, cutoff, Some(17)),
            format!("deleted 3 change(s) recorded before {cutoff}; oldest kept #17")
        );
        assert!(verdict(0, cutoff, None).ends_with("the log is empty"));
    }
}
