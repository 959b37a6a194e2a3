//! History at any range: a series reduced to a bounded number of time buckets (at most about
//! one per pixel column), each keeping its extremes, first and last values, so that drawing the
//! view looks the same as drawing every point while costing O(pixels), not O(points).
//!
//! The reduction is exact, not sampled: a view's buckets are built from pre-aggregated
//! [`Level`]s whose buckets nest (10 min ⊂ 1 h ⊂ 4 h ⊂ 1 day, aligned to Beijing time), merged
//! in aligned groups, so every bucket's min, max, count and sum are those of the raw values
//! stamped in `(start, end]` (a value is stamped at the end of the period it covers). [`Pyramid`] does this in memory; the store does it from rollup tables with
//! the same [`plan`] and the same [`Aggregate`] arithmetic.
//!
//! Quality control never deletes data, so each bucket summarises two sets: every value
//! (`all`) and the values that passed every QC test (`passed`). A view can show raw and QC'd
//! side by side from one query.

mod gaps;
mod level;
mod pyramid;

use serde::{Deserialize, Serialize};

use super::element::Element;
use super::network::StationId;
use super::observation::Source;
use super::qc::QcFlags;
use super::time::Timestamp;

pub use gaps::{Completeness, Gap, GapCause, GapFacts, MIN_GAP_MS, find_gaps, typical_interval};
pub use level::{Level, ViewPlan, plan};
pub use pyramid::{Pyramid, decimate};

/// One stored value with what is known about it: the unit a pyramid is built from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Observation time.
    pub time: Timestamp,
    /// The value, SI units.
    pub value: f64,
    /// Provenance.
    pub source: Source,
    /// QC tests it failed.
    pub qc: QcFlags,
}

impl Sample {
    /// A live value that passed QC (or was not checked): for tests and simple callers.
    pub const fn live(time: Timestamp, value: f64) -> Self {
        Self {
            time,
            value,
            source: Source::Live,
            qc: QcFlags::PASSED,
        }
    }
}

/// The set of [`Source`]s present among some values; on the wire, their names:
/// `["live", "backfilled"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SourceSet(u8);

impl Serialize for SourceSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.sources())
    }
}

impl<'de> Deserialize<'de> for SourceSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Source>::deserialize(deserializer)?
            .into_iter()
            .fold(Self::EMPTY, |set, s| set.union(Self::of(s))))
    }
}

impl SourceSet {
    /// No source.
    pub const EMPTY: Self = Self(0);

    /// The set holding only `source`.
    pub const fn of(source: Source) -> Self {
        Self(1 << source.storage_id())
    }

    /// This set plus `other`.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether `source` is in the set.
    pub const fn contains(self, source: Source) -> bool {
        self.0 & (1 << source.storage_id()) != 0
    }

    /// As stored.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// From storage; unknown bits are kept.
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    /// The sources in the set, in storage order.
    pub fn sources(self) -> impl Iterator<Item = Source> {
        [
            Source::Live,
            Source::Backfilled,
            Source::Imported,
            Source::Manual,
        ]
        .into_iter()
        .filter(move |&s| self.contains(s))
    }

    /// Whether any value came from somewhere other than the live feed.
    pub const fn has_late_or_imported(self) -> bool {
        self.0 & !Self::of(Source::Live).0 != 0
    }
}

/// What is known of a set of values: count, sum, extremes with their times, the first and the
/// last value, and where they came from. Merging two summaries of disjoint sets gives the
/// summary of their union (up to float rounding of `sum`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub count: u32,
    /// Sum of the values (with `count`, the mean; for precipitation, the amount).
    pub sum: f64,
    /// Smallest value.
    pub min: f64,
    /// When the smallest value was observed (the earliest, on ties).
    pub min_at: Timestamp,
    /// Largest value.
    pub max: f64,
    /// When the largest value was observed (the earliest, on ties).
    pub max_at: Timestamp,
    /// Time of the earliest value.
    pub first_at: Timestamp,
    /// The earliest value.
    pub first: f64,
    /// Time of the latest value.
    pub last_at: Timestamp,
    /// The latest value.
    pub last: f64,
    /// Where the values came from.
    pub sources: SourceSet,
}

impl Summary {
    /// The summary of one value.
    pub fn of(time: Timestamp, value: f64, source: Source) -> Self {
        Self {
            count: 1,
            sum: value,
            min: value,
            min_at: time,
            max: value,
            max_at: time,
            first_at: time,
            first: value,
            last_at: time,
            last: value,
            sources: SourceSet::of(source),
        }
    }

