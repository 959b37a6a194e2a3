//! The history benchmarks whose figures README reports:
//!
//! - `ingest`: the console cache applying a year of minute data for 16 stations × 8 elements
//!   from the change log, in sync-sized pages (target: under a minute);
//! - `view`: a view of one year of minute data of one series once the pyramid exists
//!   (target: under 1 ms);
//! - `query`: 30 days of one series, every value (target: under 10 ms);
//! - `frame`: the console's CPU time per frame on the history screen with the year of all 16
//!   stations cached, one element of every station over the whole year in one chart, and one
//!   station's elements stacked (egui pass + tessellation, headless; target: under 4 ms).
//!
//! `cargo bench --bench history [-- NAME…]`; `WXDESK_BENCH_DAYS=30` shortens the ingest (the
//! others then read what there is). A small harness of its own, not criterion: the ingest
//! runs once for a minute, and the others report min / median / p90 over many runs, which is
//! all these targets need.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "args.rs"]
mod args;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use wxdesk::console::backend::sync::SyncSettings;
use wxdesk::domain::history::ViewRequest;
use wxdesk::domain::time::{DAY_MS, MINUTE_MS};
use wxdesk::domain::{Element, Observation, Source, StationId, Timestamp};
use wxdesk::store::cache::{CacheChange, CacheDb};

/// Changes per transaction: a page, as the console's sync asks for them.
fn page() -> usize {
    SyncSettings::default().page_size as usize
}

/// 2025-12-01T16:00:00Z: midnight Beijing time, a year before "now" in these benches.
const START: i64 = 1_764_604_800_000;

fn main() {
    let wanted = args::Wanted::from_args();
    let wanted = |name: &str| wanted.wants(name);
    let days = args::days(365);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let mut cache = CacheDb::open(&path).unwrap();
    let stations = stations();

    let started = Instant::now();
    let values = fill(&mut cache, &stations, days);
    let took = started.elapsed();
    if wanted("ingest") {
        println!(
            "ingest: {days} days × {} stations × {} elements = {values} values in {:.1} s \
             ({:.2} M values/s; a year would take {:.1} s)",
            stations.len(),
            Element::EVERY_MINUTE.len(),
            took.as_secs_f64(),
            values as f64 / took.as_secs_f64() / 1e6,
            took.as_secs_f64() * 365.0 / days as f64,
        );
    }
    let to = Timestamp(START + days * DAY_MS);
    let from = Timestamp(START);
    if wanted("view") {
        for columns in [1000, 1920] {
            let request = ViewRequest {
                station: stations[0].clone(),
                element: Element::Tem,
                from,
                to,
                columns,
            };
            let view = cache.series_view(&request, &[], to).unwrap();
            let times = measure(200, || {
                std::hint::black_box(cache.series_view(&request, &[], to).unwrap());
            });
            report(
                &format!(
                    "view: {days} days of minute TEM at {columns} columns ({} buckets, {:?})",
                    view.view.buckets.len(),
                    view.view.level
                ),
                &times,
            );
        }
    }
    if wanted("query") {
        let from = to.plus_ms(-30 * DAY_MS).max(Timestamp(START));
        let count = cache
            .samples(&stations[0], Element::Tem, from, to)
            .unwrap()
            .len();
        let times = measure(50, || {
            std::hint::black_box(cache.samples(&stations[0], Element::Tem, from, to).unwrap());
        });
        report(
            &format!("query: 30 days of one series ({count} values)"),
            &times,
        );
    }
    if wanted("frame") {
        frame::measure(&cache, &stations, to);
    }
}

fn stations() -> Vec<StationId> {
    std::iter::once("58819".to_owned())
        .chain((1..=15).map(|n| format!("7083{n:02}")))
        .map(|id| StationId::parse(&id).unwrap())
        .collect()
}

/// Applies `days` of minute observations for every station, day by day, in pages.
fn fill(cache: &mut CacheDb, stations: &[StationId], days: i64) -> usize {
    let mut values = 0;
    let size = page();
    let mut page = Vec::with_capacity(size);
    for minute in 0..days * 1440 {
        let time = Timestamp(START + minute * MINUTE_MS);
        for (s, station) in stations.iter().enumerate() {
            let observation = observation(station, s, time, minute);
            values += observation.values.len();
            page.push(CacheChange::observation(observation));
            if page.len() == size {
                cache.apply(std::mem::take(&mut page)).unwrap();
            }
        }
    }
    if !page.is_empty() {
        cache.apply(page).unwrap();
    }
    values
}

