//! The people warnings go to (预警接收人), in a window from the account menu: the central's
//! list filtered by township, group and duty — numbers masked (138****1234) unless the user
//! manages recipients, as the central sends them — and, for those who do, an import from a
//! CSV or .xlsx file with the central's report line by line (a dry run first, if wished).

use egui::RichText;

use super::i18n::texts;
use super::{Scene, ViewState, i18n, theme};
use crate::console::messages::Command;
use crate::console::messages::recipients::{
    RecipientDto, RecipientImportReport, RecipientQuery, RecipientsCommand,
};
use crate::console::state::account::Gate;
use crate::domain::TownshipCode;
use crate::domain::access::Capability;
use crate::domain::recipients::{Duty, Group};

texts! {
    /// The recipients window's fixed texts, in one language.
    RecipientsText, ZH, EN;
    title: "预警接收人", "Warning recipients";
    open: "预警接收人", "Warning recipients";
    township: "乡镇", "Township";
    group: "分组", "Group";
    duty: "职责", "Duty";
    all: "全部", "All";
    county: "县级", "County";
    refresh: "查询", "Search";
    name: "姓名", "Name";
    phone: "手机", "Phone";
    channels: "渠道", "Channels";
    active: "启用", "Active";
    yes: "是", "Yes";
    no: "否", "No";
    masked: "号码已隐藏：仅审核和管理员可见完整号码", "Numbers masked: only supervisors and administrators see them whole";
    shown: "显示", "Showing";
    of: "共", "of";
    import_title: "从文件导入（CSV 或 .xlsx）", "Import from a file (CSV or .xlsx)";
    import_path: "文件路径", "File path";
    dry_run: "只检查，不保存", "Check only, store nothing";
    import: "导入", "Import";
    report_lines: "读取 {n} 行", "{n} lines read";
    report_imported: "导入 {n} 人", "{n} imported";
    report_checked: "可导入 {n} 人（只检查，未保存）", "{n} would be imported (check only, nothing stored)";
    report_none_stored: "有错误，未保存任何一行", "Refused lines: nothing was stored";
    report_line: "第 {n} 行", "Line {n}";
    loading: "正在读取…", "Reading…";
}

/// The texts in `language`.
pub fn text(language: i18n::Language) -> &'static RecipientsText {
    match language {
        i18n::Language::Zh => &ZH,
        i18n::Language::En => &EN,
    }
}

/// What the window remembers between frames.
#[derive(Debug, Default)]
pub struct RecipientsView {
    /// The window is open.
    pub open: bool,
    /// The filters chosen.
    pub query: RecipientQuery,
    /// The query last asked for (asked again when the filters change).
    asked: Option<RecipientQuery>,
    /// The file to import.
    pub import_path: String,
    /// Only check the file.
    pub dry_run: bool,
}

/// Draws the window while it is open.
pub fn recipients_window_ui(
    ctx: &egui::Context,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let account = &scene.state.account;
    if !view.recipients.open || account.gate(Capability::Read) != Gate::Allowed {
        view.recipients.open = false;
        view.recipients.asked = None;
        return;
    }
    let v = &mut view.recipients;
    if v.asked.as_ref() != Some(&v.query) {
        v.asked = Some(v.query.clone());
        commands.push(Command::Recipients(RecipientsCommand::List(
            v.query.clone(),
        )));
    }
    let t = text(scene.language);
    let mut open = true;
    egui::Window::new(t.title)
        .open(&mut open)
        .collapsible(false)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(theme::window_pos(ctx, 60.0))
        .default_size([900.0, 560.0])
        .show(ctx, |ui| {
            filters_ui(ui, scene, v);
            if let Some(refusal) = &scene.state.recipients.refusal {
                ui.label(RichText::new(format!("⚠ {refusal}")).color(theme::STATUS_ERROR));
            }
            if account.gate(Capability::ManageRecipients) == Gate::Allowed {
                import_ui(ui, scene, v, commands);
            }
            ui.separator();
            list_ui(ui, scene);
        });
    v.open = open;
}

fn filters_ui(ui: &mut egui::Ui, scene: Scene<'_>, v: &mut RecipientsView) {
    let t = text(scene.language);
    let zh = scene.language == i18n::Language::Zh;
    ui.horizontal_wrapped(|ui| {
        let caption = ui.label(t.township);
        let chosen = v
            .query
            .township
            .clone()
            .map_or_else(|| t.all.to_owned(), |code| township_name(scene, &code));
        egui::ComboBox::from_id_salt("recipients_township")
            .selected_text(chosen)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut v.query.township, None, t.all);
                ui.selectable_value(&mut v.query.township, Some("county".to_owned()), t.county);
                for township in &scene.state.network.townships {
                    let name = i18n::township_short_name(scene.language, township);
                    ui.selectable_value(
                        &mut v.query.township,
                        Some(township.code.to_string()),
                        name,
                    );
                }
            })
            .response
            .labelled_by(caption.id);
        let caption = ui.label(t.group);
        let name = |g: Group| if zh { g.name_zh() } else { g.name_en() };
        egui::ComboBox::from_id_salt("recipients_group")
            .selected_text(v.query.group.map_or(t.all, name))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut v.query.group, None, t.all);
                for &g in Group::ALL {
                    ui.selectable_value(&mut v.query.group, Some(g), name(g));
                }
            })
            .response
            .labelled_by(caption.id);
        let caption = ui.label(t.duty);
        let duty = |d: Duty| if zh { d.name_zh() } else { d.name_en() };
        egui::ComboBox::from_id_salt("recipients_duty")
            .selected_text(v.query.duty.map_or(t.all, duty))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut v.query.duty, None, t.all);
                for &d in Duty::ALL {
                    ui.selectable_value(&mut v.query.duty, Some(d), duty(d));
                }
            })
            .response
            .labelled_by(caption.id);
        if ui.button(t.refresh).clicked() {
            v.asked = None;
        }
    });
}

