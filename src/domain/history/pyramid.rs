//! The pyramid in memory: rollups of every level built from samples, and views read from
//! them. The store keeps the same rollups in tables; this is the reference it is tested
//! against, and what a caller holding a series in memory can use directly.

use super::level::{Level, ViewPlan};
use super::{Aggregate, Bucket, Sample, View, group};
use crate::domain::time::Timestamp;

/// One series' samples and its rollups at every level.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pyramid {
    samples: Vec<Sample>,
    /// Per rollup level (in [`Level::ROLLUPS`] order): `(bucket start, aggregate)` in time order.
    rollups: [Vec<(Timestamp, Aggregate)>; Level::ROLLUPS.len()],
}

impl Pyramid {
    /// Builds the pyramid of `samples` (any order; at most one per instant: a later duplicate
    /// replaces an earlier one, as in the store).
    pub fn build(mut samples: Vec<Sample>) -> Self {
        samples.sort_by_key(|s| s.time);
        samples.dedup_by(|later, earlier| {
            let same = later.time == earlier.time;
            if same {
                *earlier = *later;
            }
            same
        });
        let mut rollups: [Vec<(Timestamp, Aggregate)>; Level::ROLLUPS.len()] = Default::default();
        let mut finer: Vec<(Timestamp, Aggregate)> = Vec::new();
        for sample in &samples {
            let start = Level::ROLLUPS[0].bucket_of(sample.time);
            push_merged(&mut finer, start, &Aggregate::of(sample));
        }
        rollups[0].clone_from(&finer);
        for (slot, level) in rollups.iter_mut().zip(Level::ROLLUPS).skip(1) {
            *slot = roll_up(level, &finer);
            finer.clone_from(slot);
        }
        Self { samples, rollups }
    }

    /// The samples, in time order.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The rows of a level, in time order (raw samples as one-value aggregates).
    pub fn rows(&self, level: Level) -> Vec<(Timestamp, Aggregate)> {
        match Level::ROLLUPS.iter().position(|&l| l == level) {
            Some(index) => self.rollups[index].clone(),
            None => self
                .samples
                .iter()
                .map(|s| (s.time, Aggregate::of(s)))
                .collect(),
        }
    }

    /// The view that `plan` describes.
    pub fn view(&self, plan: &ViewPlan) -> View {
        let in_range = |rows: &[(Timestamp, Aggregate)]| {
            let lo = rows.partition_point(|(t, _)| *t < plan.first_row);
            let hi = rows.partition_point(|(t, _)| *t < plan.end_row);
            rows[lo..hi].to_vec()
        };
        match Level::ROLLUPS.iter().position(|&l| l == plan.level) {
            Some(index) => group(plan, in_range(&self.rollups[index])),
            None => {
                let lo = self.samples.partition_point(|s| s.time <= plan.first_row);
                let hi = self.samples.partition_point(|s| s.time <= plan.end_row);
                group(
                    plan,
                    self.samples[lo..hi]
                        .iter()
                        .map(|s| (s.time, Aggregate::of(s))),
                )
            }
        }
    }
}

/// Rolls time-ordered rows of the next finer level up into `level`'s buckets.
pub fn roll_up(level: Level, finer: &[(Timestamp, Aggregate)]) -> Vec<(Timestamp, Aggregate)> {
    let mut out: Vec<(Timestamp, Aggregate)> = Vec::new();
    for (start, aggregate) in finer {
        push_merged(&mut out, level.parent_of(*start), aggregate);
    }
    out
}

/// Appends to time-ordered rows, merging into the last one when it has the same start.
fn push_merged(rows: &mut Vec<(Timestamp, Aggregate)>, start: Timestamp, aggregate: &Aggregate) {
    match rows.last_mut() {
        Some((s, a)) if *s == start => a.merge(aggregate),
        _ => rows.push((start, *aggregate)),
    }
}

