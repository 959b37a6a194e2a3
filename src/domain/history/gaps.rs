//! Gaps and completeness of a view: where a series has no values, why (when that is known),
//! and what share of the expected values is there.

use serde::{Deserialize, Serialize};

use super::{View, Which};
use crate::domain::time::{MINUTE_MS, Timestamp};

/// Why a series has no values over a stretch of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapCause {
    /// The station reported other elements but not this one (a sensor fault, or an element
    /// the station does not measure then).
    NoData,
    /// Values were received but quality control flagged every one (QC'd views only).
    QcRejected,
    /// The station reported nothing at all: down, or its link was.
    StationOffline,
    /// A technician had recorded maintenance of the station.
    Maintenance,
}

/// What is known about the time inside a gap, gathered by whoever holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GapFacts {
    /// A maintenance window of the station overlaps the gap.
    pub maintenance: bool,
    /// Values of this element were received in the gap, all of them flagged (a QC'd view).
    pub flagged_values: bool,
    /// The station reported some other element in the gap.
    pub station_reported: bool,
}

impl GapCause {
    /// The cause the facts point to; maintenance explains anything, QC explains a gap where
    /// values exist, silence of the whole station explains the rest.
    pub const fn classify(facts: GapFacts) -> Self {
        if facts.maintenance {
            Self::Maintenance
        } else if facts.flagged_values {
            Self::QcRejected
        } else if facts.station_reported {
            Self::NoData
        } else {
            Self::StationOffline
        }
    }
}

/// A stretch with no values: strictly between `after` (the last value before it, or the
/// view's start) and `before` (the next value, or the end of what can exist yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Last value before the gap (or the view's start).
    pub after: Timestamp,
    /// First value after the gap (or the view's end, or now).
    pub before: Timestamp,
    /// Why, when known.
    pub cause: Option<GapCause>,
}

impl Gap {
    /// Length of the gap, ms.
    pub fn duration_ms(&self) -> i64 {
        self.before.millis() - self.after.millis()
    }
}

/// The shortest silence that counts as a gap, whatever the cadence: a missed minute or two is
/// noise, not an outage.
pub const MIN_GAP_MS: i64 = 5 * MINUTE_MS;

/// The series' usual interval between values in the view: the median of the intervals seen
/// within buckets (their mean spacing) and between neighbouring buckets. `None` with fewer
/// than two values.
pub fn typical_interval(view: &View, which: Which) -> Option<i64> {
    let summaries: Vec<_> = view
        .buckets
        .iter()
        .filter_map(|b| b.values.summary(which))
        .collect();
    let within = summaries
        .iter()
        .filter(|s| s.count >= 2)
        .map(|s| (s.last_at.millis() - s.first_at.millis()) / i64::from(s.count - 1));
    let between = summaries
        .windows(2)
        .map(|w| w[1].first_at.millis() - w[0].last_at.millis());
    let mut intervals: Vec<i64> = within.chain(between).filter(|&i| i > 0).collect();
    if intervals.is_empty() {
        return None;
    }
    let middle = intervals.len() / 2;
    Some(*intervals.select_nth_unstable(middle).1)
}

/// The silences in a view longer than `max(2.5 × the typical interval, MIN_GAP_MS)`, with
/// no cause yet (see [`GapCause::classify`]). Nothing after `now` is a gap: it has not
/// happened. Silences shorter than a bucket inside one bucket cannot be seen at this zoom
/// (they still count against [`Completeness`]).
pub fn find_gaps(view: &View, which: Which, now: Timestamp) -> Vec<Gap> {
    let end = view.to.min(now);
    if end <= view.from {
        return Vec::new();
    }
    let threshold =
        typical_interval(view, which).map_or(MIN_GAP_MS, |i| (i * 5 / 2).max(MIN_GAP_MS));
    let gap = |after: Timestamp, before: Timestamp| Gap {
        after,
        before,
        cause: None,
    };
    let mut gaps = Vec::new();
    let mut previous: Option<Timestamp> = None;
    for summary in view.buckets.iter().filter_map(|b| b.values.summary(which)) {
        let after = previous.unwrap_or(view.from);
        // Before the first value, silence counts from the view's start.
        let before = summary.first_at;
        if before > after && before.millis() - after.millis() > threshold && before > view.from {
            gaps.push(gap(after.max(view.from), before.min(end)));
        }
        previous = Some(summary.last_at);
    }
    let after = previous.unwrap_or(view.from).max(view.from);
    if end.millis() - after.millis() > threshold {
        gaps.push(gap(after, end));
    }
    gaps
}

/// How much of a view's expected data is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completeness {
    /// Values present (at most the expected number in any bucket).
    pub values: u64,
    /// Values expected at the series' typical interval over the view, up to now.
    pub expected: u64,
    /// The interval expected values are counted at, ms.
    pub interval_ms: i64,
}

impl Completeness {
    /// The view's completeness at `interval_ms` (typically [`typical_interval`]): each bucket
    /// contributes at most the values its width holds at that interval, so a dense stretch
    /// cannot make up for an empty one.
    pub fn of(view: &View, which: Which, now: Timestamp, interval_ms: i64) -> Self {
        let interval_ms = interval_ms.max(1);
        let end = view.to.min(now);
        let span = (end.millis() - view.from.millis()).max(0);
        let expected = u64::try_from(span / interval_ms).unwrap_or(0);
        let values: u64 = view
            .buckets
            .iter()
            .filter(|b| b.start < end)
            .filter_map(|b| {
                let summary = b.values.summary(which)?;
                let lo = b.start.max(view.from).millis();
                let hi = b.end.min(end).millis();
                // A half-open stretch of width w holds at most ⌈w / interval⌉ values.
                let room = u64::try_from((hi - lo + interval_ms - 1) / interval_ms).unwrap_or(0);
                Some(u64::from(summary.count).min(room))
            })
            .sum();
        Self {
            values: values.min(expected),
            expected,
            interval_ms,
        }
    }

