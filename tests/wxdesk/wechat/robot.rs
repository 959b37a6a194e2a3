//! The WeCom group robot against the double.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use wxdesk::central::channels::wechat::{Hidden, RobotProvider, WecomConfig};
use wxdesk::central::channels::{RobotPayload, WECOM};
use wxdesk::central::failpoint::Failpoints;
use wxdesk::central::workers::dispatch::{
    self, DispatchConfig, Dispatched, Provider, ProviderError,
};
use wxdesk::domain::outbox::OutboxState;
use wxdesk::domain::time::ManualClock;
use wxdesk::store::central::outbox::{NewMessage, SqliteOutbox};

use super::{assert_hidden, clock, fixtures, fresh_db, row, shared};
use crate::support;
use crate::wechat_double::{Accounts, ROBOT_PER_MINUTE, WechatDouble};

const KEY: &str = "robot-key-5d0f7c1e-88a2";

async fn start(clock: &Arc<ManualClock>) -> WechatDouble {
    support::init();
    let accounts = Accounts {
        robot_keys: vec![KEY.to_owned()],
        ..Accounts::default()
    };
    WechatDouble::start(accounts, Arc::clone(clock)).await
}

fn provider(base: &str, key: &str, clock: &Arc<ManualClock>) -> RobotProvider {
    let config = WecomConfig {
        base_url: base.to_owned(),
        robots: BTreeMap::from([("duty".to_owned(), Hidden::new(key))]),
        per_minute: ROBOT_PER_MINUTE,
        warnings: Default::default(),
    };
    RobotProvider::new(&config, shared(clock)).unwrap()
}

fn markdown(content: &str) -> RobotPayload {
    RobotPayload {
        robot: "duty".to_owned(),
        msgtype: "markdown".to_owned(),
        content: content.to_owned(),
    }
}

#[tokio::test]
async fn a_markdown_message_arrives_intact() {
    let clock = clock();
    let double = start(&clock).await;
    let robot = provider(&double.base, KEY, &clock);
    let request = fixtures()["wecom_group_robot"]["requests"]["markdown"].clone();
    let content = request["markdown"]["content"].as_str().unwrap();

    let id = robot
        .send(&row(7, WECOM, &markdown(content)))
        .await
        .unwrap();

    assert_eq!(
        id, "wecom:7.1",
        "synthetic: the hand-over's row and attempt"
    );
    let received = double.seen(|s| s.robot_messages.clone());
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].key, KEY);
    assert_eq!(
        received[0].body, request,
        "the fixture's request, its content exact"
    );
}

#[tokio::test]
async fn too_long_content_and_a_misrouted_row_are_refused_before_sending() {
    let clock = clock();
    let double = start(&clock).await;
    let robot = provider(&double.base, KEY, &clock);
    let long = "暴".repeat(1366); // 4098 bytes
    let answer = robot.send(&row(1, WECOM, &markdown(&long))).await;
    let Err(ProviderError::Refused(why)) = answer else {
        panic!("{answer:?}");
    };
    assert!(why.contains("4098") && why.contains("4096"), "{why}");
    let misrouted = robot.send(&row(2, "wechat", &markdown("## 暴雨"))).await;
    assert!(matches!(misrouted, Err(ProviderError::Refused(ref w)) if w.contains("kind")));
    assert_eq!(double.seen(|s| s.robot_requests), 0);
}

