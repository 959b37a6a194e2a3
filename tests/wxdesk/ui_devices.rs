//! 设备 on a real desk against a real test central (issue 13): a technician registers a garden
//! micro-station, it reports through the central's arrival seam, and the desk's devices screen
//! says so in words — 正常, its battery and signal. The central's clock moves on, it judges
//! the garden silent, the status change travels to the desk, and the desk says 失联 (never
//! 正常); its health page shows its particulars, lateness, completeness and forecast. With the
//! central gone, the desk blames its own link and paints no device as failed. A garden
//! registered while a desk runs joins that desk's network without a restart.

use wxdesk::console::ui::devices::text;
use wxdesk::console::ui::i18n::Language;
use wxdesk::domain::access::Role;
use wxdesk::domain::time::{MINUTE_MS, ManualClock};
use wxdesk::domain::{Element, StationId};

use crate::devices::{deliver, garden, register, report};
use crate::support::{TestCentral, now};
use crate::ui_warnings_e2e::Desk;

/// A central with the garden registered and five minutes of its reports stored and judged.
fn central_with_a_reporting_garden(rt: &tokio::runtime::Runtime) -> TestCentral {
    let central = rt.block_on(TestCentral::start());
    assert_eq!(rt.block_on(register(&central, &garden())).0, 201);
    for minute in -5..=-1 {
        let telemetry = report("YR-AWS1", minute, &[(Element::Tem, 8.0)]);
        rt.block_on(deliver(&central, telemetry)).unwrap();
    }
    rt.block_on(central.running().judge_devices()).unwrap();
    central
}

const GARDEN: &str = "悠然国茶园小气候站";

#[test]
fn a_garden_going_quiet_is_said_in_words_and_its_health_page_opens() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut central = central_with_a_reporting_garden(&rt);
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::Technician, dir.path(), &clock);
    let t = text::text(Language::Zh);
    desk.click(t.tab);
    desk.until("the garden reporting", |d| d.shows(t.status_ok));
    for shown in [GARDEN, "模拟", "茶园小气候站", "MQTT", "12.6 V", "-71 dBm"] {
        assert!(desk.shows(shown), "“{shown}” is on screen");
    }
    let revision = desk.harness.state().state().devices.revision;

    // 25 minutes of silence: the central judges it silent and only that change travels. The
    // desk's clock stays put, so its half-minute reread cannot be what brings the news.
    central.clock.advance(25 * MINUTE_MS);
    rt.block_on(central.running().judge_devices()).unwrap();
    desk.until("the garden silent", |d| d.shows("失联 25 分钟"));
    assert!(
        desk.harness.state().state().devices.revision > revision,
        "the status change came by the feed"
    );
    assert!(!desk.shows(t.status_ok), "a silent garden is never 正常");

    desk.click(GARDEN);
    desk.until("its health page", |d| d.shows(t.field_completeness));
    for shown in [
        "YR-AWS1",
        "迟报 25 次",
        "60 秒",
        t.forecast_no_data,
        t.plot_battery,
        "12.60 V",
    ] {
        assert!(desk.shows(shown), "“{shown}” is on the health page");
    }
    desk.click(t.back);
    desk.until("the list again", |d| d.shows(t.col_battery));

    // The central goes away: the desk blames its link, not the garden.
    rt.block_on(central.shutdown());
    desk.until("the link down said", |d| d.shows(t.link_down));
    assert!(desk.shows(t.status_unknown_link), "not painted as failed");
    assert!(!desk.shows("失联 25 分钟"));
}

#[test]
fn a_garden_registered_while_a_desk_runs_joins_its_network() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let central = rt.block_on(TestCentral::start());
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::DutyForecaster, dir.path(), &clock);
    let station = StationId::parse("YRG01").unwrap();
    desk.until("the network", |d| {
        !d.harness.state().state().network.stations.is_empty()
    });
    assert!(
        desk.harness
            .state()
            .state()
            .network
            .station(&station)
            .is_none()
    );
    assert_eq!(rt.block_on(register(&central, &garden())).0, 201);
    desk.until("the garden's station in the desk's network", |d| {
        d.harness
            .state()
            .state()
            .network
            .station(&station)
            .is_some()
    });
    let t = text::text(Language::Zh);
    desk.click(t.tab);
    desk.until("the garden listed, never heard", |d| {
        d.shows(t.status_never)
    });
}
