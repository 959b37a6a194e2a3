//! Observations in depth: what the history screen asks of the backend ([`HistoryCommand`]) and
//! what it answers ([`HistoryEvent`]). Every read is answered from the local cache, so it works
//! offline; imports and maintenance records go to the central.
//!
//! Reads carry a `ticket` the view chose; an answer names it, so a view can drop answers to
//! requests it has since replaced (a pan that moved on).

use std::path::PathBuf;
use std::sync::Arc;

use super::table::{ExportFormat, Table};

use crate::domain::history::{SeriesView, ViewRequest};
use crate::domain::stats::{
    Accumulation, DailyExtremes, DailyRain, TownshipRow, VectorMean, WindRose,
};
use crate::domain::{Element, StationId, Timestamp};

/// A period of one series the cache holds only as daily rollups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPeriod {
    /// Station.
    pub station: StationId,
    /// Element.
    pub element: Element,
    /// Start, inclusive.
    pub from: Timestamp,
    /// End, exclusive.
    pub to: Timestamp,
}

/// A request of the history screen. Imperative.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryCommand {
    /// Build these series views (one screen's worth, drawn together).
    Views {
        /// Echoed in the answer.
        ticket: u64,
        /// The views, in the order the answer lists them.
        requests: Vec<ViewRequest>,
    },
    /// The rain of one station over `(from, to]`: hourly amounts, CMA daily totals and the
    /// accumulations ending at `to`.
    Rain {
        /// Echoed in the answer.
        ticket: u64,
        /// The station.
        station: StationId,
        /// Start, exclusive.
        from: Timestamp,
        /// End, inclusive.
        to: Timestamp,
    },
    /// The wind of one station over `(from, to]`: its rose and `arrows` vector means.
    Wind {
        /// Echoed in the answer.
        ticket: u64,
        /// The station.
        station: StationId,
        /// Start, exclusive.
        from: Timestamp,
        /// End, inclusive.
        to: Timestamp,
        /// How many equal slices to give a mean wind arrow for.
        arrows: usize,
    },
    /// Today's extremes at every station, and the township table.
    Summaries {
        /// Echoed in the answer.
        ticket: u64,
    },
    /// Write what a mode shows to a file (CSV or Excel) in the export folder: the values (or,
    /// for long views, the buckets) behind `requests`, then `tables` as the view built them.
    Export {
        /// CSV or Excel.
        format: ExportFormat,
        /// The series views on screen (none in the modes that show only tables).
        requests: Vec<ViewRequest>,
        /// The tables on screen, built from the reports the view draws.
        tables: Vec<Table>,
        /// A name for the file, without folder or extension.
        name: String,
    },
    /// Draw the view offscreen and write it as a PNG file in the export folder, off the UI
    /// thread.
    ExportPng {
        /// Draws and encodes the image.
        render: PngRender,
        /// A name for the file, without folder or extension.
        name: String,
    },
    /// Exports go to this folder from now on (remembered for the next start).
    SetExportFolder {
        /// The folder.
        folder: PathBuf,
    },
    /// Open a folder in the desktop's file manager.
    OpenFolder {
        /// The folder.
        folder: PathBuf,
    },
    /// Send an observation file (MICAPS type 1 or 3, CSV) to the central to import.
    Import {
        /// The file.
        path: PathBuf,
        /// `micaps` or `csv`; detected when `None`.
        format: Option<String>,
        /// The element of a MICAPS type 3 file's values, when its title does not say.
        element: Option<Element>,
    },
    /// Record a maintenance window of a station at the central.
    RecordMaintenance {
        /// The station.
        station: StationId,
        /// Start.
        from: Timestamp,
        /// End, if already known.
        to: Option<Timestamp>,
        /// What is being done.
        note: String,
    },
    /// End a maintenance window at the central.
    EndMaintenance {
        /// The window.
        id: u64,
        /// When it ended.
        to: Timestamp,
    },
}

/// Draws a view offscreen and encodes it as PNG: the UI builds it from a snapshot of what it
/// shows, the history service runs it off the UI thread.
#[derive(Clone)]
pub struct PngRender(Arc<dyn Fn() -> Result<Vec<u8>, String> + Send + Sync>);

impl PngRender {
    /// A render job running `render`.
    pub fn new(render: impl Fn() -> Result<Vec<u8>, String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(render))
    }

    /// Draws and encodes the image, or says why it could not.
    pub fn run(&self) -> Result<Vec<u8>, String> {
        (self.0)()
    }
}

