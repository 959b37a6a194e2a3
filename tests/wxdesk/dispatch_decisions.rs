//! A person's decisions on a released warning's messages, against the npm `smpp` SMSC on
//! 127.0.0.1: a retry requeues only the failed messages and the SMSC gets exactly one more copy
//! for those recipients; a message whose outcome is unknown (the dispatcher died after handing
//! it over) is never resent by itself, a resend without a reason is refused, and one with a
//! reason sends exactly one more copy, marked and audited with who and why. The bureau's
//! per-level policy resends a red warning's unknown messages by itself (audited as by policy),
//! an orange warning's not.

use serde_json::{Value, json};
use wxdesk::central::failpoint::{Failpoints, Trip};
use wxdesk::central::workers::dispatch::AFTER_PROVIDER_CALL;
use wxdesk::domain::access::Role;
use wxdesk::domain::outbox::policy::ResendPolicy;
use wxdesk::domain::warning::Level;

use crate::smpp::peer::Smsc;
use crate::support::{TestCentral, username, within};
use crate::warning_dispatch::{LONGJIN, keep_people, received, sms_settings};
use crate::warnings::{content, post, record};

/// 林: Longjin's township head; 陈: the county's flood-control officer.
const HEAD: &str = "8613800000001";
const COUNTY: &str = "8613800000004";

/// Drafted, approved and released: a rainstorm warning of `level` for Longjin's leaders (and
/// the county's people when `county`).
async fn release_at(central: &TestCentral, level: &str, county: bool) -> String {
    let words = match level {
        "red" => "红色",
        "orange" => "橙色",
        _ => "黄色",
    };
    let mut body = content(
        "issue",
        None,
        &[LONGJIN],
        &format!("发布暴雨{words}预警信号：测试。"),
    );
    body["level"] = json!(level);
    let mut groups = vec![format!("town:{LONGJIN}:leaders")];
    if county {
        groups.push("county:all".to_owned());
    }
    body["recipient_groups"] = json!(groups);
    let drafted = record(&post(central, Role::DutyForecaster, "/warnings", &body).await);
    let pin = json!({"pin": drafted.pin});
    let path = |step: &str| format!("/warnings/{}/{step}", drafted.id);
    record(&post(central, Role::Supervisor, &path("approve"), &pin).await);
    record(&post(central, Role::Supervisor, &path("release"), &pin).await);
    drafted.id
}

async fn deliveries(central: &TestCentral, id: &str) -> Value {
    let (status, list) = central
        .get_as(Role::Supervisor, &format!("/warnings/{id}/deliveries"))
        .await;
    assert_eq!(status, 200, "{list}");
    list
}

/// Waits until the warning's messages stand as `want` (state → count).
async fn settled(central: &TestCentral, id: &str, want: Value) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list = deliveries(central, id).await;
        if list["counts"] == want {
            return list;
        }
        assert!(std::time::Instant::now() < deadline, "not {want}: {list}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The line of the recipient whose number ends in `tail`.
fn line<'a>(list: &'a Value, tail: &str) -> &'a Value {
    list["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["phone"].as_str().is_some_and(|p| p.ends_with(tail)))
        .unwrap_or_else(|| panic!("no line for …{tail}: {list}"))
}

fn copies(smsc: &Smsc, number: &str) -> usize {
    smsc.submits()
        .iter()
        .filter(|s| s.destination == number)
        .count()
}

