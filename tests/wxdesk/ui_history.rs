//! The history screen, driven through its accessibility tree with `egui_kittest` and answered
//! from a real cache by the same functions the history service runs: zooming from a day to a
//! year and back draws a bounded number of points, gaps and QC flags are explained, rain has
//! its CMA daily totals, the tools are gated by role, and exports carry what is on screen.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use wxdesk::console::app::App;
use wxdesk::console::backend::BackendEnds;
use wxdesk::console::backend::history::{rain, summaries, views, wind};
use wxdesk::console::messages::{
    AuthEvent, Command, Event, HistoryCommand, HistoryEvent, LinkStatus, SyncEvent, Trouble,
};
use wxdesk::console::ui::history::text::{self as history_text, HistoryText};
use wxdesk::console::ui::i18n;
use wxdesk::console::ui::i18n::Language;
use wxdesk::domain::access::Role;
use wxdesk::domain::history::{GapCause, Level};
use wxdesk::domain::qc::{QcFlags, QcTest};
use wxdesk::domain::refusal::{CodedRefusal, Param};
use wxdesk::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS, ManualClock};
use wxdesk::domain::{Clock as _, Element, Observation, Source, StationId, Timestamp};
use wxdesk::store::cache::{CacheChange, CacheDb};

use crate::support::{afternoon, network};

mod exports;

/// The station whose year is cached.
const STATION: &str = "58819";
/// A three-hour outage, this many days before now.
const OUTAGE_DAYS_AGO: i64 = 2;

/// A console on the history screen, answered from `cache`.
struct Desk {
    harness: Harness<'static, App>,
    backend: BackendEnds,
    clock: Arc<ManualClock>,
    cache: CacheDb,
    /// Every history command the screen sent, in order.
    sent: Vec<HistoryCommand>,
}

/// A year of minute temperature and humidity at 58819 ending now, with a three-hour outage two
/// days ago, a stuck humidity sensor flagged by QC for an hour yesterday, and rain on the
/// evening before yesterday (so a CMA day holds it: 20:00–20:00 BJT).
fn year_cache(now: Timestamp) -> CacheDb {
    let mut cache = CacheDb::in_memory().unwrap();
    cache.save_network(&network()).unwrap();
    let station = StationId::parse(STATION).unwrap();
    let start = now.floor(MINUTE_MS).plus_ms(-365 * DAY_MS);
    let outage_end = now.floor(HOUR_MS).plus_ms(-OUTAGE_DAYS_AGO * DAY_MS);
    let outage = outage_end.plus_ms(-3 * HOUR_MS)..outage_end;
    let stuck_end = now.floor(HOUR_MS).plus_ms(-DAY_MS);
    let stuck = stuck_end.plus_ms(-HOUR_MS)..stuck_end;
    let mut page = Vec::new();
    for m in 1..=365 * 1440 {
        let time = start.plus_ms(m * MINUTE_MS);
        if outage.contains(&time) {
            continue;
        }
        let phase = (m % 1440) as f64 / 1440.0 * std::f64::consts::TAU;
        let mut values = BTreeMap::from([
            (Element::Tem, (150.0 + 60.0 * phase.sin()).round() / 10.0),
            (Element::Rhu, (75.0 + 15.0 * phase.cos()).round()),
        ]);
        let raining =
            time > now.plus_ms(-3 * DAY_MS - 2 * HOUR_MS) && time <= now.plus_ms(-3 * DAY_MS);
        values.insert(Element::Pre, if raining { 0.1 } else { 0.0 });
        let mut qc = BTreeMap::new();
        if stuck.contains(&time) {
            values.insert(Element::Rhu, 97.0);
            qc.insert(Element::Rhu, QcFlags::PASSED.with(QcTest::Persistence));
        }
        let observation = Observation {
            station: station.clone(),
            time,
            source: Source::Live,
            values,
        };
        page.push(CacheChange::Observation { observation, qc });
        if page.len() == 10_000 {
            cache.apply(std::mem::take(&mut page)).unwrap();
        }
    }
    cache.apply(page).unwrap();
    cache
}

