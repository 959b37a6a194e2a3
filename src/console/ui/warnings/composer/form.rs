//! The composer's choices: type and level, issue or follow-up, townships and groups, times.

use egui::RichText;

use super::draft::{Draft, EXPIRY_PRESETS, GROUP_KINDS, moved_level};
use crate::console::messages::warnings::{RecipientCount, WarningRecord};
use crate::console::ui::theme;
use crate::console::ui::warnings::text::WarningsText;
use crate::domain::Network;
use crate::domain::time::{MINUTE_MS, Timestamp};
use crate::domain::warning::approval::DraftState;
use crate::domain::warning::{Action, Catalogue, Level};

/// A level as a chip in its colour; framed when chosen.
pub fn level_chip_ui(ui: &mut egui::Ui, level: Level, chosen: bool) -> egui::Response {
    let text = RichText::new(level.zh())
        .strong()
        .color(theme::signal_ink(level));
    let button = egui::Button::new(text)
        .fill(theme::signal_colour(level))
        .stroke(if chosen {
            egui::Stroke::new(3.0, theme::INK)
        } else {
            egui::Stroke::NONE
        });
    ui.add(button)
}

/// Records released, not replaced, not lifted and not expired: what a follow-up may follow.
pub fn in_force(records: &[WarningRecord], now: Timestamp) -> Vec<&WarningRecord> {
    records
        .iter()
        .filter(|r| matches!(r.state, DraftState::Sent(_)))
        .filter(|r| r.replaced_by.is_none() && r.content.action != Action::Lift)
        .filter(|r| r.content.expires_at.is_some_and(|e| e > now))
        .collect()
}

/// Type buttons and level chips.
pub fn signal_ui(ui: &mut egui::Ui, t: &WarningsText, draft: &mut Draft, catalogue: &Catalogue) {
    let locked = draft.follows.is_some();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.signal_type).strong());
        for s in &catalogue.signals {
            let chosen = draft.signal.as_deref() == Some(s.id.as_str());
            let enabled = !locked || chosen;
            if ui
                .add_enabled(enabled, egui::Button::selectable(chosen, &s.zh))
                .clicked()
            {
                draft.signal = Some(s.id.clone());
                let has = |l| s.level(l).is_some();
                draft.level = draft.level.filter(|l| has(*l));
            }
        }
    });
    let Some(signal) = draft.signal.as_deref().and_then(|id| catalogue.signal(id)) else {
        return;
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new(t.signal_level).strong());
        for l in &signal.levels {
            let chosen = draft.level == Some(l.level);
            if level_chip_ui(ui, l.level, chosen).clicked() {
                draft.level = Some(l.level);
            }
        }
    });
}

/// Issue, or follow up a record in force with one of the five follow-up actions.
pub fn action_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    draft: &mut Draft,
    records: &[&WarningRecord],
    catalogue: &Catalogue,
    now: Timestamp,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.action).strong());
        if ui
            .add(egui::Button::selectable(
                draft.follows.is_none(),
                t.action_issue,
            ))
            .clicked()
            && draft.follows.is_some()
        {
            *draft = Draft {
                practice: draft.practice,
                ..Draft::new(now)
            };
        }
        if records.is_empty() {
            ui.label(RichText::new(t.no_records_in_force).color(theme::INK_MUTED));
        }
    });
    for r in records {
        let c = &r.content;
        let name = catalogue
            .signal(&c.signal)
            .map_or(c.signal.as_str(), |s| s.zh.as_str());
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{} {}{} · {}", t.follows, name, c.level.zh(), r.id));
            for action in &Action::ALL[1..] {
                let chosen =
                    draft.follows.as_deref() == Some(r.id.as_str()) && draft.action == *action;
                if ui
                    .add(egui::Button::selectable(chosen, action.verb_zh()))
                    .clicked()
                {
                    let mut next = Draft::follow_up(r, *action, now);
                    let levels: Vec<Level> = catalogue
                        .signal(&c.signal)
                        .map(|s| s.levels.iter().map(|l| l.level).collect())
                        .unwrap_or_default();
                    next.level = Some(moved_level(*action, c.level, &levels));
                    *draft = next;
                }
            }
        });
    }
}

/// The townships as a checklist, four to a row.
fn township_checklist_ui(ui: &mut egui::Ui, draft: &mut Draft, network: &Network) {
    egui::Grid::new("composer_townships")
        .num_columns(4)
        .show(ui, |ui| {
            for (i, tw) in network.townships.iter().enumerate() {
                let code = tw.code.to_string();
                let mut on = draft.townships.contains(&code);
                if ui.checkbox(&mut on, &tw.name).changed() {
                    if on {
                        draft.townships.insert(code);
                    } else {
                        draft.townships.remove(&code);
                    }
                }
                if i % 4 == 3 {
                    ui.end_row();
                }
            }
        });
}

