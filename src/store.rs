//! SQLite persistence: connection set-up and migrations ([`sqlite`]), the observation table both
//! the central and the console cache keep ([`observations`]) with its multi-resolution rollups
//! ([`rollups`]) and the views read from them ([`history`]), the central's database
//! ([`central`]) and the console's local cache ([`cache`]).

pub mod cache;
pub mod central;
pub mod chunk;
pub mod history;
pub mod maintenance;
pub mod observations;
pub mod rollups;
pub mod sqlite;

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("{context}: {source}")]
    Sqlite {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file is not a database of ours, or is damaged.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The database file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Stored data that does not decode (a bug or a hand edit).
    #[error("stored data does not decode: {0}")]
    Decode(String),
    /// The audit key is missing, or is not the key the audit log was sealed with.
    #[error("audit key: {0}")]
    AuditKey(String),
}

/// Adds context to a rusqlite result.
pub trait Context<T> {
    /// Wraps the error with what was being done.
    fn context(self, what: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite {
            context: what.to_owned(),
            source,
        })
    }
}