/// The newest audit entry of `action`.
async fn audited(central: &TestCentral, action: &str) -> Value {
    let (status, page) = central
        .get_as(Role::Supervisor, &format!("/audit?action={action}"))
        .await;
    assert_eq!(status, 200, "{page}");
    page["entries"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_requeues_only_the_failed_messages_and_sends_one_more_copy_each() {
    let Some(smsc) = Smsc::start(&[("SMSC_UNDELIV", COUNTY)]) else {
        return;
    };
    let settings = sms_settings(&smsc);
    let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.channels = settings;
    })
    .await;
    keep_people(&central).await;
    let id = release_at(&central, "yellow", true).await;
    let list = settled(&central, &id, json!({"delivered": 1, "failed": 1})).await;
    assert_eq!(list["not_received"], 1);
    assert_eq!(line(&list, "0004")["status"], "failed");
    let county = line(&list, "0004")["recipient"].as_u64().unwrap();

    // A leader reads but does not decide.
    let retry = format!("/warnings/{id}/deliveries/retry");
    let (status, _) = post(&central, Role::Leader, &retry, &json!({})).await;
    assert_eq!(status, 403);

    let (status, answer) = post(&central, Role::DutyForecaster, &retry, &json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["requeued"],
        json!([{"recipient": county, "channel": "sms"}])
    );
    assert_eq!(received(&smsc, 3), [HEAD, COUNTY, COUNTY]);
    // Failed again (the handset is still off): attempt 2, the SMSC's reason; the delivered
    // message was never touched.
    let list = settled(&central, &id, json!({"delivered": 1, "failed": 1})).await;
    assert_eq!(line(&list, "0004")["attempt"], 2, "{list}");
    assert!(
        line(&list, "0004")["reason"]
            .as_str()
            .unwrap()
            .contains("UNDELIV")
    );
    assert_eq!(line(&list, "0001")["attempt"], 1);
    assert_eq!((copies(&smsc, HEAD), copies(&smsc, COUNTY)), (1, 2));

    let entry = audited(&central, "deliveries_retried").await;
    assert_eq!(entry["target"], format!("warning:{id}"));
    assert!(
        entry["details"]
            .as_str()
            .unwrap()
            .contains("\"requeued\":1"),
        "{entry}"
    );
    assert!(
        !entry["details"].as_str().unwrap().contains("13800000004"),
        "no numbers"
    );

    // Only the named recipients: the head's delivered message is skipped.
    let head = line(&list, "0001")["recipient"].as_u64().unwrap();
    let only = json!({"recipients": [head]});
    let (_, answer) = post(&central, Role::Supervisor, &retry, &only).await;
    assert_eq!(
        (answer["requeued"].clone(), answer["skipped"].clone()),
        (json!([]), json!(1))
    );
    let (_, narrowed) = central
        .get_as(
            Role::DutyForecaster,
            &format!("/warnings/{id}/deliveries?not_received=true"),
        )
        .await;
    let shown: Vec<&str> = narrowed["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["phone"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["138****0004"], "{narrowed}");
}

/// A central whose SMS dispatcher dies right after handing its message over, with the
/// bureau's `policy`; one warning of `level` released on it to Longjin's head alone (one
/// message, so it is the one handed over); then, past the lease, started again without the
/// failpoint: the message is `unknown`.
async fn in_doubt(smsc: &Smsc, level: &str, policy: &[Level]) -> (TestCentral, String) {
    let settings = sms_settings(smsc);
    let policy = ResendPolicy {
        levels: policy.iter().copied().collect(),
    };
    let dying = Failpoints::none().arm(AFTER_PROVIDER_CALL, Trip::Fail);
    let (first, again) = (settings.clone(), settings);
    let resend = policy.clone();
    let mut central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, |config| {
        config.channels = first;
        config.channel_failpoints = dying;
        config.warnings.resend_unknown = resend;
        // No 叫应 call SMS beside the warning: the head's one message is the one in doubt.
        config.warnings.callout.levels.clear();
    })
    .await;
    keep_people(&central).await;
    let id = release_at(&central, level, false).await;
    let board = central.running().workers().clone();
    let died = board.wait_for("dispatch-sms", |s| s.restarts >= 1);
    within("the dispatcher to die after the hand-over", died).await;
    let lease =
        wxdesk::central::workers::channels::dispatch_config("sms", 60_000, &Failpoints::none());
    central.clock.advance(lease.lease_ms + 10 * 60_000);
    central
        .restart_with(|config| {
            config.channels = again;
            config.channel_failpoints = Failpoints::none();
            config.warnings.resend_unknown = policy;
            config.warnings.callout.levels.clear();
        })
        .await;
    (central, id)
}

