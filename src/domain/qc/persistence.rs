//! Persistence: a value that stays the same for longer than the element plausibly does, the
//! signature of a stuck sensor or a logger repeating its last reading. Every value of such a run
//! is flagged.
//!
//! "The same" is within a tolerance below the reported resolution, i.e. unchanged as reported.
//! Durations are chosen so that a smooth real curve at its flattest does not trip them: at
//! 0.1 °C resolution the top of an overcast day's temperature curve (2 °C swing) can read the
//! same for ~100 minutes, pressure near a tidal extreme for ~70. Runs break at a gap longer than
//! the step test's, so values on both sides of an outage are not joined.
//!
//! Not checked: rain (dry for days is normal), visibility (it sits at the sensor's maximum in
//! clear air and at its minimum in dense fog, and sensors differ in both), humidity at or above
//! 95 % (saturated air in fog or rain reads 95–100 % for hours), wind speed in a calm, and wind
//! direction unless the wind blows (a vane rests where the wind left it).

use std::collections::BTreeMap;

use crate::domain::time::MINUTE_MS;
use crate::domain::{Element, Timestamp};

/// Values that neither start nor extend a run: a constant there is normal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Exempt {
    /// Every value counts.
    Nothing,
    /// Values at or above this, e.g. humidity in fog.
    AtOrAbove(f64),
    /// Values at or below this, e.g. calm wind.
    AtOrBelow(f64),
}

impl Exempt {
    fn covers(self, value: f64) -> bool {
        match self {
            Self::Nothing => false,
            Self::AtOrAbove(limit) => value >= limit,
            Self::AtOrBelow(limit) => value <= limit,
        }
    }
}

/// When a run of one element counts as stuck.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersistenceRule {
    /// A run lasting at least this long (first to last value) is stuck.
    pub min_duration_ms: i64,
    /// Values within this of each other (the run's max − min) are "the same".
    pub tolerance: f64,
    /// Values exempt from the test.
    pub exempt: Exempt,
    /// Only while the wind blows (the 2-minute mean speed is known and not calm): for wind
    /// direction.
    pub needs_wind: bool,
}

impl PersistenceRule {
    const fn new(minutes: i64, tolerance: f64, exempt: Exempt) -> Self {
        Self {
            min_duration_ms: minutes * MINUTE_MS,
            tolerance,
            exempt,
            needs_wind: false,
        }
    }
}

/// The rules, per element; elements absent are not checked.
pub fn default_rules() -> BTreeMap<Element, PersistenceRule> {
    // Tolerances are half the reported resolution: 0.1 °C, 0.1 hPa, 0.1 m/s, 1 %, 1°.
    let tenth = 0.05;
    let calm = Exempt::AtOrBelow(0.05);
    BTreeMap::from([
        (
            Element::Tem,
            PersistenceRule::new(90, tenth, Exempt::Nothing),
        ),
        (
            Element::Gst,
            PersistenceRule::new(90, tenth, Exempt::Nothing),
        ),
        (
            Element::Dpt,
            PersistenceRule::new(120, tenth, Exempt::Nothing),
        ),
        (
            Element::Prs,
            PersistenceRule::new(120, tenth, Exempt::Nothing),
        ),
        (
            Element::PrsSea,
            PersistenceRule::new(120, tenth, Exempt::Nothing),
        ),
        (
            Element::Rhu,
            PersistenceRule::new(120, 0.5, Exempt::AtOrAbove(95.0)),
        ),
        (Element::WinSAvg2mi, PersistenceRule::new(60, tenth, calm)),
        (Element::WinSInstMax, PersistenceRule::new(60, tenth, calm)),
        (
            Element::WinDAvg2mi,
            PersistenceRule {
                needs_wind: true,
                ..PersistenceRule::new(120, 0.5, Exempt::Nothing)
            },
        ),
    ])
}

