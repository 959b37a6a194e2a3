//! The county map (walkers, no tiles): the county's own vector layers are the map. Stations
//! are coloured by a selectable element and marked when their data is stale; a click selects.

pub mod layers;
pub mod symbols;

mod draw;
mod overlays;
mod stations;

use std::collections::BTreeMap;

use egui::{Pos2, Rect, Vec2};
use walkers::{Map, MapMemory, Projector, lon_lat};

use super::{Scene, ViewState, theme, warnings};
use crate::console::state::Freshness;
use crate::domain::geo::LatLon;
use crate::domain::warning::Level;
use crate::domain::{Element, StationId, TownshipCode};

use layers::{StaticLayers, TownshipLayer};

/// What the station markers show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapElement {
    /// Air temperature.
    #[default]
    Temperature,
    /// One-hour precipitation.
    Rain1h,
    /// Two-minute mean wind, as barbs.
    Wind,
}

/// How temperatures are coloured: on the fixed −5…35 °C scale, or on one fitted to the values
/// on screen (a December day otherwise paints every marker the same blue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TemperatureScale {
    /// −5…35 °C, the same every day.
    #[default]
    Fixed,
    /// Whole degrees around the current values.
    Fitted,
}

/// The temperature range markers and legend use: fitted to the current stations' latest air
/// temperatures when asked and there are any, the fixed range otherwise.
pub fn temperature_range(scene: Scene<'_>, scale: TemperatureScale) -> (f64, f64) {
    let fitted = || {
        let state = scene.state;
        theme::fitted_temperature_range(
            state
                .network
                .stations
                .iter()
                .filter(|s| state.freshness(&s.id, scene.now) == Freshness::Current)
                .filter_map(|s| state.latest(&s.id, Element::Tem).map(|(_, v)| v)),
        )
    };
    match scale {
        TemperatureScale::Fixed => theme::TEMPERATURE_FIXED,
        TemperatureScale::Fitted => fitted().unwrap_or(theme::TEMPERATURE_FIXED),
    }
}

/// The map's view state and prepared geometry.
#[derive(Debug)]
pub struct MapView {
    /// What the markers show.
    pub element: MapElement,
    /// How temperature markers are coloured.
    pub temperature_scale: TemperatureScale,
    memory: MapMemory,
    layers: StaticLayers,
    townships: TownshipLayer,
    /// Where the map is centred while the user has not moved it.
    home: LatLon,
    /// The map rect the view was last fitted to; `None` once the user has zoomed or panned.
    fitted_for: Option<Rect>,
    /// Screen positions of the layers for the last view, reused while the view stands still.
    projected: draw::Projected,
    /// Townships under a warning in force and the level they are tinted in, as last drawn.
    warning_tints: BTreeMap<TownshipCode, Level>,
}

impl MapView {
    /// Loads the bundled layers; fits the county on first show.
    pub fn new() -> Self {
        Self {
            element: MapElement::default(),
            temperature_scale: TemperatureScale::default(),
            memory: MapMemory::default(),
            layers: StaticLayers::load(),
            townships: TownshipLayer::default(),
            home: LatLon::default(),
            fitted_for: Some(Rect::NOTHING),
            projected: draw::Projected::default(),
            warning_tints: BTreeMap::new(),
        }
    }

    /// The townships tinted for warnings in force in the last frame, and their levels (for
    /// tests and diagnostics).
    pub fn warning_tints(&self) -> &BTreeMap<TownshipCode, Level> {
        &self.warning_tints
    }

    /// The current zoom level (for tests and diagnostics).
    pub fn zoom(&self) -> f64 {
        self.memory.zoom()
    }
}

impl Default for MapView {
    fn default() -> Self {
        Self::new()
    }
}

/// Something the user did on the map, applied after it is drawn.
#[derive(Debug, Clone, PartialEq)]
enum MapAction {
    Select(StationId),
    Show(MapElement),
    Scale(TemperatureScale),
    ZoomIn,
    ZoomOut,
    Fit,
}

