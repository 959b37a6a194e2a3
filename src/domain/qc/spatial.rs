//! Spatial consistency: a station's value against its neighbours' at the same instant, after
//! carrying theirs to its altitude.
//!
//! Centre and spread are robust, the median and the median absolute deviation (scaled by
//! 1.4826 to estimate a standard deviation, with a floor so that neighbours agreeing to the
//! tenth do not make every ordinary difference an outlier): one broken neighbour moves neither.
//! A value fails when it departs from the centre by more than `spread_multiple` spreads plus an
//! allowance for the altitude difference, because carrying a value along a standard profile
//! grows less certain with height: on a clear night the valleys fill with cold air and a summit
//! 800 m up can be *warmer* than the valley floor, not 5 °C colder. At least
//! [`SpatialConfig::min_neighbours`] neighbours must have a value, or nothing is concluded.
//!
//! Checked: temperature (lapse 0.65 °C per 100 m), dew point (0.2 °C per 100 m), humidity (no
//! carrying; a wide allowance) and station pressure (hypsometric, with the station's own
//! temperature for the layer). Not checked: rain (a shower covers one valley and misses the
//! next), wind speed, gust and direction (exposure and terrain channelling dominate), visibility
//! (fog lies in patches), ground temperature (sun, shade and surface differ at each site), the
//! longer rain totals, and sea-level pressure (derived from station pressure, whose check it
//! would repeat with the reduction's errors added; consistency ties the two together).

use std::collections::BTreeMap;

use super::physics::AltitudeRule;
use crate::domain::{Element, Station, Timestamp};

/// Scales a median absolute deviation to a standard deviation (normal data).
const MAD_TO_SIGMA: f64 = 1.4826;

/// How one element is compared with the neighbours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpatialRule {
    /// How neighbours' values are carried to the station's altitude.
    pub altitude: AltitudeRule,
    /// Departures beyond this many spreads fail.
    pub spread_multiple: f64,
    /// The spread is at least this, in the element's unit.
    pub spread_floor: f64,
    /// Extra departure allowed per 100 m between the station and its (median) neighbour.
    pub allowance_per_100m: f64,
}

/// The spatial test's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialConfig {
    /// Stations within this distance are neighbours, km.
    pub radius_km: f64,
    /// Fewer neighbours with a value than this: not checked.
    pub min_neighbours: usize,
    /// A neighbour's value this close in time counts as the same instant.
    pub time_tolerance_ms: i64,
    /// Elements checked, and how.
    pub rules: BTreeMap<Element, SpatialRule>,
}

impl SpatialConfig {
    /// Whether `other` judges `station` (and so `station` judges `other`): two different
    /// standard sites within the radius. A garden's or greenhouse's microclimate is its own: it
    /// neither judges nor is judged by the open-site stations around it.
    pub fn are_neighbours(&self, station: &Station, other: &Station) -> bool {
        station.kind.is_standard_site()
            && other.kind.is_standard_site()
            && other.id != station.id
            && other.location.distance_km(station.location) <= self.radius_km
    }
}

impl Default for SpatialConfig {
    /// Qingliu's 16 stations: within 30 km every station has 6–14 neighbours. Thresholds, with
    /// neighbours that agree: temperature 6 °C (+1 °C per 100 m of altitude difference, so
    /// ~13.5 °C between the 1112 m summit and the valleys), dew point 6 °C, humidity 20 %
    /// (+2 % per 100 m), pressure 3 hPa (+0.15 hPa per 100 m). A station whose catalogued
    /// altitude is 25 m wrong is 3 hPa off in pressure and will be flagged: that is worth
    /// knowing.
    fn default() -> Self {
        let rule = |altitude, spread_floor, allowance_per_100m| SpatialRule {
            altitude,
            spread_multiple: 4.0,
            spread_floor,
            allowance_per_100m,
        };
        Self {
            radius_km: 30.0,
            min_neighbours: 3,
            time_tolerance_ms: 30_000,
            rules: BTreeMap::from([
                (
                    Element::Tem,
                    rule(AltitudeRule::Lapse { per_100m: 0.65 }, 1.5, 1.0),
                ),
                (
                    Element::Dpt,
                    rule(AltitudeRule::Lapse { per_100m: 0.2 }, 1.5, 0.5),
                ),
                (Element::Rhu, rule(AltitudeRule::None, 5.0, 2.0)),
                (Element::Prs, rule(AltitudeRule::Barometric, 0.75, 0.15)),
            ]),
        }
    }
}

