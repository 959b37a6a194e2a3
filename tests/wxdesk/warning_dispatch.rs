//! A released warning leaves the building: recipients kept on the central, a warning drafted,
//! approved and released over HTTP, and a central configured with `[sms.smpp]` sends one SMS
//! to each addressed person — and to nobody else — to the npm `smpp` SMSC on 127.0.0.1, whose
//! receipts then settle every row `delivered`. Practice warnings reach the bureau's staff only.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wxdesk::central::channels::smpp::{Hidden, SmppConfig};
use wxdesk::central::config::{ChannelSettings, SmsGateway, SmsSection};
use wxdesk::domain::access::Role;

use crate::smpp::peer::Smsc;
use crate::support::TestCentral;
use crate::warnings::{content, post, record};

const LONGJIN: &str = "350423100";
const SONGXI: &str = "350423101";

pub(crate) fn sms_settings(smsc: &Smsc) -> ChannelSettings {
    let smpp = SmppConfig {
        host: "127.0.0.1".to_owned(),
        port: smsc.port,
        system_id: "qlqx".to_owned(),
        password: Hidden::new("pw9Qx7z"),
        system_type: String::new(),
        source_addr: "106900001".to_owned(),
        window: 10,
        max_submits_per_second: None,
        connect_timeout_ms: 5_000,
        response_timeout_ms: 10_000,
        enquire_link_ms: 30_000,
    };
    let sms = SmsSection {
        gateway: SmsGateway::Smpp,
        smpp: Some(smpp),
        cmpp: None,
    };
    ChannelSettings::new(None, Some(sms)).unwrap()
}

/// (township, group, duty, number): who the bureau keeps.
const PEOPLE: [(&str, &str, &str, &str); 5] = [
    (LONGJIN, "township_leaders", "head", "13800000001"),
    (LONGJIN, "informants", "informant", "13800000002"),
    (SONGXI, "township_leaders", "head", "13800000003"),
    ("county", "county", "flood_control", "13800000004"),
    ("county", "bureau_staff", "bureau_staff", "13800000005"),
];

async fn keep_people(central: &TestCentral) {
    for (i, (township, group, duty, phone)) in PEOPLE.iter().enumerate() {
        let person = json!({
            "name": format!("接收人{i}"), "township": township, "group": group,
            "duty": duty, "phone": phone,
        });
        let (status, answer) = post(central, Role::Supervisor, "/recipients", &person).await;
        assert_eq!(status, 201, "{answer}");
    }
}

/// Drafted by the forecaster for `groups`, approved and released by the supervisor.
async fn release(central: &TestCentral, groups: &[String], practice: bool) -> String {
    let mut body = content("issue", None, &[LONGJIN], "发布暴雨黄色预警信号：测试。");
    body["recipient_groups"] = json!(groups);
    body["practice"] = json!(practice);
    if practice {
        body["texts"]["sms"] =
            json!("【清流气象】【演练】清流县气象台发布暴雨黄色预警信号：测试。");
    }
    let drafted = record(&post(central, Role::DutyForecaster, "/warnings", &body).await);
    let pin = json!({"pin": drafted.pin});
    let path = |step: &str| format!("/warnings/{}/{step}", drafted.id);
    record(&post(central, Role::Supervisor, &path("approve"), &pin).await);
    record(&post(central, Role::Supervisor, &path("release"), &pin).await);
    drafted.id
}

/// The numbers the SMSC has received, once `n` have arrived (bounded wait on its log).
fn received(smsc: &Smsc, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut got: Vec<String> = smsc.submits().into_iter().map(|s| s.destination).collect();
        if got.len() >= n || Instant::now() > deadline {
            got.sort();
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn sms_states(central: &TestCentral) -> Value {
    let client = crate::support::client_with(&central.token(Role::Supervisor).await);
    let (_, summary) = central.get_json(&client, "/outbox/summary").await;
    summary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_warning_reaches_its_recipients_by_sms_and_nobody_else() {
    // The county's flood-control officer's handset is off: the SMSC reports UNDELIV.
    let Some(smsc) = Smsc::start(&[("SMSC_UNDELIV", "8613800000004")]) else {
        return;
    };
    let settings = sms_settings(&smsc);
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.channels = settings;
    })
    .await;
    keep_people(&central).await;
    let groups = vec![format!("town:{LONGJIN}:leaders"), "county:all".to_owned()];
    let real = release(&central, &groups, false).await;
    assert_eq!(received(&smsc, 2), ["8613800000001", "8613800000004"]);
    // The practice run: only the bureau's staff, whatever groups it names.
    release(&central, &groups, true).await;
    assert_eq!(
        received(&smsc, 3),
        ["8613800000001", "8613800000004", "8613800000005"]
    );
    // Receipts come back: delivered, or failed with the SMSC's reason.
    let deadline = Instant::now() + Duration::from_secs(20);
    let settled = json!([
        {"kind": "sms", "state": "delivered", "count": 2, "note": null},
        {"kind": "sms", "state": "failed", "count": 1, "note": null},
    ]);
    loop {
        let summary = sms_states(&central).await;
        if summary["counts"] == settled {
            break;
        }
        assert!(Instant::now() < deadline, "rows not settled: {summary}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Person by person: who has it, who has not and why; numbers whole only for those who
    // manage recipients.
    for (role, phones) in [
        (Role::Supervisor, ["13800000001", "13800000004"]),
        (Role::DutyForecaster, ["138****0001", "138****0004"]),
    ] {
        let path = format!("/warnings/{real}/deliveries");
        let (status, list) = central.get_as(role, &path).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["counts"], json!({"delivered": 1, "failed": 1}));
        let rows: Vec<(&str, &str, Option<&str>)> = list["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let state = d["state"].as_str().unwrap();
                (d["phone"].as_str().unwrap(), state, d["reason"].as_str())
            })
            .collect();
        assert_eq!(rows[0], (phones[0], "delivered", None), "{role:?}");
        assert_eq!(rows[1].0, phones[1]);
        assert_eq!(rows[1].1, "failed");
        assert!(rows[1].2.is_some_and(|r| r.contains("UNDELIV")), "{rows:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warning_released_before_its_rows_were_made_is_sent_after_a_restart() {
    let Some(smsc) = Smsc::start(&[]) else { return };
    // Released on a central whose SMS gateway is not configured: no rows are made (as if it
    // stopped between the release and its rows).
    let mut central = TestCentral::start().await;
    keep_people(&central).await;
    let groups = vec![format!("town:{LONGJIN}:leaders"), "county:all".to_owned()];
    release(&central, &groups, false).await;
    assert_eq!(sms_states(&central).await["counts"], json!([]));
    // Started again with the gateway: the start-up sweep makes the rows and they go out once.
    let settings = sms_settings(&smsc);
    central
        .restart_with(|config| config.channels = settings)
        .await;
    assert_eq!(received(&smsc, 2), ["8613800000001", "8613800000004"]);
}
