//! A central killed mid-dispatch sends nothing twice and loses nobody: `wxdesk central serve`
//! in a child process releases a 2-part warning to 1 000 people through the npm SMSC, dies at
//! a named failpoint (`abort`: the process ends on that line, as under SIGKILL), and is
//! started again on the same database. At the SMSC each person has at most one copy; on
//! `GET /warnings/{id}/deliveries` each has one row, settled: delivered, or `unknown` when the
//! send had begun at the kill (never sent again). None stays `sent`: a receipt is answered
//! only once committed, so one the kill took is delivered again at the next bind.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::Value;
use wxdesk::central::channels::reports::BEFORE_SETTLE;
use wxdesk::central::warnings::dispatch::AFTER_RECORD_BEFORE_ROWS;
use wxdesk::central::workers::dispatch::{
    AFTER_CLAIM, AFTER_MARK_SENDING, AFTER_MARK_SENT, AFTER_PROVIDER_CALL,
};

use crate::child_central::{Bureau, ChildCentral, PATIENCE, SmsGateway};
use crate::smpp::peer::{Smsc, Submit};

const PEOPLE: u64 = 1_000;
/// 96 UTF-16 units: two parts.
const TEXT: &str = "【清流气象】清流县气象台2025年6月17日06时30分发布暴雨黄色预警信号：预计未来6小时内我县嵩溪、林畲、里田等乡镇将出现50毫米以上降雨，并伴有雷电和短时大风，请注意防范山洪、地质灾害。";
/// Where the central dies, and on which pass of that point (mid-way through the 1 000).
const KILLS: [(&str, u64); 6] = [
    (AFTER_RECORD_BEFORE_ROWS, 1),
    (AFTER_CLAIM, 20),
    (AFTER_MARK_SENDING, 400),
    (AFTER_PROVIDER_CALL, 400),
    (AFTER_MARK_SENT, 400),
    (BEFORE_SETTLE, 600),
];

/// What the SMSC and the deliveries route say once the dispatch is over.
struct Outcome {
    point: &'static str,
    /// `submit_sm`s the SMSC had received when the central died.
    at_kill: usize,
    log: Vec<Submit>,
    /// The deliveries' rows: (phone, state).
    rows: Vec<(String, String)>,
}

fn rows(list: &Value) -> Vec<(String, String)> {
    let field = |d: &Value, key: &str| d[key].as_str().unwrap_or_default().to_owned();
    list["deliveries"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|d| (field(d, "phone"), field(d, "state")))
                .collect()
        })
        .unwrap_or_default()
}

/// Destinations (`86…`) the SMSC accepted a part for, of `log`.
fn accepted(log: &[Submit]) -> BTreeSet<&str> {
    let taken = log.iter().filter(|s| s.status == "accepted");
    taken.map(|s| s.destination.as_str()).collect()
}

/// Whether the dispatch is over: every row settled.
fn over(rows: &[(String, String)]) -> bool {
    rows.len() == PEOPLE as usize
        && rows
            .iter()
            .all(|(_, state)| matches!(state.as_str(), "delivered" | "failed" | "unknown"))
}

async fn killed_at(point: &'static str, pass: u64) -> Option<Outcome> {
    let smsc = Smsc::start(&[])?;
    let dir = tempfile::tempdir().unwrap();
    let gateway = SmsGateway {
        port: smsc.port,
        window: 10,
        max_per_second: None,
        // Short, so the claims of the killed process lapse in ≈ 40 s, not minutes.
        timeouts_ms: (2_000, 3_000),
    };
    let armed = format!("{point}=abort@{pass}");
    let (mut central, one_time) = ChildCentral::start(dir.path(), gateway, &armed).await;
    let bureau = Bureau::set_up(&central.base, &one_time).await;
    assert_eq!(bureau.import_county(0, PEOPLE).await, PEOPLE as usize);
    let (id, pin) = bureau.approved(TEXT, None).await;
    // The release may be cut short by the kill (its rows are then made at the next start).
    bureau.release(&id, &pin).await;
    let exit = central.wait_exit(PATIENCE).await;
    assert!(!exit.success(), "{point}: {exit}");
    assert!(central.log().contains("failpoint: aborting"), "{point}");
    let at_kill = smsc.submits().len();
    central.restart("").await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let list = bureau.deliveries(&id).await;
        let log = smsc.submits();
        let rows = rows(&list);
        if over(&rows) {
            return Some(Outcome {
                point,
                at_kill,
                log,
                rows,
            });
        }
        assert!(Instant::now() < deadline, "{point}: {}", list["counts"]);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// At most one copy per person; every row's state agrees with what the SMSC took.
fn check(outcome: &Outcome) -> BTreeMap<String, usize> {
    let point = outcome.point;
    let mut parts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (i, submit) in outcome.log.iter().enumerate() {
        if submit.status != "accepted" {
            continue;
        }
        let fresh = parts
            .entry(&submit.destination)
            .or_default()
            .insert(&submit.short_message);
        assert!(
            fresh,
            "{point}: submit {i} repeats a part the SMSC already took"
        );
    }
    let after_kill = accepted(&outcome.log[outcome.at_kill..]);
    let mut counts = BTreeMap::new();
    let phones: BTreeSet<&str> = outcome.rows.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(phones.len(), PEOPLE as usize, "{point}: one row per person");
    for (phone, state) in &outcome.rows {
        let destination = format!("86{phone}");
        let taken = parts.get(destination.as_str()).map_or(0, BTreeSet::len);
        match state.as_str() {
            "delivered" => assert_eq!(taken, 2, "{point}: {state} has both parts"),
            "unknown" => assert!(
                !after_kill.contains(destination.as_str()),
                "{point}: a row unknown at the kill was sent again"
            ),
            other => panic!("{point}: a row ended {other}"),
        }
        *counts.entry(state.clone()).or_insert(0) += 1;
    }
    // Nobody outside the warning's rows received anything.
    let addressed: BTreeSet<String> = phones.iter().map(|p| format!("86{p}")).collect();
    assert!(parts.keys().all(|d| addressed.contains(*d)), "{point}");
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_central_killed_at_each_failpoint_sends_each_person_at_most_one_copy() {
    let runs = KILLS.map(|(point, pass)| killed_at(point, pass));
    let outcomes = futures_util::future::join_all(runs).await;
    for outcome in outcomes.iter().flatten() {
        let counts = check(outcome);
        let (point, at_kill) = (outcome.point, outcome.at_kill);
        eprintln!("killed at {point}: {at_kill} submit_sm before the kill; rows {counts:?}");
        assert_eq!(counts.get("sent"), None, "{point}: receipts lost");
        let unknown = counts.get("unknown").copied().unwrap_or(0);
        match point {
            // Nothing had left: every row is made at the restart and delivered.
            AFTER_RECORD_BEFORE_ROWS => {
                assert_eq!(at_kill, 0);
                assert_eq!(counts.get("delivered"), Some(&(PEOPLE as usize)));
            }
            // Killed between passes: nothing was being sent.
            AFTER_CLAIM => assert_eq!(unknown, 0, "{point}"),
            // The tripped row (and its window) had begun its send.
            AFTER_MARK_SENDING | AFTER_PROVIDER_CALL => assert!(unknown >= 1, "{point}"),
            _ => {}
        }
    }
}
