//! The hourly archive and the order of a start's past: valid imported records on the hour,
//! rain that adds up to the minutes, holes exactly where the on-the-hour minute was lost, and
//! the same records whatever window a restart asks for.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::*;
use crate::domain::StationId;
use crate::domain::time::DAY_MS;
use crate::protocol::ObservationRecord;

fn simulator() -> &'static Simulator {
    static SIM: OnceLock<Simulator> = OnceLock::new();
    SIM.get_or_init(|| Simulator::new(&crate::assets::qingliu_network().unwrap()).unwrap())
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// Rain in tenths of mm, as the gauge counts it.
fn tenths(value: f64) -> i64 {
    (value * 10.0).round() as i64
}

/// The elements every archive record has.
const HOURLY: [Element; 7] = [
    Element::Tem,
    Element::Rhu,
    Element::Prs,
    Element::WinSAvg2mi,
    Element::WinDAvg2mi,
    Element::WinSInstMax,
    Element::Gst,
];

#[test]
fn archive_records_are_valid_imported_hours_without_minute_rain() {
    let sim = simulator();
    // 2016-05 replays 2010-05, with Guangzhou's wettest hour: rain of every size.
    let (from, to) = (at("2016-04-20T00:30:00Z"), at("2016-05-20T00:30:00Z"));
    let archive = sim.observations(&sim.archive(from, to));
    assert!(archive.len() > 30 * 24 * 16 * 95 / 100, "{}", archive.len());
    let national = StationId::parse("58819").unwrap();
    let mut wet_hours = 0;
    for obs in &archive {
        let context = format!("{} {}", obs.station, obs.time);
        assert_eq!(obs.time, obs.time.floor(HOUR_MS), "{context}: on the hour");
        assert!(
            from < obs.time && obs.time <= to,
            "{context}: in the window"
        );
        assert_eq!(obs.source, Source::Imported, "{context}");
        let parsed = ObservationRecord::from(obs).parse(to).unwrap();
        assert!(parsed.value_errors.is_empty(), "{context}: {parsed:?}");
        assert_eq!(&parsed.observation, obs, "{context}: survives the wire");
        assert!(!obs.values.contains_key(&Element::Pre), "{context}: no PRE");
        for element in HOURLY {
            assert!(
                obs.values.contains_key(&element),
                "{context} lacks {element}"
            );
        }
        assert_eq!(
            obs.values.contains_key(&Element::Vis),
            obs.station == national
        );
        wet_hours += usize::from(obs.values.get(&Element::Pre1h).is_some_and(|r| *r > 0.0));
    }
    assert!(wet_hours > 200, "{wet_hours} wet station-hours");
}

#[test]
fn an_hours_rain_is_the_sum_of_its_minutes() {
    let sim = simulator();
    // Three days around 2010's wettest hour, replayed in 2016.
    let (from, to) = (at("2016-05-05T12:00:00Z"), at("2016-05-08T12:00:00Z"));
    let (mut checked, mut missing, mut total) = (0, 0, 0);
    for obs in sim.observations(&sim.archive(from, to)) {
        let station = sim
            .stations()
            .iter()
            .position(|s| s.id == obs.station)
            .unwrap();
        let minutes: Vec<Option<f64>> = (0..60)
            .map(|k| {
                let minute = obs.time.plus_ms(-k * MINUTE_MS);
                sim.observe(station, minute, Source::Live)
                    .map(|m| m.values[&Element::Pre])
            })
            .collect();
        match obs.values.get(&Element::Pre1h) {
            Some(hour) => {
                let sum: i64 = minutes.iter().map(|m| tenths(m.unwrap())).sum();
                assert_eq!(tenths(*hour), sum, "{} {}", obs.station, obs.time);
                checked += 1;
                total += sum;
            }
            // The station cannot know the hour's rain when it lost some of its minutes.
            None => {
                assert!(minutes.contains(&None), "{} {}", obs.station, obs.time);
                missing += 1;
            }
        }
    }
    assert!(
        checked > 1000 && total > 5000,
        "{checked} hours, {total} tenths"
    );
    assert!(missing < checked / 10, "{missing}");
}