/// 21 rows through the real dispatch pass: 20 go, the 21st is paced (neither sent nor
/// failed, WeCom never asked), and it goes once the minute has passed.
#[tokio::test]
async fn the_21st_message_in_a_minute_is_paced_and_goes_after_the_window() {
    let clock = clock();
    let double = start(&clock).await;
    let robot = provider(&double.base, KEY, &clock);
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(SqliteOutbox::open(&fresh_db(dir.path())).unwrap());
    for n in 1..=21 {
        let message = NewMessage {
            idem_key: format!("w1-v1-duty-{n}"),
            kind: WECOM.to_owned(),
            payload: serde_json::to_string(&markdown(&format!("## 第{n}条"))).unwrap(),
            due_at: support::now(),
        };
        outbox.enqueue(&message, support::now()).unwrap();
    }
    let config = DispatchConfig {
        owner: "wecom-test".to_owned(),
        lease_ms: 30_000,
        batch: 50,
        retry_base_ms: 5_000,
        retry_cap_ms: 60_000,
        failpoints: Failpoints::none(),
        kind: None,
        concurrency: 1,
    };
    let clock_handle = shared(&clock);

    let first = dispatch::dispatch_once(&outbox, &robot, &clock_handle, &config).await;
    assert_eq!(
        first.unwrap(),
        Dispatched {
            sent: 20,
            retried: 1,
            ..Dispatched::default()
        }
    );
    assert_eq!(
        double.seen(|s| (s.robot_requests, s.robot_messages.len())),
        (20, 20)
    );
    let paced = outbox.row(21).unwrap().unwrap();
    assert_eq!(paced.state, OutboxState::Queued);
    assert!(
        paced.last_error.as_deref().unwrap().contains("paced"),
        "{paced:?}"
    );

    clock.advance(30_000);
    let early = dispatch::dispatch_once(&outbox, &robot, &clock_handle, &config).await;
    assert_eq!(early.unwrap().sent, 0, "still inside the minute");
    clock.advance(30_000);
    let later = dispatch::dispatch_once(&outbox, &robot, &clock_handle, &config).await;
    assert_eq!(later.unwrap().sent, 1);

    let seen = double.seen(|s| (s.robot_messages.len(), s.robot_rate_limited));
    assert_eq!(
        seen,
        (21, 0),
        "all 21 arrived and WeCom never had to say 45009"
    );
    let last = double.seen(|s| s.robot_messages[20].body.clone());
    assert_eq!(
        last,
        json!({"msgtype": "markdown", "markdown": {"content": "## 第21条"}})
    );
    assert_eq!(outbox.row(21).unwrap().unwrap().state, OutboxState::Sent);
}

/// Another sender used up the robot's minute: WeCom answers 45009, which is a "not now".
#[tokio::test]
async fn a_rate_limit_from_wecom_is_a_retry() {
    let clock = clock();
    let double = start(&clock).await;
    let other = reqwest::Client::new();
    for _ in 0..ROBOT_PER_MINUTE {
        other
            .post(format!("{}/cgi-bin/webhook/send?key={KEY}", double.base))
            .json(&json!({"msgtype": "text", "text": {"content": "另一个系统"}}))
            .send()
            .await
            .unwrap();
    }
    let robot = provider(&double.base, KEY, &clock);

    let answer = robot.send(&row(1, WECOM, &markdown("## 暴雨"))).await;

    let Err(ProviderError::Retry(why)) = answer else {
        panic!("{answer:?}");
    };
    assert!(why.contains("45009"), "{why}");
    assert_eq!(double.seen(|s| s.robot_rate_limited), 1);
    // Held for the minute: the next row is paced here, WeCom is not asked again.
    let again = robot.send(&row(2, WECOM, &markdown("## 暴雨"))).await;
    assert!(
        matches!(again, Err(ProviderError::Retry(ref w)) if w.contains("paced")),
        "{again:?}"
    );
    assert_eq!(double.seen(|s| s.robot_requests), ROBOT_PER_MINUTE + 1);
    assert_hidden(&why, &[KEY]);
}

#[tokio::test]
async fn a_bad_key_is_refused_naming_the_errcode_not_the_key() {
    let clock = clock();
    let double = start(&clock).await;
    let wrong = "robot-key-0bad0bad-0000";
    let robot = provider(&double.base, wrong, &clock);

    let answer = robot.send(&row(1, WECOM, &markdown("## 暴雨"))).await;

    let Err(ProviderError::Refused(why)) = answer else {
        panic!("{answer:?}");
    };
    assert!(
        why.contains("93000") && why.contains("invalid webhook url"),
        "{why}"
    );
    assert!(why.contains("duty"), "names the robot: {why}");
    assert_hidden(&why, &[wrong]);

    let unknown = RobotPayload {
        robot: "nobody".to_owned(),
        ..markdown("x")
    };
    let answer = robot.send(&row(2, WECOM, &unknown)).await;
    assert!(matches!(answer, Err(ProviderError::Refused(ref w)) if w.contains("nobody")));
    assert_eq!(double.seen(|s| s.robot_requests), 1);
}

#[tokio::test]
async fn an_unreachable_wecom_is_a_retry_without_the_key() {
    support::init();
    let clock = clock();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let key = "robot-key-unreachable-42";
    let robot = provider(&base, key, &clock);

    let answer = robot.send(&row(1, WECOM, &markdown("## 暴雨"))).await;

    let Err(ProviderError::Retry(why)) = answer else {
        panic!("{answer:?}");
    };
    assert!(why.contains("cannot reach"), "{why}");
    assert_hidden(&why, &[key]);
}
