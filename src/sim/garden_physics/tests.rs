use std::f64::consts::PI;

use super::*;

const CALM_DRY: Hour = Hour {
    temp: 20.0,
    rh: 70.0,
    rain_mm: 0.0,
    wind: 1.0,
    sun_sin: -0.5,
};

/// Air temperature over `days` of a sine day (20 ± 6 °C, peak at hour 14), newest first,
/// ending at `hour_now` of the last day.
fn sine_air(hour_now: usize, days: usize) -> Vec<f64> {
    let now = days * 24 + hour_now;
    (0..=now)
        .rev()
        .map(|h| 20.0 + 6.0 * (2.0 * PI * (h as f64 - 8.0) / 24.0).sin())
        .collect()
}

#[test]
fn soil_lags_and_damps_the_air() {
    // Soil temperature at each hour of the third day.
    let soil: Vec<f64> = (0..24).map(|h| soil_temp_10cm(&sine_air(h, 2))).collect();
    let air: Vec<f64> = (0..24).map(|h| sine_air(h, 2)[0]).collect();
    let peak = |series: &[f64]| {
        (0..24)
            .max_by(|&a, &b| series[a].total_cmp(&series[b]))
            .unwrap_or(0)
    };
    let (air_peak, soil_peak) = (peak(&air), peak(&soil));
    assert_eq!(air_peak, 14);
    assert!(
        (17..=19).contains(&soil_peak),
        "soil peaks at {soil_peak}h, air at {air_peak}h"
    );
    let swing = |s: &[f64]| {
        s.iter().copied().fold(f64::MIN, f64::max) - s.iter().copied().fold(f64::MAX, f64::min)
    };
    let ratio = swing(&soil) / swing(&air);
    assert!((0.4..0.65).contains(&ratio), "damping {ratio}");
    // Soil under the bushes sits about a degree above the air's mean.
    let mean = soil.iter().sum::<f64>() / 24.0;
    assert!((mean - 21.0).abs() < 0.3, "{mean}");
}

#[test]
fn lagged_mean_is_a_weighted_average() {
    let cases: [(&[f64], f64, Option<f64>); 4] = [
        (&[], 6.0, None),
        (&[5.0], 6.0, Some(5.0)),
        (&[3.0, 3.0, 3.0], 2.0, Some(3.0)),
        // Newest counts most: e^0 vs e^-1.
        (&[1.0, 0.0], 1.0, Some(1.0 / (1.0 + (-1.0_f64).exp()))),
    ];
    for (series, tau, expected) in cases {
        let got = lagged_mean(series, tau);
        match (got, expected) {
            (Some(g), Some(e)) => assert!((g - e).abs() < 1e-12, "{series:?}: {g}"),
            _ => assert_eq!(got, expected, "{series:?}"),
        }
    }
}

#[test]
fn moisture_rises_with_rain_falls_with_sun_and_stays_bounded() {
    let rainy = Hour {
        rain_mm: 8.0,
        rh: 98.0,
        sun_sin: 0.0,
        ..CALM_DRY
    };
    let sunny = Hour {
        temp: 32.0,
        rh: 45.0,
        sun_sin: 0.9,
        wind: 3.0,
        ..CALM_DRY
    };
    let cases = [
        // (start, hour, expected direction: +1 rises, -1 falls, 0 stays)
        (25.0, rainy, 1),
        (25.0, sunny, -1),
        (44.9, rainy, -1), // saturated: drains more than it takes in
        (10.0, sunny, 0),  // at the dry bound nothing is left to evaporate
        (
            45.0,
            Hour {
                rain_mm: 100.0,
                ..rainy
            },
            0,
        ),
    ];
    for (start, hour, direction) in cases {
        let after = soil_moisture_step(start, hour);
        let (dry, wet) = SOIL_MOISTURE_RANGE;
        assert!((dry..=wet).contains(&after), "{start} → {after}");
        match direction {
            1 => assert!(after > start, "{start} + {hour:?} → {after}"),
            -1 => assert!(after < start, "{start} + {hour:?} → {after}"),
            _ => assert!((after - start).abs() < 0.5, "{start} + {hour:?} → {after}"),
        }
    }
    // A wet week then a dry week, and the reverse, never leave the bounds.
    let mut hours = vec![rainy; 7 * 24];
    hours.extend(vec![sunny; 7 * 24]);
    let wet_then_dry = soil_moisture(&hours); // newest first: the rain is recent
    hours.reverse();
    let dry_then_wet = soil_moisture(&hours);
    assert!(wet_then_dry > 40.0, "{wet_then_dry}");
    assert!(dry_then_wet < 20.0, "{dry_then_wet}");
    assert!(soil_moisture(&vec![rainy; SOIL_SPIN_UP_H * 2]) <= 45.0);
    assert!(soil_moisture(&vec![sunny; SOIL_SPIN_UP_H * 2]) >= 10.0);
}

