//! What each warning step does to the records, decided on the records as stored: the domain's
//! lifecycle, checks and approval rules applied by the central, which recomputes every pin
//! and trusts no client's. Pure: the handlers run these inside the store's write transaction.

use serde::Serialize;

use super::settings::WarningSettings;
use crate::domain::Timestamp;
use crate::domain::access::Role;
use crate::domain::refusal::{Code, Param, Refusal};
use crate::domain::warning::approval::{self, ApprovalError, Draft, DraftEvent, DraftState};
use crate::domain::warning::checks::{self, Severity};
use crate::domain::warning::lifecycle::{self, InForce, Proposal};
use crate::domain::warning::{Action, Catalogue};
use crate::protocol::warnings::{WarningContent, WarningRecord, WarningStep};
use crate::store::central::{WarningBook, WarningError};

/// Who takes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    /// The login name.
    pub name: &'a str,
    /// Its role.
    pub role: Role,
}

/// A domain error's `{code, params}` as a registered refusal (lists joined with `、`).
pub fn coded(error: &impl Serialize) -> Refusal {
    let wire = serde_json::to_value(error).unwrap_or_default();
    let code = wire["code"].as_str().and_then(Code::parse);
    let mut refusal = Refusal::new(code.unwrap_or(Code::Internal));
    if let Some(params) = wire["params"].as_object() {
        for (name, value) in params {
            let param = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => Param::Text(s.clone()),
                serde_json::Value::Number(n) => n
                    .as_i64()
                    .map_or_else(|| Param::from(n.as_f64().unwrap_or(f64::NAN)), Param::Int),
                serde_json::Value::Array(items) => Param::Text(
                    items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join("、"),
                ),
                other => Param::Text(other.to_string()),
            };
            refusal.params.insert(name.clone(), param);
        }
    }
    refusal
}

/// Every released record as the lifecycle sees it. A released partial lift stands for what
/// it leaves in force: the followed warning's other townships, until its expiry.
pub fn in_force(records: &[WarningRecord]) -> Vec<InForce> {
    let find = |id: &str| records.iter().find(|r| r.id == id);
    records
        .iter()
        .filter(|r| r.released_at.is_some())
        .filter_map(|r| {
            let c = &r.content;
            let (area, expires_at) = if c.action == Action::Lift {
                let followed = find(c.follows.as_deref()?)?;
                let left = followed.content.area.difference(&c.area).cloned();
                (left.collect(), followed.content.expires_at?)
            } else {
                (c.area.clone(), c.expires_at?)
            };
            Some(InForce {
                id: r.id.clone(),
                signal: c.signal.clone(),
                level: c.level,
                closed: r.replaced_by.is_some() || area.is_empty(),
                area,
                expires_at,
            })
        })
        .collect()
}

/// Whether `content` may follow what it names (or be issued) at `now`.
pub fn check_lifecycle(
    content: &WarningContent,
    book: &WarningBook,
    now: Timestamp,
) -> Result<(), WarningError> {
    // Practice and real warnings live apart: a drill never blocks or follows a real one.
    let same_world: Vec<WarningRecord> = book
        .records
        .iter()
        .filter(|r| r.content.practice == content.practice)
        .cloned()
        .collect();
    let all = in_force(&same_world);
    let prev = match &content.follows {
        None => None,
        Some(id) => Some(all.iter().find(|w| &w.id == id).ok_or_else(|| {
            WarningError::Unprocessable(Refusal::new(Code::FollowsUnknown).with("id", id.as_str()))
        })?),
    };
    let proposal = Proposal {
        action: content.action,
        signal: content.signal.clone(),
        level: content.level,
        area: content.area.clone(),
        enlarge_confirmed: content.enlarge_confirmed,
    };
    lifecycle::follow(prev, &proposal, &all, now)
        .map(drop)
        .map_err(|e| WarningError::Unprocessable(coded(&e)))
}