/// One neighbour's series of the element being checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeighbourSeries<'a> {
    /// The neighbour's altitude, m.
    pub altitude_m: f64,
    /// Its values, time-ordered.
    pub series: &'a [(Timestamp, f64)],
}

/// Whether `value` departs from its neighbours. `carried` holds the neighbours' values already
/// carried to the station's altitude and `altitude_gaps_m` how far each neighbour is above or
/// below; both are reordered (they are scratch space).
pub fn departs(
    value: f64,
    carried: &mut [f64],
    altitude_gaps_m: &mut [f64],
    rule: &SpatialRule,
    min_neighbours: usize,
) -> bool {
    if carried.len() < min_neighbours.max(1) {
        return false;
    }
    let centre = median(carried);
    for v in carried.iter_mut() {
        *v = (*v - centre).abs();
    }
    let spread = (MAD_TO_SIGMA * median(carried)).max(rule.spread_floor);
    for gap in altitude_gaps_m.iter_mut() {
        *gap = gap.abs();
    }
    let altitude_gap = if altitude_gaps_m.is_empty() {
        0.0
    } else {
        median(altitude_gaps_m)
    };
    let allowed = rule.spread_multiple * spread + rule.allowance_per_100m * altitude_gap / 100.0;
    (value - centre).abs() > allowed
}

