//! The central server: the HTTP API under `/api/v1` (axum) over the central's SQLite store,
//! with the change log consoles sync from and its live stream (server-sent events).
//!
//! ```text
//! POST /observations ─▶ parse each record ─▶ one transaction: values + change log ─▶ head ↑
//! POST /imports       ─▶ parse the file    ─▶ one transaction, all or nothing ───────▶ head ↑
//! POST|PATCH /maintenance ─▶ window + change log + audit, one transaction ──────────▶ head ↑
//! GET  /changes?after=      pages of the change log                                   │
//! GET  /stream (SSE)        backlog from the log, then wakes on head ◀─────────────────┘
//! GET  /snapshot[/chunks|/rollups]  a new desk's start, instead of the whole log (snapshot)
//! retention worker          trims the log to `[retention] change_log_days`; an older
//!                           cursor gets 410 cursor_expired and the desk bootstraps again
//! ```
//!
//! Start it in-process with [`start`] on any listener (tests and the embedded default bind
//! `127.0.0.1:0`), or as `wxdesk central serve` through [`serve_blocking`]. The routes are
//! listed once, in [`routes`], each with the [`Access`] it demands; the checked-in OpenAPI
//! document must describe exactly them.
//!
//! Every route but health, the API description and login needs a bearer token: a user's
//! session ([`accounts`]) or a device key. [`auth`] checks it against the capability matrix of
//! [`crate::domain::access`] and the audit log records what was done and refused.
//!
//! Handlers and background [`workers`] share one core ([`AppState`]: store, clock, change-log
//! head, shutdown, the workers' board). A supervisor starts the workers with the central,
//! restarts a failed one with back-off, and stops them on shutdown; `wxdesk central serve`
//! reads its settings from a [`config`] file (`central.toml`).

pub mod accounts;
mod admin_status;
mod api;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod callout;
pub mod channels;
pub mod config;
mod core;
pub mod devices;
mod error;
pub mod failpoint;
mod handlers;
pub mod hashing;
pub mod health;
pub mod imports;
pub mod limits;
pub mod logfiles;
pub mod maintenance;
mod maintenance_windows;
pub mod on_call;
pub mod recipients;
pub mod relays;
pub mod reports;
mod snapshot;
mod stream;
pub mod throttle;
pub mod tls;
pub mod upstream;
mod version;
pub mod warnings;
pub mod workers;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use self::core::{AppState, HostFacts};
pub use api::{Route, Verb, operations, router, routes};
pub use auth::{Access, Principal};
pub use error::Failure;
pub use handlers::{DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT, MAX_SERIES_DAYS, MAX_VIEW_COLUMNS};
pub use limits::Limits;
pub use version::{SyncProtocol, check_not_ahead, cursor_seq, update_required};

use crate::domain::Network;
use crate::domain::access::{DeviceClaims, DeviceName, Secret};
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, KeyIssuer, Outcome};
use crate::domain::qc::QcConfig;
use crate::domain::time::{SharedClock, system_clock};
use crate::store::StoreError;
use crate::store::central::backup::{BackupError, lock_for_serving};
use crate::store::central::{
    ChangeFeed as _, Database as _, DeviceStore, NetworkStore as _, OpenMode, SqliteCentralStore,
};
use config::{ChannelSettings, ServeSettings};
use failpoint::Failpoints;
use warnings::WarningSettings;
use workers::backup::BackupSchedule;
use workers::channels::ChannelSet;
use workers::retention::Retention;
use workers::{Backoff, Supervisor, WorkerSpec};

