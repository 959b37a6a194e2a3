//! What a history chart draws for one series, prepared once per answer: lines through each
//! bucket's first, extreme and last values in time order (so the line covers exactly what a
//! line through every value would cover in that pixel column), broken where the series is
//! silent; markers where quality control flagged a bucket's extreme; and the gaps to shade.

use egui_plot::PlotPoint;

use crate::console::ui::chart::hour_axis;
use crate::domain::Timestamp;
use crate::domain::history::{GapCause, MIN_GAP_MS, SeriesView, Summary, Which, typical_interval};
use crate::domain::qc::QcFlags;

/// A stretch to shade, in plot x (hours), with its cause.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GapBand {
    /// Start, x.
    pub from: f64,
    /// End, x.
    pub to: f64,
    /// Why there is no data, when known.
    pub cause: Option<GapCause>,
    /// Length, ms.
    pub duration_ms: i64,
}

/// One set of values (raw or QC'd) as line segments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// Runs of points; a silence ends a run.
    pub segments: Vec<Vec<PlotPoint>>,
    /// Lowest and highest value.
    pub y_range: Option<(f64, f64)>,
}

impl Trace {
    /// Points in all segments.
    pub fn points(&self) -> usize {
        self.segments.iter().map(Vec::len).sum()
    }
}

/// Everything one series draws.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesGeometry {
    /// Every value.
    pub raw: Trace,
    /// The values that passed QC.
    pub passed: Trace,
    /// Extremes of buckets that QC flagged: `(x, y)`.
    pub flagged: Vec<PlotPoint>,
    /// The tests that flagged values in the bucket of each of `flagged`.
    pub flagged_tests: Vec<QcFlags>,
    /// Gaps of the raw values.
    pub raw_gaps: Vec<GapBand>,
    /// Gaps of the QC'd values.
    pub passed_gaps: Vec<GapBand>,
    /// Raw and QC'd traces are the same (nothing flagged): one line says it all.
    pub identical: bool,
}

impl SeriesGeometry {
    /// Prepares a view for drawing.
    pub fn of(view: &SeriesView) -> Self {
        let (flagged, flagged_tests) = view
            .view
            .buckets
            .iter()
            .filter(|b| b.values.flagged() > 0)
            .flat_map(|b| {
                flagged_extremes(&b.values.all, b.values.passed.as_ref())
                    .into_iter()
                    .map(move |p| (p, b.values.tests))
            })
            .unzip();
        let raw = trace(view, Which::All);
        let passed = trace(view, Which::Passed);
        Self {
            identical: raw == passed,
            raw,
            passed,
            flagged,
            flagged_tests,
            raw_gaps: bands(view, Which::All),
            passed_gaps: bands(view, Which::Passed),
        }
    }

    /// The trace of the chosen values.
    pub fn trace(&self, which: Which) -> &Trace {
        match which {
            Which::All => &self.raw,
            Which::Passed => &self.passed,
        }
    }

    /// The gaps of the chosen values.
    pub fn gaps(&self, which: Which) -> &[GapBand] {
        match which {
            Which::All => &self.raw_gaps,
            Which::Passed => &self.passed_gaps,
        }
    }
}

/// A bucket's values in time order, as few points as describe them: first, the two extremes,
/// last (repeats dropped).
fn bucket_points(s: &Summary) -> impl Iterator<Item = PlotPoint> {
    let mut points = [
        (s.first_at, s.first),
        (s.min_at, s.min),
        (s.max_at, s.max),
        (s.last_at, s.last),
    ];
    points.sort_by_key(|&(t, _)| t);
    let mut previous: Option<(Timestamp, f64)> = None;
    points.into_iter().filter_map(move |p| {
        let repeat = previous == Some(p);
        previous = Some(p);
        (!repeat).then(|| PlotPoint::new(hour_axis(p.0), p.1))
    })
}

fn trace(view: &SeriesView, which: Which) -> Trace {
    let threshold =
        typical_interval(&view.view, which).map_or(MIN_GAP_MS, |i| (i * 5 / 2).max(MIN_GAP_MS));
    let mut trace = Trace::default();
    let mut last_at: Option<Timestamp> = None;
    for summary in view
        .view
        .buckets
        .iter()
        .filter_map(|b| b.values.summary(which))
    {
        let continues =
            last_at.is_some_and(|t| summary.first_at.millis() - t.millis() <= threshold);
        if !continues {
            trace.segments.push(Vec::new());
        }
        if let Some(segment) = trace.segments.last_mut() {
            segment.extend(bucket_points(summary));
        }
        last_at = Some(summary.last_at);
        trace.y_range = Some(match trace.y_range {
            None => (summary.min, summary.max),
            Some((lo, hi)) => (lo.min(summary.min), hi.max(summary.max)),
        });
    }
    trace
}

