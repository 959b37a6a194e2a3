//! Quality control in the spirit of CMA's surface-observation QC (QX/T 118): which tests a
//! value failed, and the tests themselves as pure functions: data in, flags out. Flags are kept
//! with the data and never delete it; a view can show the raw value and say which test
//! flagged it.
//!
//! | test | module | what fails |
//! |---|---|---|
//! | [`QcTest::Range`] | [`range`], [`limits`] | outside the month's climatological limits at the station's altitude |
//! | [`QcTest::Consistency`] | [`consistency`] | a relation between elements of one observation (gust ≥ mean …); both sides flagged |
//! | [`QcTest::Step`] | [`step`] | changed faster than the element can; a spike flags itself, not its neighbours |
//! | [`QcTest::Persistence`] | [`persistence`] | unchanged for longer than plausible; the whole run flagged |
//! | [`QcTest::Spatial`] | [`spatial`] | departs from the neighbours' median after altitude adjustment |
//!
//! [`evaluate()`] runs them all over one station's window; [`QcConfig`] holds their parameters
//! and says what a caller must load ([`QcConfig::plan`]).
//!
//! Every flag means *suspect* (可疑): ingest refuses values outside the physical range, the
//! only ones QC could call *wrong* (错误) on its own. A person confirms or clears a suspect
//! value; the raw value is always kept.

mod config;
pub mod consistency;
mod evaluate;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod limits;
pub mod persistence;
pub mod physics;
pub mod range;
pub mod spatial;
pub mod step;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use config::{Plan, QcConfig};
pub use evaluate::{StationWindow, alone_lookback_ms, evaluate, judged_alone, judged_with};
pub use limits::{ClimateLimits, LimitsError};

/// One quality-control test, in the spirit of CMA's surface-observation QC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QcTest {
    /// Outside the climatological range for the month at the station's altitude.
    Range,
    /// Inconsistent with other elements of the same observation (dew point ≤ temperature,
    /// gust ≥ mean …).
    Consistency,
    /// Changed more from the previous value than the element can in that time.
    Step,
    /// Stuck: unchanged for longer than the element plausibly stays constant.
    Persistence,
    /// Disagrees with neighbouring stations beyond what distance and altitude explain.
    Spatial,
}

impl QcTest {
    /// Every test, in the order flags list them.
    pub const ALL: [Self; 5] = [
        Self::Range,
        Self::Consistency,
        Self::Step,
        Self::Persistence,
        Self::Spatial,
    ];

    const fn bit(self) -> u8 {
        match self {
            Self::Range => 1,
            Self::Consistency => 1 << 1,
            Self::Step => 1 << 2,
            Self::Persistence => 1 << 3,
            Self::Spatial => 1 << 4,
        }
    }

    /// Stable code on the wire and in exports.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Range => "range",
            Self::Consistency => "consistency",
            Self::Step => "step",
            Self::Persistence => "persistence",
            Self::Spatial => "spatial",
        }
    }
}

/// One value's current flags, as the desk learns them with the value or when QC re-judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QcMark {
    /// Station.
    pub station: crate::domain::StationId,
    /// Element.
    pub element: crate::domain::Element,
    /// Observation time.
    pub time: crate::domain::Timestamp,
    /// The flags it carries now ([`QcFlags::PASSED`] clears earlier ones).
    pub flags: QcFlags,
}

/// The set of tests a value failed; empty means it passed (or was not checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QcFlags(u8);

impl QcFlags {
    /// No test failed.
    pub const PASSED: Self = Self(0);

    /// The flags as stored (the `qc` column).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Flags read back from storage; unknown bits are kept, so nothing is lost.
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    /// These flags plus `test`.
    #[must_use]
    pub const fn with(self, test: QcTest) -> Self {
        Self(self.0 | test.bit())
    }

    /// The tests of either set: what flagged any of two groups of values.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether `test` flagged the value.
    pub const fn has(self, test: QcTest) -> bool {
        self.0 & test.bit() != 0
    }

    /// Whether no test flagged the value.
    pub const fn passed(self) -> bool {
        self.0 == 0
    }

    /// The tests that flagged the value.
    pub fn tests(self) -> impl Iterator<Item = QcTest> {
        QcTest::ALL.into_iter().filter(move |t| self.has(*t))
    }
}

impl FromIterator<QcTest> for QcFlags {
    fn from_iter<I: IntoIterator<Item = QcTest>>(iter: I) -> Self {
        iter.into_iter().fold(Self::PASSED, Self::with)
    }
}

impl fmt::Display for QcFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<&str> = self.tests().map(QcTest::code).collect();
        f.write_str(&codes.join(","))
    }
}

/// On the wire, flags are the list of failed tests: `["step", "spatial"]`.
impl Serialize for QcFlags {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.tests())
    }
}

impl<'de> Deserialize<'de> for QcFlags {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<QcTest>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_through_bits_and_json() {
        let flags: QcFlags = [QcTest::Step, QcTest::Spatial].into_iter().collect();
        assert!(flags.has(QcTest::Step) && !flags.has(QcTest::Range));
        assert_eq!(QcFlags::from_bits(flags.bits()), flags);
        let json = serde_json::to_string(&flags).unwrap();
        assert_eq!(json, r#"["step","spatial"]"#);
        assert_eq!(serde_json::from_str::<QcFlags>(&json).unwrap(), flags);
        assert_eq!(flags.to_string(), "step,spatial");
        assert!(QcFlags::PASSED.passed());
    }
}
