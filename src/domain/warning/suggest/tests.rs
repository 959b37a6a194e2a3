use super::*;
use crate::domain::qc::{QcFlags, QcTest};
use crate::domain::time::MINUTE_MS;
use crate::domain::warning::shipped_catalogue;

fn network() -> Network {
    Network::from_csv(
        include_str!("../../../../assets/geo/townships.csv"),
        include_str!("../../../../assets/geo/stations.csv"),
    )
    .unwrap()
}

/// 2026-07-10 15:00 BJT, on the hour.
fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-07-10T15:00:00+08:00").unwrap()
}

fn id(text: &str) -> StationId {
    StationId::parse(text).unwrap()
}

/// Recent values built up value by value, `minutes` before [`now`].
#[derive(Default, Clone)]
struct Data(Recent);

impl Data {
    fn at(self, station: &str, element: Element, minutes: i64, value: f64) -> Self {
        self.with(station, element, minutes, value, QcFlags::PASSED)
    }

    fn with(mut self, station: &str, e: Element, minutes: i64, value: f64, qc: QcFlags) -> Self {
        let series = self.0.entry(id(station)).or_default().entry(e).or_default();
        series.push(Sample {
            qc,
            ..Sample::live(now().plus_ms(-minutes * MINUTE_MS), value)
        });
        series.sort_by_key(|s| s.time);
        self
    }

    /// Hourly rain at `station`: `hours[0]` in the hour ending now, `hours[1]` the one before …
    fn rain(self, station: &str, hours: &[f64]) -> Self {
        (0..hours.len()).fold(self, |d, k| {
            d.at(station, Element::Pre1h, 60 * k as i64, hours[k])
        })
    }

    fn reached(&self, signal: &str) -> Option<Level> {
        let got = suggest(&shipped_catalogue(), &network(), &self.0, now());
        got.iter()
            .filter(|s| s.signal == signal)
            .map(|s| s.level)
            .max()
    }

    fn values(&self, station: &str) -> read::StationValues<'_> {
        read::StationValues {
            series: &self.0[&id(station)],
            now: now(),
        }
    }
}

#[test]
fn rain_sums_count_each_hour_once() {
    // Powers of two: a sum names the hours it counted.
    let data = Data::default().rain("58819", &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]);
    let v = data.values("58819");
    let table = [(1, 1.0), (3, 7.0), (6, 63.0), (12, 127.0)];
    for (hours, want) in table {
        assert_eq!(v.rain_sum(hours), Some(want), "{hours} h");
    }
    // Half past: the whole hours by PRE_1h, the half-hours at either end by minute PRE.
    let half = Data::default()
        .rain("58819", &[1.0, 2.0, 4.0, 8.0])
        .at("58819", Element::Pre, 29, 16.0) // 14:31
        .at("58819", Element::Pre, 30, 32.0) // 14:30
        .at("58819", Element::Pre, 200, 64.0) // 11:40
        .at("58819", Element::Pre, 215, 128.0); // 11:25
    let v = read::StationValues {
        series: &half.0[&id("58819")],
        now: now().plus_ms(-30 * MINUTE_MS),
    };
    // At 14:30 the window is (11:30, 14:30]: head (11:30, 12:00] = 64 (not the 12:00 hour's
    // 8, nor 11:25's 128); whole hours to 13:00 (4) and 14:00 (2); tail (14:00, 14:30] = 32.
    // The 15:00 hour's 1 and the 14:31 minute are after this `now`.
    assert_eq!(v.rain_sum(3), Some(64.0 + 4.0 + 2.0 + 32.0));
}

#[test]
fn minutes_stand_in_for_a_missing_hour_and_qc_failures_do_not_count() {
    let step = QcFlags::PASSED.with(QcTest::Step);
    let data = Data::default()
        .at("58819", Element::Pre1h, 0, 1.0)
        .at("58819", Element::Pre, 5, 512.0) // the hour has PRE_1h: minutes ignored
        .at("58819", Element::Pre, 70, 2.0) // hour ending 14:00: no PRE_1h
        .at("58819", Element::Pre, 90, 4.0)
        .with("58819", Element::Pre1h, 120, 64.0, step) // failed: its minutes stand in
        .at("58819", Element::Pre, 150, 8.0)
        .with("58819", Element::Pre, 160, 256.0, step);
    assert_eq!(
        data.values("58819").rain_sum(3),
        Some(1.0 + 2.0 + 4.0 + 8.0)
    );
    // Nothing reported at all is not zero rain.
    let silent = Data::default().at("58819", Element::Tem, 0, 20.0);
    assert_eq!(silent.values("58819").rain_sum(3), None);
}

