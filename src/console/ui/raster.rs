//! Views rendered to an image on the CPU: what exports a chart as PNG, and what lets tests look
//! at pixels with no GPU and no window.
//!
//! [`render`] runs a fresh egui context with the console's fonts and theme until its layout
//! settles, tessellates the last frame, and paints the triangles the way `egui_glow` has OpenGL
//! paint them: per-vertex premultiplied colours times bilinear texture samples (the font atlas
//! above all), multiplied and blended "over" in gamma space, inside each clip rectangle rounded
//! to whole pixels, on a background of the panel colour. [`encode_png`] writes the result.
//!
//! What it leaves out, on purpose:
//! - `Primitive::Callback`: custom painting hands a GPU context to user code, which has no CPU
//!   equivalent; the console draws none, and such shapes are skipped.
//! - Mipmaps: textures are sampled from their full-size level only, so a strongly minified
//!   image aliases. egui's own textures (font atlas, discs) are drawn at or near their size.
//! - Geometry beyond a million pixels from the origin: a triangle with such a corner is
//!   dropped, which keeps the exact coverage arithmetic in 64 bits. No view of the console
//!   comes near it.
//! - Dithering: `eframe` adds a little noise before quantising to 8 bits against banding; the
//!   image here is exact, so the same view always gives the same pixels.

mod canvas;
mod mesh;
mod textures;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::time::Duration;

use egui::epaint::{ClippedShape, Primitive};
use egui::{ClippedPrimitive, ColorImage, TextureId, TexturesDelta, ViewportId};

use super::{fonts, theme};
use canvas::Canvas;
use textures::Textures;

/// The largest side of a rendered image, in pixels: beyond an A3 page at 300 dpi
/// (4961 × 3508), and a quarter of a gigabyte at most.
pub const MAX_SIDE_PX: usize = 8192;

/// At most this many frames are run for the layout to settle: enough for fonts to load, for
/// windows and popups to do their invisible sizing pass, and for animations to finish.
const MAX_FRAMES: usize = 8;

/// The clock advances this much per frame, so that egui's animations (a twelfth of a second by
/// default) have finished by the frame after they start.
const FRAME_STEP_S: f32 = 0.25;

/// What to render: the size of the view and the display density.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderRequest {
    /// The view's size, in points.
    pub size: egui::Vec2,
    /// Physical pixels per point: 1 as on a plain screen, 2 for a sharper export.
    pub pixels_per_point: f32,
}

impl RenderRequest {
    /// The image's width and height in pixels: the size in points times the density, rounded.
    pub fn pixel_size(&self) -> Result<[usize; 2], RasterError> {
        let invalid = || RasterError::InvalidSize {
            size: self.size,
            pixels_per_point: self.pixels_per_point,
        };
        if !(self.pixels_per_point.is_finite() && self.pixels_per_point > 0.0) {
            return Err(invalid());
        }
        let side = |points: f32| {
            let pixels = (points * self.pixels_per_point).round();
            // NaN fails the range check, and the check bounds the cast.
            (1.0..=MAX_SIDE_PX as f32)
                .contains(&pixels)
                .then_some(pixels as usize)
        };
        match (side(self.size.x), side(self.size.y)) {
            (Some(width), Some(height)) => Ok([width, height]),
            _ => Err(invalid()),
        }
    }
}

/// Why a view could not be rendered or encoded.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    /// The request gives no image of at least one and at most [`MAX_SIDE_PX`] pixels a side.
    #[error(
        "cannot render a view of {size:?} points at {pixels_per_point} pixels per point \
         (each side must come to 1–{MAX_SIDE_PX} pixels)"
    )]
    InvalidSize {
        /// The requested size, in points.
        size: egui::Vec2,
        /// The requested density.
        pixels_per_point: f32,
    },
    /// The image's size does not fit PNG (or its pixels do not fill it).
    #[error("cannot encode a {width}×{height} image holding {pixels} pixels as PNG")]
    Unencodable {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// How many pixels it holds.
        pixels: usize,
    },
    /// The PNG encoder failed.
    #[error("cannot encode the image as PNG: {0}")]
    Png(#[from] image::ImageError),
}

/// Renders what `draw` draws into a view of `request.size` points, with the console's fonts
/// and theme, as an image of premultiplied sRGBA pixels (opaque: the panel colour is behind
/// everything).
///
/// `draw` is called once per pass, like an app's `ui`: several times while egui settles the
/// layout. The root `Ui` it gets has no margin and no background; use panels or frames as the
/// console does.
pub fn render(
    request: RenderRequest,
    mut draw: impl FnMut(&mut egui::Ui),
) -> Result<ColorImage, RasterError> {
    let [width, height] = request.pixel_size()?;
    let ctx = egui::Context::default();
    fonts::install(&ctx);
    theme::apply(&ctx);
    Ok(render_in(
        &ctx,
        request.pixels_per_point,
        [width, height],
        &mut draw,
    ))
}

