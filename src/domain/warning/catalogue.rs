//! The signal catalogue: the national types and their colour levels from
//! `assets/signals/signals.json`, each level's defence guidance (防御指南) from
//! `assets/signals/defence_guides.json` (shipped bytes in `crate::assets`). A province's set loads from bytes of the same shape.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::criteria::{Beaufort, Criteria, RawCriteria};

/// A signal's colour level, lowest first (so `Blue < Red`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 蓝色 (IV 级, 一般).
    Blue,
    /// 黄色 (III 级, 较重).
    Yellow,
    /// 橙色 (II 级, 严重).
    Orange,
    /// 红色 (I 级, 特别严重).
    Red,
}

impl Level {
    /// All levels, lowest first.
    pub const ALL: [Level; 4] = [Level::Blue, Level::Yellow, Level::Orange, Level::Red];

    /// The id used in the data files ("blue" …).
    pub fn id(self) -> &'static str {
        match self {
            Level::Blue => "blue",
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }

    /// The level from its data-file id.
    pub fn from_id(id: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.id() == id)
    }

    /// The colour's Chinese name as written in warning texts.
    pub fn zh(self) -> &'static str {
        match self {
            Level::Blue => "蓝色",
            Level::Yellow => "黄色",
            Level::Orange => "橙色",
            Level::Red => "红色",
        }
    }

    /// The CMA level code (01 蓝 … 04 红), as in `0902` = 雷电黄色.
    pub fn cma_code(self) -> &'static str {
        match self {
            Level::Blue => "01",
            Level::Yellow => "02",
            Level::Orange => "03",
            Level::Red => "04",
        }
    }

    /// CAP `severity` for this level (Yellow → Moderate, as the national feeds map it).
    pub fn cap_severity(self) -> &'static str {
        match self {
            Level::Blue => "Minor",
            Level::Yellow => "Moderate",
            Level::Orange => "Severe",
            Level::Red => "Extreme",
        }
    }

    /// The colour the app paints the signal icon and tinted townships with (sRGB).
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Level::Blue => [0x00, 0x5B, 0xD6],
            Level::Yellow => [0xFF, 0xD7, 0x00],
            Level::Orange => [0xFF, 0x8C, 0x00],
            Level::Red => [0xE0, 0x00, 0x00],
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zh())
    }
}

/// A level's defence guidance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guidance {
    /// The official items, verbatim, in order.
    Official(Vec<String>),
    /// No official text is known: the template gets a must-edit placeholder instead.
    Missing,
}

/// One colour level of a signal type.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalLevel {
    /// The colour.
    pub level: Level,
    /// The forecast horizon of the criterion in hours, if it has one.
    pub window_h: Option<u32>,
    /// The official criterion (标准) text.
    pub criteria_zh: String,
    /// The criterion as tests of observed quantities.
    pub criteria: Criteria,
    /// The defence guidance.
    pub guidance: Guidance,
}

/// One signal type, e.g. 暴雨.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalType {
    /// Data id, e.g. "rainstorm".
    pub id: String,
    /// Chinese name, e.g. "暴雨".
    pub zh: String,
    /// English name.
    pub en: String,
    /// The national emergency release system's event code (11Bxx).
    pub national_event_code: String,
    /// The CMA type code (01..14).
    pub cma_type_code: String,
    /// Its levels, lowest first.
    pub levels: Vec<SignalLevel>,
}

impl SignalType {
    /// The given level, if this type has it (drought has no blue or yellow).
    pub fn level(&self, level: Level) -> Option<&SignalLevel> {
        self.levels.iter().find(|l| l.level == level)
    }

    /// The four-digit type+level code, e.g. "0902" for 雷电黄色.
    pub fn code(&self, level: Level) -> String {
        format!("{}{}", self.cma_type_code, level.cma_code())
    }
}

/// A loaded signal set: national, or a province's.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    /// The types in file order.
    pub signals: Vec<SignalType>,
    /// The Beaufort scale wind criteria are written in.
    pub beaufort: Beaufort,
}

