//! What happens after the hand-over: delivery receipts settle a row part by part (whichever
//! comes first, the receipt or the record of the send), a call without a clear answer leaves
//! the row `unknown`, and each channel's dispatcher claims only its own kind.

use std::sync::Arc;

use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::dispatch::{
    self, DispatchConfig, Dispatched, Provider, ProviderCall, ProviderError,
};
use wxdesk::domain::Timestamp;
use wxdesk::domain::outbox::OutboxState;
use wxdesk::store::central::outbox::receipts::PartOutcome;
use wxdesk::store::central::outbox::{NewMessage, OutboxRow, SqliteOutbox};

use super::outbox::{LEASE_MS, T0, clock_at, config, fresh_db, message};

/// Accepts every row as the parts its payload's text names (`a,b` → two parts).
struct Parts;

impl Provider for Parts {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(async move { Ok(row.idem_key.clone()) })
    }
}

/// A sent row whose provider id is `parts`, with `early` receipts recorded before the send.
async fn sent_with_receipts(
    outbox: &Arc<SqliteOutbox>,
    parts: &str,
    early: &[(&str, PartOutcome)],
) -> i64 {
    for (part, outcome) in early {
        outbox
            .record_receipt(part, outcome, Timestamp(T0), Timestamp(T0))
            .unwrap();
    }
    let (id, _) = outbox.enqueue(&message(parts), Timestamp(T0)).unwrap();
    dispatch::dispatch_once(
        outbox,
        &Parts,
        &clock_at(T0),
        &config("w", Failpoints::none()),
    )
    .await
    .unwrap();
    id
}

/// (parts, receipts before the send, receipts after it, final state, its reason)
type Case = (
    &'static str,
    Vec<(&'static str, PartOutcome)>,
    Vec<(&'static str, PartOutcome)>,
    OutboxState,
    Option<&'static str>,
);

fn failed(reason: &str) -> PartOutcome {
    PartOutcome::Failed(reason.to_owned())
}

#[tokio::test]
async fn a_row_is_settled_when_every_part_has_its_receipt() {
    use OutboxState::{Delivered, Failed, Sent};
    let ok = PartOutcome::Delivered;
    let table: Vec<Case> = vec![
        ("m1", vec![], vec![("m1", ok.clone())], Delivered, None),
        ("m2", vec![("m2", ok.clone())], vec![], Delivered, None),
        ("p1,p2", vec![], vec![("p1", ok.clone())], Sent, None),
        (
            "q1,q2",
            vec![("q2", ok.clone())],
            vec![("q1", ok.clone())],
            Delivered,
            None,
        ),
        (
            "r1,r2",
            vec![],
            vec![("r1", ok.clone()), ("r2", failed("UNDELIV 005"))],
            Failed,
            Some("UNDELIV 005"),
        ),
        (
            "s1",
            vec![],
            vec![("s1", failed("EXPIRED")), ("s1", ok.clone())],
            Failed,
            Some("EXPIRED"),
        ),
        ("t1", vec![], vec![("unrelated", ok.clone())], Sent, None),
    ];
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
    for (parts, early, late, state, reason) in table {
        let id = sent_with_receipts(&outbox, parts, &early).await;
        for (part, outcome) in &late {
            outbox
                .record_receipt(part, outcome, Timestamp(T0 + 5_000), Timestamp(T0 + 5_000))
                .unwrap();
        }
        let row = outbox.row(id).unwrap().unwrap();
        assert_eq!(row.state, state, "{parts}");
        assert_eq!(row.provider_id.as_deref(), Some(parts));
        if reason.is_some() {
            assert_eq!(row.last_error.as_deref(), reason, "{parts}");
        }
    }
}

#[tokio::test]
async fn a_call_without_a_clear_answer_is_unknown_and_not_sent_again() {
    struct LinkDropped;
    impl Provider for LinkDropped {
        fn send<'a>(&'a self, _row: &'a OutboxRow) -> ProviderCall<'a> {
            Box::pin(async { Err(ProviderError::Unknown("link lost after submit".into())) })
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
    let (id, _) = outbox.enqueue(&message("in-doubt"), Timestamp(T0)).unwrap();
    let pass = config("w", Failpoints::none());
    let done = dispatch::dispatch_once(&outbox, &LinkDropped, &clock_at(T0), &pass)
        .await
        .unwrap();
    assert_eq!(
        done,
        Dispatched {
            unknown: 1,
            ..Dispatched::default()
        }
    );
    let row = outbox.row(id).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Unknown);
    assert_eq!(row.last_error.as_deref(), Some("link lost after submit"));
    let later = clock_at(T0 + 10 * LEASE_MS);
    let again = dispatch::dispatch_once(&outbox, &LinkDropped, &later, &pass)
        .await
        .unwrap();
    assert_eq!(
        again,
        Dispatched::default(),
        "an unknown row waits for a decision"
    );
}

#[tokio::test]
async fn each_channel_claims_only_its_own_kind() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
    let robot = NewMessage {
        kind: "wecom".to_owned(),
        ..message("robot")
    };
    let (robot_id, _) = outbox.enqueue(&robot, Timestamp(T0)).unwrap();
    let (sms_id, _) = outbox.enqueue(&message("sms"), Timestamp(T0)).unwrap();
    let sms_only = DispatchConfig {
        kind: Some("sms".to_owned()),
        ..config("sms-worker", Failpoints::none())
    };
    let done = dispatch::dispatch_once(&outbox, &Parts, &clock_at(T0), &sms_only)
        .await
        .unwrap();
    assert_eq!(done.sent, 1);
    assert_eq!(
        outbox.row(sms_id).unwrap().unwrap().state,
        OutboxState::Sent
    );
    assert_eq!(
        outbox.row(robot_id).unwrap().unwrap().state,
        OutboxState::Queued
    );
}
