//! A station's day in figures: the highest and lowest temperature, the lowest humidity and
//! the strongest gust of the calendar day (00–24 BJT) with the time each occurred, and the
//! day's rain (CMA's 20–20 day of the same date); for today so far or for a past day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::rain::{DailyRain, day_rain};
use super::{Extreme, in_window, most};
use crate::domain::time::{DayBoundary, ObservingDay, Timestamp};

/// One station's series that a day's extremes are read from; any may be empty (an element
/// the station does not measure, or did not report).
#[derive(Debug, Clone, Copy, Default)]
pub struct StationSeries<'a> {
    /// `TEM`, °C.
    pub tem: &'a [(Timestamp, f64)],
    /// `RHU`, %.
    pub rhu: &'a [(Timestamp, f64)],
    /// `WIN_S_Inst_Max`, m/s.
    pub gust: &'a [(Timestamp, f64)],
    /// A wind direction read at the gust's time, degrees: `WIN_D_Inst_Max` where a station
    /// reports it, else `WIN_D_Avg_2mi`.
    pub gust_direction: &'a [(Timestamp, f64)],
    /// `PRE`, mm a minute.
    pub pre: &'a [(Timestamp, f64)],
}

/// The strongest gust of a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gust {
    /// Speed, m/s.
    pub speed_ms: f64,
    /// When it blew (the first time, when the speed occurred more than once).
    pub at: Timestamp,
    /// The wind direction stamped at the same time, degrees, if there is one.
    pub direction_deg: Option<f64>,
}

/// A station's extremes of one calendar day; `None` where the day had no value of the element.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DailyExtremes {
    /// The calendar day (00–24 BJT).
    pub day: ObservingDay,
    /// The end of what was read: the day's end, or now for today.
    pub until: Timestamp,
    /// Highest temperature.
    pub max_tem: Option<Extreme>,
    /// Lowest temperature.
    pub min_tem: Option<Extreme>,
    /// Lowest relative humidity.
    pub min_rhu: Option<Extreme>,
    /// Strongest gust.
    pub max_gust: Option<Gust>,
    /// The rain of the CMA precipitation day (20–20 BJT) named by the same date, up to `until`.
    pub rain: DailyRain,
}

/// The extremes of the calendar day `date` (values stamped in `(00:00, 24:00]` BJT) up to
/// `now`: the whole day once it is over.
pub fn daily_extremes(
    series: &StationSeries<'_>,
    date: NaiveDate,
    now: Timestamp,
) -> DailyExtremes {
    let day = ObservingDay::calendar(date);
    let until = day.end().min(now);
    let of_day = |values| in_window(values, day.start(), until);
    let max_gust = extreme(of_day(series.gust), f64::gt).map(|gust| Gust {
        speed_ms: gust.value,
        at: gust.at,
        direction_deg: value_at(series.gust_direction, gust.at),
    });
    DailyExtremes {
        day,
        until,
        max_tem: extreme(of_day(series.tem), f64::gt),
        min_tem: extreme(of_day(series.tem), f64::lt),
        min_rhu: extreme(of_day(series.rhu), f64::lt),
        max_gust,
        rain: day_rain(series.pre, ObservingDay::precipitation(date), now),
    }
}

/// Today's extremes so far: those of the calendar day holding `now`.
pub fn today_so_far(series: &StationSeries<'_>, now: Timestamp) -> DailyExtremes {
    daily_extremes(
        series,
        ObservingDay::containing(now, DayBoundary::Midnight).date,
        now,
    )
}

/// The value that beats every other (`f64::gt` for the maximum), the first of equals.
fn extreme(values: &[(Timestamp, f64)], beats: impl Fn(&f64, &f64) -> bool) -> Option<Extreme> {
    let extremes = values.iter().map(|&(at, value)| Extreme { value, at });
    most(extremes, |e| e.value, beats)
}