/// Waits until every line of the warning has left `sending` (recovery made them unknown).
async fn doubted(central: &TestCentral, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list = deliveries(central, id).await;
        let counts = list["counts"].as_object().unwrap();
        if counts
            .keys()
            .all(|k| k != "sending" && k != "claimed" && k != "queued")
        {
            return list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still in flight: {list}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_message_is_resent_only_by_a_decision_with_a_reason() {
    let Some(smsc) = Smsc::start(&[]) else { return };
    let (central, id) = in_doubt(&smsc, "yellow", &[]).await;
    let list = doubted(&central, &id).await;
    let unknown = line(&list, "0001");
    assert_eq!(unknown["status"], "unknown", "{list}");
    assert_eq!(list["resend_policy"], false);
    let head = unknown["recipient"].as_u64().unwrap();
    // The restarted dispatcher has run: nothing was resent by itself.
    let board = central.running().workers().clone();
    within(
        "the dispatcher to run a pass",
        board.wait_for("dispatch-sms", |s| s.detail.is_some()),
    )
    .await;
    let before = copies(&smsc, HEAD);
    assert_eq!(before, 1, "handed over once before the crash");

    let resend = format!("/warnings/{id}/deliveries/resend");
    for body in [
        json!({"recipients": [head], "reason": "  "}),
        json!({"recipients": [head], "reason": ""}),
    ] {
        let (status, answer) = post(&central, Role::DutyForecaster, &resend, &body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (422, Some("resend_reason_required"))
        );
    }
    let (status, answer) = post(
        &central,
        Role::DutyForecaster,
        &resend,
        &json!({"recipients": [], "reason": "x"}),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("resend_names_nobody"))
    );
    assert_eq!(
        line(&deliveries(&central, &id).await, "0001")["status"],
        "unknown"
    );
    assert_eq!(copies(&smsc, HEAD), before, "no resend without a decision");

    let why = "网关链路中断，林建国电话确认未收到";
    let body = json!({"recipients": [head], "reason": why});
    let (status, answer) = post(&central, Role::DutyForecaster, &resend, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["requeued"],
        json!([{"recipient": head, "channel": "sms"}])
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while copies(&smsc, HEAD) < before + 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the resend never reached the SMSC"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let list = settled_line(&central, &id, "0001", "delivered").await;
    let mark = &line(&list, "0001")["resent"];
    assert_eq!(mark["how"], "decision");
    assert_eq!(mark["by"], username(Role::DutyForecaster));
    assert_eq!(mark["reason"], why);
    assert_eq!(copies(&smsc, HEAD), before + 1, "exactly one more copy");
    // A second decision on a message no longer unknown does nothing.
    let (_, again) = post(&central, Role::DutyForecaster, &resend, &body).await;
    assert_eq!(
        (again["requeued"].clone(), again["skipped"].clone()),
        (json!([]), json!(1))
    );

    let entry = audited(&central, "deliveries_resent").await;
    assert_eq!(
        entry["actor"],
        format!("user:{}", username(Role::DutyForecaster))
    );
    let details = entry["details"].as_str().unwrap();
    assert!(
        details.contains(why) && details.contains("\"how\":\"decision\""),
        "{details}"
    );
}

/// Waits until the line ending in `tail` has `status`.
async fn settled_line(central: &TestCentral, id: &str, tail: &str, status: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list = deliveries(central, id).await;
        if line(&list, tail)["status"] == status {
            return list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "…{tail} not {status}: {list}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_red_policy_resends_unknown_messages_and_audits_them() {
    let Some(smsc) = Smsc::start(&[]) else { return };
    let (central, id) = in_doubt(&smsc, "red", &[Level::Red]).await;
    let list = settled_line(&central, &id, "0001", "delivered").await;
    assert_eq!(list["resend_policy"], true);
    let mark = &line(&list, "0001")["resent"];
    assert_eq!(
        (mark["how"].as_str(), mark["by"].as_str()),
        (Some("policy"), Some("policy:red"))
    );
    assert_eq!(
        copies(&smsc, HEAD),
        2,
        "the crashed send and exactly one more copy"
    );
    let entry = audited(&central, "deliveries_resent").await;
    assert_eq!(entry["actor"], "central");
    assert!(
        entry["details"]
            .as_str()
            .unwrap()
            .contains("\"how\":\"policy\""),
        "{entry}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_red_policy_leaves_an_orange_warnings_unknown_messages_alone() {
    let Some(smsc) = Smsc::start(&[]) else { return };
    let (central, id) = in_doubt(&smsc, "orange", &[Level::Red]).await;
    let board = central.running().workers().clone();
    within(
        "the policy worker to look",
        board.wait_for("resend-policy", |s| s.detail.is_some()),
    )
    .await;
    let list = doubted(&central, &id).await;
    assert_eq!(list["resend_policy"], false);
    assert_eq!(line(&list, "0001")["status"], "unknown", "{list}");
    assert_eq!(copies(&smsc, HEAD), 1, "not resent");
    assert_eq!(line(&list, "0001")["resent"], Value::Null);
}
