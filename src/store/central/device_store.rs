//! The device aggregate: the registry (which may add stations to the network), each device's
//! health as its reports and links tell it, and its status changes for desks. Blocks the
//! calling thread.

use super::device_alarms::{self, Handling};
use super::devices::{self, RegistryError};
use super::{SqliteCentralStore, ingest};
use crate::domain::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::domain::devices::alarm_book::{AlarmEvent, AlarmKind, AlarmRecord, Holding};
use crate::domain::devices::health::LinkState;
use crate::domain::devices::{Device, DeviceId, Presence, StatusSince, Telemetry};
use crate::domain::observation::IngestRecord;
use crate::protocol::devices::{DeviceHealth, HealthHour};
use crate::store::{Context as _, StoreError};

/// What the central stores and reads of devices.
pub trait DeviceStore {
    /// Registers `device` (`replace`: changes the registered one), adding or changing its
    /// station, logging both and writing the audit entry `audit` makes, in one transaction.
    /// Returns the change log's head.
    fn save_device(
        &self,
        device: &Device,
        replace: bool,
        now: Timestamp,
        audit: &dyn Fn(&Device) -> AuditRecord,
    ) -> Result<u64, RegistryError>;

    /// Every registered device, by id.
    fn devices(&self) -> Result<Vec<Device>, StoreError>;

    /// Every device with its health (reports counted from `since`).
    fn devices_with_health(
        &self,
        since: Timestamp,
    ) -> Result<Vec<(Device, DeviceHealth)>, StoreError>;

    /// One device with its health, if registered.
    fn device_health(
        &self,
        id: &DeviceId,
        since: Timestamp,
    ) -> Result<Option<(Device, DeviceHealth)>, StoreError>;

    /// A device's hourly health from `since`, oldest first.
    fn health_trend(&self, id: &DeviceId, since: Timestamp) -> Result<Vec<HealthHour>, StoreError>;

    /// Stores a batch of reports in one transaction: the weather-reporting ones' values as
    /// their stations' observations (`records`, already parsed, each indexed by its report's
    /// place in `reports`), every one's health — but a report whose observation was already
    /// stored value for value is a repeat (`QoS` 1 delivers at least once; a device may resend
    /// a minute), counted in its health once. Returns the ingest's report.
    fn store_reports(
        &self,
        reports: &[Telemetry],
        records: &[IngestRecord],
        now: Timestamp,
    ) -> Result<ingest::IngestReport, StoreError>;

    /// Sets a polled device's link state.
    fn set_link(&self, id: &DeviceId, link: LinkState) -> Result<(), StoreError>;

    /// Sets what the broker says of a device's connection.
    fn set_presence(&self, id: &DeviceId, presence: Presence) -> Result<(), StoreError>;

    /// Stores status changes and logs each; returns the change log's head.
    fn set_statuses(
        &self,
        changes: &[(DeviceId, StatusSince, Option<Timestamp>)],
        now: Timestamp,
    ) -> Result<u64, StoreError>;

    /// Raises what `raise` holds and clears what `clear` names, in one transaction; an
    /// incident closes the open silent alarms of the devices it covers. Returns the alarms as
    /// they now are and the change log's head.
    fn sweep_alarms(
        &self,
        raise: &[Holding],
        regroup: &[Holding],
        clear: &[(String, AlarmKind)],
        now: Timestamp,
    ) -> Result<(Vec<AlarmRecord>, u64), StoreError>;

    /// Every open alarm, and those closed since `closed_since`.
    fn alarms(&self, closed_since: Timestamp) -> Result<Vec<AlarmRecord>, StoreError>;

    /// One alarm with its timeline.
    fn device_alarm(&self, id: u64) -> Result<Option<(AlarmRecord, Vec<AlarmEvent>)>, StoreError>;

    /// A person's handling of open alarm `id`; `None` when it is not open.
    fn handle_alarm(
        &self,
        id: u64,
        handling: &Handling,
        by: &str,
        now: Timestamp,
    ) -> Result<Option<(AlarmRecord, u64)>, StoreError>;

    /// Marks alarm `id` escalated to the on-call technician.
    fn alarm_escalated(&self, id: u64, now: Timestamp) -> Result<u64, StoreError>;
}

