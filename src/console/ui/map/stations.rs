//! Station markers on the map: coloured by the chosen element, struck through when stale,
//! wind as barbs; labels placed clear of each other; a click selects.

use std::sync::Arc;

use egui::text::LayoutJob;
use egui::{
    Color32, CornerRadius, FontId, Galley, Pos2, Rect, Sense, Shape, Stroke, TextFormat, vec2,
};
use walkers::Projector;

use super::overlays::Colouring;
use super::symbols::{self, CALM_BELOW_MS};
use super::{MapAction, MapElement, project};
use crate::console::state::Freshness;
use crate::console::ui::station_list::{report_age, station_details_ui};
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::{Element, Station, StationId, StationKind};

/// A wind barb's shaft, points.
const BARB_LENGTH: f32 = 26.0;

/// The station's latest mean wind: speed (m/s) and direction (degrees), if both are known.
fn wind(scene: Scene<'_>, station: &Station) -> Option<(f64, f64)> {
    let latest = |e| scene.state.latest(&station.id, e).map(|(_, v)| v);
    Some((latest(Element::WinSAvg2mi)?, latest(Element::WinDAvg2mi)?))
}

/// What a marker shows for one station.
struct MarkerLook {
    fill: Color32,
    value: Option<String>,
}

fn marker_look(scene: Scene<'_>, station: &Station, colours: Colouring) -> MarkerLook {
    let latest = |e| scene.state.latest(&station.id, e).map(|(_, v)| v);
    let element = colours.element;
    let (value, fill) = match element {
        MapElement::Temperature => (
            latest(Element::Tem),
            latest(Element::Tem).map(|v| theme::temperature_colour_in(v, colours.temperature)),
        ),
        MapElement::Rain1h => (
            latest(Element::Pre1h),
            latest(Element::Pre1h).map(|v| theme::class_colour(&theme::RAIN_1H_CLASSES, v)),
        ),
        MapElement::Wind => (
            latest(Element::WinSAvg2mi),
            latest(Element::WinSAvg2mi).map(|v| theme::class_colour(&theme::WIND_CLASSES, v)),
        ),
    };
    let unit = match element {
        MapElement::Temperature => "°",
        MapElement::Rain1h | MapElement::Wind => "",
    };
    MarkerLook {
        fill: fill.unwrap_or(theme::STALE),
        value: value.map(|v| format!("{v:.1}{unit}")),
    }
}

/// A station where it will be drawn, with its label already placed.
pub struct PlacedStation<'a> {
    station: &'a Station,
    at: Pos2,
    label: Rect,
    galley: Arc<Galley>,
    fill: Color32,
    stale: bool,
    selected: bool,
}

/// Places every visible station's marker and label, keeping labels off markers, off each
/// other and off `taken` (which gains every placed marker and label).
pub fn place_stations<'a>(
    ui: &egui::Ui,
    scene: Scene<'a>,
    projector: &Projector<'_>,
    colours: Colouring,
    selected: Option<&StationId>,
    taken: &mut Vec<Rect>,
) -> Vec<PlacedStation<'a>> {
    let rect = ui.max_rect();
    let painter = ui.painter();
    let radius = theme::MARKER_RADIUS;
    let visible: Vec<(&Station, Pos2)> = scene
        .state
        .network
        .stations
        .iter()
        // A greenhouse's inside air is not the county's weather: it has no place on the
        // weather map (the devices screen and the charts show it).
        .filter(|s| s.kind != StationKind::Greenhouse)
        .map(|s| (s, project(projector, s.location)))
        .filter(|(_, at)| rect.expand(40.0).contains(*at))
        .collect();
    // Markers first claim their own space, so no label covers another station.
    taken.extend(
        visible.iter().map(|(_, at)| {
            Rect::from_center_size(*at, vec2(2.0 * radius + 4.0, 2.0 * radius + 4.0))
        }),
    );
    // Wind barbs too: no station or township label may cross one.
    if colours.element == MapElement::Wind {
        taken.extend(visible.iter().filter_map(|(station, at)| {
            if scene.state.freshness(&station.id, scene.now) != Freshness::Current {
                return None;
            }
            let (speed, direction) = wind(scene, station)?;
            symbols::wind_bounds(speed, direction, radius, BARB_LENGTH)
                .map(|area| area.translate(at.to_vec2()))
        }));
    }
    // The selected station is labelled first (it gets the best spot) and drawn last (on top).
    let mut order = visible;
    order.sort_by_key(|(s, _)| selected != Some(&s.id));
    let mut placed: Vec<PlacedStation<'a>> = order
        .into_iter()
        .map(|(station, at)| {
            let freshness = scene.state.freshness(&station.id, scene.now);
            let look = marker_look(scene, station, colours);
            let is_selected = selected == Some(&station.id);
            let name = i18n::station_name(scene.language, station);
            let (detail, detail_colour) = match freshness {
                Freshness::Current => (look.value.unwrap_or_else(|| "—".to_owned()), theme::INK),
                Freshness::Syncing => (scene.text.syncing.to_owned(), theme::INK_MUTED),
                Freshness::Stale => (
                    format!("⚠ {}", report_age(scene, &station.id)),
                    theme::STATUS_ERROR,
                ),
            };
            let stale = freshness != Freshness::Current;
            // Name and value where there is room; where stations crowd, the value alone (the
            // hover card and the list still name it); if even that has no room, overlap.
            let bounds = rect.shrink(2.0);
            let gap = radius + 3.0;
            let full = painter.layout_job(label_job(name, &detail, detail_colour, is_selected));
            let (galley, label) =
                match symbols::try_place_label(at, full.size(), gap, bounds, taken) {
                    Some(spot) => (full, spot),
                    None => {
                        let short =
                            painter.layout_job(label_job("", &detail, detail_colour, is_selected));
                        match symbols::try_place_label(at, short.size(), gap, bounds, taken) {
                            Some(spot) => (short, spot),
                            None => {
                                let spot =
                                    symbols::place_label(at, full.size(), gap, bounds, taken);
                                (full, spot)
                            }
                        }
                    }
                };
            PlacedStation {
                station,
                at,
                label,
                galley,
                fill: if stale { theme::STALE } else { look.fill },
                stale,
                selected: is_selected,
            }
        })
        .collect();
    placed.reverse();
    placed
}

