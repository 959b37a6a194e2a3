//! The wire shapes of observations in depth: QC re-judgements and maintenance windows in the
//! change log, series views, and file imports.

use crate::domain::maintenance::visit::Visit;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::qc::QcFlags;
use crate::domain::{Element, StationId, Timestamp};

/// Quality control re-judged values already logged (a neighbour's report arrived, a run of
/// equal values grew long enough to be stuck): their flags now, replacing the old ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QcChange {
    /// Station id.
    pub station: StationId,
    /// Observation time.
    pub time: Timestamp,
    /// The new flags per element (an empty list: it now passes).
    pub flags: BTreeMap<Element, QcFlags>,
}

/// A maintenance window as the API and the change log carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceDto {
    /// The central's id.
    pub id: u64,
    /// Station id.
    pub station: StationId,
    /// Start, inclusive.
    pub from: Timestamp,
    /// End, exclusive; absent while it lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// What was done.
    pub note: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// The device visit it records, if it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<Visit>,
}

impl MaintenanceDto {
    /// The window with the visit it records.
    #[must_use]
    pub fn with_visit(mut self, visit: Option<Visit>) -> Self {
        self.visit = visit;
        self
    }
}

impl From<&MaintenanceWindow> for MaintenanceDto {
    fn from(w: &MaintenanceWindow) -> Self {
        Self {
            id: w.id,
            station: w.station.clone(),
            from: w.from,
            to: w.to,
            note: w.note.clone(),
            recorded_by: w.recorded_by.clone(),
            visit: None,
        }
    }
}

impl From<MaintenanceDto> for MaintenanceWindow {
    fn from(dto: MaintenanceDto) -> Self {
        Self {
            id: dto.id,
            station: dto.station,
            from: dto.from,
            to: dto.to,
            note: dto.note,
            recorded_by: dto.recorded_by,
        }
    }
}

/// `POST /api/v1/maintenance`: record a maintenance window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMaintenance {
    /// Station id.
    pub station: String,
    /// Start, RFC 3339.
    pub from: Timestamp,
    /// End, RFC 3339; omit while the work goes on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// What is being done (1–500 characters).
    pub note: String,
    /// When it is a visit to a device: the device, the kind of visit, parts and sensors
    /// replaced, and the device alarms it closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<Visit>,
}

/// `PATCH /api/v1/maintenance/{id}`: end a window or correct its note.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MaintenanceUpdate {
    /// The end, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// A corrected note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `GET /api/v1/maintenance` query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MaintenanceQuery {
    /// Only this station's windows.
    #[serde(default)]
    pub station: Option<String>,
}

/// `GET /api/v1/maintenance` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceList {
    /// Every window, newest first.
    pub windows: Vec<MaintenanceDto>,
}

/// `GET /api/v1/observations/view` query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewQuery {
    /// Station id.
    pub station: String,
    /// Element code.
    pub element: String,
    /// Start, exclusive, RFC 3339.
    pub from: String,
    /// End, inclusive, RFC 3339; after `from`.
    pub to: String,
    /// Buckets wanted (the chart's width in pixels), 1–4000.
    pub columns: usize,
}

/// `POST /api/v1/imports` query; the body is the file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportQuery {
    /// `micaps1`, `micaps3` or `csv`; detected from the content when omitted.
    #[serde(default)]
    pub format: Option<String>,
    /// The element of a MICAPS type 3 file's values, when its title does not say (several,
    /// comma-separated, for a file with several value columns).
    #[serde(default)]
    pub element: Option<String>,
    /// The file's name, for the audit log and the answer.
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /api/v1/imports` response: the whole file was stored (or nothing was).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The file's name as given.
    pub name: String,
    /// The format read (`micaps1`, `micaps3`, `csv`).
    pub format: String,
    /// The file's own title, if it has one.
    pub title: String,
    /// Records (station × time) in the file.
    pub records: usize,
    /// Records of stations in this central's network, stored.
    pub imported: usize,
    /// Values newly stored.
    pub new_values: usize,
    /// Values that were already stored identically.
    pub duplicate_values: usize,
    /// Values marked missing in the file (9999 …).
    pub missing_values: usize,
    /// Stations in the file that are not in this network (skipped), with their count.
    pub outside_network: usize,
    /// A few of the skipped stations' ids, for the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside_examples: Vec<String>,
    /// Earliest and latest observation time imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<(Timestamp, Timestamp)>,
}