#[test]
fn leaves_are_wet_with_rain_and_dew_and_dry_in_sun() {
    let night_dew = Hour {
        rh: 97.0,
        ..CALM_DRY
    };
    let raining = Hour {
        rain_mm: 2.0,
        rh: 99.0,
        ..CALM_DRY
    };
    let sunny = Hour {
        sun_sin: 0.8,
        rh: 60.0,
        wind: 2.0,
        ..CALM_DRY
    };
    let cases: [(&str, Vec<Hour>, std::ops::RangeInclusive<f64>); 6] = [
        ("dry night", vec![CALM_DRY; 24], 0.0..=0.0),
        ("dew at night", vec![night_dew; 24], 70.0..=80.0),
        ("raining now", vec![raining; 24], 100.0..=100.0),
        (
            "an hour after rain, at night",
            [vec![CALM_DRY], vec![raining; 23]].concat(),
            10.0..=60.0,
        ),
        (
            "two sunny hours after rain",
            [vec![sunny; 2], vec![raining; 22]].concat(),
            0.0..=1.0,
        ),
        (
            "no dew in the sun",
            vec![Hour { rh: 97.0, ..sunny }; 24],
            0.0..=0.0,
        ),
    ];
    for (name, hours, expected) in cases {
        let wet = leaf_wetness(&hours);
        assert!(expected.contains(&wet), "{name}: {wet}");
    }
}

#[test]
fn greenhouse_is_warmer_and_humid_by_day_and_gathers_co2_at_night() {
    let noon = Hour {
        temp: 18.0,
        rh: 60.0,
        sun_sin: 0.8,
        ..CALM_DRY
    };
    let night = Hour {
        temp: 12.0,
        rh: 85.0,
        sun_sin: -0.6,
        ..CALM_DRY
    };
    let day_inside = greenhouse(&[vec![noon; 6], vec![night; 18]].concat(), 1.0);
    assert!(day_inside.temp > noon.temp + 8.0, "{day_inside:?}");
    assert!(day_inside.rh >= 40.0, "{day_inside:?}");
    assert!((400.0..600.0).contains(&day_inside.co2), "{day_inside:?}");
    let dawn = greenhouse(&vec![night; 24], 0.0);
    assert!(
        dawn.temp > night.temp && dawn.temp < night.temp + 3.0,
        "{dawn:?}"
    );
    assert!((1100.0..=1200.0).contains(&dawn.co2), "{dawn:?}");
    // Vents cap a hot clear noon.
    let hot = greenhouse(&[Hour { temp: 33.0, ..noon }], 1.0);
    assert!((30.0..40.0).contains(&hot.temp), "{hot:?}");
    // CO₂ stays in 400–1200 ppm whatever the sky.
    for sun in [-1.0, 0.0, 0.05, 0.3, 1.0] {
        let co2 = greenhouse_co2(
            &[Hour {
                sun_sin: sun,
                ..night
            }; 30],
        );
        assert!(
            (OUTSIDE_CO2_PPM..=NIGHT_CO2_PPM).contains(&co2),
            "{sun}: {co2}"
        );
    }
}

