//! Practice replay: a past event's observations, from a scenario file, run through
//! [`suggest`](super::suggest::suggest) step by step as the desk would have seen them, so a
//! forecaster can rehearse the whole flow from the first suggestion on.
//!
//! A scenario is CSV text: `#` lines say what it is (and whether its values were observed or
//! reconstructed), then `time,station,element,value` with RFC 3339 times (the end of the
//! period a value covers), CMA element codes and SI values.

use std::collections::BTreeMap;

use super::catalogue::Catalogue;
use super::suggest::{LOOKBACK_MS, Recent, Suggestion, suggest};
use crate::domain::history::Sample;
use crate::domain::{Element, Network, Observation, Source, StationId, Timestamp};

/// A scenario file, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The `#` lines, without the `#`: what the scenario is and where its values come from.
    pub about: Vec<String>,
    /// Its values, in file order.
    pub values: Vec<(Timestamp, StationId, Element, f64)>,
}

/// A line of a scenario file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scenario line {line}: {message}")]
pub struct ScenarioError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The suggestions at one step of a replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// When.
    pub at: Timestamp,
    /// What the values up to then support.
    pub suggestions: Vec<Suggestion>,
}

impl Scenario {
    /// Parses a scenario file.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let mut scenario = Scenario {
            about: Vec::new(),
            values: Vec::new(),
        };
        let mut header_seen = false;
        for (i, line) in text.lines().enumerate() {
            let err = |message: String| ScenarioError {
                line: i + 1,
                message,
            };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                scenario.about.push(comment.trim().to_owned());
            } else if !header_seen {
                if line != "time,station,element,value" {
                    return Err(err(format!("expected the header, found {line:?}")));
                }
                header_seen = true;
            } else {
                scenario.values.push(value_row(line).map_err(err)?);
            }
        }
        Ok(scenario)
    }

    /// The first and last value times.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        let times = self.values.iter().map(|v| v.0);
        Some((times.clone().min()?, times.max()?))
    }

    /// The values stamped at or before `at`, within [`LOOKBACK_MS`], as suggestions read them.
    pub fn recent_at(&self, at: Timestamp) -> Recent {
        let mut recent = Recent::new();
        let from = at.plus_ms(-LOOKBACK_MS);
        for (time, station, element, value) in &self.values {
            if *time > from && *time <= at {
                let series = recent
                    .entry(station.clone())
                    .or_default()
                    .entry(*element)
                    .or_default();
                series.push(Sample::live(*time, *value));
            }
        }
        for series in recent.values_mut().flat_map(BTreeMap::values_mut) {
            series.sort_by_key(|s| s.time);
        }
        recent
    }

    /// The values as observations (one per station and time), e.g. to feed a practice desk.
    pub fn observations(&self) -> Vec<Observation> {
        let mut by_key: BTreeMap<(Timestamp, StationId), BTreeMap<Element, f64>> = BTreeMap::new();
        for (time, station, element, value) in &self.values {
            by_key
                .entry((*time, station.clone()))
                .or_default()
                .insert(*element, *value);
        }
        by_key
            .into_iter()
            .map(|((time, station), values)| Observation {
                station,
                time,
                source: Source::Imported,
                values,
            })
            .collect()
    }
}

fn value_row(line: &str) -> Result<(Timestamp, StationId, Element, f64), String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [time, station, element, value] = fields[..] else {
        return Err(format!("expected 4 fields, found {}", fields.len()));
    };
    let time = Timestamp::parse_rfc3339(time).map_err(|e| format!("time {time:?}: {e}"))?;
    let station = StationId::parse(station).map_err(|e| e.to_string())?;
    let element: Element = element
        .parse()
        .map_err(|e: crate::domain::element::UnknownElement| e.to_string())?;
    let value: f64 = value
        .parse()
        .map_err(|_| format!("value {value:?} is not a number"))?;
    let value =
        crate::domain::observation::check_value(element, value).map_err(|e| e.to_string())?;
    Ok((time, station, element, value))
}

