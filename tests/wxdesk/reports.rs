//! The supervisor's view over HTTP: a warning drafted, approved and released on a test central
//! is counted by type and level with its drafter, approver and minutes; the CSV holds the same
//! figures; the forecaster may not read it.

use serde_json::json;
use wxdesk::domain::access::Role;
use wxdesk::domain::time::MINUTE_MS;

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
    assert!(report["callout"].is_null());

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
