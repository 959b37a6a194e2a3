//! One record on the board: its icon and title, who drafted it, where and until when, and the
//! steps the signed-in role may take on it (approve, return with a comment, sign alone,
//! release). Buttons a role never has are hidden or disabled with the reason on hover.

use egui::RichText;

use super::{BoardView, Returning, Section};
use crate::console::messages::warnings::WarningRecord;
use crate::console::messages::{Command, WarningCommand};
use crate::console::ui::warnings::{gated_button, icon, live, text};
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::TownshipCode;
use crate::domain::access::Capability;
use crate::domain::warning::Action;
use crate::domain::warning::approval::DraftState;

/// The size of a card's icon.
const ICON_SIDE: f32 = 44.0;

/// Draws one record.
pub fn card_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    board: &mut BoardView,
    record: &WarningRecord,
    section: Section,
    commands: &mut Vec<Command>,
) {
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.0, theme::BORDER))
        .corner_radius(theme::ROUNDING)
        .inner_margin(6)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.push_id(&record.id, |ui| {
                header_ui(ui, scene, record, section);
                match section {
                    Section::Submitted => submitted_ui(ui, scene, board, record, commands),
                    Section::Approved => approved_ui(ui, scene, record, commands),
                    Section::Returned => returned_ui(ui, scene, record),
                    Section::InForce => {
                        ui.horizontal(|ui| {
                            released_ui(ui, scene, board, record);
                            callout_button_ui(ui, scene, board, record);
                        });
                    }
                    Section::History => released_ui(ui, scene, board, record),
                }
            });
        });
    ui.add_space(4.0);
}

/// A released record opens its dispatch (who has it, who has not).
fn released_ui(ui: &mut egui::Ui, scene: Scene<'_>, board: &mut BoardView, record: &WarningRecord) {
    if record.released_at.is_none() {
        return;
    }
    let t = crate::console::ui::warnings::dispatch::text::text(scene.language);
    if ui.button(t.open).clicked() {
        board.open_dispatch = Some(record.id.clone());
    }
}

/// The icon, the title with what the message does, and the facts under it.
fn header_ui(ui: &mut egui::Ui, scene: Scene<'_>, record: &WarningRecord, section: Section) {
    let t = text::text(scene.language);
    let content = &record.content;
    ui.horizontal(|ui| {
        icon::signal_icon_ui(ui, ICON_SIDE, &content.signal, content.level);
        ui.vertical(|ui| {
            ui.horizontal_wrapped(|ui| {
                let title = format!(
                    "{} · {}",
                    icon::signal_title(&content.signal, content.level, scene.language),
                    action_word(content.action, scene)
                );
                ui.label(RichText::new(title).strong().color(theme::INK));
                if content.practice {
                    theme::chip_frame(theme::SIMULATED_BG).show(ui, |ui| {
                        ui.label(
                            RichText::new(t.board_practice)
                                .strong()
                                .color(theme::SIMULATED_FG),
                        );
                    });
                }
            });
            let colon = i18n::colon(scene.language);
            let status = ui.label(
                RichText::new(format!(
                    "{}{colon}{}",
                    t.board_drafter,
                    record.name_of(&record.drafter)
                ))
                .color(theme::INK_MUTED),
            );
            ui.label(RichText::new(time_line(scene, record, section)).color(theme::INK_MUTED));
            if !record.steps.is_empty() {
                status.on_hover_text(steps_text(scene, record));
            }
            ui.label(
                RichText::new(format!(
                    "{}{}{}",
                    t.board_area,
                    i18n::colon(scene.language),
                    area_names(scene, record)
                ))
                .color(theme::INK_MUTED),
            );
        });
    });
}

