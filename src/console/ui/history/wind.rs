//! Wind: the rose of the range (16 directions, Beaufort-aligned speed classes, calm in the
//! middle) beside the mean wind and gust over time, with an arrow for each slice's vector mean
//! wind (pointing where the wind blows to, as on a weather map).

use std::f32::consts::{FRAC_PI_2, TAU};

use egui::{Pos2, RichText, Stroke, Vec2};

use super::HistoryView;
use super::chart_frame::{self, Interaction};
use super::series::SeriesGeometry;
use super::text::HistoryText;
use crate::console::messages::history::WindReport;
use crate::console::ui::chart::hour_axis;
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::Element;
use crate::domain::stats::{Sector, WindRose};

/// Mean-wind arrows asked for over a range.
pub const ARROWS: usize = 48;

/// The wind screen.
pub fn wind_ui(ui: &mut egui::Ui, scene: Scene<'_>, history: &mut HistoryView, t: &HistoryText) {
    if let Some(station) = &history.station {
        ui.label(RichText::new(super::station_title(scene, station)).strong());
    }
    let report = scene.state.history.wind.as_ref().map(|a| &a.value);
    let Some(report) = report else {
        super::empty_ui(ui, t.reading);
        return;
    };
    if report.rose.pairs() == 0 {
        super::empty_ui(ui, t.wind_no_data);
        return;
    }
    let range = history.range_at(scene.now);
    history.prepare(scene);
    let views: Vec<_> = scene
        .state
        .history
        .views
        .as_ref()
        .map(|a| a.value.iter().collect())
        .unwrap_or_default();
    let geometry = history.geometry();
    let speed = |element| -> Option<&SeriesGeometry> {
        let at = views
            .iter()
            .position(|v: &&crate::domain::history::SeriesView| v.request.element == element)?;
        geometry.get(at)
    };
    let (mean, gust) = (speed(Element::WinSAvg2mi), speed(Element::WinSInstMax));
    let mut interaction = Interaction::default();
    ui.horizontal_top(|ui| {
        let side = (ui.available_height() - 40.0)
            .clamp(180.0, 360.0)
            .min(ui.available_width() * 0.42);
        ui.vertical(|ui| {
            ui.label(RichText::new(t.wind_rose).strong());
            rose_ui(ui, scene, t, &report.rose, side);
        });
        ui.vertical(|ui| {
            ui.label(RichText::new(t.wind_arrows).strong());
            let height = (ui.available_height() - 20.0).max(160.0);
            interaction = speeds_ui(ui, scene, report, range, mean, gust, height);
        });
    });
    interaction.apply(history, scene);
}

/// The rose: one stacked wedge per direction, radius by frequency.
fn rose_ui(ui: &mut egui::Ui, scene: Scene<'_>, t: &HistoryText, rose: &WindRose, side: f32) {
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(side), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let centre = rect.center();
    let radius = side / 2.0 - 18.0;
    let biggest = Sector::all()
        .map(|s| rose.sector_frequency(s))
        .fold(0.0, f64::max);
    // Rings at round shares, so the eye can read a frequency off a wedge.
    let ring_step = if biggest > 0.2 { 0.1 } else { 0.05 };
    let scale = |share: f64| radius * (share / biggest.max(ring_step)).min(1.0) as f32;
    let mut share = ring_step;
    while share <= biggest + 1e-9 {
        painter.circle_stroke(centre, scale(share), Stroke::new(1.0, theme::CHART_GRID));
        // Ring labels along the south-east diagonal, clear of the compass letters.
        painter.text(
            centre + Vec2::angled(TAU / 8.0) * scale(share),
            egui::Align2::LEFT_TOP,
            format!("{:.0}%", share * 100.0),
            theme::small(),
            theme::INK_FAINT,
        );
        share += ring_step;
    }
    for sector in Sector::all() {
        // Screen angle of a compass bearing: north up, clockwise.
        let bearing = sector.centre_deg() as f32 / 360.0 * TAU;
        let half = TAU / 32.0 * 0.85;
        let mut inner = 0.0;
        for class in 0..rose.classes() {
            let outer = inner + rose.frequency(sector, class);
            if outer > inner {
                wedge(
                    &painter,
                    centre,
                    scale(inner),
                    scale(outer),
                    bearing,
                    half,
                    theme::wind_class_colour(class),
                );
            }
            inner = outer;
        }
    }
    for (deg, label) in [(0.0, 0), (90.0, 4), (180.0, 8), (270.0, 12)] {
        let angle = deg / 360.0 * TAU - FRAC_PI_2;
        let at = centre + Vec2::angled(angle) * (radius + 10.0);
        painter.text(
            at,
            egui::Align2::CENTER_CENTER,
            i18n::compass(scene.language, f64::from(label) * 22.5),
            theme::small(),
            theme::INK_MUTED,
        );
    }
    ui.label(
        RichText::new(format!(
            "{} {:.1}% · {} {}",
            t.wind_calm,
            rose.calm_frequency() * 100.0,
            rose.pairs(),
            t.wind_pairs
        ))
        .color(theme::INK_MUTED),
    );
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.wind_speed_classes).color(theme::INK_MUTED));
        for class in 0..rose.classes() {
            let Some((lo, hi)) = rose.class_range_ms(class) else {
                continue;
            };
            let label = hi.map_or_else(|| format!("≥{lo:.1}"), |hi| format!("{lo:.1}–{hi:.1}"));
            ui.label(RichText::new("■").color(theme::wind_class_colour(class)));
            ui.label(RichText::new(label).size(theme::SMALL_SIZE));
        }
    });
}

