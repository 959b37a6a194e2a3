//! 叫应 end to end: an orange warning released over HTTP calls the leaders of its two
//! townships and the county by SMS at the npm `smpp` SMSC; their SMS replies (mobile-originated
//! `deliver_sm`) close exactly their own lines — by the short code named, else the sender's
//! latest line — an unknown sender closes nothing (the reply is kept), a logged phone call
//! closes a line, a revealed number is audited and stays masked elsewhere (and is shown only
//! while the warning is in force), unanswered lines
//! escalate at 10 and 20 minutes on the central's manual clock, and the export matches the
//! board. Without the SMSC (node) the SMS part skips loudly; the rest runs on the central alone.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wxdesk::domain::access::Role;
use wxdesk::domain::time::MINUTE_MS;
use wxdesk::store::central::outbox::SqliteOutbox;

use crate::smpp::peer::Smsc;
use crate::support::{TestCentral, captured_logs, client_with};
use crate::warning_dispatch::sms_settings;
use crate::warnings::{content, post, record};

const LONGJIN: &str = "350423100";
const SONGXI: &str = "350423101";

/// (name, township, group, duty, number): the bureau's people.
const PEOPLE: [(&str, &str, &str, &str, &str); 6] = [
    (
        "林书记",
        LONGJIN,
        "township_leaders",
        "party_secretary",
        "13800000001",
    ),
    (
        "陈信息员",
        LONGJIN,
        "informants",
        "informant",
        "13800000002",
    ),
    ("王镇长", SONGXI, "township_leaders", "head", "13800000003"),
    ("张防汛", "county", "county", "flood_control", "13800000004"),
    (
        "李职工",
        "county",
        "bureau_staff",
        "bureau_staff",
        "13800000005",
    ),
    ("周镇长", LONGJIN, "township_leaders", "head", "13800000006"),
];

/// Keeps [`PEOPLE`]; their ids in order.
pub(crate) async fn keep_people(central: &TestCentral) -> Vec<u64> {
    let mut ids = Vec::new();
    for (name, township, group, duty, phone) in PEOPLE {
        let person = json!({
            "name": name, "township": township, "group": group, "duty": duty, "phone": phone,
        });
        let (status, answer) = post(central, Role::Supervisor, "/recipients", &person).await;
        assert_eq!(status, 201, "{answer}");
        ids.push(answer["id"].as_u64().unwrap());
    }
    ids
}

/// A `signal` warning at `level` for both townships' leaders and the county, drafted,
/// approved and released; its id.
pub(crate) async fn release(central: &TestCentral, signal: &str, level: &str) -> String {
    let mut body = content(
        "issue",
        None,
        &[LONGJIN, SONGXI],
        "发布暴雨预警信号：测试。",
    );
    body["signal"] = json!(signal);
    body["level"] = json!(level);
    body["recipient_groups"] = json!([
        format!("town:{LONGJIN}:leaders"),
        format!("town:{LONGJIN}:informants"),
        format!("town:{SONGXI}:leaders"),
        "county:all",
    ]);
    let drafted = record(&post(central, Role::DutyForecaster, "/warnings", &body).await);
    let pin = json!({"pin": drafted.pin});
    let path = |step: &str| format!("/warnings/{}/{step}", drafted.id);
    record(&post(central, Role::Supervisor, &path("approve"), &pin).await);
    record(&post(central, Role::Supervisor, &path("release"), &pin).await);
    drafted.id
}

pub(crate) async fn board(central: &TestCentral, role: Role, warning: &str) -> Value {
    let (status, board) = central
        .get_as(role, &format!("/warnings/{warning}/callout"))
        .await;
    assert_eq!(status, 200, "{board}");
    board
}

