//! Rain: bars of hourly amounts (or CMA daily totals over long ranges) with the running total,
//! the accumulations of the last 1, 3, 6, 12 and 24 hours, and the CMA 20–20 daily totals.

use egui::RichText;
use egui_plot::{Bar, BarChart, Line, PlotPoints};

use super::chart_frame::{self, Interaction};
use super::export;
use super::text::{self, HistoryText};
use super::{HistoryView, TimeRange};
use crate::console::messages::history::RainReport;
use crate::console::ui::chart::hour_axis;
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::Timestamp;
use crate::domain::stats::{RainTotal, STANDARD_WINDOWS_H};
use crate::domain::time::{DAY_MS, HOUR_MS};

/// Ranges longer than this show daily bars instead of hourly ones.
const DAILY_BARS_FROM_MS: i64 = 8 * DAY_MS;

/// A bar: middle and width in plot x, amount.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RainBar {
    /// Middle, x.
    pub x: f64,
    /// Width, x units (hours).
    pub width: f64,
    /// Amount, mm.
    pub mm: f64,
}

/// Which bars a range draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RainBars {
    /// One per CMA hour.
    Hourly,
    /// One per CMA day (20–20), over long ranges.
    Daily,
}

/// The bars `range` draws: hours, or CMA days when the range is long (so a year is 365 bars,
/// not 8 760).
pub fn bars_kind(range: TimeRange) -> RainBars {
    if range.span_ms() > DAILY_BARS_FROM_MS {
        RainBars::Daily
    } else {
        RainBars::Hourly
    }
}

/// The bars of a report over `range`. The hour still running is drawn up to when the report
/// was read, so a short range ending now shows it.
pub fn bars(report: &RainReport, range: TimeRange) -> Vec<RainBar> {
    match bars_kind(range) {
        RainBars::Daily => report
            .days
            .iter()
            .filter_map(|d| {
                let mm = d.total.mm?;
                let (start, end) = (d.day.start(), d.day.end());
                Some(RainBar {
                    x: (hour_axis(start) + hour_axis(end)) / 2.0,
                    width: (DAY_MS / HOUR_MS) as f64 * 0.9,
                    mm,
                })
            })
            .collect(),
        RainBars::Hourly => report
            .hours
            .iter()
            .map(|&(end, mm)| {
                let start = hour_axis(end.plus_ms(-HOUR_MS));
                let until = hour_axis(end.min(report.at));
                RainBar {
                    x: (start + until) / 2.0,
                    width: (until - start) * 0.9,
                    mm,
                }
            })
            .collect(),
    }
}

/// The rolling total of the `hours` ending at each hour's end: the rain of the hours in
/// `(end − hours, end]` that have data.
pub fn rolling(report: &RainReport, hours: u32) -> Vec<(Timestamp, f64)> {
    let span = i64::from(hours) * HOUR_MS;
    let amounts = &report.hours;
    let mut total = 0.0;
    let mut first = 0;
    amounts
        .iter()
        .map(|&(end, mm)| {
            total += mm;
            while amounts[first].0 <= end.plus_ms(-span) {
                total -= amounts[first].1;
                first += 1;
            }
            (end, total.max(0.0))
        })
        .collect()
}

