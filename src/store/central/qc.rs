//! Quality control inside the ingest transaction: the values a batch stored are judged with
//! their history and their neighbours, and values already stored are judged again where the
//! batch changed what they are judged against (a neighbour's report arrived, a run of equal
//! values grew long enough to be stuck, a late value filled in a step).
//!
//! The rules are pure ([`crate::domain::qc`]); this module only loads the windows they need,
//! compares their verdicts with the stored flags, and writes what changed.
//!
//! The work is proportional to the data judged, never to the time between values: each new
//! value asks for a short window around itself (and an instant at each neighbour), the windows
//! are merged where they touch, and only the merged stretches are read. Two values 76 years
//! apart cost two small windows, not 76 years of empty days.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::super::StoreError;
use crate::domain::history::Sample;
use crate::domain::qc::{
    QcConfig, QcFlags, StationWindow, alone_lookback_ms, evaluate, judged_alone, judged_with,
};
use crate::domain::time::DAY_MS;
use crate::domain::{Element, Network, Observation, Station, StationId, Timestamp};
use crate::store::observations::{self, Writer};

/// What judging a batch did (the flags themselves are written into the chunks, whose hours
/// the change log then names).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QcVerdicts {
    /// What judging read from the database.
    pub work: QcWork,
}

/// How much quality control read to judge a batch: the measure that must grow with the
/// batch and its neighbourhood, not with the time its values span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QcWork {
    /// Series reads (one per station, element and slice of time loaded).
    pub series_reads: u64,
    /// Stored values those reads returned.
    pub values_read: u64,
}

/// Judging never loads more than this much time at once, so a year-long import is judged a
/// day at a time instead of all in memory.
const SLICE_MS: i64 = DAY_MS;

/// The stretches of time to judge at each station, sorted and disjoint.
type Targets<'n> = Vec<(&'n Station, Vec<Range<Timestamp>>)>;

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
    // Only the elements whose verdicts the new values can change, and what judging those
    // reads: a garden's five elements are not judged with the fifteen it never reports.
    let elements = judged_with(new.iter().flat_map(|o| o.values.keys().copied()));
    let new_at = new_values_at(new);
    let stretches = merged(
        targets
            .iter()
            .flat_map(|(_, ranges)| ranges.iter().cloned())
            .collect(),
    );
    for slice in stretches.iter().flat_map(|s| slices(s, SLICE_MS)) {
        let in_slice: Vec<(&Station, Range<Timestamp>)> = targets
            .iter()
            .flat_map(|(station, ranges)| {
                ranges
                    .iter()
                    .filter_map(|range| intersection(range, &slice).map(|r| (*station, r)))
            })
            .collect();
        if !in_slice.is_empty() {
            let context = SliceContext {
                network,
                config,
                elements: &elements,
                new_at: &new_at,
            };
            judge_slice(writer, &context, &in_slice, &mut verdicts)?;
        }
    }
    Ok(verdicts)
}

/// The stations to judge and over what time: each station with new values over what each of
/// its new values can affect, and each neighbour of one at the new values' own instants (its
/// spatial verdict there may change). Each station's ranges are merged where they touch.
fn targets<'n>(network: &'n Network, config: &QcConfig, new: &[Observation]) -> Targets<'n> {
    let mut ranges: BTreeMap<&StationId, Vec<Range<Timestamp>>> = BTreeMap::new();
    for o in new.iter().filter(|o| !o.values.is_empty()) {
        let Some(station) = network.stations.iter().find(|s| s.id == o.station) else {
            continue;
        };
        let own = config.plan(o.time..=o.time).evaluate;
        ranges.entry(&station.id).or_default().push(own);
        // A garden judges no neighbour, so its values re-judge nobody else.
        if !station.kind.is_standard_site() {
            continue;
        }
        for other in &network.stations {
            if config.spatial.are_neighbours(station, other) {
                let instant = o.time..o.time.plus_ms(1);
                ranges.entry(&other.id).or_default().push(instant);
            }
        }
    }
    network
        .stations
        .iter()
        .filter_map(|s| Some((s, merged(ranges.remove(&s.id)?))))
        .collect()
}

/// `ranges` sorted, with overlapping or touching ones joined: the least time that covers
/// them all without covering any gap between them.
fn merged(mut ranges: Vec<Range<Timestamp>>) -> Vec<Range<Timestamp>> {
    ranges.retain(|r| r.start < r.end);
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<Timestamp>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match out.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => out.push(range),
        }
    }
    out
}