/// The value stamped exactly `at`, if any.
fn value_at(series: &[(Timestamp, f64)], at: Timestamp) -> Option<f64> {
    series
        .binary_search_by_key(&at, |&(t, _)| t)
        .ok()
        .map(|i| series[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::MINUTE_MS;

    fn bjt(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(&format!("2026-05-{text}:00+08:00")).unwrap()
    }

    fn may(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, day).unwrap()
    }

    fn series(points: &[(&str, f64)]) -> Vec<(Timestamp, f64)> {
        points.iter().map(|&(t, v)| (bjt(t), v)).collect()
    }

    #[test]
    fn extremes_take_the_first_of_equal_values() {
        let tem = series(&[
            ("05T06:00", 18.0),
            ("05T09:00", 24.5),
            ("05T14:00", 27.0),
            ("05T15:00", 27.0),
            ("05T18:00", 16.0),
            ("05T22:00", 16.0),
        ]);
        let rhu = series(&[("05T13:00", 41.0), ("05T14:00", 41.0), ("05T20:00", 88.0)]);
        let gust = series(&[("05T12:00", 9.8), ("05T16:30", 14.2), ("05T17:00", 14.2)]);
        let direction = series(&[("05T16:30", 225.0), ("05T17:00", 270.0)]);
        let inputs = StationSeries {
            tem: &tem,
            rhu: &rhu,
            gust: &gust,
            gust_direction: &direction,
            pre: &[],
        };
        let day = daily_extremes(&inputs, may(5), bjt("07T00:00"));
        let extreme = |e: Option<Extreme>| e.map(|e| (e.value, e.at));
        assert_eq!(extreme(day.max_tem), Some((27.0, bjt("05T14:00"))));
        assert_eq!(extreme(day.min_tem), Some((16.0, bjt("05T18:00"))));
        assert_eq!(extreme(day.min_rhu), Some((41.0, bjt("05T13:00"))));
        assert_eq!(
            day.max_gust,
            Some(Gust {
                speed_ms: 14.2,
                at: bjt("05T16:30"),
                direction_deg: Some(225.0),
            })
        );
        assert_eq!(day.until, bjt("06T00:00"));
    }

    #[test]
    fn missing_elements_have_no_extreme_and_a_gust_may_lack_its_direction() {
        let gust = series(&[("05T12:00", 9.8)]);
        let direction = series(&[("05T12:01", 180.0)]);
        let inputs = StationSeries {
            gust: &gust,
            gust_direction: &direction,
            ..StationSeries::default()
        };
        let day = daily_extremes(&inputs, may(5), bjt("07T00:00"));
        assert_eq!((day.max_tem, day.min_tem, day.min_rhu), (None, None, None));
        assert_eq!(day.max_gust.map(|g| g.direction_deg), Some(None));
        assert_eq!((day.rain.total.mm, day.rain.total.minutes), (None, 0));
    }

    #[test]
    fn the_calendar_day_holds_the_midnight_ending_it_not_the_one_starting_it() {
        let tem = series(&[
            ("05T00:00", 30.0), // ends 4 May
            ("05T00:01", 20.0),
            ("05T12:00", 25.0),
            ("06T00:00", 10.0), // ends 5 May
            ("06T00:01", 5.0),
        ]);
        let inputs = StationSeries {
            tem: &tem,
            ..StationSeries::default()
        };
        let day = daily_extremes(&inputs, may(5), bjt("08T00:00"));
        assert_eq!(day.max_tem.map(|e| e.value), Some(25.0));
        assert_eq!(
            day.min_tem.map(|e| (e.value, e.at)),
            Some((10.0, bjt("06T00:00")))
        );
    }

    #[test]
    fn today_so_far_reads_up_to_now_and_its_rain_from_twenty_hundred_yesterday() {
        let tem = series(&[("05T08:00", 19.0), ("05T10:00", 23.0), ("05T10:01", 24.0)]);
        let pre = series(&[
            ("04T20:00", 8.0), // 4 May's rain day
            ("04T20:01", 1.0),
            ("05T09:59", 2.0),
            ("05T10:00", 4.0),
            ("05T10:01", 16.0), // after now
        ]);
        let inputs = StationSeries {
            tem: &tem,
            pre: &pre,
            ..StationSeries::default()
        };
        let now = bjt("05T10:00");
        let today = today_so_far(&inputs, now);
        assert_eq!(today.day, ObservingDay::calendar(may(5)));
        assert_eq!(today.until, now);
        assert_eq!(today.max_tem.map(|e| e.value), Some(23.0));
        assert_eq!(today.rain.day, ObservingDay::precipitation(may(5)));
        assert_eq!(
            (
                today.rain.total.mm,
                today.rain.total.minutes,
                today.rain.total.expected
            ),
            (Some(7.0), 3, 14 * 60)
        );
        // A minute later the day has its next value.
        let later = today_so_far(&inputs, now.plus_ms(MINUTE_MS));
        assert_eq!(later.max_tem.map(|e| e.value), Some(24.0));
    }
}
