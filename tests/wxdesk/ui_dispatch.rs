//! The dispatch view in practice mode with statuses arriving: a practice warning released on a
//! central that sends SMS to the npm `smpp` SMSC on 127.0.0.1 reaches the bureau's two staff
//! only. The SMSC throttles the first submit (whichever of the two reaches it first), so one
//! message waits in the queue (its retry is due on the central's manual clock) while the other
//! is handed over; the forecaster's desk opens 发送情况 from the board and watches them arrive:
//! 排队 → 送达, and 失败 with the SMSC's
//! UNDELIV reason. 未收到 narrows the table to the failed one; 重发失败 (confirmed) sends it
//! once more — one more attempt than 李 had, whichever of the two the SMSC throttled.

use std::time::Duration;

use serde_json::json;
use wxdesk::console::ui::warnings::dispatch::{Bucket, bucket_counts};
use wxdesk::domain::access::Role;
use wxdesk::domain::time::ManualClock;
use wxdesk::protocol::outbox::Delivery;

use crate::smpp::peer::Smsc;
use crate::support::{TestCentral, now};
use crate::ui_warnings_e2e::Desk;
use crate::warning_dispatch::{LONGJIN, sms_settings};
use crate::warnings::{content, post, record};

/// The bureau's staff on duty: 王 gets it, 李's handset is off (UNDELIV).
const WANG: &str = "13800000005";
const LI: &str = "13800000006";

async fn keep_staff(central: &TestCentral) {
    let people = [
        ("王海", "county", "bureau_staff", WANG),
        ("李娜", "county", "bureau_staff", LI),
        ("林建国", LONGJIN, "township_leaders", "13800000001"),
    ];
    for (name, township, group, phone) in people {
        let duty = if group == "bureau_staff" {
            "bureau_staff"
        } else {
            "head"
        };
        let person = json!({
            "name": name, "township": township, "group": group, "duty": duty, "phone": phone,
        });
        let (status, answer) = post(central, Role::Supervisor, "/recipients", &person).await;
        assert_eq!(status, 201, "{answer}");
    }
}

async fn release_practice(central: &TestCentral) -> String {
    let mut body = content("issue", None, &[LONGJIN], "发布暴雨黄色预警信号：演练。");
    body["practice"] = json!(true);
    body["recipient_groups"] = json!([format!("town:{LONGJIN}:leaders")]);
    body["texts"]["sms"] = json!("【清流气象】【演练】清流县气象台发布暴雨黄色预警信号：演练。");
    let drafted = record(&post(central, Role::DutyForecaster, "/warnings", &body).await);
    let pin = json!({"pin": drafted.pin});
    let path = |step: &str| format!("/warnings/{}/{step}", drafted.id);
    record(&post(central, Role::Supervisor, &path("approve"), &pin).await);
    record(&post(central, Role::Supervisor, &path("release"), &pin).await);
    drafted.id
}

/// The SMS bar's buckets as the desk last read them.
fn bar(desk: &Desk, id: &str) -> Option<[u64; 5]> {
    let list = desk.harness.state().state().dispatch.lists.get(id)?;
    list.channels
        .iter()
        .find(|c| c.channel == "sms")
        .map(bucket_counts)
}

fn at(bucket: Bucket) -> usize {
    Bucket::ALL.iter().position(|b| *b == bucket).unwrap()
}

