//! 服务统计, the supervisor's view of the bureau's service over a range of days: warnings
//! released by type and level (practice apart), how they were approved and how fast, who
//! drafted and approved each, delivery per channel and 叫应 completion. Every figure is the
//! central's (`GET /reports/service`); 导出 CSV / 导出 Excel save the central's own files in
//! the export folder, so the file and the screen cannot disagree.
//!
//! It reads when opened, when the range changes and on 刷新 — never on a timer: a report of
//! past days does not change under the supervisor's eyes, and a hidden view sends nothing.
//! Each table is drawn from rows made by the pure `*_rows` functions, which tests read too.

pub mod text;

use chrono::NaiveDate;
use egui::RichText;

use crate::console::messages::reports::{
    Approvals, CalloutSummary, ChannelDelivery, RangePreset, ReportCommand, ReportFormat,
    ReportRange, ServiceReport,
};
use crate::console::messages::warnings::WarningRecord;
use crate::console::messages::{Command, HistoryCommand};
use crate::console::state::account::Gate;
use crate::console::state::reports::ReportExport;
use crate::console::ui::export_notice::{self, FolderEdit, NoticeAction, NoticeText};
use crate::console::ui::i18n::Language;
use crate::console::ui::warnings::{dispatch, icon};
use crate::console::ui::{Scene, theme};
use crate::domain::Timestamp;
use crate::domain::access::Capability;
use crate::domain::warning::Level;
use text::ReportText;

/// The capability the central's route needs.
pub const CAPABILITY: Capability = Capability::ReadAudit;

/// The longest range the central reports on, in days (its `MAX_DAYS`).
const MAX_DAYS: i64 = 366;

/// What the view remembers between frames.
#[derive(Debug, Default)]
pub struct ReportView {
    /// Shown in the composer's place.
    pub shown: bool,
    /// The range shown; set to this month when first shown.
    pub range: Option<ReportRange>,
    /// The date fields as typed.
    pub from_text: String,
    /// The last day as typed.
    pub to_text: String,
    /// The typed dates do not make a range.
    bad_range: bool,
    /// The range last asked for, and the state's answer count then (in flight until it moves).
    asked: Option<(ReportRange, u64)>,
    /// The export folder being changed.
    pub folder: FolderEdit,
}

impl ReportView {
    /// Shows the view on `range` (read at once if not read yet).
    pub fn choose(&mut self, range: ReportRange) {
        self.from_text.clone_from(&range.from);
        self.to_text.clone_from(&range.to);
        self.bad_range = false;
        self.range = Some(range);
    }

    /// Reads the shown range again.
    pub fn refresh(&mut self) {
        self.asked = None;
    }
}

/// The days of `preset` on `today` (Beijing), as the central takes them.
pub fn preset_range(preset: RangePreset, today: NaiveDate) -> ReportRange {
    let (from, to) = preset.days(today);
    ReportRange {
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
    }
}

/// The range typed, if it is one the central reports on.
pub fn typed_range(from: &str, to: &str) -> Option<ReportRange> {
    let day = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    let (first, last) = (day(from)?, day(to)?);
    let days = (last - first).num_days() + 1;
    (1..=MAX_DAYS).contains(&days).then(|| ReportRange {
        from: first.format("%Y-%m-%d").to_string(),
        to: last.format("%Y-%m-%d").to_string(),
    })
}

/// Minutes as the report shows them: one decimal, `—` when there is nothing to measure.
pub fn minutes_text(minutes: Option<f64>) -> String {
    minutes.map_or_else(|| "—".to_owned(), |m| format!("{m:.1}"))
}

/// A rate (0–1) as a percentage with one decimal, `—` without a base.
pub fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// A signal's title, with 演练 for a practice run.
fn warning_title(signal: &str, level: &str, practice: bool, language: Language) -> String {
    let t = text::text(language);
    let title = match Level::from_id(level) {
        Some(level) => icon::signal_title(signal, level, language),
        None => format!("{signal} {level}"),
    };
    if practice {
        format!("{title}（{}）", t.practice)
    } else {
        title
    }
}

/// Released warnings per type and level: title, count.
pub fn issued_rows(report: &ServiceReport, language: Language) -> Vec<Vec<String>> {
    report
        .issued
        .iter()
        .map(|i| {
            vec![
                warning_title(&i.signal, &i.level, i.practice, language),
                i.count.to_string(),
            ]
        })
        .collect()
}

/// The two intervals: step, median, longest.
pub fn step_rows(approvals: &Approvals, t: &ReportText) -> Vec<Vec<String>> {
    [
        (t.submit_to_approve, &approvals.submit_to_approve),
        (t.approve_to_release, &approvals.approve_to_release),
    ]
    .into_iter()
    .map(|(step, m)| vec![step.to_owned(), minutes_text(m.median), minutes_text(m.max)])
    .collect()
}

