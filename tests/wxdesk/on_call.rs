//! Alarms ride the channels: rain enough for a rainstorm-yellow suggestion reaches the central,
//! which raises one alarm for it; while nobody is on call the `alarms` worker says so on the
//! workers board and the alarm waits; once the supervisor puts a bureau staff member on call,
//! the alarm's text reaches their handset at the npm `smpp` SMSC on 127.0.0.1 — once, however
//! many more observations arrive — and its receipt settles it, visible at
//! `GET /alarms/{source}:{key}` (numbers masked for readers who do not manage recipients).
//! An on-call person who follows the Official Account gets it in `[wechat.mp] alarm_template`
//! at the WeChat double too, once, settled by WeChat's job-end push.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wxdesk::central::channels::wechat::token::TokenEndpoint;
use wxdesk::central::channels::wechat::{Hidden, MpConfig, WechatConfig, WecomConfig};
use wxdesk::central::config::ChannelSettings;
use wxdesk::central::on_call::{WORKER, beijing_day, gist};
use wxdesk::central::workers::WorkerStatus;
use wxdesk::domain::access::Role;
use wxdesk::domain::time::{HOUR_MS, MINUTE_MS, ManualClock};

use crate::smpp::peer::{Smsc, Submit};
use crate::support::{self, TestCentral, batch, client, client_with, now, record};
use crate::warning_dispatch::sms_settings;
use crate::warnings::post;
use crate::wechat_double::{Accounts, FIRST_MSGID, WechatDouble, push_signed};

const STAFF_PHONE: &str = "13800000009";

/// 52.4 mm at 清流 (58819, 龙津镇) in the two clock hours ending 3 h ago: 50 mm in 6 h, none
/// in the last 3 — rainstorm yellow, and no more.
fn rain() -> Value {
    let hour = |h: i64| now().plus_ms(-h * HOUR_MS).to_rfc3339();
    batch(&[
        record("58819", &hour(4), json!({"PRE_1h": 30.0})),
        record("58819", &hour(3), json!({"PRE_1h": 22.4})),
    ])
}

/// A later, dry hour: more observations, the same suggestion.
fn dry_hour() -> Value {
    let at = now().plus_ms(-MINUTE_MS).to_rfc3339();
    batch(&[record("58819", &at, json!({"PRE_1h": 0.0}))])
}

/// Waits until the alarms worker's report satisfies `ok`.
async fn alarms_report(central: &TestCentral, ok: impl Fn(&str) -> bool) -> WorkerStatus {
    report(central, WORKER, ok).await
}

/// Waits until worker `name`'s report satisfies `ok`.
async fn report(central: &TestCentral, name: &str, ok: impl Fn(&str) -> bool) -> WorkerStatus {
    let board = central.running().workers().clone();
    let seen = board.wait_for(name, |s| s.detail.as_deref().is_some_and(&ok));
    match tokio::time::timeout(support::PATIENCE, seen).await {
        Ok(status) => status.unwrap(),
        Err(_) => panic!("worker {name} reports {:?}", board.status(name)),
    }
}

/// How many passes the worker reports.
fn passes(status: &WorkerStatus) -> u64 {
    passes_in(status.detail.as_deref().unwrap_or_default())
}

/// How many passes a report line counts.
fn passes_in(detail: &str) -> u64 {
    let number = detail
        .strip_prefix("passes ")
        .and_then(|r| r.split(' ').next());
    number.and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// The submits to the SMSC so far, once at least `n` have arrived (bounded wait on its log).
fn submits(smsc: &Smsc, n: usize) -> Vec<Submit> {
    let deadline = Instant::now() + support::PATIENCE;
    loop {
        let got = smsc.submits();
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A message's text from its parts (UCS-2, after a concatenation header when `esm_class`
/// says there is one), and how many parts its header announces.
fn text_of(parts: &[Submit]) -> (String, usize) {
    let mut units = Vec::new();
    let mut announced = 1;
    for part in parts {
        let bytes: Vec<u8> = (0..part.short_message.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&part.short_message[i..i + 2], 16).unwrap())
            .collect();
        let body = if part.esm_class & 0x40 != 0 {
            announced = usize::from(bytes[4]);
            &bytes[usize::from(bytes[0]) + 1..]
        } else {
            &bytes[..]
        };
        units.extend(body.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])));
    }
    (String::from_utf16(&units).unwrap(), announced)
}

async fn keep_staff(central: &TestCentral) -> u64 {
    let person = json!({
        "name": "值班员王", "township": "county", "group": "bureau_staff",
        "duty": "bureau_staff", "phone": STAFF_PHONE,
    });
    let (status, answer) = post(central, Role::Supervisor, "/recipients", &person).await;
    assert_eq!(status, 201, "{answer}");
    answer["id"].as_u64().unwrap()
}

