//! The central's database: the station network, observations, the change log that consoles
//! sync from, maintenance windows ([`maintenance`]), file imports ([`imports`]), accounts
//! ([`accounts`]) and the hash-chained audit log ([`audit`]).
//!
//! [`CentralStore`] is what the central's handlers need: nothing of its own, only the union of
//! one store trait per aggregate, each in its own file with its `SqliteCentralStore` impl —
//! [`NetworkStore`], [`ObservationStore`], [`MaintenanceStore`], [`ChangeFeed`],
//! [`AccountStore`], [`AuditStore`], [`WarningStore`] — and [`Database`] (whether it can be written).
//! [`SqliteCentralStore`] serves them all from one SQLite file in WAL mode (one writer
//! connection behind a mutex, a few reader connections that read while it writes). A
//! PostgreSQL implementation would sit beside it.
//!
//! Stores take domain types: the protocol layer parses and checks what arrives (an ingest
//! batch in [`crate::protocol::parse_batch`], a file in [`crate::formats`]) and refuses what
//! does not parse, by index or line, before the store sees it.
//!
//! Every method blocks: call them from `tokio::task::spawn_blocking`.
//!
//! # A new synced entity
//!
//! Warnings, devices, relays: each is an aggregate of its own, added beside the others
//! without edits to the existing stores, sync loop or cache code:
//!
//! 1. **Domain type** in `crate::domain` (pure, checked at construction).
//! 2. **Store module** `store/central/<entity>.rs`: its tables (a new entry at the end of
//!    [`MIGRATIONS`]), its SQL as functions over a `&Connection`, and a trait
//!    `<Entity>Store` with the `impl … for SqliteCentralStore` (writes run in one transaction
//!    taken from `writer()`, reads in `read()`, audited writes seal with `seal()`). Add the
//!    trait to [`CentralStore`]'s supertraits and to its blanket impl: every handler's
//!    `state.store` then has it. A write a desk must see appends its change to the change log
//!    in the same transaction, as `maintenance::record` does.
//! 3. **Its change kind**: one variant of the protocol's change data, whose decoder and cache
//!    apply are registered with the desk's known kinds (a desk that does not know the kind
//!    skips and counts it; see the sync's kind registry).
//! 4. **Routes** in `central/api.rs`'s one route table, with the access they need from
//!    `domain::access` and their operations in `protocol/openapi.json`; handlers parse
//!    requests into the domain type before calling the store.
//! 5. **A view** in the console reading `AppState`, like every other.

pub mod accounts;
pub mod audit;
mod audit_store;
pub mod backup;
pub mod callout;
mod change_feed;
mod change_row;
pub mod device_alarms;
mod device_store;
pub mod devices;
mod feed;
pub mod imports;
mod ingest;
pub mod maintenance;
mod maintenance_store;
mod network_store;
mod observation_store;
pub mod on_call;
pub mod outbox;
mod qc;
pub mod recipients;
mod relay_store;
pub mod relays;
mod schema;
pub mod snapshot;
#[cfg(test)]
mod tests;
mod warning_store;
pub mod warnings;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use rusqlite::Connection;

pub use accounts::{AccountError, AccountStore};
pub use audit::AuditFilter;
pub use audit_store::AuditStore;
pub use callout::CalloutStore;
pub use change_feed::ChangeFeed;
pub use device_store::DeviceStore;
pub use devices::RegistryError;
pub use feed::FeedPage;
pub use imports::{ImportError, ImportLine, ImportRefusal, ImportTally, ImportVerdict};
pub use ingest::{IngestReport, Quality, judge, new_part, rejected, respond, tally, unparsed};
pub use maintenance::{Logged, MaintenanceError, NewWindow, WindowChange};
pub use maintenance_store::MaintenanceStore;
pub use network_store::NetworkStore;
pub use observation_store::ObservationStore;
pub use on_call::OnCallStore;
pub use qc::QcWork;
pub use recipients::RecipientStore;
pub use relay_store::{RelayStates, RelayStore};
pub use schema::MIGRATIONS;
pub use snapshot::{SnapshotStore, Trimmed};
pub use warning_store::WarningStore;
pub use warnings::{WarningBook, WarningError, WarningWrite};

use super::observations;
use super::{Context as _, StoreError, sqlite};
use crate::domain::audit::AuditKey;
use crate::domain::qc::QcConfig;
use crate::domain::{Network, Timestamp};

/// What the central needs from its database: the union of its aggregates' stores. Nothing is
/// declared here; any type that serves every aggregate is a `CentralStore` (the blanket impl
/// below), so adding an aggregate is one more supertrait. Implementations are shared between
/// request handlers (`Arc<dyn CentralStore>`) and block the calling thread.
pub trait CentralStore:
    Database
    + NetworkStore
    + ObservationStore
    + MaintenanceStore
    + DeviceStore
    + ChangeFeed
    + AccountStore
    + AuditStore
    + SnapshotStore
    + WarningStore
    + RecipientStore
    + OnCallStore
    + CalloutStore
    + RelayStore
    + Send
    + Sync
    + fmt::Debug
{
}