/// Paints placed stations and makes them clickable; returns a click on a station.
pub fn stations_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    placed: Vec<PlacedStation<'_>>,
    element: MapElement,
) -> Option<MapAction> {
    let painter = ui.painter_at(ui.max_rect());
    let radius = theme::MARKER_RADIUS;
    let mut action = None;
    for p in placed {
        if element == MapElement::Wind && !p.stale {
            paint_wind(&painter, scene, p.station, p.at, p.fill);
        }
        paint_marker(&painter, p.station.kind, p.at, radius, p.fill, p.stale);
        if p.selected {
            painter.circle_stroke(p.at, radius + 4.0, Stroke::new(2.5, theme::ACCENT));
        }
        painter.rect_filled(
            p.label.expand(1.5),
            CornerRadius::same(3),
            theme::MAP_LABEL_HALO,
        );
        painter.galley(p.label.min, p.galley, theme::INK);

        let hit = Rect::from_center_size(p.at, vec2(2.0 * radius + 8.0, 2.0 * radius + 8.0))
            .union(p.label);
        let response = ui.interact(
            hit,
            ui.scope_id().with(("station", p.station.id.as_str())),
            Sense::click(),
        );
        let accessible = format!(
            "{} · {}",
            i18n::station_name(scene.language, p.station),
            p.station.id
        );
        response.widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::Button, true, p.selected, &accessible)
        });
        if response.clicked() {
            action = Some(MapAction::Select(p.station.id.clone()));
        }
        response.on_hover_ui(|ui| station_details_ui(ui, scene, p.station));
    }
    action
}

fn label_job(name: &str, detail: &str, detail_colour: Color32, selected: bool) -> LayoutJob {
    let mut job = LayoutJob::default();
    job.append(
        name,
        0.0,
        TextFormat {
            font_id: theme::map_label(),
            color: if selected {
                theme::ACCENT
            } else {
                theme::INK_MUTED
            },
            ..Default::default()
        },
    );
    job.append(
        detail,
        if name.is_empty() { 0.0 } else { 4.0 },
        TextFormat {
            font_id: FontId::proportional(theme::MAP_LABEL_SIZE + 0.5),
            color: detail_colour,
            ..Default::default()
        },
    );
    job
}

fn paint_marker(
    painter: &egui::Painter,
    kind: StationKind,
    at: Pos2,
    radius: f32,
    fill: Color32,
    stale: bool,
) {
    let stroke = Stroke::new(
        1.2,
        if stale {
            theme::INK_MUTED
        } else {
            theme::MAP_MARKER_STROKE
        },
    );
    match kind {
        // The national station is a square, as on CMA station maps.
        StationKind::National => {
            let square = Rect::from_center_size(at, vec2(2.0 * radius, 2.0 * radius));
            painter.rect(
                square,
                CornerRadius::same(1),
                fill,
                stroke,
                egui::StrokeKind::Middle,
            );
        }
        StationKind::Regional => {
            painter.circle(at, radius, fill, stroke);
        }
        // A garden or greenhouse site is a diamond: not a standard site, read with care.
        StationKind::Garden | StationKind::Greenhouse => {
            let r = radius * 1.15;
            let diamond = vec![
                at + vec2(0.0, -r),
                at + vec2(r, 0.0),
                at + vec2(0.0, r),
                at + vec2(-r, 0.0),
            ];
            painter.add(Shape::convex_polygon(diamond, fill, stroke));
        }
    }
    if stale {
        painter.line_segment(
            [
                at + vec2(-radius * 0.6, -radius * 0.6),
                at + vec2(radius * 0.6, radius * 0.6),
            ],
            Stroke::new(1.4, theme::INK_MUTED),
        );
    }
}

fn paint_wind(
    painter: &egui::Painter,
    scene: Scene<'_>,
    station: &Station,
    at: Pos2,
    colour: Color32,
) {
    let Some((speed, direction)) = wind(scene, station) else {
        return;
    };
    let stroke = Stroke::new(1.6, theme::MAP_MARKER_STROKE);
    if speed < CALM_BELOW_MS {
        painter.circle_stroke(at, theme::MARKER_RADIUS + 3.0, stroke);
        return;
    }
    let shape = symbols::barb(speed, direction, theme::MARKER_RADIUS, BARB_LENGTH);
    for [a, b] in shape.lines {
        painter.line_segment([at + a, at + b], stroke);
    }
    for [a, b, c] in shape.triangles {
        painter.add(Shape::convex_polygon(
            vec![at + a, at + b, at + c],
            colour,
            stroke,
        ));
    }
}