/// The reference reduction: every sample folded straight into the buckets of `plan`, without
/// any rollup. Slow (it reads every value) and obviously right; views must equal it.
pub fn decimate(samples: &[Sample], plan: &ViewPlan) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = Vec::new();
    for sample in samples
        .iter()
        .filter(|s| s.time > plan.first_row && s.time <= plan.end_row)
    {
        let start = sample.time.plus_ms(-1).floor_beijing(plan.bucket_ms);
        let aggregate = Aggregate::of(sample);
        match buckets.iter_mut().find(|b| b.start == start) {
            Some(bucket) => bucket.values.merge(&aggregate),
            None => buckets.push(Bucket {
                start,
                end: start.plus_ms(plan.bucket_ms),
                values: aggregate,
            }),
        }
    }
    buckets.sort_by_key(|b| b.start);
    buckets
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::Source;
    use crate::domain::history::{Summary, Which, plan};
    use crate::domain::qc::{QcFlags, QcTest};
    use crate::domain::time::{DAY_MS, MINUTE_MS};

    /// 2026-01-01T00:00:00Z.
    const ORIGIN: i64 = 1_767_225_600_000;

    /// Equal but for the float rounding that a different summation order gives `sum`.
    fn same_summary(a: &Summary, b: &Summary) -> bool {
        let tolerance = 1e-9 * (1.0 + a.sum.abs());
        (a.sum - b.sum).abs() <= tolerance && Summary { sum: b.sum, ..*a } == *b
    }

    fn same_buckets(view: &[Bucket], reference: &[Bucket]) -> Result<(), String> {
        if view.len() != reference.len() {
            let starts = |b: &[Bucket]| {
                b.iter()
                    .map(|b| (b.start.to_rfc3339(), b.values.all.count))
                    .collect::<Vec<_>>()
            };
            return Err(format!(
                "{:?} vs reference {:?}",
                starts(view),
                starts(reference)
            ));
        }
        for (v, r) in view.iter().zip(reference) {
            let passed_same = match (&v.values.passed, &r.values.passed) {
                (Some(a), Some(b)) => same_summary(a, b),
                (None, None) => true,
                _ => false,
            };
            if v.start != r.start
                || v.end != r.end
                || !same_summary(&v.values.all, &r.values.all)
                || !passed_same
            {
                return Err(format!("bucket {v:?} differs from {r:?}"));
            }
        }
        Ok(())
    }

    /// A series over up to a year with steps, spikes, flagged values, sources and outages.
    fn series() -> impl Strategy<Value = Vec<Sample>> {
        prop::collection::vec((1i64..600, -30.0f64..40.0, 0u8..4, 0u8..8), 1..4000).prop_map(
            |steps| {
                let mut t = ORIGIN;
                steps
                    .into_iter()
                    .map(|(gap_minutes, value, source, qc)| {
                        // Mostly minute steps, sometimes an outage of hours.
                        let step = if gap_minutes > 590 {
                            gap_minutes * 60
                        } else {
                            1
                        };
                        t += step * MINUTE_MS;
                        Sample {
                            time: Timestamp(t),
                            value: (value * 10.0).round() / 10.0,
                            source: Source::from_storage_id(source),
                            qc: if qc == 0 {
                                QcFlags::PASSED.with(QcTest::Spatial)
                            } else {
                                QcFlags::PASSED
                            },
                        }
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #![proptest_config(crate::test_support::proptest_config(
            "tests/data/proptest-regressions/history_pyramid.txt",
        ))]
        #[test]
        fn views_equal_the_reference_at_every_range(
            samples in series(),
            from_frac in 0.0f64..1.0,
            span_minutes in 10i64..(400 * 24 * 60),
            columns in 1usize..2000,
        ) {
            let pyramid = Pyramid::build(samples.clone());
            let first = pyramid.samples()[0].time.millis();
            let last = pyramid.samples().last().map_or(first, |s| s.time.millis());
            let from = Timestamp(first + ((last - first) as f64 * from_frac) as i64 - DAY_MS);
            let plan = plan(from, from.plus_ms(span_minutes * MINUTE_MS), columns);
            let view = pyramid.view(&plan);
            let reference = decimate(pyramid.samples(), &plan);
            prop_assert!(same_buckets(&view.buckets, &reference).is_ok(),
                "{:?}", same_buckets(&view.buckets, &reference));
            prop_assert!(view.buckets.len() <= 2 * columns + 2);
        }

        #[test]
        fn every_extreme_survives_decimation(samples in series(), columns in 1usize..1500) {
            let pyramid = Pyramid::build(samples);
            let samples = pyramid.samples();
            let from = samples[0].time.plus_ms(-1);
            let to = samples[samples.len() - 1].time;
            let view = pyramid.view(&plan(from, to, columns));
            // Every value lies inside the range of the bucket holding it …
            for sample in samples {
                let bucket = view.buckets.iter().find(|b| b.start < sample.time && sample.time <= b.end);
                let bucket = bucket.expect("every value is in a bucket");
                prop_assert!(bucket.values.all.min <= sample.value && sample.value <= bucket.values.all.max);
            }
            // … and the series' own extremes are some bucket's, at the right time.
            let max = samples.iter().map(|s| s.value).fold(f64::MIN, f64::max);
            let min = samples.iter().map(|s| s.value).fold(f64::MAX, f64::min);
            let total = view.total(Which::All).expect("values");
            prop_assert_eq!((total.min, total.max), (min, max));
            prop_assert_eq!(total.count as usize, samples.len());
            let max_at = samples.iter().find(|s| s.value == max).map(|s| s.time);
            prop_assert_eq!(Some(total.max_at), max_at);
        }
    }

    #[test]
    fn a_later_duplicate_replaces_the_earlier() {
        let t = Timestamp(ORIGIN);
        let pyramid = Pyramid::build(vec![Sample::live(t, 1.0), Sample::live(t, 2.0)]);
        assert_eq!(pyramid.samples().len(), 1);
        assert_eq!(pyramid.samples()[0].value, 2.0);
    }

    #[test]
    fn a_year_of_minutes_views_in_a_bounded_number_of_buckets() {
        let samples: Vec<Sample> = (1..=365 * 24 * 60)
            .map(|m| Sample::live(Timestamp(ORIGIN + m * MINUTE_MS), (m % 1440) as f64 / 100.0))
            .collect();
        let pyramid = Pyramid::build(samples);
        let from = Timestamp(ORIGIN);
        let view = pyramid.view(&plan(from, from.plus_ms(365 * DAY_MS), 1000));
        assert_eq!(view.level, Level::FourHours);
        assert_eq!(view.buckets.len(), 365 * 3);
        assert_eq!(view.total(Which::All).map(|t| t.count), Some(365 * 24 * 60));
    }
}
