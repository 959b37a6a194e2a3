//! The bureau's per-level policy at work: the `resend-policy` worker looks, at start and on
//! every tick, for `unknown` messages of warnings still in force at a level
//! `[warnings] resend_unknown` names, and sends them again — once per message, each resend
//! marked and audited as by policy. It first recovers lapsed leases, so a message whose send
//! was cut short by a crash is judged as soon as the central is back.

use std::time::Duration;

use super::super::super::core::AppState;
use super::super::super::workers::{WorkerContext, WorkerSpec};
use super::super::dispatch::still_out;
use super::decisions::{on_outbox, recipients_of};
use super::{key_prefix, keyed};
use crate::domain::Timestamp;
use crate::domain::audit::{AuditAction, AuditDetail, AuditRecord, Outcome};
use crate::domain::outbox::policy::{ResendHow, ResendPolicy, RowFacts};
use crate::protocol::warnings::WarningRecord;
use crate::store::central::outbox::{OutboxRow, ResendMark};

/// The worker's name on the board.
pub const NAME: &str = "resend-policy";

/// The policy's reason, as the mark and the audit entry say it.
pub fn policy_reason(record: &WarningRecord) -> String {
    format!(
        "[warnings] resend_unknown covers {} warnings",
        level_code(record)
    )
}

