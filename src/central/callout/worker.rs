//! The 叫应 worker: closes lines by the replies the reports worker stored (an SMS reply, a
//! follower's WeChat text) and escalates open lines on the central's clock — to the duty desk
//! after `escalate_desk_minutes`, to the supervisor after `escalate_supervisor_minutes`. It
//! waits for the next reply, the next escalation due or `tick` (a clock set by hand, as tests
//! do, is noticed within a tick), whichever comes first. Each run starts by applying the
//! stored replies no line took ([`apply_stored_replies`]): a reply stored just before the
//! central stopped is not lost on the way between the two workers.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};

use crate::central::channels::reports::StoredReply;
use crate::central::channels::{SMS, WECHAT};
use crate::central::core::AppState;
use crate::central::warnings::dispatch::{everyone, still_out};
use crate::central::workers::{WorkerContext, WorkerSpec};
use crate::domain::Timestamp;
use crate::domain::callout::{AnswerHow, CalloutRules, OpenLine, match_reply};
use crate::domain::recipients::Recipient;
use crate::protocol::callout::CalloutChange;
use crate::store::StoreError;
use crate::store::central::CentralStore;
use crate::store::central::callout::{Answer, StoredLine};

/// The worker's name on the board.
pub const NAME: &str = "callout";

/// The replies the reports worker hands over; shared by the worker's runs.
pub type Replies = Arc<Mutex<mpsc::Receiver<StoredReply>>>;

/// The recipient who sent `reply` on its channel: the number (an SMS) or the openid (WeChat).
pub fn sender<'a>(people: &'a [Recipient], channel: &str, from: &str) -> Option<&'a Recipient> {
    let from = from.trim();
    match channel {
        SMS => {
            let digits: String = from.chars().filter(char::is_ascii_digit).collect();
            // +86 / 0086 / 86 prefixes: the national number is the last eleven digits.
            let national = digits.get(digits.len().saturating_sub(11)..)?;
            people.iter().find(|p| {
                p.draft
                    .phone
                    .as_ref()
                    .is_some_and(|n| n.expose() == national)
            })
        }
        WECHAT => people
            .iter()
            .find(|p| p.draft.wechat_openid.as_deref() == Some(from)),
        _ => None,
    }
}

fn open_lines(stored: &[StoredLine]) -> Vec<OpenLine> {
    stored
        .iter()
        .map(|l| OpenLine {
            id: l.change.line,
            recipient: l.change.recipient,
            code: l.code.clone(),
            called_at: l.change.called_at,
        })
        .collect()
}

/// Closes the line `reply` answers, if any (blocking): the change, `None` when the sender is
/// unknown or has no open line (the reply stays in the inbound messages).
pub fn apply_reply(
    store: &dyn CentralStore,
    reply: &StoredReply,
    now: Timestamp,
) -> Result<Option<CalloutChange>, StoreError> {
    apply_reply_from(store, &everyone(store)?, reply, now)
}

/// [`apply_reply`] with the recipients already read (`people`).
fn apply_reply_from(
    store: &dyn CentralStore,
    people: &[Recipient],
    reply: &StoredReply,
    now: Timestamp,
) -> Result<Option<CalloutChange>, StoreError> {
    let message = &reply.message;
    let Some(person) = sender(people, &message.channel, &message.sender) else {
        return Ok(None);
    };
    // Matched among the lines open when it arrived: one a phone call closed since (the reply
    // was waiting, or lost until a restart) keeps it, and an older line is not closed instead.
    let open = open_lines(&store.callout_lines_open_at(message.at)?);
    let Some(line) = match_reply(&open, person.id, &message.text, message.at) else {
        return Ok(None);
    };
    let how = if message.channel == WECHAT {
        AnswerHow::Wechat
    } else {
        AnswerHow::SmsReply
    };
    let answer = Answer {
        how,
        at: message.at,
        by: person.draft.name.clone(),
        said: message.text.clone(),
        inbound: Some(reply.id),
    };
    store.answer_callout(line, &answer, now)
}

