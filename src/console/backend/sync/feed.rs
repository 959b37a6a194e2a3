//! Following the central's change feed: what the central serves, replaying what an earlier
//! build skipped, paging to the head, and applying each page or batch of live events to the
//! cache with its cursor (the kinds registry decodes; the cache replaces hours).

use std::collections::HashMap;

use super::{SessionError, SyncService};
use crate::console::backend::client::{ClientError, FeedBatch};
use crate::console::backend::kinds;
use crate::console::messages::SyncEvent;
use crate::console::messages::warnings::WarningEvent;
use crate::domain::Observation;
use crate::domain::qc::QcMark;
use crate::protocol::{ChunkDto, Cursor, SeriesHour, error_code};
use crate::store::StoreError;
use crate::store::cache::{Applied, Skipped};

impl SyncService {
    /// Reads what the central serves and reports, once per difference, what this desk relies
    /// on that it lacks (a desk newer than its central).
    pub(super) async fn check_version(&mut self) -> Result<(), SessionError> {
        let lacking = match self.client.version().await {
            Ok(version) => version.lacking(&self.settings.kinds, &self.settings.features),
            // A central from before protocol 2 has no such route.
            Err(ClientError::Refused { status: 404, .. }) => vec!["protocol 2".to_owned()],
            Err(error) => return Err(error.into()),
        };
        if self.lacking.as_ref() != Some(&lacking) {
            self.lacking = Some(lacking.clone());
            if !lacking.is_empty() {
                tracing::warn!(
                    ?lacking,
                    "the central does not serve what this desk relies on"
                );
                self.emit(SyncEvent::CentralLacks(lacking)).await;
            }
        }
        Ok(())
    }

    /// Pages through `/changes` from the cursor to the head. A cursor the central's log has
    /// not reached (a database restored behind this desk) starts over from the beginning.
    pub(super) async fn catch_up(&mut self) -> Result<(), SessionError> {
        loop {
            if self.cursor.is_none() {
                // Nothing synced (or the cache started over): a snapshot, not the whole log.
                self.bootstrap().await?;
            }
            let page = self
                .client
                .changes(self.cursor.as_ref(), self.settings.page_size, None)
                .await;
            let page = match page {
                // Away longer than the central keeps its log: start again from a snapshot.
                Err(ClientError::Refused { code, .. }) if code == error_code::CURSOR_EXPIRED => {
                    self.bootstrap().await?;
                    continue;
                }
                Err(ClientError::Refused { code, .. }) if code == error_code::CURSOR_AHEAD => {
                    self.start_over("the central's change log is behind this desk (its database was restored or replaced)")
                        .await;
                    continue;
                }
                other => other?,
            };
            let done = page.next == page.head;
            let next = page.next.clone();
            self.apply(page, Some(next)).await?;
            if done {
                return Ok(());
            }
        }
    }

    /// Replays the changes this desk skipped whose kinds it now reads (a new build), from the
    /// cursor before the first skipped one, asking for those kinds only; then forgets them.
    pub(super) async fn replay_skipped(&mut self) -> Result<(), SessionError> {
        let skipped: Skipped = self.with_cache(|cache| cache.skipped()).await?;
        let kinds: Vec<String> = skipped
            .kinds
            .keys()
            .filter(|kind| self.settings.kinds.contains(*kind))
            .cloned()
            .collect();
        if kinds.is_empty() {
            return Ok(());
        }
        let mut after = skipped.from.map(Cursor::from_text);
        loop {
            let page = self
                .client
                .changes(after.as_ref(), self.settings.page_size, Some(&kinds))
                .await;
            let page = match page {
                // The central no longer keeps the log from there (retention): only a fresh
                // start brings back what was skipped.
                Err(ClientError::Refused { status: 410, .. }) => {
                    self.start_over("the changes this desk skipped are older than the central's change log keeps")
                        .await;
                    return Ok(());
                }
                other => other?,
            };
            let done = page.next == page.head;
            let next = page.next.clone();
            self.apply_replay(page, after.as_ref()).await?;
            after = Some(next);
            if done {
                break;
            }
        }
        let left = self
            .with_cache(move |cache| cache.clear_skipped(&kinds))
            .await?;
        tracing::info!(
            left = left.total(),
            "replayed the changes this desk had skipped"
        );
        self.emit(SyncEvent::ChangesSkipped(left.kinds)).await;
        Ok(())
    }

