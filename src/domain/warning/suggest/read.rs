//! Reading a criterion's quantity from one station's recent values: the rules that say which
//! values count. Values that failed a QC test are left out everywhere.
//!
//! - **Rain over N h** is the larger of two sums: the sliding window `(now − N h, now]` and the
//!   last N whole clock hours (the 整点 window, which is all hourly-only data can give between
//!   hours). Each whole clock hour in a window counts its `PRE_1h` (stamped at the hour's end);
//!   an hour without one, and the part-hours at either end, count the minutes' `PRE`. Missing
//!   values are not rain: a sum over a gap is a lower bound, so a sum that reaches a threshold
//!   does so for certain.
//! - **Wind, visibility, humidity** are "already happening" quantities: the worst value of the
//!   last hour (the strongest mean wind and gust, the lowest visibility), the newest humidity.
//!   Wind tested together with a temperature fall (a cold wave) looks back over the day the
//!   fall is measured on, since the cold air's wind comes before the minimum.
//! - **Highest and lowest temperature**, air or ground: the extreme of the last 24 h.
//! - **Fall of the minimum over W h**: the lowest temperature of the 24 h ending W h ago less
//!   the lowest of the last 24 h. The earlier day must have values in at least
//!   [`MIN_HOURS_FOR_A_MINIMUM`] of its hours, or its minimum (and so the fall) could be
//!   overstated by a gap.
//! - **Three consecutive days' highest temperature**: the calendar days (00–24 BJT) ending
//!   today, or ending yesterday if today has not yet got there; the value is the coolest of
//!   the three days' highs.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::Element;
use crate::domain::history::Sample;
use crate::domain::time::{DAY_MS, DayBoundary, HOUR_MS, MINUTE_MS, ObservingDay, Timestamp};
use crate::domain::warning::criteria::{Beaufort, Param};

/// Hours of the earlier day that must hold values before its minimum is trusted.
pub const MIN_HOURS_FOR_A_MINIMUM: usize = 20;

/// How far back "already happening" quantities look.
const RECENT_MS: i64 = HOUR_MS;

/// A quantity read from the values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Reading {
    /// The element read.
    pub element: Element,
    /// The window covered, hours (0: an instant).
    pub window_h: u32,
    /// The quantity.
    pub value: f64,
}

/// One station's recent values, as of `now`.
pub(super) struct StationValues<'a> {
    pub series: &'a BTreeMap<Element, Vec<Sample>>,
    pub now: Timestamp,
}

