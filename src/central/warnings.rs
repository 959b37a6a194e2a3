//! Warnings over HTTP (issue 11): a duty forecaster submits a composition, a supervisor
//! approves or returns it, the approved record is released, and every desk syncs the record.
//! The central enforces the rules: approver ≠ drafter, approval pins the content (any edit
//! voids it), lifecycle and pre-send checks, signing alone only where the bureau allows it.
//!
//! Each step is decided on the records as stored inside the write transaction
//! ([`rules`]), which also logs the records for desks and writes the audit entry (no
//! personal data: the record's id, never recipients).

pub mod deliveries;
pub mod dispatch;
mod export;
pub mod rules;
pub mod settings;
pub mod signals;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use self::rules::Actor;
use super::auth::Principal;
use super::core::AppState;
use super::error::{ApiJson, ApiPath, ApiQuery, Failure};
use crate::domain::Timestamp;
use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::refusal::{Code, Refusal};
use crate::domain::warning::approval::state_name;
use crate::protocol::warnings::{
    PinRequest, ReturnRequest, WarningContent, WarningList, WarningQuery, WarningRecord,
};
use crate::store::central::{WarningBook, WarningError, WarningWrite};

pub use settings::WarningSettings;

/// Most records one `GET /warnings` answers.
pub const MAX_LIST: usize = 1000;

/// `GET /warnings/signals`: the signal set warnings are judged by, for the desks.
pub async fn signals(
    State(state): State<AppState>,
) -> Json<crate::protocol::warnings::SignalSetDto> {
    Json(state.warnings().signals.served().clone())
}

/// `GET /warnings[?state=&limit=]`: records, newest first.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<WarningQuery>,
) -> Result<Json<WarningList>, Failure> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(Failure::invalid(
            &Refusal::new(Code::OutOfBounds)
                .with("name", "limit")
                .with("value", limit)
                .with("max", MAX_LIST),
        ));
    }
    if let Some(wanted) = query.state.as_deref()
        && !["submitted", "returned", "approved", "sent"].contains(&wanted)
    {
        return Err(Failure::bad_request(format!(
            "state={wanted} is not a state (submitted, returned, approved, sent)"
        )));
    }
    let records = state.blocking(|store| store.warnings()).await?;
    let warnings = records
        .into_iter()
        .filter(|r| {
            query
                .state
                .as_deref()
                .is_none_or(|s| state_name(&r.state) == s)
        })
        .take(limit)
        .collect();
    Ok(Json(WarningList { warnings }))
}

pub(super) fn unknown(id: &str) -> Failure {
    Failure::not_found(&Refusal::new(Code::UnknownWarning).with("id", id))
}

/// `GET /warnings/{id}`.
pub async fn one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath,
) -> Result<Json<WarningRecord>, Failure> {
    let lookup = id.clone();
    let record = state.blocking(move |store| store.warning(&lookup)).await?;
    record.map(Json).ok_or_else(|| unknown(&id))
}

/// The login name a step is recorded under (devices never reach these routes: the matrix
/// gives them no warning capability).
pub(super) fn actor_name(principal: &Principal) -> String {
    match principal {
        Principal::User(user) => user.username.to_string(),
        Principal::Device(name, _) => name.to_string(),
    }
}

/// The name shown for whoever takes a step (a device has only its name).
fn shown_name(principal: &Principal) -> String {
    match principal {
        Principal::User(user) => user.display_name.clone(),
        Principal::Device(name, _) => name.to_string(),
    }
}

