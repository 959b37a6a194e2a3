//! The durable outbox: idempotent enqueue, claims, fencing, and a worker killed at each named
//! failpoint (a real abort of a child process) — after which the outbox is reopened,
//! recovered, and nothing has been handed over twice.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use wxdesk::central::failpoint::{self, Failpoints};
use wxdesk::central::workers::dispatch::{
    self, DispatchConfig, Dispatched, Provider, ProviderCall, ProviderError,
};
use wxdesk::domain::Timestamp;
use wxdesk::domain::outbox::{OutboxEvent, OutboxState};
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::store::central::SqliteCentralStore;
use wxdesk::store::central::outbox::{NewMessage, OutboxError, OutboxRow, SqliteOutbox};

pub(crate) const T0: i64 = 1_800_000_000_000;
pub(crate) const LEASE_MS: i64 = 30_000;
/// Set in the child process: the database it dispatches from.
const CHILD_DB: &str = "WXDESK_TEST_OUTBOX_DB";
/// Set in the child process: the file its provider appends each handed-over key to.
const CHILD_SENT: &str = "WXDESK_TEST_OUTBOX_SENT";

pub(crate) fn fresh_db(dir: &Path) -> PathBuf {
    let path = dir.join("central.sqlite");
    let network = wxdesk::assets::qingliu_network().unwrap();
    let qc = wxdesk::assets::qc_config().unwrap();
    drop(SqliteCentralStore::open(&path, &network, qc).unwrap());
    path
}

pub(crate) fn message(key: &str) -> NewMessage {
    NewMessage {
        idem_key: key.to_owned(),
        kind: "sms".to_owned(),
        payload: r#"{"to":"recipient-1","text":"暴雨蓝色预警"}"#.to_owned(),
        due_at: Timestamp(T0),
    }
}

pub(crate) fn config(owner: &str, failpoints: Failpoints) -> DispatchConfig {
    DispatchConfig {
        owner: owner.to_owned(),
        lease_ms: LEASE_MS,
        batch: 10,
        retry_base_ms: 1_000,
        retry_cap_ms: 60_000,
        failpoints,
        kind: None,
        concurrency: 1,
    }
}

/// A provider that writes down, durably, every key it was handed: the proof of what left.
struct Recording(PathBuf);

impl Provider for Recording {
    fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
        Box::pin(async move {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.0)
                .map_err(|e| ProviderError::Retry(e.to_string()))?;
            writeln!(file, "{}", row.idem_key).map_err(|e| ProviderError::Retry(e.to_string()))?;
            file.sync_all()
                .map_err(|e| ProviderError::Retry(e.to_string()))?;
            Ok(format!("provider-{}", row.id))
        })
    }
}

fn handed_over(sent: &Path, key: &str) -> usize {
    std::fs::read_to_string(sent)
        .unwrap_or_default()
        .lines()
        .filter(|line| *line == key)
        .count()
}

pub(crate) fn clock_at(ms: i64) -> SharedClock {
    ManualClock::new(Timestamp(ms))
}