/// What is wrong with a signal or guidance file.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CatalogueError {
    /// Not JSON of the expected shape (serde's message names the field and position).
    #[error("{file}: {message}")]
    Json {
        /// "signals" or "guides".
        file: &'static str,
        /// serde's description.
        message: String,
    },
    /// A level colour that is not blue/yellow/orange/red.
    #[error("signal {signal:?}: unknown level colour {color:?}")]
    UnknownLevel {
        /// The type id.
        signal: String,
        /// The colour as written.
        color: String,
    },
    /// Two types with the same id.
    #[error("signal {0:?} appears twice")]
    DuplicateSignal(String),
    /// The same colour twice in one type.
    #[error("signal {signal:?}: level {color:?} appears twice")]
    DuplicateLevel {
        /// The type id.
        signal: String,
        /// The colour.
        color: String,
    },
    /// A type without levels.
    #[error("signal {0:?} has no levels")]
    NoLevels(String),
    /// Guidance for a type or level the signal file does not have.
    #[error("guidance for {signal}.{color}, which the signal set does not have")]
    GuideWithoutSignal {
        /// The type id.
        signal: String,
        /// The colour.
        color: String,
    },
    /// A guidance entry with no items.
    #[error("guidance for {signal}.{color} has no items")]
    EmptyGuide {
        /// The type id.
        signal: String,
        /// The colour.
        color: String,
    },
}

#[derive(Deserialize)]
struct RawSignals {
    signals: Vec<RawSignal>,
    #[serde(default)]
    beaufort_ms: BTreeMap<String, [f64; 2]>,
}

#[derive(Deserialize)]
struct RawSignal {
    id: String,
    zh: String,
    en: String,
    national_event_code: String,
    cma_type_code: String,
    levels: Vec<RawLevel>,
}

#[derive(Deserialize)]
struct RawLevel {
    color: String,
    #[serde(default)]
    window_h: Option<u32>,
    criteria_zh: String,
    #[serde(flatten)]
    criteria: RawCriteria,
}

#[derive(Deserialize)]
struct RawGuides {
    guides: BTreeMap<String, BTreeMap<String, RawGuide>>,
}

#[derive(Deserialize)]
struct RawGuide {
    items: Vec<String>,
}

impl Catalogue {
    /// Loads a signal set and, optionally, its guidance file. Levels without guidance get
    /// [`Guidance::Missing`].
    pub fn from_bytes(signals: &[u8], guides: Option<&[u8]>) -> Result<Catalogue, CatalogueError> {
        let raw: RawSignals =
            serde_json::from_slice(signals).map_err(|e| json_err("signals", &e))?;
        let mut catalogue = Catalogue {
            signals: Vec::new(),
            beaufort: Beaufort::from_bands(&raw.beaufort_ms),
        };
        for s in raw.signals {
            catalogue.push(s)?;
        }
        if let Some(bytes) = guides {
            let raw: RawGuides =
                serde_json::from_slice(bytes).map_err(|e| json_err("guides", &e))?;
            catalogue.attach_guides(raw)?;
        }
        Ok(catalogue)
    }

    fn push(&mut self, s: RawSignal) -> Result<(), CatalogueError> {
        if self.signal(&s.id).is_some() {
            return Err(CatalogueError::DuplicateSignal(s.id));
        }
        if s.levels.is_empty() {
            return Err(CatalogueError::NoLevels(s.id));
        }
        let mut levels: Vec<SignalLevel> = Vec::new();
        for l in s.levels {
            let Some(level) = Level::from_id(&l.color) else {
                return Err(CatalogueError::UnknownLevel {
                    signal: s.id,
                    color: l.color,
                });
            };
            if levels.iter().any(|x| x.level == level) {
                return Err(CatalogueError::DuplicateLevel {
                    signal: s.id,
                    color: l.color,
                });
            }
            levels.push(SignalLevel {
                level,
                window_h: l.window_h,
                criteria_zh: l.criteria_zh,
                criteria: l.criteria.parse(),
                guidance: Guidance::Missing,
            });
        }
        levels.sort_by_key(|l| l.level);
        self.signals.push(SignalType {
            id: s.id,
            zh: s.zh,
            en: s.en,
            national_event_code: s.national_event_code,
            cma_type_code: s.cma_type_code,
            levels,
        });
        Ok(())
    }

