//! Suggestions at the desk: the last 72 h of the elements warning criteria read, judged
//! against the signal catalogue at most once per minute, each suggestion kept with when it
//! was first seen and who acknowledged it. A new alert (the banner's sound) is raised only
//! when a township's suggested level for a signal appears or rises — not again while it
//! holds, nor when it dips for a moment and returns within [`RE_ALERT_AFTER_MS`].

use std::collections::BTreeMap;

use crate::console::messages::warnings::DeskSignalSet;
use crate::domain::history::Sample;
use crate::domain::qc::{QcFlags, QcMark};
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::warning::checks::Observed;
use crate::domain::warning::suggest::{self, LOOKBACK_MS, Recent, Suggestion, Unobservable};
use crate::domain::warning::{Catalogue, Level};
use crate::domain::{Element, Network, Observation, StationId, Timestamp};

/// The elements the criteria read; others are not kept here.
pub const JUDGED: [Element; 8] = [
    Element::Pre1h,
    Element::Pre,
    Element::WinSAvg2mi,
    Element::WinSInstMax,
    Element::Tem,
    Element::Gst,
    Element::Vis,
    Element::Rhu,
];

/// A level that fell away and returns within this long is not alerted again.
pub const RE_ALERT_AFTER_MS: i64 = HOUR_MS;

/// A suggestion as the desk tracks it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedSuggestion {
    /// What the observations support now.
    pub suggestion: Suggestion,
    /// When the desk first saw this signal at this level.
    pub first_seen: Timestamp,
    /// Who acknowledged it (display name).
    pub acknowledged_by: Option<String>,
    /// When.
    pub acknowledged_at: Option<Timestamp>,
}

/// The desk's suggestions and the values they are judged from.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionsState {
    /// The signal set judged against; `None` if it failed to load (`load_error` says why).
    catalogue: Option<Catalogue>,
    /// Where it came from.
    set_name: String,
    /// Why the signal set did not load.
    pub load_error: Option<String>,
    recent: Recent,
    /// What the observations support now, highest level first within a signal.
    pub current: Vec<TrackedSuggestion>,
    /// Criteria the network's elements cannot test.
    pub unobservable: Vec<Unobservable>,
    /// Counts alerts raised; the desk sounds one whenever it grows.
    pub alerts: u64,
    /// Per signal and township: the highest level seen and when last seen at it.
    seen: BTreeMap<(String, String), (Level, Timestamp)>,
    /// The minute of the last evaluation.
    evaluated: Option<Timestamp>,
    /// Values arrived since the last evaluation.
    pending: bool,
    /// The flags of judged values that failed a test (within the look-back): they arrive
    /// before their values, or later when QC re-judges.
    failed: BTreeMap<(StationId, Element, Timestamp), QcFlags>,
}

impl Default for SuggestionsState {
    fn default() -> Self {
        let (catalogue, load_error) = match crate::assets::national_signals() {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Self::with_catalogue(catalogue, load_error)
    }
}

impl SuggestionsState {
    /// A state judging against `catalogue` (a province's set, say).
    pub fn with_catalogue(catalogue: Option<Catalogue>, load_error: Option<String>) -> Self {
        Self {
            catalogue,
            set_name: crate::assets::NATIONAL_SIGNAL_SET.to_owned(),
            load_error,
            recent: Recent::new(),
            current: Vec::new(),
            unobservable: Vec::new(),
            alerts: 0,
            seen: BTreeMap::new(),
            evaluated: None,
            pending: false,
            failed: BTreeMap::new(),
        }
    }

    /// The signal set, if it loaded.
    pub fn catalogue(&self) -> Option<&Catalogue> {
        self.catalogue.as_ref()
    }

    /// Where the signal set came from: the shipped national set until the central's arrives.
    pub fn signal_set_name(&self) -> &str {
        &self.set_name
    }

    /// Judges by the central's signal set from the next evaluation on.
    pub fn use_signal_set(&mut self, set: DeskSignalSet) {
        self.catalogue = Some(set.catalogue);
        self.load_error = None;
        self.set_name = set.name;
        self.pending = true;
    }