impl Desk {
    fn new(role: Role, language: Language, cache: CacheDb) -> Self {
        let (harness, backend, clock) = crate::support::console_harness(language);
        let mut desk = Self {
            harness,
            backend,
            clock,
            cache,
            sent: Vec::new(),
        };
        let now = desk.clock.now();
        for event in [
            Event::Auth(AuthEvent::SignedIn(crate::support::session_view(role))),
            Event::Auth(AuthEvent::Confirmed(crate::support::session_view(role))),
            Event::Sync(SyncEvent::NetworkLoaded(network())),
            Event::Sync(SyncEvent::LinkChanged(LinkStatus::Online { since: now })),
        ] {
            desk.backend.events.try_send(event).unwrap();
        }
        desk.serve();
        desk.harness
            .get_by_label(desk.text().screen_history)
            .click();
        desk.serve();
        desk
    }

    fn text(&self) -> &'static HistoryText {
        history_text::text(self.harness.state().view().language)
    }

    /// Runs frames and answers every history request from the cache, until the screen asks for
    /// nothing more.
    fn serve(&mut self) {
        for _ in 0..20 {
            self.harness.run();
            let now = self.clock.now();
            let mut answered = false;
            while let Ok(command) = self.backend.commands.try_recv() {
                let Command::History(command) = command else {
                    continue;
                };
                self.sent.push(command.clone());
                let event = match command {
                    HistoryCommand::Views { ticket, requests } => HistoryEvent::Views {
                        ticket,
                        views: views(&self.cache, &requests, now).unwrap(),
                    },
                    HistoryCommand::Rain {
                        ticket,
                        station,
                        from,
                        to,
                    } => HistoryEvent::Rain {
                        ticket,
                        report: rain(&self.cache, station, from, to, now).unwrap(),
                    },
                    HistoryCommand::Wind {
                        ticket,
                        station,
                        from,
                        to,
                        arrows,
                    } => HistoryEvent::Wind {
                        ticket,
                        report: wind(&self.cache, station, from, to, arrows).unwrap(),
                    },
                    HistoryCommand::Summaries { ticket } => HistoryEvent::Summaries {
                        ticket,
                        summaries: summaries(&self.cache, now).unwrap(),
                    },
                    _ => continue,
                };
                self.backend.events.try_send(Event::History(event)).unwrap();
                answered = true;
            }
            if !answered {
                return;
            }
        }
        panic!("the history screen kept asking");
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.serve();
    }

    fn history(&self) -> &wxdesk::console::ui::history::HistoryView {
        &self.harness.state().view().history
    }

    /// The newest views' levels.
    fn levels(&self) -> Vec<Level> {
        let state = self.harness.state().state();
        state
            .history
            .views
            .as_ref()
            .map(|a| a.value.iter().map(|v| v.view.level).collect())
            .unwrap_or_default()
    }

    /// CPU time of a frame, averaged over a few (a report, not a check).
    fn frame_time(&mut self) -> std::time::Duration {
        let start = Instant::now();
        for _ in 0..5 {
            self.harness.step();
        }
        start.elapsed() / 5
    }
}

/// The bound on drawn points: each series draws at most four points per bucket for each of its
/// two traces, and a view has at most about two buckets per column.
fn point_bound(desk: &Desk) -> usize {
    let series = desk.levels().len().max(1);
    2 * 4 * (2 * desk.history().columns() + 2) * series
}

#[test]
fn zooming_from_a_day_to_a_year_and_back_draws_a_bounded_number_of_points() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, year_cache(now));
    let t = desk.text();
    let mut report = Vec::new();
    for (preset, level) in [
        (t.preset_day, Level::Raw),
        (t.preset_month, Level::Raw),
        (t.preset_year, Level::FourHours),
        (t.preset_day, Level::Raw),
    ] {
        desk.click(preset);
        let levels = desk.levels();
        assert!(!levels.is_empty(), "{preset}: views answered");
        assert!(levels.iter().all(|&l| l == level), "{preset}: {levels:?}");
        let points = desk.history().drawn_points();
        assert!(points > 0, "{preset}: something is drawn");
        assert!(points <= point_bound(&desk), "{preset}: {points} points");
        report.push(format!(
            "{preset}: {points} points, frame {:?}",
            desk.frame_time()
        ));
    }
    println!("{}", report.join("; "));
    // A year holds 525 600 minutes per series; the year view drew a few thousand points.
    desk.click(t.preset_year);
    assert!(desk.history().drawn_points() < 525_600 / 20);
}