#[test]
fn rainstorm_levels_at_below_and_above_each_threshold() {
    let table: [(&[f64], Option<Level>); 11] = [
        (&[50.0], Some(Level::Orange)),
        (&[49.9], None),
        (&[50.1], Some(Level::Orange)),
        (&[60.0, 40.0], Some(Level::Red)),
        (&[60.0, 39.9], Some(Level::Orange)),
        (&[0.0, 0.0, 0.0, 50.0], Some(Level::Yellow)),
        (&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 50.0], Some(Level::Blue)),
        (&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 49.9], None),
        // The 13th hour back is outside the longest (12 h) window.
        (&[0.0; 12], None),
        (&[0.0, 25.0, 25.0], Some(Level::Orange)),
        (&[0.0, 0.0, 25.0, 25.0], Some(Level::Yellow)),
    ];
    for (hours, want) in table {
        let data = Data::default().rain("708312", hours);
        assert_eq!(data.reached("rainstorm"), want, "{hours:?}");
    }
    let late =
        Data::default()
            .rain("708312", &[0.0; 12])
            .at("708312", Element::Pre1h, 12 * 60, 80.0);
    assert_eq!(late.reached("rainstorm"), None);
}

#[test]
fn gale_from_mean_wind_and_gusts_on_the_beaufort_bands() {
    let (mean, gust) = (Element::WinSAvg2mi, Element::WinSInstMax);
    let table = [
        (mean, 10.8, Some(Level::Blue)),
        (mean, 10.7, None),
        (gust, 13.9, Some(Level::Blue)),
        (gust, 13.8, None),
        (mean, 17.2, Some(Level::Yellow)),
        (gust, 20.8, Some(Level::Yellow)),
        (gust, 20.7, Some(Level::Blue)),
        (mean, 24.5, Some(Level::Orange)),
        (gust, 28.5, Some(Level::Orange)),
        (mean, 32.7, Some(Level::Red)),
        (gust, 37.0, Some(Level::Red)),
        (gust, 36.9, Some(Level::Orange)),
    ];
    for (element, ms, want) in table {
        let data = Data::default().at("708308", element, 10, ms);
        assert_eq!(data.reached("gale"), want, "{element} {ms}");
        assert_eq!(data.reached("typhoon"), None, "typhoon is the forecaster's");
    }
    // Only the last hour counts for wind that is not part of a cold wave.
    let old = Data::default().at("708308", gust, 61, 40.0);
    assert_eq!(old.reached("gale"), None);
}

#[test]
fn high_temperature_from_the_day_and_three_days() {
    let table = [
        (vec![(60, 37.0)], Some(Level::Orange)),
        (vec![(60, 36.9)], None),
        (vec![(60, 40.0)], Some(Level::Red)),
        (vec![(60, 39.9)], Some(Level::Orange)),
        // Today, yesterday, the day before, each at 14:00 BJT.
        (
            vec![(60, 35.0), (25 * 60, 35.0), (49 * 60, 35.0)],
            Some(Level::Yellow),
        ),
        (vec![(60, 35.0), (25 * 60, 34.9), (49 * 60, 35.0)], None),
        // Today (to 15:00) not yet hot, but the three days before were.
        (
            vec![
                (60, 30.0),
                (16 * 60, 35.5),
                (40 * 60, 36.0),
                (64 * 60, 35.2),
            ],
            Some(Level::Yellow),
        ),
    ];
    for (values, want) in table {
        let data = values.iter().fold(Data::default(), |d, &(m, t)| {
            d.at("58819", Element::Tem, m, t)
        });
        assert_eq!(data.reached("high_temperature"), want, "{values:?}");
    }
    let three = Data::default()
        .at("58819", Element::Tem, 60, 36.0)
        .at("58819", Element::Tem, 25 * 60, 35.5)
        .at("58819", Element::Tem, 49 * 60, 35.2);
    assert_eq!(three.values("58819").three_day_tmax(), Some(35.2));
}

