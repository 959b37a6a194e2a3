//! Suggestions from observations: when the network's values cross a signal's criteria, the
//! desk proposes a draft for the townships concerned, with the observations that triggered
//! it. Never a send: a forecaster decides.
//!
//! Only the observed branch of a criterion (已达…并可能持续) is tested, each quantity read by
//! the rules in `suggest/read.rs` (which values count, over which window). A station reaches the highest level whose criteria its values meet;
//! a signal's suggestions group the townships by the level their stations reach, highest
//! first. Typhoon and sandstorm are left to the forecaster although the network measures
//! wind and visibility: whether a tropical cyclone or dust is the cause is not in the values.

mod read;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::catalogue::{Catalogue, Level, SignalLevel, SignalType};
use super::checks::Observed;
use super::criteria::{Beaufort, Condition, Criteria, Op, Param, Threshold};
use crate::domain::history::Sample;
use crate::domain::time::{HOUR_MS, Timestamp};
use crate::domain::{Element, Network, StationId};

pub use read::{MIN_HOURS_FOR_A_MINIMUM, elements_for};

/// How far back suggestions look: the longest criterion (a 48 h fall of the minimum over a
/// 24 h day, three days' highs) needs 72 h.
pub const LOOKBACK_MS: i64 = 72 * HOUR_MS;

/// Recent values per station and element, each series in time order, QC flags kept.
pub type Recent = BTreeMap<StationId, BTreeMap<Element, Vec<Sample>>>;

/// Signals whose criterion is a cause the values cannot show, and why.
const LEFT_TO_THE_FORECASTER: [(&str, &str); 2] = [
    (
        "typhoon",
        "台风信号依据热带气旋预报和路径发布，站网风速不能判定是否受热带气旋影响",
    ),
    (
        "sandstorm",
        "沙尘暴须识别沙尘天气现象，低能见度也可能是雾或降水",
    ),
];

/// One observed quantity that crossed a criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    /// The station.
    pub station: StationId,
    /// The element read (e.g. `PRE_1h` summed, `WIN_S_Inst_Max`).
    pub element: Element,
    /// The window the quantity covers, in hours (0: an instant value).
    pub window_h: u32,
    /// The quantity (e.g. 52.4 mm over 3 h; Beaufort force for wind criteria).
    pub value: f64,
    /// The criterion it met or crossed.
    pub threshold: f64,
    /// When the window ends.
    pub at: Timestamp,
    /// The criterion's quantity (rain sum, gust force, fall of the minimum …).
    pub param: Param,
    /// The criterion's comparison.
    pub op: Op,
}

impl Trigger {
    /// How it reads in a banner: `58819 3小时降水 52.4 mm ≥ 50`.
    pub fn describe_zh(&self) -> String {
        let w = self.window_h;
        let (what, unit, decimals) = match &self.param {
            Param::PrecipSum => (format!("{w}小时降水"), " mm", 1),
            Param::MeanWindForce => (format!("{w}小时最大2分钟平均风力"), "级", 0),
            Param::GustForce => (format!("{w}小时极大风力"), "级", 0),
            Param::Tmax => (format!("{w}小时最高气温"), " ℃", 1),
            Param::DailyTmax3Days => ("连续3天日最高气温（最低一天）".into(), " ℃", 1),
            Param::Tmin => (format!("{w}小时最低气温"), " ℃", 1),
            Param::TminDrop => (format!("{w}小时最低气温降幅"), " ℃", 1),
            Param::GroundSurfaceTmin => (format!("{w}小时地面最低温度"), " ℃", 1),
            Param::Visibility => (format!("{w}小时最低能见度"), " m", 0),
            Param::Rh => ("相对湿度".into(), " %", 0),
            _ => (self.element.name_zh().into(), "", 1),
        };
        format!(
            "{} {what} {:.decimals$}{unit} {} {}",
            self.station,
            self.value,
            self.op.symbol(),
            self.threshold
        )
    }

    /// How far past its threshold, relative to it: ranks triggers, strongest first.
    fn strength(&self) -> f64 {
        self.op.margin(self.value, self.threshold) / self.threshold.abs().max(1.0)
    }
}

/// A proposed draft: the highest level the observations support for one signal type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Signal type id, e.g. `rainstorm`.
    pub signal: String,
    /// The level the observations reach.
    pub level: Level,
    /// Township NBS codes of the triggering stations.
    pub townships: BTreeSet<String>,
    /// What triggered it, strongest first.
    pub triggers: Vec<Trigger>,
}