    /// Adds the summary of a disjoint set of values.
    pub fn merge(&mut self, other: &Self) {
        self.count += other.count;
        self.sum += other.sum;
        if other.min < self.min || (other.min == self.min && other.min_at < self.min_at) {
            (self.min, self.min_at) = (other.min, other.min_at);
        }
        if other.max > self.max || (other.max == self.max && other.max_at < self.max_at) {
            (self.max, self.max_at) = (other.max, other.max_at);
        }
        if other.first_at < self.first_at {
            (self.first, self.first_at) = (other.first, other.first_at);
        }
        if other.last_at > self.last_at {
            (self.last, self.last_at) = (other.last, other.last_at);
        }
        self.sources = self.sources.union(other.sources);
    }

    /// The mean of the values.
    pub fn mean(&self) -> f64 {
        self.sum / f64::from(self.count.max(1))
    }
}

/// Merges `other` into an optional summary.
fn merge_into(target: &mut Option<Summary>, other: Option<&Summary>) {
    match (target.as_mut(), other) {
        (Some(t), Some(o)) => t.merge(o),
        (None, Some(o)) => *target = Some(*o),
        (_, None) => {}
    }
}

/// Summaries of every value and of the values that passed QC.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Every value, flagged or not.
    pub all: Summary,
    /// The values no QC test flagged, if any.
    pub passed: Option<Summary>,
    /// Every test that flagged one of the values.
    pub tests: QcFlags,
}

impl Aggregate {
    /// The aggregate of one sample.
    pub fn of(sample: &Sample) -> Self {
        let summary = Summary::of(sample.time, sample.value, sample.source);
        Self {
            all: summary,
            passed: sample.qc.passed().then_some(summary),
            tests: sample.qc,
        }
    }

    /// Adds the aggregate of a disjoint set of values.
    pub fn merge(&mut self, other: &Self) {
        self.all.merge(&other.all);
        merge_into(&mut self.passed, other.passed.as_ref());
        self.tests = self.tests.union(other.tests);
    }

    /// Values some QC test flagged.
    pub fn flagged(&self) -> u32 {
        self.all.count - self.passed.map_or(0, |p| p.count)
    }

    /// The summary of the chosen values, if there are any.
    pub fn summary(&self, which: Which) -> Option<&Summary> {
        match which {
            Which::All => Some(&self.all),
            Which::Passed => self.passed.as_ref(),
        }
    }
}

/// Which values a view draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    /// Every value as received (raw).
    #[default]
    All,
    /// Only values that passed quality control (QC'd).
    Passed,
}

/// The values of one series stamped in `(start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Start, exclusive.
    pub start: Timestamp,
    /// End, inclusive.
    pub end: Timestamp,
    /// What is in it.
    pub values: Aggregate,
}

/// One series over a time range, reduced for drawing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// Start of the range asked for, exclusive.
    pub from: Timestamp,
    /// End of the range asked for, inclusive.
    pub to: Timestamp,
    /// The level the buckets were built from.
    pub level: Level,
    /// Width of every bucket, ms (buckets are aligned to multiples of it in Beijing time).
    pub bucket_ms: i64,
    /// Non-empty buckets in time order; an empty stretch is a gap.
    pub buckets: Vec<Bucket>,
}

impl View {
    /// Summary of every value in the view (of the chosen set), if any.
    pub fn total(&self, which: Which) -> Option<Summary> {
        let mut total = None;
        for bucket in &self.buckets {
            merge_into(&mut total, bucket.values.summary(which));
        }
        total
    }

    /// Values in the view that some QC test flagged.
    pub fn flagged(&self) -> u32 {
        self.buckets.iter().map(|b| b.values.flagged()).sum()
    }

    /// Every test that flagged a value in the view.
    pub fn tests(&self) -> QcFlags {
        self.buckets
            .iter()
            .fold(QcFlags::PASSED, |t, b| t.union(b.values.tests))
    }
}

/// What a chart asks for: one series over `(from, to]` at about `columns` buckets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ViewRequest {
    /// The station.
    pub station: StationId,
    /// The element.
    pub element: Element,
    /// Start, exclusive.
    pub from: Timestamp,
    /// End, inclusive.
    pub to: Timestamp,
    /// How many buckets the chart can show (its width in pixels, say).
    pub columns: usize,
}

