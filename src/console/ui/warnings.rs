//! The warnings screen (预警): the approval queue and the county's records on the left, the
//! composer with its channel previews in the centre.

pub mod board;
pub mod callout;
pub mod composer;
pub mod dispatch;
pub mod icon;
pub mod in_force;
pub mod live;
pub mod practice;
pub mod report;
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
    /// A released warning's dispatch, shown in the composer's place while open.
    pub dispatch: dispatch::DispatchView,
    /// Warnings in force on the live screen: the expiry prompts dismissed.
    pub live: live::LiveView,
    /// A suggestion the forecaster chose to draft from; the composer opens it and clears it.
    pub pending_draft: Option<PendingDraft>,
    /// What the forecaster asked of the practice replay in this frame, for the app to apply.
    pub practice_actions: Vec<practice::PracticeAction>,
    /// The 叫应 board of a released warning, when one is open.
    pub callout: callout::CalloutView,
    /// 服务统计, the supervisor's report, shown in the composer's place while chosen.
    pub report: report::ReportView,
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
    if let Some(id) = view.board.open_dispatch.take() {
        show_released(view, &id, Released::Dispatch);
    }
    if let Some(id) = view.board.open_callout.take() {
        show_released(view, &id, Released::Callout);
    }
    egui::CentralPanel::default()
        .frame(theme::panel_frame().fill(theme::SURFACE_RAISED))
        .show(ui, |ui| {
            callout::roster_banner_ui(ui, scene, commands);
            page_tabs_ui(ui, scene, view);
            if view.report.shown {
                report::report_ui(ui, scene, &mut view.report, commands);
                return;
            }
            match released_tabs_ui(ui, scene, view) {
                Some(Released::Dispatch) => {
                    dispatch::dispatch_ui(ui, scene, &mut view.dispatch, commands);
                }
                Some(Released::Callout) => {
                    callout::callout_ui(ui, scene, &mut view.callout, commands);
                }
                None => composer::composer_ui(ui, scene, view, commands),
            }
        });
}

/// The pages of a released warning shown in the composer's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Released {
    /// 发送情况: who has it, who has not.
    Dispatch,
    /// 叫应: who answered.
    Callout,
}

/// 预警制作 | 服务统计, for those whose role may read the report (a duty forecaster is not
/// offered it): the report takes the composer's place, and a released warning's page opened
/// from the board takes it back.
fn page_tabs_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut WarningsView) {
    use crate::console::state::account::Gate;
    let may = matches!(
        scene.state.account.gate(report::CAPABILITY),
        Gate::Allowed | Gate::NeedsCentral
    );
    if !may {
        view.report.shown = false;
        return;
    }
    let t = report::text::text(scene.language);
    let mut shown = view.report.shown;
    ui.horizontal(|ui| {
        for (report, label) in [(false, t.compose_tab), (true, t.tab)] {
            let text = egui::RichText::new(label).strong();
            if ui.selectable_label(shown == report, text).clicked() {
                shown = report;
            }
        }
    });
    ui.separator();
    if shown != view.report.shown {
        view.report.shown = shown;
        view.dispatch.close();
        view.callout.open = None;
    }
}

/// Shows `page` of the released warning `id`, closing the other page (and the report).
fn show_released(view: &mut WarningsView, id: &str, page: Released) {
    view.report.shown = false;
    match page {
        Released::Dispatch => {
            view.callout.open = None;
            view.dispatch.open(id);
        }
        Released::Callout => {
            view.dispatch.close();
            view.callout.show(id);
        }
    }
}

/// The released warning's page now open, if any, under tabs to switch between its pages.
fn released_tabs_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut WarningsView,
) -> Option<Released> {
    let (id, page) = match (&view.dispatch.warning, &view.callout.open) {
        (Some(id), _) => (id.clone(), Released::Dispatch),
        (None, Some(id)) => (id.clone(), Released::Callout),
        (None, None) => return None,
    };
    let zh = scene.language == crate::console::ui::i18n::Language::Zh;
    let tabs = [
        (Released::Dispatch, if zh { "发送情况" } else { "Dispatch" }),
        (
            Released::Callout,
            if zh { "叫应" } else { "Call and response" },
        ),
    ];
    let mut chosen = page;
    ui.horizontal(|ui| {
        for (tab, label) in tabs {
            if ui.selectable_label(chosen == tab, label).clicked() {
                chosen = tab;
            }
        }
    });
    ui.separator();
    if chosen != page {
        show_released(view, &id, chosen);
    }
    Some(chosen)
}

/// A button needing `capability`: enabled when the session may use it now and `ready`;
/// disabled with the reason when the role lacks it or the central has not confirmed the
/// session; `None` when nobody is signed in.
pub fn gated_button(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    label: &str,
    capability: crate::domain::access::Capability,
    ready: bool,
) -> Option<egui::Response> {
    use crate::console::state::account::Gate;
    let reason = match scene.state.account.gate(capability) {
        Gate::Allowed => return Some(ui.add_enabled(ready, egui::Button::new(label))),
        Gate::NeedsCentral => scene.text.needs_central.to_owned(),
        Gate::NeedsRole(roles) => super::i18n::needs_role(scene.language, &roles),
        Gate::SignedOut => return None,
    };
    Some(
        ui.add_enabled(false, egui::Button::new(label))
            .on_disabled_hover_text(reason),
    )
}

/// A refusal from the central, as it said it (`what` names the step refused; the code on
/// hover), and beneath it whatever `more` adds.
pub fn refusal_banner_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    what: &str,
    message: &str,
    code: &str,
    more: impl FnOnce(&mut egui::Ui),
) {
    theme::chip_frame(theme::BANNER_ERROR_BG).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let said = format!("⚠ {what}{}{message}", super::i18n::colon(scene.language));
        ui.label(egui::RichText::new(said).color(theme::STATUS_ERROR))
            .on_hover_text(code);
        more(ui);
    });
}