/// The suggestions `recent` supports at `now`: per signal, the townships grouped by the level
/// their stations reach, highest level first. Stations outside `network` are not counted.
pub fn suggest(
    catalogue: &Catalogue,
    network: &Network,
    recent: &Recent,
    now: Timestamp,
) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for signal in catalogue.signals.iter().filter(|s| observable_signal(s)) {
        let mut by_level: BTreeMap<Level, (BTreeSet<String>, Vec<Trigger>)> = BTreeMap::new();
        for station in &network.stations {
            let Some(series) = recent.get(&station.id) else {
                continue;
            };
            let values = read::StationValues { series, now };
            if let Some((level, triggers)) =
                station_level(signal, &station.id, &values, &catalogue.beaufort)
            {
                let slot = by_level.entry(level).or_default();
                slot.0.insert(station.township.to_string());
                slot.1.extend(triggers);
            }
        }
        for (level, (townships, mut triggers)) in by_level.into_iter().rev() {
            triggers.sort_by(|a, b| b.strength().total_cmp(&a.strength()));
            out.push(Suggestion {
                signal: signal.id.clone(),
                level,
                townships,
                triggers,
            });
        }
    }
    out
}

/// What the observations say of drafting `signal` for `area` (township NBS codes): the
/// highest level its stations reach, or that the network cannot tell, for the pre-send check.
pub fn observed_level(
    catalogue: &Catalogue,
    network: &Network,
    signal: &str,
    area: &BTreeSet<String>,
    recent: &Recent,
    now: Timestamp,
) -> Observed {
    let Some(signal) = catalogue.signal(signal) else {
        return Observed::NotMeasured;
    };
    let stations: Vec<&StationId> = network
        .stations
        .iter()
        .filter(|s| area.contains(&s.township.to_string()))
        .map(|s| &s.id)
        .collect();
    let measured = measured_by(recent, stations.iter().copied());
    let observable = signal
        .levels
        .iter()
        .any(|l| observable_groups(&l.criteria, &measured) > 0);
    if !observable_signal(signal) || !observable {
        return Observed::NotMeasured;
    }
    let reached = stations
        .into_iter()
        .filter_map(|id| {
            let values = read::StationValues {
                series: recent.get(id)?,
                now,
            };
            station_level(signal, id, &values, &catalogue.beaufort).map(|(level, _)| level)
        })
        .max();
    Observed::Supports(reached)
}

/// The elements with at least one value in `recent` at these stations.
pub fn measured_by<'a>(
    recent: &Recent,
    stations: impl IntoIterator<Item = &'a StationId>,
) -> Vec<Element> {
    let mut measured = BTreeSet::new();
    for id in stations {
        for (element, series) in recent.get(id).into_iter().flatten() {
            if !series.is_empty() {
                measured.insert(*element);
            }
        }
    }
    measured.into_iter().collect()
}

/// A level whose criterion the network cannot test, wholly or in part.
#[derive(Debug, Clone, PartialEq)]
pub struct Unobservable {
    /// Signal type id.
    pub signal: String,
    /// The level.
    pub level: Level,
    /// The official criterion text.
    pub criteria_zh: String,
    /// What is missing, in Chinese.
    pub why_zh: String,
    /// Some of its alternatives are observable (haze without PM2.5: only the dry-haze one).
    pub partly: bool,
}

/// The levels whose criteria cannot be tested with the `measured` elements, in catalogue
/// order: judgements (lightning, hail), causes the values cannot show (typhoon, sandstorm),
/// and quantities the network does not measure (PM2.5, road temperature, snowfall, drought).
pub fn unobservable(catalogue: &Catalogue, measured: &[Element]) -> Vec<Unobservable> {
    let mut out = Vec::new();
    for signal in &catalogue.signals {
        let cause = LEFT_TO_THE_FORECASTER
            .iter()
            .find(|(id, _)| *id == signal.id)
            .map(|(_, why)| *why);
        for level in &signal.levels {
            let entry = |why_zh: String, partly| Unobservable {
                signal: signal.id.clone(),
                level: level.level,
                criteria_zh: level.criteria_zh.clone(),
                why_zh,
                partly,
            };
            if let Some(why) = cause {
                out.push(entry(why.into(), false));
            } else if level.criteria == Criteria::Qualitative {
                out.push(entry("无数值指标，须预报员判断".into(), false));
            } else if let Some((why, partly)) = missing(level, measured) {
                out.push(entry(why, partly));
            }
        }
    }
    out
}

