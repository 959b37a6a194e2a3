//! The running central's channels against the WeChat double on 127.0.0.1: a template row
//! enqueued is dispatched by the central's own worker and settled `delivered` by the job-end
//! push to the central's callback route; a forged push is refused and changes nothing; a robot
//! row ends `sent` (a robot says only "accepted"); the status read counts without payloads and
//! says why template rows stay `sent` without a callback; a central stopped mid-way resumes
//! without sending anything twice (counted at the double); a push is answered "success" only
//! once stored, an error (so WeChat pushes again) when the reports worker could not store it.

mod reports;

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use wxdesk::central::CentralConfig;
use wxdesk::central::channels::reports::BEFORE_SETTLE;
use wxdesk::central::channels::wechat::token::TokenEndpoint;
use wxdesk::central::channels::wechat::{Hidden, MpConfig, WechatConfig, WecomConfig};
use wxdesk::central::channels::{RobotPayload, TemplatePayload, WECHAT, WECOM};
use wxdesk::central::config::ChannelSettings;
use wxdesk::central::failpoint::{Failpoints, Trip};
use wxdesk::central::workers::dispatch::{AFTER_CLAIM, AFTER_PROVIDER_CALL};
use wxdesk::central::workers::{Backoff, WorkerStatus};
use wxdesk::domain::outbox::OutboxState;
use wxdesk::domain::time::{Clock as _, ManualClock};
use wxdesk::store::central::outbox::{NewMessage, OutboxRow};

use crate::support::{self, TestCentral, client, within};
use crate::wechat_double::{Accounts, FIRST_MSGID, WechatDouble, follower_text, push, push_signed};

const TOKEN: &str = "callback-token-channels-17";
const APP_SECRET: &str = "app-secret-channels";
const ROBOT_KEY: &str = "robot-key-channels";
const APP_ID: &str = "wx5e1f0a6b2c3d4e5f";
const FOLLOWER: &str = "oFollowerChannels";

async fn double() -> WechatDouble {
    let accounts = Accounts {
        robot_keys: vec![ROBOT_KEY.to_owned()],
        app_id: APP_ID.to_owned(),
        secret: APP_SECRET.to_owned(),
        followers: vec![FOLLOWER.to_owned()],
        templates: vec!["tpl".to_owned()],
        ..Accounts::default()
    };
    WechatDouble::start(accounts, ManualClock::new(support::now())).await
}

/// `[wechat]` pointing at `double`, with `callback_token`.
fn settings(double: &WechatDouble, callback_token: &str) -> ChannelSettings {
    let wechat = WechatConfig {
        wecom: WecomConfig {
            base_url: double.base.clone(),
            robots: [("duty".to_owned(), Hidden::new(ROBOT_KEY))].into(),
            per_minute: 20,
            warnings: Default::default(),
        },
        mp: Some(MpConfig {
            base_url: double.base.clone(),
            app_id: APP_ID.to_owned(),
            app_secret: Hidden::new(APP_SECRET),
            callback_token: Hidden::new(callback_token),
            token_margin_s: 300,
            token_endpoint: TokenEndpoint::Token,
            warning_template: None,
            alarm_template: None,
        }),
    };
    ChannelSettings::new(Some(wechat), None).unwrap()
}

fn configure(config: &mut CentralConfig, settings: ChannelSettings, failpoints: Failpoints) {
    config.channels = settings;
    config.channel_failpoints = failpoints;
    config.backoff = Backoff {
        first: Duration::from_millis(10),
        cap: Duration::from_millis(100),
    };
}

async fn central(settings: ChannelSettings, failpoints: Failpoints) -> TestCentral {
    TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        configure(config, settings, failpoints);
    })
    .await
}

fn template(key: &str) -> NewMessage {
    let payload = TemplatePayload {
        openid: FOLLOWER.to_owned(),
        template_id: "tpl".to_owned(),
        data: [("thing1".to_owned(), "暴雨黄色预警".to_owned())].into(),
        url: None,
    };
    message(key, WECHAT, &payload)
}

