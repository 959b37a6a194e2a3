//! Rain: how much of the driver's hourly amount falls at each station, and in which minutes.
//!
//! Amounts are counted in tenths of a millimetre, the resolution of a tipping-bucket gauge, so
//! minute sums are exact: `PRE_1h` is the integer sum of the last sixty `PRE` values.
//!
//! Spatial pattern: a smooth random field over the county (three plane waves of 20–70 km
//! wavelength) drifts with a "storm" that lasts six hours; neighbouring stations a few km apart
//! see nearly the same factor, stations across the county can differ by a factor of two or
//! three. Light rain leaves dry holes. Uplift gives the mountain station up to ~30 % more. A
//! soft ceiling (160 mm scale) keeps the wettest hours below anything ever measured.
//!
//! Timing within the hour: one to three showers shared by every station (each station's a few
//! minutes early or late), over a little background drizzle; heavier hours rain for longer so
//! minute intensities stay those of real downpours (a few mm per minute at most).

use std::f64::consts::PI;

use super::noise::{mix, mix_i, signed, unit};

/// Minutes per hour bucket.
pub const MINUTES: usize = 60;

/// Seed of the county-wide patterns (showers, storms): the same for every station.
const COUNTY_SEED: u64 = 0x5141_4E47_4C49_5500; // "QINGLIU"

/// Scale of the soft ceiling on a station's hourly rain, mm.
const SOFT_MAX_MM: f64 = 160.0;

/// Hours a rain pattern lasts before the next one replaces it.
const STORM_HOURS: i64 = 6;

/// The spatial field in roughly `N(0, 1)` at a point (km east and north of 58819) during the
/// hour bucket `hour` (hours since 1970, the bucket's end).
pub fn field(x_km: f64, y_km: f64, hour: i64) -> f64 {
    let storm = hour.div_euclid(STORM_HOURS);
    let age = hour.rem_euclid(STORM_HOURS) as f64;
    let seed = mix_i(COUNTY_SEED ^ 0xF1E1D, storm);
    let heading = 2.0 * PI * unit(mix(seed, 0));
    let speed = 10.0 + 30.0 * unit(mix(seed, 1)); // km/h
    let (x, y) = (
        x_km - speed * age * heading.cos(),
        y_km - speed * age * heading.sin(),
    );
    let sum: f64 = (0..3)
        .map(|k| {
            let wave = mix(seed, 10 + k);
            let direction = 2.0 * PI * unit(mix(wave, 0));
            let wavelength = 20.0 + 50.0 * unit(mix(wave, 1));
            let phase = 2.0 * PI * unit(mix(wave, 2));
            let along = x * direction.cos() + y * direction.sin();
            (2.0 * PI * along / wavelength + phase).cos()
        })
        .sum();
    // Each cosine has variance 1/2; three of them, scaled to unit variance.
    sum * (2.0_f64 / 3.0).sqrt()
}

/// What a station is, for rain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RainSite {
    /// Station seed.
    pub seed: u64,
    /// km east of the reference station.
    pub x_km: f64,
    /// km north of the reference station.
    pub y_km: f64,
    /// Altitude, m.
    pub altitude_m: f64,
}

impl RainSite {
    /// Orographic enhancement times a fixed ±10 % gauge/exposure bias.
    fn climate_factor(&self) -> f64 {
        let uplift = 1.0 + 0.3 * ((self.altitude_m - 300.0) / 800.0).clamp(0.0, 1.2);
        uplift * (1.0 + 0.1 * signed(mix(self.seed, 0x4A1E)))
    }

    /// The station's amount for an hour bucket, in tenths of mm, given the driver's amount.
    pub fn hour_tenths(&self, driver_mm: f64, hour: i64) -> u32 {
        if driver_mm <= 0.0 {
            return 0;
        }
        let f = field(self.x_km, self.y_km, hour);
        if driver_mm < 1.0 && f < -0.9 {
            return 0; // a dry hole in showery light rain
        }
        let raw = driver_mm * (0.45 * f - 0.1).exp() * self.climate_factor();
        // The field can lift the driver's wettest hour (99.1 mm) past anything measured (China's
        // hourly record is ~202 mm, Zhengzhou 2021); a soft ceiling keeps downpours believable
        // and leaves ordinary rain alone (10 mm stays 10.0, 50 mm becomes 48).
        let mm = SOFT_MAX_MM * (raw / SOFT_MAX_MM).tanh();
        (mm * 10.0).round() as u32
    }

    /// Tenths of `total` fallen by the end of minute `index` of the bucket ending at `hour`
    /// (index 0 is the minute ending at `hh:01`, 59 the one ending at the next full hour).
    /// Rounding the cumulative amount gives every minute a whole number of tenths, and they add
    /// up exactly to `total` — and any minute or hour sum costs a few operations, not sixty.
    pub fn fallen_by(&self, total: u32, hour: i64, index: usize) -> u32 {
        if total == 0 {
            return 0;
        }
        if index >= MINUTES - 1 {
            return total;
        }
        let showers = Showers::new(total, mix_i(COUNTY_SEED, hour), mix_i(self.seed, hour));
        let share = showers.cumulative(index as f64 + 1.0) / showers.cumulative(MINUTES as f64);
        ((share * f64::from(total)).round() as u32).min(total)
    }