/// Largest request body accepted (an ingest batch, an imported file), in bytes.
pub const MAX_BODY_BYTES: usize = 16 << 20;
/// Largest JSON body of every other route (logins, users, maintenance windows), in bytes.
pub const JSON_BODY_BYTES: usize = 2 << 20;
/// Most records accepted in one ingest batch.
pub const MAX_BATCH_RECORDS: usize = 10_000;
/// Silence after which a live stream sends a keep-alive comment, so proxies and clients can
/// tell a quiet stream from a dead one.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How to start a central.
#[derive(Debug, Clone)]
pub struct CentralConfig {
    /// SQLite database file, created if missing.
    pub db_path: PathBuf,
    /// The network to seed a new database with (an existing database keeps its own).
    pub network: Network,
    /// The central's clock: ingest judges times by it and stamps changes with it.
    pub clock: SharedClock,
    /// Keep-alive interval of live streams.
    pub keep_alive: Duration,
    /// Serve HTTPS with this certificate and key (PEM files) instead of plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Give a first administrator who never logged in a fresh one-time password on each start
    /// (the embedded default); otherwise only an empty database gets one.
    pub reissue_first_admin: bool,
    /// Devices to issue a fresh key to at start (the embedded simulator, which may import its
    /// archive), replacing old keys, with what each key may claim.
    pub device_keys: Vec<(DeviceName, DeviceClaims)>,
    /// The audit key's file, created on first start; `None`: beside the database
    /// ([`audit::default_key_path`]).
    pub audit_key: Option<PathBuf>,
    /// Quality-control settings; `None`: the shipped climatological limits (`assets/qc`).
    pub qc: Option<QcConfig>,
    /// Bounds on requests, live streams and connections.
    pub limits: Limits,
    /// Open the database for reading only (as SQLite does by itself for a file it may not
    /// write): the central serves reads, refuses writes and reports `degraded`.
    pub open_mode: OpenMode,
    /// Scheduled backups (the `backup` worker); `None`: none.
    pub backups: Option<BackupSchedule>,
    /// Time between integrity checks (the `integrity` worker); `None`: no check.
    pub integrity_every: Option<Duration>,
    /// The change log's retention (the `retention` worker); `None`: kept forever.
    pub retention: Option<Retention>,
    /// More background workers to supervise beside those above.
    pub workers: Vec<WorkerSpec>,
    /// Back-off between a failed worker's restarts.
    pub backoff: Backoff,
    /// Who issues warnings and under which rules (`[warnings]`).
    pub warnings: WarningSettings,
    /// The folder the city's and province's CAP files arrive in (`[warnings.upstream] dir`).
    pub upstream_dir: Option<PathBuf>,
    /// A URL publishing them, a CAP message or an Atom/RSS feed (`[warnings.upstream] url`).
    /// With neither, `GET /warnings/upstream` answers an empty list.
    pub upstream_url: Option<String>,
    /// The channels warnings leave by (`[wechat]`, `[sms]`); none: no dispatch worker.
    pub channels: ChannelSettings,
    /// Failpoints armed in the channels' dispatchers (`WXDESK_FAILPOINTS` when served).
    pub channel_failpoints: Failpoints,
    /// How often a dispatcher looks for due retries when nothing wakes it.
    pub dispatch_tick: Duration,
    /// Where 4G DTUs dial in (`[modbus] dtu_listen`); none: no DTU listener.
    pub dtu_listen: Option<SocketAddr>,
    /// The register maps boards name (`[modbus.maps.NAME]`).
    pub modbus_maps: devices::modbus::map::MapBook,
    /// The MQTT broker devices report through (`[mqtt]`); none: no MQTT bridge.
    pub mqtt: Option<devices::mqtt::MqttSettings>,
}

/// A PEM certificate chain and private key for HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl CentralConfig {
    /// A configuration with the system clock, the default keep-alive, plain HTTP, and no
    /// device keys.
    pub fn new(db_path: impl Into<PathBuf>, network: Network) -> Self {
        Self {
            db_path: db_path.into(),
            network,
            clock: system_clock(),
            keep_alive: DEFAULT_KEEP_ALIVE,
            tls: None,
            reissue_first_admin: false,
            device_keys: Vec::new(),
            audit_key: None,
            qc: None,
            limits: Limits::default(),
            open_mode: OpenMode::ReadWrite,
            backups: None,
            integrity_every: None,
            retention: Some(Retention::default()),
            workers: Vec::new(),
            backoff: Backoff::default(),
            warnings: WarningSettings::default(),
            upstream_dir: None,
            upstream_url: None,
            channels: ChannelSettings::default(),
            channel_failpoints: Failpoints::none(),
            dispatch_tick: workers::channels::TICK,
            dtu_listen: None,
            modbus_maps: devices::modbus::map::MapBook::new(),
            mqtt: None,
        }
    }
}

