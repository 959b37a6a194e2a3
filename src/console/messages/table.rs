//! Tables as exported: what a history mode shows, cell by cell, for the CSV and Excel writers.
//! The view's builders make them from the same reports the screen draws, so a file holds
//! exactly what is on screen.

pub use crate::formats::sheet::{Cell, Table};

/// The file formats an export can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV, UTF-8 with a byte-order mark.
    Csv,
    /// Excel workbook (.xlsx), a sheet per table; WPS reads it too.
    Xlsx,
}

impl ExportFormat {
    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}