/// `2026-12-07T06:30:00Z` as `12-07 14:30` Beijing time (the text itself if it is no time).
fn released_text(at: &str) -> String {
    Timestamp::parse_rfc3339(at).map_or_else(
        |_| at.to_owned(),
        |t| t.beijing().format("%m-%d %H:%M").to_string(),
    )
}

/// Each released warning: released, warning, drafter, approver, the two intervals; people
/// by the name `shown` gives for (record id, login name).
pub fn line_rows(
    approvals: &Approvals,
    language: Language,
    shown: &dyn Fn(&str, &str) -> String,
) -> Vec<Vec<String>> {
    approvals
        .warnings
        .iter()
        .map(|l| {
            vec![
                released_text(&l.released_at),
                warning_title(&l.signal, &l.level, l.practice, language),
                shown(&l.id, &l.drafter),
                l.approver
                    .as_deref()
                    .map_or_else(|| "—".to_owned(), |a| shown(&l.id, a)),
                minutes_text(l.submit_to_approve),
                minutes_text(l.approve_to_release),
            ]
        })
        .collect()
}

/// Each channel: name, messages, delivered, failed, unknown, accepted, other, rate.
pub fn channel_rows(delivery: &[ChannelDelivery], language: Language) -> Vec<Vec<String>> {
    let words = dispatch::text::text(language);
    delivery
        .iter()
        .map(|c| {
            vec![
                dispatch::channel_name(words, &c.channel),
                c.messages.to_string(),
                c.delivered.to_string(),
                c.failed.to_string(),
                c.unknown.to_string(),
                c.accepted.to_string(),
                c.other.to_string(),
                rate_text(c.delivery_rate),
            ]
        })
        .collect()
}

/// 叫应 as label and value.
pub fn callout_rows(c: &CalloutSummary, t: &ReportText) -> Vec<Vec<String>> {
    let answered = format!(
        "{}（{} {} · {} {} · {} {}）",
        c.answered,
        t.callout_by_sms,
        c.by_sms_reply,
        t.callout_by_wechat,
        c.by_wechat,
        t.callout_by_phone,
        c.by_phone
    );
    let response = format!(
        "{} {} · {} {}",
        t.col_median,
        minutes_text(c.response.median),
        t.col_max,
        minutes_text(c.response.max)
    );
    [
        (t.callout_warnings, c.warnings.to_string()),
        (t.callout_called, c.called.to_string()),
        (t.callout_answered, answered),
        (t.callout_unanswered, c.unanswered.to_string()),
        (t.callout_desk, c.escalated_desk.to_string()),
        (t.callout_supervisor, c.escalated_supervisor.to_string()),
        (t.callout_rate, rate_text(c.completion_rate)),
        (t.callout_response, response),
    ]
    .into_iter()
    .map(|(label, value)| vec![label.to_owned(), value])
    .collect()
}

/// Draws the view: the range, the figures, the export.
pub fn report_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ReportView,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    if view.range.is_none() {
        let today = scene.now.beijing().date_naive();
        view.choose(preset_range(RangePreset::ThisMonth, today));
    }
    range_ui(ui, scene, view, t);
    let Some(range) = view.range.clone() else {
        return;
    };
    let allowed = scene.state.account.gate(CAPABILITY) == Gate::Allowed;
    if allowed {
        ask(scene, view, &range, commands);
    }
    if let Some(refusal) = &scene.state.reports.refusal {
        let (message, code) = (&refusal.message, &refusal.code);
        super::refusal_banner_ui(ui, scene, t.refused, message, code, |_| {});
    }
    export_ui(ui, scene, view, &range, commands);
    ui.separator();
    match scene.state.reports.of(&range) {
        Some(report) => {
            egui::ScrollArea::vertical()
                .id_salt("service_report")
                .auto_shrink([false, false])
                .show(ui, |ui| figures_ui(ui, scene, report));
        }
        None if scene.state.reports.refusal.is_none() => {
            ui.label(RichText::new(t.loading).color(theme::INK_MUTED));
        }
        None => {}
    }
}

/// Asks for the range unless it is the one asked last.
fn ask(scene: Scene<'_>, view: &mut ReportView, range: &ReportRange, commands: &mut Vec<Command>) {
    if view.asked.as_ref().is_some_and(|(asked, _)| asked == range) {
        return;
    }
    commands.push(Command::Reports(ReportCommand::Fetch(range.clone())));
    view.asked = Some((range.clone(), scene.state.reports.answers));
}

