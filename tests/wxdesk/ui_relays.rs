//! 继电器控制 on a real desk against a real central (issue 14): a technician switches a fan
//! through the confirmation dialog and watches it go from commanded to observed on a real
//! MQTT device (Mosquitto and `sim::relay_responder`); an interlock refuses the shade net and
//! the dialog names the interlock and the reading, keeping the typed reason; a duty forecaster
//! sees no switch for the fan, but confirms a frost rule's proposal for the anti-frost fans in
//! one click and may switch them with a reason.

use egui::accesskit::Role as A11y;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use serde_json::json;
use wxdesk::console::ui::devices::relays::text;
use wxdesk::console::ui::devices::text as devices_text;
use wxdesk::console::ui::i18n::Language;
use wxdesk::domain::access::Role;
use wxdesk::domain::devices::Device;
use wxdesk::domain::time::ManualClock;
use wxdesk::protocol::relays::ProposalState;
use wxdesk::sim::relay_responder::{Behaviour, RelayResponder};

use crate::relays::{Broker, central_with, greenhouse};
use crate::support::{batch, client, now, record};
use crate::ui_warnings_e2e::Desk;

/// Buttons labelled `label` a person can press.
fn enabled(desk: &Desk, label: &str) -> usize {
    desk.harness
        .query_all_by_label(label)
        .filter(|n| !n.accesskit_node().is_disabled())
        .count()
}

/// Clicks the `nth` button labelled `label` (rows of relays each have their 开 and 关).
fn click_nth(desk: &mut Desk, label: &str, nth: usize) {
    desk.until(&format!("{} “{label}”", nth + 1), |d| {
        enabled(d, label) > nth
    });
    let node = || desk.harness.query_all_by_label(label).nth(nth);
    node().expect("the button").scroll_to_me();
    desk.harness.run_ok();
    desk.harness
        .query_all_by_label(label)
        .nth(nth)
        .expect("the button")
        .click();
    desk.harness.run_ok();
}

fn type_reason(desk: &mut Desk, label: &str, words: &str) {
    desk.until("the reason field", |d| {
        d.harness
            .query_by_role_and_label(A11y::TextInput, label)
            .is_some()
    });
    desk.harness
        .get_by_role_and_label(A11y::TextInput, label)
        .focus();
    desk.harness.run_ok();
    desk.harness
        .get_by_role_and_label(A11y::TextInput, label)
        .type_text(words);
    desk.harness.run_ok();
}

#[test]
fn a_technician_switches_a_fan_to_observed_and_an_interlock_refuses_the_shade_net() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gh = greenhouse("GH-11", "GHS11");
    let Some(broker) = Broker::start(std::slice::from_ref(&gh)) else {
        return;
    };
    let central = rt.block_on(central_with(Some(broker.settings()), vec![gh]));
    let _device = rt.block_on(RelayResponder::connect(
        &broker.device("GH-11"),
        3,
        Behaviour::Obliging,
    ));
    let t = text::text(Language::Zh);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::Technician, dir.path(), &clock);
    desk.click(devices_text::text(Language::Zh).tab);
    desk.until("the relays", |d| d.shows("测试大棚控制器 · 1号风机"));

    // The fan (the first row): 开, confirmed in the dialog naming device, relay and target.
    click_nth(&mut desk, "开", 0);
    desk.until("the dialog", |d| d.shows(t.dialog_title));
    assert!(desk.shows("测试大棚控制器（GH-11）"));
    assert!(desk.shows("1 · 1号风机 · 通风"));
    desk.click(t.confirm);
    desk.until("observed by the device's read-back", |d| {
        d.shows("开 · 已观测到") && d.shows("开（读于")
    });
    assert!(
        !desk.shows(t.dialog_title),
        "the dialog closed with its answer"
    );

    // The shade net (the second row) in a gale: the interlock refuses, naming the reading.
    let gale = record(
        "58819",
        &now().plus_ms(-60_000).to_rfc3339(),
        json!({"WIN_S_Avg_2mi": 14.2}),
    );
    let (ingested, _) = rt.block_on(central.post_observations(&client(), &batch(&[gale])));
    assert_eq!(ingested, 200);
    click_nth(&mut desk, "开", 1);
    desk.until("the dialog", |d| d.shows(t.dialog_title));
    assert_eq!(enabled(&desk, t.confirm), 0, "a shade net needs a reason");
    type_reason(&mut desk, t.dialog_reason, "午间强光");
    desk.click(t.confirm);
    desk.until("the interlock's refusal", |d| {
        d.shows("联锁“大风禁开遮阳网”拒绝") && d.shows("14.2")
    });
    let dialog = desk.harness.state().view().devices.relays.dialog.clone();
    let reason = dialog.map(|d| d.reason);
    assert_eq!(reason.as_deref(), Some("午间强光"), "the reason is kept");
}

