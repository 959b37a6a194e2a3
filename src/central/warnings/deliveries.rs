//! `GET /warnings/{id}/deliveries`: a released warning's messages person by person — who has
//! it, who has not, and why — read from the outbox rows its release made. Names are shown to
//! every reader (as the recipients list shows them); numbers whole only to `manage_recipients`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;

use super::super::auth::Principal;
use super::super::core::AppState;
use super::super::error::{ApiPath, Failure};
use super::dispatch::{ROBOT, everyone};
use crate::domain::access::Capability;
use crate::domain::recipients::Recipient;
use crate::protocol::outbox::{Delivery, DeliveryList};
use crate::store::central::outbox::OutboxRow;

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

fn delivery(warning: &str, row: &OutboxRow, people: &[Recipient], whole: bool) -> Option<Delivery> {
    let (addressee, channel) = keyed(warning, &row.idem_key)?;
    let (recipient, robot) = match addressee {
        Addressee::Recipient(id) => (Some(id), None),
        Addressee::Robot(name) => (None, Some(name)),
    };
    let person = people
        .iter()
        .find(|p| Some(p.id) == recipient)
        .map(|p| &p.draft);
    Some(Delivery {
        recipient,
        robot,
        name: person.map(|p| p.name.clone()),
        phone: person.and_then(|p| p.phone_for(whole)),
        channel,
        state: row.state.code().to_owned(),
        reason: row.last_error.clone(),
        updated_at: row.updated_at.to_rfc3339(),
    })
}

/// `GET /warnings/{id}/deliveries`.
pub async fn deliveries(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath,
) -> Result<Json<DeliveryList>, Failure> {
    let lookup = id.clone();
    if state.blocking(move |s| s.warning(&lookup)).await?.is_none() {
        return Err(super::unknown(&id));
    }
    let rows = match state.channels().enqueuer.clone() {
        Some(enqueuer) => {
            let prefix = format!("warning:{id}:");
            state
                .call(move |_| Ok(enqueuer.outbox().rows_keyed(&prefix)?))
                .await?
        }
        None => Vec::new(),
    };
    let people = state.call(|store| Ok(everyone(store)?)).await?;
    let whole = principal.may(Capability::ManageRecipients);
    let deliveries: Vec<Delivery> = rows
        .iter()
        .filter_map(|row| delivery(&id, row, &people, whole))
        .collect();
    let mut counts = BTreeMap::new();
    for d in &deliveries {
        *counts.entry(d.state.clone()).or_insert(0) += 1;
    }
    Ok(Json(DeliveryList {
        warning: id,
        counts,
        deliveries,
    }))
}

#[cfg(test)]
mod tests {
    use super::{Addressee, keyed};

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
}
