//! The central's core: what the HTTP handlers and the background workers share
//! ([`AppState`]): store, clock, change-log head, shutdown, the workers' board. Handlers and
//! the router both import it from here, so neither imports the other.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use super::devices::DeviceHub;
use super::error::Failure;
use super::hashing::HashPool;
use super::health::DbHealth;
use super::limits::{Limits, StreamSlots};
use super::relays::RelayControl;
use super::throttle::{SourcePolicy, Throttle};
use super::upstream::Upstream;
use super::warnings::WarningSettings;
use super::workers::WorkerBoard;
use super::workers::channels::ChannelState;
use crate::domain::time::SharedClock;
use crate::store::StoreError;
use crate::store::central::CentralStore;

/// Files the administrators' status looks at (free space on the database's volume, the
/// certificate's expiry); empty for an in-memory or test central.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// The database file.
    pub db_path: Option<PathBuf>,
    /// The TLS certificate chain (PEM), when serving HTTPS.
    pub tls_cert: Option<PathBuf>,
}

/// What every handler and background worker shares: the store, the clock, the change log's
/// head as last committed, the shutdown signal that ends live streams and stops workers, and
/// the workers' board.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn CentralStore>,
    clock: SharedClock,
    head: Arc<watch::Sender<u64>>,
    shutdown: Arc<watch::Sender<bool>>,
    keep_alive: Duration,
    workers: WorkerBoard,
    facts: Arc<HostFacts>,
    limits: Limits,
    streams: Arc<StreamSlots>,
    db_health: Arc<DbHealth>,
    hashes: Arc<HashPool>,
    login_slots: Arc<tokio::sync::Semaphore>,
    clean_login_slots: Arc<tokio::sync::Semaphore>,
    throttle: Arc<Throttle>,
    /// The network's station count once read (`usize::MAX`: not yet): health answers from it
    /// without the blocking pool; a registered device's station updates it.
    stations: Arc<AtomicUsize>,
    devices: DeviceHub,
    upstream: Option<Arc<Upstream>>,
    warnings: Arc<WarningSettings>,
    channels: Arc<ChannelState>,
    relays: Arc<RelayControl>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("head", &*self.head.borrow())
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store`, whose change log currently ends at `head`; live streams send a
    /// keep-alive comment after `keep_alive` of silence.
    pub fn new(
        store: Arc<dyn CentralStore>,
        clock: SharedClock,
        head: u64,
        keep_alive: Duration,
    ) -> Self {
        let db_health = Arc::new(DbHealth::new(store.read_only().map(str::to_owned)));
        let hashes = Arc::new(HashPool::per_core());
        Self {
            store,
            clock,
            head: Arc::new(watch::channel(head).0),
            shutdown: Arc::new(watch::channel(false).0),
            keep_alive,
            workers: WorkerBoard::default(),
            facts: Arc::new(HostFacts::default()),
            limits: Limits::default(),
            streams: Arc::new(StreamSlots::default()),
            db_health,
            hashes: Arc::clone(&hashes),
            login_slots: Arc::new(tokio::sync::Semaphore::new(hashes.threads())),
            clean_login_slots: Arc::new(tokio::sync::Semaphore::new(hashes.threads())),
            throttle: Arc::new(Throttle::new(SourcePolicy::DEFAULT)),
            stations: Arc::new(AtomicUsize::new(usize::MAX)),
            devices: DeviceHub::new(Vec::new()),
            upstream: None,
            warnings: Arc::default(),
            channels: Arc::default(),
            relays: Arc::default(),
        }
    }

    /// Relay control (its dispatcher's wake, its MQTT link, its deadlines).
    #[must_use]
    pub fn with_relays(mut self, relays: RelayControl) -> Self {
        self.relays = Arc::new(relays);
        self
    }

    /// What the relay routes and workers share.
    pub fn relays(&self) -> &RelayControl {
        &self.relays
    }

    /// The password hashing threads (one per core).
    pub fn hashes(&self) -> &HashPool {
        &self.hashes
    }

    /// Logins that may be past the throttle at once, from addresses with failed logins (one
    /// per hashing thread) or without (as many again): the rest wait here, holding neither a
    /// blocking thread nor a database connection, and a flood cannot queue ahead of a user
    /// from a clean address by more than a few hashes.
    pub fn login_slots(&self, source_has_failures: bool) -> &tokio::sync::Semaphore {
        if source_has_failures {
            &self.login_slots
        } else {
            &self.clean_login_slots
        }
    }

    /// The per-source limit on failed logins.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// The change log's head as last committed, without touching the database.
    pub fn head(&self) -> u64 {
        *self.head.borrow()
    }

    /// How many stations the network has: read once, then kept up to date by
    /// [`Self::recount_stations`], so health answers without the blocking pool.
    pub async fn station_count(&self) -> Result<usize, Failure> {
        let known = self.stations.load(Ordering::Relaxed);
        if known != usize::MAX {
            return Ok(known);
        }
        self.recount_stations().await
    }

    /// Reads the station count again (after a device added a station).
    pub async fn recount_stations(&self) -> Result<usize, Failure> {
        let count = self
            .blocking(|store| Ok(store.network()?.stations.len()))
            .await?;
        self.stations.store(count, Ordering::Relaxed);
        Ok(count)
    }

    /// The devices' shared state: registry, arrivals.
    pub fn devices(&self) -> &DeviceHub {
        &self.devices
    }

    /// The same state, with the device registry as stored.
    #[must_use]
    pub fn with_devices(mut self, devices: DeviceHub) -> Self {
        self.devices = devices;
        self
    }

    /// The same state, enforcing `limits` instead of the defaults.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same state, issuing warnings under `settings`.
    #[must_use]
    pub fn with_warnings(mut self, settings: WarningSettings) -> Self {
        self.warnings = Arc::new(settings);
        self
    }

    /// The same state, with the channels' outbox, reports queue and callback token.
    #[must_use]
    pub fn with_channels(mut self, channels: ChannelState) -> Self {
        self.channels = Arc::new(channels);
        self
    }

    /// The channels' outbox, reports queue and callback token.
    pub fn channels(&self) -> &ChannelState {
        &self.channels
    }

    /// Who issues warnings and under which rules.
    pub fn warnings(&self) -> &WarningSettings {
        &self.warnings
    }

    /// The bounds this central enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The live streams open now.
    pub fn stream_slots(&self) -> &Arc<StreamSlots> {
        &self.streams
    }

    /// Whether the database can be written, as the central last found it.
    pub fn db_health(&self) -> &DbHealth {
        &self.db_health
    }

    /// The same state, with the facts the administrators' status reads.
    #[must_use]
    pub fn with_host_facts(mut self, facts: HostFacts) -> Self {
        self.facts = Arc::new(facts);
        self
    }

    /// The same state, reading the city's and province's warnings from `upstream`.
    #[must_use]
    pub fn with_upstream(mut self, upstream: Option<Upstream>) -> Self {
        self.upstream = upstream.map(Arc::new);
        self
    }

    /// Where the city's and province's warnings come from, if configured.
    pub fn upstream(&self) -> Option<&Arc<Upstream>> {
        self.upstream.as_ref()
    }

    /// The board the background workers report to.
    pub fn workers(&self) -> &WorkerBoard {
        &self.workers
    }

    /// Where the database and certificate live, for the administrators' status.
    pub fn host_facts(&self) -> &HostFacts {
        &self.facts
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn CentralStore> {
        &self.store
    }

    /// The central's clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Keep-alive interval of live streams.
    pub fn keep_alive(&self) -> Duration {
        self.keep_alive
    }

    /// Records that the log now reaches `head`, waking live streams. Ingests finish out of
    /// order, so the head only ever moves forward.
    pub fn advance_head(&self, head: u64) {
        self.head.send_if_modified(|current| {
            let newer = head > *current;
            if newer {
                *current = head;
            }
            newer
        });
    }

    /// Follows the head.
    pub fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    /// Tells live streams to end: the server is shutting down.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Follows the shutdown signal (`true` once shutting down).
    pub fn watch_shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Runs a blocking store call off the async threads.
    pub async fn blocking<T, F>(&self, call: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&dyn CentralStore) -> Result<T, StoreError> + Send + 'static,
    {
        self.call(move |store| call(store).map_err(Failure::from))
            .await
    }

    /// Runs blocking work (store calls, password hashing) off the async threads; the work
    /// answers with a [`Failure`] of its own choosing. Log events inside it reach the same
    /// subscriber as the request's.
    pub async fn call<T, F>(&self, call: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&dyn CentralStore) -> Result<T, Failure> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        tokio::task::spawn_blocking(move || {
            tracing::dispatcher::with_default(&dispatch, || call(&*store))
        })
        .await
        .map_err(|e| Failure::task(&e))?
    }
}
