//! The one place for looks: design tokens (colours, sizes, spacing), the colour scales that
//! encode observed values on the map, and the CMA warning-signal severity palette.
//!
//! The console is drawn light on purpose: the value colour scales (rain greens, temperature
//! blues and reds) are designed to read against a pale map, and a duty room is lit.

// Colours are defined here and nowhere else (clippy.toml bans Color32 constructors elsewhere);
// this module is the exception the ban points to.
#![allow(clippy::disallowed_methods)]

use egui::{Color32, CornerRadius, FontFamily, FontId, Margin, Stroke, TextStyle, Vec2};

use crate::domain::Element;
use crate::domain::history::GapCause;
use crate::domain::warning::Level;

// ── Ink and surfaces ────────────────────────────────────────────────────────────────────────

/// Body text.
pub const INK: Color32 = Color32::from_rgb(0x1F, 0x29, 0x33);
/// Secondary text: units, captions, data age.
pub const INK_MUTED: Color32 = Color32::from_rgb(0x55, 0x62, 0x6C);
/// Tertiary text: hints, attribution.
pub const INK_FAINT: Color32 = Color32::from_rgb(0x7E, 0x8A, 0x93);
/// Panel background.
pub const SURFACE: Color32 = Color32::from_rgb(0xF5, 0xF6, 0xF7);
/// Raised surface: cards, the top bar, popups.
pub const SURFACE_RAISED: Color32 = Color32::from_rgb(0xFF, 0xFF, 0xFF);
/// Group headers and alternating rows.
pub const SURFACE_SUNKEN: Color32 = Color32::from_rgb(0xE9, 0xEC, 0xEF);
/// Text fields: a shade darker than the card or window they sit on, so an empty one shows.
pub const FIELD_BG: Color32 = Color32::from_rgb(0xEC, 0xEF, 0xF2);
/// Hairlines between panels and around cards.
pub const BORDER: Color32 = Color32::from_rgb(0xCF, 0xD6, 0xDB);
/// Selection and focus.
pub const ACCENT: Color32 = Color32::from_rgb(0x15, 0x65, 0xC0);
/// Background of the selected row.
pub const ACCENT_SOFT: Color32 = Color32::from_rgb(0xDC, 0xE9, 0xF8);
/// Background of hovered rows.
pub const HOVER_SOFT: Color32 = Color32::from_rgb(0xEE, 0xF3, 0xF9);

// ── Status ──────────────────────────────────────────────────────────────────────────────────

/// Link up, data current.
pub const STATUS_OK: Color32 = Color32::from_rgb(0x2E, 0x7D, 0x32);
/// Connecting, catching up.
pub const STATUS_PENDING: Color32 = Color32::from_rgb(0x9A, 0x6B, 0x00);
/// Link down, failures.
pub const STATUS_ERROR: Color32 = Color32::from_rgb(0xC6, 0x28, 0x28);
/// Background of the offline banner.
pub const BANNER_ERROR_BG: Color32 = Color32::from_rgb(0xFD, 0xEC, 0xEA);
/// Background of notices (failures the backend reported).
pub const BANNER_NOTICE_BG: Color32 = Color32::from_rgb(0xFF, 0xF6, 0xE0);
/// Stale station: marker fill and text.
pub const STALE: Color32 = Color32::from_rgb(0x9A, 0xA5, 0xAD);
/// "Simulated data" badge: text.
pub const SIMULATED_FG: Color32 = Color32::from_rgb(0x8A, 0x4B, 0x00);
/// "Simulated data" badge: background.
pub const SIMULATED_BG: Color32 = Color32::from_rgb(0xFF, 0xEB, 0xC8);

// ── Map ─────────────────────────────────────────────────────────────────────────────────────

