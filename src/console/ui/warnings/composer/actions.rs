//! What the forecaster does with a composition: save, submit, delete; the drafts kept on the
//! desk; and, with the central out of reach, the plain NOT YET SENT hand-over of the text and
//! the CAP file for the provincial release system.

use egui::RichText;

use super::ComposerView;
use super::build::{Built, cap_file_name};
use super::draft::Draft;
use crate::console::messages::{Command, DeskDraft, WarningCommand};
use crate::console::state::account::Gate;
use crate::console::ui::theme;
use crate::console::ui::warnings::text::WarningsText;
use crate::domain::access::Capability;
use crate::domain::time::Timestamp;
use crate::domain::warning::checks::Channel;
use crate::domain::warning::template::numbered;
use crate::domain::warning::{Catalogue, Level};

/// The draft as the backend keeps it.
fn desk_draft(view: &ComposerView, draft: &Draft, b: &Built, now: Timestamp) -> DeskDraft {
    DeskDraft {
        owner: view.owner.clone().unwrap_or_default(),
        // A new draft takes the time it was first saved as its id: unique on one desk.
        id: view.draft_id.unwrap_or(now.millis().unsigned_abs()),
        composer: serde_json::to_string(draft).unwrap_or_default(),
        content: b.content.clone(),
        submitted_as: view.submitted_as.clone(),
    }
}

/// 保存草稿, 提交审核 (disabled with its reason while anything blocks) and 删除草稿.
pub fn buttons_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    view: &mut ComposerView,
    b: &Built,
    gate: &Gate,
    now: Timestamp,
    commands: &mut Vec<Command>,
) {
    let Some(draft) = view.draft.clone() else {
        return;
    };
    let may_draft = !matches!(gate, Gate::NeedsRole(_) | Gate::SignedOut);
    let why_not = match gate {
        Gate::NeedsRole(_) | Gate::SignedOut => Some(t.needs_forecaster),
        Gate::NeedsCentral => Some(t.needs_central),
        Gate::Allowed if b.blocked() => Some(t.blocked_reason),
        Gate::Allowed => None,
    };
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(may_draft, egui::Button::new(t.save_draft))
            .clicked()
        {
            let d = desk_draft(view, &draft, b, now);
            view.draft_id = Some(d.id);
            commands.push(Command::Warnings(WarningCommand::SaveDraft(d)));
        }
        let submit = ui.add_enabled(
            why_not.is_none(),
            egui::Button::new(RichText::new(t.submit).strong()),
        );
        if submit.clicked() {
            let d = desk_draft(view, &draft, b, now);
            view.draft_id = Some(d.id);
            commands.push(Command::Warnings(WarningCommand::Submit(d)));
        }
        if let Some(why) = why_not {
            ui.label(RichText::new(why).color(theme::STATUS_ERROR));
        }
        if let Some(id) = view.draft_id
            && ui
                .add_enabled(may_draft, egui::Button::new(t.drop_draft))
                .clicked()
        {
            commands.push(Command::Warnings(WarningCommand::DropDraft(id)));
            view.reset(now);
        }
    });
}

/// Whether the role may draft warnings at all.
pub fn gate(scene: crate::console::ui::Scene<'_>) -> Gate {
    scene.state.account.gate(Capability::DraftWarning)
}

/// The drafts kept on this desk, each to reopen.
pub fn drafts_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    view: &mut ComposerView,
    drafts: &[DeskDraft],
    catalogue: &Catalogue,
) {
    egui::CollapsingHeader::new(format!("{}（{}）", t.drafts, drafts.len()))
        .id_salt("composer_drafts")
        .show(ui, |ui| {
            if drafts.is_empty() {
                ui.label(RichText::new(t.no_drafts).color(theme::INK_MUTED));
            }
            for d in drafts {
                let c = &d.content;
                ui.horizontal(|ui| {
                    let chosen = view.draft_id == Some(d.id);
                    let summary = format!(
                        "{} {} {}{} · {}",
                        c.issued_at.beijing().format("%m-%d %H:%M"),
                        c.action.verb_zh(),
                        catalogue
                            .signal(&c.signal)
                            .map_or(c.signal.as_str(), |s| s.zh.as_str()),
                        c.level.zh(),
                        c.area.len(),
                    );
                    ui.label(RichText::new(summary).strong().color(if chosen {
                        theme::ACCENT
                    } else {
                        theme::INK
                    }));
                    if ui.small_button(t.open).clicked()
                        && let Ok(draft) = serde_json::from_str::<Draft>(&d.composer)
                    {
                        view.draft = Some(draft);
                        view.draft_id = Some(d.id);
                        view.submitted_as = d.submitted_as.clone();
                    }
                });
            }
        });
}

/// NOT YET SENT: the central cannot be reached, so nothing is approved or sent through
/// wxdesk; the text and the CAP file go to the provincial release system by hand.
pub fn not_sent_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    view: &mut ComposerView,
    b: &Built,
    commands: &mut Vec<Command>,
) {
    egui::Frame::new()
        .fill(theme::BANNER_ERROR_BG)
        .stroke(egui::Stroke::new(2.0, theme::STATUS_ERROR))
        .inner_margin(8)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(t.not_sent)
                    .strong()
                    .size(theme::HEADING_SIZE)
                    .color(theme::STATUS_ERROR),
            );
            ui.label(t.not_sent_hint);
            ui.horizontal(|ui| {
                if ui.button(t.copy_text).clicked() {
                    let c = &b.composition;
                    let mut text = c.body();
                    if !c.guidance.is_empty() {
                        text.push_str(&format!("\n防御指南：{}", numbered(&c.guidance)));
                    }
                    ui.ctx().copy_text(text);
                    view.copied = true;
                }
                if let Some(xml) = b.texts.get(&Channel::Cap)
                    && ui.button(t.save_cap).clicked()
                {
                    commands.push(Command::Warnings(WarningCommand::SaveCapFile {
                        name: cap_file_name(b.content.issued_at),
                        xml: xml.clone(),
                    }));
                }
                if view.copied {
                    ui.label(RichText::new(t.copied).color(theme::STATUS_OK));
                }
            });
        });
}

/// Where the CAP hand-over file went, or why it did not.
pub fn saved_cap_ui(ui: &mut egui::Ui, t: &WarningsText, saved: Option<&Result<String, String>>) {
    match saved {
        Some(Ok(path)) => {
            ui.label(RichText::new(format!("{}{path}", t.cap_saved)).color(theme::STATUS_OK));
        }
        Some(Err(why)) => {
            ui.label(RichText::new(format!("{}{why}", t.cap_not_saved)).color(theme::STATUS_ERROR));
        }
        None => {}
    }
}

/// The practice banner: full width, amber with dark stripes, impossible to miss.
pub fn practice_banner_ui(ui: &mut egui::Ui, t: &WarningsText) {
    let height = 34.0;
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), height),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, theme::signal_colour(Level::Yellow));
    let stripe = egui::Stroke::new(6.0, theme::INK);
    let mut x = rect.left() - height;
    while x < rect.right() {
        painter.line_segment(
            [
                egui::pos2(x, rect.bottom()),
                egui::pos2(x + height, rect.top()),
            ],
            stripe,
        );
        x += 28.0;
    }
    let label = egui::Label::new(
        RichText::new(t.practice_banner)
            .strong()
            .size(theme::HEADING_SIZE)
            .color(theme::INK)
            .background_color(theme::signal_colour(Level::Yellow)),
    );
    ui.put(rect.shrink2(egui::vec2(rect.width() / 4.0, 4.0)), label);
}
