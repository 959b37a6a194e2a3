//! The console UI, driven through its accessibility tree with `egui_kittest`: no window, no
//! GPU, a manual clock. The harness panics on any glyph no font can draw, so every scene
//! rendered here also checks that the bundled font covers what the UI says.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use wxdesk::console::app::{App, next_wakeup};
use wxdesk::console::backend::{BackendEnds, Link};
use wxdesk::console::messages::{
    AuthEvent, Command, Event, LinkStatus, LoginFailure, SyncCommand, SyncEvent,
};
use wxdesk::console::ui::i18n::Language;
use wxdesk::console::ui::{fonts, i18n, top_bar};
use wxdesk::domain::access::{Capability, Role as UserRole};
use wxdesk::domain::audit::AuditAction;
use wxdesk::domain::refusal::{Code, Param, Params};
use wxdesk::domain::time::{DAY_MS, MINUTE_MS, ManualClock, SharedClock};
use wxdesk::domain::{Element, Network, Observation, Source, StationKind, Timestamp};
use wxdesk::protocol::Cursor;

use crate::support::{afternoon, clock_at, id, network, synthetic_observations};

/// A console under test: the harness, the backend's end of its link, and its clock.
struct Console {
    harness: Harness<'static, App>,
    backend: BackendEnds,
    clock: Arc<ManualClock>,
}

impl Console {
    fn new(language: Language, size: (f32, f32)) -> Self {
        Self::with_settings(language, size, None)
    }

    /// A console that remembers its view in `settings` (a file), as the real one does.
    fn with_settings(
        language: Language,
        size: (f32, f32),
        settings: Option<std::path::PathBuf>,
    ) -> Self {
        let (link, backend) = Link::pair();
        let clock = clock_at(afternoon());
        let shared: SharedClock = clock.clone();
        let harness = Harness::builder()
            .with_size(egui::vec2(size.0, size.1))
            .with_context_setup(fonts::install)
            .build_eframe(move |cc| {
                let app = App::new(cc, link, shared, language);
                match settings {
                    Some(path) => app.with_settings_file(path),
                    None => app,
                }
            });
        let console = Self {
            harness,
            backend,
            clock,
        };
        // A duty forecaster is signed in; the access tests cover the other roles.
        console
            .backend
            .events
            .try_send(Event::Auth(AuthEvent::SignedIn(
                crate::support::session_view(wxdesk::domain::access::Role::DutyForecaster),
            )))
            .unwrap();
        console
    }

    fn send(&mut self, event: SyncEvent) {
        self.backend.events.try_send(Event::Sync(event)).unwrap();
    }

    fn run(&mut self) {
        self.harness.run();
    }

    fn now(&self) -> Timestamp {
        use wxdesk::domain::Clock as _;
        self.clock.now()
    }

    /// The network, the last 24 hours of every station except 708305 (silent for the last
    /// 35 minutes) and 708311 (never reported), online and caught up.
    fn populate(&mut self, network: Network) {
        let now = self.now();
        let all: Vec<_> = network
            .stations
            .iter()
            .map(|s| s.id.clone())
            .filter(|s| s.as_str() != "708305" && s.as_str() != "708311")
            .collect();
        let observations = synthetic_observations(&network, &all, now.plus_ms(-DAY_MS), now);
        let stale = synthetic_observations(
            &network,
            &[id("708305")],
            now.plus_ms(-DAY_MS),
            now.plus_ms(-35 * MINUTE_MS),
        );
        self.send(SyncEvent::NetworkLoaded(network));
        self.send(SyncEvent::ObservationsArrived(observations));
        self.send(SyncEvent::ObservationsArrived(stale));
        self.send(SyncEvent::LinkChanged(LinkStatus::Online {
            since: now.plus_ms(-3 * MINUTE_MS),
        }));
        self.send(SyncEvent::Synced {
            at: now.plus_ms(-20_000),
            cursor: Cursor::from_seq(500),
            behind: 0,
        });
        self.run();
    }

    fn text(&self) -> &'static i18n::Strings {
        self.harness.state().view().text()
    }

    fn selected(&self) -> Option<String> {
        self.harness
            .state()
            .view()
            .selected
            .as_ref()
            .map(|s| s.as_str().to_owned())
    }
}

