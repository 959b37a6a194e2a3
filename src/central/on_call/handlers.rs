//! The roster's and the alarms' routes: `GET /on-call`, `PUT /on-call/{day}` (audited) and
//! `GET /alarms/{source}:{key}`. Names to every reader; numbers whole only to
//! `manage_recipients`, as the recipients list shows them.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;

use super::{beijing_day, row_prefix, wake};
use crate::central::auth::Principal;
use crate::central::core::AppState;
use crate::central::error::{ApiJson, ApiPath, ApiQuery, Failure};
use crate::central::warnings::deliveries::status;
use crate::central::warnings::dispatch::everyone;
use crate::domain::access::Capability;
use crate::domain::audit::{AuditAction, AuditDetail, Outcome};
use crate::domain::recipients::{Group, Recipient};
use crate::domain::refusal::{Code, Refusal};
use crate::protocol::on_call::{
    AlarmDeliveries, OnCallDay, OnCallInput, OnCallPerson, OnCallQuery, OnCallRoster,
};
use crate::protocol::outbox::Delivery;

/// The longest range one roster read covers, in days.
pub const MAX_DAYS: i64 = 92;

/// A Beijing date as the API writes it, or a 400 naming `what`.
fn day(text: &str, what: &str) -> Result<NaiveDate, Failure> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Failure::bad_request(format!("{what} must be a date, YYYY-MM-DD")))
}

fn person(id: u64, people: &[Recipient], whole: bool) -> OnCallPerson {
    let draft = people.iter().find(|p| p.id == id).map(|p| &p.draft);
    OnCallPerson {
        recipient: id,
        name: draft.map(|d| d.name.clone()),
        phone: draft.and_then(|d| d.phone_for(whole)),
    }
}

/// `GET /on-call?from=&to=`: the days with someone on call (both default to today).
pub async fn roster(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<OnCallQuery>,
) -> Result<Json<OnCallRoster>, Failure> {
    let today = beijing_day(state.clock().now());
    let from = day(query.from.as_deref().unwrap_or(&today), "from")?;
    let to = day(query.to.as_deref().unwrap_or(&today), "to")?;
    if to < from || (to - from).num_days() >= MAX_DAYS {
        return Err(Failure::bad_request(format!(
            "to must be on or after from, at most {MAX_DAYS} days on"
        )));
    }
    let (from, to) = (from.to_string(), to.to_string());
    let (days, people) = state
        .blocking(move |store| Ok((store.roster(&from, &to)?, everyone(store)?)))
        .await?;
    let whole = principal.may(Capability::ManageRecipients);
    let days = days
        .into_iter()
        .map(|(day, ids)| OnCallDay {
            day,
            people: ids
                .into_iter()
                .map(|id| person(id, &people, whole))
                .collect(),
        })
        .collect();
    Ok(Json(OnCallRoster { today, days }))
}

/// Why `ids` cannot be on call: an unknown id, or someone who is not active bureau staff.
fn check_people(ids: &[u64], people: &[Recipient]) -> Result<(), Failure> {
    for id in ids {
        let Some(person) = people.iter().find(|p| p.id == *id) else {
            return Err(Failure::not_found(
                &Refusal::new(Code::UnknownRecipient).with("id", *id),
            ));
        };
        if person.draft.group != Group::BureauStaff || !person.draft.active {
            return Err(Failure::bad_request(format!(
                "recipient {id} is not active bureau staff: only the bureau's own people are \
                 on call"
            )));
        }
    }
    Ok(())
}

/// 404 for a path naming nothing.
fn nothing_at(path: &str) -> Failure {
    Failure::not_found(&Refusal::new(Code::NotFound).with("path", path))
}

