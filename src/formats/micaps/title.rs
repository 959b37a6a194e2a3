//! What a MICAPS type 3 title says its values are. The format itself does not say; titles are
//! free text such as `2019年05月20日08点24小时降雨量`, so this is a small, cautious table: a
//! title it is unsure of names no element, and the importer must name one.

use crate::domain::Element;

/// Words that turn a quantity into another one (a maximum, a mean, a change, an anomaly, the sea
/// or soil instead of the air): a title holding any of them names none of our elements, even
/// if it also says 气温 or 降水.
const QUALIFIERS: &[&str] = &[
    "最高", "最低", "平均", "极大", "极小", "最大", "最小", "变化", "变温", "变压", "距平", "海温",
    "海表", "水温", "土壤", "体感",
];

/// Words naming an element, most specific first (露点温度 before 温度): the first found wins.
const NAMES: &[(&str, Element)] = &[
    ("露点", Element::Dpt),
    ("地表温度", Element::Gst),
    ("地面温度", Element::Gst),
    ("海平面气压", Element::PrsSea),
    ("本站气压", Element::Prs),
    ("气压", Element::Prs),
    ("相对湿度", Element::Rhu),
    ("气温", Element::Tem),
    ("温度", Element::Tem),
];

/// Words for precipitation that follow `<n>小时`.
const PRECIPITATION: &[&str] = &["降水", "降雨", "雨量"];

/// The element a type 3 title names, if it clearly names one of ours.
pub fn element_from_title(title: &str) -> Option<Element> {
    if QUALIFIERS.iter().any(|word| title.contains(word)) {
        return None;
    }
    if let Some(hours) = precipitation_period(title) {
        return match hours {
            1 => Some(Element::Pre1h),
            6 => Some(Element::Pre6h),
            24 => Some(Element::Pre24h),
            // 3 h, 12 h … precipitation is no element of ours.
            _ => None,
        };
    }
    NAMES
        .iter()
        .find(|(word, _)| title.contains(word))
        .map(|&(_, element)| element)
}

/// The accumulation period of `<n>小时降水` (also 降雨, 雨量) in hours; a bare `小时降水` is
/// the hourly amount. `None` when the title names no period precipitation.
fn precipitation_period(title: &str) -> Option<u32> {
    title.match_indices("小时").find_map(|(at, word)| {
        let after = &title[at + word.len()..];
        if !PRECIPITATION.iter().any(|p| after.starts_with(p)) {
            return None;
        }
        let before = &title[..at];
        let digits = &before[before.trim_end_matches(|c: char| c.is_ascii_digit()).len()..];
        Some(if digits.is_empty() {
            1
        } else {
            // Too many digits for a period reads as no known period.
            digits.parse().unwrap_or(u32::MAX)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_their_elements() {
        let cases = [
            ("2019年05月20日08点24小时降雨量", Some(Element::Pre24h)),
            (
                "2025年06月17日06时乡镇自动站1小时降水量(mm)_合成样例",
                Some(Element::Pre1h),
            ),
            ("逐小时降水", Some(Element::Pre1h)),
            ("08时6小时降水", Some(Element::Pre6h)),
            ("24小时雨量", Some(Element::Pre24h)),
            ("12小时降水", None),
            ("3小时降水", None),
            ("20240101 08时 气温", Some(Element::Tem)),
            ("地面温度", Some(Element::Gst)),
            ("露点温度", Some(Element::Dpt)),
            ("相对湿度", Some(Element::Rhu)),
            ("海平面气压", Some(Element::PrsSea)),
            ("本站气压", Some(Element::Prs)),
            ("气压", Some(Element::Prs)),
            ("24小时最高气温", None),
            ("日平均气温", None),
            ("气温距平", None),
            ("24小时变温", None),
            ("3小时气压变化", None),
            ("最大1小时降水", None),
            ("sta_ob.txt", None),
            ("", None),
        ];
        for (title, expected) in cases {
            assert_eq!(element_from_title(title), expected, "{title}");
        }
    }
}