/// Hourly air temperature: `earlier` over (now − 72 h, now − 24 h], `later` over the last
/// 24 h, and one mean wind in the last day; `hours_earlier` of the earlier day's last 24 hours
/// are reported.
fn cold(earlier: f64, later: f64, wind: f64, hours_earlier: i64) -> Data {
    let mut data = Data::default().at("708314", Element::WinSAvg2mi, 6 * 60, wind);
    for h in 0..24 {
        data = data.at("708314", Element::Tem, h * 60, later);
    }
    for h in 24..48 {
        if h - 24 < hours_earlier {
            data = data.at("708314", Element::Tem, h * 60, earlier);
        }
    }
    for h in 48..72 {
        data = data.at("708314", Element::Tem, h * 60, earlier);
    }
    data
}

#[test]
fn cold_wave_needs_the_fall_the_minimum_and_the_wind_together() {
    let table = [
        (cold(14.0, 4.0, 10.8, 24), Some(Level::Yellow)),
        (cold(13.9, 4.0, 10.8, 24), Some(Level::Blue)), // 9.9 ℃: only the 48 h level
        (cold(14.0, 4.0, 10.7, 24), Some(Level::Blue)), // force 5
        (cold(14.0, 4.1, 10.8, 24), None),
        (cold(11.9, 4.0, 7.9, 24), None), // force 4
        (cold(12.0, 0.0, 10.8, 24), Some(Level::Orange)),
        (cold(16.0, 0.0, 10.8, 24), Some(Level::Red)),
        (cold(15.9, 0.0, 10.8, 24), Some(Level::Orange)),
        // The day before with too few hours: its minimum, and so the 24 h fall, is unknown;
        // the 48 h fall still reads from the complete day before that.
        (cold(14.0, 4.0, 10.8, 19), Some(Level::Blue)),
        (cold(14.0, 4.0, 10.8, 20), Some(Level::Yellow)),
    ];
    for (i, (data, want)) in table.into_iter().enumerate() {
        assert_eq!(data.reached("cold_wave"), want, "case {i}");
    }
    let got = suggest(
        &shipped_catalogue(),
        &network(),
        &cold(14.0, 4.0, 10.8, 24).0,
        now(),
    );
    let wave = got.iter().find(|s| s.signal == "cold_wave").unwrap();
    let params: Vec<&Param> = wave.triggers.iter().map(|t| &t.param).collect();
    assert_eq!(params.len(), 3, "{params:?}");
    assert!(
        wave.triggers
            .iter()
            .any(|t| t.param == Param::TminDrop && t.value == 10.0)
    );
}

#[test]
fn frost_from_ground_temperature_fog_from_visibility() {
    let step = QcFlags::PASSED.with(QcTest::Range);
    let table = [
        ("frost", Element::Gst, 0.0, Some(Level::Blue)),
        ("frost", Element::Gst, 0.1, None),
        ("frost", Element::Gst, -3.0, Some(Level::Yellow)),
        ("frost", Element::Gst, -4.9, Some(Level::Yellow)),
        ("frost", Element::Gst, -5.0, Some(Level::Orange)),
        ("fog", Element::Vis, 499.0, Some(Level::Yellow)),
        ("fog", Element::Vis, 500.0, None),
        ("fog", Element::Vis, 199.0, Some(Level::Orange)),
        ("fog", Element::Vis, 50.0, Some(Level::Orange)),
        ("fog", Element::Vis, 49.0, Some(Level::Red)),
    ];
    for (signal, element, value, want) in table {
        let data = Data::default()
            .at("58819", element, 30, value)
            .with("58819", element, 20, -20.0, step); // QC-failed: ignored
        assert_eq!(data.reached(signal), want, "{signal} {value}");
        assert_eq!(data.reached("sandstorm"), None);
        assert_eq!(data.reached("haze"), None, "no humidity, no haze");
    }
    let dry =
        Data::default()
            .at("58819", Element::Vis, 30, 2500.0)
            .at("58819", Element::Rhu, 1, 60.0);
    assert_eq!(dry.reached("haze"), Some(Level::Yellow));
}

