//! What floats on the map: the element switch (top left), zoom buttons (top right), the
//! legend (bottom left), the scale bar and attribution (bottom right). Laid out before the
//! stations are labelled, so labels keep clear of them.

use std::sync::Arc;

use egui::{
    Align2, Color32, CornerRadius, FontId, Galley, Pos2, Rect, Stroke, StrokeKind, pos2, vec2,
};
use walkers::{Projector, lon_lat};

use super::{MapAction, MapElement, TemperatureScale};
use crate::console::ui::{Scene, i18n, theme};

/// What the markers show and how they are coloured this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Colouring {
    /// The element shown.
    pub element: MapElement,
    /// Fixed or fitted temperature scale.
    pub scale: TemperatureScale,
    /// The temperature range the colours span, °C.
    pub temperature: (f64, f64),
}

const MARGIN: f32 = 8.0;
const PADDING: f32 = 6.0;
const BUTTON_HEIGHT: f32 = 22.0;
const ZOOM_BUTTON: f32 = 28.0;
const LEGEND_WIDTH: f32 = 270.0;
const BAR_HEIGHT: f32 = 10.0;

/// Where each overlay goes this frame.
pub struct OverlayLayout {
    switch_box: Rect,
    show_caption: bool,
    switch_buttons: [(MapElement, &'static str, Rect); 3],
    zoom_buttons: [Rect; 3],
    legend: Rect,
    legend_parts: LegendParts,
    /// The temperature legend's two scales, as buttons that state their ranges.
    scale_buttons: Vec<(TemperatureScale, String, Rect)>,
    footer: Rect,
    attribution: Arc<Galley>,
}

struct LegendParts {
    title: Arc<Galley>,
    barbs: Option<Arc<Galley>>,
    symbols: [Arc<Galley>; 3],
    note: Arc<Galley>,
}

impl OverlayLayout {
    /// The part of the map the overlays leave free: where the county should fit.
    pub fn free_area(&self) -> Rect {
        let top = self
            .switch_box
            .bottom()
            .max(self.zoom_buttons[0].top() - 2.0)
            + 4.0;
        Rect::from_min_max(
            pos2(self.legend.left() + 4.0, top),
            pos2(self.zoom_buttons[2].left() - 4.0, self.legend.top() - 4.0),
        )
    }

    /// The rectangles labels must keep clear of.
    pub fn reserved(&self) -> [Rect; 4] {
        let zoom = self.zoom_buttons[0].union(self.zoom_buttons[2]);
        [self.switch_box, zoom, self.legend, self.footer]
    }
}

fn element_label(scene: Scene<'_>, element: MapElement) -> &'static str {
    match element {
        MapElement::Temperature => scene.text.map_temperature,
        MapElement::Rain1h => scene.text.map_rain,
        MapElement::Wind => scene.text.map_wind,
    }
}

/// Lays out the overlays for a map in `rect`.
pub fn layout(ui: &egui::Ui, rect: Rect, colours: Colouring, scene: Scene<'_>) -> OverlayLayout {
    let element = colours.element;
    let text = scene.text;
    let painter = ui.painter();
    let body = FontId::proportional(theme::BODY_SIZE);
    let measure = |s: &str, font: FontId| painter.layout_no_wrap(s.to_owned(), font, theme::INK);

    // Zoom in and out, then "whole county", right-aligned down the top right corner.
    let padding = 2.0 * ui.spacing().button_padding.x + 4.0;
    let fit_width = (measure(text.map_fit_short, body.clone()).size().x + padding).max(ZOOM_BUTTON);
    let right = rect.right() - MARGIN;
    let zoom_column = |top: f32| {
        [(0.0, ZOOM_BUTTON), (1.0, ZOOM_BUTTON), (2.0, fit_width)].map(|(i, width)| {
            Rect::from_min_size(
                pos2(right - width, top + i * (ZOOM_BUTTON + 2.0)),
                vec2(width, ZOOM_BUTTON),
            )
        })
    };

    // Element switch: caption then one button per element; on a narrow map the caption goes,
    // and if the buttons still reach the zoom column, that moves down below them.
    let caption = measure(text.map_show, theme::small());
    let top = rect.top() + MARGIN + PADDING;
    let switch_for = |with_caption: bool| {
        let mut x = rect.left() + MARGIN + PADDING;
        if with_caption {
            x += caption.size().x + 6.0;
        }
        let buttons = [
            MapElement::Temperature,
            MapElement::Rain1h,
            MapElement::Wind,
        ]
        .map(|e| {
            let label = element_label(scene, e);
            let width = measure(label, body.clone()).size().x + padding;
            let button = Rect::from_min_size(pos2(x, top), vec2(width, BUTTON_HEIGHT));
            x += width + 4.0;
            (e, label, button)
        });
        let frame = Rect::from_min_max(
            pos2(rect.left() + MARGIN, rect.top() + MARGIN),
            pos2(x - 4.0 + PADDING, top + BUTTON_HEIGHT + PADDING),
        );
        (buttons, frame)
    };
    let zoom_left = right - fit_width;
    let (mut switch_buttons, mut switch_box) = switch_for(true);
    let show_caption = switch_box.right() < zoom_left - 4.0;
    if !show_caption {
        (switch_buttons, switch_box) = switch_for(false);
    }
    let zoom_buttons = if switch_box.right() < zoom_left - 4.0 {
        zoom_column(rect.top() + MARGIN)
    } else {
        zoom_column(switch_box.bottom() + 4.0)
    };

    // Footer: attribution on the last line, scale bar above it, right-aligned.
    let attribution = painter.layout(
        text.map_attribution.to_owned(),
        FontId::proportional(theme::SMALL_SIZE - 1.0),
        theme::INK_FAINT,
        rect.width() - 2.0 * MARGIN,
    );
    let footer = Rect::from_min_max(
        pos2(
            rect.right() - MARGIN - attribution.size().x.max(110.0),
            rect.bottom() - MARGIN - attribution.size().y - 24.0,
        ),
        pos2(rect.right() - MARGIN, rect.bottom() - MARGIN),
    );

    // Legend: title, colour bar with ticks, barb key (wind), symbols, township note.
    let inner = LEGEND_WIDTH - 2.0 * PADDING;
    let title = measure(
        match element {
            MapElement::Temperature => text.map_legend_temperature,
            MapElement::Rain1h => text.map_legend_rain,
            MapElement::Wind => text.map_legend_wind,
        },
        theme::small(),
    );
    let barbs = (element == MapElement::Wind).then(|| measure(text.map_barbs, theme::small()));
    let symbols =
        [text.map_national, text.map_regional, text.map_stale].map(|s| measure(s, theme::small()));
    let note = painter.layout(
        township_note(scene),
        FontId::proportional(theme::SMALL_SIZE - 1.0),
        theme::INK_MUTED,
        inner,
    );
    let row = theme::SMALL_SIZE + 4.0;
    // Temperature: the fixed and the fitted scale side by side, each naming its range.
    let scale_labels: Vec<(TemperatureScale, String)> = if element == MapElement::Temperature {
        let fitted = match colours.scale {
            TemperatureScale::Fitted => colours.temperature,
            TemperatureScale::Fixed => super::temperature_range(scene, TemperatureScale::Fitted),
        };
        vec![
            (
                TemperatureScale::Fixed,
                i18n::temperature_scale(scene.language, false, theme::TEMPERATURE_FIXED),
            ),
            (
                TemperatureScale::Fitted,
                i18n::temperature_scale(scene.language, true, fitted),
            ),
        ]
    } else {
        Vec::new()
    };
    let scale_row = if scale_labels.is_empty() {
        0.0
    } else {
        BUTTON_HEIGHT + 4.0
    };
    let height = PADDING * 2.0
        + title.size().y
        + 4.0
        + scale_row
        + BAR_HEIGHT
        + row
        + barbs.as_ref().map_or(0.0, |g| g.size().y + 4.0)
        + row * 2.0
        + note.size().y;
    let bottom = footer
        .top()
        .min(rect.bottom() - MARGIN - attribution.size().y - 4.0);
    let legend = Rect::from_min_size(
        pos2(rect.left() + MARGIN, bottom - height - 4.0),
        vec2(LEGEND_WIDTH, height),
    );
    let mut x = legend.left() + PADDING;
    let button_top = legend.top() + PADDING + title.size().y + 4.0;
    let scale_buttons = scale_labels
        .into_iter()
        .map(|(scale, label)| {
            let width = measure(&label, theme::small()).size().x + padding;
            let button = Rect::from_min_size(pos2(x, button_top), vec2(width, BUTTON_HEIGHT));
            x += width + 4.0;
            (scale, label, button)
        })
        .collect();
    OverlayLayout {
        switch_box,
        show_caption,
        switch_buttons,
        zoom_buttons,
        legend,
        legend_parts: LegendParts {
            title,
            barbs,
            symbols,
            note,
        },
        scale_buttons,
        footer,
        attribution,
    }
}

/// The legend's note on townships; while warnings are in force, also what their tint means.
fn township_note(scene: Scene<'_>) -> String {
    let note = scene.text.map_townships_note;
    let tinted =
        !crate::console::ui::warnings::in_force::in_force(&scene.state.warnings.records, scene.now)
            .is_empty();
    if tinted {
        let t = crate::console::ui::warnings::text::text(scene.language);
        format!("{note}\n{}", t.map_tint_note)
    } else {
        note.to_owned()
    }
}

fn overlay_box(painter: &egui::Painter, rect: Rect) {
    painter.rect(
        rect,
        CornerRadius::same(theme::ROUNDING),
        theme::MAP_OVERLAY_BG,
        Stroke::new(1.0, theme::BORDER),
        StrokeKind::Inside,
    );
}

/// Draws the overlays; returns what the user clicked.
pub fn overlays_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    projector: &Projector<'_>,
    colours: Colouring,
    layout: &OverlayLayout,
) -> Option<MapAction> {
    let element = colours.element;
    let painter = ui.painter().clone();
    let mut action = None;

    overlay_box(&painter, layout.switch_box);
    if layout.show_caption {
        painter.text(
            pos2(
                layout.switch_box.left() + PADDING,
                layout.switch_box.center().y,
            ),
            Align2::LEFT_CENTER,
            scene.text.map_show,
            theme::small(),
            theme::INK_MUTED,
        );
    }
    for &(e, label, rect) in &layout.switch_buttons {
        if ui
            .put(rect, egui::Button::selectable(e == element, label))
            .clicked()
        {
            action = Some(MapAction::Show(e));
        }
    }

    let zoom = [
        ("+", scene.text.map_zoom_in, MapAction::ZoomIn),
        ("−", scene.text.map_zoom_out, MapAction::ZoomOut),
        (scene.text.map_fit_short, scene.text.map_fit, MapAction::Fit),
    ];
    for (rect, (label, hover, on_click)) in layout.zoom_buttons.iter().zip(zoom) {
        let button = egui::Button::new(label).fill(theme::SURFACE_RAISED);
        if ui.put(*rect, button).on_hover_text(hover).clicked() {
            action = Some(on_click);
        }
    }

    legend_ui(&painter, layout, colours);
    for (scale, label, rect) in &layout.scale_buttons {
        let button =
            egui::Button::selectable(*scale == colours.scale, egui::RichText::new(label).small());
        if ui.put(*rect, button).clicked() {
            action = Some(MapAction::Scale(*scale));
        }
    }
    footer_ui(&painter, projector, layout);
    action
}

/// Where the temperature legend's ticks go: whole degrees on a 1-2-5 step, at most six.
pub fn temperature_ticks((lo, hi): (f64, f64)) -> Vec<f64> {
    let span = (hi - lo).max(1.0);
    let step = [1.0, 2.0, 5.0, 10.0, 20.0]
        .into_iter()
        .find(|step| span / step <= 5.0)
        .unwrap_or(50.0);
    let mut ticks = Vec::new();
    let mut tick = (lo / step).ceil() * step;
    while tick <= hi + 1e-9 {
        // `+ 0.0` turns −0 into 0, so no tick reads "-0".
        ticks.push(tick + 0.0);
        tick += step;
    }
    ticks
}

fn legend_ui(painter: &egui::Painter, layout: &OverlayLayout, colours: Colouring) {
    let element = colours.element;
    let rect = layout.legend;
    let parts = &layout.legend_parts;
    overlay_box(painter, rect);
    let left = rect.left() + PADDING;
    let width = rect.width() - 2.0 * PADDING;
    let mut y = rect.top() + PADDING;
    painter.galley(pos2(left, y), parts.title.clone(), theme::INK);
    y += parts.title.size().y + 4.0;
    if let Some((_, _, button)) = layout.scale_buttons.first() {
        y = button.bottom() + 4.0;
    }

    let bar = Rect::from_min_size(pos2(left, y), vec2(width, BAR_HEIGHT));
    let ticks: Vec<(f32, String)> = match element {
        MapElement::Temperature => {
            let (lo, hi) = colours.temperature;
            let steps = 60;
            for i in 0..steps {
                let t0 = i as f32 / steps as f32;
                let t1 = (i + 1) as f32 / steps as f32;
                let value = lo + (hi - lo) * f64::from((t0 + t1) / 2.0);
                painter.rect_filled(
                    Rect::from_x_y_ranges(
                        bar.lerp_inside(vec2(t0, 0.0)).x..=bar.lerp_inside(vec2(t1, 0.0)).x,
                        bar.y_range(),
                    ),
                    0.0,
                    theme::temperature_colour_in(value, colours.temperature),
                );
            }
            temperature_ticks(colours.temperature)
                .into_iter()
                .map(|v: f64| (((v - lo) / (hi - lo)) as f32, format!("{v:.0}")))
                .collect()
        }
        MapElement::Rain1h => class_bar(painter, bar, &theme::RAIN_1H_CLASSES),
        MapElement::Wind => class_bar(painter, bar, &theme::WIND_CLASSES),
    };
    painter.rect_stroke(
        bar,
        0.0,
        Stroke::new(1.0, theme::BORDER),
        StrokeKind::Outside,
    );
    y += BAR_HEIGHT;
    for (t, label) in ticks {
        let x = bar.left() + t * bar.width();
        painter.line_segment(
            [pos2(x, y), pos2(x, y + 3.0)],
            Stroke::new(1.0, theme::INK_MUTED),
        );
        painter.text(
            pos2(x, y + 2.0),
            Align2::CENTER_TOP,
            label,
            FontId::proportional(theme::SMALL_SIZE - 1.0),
            theme::INK_MUTED,
        );
    }
    y += theme::SMALL_SIZE + 4.0;
    if let Some(barbs) = &parts.barbs {
        painter.galley(pos2(left, y), barbs.clone(), theme::INK_MUTED);
        y += barbs.size().y + 4.0;
    }

    // Symbols: national square, regional circle, stale (grey, struck through).
    let row = theme::SMALL_SIZE + 4.0;
    let r = 5.0;
    let stroke = Stroke::new(1.2, theme::MAP_MARKER_STROKE);
    let centre = |x: f32, y: f32| pos2(x + r, y + row / 2.0);
    let c0 = centre(left, y);
    painter.rect(
        Rect::from_center_size(c0, vec2(2.0 * r, 2.0 * r)),
        CornerRadius::same(1),
        theme::SURFACE_RAISED,
        stroke,
        StrokeKind::Middle,
    );
    painter.galley(
        pos2(c0.x + r + 4.0, y + 1.0),
        parts.symbols[0].clone(),
        theme::INK,
    );
    let x1 = c0.x + r + 4.0 + parts.symbols[0].size().x + 14.0;
    let c1 = centre(x1, y);
    painter.circle(c1, r, theme::SURFACE_RAISED, stroke);
    painter.galley(
        pos2(c1.x + r + 4.0, y + 1.0),
        parts.symbols[1].clone(),
        theme::INK,
    );
    y += row;
    let c2 = centre(left, y);
    painter.circle(c2, r, theme::STALE, Stroke::new(1.2, theme::INK_MUTED));
    painter.line_segment(
        [c2 + vec2(-3.0, -3.0), c2 + vec2(3.0, 3.0)],
        Stroke::new(1.4, theme::INK_MUTED),
    );
    painter.galley(
        pos2(c2.x + r + 4.0, y + 1.0),
        parts.symbols[2].clone(),
        theme::INK,
    );
    y += row;
    painter.galley(pos2(left, y), parts.note.clone(), theme::INK_MUTED);
}

/// Paints class colours side by side; returns tick positions at the class bounds.
fn class_bar(painter: &egui::Painter, bar: Rect, classes: &[(f64, Color32)]) -> Vec<(f32, String)> {
    let n = classes.len() as f32;
    let mut ticks = Vec::new();
    for (i, &(lower, colour)) in classes.iter().enumerate() {
        let x0 = bar.left() + bar.width() * i as f32 / n;
        let x1 = bar.left() + bar.width() * (i + 1) as f32 / n;
        painter.rect_filled(Rect::from_x_y_ranges(x0..=x1, bar.y_range()), 0.0, colour);
        if i > 0 {
            ticks.push((i as f32 / n, format!("{lower}")));
        }
    }
    ticks
}

/// Scale bar lengths to choose from, km.
const SCALE_STEPS_KM: [f64; 7] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0];

/// The longest scale-bar length that stays within `max_px` at `px_per_km`.
pub fn scale_bar_km(px_per_km: f64, max_px: f64) -> f64 {
    SCALE_STEPS_KM
        .into_iter()
        .rev()
        .find(|km| km * px_per_km <= max_px)
        .unwrap_or(SCALE_STEPS_KM[0])
}

fn footer_ui(painter: &egui::Painter, projector: &Projector<'_>, layout: &OverlayLayout) {
    let rect = layout.footer;
    let attribution_at = pos2(
        rect.right() - layout.attribution.size().x,
        rect.bottom() - layout.attribution.size().y,
    );
    painter.rect_filled(
        Rect::from_min_size(attribution_at, layout.attribution.size()).expand(2.0),
        CornerRadius::same(2),
        theme::MAP_LABEL_HALO,
    );
    painter.galley(attribution_at, layout.attribution.clone(), theme::INK_FAINT);

    let centre = projector.unproject(projector.clip_rect().center().to_vec2());
    let px_per_km =
        f64::from(projector.scale_pixel_per_meter(lon_lat(centre.x(), centre.y()))) * 1000.0;
    let km = scale_bar_km(px_per_km, 110.0);
    let length = (km * px_per_km) as f32;
    let y = attribution_at.y - 8.0;
    let right = rect.right() - 2.0;
    let start = Pos2::new(right - length, y);
    let stroke = Stroke::new(2.0, theme::MAP_COUNTY_LINE);
    painter.line_segment([start, pos2(right, y)], stroke);
    painter.line_segment([start, start - vec2(0.0, 5.0)], stroke);
    painter.line_segment([pos2(right, y), pos2(right, y - 5.0)], stroke);
    painter.text(
        pos2(right - length / 2.0, y - 3.0),
        Align2::CENTER_BOTTOM,
        format!("{km:.0} km"),
        theme::small(),
        theme::INK,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_ticks_are_whole_and_few() {
        let cases: [((f64, f64), &[f64]); 4] = [
            ((-5.0, 35.0), &[0.0, 10.0, 20.0, 30.0]),
            ((1.0, 7.0), &[2.0, 4.0, 6.0]),
            ((4.0, 8.0), &[4.0, 5.0, 6.0, 7.0, 8.0]),
            ((-6.0, -2.0), &[-6.0, -5.0, -4.0, -3.0, -2.0]),
        ];
        for (range, ticks) in cases {
            assert_eq!(temperature_ticks(range), ticks, "{range:?}");
        }
    }

    #[test]
    fn scale_bar_picks_the_longest_that_fits() {
        let cases = [
            (10.0, 110.0, 10.0),
            (10.0, 99.0, 5.0),
            (1.0, 110.0, 100.0),
            (500.0, 110.0, 1.0),
        ];
        for (px_per_km, max_px, km) in cases {
            assert_eq!(scale_bar_km(px_per_km, max_px), km, "{px_per_km} px/km");
        }
    }
}