#[test]
fn gaps_and_quality_flags_are_explained() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, year_cache(now));
    let t = desk.text();
    desk.click(t.preset_week);
    let state = desk.harness.state().state();
    let views = &state.history.views.as_ref().unwrap().value;
    let tem = views
        .iter()
        .find(|v| v.request.element == Element::Tem)
        .unwrap();
    let offline: Vec<_> = tem
        .raw
        .gaps
        .iter()
        .filter(|g| g.cause == Some(GapCause::StationOffline))
        .collect();
    assert_eq!(offline.len(), 1, "{:?}", tem.raw.gaps);
    assert_eq!(offline[0].duration_ms(), 3 * HOUR_MS + MINUTE_MS);
    let rhu = views
        .iter()
        .find(|v| v.request.element == Element::Rhu)
        .unwrap();
    assert_eq!(rhu.view.flagged(), 60);
    assert!(
        rhu.passed
            .gaps
            .iter()
            .any(|g| g.cause == Some(GapCause::QcRejected))
    );
    // The status line says so in words, for the charts together (temperature and humidity
    // were both silent in the outage).
    let offline = history_text::cause(Language::Zh, Some(GapCause::StationOffline));
    let rejected = history_text::cause(Language::Zh, Some(GapCause::QcRejected));
    desk.click(t.shown_raw);
    desk.harness
        .get_by_label_contains(&format!("{} 2（{offline} 2）", t.gaps));
    desk.harness
        .get_by_label_contains(&format!("{}：60", t.flagged));
    // QC'd only: the flagged hour is a gap of its own in the humidity chart.
    desk.click(t.shown_qc);
    desk.harness
        .get_by_label_contains(&format!("{} 3（{offline} 2，{rejected} 1）", t.gaps));
}

#[test]
fn rain_shows_accumulations_and_cma_daily_totals() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, year_cache(now));
    let t = desk.text();
    desk.click(t.mode_rain);
    desk.click(t.preset_week);
    let state = desk.harness.state().state();
    let report = &state.history.rain.as_ref().unwrap().value;
    // Two hours of 0.1 mm a minute, three days ago, all inside one 20–20 day.
    let total: f64 = report.days.iter().filter_map(|d| d.total.mm).sum();
    assert!((total - 12.0).abs() < 1e-6, "{total}");
    assert!(
        report
            .days
            .iter()
            .any(|d| d.total.mm.is_some_and(|mm| (mm - 12.0).abs() < 1e-6))
    );
    desk.harness.get_by_label("12.0 mm");
    desk.harness.get_by_label(t.rain_cma_note);
}

#[test]
fn the_day_and_the_townships_are_summarised() {
    let now = afternoon();
    let mut desk = Desk::new(Role::Supervisor, Language::Zh, year_cache(now));
    let t = desk.text();
    desk.click(t.mode_summary);
    desk.harness.get_by_label(t.summary_townships);
    let state = desk.harness.state().state();
    let summaries = &state.history.summaries.as_ref().unwrap().value;
    assert_eq!(summaries.townships.len(), 13);
    let qingliu = summaries
        .stations
        .iter()
        .find(|(s, _)| s.as_str() == STATION)
        .map(|(_, day)| day)
        .unwrap();
    assert!(qingliu.max_tem.is_some() && qingliu.min_tem.is_some());
}

#[test]
fn the_wind_screen_says_when_there_is_no_wind() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::En, year_cache(now));
    let t = desk.text();
    desk.click(t.mode_wind);
    desk.harness.get_by_label(t.wind_no_data);
}

