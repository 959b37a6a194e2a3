//! The county's own vector layers, which are the map (there is no basemap): county outline,
//! neighbouring counties, rivers, places, and approximate township areas. Everything here is
//! computed once in longitude/latitude — parsing, clipping, Voronoi cells, triangulation — so
//! that a frame only has to project vertices.

use crate::assets;
use crate::domain::geo::{
    self, LatLon, NamedLine, Polygon, Ring, areas_from_geojson, lines_from_geojson,
};
use crate::domain::{Network, TownshipCode};

/// How far beyond the county's bounding box (degrees) neighbours and rivers are kept.
const CONTEXT_MARGIN_DEG: f64 = 0.25;

/// A filled area as triangles over its own vertices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FillMesh {
    /// Vertices in longitude/latitude.
    pub vertices: Vec<LatLon>,
    /// Triangles, three indices into `vertices` each.
    pub indices: Vec<u32>,
}

impl FillMesh {
    /// Triangulates rings (each closed implicitly; seams of zero width are fine) one by one.
    pub fn from_rings<'a>(rings: impl IntoIterator<Item = &'a Ring>) -> Self {
        let mut earcut = earcut::Earcut::new();
        let mut mesh = Self::default();
        let mut triangles: Vec<u32> = Vec::new();
        for ring in rings {
            let offset = mesh.vertices.len() as u32;
            earcut.earcut(ring.iter().map(|p| [p.lon, p.lat]), &[], &mut triangles);
            mesh.indices.extend(triangles.iter().map(|i| i + offset));
            mesh.vertices.extend_from_slice(ring);
        }
        mesh
    }
}

/// A neighbouring county: outline and where its name goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    /// Name as in the data, e.g. 宁化县.
    pub name: String,
    /// Outer rings.
    pub rings: Vec<Ring>,
    /// Where to put the name.
    pub label_at: LatLon,
}

/// A river and where its name goes.
#[derive(Debug, Clone, PartialEq)]
pub struct RiverLabel {
    /// Name as in the data.
    pub name: String,
    /// Where to put it.
    pub at: LatLon,
}

/// Layers that depend only on the bundled assets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticLayers {
    /// The county outline.
    pub county: Vec<Polygon>,
    /// The county's land, triangulated.
    pub county_fill: FillMesh,
    /// The county's bounding box (south-west, north-east).
    pub bounds: (LatLon, LatLon),
    /// Counties around it, for orientation.
    pub neighbours: Vec<Neighbour>,
    /// River reaches near the county.
    pub rivers: Vec<NamedLine>,
    /// One label per named river.
    pub river_labels: Vec<RiverLabel>,
    /// GeoNames places in the county (pinyin names).
    pub places: Vec<(LatLon, String)>,
    /// Layers that could not be read, and why.
    pub errors: Vec<String>,
}

/// Qingliu's extent when the outline itself cannot be read.
const FALLBACK_BOUNDS: (LatLon, LatLon) = (LatLon::new(25.76, 116.62), LatLon::new(26.38, 117.23));

impl StaticLayers {
    /// Reads and prepares the bundled layers. A layer that cannot be read is left empty and
    /// named in `errors`, so the map still shows what it can and says what is missing.
    pub fn load() -> Self {
        let mut errors = Vec::new();
        let county: Vec<Polygon> = match areas_from_geojson(assets::COUNTY_OUTLINE_GEOJSON) {
            Ok(areas) => areas.into_iter().flat_map(|a| a.polygons).collect(),
            Err(e) => {
                errors.push(format!("county outline: {e}"));
                Vec::new()
            }
        };
        let bounds = geo::bounds(county.iter().flat_map(|p| p.exterior.iter().copied()))
            .unwrap_or(FALLBACK_BOUNDS);
        let near = |p: &LatLon| {
            p.lat > bounds.0.lat - CONTEXT_MARGIN_DEG
                && p.lat < bounds.1.lat + CONTEXT_MARGIN_DEG
                && p.lon > bounds.0.lon - CONTEXT_MARGIN_DEG
                && p.lon < bounds.1.lon + CONTEXT_MARGIN_DEG
        };
        let county_name = areas_from_geojson(assets::COUNTY_OUTLINE_GEOJSON)
            .ok()
            .and_then(|a| a.into_iter().next())
            .map(|a| a.name)
            .unwrap_or_default();
        let neighbours = match areas_from_geojson(assets::SANMING_COUNTIES_GEOJSON) {
            Ok(areas) => areas
                .into_iter()
                .filter(|a| a.name != county_name)
                .filter(|a| a.polygons.iter().any(|p| p.exterior.iter().any(near)))
                .map(|a| {
                    let rings: Vec<Ring> = a.polygons.into_iter().map(|p| p.exterior).collect();
                    let label_at = neighbour_label_position(&rings, bounds);
                    Neighbour {
                        name: a.name,
                        rings,
                        label_at,
                    }
                })
                .collect(),
            Err(e) => {
                errors.push(format!("Sanming counties: {e}"));
                Vec::new()
            }
        };
        let rivers: Vec<NamedLine> = match lines_from_geojson(assets::RIVERS_GEOJSON) {
            Ok(lines) => lines
                .into_iter()
                .filter(|l| l.points.iter().any(near))
                .collect(),
            Err(e) => {
                errors.push(format!("rivers: {e}"));
                Vec::new()
            }
        };
        let river_labels = river_labels(&rivers, &county);
        let places = match read_places(assets::PLACES_CSV) {
            Ok(places) => places,
            Err(e) => {
                errors.push(format!("places: {e}"));
                Vec::new()
            }
        };
        Self {
            county_fill: FillMesh::from_rings(county.iter().map(|p| &p.exterior)),
            county,
            bounds,
            neighbours,
            rivers,
            river_labels,
            places,
            errors,
        }
    }

