//! The history screen's tools: export the view as CSV or PNG, import an observation file, and
//! record station maintenance. Imports and maintenance need the central's authority and the
//! right role; the buttons say which when they cannot be used.

use egui::RichText;

use super::text::{self, HistoryText};
use super::{HistoryView, Mode};
use crate::console::messages::history::PngRender;
use crate::console::messages::table::ExportFormat;
use crate::console::messages::{Command, HistoryCommand};
use crate::console::state::AppState;
use crate::console::state::account::Gate;
use crate::console::state::history::{ExportStatus, ImportStatus};
use crate::console::ui::export_notice::{self, FolderEdit, NoticeAction, NoticeText};
use crate::console::ui::{Scene, ViewState, i18n, raster, theme};
use crate::domain::access::Capability;
use crate::domain::time::{MINUTE_MS, beijing_offset};
use crate::domain::{Element, StationId, Timestamp};

/// The file formats offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatChoice {
    /// Detected from the content (MICAPS files say their type on their first line).
    #[default]
    Detect,
    /// MICAPS type 1, surface plot.
    Micaps1,
    /// MICAPS type 3, station data.
    Micaps3,
    /// CSV.
    Csv,
}

impl FormatChoice {
    /// The central's code for the format; `None` lets it detect.
    fn code(self) -> Option<String> {
        match self {
            Self::Detect => None,
            Self::Micaps1 => Some("micaps1".into()),
            Self::Micaps3 => Some("micaps3".into()),
            Self::Csv => Some("csv".into()),
        }
    }
}

/// The tools' windows and their forms.
#[derive(Debug, Clone, Default)]
pub struct ToolsView {
    /// The import window is open.
    pub import_open: bool,
    /// The file to import.
    pub import_path: String,
    /// Its format.
    pub import_format: FormatChoice,
    /// The element of a MICAPS type 3 file, if the title does not say.
    pub import_element: Option<Element>,
    /// The maintenance window is open.
    pub maintenance_open: bool,
    /// Start, as typed (Beijing time).
    pub maintenance_from: String,
    /// End, as typed; empty while it lasts.
    pub maintenance_to: String,
    /// What is done.
    pub maintenance_note: String,
    /// Why the form was refused here, before anything was sent.
    pub maintenance_error: Option<String>,
    /// The export folder, while the user changes it.
    pub folder: FolderEdit,
}

/// The toolbar's buttons.
pub fn buttons_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    history: &mut HistoryView,
    t: &HistoryText,
    commands: &mut Vec<Command>,
) {
    for (format, label) in [
        (ExportFormat::Csv, t.export_csv),
        (ExportFormat::Xlsx, t.export_xlsx),
    ] {
        let command = super::export::export_command(scene, history, format);
        if ui
            .add_enabled(command.is_some(), egui::Button::new(label))
            .on_hover_text(t.export_hover)
            .clicked()
            && let Some(command) = command
        {
            commands.push(command);
        }
    }
    let drawable = history.mode != Mode::Summary;
    if ui
        .add_enabled(drawable, egui::Button::new(t.export_png))
        .on_hover_text(t.export_hover)
        .clicked()
    {
        commands.push(Command::History(HistoryCommand::ExportPng {
            render: png_render(scene, history),
            name: export_name(history),
        }));
    }
    if gated_ui(ui, scene, t.import_button, Capability::IngestObservations) {
        history.tools.import_open = true;
    }
    if gated_ui(ui, scene, t.maintenance_button, Capability::ManageDevices) {
        let tools = &mut history.tools;
        tools.maintenance_open = true;
        if tools.maintenance_from.is_empty() {
            tools.maintenance_from = format_time(scene.now.floor(MINUTE_MS));
        }
    }
}

/// The last export's notice and the export folder, on a line of their own under the toolbar.
pub fn notice_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    history: &mut HistoryView,
    t: &HistoryText,
    commands: &mut Vec<Command>,
) {
    let state = &scene.state.history;
    let failure = match &state.export {
        Some(ExportStatus::Failed(why)) => i18n::trouble(scene.language, why),
        _ => String::new(),
    };
    let status = state.export.as_ref().map(|e| match e {
        ExportStatus::Writing => export_notice::Status::Writing,
        ExportStatus::Written(path) => export_notice::Status::Written(path),
        ExportStatus::Failed(_) => export_notice::Status::Failed(&failure),
    });
    let words = NoticeText {
        exported: t.exported,
        failed: t.export_failed,
        writing: t.exporting,
        in_folder: t.export_in_folder,
        open_folder: t.export_open_folder,
        export_to: t.export_to,
        change_folder: t.export_change_folder,
        folder_field: t.export_folder_field,
        use_folder: t.export_folder_use,
        cancel: t.export_folder_cancel,
    };
    let folder = state.export_folder.as_deref();
    let action =
        export_notice::export_notice_ui(ui, status, folder, &mut history.tools.folder, &words);
    match action {
        Some(NoticeAction::OpenFolder(folder)) => {
            commands.push(Command::History(HistoryCommand::OpenFolder { folder }));
        }
        Some(NoticeAction::UseFolder(folder)) => {
            commands.push(Command::History(HistoryCommand::SetExportFolder { folder }));
        }
        None => {}
    }
}

