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

/// The cells of an .xlsx file's first sheet as text (numbers as Rust prints them).
pub(crate) fn sheet_text(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Data, Reader as _, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(x) => x.to_string(),
                    Data::Int(n) => n.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// A CSV file's records, each padded with empty cells to `width`, numbers as Rust prints
/// them (`0.250` → `0.25`), as a sheet read back holds them.
pub(crate) fn csv_text(text: &str, width: usize) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .map(|r| {
            let mut cells: Vec<String> = r
                .unwrap()
                .iter()
                .map(|c| match c.parse::<f64>() {
                    Ok(x) if !c.is_empty() => x.to_string(),
                    _ => c.to_owned(),
                })
                .collect();
            cells.resize(width, String::new());
            cells
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workbook_holds_the_csvs_records() {
    let central = TestCentral::start().await;
    keep_people(&central).await;
    let warning = release(&central, "typhoon", "orange").await;
    let client = client_with(&central.token(Role::Supervisor).await);
    let fetch = |query: String| {
        let request = client.get(central.url(&query));
        async move { request.send().await.unwrap() }
    };
    let csv = fetch("/reports/service?format=csv".into())
        .await
        .text()
        .await
        .unwrap();
    let xlsx = fetch("/reports/service?format=xlsx".into()).await;
    assert_eq!(xlsx.status(), 200);
    assert!(
        xlsx.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".xlsx\"")
    );
    let sheet = sheet_text(&xlsx.bytes().await.unwrap());
    let width = sheet[0].len();
    assert_eq!(sheet, csv_text(&csv, width));
    assert!(
        sheet.iter().any(|r| r[0] == "callout") && sheet.iter().any(|r| r[1] == "typhoon"),
        "{sheet:?}"
    );

    let path = format!("/warnings/{warning}/callout/export?format=");
    let csv = fetch(format!("{path}csv")).await.text().await.unwrap();
    let xlsx = fetch(format!("{path}xlsx")).await;
    assert_eq!(xlsx.status(), 200);
    let sheet = sheet_text(&xlsx.bytes().await.unwrap());
    assert_eq!(sheet.len(), 5, "headings and four lines: {sheet:?}");
    assert_eq!(sheet, csv_text(&csv, sheet[0].len()));
    assert!(
        sheet.iter().any(|r| r[2] == "林书记" && r[5] == "未应"),
        "{sheet:?}"
    );
}
