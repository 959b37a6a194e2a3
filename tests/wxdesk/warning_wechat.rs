//! A released warning on the WeChat channels, against the WeChat double on 127.0.0.1: the
//! robots `[wechat.wecom.warnings]` names for its area get the composed robot text, each
//! once; addressed followers get the warning template with the composed fields; a robot row
//! ends `sent` (a robot only accepts), a template row `delivered` only by the job-end push;
//! a robot's 20 a minute holds for a warning's row behind other traffic; and a township head
//! who follows the account answers his 叫应 by WeChat text (the push closes his line).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wxdesk::central::CentralConfig;
use wxdesk::central::channels::wechat::token::TokenEndpoint;
use wxdesk::central::channels::wechat::{
    Hidden, MpConfig, RobotMsgType, RobotRoutes, WechatConfig, WecomConfig,
};
use wxdesk::central::channels::{RobotPayload, WECOM};
use wxdesk::central::config::ChannelSettings;
use wxdesk::central::workers::WorkerStatus;
use wxdesk::domain::access::Role;
use wxdesk::domain::time::{Clock as _, MINUTE_MS, ManualClock};
use wxdesk::store::central::outbox::NewMessage;

use crate::callout::{board, board_when};
use crate::support::{self, TestCentral, within};
use crate::warnings::{content, post, record};
use crate::wechat_double::{
    Accounts, FIRST_MSGID, ROBOT_PER_MINUTE, WechatDouble, follower_text, push_signed,
};

const LONGJIN: &str = "350423100";
const SONGXI: &str = "350423101";
const TOKEN: &str = "callback-token-warning-wechat";
const APP_ID: &str = "wx1a2b3c4d5e6f7a8b";
const APP_SECRET: &str = "app-secret-warning-wechat";
const TEMPLATE: &str = "tpl-warning-signal";
/// Robot name → its webhook key.
const ROBOTS: [(&str, &str); 3] = [
    ("county", "robot-key-county-91"),
    ("longjin", "robot-key-longjin-92"),
    ("songxi", "robot-key-songxi-93"),
];
const MARKDOWN: &str = "## <font color=\"warning\">暴雨黄色预警</font>\n龙津镇：测试。";

/// The double, on its own clock (WeChat's: moved with the central's by the test).
async fn double() -> (WechatDouble, Arc<ManualClock>) {
    let accounts = Accounts {
        robot_keys: ROBOTS.iter().map(|(_, key)| (*key).to_owned()).collect(),
        app_id: APP_ID.to_owned(),
        secret: APP_SECRET.to_owned(),
        followers: vec!["oLongjinHead".to_owned(), "oSongxiHead".to_owned()],
        templates: vec![TEMPLATE.to_owned()],
        ..Accounts::default()
    };
    let clock = ManualClock::new(support::now());
    (
        WechatDouble::start(accounts, Arc::clone(&clock)).await,
        clock,
    )
}

fn settings(double: &WechatDouble) -> ChannelSettings {
    let robots = ROBOTS
        .iter()
        .map(|(name, key)| ((*name).to_owned(), Hidden::new(*key)))
        .collect();
    let warnings = RobotRoutes {
        county: vec!["county".to_owned()],
        townships: [
            (LONGJIN.to_owned(), vec!["longjin".to_owned()]),
            (SONGXI.to_owned(), vec!["songxi".to_owned()]),
        ]
        .into(),
        staff: Vec::new(),
        msgtype: RobotMsgType::Markdown,
    };
    let wechat = WechatConfig {
        wecom: WecomConfig {
            base_url: double.base.clone(),
            robots,
            per_minute: ROBOT_PER_MINUTE,
            warnings,
        },
        mp: Some(MpConfig {
            base_url: double.base.clone(),
            app_id: APP_ID.to_owned(),
            app_secret: Hidden::new(APP_SECRET),
            callback_token: Hidden::new(TOKEN),
            token_margin_s: 300,
            token_endpoint: TokenEndpoint::Token,
            warning_template: Some(TEMPLATE.to_owned()),
            alarm_template: None,
        }),
    };
    ChannelSettings::new(Some(wechat), None).unwrap()
}

