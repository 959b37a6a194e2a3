//! A device's health page: its particulars, the judged lateness and 24-hour completeness, the
//! hourly trends of its battery, signal and clock drift (14 days), and when its battery will
//! be flat, in words.

use egui::RichText;
use egui_plot::{AxisHints, GridInput, GridMark, Legend, Line, Plot, PlotPoints};

use super::list::{self, drift_text, kind_name, transport_name};
use super::text::{self, DevicesText};
use super::verdict::{self, lateness_of};
use super::{DevicesView, central_now, upstream_of};
use crate::console::messages::devices::{BATTERY_CUTOFF_V, HealthHour, HealthPage};
use crate::console::ui::i18n::{self, Language};
use crate::console::ui::{Scene, chart, theme};
use crate::domain::Timestamp;
use crate::domain::devices::DeviceId;
use crate::domain::devices::health::{BatteryForecast, Lateness};
use crate::domain::time::{BEIJING_OFFSET_SECS, DAY_MS, HOUR_MS};

/// Width of the particulars column.
const FACTS_WIDTH: f32 = 380.0;

/// The forecast in words: "约 12月9日 03时 电量耗尽", "稳定", "数据不足".
pub fn forecast_words(forecast: BatteryForecast, language: Language) -> String {
    let t = text::text(language);
    match (forecast, language) {
        (BatteryForecast::Steady, _) => t.forecast_steady.to_owned(),
        (BatteryForecast::NotEnoughData, _) => t.forecast_no_data.to_owned(),
        (BatteryForecast::Flat, Language::Zh) => {
            format!("已低于截止电压（{BATTERY_CUTOFF_V:.1} V）")
        }
        (BatteryForecast::Flat, Language::En) => {
            format!("Below the cut-off ({BATTERY_CUTOFF_V:.1} V)")
        }
        (BatteryForecast::FlatAt { at }, Language::Zh) => {
            format!("约 {} 电量耗尽", at.beijing().format("%-m月%-d日 %H时"))
        }
        (BatteryForecast::FlatAt { at }, Language::En) => {
            format!("Flat about {}", at.beijing().format("%-d %b %H:00"))
        }
    }
}

/// Lateness in words: 按时, 迟报 3 次, 从未上报.
pub fn lateness_words(lateness: Lateness, language: Language) -> String {
    let t = text::text(language);
    match lateness {
        Lateness::OnTime => t.on_time.to_owned(),
        Lateness::NeverSeen => t.status_never.to_owned(),
        Lateness::Late { missed } => match language {
            Language::Zh => format!("迟报 {missed} 次"),
            Language::En => format!("Late by {missed}"),
        },
    }
}

/// The page of `id`: the particulars, the judgement, the trends.
pub fn page_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut DevicesView, id: &DeviceId) {
    let t = text::text(scene.language);
    if ui.button(t.back).clicked() {
        view.open = None;
        return;
    }
    let devices = &scene.state.devices;
    if let Some(refusal) = devices
        .refusal
        .as_ref()
        .filter(|r| r.read == crate::console::messages::devices::DeviceRead::Health(id.clone()))
    {
        let (message, code) = (&refusal.message, &refusal.code);
        crate::console::ui::warnings::refusal_banner_ui(
            ui,
            scene,
            t.page_refused,
            message,
            code,
            |_| {},
        );
    }
    let Some(page) = devices.page_of(id) else {
        ui.label(RichText::new(t.page_loading).color(theme::INK_MUTED));
        return;
    };
    if title_ui(ui, scene, page) {
        view.form = Some(super::register::DeviceForm::editing(&page.view.device));
    }
    ui.separator();
    let height = ui.available_height();
    ui.horizontal_top(|ui| {
        ui.allocate_ui_with_layout(
            egui::vec2(FACTS_WIDTH, height),
            egui::Layout::top_down(egui::Align::Min),
            |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("device_facts")
                    .show(ui, |ui| facts_ui(ui, scene, page, t));
            },
        );
        ui.separator();
        ui.vertical(|ui| trends_ui(ui, scene, &page.trend, t));
    });
}

/// The device's name and state; `true` when 修改档案 was clicked.
fn title_ui(ui: &mut egui::Ui, scene: Scene<'_>, page: &HealthPage) -> bool {
    let t = text::text(scene.language);
    let others = scene
        .state
        .devices
        .list
        .as_ref()
        .map_or(&[][..], |(list, _)| &list.devices[..]);
    let verdict = verdict::verdict(
        &page.view,
        central_now(scene),
        upstream_of(scene, &page.view, others),
    );
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(page.view.device.name_zh.as_str())
                .size(theme::HEADING_SIZE)
                .strong(),
        );
        if page.view.device.simulated {
            list::simulated_badge_ui(ui, t);
        }
        list::status_chip_ui(ui, scene, verdict);
        super::manages_devices(scene) && ui.button(t.edit_open).clicked()
    })
    .inner
}

