//! The audit log, for roles that may read it: filter by time (Beijing), actor and action, page
//! through, export every match as CSV. Read-only: nothing here changes anything.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _};
use egui::RichText;

use super::{Scene, ViewState, i18n, theme};
use crate::console::messages::{AuditCommand, AuditSearch, Command};
use crate::console::state::account::Gate;
use crate::domain::Timestamp;
use crate::domain::access::Capability;
use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::time::beijing_offset;

/// What the window remembers between frames.
#[derive(Debug, Default)]
pub struct AuditView {
    /// The window is open.
    pub open: bool,
    /// The first page was asked for since it opened.
    requested: bool,
    /// "From" field (Beijing time).
    pub from: String,
    /// "To" field.
    pub to: String,
    /// Actor field.
    pub actor: String,
    /// Action filter.
    pub action: Option<AuditAction>,
    /// Cursors of the pages before the one shown (for "newer").
    newer: Vec<Option<u64>>,
    /// A field that is not a date.
    bad_date: bool,
}

/// A typed date that is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotADate;

/// A Beijing date or date-time typed by a person: `2026-11-27`, `2026-11-27 08:00`, or
/// `2026-11-27 08:00:30`. A bare date means its start, or with `end_of_day` its last
/// millisecond. Empty means no bound.
pub fn parse_beijing(text: &str, end_of_day: bool) -> Result<Option<Timestamp>, NotADate> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let local = if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        if end_of_day {
            date.and_time(NaiveTime::from_hms_milli_opt(23, 59, 59, 999).ok_or(NotADate)?)
        } else {
            date.and_time(NaiveTime::MIN)
        }
    } else {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S"))
            .map_err(|_| NotADate)?
    };
    let instant = beijing_offset()
        .from_local_datetime(&local)
        .single()
        .ok_or(NotADate)?;
    Ok(Some(Timestamp(instant.timestamp_millis())))
}

impl AuditView {
    /// The search the fields describe, or `None` if a date does not parse.
    fn search(&self) -> Option<AuditSearch> {
        let from = parse_beijing(&self.from, false).ok()?;
        let to = parse_beijing(&self.to, true).ok()?;
        let actor = Some(self.actor.trim().to_owned()).filter(|a| !a.is_empty());
        Some(AuditSearch {
            from,
            to,
            actor,
            action: self.action.map(|a| a.code().to_owned()),
        })
    }
}

fn outcome_text(text: &i18n::Strings, code: &str) -> (&'static str, egui::Color32) {
    match Outcome::parse(code) {
        Some(Outcome::Ok) => (text.audit_outcome_ok, theme::STATUS_OK),
        Some(Outcome::Denied) => (text.audit_outcome_denied, theme::STATUS_ERROR),
        Some(Outcome::Failed) => (text.audit_outcome_failed, theme::STATUS_PENDING),
        None => ("?", theme::INK_MUTED),
    }
}

