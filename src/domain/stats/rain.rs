//! Rain: totals of minute precipitation (`PRE`, mm in the minute ending at its stamp) over
//! windows ending at an instant, the same as rolling series for charts, and CMA's 20–20 daily
//! totals, from the minutes or from an hourly table for long ranges.
//!
//! Every total says how many minutes of its window had a value, so a view can say
//! "incomplete: 1 380 of 1 440 minutes" instead of passing a short sum off as the whole.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{count, in_window};
use crate::domain::time::{DayBoundary, HOUR_MS, MINUTE_MS, ObservingDay, Timestamp};

#[cfg(test)]
mod tests;

/// The windows forecasters read rain over, hours: 1, 3, 6, 12 and 24.
pub const STANDARD_WINDOWS_H: [u32; 5] = [1, 3, 6, 12, 24];

/// The rain of a window and how much of the window had data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RainTotal {
    /// Sum of the minutes that had a value, mm; `None` when no minute had one.
    pub mm: Option<f64>,
    /// Minutes of the window that had a value.
    pub minutes: u32,
    /// Minutes in the window (up to now, for a window still running).
    pub expected: u32,
}

impl RainTotal {
    /// The total of some minute values found in a window of `expected` minutes.
    fn of(values: &[(Timestamp, f64)], expected: u32) -> Self {
        Self {
            mm: (!values.is_empty()).then(|| values.iter().map(|&(_, mm)| mm).sum()),
            minutes: count(values.len()),
            expected,
        }
    }

    /// Whether every minute of the window had a value.
    pub fn is_complete(&self) -> bool {
        self.minutes >= self.expected
    }

    /// Minutes of the window without a value.
    pub fn missing(&self) -> u32 {
        self.expected.saturating_sub(self.minutes)
    }

    /// The total of this window and a disjoint one.
    fn plus(self, other: Self) -> Self {
        let mm = match (self.mm, other.mm) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        Self {
            mm,
            minutes: self.minutes + other.minutes,
            expected: self.expected + other.expected,
        }
    }
}

/// Whole minutes in `(start, end]`; none when `end` is not after `start`.
fn minutes_between(start: Timestamp, end: Timestamp) -> u32 {
    let minutes = (end.millis() - start.millis()).max(0) / MINUTE_MS;
    u32::try_from(minutes).unwrap_or(u32::MAX)
}

/// The rain of the minutes stamped in `(start, end]`.
pub fn rain_total(minutes: &[(Timestamp, f64)], start: Timestamp, end: Timestamp) -> RainTotal {
    RainTotal::of(in_window(minutes, start, end), minutes_between(start, end))
}

/// The rain of the `hours` ending at `end`: the minutes stamped in `(end − hours, end]`.
pub fn rain_ending_at(minutes: &[(Timestamp, f64)], end: Timestamp, hours: u32) -> RainTotal {
    rain_total(minutes, end.plus_ms(-i64::from(hours) * HOUR_MS), end)
}

/// The rain of one window ending at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Accumulation {
    /// Length of the window, hours.
    pub hours: u32,
    /// What fell in it.
    pub total: RainTotal,
}

/// The rain of the last 1, 3, 6, 12 and 24 hours ending at `end` ([`STANDARD_WINDOWS_H`]).
pub fn accumulations(minutes: &[(Timestamp, f64)], end: Timestamp) -> [Accumulation; 5] {
    STANDARD_WINDOWS_H.map(|hours| Accumulation {
        hours,
        total: rain_ending_at(minutes, end, hours),
    })
}

/// A rolling total at one point of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RollingTotal {
    /// End of the window.
    pub end: Timestamp,
    /// The rain of the window ending there.
    pub total: RainTotal,
}

