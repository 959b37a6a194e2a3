//! Exports tell the truth: every mode's file (CSV and Excel) holds what the view shows, read
//! back and compared cell by cell; the rain fixes (the one-hour range, a day still running);
//! the export notice; the station named and listed in the station list's order; the PNG drawn
//! off the UI thread.

use calamine::{Data, Reader as _, Xlsx};
use wxdesk::console::backend::history::{ExportFile, export_file};
use wxdesk::console::messages::history::PngRender;
use wxdesk::console::messages::table::{Cell, ExportFormat, Table};
use wxdesk::console::messages::{HistoryAction, HistoryCommand};
use wxdesk::console::ui::history::export::{
    rain_chart_table, rain_tables, station_name, summary_tables, wind_tables,
};

use super::*;

/// The minutes of rain at 58819 in the 90 minutes before `now` (0.02 mm each) and steady
/// north-easterly wind over the last day, besides the network.
fn recent_cache(now: Timestamp) -> CacheDb {
    let mut cache = CacheDb::in_memory().unwrap();
    cache.save_network(&network()).unwrap();
    let station = StationId::parse(STATION).unwrap();
    let start = now.floor(MINUTE_MS).plus_ms(-DAY_MS);
    let mut page = Vec::new();
    for m in 1..=1440 {
        let time = start.plus_ms(m * MINUTE_MS);
        let rain = if time > now.plus_ms(-90 * MINUTE_MS) {
            0.02
        } else {
            0.0
        };
        let values = BTreeMap::from([
            (Element::Pre, rain),
            (Element::Tem, 12.5),
            (Element::WinSAvg2mi, 2.0 + (m % 7) as f64 * 0.5),
            (Element::WinDAvg2mi, 45.0 + (m % 5) as f64),
            (Element::WinSInstMax, 6.0),
        ]);
        let observation = Observation {
            station: station.clone(),
            time,
            source: Source::Live,
            values,
        };
        page.push(CacheChange::Observation {
            observation,
            qc: BTreeMap::new(),
        });
    }
    cache.apply(page).unwrap();
    cache
}

/// The export commands the screen sent, newest last.
fn exports(
    desk: &Desk,
) -> Vec<(
    ExportFormat,
    Vec<wxdesk::domain::history::ViewRequest>,
    Vec<Table>,
    String,
)> {
    desk.sent
        .iter()
        .filter_map(|c| match c {
            HistoryCommand::Export {
                format,
                requests,
                tables,
                name,
            } => Some((*format, requests.clone(), tables.clone(), name.clone())),
            _ => None,
        })
        .collect()
}

/// Exports in `format` by the button, writes the file as the history service does, and reads
/// it back: (the tables the screen sent, the file's tables as text rows).
fn export(desk: &mut Desk, format: ExportFormat) -> (Vec<Table>, Vec<Vec<Vec<String>>>) {
    let t = desk.text();
    let label = match format {
        ExportFormat::Csv => t.export_csv,
        ExportFormat::Xlsx => t.export_xlsx,
    };
    desk.click(label);
    let (sent_format, requests, tables, name) = exports(desk).pop().expect("an export was sent");
    assert_eq!(sent_format, format);
    let dir = tempfile::tempdir().unwrap();
    let file = ExportFile {
        format,
        dir: dir.path(),
        name: &name,
        now: desk.clock.now(),
    };
    let (path, _) = export_file(&desk.cache, &requests, tables.clone(), &file).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let read = match format {
        ExportFormat::Csv => read_csv(&bytes, requests.len() + tables.len()),
        ExportFormat::Xlsx => read_xlsx(bytes),
    };
    let mut all = Vec::new();
    if !requests.is_empty() {
        all.push(Table {
            title: "series".into(),
            headings: Vec::new(),
            rows: Vec::new(),
        });
    }
    all.extend(tables);
    (all, read)
}

/// A CSV of `count` tables: plain, or titled sections with blank lines between.
fn read_csv(bytes: &[u8], count: usize) -> Vec<Vec<Vec<String>>> {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a byte-order mark"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..]);
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    if count == 1 {
        return vec![records];
    }
    // Sections: title, headings, rows; a record of one empty field between them.
    records
        .split(|r| r == &[String::new()])
        .map(|section| section[1..].to_vec())
        .collect()
}