    /// Tenths falling in minute `index` of the bucket ending at `hour`.
    pub fn minute(&self, total: u32, hour: i64, index: usize) -> u32 {
        let before = index
            .checked_sub(1)
            .map_or(0, |i| self.fallen_by(total, hour, i));
        self.fallen_by(total, hour, index) - before
    }

    /// Every minute of a bucket, for looking at.
    pub fn minutes(&self, total: u32, hour: i64) -> [u32; MINUTES] {
        std::array::from_fn(|i| self.minute(total, hour, i))
    }
}

/// One hour's showers: triangular bursts over a little uniform drizzle.
struct Showers {
    drizzle: f64,
    /// (centre, half-width, strength), minutes.
    bursts: [(f64, f64, f64); 3],
    count: usize,
}

impl Showers {
    /// The county-wide pattern `pattern`, shifted for one station by `jitter`; heavier hours
    /// rain for longer.
    fn new(total: u32, pattern: u64, jitter: u64) -> Self {
        let mm = f64::from(total) / 10.0;
        let mut bursts = [(0.0, 1.0, 0.0); 3];
        for (k, burst) in (0_u64..).zip(bursts.iter_mut()) {
            let centre = 60.0 * unit(mix(pattern, 10 + k)) + 4.0 * signed(mix(jitter, k));
            let half_width = 5.0 + mm / 4.0 + 10.0 * unit(mix(pattern, 20 + k));
            let strength = 0.5 + unit(mix(pattern, 30 + k));
            *burst = (centre, half_width, strength);
        }
        Self {
            drizzle: 0.05 + 0.25 * unit(mix(pattern, 1)),
            bursts,
            count: 1 + (mix(pattern, 0) % 3) as usize,
        }
    }

    /// Weight fallen from minute 0 to minute `x` (continuous).
    fn cumulative(&self, x: f64) -> f64 {
        // Integral of a unit-area triangle of half-width 1 from -∞ to u.
        let triangle = |u: f64| {
            if u <= -1.0 {
                0.0
            } else if u <= 0.0 {
                (1.0 + u).powi(2) / 2.0
            } else if u < 1.0 {
                1.0 - (1.0 - u).powi(2) / 2.0
            } else {
                1.0
            }
        };
        let bursts: f64 = self.bursts[..self.count]
            .iter()
            .map(|(c, w, s)| s * (triangle((x - c) / w) - triangle(-c / w)))
            .sum();
        self.drizzle * x / MINUTES as f64 + bursts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(seed: u64, x_km: f64, y_km: f64, altitude_m: f64) -> RainSite {
        RainSite {
            seed,
            x_km,
            y_km,
            altitude_m,
        }
    }

    #[test]
    fn minutes_add_up_exactly_and_come_in_showers() {
        let s = site(1, 0.0, 0.0, 340.0);
        for (hour, total) in (400_000..400_500).zip((0..).step_by(7)) {
            let minutes = s.minutes(total, hour);
            let sum: u32 = minutes.iter().sum();
            assert_eq!(sum, total, "hour {hour}");
        }
        // 20 mm in an hour is not 0.33 mm every minute.
        let minutes = s.minutes(200, 400_123);
        let max = *minutes.iter().max().unwrap();
        let min = *minutes.iter().min().unwrap();
        assert!(max >= 2 * min + 3, "{minutes:?}");
    }

    #[test]
    fn a_downpour_stays_within_real_minute_intensities() {
        let s = site(3, 10.0, -5.0, 1112.0);
        for hour in 0..2_000 {
            // 99.1 mm, the driver's wettest hour, at the wettest station factor.
            let minutes = s.minutes(2_500, hour);
            assert!(
                minutes.iter().all(|m| *m <= 80),
                "over 8 mm/min: {minutes:?}"
            );
        }
    }

    #[test]
    fn neighbours_are_correlated_and_far_stations_less_so() {
        let (mut near, mut far, mut n) = (0.0, 0.0, 0.0);
        for hour in 0..20_000 {
            let a = field(0.0, 0.0, hour);
            near += a * field(2.0, 1.0, hour);
            far += a * field(30.0, -25.0, hour);
            n += 1.0;
        }
        let (near, far) = (near / n, far / n);
        assert!(near > 0.8, "near {near}");
        assert!(far < near - 0.3, "far {far}");
    }

    #[test]
    fn the_mountain_gets_more_over_time() {
        let valley = site(5, 8.0, 6.0, 300.0);
        let mountain = site(5, 8.0, 6.0, 1112.0);
        let (mut v, mut m) = (0_u64, 0_u64);
        for hour in 0..10_000 {
            v += u64::from(valley.hour_tenths(3.0, hour));
            m += u64::from(mountain.hour_tenths(3.0, hour));
        }
        let ratio = m as f64 / v as f64;
        assert!((1.25..1.35).contains(&ratio), "{ratio}");
        for hour in 0..10_000 {
            assert!(
                mountain.hour_tenths(99.1, hour) < 1_600,
                "under the soft ceiling"
            );
        }
        assert_eq!(valley.hour_tenths(0.0, 7), 0);
    }
}
