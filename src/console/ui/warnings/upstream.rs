//! The city's and province's warnings in force (三明市、福建省), listed by sender for a popup
//! or a section beside the county's own: each with its signal in the level's colour, when it
//! was sent, when it expires and the area it covers.

use egui::RichText;

use super::icon;
use crate::console::messages::warnings::UpstreamWarning;
use crate::console::ui::i18n::{self, Language, texts};
use crate::console::ui::{Scene, theme};

texts! {
    /// The upstream list's fixed texts, in one language.
    UpstreamText, ZH, EN;
    title: "市、省预警", "City and province warnings";
    none: "目前没有生效的市、省预警", "No city or province warning in force";
    sent: "发布", "Issued";
    expires: "有效至", "Until";
    no_expiry: "未注明失效时间", "No expiry given";
    unknown_signal: "预警", "Warning";
    updated: "更新", "Update";
}

/// The fixed texts of `language`.
pub fn text(language: Language) -> &'static UpstreamText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}

/// One sender's warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct SenderGroup<'a> {
    /// The sender, e.g. 三明市气象台.
    pub sender: &'a str,
    /// Its warnings, most severe first, then newest first.
    pub warnings: Vec<&'a UpstreamWarning>,
}

/// How far from the county a sender is: county 0, city 1, province 2, anyone else 3 (by the
/// last of 县/市/省 in its name, so 福建省三明市气象台 is the city).
pub fn sender_rank(sender: &str) -> u8 {
    [('县', 0), ('市', 1), ('省', 2)]
        .into_iter()
        .filter_map(|(mark, rank)| sender.rfind(mark).map(|at| (at, rank)))
        .max_by_key(|(at, _)| *at)
        .map_or(3, |(_, rank)| rank)
}

/// The warnings grouped by sender, nearest sender first (the city before the province).
pub fn by_sender(warnings: &[UpstreamWarning]) -> Vec<SenderGroup<'_>> {
    let mut groups: Vec<SenderGroup<'_>> = Vec::new();
    for warning in warnings {
        match groups.iter_mut().find(|g| g.sender == warning.sender_name) {
            Some(group) => group.warnings.push(warning),
            None => groups.push(SenderGroup {
                sender: &warning.sender_name,
                warnings: vec![warning],
            }),
        }
    }
    groups
        .sort_by(|a, b| (sender_rank(a.sender), a.sender).cmp(&(sender_rank(b.sender), b.sender)));
    for group in &mut groups {
        group
            .warnings
            .sort_by_key(|w| std::cmp::Reverse((w.level, w.sent)));
    }
    groups
}

/// The signal as the list names it: 暴雨黄色, or what is known of it.
pub fn signal_label(warning: &UpstreamWarning, language: Language) -> String {
    match (warning.signal.as_deref(), warning.level) {
        (Some(signal), Some(level)) => icon::signal_title(signal, level, language),
        (Some(signal), None) => icon::signal_name(signal, language),
        (None, Some(level)) => match language {
            Language::Zh => format!("{}预警", level.zh()),
            Language::En => format!("{} warning", level.id()),
        },
        (None, None) => text(language).unknown_signal.to_owned(),
    }
}

/// Lists the upstream warnings in force by sender; says so when there are none.
pub fn upstream_list_ui(ui: &mut egui::Ui, scene: Scene<'_>) {
    let t = text(scene.language);
    ui.label(RichText::new(t.title).strong().size(theme::HEADING_SIZE));
    let groups = by_sender(&scene.state.warnings.upstream);
    if groups.is_empty() {
        ui.label(RichText::new(t.none).color(theme::INK_MUTED));
        return;
    }
    for group in groups {
        ui.add_space(6.0);
        ui.label(RichText::new(group.sender).strong());
        for warning in group.warnings {
            warning_ui(ui, scene, warning);
            ui.add_space(3.0);
        }
    }
}

