//! Wind roses and the vector-mean wind, from speed and direction series paired by timestamp.
//!
//! Directions are where the wind blows from, degrees clockwise from north; 0 and 360 are both
//! north, and calm is told by the speed alone. Speeds are classed as reported, to 0.1 m/s, so
//! the Beaufort table's "0.3–1.5 m/s" holds exactly the reports 0.3, 0.4 … 1.5.

use serde::{Deserialize, Serialize};

use super::count;
use crate::domain::time::Timestamp;

/// Lower bounds of the speed classes, m/s: Beaufort forces 1–4 (0.3–1.5, 1.6–3.3, 3.4–5.4,
/// 5.5–7.9) and force 5 and above (≥ 8.0). Below the first bound is calm (force 0, ≤ 0.2 m/s,
/// which is also CMA's 静风).
pub const BEAUFORT_BOUNDS_MS: [f64; 5] = [0.3, 1.6, 3.4, 5.5, 8.0];

/// One of the 16 compass sectors, 22.5° wide and centred on its point: N covers
/// [348.75°, 11.25°), NNE [11.25°, 33.75°) and so on; each holds its lower edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Sector(u8);

impl Sector {
    /// Number of sectors.
    pub const COUNT: usize = 16;
    /// Width of a sector, degrees.
    pub const WIDTH_DEG: f64 = 360.0 / 16.0;

    const CODES: [&'static str; Self::COUNT] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];

    /// The sector a direction falls in; any angle is taken modulo 360°.
    pub fn of(direction_deg: f64) -> Self {
        let index = ((direction_deg + Self::WIDTH_DEG / 2.0) / Self::WIDTH_DEG).floor();
        // rem_euclid keeps it in 0..16 whatever the angle, so the narrowing cannot truncate.
        Self((index as i64).rem_euclid(Self::COUNT as i64) as u8)
    }

    /// Every sector clockwise from north.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..Self::COUNT as u8).map(Self)
    }

    /// Position clockwise from north, 0–15.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The direction at the sector's centre, degrees.
    pub fn centre_deg(self) -> f64 {
        f64::from(self.0) * Self::WIDTH_DEG
    }

    /// The compass point, `N` … `NNW`.
    pub const fn code(self) -> &'static str {
        Self::CODES[self.0 as usize]
    }
}

/// A speed as reported, in tenths of m/s.
fn tenths(speed_ms: f64) -> i64 {
    (speed_ms * 10.0).round() as i64
}

/// The speeds and directions stamped at the same instants, as `(time, speed, direction)`, in
/// time order; a value without its partner is left out. Both series must be time-ordered.
pub fn paired<'a>(
    speeds: &'a [(Timestamp, f64)],
    directions: &'a [(Timestamp, f64)],
) -> impl Iterator<Item = (Timestamp, f64, f64)> + 'a {
    let mut directions = directions.iter().peekable();
    speeds.iter().filter_map(move |&(t, speed)| {
        while directions.next_if(|(at, _)| *at < t).is_some() {}
        directions
            .next_if(|(at, _)| *at == t)
            .map(|&(_, direction)| (t, speed, direction))
    })
}

/// How often the wind blew from each sector in each speed class, and how often it was calm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindRose {
    /// Lower bounds of the classes, tenths of m/s, ascending; the first is the calm limit.
    bounds: Vec<i64>,
    /// Pairs per sector (index) and class.
    counts: Vec<Vec<u32>>,
    /// Calm pairs.
    calm: u32,
    /// Every pair.
    pairs: u32,
}

