//! Live charts of the selected station over the last 24 hours, on a Beijing-time axis:
//! temperature (air and ground), humidity, hourly rain, pressure, wind speed and gust, and
//! wind direction. Points are prepared once per data change, not per frame.

mod axis;
mod data;
mod legend;

use egui::RichText;
use egui_plot::{AxisHints, Bar, BarChart, Line, Plot, PlotPoints, Points};

use super::{Scene, ViewState, i18n, station_list, theme};
use crate::console::state::Freshness;
use crate::domain::time::DAY_MS;
use crate::domain::{Element, Station};

pub use axis::{value_grid, value_label};
pub use data::{ChartData, Group, hour_axis, time_from_axis};
pub use legend::{LegendEntry, Mark, legend_ui, line_style};

/// The chart panel's width for the space left of the map and list.
pub fn width(available: f32) -> f32 {
    (available * 0.46).clamp(340.0, 600.0)
}

/// Chart view state: which groups are shown, and the prepared points.
#[derive(Debug)]
pub struct ChartView {
    /// Shown groups, in [`Group::ALL`] order.
    pub shown: [bool; Group::ALL.len()],
    cache: Option<ChartData>,
}

impl Default for ChartView {
    fn default() -> Self {
        Self {
            shown: [true; Group::ALL.len()],
            cache: None,
        }
    }
}

fn group_title(scene: Scene<'_>, group: Group) -> &'static str {
    let text = scene.text;
    match group {
        Group::Temperature => text.chart_temperature,
        Group::Humidity => text.chart_humidity,
        Group::Rain => text.chart_rain,
        Group::Pressure => text.chart_pressure,
        Group::WindSpeed => text.chart_wind_speed,
        Group::WindDirection => text.chart_wind_direction,
    }
}

fn series_name(scene: Scene<'_>, element: Element) -> &'static str {
    let text = scene.text;
    match element {
        Element::Tem => text.series_tem,
        Element::Gst => text.series_gst,
        Element::Rhu => text.series_rhu,
        Element::Prs => text.series_prs,
        Element::WinSAvg2mi => text.series_wind,
        Element::WinSInstMax => text.series_gust,
        Element::WinDAvg2mi => text.series_dir,
        Element::Pre | Element::Pre1h => text.chart_rain_hourly,
        Element::Vis
        | Element::Dpt
        | Element::PrsSea
        | Element::Pre6h
        | Element::Pre24h
        | Element::Svwc10cm
        | Element::Gst10cm
        | Element::LeafWet
        | Element::TemIn
        | Element::RhuIn
        | Element::Co2 => i18n::element_name(scene.language, element),
    }
}

/// Draws the chart panel.
pub fn chart_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState) {
    let station = view
        .selected
        .as_ref()
        .and_then(|id| scene.state.network.station(id));
    let Some(station) = station else {
        empty_ui(ui, scene.text.chart_select_station);
        return;
    };
    header_ui(ui, scene, station);
    let chart = &mut view.chart;
    ui.horizontal_wrapped(|ui| {
        for (shown, group) in chart.shown.iter_mut().zip(Group::ALL) {
            ui.toggle_value(shown, group_title(scene, group));
        }
    });
    ui.add_space(4.0);

    let key = ChartData::key(&station.id, scene.state.data_generation, scene.now);
    if chart.cache.as_ref().is_none_or(|c| c.key != key) {
        chart.cache = Some(ChartData::build(scene.state, &station.id, scene.now));
    }
    let Some(data) = chart.cache.as_ref() else {
        return;
    };
    if data.is_empty() {
        // During the first sync an empty chart is the desk's lag, not the station's silence.
        match syncing_status(scene) {
            Some(status) => empty_ui(ui, &status),
            None => empty_ui(ui, scene.text.chart_no_data),
        }
        return;
    }
    let groups: Vec<Group> = Group::ALL
        .into_iter()
        .zip(chart.shown)
        .filter_map(|(g, shown)| shown.then_some(g))
        .collect();
    if groups.is_empty() {
        return;
    }
    let x_axis_height = 34.0;
    let spacing = ui.spacing().item_spacing.y;
    let height = ((ui.available_height() - x_axis_height - spacing * groups.len() as f32)
        / groups.len() as f32)
        .max(50.0);
    let x_end = hour_axis(scene.now);
    let x_start = hour_axis(scene.now.plus_ms(-DAY_MS));
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (i, &group) in groups.iter().enumerate() {
                let last = i + 1 == groups.len();
                let plot_height = if last { height + x_axis_height } else { height };
                plot_ui(ui, scene, data, group, last, plot_height, x_start..=x_end);
            }
        });
}

