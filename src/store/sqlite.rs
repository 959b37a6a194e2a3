//! Opening SQLite databases the same way everywhere (WAL, foreign keys, a busy timeout),
//! migrating them forward with `PRAGMA user_version`, checking their integrity, and telling a
//! database that cannot be written from one that failed otherwise.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, MAIN_DB, OpenFlags};

use super::{Context as _, StoreError};

/// One schema step. Migrations are applied in order, each in its own transaction, and never
/// edited once released: add a new one instead.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// What it does, for logs.
    pub name: &'static str,
    /// The SQL, possibly several statements.
    pub sql: &'static str,
}

/// Opens (creating if needed) a database file with the project's pragmas.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Corrupt {
            path: dir.display().to_string(),
            reason: format!("cannot create directory: {e}"),
        })?;
    }
    let conn = Connection::open(path).context(&format!("opening {}", path.display()))?;
    configure(&conn).map_err(|e| match e {
        // SQLITE_NOTADB surfaces on the first statement, not on open.
        StoreError::Sqlite { source, .. } if is_not_a_database(&source) => StoreError::Corrupt {
            path: path.display().to_string(),
            reason: "not an SQLite database (damaged or a different file)".into(),
        },
        other => other,
    })?;
    Ok(conn)
}

/// Opens an existing database file for reading only, with the project's pragmas: SQLite then
/// refuses every write with `SQLITE_READONLY`, as it does by itself for a file this process
/// may not write.
pub fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .context(&format!("opening {} read-only", path.display()))?;
    configure(&conn).map_err(|e| match e {
        StoreError::Sqlite { source, .. } if is_not_a_database(&source) => StoreError::Corrupt {
            path: path.display().to_string(),
            reason: "not an SQLite database (damaged or a different file)".into(),
        },
        other => other,
    })?;
    Ok(conn)
}

/// Whether SQLite opened `conn` read-only (the file or its directory may not be written, or it
/// was asked to).
pub fn is_read_only(conn: &Connection) -> bool {
    conn.is_readonly(MAIN_DB).unwrap_or(true)
}

/// How thoroughly to check a database's integrity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `PRAGMA quick_check`: every page, b-tree and record format, but not that each index
    /// matches its table. Linear in the file's size.
    Quick,
    /// `PRAGMA integrity_check`: also every index against its table.
    Full,
}

/// Checks `conn`'s database; `Err` carries SQLite's first complaints (at most five). A database
/// too damaged to be read through fails the same way.
pub fn check_integrity(conn: &Connection, check: Check) -> Result<(), String> {
    let pragma = match check {
        Check::Quick => "PRAGMA quick_check(5)",
        Check::Full => "PRAGMA integrity_check(5)",
    };
    let rows = conn.prepare(pragma).and_then(|mut stmt| {
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<Result<Vec<String>, _>>()
    });
    match rows {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Ok(()),
        Ok(rows) => Err(rows.join("; ")),
        Err(error) => Err(error.to_string()),
    }
}

/// Why a failed statement means the database cannot be written now — read-only, full, or an
/// I/O error of the disk — or `None` for any other failure (a bug, a constraint, damage).
pub fn unwritable_reason(error: &rusqlite::Error) -> Option<&'static str> {
    let rusqlite::Error::SqliteFailure(failure, _) = error else {
        return None;
    };
    match failure.code {
        ErrorCode::ReadOnly => Some("the database file is read-only"),
        ErrorCode::DiskFull => Some("the disk holding the database is full"),
        ErrorCode::SystemIoFailure => Some("the disk holding the database failed to write"),
        ErrorCode::CannotOpen => Some("the database's journal cannot be created"),
        _ => None,
    }
}

/// An in-memory database with the same pragmas, for tests.
pub fn open_in_memory() -> Result<Connection, StoreError> {
    let conn = Connection::open_in_memory().context("opening in-memory database")?;
    configure(&conn)?;
    Ok(conn)
}