/// The child's half of [`a_worker_killed_at_each_failpoint_never_sends_twice`]: one dispatch
/// pass with the failpoints `WXDESK_FAILPOINTS` arms. A no-op in an ordinary test run.
#[tokio::test]
async fn crash_child() {
    let (Ok(db), Ok(sent)) = (std::env::var(CHILD_DB), std::env::var(CHILD_SENT)) else {
        return;
    };
    let outbox = Arc::new(SqliteOutbox::open(Path::new(&db)).unwrap());
    let config = config("child", Failpoints::from_env());
    dispatch::dispatch_once(&outbox, &Recording(sent.into()), &clock_at(T0), &config)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_worker_killed_at_each_failpoint_never_sends_twice() {
    // (failpoint, state the kill leaves, state after recovery, state after the next pass,
    // times handed over in all)
    let table = [
        (
            dispatch::AFTER_CLAIM,
            OutboxState::Claimed,
            OutboxState::Queued,
            OutboxState::Sent,
            1,
        ),
        (
            dispatch::AFTER_MARK_SENDING,
            OutboxState::Sending,
            OutboxState::Unknown,
            OutboxState::Unknown,
            0,
        ),
        (
            dispatch::AFTER_PROVIDER_CALL,
            OutboxState::Sending,
            OutboxState::Unknown,
            OutboxState::Unknown,
            1,
        ),
        (
            dispatch::AFTER_MARK_SENT,
            OutboxState::Sent,
            OutboxState::Sent,
            OutboxState::Sent,
            1,
        ),
    ];
    assert_eq!(table.map(|row| row.0), dispatch::FAILPOINTS);
    for (point, killed, recovered, after, sends) in table {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh_db(dir.path());
        let sent = dir.path().join("sent.txt");
        let outbox = SqliteOutbox::open(&db).unwrap();
        let (id, _) = outbox
            .enqueue(&message("w1:r1:sms"), Timestamp(T0))
            .unwrap();
        drop(outbox);

        let status = Command::new(std::env::current_exe().unwrap())
            .args(["outbox::crash_child", "--exact", "--nocapture"])
            .env(failpoint::ENV, format!("{point}=abort"))
            .env(CHILD_DB, &db)
            .env(CHILD_SENT, &sent)
            .status()
            .unwrap();
        assert!(
            !status.success(),
            "{point}: the child must have been killed"
        );
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt as _;
            assert_eq!(status.signal(), Some(6), "{point}: killed by SIGABRT");
        }

        let outbox = Arc::new(SqliteOutbox::open(&db).unwrap());
        assert_eq!(outbox.row(id).unwrap().unwrap().state, killed, "{point}");
        // The lease still holds: recovery leaves the row to its (dead) holder.
        outbox.recover(Timestamp(T0 + LEASE_MS - 1)).unwrap();
        assert_eq!(outbox.row(id).unwrap().unwrap().state, killed, "{point}");
        let later = T0 + LEASE_MS;
        outbox.recover(Timestamp(later)).unwrap();
        assert_eq!(outbox.row(id).unwrap().unwrap().state, recovered, "{point}");

        let config = config("restarted", Failpoints::none());
        dispatch::dispatch_once(&outbox, &Recording(sent.clone()), &clock_at(later), &config)
            .await
            .unwrap();
        let row = outbox.row(id).unwrap().unwrap();
        assert_eq!(row.state, after, "{point}");
        assert_eq!(handed_over(&sent, "w1:r1:sms"), sends, "{point}");
        if after == OutboxState::Sent {
            assert_eq!(row.provider_id.as_deref(), Some(&*format!("provider-{id}")));
        }
        if recovered == OutboxState::Unknown {
            assert_eq!(
                row.last_error.as_deref(),
                Some("lease lapsed during the provider call"),
                "{point}"
            );
        }
    }
}

#[tokio::test]
async fn an_in_process_failpoint_stops_the_pass_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path());
    let outbox = Arc::new(SqliteOutbox::open(&db).unwrap());
    let (id, _) = outbox.enqueue(&message("k"), Timestamp(T0)).unwrap();
    let failing = Failpoints::none().arm(dispatch::AFTER_MARK_SENDING, failpoint::Trip::Fail);
    let sent = dir.path().join("sent.txt");
    let error = dispatch::dispatch_once(
        &outbox,
        &Recording(sent.clone()),
        &clock_at(T0),
        &config("w", failing),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("after_mark_sending"), "{error}");
    assert_eq!(outbox.row(id).unwrap().unwrap().state, OutboxState::Sending);
    assert_eq!(handed_over(&sent, "k"), 0);
}

#[test]
fn enqueueing_twice_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = SqliteOutbox::open(&fresh_db(dir.path())).unwrap();
    let (first, new) = outbox.enqueue(&message("k"), Timestamp(T0)).unwrap();
    assert!(new);
    let mut again = message("k");
    again.payload = "changed".to_owned();
    let (second, new) = outbox.enqueue(&again, Timestamp(T0 + 5)).unwrap();
    assert_eq!((second, new), (first, false));
    let row = outbox.row(first).unwrap().unwrap();
    assert_eq!(
        row.payload,
        message("k").payload,
        "the first enqueue stands"
    );
    assert_eq!(outbox.counts().unwrap(), [(OutboxState::Queued, 1)]);
}

#[test]
fn claims_take_due_rows_oldest_first_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path());
    let outbox = SqliteOutbox::open(&db).unwrap();
    let other = SqliteOutbox::open(&db).unwrap();
    for (key, due) in [
        ("late", T0 + 60_000),
        ("second", T0 - 10),
        ("first", T0 - 20),
    ] {
        let mut m = message(key);
        m.due_at = Timestamp(due);
        outbox.enqueue(&m, Timestamp(T0 - 100)).unwrap();
    }
    let now = Timestamp(T0);
    let claimed = outbox.claim("a", LEASE_MS, 1, now).unwrap();
    assert_eq!(claimed.len(), 1);
    let row = &claimed[0];
    assert_eq!(row.idem_key, "first");
    assert_eq!(
        (row.state, row.attempt, row.lease_owner.as_deref()),
        (OutboxState::Claimed, 1, Some("a"))
    );
    assert_eq!(row.lease_until, Some(Timestamp(T0 + LEASE_MS)));
    // Another connection gets what is left and due — not the claimed row, not the late one.
    let rest = other.claim("b", LEASE_MS, 10, now).unwrap();
    assert_eq!(
        rest.iter().map(|r| r.idem_key.as_str()).collect::<Vec<_>>(),
        ["second"]
    );
    assert!(outbox.claim("c", LEASE_MS, 10, now).unwrap().is_empty());
}

