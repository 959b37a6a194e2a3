//! A person's recorded decisions on a warning's messages that will not move by themselves:
//!
//! - `POST /warnings/{id}/deliveries/retry`: its `failed` messages (or those of the named
//!   recipients) go back to the queue as a new attempt. Nothing else is touched: a delivered,
//!   sending or unknown message stays as it is.
//! - `POST /warnings/{id}/deliveries/resend`: its `unknown` messages of the named recipients
//!   are sent again, with a required reason; each carries the mark "resent by decision of X".
//!
//! Both are audited (counts, recipient ids and the reason; never a number) and answer what
//! was put back in the queue.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::super::super::auth::Principal;
use super::super::super::core::AppState;
use super::super::super::error::{ApiJson, ApiPath, Failure};
use super::{person_keyed, warning_rows};
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, Outcome};
use crate::domain::outbox::OutboxState;
use crate::domain::outbox::policy::ResendHow;
use crate::domain::refusal::{Code, Refusal};
use crate::protocol::outbox::{DecisionAnswer, RequeuedDelivery, ResendRequest, RetryRequest};
use crate::store::StoreError;
use crate::store::central::outbox::{OutboxRow, ResendMark, SqliteOutbox};

/// Longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The rows a decision takes: those of `recipients` (every recipient when empty) standing in
/// `from`, and how many rows of the named recipients stand elsewhere.
pub fn chosen(
    warning: &str,
    rows: &[OutboxRow],
    recipients: &[u64],
    from: OutboxState,
) -> (Vec<i64>, usize) {
    let named: BTreeSet<u64> = recipients.iter().copied().collect();
    let mut ids = Vec::new();
    let mut elsewhere = 0;
    for row in rows {
        let Some((recipient, _)) = person_keyed(warning, &row.idem_key) else {
            continue;
        };
        if !named.is_empty() && !named.contains(&recipient) {
            continue;
        }
        if row.state == from {
            ids.push(row.id);
        } else if !named.is_empty() {
            elsewhere += 1;
        }
    }
    (ids, elsewhere)
}

/// What a decision answers: the rows `done` as (recipient, channel).
pub fn answer(warning: &str, rows: &[OutboxRow], done: &[i64], skipped: usize) -> DecisionAnswer {
    let requeued = rows
        .iter()
        .filter(|row| done.contains(&row.id))
        .filter_map(|row| person_keyed(warning, &row.idem_key))
        .map(|(recipient, channel)| RequeuedDelivery { recipient, channel })
        .collect();
    DecisionAnswer {
        warning: warning.to_owned(),
        requeued,
        skipped: skipped as u64,
    }
}

