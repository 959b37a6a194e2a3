//! Warnings in force wherever the desk is looking: a row under the top bar with each county
//! warning's icon and expiry countdown (a click opens the warnings screen), the city's and
//! province's in a separate 上级 group, and the banner that prompts 30 minutes before a
//! warning expires. Everything is driven by the frame's `now`; `app::next_wakeup` wakes the UI
//! when a countdown minute or a prompt is due.

use std::collections::BTreeSet;

use egui::RichText;

use super::{icon, in_force, text};
use crate::console::messages::warnings::{UpstreamWarning, WarningRecord};
use crate::console::ui::{Scene, Screen, ViewState, i18n, theme};
use crate::domain::Timestamp;

/// The top bar's icons.
const ICON_SIDE: f32 = 20.0;

/// What the live warnings remember between frames.
#[derive(Debug, Default)]
pub struct LiveView {
    /// Records whose expiry prompt the user dismissed: each prompts once.
    pub dismissed_prompts: BTreeSet<String>,
}

/// The time left until `until`: `剩余 2小时15分` / `2 h 15 min left`.
pub fn remaining(until: Timestamp, scene: Scene<'_>) -> String {
    let t = text::text(scene.language);
    let left = in_force::countdown(until.millis() - scene.now.millis(), scene.language);
    match scene.language {
        i18n::Language::Zh => format!("{} {left}", t.in_force_remaining),
        i18n::Language::En => format!("{left} {}", t.in_force_remaining),
    }
}

/// A county warning's chip text: `暴雨黄色 · 剩余 2小时15分`.
pub fn chip_text(record: &WarningRecord, scene: Scene<'_>) -> String {
    let t = text::text(scene.language);
    let content = &record.content;
    let title = icon::signal_title(&content.signal, content.level, scene.language);
    let chip = format!(
        "{title} · {}",
        remaining(content.expires_at.unwrap_or(scene.now), scene)
    );
    if content.practice {
        format!("{chip} · {}", t.board_practice)
    } else {
        chip
    }
}

/// The upstream warnings still in force at the frame's time (the central lists those in force
/// when asked; this drops what has expired or been cancelled since).
fn upstream_in_force<'a>(scene: Scene<'a>) -> Vec<&'a UpstreamWarning> {
    scene
        .state
        .warnings
        .upstream
        .iter()
        .filter(|w| w.msg_type != "Cancel" && w.expires.is_none_or(|e| e > scene.now))
        .collect()
}

/// The row of warnings in force, under the top bar; nothing when there are none.
pub fn strip_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState) {
    let county = in_force::in_force(&scene.state.warnings.records, scene.now);
    let upstream = upstream_in_force(scene);
    if county.is_empty() && upstream.is_empty() {
        return;
    }
    let t = text::text(scene.language);
    ui.separator();
    ui.horizontal_wrapped(|ui| {
        for record in county {
            let content = &record.content;
            let clicked = icon::signal_icon_ui(ui, ICON_SIDE, &content.signal, content.level)
                .interact(egui::Sense::click())
                .clicked()
                | ui.add(
                    egui::Button::new(
                        RichText::new(chip_text(record, scene))
                            .strong()
                            .color(theme::INK),
                    )
                    .frame(false),
                )
                .on_hover_text(t.in_force_open)
                .clicked();
            if clicked {
                view.screen = Screen::Warnings;
            }
            ui.add_space(8.0);
        }
        if !upstream.is_empty() {
            ui.separator();
            ui.label(
                RichText::new(t.in_force_upstream)
                    .strong()
                    .color(theme::INK_MUTED),
            );
            for warning in upstream {
                upstream_chip_ui(ui, scene, warning);
            }
        }
    });
}

/// The sender's short name: 三明市气象台 → 三明, 福建省气象台 → 福建.
pub fn sender_short(sender: &str) -> &str {
    let name = sender.strip_suffix("气象台").unwrap_or(sender);
    let name = name.strip_suffix("气象局").unwrap_or(name);
    name.strip_suffix('市')
        .or_else(|| name.strip_suffix('省'))
        .unwrap_or(name)
}

fn upstream_chip_ui(ui: &mut egui::Ui, scene: Scene<'_>, warning: &UpstreamWarning) {
    let what = match (&warning.signal, warning.level) {
        (Some(signal), Some(level)) => {
            icon::signal_icon_ui(ui, ICON_SIDE, signal, level);
            icon::signal_title(signal, level, scene.language)
        }
        _ => warning.headline.clone(),
    };
    let until = warning.expires.map_or_else(String::new, |e| {
        format!(
            " · {}{}{}",
            text::text(scene.language).board_expires,
            i18n::colon(scene.language),
            i18n::when(e, scene.now)
        )
    });
    ui.label(
        RichText::new(format!(
            "{} {what}{until}",
            sender_short(&warning.sender_name)
        ))
        .color(theme::INK),
    )
    .on_hover_text(format!("{}\n{}", warning.headline, warning.area_desc));
    ui.add_space(6.0);
}

/// The prompt's sentence: `暴雨黄色预警信号将于 17:30 到期：继续发布、解除或任其到期`.
pub fn prompt_text(record: &WarningRecord, scene: Scene<'_>) -> String {
    let t = text::text(scene.language);
    let content = &record.content;
    let title = icon::signal_title(&content.signal, content.level, scene.language);
    let at = content
        .expires_at
        .map_or_else(String::new, |e| i18n::when(e, scene.now));
    match scene.language {
        i18n::Language::Zh => format!("{title}预警信号将于 {at} 到期：{}", t.prompt_choices),
        i18n::Language::En => format!("The {title} warning expires at {at}: {}", t.prompt_choices),
    }
}

/// The records whose expiry prompt shows now: in force, due, not dismissed.
pub fn prompts_due<'a>(scene: Scene<'a>, live: &LiveView) -> Vec<&'a WarningRecord> {
    in_force::in_force(&scene.state.warnings.records, scene.now)
        .into_iter()
        .filter(|r| !live.dismissed_prompts.contains(&r.id))
        .filter(|r| {
            r.content
                .expires_at
                .is_some_and(|e| in_force::prompt_due(e, scene.now))
        })
        .collect()
}

/// The expiry prompts, one line each, under the top bar's banners.
pub fn prompt_banner_ui(ui: &mut egui::Ui, scene: Scene<'_>, view: &mut ViewState) {
    let due = prompts_due(scene, &view.warnings.live);
    if due.is_empty() {
        return;
    }
    let t = text::text(scene.language);
    egui::Panel::top("warning_expiry_prompt")
        .frame(theme::panel_frame().fill(theme::BANNER_NOTICE_BG))
        .show(ui, |ui| {
            for record in due {
                ui.push_id(&record.id, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        let content = &record.content;
                        icon::signal_icon_ui(ui, ICON_SIDE, &content.signal, content.level);
                        ui.label(
                            RichText::new(prompt_text(record, scene))
                                .strong()
                                .color(theme::INK),
                        );
                        if ui.button(t.prompt_open).clicked() {
                            view.screen = Screen::Warnings;
                        }
                        if ui.button(t.prompt_dismiss).clicked() {
                            view.warnings
                                .live
                                .dismissed_prompts
                                .insert(record.id.clone());
                        }
                    });
                });
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_are_shortened_to_their_place() {
        let cases = [
            ("三明市气象台", "三明"),
            ("福建省气象台", "福建"),
            ("三明市气象局", "三明"),
            ("Sanming", "Sanming"),
        ];
        for (sender, short) in cases {
            assert_eq!(sender_short(sender), short);
        }
    }
}
