//! Maintenance windows over HTTP: a technician records when a station is worked on, and ends
//! the window when done, so the gaps and odd values of that time are explained.
//!
//! Every change is stored, appended to the change log (consoles sync it) and audited in one
//! transaction ([`crate::store::central::maintenance`]); the head then advances so live
//! streams wake.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::Principal;
use super::core::AppState;
use super::error::{ApiJson, ApiPath, ApiQuery, Failure};
use super::handlers::query_station;
use crate::domain::Timestamp;
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, Change, Outcome};
use crate::domain::maintenance::visit::Visit;
use crate::domain::maintenance::{self, MaintenanceWindow, check_span, check_start};
use crate::domain::refusal::{Code, Refusal};
use crate::protocol::{
    MaintenanceDto, MaintenanceList, MaintenanceQuery, MaintenanceUpdate, NewMaintenance,
};
use crate::store::central::{NewWindow, WindowChange};

/// `GET /maintenance[?station=]`: every window, newest first.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<MaintenanceQuery>,
) -> Result<Json<MaintenanceList>, Failure> {
    let station = query.station.as_deref().map(query_station).transpose()?;
    let windows = state
        .call(move |store| {
            if let Some(station) = &station
                && !store.network()?.stations.iter().any(|s| &s.id == station)
            {
                return Err(Failure::unknown_station(station));
            }
            Ok((
                store.maintenance(station.as_ref())?,
                store.maintenance_visits()?,
            ))
        })
        .await?;
    let (windows, mut visits) = windows;
    let windows = windows
        .iter()
        .map(|w| MaintenanceDto::from(w).with_visit(visits.remove(&w.id)))
        .collect();
    Ok(Json(MaintenanceList { windows }))
}

/// Who a window is recorded by: the user's login name (or the device's name).
fn recorded_by(principal: &Principal) -> String {
    match principal {
        Principal::User(user) => user.username.to_string(),
        Principal::Device(name, _) => name.to_string(),
    }
}

fn invalid(error: maintenance::WindowError) -> Failure {
    Failure::invalid(&Refusal::from(&error))
}

/// Checks a new window at `now`, short of the station's membership of the network; returns
/// its note as kept.
fn check_new(request: &NewMaintenance, now: Timestamp) -> Result<String, Failure> {
    let note = maintenance::note(&request.note).map_err(invalid)?;
    check_span(request.from, request.to).map_err(invalid)?;
    check_start(request.from, now).map_err(invalid)?;
    Ok(note)
}

/// What the audit log says of a window.
fn describe(window: &MaintenanceWindow) -> AuditDetail {
    AuditDetail::MaintenanceRecorded {
        station: window.station.to_string(),
        start: window.from,
        end: window.to,
        note: window.note.clone(),
    }
}

fn target(window: &MaintenanceWindow) -> String {
    format!("maintenance:{}", window.id)
}

/// `POST /maintenance`: records a window; 201 with it as stored.
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<NewMaintenance>,
) -> Result<(StatusCode, Json<MaintenanceDto>), Failure> {
    let now = state.clock().now();
    let station = query_station(&request.station)?;
    let note = check_new(&request, now)?;
    let visit = request
        .visit
        .clone()
        .map(Visit::checked)
        .transpose()
        .map_err(|e| {
            Failure::invalid(&Refusal::new(Code::InvalidVisit).with("reason", e.to_string()))
        })?;
    let window = NewWindow {
        station,
        from: request.from,
        to: request.to,
        note,
        recorded_by: recorded_by(&principal),
        visit: visit.clone(),
    };
    let record = principal.record(now, AuditAction::MaintenanceRecorded, Outcome::Ok);
    let (stored, head) = state
        .call(move |store| {
            if !store
                .network()?
                .stations
                .iter()
                .any(|s| s.id == window.station)
            {
                return Err(Failure::invalid(
                    &Refusal::new(Code::UnknownStation).with("station", window.station.to_string()),
                ));
            }
            let audit =
                |w: &MaintenanceWindow| record.clone().target(target(w)).detail(&describe(w));
            Ok(store.record_maintenance(&window, now, &audit)?)
        })
        .await?;
    state.advance_head(head);
    tracing::info!(id = stored.id, station = %stored.station, "maintenance recorded");
    let dto = MaintenanceDto::from(&stored).with_visit(visit);
    Ok((StatusCode::CREATED, Json(dto)))
}

