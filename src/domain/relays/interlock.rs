//! Interlocks: conditions on a station's latest reading that must hold before a relay is
//! switched on — no shade net or vent opening above a wind speed, frost fans only below a
//! garden temperature. Judged on the central, never on the desk, and failing closed: a
//! reading that is missing or older than the interlock allows refuses the command, and the
//! refusal names the interlock and the reading.
//!
//! Switching off is never interlocked: off is where a relay is left when in doubt.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::network::StationId;
use crate::domain::{Element, Timestamp};

/// Which side of the limit the reading must be on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Strictly below the limit.
    Below(f64),
    /// Strictly above the limit.
    Above(f64),
}

impl Bound {
    fn holds(self, value: f64) -> bool {
        match self {
            Self::Below(limit) => value < limit,
            Self::Above(limit) => value > limit,
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Below(limit) => write!(f, "< {limit}"),
            Self::Above(limit) => write!(f, "> {limit}"),
        }
    }
}

/// One condition on one station's element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interlock {
    /// Its name as the refusal shows it (`大风禁开遮阳网`).
    pub name_zh: String,
    /// The station whose reading is judged (the reference station, or the garden's own).
    pub station: StationId,
    /// The element judged.
    pub element: Element,
    /// Where the reading must be.
    pub bound: Bound,
    /// The oldest reading believed, seconds.
    pub max_age_s: u32,
}

/// The latest reading of an interlock's element, as the central holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// The value.
    pub value: f64,
    /// Its observation time.
    pub time: Timestamp,
}

/// Why an interlock refused a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterlockRefusal {
    /// The interlock's name.
    pub interlock: String,
    /// Its station.
    pub station: StationId,
    /// Its element's code.
    pub element: String,
    /// The condition that did not hold (`< 10.8`).
    pub condition: String,
    /// The reading judged, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Its observation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// What was wrong with it: `out_of_bound`, `stale` or `missing`.
    pub why: RefusalCause,
}

/// What was wrong with the reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCause {
    /// It is on the wrong side of the limit.
    OutOfBound,
    /// It is older than the interlock believes.
    Stale,
    /// There is none.
    Missing,
}

impl RefusalCause {
    /// Stable code, as the API writes it.
    pub const fn code(self) -> &'static str {
        match self {
            Self::OutOfBound => "out_of_bound",
            Self::Stale => "stale",
            Self::Missing => "missing",
        }
    }
}

impl fmt::Display for InterlockRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            interlock,
            station,
            element,
            condition,
            ..
        } = self;
        write!(f, "{interlock}: {station} {element} must be {condition}; ")?;
        match (self.why, self.value) {
            (RefusalCause::Missing, _) | (_, None) => f.write_str("no reading"),
            (RefusalCause::Stale, Some(v)) => write!(f, "latest reading {v} is too old"),
            (RefusalCause::OutOfBound, Some(v)) => write!(f, "reading is {v}"),
        }
    }
}

impl Interlock {
    /// Checks that it can ever be judged.
    pub fn validate(&self) -> Result<(), &'static str> {
        let limit = match self.bound {
            Bound::Below(v) | Bound::Above(v) => v,
        };
        if !limit.is_finite() {
            return Err("an interlock's limit must be a number");
        }
        if !(1..=86_400).contains(&self.max_age_s) {
            return Err("an interlock's max_age_s must be 1 s to 1 day");
        }
        Ok(())
    }

    /// Judges `reading` at `now`: allowed, or why not. Fails closed.
    pub fn judge(
        &self,
        reading: Option<Reading>,
        now: Timestamp,
    ) -> Result<(), Box<InterlockRefusal>> {
        let cause = match reading {
            None => RefusalCause::Missing,
            Some(r) if now.0 - r.time.0 > i64::from(self.max_age_s) * 1_000 => RefusalCause::Stale,
            Some(r) if !r.value.is_finite() || !self.bound.holds(r.value) => {
                RefusalCause::OutOfBound
            }
            Some(_) => return Ok(()),
        };
        Err(Box::new(InterlockRefusal {
            interlock: self.name_zh.clone(),
            station: self.station.clone(),
            element: self.element.code().to_owned(),
            condition: self.bound.to_string(),
            value: reading.map(|r| r.value),
            time: reading.map(|r| r.time),
            why: cause,
        }))
    }
}

/// Judges every interlock with `latest` (the latest reading of a station's element), and
/// answers the first refusal.
pub fn judge_all(
    interlocks: &[Interlock],
    latest: impl Fn(&StationId, Element) -> Option<Reading>,
    now: Timestamp,
) -> Result<(), Box<InterlockRefusal>> {
    interlocks
        .iter()
        .try_for_each(|lock| lock.judge(latest(&lock.station, lock.element), now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn wind_lock() -> Interlock {
        Interlock {
            name_zh: "大风禁开遮阳网".to_owned(),
            station: StationId::parse("58819").unwrap_or_else(|e| panic!("{e}")),
            element: Element::WinSAvg2mi,
            bound: Bound::Below(10.8),
            max_age_s: 600,
        }
    }

    fn at(value: f64, age_s: i64) -> Option<Reading> {
        Some(Reading {
            value,
            time: NOW.plus_ms(-age_s * 1_000),
        })
    }

    #[test]
    fn an_interlock_fails_closed() {
        let cases = [
            (at(3.2, 60), None),
            (at(10.8, 60), Some(RefusalCause::OutOfBound)),
            (at(14.0, 60), Some(RefusalCause::OutOfBound)),
            (at(3.2, 601), Some(RefusalCause::Stale)),
            (at(f64::NAN, 0), Some(RefusalCause::OutOfBound)),
            (None, Some(RefusalCause::Missing)),
        ];
        for (reading, expected) in cases {
            let verdict = wind_lock().judge(reading, NOW);
            assert_eq!(verdict.err().map(|r| r.why), expected, "{reading:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_interlock_and_the_reading() {
        let refusal = wind_lock().judge(at(14.0, 60), NOW).err();
        let text = refusal.map(|r| r.to_string()).unwrap_or_default();
        assert_eq!(
            text,
            "大风禁开遮阳网: 58819 WIN_S_Avg_2mi must be < 10.8; reading is 14"
        );
    }

    #[test]
    fn the_first_refusing_interlock_is_told() {
        let frost = Interlock {
            name_zh: "仅霜冻时开风机".to_owned(),
            bound: Bound::Above(100.0),
            ..wind_lock()
        };
        let locks = [wind_lock(), frost];
        let verdict = judge_all(&locks, |_, _| at(5.0, 10), NOW);
        assert_eq!(
            verdict.err().map(|r| r.interlock),
            Some("仅霜冻时开风机".to_owned())
        );
    }

    #[test]
    fn limits_and_ages_are_checked() {
        let bad_limit = Interlock {
            bound: Bound::Below(f64::INFINITY),
            ..wind_lock()
        };
        let bad_age = Interlock {
            max_age_s: 0,
            ..wind_lock()
        };
        assert!(wind_lock().validate().is_ok());
        assert!(bad_limit.validate().is_err());
        assert!(bad_age.validate().is_err());
    }
}
