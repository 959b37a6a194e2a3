//! Maintenance windows as the central changes them: each change is stored, appended to the
//! change log (so consoles sync it) and audited, all in one transaction.

use rusqlite::Connection;

use super::audit;
use super::device_alarms::{self, Handling};
use super::ingest::{append_change, head};
use crate::domain::audit::{AuditKey, AuditRecord};
use crate::domain::maintenance::visit::Visit;
use crate::domain::maintenance::{MaintenanceWindow, check_span};
use crate::domain::refusal::{Code, Refusal};
use crate::domain::{StationId, Timestamp};
use crate::protocol::{ChangeData, MaintenanceDto};
use crate::store::{StoreError, maintenance as table};

/// A window to record, already checked (the note trimmed, the span sound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWindow {
    /// The station, one of the network's.
    pub station: StationId,
    /// Start, inclusive.
    pub from: Timestamp,
    /// End, exclusive; `None` while the work goes on.
    pub to: Option<Timestamp>,
    /// What is being done.
    pub note: String,
    /// Who records it.
    pub recorded_by: String,
    /// The device visit it records, checked.
    pub visit: Option<Visit>,
}

/// Migration 23: the device visits maintenance windows record.
pub const VISITS_SCHEMA: &str = "
CREATE TABLE maintenance_visits (
    window INTEGER PRIMARY KEY REFERENCES maintenance(id),
    device TEXT    NOT NULL,
    visit  TEXT    NOT NULL                -- domain::maintenance::visit::Visit as JSON
);
CREATE INDEX maintenance_visits_by_device ON maintenance_visits (device);
";

/// A change to a recorded window; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowChange {
    /// The end.
    pub to: Option<Timestamp>,
    /// A corrected note, already checked.
    pub note: Option<String>,
}

/// Why a window could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// No window has that id.
    #[error("no maintenance window {0}")]
    NotFound(u64),
    /// The change contradicts the window as stored (it would end before it starts).
    #[error("{0}")]
    Conflict(Refusal),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a window with a visit could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum VisitRefused {
    /// The visit names a device that is not registered, an alarm not open, or one not about
    /// its device.
    #[error("{0}")]
    Refused(Refusal),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A window as it now is, and the change log's head after logging it.
pub type Logged = (MaintenanceWindow, u64);

/// Records `window` inside `conn`'s transaction, logs it and writes the audit entry `audit`
/// makes of it.
pub fn record(
    conn: &Connection,
    window: &NewWindow,
    now: Timestamp,
    seal: Option<&AuditKey>,
    audit: &dyn Fn(&MaintenanceWindow) -> AuditRecord,
) -> Result<Logged, StoreError> {
    let stored = table::insert(
        conn,
        &window.station,
        window.from,
        window.to,
        &window.note,
        &window.recorded_by,
    )?;
    if let Some(visit) = &window.visit {
        conn.execute(
            "INSERT INTO maintenance_visits (window, device, visit) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                i64::try_from(stored.id).unwrap_or(i64::MAX),
                visit.device.as_str(),
                serde_json::to_string(visit).map_err(|e| StoreError::Decode(e.to_string()))?
            ],
        )
        .map_err(|source| StoreError::Sqlite {
            context: "recording a visit".to_owned(),
            source,
        })?;
    }
    log(conn, &stored, now)?;
    audit::append(conn, seal, audit(&stored))?;
    Ok((stored, head(conn)?))
}

/// Closes the alarms `visit` dealt with, naming window `window`; each must be open and about
/// the visit's device (or an incident covering it).
pub fn close_alarms(
    conn: &Connection,
    visit: &Visit,
    window: u64,
    by: &str,
    now: Timestamp,
) -> Result<(), VisitRefused> {
    let refuse = |reason: String| {
        VisitRefused::Refused(Refusal::new(Code::InvalidVisit).with("reason", reason))
    };
    for &id in &visit.closes {
        let alarm = device_alarms::get(conn, id)?.filter(|a| a.closed_at.is_none());
        let Some(alarm) = alarm else {
            return Err(refuse(format!("alarm {id} is not open")));
        };
        if !alarm.devices.iter().any(|d| d == visit.device.as_str()) {
            return Err(refuse(format!(
                "alarm {id} is not about device {}",
                visit.device
            )));
        }
        let why = format!("maintenance window {window}");
        device_alarms::handle(conn, id, &Handling::Close(why), by, now)?;
    }
    Ok(())
}

/// The visit window `id` records, if any.
pub fn visit_of(conn: &Connection, id: u64) -> Result<Option<Visit>, StoreError> {
    use rusqlite::OptionalExtension as _;
    let text: Option<String> = conn
        .query_row(
            "SELECT visit FROM maintenance_visits WHERE window = ?1",
            [i64::try_from(id).unwrap_or(i64::MAX)],
            |r| r.get(0),
        )
        .optional()
        .map_err(|source| StoreError::Sqlite {
            context: "reading a visit".to_owned(),
            source,
        })?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Decode(e.to_string())))
        .transpose()
}

/// Applies `change` to window `id` inside `conn`'s transaction, logs the window's new state
/// and writes the audit entry `audit` makes of it (from the window before and after).
pub fn change(
    conn: &Connection,
    id: u64,
    change: &WindowChange,
    now: Timestamp,
    seal: Option<&AuditKey>,
    audit: &dyn Fn(&MaintenanceWindow, &MaintenanceWindow) -> AuditRecord,
) -> Result<Logged, MaintenanceError> {
    let before = table::get(conn, id)?.ok_or(MaintenanceError::NotFound(id))?;
    let after = MaintenanceWindow {
        to: change.to.or(before.to),
        note: change.note.clone().unwrap_or_else(|| before.note.clone()),
        ..before.clone()
    };
    check_span(after.from, after.to).map_err(|e| MaintenanceError::Conflict(Refusal::from(&e)))?;
    table::upsert(conn, &after)?;
    log(conn, &after, now)?;
    audit::append(conn, seal, audit(&before, &after))?;
    Ok((after, head(conn)?))
}

/// Appends the window's whole current state, with its visit, to the change log.
fn log(conn: &Connection, window: &MaintenanceWindow, now: Timestamp) -> Result<u64, StoreError> {
    let dto = MaintenanceDto::from(window).with_visit(visit_of(conn, window.id)?);
    append_change(conn, now, &ChangeData::Maintenance(dto))
}