/// Applies the stored replies no line took (blocking): those the reports worker stored but
/// that never reached this worker (the central stopped between the two), before anything
/// else, so their lines neither stay open nor escalate. Idempotent: a reply answers one line
/// at most, and one that matches nothing stays as it was. How many closed a line.
pub fn apply_stored_replies(store: &dyn CentralStore, now: Timestamp) -> Result<usize, StoreError> {
    let replies = store.callout_replies_to_apply()?;
    if replies.is_empty() {
        return Ok(0);
    }
    // The list read once for them all, not once a reply.
    let people = everyone(store)?;
    let mut closed = 0;
    for reply in replies {
        if apply_reply_from(store, &people, &reply, now)?.is_some() {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Escalates every open line of a warning still in force whose time has come (blocking); the
/// changes, and when the next escalation is due. A lifted, replaced or expired warning's
/// lines stay where they are: nobody is chased for an ended warning.
pub fn escalate_due(
    store: &dyn CentralStore,
    rules: &CalloutRules,
    now: Timestamp,
) -> Result<(Vec<CalloutChange>, Option<Timestamp>), StoreError> {
    let in_force: BTreeSet<String> = store
        .warnings()?
        .into_iter()
        .filter(|r| still_out(r, now))
        .map(|r| r.id)
        .collect();
    let mut changed = Vec::new();
    let mut next: Option<Timestamp> = None;
    let open = store.open_callout_lines()?;
    for line in open.iter().filter(|l| in_force.contains(&l.change.warning)) {
        let c = &line.change;
        let stage = rules.stage(c.called_at, now).max(c.stage);
        if stage > c.stage {
            changed.extend(store.escalate_callout(c.line, stage, now)?);
        }
        if let Some(due) = rules.next_escalation(c.called_at, stage) {
            next = Some(next.map_or(due, |n| n.min(due)));
        }
    }
    Ok((changed, next))
}

/// The worker over `state`'s store; `replies` from the reports worker, when channels run.
pub fn worker(state: AppState, replies: Option<Replies>, tick: Duration) -> WorkerSpec {
    WorkerSpec::new(NAME, move |context: WorkerContext| {
        run(state.clone(), replies.clone(), tick, context)
    })
}

async fn run(
    state: AppState,
    replies: Option<Replies>,
    tick: Duration,
    context: WorkerContext,
) -> Result<(), String> {
    let mut replies = match &replies {
        Some(queue) => Some(queue.lock().await),
        None => None,
    };
    let now = context.clock().now();
    let mut answered = state
        .blocking(move |store| apply_stored_replies(store, now))
        .await
        .map_err(|f| f.body.message)?;
    if answered > 0 {
        tracing::info!(
            answered,
            "stored replies closed their 叫应 lines at the start"
        );
    }
    let mut escalated = 0_usize;
    loop {
        let now = context.clock().now();
        let rules = state.warnings().callout.clone();
        let (changes, next) = state
            .blocking(move |store| escalate_due(store, &rules, now))
            .await
            .map_err(|f| f.body.message)?;
        escalated += changes.len();
        advance(&state).await;
        context.report(format!(
            "answered by reply {answered} · escalated {escalated}"
        ));
        let wait = next.map_or(tick, |due| {
            let ms = u64::try_from(due.0 - now.0).unwrap_or(0);
            tick.min(Duration::from_millis(ms))
        });
        let reply = tokio::select! {
            reply = recv(replies.as_deref_mut()) => reply,
            awake = context.sleep(wait) => if awake { continue } else { return Ok(()) },
        };
        let Some(reply) = reply else {
            // The reports worker is gone: escalate on.
            replies = None;
            continue;
        };
        let now = context.clock().now();
        let closed = state
            .blocking(move |store| apply_reply(store, &reply, now))
            .await;
        match closed {
            Ok(Some(_)) => answered += 1,
            Ok(None) => tracing::info!("a reply matched no open 叫应 line; kept"),
            Err(failure) => {
                tracing::warn!(error = %failure.body.message, "a reply was not applied");
            }
        }
    }
}

/// The next reply, or never when there is no queue.
async fn recv(queue: Option<&mut mpsc::Receiver<StoredReply>>) -> Option<StoredReply> {
    match queue {
        Some(queue) => queue.recv().await,
        None => std::future::pending().await,
    }
}

/// Wakes live streams for what was just logged.
async fn advance(state: &AppState) {
    if let Ok(head) = state.blocking(|store| store.head()).await {
        state.advance_head(head);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recipients::{Duty, Group, MobileNumber, RecipientDraft};

    fn person(id: u64, phone: &str, openid: Option<&str>) -> Recipient {
        Recipient {
            id,
            draft: RecipientDraft {
                name: "李四".into(),
                township: None,
                village: None,
                group: Group::County,
                duty: Duty::Head,
                phone: MobileNumber::parse(phone).ok(),
                wechat_openid: openid.map(str::to_owned),
                wecom: None,
                active: true,
                note: String::new(),
            },
            version: 1,
        }
    }

    /// A store holding 李四 (13905981234) with a line on each of two warnings, w1 called at
    /// minute 0 and w2 at minute 1; the lines' ids in that order.
    fn two_lines() -> (
        tempfile::TempDir,
        crate::store::central::SqliteCentralStore,
        [i64; 2],
    ) {
        use crate::domain::audit::{AuditAction, AuditRecord, Outcome};
        use crate::store::central::callout::NewLine;
        use crate::store::central::recipients::RecipientStore as _;
        use crate::store::central::{CalloutStore as _, SqliteCentralStore};
        let dir = tempfile::tempdir().unwrap();
        let network = crate::assets::qingliu_network().unwrap();
        let qc = crate::assets::qc_config().unwrap();
        let store = SqliteCentralStore::open(&dir.path().join("c.sqlite"), &network, qc).unwrap();
        let at = Timestamp(1_790_000_000_000);
        let audit =
            |_: &Recipient| AuditRecord::new(at, "t", "", AuditAction::RecipientAdded, Outcome::Ok);
        let li = store
            .add_recipient(&person(0, "13905981234", None).draft, at, &audit)
            .unwrap();
        let line = [NewLine {
            recipient: li.id,
            duty: Duty::Head,
            township: None,
        }];
        let open = |w: &str, minute: i64| {
            let called = at.plus_ms(minute * 60_000);
            store.open_callout(w, w, &line, called).unwrap()[0].line
        };
        let ids = [open("w1", 0), open("w2", 1)];
        (dir, store, ids)
    }

    #[test]
    fn a_reply_that_waited_while_a_call_closed_its_line_closes_no_other() {
        use crate::store::central::CalloutStore as _;
        use crate::store::central::callout::Answer;
        let (_dir, store, [older, newer]) = two_lines();
        let minute = |m: i64| Timestamp(1_790_000_000_000 + m * 60_000);
        // 李 replies at minute 2; before the reply is applied, a forecaster logs that he
        // answered w2 by phone at minute 3.
        let call = Answer {
            how: AnswerHow::PhoneCall,
            at: minute(3),
            by: "李四".into(),
            said: "收到".into(),
            inbound: None,
        };
        store
            .answer_callout(newer, &call, minute(3))
            .unwrap()
            .unwrap();
        let reply = StoredReply {
            id: 1,
            message: crate::store::central::outbox::inbound::InboundMessage {
                channel: SMS.into(),
                sender: "13905981234".into(),
                text: "收到".into(),
                at: minute(2),
                message_id: None,
            },
        };
        assert_eq!(apply_reply(&store, &reply, minute(4)).unwrap(), None);
        let still_open = store.open_callout_lines().unwrap();
        assert_eq!(
            still_open.iter().map(|l| l.change.line).collect::<Vec<_>>(),
            [older],
            "w1's line was not the one he answered"
        );
    }

    #[test]
    fn a_sender_is_found_by_number_or_openid_on_its_own_channel() {
        let people = [
            person(1, "13905981234", Some("oA")),
            person(2, "13600000000", None),
        ];
        let table = [
            (SMS, "13905981234", Some(1)),
            (SMS, "+8613905981234", Some(1)),
            (SMS, "13600000000", Some(2)),
            (SMS, "oA", None),
            (WECHAT, "oA", Some(1)),
            (WECHAT, "13905981234", None),
            (SMS, "13700000000", None),
        ];
        for (channel, from, want) in table {
            let got = sender(&people, channel, from).map(|p| p.id);
            assert_eq!(got, want, "{channel} {from}");
        }
    }
}