/// The blocking findings of the pre-send checks the central can make (times, every channel's
/// text, template fields), townships of the county and a signal the catalogue knows, the
/// first one refused.
pub fn check_content(
    content: &WarningContent,
    catalogue: &Catalogue,
    settings: &WarningSettings,
    now: Timestamp,
) -> Result<(), WarningError> {
    if let Some(code) = content
        .area
        .iter()
        .find(|c| !settings.townships.contains(c.as_str()))
    {
        return Err(WarningError::Unprocessable(
            Refusal::new(Code::UnknownTownship).with("code", code.as_str()),
        ));
    }
    let known = catalogue
        .signal(&content.signal)
        .is_some_and(|s| s.level(content.level).is_some());
    if !known {
        let name = format!("{}:{}", content.signal, content.level.id());
        return Err(WarningError::Unprocessable(
            Refusal::new(Code::UnknownSignal).with("signal", name),
        ));
    }
    let c = content;
    let mut findings =
        checks::check_times(c.action, c.issued_at, c.expires_at, now, &settings.checks);
    for (channel, text) in &c.texts {
        findings.extend(checks::check_channel(*channel, text, &settings.checks));
    }
    let fields: Vec<(String, String)> = c.template_fields.clone().into_iter().collect();
    findings.extend(checks::check_template_fields(&fields));
    match findings.iter().find(|f| f.severity() == Severity::Block) {
        Some(block) => Err(WarningError::Unprocessable(coded(block))),
        None => Ok(()),
    }
}

fn step(at: Timestamp, by: &str, step: &str, comment: Option<String>) -> WarningStep {
    WarningStep {
        at,
        by: by.to_owned(),
        step: step.to_owned(),
        comment,
        name: None,
    }
}

/// A new record of `content`, submitted by `drafter`.
pub fn submit(
    book: &WarningBook,
    content: WarningContent,
    drafter: &str,
    now: Timestamp,
) -> WarningRecord {
    WarningRecord {
        id: book.next_id.clone(),
        pin: content.pin(),
        content,
        drafter: drafter.to_owned(),
        state: DraftState::Submitted,
        steps: vec![step(now, drafter, "submitted", None)],
        cap_identifier: None,
        released_at: None,
        replaced_by: None,
    }
}

fn draft(record: &WarningRecord) -> Draft {
    Draft {
        drafter: record.drafter.clone(),
        action: record.content.action,
        state: record.state.clone(),
    }
}

/// The approval rules' refusal as the API answers it.
pub fn refused(error: &ApprovalError) -> WarningError {
    match error {
        ApprovalError::NotNow { event, state } => WarningError::Conflict(
            Refusal::new(Code::WarningNotNow)
                .with("event", event.as_str())
                .with("state", state.as_str()),
        ),
        ApprovalError::NotAllowed { role, capability } => WarningError::Forbidden(
            Refusal::new(Code::Forbidden)
                .with("capability", capability.code())
                .with("role", role.code()),
        ),
        ApprovalError::ApproverIsDrafter | ApprovalError::AloneNotAllowed { .. } => {
            WarningError::Forbidden(coded(error))
        }
        ApprovalError::CommentRequired => WarningError::Unprocessable(coded(error)),
        ApprovalError::ContentChanged => WarningError::Conflict(coded(error)),
    }
}

fn check_pin(record: &WarningRecord, pin: &str) -> Result<(), WarningError> {
    if record.pin == pin {
        Ok(())
    } else {
        Err(WarningError::Conflict(Refusal::new(Code::ContentChanged)))
    }
}

/// The drafter's new content for a record not yet sent: submitted again, any approval void.
pub fn revise(
    record: &WarningRecord,
    content: WarningContent,
    actor: Actor<'_>,
    now: Timestamp,
) -> Result<WarningRecord, WarningError> {
    if actor.name != record.drafter {
        return Err(WarningError::Forbidden(Refusal::new(Code::NotDrafter)));
    }
    let policy = approval::AlonePolicy::default();
    let editing =
        approval::step(&draft(record), &DraftEvent::Edit, &policy).map_err(|e| refused(&e))?;
    let mut editing_draft = draft(record);
    editing_draft.state = editing;
    let state =
        approval::step(&editing_draft, &DraftEvent::Submit, &policy).map_err(|e| refused(&e))?;
    let mut next = record.clone();
    next.pin = content.pin();
    next.content = content;
    next.state = state;
    next.steps.push(step(now, actor.name, "revised", None));
    Ok(next)
}

