//! The central server: the HTTP API under `/api/v1` (axum) over the central's SQLite store,
//! with the change log consoles sync from and its live stream (server-sent events).
//!
//! ```text
//! POST /observations ─▶ parse each record ─▶ one transaction: values + change log ─▶ head ↑
//! GET  /changes?after=      pages of the change log                                   │
//! GET  /stream (SSE)        backlog from the log, then wakes on head ◀─────────────────┘
//! ```
//!
//! Start it in-process with [`start`] on any listener (tests and the embedded default bind
//! `127.0.0.1:0`), or as `wxdesk central serve` through [`serve_blocking`]. The routes are
//! listed once, in [`routes`]; the checked-in OpenAPI document must describe exactly them.

mod api;
mod error;
mod handlers;
mod stream;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use api::{AppState, Route, Verb, operations, router, routes};
pub use error::Failure;
pub use handlers::{DEFAULT_CHANGES_LIMIT, MAX_CHANGES_LIMIT};

use crate::domain::Network;
use crate::domain::time::{SharedClock, system_clock};
use crate::store::StoreError;
use crate::store::central::{CentralStore as _, SqliteCentralStore};

/// Largest request body accepted (an ingest batch), in bytes.
pub const MAX_BODY_BYTES: usize = 16 << 20;
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
}

impl CentralConfig {
    /// A configuration with the system clock and the default keep-alive.
    pub fn new(db_path: impl Into<PathBuf>, network: Network) -> Self {
        Self {
            db_path: db_path.into(),
            network,
            clock: system_clock(),
            keep_alive: DEFAULT_KEEP_ALIVE,
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
}

/// A central serving on a listener; stop it with [`RunningCentral::shutdown`]. Dropping it
/// also begins a shutdown, without waiting for it.
#[derive(Debug)]
pub struct RunningCentral {
    addr: SocketAddr,
    state: AppState,
    server: JoinHandle<std::io::Result<()>>,
}

impl RunningCentral {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:8640` (routes are under `/api/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops gracefully: ends live streams, finishes requests in flight, and returns once the
    /// listener is closed and the last connection is gone (which releases the database).
    pub async fn shutdown(mut self) -> Result<(), CentralError> {
        self.state.begin_shutdown();
        (&mut self.server).await??;
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
    } = config;
    let path = db_path.clone();
    let (store, head) = tokio::task::spawn_blocking(move || {
        let store = SqliteCentralStore::open(&path, &network)?;
        let head = store.head()?;
        Ok::<_, StoreError>((store, head))
    })
    .await??;
    let state = AppState::new(Arc::new(store), clock, head, keep_alive);
    let app = router(state.clone());
    let mut stopping = state.watch_shutdown();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // Either the flag is raised or its sender is gone: both mean stop.
                _ = stopping.wait_for(|&stop| stop).await;
            })
            .await
    });
    let central = RunningCentral {
        addr,
        state,
        server,
    };
    tracing::info!(url = %central.url(), db = %db_path.display(), head, "central listening");
    Ok(central)
}

/// Runs `wxdesk central serve` until interrupted (Ctrl-C, or SIGTERM on Unix), then shuts
/// down gracefully.
pub fn serve_blocking(listen: SocketAddr, db: &Path) -> anyhow::Result<()> {
    let network = crate::assets::qingliu_network().context("reading the shipped network")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("wxdesk-central")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let central = start(listener, CentralConfig::new(db, network))
            .await
            .with_context(|| format!("starting the central on {}", db.display()))?;
        interrupted().await?;
        tracing::info!("interrupted; shutting down");
        central.shutdown().await?;
        Ok(())
    })
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