    fn attach_guides(&mut self, raw: RawGuides) -> Result<(), CatalogueError> {
        for (signal, by_color) in raw.guides {
            for (color, guide) in by_color {
                let missing = || CatalogueError::GuideWithoutSignal {
                    signal: signal.clone(),
                    color: color.clone(),
                };
                let level = Level::from_id(&color).ok_or_else(missing)?;
                let slot = self
                    .signals
                    .iter_mut()
                    .find(|s| s.id == signal)
                    .and_then(|s| s.levels.iter_mut().find(|l| l.level == level))
                    .ok_or_else(missing)?;
                if guide.items.iter().all(|i| i.trim().is_empty()) {
                    return Err(CatalogueError::EmptyGuide { signal, color });
                }
                slot.guidance = Guidance::Official(guide.items);
            }
        }
        Ok(())
    }

    /// The type with this id.
    pub fn signal(&self, id: &str) -> Option<&SignalType> {
        self.signals.iter().find(|s| s.id == id)
    }

    /// The levels with no known guidance, as `(type id, level)`.
    pub fn missing_guidance(&self) -> Vec<(&str, Level)> {
        let mut out = Vec::new();
        for s in &self.signals {
            for l in &s.levels {
                if l.guidance == Guidance::Missing {
                    out.push((s.id.as_str(), l.level));
                }
            }
        }
        out
    }
}