fn is_not_a_database(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _) if e.code == ErrorCode::NotADatabase)
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(5))
        .context("setting busy timeout")?;
    // WAL: readers never block the writer; NORMAL is durable across application crashes
    // (only an OS crash can lose the last commits), which is the right trade for this data.
    conn.pragma_update(None, "journal_mode", "WAL")
        .context("enabling WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .context("setting synchronous")?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .context("enabling foreign keys")?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .context("setting temp_store")?;
    // 64 MiB of page cache (the default is 2 MiB): history ingest touches the newest pages of
    // every series and its rollups at once, and re-reading them from the OS costs a syscall
    // each.
    conn.pragma_update(None, "cache_size", -65_536)
        .context("setting cache_size")?;
    // Checkpoint every 32 MiB of WAL rather than 4: during a catch-up the same newest pages
    // change in every batch, and each checkpoint copies (and syncs) them again.
    conn.pragma_update(None, "wal_autocheckpoint", 8192)
        .context("setting wal_autocheckpoint")?;
    // Room for every statement the stores prepare, so none is parsed twice in a batch.
    conn.set_prepared_statement_cache_capacity(64);
    // Plan each statement once. SQLite built with STAT4 otherwise marks every parameter
    // compared with an indexed column as "may change the plan" and re-prepares the statement
    // whenever it is bound to a new value: a third of ingest time went to re-parsing.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .context("enabling the query planner stability guarantee")?;
    Ok(())
}

/// The schema version recorded in the database (`PRAGMA user_version`; 0 for a new file).
pub fn schema_version(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn
        .pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0))
        .context("reading schema version")?
        .try_into()
        .unwrap_or(0))
}

/// Refuses a database whose schema is newer than `migrations` know: an older wxdesk must not
/// guess at a newer one's tables.
fn refuse_newer(conn: &Connection, current: usize, known: usize) -> Result<(), StoreError> {
    if current > known {
        return Err(StoreError::Corrupt {
            path: conn.path().unwrap_or("?").to_owned(),
            reason: format!(
                "schema version {current} is newer than this program knows ({known}): it was \
                 written by a newer wxdesk than this one ({}); upgrade wxdesk, or restore the \
                 backup taken before the upgrade",
                env!("CARGO_PKG_VERSION")
            ),
        });
    }
    Ok(())
}

/// Brings the schema up to date; returns how many migrations ran. A database newer than this
/// program (`user_version` beyond the list) is refused rather than guessed at.
pub fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<usize, StoreError> {
    let current = schema_version(conn)?;
    refuse_newer(conn, current, migrations.len())?;
    for (index, migration) in migrations.iter().enumerate().skip(current) {
        let tx = conn.transaction().context("starting migration")?;
        tx.execute_batch(migration.sql).context(&format!(
            "migration {} ({})",
            index + 1,
            migration.name
        ))?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)
            .context("recording schema version")?;
        tx.commit().context("committing migration")?;
        tracing::info!(
            migration = migration.name,
            version = index + 1,
            "schema migrated"
        );
    }
    Ok(migrations.len() - current)
}

/// Like [`migrate`], but first copies a database that has data and is about to change into
/// `backup_dir` (as `<name>.pre-v<version>-<millis>.sqlite`), so a failed or regretted
/// upgrade can be undone. Returns the migrations run and the copy made, if any.
pub fn migrate_with_backup(
    conn: &mut Connection,
    migrations: &[Migration],
    backup_dir: &Path,
    now_ms: i64,
) -> Result<(usize, Option<PathBuf>), StoreError> {
    let current = schema_version(conn)?;
    refuse_newer(conn, current, migrations.len())?;
    let mut copy = None;
    if current > 0 && current < migrations.len() {
        let stem = conn
            .path()
            .and_then(|p| Path::new(p).file_stem())
            .map_or_else(|| "database".into(), |s| s.to_string_lossy().into_owned());
        let dest = backup_dir.join(format!("{stem}.pre-v{current}-{now_ms}.sqlite"));
        backup_into(conn, &dest)?;
        tracing::info!(backup = %dest.display(), version = current, "backed up before migrating");
        copy = Some(dest);
    }
    Ok((migrate(conn, migrations)?, copy))
}