fn populated(language: Language) -> Console {
    let mut console = Console::new(language, (1280.0, 800.0));
    console.populate(network());
    console
}

#[test]
fn selecting_a_station_by_its_label_moves_the_chart() {
    let mut console = populated(Language::Zh);
    assert_eq!(
        console.selected().as_deref(),
        Some("58819"),
        "national station first"
    );
    console.harness.get_by_label("清流（58819）");

    console.harness.get_by_label("灵地").click();
    console.run();
    assert_eq!(console.selected().as_deref(), Some("708301"));
    console.harness.get_by_label("灵地（708301）");
    assert!(console.harness.query_by_label("清流（58819）").is_none());
    console.harness.get_by_label_contains("最新观测 14:30");

    // The map's markers select too.
    console.harness.get_by_label("嵩口 · 708310").click();
    console.run();
    assert_eq!(console.selected().as_deref(), Some("708310"));
    console.harness.get_by_label("嵩口（708310）");
}

#[test]
fn arriving_data_updates_the_list_and_the_chart() {
    let mut console = populated(Language::Zh);
    let row = console.harness.get_by_label("清流");
    assert!(row.value().unwrap().contains("刚刚"), "{:?}", row.value());

    console.clock.advance(MINUTE_MS);
    let now = console.now();
    console.send(SyncEvent::ObservationsArrived(vec![Observation {
        station: id("58819"),
        time: now,
        source: Source::Live,
        values: [(Element::Tem, 21.7), (Element::Pre1h, 0.0)].into(),
    }]));
    console.run();
    let value = console.harness.get_by_label("清流").value().unwrap();
    assert!(value.starts_with("21.7 °C"), "{value}");
    console.harness.get_by_label_contains("最新观测 14:31");
    let stale = console.harness.get_by_label("李家").value().unwrap();
    assert!(stale.contains("⚠ 36 分钟前"), "{stale}");
    let silent = console.harness.get_by_label("林畲").value().unwrap();
    assert!(silent.contains("无数据"), "{silent}");
}

#[test]
fn while_the_desk_catches_up_old_data_is_its_lag_not_a_silent_station() {
    let mut console = populated(Language::Zh);
    let now = console.now();
    console.send(SyncEvent::Synced {
        at: now,
        cursor: Cursor::from_seq(10_000),
        behind: 290_000,
    });
    console.run();
    let text = console.text();
    let row = console.harness.get_by_label("李家").value().unwrap();
    assert!(row.contains(text.syncing) && !row.contains('⚠'), "{row}");
    console.harness.get_by_label("李家").click();
    console.run();
    console.harness.get_by_label(text.syncing_hover);
    let current = console.harness.get_by_label("清流").value().unwrap();
    assert!(
        current.contains("刚刚"),
        "current data stays current: {current}"
    );

    console.send(SyncEvent::Synced {
        at: now,
        cursor: Cursor::from_seq(300_000),
        behind: 0,
    });
    console.run();
    let row = console.harness.get_by_label("李家").value().unwrap();
    assert!(
        row.contains("⚠ 35 分钟前"),
        "caught up, the silence is the station's: {row}"
    );
}

#[test]
fn during_the_first_sync_the_chart_says_syncing_and_how_much_is_left() {
    for language in [Language::Zh, Language::En] {
        let mut console = Console::new(language, (1280.0, 800.0));
        let now = console.now();
        console.send(SyncEvent::NetworkLoaded(network()));
        console.send(SyncEvent::LinkChanged(LinkStatus::Online { since: now }));
        console.send(SyncEvent::Synced {
            at: now,
            cursor: Cursor::from_seq(1_000),
            behind: 300_000,
        });
        console.run();
        let text = console.text();
        let syncing = format!(
            "{} · {}",
            text.chart_syncing,
            i18n::sync_left(language, 300_000)
        );
        console.harness.get_by_label(&syncing);
        assert!(
            console.harness.query_by_label(text.chart_no_data).is_none(),
            "{language:?}: an empty chart while syncing is not a silent station"
        );

        // Caught up and still nothing: now it is the station's silence.
        console.send(SyncEvent::Synced {
            at: now,
            cursor: Cursor::from_seq(301_000),
            behind: 0,
        });
        console.run();
        console.harness.get_by_label(text.chart_no_data);
        assert!(console.harness.query_by_label(&syncing).is_none());
    }
}

