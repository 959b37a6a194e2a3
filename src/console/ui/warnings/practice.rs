//! Practice replay on screen: where the forecaster starts a past event (the board's 演练回放),
//! and, while it runs, a striped banner with the scenario's clock, the steps to move it on and
//! what its values support — each with 起草演练, which opens a practice composition. The real
//! suggestion banner, the map and the charts never see the scenario's values.

use egui::RichText;

use super::suggestions::{RowAction, suggestion_row_ui};
use super::{PendingDraft, WarningsView};
use crate::console::state::practice::{PracticeReplay, SCENARIOS};
use crate::console::ui::i18n::{Language, texts};
use crate::console::ui::{Scene, ViewState, theme};
use crate::domain::warning::Level;

texts! {
    /// The practice replay's fixed texts, in one language.
    PracticeText, ZH, EN;
    heading: "演练回放", "Practice replay";
    start: "开始演练", "Start";
    running: "演练进行中", "Running";
    banner: "演练回放 · 非实况", "PRACTICE REPLAY · NOT LIVE";
    scenario_time: "情景时间", "Scenario time";
    ten_minutes: "+10分钟", "+10 min";
    one_hour: "+1小时", "+1 h";
    stop: "结束演练", "End practice";
    finished: "情景已结束", "Scenario over";
    nothing: "情景数据尚不支持任何预警信号", "The scenario's values support no signal yet";
}

/// The fixed texts of `language`.
pub fn text(language: Language) -> &'static PracticeText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}

/// What the forecaster asked of the replay in this frame; the app applies it to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PracticeAction {
    /// Start the scenario at this index of [`SCENARIOS`].
    Start(usize),
    /// Move the scenario's clock on by this many minutes.
    Advance(i64),
    /// End the replay.
    Stop,
}

/// The board's 演练回放 section: the scenarios, each with 开始演练.
pub fn start_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut WarningsView) {
    let t = text(scene.language);
    egui::CollapsingHeader::new(RichText::new(t.heading).strong())
        .id_salt("practice_replay")
        .show(ui, |ui| {
            for (i, (title, _)) in SCENARIOS.iter().enumerate() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(*title).color(theme::INK));
                    if scene.state.practice.is_some() {
                        ui.label(RichText::new(t.running).color(theme::INK_MUTED));
                    } else if ui.button(t.start).clicked() {
                        view.practice_actions.push(PracticeAction::Start(i));
                    }
                });
            }
        });
}

/// The practice banner while a replay runs: the scenario's clock, its steps, its suggestions.
pub fn banner_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState) {
    let Some(replay) = &scene.state.practice else {
        return;
    };
    egui::Panel::top("practice_banner")
        .frame(theme::panel_frame().fill(theme::signal_colour(Level::Yellow)))
        .show(ui, |ui| {
            controls_ui(ui, scene, view, replay);
            let t = text(scene.language);
            if replay.current().is_empty() {
                ui.label(RichText::new(t.nothing).color(theme::INK));
            }
            for tracked in replay.current() {
                if suggestion_row_ui(ui, scene, tracked, true) == Some(RowAction::Draft) {
                    view.warnings.pending_draft = Some(PendingDraft {
                        suggestion: tracked.suggestion.clone(),
                        practice: true,
                    });
                    view.screen = crate::console::ui::Screen::Warnings;
                }
            }
        });
}

/// `演练回放 · 非实况 · title · 情景时间 05-17 14:00` and the step buttons.
fn controls_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState, replay: &PracticeReplay) {
    let t = text(scene.language);
    let clock = replay.at.beijing().format("%m-%d %H:%M");
    egui::Sides::new().shrink_left().wrap().show(
        ui,
        |ui| {
            ui.label(RichText::new(t.banner).strong().color(theme::INK));
            ui.label(
                RichText::new(format!("{} · {} {clock}", replay.title, t.scenario_time))
                    .color(theme::INK),
            );
            if replay.finished() {
                ui.label(RichText::new(t.finished).color(theme::INK));
            }
        },
        |ui| {
            if ui.button(t.stop).clicked() {
                view.warnings.practice_actions.push(PracticeAction::Stop);
            }
            for (label, minutes) in [(t.one_hour, 60), (t.ten_minutes, 10)] {
                let step = ui.add_enabled(!replay.finished(), egui::Button::new(label));
                if step.clicked() {
                    view.warnings
                        .practice_actions
                        .push(PracticeAction::Advance(minutes));
                }
            }
        },
    );
}
