//! The approval queue and the county's warning records, in the order a duty room works them:
//! 待审核 (a supervisor approves or returns), 已批准待发布 (released by whoever may dispatch),
//! 已退回 (the comment, for the drafter to revise in the composer), 生效中 (with the countdown
//! to expiry) and 历史. The central decides every step; the board shows its refusal plainly.

mod card;

use egui::RichText;

use super::{WarningsView, in_force, text};
use crate::console::messages::Command;
use crate::console::messages::warnings::WarningRecord;
use crate::console::ui::{Scene, theme};
use crate::domain::Timestamp;
use crate::domain::warning::approval::DraftState;

/// What the board remembers between frames.
#[derive(Debug, Default)]
pub struct BoardView {
    /// The record a supervisor is returning, and the comment typed so far.
    returning: Option<Returning>,
    /// A released record whose dispatch was asked for in this frame.
    pub open_dispatch: Option<String>,
    /// A released record whose 叫应 board was asked for in this frame.
    pub open_callout: Option<String>,
}

/// A return being written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Returning {
    id: String,
    comment: String,
}

/// Where a record sits on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// 待审核: submitted, waiting for a supervisor.
    Submitted,
    /// 已批准待发布: approved (or signed alone), not yet released.
    Approved,
    /// 已退回: sent back with a comment.
    Returned,
    /// 生效中: released, in force now.
    InForce,
    /// 历史: expired, replaced, lifted.
    History,
}

impl Section {
    /// The sections, top to bottom.
    pub const ALL: [Section; 5] = [
        Section::Submitted,
        Section::Approved,
        Section::Returned,
        Section::InForce,
        Section::History,
    ];

    fn title(self, t: &text::WarningsText) -> &'static str {
        match self {
            Section::Submitted => t.board_submitted,
            Section::Approved => t.board_approved,
            Section::Returned => t.board_returned,
            Section::InForce => t.board_in_force,
            Section::History => t.board_history,
        }
    }
}

/// The section `record` belongs in at `now`.
pub fn section_of(record: &WarningRecord, now: Timestamp) -> Section {
    match &record.state {
        DraftState::Submitted => Section::Submitted,
        DraftState::Approved(_) => Section::Approved,
        DraftState::Returned { .. } => Section::Returned,
        DraftState::Sent(_) if in_force::in_force_until(record, now).is_some() => Section::InForce,
        DraftState::Sent(_) | DraftState::Editing => Section::History,
    }
}

/// The records of `section`, in the order the board lists them: in force by level and expiry,
/// the rest newest first as the central sends them.
pub fn records_in(
    records: &[WarningRecord],
    section: Section,
    now: Timestamp,
) -> Vec<&WarningRecord> {
    if section == Section::InForce {
        return in_force::in_force(records, now);
    }
    records
        .iter()
        .filter(|r| section_of(r, now) == section)
        .collect()
}

/// Draws the queue and the records.
pub fn board_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut WarningsView,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    ui.heading(t.queue);
    refusal_ui(ui, scene);
    let records = &scene.state.warnings.records;
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for section in Section::ALL {
                let listed = records_in(records, section, scene.now);
                ui.add_space(6.0);
                let heading = format!("{} ({})", section.title(t), listed.len());
                if section == Section::History {
                    egui::CollapsingHeader::new(RichText::new(heading).strong())
                        .id_salt("board_history")
                        .show(ui, |ui| {
                            section_ui(ui, scene, &mut view.board, &listed, section, commands);
                        });
                    continue;
                }
                ui.label(RichText::new(heading).strong().color(theme::INK));
                section_ui(ui, scene, &mut view.board, &listed, section, commands);
            }
            // The city's and province's warnings in force, beside the county's own.
            if !scene.state.warnings.upstream.is_empty() {
                ui.add_space(6.0);
                ui.separator();
                super::upstream::upstream_list_ui(ui, scene);
            }
            ui.add_space(6.0);
            ui.separator();
            super::practice::start_ui(ui, scene, view);
        });
}

fn section_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    board: &mut BoardView,
    listed: &[&WarningRecord],
    section: Section,
    commands: &mut Vec<Command>,
) {
    if listed.is_empty() {
        let t = text::text(scene.language);
        ui.label(RichText::new(t.board_empty).color(theme::INK_FAINT));
        return;
    }
    for record in listed {
        card::card_ui(ui, scene, board, record, section, commands);
    }
}

/// The central's last refusal, as it said it; and when it could not be reached, that nothing
/// was approved or sent.
fn refusal_ui(ui: &mut egui::Ui, scene: Scene<'_>) {
    let Some(refusal) = &scene.state.warnings.refusal else {
        return;
    };
    let t = text::text(scene.language);
    let (message, code) = (&refusal.message, &refusal.code);
    super::refusal_banner_ui(ui, scene, t.board_refused, message, code, |ui| {
        if refusal.offline {
            ui.label(
                RichText::new(t.board_offline)
                    .strong()
                    .color(theme::STATUS_ERROR),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ui::warnings::in_force::tests::{released, t0};
    use crate::domain::time::MINUTE_MS;
    use crate::domain::warning::Level;
    use crate::domain::warning::approval::SignOff;

    #[test]
    fn each_record_sits_in_the_section_of_its_state_and_time() {
        let now = t0().plus_ms(MINUTE_MS);
        let sent = released("a", Level::Yellow, &[], 60);
        let with = |state: DraftState| WarningRecord {
            state,
            released_at: None,
            ..sent.clone()
        };
        let sign = SignOff {
            by: "lina".into(),
            pin: "p".into(),
            alone: false,
        };
        let mut replaced = sent.clone();
        replaced.replaced_by = Some("b".into());
        let cases = [
            (with(DraftState::Submitted), Section::Submitted),
            (with(DraftState::Approved(sign)), Section::Approved),
            (
                with(DraftState::Returned {
                    by: "lina".into(),
                    comment: "区域过大".into(),
                }),
                Section::Returned,
            ),
            (sent.clone(), Section::InForce),
            (replaced, Section::History),
            (released("b", Level::Red, &[], 1), Section::History),
            (with(DraftState::Editing), Section::History),
        ];
        for (record, section) in cases {
            assert_eq!(section_of(&record, now), section, "{:?}", record.state);
        }
    }
}