impl StationValues<'_> {
    /// QC-passed values of `element` stamped in `(from, to]`.
    fn values(&self, element: Element, from: Timestamp, to: Timestamp) -> Vec<Sample> {
        let Some(series) = self.series.get(&element) else {
            return Vec::new();
        };
        let first = series.partition_point(|s| s.time <= from);
        series[first..]
            .iter()
            .take_while(|s| s.time <= to)
            .filter(|s| s.qc.passed() && s.value.is_finite())
            .copied()
            .collect()
    }

    fn extreme(&self, element: Element, back_ms: i64, highest: bool) -> Option<f64> {
        let values = self.values(element, self.now.plus_ms(-back_ms), self.now);
        let pick = if highest { f64::max } else { f64::min };
        values.iter().map(|s| s.value).reduce(pick)
    }

    fn newest(&self, element: Element, back_ms: i64) -> Option<f64> {
        let values = self.values(element, self.now.plus_ms(-back_ms), self.now);
        values.last().map(|s| s.value)
    }

    /// Rain over the last `hours` (see the module's rule).
    pub fn rain_sum(&self, hours: u32) -> Option<f64> {
        let sliding = self.rain_until(self.now, hours);
        let on_the_hour = self.now.floor(HOUR_MS);
        if on_the_hour == self.now {
            return sliding;
        }
        let clock = self.rain_until(on_the_hour, hours);
        sliding.into_iter().chain(clock).reduce(f64::max)
    }

    /// Rain over `(until − hours, until]`.
    fn rain_until(&self, until: Timestamp, hours: u32) -> Option<f64> {
        let mut start = until.plus_ms(-i64::from(hours) * HOUR_MS);
        let (mut total, mut any) = (0.0, false);
        while start < until {
            let end = start.floor(HOUR_MS).plus_ms(HOUR_MS).min(until);
            let whole = end.millis() - start.millis() == HOUR_MS;
            let hourly = whole
                .then(|| self.values(Element::Pre1h, end.plus_ms(-1), end))
                .and_then(|v| v.last().map(|s| s.value));
            let minutes = || {
                let v = self.values(Element::Pre, start, end);
                (!v.is_empty()).then(|| v.iter().map(|s| s.value).sum::<f64>())
            };
            if let Some(rain) = hourly.or_else(minutes) {
                total += rain;
                any = true;
            }
            start = end;
        }
        any.then_some(total)
    }

    /// How far the minimum fell over `window_h` (see the module's rule).
    pub fn tmin_drop(&self, window_h: u32) -> Option<f64> {
        let earlier_end = self.now.plus_ms(-i64::from(window_h) * HOUR_MS);
        let earlier = self.values(Element::Tem, earlier_end.plus_ms(-DAY_MS), earlier_end);
        let hours: BTreeSet<i64> = earlier
            .iter()
            .map(|s| s.time.plus_ms(-1).floor(HOUR_MS).millis())
            .collect();
        if hours.len() < MIN_HOURS_FOR_A_MINIMUM {
            return None;
        }
        let earlier_min = earlier.iter().map(|s| s.value).reduce(f64::min)?;
        Some(earlier_min - self.extreme(Element::Tem, DAY_MS, false)?)
    }

    /// The coolest of three consecutive calendar days' highs (see the module's rule).
    pub fn three_day_tmax(&self) -> Option<f64> {
        let today = ObservingDay::containing(self.now, DayBoundary::Midnight);
        let mut highs = Vec::new();
        let mut day = Some(today);
        for _ in 0..4 {
            let Some(d) = day else { break };
            let values = self.values(Element::Tem, d.start(), d.end().min(self.now));
            highs.push(values.iter().map(|s| s.value).reduce(f64::max));
            day = d.date.pred_opt().map(ObservingDay::calendar);
        }
        highs
            .windows(3)
            .filter_map(|three| three.iter().copied().reduce(|a, b| Some(a?.min(b?)))?)
            .reduce(f64::max)
    }

    /// The quantity `param` names, over `level_window_h` where it has a window; `with_fall`
    /// when the group also tests a temperature fall.
    pub fn read(
        &self,
        param: &Param,
        level_window_h: Option<u32>,
        with_fall: bool,
        beaufort: &Beaufort,
    ) -> Option<Reading> {
        let wind_ms = if with_fall { DAY_MS } else { RECENT_MS };
        let wind_h = (wind_ms / HOUR_MS) as u32;
        let reading = |element, window_h, value: Option<f64>| {
            value.map(|value| Reading {
                element,
                window_h,
                value,
            })
        };
        let force = |element| {
            let ms = self.extreme(element, wind_ms, true)?;
            Some(f64::from(beaufort.force(ms)))
        };
        match param {
            Param::PrecipSum => {
                let hours = level_window_h?;
                reading(Element::Pre1h, hours, self.rain_sum(hours))
            }
            Param::MeanWindForce => {
                reading(Element::WinSAvg2mi, wind_h, force(Element::WinSAvg2mi))
            }
            Param::GustForce => reading(Element::WinSInstMax, wind_h, force(Element::WinSInstMax)),
            Param::Tmax => reading(Element::Tem, 24, self.extreme(Element::Tem, DAY_MS, true)),
            Param::DailyTmax3Days => reading(Element::Tem, 72, self.three_day_tmax()),
            Param::Tmin => reading(Element::Tem, 24, self.extreme(Element::Tem, DAY_MS, false)),
            Param::TminDrop => {
                let hours = level_window_h.unwrap_or(24);
                reading(Element::Tem, hours, self.tmin_drop(hours))
            }
            Param::GroundSurfaceTmin => {
                reading(Element::Gst, 24, self.extreme(Element::Gst, DAY_MS, false))
            }
            Param::Visibility => reading(
                Element::Vis,
                1,
                self.extreme(Element::Vis, RECENT_MS, false),
            ),
            Param::Rh => reading(Element::Rhu, 0, self.newest(Element::Rhu, 10 * MINUTE_MS)),
            _ => None,
        }
    }
}

/// The elements that can give `param`: any one of them (rain: hourly or minute values).
/// Empty: nothing the network measures can.
pub fn elements_for(param: &Param) -> &'static [Element] {
    match param {
        Param::PrecipSum => &[Element::Pre1h, Element::Pre],
        Param::MeanWindForce => &[Element::WinSAvg2mi],
        Param::GustForce => &[Element::WinSInstMax],
        Param::Tmax | Param::DailyTmax3Days | Param::Tmin | Param::TminDrop => &[Element::Tem],
        Param::GroundSurfaceTmin => &[Element::Gst],
        Param::Visibility => &[Element::Vis],
        Param::Rh => &[Element::Rhu],
        _ => &[],
    }
}