/// The record after `event`, taken by `actor` at `now` as step `name` (with `comment`); with
/// `pin`, only if it is the record's.
fn advance(
    record: &WarningRecord,
    event: &DraftEvent,
    policy: &approval::AlonePolicy,
    pin: Option<&str>,
    (actor, now, name, comment): (Actor<'_>, Timestamp, &str, Option<String>),
) -> Result<WarningRecord, WarningError> {
    let state = approval::step(&draft(record), event, policy).map_err(|e| refused(&e))?;
    if let Some(pin) = pin {
        check_pin(record, pin)?;
    }
    let mut next = record.clone();
    next.state = state;
    next.steps.push(step(now, actor.name, name, comment));
    Ok(next)
}

/// A supervisor's approval of the record as pinned.
pub fn approve(
    record: &WarningRecord,
    pin: &str,
    actor: Actor<'_>,
    now: Timestamp,
) -> Result<WarningRecord, WarningError> {
    let event = DraftEvent::Approve {
        by: actor.name.to_owned(),
        role: actor.role,
        pin: pin.to_owned(),
    };
    let policy = approval::AlonePolicy::default();
    advance(
        record,
        &event,
        &policy,
        Some(pin),
        (actor, now, "approved", None),
    )
}

/// A supervisor's return with a comment.
pub fn send_back(
    record: &WarningRecord,
    comment: &str,
    actor: Actor<'_>,
    now: Timestamp,
) -> Result<WarningRecord, WarningError> {
    let comment = comment.trim().to_owned();
    let event = DraftEvent::Return {
        by: actor.name.to_owned(),
        role: actor.role,
        comment: comment.clone(),
    };
    let policy = approval::AlonePolicy::default();
    advance(
        record,
        &event,
        &policy,
        None,
        (actor, now, "returned", Some(comment)),
    )
}

/// The drafter signs a continue or lift alone, where `policy` allows it at `now`.
pub fn sign_alone(
    record: &WarningRecord,
    pin: &str,
    actor: Actor<'_>,
    policy: &approval::AlonePolicy,
    now: Timestamp,
) -> Result<WarningRecord, WarningError> {
    let event = DraftEvent::SignAlone {
        by: actor.name.to_owned(),
        role: actor.role,
        pin: pin.to_owned(),
        at: now,
    };
    advance(
        record,
        &event,
        policy,
        Some(pin),
        (actor, now, "signed_alone", None),
    )
}

/// Release of an approved record: sent, stamped with its CAP identifier, and the warning it
/// follows marked replaced. The records to store, the released one first.
pub fn release(
    record: &WarningRecord,
    pin: &str,
    actor: Actor<'_>,
    book: &WarningBook,
    issuer_code: &str,
    now: Timestamp,
) -> Result<Vec<WarningRecord>, WarningError> {
    let event = DraftEvent::Send {
        by: actor.name.to_owned(),
        role: actor.role,
        pin: pin.to_owned(),
    };
    let policy = approval::AlonePolicy::default();
    let mut next = advance(
        record,
        &event,
        &policy,
        Some(pin),
        (actor, now, "released", None),
    )?;
    // What it follows may have been replaced or expired since it was approved.
    check_lifecycle(&record.content, book, now)?;
    next.released_at = Some(now);
    next.cap_identifier = Some(cap_identifier(book, issuer_code, now)?);
    let mut written = vec![next];
    if let Some(followed) = record
        .content
        .follows
        .as_deref()
        .and_then(|id| book.find(id))
    {
        let mut replaced = followed.clone();
        replaced.replaced_by = Some(record.id.clone());
        written.push(replaced);
    }
    Ok(written)
}

/// The national identifier for a release at `now`; a second release within the same second
/// takes the next free second, so identifiers stay unique.
fn cap_identifier(
    book: &WarningBook,
    issuer_code: &str,
    now: Timestamp,
) -> Result<String, WarningError> {
    let taken = |id: &str| {
        book.records
            .iter()
            .any(|r| r.cap_identifier.as_deref() == Some(id))
    };
    let mut at = now;
    loop {
        let id = crate::formats::cap::identifier(issuer_code, at)
            .map_err(|e| WarningError::Store(crate::store::StoreError::Decode(e.to_string())))?;
        if !taken(&id) {
            return Ok(id);
        }
        at = at.plus_ms(1000);
    }
}

#[cfg(test)]
mod tests;