/// Outside the county (neighbouring land).
pub const MAP_OUTSIDE: Color32 = Color32::from_rgb(0xE4, 0xE7, 0xE9);
/// The county's land.
pub const MAP_LAND: Color32 = Color32::from_rgb(0xFB, 0xFA, 0xF4);
/// The selected station's (approximate) township, tinted.
pub const MAP_TOWNSHIP_SELECTED: Color32 = Color32::from_rgb(0xF0, 0xF3, 0xE0);
/// Neighbouring county outlines.
pub const MAP_NEIGHBOUR_LINE: Color32 = Color32::from_rgb(0xA9, 0xB2, 0xB8);
/// The county outline.
pub const MAP_COUNTY_LINE: Color32 = Color32::from_rgb(0x37, 0x47, 0x4F);
/// Approximate township borders.
pub const MAP_TOWNSHIP_LINE: Color32 = Color32::from_rgb(0xB8, 0xAC, 0x8E);
/// Rivers.
pub const MAP_RIVER: Color32 = Color32::from_rgb(0x5B, 0x9B, 0xD5);
/// Labels of rivers.
pub const MAP_RIVER_LABEL: Color32 = Color32::from_rgb(0x2F, 0x6F, 0xA8);
/// Township names.
pub const MAP_TOWNSHIP_LABEL: Color32 = Color32::from_rgb(0x86, 0x7A, 0x5C);
/// Places (villages, township seats) and their names.
pub const MAP_PLACE: Color32 = Color32::from_rgb(0x6B, 0x63, 0x55);
/// Neighbouring county names.
pub const MAP_NEIGHBOUR_LABEL: Color32 = Color32::from_rgb(0x8C, 0x96, 0x9D);
/// Behind map labels, so they read over lines.
pub const MAP_LABEL_HALO: Color32 = Color32::from_rgba_premultiplied(0xFF, 0xFF, 0xFF, 0xD0);
/// Marker outlines.
pub const MAP_MARKER_STROKE: Color32 = Color32::from_rgb(0x26, 0x32, 0x38);
/// Overlays drawn on the map (legend, element switch).
pub const MAP_OVERLAY_BG: Color32 = Color32::from_rgba_premultiplied(0xF8, 0xF9, 0xFA, 0xE8);

// ── Chart series ────────────────────────────────────────────────────────────────────────────

/// The colour of an element's line in the charts.
pub fn series_colour(element: Element) -> Color32 {
    match element {
        Element::Tem => Color32::from_rgb(0xD3, 0x2F, 0x2F),
        Element::Dpt => Color32::from_rgb(0x00, 0x83, 0x8F),
        Element::Gst => Color32::from_rgb(0x8D, 0x6E, 0x63),
        Element::Rhu => Color32::from_rgb(0x00, 0x89, 0x7B),
        Element::Pre | Element::Pre1h | Element::Pre6h | Element::Pre24h => {
            Color32::from_rgb(0x2E, 0x8B, 0x3E)
        }
        Element::Prs | Element::PrsSea => Color32::from_rgb(0x6A, 0x1B, 0x9A),
        Element::WinSAvg2mi => Color32::from_rgb(0x37, 0x47, 0x4F),
        Element::WinSInstMax => Color32::from_rgb(0xEF, 0x6C, 0x00),
        Element::WinDAvg2mi => Color32::from_rgb(0x3F, 0x51, 0xB5),
        Element::Vis => Color32::from_rgb(0x60, 0x7D, 0x8B),
        Element::Svwc10cm => Color32::from_rgb(0x15, 0x65, 0xC0),
        Element::Gst10cm => Color32::from_rgb(0x79, 0x55, 0x48),
        Element::LeafWet => Color32::from_rgb(0x43, 0xA0, 0x47),
        Element::TemIn => Color32::from_rgb(0xC6, 0x28, 0x28),
        Element::RhuIn => Color32::from_rgb(0x00, 0x79, 0x6B),
        Element::Co2 => Color32::from_rgb(0x54, 0x6E, 0x7A),
    }
}

/// Chart grid lines.
pub const CHART_GRID: Color32 = Color32::from_rgb(0xD5, 0xDA, 0xDE);

/// Values quality control flagged, marked on history charts.
pub const QC_FLAGGED: Color32 = Color32::from_rgb(0xE6, 0x51, 0x00);