/// `stretch` cut into consecutive pieces of at most `width_ms`.
fn slices(stretch: &Range<Timestamp>, width_ms: i64) -> impl Iterator<Item = Range<Timestamp>> {
    let end = stretch.end;
    let mut start = stretch.start;
    std::iter::from_fn(move || {
        (start < end).then(|| {
            let slice = start..start.plus_ms(width_ms).min(end);
            start = slice.end;
            slice
        })
    })
}

/// The time both ranges cover, if any.
fn intersection(a: &Range<Timestamp>, b: &Range<Timestamp>) -> Option<Range<Timestamp>> {
    let start = a.start.max(b.start);
    let end = a.end.min(b.end);
    (start < end).then_some(start..end)
}

/// Each station's new values: at each instant, which elements.
type NewAt<'o> = BTreeMap<&'o StationId, BTreeMap<Timestamp, BTreeSet<Element>>>;

fn new_values_at(new: &[Observation]) -> NewAt<'_> {
    let mut at: NewAt<'_> = BTreeMap::new();
    for o in new {
        let elements = at.entry(&o.station).or_default().entry(o.time).or_default();
        elements.extend(o.values.keys().copied());
    }
    at
}

/// What every slice is judged with.
struct SliceContext<'a> {
    network: &'a Network,
    config: &'a QcConfig,
    /// The elements judged.
    elements: &'a BTreeSet<Element>,
    /// The batch's new values.
    new_at: &'a NewAt<'a>,
}

/// The stations whose windows judging `targets` reads, in network order: the targets and
/// each target's neighbours. Not the whole network: a county's hundreds of gardens are
/// neighbours of nobody, and reading every station's every series for each batch made a
/// batch's cost grow with the registry rather than with the batch.
fn judged_or_judging<'n>(
    network: &'n Network,
    config: &QcConfig,
    targets: &[(&Station, Range<Timestamp>)],
) -> Vec<&'n Station> {
    let judged: BTreeSet<&StationId> = targets.iter().map(|(s, _)| &s.id).collect();
    let judging: Vec<&Station> = targets
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| s.kind.is_standard_site())
        .collect();
    network
        .stations
        .iter()
        .filter(|station| {
            judged.contains(&station.id)
                || judging
                    .iter()
                    .any(|target| config.spatial.are_neighbours(target, station))
        })
        .collect()
}

/// Each target station's ranges in this slice.
fn judged_ranges<'t>(
    targets: &'t [(&Station, Range<Timestamp>)],
) -> BTreeMap<&'t StationId, Vec<Range<Timestamp>>> {
    let mut ranges: BTreeMap<&StationId, Vec<Range<Timestamp>>> = BTreeMap::new();
    for (station, range) in targets {
        ranges.entry(&station.id).or_default().push(range.clone());
    }
    ranges
}