/// Why a central did not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    /// The database could not be opened, migrated or seeded.
    #[error("central database: {0}")]
    Store(#[from] StoreError),
    /// The listener failed.
    #[error("central listener: {0}")]
    Io(#[from] std::io::Error),
    /// A task of the central panicked.
    #[error("central task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The TLS certificate or key cannot be used.
    #[error("central TLS: {0}")]
    Tls(#[from] tls::TlsError),
    /// Setting up accounts (the first administrator, device keys) failed.
    #[error("central accounts: {0}")]
    Accounts(String),
    /// The quality-control limits cannot be read.
    #[error("quality-control limits: {0}")]
    Qc(String),
    /// The database is being restored.
    #[error("central database: {0}")]
    Restoring(#[from] BackupError),
    /// The city's and province's warnings cannot be set up (the signal catalogue, the URL).
    #[error("upstream warnings: {0}")]
    Upstream(String),
    /// A configured channel cannot be built, or the outbox opened.
    #[error("channels: {0}")]
    Channels(String),
}

/// A central serving on a listener; stop it with [`RunningCentral::shutdown`]. Dropping it
/// also begins a shutdown, without waiting for it.
#[derive(Debug)]
pub struct RunningCentral {
    addr: SocketAddr,
    https: bool,
    state: AppState,
    server: JoinHandle<std::io::Result<()>>,
    first_admin: Option<Secret>,
    device_keys: BTreeMap<DeviceName, Secret>,
    /// The shared lock that keeps `wxdesk central restore` off the database while serving.
    _serving: Option<std::fs::File>,
    supervisor: Supervisor,
}

impl RunningCentral {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:8640` or `https://…` (routes are under `/api/v1`).
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The one-time password of the first administrator ([`accounts::FIRST_ADMIN`]), if this
    /// start created it (or reissued it): show it to the user once.
    pub fn first_admin_password(&self) -> Option<&Secret> {
        self.first_admin.as_ref()
    }

    /// Follows how many live streams are open.
    pub fn live_streams(&self) -> tokio::sync::watch::Receiver<usize> {
        self.state.stream_slots().watch()
    }

    /// What the password hashing pool did so far (tests check that every login path hashes
    /// once, and how many hashes ran at once).
    pub fn hash_stats(&self) -> hashing::HashStats {
        self.state.hashes().stats()
    }

    /// The channels' outbox, to enqueue messages that wake their dispatcher (`None` when the
    /// database cannot be written).
    pub fn outbox(&self) -> Option<&workers::channels::Enqueuer> {
        self.state.channels().enqueuer.as_ref()
    }

    /// The change log's head, followed: it moves with every change written.
    pub fn watch_head(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.watch_head()
    }

    /// The board the background workers report to.
    pub fn workers(&self) -> &workers::WorkerBoard {
        self.state.workers()
    }

    /// The devices' registry and arrivals: where the transports (MQTT, Modbus) deliver.
    pub fn devices(&self) -> &devices::DeviceHub {
        self.state.devices()
    }

    /// Registers those of `devices` not registered yet (the embedded default's simulated
    /// gardens), as the central itself; returns how many were added.
    pub async fn register_devices(
        &self,
        devices: Vec<crate::domain::devices::Device>,
    ) -> Result<usize, Failure> {
        devices::routes::register_missing(&self.state, devices).await
    }

    /// Judges every device's status now, as the status worker does every
    /// [`devices::status::SWEEP`]; returns how many changed.
    pub async fn judge_devices(&self) -> Result<usize, Failure> {
        devices::status::sweep(&self.state).await
    }

    /// One pass of the relay sweep at the central's clock: commands past their deadline end,
    /// relays past their run-time limit are switched off (as the sweep worker does).
    /// The relay dispatcher is woken too, so commands whose retry fell due go out now.
    pub async fn sweep_relays(&self) -> Result<relays::sweep::Swept, Failure> {
        let swept = relays::sweep::pass(&self.state, self.state.clock().now()).await;
        self.state.relays().queued();
        swept
    }

    /// The relay command history, to read in this process.
    pub fn relay_log(&self) -> relays::RelayLog {
        relays::RelayLog(self.state.clone())
    }

    /// The key issued at start to a device named in [`CentralConfig::device_keys`].
    pub fn device_key(&self, name: &DeviceName) -> Option<&Secret> {
        self.device_keys.get(name)
    }

    /// Stops gracefully: ends live streams, finishes requests in flight, and returns once the
    /// listener is closed and the last connection is gone (which releases the database).
    pub async fn shutdown(mut self) -> Result<(), CentralError> {
        self.state.begin_shutdown();
        (&mut self.server).await??;
        // The failed logins of windows still open are counted in memory only: record them.
        if let Err(failure) = accounts::record_failed_logins(&self.state, true).await {
            tracing::warn!(error = %failure.body.message, "failed logins not recorded at shutdown");
        }
        let supervisor = std::mem::replace(&mut self.supervisor, Supervisor::empty());
        supervisor.join().await;
        tracing::info!(url = %self.url(), "central stopped");
        Ok(())
    }
}

impl Drop for RunningCentral {
    fn drop(&mut self) {
        self.state.begin_shutdown();
    }
}

/// Opens the database, then serves the API on `listener` until shut down. Blocks nothing: the
/// database is opened on a blocking thread and the server runs as a task of the current
/// runtime.
pub async fn start(
    listener: TcpListener,
    config: CentralConfig,
) -> Result<RunningCentral, CentralError> {
    let addr = listener.local_addr()?;
    let CentralConfig {
        db_path,
        network,
        clock,
        keep_alive,
        tls,
        reissue_first_admin,
        device_keys,
        audit_key,
        qc,
        limits,
        open_mode,
        backups,
        integrity_every,
        retention,
        workers,
        backoff,
        warnings,
        upstream_dir,
        upstream_url,
        channels,
        channel_failpoints,
        dispatch_tick,
        dtu_listen,
        modbus_maps,
        mqtt,
    } = config;
    let key_path = audit_key.unwrap_or_else(|| audit::default_key_path(&db_path));
    let host_facts = HostFacts {
        db_path: Some(db_path.clone()),
        tls_cert: tls.as_ref().map(|files| files.cert.clone()),
    };
    let qc = match qc {
        Some(qc) => qc,
        None => crate::assets::qc_config().map_err(|e| CentralError::Qc(e.to_string()))?,
    };
    let tls = tls
        .map(|files| tls::server_config(&files.cert, &files.key))
        .transpose()?;
    let upstream = upstream_setup(upstream_dir, upstream_url.as_deref(), &warnings.signals)?;
    let channel_set = ChannelSet::build(&channels, &clock, &channel_failpoints)
        .map_err(CentralError::Channels)?;
    let path = db_path.clone();
    let now = clock.now();
    let (store, head, first_admin, keys, serving) = tokio::task::spawn_blocking(move || {
        let serving = lock_for_serving(&path)?;
        let store = SqliteCentralStore::open_checked(&path, &network, qc, open_mode)?;
        let head = store.head()?;
        if let Some(reason) = store.read_only() {
            // Accounts cannot be set up, nor the audit key introduced, in a database that
            // cannot be written; serve reads.
            tracing::error!(
                reason,
                "database opened read-only: serving reads, refusing writes"
            );
            return Ok((store, head, None, BTreeMap::new(), serving));
        }
        let store = store.with_audit_key(audit::load_or_create_key(&key_path)?, now)?;
        let first_admin = accounts::bootstrap_first_admin(&store, now, reissue_first_admin)
            .map_err(|f| CentralError::Accounts(f.body.message))?;
        let mut keys = BTreeMap::new();
        for (name, claims) in device_keys {
            let record = AuditRecord::new(
                now,
                "central",
                "",
                AuditAction::DeviceKeyIssued,
                Outcome::Ok,
            )
            .detail(&AuditDetail::DeviceKeyIssued {
                by: KeyIssuer::Start,
                may_import: claims.may_import,
            });
            let key = accounts::issue_device_key_blocking(&store, &name, claims, record, now)
                .map_err(|f| CentralError::Accounts(f.body.message))?;
            keys.insert(name, key);
        }
        Ok::<_, CentralError>((store, head, first_admin, keys, serving))
    })
    .await??;
    let store = Arc::new(store);
    let (channel_specs, channel_state) = if let Some(reason) = store.read_only() {
        tracing::warn!(reason, "database read-only: no channel is dispatched");
        (Vec::new(), workers::channels::ChannelState::default())
    } else {
        workers::channels::start(&db_path, channel_set, dispatch_tick)
            .map_err(CentralError::Channels)?
    };
    let state = AppState::new(store.clone(), clock.clone(), head, keep_alive)
        .with_limits(limits)
        .with_host_facts(host_facts)
        .with_warnings(warnings.for_network(&store.network()?))
        .with_upstream(upstream)
        .with_channels(channel_state)
        .with_devices(devices::DeviceHub::new(store.devices()?));
    let (relay_control, relay_link) = relays::RelayControl::new(mqtt.as_ref());
    let state = state.with_relays(relay_control);
    let mut specs = channel_specs;
    // The per-level resend policy runs only where a level is named and a channel sends.
    if !state.warnings().resend_unknown.levels.is_empty() && !state.channels().kinds.is_empty() {
        specs.push(warnings::deliveries::policy::worker(
            state.clone(),
            dispatch_tick,
        ));
    }
    specs.extend(backups.map(|schedule| workers::backup::worker(store.clone(), schedule)));
    specs.extend(integrity_every.map(|every| workers::integrity::worker(store.clone(), every)));
    specs.extend(retention.map(|keep| workers::retention::worker(store.clone(), keep)));
    specs.extend(workers);
    if store.read_only().is_none() {
        specs.push(devices::telemetry::worker(state.clone()));
        specs.push(devices::status::worker(state.clone()));
        specs.push(devices::links::worker(
            state.clone(),
            dtu_listen,
            modbus_maps,
        ));
        specs.extend(
            relays::workers(&state, &db_path, relay_link, dispatch_tick)
                .map_err(CentralError::Channels)?,
        );
        if let Some(settings) = mqtt {
            specs.push(devices::presence::start(&state, settings));
        }
        let wake = state.channels().alarm_wake.clone();
        specs.push(on_call::worker(state.clone(), wake));
        let replies = state.channels().replies.clone();
        specs.push(callout::worker::worker(
            state.clone(),
            replies,
            dispatch_tick,
        ));
    }
    let supervisor = Supervisor::start(
        specs,
        state.workers().clone(),
        &clock,
        &state.watch_shutdown(),
        backoff,
    );
    let app = router(state.clone()).into_make_service_with_connect_info::<auth::Peer>();
    tokio::spawn(accounts::record_failed_logins_until_shutdown(state.clone()));
    {
        let state = state.clone();
        tokio::spawn(async move { warnings::dispatch::sweep(&state).await });
    }
    let mut stopping = state.watch_shutdown();
    let stop = async move {
        // Either the flag is raised or its sender is gone: both mean stop.
        _ = stopping.wait_for(|&stop| stop).await;
    };
    let https = tls.is_some();
    let server = match tls {
        None => {
            let listener = limits::Guarded::new(listener, limits.write_stall);
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop)
                    .await
            })
        }
        Some(config) => {
            let listener = tls::TlsListener::new(listener, config, &limits)?;
            let listener = limits::Guarded::new(listener, limits.write_stall);
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop)
                    .await
            })
        }
    };
    let central = RunningCentral {
        addr,
        https,
        state,
        server,
        first_admin,
        device_keys: keys,
        _serving: serving,
        supervisor,
    };
    tracing::info!(url = %central.url(), db = %db_path.display(), head, "central listening");
    Ok(central)
}

