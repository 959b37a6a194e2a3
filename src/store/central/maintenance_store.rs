//! The maintenance-windows aggregate: technicians record and end windows; charts and quality
//! control read them. Every write is logged for desks and audited in its transaction.

use std::collections::BTreeMap;

use super::SqliteCentralStore;
use super::devices::read_device;
use super::maintenance::{self, Logged, MaintenanceError, NewWindow, VisitRefused, WindowChange};
use crate::domain::StationId;
use crate::domain::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::domain::maintenance::MaintenanceWindow;
use crate::domain::maintenance::visit::Visit;
use crate::domain::refusal::{Code, Refusal};
use crate::store::{Context as _, StoreError};

/// What the central stores and reads of maintenance windows. Blocks the calling thread.
pub trait MaintenanceStore {
    /// Every maintenance window (of one station, if given), newest first.
    fn maintenance(
        &self,
        station: Option<&StationId>,
    ) -> Result<Vec<MaintenanceWindow>, StoreError>;

    /// Records a maintenance window, appends it to the change log (stamped `now`) and writes
    /// the audit entry `audit` makes of it, in one transaction.
    fn record_maintenance(
        &self,
        window: &NewWindow,
        now: Timestamp,
        audit: &dyn Fn(&MaintenanceWindow) -> AuditRecord,
    ) -> Result<Logged, VisitRefused>;

    /// The device visits windows record, by window id.
    fn maintenance_visits(&self) -> Result<BTreeMap<u64, Visit>, StoreError>;

    /// Ends a window or corrects its note, appends its new state to the change log and writes
    /// the audit entry `audit` makes of it (before, after), in one transaction.
    fn change_maintenance(
        &self,
        id: u64,
        change: &WindowChange,
        now: Timestamp,
        audit: &dyn Fn(&MaintenanceWindow, &MaintenanceWindow) -> AuditRecord,
    ) -> Result<Logged, MaintenanceError>;
}

impl MaintenanceStore for SqliteCentralStore {
    fn maintenance(
        &self,
        station: Option<&StationId>,
    ) -> Result<Vec<MaintenanceWindow>, StoreError> {
        self.read(|conn| crate::store::maintenance::list(conn, station))
    }

    fn record_maintenance(
        &self,
        window: &NewWindow,
        now: Timestamp,
        audit: &dyn Fn(&MaintenanceWindow) -> AuditRecord,
    ) -> Result<Logged, VisitRefused> {
        let mut writer = self.writer();
        let tx = writer
            .transaction()
            .context("starting maintenance record")?;
        if let Some(visit) = &window.visit {
            check_visit(&tx, visit, &window.station)?;
        }
        let (stored, _) = maintenance::record(&tx, window, now, self.seal()?, audit)?;
        if let Some(visit) = &window.visit {
            maintenance::close_alarms(&tx, visit, stored.id, &window.recorded_by, now)?;
        }
        let head = super::ingest::head(&tx)?;
        tx.commit().context("committing maintenance record")?;
        Ok((stored, head))
    }

    fn maintenance_visits(&self) -> Result<BTreeMap<u64, Visit>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT window, visit FROM maintenance_visits")
                .context("preparing visits")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .context("reading visits")?;
            let mut visits = BTreeMap::new();
            for row in rows {
                let (id, text) = row.context("reading a visit")?;
                let visit = serde_json::from_str(&text)
                    .map_err(|e| StoreError::Decode(format!("visit of window {id}: {e}")))?;
                visits.insert(id.unsigned_abs(), visit);
            }
            Ok(visits)
        })
    }

    fn change_maintenance(
        &self,
        id: u64,
        change: &WindowChange,
        now: Timestamp,
        audit: &dyn Fn(&MaintenanceWindow, &MaintenanceWindow) -> AuditRecord,
    ) -> Result<Logged, MaintenanceError> {
        let mut writer = self.writer();
        let tx = writer
            .transaction()
            .context("starting maintenance change")?;
        let logged = maintenance::change(&tx, id, change, now, self.seal()?, audit)?;
        tx.commit().context("committing maintenance change")?;
        Ok(logged)
    }
}

/// A visit names a registered device, and the window's station is the device's own (a device
/// without a station may be visited under any).
fn check_visit(
    conn: &rusqlite::Connection,
    visit: &Visit,
    station: &StationId,
) -> Result<(), VisitRefused> {
    let refuse = |reason: String| {
        VisitRefused::Refused(Refusal::new(Code::InvalidVisit).with("reason", reason))
    };
    let Some(device) = read_device(conn, &visit.device)? else {
        return Err(refuse(format!("device {} is not registered", visit.device)));
    };
    match &device.station {
        Some(own) if own != station => Err(refuse(format!(
            "device {} reports as station {own}, not {station}",
            device.id
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::{AuditAction, Outcome};
    use crate::store::central::tests::{fresh, now};

    #[test]
    fn windows_are_served_through_their_own_trait() {
        let (_dir, sqlite) = fresh();
        let store: &dyn MaintenanceStore = &sqlite;
        let station = StationId::parse("708302").unwrap();
        let window = NewWindow {
            station: station.clone(),
            from: now(),
            to: None,
            note: "更换雨量筒".to_owned(),
            recorded_by: "tech".to_owned(),
            visit: None,
        };
        let audit = |_: &MaintenanceWindow| {
            AuditRecord::new(
                now(),
                "tech",
                "",
                AuditAction::MaintenanceRecorded,
                Outcome::Ok,
            )
        };
        let (recorded, head) = store.record_maintenance(&window, now(), &audit).unwrap();
        assert_eq!(head, 1, "the window is in the change log");
        let end = WindowChange {
            to: Some(now().plus_ms(3_600_000)),
            note: None,
        };
        let changed = |_: &MaintenanceWindow, _: &MaintenanceWindow| {
            AuditRecord::new(
                now(),
                "tech",
                "",
                AuditAction::MaintenanceChanged,
                Outcome::Ok,
            )
        };
        let (ended, head) = store
            .change_maintenance(recorded.id, &end, now(), &changed)
            .unwrap();
        assert_eq!((ended.to, head), (end.to, 2));
        assert_eq!(store.maintenance(Some(&station)).unwrap(), [ended]);
        assert!(matches!(
            store.change_maintenance(recorded.id + 1, &end, now(), &changed),
            Err(MaintenanceError::NotFound(_))
        ));
    }
}
