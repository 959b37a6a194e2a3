//! Chart points prepared from the state: plot coordinates (x in hours since the Unix epoch),
//! lines split at data gaps, and hourly rain bars.

use egui_plot::PlotPoint;

use crate::console::state::AppState;
use crate::domain::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::domain::{Element, StationId, Timestamp};

/// A chart's x coordinate for an instant: hours since the Unix epoch. Hours keep tick
/// arithmetic simple, and Beijing's whole-hour offset keeps local hours whole.
pub fn hour_axis(t: Timestamp) -> f64 {
    t.millis() as f64 / HOUR_MS as f64
}

/// The instant at a chart x coordinate (rounded to the millisecond).
pub fn time_from_axis(x: f64) -> Timestamp {
    Timestamp((x * HOUR_MS as f64).round() as i64)
}

/// The charts a station can show, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Air and ground-surface temperature, °C.
    Temperature,
    /// Relative humidity, %.
    Humidity,
    /// Hourly precipitation, mm.
    Rain,
    /// Station pressure, hPa.
    Pressure,
    /// Mean wind and gust, m/s.
    WindSpeed,
    /// Mean wind direction, degrees.
    WindDirection,
}

impl Group {
    /// Every group, in display order.
    pub const ALL: [Self; 6] = [
        Self::Temperature,
        Self::Humidity,
        Self::Rain,
        Self::Pressure,
        Self::WindSpeed,
        Self::WindDirection,
    ];

    /// The lines drawn in this group.
    pub const fn elements(self) -> &'static [Element] {
        match self {
            Self::Temperature => &[Element::Tem, Element::Gst],
            Self::Humidity => &[Element::Rhu],
            Self::Rain => &[],
            Self::Pressure => &[Element::Prs],
            Self::WindSpeed => &[Element::WinSAvg2mi, Element::WinSInstMax],
            Self::WindDirection => &[Element::WinDAvg2mi],
        }
    }

    /// The y axis's unit.
    pub const fn unit(self) -> &'static str {
        match self {
            Self::Temperature => "°C",
            Self::Humidity => "%",
            Self::Rain => "mm",
            Self::Pressure => "hPa",
            Self::WindSpeed => "m/s",
            Self::WindDirection => "°",
        }
    }
}

/// One element's points, split into runs without gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesLine {
    /// Which element.
    pub element: Element,
    /// Runs of points; a gap in the data ends a run, so no line bridges an outage.
    pub segments: Vec<Vec<PlotPoint>>,
}

/// What one chart draws.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupSeries {
    /// Lines (points for wind direction).
    pub lines: Vec<SeriesLine>,
    /// Bars as (x of the bar's middle, height): hourly rain.
    pub bars: Vec<(f64, f64)>,
    /// Lowest and highest value drawn, if any.
    pub y_range: Option<(f64, f64)>,
}

/// Every group's points for one station at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// What this was built from: station, data generation, minute.
    pub key: (StationId, u64, i64),
    groups: Vec<GroupSeries>,
}

/// Wind direction is shown every this often: a dot a minute is a smear, not a reading.
const DIRECTION_EVERY_MS: i64 = 10 * MINUTE_MS;

impl ChartData {
    /// The cache key: the charts change when data arrives or the minute turns.
    pub fn key(station: &StationId, generation: u64, now: Timestamp) -> (StationId, u64, i64) {
        (station.clone(), generation, now.floor(MINUTE_MS).millis())
    }

    /// Prepares the last 24 hours of `station`.
    pub fn build(state: &AppState, station: &StationId, now: Timestamp) -> Self {
        let from = now.plus_ms(-DAY_MS);
        let points = |element: Element| -> Vec<(Timestamp, f64)> {
            state
                .series(station, element)
                .map(|s| s.since(from).to_vec())
                .unwrap_or_default()
        };
        let groups = Group::ALL
            .into_iter()
            .map(|group| {
                let lines: Vec<SeriesLine> = group
                    .elements()
                    .iter()
                    .map(|&element| {
                        let mut values = points(element);
                        if element == Element::WinDAvg2mi {
                            values.retain(|(t, _)| t.millis() % DIRECTION_EVERY_MS == 0);
                        }
                        SeriesLine {
                            element,
                            segments: split_at_gaps(&values),
                        }
                    })
                    .filter(|line| !line.segments.is_empty())
                    .collect();
                let bars = if group == Group::Rain {
                    hourly_rain(&points(Element::Pre1h), &points(Element::Pre))
                } else {
                    Vec::new()
                };
                let y_range = value_range(&lines, &bars);
                GroupSeries {
                    lines,
                    bars,
                    y_range,
                }
            })
            .collect();
        Self {
            key: Self::key(station, state.data_generation, now),
            groups,
        }
    }

    /// What a group draws.
    pub fn group(&self, group: Group) -> &GroupSeries {
        let index = Group::ALL.iter().position(|&g| g == group).unwrap_or(0);
        &self.groups[index]
    }