    /// Keeps the judged values of `observations`, each with the flags [`Self::flag`] gave it
    /// (none: passed), and judges again if this minute has not been judged yet.
    pub fn observe(&mut self, observations: &[Observation], network: &Network, now: Timestamp) {
        let cutoff = now.plus_ms(-LOOKBACK_MS);
        for obs in observations.iter().filter(|o| o.time > cutoff) {
            for (&element, &value) in obs.values.iter().filter(|(e, _)| JUDGED.contains(e)) {
                let series = self
                    .recent
                    .entry(obs.station.clone())
                    .or_default()
                    .entry(element)
                    .or_default();
                let key = (obs.station.clone(), element, obs.time);
                let sample = Sample {
                    source: obs.source,
                    qc: self.failed.get(&key).copied().unwrap_or(QcFlags::PASSED),
                    ..Sample::live(obs.time, value)
                };
                insert(series, sample);
            }
        }
        for series in self.recent.values_mut().flat_map(BTreeMap::values_mut) {
            let old = series.partition_point(|s| s.time <= cutoff);
            series.drain(..old);
        }
        self.failed.retain(|(_, _, time), _| *time > cutoff);
        self.pending = true;
        self.tick(network, now);
    }

    /// Takes the current flags of values (arrived failing, or re-judged): a failed value is
    /// not judged, and one cleared counts again from the next evaluation.
    pub fn flag(&mut self, marks: &[QcMark], now: Timestamp) {
        let cutoff = now.plus_ms(-LOOKBACK_MS);
        for mark in marks
            .iter()
            .filter(|m| JUDGED.contains(&m.element) && m.time > cutoff)
        {
            let key = (mark.station.clone(), mark.element, mark.time);
            if mark.flags.passed() {
                self.failed.remove(&key);
            } else {
                self.failed.insert(key, mark.flags);
            }
            let sample = self
                .recent
                .get_mut(&mark.station)
                .and_then(|s| s.get_mut(&mark.element))
                .and_then(|s| at_time(s, mark.time));
            if let Some(sample) = sample {
                sample.qc = mark.flags;
                self.pending = true;
            }
        }
    }

    /// Judges pending values if this minute has not been judged yet: the app calls it each
    /// time it wakes, so values held back within a minute are judged in the next.
    pub fn tick(&mut self, network: &Network, now: Timestamp) {
        let minute = now.floor(MINUTE_MS);
        if self.pending && self.evaluated != Some(minute) {
            self.evaluate(network, now);
            self.evaluated = Some(minute);
            self.pending = false;
        }
    }

    /// Marks the values for judging at the next tick (the network changed under them).
    pub fn judge_again(&mut self) {
        self.pending = true;
    }

    /// Forgets every value (the central was replaced); suggestions fall away at the next
    /// evaluation.
    pub fn forget_values(&mut self) {
        self.recent.clear();
        self.pending = true;
    }

    fn evaluate(&mut self, network: &Network, now: Timestamp) {
        let Some(catalogue) = &self.catalogue else {
            return;
        };
        let fresh = suggest::suggest(catalogue, network, &self.recent, now);
        let measured = suggest::measured_by(&self.recent, self.recent.keys());
        self.unobservable = suggest::unobservable(catalogue, &measured);
        if self.note_levels(&fresh, now) {
            self.alerts += 1;
        }
        let old = std::mem::take(&mut self.current);
        self.current = fresh
            .into_iter()
            .map(|suggestion| {
                let before = old.iter().find(|t| {
                    t.suggestion.signal == suggestion.signal
                        && t.suggestion.level == suggestion.level
                });
                TrackedSuggestion {
                    first_seen: before.map_or(now, |t| t.first_seen),
                    acknowledged_by: before.and_then(|t| t.acknowledged_by.clone()),
                    acknowledged_at: before.and_then(|t| t.acknowledged_at),
                    suggestion,
                }
            })
            .collect();
    }