/// Whether no run through the last value of `series` (time-ordered, reaching back at least
/// the rule's duration plus `max_gap_ms` before it, or to the series' start) can last the
/// rule's duration, whatever the runs before: a run that long would hold every value of the
/// last `min_duration_ms`, so it is ruled out when those values spread beyond the tolerance,
/// or when an exempt value or a gap comes sooner. Then appending that value changes no older
/// value's verdict and passes it. Conservative: a calm that would also break a run (wind
/// direction) is not looked at.
pub fn no_long_run_to_last(
    series: &[(Timestamp, f64)],
    rule: &PersistenceRule,
    max_gap_ms: i64,
) -> bool {
    let since = match series.last() {
        None => return true,
        Some(&(_, value)) if rule.exempt.covers(value) => return true,
        Some(&(last, _)) => last.0 - rule.min_duration_ms,
    };
    // The values a run through the last could hold, back to `since` at most.
    let mut span = Run {
        start: 0,
        low: f64::INFINITY,
        high: f64::NEG_INFINITY,
    };
    let mut earliest: Option<Timestamp> = None;
    for &(time, value) in series.iter().rev() {
        let broken =
            earliest.is_some_and(|e| e.0 - time.0 > max_gap_ms) || rule.exempt.covers(value);
        if broken {
            return earliest.is_some_and(|e| e.0 > since) || span.spread() > rule.tolerance;
        }
        if time.0 < since {
            return span.spread() > rule.tolerance;
        }
        span = span.with(value);
        earliest = Some(time);
    }
    // The series starts within the duration (the caller read back further than it and a gap).
    earliest.is_some_and(|e| e.0 > since) || span.spread() > rule.tolerance
}

/// Indices of the values of `series` (time-ordered) in runs that `rule` calls stuck. A value
/// for which `counts` is false ends a run without joining one (the caller's say, e.g. whether
/// the wind blew at that instant); runs also end where values are more than `max_gap_ms` apart.
pub fn persistence_failures(
    series: &[(Timestamp, f64)],
    rule: &PersistenceRule,
    max_gap_ms: i64,
    counts: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut failed = Vec::new();
    let mut flag_if_stuck = |run: Run, end: usize| {
        if series[end - 1].0.0 - series[run.start].0.0 >= rule.min_duration_ms {
            failed.extend(run.start..end);
        }
    };
    let mut open: Option<Run> = None;
    for (i, &(time, value)) in series.iter().enumerate() {
        if !counts(i) || rule.exempt.covers(value) {
            if let Some(run) = open.take() {
                flag_if_stuck(run, i);
            }
            continue;
        }
        let joins = |run: &Run| {
            time.0 - series[i - 1].0.0 <= max_gap_ms && run.with(value).spread() <= rule.tolerance
        };
        open = match open {
            Some(run) if joins(&run) => Some(run.with(value)),
            Some(run) => {
                flag_if_stuck(run, i);
                Some(Run::at(i, value))
            }
            None => Some(Run::at(i, value)),
        };
    }
    if let Some(run) = open {
        flag_if_stuck(run, series.len());
    }
    failed
}

/// A run of nearly equal values being followed: where it starts and the range of its values.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: usize,
    low: f64,
    high: f64,
}

impl Run {
    /// A run of one value, at index `start`.
    fn at(start: usize, value: f64) -> Self {
        Self {
            start,
            low: value,
            high: value,
        }
    }

    /// This run extended by `value`.
    fn with(self, value: f64) -> Self {
        Self {
            low: self.low.min(value),
            high: self.high.max(value),
            ..self
        }
    }