fn empty_ui(ui: &mut egui::Ui, message: &str) {
    ui.add_space(ui.available_height() / 3.0);
    ui.vertical_centered(|ui| {
        ui.label(
            RichText::new(message)
                .color(theme::INK_MUTED)
                .size(theme::BODY_SIZE + 1.0),
        );
    });
}

fn header_ui(ui: &mut egui::Ui, scene: Scene<'_>, station: &Station) {
    let text = scene.text;
    ui.label(
        RichText::new(format!(
            "{}{}",
            i18n::station_name(scene.language, station),
            i18n::parenthesised(scene.language, station.id.as_str())
        ))
        .heading()
        .strong(),
    );
    let township = scene
        .state
        .network
        .township(station.township)
        .map(|t| i18n::township_name(scene.language, t))
        .unwrap_or_default();
    ui.label(
        RichText::new(format!(
            "{township} · {} {:.0} m · {} · {}",
            text.altitude, station.altitude_m, text.chart_last_24h, text.chart_time_axis
        ))
        .color(theme::INK_MUTED),
    );
    let freshness = scene.state.freshness(&station.id, scene.now);
    let reported = scene.state.last_report(&station.id).is_some();
    if let Some(t) = scene.state.last_report(&station.id) {
        // While syncing, an old report's age ("345 天前") is the desk's lag: show when only.
        let latest = format!("{} {}", text.chart_latest, i18n::when(t, scene.now));
        let line = if freshness == Freshness::Syncing {
            latest
        } else {
            format!("{latest} · {}", i18n::age(scene.language, t, scene.now))
        };
        ui.label(RichText::new(line).color(theme::INK_MUTED));
    }
    match freshness {
        Freshness::Current => {}
        Freshness::Syncing => {
            // Without any report the empty chart below says it, once.
            if let Some(status) = syncing_status(scene).filter(|_| reported) {
                ui.label(RichText::new(status).strong().color(theme::STATUS_PENDING));
            }
            ui.label(RichText::new(text.syncing_hover).color(theme::INK_MUTED));
        }
        Freshness::Stale => {
            ui.label(
                RichText::new(format!(
                    "⚠ {}{}{}",
                    text.stale_hover,
                    i18n::colon(scene.language),
                    station_list::report_age(scene, &station.id)
                ))
                .color(theme::STATUS_ERROR),
            );
        }
    }
}

/// "正在同步 · 还剩 120 条变更" while the desk catches up with the central; `None` otherwise.
pub fn syncing_status(scene: Scene<'_>) -> Option<String> {
    let state = scene.state;
    if !state.catching_up() {
        return None;
    }
    let title = scene.text.chart_syncing;
    Some(match state.sync {
        Some(progress) => format!(
            "{title} · {}",
            i18n::sync_left(scene.language, progress.behind)
        ),
        None => format!("{title}…"),
    })
}

/// A plot that takes no pan or zoom of its own: the live chart always shows the last 24 h,
/// and the history screen pans and zooms its range itself (one range for all its charts).
pub fn still_plot<'a>(id: impl egui::AsIdSalt, height: f32) -> Plot<'a> {
    Plot::new(id)
        .height(height)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
}

