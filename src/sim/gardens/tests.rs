use super::*;
use crate::domain::time::DAY_MS;

fn models() -> Vec<GardenDevice> {
    let network = crate::assets::qingliu_network().unwrap();
    simulated_devices()
        .unwrap()
        .into_iter()
        .map(|device| GardenDevice::new(device, &network).unwrap())
        .collect()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

#[test]
fn the_shipped_devices_are_simulated_gardens_and_greenhouses() {
    let devices = simulated_devices().unwrap();
    assert!(devices.len() >= 2, "{devices:?}");
    assert!(
        devices.iter().all(|d| d.simulated),
        "each labelled simulated"
    );
    assert!(devices.iter().any(|d| d.name_zh.contains("悠然国茶园")));
    for kind in [DeviceKind::GardenStation, DeviceKind::GreenhouseController] {
        assert!(devices.iter().any(|d| d.kind == kind), "{kind:?}");
    }
}

#[test]
fn readings_are_a_pure_function_of_device_and_minute() {
    let driver = super::super::driver::guangzhou().unwrap();
    let t = at("2026-12-07T06:31:00Z");
    let first: Vec<_> = models().iter().map(|m| m.reading(driver, t)).collect();
    let again: Vec<_> = models().iter().map(|m| m.reading(driver, t)).collect();
    assert_eq!(first, again);
    let readings: Vec<_> = first.into_iter().flatten().collect();
    assert!(readings.len() >= 2);
    // Two devices are not one device.
    assert_ne!(readings[0].values, readings[1].values);
}

#[test]
fn each_kind_reports_its_elements_within_their_bounds() {
    let driver = super::super::driver::guangzhou().unwrap();
    let start = at("2026-01-01T00:00:00Z");
    // Every 7 h 13 min through a year: all seasons and hours of the day.
    let times = (0..1200).map(|k| start.plus_ms(k * 433 * 60_000));
    for model in models() {
        for t in times.clone() {
            let Some(reading) = model.reading(driver, t) else {
                continue;
            };
            let expected: &[Element] = match model.device.kind {
                DeviceKind::GreenhouseController => &Element::GREENHOUSE,
                _ => &[
                    Element::Tem,
                    Element::Rhu,
                    Element::Pre,
                    Element::WinSAvg2mi,
                    Element::WinDAvg2mi,
                    Element::WinSInstMax,
                    Element::Svwc10cm,
                    Element::Gst10cm,
                    Element::LeafWet,
                ],
            };
            let keys: Vec<Element> = reading.values.keys().copied().collect();
            let mut wanted = expected.to_vec();
            wanted.sort();
            assert_eq!(keys, wanted, "{} at {t}", model.device.id);
            for (element, value) in &reading.values {
                assert!(
                    element.physical_range().contains(value),
                    "{} {element:?}={value} at {t}",
                    model.device.id
                );
            }
            let bounded = |e, lo, hi| reading.values.get(&e).is_none_or(|v| (lo..=hi).contains(v));
            assert!(bounded(Element::Svwc10cm, 10.0, 45.0), "{reading:?}");
            assert!(bounded(Element::Co2, 350.0, 1250.0), "{reading:?}");
            let health = reading.health;
            assert!(
                (11.5..=14.0).contains(&health.battery_v.unwrap_or(0.0)),
                "{health:?}"
            );
            assert!(
                (-100.0..=-50.0).contains(&health.rssi_dbm.unwrap_or(0.0)),
                "{health:?}"
            );
        }
    }
}

#[test]
fn a_greenhouse_is_warmer_inside_by_day_and_richer_in_co2_at_dawn() {
    let driver = super::super::driver::guangzhou().unwrap();
    let network = crate::assets::qingliu_network().unwrap();
    let greenhouse = models()
        .into_iter()
        .find(|m| m.device.kind == DeviceKind::GreenhouseController)
        .unwrap();
    // Its station seen as a garden station would see the air outside it.
    let mut outside_device = greenhouse.device.clone();
    outside_device.kind = DeviceKind::GardenStation;
    let outside = GardenDevice::new(outside_device, &network).unwrap();
    let mut warmer = 0;
    let mut days = 0;
    // Local noon ≈ 04:13 UTC, dawn ≈ 22:00 UTC, over a month of spring days.
    for day in 0..30 {
        let noon = at("2026-04-01T04:00:00Z").plus_ms(day * DAY_MS);
        let dawn = noon.plus_ms(-6 * 3_600_000);
        let (Some(inside), Some(air)) = (
            greenhouse.reading(driver, noon),
            outside.reading(driver, noon),
        ) else {
            continue;
        };
        let Some(early) = greenhouse.reading(driver, dawn) else {
            continue;
        };
        days += 1;
        if inside.values[&Element::TemIn] > air.values[&Element::Tem] + 2.0 {
            warmer += 1;
        }
        assert!(
            early.values[&Element::Co2] > inside.values[&Element::Co2] + 300.0,
            "{day}"
        );
    }
    assert!(
        days >= 25 && warmer * 10 >= days * 9,
        "{warmer} of {days} noons warmer inside"
    );
}

#[test]
fn a_greenhouse_fan_brings_its_air_toward_the_outside_and_a_history_reads_the_same_twice() {
    use crate::domain::relays::Switch;
    use crate::sim::relay_history::{RelayHistory, Switched};
    let driver = super::super::driver::guangzhou().unwrap();
    let greenhouse = models()
        .into_iter()
        .find(|m| m.device.kind == DeviceKind::GreenhouseController && !m.device.relays.is_empty())
        .expect("a simulated greenhouse with relays");
    let fan = greenhouse
        .device
        .relays
        .iter()
        .find(|r| r.class == RelayClass::Ventilation)
        .unwrap()
        .channel;
    let mut cooler = 0;
    let mut days = 0;
    for day in 0..20 {
        let noon = at("2026-04-01T04:00:00Z").plus_ms(day * DAY_MS);
        // The fan switched on half an hour before noon.
        let history = RelayHistory::new(vec![Switched {
            channel: fan,
            state: Switch::On,
            at: noon.plus_ms(-30 * 60_000),
        }]);
        let (Some(idle), Some(fanned)) = (
            greenhouse.reading(driver, noon),
            greenhouse.reading_with(driver, noon, &history),
        ) else {
            continue;
        };
        assert_eq!(
            Some(&fanned),
            greenhouse.reading_with(driver, noon, &history).as_ref(),
            "same history, same reading"
        );
        days += 1;
        if fanned.values[&Element::TemIn] < idle.values[&Element::TemIn] {
            cooler += 1;
        }
        // Before the fan ran, nothing differs.
        let before = noon.plus_ms(-60 * 60_000);
        assert_eq!(
            greenhouse.reading(driver, before),
            greenhouse.reading_with(driver, before, &history)
        );
    }
    assert!(
        days >= 15 && cooler == days,
        "{cooler} of {days} noons cooler with the fan"
    );
}
