//! Filling egui's triangles the way a GPU does: corners snapped to a sub-pixel grid, coverage
//! decided exactly by integer edge functions at pixel centres, one span of pixels per row, and
//! colour and texture coordinates interpolated linearly across the triangle.
//!
//! Exact coverage matters because egui draws every rectangle, glyph and line segment as
//! triangles sharing edges: with the tie rule below a pixel centre on a shared edge belongs to
//! exactly one of the two, so a translucent quad's diagonal is never blended twice, nor missed.

use std::ops::Range;

use egui::epaint::Vertex;
use egui::{Color32, Mesh, TextureFilter};

use super::canvas::{Canvas, PixelRect, Rgba, blend, unit};
use super::textures::Texture;

/// Positions are snapped to 1/256 pixel, the sub-pixel precision of common GPUs.
const SUBPIXEL_BITS: u32 = 8;
/// One pixel, in fixed point.
const ONE: i64 = 1 << SUBPIXEL_BITS;
/// From a pixel's corner to its centre, in fixed point.
const HALF: i64 = ONE / 2;
/// Triangles with a corner farther than this many pixels from the origin are dropped: it keeps
/// every product of the edge arithmetic below 2^60. egui views stay far inside it.
const GUARD_BAND_PX: f32 = (1 << 20) as f32;

/// Paints `mesh` (positions in points) into `canvas`, inside `scissor`, sampling `texture`.
pub(super) fn paint(
    canvas: &mut Canvas,
    scissor: PixelRect,
    mesh: &Mesh,
    texture: &Texture,
    pixels_per_point: f32,
) {
    let corner = |index: u32| {
        let vertex = mesh.vertices.get(index as usize)?;
        Corner::new(vertex, pixels_per_point)
    };
    for indices in mesh.indices.chunks_exact(3) {
        let (Some(a), Some(b), Some(c)) =
            (corner(indices[0]), corner(indices[1]), corner(indices[2]))
        else {
            continue;
        };
        if let Some(triangle) = Triangle::new([a, b, c]) {
            triangle.fill(canvas, scissor, texture);
        }
    }
}

/// A vertex in pixels (fixed point), with its colour and texture coordinates.
#[derive(Debug, Clone, Copy)]
struct Corner {
    x: i64,
    y: i64,
    colour: Rgba,
    uv: [f32; 2],
}

impl Corner {
    /// The vertex at `pixels_per_point`; `None` if it lies outside the guard band (or is NaN).
    fn new(vertex: &Vertex, pixels_per_point: f32) -> Option<Self> {
        let to_fixed = |points: f32| {
            let pixels = points * pixels_per_point;
            (pixels.abs() <= GUARD_BAND_PX).then(|| (f64::from(pixels) * ONE as f64).round() as i64)
        };
        Some(Self {
            x: to_fixed(vertex.pos.x)?,
            y: to_fixed(vertex.pos.y)?,
            colour: vertex.color.to_array().map(unit),
            uv: [vertex.uv.x, vertex.uv.y],
        })
    }
}

/// A triangle of positive area, its corners ordered so that the interior lies on the
/// positive side of each edge.
struct Triangle {
    corners: [Corner; 3],
    edges: [Edge; 3],
    /// Twice the area, in fixed point squared.
    doubled_area: i64,
}

impl Triangle {
    /// The triangle through `corners` in either winding (egui emits both); `None` if it has no
    /// area.
    fn new([a, b, c]: [Corner; 3]) -> Option<Self> {
        let doubled_area = Edge::new(a, b).at(c.x, c.y);
        let [a, b, c] = match doubled_area.signum() {
            1 => [a, b, c],
            -1 => [a, c, b],
            _ => return None,
        };
        Some(Self {
            corners: [a, b, c],
            edges: [Edge::new(a, b), Edge::new(b, c), Edge::new(c, a)],
            doubled_area: doubled_area.abs(),
        })
    }

    /// Blends the triangle's pixels inside `scissor` into `canvas`.
    fn fill(&self, canvas: &mut Canvas, scissor: PixelRect, texture: &Texture) {
        let shading = Shading::new(self, texture);
        for y in self.rows(scissor) {
            if let Some(columns) = self.columns(y, scissor) {
                shading.row(canvas.row_mut(y as usize), y, columns);
            }
        }
    }

