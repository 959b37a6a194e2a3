//! The device aggregate: the registry (which may add stations to the network), each device's
//! health as its reports and links tell it, and its status changes for desks. Blocks the
//! calling thread.

use super::devices::{self, RegistryError};
use super::{SqliteCentralStore, ingest};
use crate::domain::Timestamp;
use crate::domain::audit::AuditRecord;
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
    /// their stations' observations (`records`, already parsed), every one's health. Returns
    /// the ingest's report.
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
        for telemetry in reports {
            devices::record_report(&tx, telemetry)?;
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
}