/// A button for something needing `capability`, disabled (with the reason) when it cannot be
/// used now.
fn gated_ui(ui: &mut egui::Ui, scene: Scene<'_>, label: &str, capability: Capability) -> bool {
    match scene.state.account.gate(capability) {
        Gate::Allowed => ui.button(label).clicked(),
        Gate::NeedsCentral => {
            ui.add_enabled(false, egui::Button::new(label))
                .on_disabled_hover_text(scene.text.needs_central);
            false
        }
        Gate::NeedsRole(roles) => {
            ui.add_enabled(false, egui::Button::new(label))
                .on_disabled_hover_text(i18n::needs_role(scene.language, &roles));
            false
        }
        Gate::SignedOut => false,
    }
}

/// The export's name: the station shown (for every mode showing one) and the mode.
pub fn export_name(history: &HistoryView) -> String {
    let mode = match history.mode {
        Mode::Elements => "elements",
        Mode::Stations => "stations",
        Mode::Rain => "rain",
        Mode::Wind => "wind",
        Mode::Summary => "today",
    };
    match (&history.station, history.mode) {
        (Some(station), Mode::Elements | Mode::Rain | Mode::Wind) => format!("{station}-{mode}"),
        _ => mode.to_owned(),
    }
}

/// The view as a PNG, drawn by the same code as on screen, offscreen: a job holding a copy of
/// what the screen shows, for the history service to run off the UI thread.
fn png_render(scene: Scene<'_>, history: &HistoryView) -> PngRender {
    let state: AppState = scene.state.clone();
    let copy = history.clone();
    let (now, language, strings) = (scene.now, scene.language, scene.text);
    PngRender::new(move || {
        let scene = Scene {
            state: &state,
            now,
            language,
            text: strings,
        };
        render_png(scene, copy.clone()).map_err(|e| e.to_string())
    })
}

fn render_png(scene: Scene<'_>, mut copy: HistoryView) -> Result<Vec<u8>, raster::RasterError> {
    let t = text::text(scene.language);
    let request = raster::RenderRequest {
        size: egui::vec2(1600.0, 900.0),
        pixels_per_point: 1.0,
    };
    let image = raster::render(request, |ui| {
        egui::CentralPanel::default()
            .frame(theme::panel_frame().fill(theme::SURFACE_RAISED))
            .show(ui, |ui| {
                ui.label(
                    RichText::new(format!(
                        "{} · {}",
                        scene.text.bureau,
                        super::mode_title(&copy, t)
                    ))
                    .heading(),
                );
                if let (Mode::Elements, Some(id)) = (copy.mode, &copy.station) {
                    ui.label(super::station_title(scene, id));
                }
                match copy.mode {
                    Mode::Elements => super::plots::elements_ui(ui, scene, &mut copy, t),
                    Mode::Stations => super::plots::compare_ui(ui, scene, &mut copy, t),
                    Mode::Rain => super::rain::rain_ui(ui, scene, &mut copy, t),
                    Mode::Wind => super::wind::wind_ui(ui, scene, &mut copy, t),
                    Mode::Summary => super::tables::summary_ui(ui, scene, t),
                }
            });
    })?;
    raster::encode_png(&image)
}

/// The import and maintenance windows, when open.
pub fn windows_ui(
    ctx: &egui::Context,
    scene: Scene<'_>,
    view: &mut ViewState,
    commands: &mut Vec<Command>,
) {
    let t = text::text(scene.language);
    let selected = view.selected.clone();
    let tools = &mut view.history.tools;
    if tools.import_open {
        let mut open = true;
        egui::Window::new(t.import_title)
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(460.0)
            .show(ctx, |ui| import_ui(ui, scene, t, tools, commands));
        tools.import_open = open;
    }
    if tools.maintenance_open {
        let mut open = true;
        egui::Window::new(t.maintenance_title)
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .default_width(460.0)
            .show(ctx, |ui| {
                maintenance_ui(ui, scene, t, tools, selected.as_ref(), commands);
            });
        tools.maintenance_open = open;
    }
}