/// The presets, the typed days and 查询 / 刷新.
fn range_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ReportView, t: &ReportText) {
    let today = scene.now.beijing().date_naive();
    ui.horizontal_wrapped(|ui| {
        for (preset, label) in [
            (RangePreset::ThisMonth, t.preset_this_month),
            (RangePreset::LastMonth, t.preset_last_month),
            (RangePreset::ThisYear, t.preset_this_year),
        ] {
            let range = preset_range(preset, today);
            let chosen = view.range.as_ref() == Some(&range);
            if ui.selectable_label(chosen, label).clicked() {
                view.choose(range);
            }
        }
        ui.separator();
        let from = ui.label(t.from);
        ui.add(egui::TextEdit::singleline(&mut view.from_text).desired_width(92.0))
            .labelled_by(from.id);
        let to = ui.label(t.to);
        ui.add(egui::TextEdit::singleline(&mut view.to_text).desired_width(92.0))
            .labelled_by(to.id);
        if ui.button(t.apply).clicked() {
            match typed_range(&view.from_text, &view.to_text) {
                Some(range) => view.choose(range),
                None => view.bad_range = true,
            }
        }
        if ui.button(t.refresh).clicked() {
            view.refresh();
        }
    });
    if view.bad_range {
        ui.label(RichText::new(t.bad_range).color(theme::STATUS_ERROR));
    }
}

/// 导出 CSV / 导出 Excel, and the export notice the history screen shows too.
fn export_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut ReportView,
    range: &ReportRange,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let writing = matches!(scene.state.reports.export, Some(ReportExport::Writing));
    ui.horizontal(|ui| {
        for (format, label) in [
            (ReportFormat::Csv, t.export_csv),
            (ReportFormat::Xlsx, t.export_xlsx),
        ] {
            let button = super::gated_button(ui, scene, label, CAPABILITY, !writing);
            if button.is_some_and(|b| b.on_hover_text(t.export_hover).clicked()) {
                commands.push(Command::Reports(ReportCommand::Export {
                    range: range.clone(),
                    format,
                }));
            }
        }
    });
    let words = crate::console::ui::history::text::text(scene.language);
    let status = scene.state.reports.export.as_ref().map(|e| match e {
        ReportExport::Writing => export_notice::Status::Writing,
        ReportExport::Written(path) => export_notice::Status::Written(path),
        ReportExport::Failed(why) => export_notice::Status::Failed(&why.message),
    });
    let notice = NoticeText {
        exported: words.exported,
        failed: words.export_failed,
        writing: words.exporting,
        in_folder: words.export_in_folder,
        open_folder: words.export_open_folder,
        export_to: words.export_to,
        change_folder: words.export_change_folder,
        folder_field: words.export_folder_field,
        use_folder: words.export_folder_use,
        cancel: words.export_folder_cancel,
    };
    let folder = scene.state.history.export_folder.as_deref();
    match export_notice::export_notice_ui(ui, status, folder, &mut view.folder, &notice) {
        Some(NoticeAction::OpenFolder(folder)) => {
            commands.push(Command::History(HistoryCommand::OpenFolder { folder }));
        }
        Some(NoticeAction::UseFolder(folder)) => {
            commands.push(Command::History(HistoryCommand::SetExportFolder { folder }));
        }
        None => {}
    }
}

/// The name shown for `username` on the record `id`, as the desk's synced record has it.
pub fn shown_name(records: &[WarningRecord], id: &str, username: &str) -> String {
    records
        .iter()
        .find(|r| r.id == id)
        .map_or(username, |r| r.name_of(username))
        .to_owned()
}

/// Muted words, for a part with nothing to count.
fn muted(ui: &mut egui::Ui, words: &str) {
    ui.label(RichText::new(words).color(theme::INK_MUTED));
}

/// The report's four parts: the counts side by side (a supervisor sees them at a glance),
/// each warning's line beneath them.
fn figures_ui(ui: &mut egui::Ui, scene: Scene<'_>, report: &ServiceReport) {
    let t = text::text(scene.language);
    ui.label(
        RichText::new(format!("{} {} — {}", t.figures_of, report.from, report.to))
            .color(theme::INK_MUTED),
    );
    ui.add_space(4.0);
    ui.columns(2, |columns| {
        issued_ui(&mut columns[0], scene.language, report);
        columns[0].add_space(8.0);
        approvals_ui(&mut columns[0], scene.language, &report.approvals);
        delivery_ui(&mut columns[1], scene.language, report);
    });
    lines_ui(ui, scene, &report.approvals);
}