    /// Records the levels of `fresh`; true if one appeared or rose.
    fn note_levels(&mut self, fresh: &[Suggestion], now: Timestamp) -> bool {
        let mut rose = false;
        for s in fresh {
            for township in &s.townships {
                let key = (s.signal.clone(), township.clone());
                let slot = self.seen.get(&key).copied();
                let remembered =
                    slot.filter(|(_, at)| now.millis() - at.millis() < RE_ALERT_AFTER_MS);
                match remembered {
                    Some((level, _)) if level > s.level => {}
                    Some((level, _)) if level == s.level => {
                        self.seen.insert(key, (level, now));
                    }
                    _ => {
                        rose = true;
                        self.seen.insert(key, (s.level, now));
                    }
                }
            }
        }
        self.seen
            .retain(|_, (_, at)| now.millis() - at.millis() < RE_ALERT_AFTER_MS);
        rose
    }

    /// Marks the suggestion of `signal` at `level` acknowledged by `by` at `at`.
    pub fn acknowledge(&mut self, signal: &str, level: Level, by: &str, at: Timestamp) {
        let found = self
            .current
            .iter_mut()
            .filter(|t| t.suggestion.signal == signal && t.suggestion.level == level);
        for tracked in found {
            tracked.acknowledged_by = Some(by.to_owned());
            tracked.acknowledged_at = Some(at);
        }
    }

    /// Whether a suggestion waits for acknowledgement.
    pub fn unacknowledged(&self) -> bool {
        self.current.iter().any(|t| t.acknowledged_by.is_none())
    }