/// Where a flagged bucket's flagged values show: an extreme of all values beyond the extremes
/// of those that passed (or both extremes, when none passed).
fn flagged_extremes(all: &Summary, passed: Option<&Summary>) -> Vec<PlotPoint> {
    let point = |t: Timestamp, v: f64| PlotPoint::new(hour_axis(t), v);
    match passed {
        None => vec![point(all.min_at, all.min), point(all.max_at, all.max)],
        Some(p) => {
            let mut out = Vec::new();
            if all.max > p.max {
                out.push(point(all.max_at, all.max));
            }
            if all.min < p.min {
                out.push(point(all.min_at, all.min));
            }
            out
        }
    }
}

fn bands(view: &SeriesView, which: Which) -> Vec<GapBand> {
    view.coverage(which)
        .gaps
        .iter()
        .map(|g| GapBand {
            from: hour_axis(g.after),
            to: hour_axis(g.before),
            cause: g.cause,
            duration_ms: g.duration_ms(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::history::{Completeness, Coverage, Gap, Pyramid, Sample, ViewRequest, plan};
    use crate::domain::qc::{QcFlags, QcTest};
    use crate::domain::time::{DAY_MS, MINUTE_MS};
    use crate::domain::{Element, StationId};

    const ORIGIN: i64 = 1_767_225_600_000;

    fn view_of(samples: Vec<Sample>, span_ms: i64, columns: usize) -> SeriesView {
        let request = ViewRequest {
            station: StationId::parse("58819").unwrap(),
            element: Element::Tem,
            from: Timestamp(ORIGIN),
            to: Timestamp(ORIGIN + span_ms),
            columns,
        };
        let view = Pyramid::build(samples).view(&plan(request.from, request.to, columns));
        let none = || Coverage {
            gaps: Vec::new(),
            completeness: Completeness {
                values: 0,
                expected: 0,
                interval_ms: MINUTE_MS,
            },
        };
        SeriesView {
            request,
            view,
            raw: none(),
            passed: Coverage {
                gaps: vec![Gap {
                    after: Timestamp(ORIGIN),
                    before: Timestamp(ORIGIN + MINUTE_MS),
                    cause: Some(GapCause::QcRejected),
                }],
                ..none()
            },
        }
    }

    fn minutes(n: i64, value: impl Fn(i64) -> f64) -> Vec<Sample> {
        (1..=n)
            .map(|m| Sample::live(Timestamp(ORIGIN + m * MINUTE_MS), value(m)))
            .collect()
    }

    #[test]
    fn a_year_draws_at_most_four_points_a_bucket() {
        let year = 365 * 1440;
        let geometry = SeriesGeometry::of(&view_of(
            minutes(year, |m| (m % 1440) as f64 / 60.0),
            365 * DAY_MS,
            1000,
        ));
        let buckets = 365 * 3;
        assert!(
            geometry.raw.points() <= 4 * buckets,
            "{}",
            geometry.raw.points()
        );
        assert_eq!(geometry.raw.segments.len(), 1);
        assert_eq!(geometry.raw.y_range, Some((0.0, 1439.0 / 60.0)));
    }

    #[test]
    fn silences_break_the_line() {
        let mut samples = minutes(600, |m| m as f64);
        samples.retain(|s| !(200..300).contains(&((s.time.millis() - ORIGIN) / MINUTE_MS)));
        let geometry = SeriesGeometry::of(&view_of(samples, 600 * MINUTE_MS, 600));
        assert_eq!(geometry.raw.segments.len(), 2);
    }

    #[test]
    fn flagged_extremes_are_marked_and_the_qcd_trace_leaves_them_out() {
        let mut samples = minutes(120, |_| 10.0);
        samples[60].value = 40.0;
        samples[60].qc = QcFlags::PASSED.with(QcTest::Step);
        let geometry = SeriesGeometry::of(&view_of(samples, 2 * 60 * MINUTE_MS, 12));
        assert_eq!(geometry.flagged.len(), 1);
        assert_eq!(geometry.flagged[0].y, 40.0);
        assert!(geometry.flagged_tests[0].has(QcTest::Step));
        assert_eq!(geometry.raw.y_range, Some((10.0, 40.0)));
        assert_eq!(geometry.passed.y_range, Some((10.0, 10.0)));
        assert_eq!(
            geometry.gaps(Which::Passed)[0].cause,
            Some(GapCause::QcRejected)
        );
    }
}