fn plot_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    data: &ChartData,
    group: Group,
    show_x_axis: bool,
    height: f32,
    x_range: std::ops::RangeInclusive<f64>,
) {
    let unit = group.unit();
    let language = scene.language;
    // The legend takes its rows out of the chart's height, so the charts still fit.
    let series = data.group(group);
    let top = ui.cursor().top();
    let hovered = legend_ui(ui, &legend_entries(scene, series, group));
    let height = (height - (ui.cursor().top() - top)).max(40.0);
    let x_axis = AxisHints::new_x()
        .formatter(axis::time_label)
        .tick_label_font(theme::small())
        .label(if show_x_axis {
            scene.text.chart_time_axis
        } else {
            ""
        });
    let y_axis = AxisHints::new_y()
        .formatter(value_label)
        .tick_label_font(theme::small())
        .label(unit)
        .min_thickness(40.0);
    let y_axis = if group == Group::WindDirection {
        y_axis.formatter(move |mark, _| i18n::compass(language, mark.value).to_owned())
    } else {
        y_axis
    };
    let mut plot = still_plot(("chart", group as usize), height)
        .custom_x_axes(vec![x_axis])
        .custom_y_axes(vec![y_axis])
        .show_axes([show_x_axis, true])
        .x_grid_spacer(axis::time_grid)
        .y_grid_spacer(value_grid)
        .grid_color(theme::CHART_GRID)
        .link_cursor(egui::Id::unique("wxdesk chart cursor"), [true, false])
        .label_formatter(move |pos| axis::hover_label(pos, language, unit))
        .auto_bounds([false, true]);
    if group == Group::WindDirection {
        plot = plot
            .y_grid_spacer(axis::compass_grid)
            .auto_bounds([false, false])
            .default_y_bounds(0.0, 360.0);
    } else if let Some((lo, hi)) = series.y_range.map(|(lo, hi)| axis::y_span(group, lo, hi)) {
        plot = plot.include_y(lo).include_y(hi);
    }
    let response = plot.show(ui, |plot_ui| {
        plot_ui.set_plot_bounds_x(x_range);
        if group == Group::WindDirection {
            // Room above north and below north again, so their tick labels are not clipped.
            plot_ui.set_plot_bounds_y(-40.0..=400.0);
        }
        for (i, line) in series.lines.iter().enumerate() {
            let name = series_name(scene, line.element);
            let colour = theme::series_colour(line.element);
            let highlight = hovered == Some(i);
            for segment in &line.segments {
                if group == Group::WindDirection {
                    plot_ui.points(
                        Points::new(name, PlotPoints::Borrowed(segment))
                            .color(colour)
                            .radius(1.6)
                            .highlight(highlight),
                    );
                } else {
                    plot_ui.line(
                        Line::new(name, PlotPoints::Borrowed(segment))
                            .color(colour)
                            .width(1.5)
                            .highlight(highlight),
                    );
                }
            }
        }
        if !series.bars.is_empty() {
            let colour = theme::series_colour(Element::Pre1h);
            let bars = series
                .bars
                .iter()
                .map(|&(x, mm)| Bar::new(x, mm).width(0.8).fill(colour))
                .collect();
            plot_ui.bar_chart(
                BarChart::new(scene.text.chart_rain_hourly, bars)
                    .color(colour)
                    .element_formatter(Box::new(move |bar, _| {
                        format!("{}  {:.1} mm", axis::hour_span(bar.argument), bar.value)
                    })),
            );
        }
    });
    let title = format!(
        "{} · {}",
        group_title(scene, group),
        scene.text.chart_last_24h
    );
    response
        .response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &title));
}

/// The legend of one live chart: its lines, then its rain bars.
fn legend_entries(scene: Scene<'_>, series: &data::GroupSeries, group: Group) -> Vec<LegendEntry> {
    let mut entries: Vec<LegendEntry> = series
        .lines
        .iter()
        .map(|line| LegendEntry {
            mark: if group == Group::WindDirection {
                Mark::Dots
            } else {
                Mark::Line
            },
            ..LegendEntry::line(
                series_name(scene, line.element),
                theme::series_colour(line.element),
            )
        })
        .collect();
    if !series.bars.is_empty() {
        entries.push(LegendEntry {
            mark: Mark::Bar,
            ..LegendEntry::line(
                scene.text.chart_rain_hourly,
                theme::series_colour(Element::Pre1h),
            )
        });
    }
    entries
}
