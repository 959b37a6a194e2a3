//! The notice of periods the desk holds only as daily rollups: a desk that bootstrapped from
//! a snapshot keeps minutes for its last week only, fetches older ones when a view needs them,
//! and says so when it cannot (offline), so a coarse chart is not mistaken for the data.

use egui::RichText;

use super::super::{Scene, theme};
use crate::console::messages::history::HeldPeriod;
use crate::console::ui::i18n::{self, Language};
use crate::domain::Timestamp;

/// One line naming every held period, or `None` when nothing on screen is held so.
pub fn notice(
    language: Language,
    periods: &[HeldPeriod],
    station_name: impl Fn(&HeldPeriod) -> String,
) -> Option<String> {
    if periods.is_empty() {
        return None;
    }
    let list: Vec<String> = periods
        .iter()
        .map(|p| {
            let element = i18n::element_name(language, p.element);
            let (from, to) = (day(p.from, false), day(p.to, true));
            match language {
                Language::Zh => format!("{}{element} {from} 至 {to}", station_name(p)),
                Language::En => format!("{} {element} {from} to {to}", station_name(p)),
            }
        })
        .collect();
    Some(match language {
        Language::Zh => format!(
            "本机只存有以下时段的日统计，未能从中心取回分钟数据（离线），图表按日显示：{}",
            list.join("；")
        ),
        Language::En => format!(
            "Held here only as daily summaries; the minutes could not be fetched from the central (offline), so the chart shows days: {}",
            list.join("; ")
        ),
    })
}

/// The Beijing date of a period's start, or of the last day before its end; "…" before the
/// first stored data.
fn day(t: Timestamp, end: bool) -> String {
    if t.millis() <= i64::MIN / 2 {
        return "…".to_owned();
    }
    let t = if end { t.plus_ms(-1) } else { t };
    t.beijing().format("%Y-%m-%d").to_string()
}

/// Draws the notice under the toolbar, if the newest views hold anything only as rollups.
pub fn held_ui(ui: &mut egui::Ui, scene: Scene<'_>) {
    let Some(held) = &scene.state.history.held else {
        return;
    };
    let name = |p: &HeldPeriod| {
        super::export::station_name(&scene.state.network, scene.language, &p.station)
    };
    if let Some(text) = notice(scene.language, &held.value, name) {
        ui.label(RichText::new(text).color(theme::INK_MUTED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Element, StationId};

    #[test]
    fn the_notice_names_each_period_in_either_language() {
        let at = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let periods = [HeldPeriod {
            station: StationId::parse("58819").unwrap(),
            element: Element::Tem,
            from: at("2025-02-28T16:00:00Z"),
            to: at("2025-05-31T16:00:00Z"),
        }];
        let name = |_: &HeldPeriod| "清流".to_owned();
        let zh = notice(Language::Zh, &periods, name).unwrap();
        assert!(zh.starts_with("本机只存有以下时段的日统计"), "{zh}");
        assert!(zh.contains("2025-03-01 至 2025-05-31"), "{zh}");
        assert!(
            zh.contains(i18n::element_name(Language::Zh, Element::Tem)),
            "{zh}"
        );
        let en = notice(Language::En, &periods, |_| "Qingliu".to_owned()).unwrap();
        assert!(en.contains("Qingliu"), "{en}");
        assert!(en.contains("2025-03-01 to 2025-05-31"), "{en}");
        assert_eq!(notice(Language::En, &[], |_| String::new()), None);
        let open = [HeldPeriod {
            from: Timestamp(i64::MIN),
            ..periods[0].clone()
        }];
        assert!(
            notice(Language::Zh, &open, name)
                .unwrap()
                .contains("… 至 2025-05-31")
        );
    }
}