async fn put_on_call(central: &TestCentral, role: Role, day: &str, ids: &[u64]) -> (u16, Value) {
    let response = client_with(&central.token(role).await)
        .put(central.url(&format!("/on-call/{day}")))
        .json(&json!({"recipients": ids}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suggestion_waits_for_an_on_call_person_then_reaches_them_once_by_sms() {
    let Some(smsc) = Smsc::start(&[]) else { return };
    let settings = sms_settings(&smsc);
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.channels = settings;
    })
    .await;
    let staff = keep_staff(&central).await;
    let today = beijing_day(now());
    let (status, _) = central.post_observations(&client(), &rain()).await;
    assert_eq!(status, 200);

    // Nobody on call: the alarm is kept, the board says why, nothing is sent.
    let waiting =
        format!("suggestions alarmed 1 · alarms sent 0 · waiting 1 · nobody on call on {today}");
    alarms_report(&central, |d| d.contains(&waiting)).await;
    assert!(smsc.submits().is_empty());
    let path = format!("/alarms/suggestion:rainstorm:yellow:{today}");
    let (status, alarm) = central.get_as(Role::DutyForecaster, &path).await;
    assert_eq!(status, 200, "{alarm}");
    assert!(alarm["sent_at"].is_null(), "{alarm}");
    let text = alarm["text"].as_str().unwrap().to_owned();
    assert!(
        text.contains("龙津镇") && text.contains("暴雨黄色"),
        "{text}"
    );

    // The supervisor puts the staff member on call: the waiting alarm goes at once.
    let (status, day) = put_on_call(&central, Role::Supervisor, &today, &[staff]).await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(day["people"][0]["phone"], STAFF_PHONE);
    alarms_report(&central, |d| d.contains("alarms sent 1 · waiting 0")).await;
    let parts = submits(&smsc, 1);
    let (received, announced) = text_of(&parts);
    assert_eq!(parts.len(), announced, "one message, every part once");
    assert!(
        parts
            .iter()
            .all(|p| p.destination == format!("86{STAFF_PHONE}"))
    );
    assert_eq!(received, text);

    // More observations, the same suggestion: a pass after them sends nothing more.
    let board = central.running().workers().clone();
    let before = passes(&board.status(WORKER).unwrap());
    let (status, _) = central.post_observations(&client(), &dry_hour()).await;
    assert_eq!(status, 200);
    let later = alarms_report(&central, |d| passes_in(d) > before).await;
    assert!(
        later
            .detail
            .unwrap()
            .contains("suggestions alarmed 1 · alarms sent 1")
    );
    assert_eq!(smsc.submits().len(), announced);

    // Its receipt settles it; the forecaster sees the number masked.
    let deadline = Instant::now() + support::PATIENCE;
    loop {
        let (_, alarm) = central.get_as(Role::DutyForecaster, &path).await;
        if alarm["counts"] == json!({"delivered": 1}) {
            let delivery = &alarm["deliveries"][0];
            assert_eq!(delivery["phone"], "138****0009");
            assert_eq!(delivery["recipient"], staff);
            assert!(alarm["sent_at"].is_string());
            break;
        }
        assert!(Instant::now() < deadline, "not delivered: {alarm}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The roster reads back, the change is audited by ids only.
    let (_, roster) = central.get_as(Role::Leader, "/on-call").await;
    assert_eq!(roster["days"][0]["people"][0]["phone"], "138****0009");
    let (_, audit) = central
        .get_as(Role::Supervisor, "/audit?action=on_call_set")
        .await;
    let entry = audit.to_string();
    assert!(
        entry.contains(&today) && !entry.contains(STAFF_PHONE),
        "{entry}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_active_bureau_staff_may_be_put_on_call() {
    let central = TestCentral::start().await;
    let person = json!({
        "name": "镇长", "township": "350423100", "group": "township_leaders",
        "duty": "head", "phone": "13800000010",
    });
    let (_, leader) = post(&central, Role::Supervisor, "/recipients", &person).await;
    let leader = leader["id"].as_u64().unwrap();
    let today = beijing_day(now());
    let (status, answer) = put_on_call(&central, Role::Supervisor, &today, &[leader]).await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = put_on_call(&central, Role::Supervisor, &today, &[999]).await;
    assert_eq!(status, 404);
    let (status, _) = put_on_call(&central, Role::Supervisor, "2026-13-01", &[]).await;
    assert_eq!(status, 404, "no such day");
    let (_, roster) = central.get_as(Role::Supervisor, "/on-call").await;
    assert_eq!(roster["days"], json!([]), "nothing was set");
}

const TOKEN: &str = "callback-token-on-call";
const APP_ID: &str = "wx0a1b2c3d4e5f6a7b";
const APP_SECRET: &str = "app-secret-on-call";
const ALARM_TEMPLATE: &str = "tpl-on-call-alarm";
const FOLLOWER: &str = "oStaffWang";

/// The Official Account at the double, with the alarm template (and no warning template).
fn wechat_settings(double: &WechatDouble) -> ChannelSettings {
    let mp = MpConfig {
        base_url: double.base.clone(),
        app_id: APP_ID.to_owned(),
        app_secret: Hidden::new(APP_SECRET),
        callback_token: Hidden::new(TOKEN),
        token_margin_s: 300,
        token_endpoint: TokenEndpoint::Token,
        warning_template: None,
        alarm_template: Some(ALARM_TEMPLATE.to_owned()),
    };
    let wechat = WechatConfig {
        wecom: WecomConfig::default(),
        mp: Some(mp),
    };
    ChannelSettings::new(Some(wechat), None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_reaches_an_on_call_follower_once_in_its_template_settled_by_the_job_end_push() {
    let accounts = Accounts {
        app_id: APP_ID.to_owned(),
        secret: APP_SECRET.to_owned(),
        followers: vec![FOLLOWER.to_owned()],
        templates: vec![ALARM_TEMPLATE.to_owned()],
        ..Accounts::default()
    };
    let double = WechatDouble::start(accounts, ManualClock::new(now())).await;
    let settings = wechat_settings(&double);
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.channels = settings;
        config.dispatch_tick = Duration::from_millis(50);
    })
    .await;
    let person = json!({
        "name": "值班员王", "township": "county", "group": "bureau_staff",
        "duty": "bureau_staff", "wechat_openid": FOLLOWER,
    });
    let (status, answer) = post(&central, Role::Supervisor, "/recipients", &person).await;
    assert_eq!(status, 201, "{answer}");
    let today = beijing_day(now());
    let staff = answer["id"].as_u64().unwrap();
    let (status, day) = put_on_call(&central, Role::Supervisor, &today, &[staff]).await;
    assert_eq!(status, 200, "{day}");
    let (status, _) = central.post_observations(&client(), &rain()).await;
    assert_eq!(status, 200);
    alarms_report(&central, |d| d.contains("alarms sent 1 · waiting 0")).await;
    report(&central, "dispatch-wechat", |d| d.starts_with("sent 1 ")).await;

    // In the alarm template, to the follower on call: the alarm's gist and when it was raised.
    let path = format!("/alarms/suggestion:rainstorm:yellow:{today}");
    let (_, alarm) = central.get_as(Role::DutyForecaster, &path).await;
    let text = alarm["text"].as_str().unwrap();
    let templates = double.seen(|s| s.template_messages.clone());
    assert_eq!(templates.len(), 1);
    let body = &templates[0].body;
    assert_eq!(
        (&body["touser"], &body["template_id"]),
        (&json!(FOLLOWER), &json!(ALARM_TEMPLATE))
    );
    let thing = body["data"]["thing1"]["value"].as_str().unwrap();
    assert_eq!(thing, gist(text));
    assert!(
        thing.starts_with("值班提醒") && thing.chars().count() <= 20,
        "{thing}"
    );
    assert!(body["data"]["time2"]["value"].is_string(), "{body}");
    let row = &alarm["deliveries"][0];
    assert_eq!(
        (&row["channel"], &row["state"]),
        (&json!("wechat"), &json!("sent"))
    );

    // WeChat's job-end push settles it.
    let (query, xml) = double.job_finished(TOKEN, FIRST_MSGID, "success");
    let (status, _) = push_signed(&central, &query, &xml).await;
    assert_eq!(status, 200);
    report(&central, "channel-reports", |d| {
        d.starts_with("receipts settled 1 ")
    })
    .await;
    let (_, alarm) = central.get_as(Role::DutyForecaster, &path).await;
    assert_eq!(alarm["counts"], json!({"delivered": 1}), "{alarm}");
    assert_eq!(alarm["deliveries"][0]["recipient"], staff);

    // More observations, the same suggestion: nothing more goes.
    let before = passes(&central.running().workers().status(WORKER).unwrap());
    let (status, _) = central.post_observations(&client(), &dry_hour()).await;
    assert_eq!(status, 200);
    alarms_report(&central, |d| passes_in(d) > before).await;
    assert_eq!(double.seen(|s| s.template_messages.len()), 1);
}