#[test]
fn dewpoint_inverts_the_humidity() {
    for (t, td) in [(20.0, 10.0), (30.0, 25.0), (5.0, -3.0)] {
        let rh = physics::relative_humidity(t, td);
        assert!((dewpoint(t, rh) - td).abs() < 1e-6, "{t}/{td}");
    }
}

#[test]
fn a_solar_battery_charges_by_day_and_sinks_at_night() {
    let day = Hour {
        sun_sin: 0.7,
        ..CALM_DRY
    };
    let cases = [
        (vec![day; 24], 1.0, 13.7..=13.8, 20.0..=21.0),
        (vec![CALM_DRY; 1], 1.0, 12.8..=12.9, 0.0..=0.0),
        (vec![CALM_DRY; 12], 1.0, 12.4..=12.5, 0.0..=0.0),
        (
            vec![
                Hour {
                    sun_sin: 0.1,
                    ..day
                };
                24
            ],
            0.0,
            12.9..=13.3,
            17.0..=18.0,
        ),
    ];
    for (hours, clearness, battery, supply) in cases {
        let v = voltages(Power::Solar, &hours, clearness);
        assert!(battery.contains(&v.battery_v), "{v:?}");
        assert!(supply.contains(&v.supply_v), "{v:?}");
    }
    let mains = voltages(Power::Mains, &[CALM_DRY], 0.0);
    assert_eq!((mains.battery_v, mains.supply_v), (13.6, 12.0));
}

/// A clear noon in spring, newest first, a day long.
fn clear_noon() -> Vec<Hour> {
    vec![
        Hour {
            temp: 22.0,
            rh: 60.0,
            rain_mm: 0.0,
            wind: 2.0,
            sun_sin: 0.8,
        };
        24
    ]
}

#[test]
fn relays_move_the_inside_air_as_they_should() {
    let hours = clear_noon();
    let idle = greenhouse_actuated(&hours, 1.0, Actuation::default());
    let act = |fan, shade, irrigation| Actuation {
        fan,
        shade,
        irrigation,
    };
    // (actuation, what it does to the idle greenhouse)
    let cases: [(Actuation, &str); 4] = [
        (act(1.0, 0.0, 0.0), "fan"),
        (act(0.5, 0.0, 0.0), "half fan"),
        (act(0.0, 1.0, 0.0), "shade"),
        (act(0.0, 0.0, 1.0), "irrigation"),
    ];
    for (actuation, what) in cases {
        let inside = greenhouse_actuated(&hours, 1.0, actuation);
        // Same history, same values.
        assert_eq!(
            inside,
            greenhouse_actuated(&hours, 1.0, actuation),
            "{what}"
        );
        match what {
            "fan" | "half fan" => {
                assert!(inside.temp < idle.temp, "{what}: {inside:?} vs {idle:?}");
                assert!(
                    inside.temp > hours[0].temp,
                    "{what} cools toward outside, not below"
                );
                let toward = (idle.rh - inside.rh).abs() > 0.0 || idle.rh == hours[0].rh;
                assert!(toward, "{what}: humidity moves toward outside");
            }
            "shade" => assert!(inside.temp < idle.temp - 1.0, "{inside:?} vs {idle:?}"),
            _ => assert!(inside.rh > idle.rh, "{inside:?} vs {idle:?}"),
        }
    }
    let full = greenhouse_actuated(&hours, 1.0, act(1.0, 0.0, 0.0));
    let half = greenhouse_actuated(&hours, 1.0, act(0.5, 0.0, 0.0));
    assert!(full.temp < half.temp, "a fan on longer cools more");
    assert_eq!(greenhouse(&hours, 1.0), idle, "idle relays change nothing");
}