/// In English at 1280 px the range toolbar does not fit one row: Raw, QC'd and Both move to the
/// next row together, and nothing runs past the window (a group that did once widened the
/// charts under it, cutting off their right edge).
#[test]
fn the_english_range_toolbar_wraps_inside_the_window() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::En, year_cache(now));
    desk.serve();
    let t = desk.text();
    let (raw, both) = (
        desk.harness.get_by_label(t.shown_raw).rect(),
        desk.harness.get_by_label(t.shown_both).rect(),
    );
    let window = 1280.0;
    assert!(both.right() <= window, "Both ends at {} px", both.right());
    assert!(
        (raw.center().y - both.center().y).abs() < 1.0,
        "Raw and Both share a row"
    );
    let later = desk.harness.get_by_label(t.later).rect();
    assert!(
        raw.top() > later.bottom(),
        "the group wrapped to the next row: Raw at {raw:?}, Later at {later:?}"
    );
}

#[test]
fn imports_and_maintenance_need_their_roles_and_say_so() {
    let now = afternoon();
    let cache = || {
        let cache = CacheDb::in_memory().unwrap();
        cache.save_network(&network()).unwrap();
        cache
    };
    let forecaster = Desk::new(Role::DutyForecaster, Language::Zh, cache());
    let t = forecaster.text();
    for label in [t.import_button, t.maintenance_button] {
        assert!(
            forecaster
                .harness
                .get_by_label(label)
                .accesskit_node()
                .is_disabled()
        );
    }
    let _ = now;

    let mut technician = Desk::new(Role::Technician, Language::Zh, cache());
    technician.click(t.import_button);
    technician.harness.get_by_label(t.import_title);
    let field = egui::accesskit::Role::TextInput;
    technician
        .harness
        .get_by_role_and_label(field, t.import_path)
        .focus();
    technician.serve();
    technician
        .harness
        .get_by_role_and_label(field, t.import_path)
        .type_text("/srv/data/rain_without0.txt");
    technician.serve();
    technician.click(t.import_go);
    assert!(technician.sent.iter().any(|c| matches!(
        c,
        HistoryCommand::Import { path, format: None, element: None } if path.to_str() == Some("/srv/data/rain_without0.txt")
    )));
    // The answer reaches the window.
    technician
        .backend
        .events
        .try_send(Event::History(HistoryEvent::Failed {
            action: wxdesk::console::messages::HistoryAction::Import,
            message: Trouble::Refused(CodedRefusal {
                code: "import_refused".into(),
                params: [
                    ("file", Param::from("rain.txt")),
                    ("reason", Param::from("unreadable_line")),
                    ("line", Param::from(775_u32)),
                    ("detail", Param::from("\"2x.9\" is not a number")),
                ]
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
            }),
        }))
        .unwrap();
    technician.serve();
    // Said from its code, in Chinese: never the central's English.
    technician.harness.get_by_label_contains("第 775 行");
    assert!(
        technician
            .harness
            .query_by_label_contains("not a number")
            .is_none()
    );
}

#[test]
fn every_history_text_renders() {
    for language in [Language::Zh, Language::En] {
        let t = history_text::text(language);
        let mut lines: Vec<String> = t.all().iter().map(|s| (*s).to_owned()).collect();
        for cause in [
            None,
            Some(GapCause::NoData),
            Some(GapCause::QcRejected),
            Some(GapCause::StationOffline),
            Some(GapCause::Maintenance),
        ] {
            lines.push(history_text::cause(language, cause).to_owned());
        }
        for test in QcTest::ALL {
            lines.push(history_text::qc_test(language, test).to_owned());
        }
        lines.push(history_text::completeness(language, 0.987, MINUTE_MS));
        lines.push(history_text::rough_duration(language, 200 * MINUTE_MS));
        lines.push(history_text::resolution(
            language,
            Level::FourHours,
            8 * HOUR_MS,
        ));
        lines.push(i18n::strings(language).beijing_time.to_owned());
        crate::support::render_with_bundled_font(lines, |_| {});
    }
}
