//! The supervisor's view over HTTP: a warning drafted, approved and released on a test central
//! is counted by type and level with its drafter, approver and minutes; the CSV holds the same
//! figures; the forecaster may not read it.

use serde_json::json;
use wxdesk::domain::access::Role;
use wxdesk::domain::time::MINUTE_MS;

use crate::callout::{board, keep_people, line_of, release};
use crate::support::{TestCentral, client_with, username};
use crate::warnings::{content, post, record};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_warning_is_counted_with_who_approved_it_and_how_fast() {
    let central = TestCentral::start().await;
    let body = content(
        "issue",
        None,
        &["350423100"],
        "发布暴雨黄色预警信号：测试。",
    );
    let drafted = record(&post(&central, Role::DutyForecaster, "/warnings", &body).await);
    let pin = json!({"pin": drafted.pin});
    let path = |step: &str| format!("/warnings/{}/{step}", drafted.id);
    central.clock.advance(12 * MINUTE_MS);
    record(&post(&central, Role::Supervisor, &path("approve"), &pin).await);
    central.clock.advance(3 * MINUTE_MS);
    record(&post(&central, Role::Supervisor, &path("release"), &pin).await);

    let (status, report) = central.get_as(Role::Supervisor, "/reports/service").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["issued"],
        json!([{"signal": "rainstorm", "level": "yellow", "practice": false, "count": 1}])
    );
    let approvals = &report["approvals"];
    assert_eq!(
        (&approvals["approved"], &approvals["signed_alone"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(
        approvals["submit_to_approve"],
        json!({"median": 12.0, "max": 12.0})
    );
    assert_eq!(
        approvals["approve_to_release"],
        json!({"median": 3.0, "max": 3.0})
    );
    let line = &approvals["warnings"][0];
    assert_eq!(line["drafter"], username(Role::DutyForecaster));
    assert_eq!(line["approver"], username(Role::Supervisor));
    assert_eq!(report["delivery"], json!([]), "no channel configured");
    assert_eq!(
        report["callout"]["called"], 0,
        "a yellow warning calls nobody"
    );

    let csv = client_with(&central.token(Role::Leader).await)
        .get(central.url("/reports/service?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.contains(",rainstorm,yellow,false,1"), "{text}");
    assert!(text.contains(",1,0,12.0,12.0,3.0,3.0"), "{text}");

    let (status, _) = central
        .get_as(Role::DutyForecaster, "/reports/service")
        .await;
    assert_eq!(status, 403);
    let (status, _) = central
        .get_as(Role::Supervisor, "/reports/service?format=xml")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callout_of_a_released_warning_is_counted_with_its_response_time() {
    let central = TestCentral::start().await;
    let ids = keep_people(&central).await;
    let warning = release(&central, "typhoon", "orange").await;
    let called = board(&central, Role::Supervisor, &warning).await;
    assert_eq!(called["lines"].as_array().unwrap().len(), 4, "{called}");
    central.clock.advance(7 * MINUTE_MS);
    let line = line_of(&called, ids[3])["line"].as_i64().unwrap();
    let call = json!({"answerer": "张防汛", "said": "收到", "answered": true});
    let path = format!("/warnings/{warning}/callout/{line}/calls");
    let (status, logged) = post(&central, Role::DutyForecaster, &path, &call).await;
    assert_eq!(status, 201, "{logged}");

    let (status, report) = central.get_as(Role::Supervisor, "/reports/service").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["callout"],
        json!({
            "warnings": 1, "called": 4, "answered": 1,
            "by_sms_reply": 0, "by_wechat": 0, "by_phone": 1,
            "unanswered": 3, "escalated_desk": 0, "escalated_supervisor": 0,
            "completion_rate": 0.25, "response": {"median": 7.0, "max": 7.0},
        })
    );
    let csv = client_with(&central.token(Role::Supervisor).await)
        .get(central.url("/reports/service?format=csv"))
        .send()
        .await
        .unwrap();
    let text = csv.text().await.unwrap();
    assert!(text.contains(",1,4,1,0,0,1,3,0,0,0.250,7.0,7.0"), "{text}");
}