/// Runs `scenario` through the suggestions every `step_ms` over its span, as a desk judging
/// the values as they came in would have.
pub fn replay(
    scenario: &Scenario,
    catalogue: &Catalogue,
    network: &Network,
    step_ms: i64,
) -> Vec<Step> {
    let Some((first, last)) = scenario.span() else {
        return Vec::new();
    };
    let mut steps = Vec::new();
    let mut at = first;
    while at <= last && step_ms > 0 {
        let recent = scenario.recent_at(at);
        steps.push(Step {
            at,
            suggestions: suggest(catalogue, network, &recent, at),
        });
        at = at.plus_ms(step_ms);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::HOUR_MS;
    use crate::domain::warning::{Level, shipped_catalogue};

    const SANMING: &str = include_str!("../../../assets/practice/2019-05-17-sanming-rainstorm.csv");

    fn network() -> Network {
        Network::from_csv(
            include_str!("../../../assets/geo/townships.csv"),
            include_str!("../../../assets/geo/stations.csv"),
        )
        .unwrap()
    }

    fn bjt(hm: &str) -> Timestamp {
        Timestamp::parse_rfc3339(&format!("2019-05-17T{hm}:00+08:00")).unwrap()
    }

    /// (signal, level, township codes) of a step.
    fn summary(step: &Step) -> Vec<(&str, Level, Vec<&str>)> {
        step.suggestions
            .iter()
            .map(|s| {
                let codes = s.townships.iter().map(String::as_str).collect();
                (s.signal.as_str(), s.level, codes)
            })
            .collect()
    }

    #[test]
    fn the_2019_05_17_rainstorm_reaches_orange_in_northern_qingliu() {
        let scenario = Scenario::parse(SANMING).unwrap();
        assert!(
            scenario
                .about
                .iter()
                .any(|l| l.contains("RECONSTRUCTED, NOT OBSERVED"))
        );
        let steps = replay(&scenario, &shipped_catalogue(), &network(), HOUR_MS);
        assert_eq!(steps.len(), 13, "08:00 to 20:00");
        let at = |hm| steps.iter().find(|s| s.at == bjt(hm)).unwrap();
        let songxi = "350423101";
        let linshe = "350423106";
        let table = [
            ("13:00", vec![]),
            ("14:00", vec![("rainstorm", Level::Yellow, vec![songxi])]),
            (
                "15:00",
                vec![
                    ("rainstorm", Level::Orange, vec![songxi]),
                    ("rainstorm", Level::Yellow, vec![linshe]),
                ],
            ),
        ];
        for (hm, want) in table {
            assert_eq!(summary(at(hm)), want, "{hm}");
        }
        // Never red; 清流 (龙津镇) itself never reaches 50 mm in 12 h.
        let levels = steps.iter().flat_map(|s| &s.suggestions);
        assert_eq!(levels.clone().map(|s| s.level).max(), Some(Level::Orange));
        assert!(levels.clone().all(|s| !s.townships.contains("350423100")));
        let first_orange = steps
            .iter()
            .find(|s| s.suggestions.iter().any(|x| x.level == Level::Orange))
            .unwrap();
        let strongest = &first_orange.suggestions[0].triggers[0];
        assert_eq!(strongest.describe_zh(), "708308 3小时降水 58.8 mm ≥ 50");
        assert_eq!(scenario.observations().len(), 13 * 5);
    }

    #[test]
    fn bad_lines_are_named() {
        let table = [
            ("a,b\n", 1, "expected the header"),
            (
                "time,station,element,value\n2019-05-17T08:00:00+08:00,58819,PRE_1h\n",
                2,
                "4 fields",
            ),
            (
                "time,station,element,value\nyesterday,58819,PRE_1h,1\n",
                2,
                "time",
            ),
            (
                "time,station,element,value\n2019-05-17T08:00:00+08:00,58819,HAIL,1\n",
                2,
                "HAIL",
            ),
            (
                "time,station,element,value\n2019-05-17T08:00:00+08:00,58819,PRE_1h,-1\n",
                2,
                "physical range",
            ),
        ];
        for (text, line, part) in table {
            let err = Scenario::parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text}");
            assert!(err.message.contains(part), "{}", err.message);
        }
    }
}
