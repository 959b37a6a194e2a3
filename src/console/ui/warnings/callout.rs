//! The 叫应 board of a released warning: who was called, by township and duty; who answered,
//! how and when; how long the others have waited, escalated lines marked (duty desk amber,
//! supervisor red); a number shown whole on request (audited by the central); a phone call
//! logged; the record exported; and the count answered. It refreshes whenever the feed says a
//! line changed. Also the reminder to re-confirm the call list before 20 April.
//!
//! Self-contained: [`callout_ui`] draws the whole board of the warning the view opened, so it
//! can sit beside the deliveries view under tabs.

use egui::{Color32, RichText};

use crate::console::messages::warnings::{CalloutLine, LineState, PhoneCallInput};
use crate::console::messages::{Command, WarningCommand};
use crate::console::state::account::Gate;
use crate::console::ui::i18n::Language;
use crate::console::ui::{Scene, i18n, theme};
use crate::domain::TownshipCode;
use crate::domain::access::Capability;
use crate::domain::callout::{AnswerHow, RosterStatus, Stage};
use crate::domain::time::MINUTE_MS;

/// What the board remembers between frames.
#[derive(Debug, Default)]
pub struct CalloutView {
    /// The warning whose board is open.
    pub open: Option<String>,
    /// The board last asked for (so a frame asks once, not every frame).
    asked: Option<String>,
    /// The phone-call form, while one is being filled in.
    form: Option<CallForm>,
}

impl CalloutView {
    /// Opens the board of `warning`.
    pub fn show(&mut self, warning: &str) {
        self.open = Some(warning.to_owned());
        self.asked = None;
        self.form = None;
    }
}

/// A phone call being logged on one line.
#[derive(Debug, Clone, Default)]
struct CallForm {
    line: i64,
    answerer: String,
    said: String,
    answered: bool,
}

fn tr(language: Language, zh: &'static str, en: &'static str) -> &'static str {
    match language {
        Language::Zh => zh,
        Language::En => en,
    }
}

/// Draws the board of the open warning, asking for it when it is missing or stale.
pub fn callout_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut CalloutView,
    commands: &mut Vec<Command>,
) {
    let Some(warning) = view.open.clone() else {
        return;
    };
    let state = &scene.state.warnings.callout;
    let loaded = state.board.as_ref().filter(|b| b.warning == warning);
    let stale = state.stale.contains(&warning);
    if (loaded.is_none() || stale) && view.asked.as_deref() != Some(&warning) {
        // Asked once; a failed fetch is said by the refusal, not retried every frame.
        view.asked = Some(warning.clone());
        commands.push(Command::Warnings(WarningCommand::LoadCallout(
            warning.clone(),
        )));
    }
    if loaded.is_some() && !stale {
        // Fetched and current: the next change asks again.
        view.asked = None;
    }
    header_ui(ui, scene, view, &warning, commands);
    let Some(board) = loaded else {
        ui.label(
            RichText::new(tr(scene.language, "正在读取叫应记录…", "Loading…"))
                .color(theme::INK_FAINT),
        );
        return;
    };
    if board.lines.is_empty() {
        let none = tr(
            scene.language,
            "此预警无叫应（按本局规定，仅橙色、红色等高级别预警叫应）。",
            "This warning calls nobody (only high levels need call and response).",
        );
        ui.label(RichText::new(none).color(theme::INK_MUTED));
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            lines_ui(ui, scene, view, &board.lines, commands);
            form_ui(ui, scene, view, &warning, &board.lines, commands);
        });
}

fn header_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut CalloutView,
    warning: &str,
    commands: &mut Vec<Command>,
) {
    let l = scene.language;
    let board = scene
        .state
        .warnings
        .callout
        .board
        .as_ref()
        .filter(|b| b.warning == warning);
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!(
            "{} · {warning}",
            tr(l, "叫应", "Call and response")
        ));
        if let Some(board) = board {
            let count = format!(
                "{} {}/{}",
                tr(l, "已应", "answered"),
                board.answered,
                board.lines.len()
            );
            let colour = if board.answered == board.lines.len() {
                theme::STATUS_OK
            } else {
                theme::STATUS_PENDING
            };
            ui.label(RichText::new(count).strong().color(colour));
            if let Some(code) = &board.code {
                ui.label(format!("{} {code}", tr(l, "回复代码", "reply code")));
            }
        }
        if ui.button(tr(l, "导出", "Export")).clicked() {
            let id = warning.to_owned();
            commands.push(Command::Warnings(WarningCommand::ExportCallout(id)));
        }
        if ui.button(tr(l, "关闭", "Close")).clicked() {
            view.open = None;
        }
    });
    if let Some(saved) = &scene.state.warnings.callout.exported {
        let (text, colour) = match saved {
            Ok(path) => (
                format!("{}{path}", tr(l, "已导出：", "Exported: ")),
                theme::STATUS_OK,
            ),
            Err(why) => (
                format!("{}{why}", tr(l, "导出失败：", "Export failed: ")),
                theme::STATUS_ERROR,
            ),
        };
        ui.label(RichText::new(text).color(colour));
    }
    ui.separator();
}

