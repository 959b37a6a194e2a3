//! Quality control inside the ingest transaction: the values a batch stored are judged with
//! their history and their neighbours, and values already stored are judged again where the
//! batch changed what they are judged against (a neighbour's report arrived, a run of equal
//! values grew long enough to be stuck, a late value filled in a step).
//!
//! The rules are pure ([`crate::domain::qc`]); this module only loads the windows they need,
//! compares their verdicts with the stored flags, and writes what changed.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use super::super::StoreError;
use crate::domain::qc::{QcConfig, QcFlags, StationWindow, evaluate};
use crate::domain::time::DAY_MS;
use crate::domain::{Element, Network, Observation, Station, StationId, Timestamp};
use crate::store::observations::{self, Writer};

/// What judging a batch decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QcVerdicts {
    /// Flags of the batch's new values that failed a test.
    pub new_values: BTreeMap<(StationId, Timestamp), BTreeMap<Element, QcFlags>>,
    /// Values stored before the batch whose flags changed: their flags now.
    pub rejudged: BTreeMap<(StationId, Timestamp), BTreeMap<Element, QcFlags>>,
}

/// Judging never loads more than this much time at once, so a year-long import is judged a
/// day at a time instead of all in memory.
const SLICE_MS: i64 = DAY_MS;

/// Judges what `new` (the values a batch stored, already written through `writer`) changes,
/// writes the flags through `writer`, and says what it decided.
pub fn judge(
    writer: &mut Writer<'_>,
    network: &Network,
    config: &QcConfig,
    new: &[Observation],
) -> Result<QcVerdicts, StoreError> {
    let mut verdicts = QcVerdicts::default();
    let targets = targets(network, config, new);
    if targets.is_empty() {
        return Ok(verdicts);
    }
    writer.flush()?;
    let fresh: HashSet<(&StationId, Element, Timestamp)> = new
        .iter()
        .flat_map(|o| o.values.keys().map(move |&e| (&o.station, e, o.time)))
        .collect();
    let earliest = targets.iter().map(|(_, r)| r.start).min();
    let latest = targets.iter().map(|(_, r)| r.end).max();
    let (Some(earliest), Some(latest)) = (earliest, latest) else {
        return Ok(verdicts);
    };
    let mut slice_start = earliest;
    while slice_start < latest {
        let slice = slice_start..slice_start.plus_ms(SLICE_MS).min(latest);
        let in_slice: Vec<(&Station, Range<Timestamp>)> = targets
            .iter()
            .filter_map(|(station, range)| {
                let start = range.start.max(slice.start);
                let end = range.end.min(slice.end);
                (start < end).then_some((*station, start..end))
            })
            .collect();
        if !in_slice.is_empty() {
            judge_slice(
                writer,
                network,
                config,
                &in_slice,
                &slice,
                &fresh,
                &mut verdicts,
            )?;
        }
        slice_start = slice.end;
    }
    Ok(verdicts)
}

/// The stations to judge and over what time: each station with new values over what its new
/// values can affect, and each neighbour of one over the new values' own times (its spatial
/// verdict there may change).
fn targets<'n>(
    network: &'n Network,
    config: &QcConfig,
    new: &[Observation],
) -> Vec<(&'n Station, Range<Timestamp>)> {
    let mut spans: BTreeMap<&StationId, (Timestamp, Timestamp)> = BTreeMap::new();
    for o in new.iter().filter(|o| !o.values.is_empty()) {
        let span = spans.entry(&o.station).or_insert((o.time, o.time));
        *span = (span.0.min(o.time), span.1.max(o.time));
    }
    let mut ranges: BTreeMap<&StationId, Range<Timestamp>> = BTreeMap::new();
    let mut widen = |id: &'n StationId, range: Range<Timestamp>| {
        let entry = ranges.entry(id).or_insert_with(|| range.clone());
        *entry = entry.start.min(range.start)..entry.end.max(range.end);
    };
    for station in &network.stations {
        if let Some(&(from, to)) = spans.get(&station.id) {
            widen(&station.id, config.plan(from..=to).evaluate);
        }
        for other in &network.stations {
            let near = other.id != station.id
                && other.location.distance_km(station.location) <= config.spatial.radius_km;
            if let (true, Some(&(from, to))) = (near, spans.get(&other.id)) {
                widen(&station.id, from..to.plus_ms(1));
            }
        }
    }
    network
        .stations
        .iter()
        .filter_map(|s| Some((s, ranges.remove(&s.id)?)))
        .collect()
}

/// Judges the stations of one slice of time.
fn judge_slice(
    writer: &mut Writer<'_>,
    network: &Network,
    config: &QcConfig,
    targets: &[(&Station, Range<Timestamp>)],
    slice: &Range<Timestamp>,
    fresh: &HashSet<(&StationId, Element, Timestamp)>,
    verdicts: &mut QcVerdicts,
) -> Result<(), StoreError> {
    let Some(load) = targets
        .iter()
        .map(|(_, range)| config.plan(range.start..=range.end.plus_ms(-1)).load)
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
    else {
        return Ok(());
    };
    // Every station's window over the slice's load range: targets need history around their
    // range, neighbours only their values at the same instants, which it contains.
    let mut stored: BTreeMap<(StationId, Element, Timestamp), QcFlags> = BTreeMap::new();
    let mut windows: Vec<StationWindow<'_>> = Vec::with_capacity(network.stations.len());
    for station in &network.stations {
        let mut window = StationWindow::new(station);
        for element in Element::ALL {
            let samples = observations::samples(
                writer.conn(),
                &station.id,
                element,
                load.start.plus_ms(-1),
                load.end,
            )?;
            if samples.is_empty() {
                continue;
            }
            for s in &samples {
                if s.time >= slice.start && s.time < slice.end {
                    stored.insert((station.id.clone(), element, s.time), s.qc);
                }
            }
            window
                .series
                .insert(element, samples.iter().map(|s| (s.time, s.value)).collect());
        }
        windows.push(window);
    }
    for (station, range) in targets {
        let Some(target) = windows.iter().find(|w| w.station.id == station.id) else {
            continue;
        };
        for ((element, time), flags) in evaluate(config, target, &windows, range.clone()) {
            let key = (station.id.clone(), element, time);
            let before = stored.get(&key).copied().unwrap_or_default();
            let is_new = fresh.contains(&(&station.id, element, time));
            if is_new && !flags.passed() {
                verdicts
                    .new_values
                    .entry((station.id.clone(), time))
                    .or_default()
                    .insert(element, flags);
            }
            if flags != before {
                writer.set_qc(&station.id, element, time, flags)?;
                if !is_new {
                    verdicts
                        .rejudged
                        .entry((station.id.clone(), time))
                        .or_default()
                        .insert(element, flags);
                }
                stored.insert(key, flags);
            }
        }
    }
    Ok(())
}
