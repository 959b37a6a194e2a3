//! The registry and device health over HTTP. Technicians (`manage_devices`) register and change
//! devices; everyone who reads sees them with their health. Registering a weather-reporting
//! device adds its station in the same transaction, so desks draw it at their next change.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::central::auth::Principal;
use crate::central::core::AppState;
use crate::central::error::{ApiJson, ApiPath, Failure};
use crate::domain::Timestamp;
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, Outcome};
use crate::domain::devices::health::{battery_forecast, completeness, lateness};
use crate::domain::devices::{Device, DeviceId};
use crate::domain::refusal::{Code, Refusal};
use crate::protocol::devices::{BATTERY_CUTOFF_V, DeviceList, DeviceView, HealthPage};
use crate::store::central::RegistryError;

const DAY_MS: i64 = 86_400_000;
/// How far back a device's health page reaches.
const TREND_DAYS: i64 = 14;

impl From<RegistryError> for Failure {
    fn from(error: RegistryError) -> Self {
        match error {
            RegistryError::NotFound(id) => Self::not_found(&unknown(&id)),
            RegistryError::Refused(refusal) => match refusal.code {
                Code::DeviceExists | Code::StationTaken => Self::conflict(&refusal),
                _ => Self::invalid(&refusal),
            },
            RegistryError::Store(error) => Self::store(&error),
        }
    }
}

fn unknown(id: &impl std::fmt::Display) -> Refusal {
    Refusal::new(Code::UnknownDeviceId).with("device", id.to_string())
}

/// `GET /devices`: every device with its health.
pub async fn list(State(state): State<AppState>) -> Result<Json<DeviceList>, Failure> {
    let now = state.clock().now();
    let rows = state
        .blocking(move |store| store.devices_with_health(now.plus_ms(-DAY_MS)))
        .await?;
    let devices = rows
        .into_iter()
        .map(|(device, health)| DeviceView { device, health })
        .collect();
    Ok(Json(DeviceList { devices, now }))
}

/// `POST /devices`: registers a device; 201 with it as stored.
pub async fn register(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(device): ApiJson<Device>,
) -> Result<(StatusCode, Json<Device>), Failure> {
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::DeviceRegistered, Outcome::Ok);
    let saved = save(&state, record, device, false).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// `PUT /devices/{id}`: replaces a registered device's record.
pub async fn replace(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(device): ApiJson<Device>,
) -> Result<Json<Device>, Failure> {
    // A path that names no possible device names none registered.
    DeviceId::parse(&id).map_err(|_| Failure::not_found(&unknown(&id)))?;
    if device.id.as_str() != id {
        return Err(Failure::invalid(&Refusal::new(Code::InvalidDevice).with(
            "reason",
            format!("the body is device {}, the path {id}", device.id),
        )));
    }
    let now = state.clock().now();
    let record = principal.record(now, AuditAction::DeviceChanged, Outcome::Ok);
    Ok(Json(save(&state, record, device, true).await?))
}

/// Saves `device`, audited as `record` says, logs it, and tells the transports.
async fn save(
    state: &AppState,
    record: AuditRecord,
    device: Device,
    replace: bool,
) -> Result<Device, Failure> {
    let now = record.at;
    let saved = device.clone();
    let (head, devices) = state
        .call(move |store| {
            let audit = |d: &Device| record.clone().target(target(d)).detail(&describe(d));
            let head = store.save_device(&device, replace, now, &audit)?;
            Ok((head, store.devices()?))
        })
        .await?;
    state.advance_head(head);
    state.devices().publish(devices);
    if saved.station.is_some() {
        state.recount_stations().await?;
    }
    tracing::info!(device = %saved.id, kind = ?saved.kind, replace, "device saved");
    Ok(saved)
}

/// Registers those of `devices` not registered yet, audited as the central's own act.
pub async fn register_missing(state: &AppState, devices: Vec<Device>) -> Result<usize, Failure> {
    let registered = state.devices().devices();
    let mut added = 0;
    for device in devices {
        if registered.iter().any(|d| d.id == device.id) {
            continue;
        }
        let now = state.clock().now();
        let record = AuditRecord::new(
            now,
            "central",
            "",
            AuditAction::DeviceRegistered,
            Outcome::Ok,
        );
        save(state, record, device, false).await?;
        added += 1;
    }
    Ok(added)
}

fn target(device: &Device) -> String {
    format!("device:{}", device.id)
}

fn describe(device: &Device) -> AuditDetail {
    AuditDetail::Device {
        device: device.id.to_string(),
        kind: format!("{:?}", device.kind),
        station: device.station.as_ref().map(ToString::to_string),
    }
}

/// `GET /devices/{id}/health`: the device, its health judged now, its trend and forecast.
pub async fn health(
    State(state): State<AppState>,
    ApiPath(id): ApiPath,
) -> Result<Json<HealthPage>, Failure> {
    let id = DeviceId::parse(&id).map_err(|_| Failure::not_found(&unknown(&id)))?;
    let now = state.clock().now();
    let (found, trend) = state
        .blocking({
            let id = id.clone();
            move |store| {
                let found = store.device_health(&id, now.plus_ms(-DAY_MS))?;
                let trend = store.health_trend(&id, now.plus_ms(-TREND_DAYS * DAY_MS))?;
                Ok((found, trend))
            }
        })
        .await?;
    let (device, health) = found.ok_or_else(|| Failure::not_found(&unknown(&id)))?;
    Ok(Json(health_page(device, health, trend, now)))
}

fn health_page(
    device: Device,
    health: crate::protocol::devices::DeviceHealth,
    trend: Vec<crate::protocol::devices::HealthHour>,
    now: Timestamp,
) -> HealthPage {
    let battery: Vec<(Timestamp, f64)> = trend
        .iter()
        .filter_map(|h| Some((h.hour, h.battery_v?)))
        .collect();
    HealthPage {
        lateness: lateness(health.last_seen, device.interval_ms(), now),
        completeness_24h: completeness(health.reports_24h, DAY_MS, device.interval_ms()),
        battery: battery_forecast(&battery, BATTERY_CUTOFF_V),
        view: DeviceView { device, health },
        trend,
        now,
    }
}
