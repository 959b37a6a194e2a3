//! Properties of the simulated network over long sweeps: physics, consistency, determinism,
//! outages.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;
use std::time::Instant;

use super::*;
use crate::domain::observation::check_value;
use crate::domain::time::{DAY_MS, HOUR_MS};
use crate::domain::{Element, StationId};

fn simulator() -> &'static Simulator {
    static SIM: OnceLock<Simulator> = OnceLock::new();
    SIM.get_or_init(|| Simulator::new(&crate::assets::qingliu_network().unwrap()).unwrap())
}

fn index(id: &str) -> usize {
    let id = StationId::parse(id).unwrap();
    simulator()
        .stations()
        .iter()
        .position(|s| s.id == id)
        .unwrap()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

/// 2026-01-01T00:00 Beijing time.
const YEAR_2026: Timestamp = Timestamp(1_767_196_800_000);

/// Observations of every station every `step` minutes over 2026, measured minutes only.
fn sweep(step: i64) -> impl Iterator<Item = Observation> {
    let sim = simulator();
    (0..365 * 1440 / step).flat_map(move |k| {
        let time = YEAR_2026.plus_ms(k * step * MINUTE_MS);
        let all: Vec<Delivery> = (0..sim.stations().len())
            .map(|station| Delivery {
                station,
                time,
                source: Source::Live,
            })
            .collect();
        sim.observations(&all)
    })
}

#[test]
fn every_value_is_valid_and_consistent_over_a_year() {
    let started = Instant::now();
    let mut count = 0;
    let mut with_vis = HashSet::new();
    for obs in sweep(7) {
        count += 1;
        for (element, value) in &obs.values {
            assert!(
                check_value(*element, *value).is_ok(),
                "{} {} {element}={value}",
                obs.station,
                obs.time
            );
        }
        let v = &obs.values;
        assert!(v[&Element::Rhu] <= 100.0);
        assert!(v[&Element::WinSInstMax] >= v[&Element::WinSAvg2mi]);
        assert!(v[&Element::WinDAvg2mi] > 0.0, "directions are 1–360");
        if let Some(hour) = v.get(&Element::Pre1h) {
            assert!(*hour >= v[&Element::Pre]);
        }
        for element in Element::EVERY_MINUTE {
            assert!(v.contains_key(&element), "{} lacks {element}", obs.station);
        }
        if v.contains_key(&Element::Vis) {
            with_vis.insert(obs.station.clone());
        }
    }
    assert!(count > 1_150_000, "{count}");
    assert_eq!(
        with_vis,
        HashSet::from([StationId::parse("58819").unwrap()]),
        "visibility at the national station only"
    );
    println!("{count} observations checked in {:?}", started.elapsed());
}

/// Mean of an element per station over the sweep.
fn means(step: i64, element: Element) -> BTreeMap<usize, f64> {
    let mut sums: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
    for obs in sweep(step) {
        let s = simulator()
            .stations()
            .iter()
            .position(|m| m.id == obs.station)
            .unwrap();
        let entry = sums.entry(s).or_default();
        entry.0 += obs.values[&element];
        entry.1 += 1.0;
    }
    sums.into_iter().map(|(s, (sum, n))| (s, sum / n)).collect()
}

#[test]
fn higher_stations_are_colder_by_the_lapse_rate_and_have_lower_pressure() {
    let sim = simulator();
    let temps = means(61, Element::Tem);
    let pressures = means(61, Element::Prs);
    let alt = |s: usize| sim.stations()[s].altitude_m;
    // Least-squares slope of mean temperature against altitude.
    let n = temps.len() as f64;
    let mean_alt = temps.keys().map(|s| alt(*s)).sum::<f64>() / n;
    let mean_t = temps.values().sum::<f64>() / n;
    let (mut cov, mut var) = (0.0, 0.0);
    for (s, t) in &temps {
        cov += (alt(*s) - mean_alt) * (t - mean_t);
        var += (alt(*s) - mean_alt).powi(2);
    }
    let slope_per_km = cov / var * 1000.0;
    assert!((-7.0..-6.0).contains(&slope_per_km), "{slope_per_km} K/km");
    let mountain_minus_valley = temps[&index("708308")] - temps[&index("708310")];
    assert!(
        (-6.2..-4.6).contains(&mountain_minus_valley),
        "{mountain_minus_valley}"
    );
    let mut by_altitude: Vec<usize> = pressures.keys().copied().collect();
    by_altitude.sort_by(|a, b| alt(*a).total_cmp(&alt(*b)));
    for pair in by_altitude.windows(2) {
        let (low, high) = (pair[0], pair[1]);
        if alt(high) - alt(low) > 10.0 {
            assert!(pressures[&high] < pressures[&low], "{low} vs {high}");
        }
    }
    // ~96 hPa between 285 m and 1112 m.
    let drop = pressures[&index("708310")] - pressures[&index("708308")];
    assert!((88.0..100.0).contains(&drop), "{drop}");
}

#[test]
fn minute_rain_adds_up_to_the_hourly_value() {
    let sim = simulator();
    // 2016 replays 2010; 6–7 May 2010 brought Guangzhou's wettest hour (99.1 mm).
    let start = at("2016-05-06T12:00:00Z");
    for s in [index("58819"), index("708308"), index("708315")] {
        let mut minutes: Vec<i64> = Vec::new();
        let mut wettest_hour = 0.0_f64;
        for k in 0..(36 * 60) {
            let time = start.plus_ms(k * MINUTE_MS);
            let Some(obs) = sim.observe(s, time, Source::Live) else {
                minutes.clear(); // a lost minute breaks the hourly sum, as at a real station
                continue;
            };
            let tenths = |e: Element| (obs.values[&e] * 10.0).round() as i64;
            minutes.push(tenths(Element::Pre));
            match obs.values.get(&Element::Pre1h) {
                Some(hour) if minutes.len() >= 60 => {
                    let last_60: i64 = minutes[minutes.len() - 60..].iter().sum();
                    assert_eq!(tenths(Element::Pre1h), last_60, "{s} {time}");
                    wettest_hour = wettest_hour.max(*hour);
                }
                // The first hour of the test: minutes before it were not collected.
                Some(_) => assert!(k < 59, "{s} {time}: PRE_1h right after a lost minute"),
                None => assert!(minutes.len() < 60, "{s} {time} lacks PRE_1h"),
            }
        }
        assert!(
            wettest_hour > 30.0,
            "station {s}: wettest hour {wettest_hour}"
        );
    }
}

#[test]
fn annual_rain_follows_the_driver_with_spatial_spread() {
    let sim = simulator();
    let mut totals = vec![0.0; sim.stations().len()];
    // PRE_1h on the hour, every hour of 2026 (→ 2014: 2234 mm at Guangzhou).
    for h in 0..(365 * 24) {
        let time = YEAR_2026.plus_ms(h * HOUR_MS);
        for (s, total) in totals.iter_mut().enumerate() {
            if let Some(obs) = sim.observe(s, time, Source::Live) {
                *total += obs.values.get(&Element::Pre1h).copied().unwrap_or(0.0);
            }
        }
    }
    for (s, total) in totals.iter().enumerate() {
        assert!((1500.0..3600.0).contains(total), "station {s}: {total} mm");
    }
    let valley_mean = (totals[index("708310")] + totals[index("708312")]) / 2.0;
    assert!(totals[index("708308")] > valley_mean, "{totals:?}");
    // Neighbours (嵩溪 and 嵩溪高山, ~5.6 km) correlate hour by hour: checked in rain.rs.
}

#[test]
fn values_are_a_pure_function_of_station_and_minute() {
    let network = crate::assets::qingliu_network().unwrap();
    let other = Simulator::new(&network).unwrap();
    let time = at("2026-07-15T06:31:00Z");
    for s in 0..16 {
        assert_eq!(
            simulator().observe(s, time, Source::Live),
            other.observe(s, time, Source::Live)
        );
    }
    // Two valley stations a few km apart: close, not identical.
    let (a, b) = (index("708306"), index("708307"));
    let mut differ = 0;
    for k in 0..600 {
        let t = time.plus_ms(k * MINUTE_MS);
        let (Some(x), Some(y)) = (
            simulator().observe(a, t, Source::Live),
            simulator().observe(b, t, Source::Live),
        ) else {
            continue;
        };
        let dt = (x.values[&Element::Tem] - y.values[&Element::Tem]).abs();
        assert!(dt < 2.0, "{t}: {dt}");
        differ += usize::from(dt > 0.05);
    }
    assert!(differ > 300, "{differ}");
}

#[test]
fn ground_is_warmer_than_air_by_day_and_cooler_on_clear_nights() {
    let sim = simulator();
    let s = index("58819");
    let (mut noon, mut night, mut n_noon, mut n_night) = (0.0, 0.0, 0.0, 0.0);
    for d in 0..365 {
        let day = YEAR_2026.plus_ms(d * DAY_MS);
        // 13:00 and 04:00 Beijing time.
        for (hour, sum, n) in [(13, &mut noon, &mut n_noon), (4, &mut night, &mut n_night)] {
            let Some(obs) = sim.observe(s, day.plus_ms(hour * HOUR_MS), Source::Live) else {
                continue;
            };
            let v = &obs.values;
            if v[&Element::Rhu] < 70.0 && v.get(&Element::Pre1h) == Some(&0.0) {
                *sum += v[&Element::Gst] - v[&Element::Tem];
                *n += 1.0;
            }
        }
    }
    let (noon, night) = (noon / n_noon, night / n_night);
    assert!(noon > 6.0, "dry early afternoons: ground {noon:+.1} K");
    assert!(night < -0.5, "dry nights: ground {night:+.1} K");
}

#[test]
fn visibility_drops_in_rain_and_near_saturation() {
    let sim = simulator();
    let s = index("58819");
    let (mut dry, mut wet, mut n_dry, mut n_wet) = (0.0, 0.0, 0.0, 0.0);
    let mut fog = 0;
    for obs in
        (0..365 * 24).filter_map(|h| sim.observe(s, YEAR_2026.plus_ms(h * HOUR_MS), Source::Live))
    {
        let v = &obs.values;
        if v.get(&Element::Pre1h).is_some_and(|r| *r >= 2.0) {
            wet += v[&Element::Vis];
            n_wet += 1.0;
        } else if v[&Element::Rhu] < 70.0 {
            dry += v[&Element::Vis];
            n_dry += 1.0;
        }
        fog += usize::from(v[&Element::Vis] < 1000.0);
    }
    let (dry, wet) = (dry / n_dry, wet / n_wet);
    assert!(dry > 15_000.0 && wet < dry / 3.0, "dry {dry} wet {wet}");
    assert!((20..2000).contains(&fog), "{fog} foggy hours");
}

#[test]
fn silent_minutes_send_nothing_and_comms_backlogs_arrive_once() {
    let sim = simulator();
    let from = at("2026-03-01T00:00:00Z");
    let to = from.plus_ms(10 * DAY_MS);
    let mut sent = Vec::new();
    let mut minute = from.plus_ms(MINUTE_MS);
    while minute <= to {
        for d in sim.deliveries_at(minute) {
            match d.source {
                Source::Live => assert_eq!(d.time, minute),
                _ => assert!(d.time < minute),
            }
            assert_ne!(sim.fate(d.station, d.time), MinuteFate::Lost);
            assert!(sim.delivery(d).is_some());
            sent.push(d);
        }
        minute = minute.plus_ms(MINUTE_MS);
    }
    let unique: HashSet<(usize, Timestamp)> = sent.iter().map(|d| (d.station, d.time)).collect();
    assert_eq!(
        unique.len(),
        sent.len(),
        "every minute is sent at most once"
    );
    let in_window: Vec<Delivery> = sent.iter().copied().filter(|d| d.time > from).collect();
    let mut history = sim.history(from, to);
    let mut live_then_late = in_window.clone();
    let key = |d: &Delivery| (d.time, d.station);
    history.sort_by_key(key);
    live_then_late.sort_by_key(key);
    assert_eq!(history, live_then_late, "history is what was sent");

    let backfilled = sent
        .iter()
        .filter(|d| d.source == Source::Backfilled)
        .count();
    let possible = 16 * 10 * 1440;
    let silent = possible
        - in_window
            .iter()
            .filter(|d| d.source == Source::Live)
            .count();
    assert!(
        backfilled > 0 && silent > backfilled,
        "{backfilled} late, {silent} silent"
    );
    assert!(
        (0.005..0.05).contains(&(silent as f64 / possible as f64)),
        "{silent} of {possible}"
    );
}

/// A day of history is every station's every minute, less the outages. (What it costs is
/// measured by `cargo bench --bench sim`, not asserted here.)
#[test]
fn a_day_of_history_is_every_station_every_minute_less_outages() {
    let sim = simulator();
    let history = sim.history(at("2026-07-01T00:00:00Z"), at("2026-07-02T00:00:00Z"));
    let observations = sim.observations(&history);
    // Both ends of the window included.
    let possible = sim.stations().len() * 1441;
    assert!(
        (possible * 95 / 100..=possible).contains(&observations.len()),
        "{} of {possible}",
        observations.len()
    );
    // And a live minute delivers at most one record per station.
    let minute = sim.observations(&sim.deliveries_at(at("2026-07-03T00:07:00Z")));
    assert!(minute.len() <= sim.stations().len(), "{}", minute.len());
}

/// `cargo test sample_day -- --ignored --nocapture` prints a day at two stations.
#[test]
#[ignore = "prints a sample day for people to look at"]
fn sample_day() {
    let sim = simulator();
    for id in ["58819", "708308"] {
        println!("{id}, 2026-07-15 Beijing time (driver: Guangzhou 2014-07-15)");
        for h in (0..24).step_by(2) {
            let time = at("2026-07-14T16:00:00Z").plus_ms(h * HOUR_MS);
            let Some(obs) = sim.observe(index(id), time, Source::Live) else {
                println!("  {h:02}:00 (lost)");
                continue;
            };
            let text: Vec<String> = obs
                .values
                .iter()
                .map(|(e, v)| format!("{}={v}", e.code()))
                .collect();
            println!("  {h:02}:00 {}", text.join(" "));
        }
    }
    println!(
        "PRE_1h (mm) per station, 2028-05-07 01–06 Beijing time (driver: 2010-05-07, 99.1 mm at 02h)"
    );
    for (s, model) in sim.stations().iter().enumerate() {
        let hours: Vec<String> = (1..=6)
            .map(|h| {
                let time = at("2028-05-06T16:00:00Z").plus_ms(h * HOUR_MS);
                sim.observe(s, time, Source::Live)
                    .and_then(|o| o.values.get(&Element::Pre1h).copied())
                    .map_or("  —  ".to_owned(), |v| format!("{v:5.1}"))
            })
            .collect();
        println!(
            "  {} {:>6.0} m  {}",
            model.id,
            model.altitude_m,
            hours.join(" ")
        );
    }
}
