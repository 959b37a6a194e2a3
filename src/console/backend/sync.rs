//! The sync service: keeps the cache a gap-free, duplicate-free copy of the central's change
//! log and tells the UI what arrived and how the link is.
//!
//! A session: health → confirm who is signed in (`/auth/session`) → network → what the central
//! serves (`/version`; a central older than the desk is reported once) → replay the changes a
//! previous build skipped, if this build reads their kinds → page through `/changes` from the
//! cursor → follow `/stream` from the cursor. The cursor is the central's opaque text, kept in
//! the cache with the data it covers. Any failure ends the session;
//! the service says it is offline (keeping the first "since"), waits with exponential back-off
//! (or until the user asks to retry now), and starts a new session from the cursor it committed
//! last.
//!
//! It connects only while someone is signed in with a password of their own, and starts over
//! when the token changes. A 401 is not a network failure: the session ends ("log in again")
//! and nothing is retried until someone logs in.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::mpsc;

use super::Waker;
use super::accounts::view;
use super::bootstrap::{self, BootstrapError};
use super::client::{CentralClient, ClientError, StreamItem};
use super::history::on_demand;
use super::kinds;
use super::session::{Session, Token};
use crate::console::messages::warnings::WarningEvent;
use crate::console::messages::{AuthEvent, Event, LinkStatus, SyncCommand, SyncEvent, Trouble};
use crate::console::state::RECENT_WINDOW_MS;
use crate::domain::Network;
use crate::domain::audit::parse_head;
use crate::domain::time::SharedClock;
use crate::domain::warning::suggest::LOOKBACK_MS;
use crate::protocol::{Cursor, FEATURES};
use crate::store::StoreError;
use crate::store::cache::CacheDb;

/// What the desk reads from its cache at start: the charts' recent window, or the 72 h the
/// warning suggestions judge (a cold wave's 48 h fall, three hot days), whichever is longer.
const STARTUP_WINDOW_MS: i64 = if LOOKBACK_MS > RECENT_WINDOW_MS {
    LOOKBACK_MS
} else {
    RECENT_WINDOW_MS
};

mod feed;

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
    /// The change kinds this desk reads (default: every kind of [`kinds::REGISTRY`]); a test
    /// leaves some out to stand in for an older build.
    pub kinds: BTreeSet<String>,
    /// The feed features this desk relies on (default: [`FEATURES`]); a central that does not
    /// advertise one is reported as too old for them.
    pub features: BTreeSet<String>,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            // Each change names a whole write's hours and the page carries their chunks, so a
            // page of a thousand changes is already megabytes.
            page_size: 1000,
            backoff: Backoff {
                first: Duration::from_secs(1),
                max: Duration::from_secs(30),
            },
            stream_idle: Duration::from_secs(45),
            kinds: kinds::all(),
            features: FEATURES.iter().map(|&f| f.to_owned()).collect(),
        }
    }
}

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cache: {0}")]
    Store(#[from] StoreError),
    #[error("central sent an invalid station network: {0}")]
    Network(String),
    #[error("central sent a malformed snapshot: {0}")]
    Snapshot(String),
    #[error("the console is closing")]
    Closed,
}