/// A series' colour washed out, for the raw line under its QC'd line.
pub fn faded(colour: Color32) -> Color32 {
    let [r, g, b, _] = colour.to_array();
    let wash = |c: u8| ((u16::from(c) + 2 * 0xFF) / 3) as u8;
    Color32::from_rgb(wash(r), wash(g), wash(b))
}

/// The shading of a gap in a history chart, by cause: grey for a station that was silent,
/// rose for an element that was missing, amber for values QC rejected, blue for maintenance.
pub fn gap_fill(cause: Option<GapCause>) -> Color32 {
    match cause {
        Some(GapCause::StationOffline) | None => {
            Color32::from_rgba_unmultiplied(0x90, 0x98, 0x9E, 0x50)
        }
        Some(GapCause::NoData) => Color32::from_rgba_unmultiplied(0xC6, 0x28, 0x28, 0x30),
        Some(GapCause::QcRejected) => Color32::from_rgba_unmultiplied(0xE6, 0x51, 0x00, 0x40),
        Some(GapCause::Maintenance) => Color32::from_rgba_unmultiplied(0x15, 0x65, 0xC0, 0x38),
    }
}

/// How a line is stroked, so series that share a colour still differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dash {
    /// Unbroken.
    Solid,
    /// Long dashes.
    Dashed,
    /// Dots.
    Dotted,
    /// Short dashes.
    ShortDashed,
}

/// One series' look in a chart with many: a colour and a dash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesStyle {
    /// Line (and legend swatch) colour.
    pub colour: Color32,
    /// How the line is stroked.
    pub dash: Dash,
}

/// Colours of multi-series charts: hues that stay far apart in a perceptual space (`OKLab`
/// distance at least 0.14) and dark enough to read on white, in an order that keeps
/// neighbours apart.
const SERIES_COLOURS: [Color32; 8] = [
    Color32::from_rgb(0x1F, 0x77, 0xB4),
    Color32::from_rgb(0xD6, 0x27, 0x28),
    Color32::from_rgb(0x2C, 0xA0, 0x2C),
    Color32::from_rgb(0xFF, 0x7F, 0x0E),
    Color32::from_rgb(0x94, 0x67, 0xBD),
    Color32::from_rgb(0x17, 0xBE, 0xCF),
    Color32::from_rgb(0x8C, 0x56, 0x4B),
    Color32::from_rgb(0xE3, 0x77, 0xC2),
];

/// Dashes, in the order they join once every colour is used.
const SERIES_DASHES: [Dash; 4] = [Dash::Solid, Dash::Dashed, Dash::Dotted, Dash::ShortDashed];

/// How many series a chart can tell apart: every colour with every dash.
pub const DISTINCT_SERIES: usize = SERIES_COLOURS.len() * SERIES_DASHES.len();

/// The look of the `index`th series of a multi-series chart (多站对比): colours first, then the
/// same colours dashed, so up to [`DISTINCT_SERIES`] series never share a look.
pub fn comparison_style(index: usize) -> SeriesStyle {
    let n = SERIES_COLOURS.len();
    SeriesStyle {
        colour: SERIES_COLOURS[index % n],
        dash: SERIES_DASHES[(index / n) % SERIES_DASHES.len()],
    }
}

/// The colour of the `index`th series of a multi-series chart (see [`comparison_style`]).
pub fn comparison_colour(index: usize) -> Color32 {
    comparison_style(index).colour
}

