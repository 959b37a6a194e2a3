//! Pure geometry of map symbols: wind barbs and label placement. Screen units, y down.

use egui::{Pos2, Rect, Vec2, pos2, vec2};

/// A wind barb's parts, as the convention counts them: pennants (20 m/s), full barbs (4 m/s)
/// and half barbs (2 m/s), after rounding the speed to the nearest 2 m/s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarbParts {
    /// 20 m/s each.
    pub pennants: u32,
    /// 4 m/s each.
    pub full: u32,
    /// 0 or 1, 2 m/s.
    pub half: u32,
}

/// Below this (m/s) the wind is calm and drawn as a ring, not a barb.
pub const CALM_BELOW_MS: f64 = 1.0;

/// Splits a wind speed into barb parts (Chinese practice: m/s, a full barb is 4 m/s).
pub fn barb_parts(speed_ms: f64) -> BarbParts {
    let halves = (speed_ms.max(0.0) / 2.0).round() as u32;
    let pennants = halves / 10;
    let rest = halves % 10;
    BarbParts {
        pennants,
        full: rest / 2,
        half: rest % 2,
    }
}

/// A barb as line segments and filled triangles, in screen offsets from the station.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarbShape {
    /// Shaft and feathers.
    pub lines: Vec<[Vec2; 2]>,
    /// Pennants.
    pub triangles: Vec<[Vec2; 3]>,
}

/// A wind barb for wind *from* `from_deg` (0 = north, clockwise), with a shaft of `length`
/// starting `start` away from the station. Feathers sit at the outer end on the clockwise side
/// (Northern Hemisphere convention) and lean outwards.
pub fn barb(speed_ms: f64, from_deg: f64, start: f32, length: f32) -> BarbShape {
    let angle = (from_deg as f32).to_radians();
    // Towards where the wind comes from; screen y grows downwards.
    let along = vec2(angle.sin(), -angle.cos());
    // Clockwise of `along` on screen.
    let side = vec2(-along.y, along.x);
    let tip = along * (start + length);
    let mut shape = BarbShape {
        lines: vec![[along * start, tip]],
        triangles: Vec::new(),
    };
    let parts = barb_parts(speed_ms);
    let feather = length * 0.45;
    let spacing = length * 0.16;
    let lean = along * (feather * 0.35);
    let mut at = 0.0;
    for _ in 0..parts.pennants {
        let base_outer = tip - along * at;
        let base_inner = tip - along * (at + spacing * 1.4);
        shape.triangles.push([
            base_outer,
            base_inner,
            base_outer + side * feather + lean * 0.2,
        ]);
        at += spacing * 1.8;
    }
    for _ in 0..parts.full {
        let base = tip - along * at;
        shape.lines.push([base, base + side * feather + lean]);
        at += spacing;
    }
    if parts.half == 1 {
        // A lone half barb stands a little in from the tip, so it is not read as a full one.
        if parts.pennants == 0 && parts.full == 0 {
            at += spacing;
        }
        let base = tip - along * at;
        shape
            .lines
            .push([base, base + (side * feather + lean) * 0.5]);
    }
    shape
}

/// The area a station's wind barb covers, as an offset from the station: its bounding box,
/// feathers and pennants included. `None` for calm: the ring hugs the marker, inside the gap
/// labels keep anyway.
pub fn wind_bounds(speed_ms: f64, from_deg: f64, start: f32, length: f32) -> Option<Rect> {
    if speed_ms < CALM_BELOW_MS {
        return None;
    }
    let shape = barb(speed_ms, from_deg, start, length);
    let points: Vec<Pos2> = shape
        .lines
        .iter()
        .flatten()
        .chain(shape.triangles.iter().flatten())
        .map(|v| v.to_pos2())
        .collect();
    // Half the stroke width around the outermost points.
    Some(Rect::from_points(&points).expand(1.0))
}

/// Where a label can go relative to its anchor, in order of preference.
const CANDIDATES: [(f32, f32); 6] = [
    (1.0, 0.0),
    (-1.0, 0.0),
    (0.0, -1.0),
    (0.0, 1.0),
    (1.0, -1.0),
    (-1.0, 1.0),
];

/// Places a label of `size` next to a point, away from `gap` around it, in the first candidate
/// position that overlaps nothing in `taken` and stays within `bounds`; `None` if no
/// candidate is free. The chosen rectangle is added to `taken`.
pub fn try_place_label(
    anchor: Pos2,
    size: Vec2,
    gap: f32,
    bounds: Rect,
    taken: &mut Vec<Rect>,
) -> Option<Rect> {
    let chosen = CANDIDATES
        .iter()
        .map(|&c| candidate_rect(anchor, size, gap, c))
        .find(|r| bounds.contains_rect(*r) && !taken.iter().any(|t| t.intersects(*r)))?;
    taken.push(chosen);
    Some(chosen)
}

/// Like [`try_place_label`], but when nothing is free the label goes to the first candidate
/// position anyway: a station is never left unlabelled.
pub fn place_label(
    anchor: Pos2,
    size: Vec2,
    gap: f32,
    bounds: Rect,
    taken: &mut Vec<Rect>,
) -> Rect {
    try_place_label(anchor, size, gap, bounds, taken).unwrap_or_else(|| {
        let fallback = candidate_rect(anchor, size, gap, CANDIDATES[0]);
        taken.push(fallback);
        fallback
    })
}

