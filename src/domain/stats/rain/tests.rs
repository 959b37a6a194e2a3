use proptest::prelude::*;

use super::*;

/// A Beijing local time, `2026-05-05T20:00`.
fn bjt(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{text}:00+08:00")).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, day).unwrap()
}

/// `mm` in every minute stamped in `(start, end]`.
fn steady(start: Timestamp, end: Timestamp, mm: f64) -> Vec<(Timestamp, f64)> {
    std::iter::successors(Some(start.plus_ms(MINUTE_MS)), |t| {
        Some(t.plus_ms(MINUTE_MS))
    })
    .take_while(|t| *t <= end)
    .map(|t| (t, mm))
    .collect()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * (1.0 + a.abs()),
        (a, b) => a == b,
    }
}

#[test]
fn a_window_leaves_out_the_minute_at_its_start_and_holds_the_minute_at_its_end() {
    let t = bjt("2026-05-05T20:00");
    // Powers of two, so each sum names the minutes in it.
    let minutes = [
        (t.plus_ms(-HOUR_MS - MINUTE_MS), 16.0),
        (t.plus_ms(-HOUR_MS), 1.0),
        (t.plus_ms(-HOUR_MS + MINUTE_MS), 2.0),
        (t, 4.0),
        (t.plus_ms(MINUTE_MS), 8.0),
    ];
    // (window end, hours, mm, minutes with data)
    let cases = [
        (t, 1, Some(6.0), 2),
        (t.plus_ms(-MINUTE_MS), 1, Some(3.0), 2),
        (t.plus_ms(MINUTE_MS), 1, Some(12.0), 2),
        (t, 3, Some(23.0), 4),
        (t.plus_ms(-2 * HOUR_MS), 1, None, 0),
    ];
    for (end, hours, mm, found) in cases {
        let total = rain_ending_at(&minutes, end, hours);
        assert_eq!(
            (total.mm, total.minutes, total.expected),
            (mm, found, hours * 60),
            "{hours} h ending at {end}"
        );
    }
}

#[test]
fn accumulations_of_a_steady_rain_with_an_hour_missing() {
    let end = bjt("2026-05-05T20:00");
    // 0.5 mm a minute (exact in binary) for 30 h, but nothing 14 h to 13 h before the end.
    let minutes: Vec<_> = steady(end.plus_ms(-30 * HOUR_MS), end, 0.5)
        .into_iter()
        .filter(|&(t, _)| !(end.plus_ms(-14 * HOUR_MS) < t && t <= end.plus_ms(-13 * HOUR_MS)))
        .collect();
    let table: Vec<(u32, Option<f64>, u32, u32)> = accumulations(&minutes, end)
        .iter()
        .map(|a| (a.hours, a.total.mm, a.total.minutes, a.total.expected))
        .collect();
    assert_eq!(
        table,
        [
            (1, Some(30.0), 60, 60),
            (3, Some(90.0), 180, 180),
            (6, Some(180.0), 360, 360),
            (12, Some(360.0), 720, 720),
            (24, Some(690.0), 1380, 1440),
        ]
    );
    let day = rain_ending_at(&minutes, end, 24);
    assert!(!day.is_complete());
    assert_eq!(day.missing(), 60);
    assert!(rain_ending_at(&minutes, end, 12).is_complete());
}

#[test]
fn a_dry_minute_is_zero_and_a_missing_one_is_nothing() {
    let end = bjt("2026-05-05T20:00");
    let dry = steady(end.plus_ms(-HOUR_MS), end, 0.0);
    assert_eq!(rain_ending_at(&dry, end, 1).mm, Some(0.0));
    assert_eq!(rain_ending_at(&[], end, 1).mm, None);
}

