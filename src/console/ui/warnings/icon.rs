//! Warning-signal icons drawn by the app, in the CMA look: a rounded square in the level's
//! colour with the type's Chinese name, and under it the level once there is room (40 px and
//! up). From 20 px on the top bar to 64 px in lists; no image files to ship or license.

use std::sync::OnceLock;

use egui::{Align2, Color32, CornerRadius, FontId, Painter, Rect, Stroke, StrokeKind};

use crate::console::ui::i18n::Language;
use crate::console::ui::theme;
use crate::domain::warning::{Catalogue, Level};

/// From this size on the icon has room for the level under the name.
const TWO_LINES_FROM: f32 = 40.0;

/// The national signal catalogue as shipped, read once. `None` if it does not load (a test
/// guards the shipped file), and then icons and titles fall back to the signal's id.
fn catalogue() -> Option<&'static Catalogue> {
    static CATALOGUE: OnceLock<Option<Catalogue>> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| crate::assets::national_signals().ok())
        .as_ref()
}

/// A signal type's name: 暴雨 / Rainstorm; its id when the catalogue does not know it.
pub fn signal_name(signal: &str, language: Language) -> String {
    let found = catalogue().and_then(|c| c.signal(signal));
    match (found, language) {
        (Some(s), Language::Zh) => s.zh.clone(),
        (Some(s), Language::En) => s.en.clone(),
        (None, _) => signal.to_owned(),
    }
}

/// A signal's title as warnings name it: 暴雨黄色 / Rainstorm yellow.
pub fn signal_title(signal: &str, level: Level, language: Language) -> String {
    match language {
        Language::Zh => format!("{}{}", signal_name(signal, language), level.zh()),
        Language::En => format!("{} {}", signal_name(signal, language), level.id()),
    }
}

/// What an icon shows: its colours and words.
#[derive(Debug, Clone, PartialEq)]
pub struct IconLook {
    /// The square's colour.
    pub fill: Color32,
    /// The words' colour.
    pub ink: Color32,
    /// The type's Chinese name (the icon is Chinese in every interface language, as issued).
    pub name: String,
    /// The level's Chinese name, shown when there is room.
    pub level: &'static str,
}

/// The look of the icon of `signal` at `level`.
pub fn icon_look(signal: &str, level: Level) -> IconLook {
    IconLook {
        fill: theme::signal_colour(level),
        ink: theme::signal_ink(level),
        name: signal_name(signal, Language::Zh),
        level: level.zh(),
    }
}

/// The font size at which `chars` characters fill `width` with a margin, capped at `cap`.
fn fitting_size(chars: usize, width: f32, cap: f32) -> f32 {
    (width * 0.84 / chars.max(1) as f32).min(cap)
}

/// Paints the icon of `signal` at `level` into `rect` (square or not: the square is centred).
pub fn paint_signal_icon(painter: &Painter, rect: Rect, signal: &str, level: Level) {
    let side = rect.width().min(rect.height());
    let square = Rect::from_center_size(rect.center(), egui::vec2(side, side));
    let look = icon_look(signal, level);
    let radius = CornerRadius::same((side * 0.16).round() as u8);
    painter.rect(
        square,
        radius,
        look.fill,
        Stroke::new(1.0, theme::signal_edge(level)),
        StrokeKind::Inside,
    );
    let chars = look.name.chars().count();
    let font = |size: f32| FontId::proportional(size);
    if side < TWO_LINES_FROM {
        let size = fitting_size(chars, side, side * 0.5);
        painter.text(
            square.center(),
            Align2::CENTER_CENTER,
            &look.name,
            font(size),
            look.ink,
        );
        return;
    }
    // Four-character names (雷雨大风, 道路结冰) go on two lines of two, as on the issued icons.
    let (name_lines, name_chars) = if chars > 3 {
        let split: String = look.name.chars().take(2).collect();
        let rest: String = look.name.chars().skip(2).collect();
        (vec![split, rest], 2)
    } else {
        (vec![look.name.clone()], chars)
    };
    let name_size = fitting_size(name_chars, side, side * 0.3);
    let level_size = fitting_size(2, side, side * 0.2);
    let lines = name_lines.len() as f32;
    let total = name_size * lines + level_size * 1.15;
    let mut y = square.center().y - total / 2.0;
    for line in &name_lines {
        painter.text(
            egui::pos2(square.center().x, y + name_size / 2.0),
            Align2::CENTER_CENTER,
            line,
            font(name_size),
            look.ink,
        );
        y += name_size;
    }
    painter.text(
        egui::pos2(square.center().x, y + level_size * 0.15 + level_size / 2.0),
        Align2::CENTER_CENTER,
        look.level,
        font(level_size),
        look.ink,
    );
}

/// An icon of `side` pixels in the layout, named for screen readers and tests by its title.
pub fn signal_icon_ui(ui: &mut egui::Ui, side: f32, signal: &str, level: Level) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    paint_signal_icon(ui.painter(), rect, signal, level);
    let title = signal_title(signal, level, Language::Zh);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &title));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_takes_the_levels_colour_and_the_types_chinese_name() {
        let cases = [
            ("rainstorm", Level::Yellow, "暴雨", "黄色", theme::INK),
            ("rainstorm", Level::Red, "暴雨", "红色", Color32::WHITE),
            ("gale", Level::Blue, "大风", "蓝色", Color32::WHITE),
            (
                "high_temperature",
                Level::Orange,
                "高温",
                "橙色",
                Color32::WHITE,
            ),
            (
                "no_such_signal",
                Level::Blue,
                "no_such_signal",
                "蓝色",
                Color32::WHITE,
            ),
        ];
        for (signal, level, name, level_zh, ink) in cases {
            let look = icon_look(signal, level);
            let [r, g, b] = level.rgb();
            assert_eq!(look.fill.to_array(), [r, g, b, 255], "{signal} {level:?}");
            assert_eq!((look.name.as_str(), look.level), (name, level_zh));
            assert_eq!(look.ink, ink, "{signal} {level:?}");
        }
    }

    #[test]
    fn titles_name_the_type_and_level_in_the_interface_language() {
        assert_eq!(
            signal_title("rainstorm", Level::Yellow, Language::Zh),
            "暴雨黄色"
        );
        assert_eq!(
            signal_title("rainstorm", Level::Yellow, Language::En),
            "Rainstorm yellow"
        );
    }

    #[test]
    fn every_shipped_name_fits_the_smallest_icon() {
        let catalogue = catalogue().expect("the shipped catalogue loads");
        for signal in &catalogue.signals {
            let chars = signal.zh.chars().count();
            let size = fitting_size(chars, 20.0, 10.0);
            assert!(size * chars as f32 <= 20.0 * 0.84 + 1e-3, "{}", signal.zh);
            assert!(
                size >= 4.0,
                "{} stays legible-ish at 20 px: {size}",
                signal.zh
            );
        }
    }
}