fn candidate_rect(anchor: Pos2, size: Vec2, gap: f32, (dx, dy): (f32, f32)) -> Rect {
    let centre = pos2(
        anchor.x + dx * (gap + size.x / 2.0),
        anchor.y + dy * (gap + size.y / 2.0),
    );
    Rect::from_center_size(centre, size)
}

/// Places a label centred on `at`, or just above or below it, where it overlaps nothing in
/// `taken` and stays within `bounds`; `None` if no spot is free. The chosen rectangle is
/// added to `taken`.
pub fn place_free(at: Pos2, size: Vec2, bounds: Rect, taken: &mut Vec<Rect>) -> Option<Rect> {
    let spot = [0.0, 1.0, -1.0]
        .into_iter()
        .map(|dy| Rect::from_center_size(at + vec2(0.0, dy * (size.y + 2.0)), size))
        .find(|r| bounds.contains_rect(*r) && !taken.iter().any(|t| t.intersects(*r)))?;
    taken.push(spot);
    Some(spot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wind_bounds_cover_the_whole_barb_and_labels_keep_off_it() {
        for (speed, direction) in [(3.0, 0.0), (9.0, 135.0), (24.0, 250.0), (0.5, 90.0)] {
            let Some(bounds) = wind_bounds(speed, direction, 6.5, 26.0) else {
                assert!(speed < CALM_BELOW_MS, "{speed} m/s");
                continue;
            };
            let shape = barb(speed, direction, 6.5, 26.0);
            for point in shape
                .lines
                .iter()
                .flatten()
                .chain(shape.triangles.iter().flatten())
            {
                assert!(
                    bounds.contains(point.to_pos2()),
                    "{speed} m/s from {direction}°"
                );
            }
            // A label placed with the barb taken never crosses it.
            let anchor = pos2(200.0, 200.0);
            let barb_area = bounds.translate(anchor.to_vec2());
            let mut taken = vec![barb_area];
            let label = place_label(
                anchor,
                vec2(60.0, 14.0),
                9.5,
                Rect::from_min_size(Pos2::ZERO, vec2(400.0, 400.0)),
                &mut taken,
            );
            assert!(
                !label.intersects(barb_area),
                "{speed} m/s from {direction}°: {label:?}"
            );
        }
    }

    #[test]
    fn barb_parts_follow_the_convention() {
        let cases = [
            (0.0, (0, 0, 0)),
            (0.9, (0, 0, 0)),
            (2.0, (0, 0, 1)),
            (4.0, (0, 1, 0)),
            (5.2, (0, 1, 1)),
            (11.0, (0, 3, 0)),
            (20.0, (1, 0, 0)),
            (27.0, (1, 2, 0)),
            (-3.0, (0, 0, 0)),
        ];
        for (speed, (pennants, full, half)) in cases {
            assert_eq!(
                barb_parts(speed),
                BarbParts {
                    pennants,
                    full,
                    half
                },
                "{speed} m/s"
            );
        }
    }

    #[test]
    fn barb_points_to_where_the_wind_comes_from() {
        let cases = [
            (0.0, vec2(0.0, -1.0)),
            (90.0, vec2(1.0, 0.0)),
            (180.0, vec2(0.0, 1.0)),
            (270.0, vec2(-1.0, 0.0)),
        ];
        for (from, direction) in cases {
            let shape = barb(8.0, from, 5.0, 20.0);
            let [start, tip] = shape.lines[0];
            assert!((start - direction * 5.0).length() < 1e-4, "{from}");
            assert!((tip - direction * 25.0).length() < 1e-4, "{from}");
            assert_eq!(shape.lines.len(), 3, "shaft and two full barbs");
        }
        // A westerly's feathers point north (up the screen) in the Northern Hemisphere.
        let westerly = barb(4.0, 270.0, 0.0, 20.0);
        let [base, end] = westerly.lines[1];
        assert!(end.y < base.y);
        assert_eq!(barb(22.0, 0.0, 0.0, 20.0).triangles.len(), 1);
    }

    #[test]
    fn labels_avoid_each_other_and_the_edges() {
        let bounds = Rect::from_min_size(Pos2::ZERO, vec2(200.0, 200.0));
        let mut taken = Vec::new();
        let size = vec2(40.0, 12.0);
        let first = place_label(pos2(100.0, 100.0), size, 8.0, bounds, &mut taken);
        assert!(first.min.x > 100.0, "first choice is to the right");
        let second = place_label(pos2(100.0, 100.0), size, 8.0, bounds, &mut taken);
        assert!(!second.intersects(first));
        let at_edge = place_label(pos2(195.0, 50.0), size, 8.0, bounds, &mut taken);
        assert!(bounds.contains_rect(at_edge));
        assert_eq!(taken.len(), 3);
    }

    #[test]
    fn area_labels_move_aside_or_give_way() {
        let bounds = Rect::from_min_size(Pos2::ZERO, vec2(200.0, 200.0));
        let size = vec2(40.0, 12.0);
        let mut taken = vec![Rect::from_center_size(pos2(100.0, 100.0), size)];
        let moved = place_free(pos2(100.0, 100.0), size, bounds, &mut taken).unwrap();
        assert!(moved.min.y > 100.0, "moved below");
        let above = place_free(pos2(100.0, 100.0), size, bounds, &mut taken).unwrap();
        assert!(above.max.y < 100.0);
        assert_eq!(
            place_free(pos2(100.0, 100.0), size, bounds, &mut taken),
            None
        );
        assert_eq!(
            place_free(pos2(1.0, 1.0), size, bounds, &mut Vec::new()),
            None
        );
    }
}
