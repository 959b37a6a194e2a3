//! Online backups of the central's database, and restoring one in its place.
//!
//! ```text
//! backup:  read transaction ─VACUUM INTO─▶ .NAME.partial ─quick_check─▶ rename ─▶ NAME
//! restore: verify BACKUP ─copy─▶ .DB.restoring ─new instance id─▶ DB moved aside ─▶ rename ─▶ DB
//! ```
//!
//! A backup is one read transaction (`VACUUM INTO`): consistent however much the central
//! writes meanwhile, and in WAL mode it blocks no writer. A restored database gets a new
//! instance identity, so a desk that synced changes the backup does not hold notices and
//! starts over instead of keeping values the central no longer has.
//!
//! A serving central holds a shared lock on `DB.lock` beside the database; restore takes it
//! exclusively and so refuses while any central serves the file.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::{MIGRATIONS, ingest, schema};
use crate::store::{StoreError, sqlite};

/// Why a backup or restore did nothing.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup file already exists: backups are never overwritten.
    #[error("{0} already exists; choose a new file name (backups are never overwritten)")]
    Exists(PathBuf),
    /// The file to back up or restore does not exist.
    #[error("{0}: no such file")]
    Missing(PathBuf),
    /// A central is serving the database.
    #[error(
        "a central is serving {0}; stop it first (e.g. `systemctl stop wxdesk-central`), then restore"
    )]
    Serving(PathBuf),
    /// A restore is replacing the database.
    #[error("{0} is being restored; start the central when the restore has finished")]
    Restoring(PathBuf),
    /// The file is not a sound database of a central.
    #[error("{path} is not a usable backup: {reason}")]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The backup file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// The newest change it holds (the change log's head when it was taken).
    pub head: u64,
    /// The database's instance identity.
    pub instance: String,
    /// How long it took.
    pub took: Duration,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The newest change the restored database holds.
    pub head: u64,
    /// The restored database's new instance identity.
    pub instance: String,
    /// Where the database it replaced was moved, if there was one.
    pub set_aside: Option<PathBuf>,
}

/// The lock file a serving central holds beside `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    sibling(db, ".lock")
}

/// Takes the shared lock of a central serving `db` (released when the file is dropped).
/// `Ok(None)` when the lock file cannot be created (a read-only directory): serving goes on
/// without it. Refused while a restore holds it.
pub fn lock_for_serving(db: &Path) -> Result<Option<File>, BackupError> {
    let Ok(file) = open_lock(db) else {
        return Ok(None);
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Err(BackupError::Restoring(db.to_owned())),
        Err(TryLockError::Error(source)) => Err(io(&format!("locking {}", db.display()), source)),
    }
}

/// Writes a consistent copy of the database at `db` to `out`, while a central may be serving
/// and writing it, and verifies the copy. `out` must not exist.
pub fn backup(db: &Path, out: &Path) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    if out.exists() {
        return Err(BackupError::Exists(out.to_owned()));
    }
    if !db.exists() {
        return Err(BackupError::Missing(db.to_owned()));
    }
    let source = sqlite::open(db)?;
    schema::instance(&source).map_err(|e| unusable(db, &e.to_string()))?;
    let partial = sibling(&hidden(out), ".partial");
    remove_if_present(&partial)?;
    let written = (|| {
        sqlite::backup_into(&source, &partial)?;
        let (head, instance) = verify(&partial)?;
        sync_file(&partial)?;
        Ok::<_, BackupError>((head, instance))
    })();
    let (head, instance) = match written {
        Ok(found) => found,
        Err(error) => {
            let _ = std::fs::remove_file(&partial); // an unverified copy is no backup
            return Err(error);
        }
    };
    std::fs::rename(&partial, out).map_err(|e| io("naming the backup", e))?;
    let bytes = std::fs::metadata(out)
        .map_err(|e| io("reading the backup's size", e))?
        .len();
    Ok(BackupReport {
        path: out.to_owned(),
        bytes,
        head,
        instance,
        took: started.elapsed(),
    })
}

