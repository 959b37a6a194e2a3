//! A released warning leaves the building: one outbox row per recipient and channel, keyed
//! `warning:{id}:{recipient}:{kind}` so a second release pass (a restart's sweep, a retried
//! request) adds nothing. The dispatch workers send them; receipts settle them.
//!
//! Who gets it: the active recipients of the groups the composition chose (`town:{code}:{kind}`
//! for each chosen township and group kind, `county:all` for the county's people). A practice
//! warning goes to the bureau's own staff only, wherever they are: they are the test
//! recipients, and nobody outside the bureau ever receives a drill.
//!
//! Per channel that runs: an SMS to each addressed person with a number (`[sms]`); a template
//! message to each addressed person with a WeChat openid, in `[wechat.mp] warning_template`
//! with the composition's template fields; one robot message to each WeCom robot
//! `[wechat.wecom.warnings]` names for the warning's area (a practice run: the `staff` robots
//! only), keyed `warning:{id}:robot:{name}:wecom`.

use std::collections::BTreeSet;

use crate::central::channels::wechat::{RobotMsgType, RobotRoutes};
use crate::central::channels::{RobotPayload, SMS, SmsPayload, TemplatePayload, WECHAT, WECOM};
use crate::central::workers::channels::WarningRoutes;
use crate::domain::Timestamp;
use crate::domain::recipients::{COUNTY_GROUP, Group, Recipient, composition_group};
use crate::domain::time::HOUR_MS;
use crate::domain::warning::checks::Channel;
use crate::protocol::warnings::WarningRecord;
use crate::store::StoreError;
use crate::store::central::CentralStore;
use crate::store::central::outbox::NewMessage;
use crate::store::central::recipients::RecipientFilter;

use super::super::core::AppState;

/// A warning's release committed, its outbox rows not yet made: the crash tests kill the
/// central here.
pub const AFTER_RECORD_BEFORE_ROWS: &str = "release.after_record_before_rows";

/// Whether `recipient` is one the warning's `groups` address (or, for practice, a test
/// recipient).
pub fn addressed(groups: &BTreeSet<String>, practice: bool, recipient: &Recipient) -> bool {
    let r = &recipient.draft;
    if !r.active {
        return false;
    }
    if practice {
        return r.group == Group::BureauStaff;
    }
    match (&r.township, r.group) {
        (_, Group::County) => groups.contains(COUNTY_GROUP),
        (Some(town), group) => groups.contains(&composition_group(&town.to_string(), group)),
        (None, _) => false,
    }
}

/// The outbox rows of `record` for `recipients`, for the channel `kinds` that run and the
/// WeChat `routes` configured: SMS and template rows per addressed person, robot rows per
/// robot its area (or, for practice, the bureau's groups) names.
pub fn messages(
    record: &WarningRecord,
    recipients: &[Recipient],
    kinds: &[&str],
    routes: &WarningRoutes,
    now: Timestamp,
) -> Vec<NewMessage> {
    let content = &record.content;
    let addressed: Vec<&Recipient> = recipients
        .iter()
        .filter(|r| addressed(&content.recipient_groups, content.practice, r))
        .collect();
    let mut rows = Vec::new();
    if kinds.contains(&SMS) {
        rows.extend(sms_rows(record, &addressed, now));
    }
    if kinds.contains(&WECHAT) {
        rows.extend(template_rows(
            record,
            &addressed,
            routes.template.as_deref(),
            now,
        ));
    }
    if kinds.contains(&WECOM) {
        rows.extend(robot_rows(record, &routes.robots, now));
    }
    rows
}

fn row(
    key: String,
    kind: &str,
    payload: &impl serde::Serialize,
    now: Timestamp,
) -> Option<NewMessage> {
    Some(NewMessage {
        idem_key: key,
        kind: kind.to_owned(),
        payload: serde_json::to_string(payload).ok()?,
        due_at: now,
    })
}

/// One SMS per addressed person with a number, the composition's SMS text.
fn sms_rows(record: &WarningRecord, people: &[&Recipient], now: Timestamp) -> Vec<NewMessage> {
    let Some(text) = record.content.texts.get(&Channel::Sms) else {
        return Vec::new();
    };
    let sms = |r: &&Recipient| {
        let payload = SmsPayload {
            to: r.draft.phone.as_ref()?.expose().to_owned(),
            text: text.clone(),
        };
        row(
            format!("warning:{}:{}:{SMS}", record.id, r.id),
            SMS,
            &payload,
            now,
        )
    };
    people.iter().filter_map(sms).collect()
}

/// One template message per addressed follower (a person with an openid), the
/// composition's template fields in the configured warning template.
fn template_rows(
    record: &WarningRecord,
    people: &[&Recipient],
    template: Option<&str>,
    now: Timestamp,
) -> Vec<NewMessage> {
    let fields = &record.content.template_fields;
    let Some(template) = template.filter(|_| !fields.is_empty()) else {
        return Vec::new();
    };
    let message = |r: &&Recipient| {
        let payload = TemplatePayload {
            openid: r.draft.wechat_openid.clone()?,
            template_id: template.to_owned(),
            data: fields.clone(),
            url: None,
        };
        let key = format!("warning:{}:{}:{WECHAT}", record.id, r.id);
        row(key, WECHAT, &payload, now)
    };
    people.iter().filter_map(message).collect()
}

