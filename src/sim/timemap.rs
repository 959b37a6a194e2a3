//! Shifting the driver to the present: which hour of the 2010–2015 data stands for a present
//! hour.
//!
//! The mapping keeps the calendar: a present instant is read in Beijing time (the data's own
//! clock), and its month, day and hour are looked up in the data year
//! `2010 + (year − 2010) mod 6`. Consecutive present years thus replay consecutive data years
//! (2026 → 2014, 2027 → 2015, 2028 → 2010 …), so seasons and the diurnal cycle stay where they
//! belong and the weather of one present year flows into the next.
//!
//! The calendar cannot be kept everywhere, and both seams are handled the same way:
//! - 29 February of a present leap year replays 28 February of a common data year; in a common
//!   present year, 2012's 29 February is skipped.
//! - New Year's Eve of a present year mapped onto 2015 is followed by 2010's New Year.
//!
//! Interpolation always takes its neighbours as *present* hours mapped one by one (never as
//! "the next data row"), so a seam becomes a one-hour blend, not a jump.

use chrono::{Datelike as _, Timelike as _};

use crate::domain::Timestamp;
use crate::domain::time::HOUR_MS;

/// First year of the driver data.
pub const FIRST_YEAR: i32 = 2010;
/// Number of years of driver data (2010–2015).
pub const YEARS: i32 = 6;
/// Hours in the driver data: six years, one of them (2012) leap.
pub const HOURS: usize = (6 * 365 + 1) * 24;

/// The data year that stands for a present year.
pub const fn data_year(present_year: i32) -> i32 {
    FIRST_YEAR + (present_year - FIRST_YEAR).rem_euclid(YEARS)
}

/// Gregorian leap year.
pub const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days before the first of each month in a common year.
const DAYS_BEFORE_MONTH: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/// Zero-based day of the year of `month`/`day` in `year`; `month` 1–12, `day` 1–31.
fn ordinal0(year: i32, month: u32, day: u32) -> u32 {
    let index = (month.clamp(1, 12) - 1) as usize;
    let leap_day = u32::from(month > 2 && is_leap(year));
    DAYS_BEFORE_MONTH[index] + leap_day + day.saturating_sub(1)
}

/// Days from 1 January 2010 to 1 January of `year` (2010–2015).
fn days_before_year(year: i32) -> u32 {
    (FIRST_YEAR..year)
        .map(|y| 365 + u32::from(is_leap(y)))
        .sum()
}

/// The driver row (hour index from 2010-01-01 00:00 Beijing time) standing for the Beijing
/// calendar hour `year-month-day hour:00`.
pub fn data_hour_of(year: i32, month: u32, day: u32, hour: u32) -> usize {
    let data_year = data_year(year);
    // A 29 February the data year lacks replays the 28th.
    let day = if month == 2 && day == 29 && !is_leap(data_year) {
        28
    } else {
        day
    };
    let days = days_before_year(data_year) + ordinal0(data_year, month, day);
    (days as usize * 24 + hour as usize) % HOURS
}

/// The driver row standing for the hour that contains `instant`.
pub fn data_hour(instant: Timestamp) -> usize {
    let bj = instant.beijing();
    data_hour_of(bj.year(), bj.month(), bj.day(), bj.hour())
}

/// Where one minute sits in the hourly driver: the rows of the present hours around it and
/// how far into its hour it is. Computed once per minute and shared by every station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourFrame {
    /// Driver rows for the present hours `H−1, H, H+1, H+2`, where `H` is the hour that
    /// contains the minute: what cubic interpolation needs.
    pub rows: [usize; 4],
    /// Fraction of hour `H` elapsed, in `[0, 1)`.
    pub frac: f64,
}

impl HourFrame {
    /// The frame for `instant`.
    pub fn at(instant: Timestamp) -> Self {
        let hour = instant.floor(HOUR_MS);
        let rows = [-1, 0, 1, 2].map(|k| data_hour(hour.plus_ms(k * HOUR_MS)));
        let frac = (instant.0 - hour.0) as f64 / HOUR_MS as f64;
        Self { rows, frac }
    }

