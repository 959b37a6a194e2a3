//! 登记新设备 on a real desk against a real test central (issue 13): a technician registers a
//! garden micro-station from the devices screen — a refusal of the central is said beside the
//! field it names, corrected, sent again — and the garden appears in the device list and, its
//! station joining the network, in the station list; its record is then changed from its health
//! page. A forecaster is offered no form.

use egui::accesskit::Role as A11y;
use egui_kittest::kittest::Queryable as _;
use wxdesk::console::ui::devices::text;
use wxdesk::console::ui::history::text as screens;
use wxdesk::console::ui::i18n::Language;
use wxdesk::domain::StationId;
use wxdesk::domain::access::Role;
use wxdesk::domain::time::ManualClock;

use crate::support::{TestCentral, now};
use crate::ui_device_alarms::{pick, type_into, until_caught_up};
use crate::ui_warnings_e2e::Desk;

const NAME: &str = "悠然国茶园二号站";

#[test]
fn a_technician_registers_a_garden_and_it_joins_the_lists() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(TestCentral::start());
    let t = text::text(Language::Zh);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::Technician, dir.path(), &clock);
    desk.click(t.tab);
    until_caught_up(&mut desk);
    desk.click(t.register_open);
    desk.until("the form", |d| d.shows(t.register_title));
    let field = |label| (A11y::TextInput, label);
    for (label, typed) in [
        (t.field_id, "YR-AWS2"),
        (t.form_name, NAME),
        (t.form_location, "26.12, 116.96"),
        (t.form_altitude, "515"),
        // 58819 is the national station's: the central refuses it, by field.
        (t.field_station, "58819"),
    ] {
        let (role, label) = field(label);
        type_into(&mut desk, role, label, typed);
    }
    pick(&mut desk, t.field_township, "嵩溪镇");
    desk.click(t.form_submit_register);
    desk.until("the refusal beside the station", |d| {
        d.shows("⚠ 站号 58819 已被占用")
    });
    let (role, label) = field(t.field_station);
    desk.harness.get_by_role_and_label(role, label).focus();
    desk.harness.run_ok();
    for _ in 0..5 {
        desk.harness.key_press(egui::Key::Backspace);
    }
    type_into(&mut desk, role, label, "YRG02");
    desk.click(t.form_submit_register);
    desk.until("the garden in the device list", |d| {
        d.shows(NAME) && !d.shows(t.register_title)
    });
    assert!(desk.shows(t.status_never), "registered, never heard yet");

    let station = StationId::parse("YRG02").unwrap();
    desk.until("its station in the desk's network", |d| {
        d.harness
            .state()
            .state()
            .network
            .station(&station)
            .is_some()
    });
    desk.click(screens::text(Language::Zh).screen_live);
    desk.until("the garden in the station list", |d| d.shows(NAME));

    // Its record changes from its health page.
    desk.click(t.tab);
    desk.click(NAME);
    desk.click(t.edit_open);
    desk.until("the record's form", |d| d.shows(t.edit_title));
    let (role, label) = field(t.form_interval);
    desk.harness.get_by_role_and_label(role, label).focus();
    desk.harness.run_ok();
    for _ in 0..2 {
        desk.harness.key_press(egui::Key::Backspace);
    }
    type_into(&mut desk, role, label, "300");
    desk.click(t.form_submit_edit);
    desk.until("the changed interval on the page", |d| {
        d.shows("300 秒") && !d.shows(t.edit_title)
    });
}

#[test]
fn a_forecaster_is_offered_no_registry_form() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(TestCentral::start());
    let t = text::text(Language::Zh);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::DutyForecaster, dir.path(), &clock);
    desk.click(t.tab);
    desk.until("the device list read", |d| {
        d.harness.state().state().devices.list.is_some()
    });
    assert!(desk.shows(t.title), "the list's title bar is drawn");
    assert!(desk.harness.query_by_label(t.register_open).is_none());
    assert!(desk.harness.query_by_label(t.register_title).is_none());
}