#[test]
fn suggestions_group_townships_by_level_and_rank_triggers() {
    let data = Data::default()
        .rain("708312", &[52.4]) // 嵩溪镇
        .rain("58819", &[70.0]) // 龙津镇
        .rain("708311", &[0.0, 0.0, 0.0, 50.0]) // 林畲镇
        .rain("999999", &[120.0]); // not in the network
    let got = suggest(&shipped_catalogue(), &network(), &data.0, now());
    let rain: Vec<&Suggestion> = got.iter().filter(|s| s.signal == "rainstorm").collect();
    assert_eq!(rain.len(), 2);
    assert_eq!(rain[0].level, Level::Orange);
    let codes: Vec<&str> = rain[0].townships.iter().map(String::as_str).collect();
    assert_eq!(codes, ["350423100", "350423101"]);
    let first = &rain[0].triggers[0];
    assert_eq!((first.station.as_str(), first.value), ("58819", 70.0));
    assert_eq!(rain[1].level, Level::Yellow);
    assert_eq!(rain[1].townships.iter().next().unwrap(), "350423106");
    let at_songxi = rain[0]
        .triggers
        .iter()
        .find(|t| t.station.as_str() == "708312" && t.window_h == 3)
        .unwrap();
    assert_eq!(at_songxi.describe_zh(), "708312 3小时降水 52.4 mm ≥ 50");
    let gust = Trigger {
        element: Element::WinSInstMax,
        window_h: 1,
        value: 9.0,
        threshold: 9.0,
        param: Param::GustForce,
        ..at_songxi.clone()
    };
    assert_eq!(gust.describe_zh(), "708312 1小时极大风力 9级 ≥ 9");
}

#[test]
fn the_level_observations_support_for_a_drafted_area() {
    let c = shipped_catalogue();
    let data = Data::default()
        .rain("708312", &[52.4])
        .rain("708311", &[1.0]);
    let area = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect();
    let table = [
        (
            "rainstorm",
            area(&["350423101"]),
            Observed::Supports(Some(Level::Orange)),
        ),
        ("rainstorm", area(&["350423106"]), Observed::Supports(None)),
        (
            "rainstorm",
            area(&["350423101", "350423106"]),
            Observed::Supports(Some(Level::Orange)),
        ),
        ("rainstorm", area(&["350423209"]), Observed::NotMeasured), // no data there
        ("lightning", area(&["350423101"]), Observed::NotMeasured),
        ("typhoon", area(&["350423101"]), Observed::NotMeasured),
        ("fog", area(&["350423101"]), Observed::NotMeasured), // no visibility
        ("no_such", area(&["350423101"]), Observed::NotMeasured),
    ];
    for (signal, codes, want) in table {
        let got = observed_level(&c, &network(), signal, &codes, &data.0, now());
        assert_eq!(got, want, "{signal} {codes:?}");
    }
}

#[test]
fn criteria_the_network_cannot_observe_are_listed() {
    let c = shipped_catalogue();
    let listed = |measured: &[Element]| -> Vec<(String, Level, bool)> {
        unobservable(&c, measured)
            .into_iter()
            .map(|u| (u.signal, u.level, u.partly))
            .collect()
    };
    let minute = listed(&Element::EVERY_MINUTE);
    let signals: BTreeSet<&str> = minute.iter().map(|(s, _, _)| s.as_str()).collect();
    let want: BTreeSet<&str> = [
        "typhoon",
        "blizzard",
        "sandstorm",
        "drought",
        "lightning",
        "hail",
        "fog",
        "haze",
        "road_icing",
    ]
    .into();
    assert_eq!(signals, want);
    assert_eq!(minute.len(), 4 + 4 + 3 + 2 + 3 + 2 + 3 + 3 + 3);
    let with_vis = listed(&[Element::EVERY_MINUTE.as_slice(), &[Element::Vis]].concat());
    assert!(!with_vis.iter().any(|(s, _, _)| s == "fog"));
    assert!(
        with_vis.contains(&("haze".into(), Level::Red, true)),
        "dry haze is observable"
    );
    let all = unobservable(&c, &Element::ALL);
    let typhoon = all.iter().find(|u| u.signal == "typhoon").unwrap();
    assert!(
        typhoon.why_zh.contains("热带气旋预报"),
        "{}",
        typhoon.why_zh
    );
    let haze = all.iter().find(|u| u.signal == "haze").unwrap();
    assert_eq!(haze.why_zh, "站网无PM2.5浓度观测");
    let hail = all.iter().find(|u| u.signal == "hail").unwrap();
    assert!(hail.criteria_zh.contains("冰雹"));
}