    /// An hourly `series` at this minute, by Catmull–Rom interpolation through the four rows
    /// around it: smooth, and exact on the hour.
    pub fn cubic(&self, series: &[f32]) -> f64 {
        let [p0, p1, p2, p3] = self.rows.map(|r| f64::from(series[r]));
        let t = self.frac;
        0.5 * (2.0 * p1
            + (p2 - p0) * t
            + (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3) * t * t
            + (3.0 * (p1 - p2) + p3 - p0) * t * t * t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    /// The row of a data calendar hour, counted independently with chrono.
    fn row(year: i32, month: u32, day: u32, hour: u32) -> usize {
        let date = chrono::NaiveDate::from_ymd_opt(year, month, day).unwrap();
        let start = chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
        (date - start).num_days() as usize * 24 + hour as usize
    }

    #[test]
    fn the_data_spans_six_years_with_one_leap_day() {
        assert_eq!(HOURS, 52_584, "the CSV's row count");
        assert_eq!(row(2015, 12, 31, 23), HOURS - 1);
        assert_eq!(data_hour_of(2015, 12, 31, 23), HOURS - 1);
    }

    #[test]
    fn present_years_cycle_through_the_data_years() {
        let cases = [
            (2010, 2010),
            (2015, 2015),
            (2016, 2010),
            (2026, 2014),
            (2027, 2015),
            (2028, 2010),
            (2030, 2012),
            (2009, 2015),
        ];
        for (present, data) in cases {
            assert_eq!(data_year(present), data, "{present}");
        }
    }

    #[test]
    fn instants_map_to_the_same_beijing_calendar_hour() {
        let cases = [
            // UTC 16:00 is Beijing midnight of the next day.
            ("2026-11-27T16:00:00Z", row(2014, 11, 28, 0)),
            ("2026-11-27T15:59:59Z", row(2014, 11, 27, 23)),
            ("2026-06-01T04:30:00Z", row(2014, 6, 1, 12)),
            // Beijing's New Year arrives at 16:00 UTC on 31 December.
            ("2026-12-31T15:00:00Z", row(2014, 12, 31, 23)),
            ("2026-12-31T16:00:00Z", row(2015, 1, 1, 0)),
            // The data wraps from 2015 back to 2010.
            ("2027-12-31T15:00:00Z", HOURS - 1),
            ("2027-12-31T16:00:00Z", 0),
            // 2028 is leap, 2010 is not: 29 February replays the 28th.
            ("2028-02-28T04:00:00Z", row(2010, 2, 28, 12)),
            ("2028-02-29T04:00:00Z", row(2010, 2, 28, 12)),
            ("2028-03-01T04:00:00Z", row(2010, 3, 1, 12)),
            // 2030 replays leap 2012 and skips its 29 February.
            ("2030-02-28T04:00:00Z", row(2012, 2, 28, 12)),
            ("2030-03-01T04:00:00Z", row(2012, 3, 1, 12)),
            // 2024 is leap and replays 2012: 29 February maps onto itself.
            ("2024-02-29T04:00:00Z", row(2012, 2, 29, 12)),
        ];
        for (instant, expected) in cases {
            assert_eq!(data_hour(at(instant)), expected, "{instant}");
        }
    }

    #[test]
    fn cubic_passes_through_its_knots_and_is_linear_on_a_line() {
        let series = [1.0, 2.0, 5.0, 3.0, 0.0, 1.0, 2.0, 3.0];
        let frame = |rows: [usize; 4], frac| HourFrame { rows, frac };
        assert_eq!(frame([0, 1, 2, 3], 0.0).cubic(&series), 2.0);
        assert!((frame([0, 1, 2, 3], 1.0).cubic(&series) - 5.0).abs() < 1e-12);
        assert!((frame([4, 5, 6, 7], 0.25).cubic(&series) - 1.25).abs() < 1e-12);
    }

    #[test]
    fn frames_take_present_neighbours_across_seams() {
        let frame = HourFrame::at(at("2027-12-31T15:45:00Z"));
        assert_eq!(frame.rows, [HOURS - 2, HOURS - 1, 0, 1]);
        assert!((frame.frac - 0.75).abs() < 1e-12);
        let frame = HourFrame::at(at("2028-02-28T15:00:00Z"));
        assert_eq!(
            frame.rows,
            [
                row(2010, 2, 28, 22),
                row(2010, 2, 28, 23),
                row(2010, 2, 28, 0),
                row(2010, 2, 28, 1)
            ],
            "29 February starts again from the 28th's midnight"
        );
    }
}
