//! Device alarms over HTTP: everyone who reads sees them; technicians acknowledge, assign and
//! comment. Each handling goes to the alarm's timeline and, whole, to the change log.

use axum::Json;
use axum::extract::State;

use crate::central::auth::Principal;
use crate::central::core::AppState;
use crate::central::error::{ApiJson, ApiPath, Failure};
use crate::domain::access::Username;
use crate::domain::devices::alarm_book::{AlarmRecord, may_be_assigned};
use crate::domain::maintenance;
use crate::domain::refusal::{Code, Refusal};
use crate::protocol::devices::{
    AlarmAssignment, AlarmComment, AlarmDetail, AlarmList, Assignee, AssigneeList,
};
use crate::store::central::device_alarms::Handling;

const DAY_MS: i64 = 86_400_000;

fn unknown(id: &str) -> Failure {
    Failure::not_found(&Refusal::new(Code::UnknownAlarm).with("id", id.to_owned()))
}

fn alarm_id(text: &str) -> Result<u64, Failure> {
    text.parse().map_err(|_| unknown(text))
}

/// `GET /alarms`: the open alarms and those closed in the last day.
pub async fn list(State(state): State<AppState>) -> Result<Json<AlarmList>, Failure> {
    let now = state.clock().now();
    let alarms = state
        .blocking(move |store| store.alarms(now.plus_ms(-DAY_MS)))
        .await?;
    Ok(Json(AlarmList { alarms, now }))
}

/// `GET /alarms/{id}`: one alarm and its timeline.
pub async fn detail(
    State(state): State<AppState>,
    ApiPath(text): ApiPath,
) -> Result<Json<AlarmDetail>, Failure> {
    let id = alarm_id(&text)?;
    let found = state.blocking(move |store| store.device_alarm(id)).await?;
    let (alarm, events) = found.ok_or_else(|| unknown(&text))?;
    Ok(Json(AlarmDetail { alarm, events }))
}

/// `GET /alarms/assignees`: the technicians an alarm may be given to, by login name. For those
/// who assign (`manage_devices`), who may not list accounts: names only, nothing else of them.
pub async fn assignees(State(state): State<AppState>) -> Result<Json<AssigneeList>, Failure> {
    let rows = state.blocking(|store| store.users()).await?;
    let assignees = rows
        .into_iter()
        .map(|row| row.account)
        .filter(may_be_assigned)
        .map(|account| Assignee {
            username: account.username.to_string(),
            display_name: account.display_name,
        })
        .collect();
    Ok(Json(AssigneeList { assignees }))
}

/// `POST /alarms/{id}/acknowledge`.
pub async fn acknowledge(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(text): ApiPath,
) -> Result<Json<AlarmRecord>, Failure> {
    handle(&state, &principal, &text, Handling::Acknowledge).await
}

/// `POST /alarms/{id}/assign`: to an enabled technician of this central (whom
/// `GET /alarms/assignees` lists).
pub async fn assign(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(text): ApiPath,
    ApiJson(body): ApiJson<AlarmAssignment>,
) -> Result<Json<AlarmRecord>, Failure> {
    let refuse = || {
        Failure::invalid(&Refusal::new(Code::UnknownUser).with("username", body.assignee.clone()))
    };
    let username = Username::parse(&body.assignee).map_err(|_| refuse())?;
    let found = state
        .blocking({
            let username = username.clone();
            move |store| Ok(store.user(&username)?.map(|row| row.account))
        })
        .await?;
    match found {
        None => return Err(refuse()),
        Some(account) if !may_be_assigned(&account) => {
            let refusal = Refusal::new(Code::NotAssignable).with("username", username.to_string());
            return Err(Failure::invalid(&refusal));
        }
        Some(_) => {}
    }
    handle(
        &state,
        &principal,
        &text,
        Handling::Assign(username.to_string()),
    )
    .await
}

/// `POST /alarms/{id}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(text): ApiPath,
    ApiJson(body): ApiJson<AlarmComment>,
) -> Result<Json<AlarmRecord>, Failure> {
    let comment =
        maintenance::note(&body.text).map_err(|e| Failure::invalid(&Refusal::from(&e)))?;
    handle(&state, &principal, &text, Handling::Comment(comment)).await
}

async fn handle(
    state: &AppState,
    principal: &Principal,
    text: &str,
    handling: Handling,
) -> Result<Json<AlarmRecord>, Failure> {
    let id = alarm_id(text)?;
    let now = state.clock().now();
    let by = principal.actor();
    let handled = state
        .blocking(move |store| store.handle_alarm(id, &handling, &by, now))
        .await?;
    let (alarm, head) = handled.ok_or_else(|| unknown(text))?;
    state.advance_head(head);
    Ok(Json(alarm))
}