    /// Whether `p` is inside the county.
    pub fn in_county(&self, p: LatLon) -> bool {
        self.county.iter().any(|poly| poly.contains(p))
    }
}

/// The label of a neighbouring county: the vertex-average of the part of it nearest the
/// county, pulled towards the county so the name shows at the map's edge.
fn neighbour_label_position(rings: &[Ring], bounds: (LatLon, LatLon)) -> LatLon {
    let centre = LatLon::new(
        (bounds.0.lat + bounds.1.lat) / 2.0,
        (bounds.0.lon + bounds.1.lon) / 2.0,
    );
    let points: Vec<LatLon> = rings.iter().flatten().copied().collect();
    let count = points.len().max(1) as f64;
    let mean = LatLon::new(
        points.iter().map(|p| p.lat).sum::<f64>() / count,
        points.iter().map(|p| p.lon).sum::<f64>() / count,
    );
    // A third of the way from the neighbour's middle towards Qingliu's middle lands inside the
    // neighbour near the shared border for every county around Qingliu.
    let pulled = LatLon::new(
        mean.lat + (centre.lat - mean.lat) / 3.0,
        mean.lon + (centre.lon - mean.lon) / 3.0,
    );
    if rings.iter().any(|r| geo::ring_contains(r, pulled)) {
        pulled
    } else {
        mean
    }
}

/// One label per river name, at the middle vertex of its longest stretch inside the county.
fn river_labels(rivers: &[NamedLine], county: &[Polygon]) -> Vec<RiverLabel> {
    let mut labels: Vec<RiverLabel> = Vec::new();
    let mut best_len: Vec<usize> = Vec::new();
    for river in rivers.iter().filter(|r| !r.name.is_empty()) {
        let inside: Vec<LatLon> = river
            .points
            .iter()
            .copied()
            .filter(|p| county.iter().any(|poly| poly.contains(*p)))
            .collect();
        if inside.is_empty() {
            continue;
        }
        let at = inside[inside.len() / 2];
        match labels.iter().position(|l| l.name == river.name) {
            Some(i) if best_len[i] < inside.len() => {
                labels[i].at = at;
                best_len[i] = inside.len();
            }
            Some(_) => {}
            None => {
                labels.push(RiverLabel {
                    name: river.name.clone(),
                    at,
                });
                best_len.push(inside.len());
            }
        }
    }
    labels
}

/// Reads `lat,lon,geonames_name` rows.
fn read_places(text: &str) -> Result<Vec<(LatLon, String)>, csv::Error> {
    #[derive(serde::Deserialize)]
    struct Row {
        lat: f64,
        lon: f64,
        geonames_name: String,
    }
    csv::Reader::from_reader(text.as_bytes())
        .deserialize::<Row>()
        .map(|row| row.map(|r| (LatLon::new(r.lat, r.lon), r.geonames_name)))
        .collect()
}

/// One approximate township area.
#[derive(Debug, Clone, PartialEq)]
pub struct TownshipCell {
    /// Which township.
    pub code: TownshipCode,
    /// The area, triangulated.
    pub fill: FillMesh,
    /// Where its name goes.
    pub label_at: LatLon,
}

/// Approximate township areas: Voronoi cells of the seats, clipped to the county.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TownshipLayer {
    /// The seats this layer was built from, to tell when the network changed.
    pub seats: Vec<(TownshipCode, LatLon)>,
    /// One cell per township.
    pub cells: Vec<TownshipCell>,
    /// Borders between cells (never along the county outline), as segments.
    pub borders: Vec<[LatLon; 2]>,
}

/// The seats a township layer is built from.
pub fn seats_of(network: &Network) -> Vec<(TownshipCode, LatLon)> {
    network.townships.iter().map(|t| (t.code, t.seat)).collect()
}

impl TownshipLayer {
    /// Builds the cells for the network's township seats.
    pub fn build(county: &StaticLayers, seats: Vec<(TownshipCode, LatLon)>) -> Self {
        let points: Vec<LatLon> = seats.iter().map(|&(_, p)| p).collect();
        let cells_rings = geo::voronoi_cells(&county.county, &points);
        let mut borders = Vec::new();
        let cells = seats
            .iter()
            .zip(&cells_rings)
            .map(|(&(code, seat), rings)| {
                for ring in rings {
                    borders.extend(interior_edges(ring, county));
                }
                TownshipCell {
                    code,
                    fill: FillMesh::from_rings(rings),
                    label_at: label_position(rings, seat),
                }
            })
            .collect();
        Self {
            seats,
            cells,
            borders,
        }
    }
}

