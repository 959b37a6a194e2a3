//! The device registry and device health as the central stores them. Registering a
//! weather-reporting device adds its station to the network in the same transaction, and both
//! go to the change log, so every desk draws the new station without a restart. Health keeps
//! one row per device (what it last said) and one row per device-hour (the trend, downsampled);
//! only status changes are logged.

use rusqlite::{Connection, OptionalExtension, params};

use super::audit;
use super::ingest::{append_change, head};
use super::schema::{enum_from_text, enum_text, from_json, json};
use crate::domain::audit::{AuditKey, AuditRecord};
use crate::domain::devices::health::LinkState;
use crate::domain::devices::{
    Device, DeviceId, DeviceKind, Presence, Status, StatusSince, Telemetry,
};
use crate::domain::refusal::{Code, Refusal};
use crate::domain::{Station, StationId, StationKind, Timestamp};
use crate::protocol::devices::{DeviceHealth, DeviceStatusChange, HealthHour};
use crate::protocol::{ChangeData, StationDto};
use crate::store::{Context as _, StoreError};

/// Migration 21: the registry, each device's last word, and its hourly health.
pub const SCHEMA: &str = "
CREATE TABLE devices (
    id            TEXT    PRIMARY KEY,
    record        TEXT    NOT NULL,        -- domain::devices::Device as JSON
    station       TEXT    UNIQUE REFERENCES stations(id),
    registered_at INTEGER NOT NULL,
    changed_at    INTEGER NOT NULL
);
CREATE TABLE device_health (
    device        TEXT    PRIMARY KEY REFERENCES devices(id),
    last_seen     INTEGER,                 -- when the central last received a report
    last_time     INTEGER,                 -- the newest report's observation time
    battery_v     REAL,
    supply_v      REAL,
    rssi_dbm      REAL,
    drift_ms      INTEGER,
    link          TEXT    NOT NULL,        -- LinkState as JSON
    presence      TEXT,                    -- online | offline
    status        TEXT    NOT NULL,        -- StatusSince as JSON: the state last logged
    next_check    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE device_health_hours (
    device        TEXT    NOT NULL REFERENCES devices(id),
    hour          INTEGER NOT NULL,        -- start of the hour, Unix ms
    reports       INTEGER NOT NULL,
    battery_min   REAL,
    battery_v     REAL,
    supply_v      REAL,
    rssi_sum      REAL,
    rssi_count    INTEGER NOT NULL DEFAULT 0,
    drift_ms      INTEGER,
    PRIMARY KEY (device, hour)
) WITHOUT ROWID;
";

const HOUR_MS: i64 = 3_600_000;

/// Why a device record was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The record contradicts the registry or the network (unknown township, a taken id…).
    #[error("{0}")]
    Refused(Refusal),
    /// No device has that id.
    #[error("no device {0}")]
    NotFound(DeviceId),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn refused(code: Code, field: &str, value: impl Into<String>) -> RegistryError {
    RegistryError::Refused(Refusal::new(code).with(field, value.into()))
}

fn names_unknown(field: &str, value: impl Into<String>) -> RegistryError {
    let refusal = Refusal::new(Code::DeviceNamesUnknown).with("field", field.to_owned());
    RegistryError::Refused(refusal.with("value", value.into()))
}

/// The station a weather-reporting device reports as.
pub fn station_of(device: &Device) -> Option<Station> {
    let id = device.station.clone()?;
    let kind = match device.kind {
        DeviceKind::WeatherStation => StationKind::Regional,
        DeviceKind::GardenStation => StationKind::Garden,
        DeviceKind::GreenhouseController => StationKind::Greenhouse,
        DeviceKind::RelayBoard | DeviceKind::Dtu => return None,
    };
    // A simulated device's station says so wherever it is drawn (map, list, charts).
    let name_zh = if device.simulated {
        format!("{}（模拟）", device.name_zh)
    } else {
        device.name_zh.clone()
    };
    Some(Station {
        id,
        name_zh,
        name_en: device.id.to_string(),
        kind,
        location: device.location,
        altitude_m: device.altitude_m,
        township: device.township,
        uncertainty: None,
    })
}

/// Registers `device` (or, with `replace`, changes the registered one) inside `conn`'s
/// transaction: its station joins the network, both are logged, the audit entry written.
pub fn save(
    conn: &Connection,
    device: &Device,
    replace: bool,
    now: Timestamp,
    seal: Option<&AuditKey>,
    audit: &dyn Fn(&Device) -> AuditRecord,
) -> Result<u64, RegistryError> {
    device
        .validate()
        .map_err(|e| refused(Code::InvalidDevice, "field", e.field()))?;
    let exists = read_device(conn, &device.id)?.is_some();
    match (exists, replace) {
        (true, false) => return Err(refused(Code::DeviceExists, "device", device.id.to_string())),
        (false, true) => return Err(RegistryError::NotFound(device.id.clone())),
        _ => {}
    }
    check_references(conn, device)?;
    if let Some(station) = station_of(device) {
        save_station(conn, &station)?;
        append_change(conn, now, &ChangeData::Station(StationDto::from(&station)))?;
    }
    write_device(conn, device, now)?;
    if !exists {
        let never = StatusSince {
            status: Status::NeverSeen,
            since: now,
        };
        conn.execute(
            "INSERT INTO device_health (device, link, status) VALUES (?1, ?2, ?3)",
            params![device.id.as_str(), json(&LinkState::Normal)?, json(&never)?],
        )
        .context("creating device health")?;
    }
    append_change(conn, now, &ChangeData::Device(Box::new(device.clone())))?;
    audit::append(conn, seal, audit(device))?;
    Ok(head(conn)?)
}

/// What the record names must exist: its township, reference station and DTU; its station id
/// must be free or already its own.
fn check_references(conn: &Connection, device: &Device) -> Result<(), RegistryError> {
    let township: Option<u32> = conn
        .query_row(
            "SELECT code FROM townships WHERE code = ?1",
            [device.township.0],
            |r| r.get(0),
        )
        .optional()
        .context("checking township")?;
    if township.is_none() {
        return Err(names_unknown("township", device.township.to_string()));
    }
    if let Some(reference) = &device.reference_station
        && !station_row_exists(conn, reference)?
    {
        return Err(names_unknown("reference station", reference.as_str()));
    }
    if let Some(dtu) = &device.dtu {
        let is_dtu = read_device(conn, dtu)?.is_some_and(|d| d.kind == DeviceKind::Dtu);
        if !is_dtu {
            return Err(names_unknown("DTU", dtu.as_str()));
        }
    }
    if let Some(station) = &device.station {
        let owner: Option<String> = conn
            .query_row(
                "SELECT id FROM devices WHERE station = ?1",
                [station.as_str()],
                |r| r.get(0),
            )
            .optional()
            .context("checking station owner")?;
        let taken_by_other = owner.as_deref().is_some_and(|o| o != device.id.as_str());
        let network_station = owner.is_none() && station_row_exists(conn, station)?;
        if taken_by_other || network_station {
            return Err(refused(Code::StationTaken, "station", station.as_str()));
        }
    }
    Ok(())
}

fn station_row_exists(conn: &Connection, id: &StationId) -> Result<bool, StoreError> {
    super::schema::station_exists(conn, id)
}

fn save_station(conn: &Connection, s: &Station) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO stations (id, name_zh, name_en, kind, lat, lon, altitude_m, township, uncertainty)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL)
         ON CONFLICT (id) DO UPDATE SET name_zh = ?2, name_en = ?3, kind = ?4, lat = ?5,
             lon = ?6, altitude_m = ?7, township = ?8",
        params![
            s.id.as_str(),
            s.name_zh,
            s.name_en,
            enum_text(&s.kind)?,
            s.location.lat,
            s.location.lon,
            s.altitude_m,
            s.township.0
        ],
    )
    .context("saving a device's station")?;
    Ok(())
}