#[test]
fn the_cma_day_turns_at_twenty_hundred_beijing_time() {
    let minutes = [
        (bjt("2026-05-04T20:00"), 8.0), // the last minute of 4 May's day
        (bjt("2026-05-04T20:01"), 16.0),
        (bjt("2026-05-05T19:59"), 1.0),
        (bjt("2026-05-05T20:00"), 2.0),
        (bjt("2026-05-05T20:01"), 4.0), // the first minute of 6 May's day
    ];
    let now = bjt("2026-05-10T00:00");
    let days: Vec<(NaiveDate, Option<f64>, u32, u32)> =
        daily_rain(&minutes, date(4)..=date(6), now)
            .iter()
            .map(|d| (d.day.date, d.total.mm, d.total.minutes, d.total.expected))
            .collect();
    assert_eq!(
        days,
        [
            (date(4), Some(8.0), 1, 1440),
            (date(5), Some(19.0), 3, 1440),
            (date(6), Some(4.0), 1, 1440),
        ]
    );
    // (now, the day named, its rain so far, the minutes it has had)
    let so_far = [
        ("2026-05-05T19:59", date(5), Some(17.0), 1439),
        ("2026-05-05T20:00", date(5), Some(19.0), 1440),
        ("2026-05-05T20:01", date(6), Some(4.0), 1),
    ];
    for (text, name, mm, expected) in so_far {
        let rain = rain_day_so_far(&minutes, bjt(text));
        assert_eq!(rain.day, ObservingDay::precipitation(name), "{text}");
        assert_eq!(
            (rain.total.mm, rain.total.expected),
            (mm, expected),
            "{text}"
        );
    }
}

#[test]
fn today_so_far_expects_only_the_minutes_gone_by() {
    let start = bjt("2026-05-04T20:00");
    let now = bjt("2026-05-05T08:00");
    let mut minutes = steady(start, now, 0.25);
    minutes.drain(100..130);
    let rain = day_rain(&minutes, ObservingDay::precipitation(date(5)), now);
    assert_eq!(
        (rain.total.mm, rain.total.minutes, rain.total.expected),
        (Some(690.0 * 0.25), 690, 720)
    );
}

#[test]
fn rolling_totals_at_each_hour_end_and_each_minute() {
    // Dry from 06:00 to 16:00 but for 1 mm in every minute of 10:00–11:00.
    let minutes: Vec<_> = steady(bjt("2026-05-05T06:00"), bjt("2026-05-05T16:00"), 0.0)
        .into_iter()
        .map(|(t, mm)| {
            let wet = bjt("2026-05-05T10:00") < t && t <= bjt("2026-05-05T11:00");
            (t, if wet { 1.0 } else { mm })
        })
        .collect();
    let series = rolling_rain(
        &minutes,
        3 * HOUR_MS,
        bjt("2026-05-05T08:00"),
        bjt("2026-05-05T15:00"),
        HOUR_MS,
    );
    let points: Vec<(String, Option<f64>, u32)> = series
        .iter()
        .map(|p| {
            let hour = p.end.beijing().format("%H").to_string();
            (hour, p.total.mm, p.total.minutes)
        })
        .collect();
    let expected = [
        ("09", 0.0),
        ("10", 0.0),
        ("11", 60.0),
        ("12", 60.0),
        ("13", 60.0),
        ("14", 0.0),
        ("15", 0.0),
    ]
    .map(|(hour, mm)| (hour.to_owned(), Some(mm), 180));
    assert_eq!(points, expected);

    let by_minute = rolling_rain(
        &minutes,
        HOUR_MS,
        bjt("2026-05-05T10:59"),
        bjt("2026-05-05T11:02"),
        MINUTE_MS,
    );
    let sums: Vec<Option<f64>> = by_minute.iter().map(|p| p.total.mm).collect();
    assert_eq!(sums, [Some(60.0), Some(59.0), Some(58.0)]);
    assert!(
        rolling_rain(
            &minutes,
            HOUR_MS,
            bjt("2026-05-05T10:00"),
            bjt("2026-05-05T11:00"),
            0
        )
        .is_empty()
    );
}

