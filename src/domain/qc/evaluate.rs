//! The one entry point the store calls: every test over one station's window of data, against
//! its neighbours, giving the flags of every value in a range.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::config::QcConfig;
use super::consistency::{self, Relation, Snapshot, is_calm};
use super::persistence::{self, persistence_failures};
use super::range::{beijing_month, out_of_range};
use super::spatial::{NeighbourSeries, spatial_failures};
use super::step::step_failures;
use super::{QcFlags, QcTest};
use crate::domain::history::Sample;
use crate::domain::time::MINUTE_MS;
use crate::domain::{Element, Station, Timestamp};

/// One station's values over a window: each element's series, time-ordered.
#[derive(Debug, Clone, PartialEq)]
pub struct StationWindow<'a> {
    /// The station.
    pub station: &'a Station,
    /// Each element's values, in time order, at most one per instant.
    pub series: BTreeMap<Element, Vec<(Timestamp, f64)>>,
}

impl<'a> StationWindow<'a> {
    /// An empty window of `station`.
    pub fn new(station: &'a Station) -> Self {
        Self {
            station,
            series: BTreeMap::new(),
        }
    }

    /// The value of `element` at exactly `time`, if any.
    pub fn value_at(&self, element: Element, time: Timestamp) -> Option<f64> {
        let series = self.series.get(&element)?;
        let i = series.binary_search_by_key(&time, |&(t, _)| t).ok()?;
        Some(series[i].1)
    }
}

/// The elements to load and judge when `new` elements have new values: the verdicts that may
/// change are theirs and those of every element a relation ties to them; judging any element
/// needs the partners of each relation it is in (else the relation goes unchecked and a flag
/// would be lost), the temperature (spatial altitude adjustment, sea-level reduction) and the
/// mean wind (persistence in a calm). The smallest set closed under that.
pub fn judged_with(new: impl IntoIterator<Item = Element>) -> BTreeSet<Element> {
    let mut judged: BTreeSet<Element> = new.into_iter().collect();
    if judged.is_empty() {
        return judged;
    }
    judged.extend([Element::Tem, Element::WinSAvg2mi]);
    loop {
        let before = judged.len();
        for relation in Relation::ALL {
            if relation.inputs().any(|e| judged.contains(&e)) {
                judged.extend(relation.inputs());
            }
        }
        if judged.len() == before {
            return judged;
        }
    }
}

/// How far back before a new value [`judged_alone`] needs a station's samples: the longest
/// persistence duration and the longest gap, and a minute more.
pub fn alone_lookback_ms(config: &QcConfig) -> i64 {
    config.longest_run_ms() + config.max_gap_ms + MINUTE_MS
}

/// Whether the values `new` stored at `t` at a station nobody else judges (a garden), with
/// `series` its samples from [`alone_lookback_ms`] before `t` on, can be judged at `t` alone:
/// no older verdict can change and those at `t` come out as from the whole history. So when
/// each new value is its series' latest, no older value in the window failed the step test
/// (so the test's reference is each value's predecessor, wherever the series is read from),
/// and no persistence run through it can last the rule's duration
/// ([`persistence::no_long_run_to_last`]). Range and consistency look at `t` alone anyway.
pub fn judged_alone(
    config: &QcConfig,
    series: &BTreeMap<Element, Vec<Sample>>,
    t: Timestamp,
    new: &BTreeSet<Element>,
) -> bool {
    new.iter().all(|element| {
        let Some(samples) = series.get(element) else {
            return false;
        };
        let Some(at) = samples.iter().position(|s| s.time == t) else {
            return false;
        };
        let latest = at + 1 == samples.len();
        let steady = samples[..at].iter().all(|s| !s.qc.has(QcTest::Step));
        let values: Vec<(Timestamp, f64)> = samples.iter().map(|s| (s.time, s.value)).collect();
        let short_runs = config
            .persistence
            .get(element)
            .is_none_or(|rule| persistence::no_long_run_to_last(&values, rule, config.max_gap_ms));
        latest && steady && short_runs
    })
}

