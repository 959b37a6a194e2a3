//! Rendering real egui views and checking their pixels.

use egui::{Color32, ColorImage, Pos2, Rect, pos2, vec2};
use egui_plot::{Line, Plot, PlotPoint, PlotPoints};

use super::*;
use crate::console::ui::theme;
use crate::domain::Element;

fn render_at(
    size: (f32, f32),
    pixels_per_point: f32,
    draw: impl FnMut(&mut egui::Ui),
) -> ColorImage {
    let request = RenderRequest {
        size: vec2(size.0, size.1),
        pixels_per_point,
    };
    render(request, draw).unwrap()
}

/// The pixel whose area contains `point` (in points).
fn pixel_at(image: &ColorImage, point: Pos2, pixels_per_point: f32) -> Color32 {
    let x = (point.x * pixels_per_point) as usize;
    let y = (point.y * pixels_per_point) as usize;
    image[(x, y)]
}

/// Every pixel with its centre in points.
fn pixels(image: &ColorImage, pixels_per_point: f32) -> impl Iterator<Item = (Pos2, Color32)> {
    let width = image.width();
    image.pixels.iter().enumerate().map(move |(i, &colour)| {
        let centre = pos2((i % width) as f32 + 0.5, (i / width) as f32 + 0.5) / pixels_per_point;
        (centre, colour)
    })
}

fn close(a: Color32, b: Color32, tolerance: u8) -> bool {
    a.to_array()
        .into_iter()
        .zip(b.to_array())
        .all(|(a, b)| a.abs_diff(b) <= tolerance)
}

fn is_dark(colour: Color32) -> bool {
    colour.r().max(colour.g()).max(colour.b()) < 0x80
}

const RECT: Rect = Rect {
    min: pos2(10.0, 10.0),
    max: pos2(30.0, 20.0),
};

#[test]
fn a_filled_rect_lands_on_its_pixels_at_any_density() {
    for pixels_per_point in [1.0, 1.5, 2.0] {
        let image = render_at((40.0, 30.0), pixels_per_point, |ui| {
            ui.painter().rect_filled(RECT, 0.0, theme::ACCENT);
        });
        let expected = [
            (40.0 * pixels_per_point) as usize,
            (30.0 * pixels_per_point) as usize,
        ];
        assert_eq!(image.size, expected);
        assert_eq!(
            pixel_at(&image, RECT.center(), pixels_per_point),
            theme::ACCENT
        );

        // Anti-aliasing feathers the edges by one pixel; inside and outside that, exact.
        let feather = 1.0 / pixels_per_point;
        for (centre, colour) in pixels(&image, pixels_per_point) {
            if RECT.shrink(feather).contains(centre) {
                assert_eq!(colour, theme::ACCENT, "{centre:?} at {pixels_per_point}");
            } else if !RECT.expand(feather).contains(centre) {
                assert_eq!(colour, theme::SURFACE, "{centre:?} at {pixels_per_point}");
            }
        }
    }
}

#[test]
fn clip_rects_bound_what_is_painted() {
    let clip = Rect::from_min_max(pos2(15.0, 12.0), pos2(25.0, 18.0));
    for pixels_per_point in [1.0, 2.0] {
        let image = render_at((40.0, 30.0), pixels_per_point, |ui| {
            ui.painter().with_clip_rect(clip).rect_filled(
                RECT.expand(4.0),
                0.0,
                theme::STATUS_ERROR,
            );
        });
        for (centre, colour) in pixels(&image, pixels_per_point) {
            let expected = if clip.contains(centre) {
                theme::STATUS_ERROR
            } else {
                theme::SURFACE
            };
            assert_eq!(colour, expected, "{centre:?} at {pixels_per_point}");
        }
    }
}

#[test]
fn a_half_transparent_rect_over_white_gives_the_mid_colour() {
    let image = render_at((40.0, 30.0), 1.0, |ui| {
        let painter = ui.painter();
        painter.rect_filled(RECT.expand(5.0), 0.0, theme::SURFACE_RAISED);
        painter.rect_filled(RECT, 0.0, theme::ACCENT.gamma_multiply(0.5));
    });
    let mid = theme::ACCENT.lerp_to_gamma(theme::SURFACE_RAISED, 0.5);
    let got = pixel_at(&image, RECT.center(), 1.0);
    assert!(close(got, mid, 1), "{got:?}, expected {mid:?}");
}

