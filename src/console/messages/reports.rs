//! The supervisor's 服务统计 at the desk: what the view asks of the backend
//! ([`ReportCommand`]) and what it answers ([`ReportEvent`]). The figures and the files are
//! the central's (`GET /reports/service`); the desk neither counts nor re-renders them.

// Re-exported: the view names the figures it shows through the messages that carry them (the
// UI may not reach into the protocol layer).
pub use crate::protocol::reports::{
    ApprovalLine, Approvals, CalloutSummary, ChannelDelivery, IssuedCount, Minutes, RangePreset,
    ServiceReport,
};

/// A range of Beijing dates, inclusive (`2026-12-01`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportRange {
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
}

/// The file formats the central writes the report in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// CSV, UTF-8.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl ReportFormat {
    /// The `format=` word and the file's extension.
    pub fn word(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// Requests to the reports service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportCommand {
    /// Read the figures of a range.
    Fetch(ReportRange),
    /// Save the central's file of a range in the export folder.
    Export {
        /// The days.
        range: ReportRange,
        /// CSV or Excel.
        format: ReportFormat,
    },
}

/// Reports of the reports service.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportEvent {
    /// The figures of the range asked.
    Loaded {
        /// The range asked.
        range: ReportRange,
        /// The central's report.
        report: Box<ServiceReport>,
    },
    /// An export is being fetched and written.
    ExportStarted,
    /// The file was written (its path).
    Exported(String),
    /// A request was not done: the code and its words in the desk's language.
    Refused {
        /// An export (`true`) or a read.
        export: bool,
        /// The refusal's code (`unreachable` when the central could not be reached).
        code: String,
        /// What to show.
        message: String,
    },
}
