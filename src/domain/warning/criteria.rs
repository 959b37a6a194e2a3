//! A signal level's criteria as typed tests, parsed from the `conditions` of the signal file:
//! an OR of AND-groups over named quantities (`precip_sum ≥ 50 mm`), or a forecaster's
//! judgement. Only the observed branch (已达…并可能持续) can be tested; the forecast branch is
//! the forecaster's. A parameter this build does not know parses as [`Param::Unknown`], which
//! nothing observes: a new provincial file still loads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The quantity a condition tests.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Precipitation summed over the level's window, mm.
    PrecipSum,
    /// Beaufort force of the 2-minute mean wind.
    MeanWindForce,
    /// Beaufort force of the gusts.
    GustForce,
    /// Highest air temperature, °C.
    Tmax,
    /// Each of three consecutive days' highest air temperature, °C.
    #[serde(rename = "daily_tmax_each_of_3_consecutive_days")]
    DailyTmax3Days,
    /// Lowest air temperature, °C.
    Tmin,
    /// How far the lowest air temperature fell over the level's window, °C.
    TminDrop,
    /// Lowest ground-surface (0 cm) temperature, °C.
    GroundSurfaceTmin,
    /// Horizontal visibility, m.
    Visibility,
    /// Relative humidity, %.
    Rh,
    /// PM2.5 concentration, µg/m³.
    Pm25,
    /// Road-surface temperature, °C.
    RoadSurfaceTemp,
    /// Whether precipitation is falling.
    PrecipitationOccurring,
    /// Snowfall as water equivalent, mm.
    SnowfallWaterEquivSum,
    /// The comprehensive drought index's class.
    CiDroughtGrade,
    /// The share of the county's crops affected by drought.
    CountyCropAreaAffectedFraction,
    /// A parameter (or a test of it) this build does not know, as written.
    Unknown(String),
}

impl Param {
    fn parse(name: &str) -> Param {
        match name {
            "precip_sum" => Param::PrecipSum,
            "mean_wind_force" => Param::MeanWindForce,
            "gust_force" => Param::GustForce,
            "tmax" => Param::Tmax,
            "daily_tmax_each_of_3_consecutive_days" => Param::DailyTmax3Days,
            "tmin" => Param::Tmin,
            "tmin_drop" => Param::TminDrop,
            "ground_surface_tmin" => Param::GroundSurfaceTmin,
            "visibility" => Param::Visibility,
            "rh" => Param::Rh,
            "pm25" => Param::Pm25,
            "road_surface_temp" => Param::RoadSurfaceTemp,
            "precipitation_occurring" => Param::PrecipitationOccurring,
            "snowfall_water_equiv_sum" => Param::SnowfallWaterEquivSum,
            "ci_drought_grade" => Param::CiDroughtGrade,
            "county_crop_area_affected_fraction" => Param::CountyCropAreaAffectedFraction,
            other => Param::Unknown(other.to_owned()),
        }
    }
}

/// A comparison; 以上/以下 are inclusive (`Ge`/`Le`), 小于/超过 strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// ≥
    Ge,
    /// >
    Gt,
    /// ≤
    Le,
    /// <
    Lt,
    /// =
    Eq,
}

impl Op {
    fn parse(op: &str) -> Option<Op> {
        Some(match op {
            "ge" => Op::Ge,
            "gt" => Op::Gt,
            "le" => Op::Le,
            "lt" => Op::Lt,
            "eq" => Op::Eq,
            _ => return None,
        })
    }

    /// Whether `value op threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Ge => value >= threshold,
            Op::Gt => value > threshold,
            Op::Le => value <= threshold,
            Op::Lt => value < threshold,
            Op::Eq => value == threshold,
        }
    }

    /// How far `value` is past `threshold` in the direction that matters (positive: met with
    /// room to spare), so triggers of one kind can be ranked.
    pub fn margin(self, value: f64, threshold: f64) -> f64 {
        match self {
            Op::Ge | Op::Gt | Op::Eq => value - threshold,
            Op::Le | Op::Lt => threshold - value,
        }
    }

    /// The sign as written in a trigger.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => "≥",
            Op::Gt => ">",
            Op::Le => "≤",
            Op::Lt => "<",
            Op::Eq => "=",
        }
    }
}

/// What a condition compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    /// A number in the condition's unit.
    Number(f64),
    /// A yes/no (`precipitation_occurring`).
    Flag(bool),
    /// A named class (`severe(重旱)`).
    Class(String),
}

