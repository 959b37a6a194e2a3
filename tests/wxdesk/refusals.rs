//! Real refusals of the central arrive as a code of the registry with its parameters, and the
//! console says them in Chinese from those alone (never from the central's English): a bad
//! record, a refused file, a maintenance window that ends before it starts, a range too long,
//! a weak password, an ended session.

use serde_json::{Value, json};
use wxdesk::console::ui::i18n::{self, Language};
use wxdesk::domain::access::Role;
use wxdesk::domain::refusal::{Code, Params};
use wxdesk::protocol::{ApiError, IngestResponse};

use crate::support::{PASSWORD, TestCentral, batch, client_with, minutes_from_now, now, record};

/// The error body's code and parameters, checked against the registry, and its Chinese.
fn said(body: &Value) -> (String, Params, String) {
    let error: ApiError = serde_json::from_value(body.clone()).unwrap();
    assert!(
        Code::parse(&error.error).is_some(),
        "{} is in the registry",
        error.error
    );
    let zh = i18n::say(Language::Zh, &error.error, &error.params);
    assert!(!zh.contains(&error.message), "{zh}");
    (error.error, error.params, zh)
}

async fn send(
    central: &TestCentral,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client_with(token).request(method, central.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_record_is_refused_by_code_and_said_in_chinese() {
    let central = TestCentral::start().await;
    let body = batch(&[record(
        "58819",
        &minutes_from_now(-1),
        json!({"TEM": 11.5, "RHU": 130}),
    )]);
    let (status, answer) = central
        .post_observations(&client_with(central.device_key()), &body)
        .await;
    assert_eq!(status, 200, "{answer}");
    let response: IngestResponse = serde_json::from_value(answer).unwrap();
    let result = &response.results[0];
    assert_eq!(result.refusals.len(), 1, "{result:?}");
    assert_eq!(result.errors.len(), 1, "English stays for older clients");
    let refusal = &result.refusals[0];
    assert_eq!(refusal.code, "out_of_range");
    assert_eq!(
        json!(refusal.params),
        json!({"element": "RHU", "value": 130, "min": 0, "max": 100, "unit": "%"})
    );
    assert_eq!(
        i18n::refusal(Language::Zh, refusal),
        "相对湿度：130 超出物理范围 0–100 %"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_file_names_its_line_and_reason_by_code() {
    let central = TestCentral::start().await;
    let token = central.token(Role::Technician).await;
    let future = "station,time,TEM\n58819,2026-11-27 17:00,11.5\n708301,2026-11-27 19:00,11.0\n";
    let response = client_with(&token)
        .post(central.url("/imports?name=late.csv"))
        .header("content-type", "text/plain")
        .body(future)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let (code, params, zh) = said(&response.json().await.unwrap());
    assert_eq!(code, "import_refused");
    assert_eq!(
        json!(params),
        json!({"file": "late.csv", "reason": "time_in_future", "line": 3, "time": "2026-11-27T11:00:00Z", "ahead_s": 3600})
    );
    assert_eq!(
        zh,
        "文件 late.csv 第 3 行：时间 2026-11-27 19:00 比中心时钟超前 3600 秒；整个文件均未导入"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_ending_before_it_starts_is_refused_by_code() {
    let central = TestCentral::start().await;
    let token = central.token(Role::Technician).await;
    let from = now().to_rfc3339();
    let to = now().plus_ms(-3_600_000).to_rfc3339();
    let window = json!({"station": "708301", "from": from, "to": to, "note": "更换雨量筒"});
    let (status, body) = send(
        &central,
        &token,
        reqwest::Method::POST,
        "/maintenance",
        Some(window),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (code, params, zh) = said(&body);
    assert_eq!(code, "end_not_after_start");
    assert_eq!(json!(params), json!({"from": from, "to": to}));
    assert!(
        zh.starts_with("结束时间 ") && zh.contains("须晚于开始时间"),
        "{zh}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_too_long_is_refused_naming_its_bound() {
    let central = TestCentral::start().await;
    let token = central.token(Role::DutyForecaster).await;
    let path = "/observations/series?station=58819&element=TEM&from=2016-11-27T00:00:00Z&to=2026-11-27T00:00:00Z";
    let (status, body) = send(&central, &token, reqwest::Method::GET, path, None).await;
    assert_eq!(status, 400, "{body}");
    let (code, params, zh) = said(&body);
    assert_eq!(
        (code.as_str(), json!(params)),
        ("range_too_long", json!({"max_days": 31}))
    );
    assert_eq!(zh, "时间范围超过 31 天，单次查询最多 31 天，请分段查询");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_password_and_an_ended_session_are_said_in_chinese() {
    let central = TestCentral::start().await;
    let token = central.token(Role::Leader).await;
    let change = json!({"current_password": PASSWORD, "new_password": "short"});
    let (status, body) = send(
        &central,
        &token,
        reqwest::Method::POST,
        "/auth/password",
        Some(change),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (code, params, zh) = said(&body);
    assert_eq!(
        (code.as_str(), json!(params)),
        ("password_too_short", json!({"min": 8}))
    );
    assert_eq!(zh, "新密码至少需要 8 个字符");

    let (status, _) = send(
        &central,
        &token,
        reqwest::Method::POST,
        "/auth/logout",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = send(&central, &token, reqwest::Method::GET, "/stations", None).await;
    assert_eq!(status, 401, "{body}");
    let (code, params, zh) = said(&body);
    assert_eq!((code.as_str(), params.len()), ("session_ended", 0));
    assert_eq!(zh, "会话已过期、已退出或被撤销");
}
