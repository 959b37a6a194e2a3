//! Helpers shared by the test modules: a fixed "now", the shipped network, and plausible
//! synthetic observations for when a test needs data without running a central.

#![allow(dead_code, reason = "each test module uses a different subset")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use wxdesk::domain::time::{HOUR_MS, MINUTE_MS, ManualClock};
use wxdesk::domain::{Element, Network, Observation, Source, StationId, Timestamp};

/// 2026-11-27 14:30 Beijing time: an afternoon, so charts show a full diurnal cycle.
pub fn afternoon() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-27T06:30:00Z").unwrap()
}

/// A manual clock standing at `at`.
pub fn clock_at(at: Timestamp) -> Arc<ManualClock> {
    ManualClock::new(at)
}

/// Qingliu's network as shipped.
pub fn network() -> Network {
    wxdesk::assets::qingliu_network().unwrap()
}

/// A station id from text.
pub fn id(text: &str) -> StationId {
    StationId::parse(text).unwrap()
}

/// Smooth deterministic wiggle in [-1, 1] for a station and minute: texture, not weather.
fn wiggle(seed: usize, minute: i64) -> f64 {
    let s = seed as f64;
    ((minute as f64) / 37.0 + s * 1.7).sin() * 0.6 + ((minute as f64) / 11.0 + s * 0.9).sin() * 0.4
}

/// One-minute observations for `stations` from `from` to `to` (inclusive): a November
/// diurnal cycle shaped by altitude, an afternoon shower on every third station, light
/// southerly winds. Plausible, not real.
pub fn synthetic_observations(
    network: &Network,
    stations: &[StationId],
    from: Timestamp,
    to: Timestamp,
) -> Vec<Observation> {
    let mut out = Vec::new();
    for (index, station) in network
        .stations
        .iter()
        .enumerate()
        .filter(|(_, s)| stations.contains(&s.id))
    {
        let lapse = (station.altitude_m - 300.0) * 0.0065;
        let mut rain_window: Vec<f64> = Vec::new();
        let mut t = from.floor(MINUTE_MS);
        while t <= to {
            let minute = t.millis() / MINUTE_MS;
            let local_hour =
                ((t.millis() + 8 * HOUR_MS).rem_euclid(24 * HOUR_MS)) as f64 / HOUR_MS as f64;
            let day = (std::f64::consts::TAU * (local_hour - 9.0) / 24.0).sin();
            let tem = 12.0 + 5.5 * day - lapse + 0.4 * wiggle(index, minute);
            let showers = index % 3 == 0 && (14.0..17.0).contains(&local_hour);
            let pre = if showers {
                (0.08 + 0.12 * (wiggle(index + 5, minute) + 1.0)).max(0.0)
            } else {
                0.0
            };
            rain_window.push(pre);
            if rain_window.len() > 60 {
                rain_window.remove(0);
            }
            let speed =
                (1.8 + 1.2 * day + 0.15 * index as f64 + 0.8 * wiggle(index + 9, minute)).max(0.0);
            let values: BTreeMap<Element, f64> = [
                (Element::Tem, round1(tem)),
                (Element::Gst, round1(tem + 4.0 * day.max(-0.3))),
                (
                    Element::Rhu,
                    (80.0 - 3.0 * (tem - 10.0) + if showers { 15.0 } else { 0.0 })
                        .clamp(25.0, 100.0)
                        .round(),
                ),
                (Element::Pre, round1(pre)),
                (Element::Pre1h, round1(rain_window.iter().sum())),
                (
                    Element::Prs,
                    round1(1016.0 - station.altitude_m / 8.3 + 1.2 * (minute as f64 / 720.0).sin()),
                ),
                (Element::WinSAvg2mi, round1(speed)),
                (Element::WinSInstMax, round1(speed * 1.7 + 0.5)),
                (
                    Element::WinDAvg2mi,
                    (200.0 + 35.0 * wiggle(index + 3, minute))
                        .rem_euclid(360.0)
                        .round(),
                ),
            ]
            .into();
            out.push(Observation {
                station: station.id.clone(),
                time: t,
                source: Source::Live,
                values,
            });
            t = t.plus_ms(MINUTE_MS);
        }
    }
    out.sort_by_key(|o| o.time);
    out
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