    /// Its largest value minus its smallest.
    fn spread(self) -> f64 {
        self.high - self.low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(value, minutes)` pieces laid end to end at one value a minute.
    fn pieces(pieces: &[(f64, usize)]) -> Vec<(Timestamp, f64)> {
        pieces
            .iter()
            .flat_map(|&(value, n)| std::iter::repeat_n(value, n))
            .enumerate()
            .map(|(i, v)| (Timestamp(i as i64 * MINUTE_MS), v))
            .collect()
    }

    #[test]
    fn where_no_long_run_reaches_the_last_value_appending_it_changes_no_older_verdict() {
        // Series of a random walk at the reported resolution, some stuck for a while, some
        // with gaps and fog: wherever `no_long_run_to_last` says so, judging the series with
        // its last value gives the verdicts without it, and the last value passes.
        let rules = default_rules();
        let gap = 10 * MINUTE_MS;
        let mut seed = 0x2545_f491_u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % n
        };
        let (mut proven, mut cases) = (0, 0);
        for element in [Element::Tem, Element::Rhu] {
            let rule = &rules[&element];
            for _ in 0..400 {
                let mut series = Vec::new();
                // Temperature in tenths of a degree, humidity in whole percent around fog.
                let (mut minute, mut value, unit) = match element {
                    Element::Rhu => (0_i64, 93.0, 1.0),
                    _ => (0_i64, 12.0, 0.1),
                };
                for _ in 0..(60 + next(200)) {
                    minute += if next(40) == 0 {
                        11 + next(20) as i64
                    } else {
                        1
                    };
                    // Mostly unchanged as reported, sometimes a step of the resolution.
                    value += [0.0, 0.0, 0.0, 1.0, -1.0][next(5) as usize] * unit;
                    series.push((
                        Timestamp(minute * MINUTE_MS),
                        (value * 10.0_f64).round() / 10.0,
                    ));
                }
                cases += 1;
                if !no_long_run_to_last(&series, rule, gap) {
                    continue;
                }
                proven += 1;
                let last = series.len() - 1;
                let with = persistence_failures(&series, rule, gap, |_| true);
                let without = persistence_failures(&series[..last], rule, gap, |_| true);
                assert!(!with.contains(&last), "{element:?}: the last passes");
                assert_eq!(with, without, "{element:?}: no older verdict changed");
            }
        }
        assert!(
            proven * 4 > cases,
            "proven for a good share: {proven} of {cases}"
        );
    }

    #[test]
    fn stuck_runs_are_flagged_whole() {
        let rules = default_rules();
        let gap = 10 * MINUTE_MS;
        // What, the element, its series as (value, minutes) pieces, the indices flagged.
        type Case<'a> = (&'a str, Element, &'a [(f64, usize)], std::ops::Range<usize>);
        let cases: &[Case<'_>] = &[
            (
                "temperature stuck at 23.4 for 100 minutes",
                Element::Tem,
                &[(23.1, 1), (23.4, 101), (23.6, 1)],
                1..102,
            ),
            (
                "temperature flat for 80 minutes under a dawn overcast is fine",
                Element::Tem,
                &[(11.3, 1), (11.4, 81), (11.5, 1)],
                0..0,
            ),
            (
                "pressure repeating 974.2 for two hours and more",
                Element::Prs,
                &[(974.1, 1), (974.2, 130)],
                1..131,
            ),
            (
                "humidity stuck at 100 % in fog all night is not persistence",
                Element::Rhu,
                &[(97.0, 10), (100.0, 600), (98.0, 5)],
                0..0,
            ),
            (
                "humidity stuck at 63 % for three hours is",
                Element::Rhu,
                &[(62.0, 1), (63.0, 180), (64.0, 1)],
                1..181,
            ),
            (
                "a calm night: wind 0.0 for hours",
                Element::WinSAvg2mi,
                &[(0.0, 400)],
                0..0,
            ),
            (
                "an anemometer stuck at 2.3 m/s for 70 minutes",
                Element::WinSAvg2mi,
                &[(1.8, 1), (2.3, 71), (2.9, 1)],
                1..72,
            ),
        ];
        for (what, element, series, expected) in cases {
            let series = pieces(series);
            let got = persistence_failures(&series, &rules[element], gap, |_| true);
            assert_eq!(got, expected.clone().collect::<Vec<_>>(), "{what}");
        }
    }

    #[test]
    fn a_gap_or_a_calm_ends_a_run() {
        let rule = default_rules()[&Element::WinDAvg2mi];
        let gap = 10 * MINUTE_MS;
        // Direction 225° for four hours; the wind blows for the first 100 minutes, then calms
        // for 10, then blows again for 130.
        let series = pieces(&[(225.0, 240)]);
        let blowing = |i: usize| !(100..110).contains(&i);
        assert_eq!(
            persistence_failures(&series, &rule, gap, blowing),
            (110..240).collect::<Vec<_>>(),
            "only the second windy run lasts 120 minutes"
        );
        // The same value on both sides of a 30-minute outage: two 70-minute runs.
        let mut series = pieces(&[(23.4, 70)]);
        series.extend(
            pieces(&[(23.4, 70)])
                .into_iter()
                .map(|(t, v)| (t.plus_ms(100 * MINUTE_MS), v)),
        );
        let rule = default_rules()[&Element::Tem];
        assert!(persistence_failures(&series, &rule, gap, |_| true).is_empty());
    }
}