/// Released warnings per type and level.
fn issued_ui(ui: &mut egui::Ui, language: Language, report: &ServiceReport) {
    let t = text::text(language);
    ui.label(RichText::new(t.issued).strong());
    match issued_rows(report, language) {
        rows if rows.is_empty() => muted(ui, t.issued_none),
        rows => table_ui(ui, "report_issued", &[t.col_warning, t.col_count], &rows),
    }
}

/// Delivery per channel, then 叫应.
fn delivery_ui(ui: &mut egui::Ui, language: Language, report: &ServiceReport) {
    let t = text::text(language);
    ui.label(RichText::new(t.delivery).strong());
    let heads = [
        t.col_channel,
        t.col_messages,
        t.col_delivered,
        t.col_failed,
        t.col_unknown,
        t.col_accepted,
        t.col_other,
        t.col_rate,
    ];
    match channel_rows(&report.delivery, language) {
        rows if rows.is_empty() => muted(ui, t.delivery_none),
        rows => table_ui(ui, "report_delivery", &heads, &rows),
    }
    ui.add_space(8.0);
    ui.label(RichText::new(t.callout).strong());
    match &report.callout {
        Some(callout) => table_ui(ui, "report_callout", &[], &callout_rows(callout, t)),
        None => muted(ui, t.callout_absent),
    }
}

/// How the warnings were approved, and how fast.
fn approvals_ui(ui: &mut egui::Ui, language: Language, approvals: &Approvals) {
    let t = text::text(language);
    ui.label(RichText::new(t.approvals).strong());
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{} {}", t.approved, approvals.approved));
        ui.label(RichText::new("·").color(theme::INK_MUTED));
        ui.label(format!("{} {}", t.signed_alone, approvals.signed_alone));
    });
    let heads = [t.col_step, t.col_median, t.col_max];
    table_ui(ui, "report_steps", &heads, &step_rows(approvals, t));
}

/// Each released warning: who drafted, who approved, when, how fast.
fn lines_ui(ui: &mut egui::Ui, scene: Scene<'_>, approvals: &Approvals) {
    let (language, records) = (scene.language, &scene.state.warnings.records);
    let t = text::text(language);
    let rows = line_rows(approvals, language, &|id, user| {
        shown_name(records, id, user)
    });
    if rows.is_empty() {
        return;
    }
    ui.add_space(8.0);
    let heads = [
        t.col_released,
        t.col_warning,
        t.col_drafter,
        t.col_approver,
        t.submit_to_approve,
        t.approve_to_release,
    ];
    table_ui(ui, "report_lines", &heads, &rows);
}

/// A striped grid: headings (none for a label–value table), then the rows.
fn table_ui(ui: &mut egui::Ui, id: &str, headings: &[&str], rows: &[Vec<String>]) {
    egui::Grid::new(id)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            if !headings.is_empty() {
                for heading in headings {
                    ui.label(RichText::new(*heading).strong().color(theme::INK_MUTED));
                }
                ui.end_row();
            }
            for row in rows {
                for cell in row {
                    ui.label(cell);
                }
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_and_rates_read_as_the_report_gives_them() {
        let table = [(Some(12.0), "12.0"), (Some(2.25), "2.2"), (None, "—")];
        for (minutes, want) in table {
            assert_eq!(minutes_text(minutes), want, "{minutes:?}");
        }
        let rates = [(Some(0.25), "25.0%"), (Some(1.0), "100.0%"), (None, "—")];
        for (rate, want) in rates {
            assert_eq!(rate_text(rate), want, "{rate:?}");
        }
    }

    #[test]
    fn only_a_range_the_central_takes_is_applied() {
        let table = [
            (
                "2026-12-01",
                "2026-12-07",
                Some(("2026-12-01", "2026-12-07")),
            ),
            (
                " 2026-12-01 ",
                "2026-12-1",
                Some(("2026-12-01", "2026-12-01")),
            ),
            ("2026-12-08", "2026-12-07", None),
            (
                "2025-01-01",
                "2026-01-01",
                Some(("2025-01-01", "2026-01-01")),
            ),
            ("2025-01-01", "2026-01-02", None),
            ("2026-13-01", "2026-12-07", None),
            ("", "2026-12-07", None),
        ];
        for (from, to, want) in table {
            let want = want.map(|(from, to)| ReportRange {
                from: from.into(),
                to: to.into(),
            });
            assert_eq!(typed_range(from, to), want, "{from} {to}");
        }
    }

    #[test]
    fn a_preset_gives_the_central_its_days() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(
            preset_range(RangePreset::LastMonth, today),
            ReportRange {
                from: "2026-11-01".into(),
                to: "2026-11-30".into(),
            }
        );
    }
}
