//! The people warnings go to, at the desk: what the recipients window asks of the backend
//! ([`RecipientsCommand`]) and what it answers ([`RecipientsEvent`]). Numbers arrive masked
//! unless the user manages recipients: the central decides, the desk shows what it gets.

use std::path::PathBuf;

// Re-exported: the window names what it shows through the messages that carry them.
pub use crate::protocol::recipients::{
    ImportedLineDto, RecipientDto, RecipientImportReport, RecipientList, RecipientQuery,
};

/// Requests to the recipients service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientsCommand {
    /// Read a page of the list, filtered.
    List(RecipientQuery),
    /// Import a CSV or .xlsx file (by its extension); only check it when `dry_run`.
    Import {
        /// The file.
        path: PathBuf,
        /// Check and report only.
        dry_run: bool,
    },
}

/// Reports from the recipients service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientsEvent {
    /// A page of the list.
    Listed(RecipientList),
    /// An import's report, line by line.
    Imported(RecipientImportReport),
    /// A request was not done, in the desk's words.
    Refused(String),
}