/// Judges the stations of one slice of time: `targets` hold their ranges within it. A garden
/// whose one new instant can be judged alone ([`judged_alone`]) is judged at that instant,
/// from a window reaching back only as far as that needs.
fn judge_slice(
    writer: &mut Writer<'_>,
    context: &SliceContext<'_>,
    targets: &[(&Station, Range<Timestamp>)],
    verdicts: &mut QcVerdicts,
) -> Result<(), StoreError> {
    let config = context.config;
    let Some(load) = targets
        .iter()
        .map(|(_, range)| config.plan(range.start..=range.end.plus_ms(-1)).load)
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
    else {
        return Ok(());
    };
    // Each loaded station's window over the slice's load range: targets need history around
    // their range, neighbours only their values at the same instants, which it contains. The
    // stored flags are kept only where the targets are judged, by station: judging writes
    // only what changes, and nothing else is looked up.
    let judged = judged_ranges(targets);
    let mut stored: BTreeMap<&StationId, BTreeMap<(Element, Timestamp), QcFlags>> = BTreeMap::new();
    let mut alone: BTreeMap<&StationId, Range<Timestamp>> = BTreeMap::new();
    let loaded = judged_or_judging(context.network, config, targets);
    let mut windows: Vec<StationWindow<'_>> = Vec::with_capacity(loaded.len());
    for station in loaded {
        let ranges = judged.get(&station.id).map_or(&[][..], Vec::as_slice);
        let (series, instant) = read_station(writer, context, station, ranges, &load, verdicts)?;
        let instant = instant.map(|t| t..t.plus_ms(1));
        let ranges = instant.as_ref().map_or(ranges, std::slice::from_ref);
        let mut window = StationWindow::new(station);
        for (element, samples) in series {
            for s in samples
                .iter()
                .filter(|s| ranges.iter().any(|r| r.contains(&s.time)))
            {
                let known = stored.entry(&station.id).or_default();
                known.insert((element, s.time), s.qc);
            }
            window
                .series
                .insert(element, samples.iter().map(|s| (s.time, s.value)).collect());
        }
        if let Some(instant) = instant {
            alone.insert(&station.id, instant);
        }
        windows.push(window);
    }
    let by_id: BTreeMap<&StationId, &StationWindow<'_>> =
        windows.iter().map(|w| (&w.station.id, w)).collect();
    let mut judged_alone_once = BTreeSet::new();
    for (station, range) in targets {
        let Some(&target) = by_id.get(&station.id) else {
            continue;
        };
        let range = match alone.get(&station.id) {
            Some(_) if !judged_alone_once.insert(&station.id) => continue,
            Some(instant) => instant.clone(),
            None => range.clone(),
        };
        let known = stored.entry(&station.id).or_default();
        for ((element, time), flags) in evaluate(config, target, &windows, range) {
            let before = known.get(&(element, time)).copied().unwrap_or_default();
            if flags != before {
                writer.set_qc(&station.id, element, time, flags)?;
                known.insert((element, time), flags);
            }
        }
    }
    Ok(())
}

/// A station's samples of the judged elements over `load`, and the instant to judge it at
/// alone, if so: a garden with one new instant in `ranges` is first read only from
/// [`alone_lookback_ms`] before it, and the rest of the window only if that does not do.
fn read_station(
    writer: &Writer<'_>,
    context: &SliceContext<'_>,
    station: &Station,
    ranges: &[Range<Timestamp>],
    load: &Range<Timestamp>,
    verdicts: &mut QcVerdicts,
) -> Result<(Series, Option<Timestamp>), StoreError> {
    let after = load.start.plus_ms(-1);
    let read = |from, verdicts: &mut QcVerdicts| {
        read_series(
            writer,
            station,
            context.elements,
            (from, load.end),
            &mut verdicts.work,
        )
    };
    let Some((t, new)) = lone_instant(context.new_at, station, ranges) else {
        return Ok((read(after, verdicts)?, None));
    };
    let from = t.plus_ms(-alone_lookback_ms(context.config)).max(after);
    let mut series = read(from, verdicts)?;
    if judged_alone(context.config, &series, t, new) {
        return Ok((series, Some(t)));
    }
    let earlier = read_series(
        writer,
        station,
        context.elements,
        (after, from),
        &mut verdicts.work,
    )?;
    for (element, mut before) in earlier {
        let later = series.entry(element).or_default();
        before.append(later);
        *later = before;
    }
    Ok((series, None))
}

/// Samples of each element, those that have any.
type Series = BTreeMap<Element, Vec<Sample>>;

/// The samples of `elements` at `station` stamped in `(after, until]`.
fn read_series(
    writer: &Writer<'_>,
    station: &Station,
    elements: &BTreeSet<Element>,
    (after, until): (Timestamp, Timestamp),
    work: &mut QcWork,
) -> Result<Series, StoreError> {
    let mut series = Series::new();
    for &element in elements {
        let samples = observations::samples(writer.conn(), &station.id, element, after, until)?;
        work.series_reads += 1;
        work.values_read += samples.len() as u64;
        if !samples.is_empty() {
            series.insert(element, samples);
        }
    }
    Ok(series)
}

