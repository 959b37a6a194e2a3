//! The warnings screen (预警): the approval queue and the county's records on the left, the
//! composer with its channel previews in the centre.

pub mod board;
pub mod callout;
pub mod composer;
pub mod icon;
pub mod in_force;
pub mod live;
pub mod practice;
pub mod suggestions;
pub mod text;
pub mod upstream;

use super::{Scene, theme};
use crate::console::messages::Command;

/// What the warnings screen remembers between frames.
#[derive(Debug, Default)]
pub struct WarningsView {
    /// The composer and its previews.
    pub composer: composer::ComposerView,
    /// The approval queue and records list.
    pub board: board::BoardView,
    /// Warnings in force on the live screen: the expiry prompts dismissed.
    pub live: live::LiveView,
    /// A suggestion the forecaster chose to draft from; the composer opens it and clears it.
    pub pending_draft: Option<PendingDraft>,
    /// What the forecaster asked of the practice replay in this frame, for the app to apply.
    pub practice_actions: Vec<practice::PracticeAction>,
    /// The 叫应 board of a released warning, when one is open.
    pub callout: callout::CalloutView,
}

/// A suggestion to draft from, real or from a practice replay.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDraft {
    /// What the values support.
    pub suggestion: crate::domain::warning::suggest::Suggestion,
    /// From a practice replay: the composition is a practice warning.
    pub practice: bool,
}

/// Width of the queue column.
const BOARD_WIDTH: f32 = 360.0;

/// Draws the warnings screen.
pub fn warnings_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut WarningsView,
    commands: &mut Vec<Command>,
) {
    egui::Panel::left("warning_board")
        .resizable(false)
        .exact_size(BOARD_WIDTH)
        .frame(theme::panel_frame().fill(theme::SURFACE_RAISED))
        .show(ui, |ui| board::board_ui(ui, scene, view, commands));
    if let Some(warning) = view.board.open_callout.take() {
        view.callout.show(&warning);
    }
    egui::CentralPanel::default()
        .frame(theme::panel_frame().fill(theme::SURFACE_RAISED))
        .show(ui, |ui| {
            callout::roster_banner_ui(ui, scene, commands);
            if view.callout.open.is_some() {
                callout::callout_ui(ui, scene, &mut view.callout, commands);
            } else {
                composer::composer_ui(ui, scene, view, commands);
            }
        });
}
