//! Today at a glance: every station's extremes of the calendar day so far, with the times
//! they occurred and the day's 20–20 rain, and the township table.

use egui::RichText;

use super::text::HistoryText;
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::stats::{AtStation, Extreme, Gust};
use crate::domain::{StationId, Timestamp};

/// Draws both tables.
pub fn summary_ui(ui: &mut egui::Ui, scene: Scene<'_>, t: &HistoryText) {
    let Some(answer) = scene.state.history.summaries.as_ref() else {
        super::empty_ui(ui, t.reading);
        return;
    };
    let summaries = &answer.value;
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.label(RichText::new(t.summary_extremes).strong());
            ui.label(
                RichText::new(format!(
                    "{} {}",
                    i18n::when(summaries.at, scene.now),
                    scene.text.beijing_time
                ))
                .color(theme::INK_MUTED),
            );
            egui::Grid::new("today extremes")
                .striped(true)
                .num_columns(6)
                .spacing([18.0, 4.0])
                .show(ui, |ui| {
                    for heading in [
                        t.col_station,
                        t.col_max_tem,
                        t.col_min_tem,
                        t.col_min_rhu,
                        t.col_max_gust,
                        t.col_rain,
                    ] {
                        ui.label(RichText::new(heading).color(theme::INK_MUTED));
                    }
                    ui.end_row();
                    for (station, day) in &summaries.stations {
                        ui.label(station_name(scene, station));
                        ui.label(extreme(scene, day.max_tem.as_ref(), "°C", 1));
                        ui.label(extreme(scene, day.min_tem.as_ref(), "°C", 1));
                        ui.label(extreme(scene, day.min_rhu.as_ref(), "%", 0));
                        ui.label(gust(scene, day.max_gust.as_ref()));
                        ui.label(day.rain.total.mm.map_or_else(
                            || scene.text.no_data.to_owned(),
                            |mm| format!("{mm:.1} mm"),
                        ));
                        ui.end_row();
                    }
                });
            ui.add_space(12.0);
            ui.label(RichText::new(t.summary_townships).strong());
            egui::Grid::new("townships")
                .striped(true)
                .num_columns(7)
                .spacing([18.0, 4.0])
                .show(ui, |ui| {
                    for heading in [
                        t.col_township,
                        t.col_reporting,
                        t.col_max_tem,
                        t.col_min_tem,
                        t.col_max_rain,
                        t.col_max_gust,
                        t.col_silent,
                    ] {
                        ui.label(RichText::new(heading).color(theme::INK_MUTED));
                    }
                    ui.end_row();
                    for row in &summaries.townships {
                        let name = scene.state.network.township(row.code).map_or_else(
                            || row.name.clone(),
                            |tw| i18n::township_name(scene.language, tw),
                        );
                        ui.label(name);
                        let reporting = format!("{}/{}", row.reporting(), row.stations);
                        let colour = if row.silent.is_empty() {
                            theme::INK
                        } else {
                            theme::STATUS_ERROR
                        };
                        ui.label(RichText::new(reporting).color(colour));
                        ui.label(at_station(scene, row.max_tem.as_ref(), |e| {
                            format!("{:.1} °C", e.value)
                        }));
                        ui.label(at_station(scene, row.min_tem.as_ref(), |e| {
                            format!("{:.1} °C", e.value)
                        }));
                        ui.label(at_station(scene, row.max_rain.as_ref(), |mm| {
                            format!("{mm:.1} mm")
                        }));
                        ui.label(at_station(scene, row.max_gust.as_ref(), |g| {
                            format!("{:.1} m/s", g.speed_ms)
                        }));
                        let silent: Vec<String> =
                            row.silent.iter().map(|s| station_name(scene, s)).collect();
                        ui.label(RichText::new(silent.join("、")).color(theme::STATUS_ERROR));
                        ui.end_row();
                    }
                });
        });
}

fn station_name(scene: Scene<'_>, id: &StationId) -> String {
    scene.state.network.station(id).map_or_else(
        || id.to_string(),
        |s| i18n::station_name(scene.language, s).to_owned(),
    )
}

fn at(scene: Scene<'_>, t: Timestamp) -> String {
    let _ = scene;
    i18n::hm(t)
}

fn extreme(scene: Scene<'_>, e: Option<&Extreme>, unit: &str, decimals: usize) -> String {
    e.map_or_else(
        || scene.text.no_data.to_owned(),
        |e| format!("{:.*} {unit}（{}）", decimals, e.value, at(scene, e.at)),
    )
}

fn gust(scene: Scene<'_>, g: Option<&Gust>) -> String {
    g.map_or_else(
        || scene.text.no_data.to_owned(),
        |g| {
            let direction = g
                .direction_deg
                .map(|d| format!(" {}", i18n::compass(scene.language, d)))
                .unwrap_or_default();
            format!("{:.1} m/s{direction}（{}）", g.speed_ms, at(scene, g.at))
        },
    )
}

fn at_station<T>(
    scene: Scene<'_>,
    value: Option<&AtStation<T>>,
    show: impl Fn(&T) -> String,
) -> String {
    value.map_or_else(
        || scene.text.no_data.to_owned(),
        |v| format!("{} {}", show(&v.value), station_name(scene, &v.station)),
    )
}