/// One test: `param op value` in `unit`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The quantity.
    pub param: Param,
    /// The comparison.
    pub op: Op,
    /// The threshold.
    pub value: Threshold,
    /// The unit as written (`mm`, `beaufort`, `degC` …).
    pub unit: String,
}

/// A level's criteria.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Criteria {
    /// A forecaster's judgement (lightning, hail): nothing to measure.
    #[default]
    Qualitative,
    /// Met when every condition of any one group holds.
    AnyOf(Vec<Vec<Condition>>),
}

impl Criteria {
    /// The groups (none when qualitative).
    pub fn groups(&self) -> &[Vec<Condition>] {
        match self {
            Criteria::Qualitative => &[],
            Criteria::AnyOf(groups) => groups,
        }
    }
}

/// The Beaufort scale as the signal file gives it: force → m/s band.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Beaufort {
    /// (force, lowest speed in the band), ascending.
    lower_bounds: Vec<(u8, f64)>,
}

impl Beaufort {
    /// The scale from the file's `beaufort_ms` (keys are forces; values `[low, high]`).
    /// Entries that do not parse are left out.
    pub fn from_bands(bands: &BTreeMap<String, [f64; 2]>) -> Beaufort {
        let mut lower_bounds: Vec<(u8, f64)> = bands
            .iter()
            .filter_map(|(force, [low, _])| Some((force.parse().ok()?, *low)))
            .collect();
        lower_bounds.sort_by_key(|&(force, _)| force);
        Beaufort { lower_bounds }
    }

    /// The force of a speed: the highest band whose lower bound it reaches (so the file's
    /// one-decimal gaps, 10.7 → 10.8, fall to the lower force). Below the first band: the
    /// force under it (4 when the file starts at 5), or 0 for an empty scale.
    pub fn force(&self, ms: f64) -> u8 {
        let below = self.lower_bounds.first().map_or(0, |&(f, _)| f - 1);
        self.lower_bounds
            .iter()
            .rev()
            .find(|&&(_, low)| ms >= low)
            .map_or(below, |&(force, _)| force)
    }
}

/// A level's `logic` and `conditions` as they stand in the file.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RawCriteria {
    #[serde(default)]
    logic: Option<String>,
    #[serde(default)]
    conditions: Vec<serde_json::Value>,
}

impl RawCriteria {
    /// The typed criteria. `all` makes one group; `any` makes a group of each condition, and
    /// an entry `{"all": […]}` is a group of its own (an OR of AND-groups). No conditions, or
    /// `qualitative`, is a judgement.
    pub(crate) fn parse(&self) -> Criteria {
        if self.logic.as_deref() == Some("qualitative") || self.conditions.is_empty() {
            return Criteria::Qualitative;
        }
        if self.logic.as_deref() == Some("all") {
            return Criteria::AnyOf(vec![self.conditions.iter().flat_map(conditions).collect()]);
        }
        Criteria::AnyOf(
            self.conditions
                .iter()
                .map(|c| conditions(c).collect())
                .collect(),
        )
    }
}

/// The conditions of one entry: itself, or the members of its `all`.
fn conditions(entry: &serde_json::Value) -> Box<dyn Iterator<Item = Condition> + '_> {
    match entry.get("all").and_then(serde_json::Value::as_array) {
        Some(members) => Box::new(members.iter().map(condition)),
        None => Box::new(std::iter::once(condition(entry))),
    }
}

