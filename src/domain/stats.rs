//! Summaries of station data for forecasters and supervisors: rain accumulations and CMA daily
//! totals ([`rain`]), a day's extremes with their times ([`extremes`]), one row per township
//! ([`township`]) and wind roses ([`wind`]).
//!
//! Every function is pure and reads time-ordered series `&[(Timestamp, f64)]` of one station
//! and element (UTC, SI units, at most one value per instant); a missing value is simply
//! absent, and a summary of nothing is `None`, never 0.
//!
//! A value is stamped at the end of the period it describes (`PRE` at 10:01 is the rain of
//! 10:00–10:01), so every window and day here holds the values stamped in `(start, end]`: a
//! window "ending at t" of N hours holds the values stamped after t − N h and up to t.

pub mod extremes;
pub mod rain;
pub mod township;
pub mod wind;

use serde::{Deserialize, Serialize};

use super::time::Timestamp;

pub use extremes::{DailyExtremes, Gust, StationSeries, daily_extremes, today_so_far};
pub use rain::{
    Accumulation, DailyRain, HourRow, RainTotal, RollingTotal, STANDARD_WINDOWS_H, accumulations,
    daily_rain, daily_rain_from_hourly, day_rain, day_rain_from_hourly, hourly_rain, hourly_sums,
    rain_day_so_far, rain_ending_at, rain_total, rain_total_from_hourly, rolling_rain, sum_totals,
};
pub use township::{AtStation, StationSummary, TownshipRow, township_table};
pub use wind::{BEAUFORT_BOUNDS_MS, Sector, VectorMean, WindRose, paired, vector_mean};

/// A value with the time it was observed: a maximum or a minimum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Extreme {
    /// The value, SI units.
    pub value: f64,
    /// When it was observed (the first time, when it occurred more than once).
    pub at: Timestamp,
}

/// The part of a time-ordered series stamped in `(start, end]`.
pub fn in_window(
    series: &[(Timestamp, f64)],
    start: Timestamp,
    end: Timestamp,
) -> &[(Timestamp, f64)] {
    let from = series.partition_point(|&(t, _)| t <= start);
    let to = series.partition_point(|&(t, _)| t <= end).max(from);
    &series[from..to]
}

/// The item whose key beats every other's (`beats(a, b)`: `a` is more extreme than `b`, as
/// `f64::gt` for a maximum); the first of equals, since a later equal one does not beat it.
fn most<T>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> f64,
    beats: impl Fn(&f64, &f64) -> bool,
) -> Option<T> {
    items.into_iter().fold(None, |best, item| match best {
        Some(best) if !beats(&key(&item), &key(&best)) => Some(best),
        _ => Some(item),
    })
}

/// A count for a summary: values are per minute, so `u32` holds eight thousand years of them.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_extreme_item_is_the_first_of_equals() {
        let items = [(1, 3.0), (2, 5.0), (3, 5.0), (4, -1.0), (5, -1.0)];
        assert_eq!(most(items, |i| i.1, f64::gt), Some((2, 5.0)));
        assert_eq!(most(items, |i| i.1, f64::lt), Some((4, -1.0)));
        assert_eq!(most(Vec::<(i32, f64)>::new(), |i| i.1, f64::gt), None);
    }

    #[test]
    fn windows_exclude_their_start_and_include_their_end() {
        let series: Vec<(Timestamp, f64)> = (0..5).map(|i| (Timestamp(i * 10), 1.0)).collect();
        // (start, end, the stamps inside)
        let cases: [(i64, i64, &[i64]); 6] = [
            (0, 40, &[10, 20, 30, 40]),
            (-1, 40, &[0, 10, 20, 30, 40]),
            (5, 25, &[10, 20]),
            (40, 100, &[]),
            (20, 20, &[]),
            (30, 10, &[]),
        ];
        for (start, end, expected) in cases {
            let stamps: Vec<i64> = in_window(&series, Timestamp(start), Timestamp(end))
                .iter()
                .map(|(t, _)| t.millis())
                .collect();
            assert_eq!(stamps, expected, "({start}, {end}]");
        }
    }
}
