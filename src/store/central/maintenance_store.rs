//! The maintenance-windows aggregate: technicians record and end windows; charts and quality
//! control read them. Every write is logged for desks and audited in its transaction.

use super::SqliteCentralStore;
use super::maintenance::{self, Logged, MaintenanceError, NewWindow, WindowChange};
use crate::domain::StationId;
use crate::domain::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::domain::maintenance::MaintenanceWindow;
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
    ) -> Result<Logged, StoreError>;

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
    ) -> Result<Logged, StoreError> {
        let mut writer = self.writer();
        let tx = writer
            .transaction()
            .context("starting maintenance record")?;
        let logged = maintenance::record(&tx, window, now, self.seal()?, audit)?;
        tx.commit().context("committing maintenance record")?;
        Ok(logged)
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
