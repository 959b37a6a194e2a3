//! The central's database: the station network, observations, the change log that consoles
//! sync from, maintenance windows ([`maintenance`]), file imports ([`imports`]), accounts
//! ([`accounts`]) and the hash-chained audit log ([`audit`]).
//!
//! [`CentralStore`] is what the central's handlers need; [`SqliteCentralStore`] serves it from
//! one SQLite file in WAL mode (one writer connection behind a mutex, a few reader connections
//! that read while it writes). A PostgreSQL implementation would sit beside it.
//!
//! Every method blocks: call them from `tokio::task::spawn_blocking`.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod imports;
mod ingest;
pub mod maintenance;
pub mod outbox;
mod qc;
mod schema;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, params};

pub use accounts::{AccountError, AccountStore};
pub use audit::AuditFilter;
pub use imports::{ImportError, ImportLine, ImportRefusal, ImportTally, ImportVerdict};
pub use ingest::{IngestReport, Quality, judge, new_part, rejected, tally};
pub use maintenance::{Logged, MaintenanceError, NewWindow, WindowChange};
pub use qc::QcWork;
pub use schema::MIGRATIONS;

use super::observations::{self, LatestValues};
use super::{Context as _, StoreError, history, sqlite};
use crate::domain::audit::{AuditKey, AuditRecord};
use crate::domain::history::{SeriesView, ViewRequest};
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::qc::QcConfig;
use crate::domain::{Element, Network, StationId, Timestamp};
use crate::protocol::{Change, ChangeData};

/// What the central needs from its database, accounts and audit log included. Implementations
/// are shared between request handlers (`Arc<dyn CentralStore>`) and block the calling thread.
pub trait CentralStore: AccountStore + Send + Sync + fmt::Debug {
    /// The station network.
    fn network(&self) -> Result<Network, StoreError>;

    /// Parses and stores a batch of raw records in one transaction, judging times against
    /// `now` (also each change's `recorded_at`). Bad records are reported, not fatal; an error
    /// means nothing of the batch was stored.
    fn ingest(
        &self,
        records: &[serde_json::Value],
        now: Timestamp,
    ) -> Result<IngestReport, StoreError>;

    /// The newest value of every element at every station that has reported.
    fn latest(&self) -> Result<LatestValues, StoreError>;