#[test]
fn a_stale_worker_is_fenced_out_after_its_lease_was_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = SqliteOutbox::open(&fresh_db(dir.path())).unwrap();
    let (id, _) = outbox.enqueue(&message("k"), Timestamp(T0)).unwrap();
    let stale = outbox.claim("a", LEASE_MS, 1, Timestamp(T0)).unwrap()[0]
        .lease()
        .unwrap();
    // Worker a hangs past its lease; recovery requeues the row and b claims it.
    let later = Timestamp(T0 + LEASE_MS + 1);
    assert_eq!(outbox.recover(later).unwrap().requeued, 1);
    let fresh = outbox.claim("b", LEASE_MS, 1, later).unwrap()[0]
        .lease()
        .unwrap();
    assert_eq!((fresh.attempt, fresh.owner.as_str()), (2, "b"));

    let refused = outbox.mark_sending(&stale, later).unwrap_err();
    assert!(
        matches!(refused, OutboxError::Fenced { attempt: 1, .. }),
        "{refused}"
    );
    outbox.mark_sending(&fresh, later).unwrap();
    // Even the same owner with the old attempt number is refused.
    let same_owner_old_attempt = wxdesk::store::central::outbox::Lease {
        owner: "b".to_owned(),
        ..stale.clone()
    };
    assert!(matches!(
        outbox.mark_sent(&same_owner_old_attempt, "p-1", later),
        Err(OutboxError::Fenced { .. })
    ));
    assert!(matches!(
        outbox.mark_sent(&stale, "p-stale", later),
        Err(OutboxError::Fenced { .. })
    ));
    outbox.mark_sent(&fresh, "p-2", later).unwrap();
    let row = outbox.row(id).unwrap().unwrap();
    assert_eq!(
        (
            row.state,
            row.provider_id.as_deref(),
            row.lease_owner.as_deref()
        ),
        (OutboxState::Sent, Some("p-2"), Some("b"))
    );
}

#[tokio::test]
async fn a_throttled_send_is_retried_later_and_a_refusal_is_final() {
    struct Answers;
    impl Provider for Answers {
        fn send<'a>(&'a self, row: &'a OutboxRow) -> ProviderCall<'a> {
            Box::pin(async move {
                match row.idem_key.as_str() {
                    "throttled" => Err(ProviderError::Retry("20 per minute".into())),
                    _ => Err(ProviderError::Refused("no such number".into())),
                }
            })
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
    let (throttled, _) = outbox
        .enqueue(&message("throttled"), Timestamp(T0))
        .unwrap();
    let (refused, _) = outbox.enqueue(&message("refused"), Timestamp(T0)).unwrap();
    let done = dispatch::dispatch_once(
        &outbox,
        &Answers,
        &clock_at(T0),
        &config("w", Failpoints::none()),
    )
    .await
    .unwrap();
    assert_eq!(
        done,
        Dispatched {
            retried: 1,
            refused: 1,
            ..Dispatched::default()
        }
    );
    let row = outbox.row(throttled).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Queued);
    assert_eq!(
        row.due_at,
        Timestamp(T0 + 1_000),
        "first retry after the base delay"
    );
    assert_eq!(row.last_error.as_deref(), Some("20 per minute"));
    let row = outbox.row(refused).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Failed);
    // Not yet due: nothing is claimed.
    assert!(
        outbox
            .claim("w", LEASE_MS, 10, Timestamp(T0 + 999))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn unknown_rows_wait_for_a_receipt_or_a_recorded_decision() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = SqliteOutbox::open(&fresh_db(dir.path())).unwrap();
    let (id, _) = outbox.enqueue(&message("k"), Timestamp(T0)).unwrap();
    let lease = outbox.claim("a", LEASE_MS, 1, Timestamp(T0)).unwrap()[0]
        .lease()
        .unwrap();
    outbox.mark_sending(&lease, Timestamp(T0)).unwrap();
    let later = Timestamp(T0 + LEASE_MS);
    assert_eq!(outbox.recover(later).unwrap().unknown, 1);
    // Never claimed again on its own.
    assert!(outbox.claim("b", LEASE_MS, 10, later).unwrap().is_empty());
    // Withdrawing is too late: it may have left.
    assert!(matches!(
        outbox.settle(id, OutboxEvent::Cancel, None, later),
        Err(OutboxError::Illegal { .. })
    ));
    // A person decides to send it again: it is queued with its attempt count kept.
    let to = outbox
        .settle(
            id,
            OutboxEvent::Resend,
            Some("resent by 张伟: no receipt"),
            later,
        )
        .unwrap();
    assert_eq!(to, OutboxState::Queued);
    let again = outbox.claim("b", LEASE_MS, 10, later).unwrap();
    assert_eq!(again[0].attempt, 2);
}