fn write_device(conn: &Connection, device: &Device, now: Timestamp) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO devices (id, record, station, registered_at, changed_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (id) DO UPDATE SET record = ?2, station = ?3, changed_at = ?4",
        params![
            device.id.as_str(),
            json(device)?,
            device.station.as_ref().map(StationId::as_str),
            now.0
        ],
    )
    .context("saving device")?;
    Ok(())
}

/// The device with this id.
pub fn read_device(conn: &Connection, id: &DeviceId) -> Result<Option<Device>, StoreError> {
    let record: Option<String> = conn
        .query_row(
            "SELECT record FROM devices WHERE id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )
        .optional()
        .context("reading device")?;
    record.map(|r| from_json(&r)).transpose()
}

/// Every device, by id.
pub fn devices(conn: &Connection) -> Result<Vec<Device>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT record FROM devices ORDER BY id")
        .context("preparing devices")?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .context("reading devices")?;
    rows.map(|r| from_json(&r.context("reading device")?))
        .collect()
}

/// Every device with its health, by id; `since` bounds the 24 h report count.
pub fn devices_with_health(
    conn: &Connection,
    since: Timestamp,
) -> Result<Vec<(Device, DeviceHealth)>, StoreError> {
    devices(conn)?
        .into_iter()
        .map(|d| {
            let health = health(conn, &d.id, since)?;
            Ok((d, health))
        })
        .collect()
}

/// A device's health as stored, with the reports received since `since`.
pub fn health(
    conn: &Connection,
    device: &DeviceId,
    since: Timestamp,
) -> Result<DeviceHealth, StoreError> {
    let row = conn
        .query_row(
            "SELECT last_seen, last_time, battery_v, supply_v, rssi_dbm, drift_ms, link,
                    presence, status
             FROM device_health WHERE device = ?1",
            [device.as_str()],
            |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                ))
            },
        )
        .context("reading device health")?;
    let (last_seen, last_time, (battery_v, supply_v, rssi_dbm, drift), link, presence, status) =
        row;
    let reports_24h: u32 = conn
        .query_row(
            "SELECT coalesce(sum(reports), 0) FROM device_health_hours
             WHERE device = ?1 AND hour >= ?2",
            params![device.as_str(), hour_of(since).0],
            |r| r.get(0),
        )
        .context("counting reports")?;
    Ok(DeviceHealth {
        last_seen: last_seen.map(Timestamp),
        last_time: last_time.map(Timestamp),
        battery_v,
        supply_v,
        rssi_dbm,
        clock_drift_ms: drift,
        link: from_json(&link)?,
        presence: presence.map(|p| enum_from_text(&p)).transpose()?,
        status: from_json(&status)?,
        reports_24h,
    })
}