    /// The rows inside `scissor` whose pixel centres lie within the triangle's vertical extent.
    fn rows(&self, scissor: PixelRect) -> Range<i64> {
        let ys = self.corners.map(|corner| corner.y);
        let top = ys.into_iter().min().unwrap_or_default();
        let bottom = ys.into_iter().max().unwrap_or_default();
        let first = div_ceil(top - HALF, ONE).max(scissor.y0);
        let end = (div_floor(bottom - HALF, ONE) + 1).min(scissor.y1);
        first..end.max(first)
    }

    /// The columns of row `y` inside `scissor` whose pixel centres the triangle covers.
    fn columns(&self, y: i64, scissor: PixelRect) -> Option<Range<i64>> {
        let (start, end) =
            self.edges
                .iter()
                .fold((scissor.x0, scissor.x1), |(start, end), edge| {
                    let allowed = edge.columns(y);
                    (start.max(allowed.start), end.min(allowed.end))
                });
        (start < end).then_some(start..end)
    }
}

/// A directed edge and which side of it counts as inside.
#[derive(Debug, Clone, Copy)]
struct Edge {
    from_x: i64,
    from_y: i64,
    dx: i64,
    dy: i64,
    /// The least value of [`Edge::at`] that covers a pixel centre: 0 if centres exactly on
    /// the edge are the triangle's, 1 if they belong to its neighbour.
    threshold: i64,
}

impl Edge {
    fn new(from: Corner, to: Corner) -> Self {
        let (dx, dy) = (to.x - from.x, to.y - from.y);
        // OpenGL's top-left rule: a centre on a left edge (going up, interior to its right) or
        // a top edge (going right, interior below) is covered. Two triangles sharing the edge
        // run it in opposite directions, so exactly one of them claims the tie.
        let owns_ties = dy < 0 || (dy == 0 && dx > 0);
        Self {
            from_x: from.x,
            from_y: from.y,
            dx,
            dy,
            threshold: if owns_ties { 0 } else { 1 },
        }
    }

    /// The edge function at (`x`, `y`) in fixed point: twice the signed area of the edge and
    /// the point, positive on the interior side.
    fn at(&self, x: i64, y: i64) -> i64 {
        self.dx * (y - self.from_y) - self.dy * (x - self.from_x)
    }

    /// The columns of row `y` whose pixel centres are on the inside of this edge. The edge
    /// function along a row is `base + slope * column`, so the bound is one exact division.
    fn columns(&self, y: i64) -> Range<i64> {
        let base = self.at(HALF, y * ONE + HALF);
        let slope = -self.dy * ONE;
        // Solve `base + slope * column >= threshold` for the column.
        match slope.signum() {
            1 => div_ceil(self.threshold - base, slope)..i64::MAX,
            -1 => i64::MIN..div_floor(base - self.threshold, -slope) + 1,
            _ if base >= self.threshold => i64::MIN..i64::MAX,
            _ => 0..0,
        }
    }
}

/// `a / b` rounded down, for `b > 0`.
fn div_floor(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

/// `a / b` rounded up, for `b > 0`.
fn div_ceil(a: i64, b: i64) -> i64 {
    -(-a).div_euclid(b)
}

/// How a triangle's pixels get their colour: the vertex colour times the texture sample,
/// both interpolated as a GPU interpolates them (linearly in screen space).
struct Shading<'t> {
    weights: Weights,
    colour: Varying<4>,
    uv: Varying<2>,
    texture: &'t Texture,
    filter: TextureFilter,
    /// The texel, when the texture coordinates are the same at every corner (all untextured
    /// shapes use egui's one white texel).
    flat_texel: Option<Rgba>,
    /// The fragment, when it is the same all over the triangle: solid fills, the bulk of
    /// every view.
    flat: Option<Rgba>,
}