/// The edges of a cell that run through the county's interior: its borders with other cells.
/// Edges along the outline (drawn as the outline) and the zero-width seams clipping leaves
/// across notches outside the county both have midpoints that are not strictly inside.
fn interior_edges<'a>(
    ring: &'a Ring,
    county: &'a StaticLayers,
) -> impl Iterator<Item = [LatLon; 2]> + 'a {
    ring.iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(&a, &b)| [a, b])
        .filter(|[a, b]| {
            let mid = LatLon::new((a.lat + b.lat) / 2.0, (a.lon + b.lon) / 2.0);
            // Shift the probe a hair sideways too: a midpoint exactly on the outline counts
            // as inside or outside arbitrarily, a probe on both sides settles it.
            let (dlat, dlon) = ((b.lon - a.lon) * 1e-4, (a.lat - b.lat) * 1e-4);
            let left = LatLon::new(mid.lat + dlat, mid.lon + dlon);
            let right = LatLon::new(mid.lat - dlat, mid.lon - dlon);
            county.in_county(left) && county.in_county(right)
        })
}

/// Where a township's name goes: the area-weighted centre of its largest ring when that lies
/// inside the ring, else the seat.
fn label_position(rings: &[Ring], seat: LatLon) -> LatLon {
    let Some(largest) = rings.iter().max_by(|a, b| {
        geo::ring_area_km2(a)
            .partial_cmp(&geo::ring_area_km2(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    }) else {
        return seat;
    };
    match centroid(largest) {
        Some(c) if geo::ring_contains(largest, c) => c,
        _ => seat,
    }
}

/// Area-weighted centroid of a ring (planar in lon/lat, fine at county scale).
fn centroid(ring: &[LatLon]) -> Option<LatLon> {
    let (mut area2, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for (a, b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
        let cross = a.lon * b.lat - b.lon * a.lat;
        area2 += cross;
        cx += (a.lon + b.lon) * cross;
        cy += (a.lat + b.lat) * cross;
    }
    (area2.abs() > 1e-12).then(|| LatLon::new(cy / (3.0 * area2), cx / (3.0 * area2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(size: f64) -> Ring {
        vec![
            LatLon::new(0.0, 0.0),
            LatLon::new(0.0, size),
            LatLon::new(size, size),
            LatLon::new(size, 0.0),
        ]
    }

    #[test]
    fn triangulates_a_square_into_two_triangles() {
        let mesh = FillMesh::from_rings([&square(1.0)]);
        assert_eq!(mesh.vertices.len(), 4);
        assert_eq!(mesh.indices.len(), 6);
    }

    #[test]
    fn centroid_of_a_square_is_its_middle() {
        let c = centroid(&square(2.0)).unwrap();
        assert!((c.lat - 1.0).abs() < 1e-9 && (c.lon - 1.0).abs() < 1e-9);
        assert_eq!(
            centroid(&[LatLon::new(0.0, 0.0), LatLon::new(1.0, 1.0)]),
            None
        );
    }

    #[test]
    fn bundled_layers_load_without_errors() {
        let layers = StaticLayers::load();
        assert!(layers.errors.is_empty(), "{:?}", layers.errors);
        assert!(!layers.county.is_empty());
        assert!(!layers.county_fill.indices.is_empty());
        assert!(layers.neighbours.iter().any(|n| n.name == "宁化县"));
        assert!(layers.neighbours.iter().all(|n| n.name != "清流县"));
        assert!(!layers.rivers.is_empty());
        assert!(!layers.river_labels.is_empty());
        assert!(layers.places.len() >= 10);
    }

    #[test]
    fn township_cells_cover_the_county_and_hold_their_seats() {
        let layers = StaticLayers::load();
        let network = assets::qingliu_network().unwrap();
        let townships = TownshipLayer::build(&layers, seats_of(&network));
        assert_eq!(townships.cells.len(), network.townships.len());
        let triangle_area = |mesh: &FillMesh| -> f64 {
            mesh.indices
                .chunks(3)
                .map(|t| {
                    let [a, b, c] = [0, 1, 2].map(|k| mesh.vertices[t[k] as usize]);
                    geo::ring_area_km2(&[a, b, c])
                })
                .sum()
        };
        let county_area = triangle_area(&layers.county_fill);
        let cells_area: f64 = townships.cells.iter().map(|c| triangle_area(&c.fill)).sum();
        // Qingliu is 1,825 km²; the cells must tile it.
        assert!((1700.0..1950.0).contains(&county_area), "{county_area}");
        assert!(
            (cells_area - county_area).abs() / county_area < 0.01,
            "{cells_area} vs {county_area}"
        );
        for cell in &townships.cells {
            assert!(layers.in_county(cell.label_at), "{}", cell.code);
        }
        assert!(!townships.borders.is_empty());
        for [a, b] in &townships.borders {
            let mid = LatLon::new((a.lat + b.lat) / 2.0, (a.lon + b.lon) / 2.0);
            assert!(layers.in_county(mid));
        }
    }
}