/// The flags of every value of `target` in `range`, an entry for each (passed values too, so
/// the caller can clear flags that no longer apply).
///
/// `target` should hold [`QcConfig::plan`]'s `load` range (history before `range` for the step
/// and persistence tests, a few minutes after it for spikes); `neighbours` may be the whole
/// network over `range`: the target itself and stations beyond the spatial radius are ignored.
/// The result depends on nothing but the arguments. The work is linear in the number of values
/// (times the number of neighbours for the spatial test), with a handful of allocations per
/// element rather than per value, apart from the result map itself.
///
/// Every flag means *suspect* (可疑), never *wrong* (错误): values that cannot be measurements
/// are refused at ingest, and what is left is evidence for a person to weigh. No single test is
/// proof (a record heat, a gust front, a long fog or a cold pool can each trip one); a value
/// flagged by two different tests is the one to look at first.
pub fn evaluate(
    config: &QcConfig,
    target: &StationWindow<'_>,
    neighbours: &[StationWindow<'_>],
    range: Range<Timestamp>,
) -> BTreeMap<(Element, Timestamp), QcFlags> {
    let mut flags = Flags::passed(target, &range);
    let station = target.station;
    let nearby: Vec<&StationWindow<'_>> = neighbours
        .iter()
        .filter(|n| config.spatial.are_neighbours(station, n.station))
        .collect();
    for (&element, series) in &target.series {
        let ours = within(series, &range);
        for &(time, value) in ours {
            let month = beijing_month(time);
            if out_of_range(&config.limits, element, month, station.altitude_m, value) {
                flags.raise(element, time, QcTest::Range);
            }
        }
        if let Some(&rate) = config.step_per_minute.get(&element) {
            let failed = step_failures(series, rate, config.max_gap_ms);
            flags.raise_at(element, series, failed, QcTest::Step);
        }
        if let Some(rule) = config.persistence.get(&element) {
            let counts = |i: usize| !rule.needs_wind || wind_blows(target, series[i].0);
            let failed = persistence_failures(series, rule, config.max_gap_ms, counts);
            flags.raise_at(element, series, failed, QcTest::Persistence);
        }
        if let Some(rule) = config.spatial.rules.get(&element) {
            let theirs: Vec<NeighbourSeries<'_>> = nearby
                .iter()
                .filter_map(|n| {
                    let series = n.series.get(&element)?;
                    let altitude_m = n.station.altitude_m;
                    Some(NeighbourSeries { altitude_m, series })
                })
                .collect();
            let temperature = |t| target.value_at(Element::Tem, t);
            let failed = spatial_failures(
                ours,
                station.altitude_m,
                &theirs,
                rule,
                &config.spatial,
                temperature,
            );
            flags.raise_at(element, ours, failed, QcTest::Spatial);
        }
    }
    for (time, values) in snapshots(&target.series, &range) {
        for relation in consistency::failures(&values, station.altitude_m, &config.consistency) {
            for &element in relation.elements() {
                flags.raise(element, time, QcTest::Consistency);
            }
        }
    }
    flags.0
}

/// The flags being built: an entry for every value in range, and only those.
struct Flags(BTreeMap<(Element, Timestamp), QcFlags>);

impl Flags {
    /// Every value of `window` in `range`, passed.
    fn passed(window: &StationWindow<'_>, range: &Range<Timestamp>) -> Self {
        let entries = window.series.iter().flat_map(|(&element, series)| {
            within(series, range)
                .iter()
                .map(move |&(t, _)| ((element, t), QcFlags::PASSED))
        });
        Self(entries.collect())
    }

    /// Adds `test` to the value of `element` at `time`, if that value is in range.
    fn raise(&mut self, element: Element, time: Timestamp, test: QcTest) {
        if let Some(flags) = self.0.get_mut(&(element, time)) {
            *flags = flags.with(test);
        }
    }

    /// Adds `test` to the values of `series` at `indices`.
    fn raise_at(
        &mut self,
        element: Element,
        series: &[(Timestamp, f64)],
        indices: Vec<usize>,
        test: QcTest,
    ) {
        for i in indices {
            self.raise(element, series[i].0, test);
        }
    }
}

/// Whether the wind blew at `time` (a 2-minute mean is known and not calm).
fn wind_blows(window: &StationWindow<'_>, time: Timestamp) -> bool {
    window
        .value_at(Element::WinSAvg2mi, time)
        .is_some_and(|speed| !is_calm(speed))
}

/// The part of a time-ordered series inside `range`.
fn within<'s>(series: &'s [(Timestamp, f64)], range: &Range<Timestamp>) -> &'s [(Timestamp, f64)] {
    let start = series.partition_point(|&(t, _)| t < range.start);
    let end = series.partition_point(|&(t, _)| t < range.end);
    &series[start..end.max(start)]
}