/// A step on the records, decided by `decide` inside the store's transaction; the head
/// advances, the step is logged (id and state only) and the acted-on record answered.
async fn write(
    state: &AppState,
    principal: &Principal,
    action: AuditAction,
    target: Option<String>,
    decide: impl Fn(&WarningBook, Actor<'_>, Timestamp) -> Result<Vec<WarningRecord>, WarningError>
    + Send
    + Sync
    + 'static,
) -> Result<WarningRecord, Failure> {
    let now = state.clock().now();
    let name = actor_name(principal);
    let shown = shown_name(principal);
    let role = principal.role();
    let audit = principal.record(now, action, Outcome::Ok);
    let (records, head) = state
        .call(move |store| {
            let step = |book: &WarningBook| {
                let mut records = decide(book, Actor { name: &name, role }, now)?;
                // Each step keeps the name its taker is shown as.
                let steps = records.iter_mut().flat_map(|r| r.steps.iter_mut());
                for step in steps.filter(|s| s.by == name && s.name.is_none()) {
                    step.name = Some(shown.clone());
                }
                let id = target
                    .clone()
                    .or_else(|| records.first().map(|r| r.id.clone()));
                let audit = audit
                    .clone()
                    .target(format!("warning:{}", id.unwrap_or_default()));
                Ok(WarningWrite { records, audit })
            };
            store.write_warnings(now, &step).map_err(Failure::from)
        })
        .await?;
    state.advance_head(head);
    let record = records
        .into_iter()
        .next()
        .ok_or_else(|| Failure::internal("nothing written"))?;
    tracing::info!(id = %record.id, action = action.code(), state = state_name(&record.state), "warning step");
    Ok(record)
}

fn settings(state: &AppState) -> WarningSettings {
    state.warnings().clone()
}

/// `POST /warnings`: a forecaster submits a composition for approval; 201 with the record.
pub async fn submit(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(content): ApiJson<WarningContent>,
) -> Result<(StatusCode, Json<WarningRecord>), Failure> {
    let settings = settings(&state);
    let record = write(
        &state,
        &principal,
        AuditAction::WarningSubmitted,
        None,
        move |book, actor, now| {
            rules::check_content(&content, settings.signals.catalogue(), &settings, now)?;
            rules::check_lifecycle(&content, book, now)?;
            Ok(vec![rules::submit(book, content.clone(), actor.name, now)])
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

fn existing<'b>(book: &'b WarningBook, id: &str) -> Result<&'b WarningRecord, WarningError> {
    book.find(id)
        .ok_or_else(|| WarningError::NotFound(Refusal::new(Code::UnknownWarning).with("id", id)))
}

/// `POST /warnings/{id}/revise`: the drafter's new content; submitted again, approval void.
pub async fn revise(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(content): ApiJson<WarningContent>,
) -> Result<Json<WarningRecord>, Failure> {
    let settings = settings(&state);
    let target = Some(id.clone());
    let record = write(
        &state,
        &principal,
        AuditAction::WarningRevised,
        target,
        move |book, actor, now| {
            let record = existing(book, &id)?;
            let revised = rules::revise(record, content.clone(), actor, now)?;
            rules::check_content(&content, settings.signals.catalogue(), &settings, now)?;
            rules::check_lifecycle(&content, book, now)?;
            Ok(vec![revised])
        },
    )
    .await?;
    Ok(Json(record))
}

/// `POST /warnings/{id}/approve`: a supervisor approves the record as pinned.
pub async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(request): ApiJson<PinRequest>,
) -> Result<Json<WarningRecord>, Failure> {
    let target = Some(id.clone());
    let record = write(
        &state,
        &principal,
        AuditAction::WarningApproved,
        target,
        move |book, actor, now| {
            Ok(vec![rules::approve(
                existing(book, &id)?,
                &request.pin,
                actor,
                now,
            )?])
        },
    )
    .await?;
    Ok(Json(record))
}

/// `POST /warnings/{id}/return`: a supervisor returns it with a comment.
pub async fn send_back(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(request): ApiJson<ReturnRequest>,
) -> Result<Json<WarningRecord>, Failure> {
    let target = Some(id.clone());
    let record = write(
        &state,
        &principal,
        AuditAction::WarningReturned,
        target,
        move |book, actor, now| {
            Ok(vec![rules::send_back(
                existing(book, &id)?,
                &request.comment,
                actor,
                now,
            )?])
        },
    )
    .await?;
    Ok(Json(record))
}

/// `POST /warnings/{id}/sign-alone`: the drafter signs a continue or lift alone, where the
/// bureau's policy allows it now.
pub async fn sign_alone(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(request): ApiJson<PinRequest>,
) -> Result<Json<WarningRecord>, Failure> {
    let policy = settings(&state).alone;
    let target = Some(id.clone());
    let record = write(
        &state,
        &principal,
        AuditAction::WarningSignedAlone,
        target,
        move |book, actor, now| {
            let record = existing(book, &id)?;
            Ok(vec![rules::sign_alone(
                record,
                &request.pin,
                actor,
                &policy,
                now,
            )?])
        },
    )
    .await?;
    Ok(Json(record))
}

/// `POST /warnings/{id}/release`: an approved record leaves the building.
pub async fn release(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(request): ApiJson<PinRequest>,
) -> Result<Json<WarningRecord>, Failure> {
    let issuer = settings(&state).issuer_code;
    let target = Some(id.clone());
    let record = write(
        &state,
        &principal,
        AuditAction::WarningReleased,
        target,
        move |book, actor, now| {
            rules::release(
                existing(book, &id)?,
                &request.pin,
                actor,
                book,
                &issuer,
                now,
            )
        },
    )
    .await?;
    // A crash here leaves a released record without rows: the start-up sweep makes them.
    if let Err(tripped) = state
        .channels()
        .failpoints
        .hit(dispatch::AFTER_RECORD_BEFORE_ROWS)
    {
        tracing::error!(%tripped, "released; its rows are left to the start-up sweep");
        return Ok(Json(record));
    }
    super::callout::open(&state, &record).await;
    dispatch::leave_the_building(&state, &record).await;
    Ok(Json(record))
}

/// `GET /warnings/{id}/cap`: the CAP 1.2 XML of a released record.
pub async fn cap(
    State(state): State<AppState>,
    ApiPath(id): ApiPath,
) -> Result<impl IntoResponse, Failure> {
    let settings = settings(&state);
    let lookup = id.clone();
    let (record, followed, network) = state
        .blocking(move |store| {
            let record = store.warning(&lookup)?;
            let follows = record.as_ref().and_then(|r| r.content.follows.clone());
            let followed = follows.map(|f| store.warning(&f)).transpose()?.flatten();
            Ok((record, followed, store.network()?))
        })
        .await?;
    let record = record.ok_or_else(|| unknown(&id))?;
    if record.released_at.is_none() {
        return Err(Failure::conflict(
            &Refusal::new(Code::WarningNotNow)
                .with("event", "export")
                .with("state", state_name(&record.state)),
        ));
    }
    let xml = export::cap_xml(&record, followed.as_ref(), &network, &settings)
        .map_err(|e| Failure::internal(format!("CAP of warning {id}: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    ))
}

impl From<WarningError> for Failure {
    fn from(error: WarningError) -> Self {
        match error {
            WarningError::NotFound(r) => Failure::not_found(&r),
            WarningError::Forbidden(r) => Failure::refused(StatusCode::FORBIDDEN, &r),
            WarningError::Conflict(r) => Failure::conflict(&r),
            WarningError::Unprocessable(r) => {
                Failure::refused(StatusCode::UNPROCESSABLE_ENTITY, &r)
            }
            WarningError::Store(e) => Failure::from(e),
        }
    }
}