/// `PUT /on-call/{day}`: the day's people, replacing whoever was set; audited. Alarms waiting
/// for someone on call today go out at once. A day that is not a date names nothing: 404.
pub async fn set(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(text): ApiPath,
    ApiJson(input): ApiJson<OnCallInput>,
) -> Result<Json<OnCallDay>, Failure> {
    let date = day(&text, "the day")
        .map_err(|_| nothing_at(&format!("/on-call/{text}")))?
        .to_string();
    let mut ids = input.recipients;
    ids.sort_unstable();
    ids.dedup();
    let record = principal
        .record(state.clock().now(), AuditAction::OnCallSet, Outcome::Ok)
        .target(format!("on-call:{date}"))
        .detail(&AuditDetail::OnCallSet {
            day: date.clone(),
            recipients: ids.clone(),
        });
    let whole = principal.may(Capability::ManageRecipients);
    let (key, chosen) = (date.clone(), ids.clone());
    let people = state
        .call(move |store| {
            let people = everyone(store)?;
            check_people(&chosen, &people)?;
            store.set_on_call(&key, &chosen, record)?;
            Ok(people)
        })
        .await?;
    wake(&state);
    Ok(Json(OnCallDay {
        day: date,
        people: ids
            .into_iter()
            .map(|id| person(id, &people, whole))
            .collect(),
    }))
}

/// The recipient and channel an alarm row's key names after its prefix (`12:sms`).
pub fn keyed(prefix: &str, key: &str) -> Option<(u64, String)> {
    let (recipient, channel) = key.strip_prefix(prefix)?.split_once(':')?;
    Some((recipient.parse().ok()?, channel.to_owned()))
}

/// `GET /alarms/{id}`, the id `{source}:{key}` (`suggestion:rainstorm:yellow:2026-11-27`):
/// one alarm and its messages, person by person.
pub async fn deliveries(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
) -> Result<Json<AlarmDeliveries>, Failure> {
    let Some((source, key)) = id
        .split_once(':')
        .map(|(s, k)| (s.to_owned(), k.to_owned()))
    else {
        return Err(nothing_at(&format!("/alarms/{id}")));
    };
    let (s, k) = (source.clone(), key.clone());
    let Some(alarm) = state.blocking(move |store| store.alarm(&s, &k)).await? else {
        return Err(nothing_at(&format!("/alarms/{id}")));
    };
    let prefix = row_prefix(&source, &key);
    let rows = match state.channels().enqueuer.clone() {
        Some(enqueuer) => {
            let prefix = prefix.clone();
            state
                .call(move |_| Ok(enqueuer.outbox().rows_keyed(&prefix)?))
                .await?
        }
        None => Vec::new(),
    };
    let people = state.blocking(|store| everyone(store)).await?;
    let whole = principal.may(Capability::ManageRecipients);
    let deliveries: Vec<Delivery> = rows
        .iter()
        .filter_map(|row| {
            let (recipient, channel) = keyed(&prefix, &row.idem_key)?;
            let draft = people.iter().find(|p| p.id == recipient).map(|p| &p.draft);
            let said = status::status(&channel, row.state);
            Some(Delivery {
                recipient: Some(recipient),
                robot: None,
                name: draft.map(|d| d.name.clone()),
                phone: draft.and_then(|d| d.phone_for(whole)),
                township: draft.and_then(|d| d.township.map(|t| t.to_string())),
                status: said.word.to_owned(),
                received: said.received,
                attempt: row.attempt,
                resent: None,
                channel,
                state: row.state.code().to_owned(),
                reason: row.last_error.clone(),
                updated_at: row.updated_at.to_rfc3339(),
            })
        })
        .collect();
    let mut counts = BTreeMap::new();
    for d in &deliveries {
        *counts.entry(d.state.clone()).or_insert(0) += 1;
    }
    Ok(Json(AlarmDeliveries {
        source: alarm.source,
        key: alarm.key,
        text: alarm.text,
        raised_at: alarm.raised_at.to_rfc3339(),
        sent_at: alarm.fanned_at.map(|t| t.to_rfc3339()),
        counts,
        deliveries,
    }))
}
