//! The approval queue and the county's warning records.

use super::WarningsView;
use crate::console::messages::Command;
use crate::console::ui::Scene;

/// What the board remembers between frames.
#[derive(Debug, Default)]
pub struct BoardView {}

/// Draws the queue and the records.
pub fn board_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    _view: &mut WarningsView,
    _commands: &mut Vec<Command>,
) {
    let t = super::text::text(scene.language);
    ui.heading(t.queue);
}