/// What `level` lacks among `measured`, and whether some alternative is still observable.
fn missing(level: &SignalLevel, measured: &[Element]) -> Option<(String, bool)> {
    let groups = level.criteria.groups();
    let lacking: BTreeSet<String> = groups
        .iter()
        .flatten()
        .filter(|c| !condition_observable(c, measured))
        .map(|c| param_zh(&c.param))
        .collect();
    if lacking.is_empty() {
        return None;
    }
    let partly = observable_groups(&level.criteria, measured) > 0;
    let list: Vec<String> = lacking.into_iter().collect();
    Some((format!("站网无{}观测", list.join("、")), partly))
}

fn condition_observable(c: &Condition, measured: &[Element]) -> bool {
    matches!(c.value, Threshold::Number(_))
        && elements_for(&c.param).iter().any(|e| measured.contains(e))
}

fn observable_groups(criteria: &Criteria, measured: &[Element]) -> usize {
    let groups = criteria.groups();
    groups
        .iter()
        .filter(|g| g.iter().all(|c| condition_observable(c, measured)))
        .count()
}

fn observable_signal(signal: &SignalType) -> bool {
    !LEFT_TO_THE_FORECASTER
        .iter()
        .any(|(id, _)| *id == signal.id)
}

/// The quantity's name, for "what is missing".
fn param_zh(param: &Param) -> String {
    let name = match param {
        Param::PrecipSum => "降水",
        Param::MeanWindForce => "平均风速",
        Param::GustForce => "极大风速",
        Param::Tmax | Param::DailyTmax3Days | Param::Tmin | Param::TminDrop => "气温",
        Param::GroundSurfaceTmin => "地面温度",
        Param::Visibility => "能见度",
        Param::Rh => "相对湿度",
        Param::Pm25 => "PM2.5浓度",
        Param::RoadSurfaceTemp => "路面温度",
        Param::PrecipitationOccurring => "降水现象",
        Param::SnowfallWaterEquivSum => "降雪量（雨量计不分雨雪）",
        Param::CiDroughtGrade => "综合气象干旱指数",
        Param::CountyCropAreaAffectedFraction => "农作物受旱面积",
        Param::Unknown(text) => return format!("未识别的指标 {text}"),
    };
    name.into()
}

/// The highest level `values` meet for `signal`, with what met it.
fn station_level(
    signal: &SignalType,
    station: &StationId,
    values: &read::StationValues<'_>,
    beaufort: &Beaufort,
) -> Option<(Level, Vec<Trigger>)> {
    signal.levels.iter().rev().find_map(|level| {
        let triggers = level_met(level, station, values, beaufort)?;
        Some((level.level, triggers))
    })
}

/// The triggers of every group of `level` the values meet; `None` if none is met.
fn level_met(
    level: &SignalLevel,
    station: &StationId,
    values: &read::StationValues<'_>,
    beaufort: &Beaufort,
) -> Option<Vec<Trigger>> {
    let met: Vec<Trigger> = level
        .criteria
        .groups()
        .iter()
        .filter_map(|group| group_met(group, level.window_h, station, values, beaufort))
        .flatten()
        .collect();
    (!met.is_empty()).then_some(met)
}

fn group_met(
    group: &[Condition],
    window_h: Option<u32>,
    station: &StationId,
    values: &read::StationValues<'_>,
    beaufort: &Beaufort,
) -> Option<Vec<Trigger>> {
    let with_fall = group.iter().any(|c| c.param == Param::TminDrop);
    let mut triggers = Vec::new();
    for c in group {
        let Threshold::Number(threshold) = c.value else {
            return None;
        };
        let reading = values.read(&c.param, window_h, with_fall, beaufort)?;
        if !c.op.holds(reading.value, threshold) {
            return None;
        }
        triggers.push(Trigger {
            station: station.clone(),
            element: reading.element,
            window_h: reading.window_h,
            value: reading.value,
            threshold,
            at: values.now,
            param: c.param.clone(),
            op: c.op,
        });
    }
    (!triggers.is_empty()).then_some(triggers)
}
