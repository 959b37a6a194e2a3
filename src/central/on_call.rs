//! Alarms ride the channels: [`notify_on_call`] is what any part of the central (the warning
//! suggestions today, devices later) calls to reach the on-call person(s) with a short text,
//! through the same outbox, dispatchers and receipts as a warning.
//!
//! - **Who is on call**: the duty roster the supervisor keeps (`PUT /on-call/{day}`,
//!   [`Capability::ApproveWarning`]: the 值班领导 arranges duty), bureau staff by Beijing date.
//! - **Idempotent**: an alarm is kept once per `(source, key)`; its rows are keyed
//!   `alarm:{source}:{key}:{recipient}:{kind}`, so raising it again adds nothing.
//! - **Nothing lost**: an alarm raised while nobody is on call (or nobody reachable) waits in
//!   the `alarms` table; the `alarms` worker says so on the workers board and sends it as soon
//!   as the day's roster names someone.
//! - Channels: an SMS to each on-call person with a number, when `[sms]` runs; the alarm in
//!   `[wechat.mp] alarm_template` to each who follows the account, when that runs. Each row
//!   settles by its own receipts. WeCom robots address groups, not a person: not used.

pub mod handlers;
pub mod suggestions;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::channels::{SMS, SmsPayload, TemplatePayload, WECHAT};
use super::core::AppState;
use super::error::Failure;
use super::workers::{WorkerContext, WorkerSpec};
use crate::domain::Timestamp;
use crate::domain::recipients::Recipient;
use crate::domain::warning::channels::WECHAT_FIELD_CHARS;
use crate::store::StoreError;
use crate::store::central::CentralStore;
use crate::store::central::on_call::Alarm;
use crate::store::central::outbox::NewMessage;

/// The worker's name on the board.
pub const WORKER: &str = "alarms";
/// How often the worker looks again when nothing wakes it.
pub const TICK: Duration = Duration::from_secs(60);

/// The Beijing date of `at` (`2026-12-07`): the roster's day.
pub fn beijing_day(at: Timestamp) -> String {
    at.beijing().date_naive().format("%Y-%m-%d").to_string()
}

/// The key prefix of `source`/`key`'s rows.
pub fn row_prefix(source: &str, key: &str) -> String {
    format!("alarm:{source}:{key}:")
}

/// The outbox rows of `alarm` for the on-call `people`, on the channel `kinds` that run: an
/// SMS to each with a number, and, when the alarm `template` is configured, a template message
/// to each with an openid.
pub fn alarm_rows(
    alarm: &Alarm,
    people: &[Recipient],
    kinds: &[&str],
    template: Option<&str>,
    now: Timestamp,
) -> Vec<NewMessage> {
    let prefix = row_prefix(&alarm.source, &alarm.key);
    let row = |person: &Recipient, kind: &str, payload: String| NewMessage {
        idem_key: format!("{prefix}{}:{kind}", person.id),
        kind: kind.to_owned(),
        payload,
        due_at: now,
    };
    let sms = |person: &Recipient| {
        kinds.contains(&SMS).then_some(())?;
        let payload = SmsPayload {
            to: person.draft.phone.as_ref()?.expose().to_owned(),
            text: alarm.text.clone(),
        };
        Some(row(person, SMS, serde_json::to_string(&payload).ok()?))
    };
    let template = template.filter(|_| kinds.contains(&WECHAT));
    let wechat = |person: &Recipient| {
        let payload = alarm_template(alarm, template?, person.draft.wechat_openid.as_deref()?);
        Some(row(person, WECHAT, serde_json::to_string(&payload).ok()?))
    };
    people
        .iter()
        .filter(|p| p.draft.active)
        .flat_map(|p| [sms(p), wechat(p)])
        .flatten()
        .collect()
}

/// The alarm in template `template_id` to `openid`: `thing1` its gist, `time2` when raised.
pub fn alarm_template(alarm: &Alarm, template_id: &str, openid: &str) -> TemplatePayload {
    let raised = alarm.raised_at.beijing().format("%Y年%m月%d日 %H:%M");
    TemplatePayload {
        openid: openid.to_owned(),
        template_id: template_id.to_owned(),
        data: [
            ("thing1".to_owned(), gist(&alarm.text)),
            ("time2".to_owned(), raised.to_string()),
        ]
        .into(),
        url: None,
    }
}

