//! `GET /warnings/{id}/deliveries[?not_received=true]`: a released warning's messages person
//! by person — who has it, who has not, and why — read from the outbox rows its release made,
//! each in its channel's own words ([`status`]). Names are shown to every reader (as the
//! recipients list shows them); numbers whole only to `manage_recipients`.
//!
//! The decisions on messages that will not move by themselves are [`decisions`]; the bureau's
//! per-level policy for unknown ones is [`policy`].

pub mod decisions;
pub mod policy;
pub mod status;

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;

use super::super::auth::Principal;
use super::super::core::AppState;
use super::super::error::{ApiPath, ApiQuery, Failure};
use super::dispatch::ROBOT;
use crate::domain::access::Capability;
use crate::domain::recipients::Recipient;
use crate::protocol::outbox::{
    ChannelDeliveries, Delivery, DeliveryList, DeliveryQuery, ResendInfo,
};
use crate::protocol::warnings::WarningRecord;
use crate::store::central::outbox::{OutboxRow, ResendMark};

/// Whom an outbox row of a warning is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressee {
    /// A recipient, by id.
    Recipient(u64),
    /// A WeCom group robot, by its configured name.
    Robot(String),
}

/// Whom and by which channel an outbox key names (`warning:w7:12:sms` → recipient 12, `sms`;
/// `warning:w7:robot:county:wecom` → robot `county`, `wecom`).
pub fn keyed(warning: &str, key: &str) -> Option<(Addressee, String)> {
    let rest = key.strip_prefix(&format!("warning:{warning}:"))?;
    if let Some(robot) = rest.strip_prefix(&format!("{ROBOT}:")) {
        let (name, channel) = robot.rsplit_once(':')?;
        return Some((Addressee::Robot(name.to_owned()), channel.to_owned()));
    }
    let (recipient, channel) = rest.split_once(':')?;
    Some((
        Addressee::Recipient(recipient.parse().ok()?),
        channel.to_owned(),
    ))
}

/// The prefix of every outbox key of warning `id`.
pub fn key_prefix(id: &str) -> String {
    format!("warning:{id}:")
}

fn resend_info(mark: &ResendMark) -> ResendInfo {
    ResendInfo {
        how: mark.how.code().to_owned(),
        by: mark.by.clone(),
        reason: mark.reason.clone(),
        at: mark.at.to_rfc3339(),
    }
}

/// How the list is read: whole numbers or masked, and whether template receipts can come.
#[derive(Debug, Clone, Copy)]
struct Reading {
    whole: bool,
    wechat_callback: bool,
}

fn delivery(
    warning: &str,
    row: &OutboxRow,
    people: &[Recipient],
    how: Reading,
) -> Option<Delivery> {
    let (addressee, channel) = keyed(warning, &row.idem_key)?;
    let (recipient, robot) = match addressee {
        Addressee::Recipient(id) => (Some(id), None),
        Addressee::Robot(name) => (None, Some(name)),
    };
    let person = people
        .iter()
        .find(|p| Some(p.id) == recipient)
        .map(|p| &p.draft);
    let said = status::status(&channel, row.state);
    // A template message left `accepted` says why when no callback can settle it.
    let reason = row.last_error.clone().or_else(|| {
        (said.word == "accepted" && !said.received)
            .then(|| status::channel_note(&channel, how.wechat_callback))
            .flatten()
            .map(str::to_owned)
    });
    Some(Delivery {
        recipient,
        robot,
        name: person.map(|p| p.name.clone()),
        phone: person.and_then(|p| p.phone_for(how.whole)),
        township: person.and_then(|p| p.township.map(|t| t.to_string())),
        status: said.word.to_owned(),
        received: said.received,
        attempt: row.attempt,
        channel,
        state: row.state.code().to_owned(),
        reason,
        resent: row.resent.as_ref().map(resend_info),
        updated_at: row.updated_at.to_rfc3339(),
    })
}

/// Per channel, its messages by status word (channels in first-seen order).
pub fn channel_counts(deliveries: &[Delivery], wechat_callback: bool) -> Vec<ChannelDeliveries> {
    let mut channels: Vec<ChannelDeliveries> = Vec::new();
    for d in deliveries {
        let at = match channels.iter().position(|c| c.channel == d.channel) {
            Some(at) => at,
            None => {
                channels.push(ChannelDeliveries {
                    channel: d.channel.clone(),
                    counts: BTreeMap::new(),
                    total: 0,
                    received: 0,
                    note: status::channel_note(&d.channel, wechat_callback).map(str::to_owned),
                });
                channels.len() - 1
            }
        };
        let line = &mut channels[at];
        *line.counts.entry(d.status.clone()).or_insert(0) += 1;
        line.total += 1;
        line.received += u64::from(d.received);
    }
    channels
}