fn import_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    t: &HistoryText,
    tools: &mut ToolsView,
    commands: &mut Vec<Command>,
) {
    ui.label(RichText::new(t.import_formats).color(theme::INK_MUTED));
    ui.label(RichText::new(t.import_rule).color(theme::INK_MUTED));
    egui::Grid::new("import form")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label(t.import_path);
            ui.add(egui::TextEdit::singleline(&mut tools.import_path).desired_width(320.0))
                .labelled_by(label.id);
            ui.end_row();
            ui.label(t.import_format);
            ui.horizontal(|ui| {
                for (choice, label) in [
                    (FormatChoice::Detect, t.format_auto),
                    (FormatChoice::Micaps1, t.format_micaps1),
                    (FormatChoice::Micaps3, t.format_micaps3),
                    (FormatChoice::Csv, t.format_csv),
                ] {
                    ui.selectable_value(&mut tools.import_format, choice, label);
                }
            });
            ui.end_row();
            let label = ui.label(t.import_element);
            egui::ComboBox::from_id_salt("import element")
                .selected_text(tools.import_element.map_or(t.element_from_title, |e| {
                    i18n::element_name(scene.language, e)
                }))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut tools.import_element, None, t.element_from_title);
                    for element in Element::ALL {
                        ui.selectable_value(
                            &mut tools.import_element,
                            Some(element),
                            i18n::element_name(scene.language, element),
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
        });
    let sending = scene.state.history.import == ImportStatus::Sending;
    let path = tools.import_path.trim();
    if ui
        .add_enabled(!path.is_empty() && !sending, egui::Button::new(t.import_go))
        .clicked()
    {
        commands.push(Command::History(HistoryCommand::Import {
            path: path.into(),
            format: tools.import_format.code(),
            element: tools.import_element,
        }));
    }
    match &scene.state.history.import {
        ImportStatus::Idle => {}
        ImportStatus::Sending => {
            ui.label(RichText::new(t.import_sending).color(theme::STATUS_PENDING));
        }
        ImportStatus::Done(outcome) => {
            ui.label(RichText::new(import_summary(scene, t, outcome)).color(theme::STATUS_OK));
        }
        ImportStatus::Failed(why) => {
            ui.label(
                RichText::new(format!(
                    "{}{}{}",
                    t.import_failed,
                    i18n::colon(scene.language),
                    i18n::trouble(scene.language, why)
                ))
                .color(theme::STATUS_ERROR),
            );
        }
    }
}

/// What an import did, in one sentence.
pub fn import_summary(
    scene: Scene<'_>,
    t: &HistoryText,
    outcome: &crate::console::messages::history::ImportOutcome,
) -> String {
    let span = outcome
        .span
        .map(|(a, b)| format!("，{} – {}", format_time(a), format_time(b)))
        .unwrap_or_default();
    match scene.language {
        i18n::Language::Zh => format!(
            "{}：{}（{}）{} 条记录，新值 {}，已有 {}，缺测 {}，站网外站点 {} 个已跳过{span}",
            t.import_done,
            outcome.title,
            outcome.format,
            outcome.imported,
            outcome.new_values,
            outcome.duplicate_values,
            outcome.missing_values,
            outcome.outside_network
        ),
        i18n::Language::En => format!(
            "{}: {} ({}) {} records, {} new values, {} already stored, {} missing, {} stations outside the network skipped{span}",
            t.import_done,
            outcome.title,
            outcome.format,
            outcome.imported,
            outcome.new_values,
            outcome.duplicate_values,
            outcome.missing_values,
            outcome.outside_network
        ),
    }
}