/// A tea garden's controller: a vent, and anti-frost fans a frost rule at 清流 proposes.
fn tea_garden() -> Device {
    serde_json::from_value(json!({
        "id": "TG-01", "name_zh": "茶园控制器", "kind": "greenhouse_controller",
        "location": {"lat": 26.18, "lon": 116.82}, "altitude_m": 310.0,
        "township": 350423100, "transport": "mqtt", "interval_s": 60, "station": "TGS01",
        "relays": [
            {"channel": 1, "name_zh": "通风窗", "class": "ventilation"},
            {"channel": 2, "name_zh": "防霜风机", "class": "anti_frost", "automations": [
                {"id": "frost", "name_zh": "茶园霜冻开防霜风机", "target": "on", "station": "58819",
                 "element": "TEM", "when": {"below": 2.0}, "hysteresis": 1.0}]}
        ]
    }))
    .unwrap()
}

#[test]
fn a_forecaster_confirms_a_frost_proposal_and_may_switch_frost_fans_but_not_the_vent() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(central_with(None, vec![tea_garden()]));
    let cold = record(
        "58819",
        &now().plus_ms(-60_000).to_rfc3339(),
        json!({"TEM": 1.2}),
    );
    let (ingested, _) = rt.block_on(central.post_observations(&client(), &batch(&[cold])));
    assert_eq!(ingested, 200);
    // (The sweep worker may get there first: either way one proposal is open.)
    rt.block_on(central.running().sweep_relays()).unwrap();

    let t = text::text(Language::Zh);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::DutyForecaster, dir.path(), &clock);
    desk.click(devices_text::text(Language::Zh).tab);
    // The proposals and the relays are read apart: wait for both.
    desk.until("the proposal and the relays", |d| {
        d.shows("茶园霜冻开防霜风机") && d.shows("茶园控制器 · 通风窗")
    });
    assert!(desk.shows("读数：58819 TEM 1.2"));
    // One row of switches: the frost fans'. The vent is the technician's.
    assert_eq!(enabled(&desk, "开"), 1);
    assert_eq!(enabled(&desk, "关"), 1);

    desk.click(t.proposal_confirm);
    desk.until("the proposal confirmed", |d| {
        let relays = &d.harness.state().state().devices.relays;
        relays.proposals.as_ref().is_some_and(|l| {
            l.proposals
                .iter()
                .any(|p| p.state == ProposalState::Confirmed)
        }) && relays.open_proposals().is_empty()
    });
    desk.until("its command commanded", |d| d.shows("开 · "));

    // And by hand, with a reason: the frost fans off again.
    click_nth(&mut desk, "关", 0);
    desk.until("the dialog", |d| d.shows(t.dialog_title));
    assert!(desk.shows("2 · 防霜风机 · 防霜风机"));
    desk.click(t.confirm);
    desk.until("the off commanded", |d| d.shows("关 · "));
}

/// Not a test: the scene of `packaging/screenshots/relay-command-in-flight.png` and
/// `relay-interlock-refused.png`. A tea garden whose frost fans wait, queued, for a link that
/// is not configured (their expiry counting down), an open frost proposal, and a greenhouse
/// whose shade net a gale at 清流 interlocks; it prints its URL and the technician's login and
/// serves until a line arrives on standard input. Run with `--ignored --nocapture`, then point
/// `wxdesk --server` at it under Xvfb (README, "Relays").
#[test]
#[ignore = "a scene for screenshots, run by hand"]
fn relays_screenshot_scene() {
    use wxdesk::domain::Clock as _;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(central_with(
        None,
        vec![tea_garden(), greenhouse("GH-11", "GHS11")],
    ));
    // On the wall clock, so the desk's top bar and the relay panel tell the same time.
    central.clock.set(wxdesk::domain::Timestamp::now());
    let at = central.clock.now().plus_ms(-60_000).to_rfc3339();
    let readings = [record(
        "58819",
        &at,
        json!({"TEM": 1.2, "WIN_S_Avg_2mi": 14.2}),
    )];
    let (ingested, _) = rt.block_on(central.post_observations(&client(), &batch(&readings)));
    assert_eq!(ingested, 200);
    rt.block_on(central.running().sweep_relays()).unwrap();
    let body = crate::relays::command("c-frost-scene01", "TG-01", 2, "on", Some("今夜霜冻"));
    let (status, _) = rt.block_on(crate::relays::post_as(
        &central,
        Role::DutyForecaster,
        "/relay-commands",
        &body,
    ));
    assert_eq!(status, 202);
    let _ = rt.block_on(central.token(Role::Technician));
    println!("SCENE {} technician", central.base());
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}