/// Runs `step` on the outbox (nothing when there is none, or nothing to do) and wakes the
/// dispatchers of the kinds it requeued.
pub async fn on_outbox(
    state: &AppState,
    ids: Vec<i64>,
    rows: &[OutboxRow],
    step: impl FnOnce(&SqliteOutbox, &[i64]) -> Result<Vec<i64>, StoreError> + Send + 'static,
) -> Result<Vec<i64>, Failure> {
    let Some(enqueuer) = state.channels().enqueuer.clone() else {
        return Ok(Vec::new());
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let outbox = enqueuer.clone();
    let done = state
        .call(move |_| Ok(step(outbox.outbox(), &ids)?))
        .await?;
    let kinds: BTreeSet<&str> = rows
        .iter()
        .filter(|r| done.contains(&r.id))
        .map(|r| r.kind.as_str())
        .collect();
    for kind in kinds {
        enqueuer.wake(kind);
    }
    Ok(done)
}

/// The recipients of the rows `done`, sorted, once each.
pub fn recipients_of(warning: &str, rows: &[OutboxRow], done: &[i64]) -> Vec<u64> {
    let ids: BTreeSet<u64> = rows
        .iter()
        .filter(|r| done.contains(&r.id))
        .filter_map(|r| person_keyed(warning, &r.idem_key).map(|(recipient, _)| recipient))
        .collect();
    ids.into_iter().collect()
}

async fn audit(state: &AppState, record: AuditRecord) -> Result<(), Failure> {
    state
        .blocking(move |store| store.audit(record).map(drop))
        .await
}

/// `POST /warnings/{id}/deliveries/retry`.
pub async fn retry(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<RetryRequest>,
) -> Result<Json<DecisionAnswer>, Failure> {
    let (_, rows) = warning_rows(&state, &id).await?;
    let (ids, elsewhere) = chosen(&id, &rows, &body.recipients, OutboxState::Failed);
    let asked = ids.len();
    let now = state.clock().now();
    let done = on_outbox(&state, ids, &rows, move |o, ids| o.requeue_failed(ids, now)).await?;
    let skipped = elsewhere + asked - done.len();
    let record = principal
        .record(now, AuditAction::DeliveriesRetried, Outcome::Ok)
        .target(format!("warning:{id}"))
        .detail(&AuditDetail::DeliveriesRetried {
            requeued: done.len(),
            skipped,
            recipients: recipients_of(&id, &rows, &done),
        });
    audit(&state, record).await?;
    tracing::info!(%id, requeued = done.len(), skipped, "failed deliveries retried");
    Ok(Json(answer(&id, &rows, &done, skipped)))
}

fn unprocessable(code: Code) -> Failure {
    Failure::refused(StatusCode::UNPROCESSABLE_ENTITY, &Refusal::new(code))
}

/// The reason of a resend, trimmed, or why it is refused.
pub fn reason_of(request: &ResendRequest) -> Result<String, Code> {
    if request.recipients.is_empty() {
        return Err(Code::ResendNamesNobody);
    }
    let reason = request.reason.trim();
    if reason.is_empty() {
        return Err(Code::ResendReasonRequired);
    }
    Ok(reason.chars().take(MAX_REASON_CHARS).collect())
}

/// `POST /warnings/{id}/deliveries/resend`.
pub async fn resend(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<ResendRequest>,
) -> Result<Json<DecisionAnswer>, Failure> {
    let reason = reason_of(&body).map_err(unprocessable)?;
    let (_, rows) = warning_rows(&state, &id).await?;
    let (ids, elsewhere) = chosen(&id, &rows, &body.recipients, OutboxState::Unknown);
    let asked = ids.len();
    let now = state.clock().now();
    let mark = ResendMark {
        how: ResendHow::Decision,
        by: super::super::actor_name(&principal),
        reason: reason.clone(),
        at: now,
    };
    let done = on_outbox(&state, ids, &rows, move |o, ids| {
        o.resend_unknown(ids, &mark, now)
    })
    .await?;
    let skipped = elsewhere + asked - done.len();
    let record = principal
        .record(now, AuditAction::DeliveriesResent, Outcome::Ok)
        .target(format!("warning:{id}"))
        .detail(&AuditDetail::DeliveriesResent {
            how: ResendHow::Decision.code().to_owned(),
            reason,
            resent: done.len(),
            skipped,
            recipients: recipients_of(&id, &rows, &done),
        });
    audit(&state, record).await?;
    tracing::info!(%id, resent = done.len(), skipped, "unknown deliveries resent by decision");
    Ok(Json(answer(&id, &rows, &done, skipped)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn row(id: i64, recipient: u64, state: OutboxState) -> OutboxRow {
        OutboxRow {
            id,
            idem_key: format!("warning:w7:{recipient}:sms"),
            kind: "sms".to_owned(),
            payload: String::new(),
            state,
            attempt: 1,
            lease_owner: None,
            lease_until: None,
            due_at: Timestamp(0),
            provider_id: None,
            last_error: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            resent: None,
        }
    }

    #[test]
    fn a_decision_takes_only_rows_in_its_state_of_the_named_recipients() {
        use OutboxState as S;
        let rows = [
            row(1, 10, S::Failed),
            row(2, 11, S::Delivered),
            row(3, 12, S::Failed),
            row(4, 13, S::Unknown),
            row(5, 14, S::Sending),
        ];
        let table: [(&[u64], S, Vec<i64>, usize); 5] = [
            (&[], S::Failed, vec![1, 3], 0),
            (&[12], S::Failed, vec![3], 0),
            (&[11, 12, 14], S::Failed, vec![3], 2),
            (&[], S::Unknown, vec![4], 0),
            (&[10, 13], S::Unknown, vec![4], 1),
        ];
        for (named, from, ids, elsewhere) in table {
            assert_eq!(
                chosen("w7", &rows, named, from),
                (ids, elsewhere),
                "{named:?} {from}"
            );
        }
    }

    #[test]
    fn a_resend_needs_people_and_a_reason() {
        let request = |recipients: Vec<u64>, reason: &str| ResendRequest {
            recipients,
            reason: reason.to_owned(),
        };
        let table = [
            (request(vec![], "链路中断"), Err(Code::ResendNamesNobody)),
            (request(vec![3], "  "), Err(Code::ResendReasonRequired)),
            (request(vec![3], ""), Err(Code::ResendReasonRequired)),
            (
                request(vec![3], " 链路中断，确认未收到 "),
                Ok("链路中断，确认未收到".to_owned()),
            ),
        ];
        for (request, want) in table {
            assert_eq!(reason_of(&request), want, "{request:?}");
        }
    }
}