/// A colour in `OKLab` (lightness, a, b): a space where distance follows perceived difference.
pub fn oklab(colour: Color32) -> [f32; 3] {
    let linear = |c: u8| {
        let c = f32::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let [r, g, b, _] = colour.to_array().map(linear);
    let l = (0.412_221_46 * r + 0.536_332_55 * g + 0.051_445_995 * b).cbrt();
    let m = (0.211_903_5 * r + 0.680_699_5 * g + 0.107_396_96 * b).cbrt();
    let s = (0.088_302_46 * r + 0.281_718_85 * g + 0.629_978_7 * b).cbrt();
    [
        0.210_454_26 * l + 0.793_617_8 * m - 0.004_072_047 * s,
        1.977_998_5 * l - 2.428_592_2 * m + 0.450_593_7 * s,
        0.025_904_037 * l + 0.782_771_77 * m - 0.808_675_77 * s,
    ]
}

/// How different two colours look: their distance in `OKLab`.
pub fn perceived_distance(a: Color32, b: Color32) -> f32 {
    let (a, b) = (oklab(a), oklab(b));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f32>()
        .sqrt()
}

/// A wind rose's speed class (0 = the lightest), in the colours of the map's wind scale.
pub fn wind_class_colour(class: usize) -> Color32 {
    WIND_CLASSES[(class + 1).min(WIND_CLASSES.len() - 1)].1
}

/// Mean-wind arrows on history charts.
pub const WIND_ARROW: Color32 = Color32::from_rgb(0x37, 0x47, 0x4F);

/// Rain bars of history charts.
pub const RAIN_BAR: Color32 = Color32::from_rgb(0x2E, 0x8B, 0x3E);

// ── CMA warning signals ─────────────────────────────────────────────────────────────────────

/// A warning level's colour as the app paints signal icons and tinted townships: the
/// catalogue's [`Level::rgb`].
pub fn signal_colour(level: Level) -> Color32 {
    let [r, g, b] = level.rgb();
    Color32::from_rgb(r, g, b)
}

/// Text drawn on a signal's colour: white, except on yellow, where white cannot be read.
pub fn signal_ink(level: Level) -> Color32 {
    match level {
        Level::Yellow => INK,
        Level::Blue | Level::Orange | Level::Red => Color32::WHITE,
    }
}

/// A township under a warning in force: the level's colour, translucent so the map shows
/// through.
pub fn signal_tint(level: Level) -> Color32 {
    signal_colour(level).gamma_multiply(0.42)
}

/// The edge of a signal icon, a shade darker than its fill.
pub fn signal_edge(level: Level) -> Color32 {
    signal_colour(level).lerp_to_gamma(Color32::BLACK, 0.25)
}

// ── Value colour scales for the map ─────────────────────────────────────────────────────────

/// Air temperature, °C: a blue–yellow–red ramp, interpolated between these stops.
const TEMPERATURE_STOPS: [(f64, Color32); 9] = [
    (-5.0, Color32::from_rgb(49, 54, 149)),
    (3.0, Color32::from_rgb(69, 117, 180)),
    (10.0, Color32::from_rgb(116, 173, 209)),
    (16.0, Color32::from_rgb(171, 217, 233)),
    (20.0, Color32::from_rgb(254, 224, 144)),
    (25.0, Color32::from_rgb(253, 174, 97)),
    (30.0, Color32::from_rgb(244, 109, 67)),
    (35.0, Color32::from_rgb(215, 48, 39)),
    (40.0, Color32::from_rgb(165, 0, 38)),
];

/// One-hour precipitation classes (lower bound in mm, colour): CMA's rain-map colours, with
/// class bounds scaled to one hour.
pub const RAIN_1H_CLASSES: [(f64, Color32); 7] = [
    (0.0, Color32::from_rgb(236, 239, 241)),
    (0.1, Color32::from_rgb(166, 242, 143)),
    (2.0, Color32::from_rgb(61, 186, 61)),
    (4.0, Color32::from_rgb(97, 184, 255)),
    (8.0, Color32::from_rgb(0, 0, 225)),
    (20.0, Color32::from_rgb(250, 0, 250)),
    (50.0, Color32::from_rgb(128, 0, 64)),
];

/// Wind-speed classes (lower bound in m/s, colour) on the Beaufort bounds for forces 0–1, 2, 3,
/// 4, 5, 6, 7 and 8+.
pub const WIND_CLASSES: [(f64, Color32); 8] = [
    (0.0, Color32::from_rgb(200, 205, 208)),
    (1.6, Color32::from_rgb(158, 202, 225)),
    (3.4, Color32::from_rgb(66, 146, 198)),
    (5.5, Color32::from_rgb(65, 171, 93)),
    (8.0, Color32::from_rgb(254, 196, 79)),
    (10.8, Color32::from_rgb(236, 112, 20)),
    (13.9, Color32::from_rgb(204, 60, 20)),
    (17.2, Color32::from_rgb(153, 0, 13)),
];

/// The colour for an air temperature.
pub fn temperature_colour(celsius: f64) -> Color32 {
    let stops = &TEMPERATURE_STOPS;
    let (first, last) = (stops[0], stops[stops.len() - 1]);
    if celsius.is_nan() || celsius <= first.0 {
        return first.1;
    }
    if celsius >= last.0 {
        return last.1;
    }
    let upper = stops.partition_point(|&(at, _)| at <= celsius);
    let ((a, ca), (b, cb)) = (stops[upper - 1], stops[upper]);
    ca.lerp_to_gamma(cb, ((celsius - a) / (b - a)) as f32)
}

/// The fixed temperature scale's range, °C: where the map's legend starts and ends.
pub const TEMPERATURE_FIXED: (f64, f64) = (-5.0, 35.0);

/// The narrowest fitted temperature range, °C, so a calm day's small spread is not stretched
/// into alarming reds and blues.
const FITTED_MIN_SPAN: f64 = 4.0;

/// A temperature range fitted to `values`: whole degrees around the lowest and highest value,
/// at least [`FITTED_MIN_SPAN`] wide (widened about its middle); `None` without values.
pub fn fitted_temperature_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) =
        values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(None, |range, v| match range {
                None => Some((v, v)),
                Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
            })?;
    let (mut lo, mut hi) = (lo.floor(), hi.ceil());
    if hi - lo < FITTED_MIN_SPAN {
        let middle = ((lo + hi) / 2.0).round();
        lo = middle - FITTED_MIN_SPAN / 2.0;
        hi = middle + FITTED_MIN_SPAN / 2.0;
    }
    Some((lo, hi))
}