    /// What the observations say of drafting `signal` for `area`, for the pre-send check
    /// (`checks::check_observations`).
    pub fn observed_level(
        &self,
        network: &Network,
        signal: &str,
        area: &std::collections::BTreeSet<String>,
        now: Timestamp,
    ) -> Observed {
        let Some(catalogue) = &self.catalogue else {
            return Observed::NotMeasured;
        };
        suggest::observed_level(catalogue, network, signal, area, &self.recent, now)
    }
}

/// Inserts in time order, replacing a value at the same instant (a repeated batch).
/// The sample of `series` (in time order) stamped `time`.
fn at_time(series: &mut [Sample], time: Timestamp) -> Option<&mut Sample> {
    let i = series.binary_search_by_key(&time, |s| s.time).ok()?;
    Some(&mut series[i])
}

fn insert(series: &mut Vec<Sample>, sample: Sample) {
    match series.last() {
        Some(last) if last.time < sample.time => series.push(sample),
        None => series.push(sample),
        _ => match series.binary_search_by_key(&sample.time, |s| s.time) {
            Ok(i) => series[i] = sample,
            Err(i) => series.insert(i, sample),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Source, StationId};

    fn network() -> Network {
        crate::assets::qingliu_network().unwrap()
    }

    fn start() -> Timestamp {
        Timestamp::parse_rfc3339("2026-07-10T15:00:00+08:00").unwrap()
    }

    /// A value at 708312 (嵩溪镇), stamped `minutes` after [`start`].
    fn obs(minutes: i64, element: Element, value: f64) -> Observation {
        Observation {
            station: StationId::parse("708312").unwrap(),
            time: start().plus_ms(minutes * MINUTE_MS),
            source: Source::Live,
            values: [(element, value), (Element::Prs, 990.0)].into(),
        }
    }

    /// The hour's rain at 708312, stamped `minutes` after [`start`].
    fn rain(minutes: i64, mm: f64) -> Observation {
        obs(minutes, Element::Pre1h, mm)
    }

    fn levels(state: &SuggestionsState) -> Vec<(String, Level)> {
        let current = state.current.iter().map(|t| &t.suggestion);
        current.map(|s| (s.signal.clone(), s.level)).collect()
    }

    #[test]
    fn alerts_when_a_level_appears_or_rises_and_not_while_it_holds() {
        let net = network();
        let mut state = SuggestionsState::default();
        let at = |m: i64| start().plus_ms(m * MINUTE_MS);
        state.observe(&[rain(-60, 30.0), rain(0, 25.0)], &net, at(0));
        assert_eq!(levels(&state), [("rainstorm".into(), Level::Orange)]);
        assert_eq!(state.alerts, 1);
        state.acknowledge("rainstorm", Level::Orange, "张伟", at(0));
        // The same level a minute later: no new alert, acknowledgement kept.
        state.observe(&[obs(1, Element::Pre, 0.0)], &net, at(1));
        assert_eq!(state.alerts, 1);
        assert_eq!(state.current[0].acknowledged_by.as_deref(), Some("张伟"));
        assert_eq!(state.current[0].first_seen, at(0));
        // Rises to red: 30 + 25 + 60 in the three hours to 16:00.
        state.observe(&[rain(60, 60.0)], &net, at(60));
        assert_eq!(levels(&state), [("rainstorm".into(), Level::Red)]);
        assert_eq!((state.alerts, state.unacknowledged()), (2, true));
        // Still red by the whole hours to 16:00 at 16:59, then orange at 17:00: nothing new
        // to say when it returns to red within the hour.
        state.observe(&[obs(119, Element::Pre, 0.0)], &net, at(119));
        assert_eq!(levels(&state), [("rainstorm".into(), Level::Red)]);
        state.observe(&[rain(120, 0.0)], &net, at(120));
        assert_eq!(levels(&state), [("rainstorm".into(), Level::Orange)]);
        let downpour = [obs(130, Element::Pre, 40.0), obs(131, Element::Pre, 40.0)];
        state.observe(&downpour, &net, at(131));
        assert_eq!(levels(&state), [("rainstorm".into(), Level::Red)]);
        assert_eq!(state.alerts, 2);
    }

    #[test]
    fn judged_at_most_once_a_minute() {
        let net = network();
        let mut state = SuggestionsState::default();
        let now = start().plus_ms(10_000);
        state.observe(&[rain(-60, 1.0)], &net, now);
        assert!(state.current.is_empty());
        // Later in the same minute: kept, judged at the next tick of another minute.
        state.observe(&[rain(0, 55.0)], &net, now.plus_ms(20_000));
        assert!(state.current.is_empty());
        state.tick(&net, now.plus_ms(40_000));
        assert!(state.current.is_empty(), "still the same minute");
        state.tick(&net, now.plus_ms(60_000));
        assert_eq!(levels(&state), [("rainstorm".into(), Level::Orange)]);
        // Nothing pending: ticks do nothing.
        let before = state.clone();
        state.tick(&net, now.plus_ms(5 * 60_000));
        assert_eq!(state, before);
        assert!(!state.unobservable.is_empty());
        let area = ["350423101".to_string()].into();
        let observed = state.observed_level(&net, "rainstorm", &area, now.plus_ms(60_000));
        assert_eq!(observed, Observed::Supports(Some(Level::Orange)));
    }

    #[test]
    fn a_value_failing_qc_is_not_judged_until_it_is_cleared() {
        use crate::domain::qc::{QcMark, QcTest};
        let net = network();
        let mut state = SuggestionsState::default();
        let at = |m: i64| start().plus_ms(m * MINUTE_MS);
        let mark = |flags| QcMark {
            station: StationId::parse("708312").unwrap(),
            element: Element::Pre1h,
            time: at(0),
            flags,
        };
        // The flags come first (as the backend sends them), then the values.
        state.flag(&[mark(QcFlags::PASSED.with(QcTest::Step))], at(0));
        state.observe(&[rain(-60, 30.0), rain(0, 25.0)], &net, at(0));
        assert_eq!(levels(&state), [], "a failed 25 mm does not count");
        // QC clears it: it counts from the next minute on.
        state.flag(&[mark(QcFlags::PASSED)], at(1));
        state.tick(&net, at(1));
        assert_eq!(levels(&state), [("rainstorm".into(), Level::Orange)]);
        // Re-judged as failing again: the suggestion falls away.
        state.flag(&[mark(QcFlags::PASSED.with(QcTest::Spatial))], at(2));
        state.tick(&net, at(2));
        assert_eq!(levels(&state), []);
    }
}