fn condition(entry: &serde_json::Value) -> Condition {
    let text = |key: &str| entry.get(key).and_then(serde_json::Value::as_str);
    let value = match entry.get("value") {
        Some(serde_json::Value::Number(n)) => n.as_f64().map(Threshold::Number),
        Some(serde_json::Value::Bool(b)) => Some(Threshold::Flag(*b)),
        Some(serde_json::Value::String(s)) => Some(Threshold::Class(s.clone())),
        _ => None,
    };
    let parsed = (text("param"), text("op").and_then(Op::parse), value);
    match parsed {
        (Some(param), Some(op), Some(value)) => Condition {
            param: Param::parse(param),
            op,
            value,
            unit: text("unit").unwrap_or_default().to_owned(),
        },
        // Not a test this build can read: kept, as unobservable, rather than refused.
        _ => Condition {
            param: Param::Unknown(entry.to_string()),
            op: Op::Eq,
            value: Threshold::Flag(true),
            unit: String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Criteria {
        serde_json::from_str::<RawCriteria>(json).unwrap().parse()
    }

    fn num(param: Param, op: Op, value: f64, unit: &str) -> Condition {
        Condition {
            param,
            op,
            value: Threshold::Number(value),
            unit: unit.into(),
        }
    }

    #[test]
    fn shapes_of_the_file_become_or_of_and_groups() {
        let rain = num(Param::PrecipSum, Op::Ge, 50.0, "mm");
        let gust = num(Param::GustForce, Op::Ge, 8.0, "beaufort");
        let vis = num(Param::Visibility, Op::Lt, 3000.0, "m");
        let rh = num(Param::Rh, Op::Lt, 80.0, "%");
        let table = [
            (
                r#"{"logic":"any","conditions":[{"param":"precip_sum","op":"ge","value":50,"unit":"mm"},{"param":"gust_force","op":"ge","value":8,"unit":"beaufort"}]}"#,
                Criteria::AnyOf(vec![vec![rain.clone()], vec![gust.clone()]]),
            ),
            (
                r#"{"logic":"all","conditions":[{"param":"precip_sum","op":"ge","value":50,"unit":"mm"},{"param":"gust_force","op":"ge","value":8,"unit":"beaufort"}]}"#,
                Criteria::AnyOf(vec![vec![rain, gust]]),
            ),
            (
                r#"{"logic":"any","conditions":[{"all":[{"param":"visibility","op":"lt","value":3000,"unit":"m"},{"param":"rh","op":"lt","value":80,"unit":"%"}]}]}"#,
                Criteria::AnyOf(vec![vec![vis, rh]]),
            ),
            (
                r#"{"logic":"qualitative","conditions":[]}"#,
                Criteria::Qualitative,
            ),
            (r#"{}"#, Criteria::Qualitative),
        ];
        for (json, want) in table {
            assert_eq!(parse(json), want, "{json}");
        }
    }

    #[test]
    fn unknown_params_and_tests_are_kept_as_unobservable() {
        let got = parse(
            r#"{"logic":"any","conditions":[{"param":"lightning_density","op":"ge","value":3},{"param":"tmax","op":"approx","value":3},{"param":"road_surface_temp","op":"lt","value":0,"unit":"degC"},{"param":"precipitation_occurring","op":"eq","value":true},{"param":"ci_drought_grade","op":"ge","value":"severe(重旱)"}]}"#,
        );
        let params: Vec<Param> = got.groups().iter().map(|g| g[0].param.clone()).collect();
        assert_eq!(params[0], Param::Unknown("lightning_density".into()));
        assert!(matches!(&params[1], Param::Unknown(t) if t.contains("approx")));
        assert_eq!(params[2], Param::RoadSurfaceTemp);
        assert_eq!(got.groups()[3][0].value, Threshold::Flag(true));
        assert_eq!(
            got.groups()[4][0].value,
            Threshold::Class("severe(重旱)".into())
        );
    }

    #[test]
    fn inclusive_and_strict_comparisons() {
        let table = [
            (Op::Ge, 50.0, true),
            (Op::Ge, 49.9, false),
            (Op::Gt, 50.0, false),
            (Op::Le, 50.0, true),
            (Op::Lt, 50.0, false),
            (Op::Lt, 49.9, true),
            (Op::Eq, 50.0, true),
        ];
        for (op, value, want) in table {
            assert_eq!(op.holds(value, 50.0), want, "{value} {op:?} 50");
        }
        assert_eq!(Op::Le.margin(-4.0, -3.0), 1.0);
        assert_eq!(Op::Ge.margin(52.0, 50.0), 2.0);
    }

    #[test]
    fn beaufort_forces_from_the_files_bands() {
        let bands: BTreeMap<String, [f64; 2]> = [
            ("5".into(), [8.0, 10.7]),
            ("6".into(), [10.8, 13.8]),
            ("7".into(), [13.9, 17.1]),
            ("x".into(), [0.0, 1.0]),
        ]
        .into();
        let scale = Beaufort::from_bands(&bands);
        let table = [
            (0.0, 4),
            (7.99, 4),
            (8.0, 5),
            (10.7, 5),
            (10.75, 5),
            (10.8, 6),
            (13.9, 7),
            (40.0, 7),
        ];
        for (ms, force) in table {
            assert_eq!(scale.force(ms), force, "{ms} m/s");
        }
        assert_eq!(Beaufort::default().force(30.0), 0);
    }
}