impl WindRose {
    /// The rose of the pairs of `speeds` and `directions` ([`paired`]), in the speed classes
    /// starting at `bounds_ms` (ascending; e.g. [`BEAUFORT_BOUNDS_MS`]). A speed below the
    /// first bound is calm and has no sector.
    pub fn build(
        speeds: &[(Timestamp, f64)],
        directions: &[(Timestamp, f64)],
        bounds_ms: &[f64],
    ) -> Self {
        let mut bounds: Vec<i64> = bounds_ms.iter().map(|&b| tenths(b)).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut rose = Self {
            counts: vec![vec![0; bounds.len()]; Sector::COUNT],
            bounds,
            calm: 0,
            pairs: 0,
        };
        for (_, speed, direction) in paired(speeds, directions) {
            rose.pairs += 1;
            match rose.class_of(speed) {
                Some(class) => rose.counts[Sector::of(direction).index()][class] += 1,
                None => rose.calm += 1,
            }
        }
        rose
    }

    /// The class of a speed, `None` for calm.
    fn class_of(&self, speed_ms: f64) -> Option<usize> {
        let above = self.bounds.partition_point(|&b| b <= tenths(speed_ms));
        above.checked_sub(1)
    }

    /// Number of speed classes.
    pub fn classes(&self) -> usize {
        self.bounds.len()
    }

    /// The speeds of class `class`, m/s, as reported: `(0.3, Some(1.5))`, …, `(8.0, None)`
    /// for the open top class.
    pub fn class_range_ms(&self, class: usize) -> Option<(f64, Option<f64>)> {
        let lower = *self.bounds.get(class)?;
        let upper = self
            .bounds
            .get(class + 1)
            .map(|&next| (next - 1) as f64 / 10.0);
        Some((lower as f64 / 10.0, upper))
    }

    /// Pairs counted: every speed with a direction at the same instant.
    pub fn pairs(&self) -> u32 {
        self.pairs
    }

    /// Pairs from `sector` in `class`.
    pub fn count(&self, sector: Sector, class: usize) -> u32 {
        self.counts[sector.index()].get(class).copied().unwrap_or(0)
    }

    /// Calm pairs.
    pub fn calm(&self) -> u32 {
        self.calm
    }

    /// Share of all pairs from `sector` in `class`, 0–1; with calm, the shares sum to 1 (all
    /// are 0 for a rose of no pairs).
    pub fn frequency(&self, sector: Sector, class: usize) -> f64 {
        self.share(self.count(sector, class))
    }

    /// Share of all pairs from `sector`, whatever the speed.
    pub fn sector_frequency(&self, sector: Sector) -> f64 {
        self.share(self.counts[sector.index()].iter().sum())
    }

    /// Share of all pairs that were calm.
    pub fn calm_frequency(&self) -> f64 {
        self.share(self.calm)
    }

    fn share(&self, n: u32) -> f64 {
        if self.pairs == 0 {
            0.0
        } else {
            f64::from(n) / f64::from(self.pairs)
        }
    }
}

/// The mean wind as a vector: what an arrow shows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VectorMean {
    /// Speed of the mean vector, m/s.
    pub speed_ms: f64,
    /// Where the mean vector blows from, degrees in [0, 360); `None` when the vector is below
    /// what a station can report (0.05 m/s): winds that cancel have no direction.
    pub direction_deg: Option<f64>,
    /// Mean of the speeds themselves, m/s.
    pub scalar_speed_ms: f64,
    /// Pairs averaged.
    pub pairs: u32,
}

impl VectorMean {
    /// Vector speed over scalar speed, 0–1: 1 for a wind that never turned, near 0 for one
    /// that blew from everywhere (0 when every pair was calm).
    pub fn steadiness(&self) -> f64 {
        if self.scalar_speed_ms > 0.0 {
            self.speed_ms / self.scalar_speed_ms
        } else {
            0.0
        }
    }
}