/// The township checklist, the coverage counts and the recipient groups.
pub fn area_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    draft: &mut Draft,
    network: &Network,
    (followed, counts): (Option<&WarningRecord>, Option<&[RecipientCount]>),
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(t.townships).strong());
        if ui.small_button(t.all_townships).clicked() {
            draft.townships = network
                .townships
                .iter()
                .map(|tw| tw.code.to_string())
                .collect();
        }
        if ui.small_button(t.no_townships).clicked() {
            draft.townships.clear();
        }
    });
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| township_checklist_ui(ui, draft, network));
        let fill = draft.level.map_or(theme::ACCENT, theme::signal_colour);
        let outline = super::build::county_outline();
        super::seat_map::seat_map_ui(ui, t.seat_map, &mut draft.townships, network, outline, fill);
    });
    coverage_ui(ui, t, draft, network, counts);
    if followed.is_some_and(|r| !draft.townships.is_subset(&r.content.area)) {
        ui.checkbox(
            &mut draft.enlarge_confirmed,
            RichText::new(t.enlarge_confirm).color(theme::STATUS_PENDING),
        );
    }
    groups_ui(ui, t, draft);
}

/// Stations and villages covered, and the honest state of recipients.
fn coverage_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    draft: &Draft,
    network: &Network,
    counts: Option<&[RecipientCount]>,
) {
    let stations = network
        .stations
        .iter()
        .filter(|s| draft.townships.contains(&s.township.to_string()))
        .count();
    let villages: usize = draft
        .townships
        .iter()
        .filter_map(|c| crate::assets::villages_per_township().get(c))
        .sum();
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{}：{} {}、{} {}、{} {}",
            t.coverage,
            draft.townships.len(),
            t.townships_unit,
            stations,
            t.stations_unit,
            villages,
            t.villages_unit
        ));
        recipients_ui(ui, t, draft, counts);
    });
}

/// How many people the chosen groups reach, as the central counts them: its list is the
/// administrators' (接收人管理); the composer never sees a name or number.
fn recipients_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    draft: &Draft,
    counts: Option<&[RecipientCount]>,
) {
    let (text, colour) = match counts {
        None => (t.recipients_unknown.to_owned(), theme::STATUS_PENDING),
        Some([]) => (t.recipients_none_kept.to_owned(), theme::STATUS_PENDING),
        Some(counts) => match draft.reach(counts) {
            // Nobody in groups the forecaster chose is a fault; no group chosen yet is not.
            (0, _) if !draft.recipient_groups().is_empty() => {
                (t.recipients_nobody.to_owned(), theme::STATUS_ERROR)
            }
            (people, villages) => (
                format!(
                    "{}：{people} {} · {villages} {}",
                    t.recipients, t.people_unit, t.villages_unit
                ),
                theme::INK,
            ),
        },
    };
    ui.label(RichText::new(text).color(colour));
}

/// Group kinds for every chosen township, and the county group.
fn groups_ui(ui: &mut egui::Ui, t: &WarningsText, draft: &mut Draft) {
    let names = [
        t.group_leaders,
        t.group_informants,
        t.group_tea,
        t.group_staff,
    ];
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.groups).strong());
        for (kind, name) in GROUP_KINDS.iter().zip(names) {
            let mut on = draft.group_kinds.contains(*kind);
            if ui.checkbox(&mut on, name).changed() {
                if on {
                    draft.group_kinds.insert((*kind).to_string());
                } else {
                    draft.group_kinds.remove(*kind);
                }
            }
        }
        ui.checkbox(&mut draft.county_all, t.group_county);
        ui.label(
            RichText::new(format!("{} 组", draft.recipient_groups().len())).color(theme::INK_MUTED),
        );
    });
}

/// Issue time (whole minutes, "now" on request) and the expiry presets.
pub fn times_ui(ui: &mut egui::Ui, t: &WarningsText, draft: &mut Draft, now: Timestamp) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.issued_at).strong());
        ui.label(
            draft
                .issued_at
                .beijing()
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        );
        if ui.small_button(t.set_now).clicked() {
            draft.issued_at = now.floor(MINUTE_MS);
        }
        ui.add_space(12.0);
        ui.label(RichText::new(t.expiry).strong());
        if draft.action == Action::Lift {
            ui.label(RichText::new(t.no_expiry).color(theme::INK_MUTED));
            return;
        }
        for h in EXPIRY_PRESETS {
            let label = format!("{h} {}", t.hours);
            if ui
                .add(egui::Button::selectable(draft.expiry_hours == h, label))
                .clicked()
            {
                draft.expiry_hours = h;
            }
        }
        if let Some(e) = draft.expires_at() {
            ui.label(format!("{} {}", t.until, e.beijing().format("%m-%d %H:%M")));
        }
    });
}
