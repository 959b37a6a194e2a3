//! The notice under an export button: where the file went, on one line that wraps only between
//! its parts (never inside a word or a path), with a button that opens the folder; and the
//! folder exports go to, which the user can change. The widget only draws and reports what was
//! clicked; the caller sends the commands (views never do I/O).

use std::path::{Path, PathBuf};

use egui::{Label, RichText};

use super::theme;

/// How the last export went, as the notice shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<'a> {
    /// Being drawn or written.
    Writing,
    /// Written to this file.
    Written(&'a str),
    /// Not written, and why.
    Failed(&'a str),
}

/// The notice's words, in the user's language.
#[derive(Debug, Clone, Copy)]
pub struct NoticeText<'a> {
    /// "Exported".
    pub exported: &'a str,
    /// "Export failed".
    pub failed: &'a str,
    /// "Exporting…".
    pub writing: &'a str,
    /// "in" (a folder).
    pub in_folder: &'a str,
    /// "Open folder".
    pub open_folder: &'a str,
    /// "Exports go to".
    pub export_to: &'a str,
    /// "Change folder…".
    pub change_folder: &'a str,
    /// The folder field's label.
    pub folder_field: &'a str,
    /// "Use this folder".
    pub use_folder: &'a str,
    /// "Cancel".
    pub cancel: &'a str,
}

/// The folder being typed, while the user changes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderEdit {
    /// The field's text, while open.
    pub editing: Option<String>,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeAction {
    /// Open this folder in the file manager.
    OpenFolder(PathBuf),
    /// Export into this folder from now on.
    UseFolder(PathBuf),
}

/// A file's folder and name, split as the notice shows them.
pub fn split_path(path: &str) -> (String, String) {
    let path = Path::new(path);
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let folder = path
        .parent()
        .map_or_else(String::new, |p| p.display().to_string());
    (folder, name)
}

/// One part of the line, never broken inside.
fn part(ui: &mut egui::Ui, text: RichText) -> egui::Response {
    ui.add(Label::new(text).extend())
}

/// Draws the notice and the folder; answers what was clicked.
pub fn export_notice_ui(
    ui: &mut egui::Ui,
    status: Option<Status<'_>>,
    folder: Option<&str>,
    edit: &mut FolderEdit,
    t: &NoticeText<'_>,
) -> Option<NoticeAction> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        match status {
            Some(Status::Writing) => {
                part(ui, RichText::new(t.writing).color(theme::STATUS_PENDING));
            }
            Some(Status::Written(path)) => {
                let (dir, name) = split_path(path);
                part(ui, RichText::new(t.exported).color(theme::STATUS_OK));
                part(ui, RichText::new(name).strong());
                part(ui, RichText::new(t.in_folder).color(theme::INK_MUTED));
                part(ui, RichText::new(&dir));
                if ui.small_button(t.open_folder).clicked() {
                    action = Some(NoticeAction::OpenFolder(PathBuf::from(dir)));
                }
                ui.separator();
            }
            Some(Status::Failed(message)) => {
                part(ui, RichText::new(t.failed).color(theme::STATUS_ERROR));
                // The reason may be long: it wraps, as a sentence does.
                ui.label(RichText::new(message).color(theme::STATUS_ERROR));
                ui.separator();
            }
            None => {}
        }
        action = folder_ui(ui, folder, edit, t).or(action.take());
    });
    action
}

/// The folder exports go to, and the field that changes it.
fn folder_ui(
    ui: &mut egui::Ui,
    folder: Option<&str>,
    edit: &mut FolderEdit,
    t: &NoticeText<'_>,
) -> Option<NoticeAction> {
    let Some(typed) = edit.editing.as_mut() else {
        if let Some(folder) = folder {
            part(ui, RichText::new(t.export_to).color(theme::INK_MUTED));
            part(ui, RichText::new(folder).color(theme::INK_MUTED));
        }
        if ui.small_button(t.change_folder).clicked() {
            edit.editing = Some(folder.unwrap_or_default().to_owned());
        }
        return None;
    };
    let label = part(ui, RichText::new(t.folder_field));
    ui.add(egui::TextEdit::singleline(typed).desired_width(360.0))
        .labelled_by(label.id);
    let chosen = typed.trim().to_owned();
    if ui
        .add_enabled(!chosen.is_empty(), egui::Button::new(t.use_folder))
        .clicked()
    {
        edit.editing = None;
        return Some(NoticeAction::UseFolder(PathBuf::from(chosen)));
    }
    if ui.small_button(t.cancel).clicked() {
        edit.editing = None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_splits_into_its_folder_and_file_name() {
        assert_eq!(
            split_path("/home/duty/文档/wxdesk-58819-rain-20261206-042800.csv"),
            (
                "/home/duty/文档".to_owned(),
                "wxdesk-58819-rain-20261206-042800.csv".to_owned()
            )
        );
        assert_eq!(
            split_path("plain.csv"),
            (String::new(), "plain.csv".to_owned())
        );
    }
}
