use super::*;
use crate::domain::time::{HOUR_MS, MINUTE_MS};

fn at(ms: i64) -> Timestamp {
    Timestamp(1_790_000_000_000 + ms)
}

#[test]
fn lateness_counts_whole_reports_missed_after_the_grace() {
    let minute = MINUTE_MS;
    // (last seen, now, expected)
    let cases = [
        (None, 0, Lateness::NeverSeen),
        (Some(0), 0, Lateness::OnTime),
        (Some(0), 74_999, Lateness::OnTime),
        (Some(0), 75_000, Lateness::Late { missed: 1 }),
        (Some(0), 135_000, Lateness::Late { missed: 2 }),
        (Some(0), 3 * minute + 15_000, Lateness::Late { missed: 3 }),
        // A device whose clock runs ahead is not late.
        (Some(10 * minute), 0, Lateness::OnTime),
    ];
    for (last, now, want) in cases {
        assert_eq!(
            lateness(last.map(at), minute, at(now)),
            want,
            "{last:?} {now}"
        );
    }
}

#[test]
fn completeness_is_a_share_of_the_expected_reports() {
    let cases = [
        (60, HOUR_MS, 1.0),
        (30, HOUR_MS, 0.5),
        (0, HOUR_MS, 0.0),
        (90, HOUR_MS, 1.0),
    ];
    for (received, window, want) in cases {
        let got = completeness(received, window, MINUTE_MS);
        assert!((got - want).abs() < 1e-9, "{received}: {got}");
    }
}

#[test]
fn a_link_retries_then_gives_up_and_one_answer_restores_it() {
    use Exchange::{Answered, Failed};
    let now = at(0);
    let steps = [
        (Failed, LinkState::Retrying { failures: 1 }),
        (Failed, LinkState::Retrying { failures: 2 }),
        (Failed, LinkState::Unreachable { since: now }),
        (Failed, LinkState::Unreachable { since: now }),
        (Answered, LinkState::Normal),
        (Failed, LinkState::Retrying { failures: 1 }),
    ];
    let mut state = LinkState::Normal;
    for (exchange, want) in steps {
        state = state.after(exchange, 3, now);
        assert_eq!(state, want);
    }
}

/// A reading every 2 h over `hours`, falling `per_day` volts a day from 12.8 V.
fn falling(hours: i64, per_day: f64) -> Vec<(Timestamp, f64)> {
    (0..=hours / 2)
        .map(|i| {
            let t = i * 2 * HOUR_MS;
            #[allow(clippy::cast_precision_loss)]
            let v = 12.8 + per_day * (t as f64 / 86_400_000.0);
            (at(t), v)
        })
        .collect()
}

#[test]
fn a_battery_falling_steadily_is_forecast_flat_where_the_line_meets_the_cutoff() {
    // 0.2 V a day from 12.8 V to 11.8 V: flat five days after the first reading.
    let got = battery_forecast(&falling(48, -0.2), 11.8);
    let BatteryForecast::FlatAt { at: when } = got else {
        panic!("{got:?}");
    };
    assert!(
        (when.0 - at(5 * 24 * HOUR_MS).0).abs() < MINUTE_MS,
        "{when:?}"
    );
}

#[test]
fn a_battery_forecast_needs_a_days_readings_and_a_fall() {
    let cases = [
        (Vec::new(), BatteryForecast::NotEnoughData),
        (falling(12, -0.2), BatteryForecast::NotEnoughData),
        (falling(48, 0.05), BatteryForecast::Steady),
        (falling(48, -0.0001), BatteryForecast::Steady),
        (vec![(at(0), 11.7)], BatteryForecast::Flat),
    ];
    for (readings, want) in cases {
        assert_eq!(battery_forecast(&readings, 11.8), want, "{readings:?}");
    }
}

#[test]
fn a_quiet_device_is_blamed_on_the_cause_furthest_upstream() {
    let up = |central_unreachable, desk_behind, broker_down, dtu_down| Upstream {
        central_unreachable,
        desk_behind,
        broker_down,
        dtu_down,
    };
    let cases = [
        (
            Transport::Mqtt,
            up(false, false, false, false),
            Silence::Device,
        ),
        (
            Transport::Mqtt,
            up(false, false, true, false),
            Silence::Broker,
        ),
        (
            Transport::ModbusDtu,
            up(false, false, true, false),
            Silence::Device,
        ),
        (
            Transport::ModbusDtu,
            up(false, false, false, true),
            Silence::Dtu,
        ),
        (
            Transport::ModbusTcp,
            up(false, false, false, true),
            Silence::Device,
        ),
        (
            Transport::ModbusDtu,
            up(false, true, false, true),
            Silence::DeskBehind,
        ),
        (
            Transport::Mqtt,
            up(true, true, true, false),
            Silence::CentralLink,
        ),
    ];
    for (transport, upstream, want) in cases {
        assert_eq!(
            why_silent(transport, upstream),
            want,
            "{transport:?} {upstream:?}"
        );
    }
}