/// What the link status says of a failed session: a refusal of the central by its code.
impl From<SessionError> for Trouble {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Client(error) => error.into(),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<BootstrapError> for SessionError {
    fn from(error: BootstrapError) -> Self {
        match error {
            BootstrapError::Client(error) => Self::Client(error),
            BootstrapError::Store(error) => Self::Store(error),
            BootstrapError::Malformed(reason) => Self::Snapshot(reason),
        }
    }
}

/// How waiting for the next attempt ended.
enum Wait {
    /// Time to try again (back-off over, retry asked for, or a new token).
    Retry,
    /// The UI has gone.
    Closed,
}

/// The sync service's state.
pub struct SyncService {
    base: CentralClient,
    client: CentralClient,
    session: Arc<Session>,
    token: tokio::sync::watch::Receiver<Option<Token>>,
    cache: Arc<Mutex<CacheDb>>,
    events: mpsc::Sender<Event>,
    waker: Waker,
    clock: SharedClock,
    settings: SyncSettings,
    link: LinkStatus,
    /// Where the feed continues (`None`: from the start of the log).
    cursor: Option<Cursor>,
    network: Option<Network>,
    failures: u32,
    /// What the central lacked, as last reported (reported again only when it changes).
    lacking: Option<Vec<String>>,
}

impl SyncService {
    /// A service syncing `cache` from `client` with the token of `session`.
    pub fn new(
        client: CentralClient,
        session: Arc<Session>,
        cache: Arc<Mutex<CacheDb>>,
        events: mpsc::Sender<Event>,
        waker: Waker,
        clock: SharedClock,
        settings: SyncSettings,
    ) -> Self {
        let now = clock.now();
        Self {
            base: client.clone(),
            client,
            token: session.watch(),
            session,
            cache,
            events,
            waker,
            clock,
            settings,
            link: LinkStatus::Connecting { since: now },
            cursor: None,
            network: None,
            failures: 0,
            lacking: None,
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
            // Connect only with a token whose user has chosen their own password.
            let token = match self
                .token
                .wait_for(|token| token.as_ref().is_some_and(|t| t.usable))
                .await
            {
                Ok(token) => token.clone(),
                Err(_) => return,
            };
            let Some(token) = token else { continue };
            self.client = self.base.with_token(token.secret.clone());
            self.token.mark_unchanged();
            let mut changes = self.token.clone();
            let error = tokio::select! {
                error = self.session() => error,
                // Logged out, or someone else logged in: start over with the new token.
                _ = changes.changed() => continue,
            };
            if matches!(error, SessionError::Closed) || self.events.is_closed() {
                return;
            }
            if let SessionError::Client(ClientError::Unauthorized(message)) = &error {
                tracing::info!(
                    server = self.client.base(),
                    "the central ended the session: {message}"
                );
                self.session.ended_by_central(message).await;
                self.set_link(LinkStatus::SignedOut {
                    since: self.clock.now(),
                })
                .await;
                continue;
            }
            tracing::warn!(server = self.client.base(), "sync session ended: {error}");
            if matches!(error, SessionError::Store(_)) {
                self.emit(SyncEvent::Failed(error.to_string())).await;
            }
            self.failures += 1;
            let delay = self.settings.backoff.delay(self.failures);
            let now = self.clock.now();
            let since = match &self.link {
                LinkStatus::Offline { since, .. } | LinkStatus::Connecting { since } => *since,
                LinkStatus::Online { .. } | LinkStatus::SignedOut { .. } => now,
            };
            let retry_at = now.plus_ms(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
            self.set_link(LinkStatus::Offline {
                since,
                error: error.into(),
                retry_at,
            })
            .await;
            if let Wait::Closed = self.wait(delay, &mut commands).await {
                return;
            }
        }
    }

    /// Waits out the back-off, unless the user asks to retry now or the token changes.
    async fn wait(&mut self, delay: Duration, commands: &mut mpsc::Receiver<SyncCommand>) -> Wait {
        tokio::select! {
            () = tokio::time::sleep(delay) => Wait::Retry,
            _ = self.token.changed() => Wait::Retry,
            command = commands.recv() => match command {
                Some(SyncCommand::RetryNow) => Wait::Retry,
                None => Wait::Closed,
            },
        }
    }

    /// Sends what the cache already holds: the console is useful before the central answers.
    async fn show_cache(&mut self) -> Result<(), StoreError> {
        let from = self.clock.now().plus_ms(-STARTUP_WINDOW_MS);
        let (cursor, network, recent, maintenance, skipped) = self
            .with_cache(move |cache| {
                Ok::<_, StoreError>((
                    cache.cursor()?,
                    cache.network()?,
                    cache.since(from)?,
                    cache.maintenance(None)?,
                    cache.skipped()?,
                ))
            })
            .await?;
        self.cursor = cursor.map(Cursor::from_text);
        if !skipped.kinds.is_empty() {
            self.emit(SyncEvent::ChangesSkipped(skipped.kinds)).await;
        }
        if let Some(network) = network {
            self.network = Some(network.clone());
            self.emit(SyncEvent::NetworkLoaded(network)).await;
        }
        self.report_values(recent.0, recent.1).await;
        if !maintenance.is_empty() {
            self.emit(SyncEvent::MaintenanceChanged(maintenance)).await;
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
        // Who is signed in, as the central sees it now (a role may have changed meanwhile).
        let confirmed = view(self.client.session().await?);
        self.emit_event(Event::Auth(AuthEvent::Confirmed(confirmed)))
            .await;
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
        self.check_audit_head(health.audit_head.as_deref(), replaced)
            .await?;
        if replaced {
            self.start_over(
                "the central's database was replaced (restored from a backup, or recreated)",
            )
            .await;
        }
        self.check_version().await?;
        self.set_link(LinkStatus::Online {
            since: self.clock.now(),
        })
        .await;
        self.failures = 0;
        // A desk without a cursor has skipped nothing; `catch_up` bootstraps it.
        self.replay_skipped().await?;
        self.catch_up().await?;

        let stream = self
            .client
            .stream(self.cursor.as_ref(), self.settings.stream_idle)
            .await?;
        let mut batches = std::pin::pin!(stream.ready_chunks(1000));
        while let Some(items) = batches.next().await {
            let mut events = Vec::with_capacity(items.len());
            let mut failure = None;
            for item in items {
                match item {
                    Ok(StreamItem::Change(event)) => events.push(event),
                    Ok(StreamItem::Heartbeat) => {}
                    Err(error) => failure = Some(error),
                }
            }
            if let Some(batch) = feed::merged(events) {
                let next = batch.next.clone();
                self.apply(batch, Some(next)).await?;
            }
            if let Some(error) = failure {
                return Err(error.into());
            }
        }
        Err(ClientError::StreamEnded.into())
    }

    /// Forgets what the cache synced from another central database and says so.
    async fn start_over(&mut self, why: &str) {
        if let Err(error) = self.with_cache(|cache| cache.forget_synced()).await {
            tracing::warn!("could not empty the cache: {error}");
        }
        self.cursor = None;
        let message = format!("{why}; re-syncing from the start");
        self.emit(SyncEvent::CentralReplaced(message)).await;
        // The records went with the rest: the warnings screens forget them too.
        if let Err(error) = self.report_warnings().await {
            tracing::warn!(%error, "reading the cached warnings failed");
        }
        // The skipped changes went with the rest; a fresh sync counts anew.
        self.emit(SyncEvent::ChangesSkipped(Default::default()))
            .await;
    }

    /// Installs a snapshot (see [`bootstrap`]): the live screen's day is shown as soon as the
    /// head is in, the older parts follow, then the log is followed from the snapshot's cursor.
    async fn bootstrap(&mut self) -> Result<(), SessionError> {
        let installed = bootstrap::install_head(&self.client, &self.cache).await?;
        self.network = Some(installed.network.clone());
        self.emit(SyncEvent::NetworkLoaded(installed.network.clone()))
            .await;
        if !installed.maintenance.is_empty() {
            self.emit(SyncEvent::MaintenanceChanged(installed.maintenance.clone()))
                .await;
        }
        if !installed.warnings.is_empty() {
            self.report_warnings().await?;
        }
        let from = self.clock.now().plus_ms(-STARTUP_WINDOW_MS);
        let recent = self.with_cache(move |cache| cache.since(from)).await?;
        self.report_values(recent.0, recent.1).await;
        let tally = bootstrap::install_parts(&self.client, &self.cache, &installed).await?;
        self.cursor = bootstrap::finish(&self.cache, &installed).await?;
        tracing::info!(
            cursor = ?self.cursor,
            requests = tally.requests,
            hours = tally.hours,
            rollups = tally.rollups,
            "bootstrapped from a snapshot"
        );
        Ok(())
    }

    /// Remembers the central's audit head and reports one that went backwards. A head that
    /// does not parse (or an older central without one) is left alone.
    async fn check_audit_head(
        &mut self,
        head: Option<&str>,
        replaced: bool,
    ) -> Result<(), SessionError> {
        let Some(head) = head.map(parse_head) else {
            return Ok(());
        };
        let Some(head) = head else {
            tracing::warn!("the central's audit head is not SEQ:HASH; ignored");
            return Ok(());
        };
        let regression = self
            .with_cache(move |cache| cache.remember_audit_head(Some(head), replaced))
            .await?;
        if let Some(regression) = regression {
            tracing::warn!(
                seen = regression.seen.0,
                now = head.0,
                "the central's audit head went backwards"
            );
            self.emit(SyncEvent::AuditHeadRegressed(regression)).await;
        }
        Ok(())
    }

    /// Values applied into days a bootstrapped desk holds only as rollups: those days are
    /// fetched whole, so their daily rollups stay the central's.
    async fn refill_rollups_only_days(
        &self,
        observations: &[crate::domain::Observation],
    ) -> Result<(), SessionError> {
        let touched: Vec<_> = observations
            .iter()
            .flat_map(|o| o.values.keys().map(|&e| (o.station.clone(), e, o.time)))
            .collect();
        if touched.is_empty() {
            return Ok(());
        }
        let days = on_demand::refill_touched(&self.client, &self.cache, touched).await?;
        if days > 0 {
            tracing::info!(days, "days held as rollups fetched again after late values");
        }
        Ok(())
    }

    async fn set_link(&mut self, link: LinkStatus) {
        if link != self.link {
            self.link = link.clone();
            self.emit(SyncEvent::LinkChanged(link)).await;
        }
    }

    /// Tells the warnings screens the records the cache now holds.
    async fn report_warnings(&self) -> Result<(), StoreError> {
        let records = self.with_cache(|c| super::warnings::records(c)).await?;
        self.emit_event(Event::Warnings(WarningEvent::RecordsChanged(records)))
            .await;
        Ok(())
    }

    async fn emit(&self, event: SyncEvent) {
        self.emit_event(Event::Sync(event)).await;
    }

    async fn emit_event(&self, event: Event) {
        // A closed channel means the UI is gone; the run loop notices and stops.
        if self.events.send(event).await.is_ok() {
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
