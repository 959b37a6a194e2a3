//! Painting the map's layers from prepared geometry, and the names of areas, rivers and places.

use std::collections::BTreeMap;

use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{Color32, CornerRadius, FontId, Pos2, Rect, Shape, Stroke};
use walkers::Projector;

use super::layers::{FillMesh, StaticLayers, TownshipLayer};
use super::{project, symbols};
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::TownshipCode;
use crate::domain::warning::Level;

/// Screen positions of every layer vertex for one view (zoom, centre, rect).
#[derive(Debug, Default)]
pub struct Projected {
    key: Option<(u64, [u32; 2], [u32; 4])>,
    county_fill: Vec<Pos2>,
    county_rings: Vec<Vec<Pos2>>,
    neighbours: Vec<Vec<Pos2>>,
    rivers: Vec<Vec<Pos2>>,
    township_fills: Vec<Vec<Pos2>>,
    township_borders: Vec<Pos2>,
}

impl Projected {
    /// Re-projects the layers if the view changed since the last frame.
    pub fn update(
        &mut self,
        projector: &Projector<'_>,
        rect: Rect,
        layers: &StaticLayers,
        townships: &TownshipLayer,
    ) {
        // Where one fixed point lands, with the zoom and the rect, pins the whole view.
        let probe = project(projector, layers.bounds.0);
        let key = (
            projector.zoom().to_bits(),
            [probe.x.to_bits(), probe.y.to_bits()],
            [
                rect.min.x.to_bits(),
                rect.min.y.to_bits(),
                rect.max.x.to_bits(),
                rect.max.y.to_bits(),
            ],
        );
        if self.key == Some(key) {
            return;
        }
        let p = |ll| project(projector, ll);
        self.key = Some(key);
        self.county_fill = layers.county_fill.vertices.iter().map(|&v| p(v)).collect();
        self.county_rings = layers
            .county
            .iter()
            .map(|poly| poly.exterior.iter().map(|&v| p(v)).collect())
            .collect();
        self.neighbours = layers
            .neighbours
            .iter()
            .flat_map(|n| &n.rings)
            .map(|ring| ring.iter().map(|&v| p(v)).collect())
            .collect();
        self.rivers = layers
            .rivers
            .iter()
            .map(|line| line.points.iter().map(|&v| p(v)).collect())
            .collect();
        self.township_fills = townships
            .cells
            .iter()
            .map(|cell| cell.fill.vertices.iter().map(|&v| p(v)).collect())
            .collect();
        self.township_borders = townships
            .borders
            .iter()
            .flat_map(|[a, b]| [p(*a), p(*b)])
            .collect();
    }
}

fn fill_shape(mesh: &FillMesh, positions: &[Pos2], colour: Color32) -> Shape {
    Shape::mesh(Mesh {
        vertices: positions
            .iter()
            .map(|&pos| Vertex {
                pos,
                uv: WHITE_UV,
                color: colour,
            })
            .collect(),
        indices: mesh.indices.clone(),
        ..Default::default()
    })
}

