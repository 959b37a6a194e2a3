//! The sync service: keeps the cache a gap-free, duplicate-free copy of the central's change
//! log and tells the UI what arrived and how the link is.
//!
//! A session: health → network → page through `/changes` from the cursor → follow `/stream`
//! from the cursor. Any failure ends the session; the service says it is offline (keeping the
//! first "since"), waits with exponential back-off (or until the user asks to retry now), and
//! starts a new session from the cursor it committed last.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::mpsc;

use super::Waker;
use super::client::{CentralClient, ClientError, StreamItem};
use crate::console::messages::{Event, LinkStatus, SyncCommand, SyncEvent};
use crate::console::state::RECENT_WINDOW_MS;
use crate::domain::time::SharedClock;
use crate::domain::{Network, Observation, Timestamp};
use crate::protocol::{Change, ChangeData};
use crate::store::StoreError;
use crate::store::cache::{ApplyError, CacheDb};

/// Exponential back-off between reconnection attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failure.
    pub first: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Backoff {
    /// The wait after `failures` consecutive failures (1 = the first): doubling, capped.
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

/// Tuning of the sync service.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// Changes per `/changes` page.
    pub page_size: u32,
    /// Reconnection back-off.
    pub backoff: Backoff,
    /// Longest silence tolerated on the live stream (the central sends keep-alives well
    /// within it) before the link is presumed dead.
    pub stream_idle: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            page_size: 2000,
            backoff: Backoff {
                first: Duration::from_secs(1),
                max: Duration::from_secs(30),
            },
            stream_idle: Duration::from_secs(45),
        }
    }
}

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cache: {0}")]
    Apply(#[from] ApplyError),
    #[error("cache: {0}")]
    Store(#[from] StoreError),
    #[error("central sent a malformed change {seq}: {reason}")]
    Malformed { seq: u64, reason: String },
    #[error("central sent an invalid station network: {0}")]
    Network(String),
    #[error("the console is closing")]
    Closed,
}

/// The sync service's state.
pub struct SyncService {
    client: CentralClient,
    cache: Arc<Mutex<CacheDb>>,
    events: mpsc::Sender<Event>,
    waker: Waker,
    clock: SharedClock,
    settings: SyncSettings,
    link: LinkStatus,
    cursor: u64,
    network: Option<Network>,
    failures: u32,
}

impl SyncService {
    /// A service syncing `cache` from `client`.
    pub fn new(
        client: CentralClient,
        cache: CacheDb,
        events: mpsc::Sender<Event>,
        waker: Waker,
        clock: SharedClock,
        settings: SyncSettings,
    ) -> Self {
        let now = clock.now();
        Self {
            client,
            cache: Arc::new(Mutex::new(cache)),
            events,
            waker,
            clock,
            settings,
            link: LinkStatus::Connecting { since: now },
            cursor: 0,
            network: None,
            failures: 0,
        }
    }

    /// Runs until the UI goes away: first shows what the cache holds, then syncs forever.
    pub async fn run(mut self, mut commands: mpsc::Receiver<SyncCommand>) {
        if let Err(error) = self.show_cache().await {
            self.emit(SyncEvent::Failed(format!(
                "reading the local cache failed: {error}"
            )))
            .await;
        }
        self.emit(SyncEvent::LinkChanged(self.link.clone())).await;
        loop {
            let error = self.session().await;
            if matches!(error, SessionError::Closed) || self.events.is_closed() {
                return;
            }
            tracing::warn!(server = self.client.base(), "sync session ended: {error}");
            if matches!(
                error,
                SessionError::Store(_) | SessionError::Apply(ApplyError::Store(_))
            ) {
                self.emit(SyncEvent::Failed(error.to_string())).await;
            }
            self.failures += 1;
            let delay = self.settings.backoff.delay(self.failures);
            let now = self.clock.now();
            let since = match &self.link {
                LinkStatus::Offline { since, .. } | LinkStatus::Connecting { since } => *since,
                LinkStatus::Online { .. } => now,
            };
            let retry_at = now.plus_ms(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
            self.set_link(LinkStatus::Offline {
                since,
                error: error.to_string(),
                retry_at,
            })
            .await;
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                command = commands.recv() => match command {
                    Some(SyncCommand::RetryNow) => {}
                    None => return,
                },
            }
        }
    }

    /// Sends what the cache already holds: the console is useful before the central answers.
    async fn show_cache(&mut self) -> Result<(), StoreError> {
        let from = self.clock.now().plus_ms(-RECENT_WINDOW_MS);
        let (cursor, network, recent) = self
            .with_cache(move |cache| {
                Ok::<_, StoreError>((cache.cursor()?, cache.network()?, cache.since(from)?))
            })
            .await?;
        self.cursor = cursor;
        if let Some(network) = network {
            self.network = Some(network.clone());
            self.emit(SyncEvent::NetworkLoaded(network)).await;
        }
        if !recent.is_empty() {
            self.emit(SyncEvent::ObservationsArrived(recent)).await;
        }
        Ok(())
    }

    /// One connection to the central, from health check to the end of the live stream.
    async fn session(&mut self) -> SessionError {
        match self.session_steps().await {
            Ok(never) => match never {},
            Err(error) => error,
        }
    }

    async fn session_steps(&mut self) -> Result<std::convert::Infallible, SessionError> {
        let health = self.client.health().await?;
        let network =
            Network::try_from(self.client.network().await?).map_err(SessionError::Network)?;
        if self.network.as_ref() != Some(&network) {
            let saved = network.clone();
            self.with_cache(move |cache| cache.save_network(&saved))
                .await?;
            self.network = Some(network.clone());
            self.emit(SyncEvent::NetworkLoaded(network)).await;
        }
        let instance = health.instance.clone();
        let replaced = self
            .with_cache(move |cache| cache.adopt_central(&instance))
            .await?;
        if replaced || health.head < self.cursor {
            // A different database answers: its change log is not the one our cursor counts.
            // Start over; re-synced values overwrite cached ones.
            if !replaced {
                self.with_cache(|cache| cache.reset_cursor()).await?;
            }
            let message = format!(
                "the central's database was replaced (its log is at {}, this desk had synced {}); re-syncing from the start",
                health.head, self.cursor
            );
            self.cursor = 0;
            self.emit(SyncEvent::Failed(message)).await;
        }
        self.set_link(LinkStatus::Online {
            since: self.clock.now(),
        })
        .await;
        self.failures = 0;

        loop {
            let page = self
                .client
                .changes(self.cursor, self.settings.page_size)
                .await?;
            let done =
                page.changes.is_empty() || page.changes.last().is_some_and(|c| c.seq >= page.head);
            self.apply(page.changes, page.head).await?;
            if done {
                break;
            }
        }

        let stream = self
            .client
            .stream(self.cursor, self.settings.stream_idle)
            .await?;
        let mut batches = std::pin::pin!(stream.ready_chunks(1000));
        while let Some(items) = batches.next().await {
            let mut changes = Vec::with_capacity(items.len());
            let mut failure = None;
            for item in items {
                match item {
                    Ok(StreamItem::Change(change)) => changes.push(change),
                    Ok(StreamItem::Heartbeat) => {}
                    Err(error) => failure = Some(error),
                }
            }
            let head = changes.last().map_or(self.cursor, |c| c.seq);
            self.apply(changes, head).await?;
            if let Some(error) = failure {
                return Err(error.into());
            }
        }
        Err(ClientError::StreamEnded.into())
    }

    /// Applies changes to the cache and reports them; an empty batch still reports that the
    /// cache is confirmed up to date.
    async fn apply(&mut self, changes: Vec<Change>, head: u64) -> Result<(), SessionError> {
        let changes = changes
            .into_iter()
            .map(decode_change)
            .collect::<Result<Vec<_>, _>>()?;
        let (applied, cursor) = self
            .with_cache(move |cache| {
                let applied = cache.apply(changes)?;
                Ok::<_, ApplyError>((applied, cache.cursor()?))
            })
            .await?;
        self.cursor = cursor;
        if !applied.is_empty() {
            self.emit(SyncEvent::ObservationsArrived(applied)).await;
        }
        let at = self.clock.now();
        self.emit(SyncEvent::Synced {
            at,
            cursor,
            head: head.max(cursor),
        })
        .await;
        if self.events.is_closed() {
            return Err(SessionError::Closed);
        }
        Ok(())
    }

    async fn set_link(&mut self, link: LinkStatus) {
        if link != self.link {
            self.link = link.clone();
            self.emit(SyncEvent::LinkChanged(link)).await;
        }
    }

    async fn emit(&self, event: SyncEvent) {
        // A closed channel means the UI is gone; the run loop notices and stops.
        if self.events.send(Event::Sync(event)).await.is_ok() {
            (self.waker)();
        }
    }

    /// Runs blocking cache work off the async threads.
    async fn with_cache<R, E>(
        &self,
        work: impl FnOnce(&mut CacheDb) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let cache = Arc::clone(&self.cache);
        tokio::task::spawn_blocking(move || {
            work(&mut cache.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .unwrap_or_else(|join| Err(StoreError::Decode(format!("cache task failed: {join}")).into()))
    }
}

/// A change as the cache stores it. The central validated the record with its own clock, so
/// time is judged only against the far future: a desk with a slow clock still accepts it.
fn decode_change(change: Change) -> Result<(u64, Observation), SessionError> {
    let malformed = |reason: String| SessionError::Malformed {
        seq: change.seq,
        reason,
    };
    match change.data {
        ChangeData::Observation(record) => {
            let parsed = record
                .parse(Timestamp(i64::MAX / 2))
                .map_err(|e| malformed(e.to_string()))?;
            match parsed.value_errors.first() {
                Some(error) => Err(malformed(error.to_string())),
                None => Ok((change.seq, parsed.observation)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let backoff = Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(30),
        };
        let waits: Vec<u64> = (1..=8).map(|n| backoff.delay(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(30));
        assert_eq!(backoff.delay(0), Duration::from_secs(1));
    }
}