#[test]
fn a_practice_dispatch_shows_its_statuses_arriving() {
    let Some(smsc) = Smsc::start(&[
        ("SMSC_REFUSE_NTH", "1:0x58"),
        ("SMSC_UNDELIV", "8613800000006"),
    ]) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let settings = sms_settings(&smsc);
    let central = rt.block_on(TestCentral::start_with(
        wxdesk::central::DEFAULT_KEEP_ALIVE,
        |config| {
            config.channels = settings;
            config.dispatch_tick = Duration::from_millis(100);
        },
    ));
    rt.block_on(keep_staff(&central));
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::DutyForecaster, dir.path(), &clock);
    // Read again as soon as answered: the test's frames stand in for the desk's 3 s timer.
    desk.harness
        .state_mut()
        .view_mut()
        .warnings
        .dispatch
        .poll_every_s = 0.0;
    let id = rt.block_on(release_practice(&central));
    desk.until_released(&id);

    desk.click("预警发布");
    desk.click("发送情况");
    assert_eq!(
        desk.harness
            .state()
            .view()
            .warnings
            .dispatch
            .warning
            .as_deref(),
        Some(id.as_str())
    );
    // The throttled message waits for its retry (due on the central's clock); the other is
    // handed over. Only the two staff: the township head never gets a drill.
    // (Read from the rows: the bar's 排队 also counts a message still being sent.)
    desk.until("one queued, one handed over", |d| {
        let rows = sms_rows(d, &id);
        let waiting = |x: &Delivery| x.status == "queued" && x.attempt == 1;
        let handed = |x: &Delivery| !matches!(x.status.as_str(), "queued" | "sending");
        rows.len() == 2 && rows.iter().any(waiting) && rows.iter().any(handed)
    });
    assert!(desk.shows("排队中"), "the queued line says so");
    assert!(desk.shows("演练"));
    // The central's clock reaches the retry: both settle, as the SMSC's receipts say.
    central.clock.advance(60_000);
    desk.until("delivered and failed", |d| {
        bar(d, &id).is_some_and(|b| b[at(Bucket::Delivered)] == 1 && b[at(Bucket::Failed)] == 1)
    });
    assert!(desk.shows("UNDELIV"), "the SMSC reason is shown");
    assert!(desk.shows("王海") && desk.shows("李娜"));
    assert!(!desk.shows("林建国"), "no drill outside the bureau");

    // 未收到: only 李 is left in the table.
    desk.click("只看未收到");
    desk.until("the filter applied", |d| !d.shows("王海"));
    assert!(desk.shows("李娜"));

    // 重发失败, confirmed: one more copy for 李, and 王's delivered message is left alone.
    // Which of the two the SMSC throttled depends on which submit reached it first, so 李's
    // attempts so far are read, not assumed.
    let tried = li_row(&desk, &id).attempt;
    let before = smsc.submits().len();
    desk.click("重发失败 (1)");
    desk.click("确认重发失败");
    desk.until("the retry answered", |d| {
        d.harness.state().state().dispatch.decided.is_some()
    });
    desk.until("the retry sent and failed again", |d| {
        let li = li_row(d, &id);
        li.attempt == tried + 1 && li.status == "failed"
    });
    let copies: Vec<String> = smsc.submits()[before..]
        .iter()
        .map(|s| s.destination.clone())
        .collect();
    assert_eq!(copies, ["8613800000006"]);
    assert!(desk.shows(&format!("第{}次", tried + 1)));
}

/// The SMS rows as the desk last read them.
fn sms_rows(desk: &Desk, id: &str) -> Vec<Delivery> {
    let Some(list) = desk.harness.state().state().dispatch.lists.get(id) else {
        return Vec::new();
    };
    let sms = list.deliveries.iter().filter(|x| x.channel == "sms");
    sms.cloned().collect()
}

/// 李's row as the desk last read it.
fn li_row(desk: &Desk, id: &str) -> Delivery {
    let list = &desk.harness.state().state().dispatch.lists[id];
    let li = list
        .deliveries
        .iter()
        .find(|x| x.name.as_deref() == Some("李娜"));
    li.expect("李's row").clone()
}

#[test]
fn every_dispatch_text_renders() {
    use wxdesk::console::ui::i18n::Language;
    use wxdesk::console::ui::warnings::dispatch::text;
    for language in [Language::Zh, Language::En] {
        let lines = text::text(language)
            .all()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        crate::support::render_with_bundled_font(lines, |_| {});
    }
}
