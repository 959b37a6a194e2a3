//! Warning texts in the house style of the Sanming/Fujian bureaus:
//! `清流县气象台2026年12月06日16时30分发布暴雨黄色预警信号：` + the forecast text, then the
//! defence guidance items the forecaster keeps. A text is a list of typed parts: locked
//! parts the forecaster cannot edit and fields that must be filled before it can be sent.

use serde::{Deserialize, Serialize};

use super::catalogue::{Guidance, Level, SignalType};
use super::lifecycle::Action;
use crate::domain::time::Timestamp;

/// Key of the forecast-text field every template has.
pub const FORECAST: &str = "forecast";
/// Key prefix of guidance fields (`guidance.0`, `guidance.1` …).
pub const GUIDANCE: &str = "guidance";
/// Prefix that marks a practice text (演练) so nobody mistakes it for a real warning.
pub const PRACTICE_MARK: &str = "【演练】";

/// One piece of a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    /// Fixed text: the heading, an official guidance item, a source note.
    Locked {
        /// The text.
        text: String,
    },
    /// A field the forecaster writes; `value: None` is a must-edit placeholder.
    Field {
        /// Stable key, e.g. [`FORECAST`].
        key: String,
        /// What to write, shown in the empty field.
        hint: String,
        /// The text written, if any.
        value: Option<String>,
    },
}

impl Part {
    fn locked(text: impl Into<String>) -> Part {
        Part::Locked { text: text.into() }
    }

    fn field(key: impl Into<String>, hint: impl Into<String>) -> Part {
        Part::Field {
            key: key.into(),
            hint: hint.into(),
            value: None,
        }
    }

    /// The text as it stands, or `None` for an unfilled field.
    fn text(&self) -> Option<&str> {
        match self {
            Part::Locked { text } => Some(text),
            Part::Field { value, .. } => value.as_deref().filter(|v| !v.trim().is_empty()),
        }
    }
}

/// Who says what, when: the heading's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// The issuing office, e.g. "清流县气象台".
    pub issuer: String,
    /// Issue time (rendered in Beijing time).
    pub issued_at: Timestamp,
    /// What the message does.
    pub action: Action,
    /// Type name, e.g. "暴雨".
    pub signal_zh: String,
    /// The colour level.
    pub level: Level,
    /// A practice (演练) text.
    pub practice: bool,
}

impl Heading {
    /// `清流县气象台2026年12月06日16时30分发布暴雨黄色预警信号：`
    pub fn text(&self) -> String {
        let t = self.issued_at.beijing();
        let mark = if self.practice { PRACTICE_MARK } else { "" };
        format!(
            "{mark}{}{}{}{}{}预警信号：",
            self.issuer,
            t.format("%Y年%m月%d日%H时%M分"),
            self.action.verb_zh(),
            self.signal_zh,
            self.level.zh(),
        )
    }
}

/// Why a template cannot be built or edited as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The type has no such level.
    #[error("{signal} has no {level:?} level")]
    NoSuchLevel {
        /// Type id.
        signal: String,
        /// The level asked for.
        level: Level,
    },
    /// A kept guidance item that does not exist.
    #[error("guidance item {index} does not exist ({count} items)")]
    NoSuchGuidanceItem {
        /// The index asked for.
        index: usize,
        /// How many there are.
        count: usize,
    },
    /// No field has that key (locked parts have none).
    #[error("no editable field {0:?}")]
    NoSuchField(String),
    /// Fields still to fill, by key.
    #[error("fields still to fill: {0:?}")]
    Unfilled(Vec<String>),
}

/// A text being composed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// The message: heading, forecast text, optional source note.
    pub body: Vec<Part>,
    /// The defence guidance items, in order.
    pub guidance: Vec<Part>,
}

/// A finished text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Heading and forecast text.
    pub text: String,
    /// The guidance items, the last ending "。", the others "；".
    pub guidance: Vec<String>,
}