/// The label of the brief, in the body font, inside a margin.
const LABEL: &str = "气温 12.3 °C";

#[test]
fn text_renders_dark_pixels_inside_its_rect_and_nowhere_else() {
    let mut label_rect = Rect::NOTHING;
    let image = render_at((160.0, 40.0), 1.0, |ui| {
        egui::Frame::new().inner_margin(10).show(ui, |ui| {
            label_rect = ui.label(LABEL).rect;
        });
    });
    assert!(label_rect.is_positive(), "{label_rect:?}");

    let mut dark_inside = 0;
    let mut dark_in_cjk = 0;
    // The two CJK characters come first; at 14 pt they take at least the first 20 points.
    let cjk = Rect::from_min_size(label_rect.min, vec2(20.0, label_rect.height()));
    for (centre, colour) in pixels(&image, 1.0) {
        if label_rect.contains(centre) {
            dark_inside += usize::from(is_dark(colour));
            dark_in_cjk += usize::from(cjk.contains(centre) && is_dark(colour));
        } else if !label_rect.expand(2.0).contains(centre) {
            assert_eq!(
                colour,
                theme::SURFACE,
                "{centre:?} is outside {label_rect:?}"
            );
        }
    }
    assert!(dark_inside > 60, "{dark_inside} dark pixels in the label");
    assert!(dark_in_cjk > 20, "{dark_in_cjk} dark pixels in 气温");
}

/// One character, large, alone in a small image.
fn glyph(character: char) -> ColorImage {
    render_at((40.0, 40.0), 1.0, |ui| {
        egui::Frame::new().inner_margin(4).show(ui, |ui| {
            ui.label(egui::RichText::new(character).size(28.0).color(theme::INK));
        });
    })
}

#[test]
fn cjk_glyphs_come_from_the_bundled_font_not_as_missing_glyph_boxes() {
    // Characters no font has (unassigned code points) all render as the same box: that is how
    // a missing glyph would show.
    let tofu = glyph('\u{0378}');
    assert_eq!(
        tofu.pixels,
        glyph('\u{0379}').pixels,
        "the missing-glyph box"
    );
    assert!(tofu.pixels.iter().any(|&c| is_dark(c)), "the box is drawn");

    let rendered: Vec<(char, ColorImage)> = LABEL
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| (c, glyph(c)))
        .collect();
    for (i, (character, image)) in rendered.iter().enumerate() {
        assert!(
            image.pixels.iter().any(|&c| is_dark(c)),
            "{character} drew nothing"
        );
        assert_ne!(
            image.pixels, tofu.pixels,
            "{character} rendered as a missing glyph"
        );
        for (other, other_image) in &rendered[i + 1..] {
            if other != character {
                assert_ne!(
                    image.pixels, other_image.pixels,
                    "{character} looks like {other}"
                );
            }
        }
    }
}

#[test]
fn an_egui_plot_line_renders_along_the_line() {
    let colour = theme::series_colour(Element::Tem);
    let mut transform = None;
    let image = render_at((200.0, 150.0), 1.0, |ui| {
        let response = Plot::new("raster test plot")
            .show_axes(false)
            .show(ui, |plot| {
                let points = PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]]);
                plot.line(Line::new("TEM", points).color(colour).width(2.0));
            });
        transform = Some(response.transform);
    });
    let transform = transform.unwrap();
    for t in [0.1, 0.3, 0.5, 0.7, 0.9] {
        let at = transform.position_from_point(&PlotPoint::new(t, t));
        // The line is two points wide: some pixel of the 3 × 3 around its centre has its colour.
        let near = (-1..=1)
            .flat_map(|dy| (-1..=1).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| pixel_at(&image, at + vec2(dx as f32, dy as f32), 1.0));
        assert!(
            near.clone().any(|c| close(c, colour, 24)),
            "no line colour near {at:?}: {:?}",
            near.collect::<Vec<_>>()
        );
    }
    // And the line colour is nowhere far from the line (here: the top-left quarter of the plot).
    let corner = transform.position_from_point(&PlotPoint::new(0.0, 1.0));
    assert_ne!(pixel_at(&image, corner + vec2(10.0, 10.0), 1.0), colour);
}

