//! 叫应 (call and response) at the central: on the release of a warning that needs it
//! ([`crate::domain::callout::CalloutRules`], `[callout]` of `central.toml`) a line is opened
//! for every official on its call list and a call SMS goes to each through the outbox (key
//! `callout:{warning}:{recipient}:sms`, asking for the warning's short code back). The
//! [`worker`] closes lines by the SMS and WeChat replies the reports worker stores, and
//! escalates unanswered ones (duty desk, then supervisor) on the central's clock; forecasters
//! log phone calls and see numbers through the [`handlers`]. Every step is a `callout` change.
//!
//! Names and numbers are personal data: logs carry counts and ids, the feed ids only.

pub mod handlers;
pub mod worker;

use std::collections::BTreeSet;

use super::channels::{SMS, SmsPayload};
use super::core::AppState;
use super::warnings::dispatch::everyone;
use crate::domain::Timestamp;
use crate::domain::callout::{CalloutRules, short_code};
use crate::domain::network::TownshipCode;
use crate::domain::recipients::Recipient;
use crate::protocol::warnings::WarningRecord;
use crate::store::StoreError;
use crate::store::central::CentralStore;
use crate::store::central::callout::NewLine;
use crate::store::central::outbox::NewMessage;

/// The townships a warning concerns: its area and the townships its groups name.
pub fn townships(record: &WarningRecord) -> BTreeSet<TownshipCode> {
    let content = &record.content;
    let from_groups = content
        .recipient_groups
        .iter()
        .filter_map(|g| g.strip_prefix("town:")?.split(':').next());
    content
        .area
        .iter()
        .map(String::as_str)
        .chain(from_groups)
        .filter_map(|code| code.parse().ok().map(TownshipCode))
        .collect()
}

/// Whether `record` needs 叫应 under `rules`.
pub fn required(rules: &CalloutRules, record: &WarningRecord) -> bool {
    let c = &record.content;
    rules.needs_callout(&c.signal, c.level, c.action)
}

/// The people `rules` call for `record`.
pub fn call_list<'a>(
    rules: &CalloutRules,
    record: &WarningRecord,
    people: &'a [Recipient],
) -> Vec<&'a Recipient> {
    let towns = townships(record);
    people
        .iter()
        .filter(|r| rules.on_call_list(&towns, record.content.practice, &r.draft))
        .collect()
}

/// The call SMS: the warning named, its code asked back.
pub fn call_text(record: &WarningRecord, signal_zh: &str, code: &str) -> String {
    let drill = if record.content.practice {
        "【演练】"
    } else {
        ""
    };
    format!(
        "【清流县气象局】{drill}叫应：{signal_zh}{}预警已发布，请立即组织防御。收到请回复\"{code}\"确认。",
        record.content.level.zh()
    )
}

/// The outbox row of the call SMS to `person`, if they have a number.
fn call_sms(
    record: &WarningRecord,
    person: &Recipient,
    text: &str,
    now: Timestamp,
) -> Option<NewMessage> {
    let phone = person.draft.phone.as_ref()?;
    let payload = SmsPayload {
        to: phone.expose().to_owned(),
        text: text.to_owned(),
    };
    Some(NewMessage {
        idem_key: format!("callout:{}:{}:{SMS}", record.id, person.id),
        kind: SMS.to_owned(),
        payload: serde_json::to_string(&payload).ok()?,
        due_at: now,
    })
}

/// What opening a warning's 叫应 did: lines opened now, call SMS queued now, the log's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Opened {
    lines: usize,
    sms: usize,
    head: u64,
}