    /// Applies a batch of the feed to the cache with the cursor `next`, and reports it; an
    /// empty batch still reports that the cache is confirmed up to date.
    pub(super) async fn apply(
        &mut self,
        batch: FeedBatch,
        next: Option<Cursor>,
    ) -> Result<(), SessionError> {
        let behind = batch.behind;
        if batch.unreadable_chunks > 0 {
            tracing::warn!(
                chunks = batch.unreadable_chunks,
                "the central sent hours of elements this build does not know; skipped"
            );
        }
        let decoded = kinds::decode_batch(batch, &self.settings.kinds, self.cursor.as_ref(), next);
        let skipped_some = !decoded.skipped.is_empty();
        let (applied, cursor, skipped) = self
            .with_cache(move |cache| {
                let applied = cache.apply_batch(decoded)?;
                Ok::<_, StoreError>((applied, cache.cursor()?, cache.skipped()?))
            })
            .await?;
        self.cursor = cursor.map(Cursor::from_text);
        self.refill_rollups_only_days(&applied.observations).await?;
        self.report(applied).await;
        if skipped_some {
            self.emit(SyncEvent::ChangesSkipped(skipped.kinds)).await;
        }
        let at = self.clock.now();
        let cursor = self.cursor.clone().unwrap_or_else(Cursor::start);
        self.emit(SyncEvent::Synced { at, cursor, behind }).await;
        if self.events.is_closed() {
            return Err(SessionError::Closed);
        }
        Ok(())
    }

    /// Applies a replayed page (kinds skipped before): the cursor stays where it is.
    async fn apply_replay(
        &mut self,
        page: FeedBatch,
        from: Option<&Cursor>,
    ) -> Result<(), SessionError> {
        let decoded = kinds::decode_batch(page, &self.settings.kinds, from, None);
        let applied = self
            .with_cache(move |cache| cache.apply_batch(decoded))
            .await?;
        self.report(applied).await;
        Ok(())
    }

    /// Tells the screens what arrived.
    async fn report(&self, applied: Applied) {
        let Applied {
            observations,
            rejudged,
            flags,
            maintenance,
            warnings,
            callouts,
            network,
            devices,
            alarms,
            relays,
        } = applied;
        if !alarms.is_empty() {
            self.emit(SyncEvent::AlarmsChanged(alarms)).await;
        }
        if !relays.is_empty() {
            self.emit(SyncEvent::RelaysChanged(relays)).await;
        }
        if let Some(network) = network {
            self.emit(SyncEvent::NetworkLoaded(network)).await;
        }
        if !devices.is_empty() {
            self.emit(SyncEvent::DevicesChanged(devices)).await;
        }
        self.report_values(observations, flags).await;
        if !rejudged.is_empty() {
            self.emit(SyncEvent::QcRejudged(rejudged)).await;
        }
        if !maintenance.is_empty() {
            self.emit(SyncEvent::MaintenanceChanged(maintenance)).await;
        }
        if warnings && let Err(error) = self.report_warnings().await {
            tracing::error!(%error, "reading the cached warnings failed");
        }
        if !callouts.is_empty() {
            let event = WarningEvent::CalloutChanged(callouts);
            self.emit_event(crate::console::messages::Event::Warnings(event))
                .await;
        }
    }

    /// Tells the screens of values and their flags: the flags first, so no screen judges a
    /// failed value as good even for a moment.
    pub(super) async fn report_values(&self, observations: Vec<Observation>, flags: Vec<QcMark>) {
        if !flags.is_empty() {
            self.emit(SyncEvent::QcFlagged(flags)).await;
        }
        if !observations.is_empty() {
            self.emit(SyncEvent::ObservationsArrived(observations))
                .await;
        }
    }
}

/// Live events received together, as one batch: their changes in order, their chunks (a later
/// event's copy of an hour is the newer), continuing from the last event's cursor.
pub(super) fn merged(events: Vec<FeedBatch>) -> Option<FeedBatch> {
    let mut events = events.into_iter();
    let mut batch = events.next()?;
    let mut chunks: HashMap<SeriesHour, ChunkDto> = std::mem::take(&mut batch.chunks)
        .into_iter()
        .map(|c| (c.hour.clone(), c))
        .collect();
    for event in events {
        batch.changes.extend(event.changes);
        chunks.extend(event.chunks.into_iter().map(|c| (c.hour.clone(), c)));
        batch.unreadable_chunks += event.unreadable_chunks;
        (batch.head, batch.next, batch.behind) = (event.head, event.next, event.behind);
    }
    batch.chunks = chunks.into_values().collect();
    Some(batch)
}