    /// One series with `from <= time <= to` in time order; `None` if the station is not in the
    /// network.
    fn series(
        &self,
        station: &StationId,
        element: Element,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Option<Vec<(Timestamp, f64)>>, StoreError>;

    /// The view of one series a chart asks for, with its gaps (their causes read from the
    /// station's maintenance windows and its other elements) and completeness, judged at
    /// `now`; `None` if the station is not in the network.
    fn series_view(
        &self,
        request: &ViewRequest,
        now: Timestamp,
    ) -> Result<Option<SeriesView>, StoreError>;

    /// Every maintenance window (of one station, if given), newest first.
    fn maintenance(
        &self,
        station: Option<&StationId>,
    ) -> Result<Vec<MaintenanceWindow>, StoreError>;

    /// Records a maintenance window, appends it to the change log (stamped `now`) and writes
    /// the audit entry `audit` makes of it, in one transaction.
    fn record_maintenance(
        &self,
        window: &NewWindow,
        now: Timestamp,
        audit: &dyn Fn(&MaintenanceWindow) -> AuditRecord,
    ) -> Result<Logged, StoreError>;

    /// Ends a window or corrects its note, appends its new state to the change log and writes
    /// the audit entry `audit` makes of it (before, after), in one transaction.
    fn change_maintenance(
        &self,
        id: u64,
        change: &WindowChange,
        now: Timestamp,
        audit: &dyn Fn(&MaintenanceWindow, &MaintenanceWindow) -> AuditRecord,
    ) -> Result<Logged, MaintenanceError>;

    /// Imports a whole file's records in one transaction, all or nothing (see [`imports`]),
    /// judging times against `now`. The audit entry `audit` makes of the verdict is written
    /// with the import, or after rolling it back.
    fn import(
        &self,
        lines: &[ImportLine],
        now: Timestamp,
        audit: &dyn Fn(ImportVerdict<'_>) -> AuditRecord,
    ) -> Result<ImportTally, ImportError>;

    /// Up to `limit` changes with `seq > after` in `seq` order, and the log's head, read
    /// consistently (the head is never older than the page).
    fn changes_after(&self, after: u64, limit: usize) -> Result<(Vec<Change>, u64), StoreError>;

    /// The newest `seq` in the change log (0 when empty).
    fn head(&self) -> Result<u64, StoreError>;

    /// This database's random identity: it changes only when the database is replaced.
    fn instance(&self) -> &str;

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
    /// The network as stored (it changes only by replacing the database).
    network: Network,
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
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            instance,
            read_only,
            network,
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

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock dropped its transaction, which rolled back: the
        // connection is still sound.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
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

impl CentralStore for SqliteCentralStore {
    fn network(&self) -> Result<Network, StoreError> {
        self.read(schema::read_network)
    }

    fn ingest(
        &self,
        records: &[serde_json::Value],
        now: Timestamp,
    ) -> Result<IngestReport, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting ingest")?;
        let quality = Quality {
            network: &self.network,
            config: &self.qc,
        };
        let report = ingest::ingest_batch(&tx, records, now, quality)?;
        tx.commit().context("committing ingest")?;
        Ok(report)
    }

    fn latest(&self) -> Result<LatestValues, StoreError> {
        self.read(observations::latest)
    }

    fn series(
        &self,
        station: &StationId,
        element: Element,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Option<Vec<(Timestamp, f64)>>, StoreError> {
        self.read(|conn| {
            if !schema::station_exists(conn, station)? {
                return Ok(None);
            }
            observations::series(conn, station, element, from, to).map(Some)
        })
    }

    fn series_view(
        &self,
        request: &ViewRequest,
        now: Timestamp,
    ) -> Result<Option<SeriesView>, StoreError> {
        self.read(|conn| {
            if !schema::station_exists(conn, &request.station)? {
                return Ok(None);
            }
            let windows = super::maintenance::list(conn, Some(&request.station))?;
            history::series_view(conn, request, &windows, now).map(Some)
        })
    }

    fn maintenance(
        &self,
        station: Option<&StationId>,
    ) -> Result<Vec<MaintenanceWindow>, StoreError> {
        self.read(|conn| super::maintenance::list(conn, station))
    }

    fn record_maintenance(
        &self,
        window: &NewWindow,
        now: Timestamp,
        audit: &dyn Fn(&MaintenanceWindow) -> AuditRecord,
    ) -> Result<Logged, StoreError> {
        let mut writer = self.writer();
        let tx = writer
            .transaction()
            .context("starting maintenance record")?;
        let logged = maintenance::record(&tx, window, now, self.seal()?, audit)?;
        tx.commit().context("committing maintenance record")?;
        Ok(logged)
    }

    fn change_maintenance(
        &self,
        id: u64,
        change: &WindowChange,
        now: Timestamp,
        audit: &dyn Fn(&MaintenanceWindow, &MaintenanceWindow) -> AuditRecord,
    ) -> Result<Logged, MaintenanceError> {
        let mut writer = self.writer();
        let tx = writer
            .transaction()
            .context("starting maintenance change")?;
        let logged = maintenance::change(&tx, id, change, now, self.seal()?, audit)?;
        tx.commit().context("committing maintenance change")?;
        Ok(logged)
    }

    fn import(
        &self,
        lines: &[ImportLine],
        now: Timestamp,
        audit: &dyn Fn(ImportVerdict<'_>) -> AuditRecord,
    ) -> Result<ImportTally, ImportError> {
        let quality = Quality {
            network: &self.network,
            config: &self.qc,
        };
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting import")?;
        match imports::import_lines(&tx, lines, now, quality) {
            Ok(tally) => {
                audit::append(&tx, self.seal()?, audit(Ok(&tally)))?;
                tx.commit().context("committing import")?;
                Ok(tally)
            }
            Err(ImportError::Refused(refusal)) => {
                tx.rollback().context("rolling back a refused import")?;
                // The refusal is recorded on its own: nothing of the file remains.
                let tx = writer.transaction().context("starting audit append")?;
                audit::append(&tx, self.seal()?, audit(Err(&refusal)))?;
                tx.commit().context("committing audit entry")?;
                Err(ImportError::Refused(refusal))
            }
            Err(error) => Err(error),
        }
    }

    fn changes_after(&self, after: u64, limit: usize) -> Result<(Vec<Change>, u64), StoreError> {
        self.read(|conn| {
            let changes = changes_after(conn, after, limit)?;
            Ok((changes, ingest::head(conn)?))
        })
    }

    fn head(&self) -> Result<u64, StoreError> {
        self.read(ingest::head)
    }

    fn instance(&self) -> &str {
        &self.instance
    }

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

/// Up to `limit` changes after `after`, decoded.
fn changes_after(conn: &Connection, after: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, recorded_at, data FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )
        .context("preparing change query")?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![after, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Timestamp(r.get(1)?),
                r.get::<_, String>(2)?,
            ))
        })
        .context("querying changes")?;
    let mut changes = Vec::new();
    for row in rows {
        let (seq, recorded_at, data) = row.context("reading change")?;
        let seq = ingest::seq_from_sql(seq);
        let data: ChangeData = serde_json::from_str(&data)
            .map_err(|e| StoreError::Decode(format!("change {seq}: {e}")))?;
        changes.push(Change {
            seq,
            recorded_at,
            data,
        });
    }
    Ok(changes)
}