impl DeviceStore for SqliteCentralStore {
    fn save_device(
        &self,
        device: &Device,
        replace: bool,
        now: Timestamp,
        audit: &dyn Fn(&Device) -> AuditRecord,
    ) -> Result<u64, RegistryError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting device save")?;
        let head = devices::save(&tx, device, replace, now, self.seal()?, audit)?;
        tx.commit().context("committing device save")?;
        drop(writer);
        self.reload_network()?;
        Ok(head)
    }

    fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.read(devices::devices)
    }

    fn devices_with_health(
        &self,
        since: Timestamp,
    ) -> Result<Vec<(Device, DeviceHealth)>, StoreError> {
        self.read(|conn| devices::devices_with_health(conn, since))
    }

    fn device_health(
        &self,
        id: &DeviceId,
        since: Timestamp,
    ) -> Result<Option<(Device, DeviceHealth)>, StoreError> {
        self.read(|conn| {
            let Some(device) = devices::read_device(conn, id)? else {
                return Ok(None);
            };
            let health = devices::health(conn, id, since)?;
            Ok(Some((device, health)))
        })
    }

    fn health_trend(&self, id: &DeviceId, since: Timestamp) -> Result<Vec<HealthHour>, StoreError> {
        self.read(|conn| devices::trend(conn, id, since))
    }

    fn store_reports(
        &self,
        reports: &[Telemetry],
        records: &[IngestRecord],
        now: Timestamp,
    ) -> Result<ingest::IngestReport, StoreError> {
        let network = self.current_network();
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting device reports")?;
        let report = ingest::ingest_batch(&tx, records, now, self.quality(&network))?;
        let repeats: std::collections::HashSet<usize> = report
            .results
            .iter()
            .filter(|r| r.status == crate::protocol::RecordStatus::Duplicate)
            .map(|r| r.index)
            .collect();
        for (index, telemetry) in reports.iter().enumerate() {
            if !repeats.contains(&index) {
                devices::record_report(&tx, telemetry)?;
            }
        }
        tx.commit().context("committing device reports")?;
        Ok(report)
    }

    fn set_link(&self, id: &DeviceId, link: LinkState) -> Result<(), StoreError> {
        devices::set_link(&self.writer(), id, link)
    }

    fn set_presence(&self, id: &DeviceId, presence: Presence) -> Result<(), StoreError> {
        devices::set_presence(&self.writer(), id, presence)
    }

    fn set_statuses(
        &self,
        changes: &[(DeviceId, StatusSince, Option<Timestamp>)],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting status changes")?;
        for (id, status, last_seen) in changes {
            devices::set_status(&tx, id, *status, *last_seen, now)?;
        }
        let head = ingest::head(&tx)?;
        tx.commit().context("committing status changes")?;
        Ok(head)
    }

    fn sweep_alarms(
        &self,
        raise: &[Holding],
        regroup: &[Holding],
        clear: &[(String, AlarmKind)],
        now: Timestamp,
    ) -> Result<(Vec<AlarmRecord>, u64), StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting alarm sweep")?;
        let mut changed = Vec::new();
        for holding in raise {
            if holding.kind == AlarmKind::Incident {
                changed.extend(explained(&tx, holding, now)?);
            }
            changed.push(device_alarms::raise(&tx, holding, now)?);
        }
        for holding in regroup {
            changed.extend(explained(&tx, holding, now)?);
            changed.extend(device_alarms::regroup(&tx, holding, now)?);
        }
        for (subject, kind) in clear {
            changed.extend(device_alarms::clear(&tx, subject, *kind, now)?);
        }
        let head = ingest::head(&tx)?;
        tx.commit().context("committing alarm sweep")?;
        Ok((changed, head))
    }

    fn alarms(&self, closed_since: Timestamp) -> Result<Vec<AlarmRecord>, StoreError> {
        self.read(|conn| device_alarms::list(conn, closed_since))
    }

    fn device_alarm(&self, id: u64) -> Result<Option<(AlarmRecord, Vec<AlarmEvent>)>, StoreError> {
        self.read(|conn| {
            let Some(alarm) = device_alarms::get(conn, id)? else {
                return Ok(None);
            };
            Ok(Some((alarm, device_alarms::events(conn, id)?)))
        })
    }

    fn handle_alarm(
        &self,
        id: u64,
        handling: &Handling,
        by: &str,
        now: Timestamp,
    ) -> Result<Option<(AlarmRecord, u64)>, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting alarm handling")?;
        let Some(alarm) = device_alarms::handle(&tx, id, handling, by, now)? else {
            return Ok(None);
        };
        let head = ingest::head(&tx)?;
        tx.commit().context("committing alarm handling")?;
        Ok(Some((alarm, head)))
    }

    fn alarm_escalated(&self, id: u64, now: Timestamp) -> Result<u64, StoreError> {
        let mut writer = self.writer();
        let tx = writer.transaction().context("starting alarm escalation")?;
        device_alarms::escalated(&tx, id, now)?;
        let head = ingest::head(&tx)?;
        tx.commit().context("committing alarm escalation")?;
        Ok(head)
    }
}

/// Closes the open silent alarms of the devices an incident covers: the incident explains them.
fn explained(
    conn: &rusqlite::Connection,
    incident: &Holding,
    now: Timestamp,
) -> Result<Vec<AlarmRecord>, StoreError> {
    let why = format!("explained by incident {}", incident.subject);
    let mut closed = Vec::new();
    for device in &incident.devices {
        if let Some(open) = device_alarms::open_of(conn, device, AlarmKind::Silent)? {
            let close = Handling::Close(why.clone());
            closed.extend(device_alarms::handle(
                conn, open.id, &close, "central", now,
            )?);
        }
    }
    Ok(closed)
}