/// The change a `PATCH` asks for, checked.
fn parse_update(update: &MaintenanceUpdate) -> Result<WindowChange, Failure> {
    if update.to.is_none() && update.note.is_none() {
        return Err(Failure::invalid(&Refusal::new(Code::NothingToChange)));
    }
    Ok(WindowChange {
        to: update.to,
        note: update
            .note
            .as_deref()
            .map(maintenance::note)
            .transpose()
            .map_err(invalid)?,
    })
}

/// What changed between two states of a window, for the audit log.
fn changes(before: &MaintenanceWindow, after: &MaintenanceWindow) -> AuditDetail {
    AuditDetail::MaintenanceChanged {
        station: after.station.to_string(),
        end: (before.to != after.to).then_some(Change {
            before: before.to,
            after: after.to,
        }),
        note: (before.note != after.note).then(|| Change {
            before: before.note.clone(),
            after: after.note.clone(),
        }),
    }
}

/// `PATCH /maintenance/{id}`: ends a window and/or corrects its note.
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(text): ApiPath,
    ApiJson(request): ApiJson<MaintenanceUpdate>,
) -> Result<Json<MaintenanceDto>, Failure> {
    let id: u64 = text.parse().map_err(|_| {
        Failure::not_found(&Refusal::new(Code::UnknownWindow).with("id", text.as_str()))
    })?;
    let change = parse_update(&request)?;
    let now = state.clock().now();
    let record: AuditRecord = principal.record(now, AuditAction::MaintenanceChanged, Outcome::Ok);
    let (stored, head) = state
        .call(move |store| {
            let audit = |before: &MaintenanceWindow, after: &MaintenanceWindow| {
                record
                    .clone()
                    .target(target(after))
                    .detail(&changes(before, after))
            };
            Ok(store.change_maintenance(id, &change, now, &audit)?)
        })
        .await?;
    state.advance_head(head);
    tracing::info!(id = stored.id, station = %stored.station, "maintenance changed");
    Ok(Json(MaintenanceDto::from(&stored)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StationId;
    use crate::domain::time::{DAY_MS, HOUR_MS};

    fn window(to: Option<i64>, note: &str) -> MaintenanceWindow {
        MaintenanceWindow {
            id: 7,
            station: StationId::parse("708301").unwrap(),
            from: Timestamp(0),
            to: to.map(Timestamp),
            note: note.into(),
            recorded_by: "technician".into(),
        }
    }

    #[test]
    fn new_windows_are_checked() {
        let now = Timestamp(10 * DAY_MS);
        let request = |from: i64, to: Option<i64>, note: &str| NewMaintenance {
            station: "708301".into(),
            from: Timestamp(from),
            to: to.map(Timestamp),
            note: note.into(),
            visit: None,
        };
        let ok = check_new(&request(now.millis() - HOUR_MS, None, " 校准 "), now).unwrap();
        assert_eq!(ok, "校准");
        let cases = [
            (request(0, None, "  "), "note must not be empty"),
            (request(0, Some(0), "x"), "must be after from"),
            (
                request(now.millis() + DAY_MS + 1, None, "x"),
                "more than a day",
            ),
        ];
        for (r, says) in cases {
            let failure = check_new(&r, now).unwrap_err();
            assert_eq!(failure.status, StatusCode::BAD_REQUEST);
            assert!(
                failure.body.message.contains(says),
                "{}",
                failure.body.message
            );
        }
    }

    #[test]
    fn updates_need_something_to_change() {
        assert!(parse_update(&MaintenanceUpdate::default()).is_err());
        let change = parse_update(&MaintenanceUpdate {
            to: None,
            note: Some(" 更换雨量筒 ".into()),
        })
        .unwrap();
        assert_eq!(change.note.as_deref(), Some("更换雨量筒"));
        assert!(
            parse_update(&MaintenanceUpdate {
                to: None,
                note: Some(String::new()),
            })
            .is_err()
        );
    }

    #[test]
    fn the_audit_says_what_changed() {
        let before = window(None, "校准");
        assert_eq!(
            changes(&before, &window(Some(HOUR_MS), "校准")),
            AuditDetail::MaintenanceChanged {
                station: "708301".into(),
                end: Some(Change {
                    before: None,
                    after: Some(Timestamp(HOUR_MS)),
                }),
                note: None,
            }
        );
        assert_eq!(
            changes(&before, &window(None, "换传感器")),
            AuditDetail::MaintenanceChanged {
                station: "708301".into(),
                end: None,
                note: Some(Change {
                    before: "校准".into(),
                    after: "换传感器".into(),
                }),
            }
        );
        assert_eq!(
            describe(&before),
            AuditDetail::MaintenanceRecorded {
                station: "708301".into(),
                start: Timestamp(0),
                end: None,
                note: "校准".into(),
            }
        );
    }
}