fn configure(config: &mut CentralConfig, settings: ChannelSettings) {
    config.channels = settings;
    config.dispatch_tick = Duration::from_millis(50);
}

async fn central(double: &WechatDouble) -> TestCentral {
    let settings = settings(double);
    TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        configure(config, settings);
    })
    .await
}

/// Longjin's and Songxi's heads, each following the account.
async fn keep_heads(central: &TestCentral) {
    for (i, (town, openid)) in [(LONGJIN, "oLongjinHead"), (SONGXI, "oSongxiHead")]
        .into_iter()
        .enumerate()
    {
        let person = json!({
            "name": format!("镇长{i}"), "township": town, "group": "township_leaders",
            "duty": "head", "wechat_openid": openid,
        });
        let (status, answer) = post(central, Role::Supervisor, "/recipients", &person).await;
        assert_eq!(status, 201, "{answer}");
    }
}

fn fields() -> Value {
    json!({"thing1": "暴雨黄色预警", "thing2": "龙津镇", "time3": "2026年11月26日 18:00"})
}

/// A Longjin rainstorm warning at `level` for its leaders, drafted, approved and released.
async fn release(central: &TestCentral, level: &str) -> String {
    let mut body = content("issue", None, &[LONGJIN], "发布暴雨黄色预警信号：测试。");
    body["level"] = json!(level);
    body["recipient_groups"] = json!([format!("town:{LONGJIN}:leaders")]);
    body["texts"]["wecom_markdown"] = json!(MARKDOWN);
    body["template_fields"] = fields();
    let drafted = record(&post(central, Role::DutyForecaster, "/warnings", &body).await);
    let pin = json!({"pin": drafted.pin});
    let path = |step: &str| format!("/warnings/{}/{step}", drafted.id);
    record(&post(central, Role::Supervisor, &path("approve"), &pin).await);
    record(&post(central, Role::Supervisor, &path("release"), &pin).await);
    drafted.id
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

/// The deliveries of warning `id` as the supervisor reads them: (robot or recipient,
/// channel, state), sorted.
async fn deliveries(central: &TestCentral, id: &str) -> Vec<(String, String, String)> {
    let (status, list) = central
        .get_as(Role::Supervisor, &format!("/warnings/{id}/deliveries"))
        .await;
    assert_eq!(status, 200, "{list}");
    let mut rows: Vec<(String, String, String)> = list["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let who = d["robot"]
                .as_str()
                .map_or_else(|| d["name"].to_string(), str::to_owned);
            let text = |k: &str| d[k].as_str().unwrap().to_owned();
            (who, text("channel"), text("state"))
        })
        .collect();
    rows.sort();
    rows
}

