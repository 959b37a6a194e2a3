//! Opening SQLite databases the same way everywhere (WAL, foreign keys, a busy timeout) and
//! migrating them forward with `PRAGMA user_version`.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::config::DbConfig;

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

/// An in-memory database with the same pragmas, for tests.
pub fn open_in_memory() -> Result<Connection, StoreError> {
    let conn = Connection::open_in_memory().context("opening in-memory database")?;
    configure(&conn)?;
    Ok(conn)
}

fn is_not_a_database(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::NotADatabase)
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

/// Brings the schema up to date; returns how many migrations ran. A database newer than this
/// program (`user_version` beyond the list) is refused rather than guessed at.
pub fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<usize, StoreError> {
    let current: usize = conn
        .pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0))
        .context("reading schema version")?
        .try_into()
        .unwrap_or(0);
    if current > migrations.len() {
        return Err(StoreError::Corrupt {
            path: conn.path().unwrap_or("?").to_owned(),
            reason: format!(
                "schema version {current} is newer than this program knows ({}); upgrade wxdesk",
                migrations.len()
            ),
        });
    }
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
    fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.sqlite");
        std::fs::write(&path, vec![0x42; 4096]).unwrap();
        let error = open(&path).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    }
}