/// Fractional Web-Mercator x/y (0–1) of a position.
fn mercator(p: LatLon) -> (f64, f64) {
    let x = (p.lon + 180.0) / 360.0;
    let y = (1.0 - p.lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// The zoom at which `bounds` fills `size` less `padding` on each side (walkers' 256-pixel
/// tiles), within the zoom levels that make sense for a county.
pub fn fit_zoom(bounds: (LatLon, LatLon), size: Vec2, padding: f32) -> f64 {
    let ((x0, y0), (x1, y1)) = (mercator(bounds.0), mercator(bounds.1));
    let width = ((x1 - x0).abs() * 256.0).max(1e-9);
    let height = ((y1 - y0).abs() * 256.0).max(1e-9);
    let usable_x = f64::from((size.x - 2.0 * padding).max(16.0));
    let usable_y = f64::from((size.y - 2.0 * padding).max(16.0));
    (usable_x / width)
        .log2()
        .min((usable_y / height).log2())
        .clamp(6.0, 16.0)
}

fn inverse_mercator(x: f64, y: f64) -> LatLon {
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y))
        .sinh()
        .atan()
        .to_degrees();
    LatLon::new(lat, x * 360.0 - 180.0)
}

/// The position to put at the centre of `rect` so that the middle of `bounds` shows at the
/// centre of `inner` (the part of the map no overlay covers) at `zoom`.
pub fn home_for(bounds: (LatLon, LatLon), zoom: f64, rect: Rect, inner: Rect) -> LatLon {
    let ((x0, y0), (x1, y1)) = (mercator(bounds.0), mercator(bounds.1));
    let scale = 256.0 * 2f64.powf(zoom);
    let shift = rect.center() - inner.center();
    inverse_mercator(
        (x0 + x1) / 2.0 + f64::from(shift.x) / scale,
        (y0 + y1) / 2.0 + f64::from(shift.y) / scale,
    )
}

/// Projects a position to the screen.
fn project(projector: &Projector<'_>, p: LatLon) -> Pos2 {
    projector.project(lon_lat(p.lon, p.lat)).to_pos2()
}

/// Draws the map and applies what the user did on it.
pub fn map_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState) {
    let map = &mut view.map;
    let seats = layers::seats_of(&scene.state.network);
    if seats != map.townships.seats {
        map.townships = TownshipLayer::build(&map.layers, seats);
        map.projected = draw::Projected::default();
    }
    // The map takes all the space left; lay the overlays out first, to fit the county between.
    let rect = ui.available_rect_before_wrap();
    let colours = overlays::Colouring {
        element: map.element,
        scale: map.temperature_scale,
        temperature: temperature_range(scene, map.temperature_scale),
    };
    let overlay_layout = overlays::layout(ui, rect, colours, scene);
    let in_force = warnings::in_force::in_force(&scene.state.warnings.records, scene.now);
    map.warning_tints = warnings::in_force::township_tints(&in_force);
    if map.fitted_for.is_some_and(|fitted| fitted != rect) {
        fit(map, rect, overlay_layout.free_area());
    }
    let zoom_before = map.memory.zoom();
    let MapView {
        element,
        memory,
        layers,
        townships,
        projected,
        home,
        warning_tints,
        ..
    } = map;
    let selected = view.selected.clone();
    let response = Map::new(None, memory, lon_lat(home.lon, home.lat))
        .zoom_with_ctrl(false)
        .show(ui, |ui, _response, projector, _memory| {
            let rect = ui.max_rect();
            projected.update(projector, rect, layers, townships);
            let selected_township = selected
                .as_ref()
                .and_then(|id| scene.state.network.station(id))
                .map(|s| s.township);
            let mut taken: Vec<Rect> = overlay_layout.reserved().to_vec();
            let placed = stations::place_stations(
                ui,
                scene,
                projector,
                colours,
                selected.as_ref(),
                &mut taken,
            );
            draw::layers_ui(
                ui,
                layers,
                (townships, &*warning_tints),
                projected,
                selected_township,
            );
            draw::area_labels_ui(ui, scene, projector, layers, townships, &taken);
            let mut action = stations::stations_ui(ui, scene, placed, *element);
            if let Some(a) = overlays::overlays_ui(ui, scene, projector, colours, &overlay_layout) {
                action = Some(a);
            }
            action
        });
    response
        .response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, scene.text.map_name));
    let moved = response.response.dragged() || map.memory.zoom() != zoom_before;
    if moved {
        map.fitted_for = None;
    }
    match response.inner {
        Some(MapAction::Select(id)) => {
            view.selected = Some(id);
            view.scroll_list_to_selected = true;
        }
        Some(MapAction::Show(element)) => map.element = element,
        Some(MapAction::Scale(scale)) => map.temperature_scale = scale,
        Some(MapAction::ZoomIn) => {
            // At the deepest zoom there is nothing further to show; the button just stays put.
            let _ = map.memory.zoom_in();
            map.fitted_for = None;
        }
        Some(MapAction::ZoomOut) => {
            let _ = map.memory.zoom_out();
            map.fitted_for = None;
        }
        Some(MapAction::Fit) => fit(map, rect, overlay_layout.free_area()),
        None => {}
    }
}

