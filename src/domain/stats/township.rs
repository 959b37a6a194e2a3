//! The township table: one row per township of the network, from per-station summaries: how
//! many of its stations are reporting, and its extremes with the station each came from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::extremes::{DailyExtremes, Gust};
use super::{Extreme, most};
use crate::domain::network::{Network, StationId, Township, TownshipCode};
use crate::domain::time::Timestamp;

/// What one station contributes to the table (typically its [`DailyExtremes`] of today).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationSummary {
    /// The station.
    pub station: StationId,
    /// Time of its newest observation of any element.
    pub last_report: Option<Timestamp>,
    /// Highest temperature.
    pub max_tem: Option<Extreme>,
    /// Lowest temperature.
    pub min_tem: Option<Extreme>,
    /// Rain over the period the table shows, mm.
    pub rain_mm: Option<f64>,
    /// Strongest gust.
    pub max_gust: Option<Gust>,
}

impl StationSummary {
    /// A station's summary from its day's extremes (the rain is the day's 20–20 total).
    pub fn from_extremes(
        station: StationId,
        last_report: Option<Timestamp>,
        day: &DailyExtremes,
    ) -> Self {
        Self {
            station,
            last_report,
            max_tem: day.max_tem,
            min_tem: day.min_tem,
            rain_mm: day.rain.total.mm,
            max_gust: day.max_gust,
        }
    }
}

/// A value and the station it was observed at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtStation<T> {
    /// The station.
    pub station: StationId,
    /// What it observed.
    pub value: T,
}

/// One township's line of the table; a cell is `None` where none of its stations had a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TownshipRow {
    /// The township's NBS code (the table's order).
    pub code: TownshipCode,
    /// Its name, e.g. 龙津镇.
    pub name: String,
    /// Stations in the township.
    pub stations: usize,
    /// Its stations with no report in the recent period, in id order.
    pub silent: Vec<StationId>,
    /// Highest temperature.
    pub max_tem: Option<AtStation<Extreme>>,
    /// Lowest temperature.
    pub min_tem: Option<AtStation<Extreme>>,
    /// Most rain.
    pub max_rain: Option<AtStation<f64>>,
    /// Strongest gust.
    pub max_gust: Option<AtStation<Gust>>,
}

impl TownshipRow {
    /// Stations that reported in the recent period.
    pub fn reporting(&self) -> usize {
        self.stations - self.silent.len()
    }
}

/// One row per township of `network`, in code order. A station counts as reporting when its
/// last report is after `now − recent_ms`; one without a summary is silent. A silent
/// station's earlier values still count towards the extremes. Between equal values of two
/// stations, the one with the lower id is named.
pub fn township_table(
    network: &Network,
    summaries: &[StationSummary],
    now: Timestamp,
    recent_ms: i64,
) -> Vec<TownshipRow> {
    let by_station: BTreeMap<&StationId, &StationSummary> =
        summaries.iter().map(|s| (&s.station, s)).collect();
    let mut rows: Vec<TownshipRow> = network
        .townships
        .iter()
        .map(|township| {
            let mut ids: Vec<&StationId> =
                network.stations_in(township.code).map(|s| &s.id).collect();
            ids.sort();
            let members = ids.iter().map(|id| (*id, by_station.get(id).copied()));
            township_row(township, members, now.plus_ms(-recent_ms))
        })
        .collect();
    rows.sort_by_key(|row| row.code);
    rows
}

/// The row of `township` from its stations in id order, each with its summary if it has one;
/// a station reports if its last report is after `since`.
fn township_row<'a>(
    township: &Township,
    stations: impl Iterator<Item = (&'a StationId, Option<&'a StationSummary>)>,
    since: Timestamp,
) -> TownshipRow {
    let stations: Vec<_> = stations.collect();
    // A report stamped after now is a station clock running a little fast (ingest allows some
    // skew), not silence.
    let reported =
        |s: Option<&StationSummary>| s.and_then(|s| s.last_report).is_some_and(|t| t > since);
    let summaries: Vec<&StationSummary> = stations.iter().filter_map(|&(_, s)| s).collect();
    TownshipRow {
        code: township.code,
        name: township.name.clone(),
        stations: stations.len(),
        silent: stations
            .iter()
            .filter(|&&(_, s)| !reported(s))
            .map(|&(id, _)| id.clone())
            .collect(),
        max_tem: best(&summaries, |s| s.max_tem, |e| e.value, f64::gt),
        min_tem: best(&summaries, |s| s.min_tem, |e| e.value, f64::lt),
        max_rain: best(&summaries, |s| s.rain_mm, |mm| *mm, f64::gt),
        max_gust: best(&summaries, |s| s.max_gust, |g| g.speed_ms, f64::gt),
    }
}

