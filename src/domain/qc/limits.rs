//! Climatological limits: for each element and calendar month (Beijing time), the range a value
//! can plausibly take at the county's stations. The table is data (`assets/qc/limits.json`,
//! provenance beside it); this module parses and checks it and answers "what are the limits for
//! this element, this month, at this altitude?".

use std::collections::BTreeMap;

use chrono::Month;
use serde::Deserialize;

use super::physics::AltitudeRule;
use crate::domain::Element;

/// The climatological limits of every element that has them.
#[derive(Debug, Clone, PartialEq)]
pub struct ClimateLimits {
    scope: String,
    reference_altitude_m: f64,
    elements: BTreeMap<Element, MonthlyLimits>,
}

/// One element's limits, month by month, at the table's reference altitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthlyLimits {
    /// How the limits move for a station above or below the reference altitude.
    pub altitude: AltitudeRule,
    /// Lowest plausible value, January first.
    pub min: [f64; 12],
    /// Highest plausible value, January first.
    pub max: [f64; 12],
}

/// A limits table this module refuses.
#[derive(Debug, thiserror::Error)]
pub enum LimitsError {
    /// Not JSON, or not shaped like the table (unknown element, fewer than 12 months…).
    #[error("QC limits: {0}")]
    Json(#[from] serde_json::Error),
    /// A month whose minimum is above its maximum, or a limit that is not a finite number.
    #[error("QC limits: {element} in {month:?} has min {min} and max {max}")]
    Invalid {
        /// The element.
        element: Element,
        /// The month.
        month: Month,
        /// Its minimum.
        min: f64,
        /// Its maximum.
        max: f64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    #[serde(default)]
    scope: String,
    reference_altitude_m: f64,
    elements: BTreeMap<Element, LimitsEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsEntry {
    #[serde(default)]
    altitude: AltitudeRule,
    min: [f64; 12],
    max: [f64; 12],
}

impl ClimateLimits {
    /// Parses the JSON table (the format of `assets/qc/limits.json`) and checks every month.
    pub fn parse(json: &str) -> Result<Self, LimitsError> {
        let file: LimitsFile = serde_json::from_str(json)?;
        let mut elements = BTreeMap::new();
        for (element, entry) in file.elements {
            for (i, (&min, &max)) in entry.min.iter().zip(&entry.max).enumerate() {
                if !(min.is_finite() && max.is_finite() && min <= max) {
                    return Err(LimitsError::Invalid {
                        element,
                        month: month_at(i),
                        min,
                        max,
                    });
                }
            }
            let limits = MonthlyLimits {
                altitude: entry.altitude,
                min: entry.min,
                max: entry.max,
            };
            elements.insert(element, limits);
        }
        Ok(Self {
            scope: file.scope,
            reference_altitude_m: file.reference_altitude_m,
            elements,
        })
    }

    /// What the table says it is for, e.g. the network it was drawn up for.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The altitude the limits are given at, m.
    pub fn reference_altitude_m(&self) -> f64 {
        self.reference_altitude_m
    }

    /// One element's table, if it has limits.
    pub fn element(&self, element: Element) -> Option<&MonthlyLimits> {
        self.elements.get(&element)
    }

    /// The plausible range `(min, max)` of `element` in `month` at a station at `altitude_m`,
    /// or `None` for an element without climatological limits (wind direction, visibility).
    pub fn bounds(&self, element: Element, month: Month, altitude_m: f64) -> Option<(f64, f64)> {
        let limits = self.elements.get(&element)?;
        let i = month.number_from_month() as usize - 1;
        let carry = |limit: f64| {
            limits
                .altitude
                .carry(limit, self.reference_altitude_m, altitude_m, None)
        };
        Some((carry(limits.min[i]), carry(limits.max[i])))
    }
}

/// The months in calendar order: the tables' index.
const MONTHS: [Month; 12] = [
    Month::January,
    Month::February,
    Month::March,
    Month::April,
    Month::May,
    Month::June,
    Month::July,
    Month::August,
    Month::September,
    Month::October,
    Month::November,
    Month::December,
];

/// The month at a zero-based index (0 is January); indices past December wrap.
pub(super) fn month_at(index: usize) -> Month {
    MONTHS[index % MONTHS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"{
        "scope": "test",
        "reference_altitude_m": 300,
        "elements": {
            "TEM": {
                "altitude": { "lapse": { "per_100m": 0.65 } },
                "min": [-12, -11, -7, -3, 3, 8, 13, 12, 5, -2, -7, -12],
                "max": [29, 32, 35, 37, 38, 40, 42, 42, 40, 38, 34, 30]
            },
            "PRS": {
                "altitude": "barometric",
                "min": [950, 950, 950, 950, 950, 930, 915, 915, 920, 935, 945, 950],
                "max": [1010, 1010, 1010, 1005, 995, 990, 985, 985, 995, 1005, 1010, 1010]
            },
            "RHU": {
                "min": [5, 5, 6, 8, 12, 20, 20, 20, 12, 6, 5, 5],
                "max": [100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
            }
        }
    }"#;

    #[test]
    fn bounds_follow_month_and_altitude() {
        let limits = ClimateLimits::parse(TABLE).unwrap();
        // (element, month, altitude, expected (min, max))
        let cases = [
            (Element::Tem, Month::January, 300.0, Some((-12.0, 29.0))),
            (Element::Tem, Month::July, 300.0, Some((13.0, 42.0))),
            // 800 m higher: 5.2 °C colder at both ends.
            (Element::Tem, Month::July, 1100.0, Some((7.8, 36.8))),
            (Element::Rhu, Month::March, 1100.0, Some((6.0, 100.0))),
            (Element::Vis, Month::March, 300.0, None),
        ];
        for (element, month, altitude, expected) in cases {
            let got = limits.bounds(element, month, altitude);
            let close = match (got, expected) {
                (Some(a), Some(b)) => (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9,
                (a, b) => a == b,
            };
            assert!(close, "{element} {month:?} {altitude}: {got:?}");
        }
        // Pressure limits fall with the pressure, ~11–12 hPa per 100 m.
        let (low, high) = limits.bounds(Element::Prs, Month::July, 400.0).unwrap();
        assert!((low - (915.0 - 10.9)).abs() < 0.5, "{low}");
        assert!((high - (985.0 - 11.7)).abs() < 0.5, "{high}");
    }

    #[test]
    fn refuses_malformed_tables() {
        let cases = [
            r#"{"reference_altitude_m": 300, "elements": {"TEM": {"min": [0], "max": [1]}}}"#,
            r#"{"reference_altitude_m": 300, "elements": {"XYZ": {"min": [], "max": []}}}"#,
            r#"{"reference_altitude_m": 300, "elements": {}, "typo": 1}"#,
            r#"{"reference_altitude_m": 300, "elements": {"TEM": {"min": [0,0,0,0,0,0,0,0,0,0,0,0],
                "max": [1,1,1,1,1,1,1,1,1,1,1,1], "altitude": "sideways"}}}"#,
        ];
        for json in cases {
            assert!(
                matches!(ClimateLimits::parse(json), Err(LimitsError::Json(_))),
                "{json}"
            );
        }
        let inverted = r#"{"reference_altitude_m": 300, "elements": {"RHU": {
            "min": [5,5,5,5,5,5,50,5,5,5,5,5], "max": [100,100,100,100,100,100,40,100,100,100,100,100]}}}"#;
        assert!(matches!(
            ClimateLimits::parse(inverted),
            Err(LimitsError::Invalid {
                element: Element::Rhu,
                month: Month::July,
                ..
            })
        ));
    }
}