/// Writes a consistent, compacted copy of the open database to `dest` (`VACUUM INTO`: safe
/// while others read and write). Refuses to overwrite an existing file.
pub fn backup_into(conn: &Connection, dest: &Path) -> Result<(), StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        path: dest.display().to_string(),
        reason,
    };
    if dest.exists() {
        return Err(corrupt("a file of that name exists already".into()));
    }
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| corrupt(format!("cannot create directory: {e}")))?;
    }
    let target = dest
        .to_str()
        .ok_or_else(|| corrupt("path is not valid UTF-8".into()))?;
    conn.execute("VACUUM INTO ?1", [target])
        .context(&format!("backing up into {}", dest.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: [Migration; 2] = [
        Migration {
            name: "a",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            name: "b",
            sql: "CREATE TABLE b (y INTEGER);",
        },
    ];

    #[test]
    fn migrates_once_and_refuses_newer_schemas() {
        let mut conn = open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn, &STEPS[..1]).unwrap(), 1);
        assert_eq!(migrate(&mut conn, &STEPS).unwrap(), 1);
        assert_eq!(migrate(&mut conn, &STEPS).unwrap(), 0);
        let error = migrate(&mut conn, &STEPS[..1]).unwrap_err().to_string();
        assert!(error.contains("newer than this program"), "{error}");
        assert!(error.contains("upgrade wxdesk"), "{error}");
    }

    #[test]
    fn an_existing_database_is_copied_before_it_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("backups");
        let mut conn = open(&dir.path().join("central.sqlite")).unwrap();
        // A new file has nothing to lose: no copy.
        let (ran, copy) = migrate_with_backup(&mut conn, &STEPS[..1], &backups, 7).unwrap();
        assert_eq!((ran, copy), (1, None));
        conn.execute("INSERT INTO a (x) VALUES (42)", []).unwrap();
        let (ran, copy) = migrate_with_backup(&mut conn, &STEPS, &backups, 8).unwrap();
        let copy = copy.unwrap();
        assert_eq!(ran, 1);
        assert_eq!(copy, backups.join("central.pre-v1-8.sqlite"));
        // The copy is the database as it was: version 1, its row, no table `b`.
        let old = open(&copy).unwrap();
        assert_eq!(schema_version(&old).unwrap(), 1);
        let x: i64 = old.query_row("SELECT x FROM a", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 42);
        assert!(
            old.query_row("SELECT count(*) FROM b", [], |r| r.get::<_, i64>(0))
                .is_err()
        );
        // Up to date: nothing to copy.
        let (ran, copy) = migrate_with_backup(&mut conn, &STEPS, &backups, 9).unwrap();
        assert_eq!((ran, copy), (0, None));
        // A newer database is refused before anything is copied.
        assert!(migrate_with_backup(&mut conn, &STEPS[..1], &backups, 10).is_err());
        let copies = std::fs::read_dir(&backups)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "sqlite")
            .count();
        assert_eq!(copies, 1);
    }

    #[test]
    fn a_failed_migration_leaves_the_schema_as_it_was() {
        let mut conn = open_in_memory().unwrap();
        let broken = [
            STEPS[0],
            Migration {
                name: "broken",
                sql: "CREATE TABLE c (z); NOT SQL;",
            },
        ];
        assert!(migrate(&mut conn, &broken).is_err());
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
        let c_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'c'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(c_exists, 0);
    }

    #[test]
    fn only_storage_failures_make_a_database_unwritable() {
        let failure = |code: i32| {
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some("x".into()))
        };
        let cases = [
            (failure(rusqlite::ffi::SQLITE_READONLY), true),
            (failure(rusqlite::ffi::SQLITE_FULL), true),
            (failure(rusqlite::ffi::SQLITE_IOERR), true),
            (failure(rusqlite::ffi::SQLITE_CANTOPEN), true),
            (failure(rusqlite::ffi::SQLITE_CONSTRAINT), false),
            (failure(rusqlite::ffi::SQLITE_CORRUPT), false),
            (failure(rusqlite::ffi::SQLITE_BUSY), false),
            (rusqlite::Error::QueryReturnedNoRows, false),
        ];
        for (error, unwritable) in cases {
            assert_eq!(unwritable_reason(&error).is_some(), unwritable, "{error}");
        }
    }

    #[test]
    fn a_read_only_connection_reads_and_its_writes_are_unwritable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let conn = open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        assert!(!is_read_only(&conn));
        let reader = open_read_only(&path).unwrap();
        assert!(is_read_only(&reader));
        let x: i64 = reader
            .query_row("SELECT x FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, 1);
        let error = reader.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
        assert_eq!(
            unwritable_reason(&error),
            Some("the database file is read-only")
        );
    }

    #[test]
    fn a_damaged_page_fails_both_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            let conn = open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (x);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                 INSERT INTO t SELECT printf('%.200c', i) FROM n;",
            )
            .unwrap();
            assert_eq!(check_integrity(&conn, Check::Quick), Ok(()));
            assert_eq!(check_integrity(&conn, Check::Full), Ok(()));
        }
        // Overwrite the third page onward with garbage, as a failing disk might.
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 16 * 4096, "{}", bytes.len());
        bytes[2 * 4096..6 * 4096].fill(0x5a);
        std::fs::write(&path, bytes).unwrap();
        let conn = open(&path).unwrap();
        for check in [Check::Quick, Check::Full] {
            let error = check_integrity(&conn, check).unwrap_err();
            assert!(!error.is_empty(), "{check:?}");
        }
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.sqlite");
        std::fs::write(&path, vec![0x42; 4096]).unwrap();
        let error = open(&path).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    }
}