fn warning_ui(ui: &mut egui::Ui, scene: Scene<'_>, warning: &UpstreamWarning) {
    let t = text(scene.language);
    ui.horizontal_wrapped(|ui| {
        let label = signal_label(warning, scene.language);
        let chip = match warning.level {
            Some(level) => RichText::new(format!(" {label} "))
                .color(theme::signal_ink(level))
                .background_color(theme::signal_colour(level)),
            None => RichText::new(label).color(theme::INK),
        };
        ui.label(chip.strong())
            .on_hover_text(warning.headline.as_str());
        if warning.msg_type == "Update" {
            ui.label(RichText::new(t.updated).color(theme::INK_MUTED));
        }
        let sent = format!("{} {}", t.sent, i18n::when(warning.sent, scene.now));
        ui.label(RichText::new(sent).color(theme::INK_MUTED));
        let until = match warning.expires {
            Some(at) => format!("{} {}", t.expires, i18n::when(at, scene.now)),
            None => t.no_expiry.to_owned(),
        };
        ui.label(RichText::new(until).color(theme::INK_MUTED));
    });
    if !warning.area_desc.is_empty() {
        ui.label(
            RichText::new(warning.area_desc.as_str())
                .size(theme::SMALL_SIZE)
                .color(theme::INK_MUTED),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::domain::warning::Level;

    fn warning(sender: &str, level: Option<Level>, sent_min: i64) -> UpstreamWarning {
        UpstreamWarning {
            identifier: format!("{sender}-{sent_min}"),
            sender_name: sender.into(),
            signal: Some("rainstorm".into()),
            level,
            headline: String::new(),
            msg_type: "Alert".into(),
            sent: Timestamp(sent_min * 60_000),
            expires: None,
            area_desc: String::new(),
            source: String::new(),
        }
    }

    #[test]
    fn senders_rank_by_the_last_administrative_mark() {
        for (sender, rank) in [
            ("清流县气象台", 0),
            ("三明市气象台", 1),
            ("福建省三明市气象台", 1),
            ("福建省气象台", 2),
            ("中央气象台", 3),
            ("", 3),
        ] {
            assert_eq!(sender_rank(sender), rank, "{sender}");
        }
    }

    #[test]
    fn grouped_city_first_then_most_severe_and_newest() {
        let list = [
            warning("福建省气象台", Some(Level::Yellow), 1),
            warning("三明市气象台", Some(Level::Blue), 5),
            warning("三明市气象台", Some(Level::Orange), 2),
            warning("三明市气象台", None, 9),
            warning("三明市气象台", Some(Level::Orange), 3),
            warning("中央气象台", Some(Level::Red), 1),
        ];
        let groups: Vec<(&str, Vec<&str>)> = by_sender(&list)
            .into_iter()
            .map(|g| {
                let ids = g.warnings.iter().map(|w| w.identifier.as_str()).collect();
                (g.sender, ids)
            })
            .collect();
        assert_eq!(
            groups,
            [
                (
                    "三明市气象台",
                    vec![
                        "三明市气象台-3",
                        "三明市气象台-2",
                        "三明市气象台-5",
                        "三明市气象台-9"
                    ]
                ),
                ("福建省气象台", vec!["福建省气象台-1"]),
                ("中央气象台", vec!["中央气象台-1"]),
            ]
        );
        assert!(by_sender(&[]).is_empty());
    }

    #[test]
    fn every_text_in_both_languages() {
        for (zh, en) in ZH.all().into_iter().zip(EN.all()) {
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            assert!(en.is_ascii() && !en.is_empty(), "{en}");
        }
    }

    #[test]
    fn signals_are_named_from_what_is_known() {
        let mut w = warning("三明市气象台", Some(Level::Yellow), 0);
        let cases = [
            (
                Some("rainstorm"),
                Some(Level::Yellow),
                "暴雨黄色",
                "Rainstorm yellow",
            ),
            (Some("rainstorm"), None, "暴雨", "Rainstorm"),
            (None, Some(Level::Red), "红色预警", "red warning"),
            (None, None, "预警", "Warning"),
        ];
        for (signal, level, zh, en) in cases {
            w.signal = signal.map(str::to_owned);
            w.level = level;
            assert_eq!(signal_label(&w, Language::Zh), zh);
            assert_eq!(signal_label(&w, Language::En), en);
        }
    }
}