#[test]
fn windows_appear_once_the_layout_has_settled() {
    // A window lays itself out invisibly on its first frame and shows on the next one.
    let image = render_at((200.0, 120.0), 1.0, |ui| {
        egui::Window::new("窗口")
            .fixed_pos(pos2(20.0, 20.0))
            .show(ui.ctx(), |ui| ui.label(LABEL));
    });
    let dark = image.pixels.iter().filter(|&&c| is_dark(c)).count();
    assert!(dark > 60, "{dark} dark pixels: the window did not show");
}

#[test]
fn png_round_trip_keeps_size_and_pixels() {
    let image = render_at((60.0, 30.0), 2.0, |ui| {
        ui.painter().rect_filled(RECT, 3.0, theme::ACCENT);
        ui.label(LABEL);
    });
    let decoded = image::load_from_memory(&encode_png(&image).unwrap())
        .unwrap()
        .to_rgba8();
    assert_eq!(
        [decoded.width() as usize, decoded.height() as usize],
        image.size
    );
    // Rendered images are opaque, so premultiplied and plain alpha agree.
    let expected: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    assert_eq!(decoded.into_raw(), expected);
}

#[test]
fn png_stores_alpha_unmultiplied() {
    let translucent = theme::ACCENT.gamma_multiply(0.5);
    let image = ColorImage::filled([3, 2], translucent);
    let decoded = image::load_from_memory(&encode_png(&image).unwrap())
        .unwrap()
        .to_rgba8();
    assert!(
        decoded
            .pixels()
            .all(|p| p.0 == translucent.to_srgba_unmultiplied())
    );

    let short = ColorImage {
        size: [3, 2],
        pixels: vec![translucent; 5],
        ..ColorImage::default()
    };
    assert!(matches!(
        encode_png(&short),
        Err(RasterError::Unencodable { pixels: 5, .. })
    ));
}

#[test]
fn requests_give_whole_pixel_sizes_within_bounds() {
    let ok = [
        ((100.0, 50.0), 1.0, [100, 50]),
        ((100.0, 50.0), 1.5, [150, 75]),
        ((100.3, 50.7), 2.0, [201, 101]),
        ((4096.0, 1.0), 2.0, [8192, 2]),
    ];
    for ((width, height), pixels_per_point, expected) in ok {
        let request = RenderRequest {
            size: vec2(width, height),
            pixels_per_point,
        };
        assert_eq!(request.pixel_size().unwrap(), expected, "{request:?}");
    }
    let refused = [
        ((0.0, 50.0), 1.0),
        ((100.0, -5.0), 1.0),
        ((100.0, 50.0), 0.0),
        ((100.0, 50.0), -1.0),
        ((100.0, 50.0), f32::NAN),
        ((f32::NAN, 50.0), 1.0),
        ((f32::INFINITY, 50.0), 1.0),
        ((4096.5, 1.0), 2.0),
    ];
    for ((width, height), pixels_per_point) in refused {
        let request = RenderRequest {
            size: vec2(width, height),
            pixels_per_point,
        };
        assert!(request.pixel_size().is_err(), "{request:?}");
        assert!(render(request, |_| {}).is_err());
    }
}

/// The export's workload: a console-sized view with three charts of a day of minute data.
/// Run with `cargo test --release --lib raster -- --ignored --nocapture`.
#[test]
#[ignore = "a timing, not a check; run on demand in release"]
fn console_sized_charts_render_quickly() {
    let day: Vec<[f64; 2]> = (0..1440)
        .map(|minute| {
            let x = f64::from(minute);
            [x, (x / 90.0).sin() * 5.0 + (x / 7.0).cos()]
        })
        .collect();
    let started = std::time::Instant::now();
    let image = render_at((800.0, 450.0), 2.0, |ui| {
        egui::CentralPanel::default().show(ui, |ui| {
            for (i, element) in [Element::Tem, Element::Rhu, Element::Prs]
                .into_iter()
                .enumerate()
            {
                ui.label(format!("图 {i}: 清流 58819"));
                Plot::new(("speed", i)).height(120.0).show(ui, |plot| {
                    let points = PlotPoints::from(day.clone());
                    plot.line(Line::new("series", points).color(theme::series_colour(element)));
                });
            }
        });
    });
    let elapsed = started.elapsed();
    assert_eq!(image.size, [1600, 900]);
    println!("1600 × 900 px, three charts of 1440 points: {elapsed:?}");
}