/// The station whose `cell` beats every other's by `key`, the first of equals.
fn best<T>(
    summaries: &[&StationSummary],
    cell: impl Fn(&StationSummary) -> Option<T>,
    key: impl Fn(&T) -> f64,
    beats: impl Fn(&f64, &f64) -> bool,
) -> Option<AtStation<T>> {
    let cells = summaries.iter().filter_map(|s| {
        cell(s).map(|value| AtStation {
            station: s.station.clone(),
            value,
        })
    });
    most(cells, |c| key(&c.value), beats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geo::LatLon;
    use crate::domain::network::{Station, StationKind, TownshipLevel};
    use crate::domain::time::MINUTE_MS;

    const NOW: Timestamp = Timestamp(1_778_000_000_000);

    fn id(text: &str) -> StationId {
        StationId::parse(text).unwrap()
    }

    fn township(code: u32, name: &str) -> Township {
        Township {
            code: TownshipCode(code),
            name: name.to_owned(),
            level: TownshipLevel::Town,
            seat: LatLon::new(26.2, 116.8),
            seat_verified: true,
        }
    }

    fn station(text: &str, code: u32) -> Station {
        Station {
            id: id(text),
            name_zh: text.to_owned(),
            name_en: text.to_owned(),
            kind: StationKind::Regional,
            location: LatLon::new(26.2, 116.8),
            altitude_m: 300.0,
            township: TownshipCode(code),
            uncertainty: None,
        }
    }

    /// A station that last reported `minutes_ago`, with a temperature range, rain and gust.
    fn summary(
        text: &str,
        minutes_ago: Option<i64>,
        tem: Option<(f64, f64)>,
        rain_mm: Option<f64>,
        gust: Option<f64>,
    ) -> StationSummary {
        let at = NOW.plus_ms(-3 * 60 * MINUTE_MS);
        StationSummary {
            station: id(text),
            last_report: minutes_ago.map(|m| NOW.plus_ms(-m * MINUTE_MS)),
            max_tem: tem.map(|(_, value)| Extreme { value, at }),
            min_tem: tem.map(|(value, _)| Extreme { value, at }),
            rain_mm,
            max_gust: gust.map(|speed_ms| Gust {
                speed_ms,
                at,
                direction_deg: None,
            }),
        }
    }

    fn network() -> Network {
        Network {
            // Out of order on purpose: the table orders by code itself.
            townships: vec![
                township(350423202, "里田乡"),
                township(350423100, "龙津镇"),
                township(350423203, "无站乡"),
            ],
            stations: vec![
                station("708303", 350423100),
                station("58819", 350423100),
                station("708301", 350423100),
                station("708310", 350423202),
            ],
        }
    }

    /// A row as one line: `code stations reporting [silent] max min rain gust`.
    fn line(row: &TownshipRow) -> String {
        fn cell<T>(cell: Option<&AtStation<T>>, value: impl Fn(&T) -> f64) -> String {
            cell.map_or_else(
                || "-".to_owned(),
                |c| format!("{}@{}", value(&c.value), c.station),
            )
        }
        let silent: Vec<&str> = row.silent.iter().map(StationId::as_str).collect();
        format!(
            "{} {}/{} [{}] {} {} {} {}",
            row.code,
            row.reporting(),
            row.stations,
            silent.join(","),
            cell(row.max_tem.as_ref(), |e| e.value),
            cell(row.min_tem.as_ref(), |e| e.value),
            cell(row.max_rain.as_ref(), |mm| *mm),
            cell(row.max_gust.as_ref(), |g| g.speed_ms),
        )
    }

    #[test]
    fn one_row_per_township_in_code_order_with_its_silent_stations() {
        let summaries = [
            summary("58819", Some(1), Some((14.0, 25.0)), Some(3.5), Some(12.0)),
            summary("708301", Some(45), Some((12.0, 27.0)), Some(8.0), Some(9.0)),
            summary("708310", Some(0), None, Some(0.0), None),
            summary("999999", Some(0), Some((-40.0, 50.0)), None, None), // not in the network
        ];
        let rows = township_table(&network(), &summaries, NOW, 30 * MINUTE_MS);
        let lines: Vec<String> = rows.iter().map(line).collect();
        // 708301 is silent now but its values from earlier still count; 708303 never reported.
        assert_eq!(
            lines,
            [
                "350423100 1/3 [708301,708303] 27@708301 12@708301 8@708301 12@58819",
                "350423202 1/1 [] - - 0@708310 -",
                "350423203 0/0 [] - - - -",
            ]
        );
        assert_eq!(rows[0].name, "龙津镇");
    }

    #[test]
    fn reporting_means_a_report_in_the_recent_window() {
        // (minutes since the last report, reporting within 30 minutes); a station clock a
        // little ahead still reports.
        let cases = [
            (Some(0), true),
            (Some(29), true),
            (Some(30), false),
            (None, false),
            (Some(-2), true),
        ];
        for (minutes_ago, reporting) in cases {
            let summaries = [summary("708310", minutes_ago, None, None, None)];
            let rows = township_table(&network(), &summaries, NOW, 30 * MINUTE_MS);
            assert_eq!(rows[1].reporting() == 1, reporting, "{minutes_ago:?}");
        }
    }

    #[test]
    fn equal_values_name_the_station_with_the_lower_id() {
        let summaries = [
            summary("708303", Some(0), Some((10.0, 20.0)), Some(5.0), Some(7.0)),
            summary("708301", Some(0), Some((10.0, 20.0)), Some(5.0), Some(7.0)),
        ];
        let row = &township_table(&network(), &summaries, NOW, 30 * MINUTE_MS)[0];
        let named = [
            row.max_tem.as_ref().map(|m| m.station.clone()),
            row.min_tem.as_ref().map(|m| m.station.clone()),
            row.max_rain.as_ref().map(|m| m.station.clone()),
            row.max_gust.as_ref().map(|m| m.station.clone()),
        ];
        assert!(
            named.iter().all(|s| s.as_ref() == Some(&id("708301"))),
            "{named:?}"
        );
    }
}
