//! 服务统计 on a supervisor's desk against a real test central: a warning drafted by the duty
//! forecaster, approved 12 minutes after submission and released 3 minutes after approval;
//! the supervisor opens 服务统计 on the 预警发布 screen and reads the central's own figures for
//! the range shown — the desk's report equals the JSON the central answers for that range,
//! and every figure of it is on screen (the minutes, the people by the names they are known
//! by). 导出 CSV writes a file that is the central's CSV of the same range, byte for byte.
//! A duty forecaster is not offered the page.

use serde_json::json;
use wxdesk::console::messages::Event;
use wxdesk::console::messages::reports::{ReportRange, ServiceReport};
use wxdesk::console::state::reports::ReportExport;
use wxdesk::console::ui::i18n::Language;
use wxdesk::console::ui::warnings::report::{self, text};
use wxdesk::domain::access::Role;
use wxdesk::domain::time::{MINUTE_MS, ManualClock};

use crate::support::{TestCentral, client_with, console_harness, now, session_view};
use crate::ui_warnings_e2e::Desk;
use crate::warnings::{content, post, record};

/// Drafted by the forecaster, approved by the supervisor 12 minutes later, released 3 after.
async fn release_approved(central: &TestCentral) -> String {
    let body = content(
        "issue",
        None,
        &["350423100"],
        "发布暴雨黄色预警信号：测试。",
    );
    let drafted = record(&post(central, Role::DutyForecaster, "/warnings", &body).await);
    let pin = json!({"pin": drafted.pin});
    let path = |step: &str| format!("/warnings/{}/{step}", drafted.id);
    central.clock.advance(12 * MINUTE_MS);
    record(&post(central, Role::Supervisor, &path("approve"), &pin).await);
    central.clock.advance(3 * MINUTE_MS);
    record(&post(central, Role::Supervisor, &path("release"), &pin).await);
    drafted.id
}

/// `GET /reports/service` of `range` in `format`, as the supervisor: the body's bytes.
async fn central_report(central: &TestCentral, range: &ReportRange, format: &str) -> Vec<u8> {
    let query = [
        ("from", range.from.as_str()),
        ("to", range.to.as_str()),
        ("format", format),
    ];
    let answer = client_with(&central.token(Role::Supervisor).await)
        .get(central.url("/reports/service"))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.bytes().await.unwrap().to_vec()
}

/// The name the desk shows for each test account (the central's display names).
fn known_as(_record: &str, user: &str) -> String {
    match user {
        "duty-forecaster" => "Test Duty forecaster".to_owned(),
        "supervisor" => "Test Supervisor".to_owned(),
        other => other.to_owned(),
    }
}

#[test]
fn a_supervisor_reads_the_centrals_figures_and_saves_its_csv() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(TestCentral::start());
    let id = rt.block_on(release_approved(&central));
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::Supervisor, dir.path(), &clock);
    let t = text::text(Language::Zh);
    desk.click("预警发布");
    desk.until("the record synced", |d| {
        let records = &d.harness.state().state().warnings.records;
        records
            .iter()
            .any(|r| r.id == id && r.released_at.is_some())
    });
    desk.click(t.tab);
    let range = desk
        .harness
        .state()
        .view()
        .warnings
        .report
        .range
        .clone()
        .expect("a range is chosen on opening");
    assert_eq!(
        (range.from.as_str(), range.to.as_str()),
        ("2026-11-01", "2026-11-27"),
        "本月 by the desk's clock (Beijing)"
    );
    desk.until("the report read", |d| {
        d.harness.state().state().reports.of(&range).is_some()
    });

    let json = rt.block_on(central_report(&central, &range, "json"));
    let central_says: ServiceReport = serde_json::from_slice(&json).unwrap();
    let shown = desk.harness.state().state().reports.of(&range).cloned();
    assert_eq!(
        shown.as_ref(),
        Some(&central_says),
        "the desk holds the central's figures"
    );
    assert_eq!(central_says.approvals.approved, 1, "{central_says:?}");

    // Every figure of the central's report is on screen, drawn from its rows.
    let approvals = &central_says.approvals;
    let callout = central_says
        .callout
        .as_ref()
        .expect("the central counts 叫应");
    let tables = [
        report::issued_rows(&central_says, Language::Zh),
        report::step_rows(approvals, t),
        report::line_rows(approvals, Language::Zh, &known_as),
        report::channel_rows(&central_says.delivery, Language::Zh),
        report::callout_rows(callout, t),
    ];
    for cell in tables.iter().flatten().flatten() {
        assert!(desk.shows(cell), "“{cell}” is on screen");
    }
    // What those rows say, in the supervisor's words.
    for words in [
        "暴雨黄色",
        "12.0",
        "3.0",
        "Test Duty forecaster",
        "Test Supervisor",
        "经审核批准 1",
        "单独签发 0",
        t.delivery_none,
    ] {
        assert!(desk.shows(words), "“{words}” is on screen");
    }

    // 导出 CSV: the central's file of the same range, in the export folder.
    desk.click(t.export_csv);
    desk.until("the file written", |d| {
        matches!(
            d.harness.state().state().reports.export,
            Some(ReportExport::Written(_))
        )
    });
    let Some(ReportExport::Written(path)) = desk.harness.state().state().reports.export.clone()
    else {
        unreachable!()
    };
    assert!(path.starts_with(dir.path().to_str().unwrap()), "{path}");
    assert!(
        path.ends_with("wxdesk-service-20261101-20261127.csv"),
        "{path}"
    );
    let saved = std::fs::read(&path).unwrap();
    let csv = rt.block_on(central_report(&central, &range, "csv"));
    assert_eq!(saved, csv, "the central's CSV, as it wrote it");
    assert!(desk.shows("已导出"), "the export notice says where it went");
}

#[test]
fn a_duty_forecaster_is_not_offered_the_report() {
    let (mut harness, backend, _clock) = console_harness(Language::Zh);
    let t = text::text(Language::Zh);
    for (role, offered) in [(Role::DutyForecaster, false), (Role::Supervisor, true)] {
        backend
            .events
            .try_send(Event::Auth(wxdesk::console::messages::AuthEvent::SignedIn(
                session_view(role),
            )))
            .unwrap();
        harness.run();
        harness.get_by_label("预警发布").click();
        harness.run();
        use egui_kittest::kittest::Queryable as _;
        assert_eq!(harness.query_by_label(t.tab).is_some(), offered, "{role:?}");
    }
}

#[test]
fn every_report_text_renders() {
    for language in [Language::Zh, Language::En] {
        let lines = text::text(language)
            .all()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        crate::support::render_with_bundled_font(lines, |_| {});
    }
}