/// The colour for an air temperature on a scale spanning `range`: the fixed scale's colours
/// from its low end to its high end stretched over `range`.
pub fn temperature_colour_in(celsius: f64, range: (f64, f64)) -> Color32 {
    let (lo, hi) = range;
    let (fixed_lo, fixed_hi) = TEMPERATURE_FIXED;
    if hi <= lo {
        return temperature_colour(celsius);
    }
    temperature_colour(fixed_lo + (celsius - lo) / (hi - lo) * (fixed_hi - fixed_lo))
}

/// The colour of the class a value falls in (classes sorted by lower bound).
pub fn class_colour(classes: &[(f64, Color32)], value: f64) -> Color32 {
    let index = classes.partition_point(|&(lower, _)| lower <= value);
    classes[index.saturating_sub(1)].1
}

// ── Sizes ───────────────────────────────────────────────────────────────────────────────────

/// Body text size. CJK glyphs need more than egui's 13 px to stay legible.
pub const BODY_SIZE: f32 = 14.0;
/// Small text: captions, ages, attribution.
pub const SMALL_SIZE: f32 = 12.0;
/// Headings.
pub const HEADING_SIZE: f32 = 17.0;
/// Map labels.
pub const MAP_LABEL_SIZE: f32 = 12.5;
/// Station marker radius, points.
pub const MARKER_RADIUS: f32 = 6.5;
/// Space around panel contents.
pub const PANEL_MARGIN: i8 = 8;
/// Rounding of cards and chips.
pub const ROUNDING: u8 = 4;

/// Font for small text.
pub fn small() -> FontId {
    FontId::new(SMALL_SIZE, FontFamily::Proportional)
}

/// Font for map labels.
pub fn map_label() -> FontId {
    FontId::new(MAP_LABEL_SIZE, FontFamily::Proportional)
}

/// A critical device alarm's ink and tint (many devices at once: act now).
pub const ALARM_CRITICAL: (Color32, Color32) = (STATUS_ERROR, BANNER_ERROR_BG);
/// A major device alarm's ink and tint (fix today).
pub const ALARM_MAJOR: (Color32, Color32) = (QC_FLAGGED, BANNER_NOTICE_BG);
/// A minor device alarm's ink and tint (fix on the next round).
pub const ALARM_MINOR: (Color32, Color32) = (STATUS_PENDING, SURFACE_SUNKEN);