/// Each instant in `range` at which any element has a value, with the values at that instant:
/// the series merged in step, one cursor each.
fn snapshots<'s>(
    series: &'s BTreeMap<Element, Vec<(Timestamp, f64)>>,
    range: &Range<Timestamp>,
) -> impl Iterator<Item = (Timestamp, Snapshot)> + 's {
    let mut cursors: Vec<(Element, &[(Timestamp, f64)])> = series
        .iter()
        .map(|(&element, values)| (element, within(values, range)))
        .collect();
    std::iter::from_fn(move || {
        let time = cursors
            .iter()
            .filter_map(|(_, rest)| rest.first().map(|&(t, _)| t))
            .min()?;
        let mut values = Snapshot::default();
        for (element, rest) in &mut cursors {
            if let Some((&(t, v), tail)) = rest.split_first()
                && t == time
            {
                values.set(*element, v);
                *rest = tail;
            }
        }
        Some((time, values))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::qc::fixtures::{self, clean_day, day, day_range, station};
    use crate::domain::time::{HOUR_MS, MINUTE_MS};

    /// Beijing time of the fixture day.
    fn at(hour: i64, minute: i64) -> Timestamp {
        day().plus_ms(hour * HOUR_MS + minute * MINUTE_MS)
    }

    #[test]
    fn new_values_are_judged_with_every_element_their_verdicts_read() {
        use Element::*;
        let with_context = |extra: &[Element]| -> BTreeSet<Element> {
            // The temperature and mean wind always, and what their relations tie to them.
            let mut set = BTreeSet::from([Tem, Dpt, Rhu, PrsSea, Prs, WinSAvg2mi, WinSInstMax]);
            set.extend(extra);
            set
        };
        let cases: [(&[Element], BTreeSet<Element>); 5] = [
            (&[], BTreeSet::new()),
            (&[Tem], with_context(&[])),
            (&[Svwc10cm, LeafWet], with_context(&[Svwc10cm, LeafWet])),
            // Rain ties the whole chain: PRE_1h's verdict reads PRE_6h, whose reads PRE_24h.
            (&[Pre], with_context(&[Pre, Pre1h, Pre6h, Pre24h])),
            (&[PrsSea], with_context(&[])),
        ];
        for (new, judged) in cases {
            assert_eq!(judged_with(new.iter().copied()), judged, "{new:?}");
        }
    }

    #[test]
    fn judging_the_elements_judged_with_gives_what_judging_all_gives() {
        let stations = fixtures::stations();
        let mut windows: Vec<StationWindow<'_>> = stations.iter().map(clean_day).collect();
        // Faults whose verdicts read other elements: a temperature spike (humidity and dew
        // point flagged with it), a vane stuck while the wind blows, a gust below the mean.
        let w = window_mut(&mut windows, "58819");
        let spiked = w.value_at(Element::Tem, at(9, 0)).unwrap() + 12.0;
        set(w, Element::Tem, at(9, 0), spiked);
        let w = window_mut(&mut windows, "708301");
        let vane = w.value_at(Element::WinDAvg2mi, at(6, 0)).unwrap();
        for minute in 0..150 {
            set(w, Element::WinDAvg2mi, at(6, minute), vane);
        }
        let w = window_mut(&mut windows, "708310");
        let mean = w.value_at(Element::WinSAvg2mi, at(16, 0)).unwrap();
        set(w, Element::WinSInstMax, at(16, 0), mean - 1.0);
        let config = QcConfig::new(fixtures::limits());
        for (id, new) in [
            ("58819", Element::Tem),
            ("708301", Element::WinDAvg2mi),
            ("708310", Element::WinSInstMax),
            ("708310", Element::Pre),
        ] {
            let judged = judged_with([new]);
            let pruned: Vec<StationWindow<'_>> = (windows.iter().cloned())
                .map(|mut w| {
                    w.series.retain(|e, _| judged.contains(e));
                    w
                })
                .collect();
            let full = windows
                .iter()
                .find(|w| w.station.id.as_str() == id)
                .unwrap();
            let target = pruned.iter().find(|w| w.station.id.as_str() == id).unwrap();
            let all = evaluate(&config, full, &windows, day_range());
            let some = evaluate(&config, target, &pruned, day_range());
            assert!(some.keys().any(|(e, _)| *e == new), "{id} {new:?} judged");
            for (key, flags) in &some {
                assert_eq!(Some(flags), all.get(key), "{id} {new:?}: {key:?}");
            }
            let raised = |m: &BTreeMap<_, QcFlags>| m.values().filter(|f| !f.passed()).count();
            let raised_all = all
                .iter()
                .filter(|((e, _), f)| judged.contains(e) && !f.passed());
            assert_eq!(raised(&some), raised_all.count(), "{id} {new:?}");
        }
    }

    /// Sets `element` at `time` in a window.
    fn set(window: &mut StationWindow<'_>, element: Element, time: Timestamp, value: f64) {
        let series = window.series.get_mut(&element).unwrap();
        let i = series.binary_search_by_key(&time, |&(t, _)| t).unwrap();
        series[i].1 = value;
    }

    /// The window of station `id`.
    fn window_mut<'w, 's>(
        windows: &'w mut [StationWindow<'s>],
        id: &str,
    ) -> &'w mut StationWindow<'s> {
        windows
            .iter_mut()
            .find(|w| w.station.id.as_str() == id)
            .unwrap()
    }

    /// Every flag raised over the fixture day, each station evaluated against all the others.
    fn flagged(windows: &[StationWindow<'_>]) -> BTreeMap<(String, Element, Timestamp), QcFlags> {
        let config = QcConfig::new(fixtures::limits());
        windows
            .iter()
            .flat_map(|target| {
                evaluate(&config, target, windows, day_range())
                    .into_iter()
                    .filter(|(_, flags)| !flags.passed())
                    .map(|((element, time), flags)| {
                        ((target.station.id.to_string(), element, time), flags)
                    })
            })
            .collect()
    }

    #[test]
    fn a_clean_day_flags_nothing() {
        let stations = fixtures::stations();
        let windows: Vec<StationWindow<'_>> = stations.iter().map(clean_day).collect();
        let config = QcConfig::new(fixtures::limits());
        for target in &windows {
            let flags = evaluate(&config, target, &windows, day_range());
            let expected: usize = target.series.values().map(|_| 24 * 60).sum();
            assert_eq!(
                flags.len(),
                expected,
                "{}: every value in range",
                target.station.id
            );
        }
        assert_eq!(flagged(&windows), BTreeMap::new());
    }

    #[test]
    fn injected_faults_are_found_and_nothing_else() {
        let stations = fixtures::stations();
        let mut windows: Vec<StationWindow<'_>> = stations.iter().map(clean_day).collect();
        let mut expected = BTreeMap::new();
        let mut want = |id: &str, element, time, tests: &[QcTest]| {
            let flags: QcFlags = tests.iter().copied().collect();
            expected.insert((id.to_owned(), element, time), flags);
        };
        use QcTest::{Consistency, Persistence, Range, Spatial, Step};

        // 58819: a 12 °C spike at 09:00. The spike fails step and spatial, and no longer
        // agrees with humidity and dew point; the minute after it is clean.
        let w = window_mut(&mut windows, "58819");
        let spiked = w.value_at(Element::Tem, at(9, 0)).unwrap() + 12.0;
        set(w, Element::Tem, at(9, 0), spiked);
        want(
            "58819",
            Element::Tem,
            at(9, 0),
            &[Consistency, Step, Spatial],
        );
        want("58819", Element::Rhu, at(9, 0), &[Consistency]);
        want("58819", Element::Dpt, at(9, 0), &[Consistency]);

        // 708304: humidity stuck at its 01:00 reading until 04:00 (181 values, 3 hours). The
        // run starts where the sensor first read that value, which may be before 01:00.
        let w = window_mut(&mut windows, "708304");
        let stuck = w.value_at(Element::Rhu, at(1, 0)).unwrap();
        let mut first = 0;
        while w.value_at(Element::Rhu, at(1, first - 1)) == Some(stuck) {
            first -= 1;
        }
        for minute in first..=180 {
            set(w, Element::Rhu, at(1, minute), stuck);
            want("708304", Element::Rhu, at(1, minute), &[Persistence]);
        }

        // 708301: the vane stuck from 06:00 for 150 minutes while the wind blows.
        let w = window_mut(&mut windows, "708301");
        let vane = w.value_at(Element::WinDAvg2mi, at(6, 0)).unwrap();
        for minute in 0..150 {
            set(w, Element::WinDAvg2mi, at(6, minute), vane);
            want("708301", Element::WinDAvg2mi, at(6, minute), &[Persistence]);
        }

        // 708310: a gust below the mean at 16:00 implicates both.
        let w = window_mut(&mut windows, "708310");
        let mean = w.value_at(Element::WinSAvg2mi, at(16, 0)).unwrap();
        set(w, Element::WinSInstMax, at(16, 0), mean - 1.0);
        want("708310", Element::WinSInstMax, at(16, 0), &[Consistency]);
        want("708310", Element::WinSAvg2mi, at(16, 0), &[Consistency]);

        // 708312: a barometer reading 5 hPa high all day.
        let w = window_mut(&mut windows, "708312");
        for value in w.series.get_mut(&Element::Prs).unwrap() {
            value.1 += 5.0;
        }
        for minute in 0..24 * 60 {
            want("708312", Element::Prs, at(0, minute), &[Spatial]);
        }

        // 708315: 45 °C at noon in October.
        let w = window_mut(&mut windows, "708315");
        set(w, Element::Tem, at(12, 0), 45.0);
        want("708315", Element::Tem, at(12, 0), &[Range, Step, Spatial]);

        let found = flagged(&windows);
        let missing: Vec<_> = expected
            .iter()
            .filter(|(k, v)| found.get(*k) != Some(v))
            .take(5)
            .collect();
        let extra: Vec<_> = found
            .iter()
            .filter(|(k, _)| !expected.contains_key(*k))
            .take(5)
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing {missing:?}\nextra {extra:?}"
        );
    }

    #[test]
    fn a_spike_flags_the_spike_and_not_the_return() {
        let stations = fixtures::stations();
        let mut window = clean_day(station(&stations, "708307"));
        let before = window.value_at(Element::Tem, at(3, 0)).unwrap();
        set(&mut window, Element::Tem, at(3, 0), before + 12.0);
        let flags = evaluate(
            &QcConfig::new(fixtures::limits()),
            &window,
            &[],
            day_range(),
        );
        assert!(flags[&(Element::Tem, at(3, 0))].has(QcTest::Step));
        assert!(flags[&(Element::Tem, at(3, 1))].passed());
        assert!(flags[&(Element::Tem, at(2, 59))].passed());
    }

    #[test]
    fn the_plan_covers_runs_and_spikes() {
        let config = QcConfig::new(fixtures::limits());
        let batch = at(12, 0)..=at(12, 4);
        let plan = config.plan(batch);
        assert_eq!(plan.evaluate, at(10, 0)..at(12, 4).plus_ms(1));
        assert_eq!(plan.load, at(7, 50)..at(12, 14).plus_ms(1));
    }
}