/// Draws the window when it is open (and only for whom the central lets read the log).
pub fn audit_window_ui(
    ctx: &egui::Context,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let account = &scene.state.account;
    let audit = &mut view.audit;
    if !audit.open || account.gate(Capability::ReadAudit) != Gate::Allowed {
        audit.open = false;
        audit.requested = false;
        return;
    }
    if !audit.requested {
        audit.requested = true;
        audit.newer.clear();
        if let Some(search) = audit.search() {
            commands.push(Command::Audit(AuditCommand::Load {
                search,
                before: None,
            }));
        }
    }
    let text = scene.text;
    let mut open = true;
    egui::Window::new(text.audit_title)
        .open(&mut open)
        .collapsible(false)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(theme::window_pos(ctx, 60.0))
        .default_size([960.0, 520.0])
        .show(ctx, |ui| {
            if let Some(regression) = &scene.state.audit_regression {
                ui.label(
                    RichText::new(i18n::audit_regressed(scene.language, regression))
                        .strong()
                        .color(theme::STATUS_ERROR),
                );
                ui.separator();
            }
            filters_ui(ui, scene, audit, commands);
            ui.separator();
            let Some(page) = &account.audit else {
                ui.label(RichText::new(text.loading).color(theme::INK_MUTED));
                return;
            };
            if page.entries.is_empty() {
                ui.label(RichText::new(text.audit_empty).color(theme::INK_MUTED));
            }
            egui::ScrollArea::both().max_height(340.0).show(ui, |ui| {
                egui::Grid::new("audit")
                    .striped(true)
                    .num_columns(8)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        for heading in [
                            "#",
                            text.audit_col_time,
                            text.audit_actor,
                            text.audit_col_workstation,
                            text.audit_action,
                            text.audit_col_target,
                            text.audit_col_outcome,
                            text.audit_col_details,
                        ] {
                            ui.label(RichText::new(heading).strong());
                        }
                        ui.end_row();
                        for entry in &page.entries {
                            let r = &entry.record;
                            ui.label(RichText::new(entry.seq.to_string()).color(theme::INK_MUTED));
                            ui.label(r.at.beijing().format("%Y-%m-%d %H:%M:%S").to_string());
                            ui.label(&r.actor);
                            ui.label(&r.workstation);
                            ui.label(i18n::action_name(scene.language, &r.action));
                            ui.label(&r.target);
                            let (outcome, colour) = outcome_text(text, &r.outcome);
                            ui.label(RichText::new(outcome).color(colour));
                            let details = i18n::audit_detail(scene.language, &r.details);
                            ui.label(RichText::new(details).color(theme::INK_MUTED))
                                .on_hover_text(format!("{}: {}", entry.seq, entry.hash));
                            ui.end_row();
                        }
                    });
            });
            ui.separator();
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!audit.newer.is_empty(), egui::Button::new(text.audit_newer))
                    .clicked()
                    && let Some(before) = audit.newer.pop()
                {
                    commands.push(Command::Audit(AuditCommand::Load {
                        search: page.search.clone(),
                        before,
                    }));
                }
                if ui
                    .add_enabled(
                        page.next_before.is_some(),
                        egui::Button::new(text.audit_older),
                    )
                    .clicked()
                {
                    audit.newer.push(page.before);
                    commands.push(Command::Audit(AuditCommand::Load {
                        search: page.search.clone(),
                        before: page.next_before,
                    }));
                }
                ui.separator();
                if ui
                    .button(text.audit_export)
                    .on_hover_text(text.audit_export_hover)
                    .clicked()
                {
                    commands.push(Command::Audit(AuditCommand::Export(page.search.clone())));
                }
                match &account.audit_export {
                    Some(Ok((path, entries))) => {
                        ui.label(
                            RichText::new(i18n::exported(scene.language, *entries, path))
                                .color(theme::STATUS_OK),
                        );
                    }
                    Some(Err(error)) => {
                        ui.label(RichText::new(format!("⚠ {error}")).color(theme::STATUS_ERROR));
                    }
                    None => {}
                }
            });
            if let Some(error) = &account.audit_error {
                let error = i18n::trouble(scene.language, error);
                ui.label(RichText::new(format!("⚠ {error}")).color(theme::STATUS_ERROR));
            }
            ui.label(
                RichText::new(text.audit_chain_note)
                    .small()
                    .color(theme::INK_FAINT),
            );
        });
    if !open {
        audit.open = false;
        audit.requested = false;
    }
}

fn filters_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    audit: &mut AuditView,
    commands: &mut Vec<Command>,
) {
    let text = scene.text;
    ui.horizontal_wrapped(|ui| {
        for (label, value) in [
            (text.audit_from, &mut audit.from),
            (text.audit_to, &mut audit.to),
        ] {
            let caption = ui.label(label);
            ui.add(
                theme::text_field(value)
                    .desired_width(130.0)
                    .hint_text(text.audit_date_placeholder),
            )
            .labelled_by(caption.id)
            .on_hover_text(text.audit_date_hint);
        }
        let caption = ui.label(text.audit_actor);
        ui.add(theme::text_field(&mut audit.actor).desired_width(110.0))
            .labelled_by(caption.id);
        let selected = audit.action.map_or_else(
            || text.audit_any_action.to_owned(),
            |a| i18n::action_name(scene.language, a.code()),
        );
        let caption = ui.label(text.audit_action);
        egui::ComboBox::from_id_salt("audit action")
            .selected_text(selected)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut audit.action, None, text.audit_any_action);
                for action in AuditAction::ALL {
                    ui.selectable_value(
                        &mut audit.action,
                        Some(action),
                        i18n::action_name(scene.language, action.code()),
                    );
                }
            })
            .response
            .labelled_by(caption.id);
        if ui.button(text.audit_search).clicked() {
            match audit.search() {
                Some(search) => {
                    audit.bad_date = false;
                    audit.newer.clear();
                    commands.push(Command::Audit(AuditCommand::Load {
                        search,
                        before: None,
                    }));
                }
                None => audit.bad_date = true,
            }
        }
        if audit.bad_date {
            ui.label(
                RichText::new(format!(
                    "⚠ {}: {}",
                    text.audit_bad_date, text.audit_date_hint
                ))
                .color(theme::STATUS_ERROR),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_dates_typed_by_people() {
        let at = |s: &str| Some(Timestamp::parse_rfc3339(s).unwrap());
        let cases = [
            ("", false, Ok(None)),
            ("2026-11-27", false, Ok(at("2026-11-26T16:00:00Z"))),
            ("2026-11-27", true, Ok(at("2026-11-27T15:59:59.999Z"))),
            (" 2026-11-27 08:00 ", false, Ok(at("2026-11-27T00:00:00Z"))),
            ("2026-11-27 08:00:30", true, Ok(at("2026-11-27T00:00:30Z"))),
            ("27/11/2026", false, Err(NotADate)),
            ("2026-02-30", false, Err(NotADate)),
        ];
        for (input, end, expected) in cases {
            assert_eq!(parse_beijing(input, end), expected, "{input:?}");
        }
    }
}