    /// Whether there is nothing at all to draw.
    pub fn is_empty(&self) -> bool {
        self.groups
            .iter()
            .all(|g| g.lines.is_empty() && g.bars.is_empty())
    }
}

/// The lowest and highest value among lines and bars.
fn value_range(lines: &[SeriesLine], bars: &[(f64, f64)]) -> Option<(f64, f64)> {
    lines
        .iter()
        .flat_map(|l| l.segments.iter().flatten().map(|p| p.y))
        .chain(bars.iter().map(|&(_, h)| h))
        .fold(None, |range, v| match range {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Splits time-ordered values into runs; a gap longer than 2.5 typical intervals (and at
/// least 5 minutes) ends a run.
pub fn split_at_gaps(values: &[(Timestamp, f64)]) -> Vec<Vec<PlotPoint>> {
    let mut intervals: Vec<i64> = values
        .windows(2)
        .map(|w| w[1].0.millis() - w[0].0.millis())
        .collect();
    intervals.sort_unstable();
    let typical = intervals
        .get(intervals.len() / 2)
        .copied()
        .unwrap_or(MINUTE_MS);
    let max_gap = (typical * 5 / 2).max(5 * MINUTE_MS);
    let mut runs: Vec<Vec<PlotPoint>> = Vec::new();
    let mut previous: Option<Timestamp> = None;
    for &(t, v) in values {
        let point = PlotPoint::new(hour_axis(t), v);
        match (previous, runs.last_mut()) {
            (Some(p), Some(run)) if t.millis() - p.millis() <= max_gap => run.push(point),
            _ => runs.push(vec![point]),
        }
        previous = Some(t);
    }
    runs
}

/// Hourly rain bars: the one-hour totals reported on the hour, or, where a station reports
/// only minute totals, their sums per clock hour. Each bar stands over the hour it covers.
pub fn hourly_rain(
    pre_1h: &[(Timestamp, f64)],
    pre_minute: &[(Timestamp, f64)],
) -> Vec<(f64, f64)> {
    let on_the_hour: Vec<(f64, f64)> = pre_1h
        .iter()
        .filter(|(t, _)| t.millis() % HOUR_MS == 0)
        .map(|&(t, mm)| (hour_axis(t) - 0.5, mm))
        .collect();
    if !on_the_hour.is_empty() {
        return on_the_hour;
    }
    let mut sums: Vec<(i64, f64)> = Vec::new();
    for &(t, mm) in pre_minute {
        // The minute ending at t belongs to the hour ending at the next full hour.
        let hour_end = (t.millis() + HOUR_MS - 1).div_euclid(HOUR_MS);
        match sums.last_mut() {
            Some((h, sum)) if *h == hour_end => *sum += mm,
            _ => sums.push((hour_end, mm)),
        }
    }
    sums.into_iter()
        .map(|(h, mm)| (h as f64 - 0.5, mm))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(ms: &[i64]) -> Vec<(Timestamp, f64)> {
        ms.iter()
            .map(|&m| (Timestamp(m * MINUTE_MS), m as f64))
            .collect()
    }

    #[test]
    fn gaps_split_lines() {
        let cases: [(&[i64], usize); 5] = [
            (&[], 0),
            (&[1], 1),
            (&[1, 2, 3, 4], 1),
            (&[1, 2, 3, 30, 31], 2),
            (&[1, 2, 6], 1),
        ];
        for (times, runs) in cases {
            assert_eq!(split_at_gaps(&minutes(times)).len(), runs, "{times:?}");
        }
        // Hourly data is not shredded into single points.
        let hourly: Vec<i64> = (0..10).map(|h| h * 60).collect();
        assert_eq!(split_at_gaps(&minutes(&hourly)).len(), 1);
    }

    #[test]
    fn hourly_rain_uses_on_the_hour_totals() {
        let pre_1h = vec![
            (Timestamp(59 * MINUTE_MS), 0.3),
            (Timestamp(HOUR_MS), 1.5),
            (Timestamp(2 * HOUR_MS), 0.0),
        ];
        assert_eq!(hourly_rain(&pre_1h, &[]), vec![(0.5, 1.5), (1.5, 0.0)]);
    }

    #[test]
    fn hourly_rain_falls_back_to_minute_sums() {
        let minute = vec![
            (Timestamp(MINUTE_MS), 0.1),
            (Timestamp(60 * MINUTE_MS), 0.2),
            (Timestamp(61 * MINUTE_MS), 0.4),
        ];
        let bars = hourly_rain(&[], &minute);
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0].0, 0.5);
        assert!(
            (bars[0].1 - 0.3).abs() < 1e-9,
            "00:01 and 01:00 end in the first hour"
        );
        assert_eq!(bars[1], (1.5, 0.4));
    }

    #[test]
    fn axis_round_trips() {
        let t = Timestamp::parse_rfc3339("2026-11-27T10:00:00Z").unwrap();
        assert_eq!(time_from_axis(hour_axis(t)), t);
    }
}
