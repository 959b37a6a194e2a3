//! Test fixtures: Qingliu's real stations, a limits table, and a clean simulated day built from
//! smooth diurnal curves with a little turbulence, at each station's altitude.

use std::collections::BTreeMap;
use std::f64::consts::{PI, TAU};

use super::evaluate::StationWindow;
use super::limits::ClimateLimits;
use super::physics::{pressure_at, relative_humidity};
use crate::domain::geo::LatLon;
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::{Element, Station, StationId, StationKind, Timestamp, TownshipCode};

/// A limits table for the rules' tests, fixed here so that editing the shipped table does not
/// change what the rules' tests mean (the numbers were those of `assets/qc/limits.json`).
const LIMITS: &str = r#"{
  "scope": "tests",
  "reference_altitude_m": 336.9,
  "elements": {
    "TEM": {
      "altitude": { "lapse": { "per_100m": 0.65 } },
      "min": [-12, -11, -7, -3, 3, 8, 13, 12, 5, -2, -7, -12],
      "max": [29, 32, 35, 37, 38, 40, 42, 42, 40, 38, 34, 30]
    },
    "DPT": {
      "altitude": { "lapse": { "per_100m": 0.2 } },
      "min": [-25, -24, -20, -14, -6, 2, 8, 8, 0, -10, -18, -25],
      "max": [22, 23, 25, 27, 28, 29, 29, 29, 28, 27, 25, 23]
    },
    "GST": {
      "altitude": { "lapse": { "per_100m": 0.65 } },
      "min": [-15, -14, -10, -5, 2, 8, 12, 11, 4, -3, -9, -15],
      "max": [50, 55, 60, 65, 70, 72, 75, 75, 70, 65, 55, 50]
    },
    "RHU": {
      "min": [5, 5, 6, 8, 12, 20, 20, 20, 12, 6, 5, 5],
      "max": [100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
    },
    "PRS": {
      "altitude": "barometric",
      "min": [952, 947, 943, 941, 938, 931, 917, 917, 921, 934, 943, 949],
      "max": [1011, 1010, 1007, 1003, 996, 989, 986, 986, 994, 1003, 1007, 1011]
    },
    "PRE": {
      "min": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      "max": [3, 3, 5, 6, 8, 10, 10, 10, 8, 5, 4, 3]
    },
    "PRE_1h": {
      "min": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      "max": [30, 40, 80, 100, 130, 130, 130, 130, 100, 80, 50, 30]
    },
    "WIN_S_Avg_2mi": {
      "min": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      "max": [20, 20, 20, 20, 20, 25, 25, 25, 25, 20, 20, 20]
    },
    "WIN_S_Inst_Max": {
      "min": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      "max": [30, 30, 30, 40, 40, 40, 40, 40, 40, 30, 30, 30]
    }
  }
}"#;

/// The fixture limits.
pub(crate) fn limits() -> ClimateLimits {
    ClimateLimits::parse(LIMITS).unwrap()
}

/// The altitude the fixture's weather is described at: 58819's field.
const REFERENCE_M: f64 = 336.9;

/// Qingliu's 16 stations as catalogued in `assets/geo/stations.csv` (id, lat, lon, altitude);
/// township codes are not needed here.
pub(crate) fn stations() -> Vec<Station> {
    let rows = [
        ("58819", 26.1833, 116.8167, 336.9),
        ("708301", 25.8608, 116.8119, 394.0),
        ("708302", 26.2339, 117.0139, 495.0),
        ("708303", 25.9808, 116.7317, 404.0),
        ("708304", 26.0550, 116.8508, 304.0),
        ("708305", 25.8275, 116.7900, 339.6),
        ("708306", 25.9158, 116.8381, 320.0),
        ("708307", 25.9389, 116.8828, 324.4),
        ("708308", 26.2400, 116.8817, 1112.1),
        ("708309", 25.8619, 116.8692, 494.2),
        ("708310", 26.1333, 116.8833, 285.0),
        ("708311", 26.3175, 117.0686, 494.0),
        ("708312", 26.2553, 116.9361, 303.8),
        ("708313", 26.1019, 117.0436, 366.0),
        ("708314", 26.0167, 116.6994, 436.0),
        ("708315", 26.0197, 116.9683, 292.0),
    ];
    rows.into_iter()
        .map(|(id, lat, lon, altitude_m)| Station {
            id: StationId::parse(id).unwrap(),
            name_zh: id.to_owned(),
            name_en: id.to_owned(),
            kind: if id.len() == 5 {
                StationKind::National
            } else {
                StationKind::Regional
            },
            location: LatLon::new(lat, lon),
            altitude_m,
            township: TownshipCode(350_423_100),
            uncertainty: None,
        })
        .collect()
}