/// A rain chart: bars, and the rolling totals of the windows in `rolling` (hours).
pub fn bars_plot_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    report: Option<&RainReport>,
    range: TimeRange,
    rolling_hours: &[u32],
    height: f32,
    x_axis: bool,
) -> Interaction {
    let t = text::text(scene.language);
    let bars = report.map(|r| bars(r, range)).unwrap_or_default();
    let daily = bars_kind(range) == RainBars::Daily;
    let lines: Vec<(u32, Vec<egui_plot::PlotPoint>)> = match report {
        Some(r) if !daily => rolling_hours
            .iter()
            .map(|&h| {
                let at = r.at;
                let points = rolling(r, h)
                    .into_iter()
                    .map(|(end, mm)| egui_plot::PlotPoint::new(hour_axis(end.min(at)), mm))
                    .collect();
                (h, points)
            })
            .collect(),
        _ => Vec::new(),
    };
    let top = bars
        .iter()
        .map(|b| b.mm)
        .chain(lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.y)))
        .fold(1.0_f64, f64::max);
    let x_range = hour_axis(range.from)..=hour_axis(range.to);
    let response = chart_frame::plot("history rain", scene, "mm", height, x_axis)
        .include_y(0.0)
        .include_y(top * 1.1)
        .show(ui, |plot_ui| {
            plot_ui.set_plot_bounds_x(x_range);
            let name = if daily { t.rain_daily } else { t.rain_hourly };
            let chart: Vec<Bar> = bars
                .iter()
                .map(|b| Bar::new(b.x, b.mm).width(b.width).fill(theme::RAIN_BAR))
                .collect();
            plot_ui.bar_chart(BarChart::new(name, chart).color(theme::RAIN_BAR));
            for (i, (hours, line)) in lines.into_iter().enumerate() {
                let name = format!(
                    "{} {}",
                    text::duration(scene.language, i64::from(hours) * HOUR_MS),
                    t.rain_rolling
                );
                plot_ui.line(
                    Line::new(name, PlotPoints::Owned(line))
                        .color(theme::comparison_colour(i))
                        .width(1.3),
                );
            }
        });
    chart_frame::interaction(&response.response, ui)
}

/// The rain screen.
pub fn rain_ui(ui: &mut egui::Ui, scene: Scene<'_>, history: &mut HistoryView, t: &HistoryText) {
    let range = history.range_at(scene.now);
    let report = scene.state.history.rain.as_ref().map(|a| &a.value);
    if let Some(station) = &history.station {
        ui.label(RichText::new(super::station_title(scene, station)).strong());
    }
    ui.label(
        RichText::new(t.rain_cma_note)
            .color(theme::INK_MUTED)
            .size(theme::SMALL_SIZE),
    );
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.rain_rolling).color(theme::INK_MUTED));
        for (on, hours) in history.rolling.iter_mut().zip(STANDARD_WINDOWS_H) {
            ui.toggle_value(
                on,
                text::duration(scene.language, i64::from(hours) * HOUR_MS),
            );
        }
    });
    let windows = history.rolling_windows();
    let chart_height = (ui.available_height() * 0.5).max(160.0);
    let interaction = bars_plot_ui(ui, scene, report, range, &windows, chart_height, true);
    interaction.apply(history, scene);
    let Some(report) = report else {
        return;
    };
    ui.add_space(6.0);
    ui.columns(2, |columns| {
        accumulations_ui(&mut columns[0], scene, t, report);
        days_ui(&mut columns[1], scene, t, report);
    });
}

fn amount_text(scene: Scene<'_>, total: &RainTotal) -> String {
    total
        .mm
        .map_or_else(|| scene.text.no_data.to_owned(), |mm| format!("{mm:.1} mm"))
}

fn accumulations_ui(ui: &mut egui::Ui, scene: Scene<'_>, t: &HistoryText, report: &RainReport) {
    let end = report.to.min(scene.now);
    ui.label(
        RichText::new(format!(
            "{} · {} {}",
            t.rain_accumulations,
            t.rain_ending,
            i18n::when(end, scene.now)
        ))
        .strong(),
    );
    egui::Grid::new("rain accumulations")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for a in &report.accumulations {
                let amount = amount_text(scene, &a.total);
                let data = export::completeness(scene.language, t, &a.total, None);
                ui.label(text::duration(scene.language, i64::from(a.hours) * HOUR_MS));
                ui.label(RichText::new(amount).strong());
                ui.label(RichText::new(data).color(theme::INK_MUTED));
                ui.end_row();
            }
        });
}