fn message(key: &str, kind: &str, payload: &impl Serialize) -> NewMessage {
    NewMessage {
        idem_key: key.to_owned(),
        kind: kind.to_owned(),
        payload: serde_json::to_string(payload).unwrap(),
        due_at: support::now(),
    }
}

fn enqueue(central: &TestCentral, message: &NewMessage) -> i64 {
    let outbox = central.running().outbox().expect("an outbox");
    outbox.enqueue(message, support::now()).unwrap().0
}

fn row(central: &TestCentral, id: i64) -> OutboxRow {
    let outbox = central.running().outbox().expect("an outbox");
    outbox.outbox().row(id).unwrap().unwrap()
}

/// Waits until worker `name` reports a line beginning with `start`.
async fn reported(central: &TestCentral, name: &str, start: &str) -> WorkerStatus {
    let board = central.running().workers().clone();
    let seen = board.wait_for(name, |s| {
        s.detail.as_deref().is_some_and(|d| d.starts_with(start))
    });
    within(&format!("{name} to report {start:?}"), seen)
        .await
        .unwrap()
}

/// Pushes [`FOLLOWER`]'s `text`, signed with [`TOKEN`], as WeChat does; the status and body.
async fn push_text(central: &TestCentral, text: &str) -> (u16, String) {
    let at_s = central.clock.now().0 / 1000;
    let (query, xml) = follower_text(TOKEN, FOLLOWER, text, at_s);
    push_signed(central, &query, &xml).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_is_answered_success_only_once_stored_and_an_error_lets_wechat_retry() {
    let double = double().await;
    // The reports worker dies on the first report it takes, before storing it.
    let dying = Failpoints::none().arm_at(BEFORE_SETTLE, Trip::Fail, 1);
    let central = central(settings(&double, TOKEN), dying).await;
    let outbox = central.running().outbox().unwrap().outbox().clone();

    let (status, body) = push_text(&central, "收到").await;
    assert_eq!(status, 500, "{body}");
    assert_ne!(body, "success");
    assert!(outbox.inbound().unwrap().is_empty(), "nothing stored");
    let board = central.running().workers().clone();
    within(
        "the reports worker to die",
        board.wait_for("channel-reports", |s| s.restarts >= 1),
    )
    .await;

    // WeChat pushes again; the restarted worker stores it, and only then is it "success".
    let (status, body) = push_text(&central, "收到").await;
    assert_eq!((status, body.as_str()), (200, "success"));
    let stored = outbox.inbound().unwrap();
    assert_eq!(stored.len(), 1, "stored once, before the answer");
    assert_eq!(
        (stored[0].sender.as_str(), stored[0].text.as_str()),
        (FOLLOWER, "收到")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_row_is_dispatched_and_settled_by_the_job_end_push() {
    let double = double().await;
    let central = central(settings(&double, TOKEN), Failpoints::none()).await;
    let id = enqueue(&central, &template("w1-v1-f1-wechat"));
    reported(&central, "dispatch-wechat", "sent 1 ").await;
    let sent = row(&central, id);
    assert_eq!(sent.state, OutboxState::Sent);
    assert_eq!(sent.provider_id, Some(FIRST_MSGID.to_string()));

    let (query, xml) = double.job_finished(TOKEN, FIRST_MSGID, "success");
    let mut forged = query.signature.clone();
    forged.replace_range(..1, if forged.starts_with('0') { "1" } else { "0" });
    let signed = |signature: &str| {
        [
            ("signature", signature.to_owned()),
            ("timestamp", query.timestamp.clone()),
            ("nonce", query.nonce.clone()),
        ]
    };
    let bad = signed(&forged);
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = push(&central, &bad, &xml).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        row(&central, id).state,
        OutboxState::Sent,
        "forged: unchanged"
    );

    let good = signed(&query.signature);
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = push(&central, &good, &xml).await;
    assert_eq!((status, body.as_str()), (200, "success"));
    reported(&central, "channel-reports", "receipts settled 1 ").await;
    assert_eq!(row(&central, id).state, OutboxState::Delivered);
    assert_eq!(double.seen(|s| s.template_messages.len()), 1);
    // The secrets and the openid never reach the log.
    let logs = support::captured_logs();
    for hidden in [TOKEN, APP_SECRET, ROBOT_KEY, FOLLOWER] {
        assert!(!logs.contains(hidden), "{hidden} in the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_url_check_echoes_only_a_signed_challenge() {
    let double = double().await;
    let central = central(settings(&double, TOKEN), Failpoints::none()).await;
    let (query, _) = double.job_finished(TOKEN, 1, "success");
    let ask = |signature: String| {
        client()
            .get(central.url("/channels/wechat/callback"))
            .query(&[
                ("signature", signature),
                ("timestamp", query.timestamp.clone()),
                ("nonce", query.nonce.clone()),
                ("echostr", "8374619205738291".to_owned()),
            ])
            .send()
    };
    let answer = ask(query.signature.clone()).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "8374619205738291");
    let answer = ask("0".repeat(40)).await.unwrap();
    assert_eq!(answer.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robot_row_ends_sent_and_the_summary_counts_it() {
    let double = double().await;
    let central = central(settings(&double, TOKEN), Failpoints::none()).await;
    let payload = RobotPayload {
        robot: "duty".to_owned(),
        msgtype: "markdown".to_owned(),
        content: "## 暴雨黄色预警".to_owned(),
    };
    let id = enqueue(&central, &message("w1-v1-duty-wecom", WECOM, &payload));
    reported(&central, "dispatch-wecom", "sent 1 ").await;
    assert_eq!(row(&central, id).state, OutboxState::Sent);
    assert_eq!(double.seen(|s| s.robot_messages.len()), 1);

    let (status, summary) = central.get_json(&client(), "/outbox/summary").await;
    assert_eq!(status, 200, "{summary}");
    let counts = summary["counts"].as_array().unwrap();
    let wecom: Vec<&Value> = counts.iter().filter(|c| c["kind"] == WECOM).collect();
    assert_eq!(wecom.len(), 1, "{summary}");
    assert_eq!(
        (&wecom[0]["state"], &wecom[0]["count"]),
        (&"sent".into(), &1.into())
    );
    assert!(wecom[0]["note"].is_null(), "a robot never reports: no note");
    let text = summary.to_string();
    assert!(
        !text.contains("暴雨") && !text.contains("duty"),
        "no payload: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_callback_a_template_row_stays_sent_and_the_summary_says_why() {
    let double = double().await;
    let central = central(settings(&double, ""), Failpoints::none()).await;
    let id = enqueue(&central, &template("w2-v1-f1-wechat"));
    reported(&central, "dispatch-wechat", "sent 1 ").await;
    assert_eq!(row(&central, id).state, OutboxState::Sent);
    let (_, xml) = double.job_finished("", FIRST_MSGID, "success");
    let (status, body) = push(
        &central,
        &[("signature", "x"), ("timestamp", "1"), ("nonce", "n")],
        &xml,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (_, summary) = central.get_json(&client(), "/outbox/summary").await;
    let line = summary["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == WECHAT)
        .cloned()
        .unwrap();
    assert_eq!(line["state"], "sent");
    let note = line["note"].as_str().unwrap();
    assert!(
        note.starts_with("accepted — no delivery report: the callback is not configured"),
        "{note}"
    );
}

/// Starts `central` again on its database with the channels of `settings`, no failpoint.
async fn restart(central: &mut TestCentral, settings: ChannelSettings) {
    central
        .restart_with(|config| configure(config, settings, Failpoints::none()))
        .await;
}

/// Past every lease the dispatchers take.
fn past_the_lease(central: &TestCentral) {
    let lease = wxdesk::central::workers::channels::dispatch_config(
        WECHAT,
        wxdesk::central::channels::wechat::LONGEST_CALL_MS,
        &Failpoints::none(),
    )
    .lease_ms;
    central.clock.advance(lease + 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claimed_rows_go_back_after_a_restart_and_are_sent_once() {
    let double = double().await;
    let dying = Failpoints::none().arm(AFTER_CLAIM, Trip::Fail);
    let mut central = central(settings(&double, TOKEN), dying).await;
    let ids = [
        enqueue(&central, &template("w3-v1-f1-wechat")),
        enqueue(&central, &template("w3-v1-f2-wechat")),
    ];
    let board = central.running().workers().clone();
    // Runs follow one another: the second to die after this started after the enqueue, so
    // it claimed both rows.
    let before = board.status("dispatch-wechat").unwrap().restarts;
    let died = board.wait_for("dispatch-wechat", |s| s.restarts >= before + 2);
    within("the dispatcher to die after its claim", died).await;
    assert_eq!(double.seen(|s| s.send_requests), 0);
    for id in ids {
        assert_eq!(row(&central, id).state, OutboxState::Claimed);
    }

    past_the_lease(&central);
    restart(&mut central, settings(&double, TOKEN)).await;
    reported(&central, "dispatch-wechat", "sent 2 ").await;
    for id in ids {
        assert_eq!(row(&central, id).state, OutboxState::Sent);
    }
    past_the_lease(&central);
    restart(&mut central, settings(&double, TOKEN)).await;
    reported(&central, "dispatch-wechat", "sent 0 ").await;
    assert_eq!(
        double.seen(|s| s.template_messages.len()),
        2,
        "each sent once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_handed_over_before_the_crash_is_never_resent() {
    let double = double().await;
    let dying = Failpoints::none().arm(AFTER_PROVIDER_CALL, Trip::Fail);
    let mut central = central(settings(&double, TOKEN), dying).await;
    let id = enqueue(&central, &template("w4-v1-f1-wechat"));
    let board = central.running().workers().clone();
    let died = board.wait_for("dispatch-wechat", |s| s.restarts >= 1);
    within("the dispatcher to die after the hand-over", died).await;
    assert_eq!(double.seen(|s| s.template_messages.len()), 1);

    past_the_lease(&central);
    restart(&mut central, settings(&double, TOKEN)).await;
    reported(&central, "dispatch-wechat", "sent 0 ").await;
    assert_eq!(row(&central, id).state, OutboxState::Unknown);
    assert_eq!(double.seen(|s| s.template_messages.len()), 1, "not resent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_central_without_channels_runs_no_dispatcher() {
    let central = TestCentral::start().await;
    let names: Vec<String> = central
        .running()
        .workers()
        .snapshot()
        .into_iter()
        .map(|s| s.name)
        .collect();
    // Relay commands are always dispatched (a device may be registered at any time); no
    // messaging channel is.
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("dispatch-") && n != "dispatch-relay"),
        "{names:?}"
    );
    let (status, summary) = central.get_json(&client(), "/outbox/summary").await;
    assert_eq!(status, 200);
    assert_eq!(summary["dispatching"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followers_text_is_kept_as_an_inbound_message() {
    let double = double().await;
    let central = central(settings(&double, TOKEN), Failpoints::none()).await;
    let (status, body) = push_text(&central, "收到，已转移").await;
    assert_eq!((status, body.as_str()), (200, "success"));
    reported(
        &central,
        "channel-reports",
        "receipts settled 0 · receipts kept 0 · replies 1 ",
    )
    .await;
    let outbox = central.running().outbox().unwrap().outbox();
    let inbound = outbox.inbound().unwrap();
    assert_eq!(inbound.len(), 1);
    assert_eq!(
        (inbound[0].channel.as_str(), inbound[0].sender.as_str()),
        (WECHAT, FOLLOWER)
    );
    assert_eq!(inbound[0].text, "收到，已转移");
    assert!(
        !support::captured_logs().contains(FOLLOWER),
        "no openid in the log"
    );
}