/// What a message does, in the interface language.
fn action_word(action: Action, scene: Scene<'_>) -> &'static str {
    match scene.language {
        i18n::Language::Zh => action.verb_zh(),
        i18n::Language::En => match action {
            Action::Issue => "issue",
            Action::Continue => "continue",
            Action::Upgrade => "upgrade",
            Action::Downgrade => "downgrade",
            Action::Change => "change",
            Action::Lift => "lift",
        },
    }
}

/// Its time: the countdown while in force, else the expiry or how it ended.
fn time_line(scene: Scene<'_>, record: &WarningRecord, section: Section) -> String {
    let t = text::text(scene.language);
    let colon = i18n::colon(scene.language);
    let expires = record.content.expires_at;
    match (section, expires) {
        (Section::InForce, Some(until)) => format!(
            "{} · {}{colon}{}",
            live::remaining(until, scene),
            t.board_expires,
            i18n::when(until, scene.now)
        ),
        (Section::History, _) if record.replaced_by.is_some() => t.board_replaced.to_owned(),
        (Section::History, Some(until)) if until <= scene.now => {
            format!("{} {}", t.board_expired, i18n::when(until, scene.now))
        }
        (_, Some(until)) => format!("{}{colon}{}", t.board_expires, i18n::when(until, scene.now)),
        (_, None) => t.board_lifted.to_owned(),
    }
}

/// The record's steps, oldest first, one a line: `14:30 提交 zhangwei`.
fn steps_text(scene: Scene<'_>, record: &WarningRecord) -> String {
    let t = text::text(scene.language);
    let lines: Vec<String> = record
        .steps
        .iter()
        .map(|step| {
            let what = match step.step.as_str() {
                "submitted" => t.step_submitted,
                "approved" => t.board_approve,
                "signed_alone" => t.board_sign_alone,
                "returned" => t.board_return,
                "revised" => t.step_revised,
                "released" => t.board_release,
                other => other,
            };
            let comment = step.comment.as_ref().map_or_else(String::new, |c| {
                format!("{}{c}", i18n::colon(scene.language))
            });
            format!(
                "{} {what} {}{comment}",
                i18n::when(step.at, scene.now),
                record.name_of(&step.by)
            )
        })
        .collect();
    lines.join("\n")
}

/// The townships of the area by name, in code order; a code the network does not know as is.
fn area_names(scene: Scene<'_>, record: &WarningRecord) -> String {
    let names: Vec<String> = record
        .content
        .area
        .iter()
        .map(|code| {
            code.parse::<u32>()
                .ok()
                .and_then(|c| scene.state.network.township(TownshipCode(c)))
                .map_or_else(
                    || code.clone(),
                    |township| i18n::township_short_name(scene.language, township),
                )
        })
        .collect();
    names.join(if scene.language == i18n::Language::Zh {
        "、"
    } else {
        ", "
    })
}

/// Every channel's text, folded, so the supervisor reads what they approve.
fn texts_ui(ui: &mut egui::Ui, scene: Scene<'_>, record: &WarningRecord) {
    for (channel, body) in &record.content.texts {
        let name = text::channel_name(*channel, scene.language);
        egui::CollapsingHeader::new(name)
            .default_open(*channel == crate::domain::warning::checks::Channel::Sms)
            .show(ui, |ui| {
                ui.label(RichText::new(body).color(theme::INK));
            });
    }
}

fn submitted_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    board: &mut BoardView,
    record: &WarningRecord,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let session = scene.state.account.signed_in();
    let me = session.map(|s| s.account.username.as_str());
    let may_approve = session.is_some_and(|s| s.can(Capability::ApproveWarning));
    if may_approve {
        texts_ui(ui, scene, record);
    }
    let returning = board.returning.as_ref().is_some_and(|r| r.id == record.id);
    if returning {
        return_form_ui(ui, scene, board, record, commands);
        return;
    }
    ui.horizontal_wrapped(|ui| {
        if may_approve {
            approve_buttons_ui(
                ui,
                scene,
                board,
                record,
                me == Some(record.drafter.as_str()),
                commands,
            );
        } else {
            ui.label(RichText::new(t.board_waiting).color(theme::STATUS_PENDING));
        }
        if me == Some(record.drafter.as_str()) {
            sign_alone_ui(ui, scene, record, commands);
        }
    });
}

