//! Geometry on the county's scale: WGS84/CGCS2000 points, polygons read from GeoJSON,
//! point-in-polygon, distances, and approximate township areas (Voronoi cells of the seats
//! clipped to the county outline).

use serde::{Deserialize, Serialize};

/// A WGS84/CGCS2000 position in degrees. (CGCS2000 and WGS84 agree to < 1 m here.)
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

impl LatLon {
    /// A position from latitude and longitude.
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Great-circle distance in km (R = 6371 km).
    pub fn distance_km(self, other: Self) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6371.0 * a.sqrt().asin()
    }
}

/// A closed ring of positions (the last point need not repeat the first).
pub type Ring = Vec<LatLon>;

/// A polygon: one outer ring and any holes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Polygon {
    /// The outer boundary.
    pub exterior: Ring,
    /// Holes cut out of it.
    pub holes: Vec<Ring>,
}

/// A named line, e.g. a river reach.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NamedLine {
    /// Name, possibly empty.
    pub name: String,
    /// The vertices.
    pub points: Vec<LatLon>,
}

/// A named area, e.g. a county.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NamedArea {
    /// Name, possibly empty.
    pub name: String,
    /// Its polygons.
    pub polygons: Vec<Polygon>,
}

/// A GeoJSON file this module cannot read.
#[derive(Debug, thiserror::Error)]
pub enum GeoJsonError {
    /// Not JSON, or not shaped like GeoJSON.
    #[error("not GeoJSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A geometry that is not a (multi)polygon or (multi)line string.
    #[error("unsupported geometry type {0:?}")]
    UnsupportedGeometry(String),
}

#[derive(Deserialize)]
struct FeatureCollection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    properties: serde_json::Map<String, serde_json::Value>,
    geometry: Geometry,
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
    LineString(Vec<[f64; 2]>),
    MultiLineString(Vec<Vec<[f64; 2]>>),
}

fn ring(coords: Vec<[f64; 2]>) -> Ring {
    let mut ring: Ring = coords
        .into_iter()
        .map(|[lon, lat]| LatLon::new(lat, lon))
        .collect();
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    ring
}

fn polygon(rings: Vec<Vec<[f64; 2]>>) -> Polygon {
    let mut rings = rings.into_iter().map(ring);
    Polygon {
        exterior: rings.next().unwrap_or_default(),
        holes: rings.collect(),
    }
}

fn feature_name(properties: &serde_json::Map<String, serde_json::Value>) -> String {
    ["name", "NAME"]
        .iter()
        .find_map(|key| properties.get(*key).and_then(|v| v.as_str()))
        .unwrap_or_default()
        .to_owned()
}

/// Reads the (multi)polygon features of a GeoJSON `FeatureCollection`, named by their `name`
/// or `NAME` property.
pub fn areas_from_geojson(text: &str) -> Result<Vec<NamedArea>, GeoJsonError> {
    let collection: FeatureCollection = serde_json::from_str(text)?;
    collection
        .features
        .into_iter()
        .map(|feature| {
            let polygons = match feature.geometry {
                Geometry::Polygon(rings) => vec![polygon(rings)],
                Geometry::MultiPolygon(polys) => polys.into_iter().map(polygon).collect(),
                Geometry::LineString(_) => {
                    return Err(GeoJsonError::UnsupportedGeometry("LineString".into()));
                }
                Geometry::MultiLineString(_) => {
                    return Err(GeoJsonError::UnsupportedGeometry("MultiLineString".into()));
                }
            };
            Ok(NamedArea {
                name: feature_name(&feature.properties),
                polygons,
            })
        })
        .collect()
}