fn days_ui(ui: &mut egui::Ui, scene: Scene<'_>, t: &HistoryText, report: &RainReport) {
    ui.label(RichText::new(t.rain_daily).strong());
    egui::ScrollArea::vertical()
        .id_salt("rain days")
        .max_height(ui.available_height().max(80.0))
        .show(ui, |ui| {
            egui::Grid::new("rain days grid")
                .striped(true)
                .num_columns(3)
                .show(ui, |ui| {
                    ui.label(RichText::new(t.rain_day).color(theme::INK_MUTED));
                    ui.label(RichText::new(t.rain_amount).color(theme::INK_MUTED));
                    ui.label(RichText::new(t.rain_data).color(theme::INK_MUTED));
                    ui.end_row();
                    for day in report.days.iter().rev() {
                        let amount = amount_text(scene, &day.total);
                        let data = export::day_completeness(scene.language, t, day);
                        ui.label(day.day.date.format("%Y-%m-%d").to_string());
                        ui.label(amount);
                        ui.label(RichText::new(data).color(theme::INK_MUTED));
                        ui.end_row();
                    }
                });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::{Accumulation, DailyRain, STANDARD_WINDOWS_H};
    use crate::domain::time::{DayBoundary, ObservingDay};
    use crate::domain::{StationId, Timestamp};

    fn report(hours: usize, days: usize) -> RainReport {
        let t0 = Timestamp::parse_rfc3339("2026-06-01T12:00:00Z").unwrap();
        let empty = RainTotal {
            mm: Some(1.0),
            minutes: 1440,
            expected: 1440,
        };
        RainReport {
            station: StationId::parse("58819").unwrap(),
            from: t0,
            to: t0.plus_ms(DAY_MS),
            hours: (1..=hours)
                .map(|h| (t0.plus_ms(h as i64 * HOUR_MS), 0.5))
                .collect(),
            days: (0..days)
                .map(|d| DailyRain {
                    day: ObservingDay::containing(
                        t0.plus_ms(d as i64 * DAY_MS + 1),
                        DayBoundary::Twenty,
                    ),
                    total: empty,
                })
                .collect(),
            accumulations: STANDARD_WINDOWS_H.map(|hours| Accumulation {
                hours,
                total: empty,
            }),
            at: t0.plus_ms(40 * DAY_MS),
        }
    }

    #[test]
    fn long_ranges_draw_days_and_short_ones_hours() {
        let now = Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").unwrap();
        let r = report(24 * 30, 30);
        assert_eq!(
            bars(&r, TimeRange::last(DAY_MS, now)).len(),
            24 * 30,
            "hours"
        );
        assert_eq!(
            bars(&r, TimeRange::last(30 * DAY_MS, now)).len(),
            30,
            "days"
        );
        // Half a millimetre an hour: three hours roll up to 1.5 mm once three have passed.
        let three = rolling(&report(6, 0), 3);
        let ys: Vec<f64> = three.iter().map(|p| p.1).collect();
        assert_eq!(ys, [0.5, 1.0, 1.5, 1.5, 1.5, 1.5]);
    }

    #[test]
    fn the_hour_still_running_is_drawn_up_to_when_it_was_read() {
        let at = Timestamp::parse_rfc3339("2026-12-05T20:28:00Z").unwrap(); // 04:28 BJT
        let hour_end = |h: i64| at.floor(HOUR_MS).plus_ms(h * HOUR_MS);
        let mut r = report(0, 0);
        r.at = at;
        r.hours = vec![(hour_end(0), 1.2), (hour_end(1), 0.6)];
        let range = TimeRange::last(HOUR_MS, at);
        let drawn = bars(&r, range);
        let (lo, hi) = (hour_axis(range.from), hour_axis(range.to));
        for bar in &drawn {
            let (left, right) = (bar.x - bar.width / 2.0, bar.x + bar.width / 2.0);
            assert!(right > lo && left < hi, "{bar:?} is inside the range");
        }
        // The running hour: from 04:00 to 04:28, not to 05:00.
        let running = drawn[1];
        assert!((running.x - (hour_axis(hour_end(0)) + hour_axis(at)) / 2.0).abs() < 1e-9);
        assert_eq!(drawn.iter().map(|b| b.mm).collect::<Vec<_>>(), [1.2, 0.6]);
    }
}
