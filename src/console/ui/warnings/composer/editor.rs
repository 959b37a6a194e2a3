//! The text from its template: the heading locked, the forecast to write (highlighted while
//! empty), the official guidance items to keep.

use egui::RichText;

use super::draft::Draft;
use crate::console::ui::theme;
use crate::console::ui::warnings::text::WarningsText;
use crate::domain::warning::template::{FORECAST, Part, Template};
use crate::domain::warning::{Guidance, SignalType};

/// Draws the template and writes what the forecaster types back into `draft`.
pub fn editor_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    draft: &mut Draft,
    template: &Template,
    signal: &SignalType,
) {
    ui.label(RichText::new(t.text_heading).strong());
    if let Some(Part::Locked { text }) = template.body.first() {
        locked_ui(ui, t, text);
    }
    let hint = template
        .body
        .iter()
        .find_map(|p| match p {
            Part::Field { key, hint, .. } if key == FORECAST => Some(hint.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let hint = draft.hint.clone().unwrap_or(hint);
    field_ui(ui, t, t.forecast_label, &mut draft.forecast, &hint, 3);
    let Some(level) = draft.level.and_then(|l| signal.level(l)) else {
        return;
    };
    match &level.guidance {
        Guidance::Official(items) => guidance_ui(ui, t, draft, items),
        Guidance::Missing => {
            field_ui(
                ui,
                t,
                t.guidance,
                &mut draft.own_guidance,
                t.own_guidance,
                2,
            );
        }
    }
}

/// A locked part: shown, not editable, marked so.
fn locked_ui(ui: &mut egui::Ui, t: &WarningsText, text: &str) {
    theme::chip_frame(theme::SURFACE_SUNKEN).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(t.locked).small().color(theme::INK_MUTED));
            ui.label(RichText::new(text).color(theme::INK));
        });
    });
}

/// A field to write; framed in red while it is an unfilled placeholder.
fn field_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    label: &str,
    value: &mut String,
    hint: &str,
    rows: usize,
) {
    let empty = value.trim().is_empty();
    let label_id = ui
        .horizontal(|ui| {
            let id = ui.label(label).id;
            if empty {
                ui.label(
                    RichText::new(t.must_fill)
                        .small()
                        .color(theme::STATUS_ERROR),
                );
            }
            id
        })
        .inner;
    let stroke = if empty {
        egui::Stroke::new(2.0, theme::STATUS_ERROR)
    } else {
        egui::Stroke::new(1.0, theme::BORDER)
    };
    egui::Frame::new().stroke(stroke).show(ui, |ui| {
        let edit = egui::TextEdit::multiline(value)
            .hint_text(hint)
            .desired_rows(rows)
            .desired_width(f32::INFINITY)
            .background_color(theme::FIELD_BG);
        ui.add(edit).labelled_by(label_id);
    });
}

/// The official items as a checklist (real texts keep two or three).
fn guidance_ui(ui: &mut egui::Ui, t: &WarningsText, draft: &mut Draft, items: &[String]) {
    let kept = draft.keep.iter().filter(|i| **i < items.len()).count();
    let colour = if (2..=3).contains(&kept) {
        theme::INK_MUTED
    } else {
        theme::STATUS_PENDING
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.guidance).strong());
        ui.label(
            RichText::new(format!(
                "{} {kept}/{} · {}",
                t.guidance_keep,
                items.len(),
                t.guidance_advice
            ))
            .color(colour),
        );
    });
    for (i, item) in items.iter().enumerate() {
        let mut on = draft.keep.contains(&i);
        if ui.checkbox(&mut on, item.as_str()).changed() {
            if on {
                draft.keep.insert(i);
            } else {
                draft.keep.remove(&i);
            }
        }
    }
}