/// The lines, county first then by township and duty (the central's order).
fn lines_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut CalloutView,
    lines: &[CalloutLine],
    commands: &mut Vec<Command>,
) {
    let l = scene.language;
    egui::Grid::new("callout_lines")
        .striped(true)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            for heading in [
                tr(l, "乡镇", "Township"),
                tr(l, "职责", "Duty"),
                tr(l, "姓名", "Name"),
                tr(l, "手机", "Phone"),
                tr(l, "状态", "State"),
                "",
            ] {
                ui.label(RichText::new(heading).strong());
            }
            ui.end_row();
            for line in lines {
                line_ui(ui, scene, view, line, commands);
                ui.end_row();
            }
        });
}

fn town_name(scene: Scene<'_>, town: Option<TownshipCode>) -> String {
    match town {
        None => tr(scene.language, "县级", "County").to_owned(),
        Some(code) => scene.state.network.township(code).map_or_else(
            || code.to_string(),
            |t| i18n::township_short_name(scene.language, t),
        ),
    }
}

fn line_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut CalloutView,
    line: &CalloutLine,
    commands: &mut Vec<Command>,
) {
    let c = &line.change;
    let l = scene.language;
    ui.label(town_name(scene, c.township));
    ui.label(match l {
        Language::Zh => c.duty.name_zh_at(c.township.is_none()),
        Language::En => c.duty.name_en(),
    });
    ui.label(line.name.clone().unwrap_or_else(|| "—".to_owned()));
    phone_ui(ui, scene, line, commands);
    let (text, ink, fill) = state_text(scene, line);
    egui::Frame::new()
        .fill(fill)
        .corner_radius(theme::ROUNDING)
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| {
            ui.label(RichText::new(text).color(ink));
        });
    if c.state == LineState::Open && may(scene, Capability::DispatchWarning) {
        if ui.button(tr(l, "记录电话", "Log call")).clicked() {
            view.form = Some(CallForm {
                line: c.line,
                answered: true,
                ..CallForm::default()
            });
        }
    } else {
        ui.label("");
    }
}

/// The number, masked unless revealed, with the button that reveals it (audited).
fn phone_ui(ui: &mut egui::Ui, scene: Scene<'_>, line: &CalloutLine, commands: &mut Vec<Command>) {
    let c = &line.change;
    let revealed = scene.state.warnings.callout.revealed.get(&c.line);
    ui.horizontal(|ui| {
        let shown = revealed.or(line.phone.as_ref());
        ui.label(shown.map_or("—", String::as_str));
        let masked = line.phone.as_ref().is_some_and(|p| p.contains('*'));
        if revealed.is_none() && masked && may(scene, Capability::DispatchWarning) {
            let button = ui
                .small_button(tr(scene.language, "显示号码", "Show"))
                .on_hover_text(tr(
                    scene.language,
                    "显示完整号码（将记入审计日志）",
                    "Show the whole number (recorded in the audit log)",
                ));
            if button.clicked() {
                commands.push(Command::Warnings(WarningCommand::RevealCalloutNumber {
                    warning: c.warning.clone(),
                    line: c.line,
                }));
            }
        }
    });
}

/// The state cell: answered (how, when), or open for how long, coloured by its stage.
fn state_text(scene: Scene<'_>, line: &CalloutLine) -> (String, Color32, Color32) {
    let c = &line.change;
    let l = scene.language;
    if c.state == LineState::Answered {
        let how = c.how.map_or("", |h| how_name(l, h));
        let at = c
            .answered_at
            .map(|t| t.beijing().format("%H:%M").to_string())
            .unwrap_or_default();
        let text = format!("{} {at} · {how}", tr(l, "已应", "Answered"));
        return (text, theme::STATUS_OK, Color32::TRANSPARENT);
    }
    let minutes = (scene.now.0 - c.called_at.0).max(0) / MINUTE_MS;
    let waited = format!(
        "{} {minutes} {}",
        tr(l, "未应", "Open"),
        tr(l, "分钟", "min")
    );
    match c.stage {
        Stage::None => (waited, theme::INK, Color32::TRANSPARENT),
        Stage::Desk => (
            format!("{waited} · {}", tr(l, "已转值班台", "to the duty desk")),
            theme::STATUS_PENDING,
            theme::BANNER_NOTICE_BG,
        ),
        Stage::Supervisor => (
            format!("{waited} · {}", tr(l, "已报带班领导", "to the supervisor")),
            theme::STATUS_ERROR,
            theme::BANNER_ERROR_BG,
        ),
    }
}