/// A label and its value in the facts grid.
fn fact(ui: &mut egui::Ui, label: &str, value: &str) {
    ui.label(RichText::new(label).color(theme::INK_MUTED));
    ui.label(value);
    ui.end_row();
}

fn station_words(scene: Scene<'_>, id: Option<&crate::domain::StationId>) -> String {
    id.map_or_else(
        || "—".to_owned(),
        |id| match scene.state.network.station(id) {
            Some(station) => format!("{} ({id})", i18n::station_name(scene.language, station)),
            None => id.to_string(),
        },
    )
}

fn facts_ui(ui: &mut egui::Ui, scene: Scene<'_>, page: &HealthPage, t: &DevicesText) {
    let device = &page.view.device;
    let language = scene.language;
    let township = scene.state.network.township(device.township).map_or_else(
        || device.township.to_string(),
        |tw| i18n::township_name(language, tw),
    );
    let interval = match language {
        Language::Zh => format!("{} 秒", device.interval_s),
        Language::En => format!("{} s", device.interval_s),
    };
    let dash = || "—".to_owned();
    ui.label(RichText::new(t.particulars).strong());
    egui::Grid::new("device_particulars")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            fact(ui, t.field_id, device.id.as_str());
            fact(ui, t.field_kind, kind_name(device.kind, language));
            fact(
                ui,
                t.field_station,
                &station_words(scene, device.station.as_ref()),
            );
            let reference = station_words(scene, device.reference_station.as_ref());
            fact(ui, t.field_reference, &reference);
            fact(ui, t.field_township, &township);
            fact(ui, t.field_transport, transport_name(device.transport));
            fact(ui, t.field_interval, &interval);
            let dtu = device.dtu.as_ref().map_or_else(dash, ToString::to_string);
            fact(ui, t.field_dtu, &dtu);
            let unit = device
                .modbus
                .as_ref()
                .map_or_else(dash, |m| m.unit.to_string());
            fact(ui, t.field_unit, &unit);
            fact(
                ui,
                t.field_cellular,
                if device.cellular { t.yes } else { t.no },
            );
        });
    ui.add_space(8.0);
    ui.label(RichText::new(t.judged).strong());
    judgement_ui(ui, scene, page, t);
}

fn judgement_ui(ui: &mut egui::Ui, scene: Scene<'_>, page: &HealthPage, t: &DevicesText) {
    let language = scene.language;
    let health = &page.view.health;
    let now = central_now(scene);
    let volts = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.2} V"));
    let completeness = match language {
        Language::Zh => format!(
            "{:.1}%（24 小时收到 {} 次）",
            page.completeness_24h * 100.0,
            health.reports_24h
        ),
        Language::En => format!(
            "{:.1}% ({} reports in 24 h)",
            page.completeness_24h * 100.0,
            health.reports_24h
        ),
    };
    let last = health.last_seen.map_or_else(
        || t.never.to_owned(),
        |seen| {
            format!(
                "{} · {}",
                i18n::when(seen, scene.now),
                i18n::age(language, seen, now)
            )
        },
    );
    egui::Grid::new("device_judgement")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            let lateness = lateness_of(&page.view, now);
            fact(ui, t.field_lateness, &lateness_words(lateness, language));
            fact(ui, t.field_completeness, &completeness);
            fact(ui, t.field_last, &last);
            fact(ui, t.field_battery, &volts(health.battery_v));
            fact(ui, t.field_supply, &volts(health.supply_v));
            let signal = health
                .rssi_dbm
                .map_or_else(|| "—".to_owned(), |v| format!("{v:.0} dBm"));
            fact(ui, t.field_signal, &signal);
            let drift = health
                .clock_drift_ms
                .map_or_else(|| "—".to_owned(), |d| drift_text(language, d));
            fact(ui, t.field_drift, &drift);
            fact(
                ui,
                t.field_forecast,
                &forecast_words(page.battery, language),
            );
        });
}

/// An hour's start on the plots' x axis (hours since the epoch).
fn hour_x(t: Timestamp) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "hours since 1970 fit an f64 exactly"
    )]
    let x = t.0 as f64 / HOUR_MS as f64;
    x
}

