//! The textures egui hands its painter (the font atlas first of all), kept in memory and
//! sampled the way OpenGL samples the textures `egui_glow` uploads: plain 8-bit RGBA holding
//! premultiplied gamma-space colours, filtered without any sRGB conversion.

use std::collections::HashMap;

use egui::epaint::ImageDelta;
use egui::{Color32, ImageData, TextureFilter, TextureId, TextureOptions, TextureWrapMode};

use super::canvas::{Rgba, unit};

/// Every texture egui has set and not yet freed.
#[derive(Default)]
pub(super) struct Textures {
    by_id: HashMap<TextureId, Texture>,
}

impl Textures {
    /// Applies one upload: a whole image replaces the texture, a patch overwrites its region.
    pub(super) fn set(&mut self, id: TextureId, delta: &ImageDelta) {
        let ImageData::Color(image) = &delta.image;
        match delta.pos {
            None => {
                self.by_id.insert(
                    id,
                    Texture {
                        size: image.size,
                        pixels: image.pixels.clone(),
                        options: delta.options,
                    },
                );
            }
            Some(pos) => match self.by_id.get_mut(&id) {
                Some(texture) => {
                    texture.patch(pos, image.size, &image.pixels);
                    // `egui_glow` sets the sampler parameters on every upload, patches included.
                    texture.options = delta.options;
                }
                None => tracing::warn!("egui patched texture {id:?}, which it never set"),
            },
        }
    }

    /// Forgets a texture egui freed.
    pub(super) fn free(&mut self, id: TextureId) {
        self.by_id.remove(&id);
    }

    /// The texture a mesh names, if egui set it.
    pub(super) fn get(&self, id: TextureId) -> Option<&Texture> {
        self.by_id.get(&id)
    }
}

/// One texture: its texels, premultiplied, and how to filter and wrap them.
pub(super) struct Texture {
    size: [usize; 2],
    pixels: Vec<Color32>,
    options: TextureOptions,
}

impl Texture {
    /// The texture's width and height in texels.
    pub(super) fn size(&self) -> [usize; 2] {
        self.size
    }

    /// The filter OpenGL picks for a fragment that covers `texels_per_pixel` texels across:
    /// minification above one (mipmaps aside, see the module doc of `raster`), magnification
    /// otherwise.
    pub(super) fn filter(&self, texels_per_pixel: f32) -> TextureFilter {
        if texels_per_pixel > 1.0 {
            self.options.minification
        } else {
            self.options.magnification
        }
    }

    /// The colour at `uv` (0–1 across the texture), filtered with `filter` and wrapped per the
    /// texture's options. Texel centres sit at half-texel offsets, as in OpenGL.
    pub(super) fn sample(&self, [u, v]: [f32; 2], filter: TextureFilter) -> Rgba {
        let [width, height] = self.size;
        if width == 0 || height == 0 {
            return [0.0; 4];
        }
        let x = u * width as f32;
        let y = v * height as f32;
        match filter {
            TextureFilter::Nearest => self.texel(x.floor() as i64, y.floor() as i64),
            TextureFilter::Linear => {
                let (x, y) = (x - 0.5, y - 0.5);
                let (left, top) = (x.floor(), y.floor());
                let (fx, fy) = (x - left, y - top);
                let (left, top) = (left as i64, top as i64);
                let mix = |a: Rgba, b: Rgba, t: f32| -> Rgba {
                    std::array::from_fn(|i| a[i] + (b[i] - a[i]) * t)
                };
                let upper = mix(self.texel(left, top), self.texel(left + 1, top), fx);
                let lower = mix(self.texel(left, top + 1), self.texel(left + 1, top + 1), fx);
                mix(upper, lower, fy)
            }
        }
    }

    /// The texel at column `x`, row `y`, wrapped onto the texture.
    fn texel(&self, x: i64, y: i64) -> Rgba {
        let [width, height] = self.size;
        let wrap_mode = self.options.wrap_mode;
        let index = wrap(y, height, wrap_mode) * width + wrap(x, width, wrap_mode);
        self.pixels[index].to_array().map(unit)
    }

    /// Overwrites the region at `pos` with `pixels` (`size` texels), clipped to the texture.
    fn patch(&mut self, [x, y]: [usize; 2], [width, height]: [usize; 2], pixels: &[Color32]) {
        let [texture_width, texture_height] = self.size;
        let columns = width.min(texture_width.saturating_sub(x));
        for row in 0..height.min(texture_height.saturating_sub(y)) {
            let target = (y + row) * texture_width + x;
            let source = row * width;
            self.pixels[target..target + columns]
                .copy_from_slice(&pixels[source..source + columns]);
        }
    }
}