/// Opens `record`'s lines and queues their call SMS (blocking); both are idempotent, so the
/// start-up sweep redoes what a crash cut short.
fn open_blocking(
    state: &AppState,
    store: &dyn CentralStore,
    record: &WarningRecord,
    now: Timestamp,
) -> Result<Opened, StoreError> {
    let rules = &state.warnings().callout;
    let Some(code) = short_code(&record.id) else {
        return Ok(Opened {
            lines: 0,
            sms: 0,
            head: store.head()?,
        });
    };
    let people = everyone(store)?;
    let called = call_list(rules, record, &people);
    let new: Vec<NewLine> = called
        .iter()
        .map(|r| NewLine {
            recipient: r.id,
            duty: r.draft.duty,
            township: r.draft.township,
        })
        .collect();
    let lines = store.open_callout(&record.id, &code, &new, now)?.len();
    let mut sms = 0;
    let channels = state.channels();
    if let Some(enqueuer) = channels
        .enqueuer
        .as_ref()
        .filter(|_| channels.kinds.contains(&SMS))
    {
        let signals = state.warnings().signals.catalogue();
        let signal_zh = signals
            .signal(&record.content.signal)
            .map_or(record.content.signal.as_str(), |s| s.zh.as_str());
        let text = call_text(record, signal_zh, &code);
        for row in called
            .iter()
            .filter_map(|p| call_sms(record, p, &text, now))
        {
            sms += usize::from(enqueuer.enqueue(&row, now)?.1);
        }
    }
    Ok(Opened {
        lines,
        sms,
        head: store.head()?,
    })
}

/// Opens `record`'s 叫应 if it needs one. A failure is logged (counts and ids only): the
/// start-up sweep opens what is missing.
pub async fn open(state: &AppState, record: &WarningRecord) {
    if record.released_at.is_none() || !required(&state.warnings().callout, record) {
        return;
    }
    let now = state.clock().now();
    let (inner, record) = (state.clone(), record.clone());
    let id = record.id.clone();
    let opened = state
        .call(move |store| Ok(open_blocking(&inner, store, &record, now)?))
        .await;
    match opened {
        Ok(opened) => {
            state.advance_head(opened.head);
            tracing::info!(%id, lines = opened.lines, sms = opened.sms, "叫应 opened");
        }
        Err(error) => tracing::error!(%id, ?error, "叫应 lines were not opened"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::warning::{Action, Level};
    use crate::protocol::warnings::WarningContent;

    fn record(area: &[&str], groups: &[&str]) -> WarningRecord {
        let content = WarningContent {
            action: Action::Issue,
            follows: None,
            signal: "rainstorm".into(),
            level: Level::Orange,
            area: area.iter().map(|s| (*s).to_owned()).collect(),
            enlarge_confirmed: false,
            issued_at: Timestamp(0),
            expires_at: None,
            texts: Default::default(),
            template_fields: Default::default(),
            recipient_groups: groups.iter().map(|s| (*s).to_owned()).collect(),
            practice: false,
        };
        WarningRecord {
            id: "w12".into(),
            pin: content.pin(),
            content,
            drafter: "f".into(),
            state: crate::domain::warning::approval::DraftState::Submitted,
            steps: Vec::new(),
            cap_identifier: None,
            released_at: Some(Timestamp(0)),
            replaced_by: None,
        }
    }

    #[test]
    fn the_townships_are_the_area_and_the_groups_towns() {
        let table = [
            (vec!["350423100"], vec![], vec![350423100]),
            (
                vec!["350423100"],
                vec!["town:350423101:leaders", "county:all"],
                vec![350423100, 350423101],
            ),
            (vec!["350423"], vec!["town:x:leaders"], vec![350423]),
        ];
        for (area, groups, want) in table {
            let got: Vec<u32> = townships(&record(&area, &groups))
                .iter()
                .map(|t| t.0)
                .collect();
            assert_eq!(got, want, "{area:?} {groups:?}");
        }
    }

    #[test]
    fn the_call_sms_asks_for_the_code_back() {
        let text = call_text(&record(&[], &[]), "暴雨", "0012");
        assert_eq!(
            text,
            "【清流县气象局】叫应：暴雨橙色预警已发布，请立即组织防御。收到请回复\"0012\"确认。"
        );
    }
}