/// The station with this id.
pub(crate) fn station<'s>(stations: &'s [Station], id: &str) -> &'s Station {
    stations.iter().find(|s| s.id.as_str() == id).unwrap()
}

/// Midnight (Beijing) starting the fixture day: a dry, clear mid-October day.
pub(crate) fn day() -> Timestamp {
    Timestamp::parse_rfc3339("2026-10-15T00:00:00+08:00").unwrap()
}

/// The range evaluated: the fixture day.
pub(crate) fn day_range() -> std::ops::Range<Timestamp> {
    day()..day().plus_ms(24 * HOUR_MS)
}

/// One value a minute of every element the station reports, from 250 minutes before the fixture
/// day to 10 minutes after it: what the caller loads for that day. The national station also
/// reports dew point and visibility.
pub(crate) fn clean_day(station: &Station) -> StationWindow<'_> {
    let seed = station
        .id
        .as_str()
        .bytes()
        .fold(7_u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
    let phase = (seed % 1000) as f64 / 1000.0 * TAU;
    let bias = ((seed % 7) as f64 - 3.0) / 10.0;
    let rise = station.altitude_m - REFERENCE_M;
    let national = station.kind == StationKind::National;
    let start = day().plus_ms(-250 * MINUTE_MS);
    let minutes = 250 + 24 * 60 + 10;
    let mut series: BTreeMap<Element, Vec<(Timestamp, f64)>> = BTreeMap::new();
    for n in 0..minutes {
        let time = start.plus_ms(n * MINUTE_MS);
        let m = time.0 as f64 / MINUTE_MS as f64;
        let hour = ((time.0 - day().0).rem_euclid(24 * HOUR_MS)) as f64 / HOUR_MS as f64;
        let wave = |period_h: f64, peak_h: f64| (TAU * (hour - peak_h) / period_h).cos();
        let wiggle = |period_min: f64, k: f64| (TAU * m / period_min + k * phase).sin();

        let valley_temp = 19.5 + 5.5 * wave(24.0, 14.5);
        let temp = valley_temp - 0.65 * rise / 100.0
            + bias
            + 0.25 * wiggle(7.3, 1.0)
            + 0.15 * wiggle(17.9, 2.0);
        let dew = (12.5 + 1.2 * wave(24.0, 15.0) + 0.1 * wiggle(19.0, 3.0) - 0.2 * rise / 100.0)
            .min(temp);
        let (temp, dew) = (round(temp, 1), round(dew, 1));
        let humidity = relative_humidity(temp, dew).min(100.0).round();
        let pressure = pressure_at(
            975.0 + 0.9 * wave(12.0, 10.0) + 0.06 * wiggle(23.0, 4.0),
            REFERENCE_M,
            station.altitude_m,
            valley_temp - 0.65 * rise / 200.0,
        );
        let wind = (1.8 + 1.2 * wave(24.0, 15.0) + 0.4 * wiggle(11.0, 5.0)) * (1.0 + rise / 1500.0);
        let sun = (PI * (hour - 6.5) / 12.0).sin().max(0.0);
        let direction = (120.0 + 40.0 * wave(24.0, 6.0) + 8.0 * wiggle(13.0, 6.0)).round();

        let mut put = |element, value| series.entry(element).or_default().push((time, value));
        put(Element::Tem, temp);
        put(Element::Rhu, humidity);
        put(Element::Prs, round(pressure, 1));
        put(Element::WinSAvg2mi, round(wind, 1));
        put(Element::WinSInstMax, round(wind * 1.5 + 0.3, 1));
        put(Element::WinDAvg2mi, direction.rem_euclid(360.0));
        put(Element::Gst, round(temp - 1.5 + 16.5 * sun, 1));
        put(Element::Pre, 0.0);
        put(Element::Pre1h, 0.0);
        if national {
            put(Element::Dpt, dew);
            put(
                Element::Vis,
                (1800.0 + 400.0 * wave(24.0, 15.0)).round() * 10.0,
            );
        }
    }
    StationWindow { station, series }
}

/// `value` rounded to `decimals` places, as a logger reports it.
fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale
}