/// A ring segment around `bearing` (radians clockwise from north), `half` wide each side.
fn wedge(
    painter: &egui::Painter,
    centre: Pos2,
    inner: f32,
    outer: f32,
    bearing: f32,
    half: f32,
    fill: egui::Color32,
) {
    let point = |r: f32, a: f32| centre + Vec2::angled(a - FRAC_PI_2) * r;
    let steps = 4;
    let mut points = Vec::with_capacity(2 * steps + 2);
    for i in 0..=steps {
        let a = bearing - half + 2.0 * half * i as f32 / steps as f32;
        points.push(point(outer, a));
    }
    for i in (0..=steps).rev() {
        let a = bearing - half + 2.0 * half * i as f32 / steps as f32;
        points.push(point(inner.max(0.5), a));
    }
    painter.add(egui::Shape::convex_polygon(
        points,
        fill,
        Stroke::new(0.5, theme::SURFACE_RAISED),
    ));
}

/// Height of the band of mean-wind arrows above the speed chart (their own band, so the chart's
/// legend never covers them).
const ARROW_BAND: f32 = 24.0;

/// Mean wind and gust over time, with the slices' mean-wind arrows in a band along the top.
fn speeds_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    report: &WindReport,
    range: super::TimeRange,
    mean: Option<&SeriesGeometry>,
    gust: Option<&SeriesGeometry>,
    height: f32,
) -> Interaction {
    let x_range = hour_axis(range.from)..=hour_axis(range.to);
    let top = [mean, gust]
        .into_iter()
        .flatten()
        .filter_map(|g| g.raw.y_range.map(|r| r.1))
        .fold(4.0_f64, f64::max);
    let (band, _) = ui.allocate_exact_size(
        Vec2::new(ui.available_width(), ARROW_BAND),
        egui::Sense::hover(),
    );
    let response = chart_frame::plot("history wind", scene, "m/s", height - ARROW_BAND, true)
        .include_y(0.0)
        .include_y(top * 1.25)
        .show(ui, |plot_ui| {
            plot_ui.set_plot_bounds_x(x_range);
            for (geometry, element) in [(mean, Element::WinSAvg2mi), (gust, Element::WinSInstMax)] {
                let Some(geometry) = geometry else { continue };
                let name = i18n::element_name(scene.language, element);
                for segment in &geometry.raw.segments {
                    plot_ui.line(
                        egui_plot::Line::new(name, egui_plot::PlotPoints::Borrowed(segment))
                            .color(theme::series_colour(element))
                            .width(1.2),
                    );
                }
            }
        });
    // Arrows in screen space, so they point true whatever the axes' scales.
    let painter = ui.painter_at(band);
    let y = band.center().y;
    for (end, mean) in &report.arrows {
        let Some(from_deg) = mean.direction_deg else {
            continue;
        };
        let x = response.transform.position_from_point_x(hour_axis(*end)) - 3.0;
        // A wind from the north blows south: the arrow points down.
        let towards = (from_deg as f32 + 180.0) / 360.0 * TAU;
        let length = (6.0 + 2.0 * mean.speed_ms as f32).min(14.0);
        let tip = Vec2::angled(towards - FRAC_PI_2) * length;
        let base = Pos2::new(x, y) - tip / 2.0;
        painter.arrow(base, tip, Stroke::new(1.4, theme::WIND_ARROW));
    }
    chart_frame::interaction(&response.response, ui)
}