/// A workbook's sheets as text rows (numbers as the shortest text that reads back the same).
fn read_xlsx(bytes: Vec<u8>) -> Vec<Vec<Vec<String>>> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    names
        .iter()
        .map(|name| {
            let range = book.worksheet_range(name).unwrap();
            range
                .rows()
                .map(|row| {
                    row.iter()
                        .map(|cell| match cell {
                            Data::String(s) => s.clone(),
                            Data::Float(f) => format!("#{f}"),
                            Data::Int(i) => format!("#{i}"),
                            Data::Empty => String::new(),
                            other => panic!("unexpected cell {other:?}"),
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// A cell as read back: CSV text as written; Excel numbers as numbers.
fn expected_cell(cell: &Cell, format: ExportFormat) -> String {
    match (cell, format) {
        (Cell::Number { .. }, ExportFormat::Xlsx) => {
            format!("#{}", cell.written().parse::<f64>().unwrap())
        }
        _ => cell.written(),
    }
}

/// Each table the screen built is in the file, heading and cell alike.
fn assert_file_holds(tables: &[Table], read: &[Vec<Vec<String>>], format: ExportFormat) {
    assert_eq!(tables.len(), read.len(), "a table (sheet) per table shown");
    for (table, rows) in tables.iter().zip(read) {
        if table.title == "series" {
            continue;
        }
        assert_eq!(rows[0], table.headings, "{}: headings", table.title);
        assert_eq!(rows.len(), table.rows.len() + 1, "{}: rows", table.title);
        for (want, got) in table.rows.iter().zip(&rows[1..]) {
            let want: Vec<String> = want.iter().map(|c| expected_cell(c, format)).collect();
            // Excel leaves trailing empty cells out of a row.
            let got: Vec<String> = got
                .iter()
                .cloned()
                .chain(std::iter::repeat(String::new()))
                .take(want.len())
                .collect();
            assert_eq!(got, want, "{}", table.title);
        }
    }
}

const FORMATS: [ExportFormat; 2] = [ExportFormat::Csv, ExportFormat::Xlsx];

#[test]
fn the_rain_screen_exports_its_hours_rolling_totals_accumulations_and_days() {
    let now = afternoon();
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::new(Role::DutyForecaster, language, year_cache(now));
        let t = desk.text();
        desk.click(t.mode_rain);
        desk.click(t.preset_week);
        for format in FORMATS {
            let (tables, read) = export(&mut desk, format);
            assert_file_holds(&tables, &read, format);
            // What the screen shows, rebuilt from the report it drew.
            let state = desk.harness.state().state();
            let report = &state.history.rain.as_ref().unwrap().value;
            let history = desk.history();
            let shown = rain_tables(
                report,
                history.range_at(now),
                &history.rolling_windows(),
                language,
            );
            assert_eq!(tables, shown);
            let titles: Vec<&str> = tables.iter().map(|t| t.title.as_str()).collect();
            assert_eq!(
                titles,
                [
                    t.rain_hourly,
                    t.rain_rolling,
                    t.rain_accumulations,
                    t.rain_daily
                ]
            );
            // The rain is there: 12 mm three days ago, in the hours and in one day.
            let hours: f64 = report.hours.iter().map(|h| h.1).sum();
            assert!((hours - 12.0).abs() < 1e-6, "{hours}");
            let days = &tables[3];
            assert_eq!(days.rows.len(), report.days.len());
            assert!(days.rows.iter().any(
                |r| matches!(r[1], Cell::Number { value, .. } if (value - 12.0).abs() < 1e-6)
            ));
            // Every day's words are on screen as in the file.
            for row in &days.rows {
                let Cell::Text(words) = &row[2] else {
                    panic!("{row:?}")
                };
                assert!(
                    desk.harness.query_all_by_label(words).next().is_some(),
                    "{words}"
                );
            }
        }
    }
}

#[test]
fn the_one_station_screen_exports_its_series_and_its_rain() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, recent_cache(now));
    let t = desk.text();
    desk.click(t.preset_day);
    for format in FORMATS {
        let (tables, read) = export(&mut desk, format);
        assert_file_holds(&tables, &read, format);
        let (_, requests, _, _) = exports(&desk).pop().unwrap();
        let shown = desk.sent.iter().rev().find_map(|c| match c {
            HistoryCommand::Views { requests, .. } => Some(requests.clone()),
            _ => None,
        });
        assert_eq!(Some(requests.clone()), shown, "the series on screen");
        // Every value of every series shown, one row each.
        let values: usize = requests
            .iter()
            .map(|r| {
                desk.cache
                    .samples(&r.station, r.element, r.from, r.to)
                    .unwrap()
                    .len()
            })
            .sum();
        assert_eq!(read[0].len(), values + 1, "values and the heading row");
        // The rain panel's bars: the hourly amounts (1.8 mm over the last 90 minutes).
        let state = desk.harness.state().state();
        let report = &state.history.rain.as_ref().unwrap().value;
        let chart = rain_chart_table(report, desk.history().range_at(now), Language::Zh);
        assert_eq!(tables[1], chart);
        assert_eq!(chart.title, t.rain_hourly);
        let total: f64 = chart
            .rows
            .iter()
            .map(|r| match r[2] {
                Cell::Number { value, .. } => value,
                _ => 0.0,
            })
            .sum();
        assert!((total - 1.8).abs() < 1e-6, "{total}");
    }
}

#[test]
fn the_wind_screen_exports_its_rose_and_its_mean_winds() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::En, recent_cache(now));
    let t = desk.text();
    desk.click(t.mode_wind);
    desk.click(t.preset_day);
    for format in FORMATS {
        let (tables, read) = export(&mut desk, format);
        assert_file_holds(&tables, &read, format);
        let state = desk.harness.state().state();
        let report = &state.history.wind.as_ref().unwrap().value;
        assert_eq!(tables[1..], wind_tables(report, Language::En)[..]);
        let rose = &tables[1];
        assert_eq!(rose.rows.len(), 17, "16 directions and calm");
        // Every pair blew from the north-east sector.
        let ne = rose.rows.iter().find(|r| r[0] == Cell::text("NE")).unwrap();
        assert_eq!(
            ne.last(),
            Some(&Cell::Number {
                value: 1440.0,
                decimals: 0
            })
        );
        assert_eq!(tables[2].rows.len(), report.arrows.len());
    }
}

#[test]
fn today_exports_both_tables_in_the_station_lists_order() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, year_cache(now));
    let t = desk.text();
    desk.click(t.mode_summary);
    for format in FORMATS {
        let (tables, read) = export(&mut desk, format);
        assert_file_holds(&tables, &read, format);
        let state = desk.harness.state().state();
        let summaries = &state.history.summaries.as_ref().unwrap().value;
        assert_eq!(
            tables,
            summary_tables(summaries, &state.network, Language::Zh)
        );
        let titles: Vec<&str> = tables.iter().map(|t| t.title.as_str()).collect();
        assert_eq!(titles, [t.summary_extremes, t.summary_townships]);
        // Not seven days of one station's wind: a row per station, in the list's order, each
        // named as on screen.
        let order: Vec<String> = state
            .network
            .stations_in_township_order()
            .iter()
            .map(|s| station_name(&state.network, Language::Zh, &s.id))
            .collect();
        let listed: Vec<String> = tables[0].rows.iter().map(|r| r[0].written()).collect();
        assert_eq!(listed, order);
        for name in &listed {
            assert!(
                desk.harness.query_all_by_label(name).next().is_some(),
                "{name}"
            );
        }
        assert_eq!(tables[1].rows.len(), 13, "a row per township");
        let qingliu = tables[0]
            .rows
            .iter()
            .find(|r| r[1] == Cell::text(STATION))
            .unwrap();
        assert!(
            matches!(qingliu[2], Cell::Number { .. }),
            "the day's maximum as a number"
        );
    }
}