/// The recipient and channel of a row of warning `warning` addressed to a person (a robot's
/// rows are not a person's: decisions by recipient leave them alone).
pub fn person_keyed(warning: &str, key: &str) -> Option<(u64, String)> {
    match keyed(warning, key)? {
        (Addressee::Recipient(id), channel) => Some((id, channel)),
        (Addressee::Robot(_), _) => None,
    }
}

/// The recipients `rows` of warning `warning` are addressed to, each once, by id.
fn addressed(warning: &str, rows: &[OutboxRow]) -> Vec<u64> {
    let ids: BTreeSet<u64> = rows
        .iter()
        .filter_map(|row| person_keyed(warning, &row.idem_key))
        .map(|(id, _)| id)
        .collect();
    ids.into_iter().collect()
}

/// The warning `id` (404 if there is none) and its outbox rows.
pub async fn warning_rows(
    state: &AppState,
    id: &str,
) -> Result<(WarningRecord, Vec<OutboxRow>), Failure> {
    let lookup = id.to_owned();
    let record = state
        .blocking(move |s| s.warning(&lookup))
        .await?
        .ok_or_else(|| super::unknown(id))?;
    let rows = match state.channels().enqueuer.clone() {
        Some(enqueuer) => {
            let prefix = key_prefix(id);
            state
                .call(move |_| Ok(enqueuer.outbox().rows_keyed(&prefix)?))
                .await?
        }
        None => Vec::new(),
    };
    Ok((record, rows))
}

/// `GET /warnings/{id}/deliveries`.
pub async fn deliveries(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> Result<Json<DeliveryList>, Failure> {
    let (record, rows) = warning_rows(&state, &id).await?;
    // Only the people its rows name: the desk polls this every few seconds.
    let named = addressed(&id, &rows);
    let people = state
        .blocking(move |store| store.recipients_named(&named))
        .await?;
    let how = Reading {
        whole: principal.may(Capability::ManageRecipients),
        wechat_callback: state.channels().wechat_callback.is_some(),
    };
    let deliveries: Vec<Delivery> = rows
        .iter()
        .filter_map(|row| delivery(&id, row, &people, how))
        .collect();
    let mut counts = BTreeMap::new();
    for d in &deliveries {
        *counts.entry(d.state.clone()).or_insert(0) += 1;
    }
    let channels = channel_counts(&deliveries, how.wechat_callback);
    let not_received = deliveries.iter().filter(|d| !d.received).count() as u64;
    let resend_policy = state
        .warnings()
        .resend_unknown
        .levels
        .contains(&record.content.level);
    let deliveries = deliveries
        .into_iter()
        .filter(|d| !query.not_received || !d.received)
        .collect();
    Ok(Json(DeliveryList {
        warning: id,
        counts,
        channels,
        not_received,
        resend_policy,
        deliveries,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_its_recipient_or_robot_and_channel_for_its_warning_only() {
        let person = |id| Some(Addressee::Recipient(id));
        let robot = |name: &str| Some(Addressee::Robot(name.to_owned()));
        let table = [
            ("w7", "warning:w7:12:sms", person(12), "sms"),
            ("w7", "warning:w7:12:wechat", person(12), "wechat"),
            (
                "w7",
                "warning:w7:robot:county:wecom",
                robot("county"),
                "wecom",
            ),
            (
                "w7",
                "warning:w7:robot:town:a:wecom",
                robot("town:a"),
                "wecom",
            ),
            ("w7", "warning:w70:12:sms", None, ""),
            ("w7", "warning:w7:x:sms", None, ""),
            ("w7", "warning:w7:robot:wecom", None, ""),
            ("w7", "command:3", None, ""),
        ];
        for (warning, key, who, channel) in table {
            let want = who.map(|w| (w, channel.to_owned()));
            assert_eq!(keyed(warning, key), want, "{key}");
        }
    }

    fn sample(channel: &str, status: &str, received: bool) -> Delivery {
        Delivery {
            recipient: Some(1),
            robot: None,
            name: None,
            phone: None,
            channel: channel.to_owned(),
            state: String::new(),
            status: status.to_owned(),
            received,
            township: None,
            attempt: 1,
            reason: None,
            resent: None,
            updated_at: String::new(),
        }
    }

    #[test]
    fn channels_count_their_own_words_and_what_was_received() {
        let list = [
            sample("sms", "delivered", true),
            sample("sms", "failed", false),
            sample("wecom", "accepted", true),
            sample("sms", "delivered", true),
        ];
        let channels = channel_counts(&list, false);
        let got: Vec<(&str, u64, u64, bool)> = channels
            .iter()
            .map(|c| (c.channel.as_str(), c.total, c.received, c.note.is_some()))
            .collect();
        assert_eq!(got, [("sms", 3, 2, false), ("wecom", 1, 1, true)]);
        assert_eq!(
            channels[0].counts,
            BTreeMap::from([("delivered".to_owned(), 2), ("failed".to_owned(), 1)])
        );
    }
}