/// Grid marks at each Beijing midnight, with 6-hourly minor marks.
#[allow(
    clippy::needless_pass_by_value,
    reason = "egui_plot's grid spacers take their input by value"
)]
fn day_grid(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || hi - lo > 24.0 * 400.0 {
        return Vec::new();
    }
    let offset = i64::from(BEIJING_OFFSET_SECS) / 3_600;
    #[allow(clippy::cast_possible_truncation, reason = "bounded above")]
    let (first, last) = (lo.floor() as i64, hi.ceil() as i64);
    (first..=last)
        .filter(|hour| (hour + offset).rem_euclid(6) == 0)
        .map(|hour| GridMark {
            #[allow(clippy::cast_precision_loss, reason = "small integers")]
            value: hour as f64,
            step_size: if (hour + offset).rem_euclid(24) == 0 {
                24.0
            } else {
                6.0
            },
        })
        .collect()
}

/// A midnight's date, `12-07`; nothing at other marks.
fn day_label(mark: GridMark, _range: &std::ops::RangeInclusive<f64>) -> String {
    if mark.step_size < 24.0 {
        return String::new();
    }
    #[allow(clippy::cast_possible_truncation, reason = "hours since 1970")]
    let t = Timestamp((mark.value * HOUR_MS as f64).round() as i64);
    t.beijing().format("%m-%d").to_string()
}

/// The series of one plot: its name and points.
type Series = (&'static str, Vec<[f64; 2]>);

fn points(trend: &[HealthHour], value: impl Fn(&HealthHour) -> Option<f64>) -> Vec<[f64; 2]> {
    trend
        .iter()
        .filter_map(|hour| value(hour).map(|v| [hour_x(hour.hour) + 0.5, v]))
        .collect()
}

fn trends_ui(ui: &mut egui::Ui, scene: Scene<'_>, trend: &[HealthHour], t: &DevicesText) {
    ui.label(RichText::new(t.trend).strong());
    if trend.is_empty() {
        ui.label(RichText::new(t.trend_none).color(theme::INK_MUTED));
        return;
    }
    let end = hour_x(central_now(scene)).ceil();
    let start = end - (14 * DAY_MS / HOUR_MS) as f64;
    #[allow(clippy::cast_precision_loss, reason = "milliseconds of a drift")]
    let plots: [(&str, Vec<Series>); 3] = [
        (
            t.plot_battery,
            vec![
                (t.series_battery_min, points(trend, |h| h.battery_min_v)),
                (t.series_battery_last, points(trend, |h| h.battery_v)),
            ],
        ),
        (
            t.plot_signal,
            vec![(t.plot_signal, points(trend, |h| h.rssi_dbm))],
        ),
        (
            t.plot_drift,
            vec![(
                t.plot_drift,
                points(trend, |h| h.clock_drift_ms.map(|d| d as f64 / 1_000.0)),
            )],
        ),
    ];
    let height = ((ui.available_height() - 3.0 * 24.0) / 3.0).clamp(90.0, 200.0);
    for (i, (title, series)) in plots.into_iter().enumerate() {
        ui.label(RichText::new(title).color(theme::INK_MUTED).small());
        trend_plot_ui(ui, ("device_trend", i), height, start..=end, series);
    }
}

fn trend_plot_ui(
    ui: &mut egui::Ui,
    id: (&str, usize),
    height: f32,
    x_range: std::ops::RangeInclusive<f64>,
    series: Vec<Series>,
) {
    // A day is ~60 px wide at 1280: egui_plot's default spacing (60–80 px) would hide them.
    let x_axis = AxisHints::new_x()
        .formatter(day_label)
        .tick_label_font(theme::small())
        .label_spacing(36.0..=48.0);
    let y_axis = AxisHints::new_y()
        .formatter(chart::value_label)
        .tick_label_font(theme::small())
        .min_thickness(48.0);
    let legend = series.len() > 1;
    let mut plot = Plot::new(id)
        .height(height)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .custom_x_axes(vec![x_axis])
        .custom_y_axes(vec![y_axis])
        .x_grid_spacer(day_grid)
        .y_grid_spacer(chart::value_grid)
        .grid_color(theme::CHART_GRID)
        .auto_bounds([false, true]);
    if legend {
        plot = plot.legend(Legend::default().text_style(egui::TextStyle::Small));
    }
    let colours = [theme::ACCENT, theme::STATUS_PENDING];
    plot.show(ui, |plot_ui| {
        plot_ui.set_plot_bounds_x(x_range);
        for ((name, points), colour) in series.into_iter().zip(colours) {
            plot_ui.line(
                Line::new(name, PlotPoints::from(points))
                    .color(colour)
                    .width(1.5),
            );
        }
    });
}
