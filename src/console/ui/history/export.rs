//! What each mode exports: its tables, built from the same reports the screen draws and with
//! the same words (completeness, days still running), so a file holds what is on screen.
//! Headings are in the user's language; times are Beijing-time text, numbers are numbers.

use super::rain::{self, RainBars};
use super::text::{self, HistoryText};
use super::{HistoryView, Mode, Panel, TimeRange};
use crate::console::messages::history::{RainReport, Summaries, WindReport};
use crate::console::messages::table::{Cell, Table};
use crate::console::messages::{Command, HistoryCommand, table::ExportFormat};
use crate::console::ui::i18n::Language;
use crate::console::ui::{Scene, i18n};
use crate::domain::stats::{AtStation, DailyRain, RainTotal, Sector};
use crate::domain::time::HOUR_MS;
use crate::domain::{Network, StationId, Timestamp};

/// `2026-12-06 04:00`, Beijing time.
fn minute(t: Timestamp) -> Cell {
    Cell::Text(t.beijing().format("%Y-%m-%d %H:%M").to_string())
}

fn headings(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

/// A total's completeness in words, as the rain tables show it: complete, missing, or how
/// much of the window (of the part that has passed, for a window still running) had data.
pub fn completeness(
    language: Language,
    t: &HistoryText,
    total: &RainTotal,
    until: Option<Timestamp>,
) -> String {
    let data = if total.minutes == 0 {
        t.rain_no_data.to_owned()
    } else if total.is_complete() && until.is_some() {
        t.rain_complete_so_far.to_owned()
    } else if total.is_complete() {
        t.rain_complete.to_owned()
    } else {
        let minutes = |m: u32| text::rough_duration(language, i64::from(m) * 60_000);
        format!(
            "{} {}/{}",
            t.rain_incomplete,
            minutes(total.minutes),
            minutes(total.expected)
        )
    };
    match until {
        Some(at) => format!(
            "{}，{} {} · {data}",
            t.rain_running,
            t.rain_ending,
            i18n::hm(at)
        ),
        None => data,
    }
}

/// A CMA day's completeness in words: a day still running says so and until when.
pub fn day_completeness(language: Language, t: &HistoryText, day: &DailyRain) -> String {
    completeness(language, t, &day.total, day.running_until())
}

/// The hourly amounts of the range (the running hour until the report was read).
fn hours_table(report: &RainReport, t: &HistoryText) -> Table {
    Table {
        title: t.rain_hourly.to_owned(),
        headings: headings(&[
            t.col_hour_from,
            t.col_hour_to,
            &format!("{} mm", t.rain_amount),
        ]),
        rows: report
            .hours
            .iter()
            .map(|&(end, mm)| {
                vec![
                    minute(end.plus_ms(-HOUR_MS)),
                    minute(end.min(report.at.floor(60_000))),
                    Cell::number(Some(mm), 1),
                ]
            })
            .collect(),
    }
}

/// The CMA daily totals, newest first as on screen.
fn days_table(report: &RainReport, language: Language, t: &HistoryText) -> Table {
    Table {
        title: t.rain_daily.to_owned(),
        headings: headings(&[t.rain_day, &format!("{} mm", t.rain_amount), t.rain_data]),
        rows: report
            .days
            .iter()
            .rev()
            .map(|day| {
                vec![
                    Cell::Text(day.day.date.format("%Y-%m-%d").to_string()),
                    Cell::number(day.total.mm, 1),
                    Cell::Text(day_completeness(language, t, day)),
                ]
            })
            .collect(),
    }
}

/// The chart of the rain panel or screen: hourly bars, or daily ones over long ranges.
pub fn rain_chart_table(report: &RainReport, range: TimeRange, language: Language) -> Table {
    let t = text::text(language);
    match rain::bars_kind(range) {
        RainBars::Hourly => hours_table(report, t),
        RainBars::Daily => days_table(report, language, t),
    }
}

/// Everything the rain screen shows: the bars, the rolling totals drawn over them, the
/// accumulations ending now and the CMA daily totals.
pub fn rain_tables(
    report: &RainReport,
    range: TimeRange,
    windows: &[u32],
    language: Language,
) -> Vec<Table> {
    let t = text::text(language);
    let mut tables = vec![hours_table(report, t)];
    if rain::bars_kind(range) == RainBars::Hourly && !windows.is_empty() {
        let lines: Vec<Vec<(Timestamp, f64)>> =
            windows.iter().map(|&h| rain::rolling(report, h)).collect();
        let mut names = vec![t.col_hour_to.to_owned()];
        names.extend(windows.iter().map(|&h| {
            format!(
                "{} {} mm",
                text::duration(language, i64::from(h) * HOUR_MS),
                t.rain_rolling
            )
        }));
        let rows = (0..report.hours.len())
            .map(|i| {
                let end = report.hours[i].0.min(report.at.floor(60_000));
                std::iter::once(minute(end))
                    .chain(lines.iter().map(|l| Cell::number(Some(l[i].1), 1)))
                    .collect()
            })
            .collect();
        tables.push(Table {
            title: t.rain_rolling.to_owned(),
            headings: names,
            rows,
        });
    }
    let end = report.to.min(report.at);
    tables.push(Table {
        title: t.rain_accumulations.to_owned(),
        headings: headings(&[
            t.col_window,
            t.rain_ending,
            &format!("{} mm", t.rain_amount),
            t.rain_data,
        ]),
        rows: report
            .accumulations
            .iter()
            .map(|a| {
                vec![
                    Cell::Text(text::duration(language, i64::from(a.hours) * HOUR_MS)),
                    minute(end.floor(60_000)),
                    Cell::number(a.total.mm, 1),
                    Cell::Text(completeness(language, t, &a.total, None)),
                ]
            })
            .collect(),
    });
    tables.push(days_table(report, language, t));
    tables
}

/// The wind screen's tables: the rose (frequency by direction and speed class, and calm)
/// and the vector mean of each slice.
pub fn wind_tables(report: &WindReport, language: Language) -> Vec<Table> {
    let t = text::text(language);
    let rose = &report.rose;
    let mut names = vec![t.col_direction.to_owned(), t.col_direction_deg.to_owned()];
    for class in 0..rose.classes() {
        if let Some((lo, hi)) = rose.class_range_ms(class) {
            let speeds = hi.map_or_else(|| format!("≥{lo:.1}"), |hi| format!("{lo:.1}–{hi:.1}"));
            names.push(format!("{speeds} m/s %"));
        }
    }
    names.push(t.col_frequency.to_owned());
    names.push(t.col_count.to_owned());
    let percent = |share: f64| Cell::number(Some(share * 100.0), 1);
    let mut rows: Vec<Vec<Cell>> = Sector::all()
        .map(|sector| {
            let mut row = vec![
                Cell::text(i18n::compass(language, sector.centre_deg())),
                Cell::number(Some(sector.centre_deg()), 1),
            ];
            row.extend((0..rose.classes()).map(|c| percent(rose.frequency(sector, c))));
            row.push(percent(rose.sector_frequency(sector)));
            let count: u32 = (0..rose.classes()).map(|c| rose.count(sector, c)).sum();
            row.push(Cell::number(Some(f64::from(count)), 0));
            row
        })
        .collect();
    let mut calm = vec![Cell::text(t.wind_calm), Cell::Empty];
    calm.extend((0..rose.classes()).map(|_| Cell::Empty));
    calm.push(percent(rose.calm_frequency()));
    calm.push(Cell::number(Some(f64::from(rose.calm())), 0));
    rows.push(calm);
    let means = Table {
        title: t.wind_arrows.to_owned(),
        headings: headings(&[
            t.col_hour_to,
            t.col_vector_speed,
            t.col_direction_deg,
            t.col_direction,
            t.col_mean_speed,
            t.wind_pairs,
        ]),
        rows: report
            .arrows
            .iter()
            .map(|(end, mean)| {
                vec![
                    minute(*end),
                    Cell::number(Some(mean.speed_ms), 1),
                    Cell::number(mean.direction_deg, 0),
                    mean.direction_deg
                        .map_or(Cell::Empty, |d| Cell::text(i18n::compass(language, d))),
                    Cell::number(Some(mean.scalar_speed_ms), 1),
                    Cell::number(Some(f64::from(mean.pairs)), 0),
                ]
            })
            .collect(),
    };
    vec![
        Table {
            title: t.wind_rose.to_owned(),
            headings: names,
            rows,
        },
        means,
    ]
}

/// A station's name in `language`, or its id when the network does not know it.
pub fn station_name(network: &Network, language: Language, id: &StationId) -> String {
    network.station(id).map_or_else(
        || id.to_string(),
        |s| i18n::station_name(language, s).to_owned(),
    )
}

/// Today's tables: every station's extremes, and the township table, in the station list's
/// order.
pub fn summary_tables(summaries: &Summaries, network: &Network, language: Language) -> Vec<Table> {
    let t = text::text(language);
    let name = |id: &StationId| station_name(network, language, id);
    let at = |time: Option<Timestamp>| time.map_or(Cell::Empty, |time| Cell::text(i18n::hm(time)));
    let extremes = Table {
        title: t.summary_extremes.to_owned(),
        headings: headings(&[
            t.col_station,
            t.col_station_id,
            &format!("{} °C", t.col_max_tem),
            t.col_at,
            &format!("{} °C", t.col_min_tem),
            t.col_at,
            &format!("{} %", t.col_min_rhu),
            t.col_at,
            &format!("{} m/s", t.col_max_gust),
            t.col_direction,
            t.col_at,
            &format!("{} mm", t.col_rain),
        ]),
        rows: summaries
            .stations
            .iter()
            .map(|(id, day)| {
                let gust = day.max_gust.as_ref();
                vec![
                    Cell::Text(name(id)),
                    Cell::text(id.as_str()),
                    Cell::number(day.max_tem.as_ref().map(|e| e.value), 1),
                    at(day.max_tem.as_ref().map(|e| e.at)),
                    Cell::number(day.min_tem.as_ref().map(|e| e.value), 1),
                    at(day.min_tem.as_ref().map(|e| e.at)),
                    Cell::number(day.min_rhu.as_ref().map(|e| e.value), 0),
                    at(day.min_rhu.as_ref().map(|e| e.at)),
                    Cell::number(gust.map(|g| g.speed_ms), 1),
                    gust.and_then(|g| g.direction_deg)
                        .map_or(Cell::Empty, |d| Cell::text(i18n::compass(language, d))),
                    at(gust.map(|g| g.at)),
                    Cell::number(day.rain.total.mm, 1),
                ]
            })
            .collect(),
    };
    fn pair<T>(
        value: Option<&AtStation<T>>,
        number: impl Fn(&T) -> f64,
        name: &dyn Fn(&StationId) -> String,
    ) -> [Cell; 2] {
        value.map_or([Cell::Empty, Cell::Empty], |v| {
            [
                Cell::number(Some(number(&v.value)), 1),
                Cell::Text(name(&v.station)),
            ]
        })
    }
    let townships = Table {
        title: t.summary_townships.to_owned(),
        headings: headings(&[
            t.col_township,
            t.col_reporting,
            t.col_stations,
            &format!("{} °C", t.col_max_tem),
            t.col_station,
            &format!("{} °C", t.col_min_tem),
            t.col_station,
            &format!("{} mm", t.col_max_rain),
            t.col_station,
            &format!("{} m/s", t.col_max_gust),
            t.col_station,
            t.col_silent,
        ]),
        rows: summaries
            .townships
            .iter()
            .map(|row| {
                let township = network
                    .township(row.code)
                    .map_or_else(|| row.name.clone(), |tw| i18n::township_name(language, tw));
                let mut cells = vec![
                    Cell::Text(township),
                    Cell::number(Some(row.reporting() as f64), 0),
                    Cell::number(Some(row.stations as f64), 0),
                ];
                cells.extend(pair(row.max_tem.as_ref(), |e| e.value, &name));
                cells.extend(pair(row.min_tem.as_ref(), |e| e.value, &name));
                cells.extend(pair(row.max_rain.as_ref(), |mm| *mm, &name));
                cells.extend(pair(row.max_gust.as_ref(), |g| g.speed_ms, &name));
                let silent: Vec<String> = row.silent.iter().map(&name).collect();
                cells.push(Cell::Text(silent.join("、")));
                cells
            })
            .collect(),
    };
    vec![extremes, townships]
}

/// The export of what the screen shows now in `format`, when there is something to export.
pub fn export_command(
    scene: Scene<'_>,
    history: &HistoryView,
    format: ExportFormat,
) -> Option<Command> {
    let state = &scene.state.history;
    let language = scene.language;
    let range = history.range_at(scene.now);
    let views = || {
        history
            .views_sent
            .as_ref()
            .map(|sent| sent.key.clone())
            .unwrap_or_default()
    };
    let rain = state.rain.as_ref().map(|a| &a.value);
    let (requests, tables) = match history.mode {
        Mode::Elements => {
            let rain_panel = history.panels[Panel::index(Panel::Rain)];
            let tables = match (rain_panel, rain) {
                (true, Some(report)) => vec![rain_chart_table(report, range, language)],
                _ => Vec::new(),
            };
            (views(), tables)
        }
        Mode::Stations => (views(), Vec::new()),
        Mode::Rain => (
            Vec::new(),
            rain_tables(rain?, range, &history.rolling_windows(), language),
        ),
        Mode::Wind => (views(), wind_tables(&state.wind.as_ref()?.value, language)),
        Mode::Summary => (
            Vec::new(),
            summary_tables(
                &state.summaries.as_ref()?.value,
                &scene.state.network,
                language,
            ),
        ),
    };
    if requests.is_empty() && tables.is_empty() {
        return None;
    }
    Some(Command::History(HistoryCommand::Export {
        format,
        requests,
        tables,
        name: super::tools::export_name(history),
    }))
}