impl Template {
    /// A new text for `level` of `signal`: the heading locked, the forecast to write, the
    /// official guidance items at `keep` locked (real texts keep two or three). A level with no
    /// official guidance gets one must-edit guidance field instead.
    pub fn draft(
        signal: &SignalType,
        heading: &Heading,
        keep: &[usize],
        source_note: Option<&str>,
    ) -> Result<Template, TemplateError> {
        let level = signal
            .level(heading.level)
            .ok_or_else(|| TemplateError::NoSuchLevel {
                signal: signal.id.clone(),
                level: heading.level,
            })?;
        let guidance = match &level.guidance {
            Guidance::Official(items) => keep
                .iter()
                .map(|&i| {
                    items
                        .get(i)
                        .map(Part::locked)
                        .ok_or(TemplateError::NoSuchGuidanceItem {
                            index: i,
                            count: items.len(),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Guidance::Missing => vec![Part::field(
                format!("{GUIDANCE}.0"),
                "本级别无官方防御指南，请填写防御指南",
            )],
        };
        let mut body = vec![
            Part::locked(heading.text()),
            Part::field(FORECAST, "预计未来……小时……，请注意防范。"),
        ];
        body.extend(source_note.map(Part::locked));
        Ok(Template { body, guidance })
    }

    /// Adds a guidance item of the forecaster's own (it gets the next `guidance.N` key).
    pub fn add_own_guidance(&mut self, text: impl Into<String>) {
        let key = format!("{GUIDANCE}.{}", self.guidance.len());
        self.guidance.push(Part::Field {
            key,
            hint: "防御指南".into(),
            value: Some(text.into()),
        });
    }

    /// Writes a field. Locked parts cannot be written.
    pub fn fill(&mut self, key: &str, value: impl Into<String>) -> Result<(), TemplateError> {
        let slot = self
            .body
            .iter_mut()
            .chain(self.guidance.iter_mut())
            .find_map(|p| match p {
                Part::Field { key: k, value, .. } if k == key => Some(value),
                _ => None,
            });
        let slot = slot.ok_or_else(|| TemplateError::NoSuchField(key.into()))?;
        *slot = Some(value.into());
        Ok(())
    }

    /// Keys of the fields still empty.
    pub fn unfilled(&self) -> Vec<String> {
        self.body
            .iter()
            .chain(&self.guidance)
            .filter_map(|p| match p {
                Part::Field { key, .. } if p.text().is_none() => Some(key.clone()),
                _ => None,
            })
            .collect()
    }

    /// The finished text, or the keys of the fields still to fill.
    pub fn render(&self) -> Result<Rendered, TemplateError> {
        let unfilled = self.unfilled();
        if !unfilled.is_empty() {
            return Err(TemplateError::Unfilled(unfilled));
        }
        let text = self.body.iter().filter_map(Part::text).collect();
        let items: Vec<&str> = self.guidance.iter().filter_map(Part::text).collect();
        Ok(Rendered {
            text,
            guidance: punctuate_items(&items),
        })
    }

    /// The text as it stands, empty fields shown as `【hint】` so the preview shows the gaps.
    pub fn preview(&self) -> String {
        self.body
            .iter()
            .map(|p| match (p.text(), p) {
                (Some(t), _) => t.to_string(),
                (None, Part::Field { hint, .. }) => format!("【{hint}】"),
                (None, Part::Locked { .. }) => String::new(),
            })
            .collect()
    }
}

/// Ends every item with "；" and the last with "。", as the official lists do, so that keeping
/// items 1 and 2 of 4 still reads as a finished list.
pub fn punctuate_items(items: &[&str]) -> Vec<String> {
    let n = items.len();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let bare = item.trim().trim_end_matches(['；', '。', ';', '.', '，']);
            let end = if i + 1 == n { '。' } else { '；' };
            format!("{bare}{end}")
        })
        .collect()
}

/// Guidance as one numbered line (`1.…；2.…。`), the form of CAP `instruction` and SMS tails.
pub fn numbered(items: &[String]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}.{t}", i + 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn heading(action: Action, level: Level, practice: bool) -> Heading {
        Heading {
            issuer: "清流县气象台".into(),
            issued_at: at("2026-12-06T16:30:00+08:00"),
            action,
            signal_zh: "暴雨".into(),
            level,
            practice,
        }
    }

    #[test]
    fn headings_in_the_house_style() {
        let table = [
            (
                Action::Issue,
                Level::Yellow,
                false,
                "清流县气象台2026年12月06日16时30分发布暴雨黄色预警信号：",
            ),
            (
                Action::Continue,
                Level::Yellow,
                false,
                "清流县气象台2026年12月06日16时30分继续发布暴雨黄色预警信号：",
            ),
            (
                Action::Upgrade,
                Level::Orange,
                false,
                "清流县气象台2026年12月06日16时30分升级发布暴雨橙色预警信号：",
            ),
            (
                Action::Downgrade,
                Level::Blue,
                false,
                "清流县气象台2026年12月06日16时30分降级发布暴雨蓝色预警信号：",
            ),
            (
                Action::Change,
                Level::Red,
                false,
                "清流县气象台2026年12月06日16时30分变更发布暴雨红色预警信号：",
            ),
            (
                Action::Lift,
                Level::Yellow,
                false,
                "清流县气象台2026年12月06日16时30分解除暴雨黄色预警信号：",
            ),
            (
                Action::Issue,
                Level::Yellow,
                true,
                "【演练】清流县气象台2026年12月06日16时30分发布暴雨黄色预警信号：",
            ),
        ];
        for (action, level, practice, want) in table {
            assert_eq!(heading(action, level, practice).text(), want);
        }
        // The heading is in Beijing time: 16:30 UTC is 00:30 the next day.
        let mut h = heading(Action::Issue, Level::Blue, false);
        h.issued_at = at("2026-12-06T16:30:00Z");
        assert!(h.text().contains("2026年12月07日00时30分"), "{}", h.text());
    }