impl<T> CentralStore for T where
    T: Database
        + NetworkStore
        + ObservationStore
        + MaintenanceStore
        + DeviceStore
        + ChangeFeed
        + AccountStore
        + AuditStore
        + SnapshotStore
        + WarningStore
        + RecipientStore
        + OnCallStore
        + CalloutStore
        + RelayStore
        + Send
        + Sync
        + fmt::Debug
{
}

/// The database as a whole, apart from what it holds.
pub trait Database {
    /// Why this database could not be written from the moment it was opened (a read-only
    /// file or mount), if so: the central then serves reads and refuses every write.
    fn read_only(&self) -> Option<&str>;
}

/// How a central opens its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenMode {
    /// Read and write, falling back to reading only where SQLite cannot write the file.
    #[default]
    ReadWrite,
    /// Read only, whatever the file's permissions (to serve a copy without changing it).
    ReadOnly,
}

/// Reader connections kept open between requests; more are opened on demand under load.
const IDLE_READERS: usize = 4;

/// The central's SQLite database.
pub struct SqliteCentralStore {
    path: PathBuf,
    /// SQLite has one writer at a time; queueing writers here keeps them off the busy timeout.
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    instance: String,
    /// Why the database cannot be written, when SQLite opened it read-only.
    read_only: Option<String>,
    /// The network as stored: replaced whole when a registered device adds a station.
    network: RwLock<Arc<Network>>,
    /// Quality-control settings.
    qc: QcConfig,
    /// The key that seals the audit chain ([`Self::with_audit_key`]).
    audit_key: Option<AuditKey>,
    /// The audit log holds a "key introduced" entry: appends must be sealed.
    sealed: bool,
}

impl fmt::Debug for SqliteCentralStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteCentralStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteCentralStore {
    /// Opens (creating if needed) the database at `path`, migrates it, and seeds `network`
    /// into it if it holds none yet; ingest is quality-controlled with `qc`. A file that is
    /// not one of our databases is refused.
    pub fn open(path: &Path, network: &Network, qc: QcConfig) -> Result<Self, StoreError> {
        Self::open_with(sqlite::open(path)?, path, network, qc)
    }

    /// Opens the database at `path` as a serving central does: first checks its integrity
    /// (`PRAGMA quick_check`, which reads every page once), refusing a damaged database with
    /// how to restore a backup; then as [`SqliteCentralStore::open`]. A database that can only
    /// be read opens for reading, with [`CentralStore::read_only`] saying why.
    pub fn open_checked(
        path: &Path,
        network: &Network,
        qc: QcConfig,
        mode: OpenMode,
    ) -> Result<Self, StoreError> {
        let opened = match mode {
            OpenMode::ReadWrite => sqlite::open(path),
            OpenMode::ReadOnly => sqlite::open_read_only(path),
        };
        let writer = opened.map_err(|e| with_restore_hint(e, path))?;
        let started = std::time::Instant::now();
        sqlite::check_integrity(&writer, sqlite::Check::Quick).map_err(|complaint| {
            with_restore_hint(
                StoreError::Corrupt {
                    path: path.display().to_string(),
                    reason: format!("the integrity check failed: {complaint}"),
                },
                path,
            )
        })?;
        tracing::info!(
            db = %path.display(),
            took_ms = started.elapsed().as_millis() as u64,
            "database integrity checked"
        );
        Self::open_with(writer, path, network, qc)
    }