#[test]
fn an_hour_row_holds_the_minutes_ending_in_its_hour() {
    let minutes = [
        (bjt("2026-05-05T10:00"), 1.0),
        (bjt("2026-05-05T10:01"), 2.0),
        (bjt("2026-05-05T10:59"), 4.0),
        (bjt("2026-05-05T11:00"), 8.0),
        (bjt("2026-05-05T11:01"), 16.0),
    ];
    assert_eq!(
        hourly_sums(&minutes),
        [
            (bjt("2026-05-05T09:00"), 1.0, 1),
            (bjt("2026-05-05T10:00"), 14.0, 3),
            (bjt("2026-05-05T11:00"), 16.0, 1),
        ]
    );
}

#[test]
fn totals_from_hourly_rows_leave_out_the_hours_an_edge_cuts() {
    let hours = [
        (bjt("2026-05-05T10:00"), 1.0, 60),
        (bjt("2026-05-05T11:00"), 2.0, 45),
        (bjt("2026-05-05T12:00"), 4.0, 60),
        (bjt("2026-05-05T13:00"), 0.0, 0),
    ];
    // (start, end, mm, minutes, expected)
    let cases = [
        ("10:00", "13:00", Some(7.0), 165, 180),
        ("10:30", "13:00", Some(6.0), 105, 120),
        ("10:00", "12:59", Some(3.0), 105, 120),
        ("10:30", "11:30", None, 0, 0),
        ("13:00", "14:00", None, 0, 60),
    ];
    for (start, end, mm, minutes, expected) in cases {
        let at = |hm: &str| bjt(&format!("2026-05-05T{hm}"));
        let total = rain_total_from_hourly(&hours, at(start), at(end));
        assert_eq!(
            (total.mm, total.minutes, total.expected),
            (mm, minutes, expected),
            "({start}, {end}]"
        );
    }
}

#[test]
fn the_hour_still_running_counts_in_todays_total_from_hourly_rows() {
    let hours = [
        (bjt("2026-05-04T20:00"), 1.5, 60),
        (bjt("2026-05-04T21:00"), 0.5, 30),
    ];
    let now = bjt("2026-05-04T21:30");
    let rain = day_rain_from_hourly(&hours, ObservingDay::precipitation(date(5)), now);
    assert_eq!(
        (rain.total.mm, rain.total.minutes, rain.total.expected),
        (Some(2.0), 90, 90)
    );
    let before = day_rain_from_hourly(&hours, ObservingDay::precipitation(date(4)), now);
    assert_eq!((before.total.mm, before.total.expected), (None, 1440));
}

/// 2026-05-01 20:00 BJT, where the precipitation day of 2 May starts.
fn origin() -> Timestamp {
    bjt("2026-05-01T20:00")
}

/// Up to three days of minute rain, at 0.1 mm resolution, with gaps anywhere.
fn minute_rain() -> impl Strategy<Value = Vec<(Timestamp, f64)>> {
    prop::collection::btree_map(1i64..=3 * 1440, 0u32..=30, 0..3000).prop_map(|minutes| {
        minutes
            .into_iter()
            .map(|(m, tenths)| (origin().plus_ms(m * MINUTE_MS), f64::from(tenths) / 10.0))
            .collect()
    })
}