#[test]
fn the_comparison_lists_and_exports_stations_in_the_station_lists_order() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, recent_cache(now));
    let t = desk.text();
    desk.click(t.mode_stations);
    desk.click(t.compare_all);
    let network = desk.harness.state().state().network.clone();
    let order: Vec<StationId> = network
        .stations_in_township_order()
        .iter()
        .map(|s| s.id.clone())
        .collect();
    assert_ne!(
        order,
        network
            .stations
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>(),
        "the two orders differ in this network"
    );
    let (tables, read) = export(&mut desk, ExportFormat::Csv);
    assert_file_holds(&tables, &read, ExportFormat::Csv);
    let (_, requests, _, _) = exports(&desk).pop().unwrap();
    let stations: Vec<StationId> = requests.iter().map(|r| r.station.clone()).collect();
    assert_eq!(stations, order);
    // The chips, top to bottom and left to right, as the list.
    let chips: Vec<String> = order
        .iter()
        .map(|id| station_name(&network, Language::Zh, id))
        .collect();
    let lefts: Vec<(f64, f64)> = chips
        .iter()
        .map(|name| {
            // The station list has a button of the same name, left of the chips.
            desk.harness
                .query_all_by_role_and_label(egui::accesskit::Role::Button, name)
                .map(|node| node.accesskit_node().bounding_box().unwrap())
                .map(|b| (b.y0, b.x0))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap()
        })
        .collect();
    let mut sorted = lefts.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(lefts, sorted);
}