/// A plausible minute of weather: a diurnal cycle, a little noise, rain now and then.
fn observation(station: &StationId, index: usize, time: Timestamp, minute: i64) -> Observation {
    let day_phase = (minute % 1440) as f64 / 1440.0 * std::f64::consts::TAU;
    let noise = ((minute * 7919 + index as i64 * 104_729) % 1000) as f64 / 1000.0;
    let tem = 15.0 + 6.0 * (day_phase - 2.0).sin() - index as f64 * 0.3 + noise;
    let raining = (minute / 97 + index as i64) % 11 == 0;
    let values = BTreeMap::from([
        (Element::Tem, round(tem)),
        (
            Element::Rhu,
            (70.0 + 20.0 * (day_phase + 1.0).cos()).round(),
        ),
        (Element::Pre, if raining { 0.2 } else { 0.0 }),
        (Element::Prs, round(980.0 - index as f64 * 3.0 + noise)),
        (Element::WinSAvg2mi, round(2.0 + 2.0 * noise)),
        (
            Element::WinDAvg2mi,
            ((minute * 13 + index as i64 * 29) % 360) as f64,
        ),
        (Element::WinSInstMax, round(4.0 + 3.0 * noise)),
        (Element::Gst, round(tem + 4.0 * day_phase.sin())),
    ]);
    Observation {
        station: station.clone(),
        time,
        source: Source::Live,
        values,
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn measure(runs: usize, mut run: impl FnMut()) -> Vec<Duration> {
    for _ in 0..runs.div_ceil(10) {
        run(); // warm the page cache and the statement cache
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn report(what: &str, sorted: &[Duration]) {
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}: min {:?}, median {:?}, p90 {:?} ({} runs)",
        at(0.0),
        at(0.5),
        at(0.9),
        sorted.len()
    );
}

/// The history screen's frame time, headless.
mod frame {
    use std::time::{Duration, Instant};

    use wxdesk::console::app::App;
    use wxdesk::console::backend::Link;
    use wxdesk::console::backend::history::views;
    use wxdesk::console::messages::{
        AuthEvent, Command, Event, HistoryCommand, HistoryEvent, SessionView, SyncEvent,
    };
    use wxdesk::console::ui::Screen;
    use wxdesk::console::ui::history::{Mode, TimeRange};
    use wxdesk::console::ui::i18n::Language;
    use wxdesk::domain::access::{Account, Role, Username};
    use wxdesk::domain::time::{DAY_MS, ManualClock, SharedClock};
    use wxdesk::domain::{StationId, Timestamp};
    use wxdesk::store::cache::CacheDb;

    const FRAMES: usize = 300;

    fn forecaster(now: Timestamp) -> SessionView {
        SessionView {
            account: Account {
                username: Username::parse("zhangwei").unwrap(),
                display_name: "张伟".into(),
                role: Role::DutyForecaster,
                disabled: false,
                must_change_password: false,
                locked_until: None,
                last_login: Some(now),
                created_at: now,
            },
            capabilities: Role::DutyForecaster.capabilities(),
            workstation: "值班台".into(),
            expires_at: now.plus_ms(DAY_MS),
        }
    }

    pub fn measure(cache: &CacheDb, stations: &[StationId], now: Timestamp) {
        let ctx = egui::Context::default();
        wxdesk::console::ui::fonts::install(&ctx);
        let (link, mut backend) = Link::pair();
        let clock: SharedClock = ManualClock::new(now);
        let cc = eframe::CreationContext::_new_kittest(ctx.clone());
        let mut app = App::new(&cc, link, clock, Language::Zh);
        let mut frame = eframe::Frame::_new_kittest();
        let network = wxdesk::assets::qingliu_network().unwrap();
        let (recent, _flags) = cache.since(now.plus_ms(-DAY_MS)).unwrap();
        for event in [
            Event::Auth(AuthEvent::SignedIn(forecaster(now))),
            Event::Sync(SyncEvent::NetworkLoaded(network)),
            Event::Sync(SyncEvent::ObservationsArrived(recent)),
        ] {
            backend.events.try_send(event).unwrap();
        }
        let view = app.view_mut();
        view.screen = Screen::History;
        view.selected = stations.first().cloned();
        view.history.range = TimeRange::last(365 * DAY_MS, now);
        let input = |i: usize| egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1280.0, 800.0),
            )),
            time: Some(i as f64 / 60.0),
            // The pointer sweeps the chart: hover labels and hit tests are part of the cost.
            events: vec![egui::Event::PointerMoved(egui::pos2(
                420.0 + (i % 200) as f32 * 4.0,
                400.0 + (i % 7) as f32 * 20.0,
            ))],
            ..Default::default()
        };
        let mut frame_no = 0;
        for (name, mode) in [
            ("16 stations × a year of TEM in one chart", Mode::Stations),
            ("one station's elements stacked over a year", Mode::Elements),
        ] {
            let view = app.view_mut();
            view.history.mode = mode;
            view.history.compare = stations.iter().cloned().collect();
            let mut run = |i: usize| {
                let mut output = ctx.run_ui(input(i), |ui| {
                    eframe::App::logic(&mut app, ui.ctx(), &mut frame);
                    eframe::App::ui(&mut app, ui, &mut frame);
                });
                output.textures_delta.clear();
                let shapes = ctx.tessellate(output.shapes, output.pixels_per_point);
                // Answer what the screen asked, as the history service would.
                while let Ok(command) = backend.commands.try_recv() {
                    if let Command::History(HistoryCommand::Views { ticket, requests }) = command {
                        let views = views(cache, &requests, now).unwrap();
                        backend
                            .events
                            .try_send(Event::History(HistoryEvent::Views { ticket, views }))
                            .unwrap();
                    }
                }
                shapes
            };
            for _ in 0..30 {
                frame_no += 1;
                run(frame_no);
            }
            let mut wall: Vec<Duration> = Vec::with_capacity(FRAMES);
            let start_cpu = thread_cpu_time();
            for _ in 0..FRAMES {
                frame_no += 1;
                let start = Instant::now();
                std::hint::black_box(run(frame_no));
                wall.push(start.elapsed());
            }
            let cpu = thread_cpu_time().saturating_sub(start_cpu) / FRAMES as u32;
            wall.sort();
            let points = app.view().history.drawn_points();
            println!(
                "frame: {name} ({points} points drawn): CPU mean {cpu:?}; wall median {:?}, p90 {:?}",
                wall[FRAMES / 2],
                wall[FRAMES * 9 / 10]
            );
        }
    }

    /// CPU time of this thread (Linux scheduler statistics): other processes do not count.
    fn thread_cpu_time() -> Duration {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .map_or(Duration::ZERO, Duration::from_nanos)
    }
}
