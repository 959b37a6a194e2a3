//! Maintenance windows as the central changes them: each change is stored, appended to the
//! change log (so consoles sync it) and audited, all in one transaction.

use rusqlite::Connection;

use super::audit;
use super::ingest::{append_change, head};
use crate::domain::audit::{AuditKey, AuditRecord};
use crate::domain::maintenance::{MaintenanceWindow, check_span};
use crate::domain::refusal::Refusal;
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
}

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
    log(conn, &stored, now)?;
    audit::append(conn, seal, audit(&stored))?;
    Ok((stored, head(conn)?))
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

/// Appends the window's whole current state to the change log.
fn log(conn: &Connection, window: &MaintenanceWindow, now: Timestamp) -> Result<u64, StoreError> {
    append_change(
        conn,
        now,
        &ChangeData::Maintenance(MaintenanceDto::from(window)),
    )
}