/// Zooms and centres the map so the county fills `inner`, the part of `rect` the overlays
/// leave free, and keeps doing so when the map is resized until the user moves it.
fn fit(map: &mut MapView, rect: Rect, inner: Rect) {
    let zoom = fit_zoom(map.layers.bounds, inner.size(), 6.0);
    // `fit_zoom` clamps into walkers' valid range, so this cannot fail.
    let _ = map.memory.set_zoom(zoom);
    map.home = home_for(map.layers.bounds, zoom, rect, inner);
    map.memory.follow_my_position();
    map.fitted_for = Some(rect);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_zoom_makes_the_county_fill_the_map() {
        let bounds = (LatLon::new(25.76, 116.62), LatLon::new(26.38, 117.23));
        let size = Vec2::new(500.0, 700.0);
        let zoom = fit_zoom(bounds, size, 20.0);
        let ((x0, y0), (x1, y1)) = (mercator(bounds.0), mercator(bounds.1));
        let scale = 256.0 * 2f64.powf(zoom);
        let (w, h) = ((x1 - x0).abs() * scale, (y1 - y0).abs() * scale);
        assert!(w <= 460.0 + 1e-6 && h <= 660.0 + 1e-6, "{w}×{h}");
        assert!(
            (w - 460.0).abs() < 1e-3 || (h - 660.0).abs() < 1e-3,
            "one side is filled"
        );
        assert_eq!(fit_zoom(bounds, Vec2::ZERO, 20.0), 6.0, "clamped");
    }

    #[test]
    fn home_puts_the_county_in_the_middle_of_the_free_area() {
        let bounds = (LatLon::new(25.0, 116.0), LatLon::new(27.0, 118.0));
        let rect = Rect::from_min_size(Pos2::ZERO, Vec2::new(400.0, 600.0));
        let (x0, y0) = mercator(bounds.0);
        let (x1, y1) = mercator(bounds.1);
        let centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let c = home_for(bounds, 8.0, rect, rect);
        let (x, y) = mercator(c);
        assert!((x - centre.0).abs() < 1e-12 && (y - centre.1).abs() < 1e-12);

        // Free area 100 px higher than the map's middle: the county's middle must show there,
        // so the map centre is a point 100 px south of it.
        let inner = rect.translate(Vec2::new(0.0, -100.0));
        let c = home_for(bounds, 8.0, rect, inner);
        let (_, y) = mercator(c);
        assert!(((y - centre.1) * 256.0 * 2f64.powf(8.0) - 100.0).abs() < 1e-6);
    }
}