/// The one instant of new values at a garden (judged by nobody else) within `ranges`, and
/// which elements are new there; none for a regional station or several instants.
fn lone_instant<'a>(
    new_at: &'a NewAt<'_>,
    station: &Station,
    ranges: &[Range<Timestamp>],
) -> Option<(Timestamp, &'a BTreeSet<Element>)> {
    if station.kind.is_standard_site() {
        return None;
    }
    let mut inside = new_at
        .get(&station.id)?
        .iter()
        .filter(|(t, _)| ranges.iter().any(|r| r.contains(t)));
    let (&t, new) = inside.next()?;
    inside.next().is_none().then_some((t, new))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Ranges = Vec<Range<Timestamp>>;

    fn r(start: i64, end: i64) -> Range<Timestamp> {
        Timestamp(start)..Timestamp(end)
    }

    #[test]
    fn ranges_merge_only_where_they_touch() {
        let cases: [(Ranges, Ranges); 5] = [
            (vec![], vec![]),
            (vec![r(5, 5)], vec![]),
            (vec![r(10, 20), r(0, 5)], vec![r(0, 5), r(10, 20)]),
            (vec![r(0, 10), r(10, 20)], vec![r(0, 20)]),
            (
                vec![r(0, 10), r(2, 4), r(8, 30), r(40, 41)],
                vec![r(0, 30), r(40, 41)],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(merged(input.clone()), expected, "{input:?}");
        }
    }

    /// Qingliu's 16 stations and `gardens` tea gardens, all at 58819's place.
    fn county_with_gardens(gardens: usize) -> Network {
        use crate::domain::network::StationKind;
        let mut stations = crate::domain::qc::fixtures::stations();
        let beside = stations[0].clone();
        stations.extend((0..gardens).map(|i| Station {
            id: StationId::parse(&format!("G{i:04}")).unwrap(),
            kind: StationKind::Garden,
            ..beside.clone()
        }));
        Network {
            townships: Vec::new(),
            stations,
        }
    }

    /// A temperature at `station` at `time`.
    fn tem_at(station: &str, time: Timestamp) -> Observation {
        Observation {
            station: StationId::parse(station).unwrap(),
            time,
            source: crate::domain::Source::Live,
            values: BTreeMap::from([(Element::Tem, 12.0)]),
        }
    }

    #[test]
    fn gardens_are_judged_alone_and_stations_with_their_neighbours_only() {
        let network = county_with_gardens(200);
        let config = crate::assets::qc_config().unwrap();
        let at = Timestamp::parse_rfc3339("2026-10-15T08:00:00+08:00").unwrap();
        // (new values at, stations judged, stations whose windows are read)
        let cases: [(&[&str], usize, usize); 4] = [
            (&["G0007"], 1, 1),
            (&["G0007", "G0150"], 2, 2),
            (
                &["58819"],
                1 + standard_neighbours(&network, &config, "58819"),
                16,
            ),
            (
                &["58819", "G0003"],
                2 + standard_neighbours(&network, &config, "58819"),
                17,
            ),
        ];
        for (at_stations, judged, read) in cases {
            let new: Vec<Observation> = at_stations.iter().map(|s| tem_at(s, at)).collect();
            let targets = targets(&network, &config, &new);
            let slice: Vec<(&Station, Range<Timestamp>)> = targets
                .iter()
                .map(|(s, ranges)| (*s, ranges[0].clone()))
                .collect();
            let loaded = judged_or_judging(&network, &config, &slice);
            let judged_ids: Vec<String> = targets.iter().map(|(s, _)| s.id.to_string()).collect();
            assert_eq!(judged_ids.len(), judged, "{at_stations:?}: {judged_ids:?}");
            assert_eq!(loaded.len(), read, "{at_stations:?}");
            for garden in judged_ids.iter().filter(|id| id.starts_with('G')) {
                assert!(at_stations.contains(&garden.as_str()), "{garden} judged");
            }
        }
    }

    /// How many standard sites judge `id`'s values.
    fn standard_neighbours(network: &Network, config: &QcConfig, id: &str) -> usize {
        let station = crate::domain::qc::fixtures::station(&network.stations, id);
        network
            .stations
            .iter()
            .filter(|s| config.spatial.are_neighbours(station, s))
            .count()
    }

    #[test]
    fn a_stretch_is_cut_into_slices_that_cover_it_exactly() {
        let cases: [(Range<Timestamp>, i64, Ranges); 4] = [
            (r(0, 0), 10, vec![]),
            (r(0, 10), 10, vec![r(0, 10)]),
            (r(0, 25), 10, vec![r(0, 10), r(10, 20), r(20, 25)]),
            (r(-5, 3), 4, vec![r(-5, -1), r(-1, 3)]),
        ];
        for (stretch, width, expected) in cases {
            assert_eq!(slices(&stretch, width).collect::<Vec<_>>(), expected);
        }
        assert_eq!(intersection(&r(0, 10), &r(5, 20)), Some(r(5, 10)));
        assert_eq!(intersection(&r(0, 10), &r(10, 20)), None);
    }
}
