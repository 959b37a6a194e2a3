//! A suggestion from observations, end to end at the desk: rain crossing the rainstorm yellow
//! criterion arrives as the backend delivers it, the banner proposes the draft with its
//! trigger and the alarm is asked to ring once; 确认 records who acknowledged it, 起草 hands
//! it to the composer on the warnings screen. Whether a speaker sounds is not testable here.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use wxdesk::console::app::App;
use wxdesk::console::backend::{BackendEnds, Link};
use wxdesk::console::messages::{AuthEvent, Event, LinkStatus, SyncEvent};
use wxdesk::console::ui::i18n::Language;
use wxdesk::console::ui::{Screen, fonts};
use wxdesk::domain::access::Role;
use wxdesk::domain::time::{HOUR_MS, SharedClock};
use wxdesk::domain::warning::Level;
use wxdesk::domain::{Element, Observation, Source, Timestamp};

use crate::support::{afternoon, clock_at, id, network, session_view};

fn console() -> (Harness<'static, App>, BackendEnds) {
    let (link, backend) = Link::pair();
    let clock: SharedClock = clock_at(afternoon());
    let harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_context_setup(fonts::install)
        .build_eframe(move |cc| App::new(cc, link, clock, Language::Zh));
    let signed_in = Event::Auth(AuthEvent::SignedIn(session_view(Role::DutyForecaster)));
    backend.events.try_send(signed_in).unwrap();
    (harness, backend)
}

/// An hour's rain at `station`, stamped `hours_ago` before the afternoon (14:30 BJT).
fn hour_of_rain(station: &str, hours_ago: f64, mm: f64) -> Observation {
    Observation {
        station: id(station),
        time: Timestamp(afternoon().millis() - (hours_ago * HOUR_MS as f64) as i64),
        source: Source::Live,
        values: [(Element::Pre1h, mm)].into(),
    }
}

/// 52.4 mm in the hours to 10:00 and 11:00 BJT at 清流 (龙津镇) and 嵩溪: 50 mm or more in
/// 6 h, none in the last 3 — the yellow level, not orange.
fn rain() -> Vec<Observation> {
    ["58819", "708312"]
        .into_iter()
        .flat_map(|s| [hour_of_rain(s, 4.5, 30.0), hour_of_rain(s, 3.5, 22.4)])
        .collect()
}

#[test]
fn rain_crossing_yellow_raises_a_banner_to_acknowledge_and_draft_from() {
    let (mut harness, backend) = console();
    let send = |event| backend.events.try_send(Event::Sync(event)).unwrap();
    send(SyncEvent::NetworkLoaded(network()));
    send(SyncEvent::LinkChanged(LinkStatus::Online {
        since: afternoon(),
    }));
    send(SyncEvent::ObservationsArrived(rain()));
    harness.run();

    harness.get_by_label(
        "建议发布暴雨黄色预警信号 · 龙津镇、嵩溪镇 · 触发：58819 6小时降水 52.4 mm ≥ 50",
    );
    assert_eq!(harness.state().alarm().rings(), 1);

    // The same values again (a sync overlapping the start-up snapshot): no second alarm.
    send(SyncEvent::ObservationsArrived(rain()));
    harness.run();
    assert_eq!(harness.state().alarm().rings(), 1);

    harness.get_by_label("确认").click();
    harness.run();
    let tracked = &harness.state().state().suggestions.current[0];
    assert_eq!(tracked.acknowledged_by.as_deref(), Some("张伟"));
    assert!(harness.query_by_label("确认").is_none());
    harness.get_by_label_contains("已确认 张伟");

    // What the network cannot observe is listed, folded away.
    harness.get_by_label("本站网无法观测的指标").click();
    harness.run();
    harness.get_by_label_contains("台风蓝色：台风信号依据热带气旋预报");

    harness.get_by_label("起草").click();
    harness.run();
    let view = harness.state().view();
    assert_eq!(view.screen, Screen::Warnings);
    // The composer took the suggestion over on its first frame and opened it.
    assert!(
        view.warnings.pending_draft.is_none(),
        "taken by the composer"
    );
    let draft = view.warnings.composer.draft.as_ref().expect("opened");
    assert_eq!(
        (draft.signal.as_deref(), draft.level),
        (Some("rainstorm"), Some(Level::Yellow))
    );
    let townships: Vec<&str> = draft.townships.iter().map(String::as_str).collect();
    assert_eq!(townships, ["350423100", "350423101"]);
    let hint = draft.hint.as_deref().unwrap_or_default();
    assert!(hint.contains("58819 6小时降水 52.4 mm ≥ 50"), "{hint}");
}

#[test]
fn a_practice_replay_runs_on_its_own_clock_and_drafts_a_practice_warning() {
    let (mut harness, backend) = console();
    let send = |event| backend.events.try_send(Event::Sync(event)).unwrap();
    send(SyncEvent::NetworkLoaded(network()));
    harness.state_mut().view_mut().screen = Screen::Warnings;
    harness.run();

    // The board's 演练回放 lists the 2019 rainstorm; starting it shows the striped banner at
    // the scenario's first hour, with nothing suggested yet.
    harness.get_by_label("演练回放").click();
    harness.run();
    harness.get_by_label("开始演练").click();
    harness.run();
    harness.get_by_label("2019-05-17 三明暴雨（重建数据） · 情景时间 05-17 08:00");
    harness.get_by_label("情景数据尚不支持任何预警信号");

    // Six hours on: yellow at 嵩溪镇, as the 2019 texts had it by 14:00.
    for _ in 0..6 {
        harness.get_by_label("+1小时").click();
        harness.run();
    }
    harness.get_by_label_contains("情景时间 05-17 14:00");
    harness.get_by_label_contains("建议发布暴雨黄色预警信号 · 嵩溪镇");
    let state = harness.state().state();
    assert!(
        state.suggestions.current.is_empty(),
        "the scenario's values never reach the real suggestions"
    );
    assert!(state.last_report(&id("708312")).is_none(), "nor the charts");
    assert_eq!(harness.state().alarm().rings(), 0, "practice never rings");

    // 起草演练 opens a practice composition of it.
    harness.get_by_label("起草演练").click();
    harness.run();
    let draft = harness.state().view().warnings.composer.draft.clone();
    let draft = draft.expect("opened");
    assert!(draft.practice);
    assert_eq!(
        (draft.signal.as_deref(), draft.level),
        (Some("rainstorm"), Some(Level::Yellow))
    );
    harness.get_by_label("演练模式 — 仅发送给测试接收人");

    harness.get_by_label("结束演练").click();
    harness.run();
    assert!(harness.state().state().practice.is_none());
    assert!(harness.query_by_label_contains("情景时间").is_none());
}