fn level_code(record: &WarningRecord) -> String {
    serde_json::to_value(record.content.level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The ids of `rows` of `record` the policy resends at `now`.
pub fn due(
    policy: &ResendPolicy,
    record: &WarningRecord,
    rows: &[OutboxRow],
    now: Timestamp,
) -> Vec<i64> {
    let in_force = still_out(record, now);
    rows.iter()
        .filter(|row| keyed(&record.id, &row.idem_key).is_some())
        .filter(|row| {
            policy.resends(RowFacts {
                state: row.state,
                resent: row.resent.as_ref().map(|m| m.how),
                level: record.content.level,
                in_force,
            })
        })
        .map(|row| row.id)
        .collect()
}

/// One pass over the warnings in force; answers how many messages it resent.
pub async fn apply(state: &AppState) -> Result<usize, String> {
    let policy = state.warnings().resend_unknown.clone();
    let Some(enqueuer) = state.channels().enqueuer.clone() else {
        return Ok(0);
    };
    if policy.levels.is_empty() {
        return Ok(0);
    }
    let now = state.clock().now();
    let recover = enqueuer.clone();
    let records = state
        .call(move |store| {
            recover.outbox().recover(now)?;
            Ok(store.warnings()?)
        })
        .await
        .map_err(|f| f.body.message)?;
    let mut resent = 0;
    for record in records
        .iter()
        .filter(|r| policy.levels.contains(&r.content.level))
    {
        if still_out(record, now) {
            resent += resend(state, record, &policy, now).await?;
        }
    }
    Ok(resent)
}

async fn resend(
    state: &AppState,
    record: &WarningRecord,
    policy: &ResendPolicy,
    now: Timestamp,
) -> Result<usize, String> {
    let Some(enqueuer) = state.channels().enqueuer.clone() else {
        return Ok(0);
    };
    let prefix = key_prefix(&record.id);
    let rows = state
        .call(move |_| Ok(enqueuer.outbox().rows_keyed(&prefix)?))
        .await
        .map_err(|f| f.body.message)?;
    let ids = due(policy, record, &rows, now);
    if ids.is_empty() {
        return Ok(0);
    }
    let mark = ResendMark {
        how: ResendHow::Policy,
        by: format!("policy:{}", level_code(record)),
        reason: policy_reason(record),
        at: now,
    };
    let reason = mark.reason.clone();
    let done = on_outbox(state, ids, &rows, move |o, ids| {
        o.resend_unknown(ids, &mark, now)
    })
    .await
    .map_err(|f| f.body.message)?;
    let entry = AuditRecord::new(
        now,
        "central",
        "",
        AuditAction::DeliveriesResent,
        Outcome::Ok,
    )
    .target(format!("warning:{}", record.id))
    .detail(&AuditDetail::DeliveriesResent {
        how: ResendHow::Policy.code().to_owned(),
        reason,
        resent: done.len(),
        skipped: 0,
        recipients: recipients_of(&record.id, &rows, &done),
    });
    state
        .blocking(move |store| store.audit(entry).map(drop))
        .await
        .map_err(|f| f.body.message)?;
    tracing::warn!(id = %record.id, resent = done.len(), "unknown deliveries resent by policy");
    Ok(done.len())
}

/// The worker: a pass at start, then one every `tick`. Not started when no level is named.
pub fn worker(state: AppState, tick: Duration) -> WorkerSpec {
    WorkerSpec::new(NAME, move |context: WorkerContext| {
        let state = state.clone();
        async move {
            let mut total = 0;
            loop {
                total += apply(&state).await?;
                context.report(format!("resent by policy {total}"));
                if !context.sleep(tick).await {
                    return Ok(());
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::domain::outbox::OutboxState as S;
    use crate::domain::time::MINUTE_MS;
    use crate::domain::warning::approval::{DraftState, SignOff};
    use crate::domain::warning::{Action, Level};
    use crate::protocol::warnings::WarningContent;

    const T0: Timestamp = Timestamp(1_800_000_000_000);

    fn record(level: Level) -> WarningRecord {
        let content = WarningContent {
            action: Action::Issue,
            follows: None,
            signal: "rainstorm".into(),
            level,
            area: BTreeSet::new(),
            enlarge_confirmed: false,
            issued_at: T0,
            expires_at: Some(T0.plus_ms(60 * MINUTE_MS)),
            texts: BTreeMap::new(),
            template_fields: BTreeMap::new(),
            recipient_groups: BTreeSet::new(),
            practice: false,
        };
        WarningRecord {
            id: "w7".into(),
            pin: content.pin(),
            state: DraftState::Sent(SignOff {
                by: "lina".into(),
                pin: content.pin(),
                alone: false,
            }),
            content,
            drafter: "zhangwei".into(),
            steps: Vec::new(),
            cap_identifier: None,
            released_at: Some(T0),
            replaced_by: None,
        }
    }

    fn row(id: i64, state: S, resent: Option<ResendHow>) -> OutboxRow {
        OutboxRow {
            id,
            idem_key: format!("warning:w7:{id}:sms"),
            kind: "sms".into(),
            payload: String::new(),
            state,
            attempt: 1,
            lease_owner: None,
            lease_until: None,
            due_at: T0,
            provider_id: None,
            last_error: None,
            created_at: T0,
            updated_at: T0,
            resent: resent.map(|how| ResendMark {
                how,
                by: String::new(),
                reason: String::new(),
                at: T0,
            }),
        }
    }

    #[test]
    fn a_red_warnings_unknown_rows_are_due_once_while_it_is_in_force() {
        let red = ResendPolicy {
            levels: [Level::Red].into(),
        };
        let rows = [
            row(1, S::Unknown, None),
            row(2, S::Failed, None),
            row(3, S::Unknown, Some(ResendHow::Policy)),
            row(4, S::Unknown, Some(ResendHow::Decision)),
            row(5, S::Delivered, None),
        ];
        let soon = T0.plus_ms(MINUTE_MS);
        let later = T0.plus_ms(61 * MINUTE_MS);
        let table = [
            (Level::Red, soon, vec![1, 4]),
            (Level::Orange, soon, vec![]),
            (Level::Red, later, vec![]),
        ];
        for (level, now, ids) in table {
            assert_eq!(
                due(&red, &record(level), &rows, now),
                ids,
                "{level:?} {now:?}"
            );
        }
        assert_eq!(
            policy_reason(&record(Level::Red)),
            "[warnings] resend_unknown covers red warnings"
        );
    }
}