/// The robots a warning goes to: the bureau's own for a practice run; otherwise the county's
/// and those of each township in its area.
pub fn robots_for<'a>(routes: &'a RobotRoutes, record: &WarningRecord) -> BTreeSet<&'a str> {
    let content = &record.content;
    if content.practice {
        return routes.staff.iter().map(String::as_str).collect();
    }
    let towns = content
        .area
        .iter()
        .filter_map(|town| routes.townships.get(town))
        .flatten();
    routes
        .county
        .iter()
        .chain(towns)
        .map(String::as_str)
        .collect()
}

/// One message per robot addressed, keyed `warning:{id}:robot:{name}:wecom`, in the msgtype
/// configured (the other robot text if the composition lacks it).
fn robot_rows(record: &WarningRecord, routes: &RobotRoutes, now: Timestamp) -> Vec<NewMessage> {
    let texts = &record.content.texts;
    let (first, second) = match routes.msgtype {
        RobotMsgType::Markdown => (Channel::WecomMarkdown, Channel::WecomText),
        RobotMsgType::Text => (Channel::WecomText, Channel::WecomMarkdown),
    };
    let chosen = texts.get(&first).map(|t| (routes.msgtype, t));
    let other = match routes.msgtype {
        RobotMsgType::Markdown => RobotMsgType::Text,
        RobotMsgType::Text => RobotMsgType::Markdown,
    };
    let Some((msgtype, content)) = chosen.or_else(|| texts.get(&second).map(|t| (other, t))) else {
        return Vec::new();
    };
    let message = |robot: &str| {
        let payload = RobotPayload {
            robot: robot.to_owned(),
            msgtype: msgtype.code().to_owned(),
            content: content.clone(),
        };
        let key = format!("warning:{}:{ROBOT}:{robot}:{WECOM}", record.id);
        row(key, WECOM, &payload, now)
    };
    robots_for(routes, record)
        .into_iter()
        .filter_map(message)
        .collect()
}

/// The word between a warning's id and a robot's name in a robot row's key.
pub const ROBOT: &str = "robot";

/// How many recipients a page of the central's read holds.
const PAGE: u64 = 500;

/// Every recipient the central keeps, page by page.
pub fn everyone(store: &dyn CentralStore) -> Result<Vec<Recipient>, StoreError> {
    let mut everyone = Vec::new();
    loop {
        let offset = everyone.len() as u64;
        let page = store.recipients(&RecipientFilter::default(), offset, PAGE)?;
        let done = page.recipients.len() < PAGE as usize;
        everyone.extend(page.recipients);
        if done {
            return Ok(everyone);
        }
    }
}

/// Puts `record`'s messages in the outbox and wakes the dispatchers. A failure is logged
/// (counts and ids only, never a number): the start-up sweep makes the rows again.
pub async fn leave_the_building(state: &AppState, record: &WarningRecord) {
    let Some(enqueuer) = state.channels().enqueuer.clone() else {
        tracing::warn!(id = %record.id, "warning released, but no outbox: nothing is sent");
        return;
    };
    let kinds = state.channels().kinds.clone();
    let routes = state.channels().routes.clone();
    let now = state.clock().now();
    let record = record.clone();
    let made = state
        .call(move |store| {
            let rows = messages(&record, &everyone(store)?, &kinds, &routes, now);
            let mut added = 0;
            for row in &rows {
                added += usize::from(enqueuer.enqueue(row, now)?.1);
            }
            Ok((record.id, rows.len(), added))
        })
        .await;
    match made {
        Ok((id, rows, added)) => tracing::info!(%id, rows, added, "warning released to the outbox"),
        Err(error) => tracing::error!(?error, "a released warning's messages were not made"),
    }
}

/// How long after its release a lift's rows are still made at start (a lift has no expiry).
const LIFT_SWEEP_MS: i64 = 6 * HOUR_MS;

/// Whether `record` is released and still in force at `now` (a lift: released in the last
/// [`LIFT_SWEEP_MS`]): its rows are made again by the start-up sweep, so a central stopped
/// between the release and its rows loses nothing.
pub fn still_out(record: &WarningRecord, now: Timestamp) -> bool {
    let Some(released) = record.released_at else {
        return false;
    };
    if record.replaced_by.is_some() {
        return false;
    }
    match record.content.expires_at {
        Some(end) => end > now,
        None => now.0 - released.0 < LIFT_SWEEP_MS,
    }
}

/// At start: the 叫应 lines and the rows of every released warning still in force, made
/// again where missing.
pub async fn sweep(state: &AppState) {
    let now = state.clock().now();
    let records = match state.call(|store| Ok(store.warnings()?)).await {
        Ok(records) => records,
        Err(error) => {
            tracing::error!(
                ?error,
                "the released warnings could not be read for the sweep"
            );
            return;
        }
    };
    let sending = state.channels().enqueuer.is_some() && !state.channels().kinds.is_empty();
    for record in records.iter().filter(|r| still_out(r, now)) {
        crate::central::callout::open(state, record).await;
        if sending {
            leave_the_building(state, record).await;
        }
    }
}

#[cfg(test)]
mod tests;