fn township_name(scene: Scene<'_>, code: &str) -> String {
    if code == "county" {
        return text(scene.language).county.to_owned();
    }
    code.parse::<u32>()
        .ok()
        .and_then(|c| scene.state.network.township(TownshipCode(c)))
        .map_or_else(
            || code.to_owned(),
            |township| i18n::township_short_name(scene.language, township),
        )
}

fn import_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    v: &mut RecipientsView,
    commands: &mut Vec<Command>,
) {
    let t = text(scene.language);
    ui.add_space(4.0);
    ui.label(RichText::new(t.import_title).strong());
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(t.import_path);
        ui.add(theme::text_field(&mut v.import_path).desired_width(360.0))
            .labelled_by(label.id);
        ui.checkbox(&mut v.dry_run, t.dry_run);
        let ready = !v.import_path.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new(t.import)).clicked() {
            commands.push(Command::Recipients(RecipientsCommand::Import {
                path: v.import_path.trim().into(),
                dry_run: v.dry_run,
            }));
            // The list is read again once the report is in.
            v.asked = None;
        }
    });
    if let Some(report) = &scene.state.recipients.report {
        report_ui(ui, scene, report);
    }
}

/// The report's summary line.
pub fn report_summary(t: &RecipientsText, report: &RecipientImportReport) -> String {
    let n = |template: &str, n: usize| template.replace("{n}", &n.to_string());
    let mut parts = vec![n(t.report_lines, report.lines)];
    if report.committed {
        parts.push(n(t.report_imported, report.imported.len()));
    } else if report.dry_run {
        parts.push(n(t.report_checked, report.imported.len()));
    } else {
        parts.push(t.report_none_stored.to_owned());
    }
    parts.join(" · ")
}

fn report_ui(ui: &mut egui::Ui, scene: Scene<'_>, report: &RecipientImportReport) {
    let t = text(scene.language);
    let zh = scene.language == i18n::Language::Zh;
    ui.label(RichText::new(report_summary(t, report)).color(theme::INK_MUTED));
    egui::ScrollArea::vertical()
        .id_salt("recipients_report")
        .max_height(120.0)
        .show(ui, |ui| {
            for problem in &report.problems {
                let line = t.report_line.replace("{n}", &problem.line.to_string());
                let why = if zh { &problem.zh } else { &problem.en };
                ui.label(
                    RichText::new(format!("{line}{}{why}", i18n::colon(scene.language)))
                        .color(theme::STATUS_ERROR),
                );
            }
        });
}

fn list_ui(ui: &mut egui::Ui, scene: Scene<'_>) {
    let t = text(scene.language);
    let Some(list) = &scene.state.recipients.list else {
        ui.label(RichText::new(t.loading).color(theme::INK_MUTED));
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{} {} · {} {}",
            t.shown,
            list.recipients.len(),
            t.of,
            list.total
        ));
        if list.numbers == "masked" {
            ui.label(RichText::new(t.masked).small().color(theme::INK_MUTED));
        }
    });
    egui::ScrollArea::both()
        .id_salt("recipients_list")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("recipients_rows")
                .striped(true)
                .num_columns(7)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    for heading in [
                        t.name, t.township, t.group, t.duty, t.phone, t.channels, t.active,
                    ] {
                        ui.label(RichText::new(heading).strong());
                    }
                    ui.end_row();
                    for person in &list.recipients {
                        row_ui(ui, scene, person);
                    }
                });
        });
}

fn row_ui(ui: &mut egui::Ui, scene: Scene<'_>, person: &RecipientDto) {
    let t = text(scene.language);
    let zh = scene.language == i18n::Language::Zh;
    ui.label(&person.name);
    ui.label(township_name(scene, &person.township));
    ui.label(if zh {
        person.group.name_zh()
    } else {
        person.group.name_en()
    });
    ui.label(if zh {
        person.duty.name_zh()
    } else {
        person.duty.name_en()
    });
    ui.label(person.phone.as_deref().unwrap_or("—"));
    ui.label(person.channels.join(", "));
    ui.label(if person.active { t.yes } else { t.no });
    ui.end_row();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::messages::recipients::{ImportedLineDto, RecipientImportReport};

    fn report(dry_run: bool, committed: bool, imported: usize) -> RecipientImportReport {
        RecipientImportReport {
            format: "csv".into(),
            dry_run,
            all_or_nothing: false,
            committed,
            lines: 3,
            imported: (0..imported)
                .map(|i| ImportedLineDto {
                    line: i + 2,
                    id: None,
                })
                .collect(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn the_summary_says_what_was_stored() {
        let t = text(i18n::Language::Zh);
        let table = [
            (report(false, true, 2), "读取 3 行 · 导入 2 人"),
            (
                report(true, false, 2),
                "读取 3 行 · 可导入 2 人（只检查，未保存）",
            ),
            (
                report(false, false, 0),
                "读取 3 行 · 有错误，未保存任何一行",
            ),
        ];
        for (report, want) in table {
            assert_eq!(report_summary(t, &report), want);
        }
    }
}