impl ViewRequest {
    /// The plan the request describes.
    pub fn plan(&self) -> ViewPlan {
        plan(self.from, self.to, self.columns)
    }
}

/// The gaps of one set of values (raw or QC'd) in a view and how complete it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// Silences long enough to draw, with their causes where known.
    pub gaps: Vec<Gap>,
    /// Values present against values expected.
    pub completeness: Completeness,
}

/// A series view with what is known of its gaps: what a history chart draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesView {
    /// What was asked for.
    pub request: ViewRequest,
    /// The buckets.
    pub view: View,
    /// Gaps and completeness of every value.
    pub raw: Coverage,
    /// Gaps and completeness of the values that passed QC.
    pub passed: Coverage,
}

impl SeriesView {
    /// The coverage of the chosen values.
    pub fn coverage(&self, which: Which) -> &Coverage {
        match which {
            Which::All => &self.raw,
            Which::Passed => &self.passed,
        }
    }
}

/// Groups time-ordered rows of the plan's level — `(bucket start, aggregate)` of a rollup, or
/// `(time, aggregate)` of raw values — into buckets of `plan.bucket_ms` aligned in Beijing
/// time, keeping only rows inside the plan's buckets. The one grouping step both [`Pyramid`]
/// and the store use.
pub fn group(plan: &ViewPlan, rows: impl IntoIterator<Item = (Timestamp, Aggregate)>) -> View {
    let raw = plan.level == Level::Raw;
    let mut buckets: Vec<Bucket> = Vec::new();
    for (key, aggregate) in rows {
        // A raw value stamped t lies in (start, end]; a rollup row is a bucket start.
        let start = if raw { key.plus_ms(-1) } else { key };
        if start < plan.first_row || start >= plan.end_row {
            continue;
        }
        let group_start = start.floor_beijing(plan.bucket_ms);
        match buckets.last_mut() {
            Some(bucket) if bucket.start == group_start => bucket.values.merge(&aggregate),
            _ => buckets.push(Bucket {
                start: group_start,
                end: group_start.plus_ms(plan.bucket_ms),
                values: aggregate,
            }),
        }
    }
    View {
        from: plan.from,
        to: plan.to,
        level: plan.level,
        bucket_ms: plan.bucket_ms,
        buckets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::qc::QcTest;

    #[test]
    fn merge_keeps_extremes_with_their_times_and_the_ends() {
        let mut a = Summary::of(Timestamp(10), 5.0, Source::Live);
        a.merge(&Summary::of(Timestamp(20), 1.0, Source::Live));
        a.merge(&Summary::of(Timestamp(5), 9.0, Source::Backfilled));
        a.merge(&Summary::of(Timestamp(30), 1.0, Source::Live));
        assert_eq!((a.count, a.sum), (4, 16.0));
        assert_eq!((a.min, a.min_at), (1.0, Timestamp(20)), "earliest on ties");
        assert_eq!((a.max, a.max_at), (9.0, Timestamp(5)));
        assert_eq!((a.first_at, a.first), (Timestamp(5), 9.0));
        assert_eq!((a.last_at, a.last), (Timestamp(30), 1.0));
        assert!(a.sources.contains(Source::Backfilled) && a.sources.contains(Source::Live));
        assert!(a.sources.has_late_or_imported());
        assert!(!SourceSet::of(Source::Live).has_late_or_imported());
        let json = serde_json::to_string(&a.sources).unwrap();
        assert_eq!(json, r#"["live","backfilled"]"#);
        assert_eq!(serde_json::from_str::<SourceSet>(&json).unwrap(), a.sources);
    }

    #[test]
    fn aggregates_keep_flagged_values_apart() {
        let flagged = Sample {
            qc: QcFlags::PASSED.with(QcTest::Step),
            ..Sample::live(Timestamp(0), 40.0)
        };
        let mut aggregate = Aggregate::of(&flagged);
        assert_eq!(aggregate.passed, None);
        aggregate.merge(&Aggregate::of(&Sample::live(Timestamp(60_000), 12.0)));
        assert_eq!(aggregate.all.max, 40.0);
        assert_eq!(aggregate.passed.map(|p| p.max), Some(12.0));
        assert_eq!(aggregate.flagged(), 1);
        assert_eq!(aggregate.summary(Which::Passed).map(|s| s.count), Some(1));
    }
}