fn row(who: &str, channel: &str, state: &str) -> (String, String, String) {
    (who.to_owned(), channel.to_owned(), state.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_reaches_its_areas_robots_and_addressed_followers_with_the_composed_content() {
    let (double, _) = double().await;
    let central = central(&double).await;
    keep_heads(&central).await;
    let id = release(&central, "yellow").await;
    reported(&central, "dispatch-wecom", "sent 2 ").await;
    reported(&central, "dispatch-wechat", "sent 1 ").await;

    // The county's robot and Longjin's, not Songxi's; the composed markdown exact.
    let robots = double.seen(|s| s.robot_messages.clone());
    let mut keys: Vec<&str> = robots.iter().map(|m| m.key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, [ROBOTS[0].1, ROBOTS[1].1]);
    for message in &robots {
        let want = json!({"msgtype": "markdown", "markdown": {"content": MARKDOWN}});
        assert_eq!(message.body, want);
    }
    // Longjin's head only (Songxi's is not addressed), in the warning template.
    let templates = double.seen(|s| s.template_messages.clone());
    assert_eq!(templates.len(), 1);
    let body = &templates[0].body;
    assert_eq!(
        (&body["touser"], &body["template_id"]),
        (&json!("oLongjinHead"), &json!(TEMPLATE))
    );
    let sent: Value = fields()
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), json!({"value": v})))
        .collect::<serde_json::Map<_, _>>()
        .into();
    assert_eq!(body["data"], sent);

    // True to the channel: robots accepted (and no more will be heard), the template sent
    // until WeChat's job-end push says delivered.
    let head = "\"镇长0\"";
    assert_eq!(
        deliveries(&central, &id).await,
        [
            row(head, "wechat", "sent"),
            row("county", WECOM, "sent"),
            row("longjin", WECOM, "sent"),
        ]
    );
    let (query, xml) = double.job_finished(TOKEN, FIRST_MSGID, "success");
    let (status, _) = push_signed(&central, &query, &xml).await;
    assert_eq!(status, 200);
    reported(&central, "channel-reports", "receipts settled 1 ").await;
    assert_eq!(
        deliveries(&central, &id).await[0],
        row(head, "wechat", "delivered")
    );
    // A second release pass (the start-up sweep) adds nothing.
    let mut central = central;
    let settings = settings(&double);
    central
        .restart_with(|config| configure(config, settings))
        .await;
    reported(&central, "dispatch-wecom", "sent 0 ").await;
    assert_eq!(double.seen(|s| s.robot_messages.len()), 2);
    assert_eq!(double.seen(|s| s.template_messages.len()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robots_twenty_a_minute_holds_for_a_warnings_row() {
    let (double, wechat_clock) = double().await;
    let central = central(&double).await;
    let outbox = central.running().outbox().expect("an outbox").clone();
    for n in 1..=ROBOT_PER_MINUTE {
        let payload = RobotPayload {
            robot: "county".to_owned(),
            msgtype: "text".to_owned(),
            content: format!("值班提醒{n}"),
        };
        let message = NewMessage {
            idem_key: format!("earlier:{n}"),
            kind: WECOM.to_owned(),
            payload: serde_json::to_string(&payload).unwrap(),
            due_at: support::now(),
        };
        outbox.enqueue(&message, support::now()).unwrap();
    }
    reported(&central, "dispatch-wecom", "sent 20 ").await;
    release(&central, "yellow").await;
    // Longjin's robot goes; the county's has had its 20 this minute: paced, WeCom not asked.
    reported(&central, "dispatch-wecom", "sent 21 · retried 1").await;
    assert_eq!(double.seen(|s| s.robot_requests), 21);
    assert_eq!(double.seen(|s| s.robot_rate_limited), 0);
    central.clock.advance(MINUTE_MS + 1_000);
    wechat_clock.advance(MINUTE_MS + 1_000);
    reported(&central, "dispatch-wecom", "sent 22 ").await;
    let last = double.seen(|s| s.robot_messages.last().cloned()).unwrap();
    assert_eq!(last.key, ROBOTS[0].1);
    assert_eq!(last.body["markdown"]["content"], MARKDOWN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_township_head_answers_his_callout_by_a_wechat_text() {
    let (double, _) = double().await;
    let central = central(&double).await;
    keep_heads(&central).await;
    let id = release(&central, "orange").await;
    // Longjin's head is called (Songxi's is not: the warning is Longjin's).
    let called = board(&central, Role::Supervisor, &id).await;
    let lines = called["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{called}");
    assert_eq!(
        (&lines[0]["name"], &lines[0]["state"]),
        (&json!("镇长0"), &json!("open"))
    );

    // A minute later he writes back to the official account; WeChat pushes his text.
    central.clock.advance(MINUTE_MS);
    let at_s = central.clock.now().0 / 1000;
    let (query, xml) = follower_text(TOKEN, "oLongjinHead", "收到，已布置转移", at_s);
    let answer = push_signed(&central, &query, &xml).await;
    assert_eq!(answer, (200, "success".to_owned()));
    let board = board_when(&central, &id, |b| b["answered"] == 1).await;
    let line = &board["lines"][0];
    assert_eq!(
        (&line["state"], &line["how"], &line["stage"]),
        (&json!("answered"), &json!("wechat"), &json!("none")),
        "{board}"
    );
    assert_eq!(
        (&line["answered_by"], &line["said"]),
        (&json!("镇长0"), &json!("收到，已布置转移"))
    );
    assert!(
        !support::captured_logs().contains("oLongjinHead"),
        "no openid in the log"
    );
}