/// The frame of side and top panels.
pub fn panel_frame() -> egui::Frame {
    egui::Frame::new()
        .fill(SURFACE)
        .inner_margin(Margin::same(PANEL_MARGIN))
}

/// A framed chip: a short status word on a tinted background.
pub fn chip_frame(fill: Color32) -> egui::Frame {
    egui::Frame::new()
        .fill(fill)
        .corner_radius(CornerRadius::same(ROUNDING))
        .inner_margin(Margin::symmetric(6, 2))
}

/// A single-line text field the way forms show it (a visible background on white).
pub fn text_field(value: &mut String) -> egui::TextEdit<'_> {
    egui::TextEdit::singleline(value).background_color(FIELD_BG)
}

/// Where a window of the console opens: centred on the window's content, `y` points below
/// its top (under the top bar).
pub fn window_pos(ctx: &egui::Context, y: f32) -> egui::Pos2 {
    let rect = ctx.content_rect();
    egui::pos2(rect.center().x, rect.top() + y)
}

/// Installs the console's visuals and text sizes, for light and dark system themes alike:
/// the value scales only read on the light map, so the console does not follow a dark OS theme.
pub fn apply(ctx: &egui::Context) {
    for theme in [egui::Theme::Light, egui::Theme::Dark] {
        ctx.style_mut_of(theme, |style| {
            style.visuals = visuals();
            style.text_styles = [
                (TextStyle::Small, small()),
                (
                    TextStyle::Body,
                    FontId::new(BODY_SIZE, FontFamily::Proportional),
                ),
                (
                    TextStyle::Button,
                    FontId::new(BODY_SIZE, FontFamily::Proportional),
                ),
                (
                    TextStyle::Heading,
                    FontId::new(HEADING_SIZE, FontFamily::Proportional),
                ),
                (
                    TextStyle::Monospace,
                    FontId::new(BODY_SIZE - 1.0, FontFamily::Monospace),
                ),
            ]
            .into();
            style.spacing.item_spacing = Vec2::new(8.0, 5.0);
            style.spacing.button_padding = Vec2::new(8.0, 3.0);
            style.spacing.interact_size.y = 22.0;
        });
    }
}