/// The rain of the `span_ms` ending at every multiple of `step_ms` (counted from Beijing
/// midnight, so hours and days fall on local boundaries) in `(from, to]`: a 24 h total at
/// each hour's end, a 1 h total at each minute. Each point equals [`rain_total`] over its
/// window up to float rounding; the series costs O(points × log minutes), whatever the span.
pub fn rolling_rain(
    minutes: &[(Timestamp, f64)],
    span_ms: i64,
    from: Timestamp,
    to: Timestamp,
    step_ms: i64,
) -> Vec<RollingTotal> {
    if step_ms <= 0 {
        return Vec::new();
    }
    // Running sums: the rain of minutes[..i] is prefix[i], so a window is one subtraction.
    let prefix: Vec<f64> = std::iter::once(0.0)
        .chain(minutes.iter().scan(0.0, |sum, &(_, mm)| {
            *sum += mm;
            Some(*sum)
        }))
        .collect();
    let through = |t: Timestamp| minutes.partition_point(|&(at, _)| at <= t);
    let first_end = from.floor_beijing(step_ms).plus_ms(step_ms);
    std::iter::successors(Some(first_end), |end| Some(end.plus_ms(step_ms)))
        .take_while(|&end| end <= to)
        .map(|end| {
            let start = end.plus_ms(-span_ms);
            let lo = through(start);
            let hi = through(end).max(lo);
            let found = hi - lo;
            RollingTotal {
                end,
                total: RainTotal {
                    mm: (found > 0).then(|| prefix[hi] - prefix[lo]),
                    minutes: count(found),
                    expected: minutes_between(start, end),
                },
            }
        })
        .collect()
}

/// The rain of one observing day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DailyRain {
    /// The day (for daily totals, CMA's 20–20 precipitation day).
    pub day: ObservingDay,
    /// What fell in it, up to now for the day still running.
    pub total: RainTotal,
}

impl DailyRain {
    /// For a day still running when its total was taken, the minute the total runs to: its
    /// completeness is of that part only, and a view says "until 04:28", not "complete".
    pub fn running_until(&self) -> Option<Timestamp> {
        let whole_day = minutes_between(self.day.start(), self.day.end());
        (self.total.expected < whole_day).then(|| {
            self.day
                .start()
                .plus_ms(i64::from(self.total.expected) * MINUTE_MS)
        })
    }
}

/// The rain of `day` up to `now` (the whole day once it is over).
pub fn day_rain(minutes: &[(Timestamp, f64)], day: ObservingDay, now: Timestamp) -> DailyRain {
    DailyRain {
        day,
        total: rain_total(minutes, day.start(), day.end().min(now)),
    }
}

/// The CMA daily totals (20–20 BJT, named by their end date) of each date in `dates`, up to
/// `now`. They sum to the total of the minutes from the first day's start to the last's end.
pub fn daily_rain(
    minutes: &[(Timestamp, f64)],
    dates: RangeInclusive<NaiveDate>,
    now: Timestamp,
) -> Vec<DailyRain> {
    precipitation_days(dates)
        .map(|day| day_rain(minutes, day, now))
        .collect()
}

/// The precipitation days named by `dates`.
fn precipitation_days(dates: RangeInclusive<NaiveDate>) -> impl Iterator<Item = ObservingDay> {
    let (first, last) = dates.into_inner();
    first
        .iter_days()
        .take_while(move |date| *date <= last)
        .map(ObservingDay::precipitation)
}

/// One row of an hourly table, `(hour_start, sum_mm, minutes)`: the rain of the minutes
/// stamped in `(hour_start, hour_start + 1 h]` (the 10:00 row holds 10:01 … 11:00, as
/// `PRE_1h` at 11:00 does) and how many of them had a value. Rows are in time order, one per
/// hour, hours with no value absent or with 0 minutes.
pub type HourRow = (Timestamp, f64, u32);

/// The hourly table of some minutes, in the shape [`rain_total_from_hourly`] reads.
pub fn hourly_sums(minutes: &[(Timestamp, f64)]) -> Vec<HourRow> {
    let mut rows: Vec<HourRow> = Vec::new();
    for &(t, mm) in minutes {
        // The minute stamped on the hour ends the hour before.
        let hour = t.plus_ms(-1).floor(HOUR_MS);
        match rows.last_mut() {
            Some((start, sum, n)) if *start == hour => {
                *sum += mm;
                *n += 1;
            }
            _ => rows.push((hour, mm, 1)),
        }
    }
    rows
}