    /// Present over expected, 0–1 (1 when nothing was expected).
    pub fn ratio(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.values as f64 / self.expected as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::{Pyramid, Sample, plan};
    use crate::domain::qc::{QcFlags, QcTest};
    use crate::domain::time::HOUR_MS;

    const ORIGIN: i64 = 1_767_225_600_000;

    fn minutes(ranges: &[(i64, i64)]) -> Vec<Sample> {
        ranges
            .iter()
            .flat_map(|&(a, b)| a + 1..=b)
            .map(|m| Sample::live(Timestamp(ORIGIN + m * MINUTE_MS), 1.0))
            .collect()
    }

    fn view_of(samples: Vec<Sample>, from_min: i64, to_min: i64, columns: usize) -> View {
        let pyramid = Pyramid::build(samples);
        pyramid.view(&plan(
            Timestamp(ORIGIN + from_min * MINUTE_MS),
            Timestamp(ORIGIN + to_min * MINUTE_MS),
            columns,
        ))
    }

    fn at(minute: i64) -> Timestamp {
        Timestamp(ORIGIN + minute * MINUTE_MS)
    }

    #[test]
    fn gaps_at_the_edges_and_inside() {
        let now = at(10_000);
        // (data ranges in minutes, view, expected gaps as (after, before) minutes)
        type Minutes = &'static [(i64, i64)];
        let cases: [(Minutes, (i64, i64), Minutes); 5] = [
            (&[(0, 600)], (0, 600), &[]),
            (&[(0, 100), (200, 600)], (0, 600), &[(100, 201)]),
            (&[(0, 100), (103, 600)], (0, 600), &[]), // 4 minutes: not a gap
            (&[(60, 600)], (0, 600), &[(0, 61)]),
            (&[(0, 300)], (0, 600), &[(300, 600)]),
        ];
        for (data, (from, to), expected) in cases {
            let view = view_of(minutes(data), from, to, 2000);
            let gaps: Vec<(i64, i64)> = find_gaps(&view, Which::All, now)
                .iter()
                .map(|g| {
                    (
                        (g.after.millis() - ORIGIN) / MINUTE_MS,
                        (g.before.millis() - ORIGIN) / MINUTE_MS,
                    )
                })
                .collect();
            assert_eq!(gaps, expected, "{data:?}");
        }
    }

    #[test]
    fn the_future_is_not_a_gap() {
        let view = view_of(minutes(&[(0, 300)]), 0, 600, 600);
        assert!(find_gaps(&view, Which::All, at(300)).is_empty());
        let c = Completeness::of(&view, Which::All, at(300), MINUTE_MS);
        assert_eq!((c.values, c.expected), (300, 300));
    }

    #[test]
    fn an_empty_view_is_one_gap() {
        let view = view_of(minutes(&[(5000, 5001)]), 0, 600, 600);
        let gaps = find_gaps(&view, Which::All, at(10_000));
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].after, gaps[0].before), (at(0), at(600)));
    }

    #[test]
    fn qc_rejected_values_are_a_gap_only_in_the_qcd_view() {
        let mut samples = minutes(&[(0, 600)]);
        for sample in &mut samples[200..300] {
            sample.qc = QcFlags::PASSED.with(QcTest::Persistence);
        }
        let view = view_of(samples, 0, 600, 600);
        assert!(find_gaps(&view, Which::All, at(600)).is_empty());
        let gaps = find_gaps(&view, Which::Passed, at(600));
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].after, gaps[0].before), (at(200), at(301)));
    }

    #[test]
    fn typical_interval_follows_the_data() {
        let hourly: Vec<Sample> = (0..200)
            .map(|h| Sample::live(Timestamp(ORIGIN + h * HOUR_MS), 1.0))
            .collect();
        let view = view_of(hourly, 0, 200 * 60, 1000);
        assert_eq!(typical_interval(&view, Which::All), Some(HOUR_MS));
        let view = view_of(minutes(&[(0, 10_000)]), 0, 10_000, 300);
        assert_eq!(typical_interval(&view, Which::All), Some(MINUTE_MS));
    }

    #[test]
    fn completeness_counts_what_is_missing_even_inside_buckets() {
        // A 90-minute outage in a week viewed at 4 h buckets: no drawable gap, but counted.
        let week = 7 * 24 * 60;
        let view = view_of(minutes(&[(0, 3000), (3090, week)]), 0, week, 40);
        let c = Completeness::of(&view, Which::All, at(week), MINUTE_MS);
        assert_eq!(c.expected, week as u64);
        assert_eq!(c.values, week as u64 - 90);
        assert!((c.ratio() - (1.0 - 90.0 / week as f64)).abs() < 1e-12);
    }

    #[test]
    fn causes_in_order_of_what_explains_most() {
        let cases = [
            (
                GapFacts {
                    maintenance: true,
                    flagged_values: true,
                    station_reported: false,
                },
                GapCause::Maintenance,
            ),
            (
                GapFacts {
                    maintenance: false,
                    flagged_values: true,
                    station_reported: true,
                },
                GapCause::QcRejected,
            ),
            (
                GapFacts {
                    maintenance: false,
                    flagged_values: false,
                    station_reported: true,
                },
                GapCause::NoData,
            ),
            (GapFacts::default(), GapCause::StationOffline),
        ];
        for (facts, cause) in cases {
            assert_eq!(GapCause::classify(facts), cause, "{facts:?}");
        }
    }
}