/// Reads the line features of a GeoJSON `FeatureCollection` (multi-lines become several lines).
pub fn lines_from_geojson(text: &str) -> Result<Vec<NamedLine>, GeoJsonError> {
    let collection: FeatureCollection = serde_json::from_str(text)?;
    let mut lines = Vec::new();
    for feature in collection.features {
        let name = feature_name(&feature.properties);
        let parts = match feature.geometry {
            Geometry::LineString(coords) => vec![coords],
            Geometry::MultiLineString(parts) => parts,
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
                return Err(GeoJsonError::UnsupportedGeometry("Polygon".into()));
            }
        };
        lines.extend(parts.into_iter().map(|coords| {
            NamedLine {
                name: name.clone(),
                points: coords
                    .into_iter()
                    .map(|[lon, lat]| LatLon::new(lat, lon))
                    .collect(),
            }
        }));
    }
    Ok(lines)
}

/// Whether `p` lies inside `ring` (even-odd rule; points on the edge may go either way).
pub fn ring_contains(ring: &[LatLon], p: LatLon) -> bool {
    let mut inside = false;
    let mut j = ring.len().wrapping_sub(1);
    for (i, a) in ring.iter().enumerate() {
        let b = ring[j];
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let lon_at = a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon);
            if p.lon < lon_at {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

impl Polygon {
    /// Whether `p` is inside the outer ring and outside every hole.
    pub fn contains(&self, p: LatLon) -> bool {
        ring_contains(&self.exterior, p) && !self.holes.iter().any(|h| ring_contains(h, p))
    }
}

/// The bounding box of some positions: (south-west, north-east).
pub fn bounds(points: impl IntoIterator<Item = LatLon>) -> Option<(LatLon, LatLon)> {
    points.into_iter().fold(None, |acc, p| {
        Some(match acc {
            None => (p, p),
            Some((sw, ne)) => (
                LatLon::new(sw.lat.min(p.lat), sw.lon.min(p.lon)),
                LatLon::new(ne.lat.max(p.lat), ne.lon.max(p.lon)),
            ),
        })
    })
}

/// Keeps the part of `ring` where `side(p) <= 0`, for a `side` linear in `p`
/// (Sutherland–Hodgman against one half-plane). A concave ring cut into pieces comes back as
/// one ring joined by zero-width seams along the cut, which fills and outlines correctly.
fn clip_ring(ring: &[LatLon], side: impl Fn(LatLon) -> f64) -> Ring {
    let mut out = Vec::with_capacity(ring.len() + 4);
    for (i, &current) in ring.iter().enumerate() {
        let previous = ring[(i + ring.len() - 1) % ring.len()];
        let (sc, sp) = (side(current), side(previous));
        if (sc <= 0.0) != (sp <= 0.0) {
            let t = sp / (sp - sc);
            out.push(LatLon::new(
                previous.lat + t * (current.lat - previous.lat),
                previous.lon + t * (current.lon - previous.lon),
            ));
        }
        if sc <= 0.0 {
            out.push(current);
        }
    }
    out
}

/// Approximate areas for each seat: the Voronoi cell of `seats[i]` clipped to `outline`.
/// Distances use an equirectangular projection around the seats, which at county scale is
/// within a fraction of a percent of geodesic. These are not official boundaries.
pub fn voronoi_cells(outline: &[Polygon], seats: &[LatLon]) -> Vec<Vec<Ring>> {
    let lat0 = seats.iter().map(|s| s.lat).sum::<f64>() / seats.len().max(1) as f64;
    let kx = lat0.to_radians().cos();
    let xy = |p: LatLon| (p.lon * kx, p.lat);
    seats
        .iter()
        .enumerate()
        .map(|(i, &seat)| {
            outline
                .iter()
                .map(|poly| {
                    seats.iter().enumerate().filter(|(j, _)| *j != i).fold(
                        poly.exterior.clone(),
                        |cell, (_, &other)| {
                            let ((ax, ay), (bx, by)) = (xy(seat), xy(other));
                            // |p-a|² - |p-b|² ≤ 0  ⇔  p is at least as near to a as to b.
                            clip_ring(&cell, |p| {
                                let (px, py) = xy(p);
                                2.0 * (px * (bx - ax) + py * (by - ay)) + ax * ax + ay * ay
                                    - bx * bx
                                    - by * by
                            })
                        },
                    )
                })
                .filter(|cell| cell.len() >= 3)
                .collect()
        })
        .collect()
}

/// Area of a ring in km² on a sphere of radius 6371 km (exact for small rings, independent of
/// where the ring starts).
pub fn ring_area_km2(ring: &[LatLon]) -> f64 {
    let sum: f64 = ring
        .iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| {
            (b.lon - a.lon).to_radians() * (a.lat.to_radians().sin() + b.lat.to_radians().sin())
        })
        .sum();
    (sum * 6371.0 * 6371.0 / 2.0).abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Polygon {
        Polygon {
            exterior: vec![
                LatLon::new(0.0, 0.0),
                LatLon::new(0.0, 1.0),
                LatLon::new(1.0, 1.0),
                LatLon::new(1.0, 0.0),
            ],
            holes: vec![],
        }
    }

    #[test]
    fn point_in_polygon() {
        let cases = [
            ((0.5, 0.5), true),
            ((1.5, 0.5), false),
            ((0.5, -0.1), false),
            ((0.99, 0.01), true),
        ];
        for ((lat, lon), inside) in cases {
            assert_eq!(
                square().contains(LatLon::new(lat, lon)),
                inside,
                "{lat},{lon}"
            );
        }
    }

    #[test]
    fn voronoi_halves_a_square_between_two_seats() {
        let seats = [LatLon::new(0.5, 0.25), LatLon::new(0.5, 0.75)];
        let cells = voronoi_cells(&[square()], &seats);
        assert_eq!(cells.len(), 2);
        for (cell, seat) in cells.iter().zip(seats) {
            assert_eq!(cell.len(), 1);
            assert!(ring_contains(&cell[0], seat));
            let max_lon = cell[0].iter().map(|p| p.lon).fold(f64::MIN, f64::max);
            let min_lon = cell[0].iter().map(|p| p.lon).fold(f64::MAX, f64::min);
            assert!(
                (max_lon - min_lon - 0.5).abs() < 1e-6,
                "each cell is half the width"
            );
        }
    }

    #[test]
    fn voronoi_cells_tile_the_outline() {
        let seats = [
            LatLon::new(0.2, 0.2),
            LatLon::new(0.8, 0.3),
            LatLon::new(0.5, 0.9),
        ];
        let cells = voronoi_cells(&[square()], &seats);
        let total: f64 = cells.iter().flatten().map(|r| ring_area_km2(r)).sum();
        let whole = ring_area_km2(&square().exterior);
        assert!((total - whole).abs() / whole < 1e-6, "{total} vs {whole}");
    }

    #[test]
    fn area_of_a_one_degree_cell_at_the_equator() {
        let area = ring_area_km2(&square().exterior);
        assert!((area - 12_364.0).abs() < 5.0, "{area}");
    }

    #[test]
    fn distance_matches_known_pair() {
        // Seat of 龙津镇 to station 58819: 0.25 km per the provenance notes.
        let d = LatLon::new(26.18197, 116.81464).distance_km(LatLon::new(26.1833, 116.8167));
        assert!((d - 0.253).abs() < 0.01, "{d}");
    }

    #[test]
    fn reads_geojson_polygons_and_lines() {
        let areas = areas_from_geojson(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"清流县"},
            "geometry":{"type":"MultiPolygon","coordinates":[[[[116,26],[117,26],[117,27],[116,26]]]]}}]}"#,
        )
        .unwrap();
        assert_eq!(areas[0].name, "清流县");
        assert_eq!(
            areas[0].polygons[0].exterior.len(),
            3,
            "closing vertex dropped"
        );
        let lines = lines_from_geojson(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"NAME":"闽江"},
            "geometry":{"type":"LineString","coordinates":[[116,26],[117,26]]}}]}"#,
        )
        .unwrap();
        assert_eq!(lines[0].name, "闽江");
        assert!(areas_from_geojson("{}").is_err());
    }
}