fn visuals() -> egui::Visuals {
    let mut visuals = egui::Visuals::light();
    visuals.panel_fill = SURFACE;
    visuals.window_fill = SURFACE_RAISED;
    visuals.window_stroke = Stroke::new(1.0, BORDER);
    visuals.extreme_bg_color = SURFACE_RAISED;
    visuals.faint_bg_color = SURFACE_SUNKEN;
    visuals.override_text_color = None;
    visuals.widgets.noninteractive.fg_stroke = Stroke::new(1.0, INK);
    visuals.widgets.noninteractive.bg_stroke = Stroke::new(1.0, BORDER);
    visuals.selection.bg_fill = ACCENT_SOFT;
    visuals.selection.stroke = Stroke::new(1.0, ACCENT);
    visuals.hyperlink_color = ACCENT;
    visuals.warn_fg_color = STATUS_PENDING;
    visuals.error_fg_color = STATUS_ERROR;
    visuals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_scale_is_clamped_and_hits_its_stops() {
        assert_eq!(temperature_colour(-30.0), TEMPERATURE_STOPS[0].1);
        assert_eq!(temperature_colour(f64::NAN), TEMPERATURE_STOPS[0].1);
        assert_eq!(temperature_colour(55.0), TEMPERATURE_STOPS[8].1);
        assert_eq!(temperature_colour(20.0), TEMPERATURE_STOPS[4].1);
        let between = temperature_colour(22.5);
        assert_ne!(between, TEMPERATURE_STOPS[4].1);
        assert_ne!(between, TEMPERATURE_STOPS[5].1);
    }

    #[test]
    fn series_styles_stay_distinct_and_far_apart() {
        for n in [1, 2, 8, 16, 17, 24, DISTINCT_SERIES] {
            let styles: std::collections::HashSet<SeriesStyle> =
                (0..n).map(comparison_style).collect();
            assert_eq!(styles.len(), n, "{n} series, {n} looks");
        }
        for (i, a) in SERIES_COLOURS.iter().enumerate() {
            for b in &SERIES_COLOURS[i + 1..] {
                let d = perceived_distance(*a, *b);
                assert!(d >= 0.14, "{a:?} and {b:?} are only {d:.3} apart");
            }
            // Every line reads against the white chart.
            assert!(perceived_distance(*a, SURFACE_RAISED) >= 0.25, "{a:?}");
        }
        // The old palette's failure: 16 stations, the 13th back to the first's look.
        assert_ne!(comparison_style(0), comparison_style(12));
        assert_ne!(comparison_style(0), comparison_style(8));
        assert_eq!(comparison_style(0).colour, comparison_style(8).colour);
    }

    #[test]
    fn perceived_distance_follows_known_values() {
        let black = Color32::BLACK;
        let white = Color32::WHITE;
        assert!((perceived_distance(black, white) - 1.0).abs() < 1e-3);
        assert_eq!(perceived_distance(ACCENT, ACCENT), 0.0);
        // Two blues a forecaster confuses are closer than blue and red.
        let blue = Color32::from_rgb(0x1F, 0x77, 0xB4);
        let navy = Color32::from_rgb(0x39, 0x3B, 0x79);
        let red = Color32::from_rgb(0xD6, 0x27, 0x28);
        assert!(perceived_distance(blue, navy) < perceived_distance(blue, red));
    }

    #[test]
    fn fitted_temperature_range_comes_from_the_values() {
        type Case<'a> = (&'a [f64], Option<(f64, f64)>);
        let cases: [Case<'_>; 6] = [
            (&[], None),
            (&[f64::NAN], None),
            // A December morning: 16 stations between 1.2 and 6.8 °C.
            (&[1.2, 3.4, 6.8, 2.0], Some((1.0, 7.0))),
            // All alike: widened to 4 °C about the middle.
            (&[5.4, 5.6], Some((4.0, 8.0))),
            (&[-3.5], Some((-6.0, -2.0))),
            (&[12.0, 31.5], Some((12.0, 32.0))),
        ];
        for (values, range) in cases {
            assert_eq!(
                fitted_temperature_range(values.iter().copied()),
                range,
                "{values:?}"
            );
        }
    }

    #[test]
    fn a_fitted_scale_spreads_a_cold_day_over_the_whole_ramp() {
        let (lo, hi) = (1.0, 7.0);
        assert_eq!(
            temperature_colour_in(lo, (lo, hi)),
            temperature_colour(-5.0)
        );
        assert_eq!(
            temperature_colour_in(hi, (lo, hi)),
            temperature_colour(35.0)
        );
        // On the fixed scale 1 °C and 7 °C are both blue; fitted they are far apart.
        let fixed = perceived_distance(temperature_colour(1.0), temperature_colour(7.0));
        let fitted = perceived_distance(
            temperature_colour_in(1.0, (lo, hi)),
            temperature_colour_in(7.0, (lo, hi)),
        );
        assert!(fitted > 2.0 * fixed, "fixed {fixed:.3}, fitted {fitted:.3}");
        assert_eq!(
            temperature_colour_in(20.0, TEMPERATURE_FIXED),
            temperature_colour(20.0)
        );
    }

    #[test]
    fn classes_pick_the_class_containing_the_value() {
        let cases = [
            (0.0, 0),
            (0.05, 0),
            (0.1, 1),
            (1.9, 1),
            (2.0, 2),
            (49.9, 5),
            (120.0, 6),
        ];
        for (mm, class) in cases {
            assert_eq!(
                class_colour(&RAIN_1H_CLASSES, mm),
                RAIN_1H_CLASSES[class].1,
                "{mm} mm"
            );
        }
        assert_eq!(class_colour(&WIND_CLASSES, 17.2), WIND_CLASSES[7].1);
        assert_eq!(class_colour(&WIND_CLASSES, -1.0), WIND_CLASSES[0].1);
    }
}
