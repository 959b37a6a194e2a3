//! The recipients window (预警接收人) on real desks over a test central: the forecaster sees
//! the list with numbers masked and filters it by township; the supervisor sees them whole and
//! imports the sample CSV, whose report names the bad lines by number.

use std::path::Path;

use wxdesk::domain::access::Role;
use wxdesk::domain::time::ManualClock;

use crate::support::{TestCentral, now};
use crate::ui_warnings_e2e::Desk;
use crate::warning_dispatch::{LONGJIN, keep_people};

fn desk(
    rt: &tokio::runtime::Runtime,
    central: &TestCentral,
    role: Role,
    dir: &Path,
    clock: &std::sync::Arc<ManualClock>,
) -> Desk {
    let mut desk = Desk::signed_in(rt, central, role, dir, clock);
    desk.harness.state_mut().view_mut().recipients.open = true;
    desk
}

#[test]
fn the_list_is_masked_for_the_forecaster_and_an_import_reports_its_bad_lines() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(TestCentral::start());
    rt.block_on(keep_people(&central));
    let clock = ManualClock::new(now());
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];

    let mut forecaster = desk(&rt, &central, Role::DutyForecaster, dirs[0].path(), &clock);
    forecaster.until("the list", |d| d.shows("接收人4"));
    assert!(forecaster.shows("138****0001") && !forecaster.shows("13800000001"));
    assert!(forecaster.shows("号码已隐藏"));
    assert!(
        !forecaster.shows("从文件导入"),
        "only those who manage recipients import"
    );
    forecaster
        .harness
        .state_mut()
        .view_mut()
        .recipients
        .query
        .township = Some(LONGJIN.to_owned());
    forecaster.until("Longjin's people only", |d| {
        d.harness
            .state()
            .state()
            .recipients
            .list
            .as_ref()
            .is_some_and(|l| l.total == 2)
    });
    assert!(!forecaster.shows("接收人4"));

    let mut supervisor = desk(&rt, &central, Role::Supervisor, dirs[1].path(), &clock);
    supervisor.until("whole numbers", |d| d.shows("13800000001"));
    let file = dirs[1].path().join("people.csv");
    std::fs::write(&file, include_bytes!("../data/recipients/sample.csv")).unwrap();
    supervisor
        .harness
        .state_mut()
        .view_mut()
        .recipients
        .import_path = file.display().to_string();
    supervisor.harness.state_mut().view_mut().recipients.dry_run = true;
    supervisor.click("导入");
    supervisor.until("the report", |d| d.shows("读取 8 行"));
    // Line 4: a landline, not a mobile number (the sample's third person).
    assert!(supervisor.shows("第 4 行：是固定电话，不是手机号"));
    assert!(supervisor.shows("只检查，未保存"));
}

#[test]
fn every_recipients_text_renders() {
    use wxdesk::console::ui::i18n::Language;
    for language in [Language::Zh, Language::En] {
        let lines = wxdesk::console::ui::recipients::text(language)
            .all()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        crate::support::render_with_bundled_font(lines, |_| {});
    }
}