/// Runs `wxdesk central serve` with `settings` (a `central.toml` and flags) until interrupted
/// (Ctrl-C, or SIGTERM on Unix), then shuts down gracefully, background workers included. On
/// the first start it prints the first administrator's one-time password to standard output,
/// once (never to the log).
pub fn serve_blocking(settings: ServeSettings) -> anyhow::Result<()> {
    let network = crate::assets::qingliu_network().context("reading the shipped network")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("wxdesk-central")
        .build()
        .context("starting the async runtime")?;
    tracing::info!(%settings, "central settings");
    runtime.block_on(async {
        let listen = settings.listen;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let db = settings.db.clone();
        let mut config = CentralConfig::new(&db, network);
        config.tls = settings.tls;
        config.backups = settings.backups;
        config.integrity_every = Some(settings.integrity_every);
        config.retention = Some(Retention::days(settings.retention_days.map_or(
            workers::retention::DEFAULT_CHANGE_LOG_DAYS,
            std::num::NonZeroU32::get,
        )));
        config.audit_key = settings.audit_key;
        config.warnings = settings.warnings;
        config.upstream_dir = settings.upstream_dir;
        config.upstream_url = settings.upstream_url;
        config.channels = settings.channels;
        config.mqtt = settings.mqtt;
        config.dtu_listen = settings.dtu_listen;
        config.modbus_maps = settings.modbus_maps;
        config.channel_failpoints = Failpoints::from_env();
        let central = start(listener, config)
            .await
            .with_context(|| format!("starting the central on {}", db.display()))?;
        if let Some(password) = central.first_admin_password() {
            announce_first_admin(&mut std::io::stdout().lock(), password, &central.url(), &db)
                .context("writing the first administrator's password to standard output")?;
        }
        interrupted().await?;
        tracing::info!("interrupted; shutting down");
        central.shutdown().await?;
        Ok(())
    })
}