    fn open_with(
        mut writer: Connection,
        path: &Path,
        network: &Network,
        qc: QcConfig,
    ) -> Result<Self, StoreError> {
        let read_only = sqlite::is_read_only(&writer).then(|| {
            format!(
                "the database {} can only be read (file, directory or mount permissions)",
                path.display()
            )
        });
        let backups = path.parent().unwrap_or(Path::new(".")).join("backups");
        sqlite::migrate_with_backup(
            &mut writer,
            &MIGRATIONS,
            &backups,
            Timestamp::now().millis(),
        )?;
        observations::upgrade(&mut writer)?;
        schema::seed_network(&mut writer, network)?;
        let instance = schema::instance(&writer)?;
        let network = schema::read_network(&writer)?;
        let sealed = audit::is_sealed(&writer)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(immediate(writer)),
            readers: Mutex::new(Vec::new()),
            instance,
            read_only,
            network: RwLock::new(Arc::new(network)),
            qc,
            audit_key: None,
            sealed,
        })
    }

    /// Seals the audit log with `key` from now on: a log not sealed yet gets its "key
    /// introduced" entry at `now`. A log sealed with another key is refused, naming both keys'
    /// fingerprints, rather than continued with a key that cannot verify its past.
    pub fn with_audit_key(mut self, key: AuditKey, now: Timestamp) -> Result<Self, StoreError> {
        if self.sealed {
            // Only the key is judged here; a broken chain is audit-verify's to report.
            let verified = self.read(|conn| audit::verify(conn, Some(&key), None))?;
            if let Err(broken @ crate::domain::audit::ChainBreak::WrongKey { .. }) = verified {
                return Err(StoreError::AuditKey(broken.to_string()));
            }
        } else {
            audit::introduce_key(&mut self.writer(), &key, now)?;
            self.sealed = true;
        }
        self.audit_key = Some(key);
        Ok(self)
    }

    /// The key to seal an append with, `None` while the log is not sealed; an error when the
    /// log is sealed but this store was opened without its key (appending would break it).
    fn seal(&self) -> Result<Option<&AuditKey>, StoreError> {
        if self.read_only.is_some() {
            // Nothing can be appended: let the write itself be refused as read-only, which the
            // central answers as an unwritable database, not as a missing key.
            return Ok(None);
        }
        match (&self.audit_key, self.sealed) {
            (_, false) => Ok(None),
            (Some(key), true) => Ok(Some(key)),
            (None, true) => Err(StoreError::AuditKey(
                "the audit log is sealed with a key, and none was given (--audit-key)".to_owned(),
            )),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes SQLite refuse (`true`) or allow again every write of the writer connection, as a
    /// read-only remount or a full disk would: for tests of what the central does then.
    #[cfg(test)]
    pub(crate) fn refuse_writes(&self, refuse: bool) -> Result<(), StoreError> {
        self.writer()
            .pragma_update(None, "query_only", refuse)
            .context("setting query_only")
    }

    /// `PRAGMA quick_check`: the problems it finds, none when the database is sound.
    pub fn quick_check(&self) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            let mut check = conn
                .prepare("PRAGMA quick_check")
                .context("preparing quick_check")?;
            let lines: Vec<String> = check
                .query_map([], |row| row.get(0))
                .and_then(Iterator::collect)
                .context("running quick_check")?;
            Ok(lines.into_iter().filter(|line| line != "ok").collect())
        })
    }

    /// The network as last stored.
    fn current_network(&self) -> Arc<Network> {
        Arc::clone(&self.network.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads the network again after a write that changed it.
    fn reload_network(&self) -> Result<(), StoreError> {
        let network = self.read(schema::read_network)?;
        *self.network.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(network);
        Ok(())
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock dropped its transaction, which rolled back: the
        // connection is still sound.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `write` in one write transaction and commits it; answers with what it returned and
    /// the change log's head after it.
    fn logged_write<T>(
        &self,
        what: &str,
        write: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<(T, u64), StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context(&format!("starting {what}"))?;
        let value = write(&tx)?;
        let head = ingest::head(&tx)?;
        tx.commit().context(&format!("committing {what}"))?;
        Ok((value, head))
    }

    fn idle_readers(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.readers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `read` on a reader connection inside one read transaction (a consistent
    /// snapshot), returning the connection to the pool afterwards.
    fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.idle_readers().pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = sqlite::open(&self.path)?;
                conn.pragma_update(None, "query_only", true)
                    .context("making reader read-only")?;
                conn
            }
        };
        let result = conn
            .transaction()
            .context("starting read")
            .and_then(|tx| read(&tx));
        let mut idle = self.idle_readers();
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// The central's writers share the file with the outbox's and the dispatchers' connections:
/// a write transaction takes the write lock when it begins, so it waits its turn (the busy
/// timeout) instead of failing with `SQLITE_BUSY` when another connection committed between
/// its first read and its first write.
pub(crate) fn immediate(mut conn: Connection) -> Connection {
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    conn
}

impl Database for SqliteCentralStore {
    fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }
}

/// A damaged database's error, completed with how to put a backup in its place.
fn with_restore_hint(error: StoreError, path: &Path) -> StoreError {
    match error {
        StoreError::Corrupt { path: file, reason } => StoreError::Corrupt {
            path: file,
            reason: format!(
                "{reason}. The database is damaged: restore the last good backup with \
                 `wxdesk central restore --db {} BACKUP-FILE` (the central must be stopped), \
                 then start it again",
                path.display()
            ),
        },
        StoreError::Sqlite { source, context }
            if matches!(&source, rusqlite::Error::SqliteFailure(e, _)
                if e.code == rusqlite::ErrorCode::DatabaseCorrupt) =>
        {
            with_restore_hint(
                StoreError::Corrupt {
                    path: path.display().to_string(),
                    reason: format!("{context}: {source}"),
                },
                path,
            )
        }
        other => other,
    }
}
