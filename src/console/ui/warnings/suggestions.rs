//! The suggestion banner: what the observations support ("建议发布暴雨黄色预警信号 · 嵩溪镇 ·
//! 触发: 58819 3小时降水 52.4 mm ≥ 50"), with 确认 (acknowledge: the alert stops asking) and
//! 起草 (hands the suggestion to the composer). Never a send. Below, what the network cannot
//! observe, so nobody takes silence for "no warning needed".

use egui::RichText;

use super::PendingDraft;
use crate::console::state::suggestions::TrackedSuggestion;
use crate::console::ui::i18n::{self, Language, texts};
use crate::console::ui::{Scene, Screen, ViewState, theme};
use crate::domain::warning::Level;

texts! {
    /// The suggestion banner's fixed texts, in one language.
    SuggestText, ZH, EN;
    triggered: "触发", "triggered by";
    acknowledge: "确认", "Acknowledge";
    draft: "起草", "Draft";
    draft_practice: "起草演练", "Draft practice";
    acknowledged: "已确认", "acknowledged";
    unobservable: "本站网无法观测的指标", "Criteria this network cannot observe";
    partly: "（部分）", " (in part)";
    more_triggers: "全部触发观测", "All triggering observations";
}

/// The fixed texts of `language`.
pub fn text(language: Language) -> &'static SuggestText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}

/// An acknowledgement the app hands to the state (views do not change it themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    /// Signal type id.
    pub signal: String,
    /// The level acknowledged.
    pub level: Level,
}

/// Draws the banner while the observations support a suggestion.
pub fn suggestions_banner_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState) {
    let current = &scene.state.suggestions.current;
    if current.is_empty() {
        return;
    }
    egui::Panel::top("suggestion_banner")
        .frame(theme::panel_frame().fill(theme::BANNER_NOTICE_BG))
        .show(ui, |ui| {
            for tracked in current {
                match suggestion_row_ui(ui, scene, tracked, false) {
                    Some(RowAction::Draft) => {
                        view.warnings.pending_draft = Some(PendingDraft {
                            suggestion: tracked.suggestion.clone(),
                            practice: false,
                        });
                        view.screen = Screen::Warnings;
                    }
                    Some(RowAction::Acknowledge) => {
                        view.suggestion_acks.push(Acknowledgement {
                            signal: tracked.suggestion.signal.clone(),
                            level: tracked.suggestion.level,
                        });
                    }
                    None => {}
                }
            }
            unobservable_ui(ui, scene);
        });
}

/// `建议发布暴雨黄色预警信号` in the scene's language.
fn headline(scene: Scene<'_>, tracked: &TrackedSuggestion) -> String {
    let s = &tracked.suggestion;
    let signal = scene
        .state
        .suggestions
        .catalogue()
        .and_then(|c| c.signal(&s.signal));
    match (scene.language, signal) {
        (Language::Zh, Some(t)) => format!("建议发布{}{}预警信号", t.zh, s.level.zh()),
        (Language::En, Some(t)) => format!("Suggested: {} {} warning", t.en, s.level.id()),
        (_, None) => format!("{} {}", s.signal, s.level.zh()),
    }
}

/// The townships' names, 、-separated.
fn townships(scene: Scene<'_>, tracked: &TrackedSuggestion) -> String {
    let names: Vec<String> = tracked
        .suggestion
        .townships
        .iter()
        .map(|code| {
            let township = code
                .parse()
                .ok()
                .and_then(|c| scene.state.network.township(crate::domain::TownshipCode(c)));
            township.map_or_else(|| code.clone(), |t| t.name.clone())
        })
        .collect();
    names.join("、")
}

/// The whole line: headline · townships · 触发: strongest trigger.
pub fn suggestion_line(scene: Scene<'_>, tracked: &TrackedSuggestion) -> String {
    let t = text(scene.language);
    let trigger = tracked
        .suggestion
        .triggers
        .first()
        .map(|first| {
            let c = i18n::colon(scene.language);
            format!(" · {}{c}{}", t.triggered, first.describe_zh())
        })
        .unwrap_or_default();
    format!(
        "{} · {}{trigger}",
        headline(scene, tracked),
        townships(scene, tracked)
    )
}

/// What the forecaster did on a suggestion's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    /// 起草: open the composer from it.
    Draft,
    /// 确认: the alert stops asking.
    Acknowledge,
}

/// One suggestion: its level, its line, and 起草 (起草演练 in `practice`, where nothing is
/// acknowledged) with 确认 or who acknowledged it.
pub fn suggestion_row_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    tracked: &TrackedSuggestion,
    practice: bool,
) -> Option<RowAction> {
    let t = text(scene.language);
    let s = &tracked.suggestion;
    let mut action = None;
    egui::Sides::new().shrink_left().wrap().show(
        ui,
        |ui| {
            ui.label(
                RichText::new(format!(" {} ", s.level.zh()))
                    .background_color(theme::signal_colour(s.level))
                    .color(theme::signal_ink(s.level))
                    .strong(),
            );
            let line = ui.label(RichText::new(suggestion_line(scene, tracked)).color(theme::INK));
            line.on_hover_ui(|ui| {
                ui.label(RichText::new(t.more_triggers).strong());
                for trigger in &s.triggers {
                    ui.label(trigger.describe_zh());
                }
            });
        },
        |ui| {
            let draft = if practice { t.draft_practice } else { t.draft };
            if ui.button(draft).clicked() {
                action = Some(RowAction::Draft);
            }
            match (&tracked.acknowledged_by, tracked.acknowledged_at) {
                _ if practice => {}
                (Some(by), Some(at)) => {
                    let note = format!("{} {by} {}", t.acknowledged, i18n::when(at, scene.now));
                    ui.label(RichText::new(note).color(theme::INK_MUTED));
                }
                _ => {
                    if ui.button(t.acknowledge).clicked() {
                        action = Some(RowAction::Acknowledge);
                    }
                }
            }
        },
    );
    action
}

/// The expander listing what the network cannot observe.
fn unobservable_ui(ui: &mut egui::Ui, scene: Scene<'_>) {
    let state = &scene.state.suggestions;
    if state.unobservable.is_empty() {
        return;
    }
    let t = text(scene.language);
    egui::CollapsingHeader::new(RichText::new(t.unobservable).color(theme::INK_MUTED))
        .id_salt("suggestion_unobservable")
        .show(ui, |ui| {
            for u in &state.unobservable {
                let name = state
                    .catalogue()
                    .and_then(|c| c.signal(&u.signal))
                    .map_or(u.signal.as_str(), |s| s.zh.as_str());
                let partly = if u.partly { t.partly } else { "" };
                let line = format!("{name}{}{partly}：{}", u.level.zh(), u.why_zh);
                ui.label(RichText::new(line).color(theme::INK))
                    .on_hover_text(&u.criteria_zh);
            }
        });
}