    #[test]
    fn kept_official_items_are_locked_and_the_forecast_must_be_written() {
        let c = crate::domain::warning::shipped_catalogue();
        let rain = c.signal("rainstorm").unwrap();
        let mut t = Template::draft(
            rain,
            &heading(Action::Issue, Level::Yellow, false),
            &[0, 3],
            None,
        )
        .unwrap();
        assert_eq!(t.unfilled(), vec![FORECAST.to_string()]);
        assert_eq!(
            t.render(),
            Err(TemplateError::Unfilled(vec![FORECAST.into()]))
        );
        assert_eq!(
            t.preview(),
            "清流县气象台2026年12月06日16时30分发布暴雨黄色预警信号：【预计未来……小时……，请注意防范。】"
        );
        assert_eq!(
            t.fill("guidance.0", "x"),
            Err(TemplateError::NoSuchField("guidance.0".into()))
        );
        t.fill(
            FORECAST,
            "预计未来6小时我县嵩溪、林畲等乡镇将出现50毫米以上降雨，请注意防范。",
        )
        .unwrap();
        let r = t.render().unwrap();
        assert!(r.text.ends_with("请注意防范。"));
        assert_eq!(
            r.guidance,
            vec![
                "政府及相关部门按照职责做好防暴雨工作；",
                "检查城市、农田、鱼塘排水系统，采取必要的排涝措施。"
            ]
        );
        let too_far = Template::draft(
            rain,
            &heading(Action::Issue, Level::Yellow, false),
            &[4],
            None,
        );
        assert_eq!(
            too_far,
            Err(TemplateError::NoSuchGuidanceItem { index: 4, count: 4 })
        );
    }

    #[test]
    fn a_level_without_official_guidance_gets_a_must_edit_field() {
        let c = crate::domain::warning::shipped_catalogue();
        let gale = c.signal("gale").unwrap();
        let mut h = heading(Action::Issue, Level::Red, false);
        h.signal_zh = "大风".into();
        let mut t = Template::draft(gale, &h, &[0, 1], None).unwrap();
        assert_eq!(
            t.unfilled(),
            vec![FORECAST.to_string(), "guidance.0".to_string()]
        );
        t.fill(FORECAST, "预计未来6小时……").unwrap();
        t.fill("guidance.0", "   ").unwrap();
        assert_eq!(
            t.unfilled(),
            vec!["guidance.0".to_string()],
            "blank is still unfilled"
        );
        let drought = c.signal("drought").unwrap();
        assert!(matches!(
            Template::draft(
                drought,
                &heading(Action::Issue, Level::Blue, false),
                &[],
                None
            ),
            Err(TemplateError::NoSuchLevel { .. })
        ));
    }

    #[test]
    fn punctuation_of_kept_items() {
        let table: [(&[&str], &[&str]); 4] = [
            (&[], &[]),
            (&["甲；"], &["甲。"]),
            (&["甲；", "乙。", "丙；"], &["甲；", "乙；", "丙。"]),
            (&[" 甲 ", "乙"], &["甲；", "乙。"]),
        ];
        for (items, want) in table {
            assert_eq!(punctuate_items(items), want.to_vec());
        }
        assert_eq!(numbered(&["甲；".into(), "乙。".into()]), "1.甲；2.乙。");
    }

    #[derive(serde::Deserialize)]
    struct RealTexts {
        warnings: Vec<RealText>,
    }

    #[derive(serde::Deserialize)]
    struct RealText {
        issuer: String,
        action: String,
        text: String,
        #[serde(default)]
        precaution: Vec<String>,
    }

    /// The real 2019-05-17 Sanming 暴雨橙色 变更发布 (tests/data/alerts, with provenance),
    /// rebuilt from a template: the heading from its facts, the forecast as the forecaster
    /// wrote it, the release system's source note, and the three precautions it carried.
    #[test]
    fn the_real_sanming_rainstorm_orange_change_is_rebuilt_exactly() {
        let json = include_str!("../../../tests/data/alerts/cn_warning_texts_real.json");
        let real: RealTexts = serde_json::from_str(json).unwrap();
        let w = &real.warnings[0];
        assert_eq!(w.action, "变更发布");
        let c = crate::domain::warning::shipped_catalogue();
        let h = Heading {
            issuer: w.issuer.clone(),
            issued_at: at("2019-05-17T13:57:00+08:00"),
            action: Action::Change,
            signal_zh: "暴雨".into(),
            level: Level::Orange,
            practice: false,
        };
        let note = "（预警信息来源：国家预警信息发布中心）";
        let mut t = Template::draft(c.signal("rainstorm").unwrap(), &h, &[], Some(note)).unwrap();
        t.fill(
            FORECAST,
            "过去6小时明溪、将乐、沙县、三元、尤溪五个县（区）的部分乡镇出现50毫米以上的强降水，\
             预计未来3小时宁化、清流、明溪、将乐、泰宁、永安、沙县、尤溪八个县（市、区）的部分乡镇仍有\
             50毫米以上降水。请注意防范持续强降水可能引发的山洪、城乡渍涝和山体滑坡等次生灾害。",
        )
        .unwrap();
        for p in &w.precaution {
            t.add_own_guidance(p.clone());
        }
        let r = t.render().unwrap();
        assert_eq!(r.text, w.text);
        assert_eq!(r.guidance, w.precaution);
    }
}