#[test]
fn the_one_hour_range_shows_the_last_hours_rain() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, recent_cache(now));
    let t = desk.text();
    desk.click(t.mode_rain);
    desk.click(t.preset_hour);
    let state = desk.harness.state().state();
    let report = &state.history.rain.as_ref().unwrap().value;
    let range = desk.history().range_at(now);
    // 06:30Z is 14:30 BJT: the hour that ended at 14:00 and the half hour since.
    let ends: Vec<Timestamp> = report.hours.iter().map(|h| h.0).collect();
    assert_eq!(ends, [now, now.plus_ms(HOUR_MS)].map(|t| t.floor(HOUR_MS)));
    let shown: f64 = report.hours.iter().map(|h| h.1).sum();
    assert!((shown - 1.8).abs() < 1e-6, "{shown}");
    assert!(
        report
            .hours
            .iter()
            .all(|&(end, _)| end.plus_ms(-HOUR_MS) < range.to && end > range.from)
    );
    // The station list's "last hour" is the 1 h accumulation the screen shows beside it.
    desk.harness.get_by_label("1.2 mm");
}

#[test]
fn todays_cma_day_says_it_is_still_running() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, recent_cache(now));
    let t = desk.text();
    desk.click(t.mode_rain);
    desk.click(t.preset_day);
    // 14:30 BJT: the day that began at 20:00 yesterday has 18.5 of its 24 hours behind it.
    let running = format!(
        "{}，{} {} · {}",
        t.rain_running,
        t.rain_ending,
        i18n::hm(now),
        t.rain_complete_so_far
    );
    desk.harness.get_by_label(&running);
}

#[test]
fn rain_and_wind_name_the_station_shown() {
    let now = afternoon();
    for language in [Language::Zh, Language::En] {
        let mut desk = Desk::new(Role::DutyForecaster, language, recent_cache(now));
        let t = desk.text();
        let network = network();
        let id = StationId::parse(STATION).unwrap();
        let name = station_name(&network, language, &id);
        let title = match language {
            Language::Zh => format!("{name}（{STATION}）"),
            Language::En => format!("{name} ({STATION})"),
        };
        for mode in [t.mode_rain, t.mode_wind] {
            desk.click(mode);
            desk.harness.get_by_label(&title);
        }
    }
}

#[test]
fn the_export_notice_names_the_file_and_its_folder_and_opens_it() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, recent_cache(now));
    let t = desk.text();
    let folder = "/home/duty/文档/气象 导出";
    let file = "wxdesk-58819-rain-20261127-143000.csv";
    desk.backend
        .events
        .try_send(Event::History(HistoryEvent::Exported {
            path: format!("{folder}/{file}"),
            size: 10,
        }))
        .unwrap();
    desk.serve();
    // Each part is whole: the verb, the file, the folder; one line each.
    for part in [t.exported, file, folder] {
        let node = desk.harness.get_by_label(part);
        let b = node.accesskit_node().bounding_box().unwrap();
        assert!(b.y1 - b.y0 < 24.0, "{part}: one line, {b:?}");
    }
    desk.click(t.export_open_folder);
    assert!(desk.sent.iter().any(
        |c| matches!(c, HistoryCommand::OpenFolder { folder: f } if f.to_str() == Some(folder))
    ));
    // The folder is the user's to choose.
    desk.click(t.export_change_folder);
    let field = desk
        .harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, t.export_folder_field);
    field.focus();
    desk.serve();
    desk.harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, t.export_folder_field)
        .type_text("/srv/报表");
    desk.serve();
    desk.click(t.export_folder_use);
    assert!(desk.sent.iter().any(|c| matches!(c, HistoryCommand::SetExportFolder { folder: f } if f.to_str() == Some("/srv/报表"))));
    // A failure reaches the same place.
    desk.backend
        .events
        .try_send(Event::History(HistoryEvent::Failed {
            action: HistoryAction::Export,
            message: "cannot write /srv/报表: permission denied".into(),
        }))
        .unwrap();
    desk.serve();
    desk.harness.get_by_label(t.export_failed);
    desk.harness.get_by_label_contains("permission denied");
}

#[test]
fn the_png_is_drawn_off_the_ui_thread_from_a_copy_of_the_view() {
    let now = afternoon();
    let mut desk = Desk::new(Role::DutyForecaster, Language::Zh, recent_cache(now));
    let t = desk.text();
    desk.click(t.mode_rain);
    desk.click(t.export_png);
    let render: PngRender = desk
        .sent
        .iter()
        .find_map(|c| match c {
            HistoryCommand::ExportPng { render, name } => {
                assert_eq!(name, &format!("{STATION}-rain"));
                Some(render.clone())
            }
            _ => None,
        })
        .expect("a render job was sent, not an image");
    let png = std::thread::Builder::new()
        .name("png-export-test".into())
        .spawn(move || render.run())
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    let image = image::load_from_memory(&png).unwrap();
    assert_eq!((image.width(), image.height()), (1600, 900));
}
