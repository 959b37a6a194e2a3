//! The about box: what wxdesk is, that observations are simulated when they are, and the
//! sources of every map layer, the simulator's driver data and the font.

use egui::RichText;

use super::{Scene, ViewState, theme};

/// Draws the about box when it is open.
pub fn about_ui(ctx: &egui::Context, scene: Scene<'_>, view: &mut ViewState) {
    if !view.about_open {
        return;
    }
    let text = scene.text;
    let modal = egui::Modal::new(egui::Id::unique("wxdesk about")).show(ctx, |ui| {
        ui.set_width(480.0);
        ui.label(RichText::new(text.about_title).heading().strong());
        ui.label(
            RichText::new(format!(
                "wxdesk {} · {}",
                env!("CARGO_PKG_VERSION"),
                text.bureau
            ))
            .color(theme::INK_MUTED),
        );
        ui.add_space(6.0);
        ui.label(text.about_what);
        ui.add_space(6.0);
        if view.config.simulated {
            theme::chip_frame(theme::SIMULATED_BG).show(ui, |ui| {
                ui.label(
                    RichText::new(format!("⚠ {}", text.simulated_hover)).color(theme::SIMULATED_FG),
                );
            });
            ui.add_space(6.0);
        }
        ui.label(RichText::new(text.about_sources).strong());
        for line in [
            text.about_simulated,
            text.about_geonames,
            text.about_outlines,
            text.about_rivers,
            text.about_font,
        ] {
            ui.label(format!("• {line}"));
        }
        ui.add_space(6.0);
        ui.label(RichText::new(text.about_townships).color(theme::INK_MUTED));
        ui.label(RichText::new(text.about_time).color(theme::INK_MUTED));
        ui.add_space(8.0);
        ui.vertical_centered(|ui| ui.button(text.close).clicked())
            .inner
    });
    if modal.inner || modal.should_close() {
        view.about_open = false;
    }
}