impl<'t> Shading<'t> {
    fn new(triangle: &Triangle, texture: &'t Texture) -> Self {
        let weights = Weights::new(triangle);
        let colour = Varying::new(triangle.corners.map(|corner| corner.colour));
        let uv = Varying::new(triangle.corners.map(|corner| corner.uv));
        let filter = texture.filter(weights.texels_per_pixel(&uv, texture.size()));
        let flat_texel = uv.is_flat().then(|| texture.sample(uv.at_a, filter));
        let flat = flat_texel
            .filter(|_| colour.is_flat())
            .map(|texel| modulate(colour.at_a, texel));
        Self {
            weights,
            colour,
            uv,
            texture,
            filter,
            flat_texel,
            flat,
        }
    }

    /// The fragment colour where corners b and c weigh `weights`.
    fn fragment(&self, weights: (f32, f32)) -> Rgba {
        let colour = self.colour.at(weights);
        let texel = match self.flat_texel {
            Some(texel) => texel,
            None => self.texture.sample(self.uv.at(weights), self.filter),
        };
        modulate(colour, texel)
    }

    /// Blends the triangle's pixels of row `y` at `columns` into `row`.
    fn row(&self, row: &mut [Color32], y: i64, columns: Range<i64>) {
        let pixels = &mut row[columns.start as usize..columns.end as usize];
        match self.flat {
            // An opaque fragment hides what is behind it: the blend's result does not depend
            // on it, and the span is one fill.
            Some(fragment) if fragment[3] >= 1.0 => {
                pixels.fill(blend(Color32::TRANSPARENT, fragment));
            }
            Some(fragment) => {
                if fragment != [0.0; 4] {
                    for pixel in pixels {
                        *pixel = blend(*pixel, fragment);
                    }
                }
            }
            None => {
                let centre_y = y as f32 + 0.5;
                for (x, pixel) in columns.zip(pixels) {
                    let fragment = self.fragment(self.weights.at(x as f32 + 0.5, centre_y));
                    *pixel = blend(*pixel, fragment);
                }
            }
        }
    }
}

/// The vertex colour times the texel, channel by channel, in gamma space: what `egui_glow`'s
/// fragment shader outputs (both are premultiplied, so the product is too).
fn modulate(colour: Rgba, texel: Rgba) -> Rgba {
    std::array::from_fn(|i| colour[i] * texel[i])
}

/// The barycentric weights of corners b and c as affine functions of the pixel position
/// (corner a's weight is what remains).
struct Weights {
    /// Corner a, in pixels.
    origin: [f32; 2],
    /// d/dx and d/dy of b's weight.
    b: [f32; 2],
    /// d/dx and d/dy of c's weight.
    c: [f32; 2],
}

impl Weights {
    fn new(triangle: &Triangle) -> Self {
        let [a, b, c] = triangle.corners;
        let pixels = |fixed: i64| fixed as f32 / ONE as f32;
        let (bx, by) = (pixels(b.x - a.x), pixels(b.y - a.y));
        let (cx, cy) = (pixels(c.x - a.x), pixels(c.y - a.y));
        // From the exact integer area, so that a sliver never divides by a rounded zero.
        let det = triangle.doubled_area as f32 / (ONE * ONE) as f32;
        // Cramer's rule for `p - a = wb (b - a) + wc (c - a)`.
        Self {
            origin: [pixels(a.x), pixels(a.y)],
            b: [cy / det, -cx / det],
            c: [-by / det, bx / det],
        }
    }

    /// The weights of b and c at pixel position (`x`, `y`).
    fn at(&self, x: f32, y: f32) -> (f32, f32) {
        let (x, y) = (x - self.origin[0], y - self.origin[1]);
        (self.b[0] * x + self.b[1] * y, self.c[0] * x + self.c[1] * y)
    }

    /// How many texels one pixel step spans at most, OpenGL's scale factor ρ that chooses
    /// between the magnification and minification filters.
    fn texels_per_pixel(&self, uv: &Varying<2>, [width, height]: [usize; 2]) -> f32 {
        let derivative = |axis: usize| {
            let [du, dv] = uv.derivative(self.b[axis], self.c[axis]);
            (du * width as f32).hypot(dv * height as f32)
        };
        derivative(0).max(derivative(1))
    }
}