/// 单独签发 for the drafter of a continue or lift: the central decides whether the bureau's
/// configuration allows it now, and the board shows its refusal.
fn sign_alone_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    record: &WarningRecord,
    commands: &mut Vec<Command>,
) {
    if !matches!(record.content.action, Action::Continue | Action::Lift) {
        return;
    }
    let t = text::text(scene.language);
    if let Some(button) = gated_button(
        ui,
        scene,
        t.board_sign_alone,
        Capability::DraftWarning,
        true,
    ) && button.on_hover_text(t.board_sign_alone_hover).clicked()
    {
        commands.push(Command::Warnings(WarningCommand::SignAlone {
            id: record.id.clone(),
            pin: record.content.pin(),
        }));
    }
}

/// 批准 and 退回 for a supervisor; disabled on their own draft (the central refuses it too).
fn approve_buttons_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    board: &mut BoardView,
    record: &WarningRecord,
    own: bool,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    if own {
        ui.add_enabled(false, egui::Button::new(t.board_approve))
            .on_disabled_hover_text(t.board_own_draft);
    } else if let Some(button) =
        gated_button(ui, scene, t.board_approve, Capability::ApproveWarning, true)
        && button.clicked()
    {
        // The pin of the content on screen: an edit since voids it at the central.
        commands.push(Command::Warnings(WarningCommand::Approve {
            id: record.id.clone(),
            pin: record.content.pin(),
        }));
    }
    if let Some(button) = gated_button(ui, scene, t.board_return, Capability::ApproveWarning, true)
        && button.clicked()
    {
        board.returning = Some(Returning {
            id: record.id.clone(),
            comment: String::new(),
        });
    }
}

/// The comment a return needs, and the buttons to send or drop it.
fn return_form_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    board: &mut BoardView,
    record: &WarningRecord,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let Some(returning) = board.returning.as_mut() else {
        return;
    };
    let caption = ui.label(RichText::new(t.board_return_hint).color(theme::INK_MUTED));
    ui.add(
        egui::TextEdit::multiline(&mut returning.comment)
            .desired_rows(2)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(caption.id);
    let comment = returning.comment.trim().to_owned();
    ui.horizontal(|ui| {
        let send = ui
            .add_enabled(
                !comment.is_empty(),
                egui::Button::new(t.board_return_confirm),
            )
            .on_disabled_hover_text(t.board_return_hint);
        if send.clicked() {
            commands.push(Command::Warnings(WarningCommand::Return {
                id: record.id.clone(),
                comment,
            }));
            board.returning = None;
        } else if ui.button(t.board_cancel).clicked() {
            board.returning = None;
        }
    });
}

fn approved_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    record: &WarningRecord,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    if let DraftState::Approved(sign) = &record.state {
        let how = if sign.alone {
            t.board_signed_alone_by
        } else {
            t.board_approved_by
        };
        ui.label(
            RichText::new(format!(
                "{how}{}{}",
                i18n::colon(scene.language),
                record.name_of(&sign.by)
            ))
            .color(theme::STATUS_OK),
        );
    }
    if let Some(button) = gated_button(
        ui,
        scene,
        t.board_release,
        Capability::DispatchWarning,
        true,
    ) && button.clicked()
    {
        commands.push(Command::Warnings(WarningCommand::Release {
            id: record.id.clone(),
            pin: record.content.pin(),
        }));
    }
}

fn returned_ui(ui: &mut egui::Ui, scene: Scene<'_>, record: &WarningRecord) {
    let t = text::text(scene.language);
    if let DraftState::Returned { by, comment } = &record.state {
        ui.label(
            RichText::new(format!(
                "{}{}{}{comment}",
                t.board_returned_by,
                i18n::parenthesised(scene.language, by),
                i18n::colon(scene.language)
            ))
            .color(theme::STATUS_ERROR),
        );
        ui.label(RichText::new(t.board_revise_hint).color(theme::INK_MUTED));
    }
}

/// Opens the record's 叫应 board (who was called and who answered).
fn callout_button_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    board: &mut BoardView,
    record: &WarningRecord,
) {
    let label = match scene.language {
        i18n::Language::Zh => "叫应",
        i18n::Language::En => "Call and response",
    };
    if ui.button(label).clicked() {
        board.open_callout = Some(record.id.clone());
    }
}
