//! The image being painted: 8-bit premultiplied RGBA pixels, blended the way `egui_glow`
//! configures OpenGL, and the scissor rectangle it derives from a clip rectangle.

use egui::{Color32, ColorImage, Rect};

/// A colour with premultiplied alpha in gamma space, each channel 0–1: what a fragment shader
/// outputs and what a texture sample is before it is multiplied by the vertex colour.
pub(super) type Rgba = [f32; 4];

/// Rows of pixels, the top row first.
pub(super) struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<Color32>,
}

impl Canvas {
    /// A `width` × `height` canvas cleared to `colour`.
    pub(super) fn filled(width: usize, height: usize, colour: Color32) -> Self {
        Self {
            width,
            height,
            pixels: vec![colour; width * height],
        }
    }

    /// The pixels of row `y` (which must be below `height`).
    pub(super) fn row_mut(&mut self, y: usize) -> &mut [Color32] {
        let start = y * self.width;
        &mut self.pixels[start..start + self.width]
    }

    /// The scissor rectangle `egui_glow` sets for `clip` (in points): scaled to pixels, each
    /// side rounded to the nearest pixel boundary, then clamped to the canvas.
    pub(super) fn scissor(&self, clip: Rect, pixels_per_point: f32) -> PixelRect {
        let to_pixel = |points: f32, limit: usize| {
            // `as` saturates, so an unbounded clip (`Rect::EVERYTHING`) lands on the limits.
            ((points * pixels_per_point).round() as i64).clamp(0, limit as i64)
        };
        let x0 = to_pixel(clip.min.x, self.width);
        let y0 = to_pixel(clip.min.y, self.height);
        PixelRect {
            x0,
            y0,
            x1: to_pixel(clip.max.x, self.width).max(x0),
            y1: to_pixel(clip.max.y, self.height).max(y0),
        }
    }

    /// The finished image.
    pub(super) fn into_image(self) -> ColorImage {
        ColorImage::new([self.width, self.height], self.pixels)
    }
}

/// A half-open rectangle of whole pixels: columns `x0..x1`, rows `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PixelRect {
    /// First column.
    pub x0: i64,
    /// First row.
    pub y0: i64,
    /// One past the last column.
    pub x1: i64,
    /// One past the last row.
    pub y1: i64,
}

impl PixelRect {
    /// No pixel is inside.
    pub(super) fn is_empty(&self) -> bool {
        self.x0 >= self.x1 || self.y0 >= self.y1
    }
}

/// `src` over `dst` as `egui_glow` blends: `glBlendFuncSeparate(ONE, ONE_MINUS_SRC_ALPHA,
/// ONE_MINUS_DST_ALPHA, ONE)` on an 8-bit framebuffer without sRGB conversion. The colour is
/// premultiplied and the sum is taken in gamma space, because that is what egui's colours are
/// designed for; the result is rounded to 8 bits as the framebuffer stores it.
pub(super) fn blend(dst: Color32, src: Rgba) -> Color32 {
    let [r, g, b, a] = src.map(|channel| channel.clamp(0.0, 1.0));
    let keep = 1.0 - a;
    let over = |src: f32, dst: u8| quantise(src + unit(dst) * keep);
    Color32::from_rgba_premultiplied(
        over(r, dst.r()),
        over(g, dst.g()),
        over(b, dst.b()),
        quantise(a * (1.0 - unit(dst.a())) + unit(dst.a())),
    )
}

/// An 8-bit channel as 0–1.
pub(super) fn unit(channel: u8) -> f32 {
    f32::from(channel) / 255.0
}

/// A 0–1 channel to 8 bits, to the nearest level, as a UNORM framebuffer stores it.
fn quantise(channel: f32) -> u8 {
    (channel.clamp(0.0, 1.0) * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ui::theme;

    fn rgba(colour: Color32) -> Rgba {
        colour.to_array().map(unit)
    }

    #[test]
    fn blending_follows_the_premultiplied_over_operator() {
        let white = theme::SURFACE_RAISED;
        let ink = theme::INK;
        let cases = [
            // (destination, source, expected)
            (white, rgba(ink), ink),
            (ink, [0.0; 4], ink),
            (
                white,
                rgba(ink.gamma_multiply(0.5)),
                ink.lerp_to_gamma(white, 0.5),
            ),
            (ink, rgba(Color32::TRANSPARENT), ink),
            // Additive (alpha 0, colour > 0) light still adds, as in OpenGL.
            (
                Color32::BLACK,
                [0.5, 0.0, 0.0, 0.0],
                Color32::from_rgba_premultiplied(128, 0, 0, 255),
            ),
        ];
        for (dst, src, expected) in cases {
            let got = blend(dst, src);
            for (channel, (g, e)) in got
                .to_array()
                .into_iter()
                .zip(expected.to_array())
                .enumerate()
            {
                assert!(
                    g.abs_diff(e) <= 1,
                    "{src:?} over {dst:?}: channel {channel} is {g}, expected {e}"
                );
            }
        }
    }

    #[test]
    fn an_opaque_source_hides_the_destination_exactly() {
        // The solid-fill shortcut in `mesh` relies on this.
        let sources = [
            theme::INK,
            theme::ACCENT,
            theme::SURFACE,
            Color32::WHITE,
            Color32::BLACK,
        ];
        let destinations = [
            Color32::TRANSPARENT,
            theme::SURFACE,
            theme::MAP_LABEL_HALO,
            theme::MAP_OVERLAY_BG,
            Color32::WHITE,
        ];
        for src in sources {
            for dst in destinations {
                assert_eq!(blend(dst, rgba(src)), src, "{src:?} over {dst:?}");
            }
        }
    }

    #[test]
    fn scissor_rounds_like_egui_glow_and_stays_on_the_canvas() {
        let canvas = Canvas::filled(100, 50, theme::SURFACE);
        let cases = [
            // (clip in points, pixels per point, expected)
            (
                Rect::from_min_max(egui::pos2(10.0, 5.0), egui::pos2(20.0, 15.0)),
                1.0,
                [10, 5, 20, 15],
            ),
            (
                Rect::from_min_max(egui::pos2(10.2, 5.6), egui::pos2(20.4, 15.5)),
                1.0,
                [10, 6, 20, 16],
            ),
            (
                Rect::from_min_max(egui::pos2(10.0, 5.0), egui::pos2(20.0, 15.0)),
                2.0,
                [20, 10, 40, 30],
            ),
            (Rect::EVERYTHING, 1.0, [0, 0, 100, 50]),
            (Rect::NOTHING, 1.0, [100, 50, 100, 50]),
            (
                Rect::from_min_max(egui::pos2(-30.0, 60.0), egui::pos2(-10.0, 80.0)),
                1.0,
                [0, 50, 0, 50],
            ),
        ];
        for (clip, pixels_per_point, [x0, y0, x1, y1]) in cases {
            assert_eq!(
                canvas.scissor(clip, pixels_per_point),
                PixelRect { x0, y0, x1, y1 },
                "{clip:?} at {pixels_per_point}"
            );
        }
        assert!(canvas.scissor(Rect::NOTHING, 1.0).is_empty());
    }
}