/// Paints the static layers and the township areas, those under a warning in force tinted in
/// its level's colour.
pub fn layers_ui(
    ui: &egui::Ui,
    layers: &StaticLayers,
    (townships, tints): (&TownshipLayer, &BTreeMap<TownshipCode, Level>),
    projected: &Projected,
    selected_township: Option<TownshipCode>,
) {
    let painter = ui.painter_at(ui.max_rect());
    let rect = ui.max_rect();
    painter.rect_filled(rect, 0.0, theme::MAP_OUTSIDE);
    let mut shapes = Vec::new();
    for ring in &projected.neighbours {
        shapes.push(Shape::closed_line(
            ring.clone(),
            Stroke::new(1.0, theme::MAP_NEIGHBOUR_LINE),
        ));
    }
    shapes.push(fill_shape(
        &layers.county_fill,
        &projected.county_fill,
        theme::MAP_LAND,
    ));
    if let Some(code) = selected_township
        && let Some((cell, positions)) = townships
            .cells
            .iter()
            .zip(&projected.township_fills)
            .find(|(cell, _)| cell.code == code)
    {
        shapes.push(fill_shape(
            &cell.fill,
            positions,
            theme::MAP_TOWNSHIP_SELECTED,
        ));
    }
    // Over the selection's highlight: translucent, so a selected township under a warning
    // still reads as selected.
    for (cell, positions) in townships.cells.iter().zip(&projected.township_fills) {
        if let Some(&level) = tints.get(&cell.code) {
            shapes.push(fill_shape(&cell.fill, positions, theme::signal_tint(level)));
        }
    }
    for segment in projected.township_borders.chunks_exact(2) {
        Shape::dashed_line_many(
            segment,
            Stroke::new(1.0, theme::MAP_TOWNSHIP_LINE),
            5.0,
            3.0,
            &mut shapes,
        );
    }
    for line in &projected.rivers {
        shapes.push(Shape::line(
            line.clone(),
            Stroke::new(1.6, theme::MAP_RIVER),
        ));
    }
    for ring in &projected.county_rings {
        shapes.push(Shape::closed_line(
            ring.clone(),
            Stroke::new(2.0, theme::MAP_COUNTY_LINE),
        ));
    }
    painter.extend(shapes);
}

/// Paints the names of neighbouring counties, rivers and townships where they do not cover a
/// station, its label or an overlay (`taken`); a name that fits nowhere is left out.
pub fn area_labels_ui(
    ui: &egui::Ui,
    scene: Scene<'_>,
    projector: &Projector<'_>,
    layers: &StaticLayers,
    townships: &TownshipLayer,
    taken: &[Rect],
) {
    let rect = ui.max_rect();
    let painter = ui.painter_at(rect);
    let language = scene.language;
    let bounds = rect.shrink(4.0);
    let mut taken = taken.to_vec();
    let mut label = |at: Pos2, text: &str, font: FontId, colour: Color32, halo: bool| {
        let galley = painter.layout_no_wrap(text.to_owned(), font, colour);
        let Some(spot) = symbols::place_free(at, galley.size(), bounds, &mut taken) else {
            return;
        };
        if halo {
            painter.rect_filled(
                spot.expand(1.5),
                CornerRadius::same(3),
                theme::MAP_LABEL_HALO,
            );
        }
        painter.galley(spot.min, galley, colour);
    };
    for neighbour in &layers.neighbours {
        label(
            project(projector, neighbour.label_at),
            i18n::county_name(language, &neighbour.name),
            FontId::proportional(theme::BODY_SIZE),
            theme::MAP_NEIGHBOUR_LABEL,
            false,
        );
    }
    for cell in &townships.cells {
        if let Some(township) = scene.state.network.township(cell.code) {
            label(
                project(projector, cell.label_at),
                &i18n::township_short_name(language, township),
                theme::map_label(),
                theme::MAP_TOWNSHIP_LABEL,
                false,
            );
        }
    }
    for river in &layers.river_labels {
        label(
            project(projector, river.at),
            i18n::river_name(language, &river.name),
            theme::small(),
            theme::MAP_RIVER_LABEL,
            true,
        );
    }
    // Villages and township seats (GeoNames, pinyin names) once zoomed in past the county view.
    if projector.zoom() >= PLACES_FROM_ZOOM {
        for (at, name) in &layers.places {
            let at = project(projector, *at);
            if !bounds.contains(at) {
                continue;
            }
            painter.circle_filled(at, 2.5, theme::MAP_PLACE);
            let galley = painter.layout_no_wrap(name.clone(), theme::small(), theme::MAP_PLACE);
            if let Some(spot) = symbols::try_place_label(at, galley.size(), 3.0, bounds, &mut taken)
            {
                painter.galley(spot.min, galley, theme::MAP_PLACE);
            }
        }
    }
}

/// Places are drawn from this zoom on: about one zoom level closer than the whole county.
const PLACES_FROM_ZOOM: f64 = 11.0;
