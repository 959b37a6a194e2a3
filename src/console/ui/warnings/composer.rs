//! The composer: type and level, area, times, the text from its template, and every channel's
//! preview with its checks.

pub mod build;
pub mod draft;

use super::WarningsView;
use crate::console::messages::Command;
use crate::console::ui::Scene;

/// What the composer remembers between frames.
#[derive(Debug, Default)]
pub struct ComposerView {}

/// Draws the composer.
pub fn composer_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    _view: &mut WarningsView,
    _commands: &mut Vec<Command>,
) {
    let t = super::text::text(scene.language);
    ui.heading(t.composer);
}