/// Where the city's and province's warnings come from; `None` when neither is configured.
fn upstream_setup(
    dir: Option<PathBuf>,
    url: Option<&str>,
    signals: &warnings::settings::SignalSet,
) -> Result<Option<upstream::Upstream>, CentralError> {
    if dir.is_none() && url.is_none() {
        return Ok(None);
    }
    let catalogue = signals.catalogue().clone();
    let feed = url
        .map(upstream::UpstreamFeed::new)
        .transpose()
        .map_err(CentralError::Upstream)?;
    Ok(Some(upstream::Upstream {
        folder: dir.map(upstream::UpstreamFolder::new),
        feed,
        catalogue,
    }))
}

/// Tells whoever started the central how to log in the first time.
pub fn announce_first_admin(
    out: &mut dyn std::io::Write,
    password: &Secret,
    url: &str,
    db: &Path,
) -> std::io::Result<()> {
    writeln!(
        out,
        "\nwxdesk central: no users yet, so the first administrator was created.\n\
         \n    user name          {admin}\n    one-time password  {password}\n\
         \nLog in from a console (wxdesk --server {url}) and choose your own password.\n\
         This password is shown only now. If it is lost:\n\
         \n    wxdesk central reset-password --db {db} --user {admin}\n",
        admin = accounts::FIRST_ADMIN,
        password = password.expose(),
        db = db.display(),
    )?;
    out.flush()
}

/// Waits for Ctrl-C, or SIGTERM (what service managers send) on Unix.
async fn interrupted() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        tokio::select! {
            ctrl_c = tokio::signal::ctrl_c() => ctrl_c.context("listening for Ctrl-C"),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("listening for Ctrl-C")
    }
}