/// The board once `done` holds of it (bounded wait: the worker acts on its own time).
pub(crate) async fn board_when(
    central: &TestCentral,
    warning: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let board = board(central, Role::Supervisor, warning).await;
        if done(&board) {
            return board;
        }
        assert!(
            Instant::now() < deadline,
            "the board never got there: {board}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The line of `recipient` on `board`.
pub(crate) fn line_of(board: &Value, recipient: u64) -> &Value {
    board["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["recipient"] == recipient)
        .unwrap_or_else(|| panic!("no line for {recipient}: {board}"))
}

/// (recipient, state, how, stage) of every line, by recipient.
fn states(board: &Value) -> Vec<(u64, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let mut lines: Vec<_> = board["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let id = l["recipient"].as_u64().unwrap();
            (id, text(&l["state"]), text(&l["how"]), text(&l["stage"]))
        })
        .collect();
    lines.sort();
    lines
}

fn open(id: u64) -> (u64, String, String, String) {
    (id, "open".into(), "-".into(), "none".into())
}

fn answered(id: u64, how: &str) -> (u64, String, String, String) {
    (id, "answered".into(), how.into(), "none".into())
}

/// Decodes a UCS-2 short message as the SMSC logged it (hex, no header).
fn ucs2(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// The call SMS the SMSC got, as (number, text), once `n` have arrived.
pub(crate) fn call_sms(smsc: &Smsc, n: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut calls: Vec<(String, String)> = smsc
            .submits()
            .into_iter()
            .map(|s| (s.destination, ucs2(&s.short_message)))
            .filter(|(_, text)| text.contains("叫应"))
            .collect();
        if calls.len() >= n || Instant::now() > deadline {
            calls.sort();
            return calls;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaders_are_called_by_sms_and_their_replies_close_their_own_lines() {
    let Some(mut smsc) = Smsc::start(&[]) else {
        return;
    };
    let settings = sms_settings(&smsc);
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.channels = settings;
        config.dispatch_tick = Duration::from_millis(20);
    })
    .await;
    let ids = keep_people(&central).await;
    let (lin, wang, zhang, zhou) = (ids[0], ids[2], ids[3], ids[5]);
    let first = release(&central, "rainstorm", "orange").await;
    // The leaders of both townships and the county's flood control: not the informant, not
    // the bureau's staff.
    let board1 = board(&central, Role::DutyForecaster, &first).await;
    assert_eq!(board1["code"], "0001");
    assert_eq!(
        states(&board1),
        [open(lin), open(wang), open(zhang), open(zhou)]
    );
    assert_eq!(line_of(&board1, lin)["phone"], "138****0001", "masked");
    assert_eq!(line_of(&board1, lin)["name"], "林书记");
    let calls = call_sms(&smsc, 4);
    let numbers: Vec<&str> = calls.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        numbers,
        [
            "8613800000001",
            "8613800000003",
            "8613800000004",
            "8613800000006"
        ]
    );
    assert!(
        calls[0].1.contains("暴雨橙色预警") && calls[0].1.contains("\"0001\""),
        "{calls:?}"
    );

    // Songxi's head replies: his line closes, and only his.
    smsc.send_mo("8613800000003", "收到，马上布置");
    let board1 = board_when(&central, &first, |b| b["answered"] == 1).await;
    assert_eq!(
        states(&board1),
        [
            open(lin),
            answered(wang, "sms_reply"),
            open(zhang),
            open(zhou)
        ]
    );
    assert_eq!(line_of(&board1, wang)["answered_by"], "王镇长");
    assert_eq!(line_of(&board1, wang)["said"], "收到，马上布置");

    // A second warning calls Longjin's leaders again: a reply naming the first's code closes
    // the first's line; a plain reply then closes his latest.
    let second = release(&central, "typhoon", "red").await;
    assert_eq!(
        board(&central, Role::Supervisor, &second).await["code"],
        "0002"
    );
    call_sms(&smsc, 8);
    smsc.send_mo("8613800000006", "收到 0001");
    let board1 = board_when(&central, &first, |b| b["answered"] == 2).await;
    assert_eq!(line_of(&board1, zhou)["how"], "sms_reply");
    assert_eq!(
        line_of(&board(&central, Role::Supervisor, &second).await, zhou)["state"],
        "open"
    );
    smsc.send_mo("8613800000006", "好的");
    board_when(&central, &second, |b| b["answered"] == 1).await;

    // Someone not on any list replies: nothing closes, the reply is kept.
    smsc.send_mo("8613900000009", "收到 0001");
    let kept = || {
        let outbox = SqliteOutbox::open(central.db_path()).unwrap();
        outbox.inbound().unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !kept().iter().any(|m| m.sender == "13900000009") {
        assert!(
            Instant::now() < deadline,
            "the stranger's reply was not kept"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        board(&central, Role::Supervisor, &first).await["answered"],
        2
    );
    assert_eq!(
        board(&central, Role::Supervisor, &second).await["answered"],
        1
    );
    for m in kept() {
        assert_eq!(m.channel, "sms", "every reply came back by SMS");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_calls_close_lines_reveals_are_audited_and_silence_escalates() {
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.dispatch_tick = Duration::from_millis(20);
    })
    .await;
    let ids = keep_people(&central).await;
    let (lin, wang, zhang, zhou) = (ids[0], ids[2], ids[3], ids[5]);
    let yellow = release(&central, "rainstorm", "yellow").await;
    let quiet = board(&central, Role::Supervisor, &yellow).await;
    assert_eq!(
        (quiet["required"].clone(), quiet["lines"].clone()),
        (json!(false), json!([]))
    );
    let warning = release(&central, "typhoon", "orange").await;
    let board0 = board(&central, Role::DutyForecaster, &warning).await;
    assert_eq!(board0["lines"].as_array().unwrap().len(), 4);
    let line = |b: &Value, who| line_of(b, who)["line"].as_i64().unwrap();

    // A forecaster reaches the county's flood control by phone.
    let call = json!({"answerer": "张防汛", "said": "已收到，正在组织巡查", "answered": true});
    let path = format!("/warnings/{warning}/callout/{}/calls", line(&board0, zhang));
    let (status, logged) = post(&central, Role::DutyForecaster, &path, &call).await;
    assert_eq!(status, 201, "{logged}");
    assert_eq!(logged["logged_by"], "user:duty-forecaster");
    let (status, _) = post(&central, Role::Leader, &path, &call).await;
    assert_eq!(status, 403, "a leader reads, does not log");

    // The forecaster reveals Lin's number: whole once, audited, masked everywhere else.
    let reveal = format!("/warnings/{warning}/callout/{}/reveal", line(&board0, lin));
    let (status, shown) = post(&central, Role::DutyForecaster, &reveal, &json!({})).await;
    assert_eq!(
        (status, shown["phone"].clone()),
        (200, json!("13800000001"))
    );
    let (status, _) = post(&central, Role::Leader, &reveal, &json!({})).await;
    assert_eq!(status, 403);
    let after = board(&central, Role::DutyForecaster, &warning).await;
    assert_eq!(line_of(&after, lin)["phone"], "138****0001");
    assert_eq!(
        line_of(&board(&central, Role::Supervisor, &warning).await, lin)["phone"],
        "13800000001",
        "whole for those who manage recipients"
    );
    let (_, audit) = central
        .get_as(Role::Administrator, "/audit?limit=100")
        .await;
    let entries = audit["entries"].as_array().unwrap();
    let revealed = entries
        .iter()
        .find(|e| e["action"] == "callout_number_revealed")
        .expect("the reveal is audited");
    assert_eq!(revealed["actor"], "user:duty-forecaster");
    let detail: Value = serde_json::from_str(revealed["details"].as_str().unwrap()).unwrap();
    assert_eq!(detail["recipient"], lin, "{revealed}");
    assert_eq!(detail["warning"], warning.as_str());
    assert!(entries.iter().any(|e| e["action"] == "callout_call_logged"));
    let (_, changes) = central.get_as(Role::Administrator, "/changes").await;
    for personal in [
        "13800000001",
        "138****0001",
        "林书记",
        "张防汛",
        "正在组织巡查",
    ] {
        assert!(
            !audit.to_string().contains(personal),
            "audit has {personal}"
        );
        assert!(
            !changes.to_string().contains(personal),
            "change log has {personal}"
        );
        assert!(
            !captured_logs().contains(personal),
            "the log has {personal}"
        );
    }
    assert!(changes.to_string().contains("\"kind\":\"callout\""));

    // Nobody else answers: at 10 minutes the open lines go to the duty desk, at 20 to the
    // supervisor; the answered line stays as it was.
    central.clock.advance(9 * MINUTE_MS);
    let nine = board(&central, Role::Supervisor, &warning).await;
    assert_eq!(line_of(&nine, lin)["stage"], "none");
    central.clock.advance(MINUTE_MS);
    let stage_of = |b: &Value, who| line_of(b, who)["stage"].as_str().unwrap().to_owned();
    let ten = board_when(&central, &warning, |b| {
        [lin, wang, zhou]
            .iter()
            .all(|&who| stage_of(b, who) == "desk")
    })
    .await;
    assert_eq!(stage_of(&ten, zhang), "none");
    central.clock.advance(10 * MINUTE_MS);
    let twenty = board_when(&central, &warning, |b| {
        [lin, wang, zhou]
            .iter()
            .all(|&who| stage_of(b, who) == "supervisor")
    })
    .await;
    assert_eq!(
        states(&twenty).iter().filter(|s| s.1 == "answered").count(),
        1
    );

    // The export is the board: a row per line, numbers masked for the forecaster.
    let response = client_with(&central.token(Role::DutyForecaster).await)
        .get(central.url(&format!("/warnings/{warning}/callout/export?format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let rows: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(rows.len(), 5, "{text}");
    assert!(rows[0].starts_with("乡镇,职责,姓名,手机"), "{}", rows[0]);
    assert!(
        rows.iter()
            .any(|r| r.starts_with("县级,防汛指挥,张防汛,138****0004")
                && r.contains("已应")
                && r.contains("电话确认")),
        "{text}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("龙津镇,党委书记,林书记") && r.contains("未应,领导")),
        "{text}"
    );
    assert!(!text.contains("13800000001"), "masked for the forecaster");
    let (status, _) = central
        .get_as(
            Role::DutyForecaster,
            &format!("/warnings/{warning}/callout/export?format=pdf"),
        )
        .await;
    assert_eq!(status, 400);
}

/// `POST` a reveal of `recipient`'s line on `warning`: the status, the error code and the
/// state it names (or the number shown).
async fn reveal(central: &TestCentral, warning: &str, recipient: u64) -> (u16, Value, Value) {
    let lines = board(central, Role::DutyForecaster, warning).await;
    let line = line_of(&lines, recipient)["line"].as_i64().unwrap();
    let path = format!("/warnings/{warning}/callout/{line}/reveal");
    let (status, answer) = post(central, Role::DutyForecaster, &path, &json!({})).await;
    let said = if status == 200 {
        answer["phone"].clone()
    } else {
        answer["error"].clone()
    };
    (status, said, answer["params"]["state"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_revealed_only_while_the_warning_is_in_force() {
    let central = TestCentral::start().await;
    let lin = keep_people(&central).await[0];
    let shown = (200, json!("13800000001"), Value::Null);
    let refused = |state: &str| (409, json!("not_in_force"), json!(state));

    // Lifted: the lift closes the warning, and its call list's numbers with it.
    let lifted = release(&central, "typhoon", "orange").await;
    assert_eq!(reveal(&central, &lifted, lin).await, shown);
    let mut lift = content(
        "lift",
        Some(&lifted),
        &[LONGJIN, SONGXI],
        "解除台风橙色预警信号。",
    );
    lift["signal"] = json!("typhoon");
    lift["level"] = json!("orange");
    let drafted = record(&post(&central, Role::DutyForecaster, "/warnings", &lift).await);
    let pin = json!({"pin": drafted.pin});
    for step in ["approve", "release"] {
        let path = format!("/warnings/{}/{step}", drafted.id);
        record(&post(&central, Role::Supervisor, &path, &pin).await);
    }
    assert_eq!(reveal(&central, &lifted, lin).await, refused("closed"));

    // Expired: past its expiry (six hours on), nobody follows it and its numbers are not shown.
    let expiring = release(&central, "typhoon", "orange").await;
    assert_eq!(reveal(&central, &expiring, lin).await, shown);
    central.clock.advance(6 * 60 * MINUTE_MS + MINUTE_MS);
    assert_eq!(reveal(&central, &expiring, lin).await, refused("expired"));
    let (_, audit) = central
        .get_as(Role::Administrator, "/audit?action=callout_number_revealed")
        .await;
    assert_eq!(
        audit["entries"].as_array().unwrap().len(),
        2,
        "only the numbers shown are audited: {audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_list_is_confirmed_once_a_year_by_a_supervisor() {
    let central = TestCentral::start().await;
    let (status, roster) = central
        .get_as(Role::DutyForecaster, "/callout/roster")
        .await;
    assert_eq!(status, 200);
    assert_eq!(roster["confirmed_at"], Value::Null);
    assert_ne!(roster["status"], "confirmed");
    let (status, _) = post(
        &central,
        Role::DutyForecaster,
        "/callout/roster",
        &json!({}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, roster) = post(&central, Role::Supervisor, "/callout/roster", &json!({})).await;
    assert_eq!(status, 200, "{roster}");
    assert_eq!(roster["status"], "confirmed");
    assert_eq!(roster["confirmed_by"], "user:supervisor");
    let (_, audit) = central.get_as(Role::Administrator, "/audit?limit=20").await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "callout_roster_confirmed")
    );
}
