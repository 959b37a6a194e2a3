//! A released warning leaves the building: one outbox row per recipient and channel, keyed
//! `warning:{id}:{recipient}:{kind}` so a second release pass (a restart's sweep, a retried
//! request) adds nothing. The dispatch workers send them; receipts settle them.
//!
//! Who gets it: the active recipients of the groups the composition chose (`town:{code}:{kind}`
//! for each chosen township and group kind, `county:all` for the county's people). A practice
//! warning goes to the bureau's own staff only, wherever they are: they are the test
//! recipients, and nobody outside the bureau ever receives a drill.
//!
//! Today SMS is the channel rows are made for (a recipient with a number, a configured
//! `[sms]`); the WeCom robots and template messages get their rows when their recipients'
//! accounts are matched to the configured robots and templates.

use std::collections::BTreeSet;

use crate::central::channels::{SMS, SmsPayload};
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

/// The outbox rows of `record` for `recipients`, for the channel `kinds` that run.
pub fn messages(
    record: &WarningRecord,
    recipients: &[Recipient],
    kinds: &[&str],
    now: Timestamp,
) -> Vec<NewMessage> {
    let content = &record.content;
    let sms = content
        .texts
        .get(&Channel::Sms)
        .filter(|_| kinds.contains(&SMS));
    let Some(text) = sms else {
        return Vec::new();
    };
    recipients
        .iter()
        .filter(|r| addressed(&content.recipient_groups, content.practice, r))
        .filter_map(|r| {
            let phone = r.draft.phone.as_ref()?;
            let payload = SmsPayload {
                to: phone.expose().to_owned(),
                text: text.clone(),
            };
            Some(NewMessage {
                idem_key: format!("warning:{}:{}:{SMS}", record.id, r.id),
                kind: SMS.to_owned(),
                payload: serde_json::to_string(&payload).ok()?,
                due_at: now,
            })
        })
        .collect()
}

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
    let now = state.clock().now();
    let record = record.clone();
    let made = state
        .call(move |store| {
            let rows = messages(&record, &everyone(store)?, &kinds, now);
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
