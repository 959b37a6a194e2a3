//! The console's background thread: a tokio runtime that syncs the local cache with the
//! central and follows its live stream ([`sync`]), and keeps the session and does what needs
//! the central's authority ([`accounts`]). It reports through [`Event`]s and obeys
//! [`Command`]s; it never touches widgets (it only asks for a repaint through a [`Waker`]).

pub mod accounts;
pub mod bootstrap;
pub mod client;
pub mod credentials;
pub mod devices;
pub mod dispatch;
pub mod export;
pub mod history;
pub mod kinds;
pub mod recipients;
pub mod reports;
pub mod series_csv;
pub mod session;
pub mod signals;
pub mod sse;
pub mod sync;
pub mod table_file;
pub mod upstream;
pub mod warnings;
pub mod xlsx;

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use crate::console::messages::{Command, Event, SyncEvent, WarningCommand};
use crate::domain::time::SharedClock;
use crate::store::cache::{CacheDb, Recovery};

/// Capacity of the event channel towards the UI.
pub const EVENT_CAPACITY: usize = 256;
/// Capacity of the command channel from the UI.
pub const COMMAND_CAPACITY: usize = 64;

/// Asks the UI to draw a new frame (after events were sent).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The UI's end of the backend: commands out, events in. Never blocks the UI.
#[derive(Debug)]
pub struct Link {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<Event>,
}

/// The backend's end of a [`Link`].
#[derive(Debug)]
pub struct BackendEnds {
    /// Commands from the UI.
    pub commands: mpsc::Receiver<Command>,
    /// Events to the UI.
    pub events: mpsc::Sender<Event>,
}

/// A command the backend could not take: its queue is full or it has stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the background service is not accepting commands ({0})")]
pub struct CommandRefused(pub &'static str);

impl Link {
    /// A connected pair: the UI's end and the backend's end.
    pub fn pair() -> (Self, BackendEnds) {
        let (command_tx, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        let (event_tx, event_rx) = mpsc::channel(EVENT_CAPACITY);
        (
            Self {
                commands: command_tx,
                events: event_rx,
            },
            BackendEnds {
                commands: command_rx,
                events: event_tx,
            },
        )
    }

    /// Queues a command without waiting.
    pub fn send(&self, command: Command) -> Result<(), CommandRefused> {
        self.commands.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => CommandRefused("queue full"),
            mpsc::error::TrySendError::Closed(_) => CommandRefused("stopped"),
        })
    }

    /// Waits for the next event (`None` once the backend has stopped): for headless callers and
    /// tests; the UI uses [`Link::drain`].
    pub async fn recv(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Takes every event that has arrived, without waiting.
    pub fn drain(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }
}

/// What the backend needs to start.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// The central's base URL.
    pub server: String,
    /// The name the session is remembered under: the central's URL, or `embedded` for the
    /// in-process central, whose port changes at every start.
    pub central_identity: String,
    /// The cache database file.
    pub cache_path: PathBuf,
    /// Sync tuning.
    pub sync: sync::SyncSettings,
    /// Where the session is remembered (`None`: nowhere; log in at every start).
    pub credentials_dir: Option<PathBuf>,
    /// Try the OS keyring for the token before the file.
    pub use_keyring: bool,
    /// PEM certificates of a CA to trust besides the system's (a bureau's own CA).
    pub ca_cert: Vec<u8>,
    /// Where exported files go.
    pub export_dir: PathBuf,
}

impl BackendConfig {
    /// A configuration for `server` with the cache at `cache_path`: default sync settings,
    /// nothing remembered, system roots only, exports into the cache's folder.
    pub fn new(server: &str, cache_path: PathBuf) -> Self {
        let export_dir = cache_path.parent().map(PathBuf::from).unwrap_or_default();
        Self {
            server: server.to_owned(),
            central_identity: server.to_owned(),
            cache_path,
            sync: sync::SyncSettings::default(),
            credentials_dir: None,
            use_keyring: false,
            ca_cert: Vec::new(),
            export_dir,
        }
    }
}

/// The running backend thread; dropping it stops the thread and waits for it.
#[derive(Debug)]
pub struct BackendHandle {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for BackendHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(()); // the thread may already have ended
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("backend thread panicked");
        }
    }
}

/// Starts the backend thread `wxdesk-backend`.
pub fn spawn(
    config: BackendConfig,
    ends: BackendEnds,
    clock: SharedClock,
    waker: Waker,
) -> std::io::Result<BackendHandle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (shutdown_tx, shutdown_rx) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("wxdesk-backend".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = serve(config, ends, clock, waker) => {}
                    _ = shutdown_rx => {}
                }
            });
            // Dropping the runtime here cancels whatever was in flight; the cache's last
            // committed transaction is intact (WAL).
        })?;
    Ok(BackendHandle {
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
    })
}

