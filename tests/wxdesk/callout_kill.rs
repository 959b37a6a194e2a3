//! A 叫应 reply is never lost between the two workers: `wxdesk central serve` in a child
//! process calls the county's flood-control head for an orange warning through the npm SMSC,
//! he replies by SMS, and the central dies (`abort`, as under SIGKILL) right after the reply is
//! committed, before the 叫应 worker hears of it. Started again on the same database, it closes
//! his line with that very reply (`sms_reply`, not escalated) — not with a copy the SMSC may
//! deliver again after the kill.

use std::time::{Duration, Instant};

use serde_json::Value;
use wxdesk::central::channels::reports::AFTER_REPLY_STORED;

use crate::child_central::{Bureau, ChildCentral, PATIENCE, SmsGateway};
use crate::smpp::peer::Smsc;

/// The one person imported: `import_county` numbers from 139 00000000.
const LEADER: &str = "13900000000";

/// The board once `done` holds of it (bounded: the child acts on its own time).
async fn board_when(bureau: &Bureau, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let board = bureau.callout(id).await;
        if done(&board) {
            return board;
        }
        assert!(
            Instant::now() < deadline,
            "the board never got there: {board}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The inbound message that answered each line of `warning`, and the first reply `from`
/// stored, read from the database file.
fn answering_replies(db: &std::path::Path, warning: &str, from: &str) -> (Vec<Option<i64>>, i64) {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut lines = connection
        .prepare("SELECT inbound FROM callout_lines WHERE warning = ?1 ORDER BY id")
        .unwrap();
    let inbound: Vec<Option<i64>> = lines
        .query_map([warning], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let first: i64 = connection
        .query_row(
            "SELECT MIN(id) FROM inbound_messages WHERE sender = ?1",
            [from],
            |r| r.get(0),
        )
        .unwrap();
    (inbound, first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_stored_just_before_a_kill_closes_its_line_after_the_restart() {
    let Some(mut smsc) = Smsc::start(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let gateway = SmsGateway {
        port: smsc.port,
        window: 10,
        max_per_second: None,
        timeouts_ms: (2_000, 3_000),
    };
    let armed = format!("{AFTER_REPLY_STORED}=abort");
    let (mut central, one_time) = ChildCentral::start(dir.path(), gateway, &armed).await;
    let bureau = Bureau::set_up(&central.base, &one_time).await;
    assert_eq!(bureau.import_county(0, 1).await, 1);
    let text = "【清流气象】清流县气象台发布暴雨橙色预警信号，请注意防范。";
    let (id, pin) = bureau.approved_at(text, None, "orange").await;
    assert_eq!(bureau.release(&id, &pin).await, 200);
    let called = board_when(&bureau, &id, |b| {
        b["lines"].as_array().is_some_and(|l| l.len() == 1)
    })
    .await;
    assert_eq!(called["lines"][0]["state"], "open", "{called}");

    // The SMSC offers a reply to the sessions bound: wait until the central has sent by it.
    let deadline = Instant::now() + PATIENCE;
    while !smsc.submits().iter().any(|s| s.status == "accepted") {
        assert!(Instant::now() < deadline, "nothing reached the SMSC");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    smsc.send_mo(&format!("86{LEADER}"), "收到");
    let exit = central.wait_exit(PATIENCE).await;
    assert!(!exit.success(), "{exit}");
    assert!(central.log().contains("failpoint: aborting"));
    let (inbound, _) = answering_replies(central.db(), &id, LEADER);
    assert_eq!(inbound, [None], "stored, not yet applied at the kill");

    central.restart("").await;
    let board = board_when(&bureau, &id, |b| b["answered"] == 1).await;
    let line = &board["lines"][0];
    assert_eq!(
        (&line["state"], &line["how"], &line["stage"], &line["said"]),
        (
            &"answered".into(),
            &"sms_reply".into(),
            &"none".into(),
            &"收到".into()
        ),
        "{board}"
    );
    // The reply stored before the kill, not a copy the SMSC delivered again at the new bind.
    let (inbound, first) = answering_replies(central.db(), &id, LEADER);
    assert_eq!(inbound, [Some(first)]);
}