/// Renders a `width` × `height` pixel image of what `draw` draws, with `ctx` as it is set up.
fn render_in(
    ctx: &egui::Context,
    pixels_per_point: f32,
    [width, height]: [usize; 2],
    draw: &mut dyn FnMut(&mut egui::Ui),
) -> ColorImage {
    // The screen in points is the image exactly, whatever the rounding of the pixel size.
    let screen = egui::vec2(width as f32, height as f32) / pixels_per_point;
    let mut textures = Textures::default();
    let frame = settle(ctx, screen, pixels_per_point, &mut textures, draw);

    let mut canvas = Canvas::filled(width, height, ctx.global_style().visuals.panel_fill);
    let primitives = ctx.tessellate(frame.shapes, frame.pixels_per_point);
    paint(&mut canvas, &primitives, &textures, frame.pixels_per_point);
    canvas.into_image()
}

/// The shapes of a frame, in points, and the density they were laid out for.
struct Frame {
    shapes: Vec<ClippedShape>,
    pixels_per_point: f32,
}

/// Runs frames until egui asks for no immediate repaint (or [`MAX_FRAMES`] have run), keeping
/// every texture upload on the way, and returns the last frame.
fn settle(
    ctx: &egui::Context,
    screen: egui::Vec2,
    pixels_per_point: f32,
    textures: &mut Textures,
    draw: &mut dyn FnMut(&mut egui::Ui),
) -> Frame {
    let mut frame_index = 0;
    loop {
        // `run_ui` itself repeats the pass when egui discards one (`request_discard`).
        let mut output = ctx.run_ui(input(screen, pixels_per_point, frame_index), &mut *draw);
        let freed = upload(textures, &mut output.textures_delta);
        let settled = output
            .viewport_output
            .get(&ViewportId::ROOT)
            .is_none_or(|viewport| viewport.repaint_delay > Duration::ZERO);
        frame_index += 1;
        if settled || frame_index == MAX_FRAMES {
            // What this frame frees, it frees after being painted: nothing to do.
            return Frame {
                shapes: output.shapes,
                pixels_per_point: output.pixels_per_point,
            };
        }
        for id in freed {
            textures.free(id);
        }
    }
}

/// The input of frame number `frame_index`: the screen, its density and the clock; no events.
fn input(screen: egui::Vec2, pixels_per_point: f32, frame_index: usize) -> egui::RawInput {
    let mut input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, screen)),
        time: Some(frame_index as f64 * f64::from(FRAME_STEP_S)),
        predicted_dt: FRAME_STEP_S,
        ..Default::default()
    };
    input
        .viewports
        .entry(ViewportId::ROOT)
        .or_default()
        .native_pixels_per_point = Some(pixels_per_point);
    input
}

/// Applies a frame's texture uploads and returns the textures it frees, emptying `delta`
/// (egui checks that its painter took every delta).
fn upload(textures: &mut Textures, delta: &mut TexturesDelta) -> HashSet<TextureId> {
    for (id, deltas) in std::mem::take(&mut delta.set) {
        for image in &deltas {
            textures.set(id, image);
        }
    }
    std::mem::take(&mut delta.free).into_iter().collect()
}

/// Paints tessellated primitives in order, each inside its clip rectangle.
fn paint(
    canvas: &mut Canvas,
    primitives: &[ClippedPrimitive],
    textures: &Textures,
    pixels_per_point: f32,
) {
    for ClippedPrimitive {
        clip_rect,
        primitive,
    } in primitives
    {
        // Callbacks: see the module doc.
        let Primitive::Mesh(mesh) = primitive else {
            continue;
        };
        let scissor = canvas.scissor(*clip_rect, pixels_per_point);
        if scissor.is_empty() {
            continue;
        }
        match textures.get(mesh.texture_id) {
            Some(texture) => mesh::paint(canvas, scissor, mesh, texture, pixels_per_point),
            None => tracing::warn!(
                "a mesh names texture {:?}, which egui never set",
                mesh.texture_id
            ),
        }
    }
}

/// The image as a PNG file (8-bit RGBA, alpha not premultiplied as PNG requires).
pub fn encode_png(image: &ColorImage) -> Result<Vec<u8>, RasterError> {
    use image::ImageEncoder as _;

    let [width, height] = image.size;
    let unencodable = || RasterError::Unencodable {
        width,
        height,
        pixels: image.pixels.len(),
    };
    if width.checked_mul(height) != Some(image.pixels.len()) {
        // The encoder would panic on a buffer of the wrong length.
        return Err(unencodable());
    }
    let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(unencodable());
    };
    let rgba: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|pixel| pixel.to_srgba_unmultiplied())
        .collect();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(
        &rgba,
        width,
        height,
        image::ExtendedColorType::Rgba8,
    )?;
    Ok(png)
}