/// `N` values given at the three corners, interpolated between them.
#[derive(Debug, Clone, Copy)]
struct Varying<const N: usize> {
    at_a: [f32; N],
    towards_b: [f32; N],
    towards_c: [f32; N],
}

impl<const N: usize> Varying<N> {
    fn new([a, b, c]: [[f32; N]; 3]) -> Self {
        Self {
            at_a: a,
            towards_b: std::array::from_fn(|i| b[i] - a[i]),
            towards_c: std::array::from_fn(|i| c[i] - a[i]),
        }
    }

    /// The same value at every corner.
    fn is_flat(&self) -> bool {
        self.towards_b == [0.0; N] && self.towards_c == [0.0; N]
    }

    /// The value where b and c weigh `(b, c)`.
    fn at(&self, (b, c): (f32, f32)) -> [f32; N] {
        std::array::from_fn(|i| self.at_a[i] + self.towards_b[i] * b + self.towards_c[i] * c)
    }

    /// The change of the value when b's weight changes by `b` and c's by `c`.
    fn derivative(&self, b: f32, c: f32) -> [f32; N] {
        std::array::from_fn(|i| self.towards_b[i] * b + self.towards_c[i] * c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white corner at (`x`, `y`) pixels.
    fn corner(x: f32, y: f32) -> Corner {
        let fixed = |v: f32| (v * ONE as f32).round() as i64;
        Corner {
            x: fixed(x),
            y: fixed(y),
            colour: [1.0; 4],
            uv: [0.0; 2],
        }
    }

    const WHOLE: PixelRect = PixelRect {
        x0: 0,
        y0: 0,
        x1: 16,
        y1: 16,
    };

    /// How many times each pixel of a 16 × 16 grid is covered by `triangles`.
    fn coverage(triangles: &[[(f32, f32); 3]], scissor: PixelRect) -> Vec<Vec<u8>> {
        let mut counts = vec![vec![0u8; 16]; 16];
        for corners in triangles {
            let Some(triangle) = Triangle::new(corners.map(|(x, y)| corner(x, y))) else {
                continue;
            };
            for y in triangle.rows(scissor) {
                for x in triangle.columns(y, scissor).into_iter().flatten() {
                    counts[y as usize][x as usize] += 1;
                }
            }
        }
        counts
    }

    /// The pixels covered exactly once, as `(x, y)`; panics if any is covered twice.
    fn covered(triangles: &[[(f32, f32); 3]], scissor: PixelRect) -> Vec<(usize, usize)> {
        let counts = coverage(triangles, scissor);
        let mut once = Vec::new();
        for (y, row) in counts.iter().enumerate() {
            for (x, &count) in row.iter().enumerate() {
                assert!(count <= 1, "pixel ({x}, {y}) covered {count} times");
                if count == 1 {
                    once.push((x, y));
                }
            }
        }
        once
    }

    fn rect_pixels(columns: Range<usize>, rows: Range<usize>) -> Vec<(usize, usize)> {
        rows.flat_map(|y| columns.clone().map(move |x| (x, y)))
            .collect()
    }

    /// A quad from (`x0`, `y0`) to (`x1`, `y1`) as egui splits it: two triangles on a diagonal.
    fn quad(x0: f32, y0: f32, x1: f32, y1: f32) -> [[(f32, f32); 3]; 2] {
        [
            [(x0, y0), (x1, y0), (x1, y1)],
            [(x0, y0), (x1, y1), (x0, y1)],
        ]
    }

    #[test]
    fn a_quad_covers_the_pixels_whose_centres_it_contains() {
        let cases = [
            // (quad, expected columns, expected rows)
            ((2.0, 1.0, 5.0, 3.0), 2..5, 1..3),
            // Edges through pixel centres: the left and top ones own them.
            ((2.5, 1.5, 5.5, 3.5), 2..5, 1..3),
            ((2.4, 1.6, 5.6, 3.4), 2..6, 2..3),
            ((2.6, 1.4, 5.4, 3.6), 3..5, 1..4),
            // Thinner than a pixel and between centres: nothing.
            ((4.1, 1.0, 4.4, 9.0), 0..0, 0..0),
        ];
        for ((x0, y0, x1, y1), columns, rows) in cases {
            let expected = rect_pixels(columns, rows);
            assert_eq!(
                covered(&quad(x0, y0, x1, y1), WHOLE),
                expected,
                "{x0} {y0} {x1} {y1}"
            );
            // Both windings cover the same pixels.
            let reversed = quad(x0, y0, x1, y1).map(|[a, b, c]| [c, b, a]);
            assert_eq!(covered(&reversed, WHOLE), expected);
        }
    }

    #[test]
    fn triangles_sharing_edges_cover_every_pixel_exactly_once() {
        // A fan of triangles around an off-grid centre, tiling the square (1,1)–(15,15): the
        // square's pixels must each be covered once, whatever the slopes.
        let centre = (7.3, 8.6);
        let rim = [
            (1.0, 1.0),
            (6.5, 1.0),
            (15.0, 1.0),
            (15.0, 7.5),
            (15.0, 15.0),
            (9.25, 15.0),
            (1.0, 15.0),
            (1.0, 4.5),
        ];
        let fan: Vec<_> = (0..rim.len())
            .map(|i| [centre, rim[i], rim[(i + 1) % rim.len()]])
            .collect();
        assert_eq!(covered(&fan, WHOLE), rect_pixels(1..15, 1..15));
    }

    #[test]
    fn scissor_and_degenerate_triangles() {
        let scissor = PixelRect {
            x0: 3,
            y0: 2,
            x1: 6,
            y1: 4,
        };
        assert_eq!(
            covered(&quad(0.0, 0.0, 16.0, 16.0), scissor),
            rect_pixels(3..6, 2..4)
        );
        let line = [[(1.0, 1.0), (8.0, 8.0), (15.0, 15.0)]];
        assert!(covered(&line, WHOLE).is_empty());
        let point = [[(4.5, 4.5), (4.5, 4.5), (4.5, 4.5)]];
        assert!(covered(&point, WHOLE).is_empty());
    }

    #[test]
    fn corners_outside_the_guard_band_drop_the_triangle() {
        let vertex = |x: f32| Vertex {
            pos: egui::pos2(x, 0.0),
            uv: egui::Pos2::ZERO,
            color: Color32::WHITE,
        };
        assert!(Corner::new(&vertex(100.0), 2.0).is_some());
        assert!(Corner::new(&vertex(GUARD_BAND_PX), 2.0).is_none());
        assert!(Corner::new(&vertex(f32::NAN), 1.0).is_none());
        assert!(Corner::new(&vertex(f32::INFINITY), 1.0).is_none());
    }

    #[test]
    fn weights_interpolate_to_the_corner_values() {
        let mut corners = [corner(1.0, 1.0), corner(9.0, 1.0), corner(1.0, 5.0)];
        corners[1].colour = [0.0; 4];
        let triangle = Triangle::new(corners).unwrap();
        let weights = Weights::new(&triangle);
        let [a, b, c] = triangle.corners;
        for (at, expected) in [(a, (0.0, 0.0)), (b, (1.0, 0.0)), (c, (0.0, 1.0))] {
            let (x, y) = (at.x as f32 / ONE as f32, at.y as f32 / ONE as f32);
            let (wb, wc) = weights.at(x, y);
            assert!((wb - expected.0).abs() < 1e-6 && (wc - expected.1).abs() < 1e-6);
        }
        let colour = Varying::new(triangle.corners.map(|corner| corner.colour));
        assert!(!colour.is_flat());
        // Halfway along a→b the colour is halfway from white to transparent.
        assert_eq!(colour.at(weights.at(5.0, 1.0)), [0.5; 4]);
    }

    #[test]
    fn divisions_round_towards_their_names() {
        let cases = [
            (7, 2, 3, 4),
            (-7, 2, -4, -3),
            (6, 3, 2, 2),
            (-6, 3, -2, -2),
            (0, 5, 0, 0),
        ];
        for (a, b, floor, ceil) in cases {
            assert_eq!(
                (div_floor(a, b), div_ceil(a, b)),
                (floor, ceil),
                "{a} / {b}"
            );
        }
    }
}