/// Opens the cache, then runs the services and routes commands to them until the UI leaves.
async fn serve(config: BackendConfig, ends: BackendEnds, clock: SharedClock, waker: Waker) {
    let BackendEnds {
        mut commands,
        events,
    } = ends;
    let notify = |text: String| {
        let events = events.clone();
        let waker = Arc::clone(&waker);
        async move {
            if events
                .send(Event::Sync(SyncEvent::Failed(text)))
                .await
                .is_ok()
            {
                waker();
            }
        }
    };
    let mut on_disk = true;
    let cache = match open_cache(&config, &clock).await {
        Ok((cache, Recovery::None)) => cache,
        Ok((cache, Recovery::MovedAside { to, reason })) => {
            notify(format!(
                "the local cache was damaged ({reason}); it was moved to {} and is being rebuilt from the central",
                to.display()
            ))
            .await;
            cache
        }
        Err(error) => {
            notify(format!(
                "the local cache cannot be opened ({error}); running without an offline copy"
            ))
            .await;
            on_disk = false;
            match CacheDb::in_memory() {
                Ok(cache) => cache,
                Err(error) => {
                    notify(format!("cannot start sync: {error}")).await;
                    return;
                }
            }
        }
    };
    let client = match client::CentralClient::new(&config.server, &config.ca_cert) {
        Ok(client) => client,
        Err(error) => {
            notify(format!("cannot create the HTTP client: {error}")).await;
            return;
        }
    };
    let keyring: Arc<dyn credentials::Keyring> = if config.use_keyring {
        Arc::new(credentials::SystemKeyring)
    } else {
        Arc::new(credentials::NoKeyring)
    };
    let emitter = session::Emitter::new(events.clone(), Arc::clone(&waker));
    let session = session::Session::new(
        credentials::Credentials::new(
            config.credentials_dir.clone(),
            &config.central_identity,
            keyring,
        ),
        emitter.clone(),
    );
    let (sync_tx, sync_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (accounts_tx, accounts_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (history_tx, history_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (warnings_tx, warnings_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (dispatch_tx, dispatch_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (recipients_tx, recipients_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (reports_tx, reports_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (devices_tx, devices_rx) = mpsc::channel(COMMAND_CAPACITY);
    let cache = Arc::new(std::sync::Mutex::new(cache));
    // History reads through a connection of its own, so a long sync write never stalls a
    // chart; an in-memory cache (the file could not be opened) has only the one.
    let reader = if on_disk {
        open_reader(&config)
            .await
            .map(|r| Arc::new(std::sync::Mutex::new(r)))
    } else {
        None
    };
    let history = history::HistoryService::new(
        reader.unwrap_or_else(|| Arc::clone(&cache)),
        client.clone(),
        Arc::clone(&session),
        emitter.clone(),
        clock.clone(),
        config.export_dir.clone(),
    )
    .writing_to(Arc::clone(&cache))
    .remembering_folder_in(
        config
            .credentials_dir
            .as_ref()
            .map(|dir| dir.join("export-folder")),
    );
    // The central's report files go where the history screen's exports go.
    let reports = reports::ReportsService::new(
        client.clone(),
        Arc::clone(&session),
        emitter.clone(),
        history.export_folder(),
    );
    let (upstream_tx, upstream_rx) = mpsc::channel(COMMAND_CAPACITY);
    let upstream = upstream::UpstreamService::new(
        client.clone(),
        Arc::clone(&session),
        Arc::clone(&cache),
        emitter.clone(),
        upstream::REFRESH_EVERY,
    );
    let warnings = warnings::WarningsService::new(
        client.clone(),
        Arc::clone(&session),
        Arc::clone(&cache),
        emitter.clone(),
        config.export_dir.clone(),
    );
    let dispatch =
        dispatch::DispatchService::new(client.clone(), Arc::clone(&session), emitter.clone());
    let recipients =
        recipients::RecipientsService::new(client.clone(), Arc::clone(&session), emitter.clone());
    let devices =
        devices::DevicesService::new(client.clone(), Arc::clone(&session), emitter.clone());
    let sync = sync::SyncService::new(
        client.clone(),
        Arc::clone(&session),
        cache,
        events,
        waker,
        clock.clone(),
        config.sync,
    );
    let accounts =
        accounts::AccountsService::new(client, session, emitter, clock, config.export_dir);
    let router = async move {
        while let Some(command) = commands.recv().await {
            let delivered = match command {
                Command::Sync(command) => sync_tx.send(command).await.is_ok(),
                Command::History(command) => history_tx.send(command).await.is_ok(),
                Command::Warnings(WarningCommand::RefreshUpstream) => {
                    upstream_tx.send(()).await.is_ok()
                }
                Command::Warnings(command) => warnings_tx.send(command).await.is_ok(),
                Command::Dispatch(command) => dispatch_tx.send(command).await.is_ok(),
                Command::Recipients(command) => recipients_tx.send(command).await.is_ok(),
                Command::Reports(command) => reports_tx.send(command).await.is_ok(),
                Command::Devices(command) => devices_tx.send(command).await.is_ok(),
                other => accounts_tx.send(other).await.is_ok(),
            };
            if !delivered {
                return;
            }
        }
    };
    tokio::select! {
        () = sync.run(sync_rx) => {}
        () = accounts.run(accounts_rx) => {}
        () = history.run(history_rx) => {}
        () = upstream.run(upstream_rx) => {}
        () = warnings.run(warnings_rx) => {}
        () = dispatch.run(dispatch_rx) => {}
        () = recipients.run(recipients_rx) => {}
        () = reports.run(reports_rx) => {}
        () = devices.run(devices_rx) => {}
        () = router => {}
    }
}

/// A reading connection to the cache file, if it can be opened (else history shares the
/// sync's connection).
async fn open_reader(config: &BackendConfig) -> Option<CacheDb> {
    let path = config.cache_path.clone();
    let opened = tokio::task::spawn_blocking(move || CacheDb::open_reader(&path)).await;
    match opened {
        Ok(Ok(reader)) => Some(reader),
        Ok(Err(error)) => {
            tracing::warn!(%error, "history reads share the sync connection");
            None
        }
        Err(error) => {
            tracing::warn!(%error, "history reads share the sync connection");
            None
        }
    }
}

async fn open_cache(
    config: &BackendConfig,
    clock: &SharedClock,
) -> Result<(CacheDb, Recovery), crate::store::StoreError> {
    let path = config.cache_path.clone();
    let now = clock.now();
    tokio::task::spawn_blocking(move || CacheDb::open_or_recover(&path, now))
        .await
        .unwrap_or_else(|join| {
            Err(crate::store::StoreError::Decode(format!(
                "cache task failed: {join}"
            )))
        })
}