/// Puts the backup `from` in place of the database `db` (which need not exist, and may be
/// damaged): verifies the backup, gives the copy a new instance identity, moves the old
/// database aside (never deletes it) and renames the copy into place. Refused while a central
/// serves `db`.
pub fn restore(db: &Path, from: &Path) -> Result<RestoreReport, BackupError> {
    if !from.exists() {
        return Err(BackupError::Missing(from.to_owned()));
    }
    verify(from)?;
    let lock =
        open_lock(db).map_err(|e| io(&format!("creating {}", lock_path(db).display()), e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(BackupError::Serving(db.to_owned())),
        Err(TryLockError::Error(source)) => {
            return Err(io(&format!("locking {}", db.display()), source));
        }
    }
    let restoring = sibling(&hidden(db), ".restoring");
    remove_if_present(&restoring)?;
    let prepared = (|| {
        std::fs::copy(from, &restoring).map_err(|e| io("copying the backup", e))?;
        let head = {
            let conn = sqlite::open(&restoring)?;
            schema::renew_instance(&conn)?;
            ingest::head(&conn)?
            // Closing the last connection checkpoints the copy's WAL into it.
        };
        let (_, instance) = verify(&restoring)?;
        sync_file(&restoring)?;
        Ok::<_, BackupError>((head, instance))
    })();
    let (head, instance) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            let _ = std::fs::remove_file(&restoring);
            return Err(error);
        }
    };
    let set_aside = set_aside(db)?;
    std::fs::rename(&restoring, db).map_err(|e| io("putting the backup in place", e))?;
    drop(lock);
    Ok(RestoreReport {
        head,
        instance,
        set_aside,
    })
}

/// Opens `path` read-only, checks it is a sound database of a central this program can
/// serve, and returns its head and instance identity.
fn verify(path: &Path) -> Result<(u64, String), BackupError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| unusable(path, &e.to_string()))?;
    sqlite::check_integrity(&conn, sqlite::Check::Quick)
        .map_err(|complaint| unusable(path, &format!("integrity check failed: {complaint}")))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| unusable(path, &e.to_string()))?;
    if !usize::try_from(version).is_ok_and(|v| v <= MIGRATIONS.len()) {
        return Err(unusable(
            path,
            &format!("schema version {version} is newer than this program; upgrade wxdesk"),
        ));
    }
    let instance = schema::instance(&conn)
        .map_err(|_| unusable(path, "it is not a wxdesk central's database"))?;
    let head = ingest::head(&conn).map_err(|e| unusable(path, &e.to_string()))?;
    Ok((head, instance))
}

/// Moves the database at `db` (with its WAL, which holds its newest commits) to
/// `DB.before-restore-<UTC time>`; returns where, or `None` when there was none.
fn set_aside(db: &Path) -> Result<Option<PathBuf>, BackupError> {
    if !db.exists() {
        return Ok(None);
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = sibling(db, &format!(".before-restore-{stamp}"));
    std::fs::rename(db, &aside).map_err(|e| io("moving the old database aside", e))?;
    let wal = sibling(db, "-wal");
    if wal.exists() {
        std::fs::rename(&wal, sibling(&aside, "-wal"))
            .map_err(|e| io("moving the old database's WAL aside", e))?;
    }
    // The shared-memory index belongs to the old WAL; SQLite rebuilds it.
    remove_if_present(&sibling(db, "-shm"))?;
    Ok(Some(aside))
}

fn open_lock(db: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(db))
}

/// `path` with `suffix` appended to its file name (`central.sqlite` → `central.sqlite-wal`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// `path` with a dot before its file name, for work files nobody should mistake for results.
fn hidden(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    path.with_file_name(name)
}

fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(io(&format!("removing {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&format!("syncing {}", path.display()), e))
}

fn io(what: &str, source: std::io::Error) -> BackupError {
    BackupError::Io {
        what: what.to_owned(),
        source,
    }
}

fn unusable(path: &Path, reason: &str) -> BackupError {
    BackupError::Unusable {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_files_sit_beside_their_target() {
        let cases = [
            (
                sibling(Path::new("/v/central.sqlite"), "-wal"),
                "/v/central.sqlite-wal",
            ),
            (
                lock_path(Path::new("/v/central.sqlite")),
                "/v/central.sqlite.lock",
            ),
            (
                hidden(Path::new("/b/2026-12-06.sqlite")),
                "/b/.2026-12-06.sqlite",
            ),
            (sibling(Path::new("db"), ".lock"), "db.lock"),
        ];
        for (got, want) in cases {
            assert_eq!(got, PathBuf::from(want));
        }
    }
}
