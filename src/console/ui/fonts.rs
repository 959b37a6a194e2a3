//! The bundled Noto Sans CJK SC subset, installed behind egui's own fonts so that Latin text
//! keeps egui's look and every Chinese character still renders on a machine with no CJK font.

use egui::{FontData, FontFamily, FontInsert, FontPriority, InsertFontFamily};

use crate::assets;

/// The name the bundled font is registered under.
pub const CJK_FONT_NAME: &str = "Noto Sans CJK SC (subset)";

/// Adds the bundled CJK font as the last fallback of both font families. Idempotent.
pub fn install(ctx: &egui::Context) {
    ctx.add_font(FontInsert::new(
        CJK_FONT_NAME,
        FontData::from_static(assets::CJK_FONT),
        [FontFamily::Proportional, FontFamily::Monospace]
            .into_iter()
            .map(|family| InsertFontFamily {
                family,
                priority: FontPriority::Lowest,
            })
            .collect(),
    ));
}