/// Records what `report` says of its device's health: its last word, and its hour's trend.
pub fn record_report(conn: &Connection, report: &Telemetry) -> Result<(), StoreError> {
    let h = report.health;
    let drift = report.clock_drift_ms();
    conn.prepare_cached(
        "UPDATE device_health SET
             last_seen = max(coalesce(last_seen, ?2), ?2),
             last_time = max(coalesce(last_time, ?3), ?3),
             battery_v = coalesce(?4, battery_v), supply_v = coalesce(?5, supply_v),
             rssi_dbm = coalesce(?6, rssi_dbm), drift_ms = coalesce(?7, drift_ms)
         WHERE device = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            report.device.as_str(),
            report.received.0,
            report.time.0,
            h.battery_v,
            h.supply_v,
            h.rssi_dbm,
            drift
        ])
    })
    .context("recording device health")?;
    conn.prepare_cached(
        "INSERT INTO device_health_hours
             (device, hour, reports, battery_min, battery_v, supply_v, rssi_sum, rssi_count, drift_ms)
         VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5, ?5 IS NOT NULL, ?6)
         ON CONFLICT (device, hour) DO UPDATE SET
             reports = reports + 1,
             battery_min = min(coalesce(battery_min, ?3), coalesce(?3, battery_min)),
             battery_v = coalesce(?3, battery_v), supply_v = coalesce(?4, supply_v),
             rssi_sum = coalesce(rssi_sum, 0) + coalesce(?5, 0),
             rssi_count = rssi_count + (?5 IS NOT NULL),
             drift_ms = CASE WHEN ?6 IS NOT NULL AND abs(?6) > abs(coalesce(drift_ms, 0))
                             THEN ?6 ELSE drift_ms END",
    )
    .and_then(|mut s| {
        s.execute(params![
            report.device.as_str(),
            hour_of(report.received).0,
            h.battery_v,
            h.supply_v,
            h.rssi_dbm,
            drift
        ])
    })
    .context("recording device health hour")?;
    Ok(())
}

/// A device's hours from `since`, oldest first.
pub fn trend(
    conn: &Connection,
    device: &DeviceId,
    since: Timestamp,
) -> Result<Vec<HealthHour>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT hour, reports, battery_min, battery_v, supply_v,
                    CASE WHEN rssi_count > 0 THEN rssi_sum / rssi_count END, drift_ms
             FROM device_health_hours WHERE device = ?1 AND hour >= ?2 ORDER BY hour",
        )
        .context("preparing health trend")?;
    let rows = stmt
        .query_map(params![device.as_str(), hour_of(since).0], |r| {
            Ok(HealthHour {
                hour: Timestamp(r.get(0)?),
                reports: r.get(1)?,
                battery_min_v: r.get(2)?,
                battery_v: r.get(3)?,
                supply_v: r.get(4)?,
                rssi_dbm: r.get(5)?,
                clock_drift_ms: r.get(6)?,
            })
        })
        .context("reading health trend")?;
    rows.map(|r| r.context("reading health hour")).collect()
}

/// Sets a device's link state (a polled device's last exchange).
pub fn set_link(conn: &Connection, device: &DeviceId, link: LinkState) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE device_health SET link = ?2 WHERE device = ?1",
        params![device.as_str(), json(&link)?],
    )
    .context("setting device link")?;
    Ok(())
}

/// Sets what the broker says of a device's connection.
pub fn set_presence(
    conn: &Connection,
    device: &DeviceId,
    presence: Presence,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE device_health SET presence = ?2 WHERE device = ?1",
        params![device.as_str(), enum_text(&presence)?],
    )
    .context("setting device presence")?;
    Ok(())
}

/// Stores a device's new status and logs it for desks.
pub fn set_status(
    conn: &Connection,
    device: &DeviceId,
    status: StatusSince,
    last_seen: Option<Timestamp>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    conn.execute(
        "UPDATE device_health SET status = ?2 WHERE device = ?1",
        params![device.as_str(), json(&status)?],
    )
    .context("setting device status")?;
    append_change(
        conn,
        now,
        &ChangeData::DeviceStatus(DeviceStatusChange {
            device: device.clone(),
            status,
            last_seen,
        }),
    )
}

/// The start of the hour `t` falls in.
pub fn hour_of(t: Timestamp) -> Timestamp {
    Timestamp(t.0.div_euclid(HOUR_MS) * HOUR_MS)
}