/// Texel index `i` mapped onto `0..n` (`n > 0`) by `mode`, as OpenGL's wrap modes do.
fn wrap(i: i64, n: usize, mode: TextureWrapMode) -> usize {
    let n = n as i64;
    let wrapped = match mode {
        TextureWrapMode::ClampToEdge => i.clamp(0, n - 1),
        TextureWrapMode::Repeat => i.rem_euclid(n),
        TextureWrapMode::MirroredRepeat => {
            let folded = i.rem_euclid(2 * n);
            if folded < n {
                folded
            } else {
                2 * n - 1 - folded
            }
        }
    };
    wrapped as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ui::theme;
    use egui::ColorImage;

    #[test]
    fn wrap_modes_map_indices_like_opengl() {
        use TextureWrapMode::{ClampToEdge, MirroredRepeat, Repeat};
        let cases = [
            // (index, mode, expected) on a texture 4 texels wide
            (-3, ClampToEdge, 0),
            (2, ClampToEdge, 2),
            (9, ClampToEdge, 3),
            (-1, Repeat, 3),
            (5, Repeat, 1),
            (-1, MirroredRepeat, 0),
            (4, MirroredRepeat, 3),
            (6, MirroredRepeat, 1),
            (8, MirroredRepeat, 0),
        ];
        for (index, mode, expected) in cases {
            assert_eq!(wrap(index, 4, mode), expected, "{index} with {mode:?}");
        }
    }

    fn two_texels(options: TextureOptions) -> Texture {
        Texture {
            size: [2, 1],
            pixels: vec![theme::INK, theme::SURFACE_RAISED],
            options,
        }
    }

    #[test]
    fn linear_filtering_interpolates_between_texel_centres() {
        let texture = two_texels(TextureOptions::LINEAR);
        let ink = theme::INK.to_array().map(unit);
        let white = theme::SURFACE_RAISED.to_array().map(unit);
        let cases = [
            // (u, expected weight of the white texel)
            (0.0, 0.0),
            (0.25, 0.0),
            (0.5, 0.5),
            (0.625, 0.75),
            (0.75, 1.0),
            (1.0, 1.0),
        ];
        for (u, weight) in cases {
            let got = texture.sample([u, 0.5], TextureFilter::Linear);
            for channel in 0..4 {
                let expected = ink[channel] + (white[channel] - ink[channel]) * weight;
                assert!(
                    (got[channel] - expected).abs() < 1e-5,
                    "u = {u}: channel {channel} is {}, expected {expected}",
                    got[channel]
                );
            }
        }
        assert_eq!(texture.sample([0.49, 0.5], TextureFilter::Nearest), ink);
        assert_eq!(texture.sample([0.51, 0.5], TextureFilter::Nearest), white);
    }

    #[test]
    fn filter_follows_the_scale_and_the_texture_options() {
        let texture = two_texels(TextureOptions {
            magnification: TextureFilter::Nearest,
            minification: TextureFilter::Linear,
            ..TextureOptions::LINEAR
        });
        assert_eq!(texture.filter(0.5), TextureFilter::Nearest);
        assert_eq!(texture.filter(1.0), TextureFilter::Nearest);
        assert_eq!(texture.filter(3.0), TextureFilter::Linear);
    }

    #[test]
    fn patches_overwrite_their_region_only() {
        let id = TextureId::Managed(0);
        let mut textures = Textures::default();
        let base = ColorImage::filled([4, 3], theme::SURFACE);
        textures.set(id, &ImageDelta::full(base, TextureOptions::NEAREST));
        let patch = ColorImage::filled([2, 2], theme::INK);
        // The second patch hangs over the right edge: only its first column lands.
        textures.set(
            id,
            &ImageDelta::partial([1, 1], patch.clone(), TextureOptions::LINEAR),
        );
        textures.set(
            id,
            &ImageDelta::partial([3, 0], patch, TextureOptions::LINEAR),
        );

        let texture = textures.get(id).unwrap();
        assert_eq!(texture.options, TextureOptions::LINEAR);
        let rows: Vec<String> = texture
            .pixels
            .chunks(4)
            .map(|row| {
                row.iter()
                    .map(|&c| if c == theme::INK { '#' } else { '.' })
                    .collect()
            })
            .collect();
        assert_eq!(rows, ["...#", ".###", ".##."]);

        textures.free(id);
        assert!(textures.get(id).is_none());
    }
}