#[test]
fn silent_hours_are_absent_and_only_those() {
    let sim = simulator();
    let (from, to) = (at("2026-03-01T00:00:00Z"), at("2026-05-01T00:00:00Z"));
    let archived: BTreeSet<(usize, Timestamp)> = sim
        .archive(from, to)
        .iter()
        .map(|d| (d.station, d.time))
        .collect();
    let (mut lost, mut late) = (0, 0);
    for h in 1..=(to.0 - from.0) / HOUR_MS {
        let time = from.plus_ms(h * HOUR_MS);
        for station in 0..sim.stations().len() {
            let fate = sim.fate(station, time);
            assert_eq!(
                archived.contains(&(station, time)),
                fate != MinuteFate::Lost,
                "{station} {time}: {fate:?}"
            );
            lost += usize::from(fate == MinuteFate::Lost);
            late += usize::from(matches!(fate, MinuteFate::Delayed { .. }));
        }
    }
    assert!(lost > 10 && late > 10, "{lost} lost, {late} sent late");
}

#[test]
fn the_archive_is_a_pure_function_of_station_and_hour() {
    let other = Simulator::new(&crate::assets::qingliu_network().unwrap()).unwrap();
    let (from, to) = (at("2026-06-01T00:00:00Z"), at("2026-06-11T00:00:00Z"));
    let first = simulator().observations(&simulator().archive(from, to));
    assert_eq!(first, other.observations(&other.archive(from, to)));
    // A restart a day and a minute later asks for a later window: where the two overlap they
    // hold the same records, wherever the boundaries fall.
    let later = from.plus_ms(DAY_MS + MINUTE_MS);
    let again = other.observations(&other.archive(later, to.plus_ms(DAY_MS)));
    let overlap: Vec<&Observation> = first.iter().filter(|o| o.time > later).collect();
    assert!(!overlap.is_empty());
    assert_eq!(
        overlap,
        again.iter().take(overlap.len()).collect::<Vec<_>>()
    );
    // And the minute a central may already hold, live, says the same plus the minute's rain.
    for obs in first.iter().step_by(97) {
        let station = simulator()
            .stations()
            .iter()
            .position(|s| s.id == obs.station);
        let mut minute = simulator()
            .observe(station.unwrap(), obs.time, Source::Live)
            .unwrap();
        assert!(minute.values.remove(&Element::Pre).is_some());
        assert_eq!(minute.values, obs.values, "{} {}", obs.station, obs.time);
    }
}

#[test]
fn the_past_is_the_archive_then_the_minutes_in_time_order() {
    let sim = simulator();
    let now = at("2026-07-15T02:07:00Z");
    let history = History {
        archive_days: 2,
        backfill_hours: 3,
    };
    let past = sim.past(history, now);
    let backfill_from = now.plus_ms(-3 * HOUR_MS);
    let archive_from = backfill_from.plus_ms(-2 * DAY_MS);
    assert_eq!(
        (history.backfill_from(now), history.archive_from(now)),
        (backfill_from, archive_from)
    );
    let split = past
        .iter()
        .position(|d| d.source != Source::Imported)
        .unwrap();
    let (archive, minutes) = past.split_at(split);
    assert_eq!(archive, sim.archive(archive_from, backfill_from));
    assert_eq!(minutes, sim.history(backfill_from, now));
    assert!(archive.len() > 2 * 24 * 16 * 9 / 10, "{}", archive.len());
    assert!(
        archive
            .iter()
            .all(|d| archive_from < d.time && d.time <= backfill_from)
    );
    assert!(
        minutes
            .iter()
            .all(|d| backfill_from < d.time && d.time <= now)
    );
    assert!(minutes.iter().all(|d| d.source != Source::Imported));
    assert!(
        past.windows(2).all(|w| w[0].time <= w[1].time),
        "oldest first"
    );
    // 48 whole hours however the window falls on the clock.
    let hours: BTreeSet<Timestamp> = archive.iter().map(|d| d.time).collect();
    assert_eq!(hours.len(), 48);
    assert_eq!(sim.past(History::minutes(3), now), minutes, "no archive");
}

/// A year of archive is every station's every hour, less outages. (What it costs is measured
/// by `cargo bench --bench sim`, not asserted here.)
#[test]
fn a_year_of_archive_is_every_station_every_hour() {
    let sim = simulator();
    let to = at("2026-07-01T00:00:00Z");
    let observations = sim.observations(&sim.archive(to.plus_ms(-365 * DAY_MS), to));
    // 16 stations × 8760 hours, both ends of the window included.
    let possible = 16 * 8761;
    assert!(
        (possible * 98 / 100..=possible).contains(&observations.len()),
        "{} of {possible}",
        observations.len()
    );
}