impl std::fmt::Debug for PngRender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PngRender")
    }
}

impl PartialEq for PngRender {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// One station's rain over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct RainReport {
    /// The station.
    pub station: StationId,
    /// Start of the range, exclusive.
    pub from: Timestamp,
    /// End of the range, inclusive.
    pub to: Timestamp,
    /// Each CMA hour with data: `(end of the hour, mm)`, from minute totals where the station
    /// sent them, else its hourly total.
    pub hours: Vec<(Timestamp, f64)>,
    /// CMA daily totals (20–20 BJT) of the days the range touches, up to now.
    pub days: Vec<DailyRain>,
    /// The 1, 3, 6, 12 and 24 h totals ending at `to` (or now, if sooner).
    pub accumulations: [Accumulation; 5],
    /// When it was read: an hour or day still running has its rain up to here.
    pub at: Timestamp,
}

/// One station's wind over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct WindReport {
    /// The station.
    pub station: StationId,
    /// Start of the range, exclusive.
    pub from: Timestamp,
    /// End of the range, inclusive.
    pub to: Timestamp,
    /// Directions by speed class (2-minute means).
    pub rose: WindRose,
    /// Mean wind of each slice: `(slice end, mean)`; slices without data are absent.
    pub arrows: Vec<(Timestamp, VectorMean)>,
}

/// Today's picture of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Summaries {
    /// When it was read.
    pub at: Timestamp,
    /// Each station's extremes of today so far, in network order.
    pub stations: Vec<(StationId, DailyExtremes)>,
    /// One row per township.
    pub townships: Vec<TownshipRow>,
}

/// What an import stored (the central's answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    /// The file.
    pub file: String,
    /// The format read.
    pub format: String,
    /// The file's own title.
    pub title: String,
    /// Records of this network's stations stored.
    pub imported: usize,
    /// Values newly stored.
    pub new_values: usize,
    /// Values that were already there.
    pub duplicate_values: usize,
    /// Values the file marked missing.
    pub missing_values: usize,
    /// Stations of the file outside this network (skipped).
    pub outside_network: usize,
    /// Earliest and latest time imported.
    pub span: Option<(Timestamp, Timestamp)>,
}

/// What the backend did for the history screen. Past tense.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryEvent {
    /// Views were built.
    Views {
        /// The request's ticket.
        ticket: u64,
        /// One per request, in order.
        views: Vec<SeriesView>,
    },
    /// A rain report was built.
    Rain {
        /// The request's ticket.
        ticket: u64,
        /// The report.
        report: RainReport,
    },
    /// A wind report was built.
    Wind {
        /// The request's ticket.
        ticket: u64,
        /// The report.
        report: WindReport,
    },
    /// Periods the views just built asked minutes of that the cache holds only as daily
    /// rollups (offline, or the central could not send them): those views show days. Sent with
    /// every views answer (empty: nothing held only as rollups).
    HeldAsRollups {
        /// The views' ticket.
        ticket: u64,
        /// The periods, per series.
        periods: Vec<HeldPeriod>,
    },
    /// Today's summaries were built.
    Summaries {
        /// The request's ticket.
        ticket: u64,
        /// The summaries.
        summaries: Summaries,
    },
    /// An export is being drawn or written.
    ExportStarted,
    /// Exports go to this folder.
    ExportFolder {
        /// The folder.
        folder: String,
    },
    /// A file was written.
    Exported {
        /// Where.
        path: String,
        /// Rows (CSV) or bytes (PNG) written.
        size: usize,
    },
    /// A file is on its way to the central.
    ImportStarted {
        /// The file.
        file: String,
    },
    /// The central imported a file, all of it.
    Imported(ImportOutcome),
    /// The central recorded or changed a maintenance window (it arrives through sync too).
    MaintenanceSaved {
        /// Its id.
        id: u64,
    },
    /// Something failed; nothing of it happened (an import is all or nothing).
    Failed {
        /// What was being done.
        action: HistoryAction,
        /// Why.
        message: super::Trouble,
    },
}

/// Which kind of history work failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryAction {
    /// Reading the cache for a chart or a table.
    Read,
    /// Writing an export file, or choosing or opening its folder.
    Export,
    /// Importing a file.
    Import,
    /// Recording maintenance.
    Maintenance,
}