fn maintenance_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    t: &HistoryText,
    tools: &mut ToolsView,
    selected: Option<&StationId>,
    commands: &mut Vec<Command>,
) {
    let Some(station_id) = selected else {
        ui.label(t.no_station);
        return;
    };
    let station = scene.state.network.station(station_id);
    ui.label(
        RichText::new(station.map_or_else(
            || station_id.to_string(),
            |s| i18n::station_name(scene.language, s).to_owned(),
        ))
        .strong(),
    );
    egui::Grid::new("maintenance form")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label(t.maintenance_from);
            ui.add(egui::TextEdit::singleline(&mut tools.maintenance_from).hint_text(t.date_hint))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label(t.maintenance_to);
            ui.add(
                egui::TextEdit::singleline(&mut tools.maintenance_to)
                    .hint_text(t.maintenance_to_hint),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label(t.maintenance_note);
            ui.add(egui::TextEdit::multiline(&mut tools.maintenance_note).desired_rows(2))
                .labelled_by(label.id);
            ui.end_row();
        });
    if ui.button(t.maintenance_save).clicked() {
        match maintenance_form(tools, t) {
            Ok((from, to, note)) => {
                tools.maintenance_error = None;
                commands.push(Command::History(HistoryCommand::RecordMaintenance {
                    station: station_id.clone(),
                    from,
                    to,
                    note,
                }));
            }
            Err(message) => tools.maintenance_error = Some(message),
        }
    }
    if let Some(error) = &tools.maintenance_error {
        ui.label(RichText::new(error).color(theme::STATUS_ERROR));
    }
    match &scene.state.history.maintenance {
        Some(Ok(_)) => {
            ui.label(RichText::new(t.maintenance_saved).color(theme::STATUS_OK));
        }
        Some(Err(why)) => {
            ui.label(
                RichText::new(format!(
                    "{}{}{}",
                    t.maintenance_failed,
                    i18n::colon(scene.language),
                    i18n::trouble(scene.language, why)
                ))
                .color(theme::STATUS_ERROR),
            );
        }
        None => {}
    }
    ui.separator();
    let windows = scene.state.maintenance_of(station_id);
    if windows.is_empty() {
        ui.label(RichText::new(t.maintenance_none).color(theme::INK_MUTED));
    }
    for window in windows.into_iter().take(8) {
        ui.horizontal_wrapped(|ui| {
            let until = window
                .to
                .map_or_else(|| t.maintenance_ongoing.to_owned(), format_time);
            ui.label(format!("{} – {until}", format_time(window.from)));
            ui.label(RichText::new(&window.note).color(theme::INK_MUTED));
            ui.label(RichText::new(&window.recorded_by).color(theme::INK_FAINT));
            if window.to.is_none() && ui.small_button(t.maintenance_end).clicked() {
                commands.push(Command::History(HistoryCommand::EndMaintenance {
                    id: window.id,
                    to: scene.now.floor(MINUTE_MS),
                }));
            }
        });
    }
}

/// The form's values, or why they cannot be sent.
fn maintenance_form(
    tools: &ToolsView,
    t: &HistoryText,
) -> Result<(Timestamp, Option<Timestamp>, String), String> {
    let from = parse_time(&tools.maintenance_from)
        .ok_or_else(|| format!("{} — {}", t.maintenance_from, t.bad_date))?;
    let to = match tools.maintenance_to.trim() {
        "" => None,
        text => {
            Some(parse_time(text).ok_or_else(|| format!("{} — {}", t.maintenance_to, t.bad_date))?)
        }
    };
    let note = tools.maintenance_note.trim();
    if note.is_empty() {
        return Err(t.maintenance_note_required.to_owned());
    }
    Ok((from, to, note.to_owned()))
}

/// `2026-11-27 08:00`, Beijing time.
pub fn format_time(t: Timestamp) -> String {
    t.beijing().format("%Y-%m-%d %H:%M").to_string()
}

/// Parses `2026-11-27 08:00` (or with seconds, or a date alone) as Beijing time.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let with_time = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok());
    let naive = with_time.or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    naive
        .and_local_timezone(beijing_offset())
        .single()
        .map(|t| Timestamp(t.timestamp_millis()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_and_written_in_beijing_time() {
        let t = parse_time("2026-11-27 08:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-27T00:00:00Z");
        assert_eq!(format_time(t), "2026-11-27 08:00");
        assert_eq!(parse_time("2026-11-27"), parse_time("2026-11-27 00:00:00"));
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn the_maintenance_form_says_what_is_wrong() {
        let t = text::text(i18n::Language::Zh);
        let mut tools = ToolsView {
            maintenance_from: "2026-11-27 08:00".into(),
            maintenance_note: "  ".into(),
            ..ToolsView::default()
        };
        assert_eq!(
            maintenance_form(&tools, t).unwrap_err(),
            t.maintenance_note_required
        );
        tools.maintenance_note = "更换温湿度传感器".into();
        tools.maintenance_to = "later".into();
        assert!(
            maintenance_form(&tools, t)
                .unwrap_err()
                .contains(t.bad_date)
        );
        tools.maintenance_to = String::new();
        let (from, to, note) = maintenance_form(&tools, t).unwrap();
        assert_eq!(
            (from, to, note.as_str()),
            (
                parse_time("2026-11-27 08:00").unwrap(),
                None,
                "更换温湿度传感器"
            )
        );
    }
}