/// The hourly table of a station that reports minute totals (`PRE`) for some hours and only
/// hourly totals (`PRE_1h`, e.g. an imported archive) for others: an hour with any minute
/// value is the sum of its minutes; an hour without is its `PRE_1h` stamped on the hour's
/// end, counted as 60 minutes of data. `PRE_1h` stamped at other minutes (a rolling total
/// sent every minute) is not an hour's total and is ignored.
pub fn hourly_rain(minutes: &[(Timestamp, f64)], hourly: &[(Timestamp, f64)]) -> Vec<HourRow> {
    let from_minutes = hourly_sums(minutes);
    let from_hours = hourly
        .iter()
        .filter(|(t, _)| t.millis().rem_euclid(HOUR_MS) == 0)
        .map(|&(t, mm)| (t.plus_ms(-HOUR_MS), mm, 60));
    let mut rows: Vec<HourRow> = from_minutes.clone();
    rows.extend(from_hours.filter(|&(hour, _, _)| {
        from_minutes
            .binary_search_by_key(&hour, |&(h, _, _)| h)
            .is_err()
    }));
    rows.sort_by_key(|&(hour, _, _)| hour);
    rows
}

/// The rows of an hourly table whose hours lie wholly in `(start, end]`.
fn hours_within(hours: &[HourRow], start: Timestamp, end: Timestamp) -> &[HourRow] {
    let from = hours.partition_point(|&(hour, _, _)| hour < start);
    let to = hours
        .partition_point(|&(hour, _, _)| hour.plus_ms(HOUR_MS) <= end)
        .max(from);
    &hours[from..to]
}

/// The total of some hourly rows found in a window of `expected` minutes.
fn hourly_total(rows: &[HourRow], expected: u32) -> RainTotal {
    let with_data = || rows.iter().filter(|&&(_, _, minutes)| minutes > 0);
    let minutes: u32 = with_data().map(|&(_, _, minutes)| minutes).sum();
    RainTotal {
        mm: (minutes > 0).then(|| with_data().map(|&(_, mm, _)| mm).sum()),
        minutes,
        expected,
    }
}

/// The rain of the whole hours in `(start, end]`, from an hourly table: an hour cut by either
/// edge is left out, and the minutes expected are those of the whole hours only.
pub fn rain_total_from_hourly(hours: &[HourRow], start: Timestamp, end: Timestamp) -> RainTotal {
    let first_hour = start.plus_ms(HOUR_MS - 1).floor(HOUR_MS);
    let last_end = end.floor(HOUR_MS);
    hourly_total(
        hours_within(hours, start, end),
        minutes_between(first_hour, last_end),
    )
}

/// The rain of `day` up to `now` from an hourly table: the rows of the day's hours that have
/// begun, the hour still running included with the minutes it has so far.
pub fn day_rain_from_hourly(hours: &[HourRow], day: ObservingDay, now: Timestamp) -> DailyRain {
    let rows = hours_within(hours, day.start(), day.end());
    let begun = rows.partition_point(|&(hour, _, _)| hour < now);
    DailyRain {
        day,
        total: hourly_total(
            &rows[..begun],
            minutes_between(day.start(), day.end().min(now)),
        ),
    }
}

/// The CMA daily totals of each date in `dates` up to `now`, from an hourly table.
pub fn daily_rain_from_hourly(
    hours: &[HourRow],
    dates: RangeInclusive<NaiveDate>,
    now: Timestamp,
) -> Vec<DailyRain> {
    precipitation_days(dates)
        .map(|day| day_rain_from_hourly(hours, day, now))
        .collect()
}

/// The precipitation day (20–20 BJT) holding a value stamped `t`, with its rain up to `t`:
/// "today's rain so far" when `t` is now.
pub fn rain_day_so_far(minutes: &[(Timestamp, f64)], t: Timestamp) -> DailyRain {
    day_rain(minutes, ObservingDay::containing(t, DayBoundary::Twenty), t)
}

/// The sum of disjoint totals, e.g. of the days of a range.
pub fn sum_totals(totals: impl IntoIterator<Item = RainTotal>) -> RainTotal {
    let none = RainTotal {
        mm: None,
        minutes: 0,
        expected: 0,
    };
    totals.into_iter().fold(none, RainTotal::plus)
}
