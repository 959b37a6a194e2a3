//! Every channel's preview side by side, each with its measure (SMS parts and UTF-16 units,
//! bytes against WeCom's limits, characters per template field) and the findings about it
//! right under it: blocks in red, warnings in amber.

use egui::RichText;

use super::build::Built;
use super::reasons::{channel_of, reason};
use crate::console::ui::i18n::Language;
use crate::console::ui::theme;
use crate::console::ui::warnings::text::{WarningsText, channel_name};
use crate::domain::warning::channels;
use crate::domain::warning::checks::{self, Channel, Finding, Severity};
use crate::domain::warning::sms;

/// Narrowest a preview card may be; the cards share the width in as many columns as fit.
const MIN_CARD_WIDTH: f32 = 260.0;
/// Space between cards.
const CARD_GAP: f32 = 8.0;
/// A card's inner margin.
const CARD_MARGIN: i8 = 6;
/// Height a card's text may take before it scrolls.
const CARD_TEXT_HEIGHT: f32 = 150.0;

/// The findings about the composition as a whole (not one channel's text).
pub fn general_findings_ui(ui: &mut egui::Ui, t: &WarningsText, language: Language, b: &Built) {
    let general: Vec<&Finding> = b
        .findings
        .iter()
        .filter(|f| channel_of(f).is_none())
        .collect();
    ui.horizontal(|ui| {
        ui.label(RichText::new(t.general_findings).strong());
        if b.findings.is_empty() && b.lifecycle.is_none() {
            ui.label(RichText::new(t.no_findings).color(theme::STATUS_OK));
        }
    });
    if let Some(e) = &b.lifecycle {
        let why = super::reasons::lifecycle_reason(language, e);
        ui.label(RichText::new(format!("× {why}")).color(theme::STATUS_ERROR));
    }
    findings_ui(ui, language, &general);
}

/// Findings as lines in their severity's colour.
fn findings_ui(ui: &mut egui::Ui, language: Language, findings: &[&Finding]) {
    for f in findings {
        let (mark, colour) = match f.severity() {
            Severity::Block => ("×", theme::STATUS_ERROR),
            Severity::Warn => ("！", theme::STATUS_PENDING),
        };
        ui.label(RichText::new(format!("{mark} {}", reason(language, f))).color(colour));
    }
}

/// The seven previews in rows of three.
pub fn previews_ui(ui: &mut egui::Ui, t: &WarningsText, language: Language, b: &Built) {
    ui.label(RichText::new(t.previews).strong());
    let cards = [
        Channel::Sms,
        Channel::WecomMarkdown,
        Channel::WecomText,
        Channel::WechatTemplate,
        Channel::Cap,
        Channel::Led,
        Channel::Loudspeaker,
    ];
    let avail = ui.available_width();
    let columns = (((avail + CARD_GAP) / (MIN_CARD_WIDTH + CARD_GAP)).floor() as usize).max(1);
    let outer = (avail - CARD_GAP * (columns - 1) as f32) / columns as f32;
    let inner = outer - 2.0 * (f32::from(CARD_MARGIN) + 1.0);
    for row in cards.chunks(columns) {
        ui.horizontal_top(|ui| {
            ui.spacing_mut().item_spacing.x = CARD_GAP;
            for channel in row {
                card_ui(ui, t, language, b, *channel, inner);
            }
        });
        ui.add_space(CARD_GAP);
    }
}

/// One channel's card.
fn card_ui(
    ui: &mut egui::Ui,
    t: &WarningsText,
    language: Language,
    b: &Built,
    channel: Channel,
    width: f32,
) {
    let findings: Vec<&Finding> = b
        .findings
        .iter()
        .filter(|f| channel_of(f) == Some(channel))
        .collect();
    let stroke = match findings
        .iter()
        .map(|f| f.severity())
        .min_by_key(|s| *s != Severity::Block)
    {
        Some(Severity::Block) => theme::STATUS_ERROR,
        Some(Severity::Warn) => theme::STATUS_PENDING,
        None => theme::BORDER,
    };
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.0, stroke))
        .corner_radius(theme::ROUNDING)
        .inner_margin(CARD_MARGIN)
        .show(ui, |ui| {
            ui.vertical(|ui| {
                ui.set_width(width);
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(channel_name(channel, language)).strong());
                    let m = measure(t, b, channel);
                    ui.label(RichText::new(m).small().color(theme::INK_MUTED));
                });
                egui::ScrollArea::vertical()
                    .id_salt(("preview", channel))
                    .max_height(CARD_TEXT_HEIGHT)
                    .min_scrolled_height(CARD_TEXT_HEIGHT)
                    .auto_shrink([false, true])
                    .show(ui, |ui| body_ui(ui, b, channel));
                findings_ui(ui, language, &findings);
            });
        });
}

/// The card's text: the channel's own, the template fields as a table, CAP as XML.
fn body_ui(ui: &mut egui::Ui, b: &Built, channel: Channel) {
    match channel {
        Channel::WechatTemplate => {
            egui::Grid::new("wechat_fields")
                .num_columns(2)
                .show(ui, |ui| {
                    for (k, v) in &b.fields {
                        ui.label(RichText::new(k).small().color(theme::INK_MUTED));
                        ui.label(v);
                        ui.end_row();
                    }
                });
        }
        Channel::Cap => match &b.cap {
            Ok(xml) => {
                let xml = RichText::new(xml).monospace().size(theme::SMALL_SIZE - 1.0);
                ui.add(egui::Label::new(xml).wrap());
            }
            Err(why) => {
                ui.label(RichText::new(why).color(theme::STATUS_PENDING));
            }
        },
        other => {
            let text = b.texts.get(&other).map_or("", String::as_str);
            ui.add(egui::Label::new(text).wrap());
        }
    }
}

/// What the channel counts: SMS parts and units, bytes against a limit, characters.
fn measure(t: &WarningsText, b: &Built, channel: Channel) -> String {
    let text = b.texts.get(&channel).map_or("", String::as_str);
    match channel {
        Channel::Sms => format!(
            "{} {} · {} {}",
            sms::segment_count(text),
            t.sms_segments,
            sms::utf16_units(text),
            t.sms_units
        ),
        Channel::WecomMarkdown => {
            format!(
                "{}/{} {}",
                text.len(),
                checks::WECOM_MARKDOWN_BYTES,
                t.bytes
            )
        }
        Channel::WecomText => format!("{}/{} {}", text.len(), checks::WECOM_TEXT_BYTES, t.bytes),
        Channel::WechatTemplate => {
            let longest = b
                .fields
                .iter()
                .map(|(_, v)| v.chars().count())
                .max()
                .unwrap_or(0);
            format!("≤{}/{} {}", longest, channels::WECHAT_FIELD_CHARS, t.chars)
        }
        Channel::Cap => format!("{} {}", text.len(), t.bytes),
        Channel::Led | Channel::Loudspeaker => format!("{} {}", text.chars().count(), t.chars),
    }
}