/// The vector mean of the pairs of `speeds` and `directions` ([`paired`]), calm ones included
/// (they weigh almost nothing); `None` without pairs.
pub fn vector_mean(
    speeds: &[(Timestamp, f64)],
    directions: &[(Timestamp, f64)],
) -> Option<VectorMean> {
    // Components of the vectors pointing where the wind comes from: east and north.
    let (mut east, mut north, mut scalar, mut n) = (0.0, 0.0, 0.0, 0_usize);
    for (_, speed, direction) in paired(speeds, directions) {
        let (sin, cos) = direction.to_radians().sin_cos();
        east += speed * sin;
        north += speed * cos;
        scalar += speed;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let (east, north) = (east / n as f64, north / n as f64);
    let speed_ms = east.hypot(north);
    Some(VectorMean {
        speed_ms,
        direction_deg: (speed_ms >= 0.05).then(|| compass_deg(east.atan2(north).to_degrees())),
        scalar_speed_ms: scalar / n as f64,
        pairs: count(n),
    })
}

/// An angle as a compass direction in [0, 360).
fn compass_deg(angle: f64) -> f64 {
    let deg = angle.rem_euclid(360.0);
    // A tiny negative angle wraps to 360 − ε, which rounds to 360: that is north.
    if deg >= 360.0 { 0.0 } else { deg }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp(1_778_000_000_000 + minute * 60_000)
    }

    type Series = Vec<(Timestamp, f64)>;

    /// Speeds and directions stamped at minutes 0, 1, 2 …
    fn winds(pairs: &[(f64, f64)]) -> (Series, Series) {
        let speeds = pairs
            .iter()
            .zip(0..)
            .map(|(&(s, _), m)| (at(m), s))
            .collect();
        let directions = pairs
            .iter()
            .zip(0..)
            .map(|(&(_, d), m)| (at(m), d))
            .collect();
        (speeds, directions)
    }

    #[test]
    fn sector_boundaries_belong_to_the_sector_clockwise_of_them() {
        let cases = [
            (0.0, "N"),
            (360.0, "N"),
            (348.75, "N"),
            (348.74, "NNW"),
            (11.24, "N"),
            (11.25, "NNE"),
            (22.5, "NNE"),
            (33.75, "NE"),
            (90.0, "E"),
            (180.0, "S"),
            (191.25, "SSW"),
            (337.5, "NNW"),
            (-10.0, "N"),
            (370.0, "N"),
        ];
        for (direction, code) in cases {
            assert_eq!(Sector::of(direction).code(), code, "{direction}°");
        }
        let centres: Vec<f64> = Sector::all().map(Sector::centre_deg).collect();
        assert_eq!((centres.len(), centres[4], centres[15]), (16, 90.0, 337.5));
        assert!(Sector::all().all(|s| Sector::of(s.centre_deg()) == s));
    }

    #[test]
    fn speeds_are_classed_as_reported_and_calm_apart() {
        // (speed, class; None = calm)
        let cases = [
            (0.0, None),
            (0.2, None),
            (0.24, None),
            (0.25, Some(0)),
            (0.3, Some(0)),
            (1.5, Some(0)),
            (1.6, Some(1)),
            (3.3, Some(1)),
            (3.4, Some(2)),
            (5.4, Some(2)),
            (5.5, Some(3)),
            (7.9, Some(3)),
            (8.0, Some(4)),
            (32.7, Some(4)),
        ];
        let rose = WindRose::build(&[], &[], &BEAUFORT_BOUNDS_MS);
        for (speed, class) in cases {
            assert_eq!(rose.class_of(speed), class, "{speed} m/s");
        }
        let ranges: Vec<_> = (0..=rose.classes())
            .map(|c| rose.class_range_ms(c))
            .collect();
        assert_eq!(
            ranges,
            [
                Some((0.3, Some(1.5))),
                Some((1.6, Some(3.3))),
                Some((3.4, Some(5.4))),
                Some((5.5, Some(7.9))),
                Some((8.0, None)),
                None,
            ]
        );
    }

    #[test]
    fn a_rose_counts_pairs_and_its_shares_with_calm_sum_to_one() {
        let (mut speeds, mut directions) = winds(&[
            (2.0, 0.0),
            (2.0, 360.0),
            (9.0, 350.0),
            (1.0, 90.0),
            (0.1, 90.0), // calm: no sector, whatever the vane says
            (0.0, 0.0),  // calm
            (4.0, 180.0),
            (4.0, 191.25),
        ]);
        speeds.push((at(100), 5.0)); // no direction at minute 100
        directions.insert(0, (at(-1), 45.0)); // no speed at minute −1
        let rose = WindRose::build(&speeds, &directions, &BEAUFORT_BOUNDS_MS);
        let n = Sector::of(0.0);
        assert_eq!((rose.pairs(), rose.calm()), (8, 2));
        assert_eq!((rose.count(n, 1), rose.count(n, 4)), (2, 1));
        assert_eq!(rose.count(Sector::of(90.0), 0), 1);
        assert_eq!(rose.count(Sector::of(180.0), 2), 1);
        assert_eq!(rose.count(Sector::of(200.0), 2), 1);
        assert_eq!(rose.sector_frequency(n), 3.0 / 8.0);
        assert_eq!(rose.frequency(n, 1), 2.0 / 8.0);
        assert_eq!(rose.calm_frequency(), 2.0 / 8.0);
        let total: f64 =
            Sector::all().map(|s| rose.sector_frequency(s)).sum::<f64>() + rose.calm_frequency();
        assert!((total - 1.0).abs() < 1e-12);

        let empty = WindRose::build(&speeds, &[], &BEAUFORT_BOUNDS_MS);
        assert_eq!((empty.pairs(), empty.calm_frequency()), (0, 0.0));
    }

    #[test]
    fn pairing_skips_values_without_a_partner() {
        let speeds = [(at(0), 1.0), (at(2), 2.0), (at(3), 3.0), (at(5), 5.0)];
        let directions = [(at(1), 10.0), (at(2), 20.0), (at(4), 40.0), (at(5), 50.0)];
        let pairs: Vec<_> = paired(&speeds, &directions).collect();
        assert_eq!(pairs, [(at(2), 2.0, 20.0), (at(5), 5.0, 50.0)]);
    }

    #[test]
    fn the_vector_mean_averages_directions_across_north_and_cancels_opposites() {
        /// Angular distance, degrees.
        fn apart(a: f64, b: f64) -> f64 {
            let d = (a - b).rem_euclid(360.0);
            d.min(360.0 - d)
        }
        // (pairs, vector speed, direction, scalar speed)
        type Pairs = &'static [(f64, f64)];
        let cases: [(Pairs, f64, Option<f64>, f64); 5] = [
            (&[(2.0, 0.0), (2.0, 90.0)], 2.0_f64.sqrt(), Some(45.0), 2.0),
            (
                &[(3.0, 350.0), (3.0, 10.0)],
                3.0 * 10f64.to_radians().cos(),
                Some(0.0),
                3.0,
            ),
            (&[(4.0, 0.0), (4.0, 180.0)], 0.0, None, 4.0),
            (&[(5.0, 270.0)], 5.0, Some(270.0), 5.0),
            (&[(0.0, 0.0), (0.0, 90.0)], 0.0, None, 0.0),
        ];
        for (pairs, speed, direction, scalar) in cases {
            let (speeds, directions) = winds(pairs);
            let mean = vector_mean(&speeds, &directions).unwrap();
            assert!((mean.speed_ms - speed).abs() < 1e-9, "{pairs:?}: {mean:?}");
            assert!((mean.scalar_speed_ms - scalar).abs() < 1e-9, "{pairs:?}");
            match (mean.direction_deg, direction) {
                (Some(got), Some(want)) => assert!(apart(got, want) < 1e-9, "{pairs:?}: {got}"),
                (got, want) => assert_eq!(got, want, "{pairs:?}"),
            }
            assert!(mean.direction_deg.is_none_or(|d| (0.0..360.0).contains(&d)));
            assert_eq!(mean.pairs, pairs.len() as u32);
        }
        let (speeds, directions) = winds(&[(4.0, 0.0), (4.0, 90.0)]);
        let steadiness = vector_mean(&speeds, &directions).unwrap().steadiness();
        assert!((steadiness - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(vector_mean(&[], &[]), None);
    }
}
