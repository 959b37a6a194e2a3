//! Townships picked by their seats on a small county map: each seat a dot that toggles its
//! township, the chosen ones filled, the county outline for orientation.

use std::collections::BTreeSet;

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};

use crate::console::ui::theme;
use crate::domain::Network;
use crate::domain::geo::LatLon;

/// The map's size on screen.
const SIZE: Vec2 = Vec2::new(240.0, 200.0);
/// How near a click must land to a seat to pick it, in points.
const PICK_RADIUS: f32 = 12.0;
/// A seat's dot.
const DOT_RADIUS: f32 = 6.0;

/// Longitude/latitude to screen: the outline's bounds fitted into a rectangle, longitude
/// shortened by the cosine of the mid latitude so the county keeps its shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    west: f64,
    north: f64,
    scale: f64,
    lon_factor: f64,
    origin: Pos2,
}

impl Fit {
    /// Fits `ring` into `rect` with a margin, or none for an empty ring.
    pub fn new(ring: &[LatLon], rect: Rect) -> Option<Fit> {
        let (sw, ne) = crate::domain::geo::bounds(ring.iter().copied())?;
        let lon_factor = ((sw.lat + ne.lat) / 2.0).to_radians().cos();
        let width = ((ne.lon - sw.lon) * lon_factor).max(1e-9);
        let height = (ne.lat - sw.lat).max(1e-9);
        let inner = rect.shrink(DOT_RADIUS + 2.0);
        let scale = (f64::from(inner.width()) / width).min(f64::from(inner.height()) / height);
        Some(Fit {
            west: sw.lon,
            north: ne.lat,
            scale,
            lon_factor,
            origin: inner.min,
        })
    }

    /// Where `p` is drawn.
    pub fn point(&self, p: LatLon) -> Pos2 {
        let x = (p.lon - self.west) * self.lon_factor * self.scale;
        let y = (self.north - p.lat) * self.scale;
        self.origin + Vec2::new(x as f32, y as f32)
    }
}

/// The township whose seat is nearest `pointer`, if one is within the pick radius.
pub fn seat_at(seats: &[(String, Pos2)], pointer: Pos2) -> Option<&str> {
    seats
        .iter()
        .map(|(code, at)| (code, at.distance(pointer)))
        .filter(|(_, d)| *d <= PICK_RADIUS)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(code, _)| code.as_str())
}

/// Draws the map and toggles the township whose seat was clicked.
pub fn seat_map_ui(
    ui: &mut egui::Ui,
    label: &str,
    chosen: &mut BTreeSet<String>,
    network: &Network,
    outline: &[LatLon],
    fill: Color32,
) {
    let (response, painter) = ui.allocate_painter(SIZE, Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, label));
    let response = response.on_hover_text(label);
    let rect = response.rect;
    painter.rect_filled(rect, 4.0, theme::SURFACE);
    let Some(fit) = Fit::new(outline, rect) else {
        return;
    };
    let ring: Vec<Pos2> = outline.iter().map(|&p| fit.point(p)).collect();
    painter.add(egui::Shape::closed_line(
        ring,
        Stroke::new(1.0, theme::INK_MUTED),
    ));
    let seats: Vec<(String, Pos2)> = network
        .townships
        .iter()
        .map(|t| (t.code.to_string(), fit.point(t.seat)))
        .collect();
    for (tw, (code, at)) in network.townships.iter().zip(&seats) {
        let on = chosen.contains(code);
        let colour = if on { fill } else { theme::SURFACE_RAISED };
        painter.circle(*at, DOT_RADIUS, colour, Stroke::new(1.5, theme::INK));
        painter.text(
            *at + Vec2::new(DOT_RADIUS + 2.0, 0.0),
            egui::Align2::LEFT_CENTER,
            tw.short_name(),
            egui::FontId::proportional(11.0),
            theme::INK,
        );
    }
    let clicked = response.clicked().then(|| response.interact_pointer_pos());
    if let Some(code) = clicked.flatten().and_then(|p| seat_at(&seats, p))
        && !chosen.remove(code)
    {
        chosen.insert(code.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    #[test]
    fn the_fit_keeps_north_up_and_the_outline_inside() {
        let ring = [
            ll(26.0, 116.6),
            ll(26.4, 116.6),
            ll(26.4, 117.0),
            ll(26.0, 117.0),
        ];
        let rect = Rect::from_min_size(Pos2::ZERO, SIZE);
        let fit = Fit::new(&ring, rect).unwrap();
        let nw = fit.point(ll(26.4, 116.6));
        let se = fit.point(ll(26.0, 117.0));
        assert!(nw.x < se.x && nw.y < se.y, "{nw:?} {se:?}");
        for p in ring {
            assert!(rect.contains(fit.point(p)), "{p:?}");
        }
        assert_eq!(Fit::new(&[], rect), None);
    }

    #[test]
    fn a_click_picks_the_nearest_seat_within_reach() {
        let seats = vec![
            ("350423100".to_owned(), Pos2::new(50.0, 50.0)),
            ("350423101".to_owned(), Pos2::new(60.0, 50.0)),
        ];
        let cases = [
            (Pos2::new(51.0, 50.0), Some("350423100")),
            (Pos2::new(58.0, 52.0), Some("350423101")),
            (Pos2::new(50.0, 50.0 + PICK_RADIUS), Some("350423100")),
            (Pos2::new(50.0, 50.0 + PICK_RADIUS + 0.5), None),
            (Pos2::new(200.0, 10.0), None),
        ];
        for (pointer, want) in cases {
            assert_eq!(seat_at(&seats, pointer), want, "{pointer:?}");
        }
    }
}
