//! The time axis of history charts, from an hour to years: ticks on Beijing-time boundaries
//! (minutes, hours, days, month starts, years) as dense as the chart allows, labelled by what
//! changes at that density.
//!
//! Plot x coordinates are hours since the Unix epoch, as in the live charts.

use std::ops::RangeInclusive;

use chrono::{Datelike as _, NaiveDate};
use egui_plot::{GridInput, GridMark};

use crate::console::ui::chart::{hour_axis, time_from_axis};
use crate::domain::Timestamp;
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS, beijing_midnight};

/// A tick spacing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// A fixed number of milliseconds (minutes to weeks).
    Fixed(i64),
    /// A number of months.
    Months(u32),
}

impl Step {
    /// Roughly how long, ms (months as 30.4 days).
    pub fn approx_ms(self) -> i64 {
        match self {
            Self::Fixed(ms) => ms,
            Self::Months(n) => i64::from(n) * 2_629_746_000,
        }
    }
}

/// Spacings, finest first.
const STEPS: [Step; 16] = [
    Step::Fixed(5 * MINUTE_MS),
    Step::Fixed(10 * MINUTE_MS),
    Step::Fixed(30 * MINUTE_MS),
    Step::Fixed(HOUR_MS),
    Step::Fixed(2 * HOUR_MS),
    Step::Fixed(3 * HOUR_MS),
    Step::Fixed(6 * HOUR_MS),
    Step::Fixed(12 * HOUR_MS),
    Step::Fixed(DAY_MS),
    Step::Fixed(2 * DAY_MS),
    Step::Fixed(7 * DAY_MS),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Months(12),
];

/// The finest spacing at least `min_ms` apart.
pub fn step_for(min_ms: i64) -> Step {
    STEPS
        .into_iter()
        .find(|s| s.approx_ms() >= min_ms)
        .unwrap_or(Step::Months(12))
}

/// Tick instants of `step` in `(from, to]`, on Beijing-time boundaries (weeks on Mondays).
pub fn ticks(step: Step, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
    match step {
        Step::Fixed(ms) if ms == 7 * DAY_MS => {
            // 1970-01-05 was a Monday: count weeks from there.
            let monday = beijing_midnight(NaiveDate::from_ymd_opt(1970, 1, 5).unwrap_or_default());
            let first =
                Timestamp(monday.millis() + (from.millis() - monday.millis()).div_euclid(ms) * ms);
            fixed(first, ms, from, to)
        }
        Step::Fixed(ms) => fixed(from.floor_beijing(ms), ms, from, to),
        Step::Months(n) => {
            let start = from.beijing().date_naive();
            let mut month = (start.year(), start.month0() / n * n);
            let mut out = Vec::new();
            while let Some(date) = NaiveDate::from_ymd_opt(month.0, month.1 + 1, 1) {
                let t = beijing_midnight(date);
                if t > to {
                    break;
                }
                if t > from {
                    out.push(t);
                }
                let next = month.1 + n;
                month = (month.0 + i32::try_from(next / 12).unwrap_or(1), next % 12);
            }
            out
        }
    }
}

fn fixed(first: Timestamp, ms: i64, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
    let mut out = Vec::new();
    let mut t = first;
    while t <= to {
        if t > from {
            out.push(t);
        }
        t = t.plus_ms(ms);
    }
    out
}

/// A tick's label at spacing `step`: the time of day, the date at midnight, the month at a
/// month's start, the year at a year's start.
pub fn label(t: Timestamp, step: Step) -> String {
    let local = t.beijing();
    let midnight = local.format("%H:%M").to_string() == "00:00";
    match step {
        Step::Fixed(ms) if ms < DAY_MS && !midnight => local.format("%H:%M").to_string(),
        Step::Fixed(_) => local.format("%m-%d").to_string(),
        Step::Months(_) if local.month() == 1 => local.format("%Y").to_string(),
        Step::Months(_) => local.format("%Y-%m").to_string(),
    }
}

/// Grid marks for `egui_plot`: ticks at the finest spacing that leaves room for labels
/// (`base_step_size` is the smallest distance, in hours, the plot can show apart).
#[allow(
    clippy::needless_pass_by_value,
    reason = "egui_plot's grid spacers take their input by value"
)]
pub fn grid(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return Vec::new();
    }
    // Labels of a date need about five base steps of room.
    let min_ms = (input.base_step_size * 5.0 * HOUR_MS as f64) as i64;
    let step = step_for(min_ms.max(1));
    let step_h = step.approx_ms() as f64 / HOUR_MS as f64;
    // A label centred on a tick at the very edge would be cut by the plot's frame.
    let margin = (hi - lo) * 0.03;
    ticks(step, time_from_axis(lo), time_from_axis(hi))
        .into_iter()
        .filter(|&t| hour_axis(t) <= hi - margin)
        .map(|t| GridMark {
            value: hour_axis(t),
            step_size: step_h,
        })
        .collect()
}

/// The label formatter matching [`grid`].
pub fn grid_label(mark: GridMark, _range: &RangeInclusive<f64>) -> String {
    let ms = (mark.step_size * HOUR_MS as f64).round() as i64;
    label(time_from_axis(mark.value), step_for(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn ticks_fall_on_beijing_boundaries() {
        // 2026-02-28 00:00 BJT is 2026-02-27T16:00Z; ticks are after `from`.
        let from = t("2026-02-27T16:00:00Z");
        let days = ticks(Step::Fixed(DAY_MS), from, from.plus_ms(3 * DAY_MS));
        let labels: Vec<String> = days
            .iter()
            .map(|&d| label(d, Step::Fixed(DAY_MS)))
            .collect();
        assert_eq!(labels, ["03-01", "03-02", "03-03"]);
        let months = ticks(
            Step::Months(1),
            t("2025-11-15T00:00:00Z"),
            t("2026-03-15T00:00:00Z"),
        );
        let labels: Vec<String> = months.iter().map(|&m| label(m, Step::Months(1))).collect();
        assert_eq!(labels, ["2025-12", "2026", "2026-02", "2026-03"]);
        let hours = ticks(Step::Fixed(6 * HOUR_MS), from, from.plus_ms(DAY_MS));
        let labels: Vec<String> = hours
            .iter()
            .map(|&h| label(h, Step::Fixed(6 * HOUR_MS)))
            .collect();
        assert_eq!(labels, ["06:00", "12:00", "18:00", "03-01"]);
    }

    #[test]
    fn weeks_start_on_monday() {
        let weeks = ticks(
            Step::Fixed(7 * DAY_MS),
            t("2026-11-01T00:00:00Z"),
            t("2026-11-30T00:00:00Z"),
        );
        for week in weeks {
            assert_eq!(week.beijing().weekday(), chrono::Weekday::Mon);
        }
    }

    #[test]
    fn spacing_grows_with_the_range() {
        assert_eq!(step_for(1), Step::Fixed(5 * MINUTE_MS));
        assert_eq!(step_for(5 * HOUR_MS), Step::Fixed(6 * HOUR_MS));
        assert_eq!(step_for(20 * DAY_MS), Step::Months(1));
        assert_eq!(step_for(10 * 365 * DAY_MS), Step::Months(12));
    }
}