proptest! {
    #![proptest_config(crate::test_support::proptest_config(
        "tests/data/proptest-regressions/stats_rain.txt",
    ))]
    #[test]
    fn the_24_h_total_is_the_sum_of_its_four_6_h_totals(
        minutes in minute_rain(),
        end_minute in 1440i64..=3 * 1440,
    ) {
        let end = origin().plus_ms(end_minute * MINUTE_MS);
        let day = rain_ending_at(&minutes, end, 24);
        let quarters = sum_totals(
            (0..4).map(|q| rain_ending_at(&minutes, end.plus_ms(-q * 6 * HOUR_MS), 6)),
        );
        prop_assert!(close(day.mm, quarters.mm), "{day:?} {quarters:?}");
        prop_assert_eq!((day.minutes, day.expected), (quarters.minutes, quarters.expected));
    }

    #[test]
    fn daily_totals_sum_to_the_range_total_from_minutes_and_from_hours(
        minutes in minute_rain(),
        now_minute in 0i64..=4 * 1440,
    ) {
        let now = origin().plus_ms(now_minute * MINUTE_MS);
        let days = daily_rain(&minutes, date(2)..=date(4), now);
        let range = rain_total(&minutes, days[0].day.start(), days[2].day.end().min(now));
        let summed = sum_totals(days.iter().map(|d| d.total));
        prop_assert!(close(summed.mm, range.mm), "{summed:?} {range:?}");
        prop_assert_eq!((summed.minutes, summed.expected), (range.minutes, range.expected));

        let from_hours = daily_rain_from_hourly(&hourly_sums(&minutes), date(2)..=date(4), now);
        for (hourly, minutely) in from_hours.iter().zip(&days) {
            // Up to an hour's end, the hours hold exactly the minutes.
            prop_assert_eq!(hourly.day, minutely.day);
            prop_assert_eq!(hourly.total.expected, minutely.total.expected);
            if now >= hourly.day.end() || now.millis() % HOUR_MS == 0 {
                prop_assert!(close(hourly.total.mm, minutely.total.mm));
                prop_assert_eq!(hourly.total.minutes, minutely.total.minutes);
            }
        }
    }

    #[test]
    fn every_rolling_point_is_the_total_of_its_window(
        minutes in minute_rain(),
        span_h in 1i64..=24,
        step in prop::sample::select(vec![MINUTE_MS, 10 * MINUTE_MS, HOUR_MS]),
    ) {
        let (from, to) = (origin(), origin().plus_ms(3 * 24 * HOUR_MS));
        for point in rolling_rain(&minutes, span_h * HOUR_MS, from, to, step) {
            let direct = rain_total(&minutes, point.end.plus_ms(-span_h * HOUR_MS), point.end);
            prop_assert!(close(point.total.mm, direct.mm), "{point:?} {direct:?}");
            prop_assert_eq!((point.total.minutes, point.total.expected), (direct.minutes, direct.expected));
        }
    }
}

#[test]
fn hourly_rain_prefers_minutes_and_falls_back_to_hourly_totals() {
    let h = |hours: i64, minutes: i64| Timestamp(HOUR_MS * hours + MINUTE_MS * minutes);
    // 00–01: minutes only; 01–02: an archive total at 02:00; 02–03: both (minutes win);
    // a rolling PRE_1h at 02:30 is not an hour's total.
    let minutes = [(h(0, 10), 0.2), (h(0, 20), 0.3), (h(2, 15), 1.0)];
    let hourly = [(h(2, 0), 4.0), (h(2, 30), 9.9), (h(3, 0), 7.0)];
    let rows = hourly_rain(&minutes, &hourly);
    let expected = [(h(0, 0), 0.5, 2), (h(1, 0), 4.0, 60), (h(2, 0), 1.0, 1)];
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!((row.0, row.2), (want.0, want.2));
        assert!((row.1 - want.1).abs() < 1e-9, "{row:?} vs {want:?}");
    }
}

#[test]
fn a_day_still_running_says_until_when_and_a_finished_one_does_not() {
    // 04:28: 8 h 28 min of the day that began at 20:00 have passed, every minute with a value.
    let now = bjt("2026-05-05T04:28");
    let minutes = steady(bjt("2026-05-04T20:00"), now, 0.0);
    let today = day_rain(&minutes, ObservingDay::precipitation(date(5)), now);
    assert_eq!((today.total.minutes, today.total.expected), (508, 508));
    assert!(
        today.total.is_complete(),
        "complete for the part that passed"
    );
    assert_eq!(today.running_until(), Some(now));
    let hourly = hourly_sums(&minutes);
    let from_hours = day_rain_from_hourly(&hourly, ObservingDay::precipitation(date(5)), now);
    assert_eq!(from_hours.running_until(), Some(now));
    let yesterday = day_rain(&minutes, ObservingDay::precipitation(date(4)), now);
    assert_eq!(yesterday.running_until(), None);
}