#[test]
fn chart_legends_sit_beside_the_plots_never_on_them() {
    for language in [Language::Zh, Language::En] {
        let console = populated(language);
        let text = console.text();
        let plots: Vec<egui::Rect> = [
            text.chart_temperature,
            text.chart_humidity,
            text.chart_rain,
            text.chart_pressure,
            text.chart_wind_speed,
            text.chart_wind_direction,
        ]
        .into_iter()
        .map(|title| {
            console
                .harness
                .get_by_role_and_label(Role::Image, &format!("{title} · {}", text.chart_last_24h))
                .rect()
        })
        .collect();
        let entries: Vec<(String, egui::Rect)> = console
            .harness
            .query_all_by_role(Role::ListItem)
            .map(|n| (n.accesskit_node().label().unwrap_or_default(), n.rect()))
            .collect();
        for name in [text.series_tem, text.series_gst, text.series_prs] {
            assert!(
                entries.iter().any(|(label, _)| label == name),
                "{language:?}: {name} in a legend: {entries:?}"
            );
        }
        for (name, legend) in &entries {
            for plot in &plots {
                assert!(
                    !legend.intersects(*plot),
                    "{language:?}: legend {name} {legend:?} covers the plot {plot:?}"
                );
            }
        }
    }
}

#[test]
fn the_map_offers_a_temperature_scale_fitted_to_the_values_beside_the_fixed_one() {
    let mut console = populated(Language::Zh);
    console.harness.get_by_label("固定 -5～35");
    let fitted = console
        .harness
        .get_by_label_contains("按当前值")
        .accesskit_node()
        .label()
        .unwrap_or_default();
    // The button states the range it would use, from the values on the map.
    let state = console.harness.state().state();
    let values = state
        .network
        .stations
        .iter()
        .filter(|s| {
            state.freshness(&s.id, console.now()) == wxdesk::console::state::Freshness::Current
        })
        .filter_map(|s| state.latest(&s.id, Element::Tem).map(|(_, v)| v));
    let range = wxdesk::console::ui::theme::fitted_temperature_range(values).unwrap();
    assert_eq!(fitted, i18n::temperature_scale(Language::Zh, true, range));
    console.harness.get_by_label(&fitted).click();
    console.run();
    assert_eq!(
        console.harness.state().view().map.temperature_scale,
        wxdesk::console::ui::map::TemperatureScale::Fitted
    );
}