fn how_name(language: Language, how: AnswerHow) -> &'static str {
    match how {
        AnswerHow::SmsReply => tr(language, "短信回复", "SMS reply"),
        AnswerHow::Wechat => tr(language, "微信回复", "WeChat"),
        AnswerHow::PhoneCall => tr(language, "电话确认", "Phone call"),
    }
}

fn may(scene: Scene<'_>, capability: Capability) -> bool {
    scene.state.account.gate(capability) == Gate::Allowed
}

/// Width of the phone-call form's fields.
const FORM_WIDTH: f32 = 360.0;

/// The phone-call form of the line chosen.
fn form_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut CalloutView,
    warning: &str,
    lines: &[CalloutLine],
    commands: &mut Vec<Command>,
) {
    let l = scene.language;
    let Some(form) = view.form.as_mut() else {
        return;
    };
    ui.separator();
    // Whose line the call is logged on, so a busy desk cannot log it on the wrong one.
    let whose = lines
        .iter()
        .find(|line| line.change.line == form.line)
        .and_then(|line| line.name.clone())
        .unwrap_or_default();
    let title = format!("{} {whose}", tr(l, "记录电话叫应：", "Log a phone call:"));
    ui.label(RichText::new(title.trim_end()).strong());
    egui::Grid::new("callout_call_form")
        .num_columns(2)
        .show(ui, |ui| {
            // Fields drawn on their own fill: on the raised panel a bare one is invisible.
            let answerer = tr(l, "接听人", "Answered by");
            let label = ui.label(answerer).id;
            ui.add(theme::text_field(&mut form.answerer).desired_width(FORM_WIDTH))
                .labelled_by(label);
            ui.end_row();
            let label = ui.label(tr(l, "通话内容", "What was said")).id;
            let said = egui::TextEdit::multiline(&mut form.said)
                .background_color(theme::FIELD_BG)
                .desired_rows(3)
                .desired_width(FORM_WIDTH);
            ui.add(said).labelled_by(label);
            ui.end_row();
        });
    ui.checkbox(
        &mut form.answered,
        tr(l, "已应（关闭此行）", "Answered (closes the line)"),
    );
    let ready = !form.answerer.trim().is_empty() && !form.said.trim().is_empty();
    let mut done = false;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ready, egui::Button::new(tr(l, "保存", "Save")))
            .clicked()
        {
            commands.push(Command::Warnings(WarningCommand::LogCalloutCall {
                warning: warning.to_owned(),
                line: form.line,
                call: PhoneCallInput {
                    answerer: form.answerer.trim().to_owned(),
                    at: None,
                    said: form.said.trim().to_owned(),
                    answered: form.answered,
                },
            }));
            done = true;
        }
        if ui.button(tr(l, "取消", "Cancel")).clicked() {
            done = true;
        }
    });
    if done {
        view.form = None;
    }
}

/// The reminder to re-confirm the call list before 20 April (the backend asks with its
/// rounds of the upstream warnings), with the confirmation for those who manage recipients;
/// nothing once confirmed this year.
pub fn roster_banner_ui(ui: &mut egui::Ui, scene: Scene<'_>, commands: &mut Vec<Command>) {
    let Some(roster) = &scene.state.warnings.callout.roster else {
        return;
    };
    let l = scene.language;
    let (text, ink, fill) = match roster.status {
        RosterStatus::Confirmed => return,
        RosterStatus::Due => (
            tr(
                l,
                "请在 4 月 20 日前确认今年的叫应名单。",
                "Confirm this year's call list before 20 April.",
            ),
            theme::STATUS_PENDING,
            theme::BANNER_NOTICE_BG,
        ),
        RosterStatus::Overdue => (
            tr(
                l,
                "今年的叫应名单尚未确认（应于 4 月 20 日前确认）。",
                "This year's call list is not confirmed (due by 20 April).",
            ),
            theme::STATUS_ERROR,
            theme::BANNER_ERROR_BG,
        ),
    };
    egui::Frame::new()
        .fill(fill)
        .inner_margin(6)
        .corner_radius(theme::ROUNDING)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(text).color(ink));
                if may(scene, Capability::ManageRecipients)
                    && ui.button(tr(l, "确认名单", "Confirm the list")).clicked()
                {
                    commands.push(Command::Warnings(WarningCommand::ConfirmRoster));
                }
            });
        });
}