/// `text` without its leading 【signature】 (the account names itself), in at most
/// [`WECHAT_FIELD_CHARS`] characters, the last `…` when cut: the SMS carries it whole.
pub fn gist(text: &str) -> String {
    let unsigned = text
        .strip_prefix('【')
        .and_then(|rest| rest.split_once('】'))
        .map_or(text, |(_, rest)| rest)
        .trim();
    if unsigned.chars().count() <= WECHAT_FIELD_CHARS {
        return unsigned.to_owned();
    }
    let mut cut: String = unsigned.chars().take(WECHAT_FIELD_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// What a fan-out pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanOut {
    /// Alarms whose rows were made in this pass.
    pub sent: usize,
    /// Alarms still waiting for someone reachable on call.
    pub waiting: usize,
    /// The day looked at.
    pub day: String,
    /// People on call that day.
    pub on_call: usize,
}

impl FanOut {
    /// Why alarms wait, in words for the board; `None` when none does.
    pub fn why_waiting(&self) -> Option<String> {
        (self.waiting > 0).then(|| {
            if self.on_call == 0 {
                format!(
                    "nobody on call on {}: set the roster (PUT /on-call/{})",
                    self.day, self.day
                )
            } else {
                format!(
                    "nobody on call on {} can be reached (no number or followed account, \
                     or no channel for them)",
                    self.day
                )
            }
        })
    }
}

/// The people on call on `day`, as kept now.
fn on_call_people(store: &dyn CentralStore, day: &str) -> Result<Vec<Recipient>, StoreError> {
    let mut people = Vec::new();
    for id in store.on_call(day)? {
        people.extend(store.recipient(id)?);
    }
    Ok(people)
}

/// Makes the rows of every waiting alarm for today's on-call people (blocking).
fn fan_out_blocking(
    store: &dyn CentralStore,
    state: &AppState,
    now: Timestamp,
) -> Result<FanOut, StoreError> {
    let day = beijing_day(now);
    let alarms = store.unfanned_alarms()?;
    let people = on_call_people(store, &day)?;
    let mut done = FanOut {
        day,
        on_call: people.len(),
        ..FanOut::default()
    };
    let Some(enqueuer) = state.channels().enqueuer.as_ref() else {
        done.waiting = alarms.len();
        return Ok(done);
    };
    let kinds = &state.channels().kinds;
    let template = state.channels().routes.alarm_template.as_deref();
    for alarm in &alarms {
        let rows = alarm_rows(alarm, &people, kinds, template, now);
        if rows.is_empty() {
            done.waiting += 1;
            continue;
        }
        for row in &rows {
            enqueuer.enqueue(row, now)?;
        }
        store.alarm_fanned(&alarm.source, &alarm.key, now)?;
        done.sent += 1;
    }
    Ok(done)
}

/// Sends every waiting alarm to today's on-call people, where someone is reachable.
pub async fn fan_out(state: &AppState) -> Result<FanOut, Failure> {
    let now = state.clock().now();
    let shared = state.clone();
    state
        .call(move |store| Ok(fan_out_blocking(store, &shared, now)?))
        .await
}

/// Reaches the on-call person(s) with `text` on their channels, once per `source` and `key`
/// (a second call with the same pair adds nothing); `true` if the alarm is new. An alarm that
/// finds nobody on call waits and is sent when the roster names someone.
pub async fn notify_on_call(
    state: &AppState,
    source: &str,
    key: &str,
    text: &str,
) -> Result<bool, Failure> {
    let now = state.clock().now();
    let (source, key, text) = (source.to_owned(), key.to_owned(), text.to_owned());
    let new = state
        .call(move |store| Ok(store.raise_alarm(&source, &key, &text, now)?))
        .await?;
    if new {
        wake(state);
    }
    Ok(new)
}

/// Wakes the alarms worker (new values, a new alarm, a roster change).
pub fn wake(state: &AppState) {
    state.channels().alarm_wake.notify_one();
}

/// The `alarms` worker: on each wake (or [`TICK`]) it raises an alarm for each new warning
/// suggestion the stored observations support, sends the waiting alarms, and reports.
pub fn worker(state: AppState, wake: Arc<Notify>) -> WorkerSpec {
    WorkerSpec::new(WORKER, move |context: WorkerContext| {
        run(state.clone(), Arc::clone(&wake), context)
    })
}

/// Counts since the worker started.
#[derive(Debug, Default)]
struct Totals {
    passes: u64,
    raised: usize,
    sent: usize,
}

async fn run(state: AppState, wake: Arc<Notify>, context: WorkerContext) -> Result<(), String> {
    let mut totals = Totals::default();
    loop {
        totals.passes += 1;
        totals.raised += suggestions::alarm_new_suggestions(&state)
            .await
            .map_err(|f| f.body.message)?;
        let done = fan_out(&state).await.map_err(|f| f.body.message)?;
        totals.sent += done.sent;
        context.report(describe(&totals, &done));
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(TICK) => {}
            () = context.stopped() => return Ok(()),
        }
    }
}

fn describe(totals: &Totals, done: &FanOut) -> String {
    let line = format!(
        "passes {} · suggestions alarmed {} · alarms sent {} · waiting {}",
        totals.passes, totals.raised, totals.sent, done.waiting
    );
    match done.why_waiting() {
        Some(why) => format!("{line} · {why}"),
        None => line,
    }
}

#[cfg(test)]
mod tests;