#[test]
fn a_restart_remembers_the_station_screen_mode_and_map_layer() {
    use wxdesk::console::ui::Screen;
    use wxdesk::console::ui::history::Mode;
    use wxdesk::console::ui::map::MapElement;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config").join("view.json");
    {
        let mut console = Console::with_settings(Language::Zh, (1280.0, 800.0), Some(file.clone()));
        console.populate(network());
        console
            .harness
            .get_by_role_and_label(Role::Button, "李家")
            .click();
        console.run();
        let text = console.text();
        console
            .harness
            .get_by_role_and_label(Role::Button, text.map_wind)
            .click();
        console.run();
        console.harness.state_mut().view_mut().history.mode = Mode::Wind;
        console.harness.state_mut().view_mut().screen = Screen::History;
        console.run();
    }
    let mut console = Console::with_settings(Language::Zh, (1280.0, 800.0), Some(file.clone()));
    console.populate(network());
    let view = console.harness.state().view();
    assert_eq!(console.selected().as_deref(), Some("708305"), "李家");
    assert_eq!(view.screen, Screen::History);
    assert_eq!(view.history.mode, Mode::Wind);
    assert_eq!(view.map.element, MapElement::Wind);

    // A remembered station that left the network: the national station, and no complaint.
    std::fs::write(&file, r#"{"station": "709999", "screen": "live"}"#).unwrap();
    let mut console = Console::with_settings(Language::Zh, (1280.0, 800.0), Some(file.clone()));
    console.populate(network());
    assert_eq!(console.selected().as_deref(), Some("58819"));
    assert_eq!(console.harness.state().view().screen, Screen::Live);

    // An unreadable file: defaults, and the user is told.
    std::fs::write(&file, "{ not json").unwrap();
    let mut console = Console::with_settings(Language::Zh, (1280.0, 800.0), Some(file));
    console.populate(network());
    let text = console.text();
    console
        .harness
        .get_by_label_contains(text.settings_not_read);
}

#[test]
fn offline_is_said_plainly_and_retry_reaches_the_backend() {
    let mut console = populated(Language::Zh);
    let now = console.now();
    console.send(SyncEvent::LinkChanged(LinkStatus::Offline {
        since: now.plus_ms(-12 * MINUTE_MS),
        error: "connection refused (127.0.0.1:8640)".into(),
        retry_at: now.plus_ms(25_000),
    }));
    console.run();
    console.harness.get_by_label("● 离线");
    console
        .harness
        .get_by_label_contains("无法连接中心站（自 14:18 起）");
    console
        .harness
        .get_by_label("当前显示本地缓存数据，可能不是最新。");
    console.harness.get_by_label("下次重试 14:30:25");

    console.harness.get_by_label("立即重试").click();
    console.run();
    assert_eq!(
        console.backend.commands.try_recv().unwrap(),
        Command::Sync(SyncCommand::RetryNow)
    );
    console.harness.get_by_label("已请求重试");
    assert!(console.harness.query_by_label("立即重试").is_none());
}

#[test]
fn idle_console_sleeps_until_the_next_minute() {
    let mut console = populated(Language::Zh);
    // `run` already failed if any frame asked for an immediate repaint; the timer must aim at
    // the clock's next minute (14:31), not sooner.
    let delay = console.harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    assert!(
        delay > Duration::from_secs(59) && delay <= Duration::from_secs(60),
        "{delay:?}"
    );
    assert_eq!(
        next_wakeup(console.harness.state().state(), console.now()),
        Duration::from_secs(60)
    );
    for _ in 0..3 {
        console.harness.step();
    }
    let delay = console.harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    assert!(delay > Duration::from_secs(1), "{delay:?}");
}

#[test]
fn top_bar_items_neither_overlap_nor_leave_the_window() {
    for language in [Language::Zh, Language::En] {
        // Widths at full size; at the minimum size nothing may be narrower (truncated).
        let mut full_widths: Vec<f32> = Vec::new();
        for (w, h) in [(1280.0, 800.0), (1024.0, 640.0)] {
            let mut console = Console::new(language, (w, h));
            console.populate(network());
            let text = console.text();
            let harness = &console.harness;
            let sync_full =
                top_bar::sync_status(harness.state().state().sync, afternoon(), language);
            let sync_short = i18n::last_sync_short(language, afternoon().plus_ms(-20_000));
            let rects = [
                harness.get_by_label(text.bureau).rect(),
                harness
                    .get_by_label(&format!("⚠ {}", text.simulated_badge))
                    .rect(),
                harness
                    .get_by_label(&format!(
                        "{} {}",
                        i18n::clock(language, afternoon()),
                        text.beijing_time
                    ))
                    .rect(),
                harness
                    .get_by_label(&format!("● {}", text.link_online))
                    .rect(),
                harness.get_by_label("中文").rect(),
                harness.get_by_label("English").rect(),
                harness.get_by_label(text.about).rect(),
            ];
            // The last sync: in full, or its time alone where the bar is compact; at full size
            // never dropped (English at 1280 px once lost it).
            let sync = harness
                .query_by_label(&sync_full)
                .or_else(|| harness.query_by_label(&sync_short))
                .map(|n| n.rect());
            assert!(
                w < 1280.0 || sync.is_some(),
                "{language:?} {w}: the last sync is not shown"
            );
            let rects: Vec<egui::Rect> = rects.into_iter().chain(sync).collect();
            for (i, a) in rects.iter().enumerate() {
                assert!(
                    a.min.x >= 0.0 && a.max.x <= w && a.width() > 0.0,
                    "{language:?} {w}: item {i} at {a:?}"
                );
                for b in &rects[i + 1..] {
                    assert!(
                        !a.intersects(*b),
                        "{language:?} {w}: item {i} {a:?} overlaps {b:?}"
                    );
                }
            }
            // At full size the simulated-data badge shows its whole text (it once lost its end
            // to the English user menu).
            if w >= 1280.0 {
                let badge = format!("⚠ {}", text.simulated_badge);
                let body = harness.ctx.global_style().text_styles[&egui::TextStyle::Body].clone();
                let natural = harness.ctx.fonts_mut(|f| {
                    f.layout_no_wrap(badge.clone(), body, egui::Color32::BLACK)
                        .size()
                        .x
                });
                assert!(
                    rects[1].width() + 0.5 >= natural,
                    "{language:?} {w}: the badge is cut ({} of {natural})",
                    rects[1].width()
                );
            }
            // The sync text shortens on purpose where the bar is compact.
            let widths: Vec<f32> = rects[..7].iter().map(|r| r.width()).collect();
            if full_widths.is_empty() {
                full_widths = widths;
            } else {
                for (i, (small, full)) in widths.iter().zip(&full_widths).enumerate() {
                    assert!(small + 0.5 >= *full, "{language:?} {w}: item {i} truncated");
                }
            }
        }
    }
}

/// Opens, hovers and switches everything a user can, so each text is laid out once.
fn visit_every_view(console: &mut Console) {
    let text = console.text();
    for element in [text.map_rain, text.map_wind, text.map_temperature] {
        console
            .harness
            .get_by_role_and_label(Role::Button, element)
            .click();
        console.run();
    }
    console.harness.get_by_label("+").click();
    console.run();
    console.harness.get_by_label(text.map_fit_short).click();
    console.run();
    for station in ["清流", "Qingliu", "林畲", "Linshe", "李家", "Lijia"] {
        if let Some(row) = console
            .harness
            .query_by_role_and_label(Role::Button, station)
        {
            row.hover();
            console.run();
        }
        if let Some(row) = console
            .harness
            .query_by_role_and_label(Role::Button, station)
        {
            row.click();
            console.run();
        }
    }
    console.harness.get_by_label(text.about).click();
    console.run();
    console.harness.get_by_label(text.close).click();
    console.run();
    assert!(!console.harness.state().view().about_open);
    for group in [text.chart_wind_direction, text.chart_rain] {
        console.harness.get_by_label(group).click();
        console.run();
    }
}

#[test]
fn every_text_of_every_view_has_glyphs_in_both_languages() {
    for language in [Language::Zh, Language::En] {
        // Before anything arrives: connecting, no network, nothing selected.
        let mut console = Console::new(language, (1280.0, 800.0));
        console.run();
        console.harness.get_by_label(console.text().loading_network);

        // Populated, every view visited.
        let mut console = populated(language);
        visit_every_view(&mut console);
        assert!(
            assert_every_text_on_screen_has_glyphs(&console) > 50,
            "the populated console shows its stations, charts and map"
        );

        // Catching up, offline, a failure report and its window.
        let now = console.now();
        console.send(SyncEvent::Synced {
            at: now,
            cursor: Cursor::from_seq(10),
            behind: 120,
        });
        console.send(SyncEvent::LinkChanged(LinkStatus::Offline {
            since: now.plus_ms(-DAY_MS - 3 * MINUTE_MS),
            error: "error sending request: connection refused".into(),
            retry_at: now.plus_ms(40_000),
        }));
        console.send(SyncEvent::Failed(
            "cache: database disk image is malformed".into(),
        ));
        console.run();
        let text = console.text();
        console.harness.get_by_label(text.retry_now).click();
        console.run();
        console.harness.get_by_label(text.notices_more).click();
        console.run();
        console.harness.get_by_label(text.notices_window);
        assert_every_text_on_screen_has_glyphs(&console);
        console.harness.get_by_label(text.dismiss).click();
        console.run();
        assert!(console.harness.query_by_label(text.dismiss).is_none());
    }
}

#[test]
fn empty_and_partial_states_render_in_both_languages() {
    for language in [Language::Zh, Language::En] {
        // A network without a national station: nothing is selected by default.
        let mut regional_only = network();
        regional_only
            .stations
            .retain(|s| s.kind == StationKind::Regional);
        let mut console = Console::new(language, (1024.0, 640.0));
        console.populate(regional_only);
        let text = console.text();
        console.harness.get_by_label(text.chart_select_station);

        // A station that never reported: the chart says there is nothing to draw.
        let silent = match language {
            Language::Zh => "林畲",
            Language::En => "Linshe",
        };
        console.harness.get_by_label(silent).click();
        console.run();
        console.harness.get_by_label(text.chart_no_data);
        visit_every_view(&mut console);
    }
}

#[test]
fn every_fixed_and_formatted_text_has_glyphs() {
    let now = afternoon();
    let network = network();
    for language in [Language::Zh, Language::En] {
        let text = i18n::strings(language);
        let mut lines: Vec<String> = text.all().iter().map(|s| (*s).to_owned()).collect();
        for ms in [0, 5 * MINUTE_MS, 3 * 3_600_000, 5 * DAY_MS] {
            lines.push(i18n::age(language, now.plus_ms(-ms), now));
        }
        lines.push(i18n::clock(language, now));
        lines.push(i18n::since(language, now.plus_ms(-2 * DAY_MS), now));
        lines.push(i18n::behind(language, 42));
        lines.push(i18n::next_retry(language, now));
        lines.push(i18n::last_sync(language, now, now));
        for element in Element::ALL {
            lines.push(i18n::element_name(language, element).to_owned());
            lines.push(element.format(1.0));
        }
        for deg in (0..16).map(|i| f64::from(i) * 22.5) {
            lines.push(i18n::compass(language, deg).to_owned());
        }
        for station in &network.stations {
            lines.push(i18n::station_name(language, station).to_owned());
            lines.extend(station.uncertainty.clone());
        }
        for township in &network.townships {
            lines.push(i18n::township_name(language, township));
        }
        for role in UserRole::ALL {
            lines.push(i18n::role_name(language, role).to_owned());
        }
        for capability in Capability::ALL {
            lines.push(i18n::capability_name(language, capability).to_owned());
            lines.push(i18n::needs_role(language, &capability.user_roles()));
        }
        for action in AuditAction::ALL {
            lines.push(i18n::action_name(language, action.code()));
        }
        for &code in Code::ALL {
            let params = code
                .params()
                .iter()
                .map(|&name| (name.to_owned(), Param::Int(1)))
                .collect();
            lines.push(i18n::say(language, code.as_str(), &params));
        }
        lines.push(i18n::say(
            language,
            "a_code_of_a_newer_central",
            &Params::new(),
        ));
        lines.push(i18n::session_until(language, now, now));
        lines.push(i18n::exported(
            language,
            12,
            "/home/值班/文档/wxdesk-audit-20261127-180000.csv",
        ));
        lines.push(i18n::locked_until(language, now, now));
        for failure in [
            LoginFailure::WrongCredentials,
            LoginFailure::Locked,
            LoginFailure::Disabled,
            LoginFailure::Other("central unreachable: connection refused".into()),
        ] {
            lines.push(i18n::login_failure(language, &failure));
        }
        lines.push(i18n::sync_left(language, 300_000));
        lines.push(i18n::last_sync_short(language, now));
        lines.push(i18n::temperature_scale(language, false, (-5.0, 35.0)));
        lines.push(i18n::temperature_scale(language, true, (-3.0, 7.0)));
        let ctx = egui::Context::default();
        fonts::install(&ctx);
        let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
        output.textures_delta.clear();
        assert_eq!(
            missing_glyphs(&ctx, &lines),
            Vec::<(String, char)>::new(),
            "{language:?}"
        );
    }
}

/// Every character of `texts` the bundled and default fonts cannot draw, with its text.
fn missing_glyphs(ctx: &egui::Context, texts: &[String]) -> Vec<(String, char)> {
    let font = egui::FontId::proportional(wxdesk::console::ui::theme::BODY_SIZE);
    ctx.fonts_mut(|fonts| {
        texts
            .iter()
            .flat_map(|text| text.chars().map(move |c| (text, c)))
            .filter(|(_, c)| !c.is_control())
            .filter(|(_, c)| !fonts.has_glyph(&font, *c))
            .map(|(text, c)| (text.clone(), c))
            .collect()
    })
}

/// Asserts that every text on screen can be drawn; returns how many texts that was.
fn assert_every_text_on_screen_has_glyphs(console: &Console) -> usize {
    let texts: Vec<String> = console
        .harness
        .query_all(egui_kittest::kittest::by().predicate(|n| n.label().is_some()))
        .filter_map(|n| n.accesskit_node().label())
        .collect();
    assert_eq!(
        missing_glyphs(&console.harness.ctx, &texts),
        Vec::<(String, char)>::new()
    );
    texts.len()
}

/// Frame cost of the populated console, headless: egui pass plus tessellation, 16 stations ×
/// 24 h of minute data, the pointer moving over the map so hover work is included.
/// `cargo test --release --test wxdesk ui::frame_time -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check; run by hand"]
fn frame_time() {
    let ctx = egui::Context::default();
    fonts::install(&ctx);
    let (link, mut backend) = Link::pair();
    let clock = clock_at(afternoon());
    let shared: SharedClock = clock.clone();
    let cc = eframe::CreationContext::_new_kittest(ctx.clone());
    let mut app = App::new(&cc, link, shared, Language::Zh);
    let mut frame = eframe::Frame::_new_kittest();
    let network = network();
    let all: Vec<_> = network.stations.iter().map(|s| s.id.clone()).collect();
    let now = afternoon();
    let observations = synthetic_observations(&network, &all, now.plus_ms(-DAY_MS), now);
    let points = observations.iter().map(|o| o.values.len()).sum::<usize>();
    for event in [
        SyncEvent::NetworkLoaded(network),
        SyncEvent::ObservationsArrived(observations),
    ] {
        backend.events.try_send(Event::Sync(event)).unwrap();
    }
    let _ = &mut backend;
    // Frames at 60 Hz; with `hover`, the pointer sweeps the map (tooltips, hit tests).
    let input = |i: usize, hover: bool| egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        time: Some(i as f64 / 60.0),
        events: if hover {
            vec![egui::Event::PointerMoved(egui::pos2(
                420.0 + (i % 100) as f32 * 4.0,
                300.0 + (i % 7) as f32 * 30.0,
            ))]
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    let mut run = |i: usize, hover: bool| {
        let mut output = ctx.run_ui(input(i, hover), |ui| {
            eframe::App::logic(&mut app, ui.ctx(), &mut frame);
            eframe::App::ui(&mut app, ui, &mut frame);
        });
        // No renderer here: the font atlas uploads are measured by the pass, then dropped.
        output.textures_delta.clear();
        ctx.tessellate(output.shapes, output.pixels_per_point)
    };
    // Warm up: first frames lay out every glyph and build the map and chart caches.
    let mut frame_no = 0;
    for _ in 0..20 {
        frame_no += 1;
        run(frame_no, true);
    }
    const FRAMES: usize = 300;
    for (phase, hover) in [("still", false), ("pointer over the map", true)] {
        let mut wall: Vec<Duration> = Vec::new();
        let start_cpu = thread_cpu_time();
        for _ in 0..FRAMES {
            frame_no += 1;
            let start = Instant::now();
            std::hint::black_box(run(frame_no, hover));
            wall.push(start.elapsed());
        }
        // The scheduler's CPU clock ticks too coarsely for one frame; average over all.
        let cpu = thread_cpu_time().saturating_sub(start_cpu) / FRAMES as u32;
        wall.sort();
        let at = |q: usize| wall[(wall.len() * q / 100).min(wall.len() - 1)];
        println!(
            "{phase}: {points} values in memory; frame (egui pass + tessellation): \
             CPU mean {cpu:?}; wall median {:?}, p90 {:?}, max {:?}",
            at(50),
            at(90),
            at(100),
        );
    }
}

/// CPU time this thread has run, from the scheduler (Linux), so other processes competing
/// for the two cores do not count; zero elsewhere.
fn thread_cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}
