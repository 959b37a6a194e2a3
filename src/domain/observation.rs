//! Observations: one station's values at one instant, checked at the edge so that everything
//! inward holds only values that can be measurements.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::element::Element;
use super::network::StationId;
use super::time::{MINUTE_MS, Timestamp};

/// Where an observation came from; kept with the data so history stays honest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Reported by the station as it happened.
    #[default]
    Live,
    /// Sent late by the station after an outage (补传).
    Backfilled,
    /// Loaded from a file (MICAPS, CSV).
    Imported,
    /// Entered by a person.
    Manual,
}

impl Source {
    /// Every source.
    pub const ALL: [Self; 4] = [Self::Live, Self::Backfilled, Self::Imported, Self::Manual];

    /// Stable code, as sent (`imported`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Backfilled => "backfilled",
            Self::Imported => "imported",
            Self::Manual => "manual",
        }
    }

    /// A stable small integer for storage.
    pub const fn storage_id(self) -> u8 {
        match self {
            Self::Live => 0,
            Self::Backfilled => 1,
            Self::Imported => 2,
            Self::Manual => 3,
        }
    }

    /// The source stored under `id`; unknown ids read as live rather than failing a query.
    pub const fn from_storage_id(id: u8) -> Self {
        match id {
            1 => Self::Backfilled,
            2 => Self::Imported,
            3 => Self::Manual,
            _ => Self::Live,
        }
    }
}

/// One station's values at one instant. Values are keyed by element, so each appears once;
/// a missing element is simply absent (never 0, never 9999).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Reporting station.
    pub station: StationId,
    /// Observation time (end of the averaging period), UTC.
    pub time: Timestamp,
    /// Provenance.
    pub source: Source,
    /// The measured values.
    pub values: BTreeMap<Element, f64>,
}

/// Why an observation, or one of its values, was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObservationError {
    /// Timestamp ahead of the receiver's clock by more than the allowed skew.
    #[error("time {time} is {ahead_s} s in the future")]
    FromTheFuture {
        /// The offending time.
        time: Timestamp,
        /// How far ahead, in seconds.
        ahead_s: i64,
    },
    /// Timestamp before automatic observation could have existed.
    #[error("time {0} is before 1950")]
    TooOld(Timestamp),
    /// Not a known element code.
    #[error("unknown element {0:?}")]
    UnknownElement(String),
    /// Not a JSON number (strings, booleans, objects…).
    #[error("{element}: {found} is not a number")]
    NotANumber {
        /// Element code.
        element: Element,
        /// What was found instead, as JSON.
        found: String,
    },
    /// Outside what the instrument can physically report.
    #[error("{element}: {value} is outside the physical range {min}..={max} {unit}")]
    OutOfRange {
        /// Element code.
        element: Element,
        /// The value.
        value: f64,
        /// Lowest plausible.
        min: f64,
        /// Highest plausible.
        max: f64,
        /// Unit, for the message.
        unit: &'static str,
    },
}

/// One record of an ingest batch as the store takes it: parsed and checked at the edge, so it
/// holds only values that can be measurements, with what was refused of it and its place in
/// the batch (results are reported by that index).
#[derive(Debug, Clone, PartialEq)]
pub struct IngestRecord {
    /// Where the record stood in its batch, from 0.
    pub index: usize,
    /// Everything valid in the record (possibly no values at all).
    pub observation: Observation,
    /// The values refused at parsing, reported with the record's result.
    pub value_errors: Vec<ObservationError>,
}

/// Clock skew tolerated before a timestamp counts as "from the future".
pub const MAX_FUTURE_SKEW_MS: i64 = 5 * MINUTE_MS;

/// 1950-01-01T00:00:00Z: nothing in an automatic station network is older.
const EARLIEST_MS: i64 = -631_152_000_000;

/// Checks an observation time against the receiver's clock.
pub fn check_time(time: Timestamp, now: Timestamp) -> Result<(), ObservationError> {
    if time.0 - now.0 > MAX_FUTURE_SKEW_MS {
        return Err(ObservationError::FromTheFuture {
            time,
            ahead_s: (time.0 - now.0) / 1000,
        });
    }
    if time.0 < EARLIEST_MS {
        return Err(ObservationError::TooOld(time));
    }
    Ok(())
}

/// Checks one value against its element's physical range.
pub fn check_value(element: Element, value: f64) -> Result<f64, ObservationError> {
    let range = element.physical_range();
    if value.is_finite() && range.contains(&value) {
        Ok(value)
    } else {
        Err(ObservationError::OutOfRange {
            element,
            value,
            min: *range.start(),
            max: *range.end(),
            unit: element.unit(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_checks() {
        let now = Timestamp(1_800_000_000_000);
        let cases = [
            (now, true),
            (now.plus_ms(MAX_FUTURE_SKEW_MS), true),
            (now.plus_ms(MAX_FUTURE_SKEW_MS + 1), false),
            (Timestamp(EARLIEST_MS), true),
            (Timestamp(EARLIEST_MS - 1), false),
        ];
        for (time, ok) in cases {
            assert_eq!(check_time(time, now).is_ok(), ok, "{time}");
        }
    }

    #[test]
    fn value_checks() {
        let cases = [
            (Element::Tem, 25.0, true),
            (Element::Tem, 99.0, false),
            (Element::Rhu, 100.0, true),
            (Element::Rhu, 101.0, false),
            (Element::Pre1h, -0.1, false),
            (Element::Prs, 980.0, true),
            (Element::Prs, f64::NAN, false),
            (Element::WinDAvg2mi, 360.0, true),
        ];
        for (element, value, ok) in cases {
            assert_eq!(check_value(element, value).is_ok(), ok, "{element} {value}");
        }
        let message = check_value(Element::Rhu, 120.0).unwrap_err().to_string();
        assert_eq!(message, "RHU: 120 is outside the physical range 0..=100 %");
    }

    #[test]
    fn source_storage_ids_round_trip() {
        for source in [
            Source::Live,
            Source::Backfilled,
            Source::Imported,
            Source::Manual,
        ] {
            assert_eq!(Source::from_storage_id(source.storage_id()), source);
        }
    }
}
