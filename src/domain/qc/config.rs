//! Everything the QC rules are parameterised by, with Qingliu's defaults, and what a caller
//! must load to evaluate a batch.

use std::collections::BTreeMap;
use std::ops::{Range, RangeInclusive};

use super::consistency::ConsistencyLimits;
use super::limits::ClimateLimits;
use super::persistence::{self, PersistenceRule};
use super::spatial::SpatialConfig;
use super::step;
use crate::domain::time::MINUTE_MS;
use crate::domain::{Element, Timestamp};

/// The parameters of every QC test.
#[derive(Debug, Clone, PartialEq)]
pub struct QcConfig {
    /// Climatological limits (range test).
    pub limits: ClimateLimits,
    /// Tolerances of the internal-consistency relations.
    pub consistency: ConsistencyLimits,
    /// Largest plausible change per minute, per step-checked element.
    pub step_per_minute: BTreeMap<Element, f64>,
    /// When a run of unchanged values is stuck, per persistence-checked element.
    pub persistence: BTreeMap<Element, PersistenceRule>,
    /// The neighbour comparison.
    pub spatial: SpatialConfig,
    /// Values of one series further apart than this are neither compared by the step test nor
    /// joined into one run by the persistence test.
    pub max_gap_ms: i64,
}

/// What to load and what to evaluate for one batch of new values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Evaluate (and write the flags of) every value of the station in this range: it starts
    /// before the batch because a new value can make earlier ones stuck (a run reaching its
    /// duration flags back to its start) or settle whether the value before it was a spike.
    pub evaluate: Range<Timestamp>,
    /// Load the station's and its neighbours' values in this range: history for the step
    /// and persistence tests, and what follows for spikes.
    pub load: Range<Timestamp>,
}

impl QcConfig {
    /// The defaults described at each test, with these climatological limits.
    pub fn new(limits: ClimateLimits) -> Self {
        Self {
            limits,
            consistency: ConsistencyLimits::default(),
            step_per_minute: step::default_rates(),
            persistence: persistence::default_rules(),
            spatial: SpatialConfig::default(),
            max_gap_ms: 10 * MINUTE_MS,
        }
    }

    /// The longest run the persistence test needs to see, ms.
    pub fn longest_run_ms(&self) -> i64 {
        self.persistence
            .values()
            .map(|rule| rule.min_duration_ms)
            .max()
            .unwrap_or(0)
    }

    /// For a batch whose values span `batch` (earliest to latest time): with the defaults,
    /// evaluate from 120 minutes before its first value and load from 250 minutes before it to
    /// 10 minutes after its last. New values also change their neighbours' spatial test at the
    /// same instants: evaluate each neighbour over `batch` too.
    pub fn plan(&self, batch: RangeInclusive<Timestamp>) -> Plan {
        let run = self.longest_run_ms();
        let evaluate = batch.start().plus_ms(-run)..batch.end().plus_ms(1);
        let load =
            evaluate.start.plus_ms(-run - self.max_gap_ms)..evaluate.end.plus_ms(self.max_gap_ms);
        Plan { evaluate, load }
    }
}