/// The median of a non-empty slice, which it sorts.
fn median(values: &mut [f64]) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Indices of the values of `series` (a station at `altitude_m`, time-ordered) that depart from
/// `neighbours` under `rule`. `layer_temp_c` gives the station's air temperature at an instant,
/// for carrying pressure.
pub fn spatial_failures(
    series: &[(Timestamp, f64)],
    altitude_m: f64,
    neighbours: &[NeighbourSeries<'_>],
    rule: &SpatialRule,
    config: &SpatialConfig,
    layer_temp_c: impl Fn(Timestamp) -> Option<f64>,
) -> Vec<usize> {
    let tolerance = config.time_tolerance_ms;
    let mut cursors = vec![0_usize; neighbours.len()];
    let mut carried = Vec::with_capacity(neighbours.len());
    let mut gaps = Vec::with_capacity(neighbours.len());
    let mut failed = Vec::new();
    for (i, &(time, value)) in series.iter().enumerate() {
        carried.clear();
        gaps.clear();
        let temp = layer_temp_c(time);
        for (neighbour, cursor) in neighbours.iter().zip(cursors.iter_mut()) {
            let values = neighbour.series;
            while values
                .get(*cursor)
                .is_some_and(|(t, _)| t.0 < time.0 - tolerance)
            {
                *cursor += 1;
            }
            if let Some(&(t, v)) = values.get(*cursor)
                && t.0 <= time.0 + tolerance
            {
                carried.push(
                    rule.altitude
                        .carry(v, neighbour.altitude_m, altitude_m, temp),
                );
                gaps.push(neighbour.altitude_m - altitude_m);
            }
        }
        if departs(value, &mut carried, &mut gaps, rule, config.min_neighbours) {
            failed.push(i);
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Neighbours as `(altitude, value)` at one instant, carried to `altitude_m` and checked.
    fn check(element: Element, value: f64, altitude_m: f64, neighbours: &[(f64, f64)]) -> bool {
        let config = SpatialConfig::default();
        let rule = config.rules[&element];
        let mut carried: Vec<f64> = neighbours
            .iter()
            .map(|&(alt, v)| rule.altitude.carry(v, alt, altitude_m, Some(10.0)))
            .collect();
        let mut gaps: Vec<f64> = neighbours
            .iter()
            .map(|&(alt, _)| alt - altitude_m)
            .collect();
        departs(value, &mut carried, &mut gaps, &rule, config.min_neighbours)
    }

    #[test]
    fn departures_from_the_neighbourhood() {
        // Altitudes of real stations: 58819 336.9, 708310 285, 708312 303.8, 708304 304,
        // 708302 495, 708308 1112.1 m.
        let valleys = [(285.0, -1.8), (303.8, -2.4), (304.0, -1.5), (495.0, -2.9)];
        // What, the element, the value, its altitude, the neighbours, whether it departs.
        type Case<'a> = (&'a str, Element, f64, f64, &'a [(f64, f64)], bool);
        let cases: &[Case<'_>] = &[
            (
                "58819 on a frost night, like its valley neighbours",
                Element::Tem,
                -2.1,
                336.9,
                &valleys,
                false,
            ),
            (
                "the 1112 m summit on the same night, 5 °C colder by the lapse rate",
                Element::Tem,
                -7.0,
                1112.1,
                &valleys,
                false,
            ),
            (
                "the summit above the valleys' cold pool, warmer than they are",
                Element::Tem,
                1.5,
                1112.1,
                &valleys,
                false,
            ),
            (
                "58819 reading 8 °C on that night",
                Element::Tem,
                8.0,
                336.9,
                &valleys,
                true,
            ),
            (
                "the summit reading 12 °C on that night",
                Element::Tem,
                12.0,
                1112.1,
                &valleys,
                true,
            ),
            (
                "one broken neighbour moves neither centre nor spread",
                Element::Tem,
                -2.1,
                336.9,
                &[(285.0, -1.8), (303.8, -2.4), (304.0, 25.0), (495.0, -2.9)],
                false,
            ),
            (
                "two neighbours are too few to conclude anything",
                Element::Tem,
                30.0,
                336.9,
                &[(285.0, -1.8), (303.8, -2.4)],
                false,
            ),
            (
                "station pressure carried down from the summit agrees",
                Element::Prs,
                975.0,
                336.9,
                &[
                    (285.0, 981.0),
                    (303.8, 978.8),
                    (304.0, 978.8),
                    (1112.1, 889.4),
                ],
                false,
            ),
            (
                "a barometer 5 hPa high",
                Element::Prs,
                980.0,
                336.9,
                &[
                    (285.0, 981.0),
                    (303.8, 978.8),
                    (304.0, 978.8),
                    (1112.1, 889.4),
                ],
                true,
            ),
            (
                "humidity 15 % below the valleys in a dry afternoon is within bounds",
                Element::Rhu,
                45.0,
                336.9,
                &[(285.0, 60.0), (303.8, 58.0), (304.0, 62.0), (495.0, 55.0)],
                false,
            ),
            (
                "humidity reading 20 % when the neighbours are saturated",
                Element::Rhu,
                20.0,
                336.9,
                &[(285.0, 99.0), (303.8, 100.0), (304.0, 98.0), (495.0, 100.0)],
                true,
            ),
        ];
        for (what, element, value, altitude, neighbours, expected) in cases {
            assert_eq!(
                check(*element, *value, *altitude, neighbours),
                *expected,
                "{what}"
            );
        }
    }

    #[test]
    fn neighbours_are_matched_at_the_same_minute() {
        let config = SpatialConfig::default();
        let rule = config.rules[&Element::Tem];
        let minute = |m: i64| Timestamp(m * 60_000);
        let target = [(minute(0), 10.0), (minute(1), 25.0), (minute(2), 10.2)];
        let around: Vec<(Timestamp, f64)> = (0..3).map(|m| (minute(m), 10.0)).collect();
        // A neighbour reporting 10 s late still counts; one with only minute 0 does not at 1.
        let late: Vec<(Timestamp, f64)> = around
            .iter()
            .map(|&(t, v)| (t.plus_ms(10_000), v))
            .collect();
        let sparse = [(minute(0), 10.0)];
        let neighbours = [
            NeighbourSeries {
                altitude_m: 300.0,
                series: &around,
            },
            NeighbourSeries {
                altitude_m: 300.0,
                series: &late,
            },
            NeighbourSeries {
                altitude_m: 300.0,
                series: &around,
            },
            NeighbourSeries {
                altitude_m: 300.0,
                series: &sparse,
            },
        ];
        let failed = spatial_failures(&target, 300.0, &neighbours, &rule, &config, |_| None);
        assert_eq!(failed, vec![1]);
    }
}