fn json_err(file: &'static str, e: &serde_json::Error) -> CatalogueError {
    CatalogueError::Json {
        file,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_set_has_14_types_45_levels_and_one_gap() {
        let c = crate::domain::warning::shipped_catalogue();
        assert_eq!(c.signals.len(), 14);
        assert_eq!(c.signals.iter().map(|s| s.levels.len()).sum::<usize>(), 45);
        assert_eq!(c.missing_guidance(), vec![("gale", Level::Red)]);
        let rain = c.signal("rainstorm").unwrap();
        assert_eq!(
            (rain.zh.as_str(), rain.code(Level::Orange)),
            ("暴雨", "0203".into())
        );
        let Guidance::Official(items) = &rain.level(Level::Red).unwrap().guidance else {
            panic!("rainstorm red has guidance")
        };
        assert_eq!(items[0], "政府及相关部门按照职责做好防暴雨应急和抢险工作；");
        assert!(c.signal("drought").unwrap().level(Level::Blue).is_none());
        assert_eq!(c.signal("lightning").unwrap().code(Level::Yellow), "0902");
    }

    #[test]
    fn shipped_criteria_are_typed() {
        use super::super::criteria::{Op, Param, Threshold};
        let c = crate::domain::warning::shipped_catalogue();
        let orange = c.signal("rainstorm").unwrap().level(Level::Orange).unwrap();
        assert_eq!(orange.window_h, Some(3));
        let group = &orange.criteria.groups()[0];
        assert_eq!(
            (&group[0].param, group[0].op, &group[0].value),
            (&Param::PrecipSum, Op::Ge, &Threshold::Number(50.0))
        );
        let sizes = |id: &str, level| -> Vec<usize> {
            let l = c.signal(id).unwrap().level(level).unwrap();
            l.criteria.groups().iter().map(Vec::len).collect()
        };
        assert_eq!(sizes("cold_wave", Level::Yellow), [3], "all: one group");
        assert_eq!(sizes("gale", Level::Blue), [1, 1], "any: a group each");
        assert_eq!(sizes("haze", Level::Red), [2, 4, 2], "OR of AND-groups");
        assert_eq!(sizes("lightning", Level::Red), [0usize; 0], "qualitative");
        let unknown = c
            .signals
            .iter()
            .flat_map(|s| &s.levels)
            .flat_map(|l| l.criteria.groups().iter().flatten());
        assert!(
            unknown
                .clone()
                .all(|k| !matches!(k.param, Param::Unknown(_)))
        );
        assert_eq!((c.beaufort.force(17.2), c.beaufort.force(17.1)), (8, 7));
    }

    #[test]
    fn levels_order_and_codes() {
        let table = [
            (Level::Blue, "blue", "蓝色", "01", "Minor"),
            (Level::Yellow, "yellow", "黄色", "02", "Moderate"),
            (Level::Orange, "orange", "橙色", "03", "Severe"),
            (Level::Red, "red", "红色", "04", "Extreme"),
        ];
        for (level, id, zh, code, sev) in table {
            assert_eq!(Level::from_id(id), Some(level));
            assert_eq!(
                (level.zh(), level.cma_code(), level.cap_severity()),
                (zh, code, sev)
            );
        }
        assert!(Level::Blue < Level::Yellow && Level::Orange < Level::Red);
        assert_eq!(Level::from_id("purple"), None);
    }

    fn entry(levels: &str) -> String {
        format!(
            r#"{{"id":"rainstorm","zh":"暴雨","en":"Rainstorm","national_event_code":"11B03","cma_type_code":"02","levels":{levels}}}"#
        )
    }

    fn sig(levels: &str) -> String {
        format!(r#"{{"signals":[{}]}}"#, entry(levels))
    }

    #[test]
    fn a_provincial_file_of_the_same_shape_loads() {
        let one = sig(
            r#"[{"color":"red","criteria_zh":"红"},{"color":"blue","window_h":12,"criteria_zh":"蓝"}]"#,
        );
        let guides = r#"{"guides":{"rainstorm":{"blue":{"items":["做好准备；"]}}}}"#;
        let c = Catalogue::from_bytes(one.as_bytes(), Some(guides.as_bytes())).unwrap();
        let s = c.signal("rainstorm").unwrap();
        assert_eq!(s.levels[0].level, Level::Blue, "sorted lowest first");
        assert_eq!(
            s.levels[0].guidance,
            Guidance::Official(vec!["做好准备；".into()])
        );
        assert_eq!(s.levels[1].guidance, Guidance::Missing);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let ok_level = r#"[{"color":"blue","criteria_zh":"x"}]"#;
        let dup = format!(r#"{{"signals":[{0},{0}]}}"#, entry(ok_level));
        let table: Vec<(String, Option<&str>, CatalogueError)> = vec![
            (
                sig(r#"[{"color":"purple","criteria_zh":"x"}]"#),
                None,
                CatalogueError::UnknownLevel {
                    signal: "rainstorm".into(),
                    color: "purple".into(),
                },
            ),
            (
                sig("[]"),
                None,
                CatalogueError::NoLevels("rainstorm".into()),
            ),
            (
                dup,
                None,
                CatalogueError::DuplicateSignal("rainstorm".into()),
            ),
            (
                sig(r#"[{"color":"blue","criteria_zh":"x"},{"color":"blue","criteria_zh":"y"}]"#),
                None,
                CatalogueError::DuplicateLevel {
                    signal: "rainstorm".into(),
                    color: "blue".into(),
                },
            ),
            (
                sig(ok_level),
                Some(r#"{"guides":{"rainstorm":{"red":{"items":["x；"]}}}}"#),
                CatalogueError::GuideWithoutSignal {
                    signal: "rainstorm".into(),
                    color: "red".into(),
                },
            ),
            (
                sig(ok_level),
                Some(r#"{"guides":{"fog":{"blue":{"items":["x；"]}}}}"#),
                CatalogueError::GuideWithoutSignal {
                    signal: "fog".into(),
                    color: "blue".into(),
                },
            ),
            (
                sig(ok_level),
                Some(r#"{"guides":{"rainstorm":{"blue":{"items":[" "]}}}}"#),
                CatalogueError::EmptyGuide {
                    signal: "rainstorm".into(),
                    color: "blue".into(),
                },
            ),
        ];
        for (signals, guides, want) in table {
            let got = Catalogue::from_bytes(signals.as_bytes(), guides.map(str::as_bytes));
            assert_eq!(got.unwrap_err(), want, "{signals}");
        }
        let bad = Catalogue::from_bytes(br#"{"signals":[{"id":"x"}]}"#, None).unwrap_err();
        let msg = bad.to_string();
        assert!(msg.starts_with("signals: missing field `zh`"), "{msg}");
    }
}
