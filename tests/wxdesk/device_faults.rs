//! Faults end to end through a running central, its devices reporting through a real Mosquitto
//! (started by each test; see `mqtt::peer`), its clock moved by the test and the status and
//! alarm sweep run as the worker runs it:
//!
//! - the broker stopped and started again: nothing lost, nothing stored twice, one broker
//!   incident rather than an alarm per device, cleared once it is back;
//! - a device whose clock drifts: its drift in its health, the clock alarm raised once past the
//!   threshold (and not for a device within it), cleared when its clock is set right;
//! - a device that drops off (its will), is alarmed, then reconnects and backfills: every
//!   missed minute stored as backfilled, the series complete, the alarm cleared;
//! - a last will: the device offline in the central's health, not only on the bridge.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use wxdesk::domain::devices::alarm_book::AlarmKind;
use wxdesk::domain::devices::alarms::Scope;
use wxdesk::domain::devices::{Device, HealthReading, Presence, Status, Telemetry};
use wxdesk::domain::time::MINUTE_MS;
use wxdesk::domain::{Clock as _, Element, Timestamp};
use wxdesk::protocol::devices::{AlarmList, DeviceList, DeviceView};
use wxdesk::sim::mqtt_device::MqttDevice;

use crate::mqtt::{Site, guard, id};
use crate::support::{TestCentral, client};

/// A garden station reporting every minute as `station`, on a wired link in 赖坊.
fn garden(device: &str, station: &str) -> Device {
    serde_json::from_value(serde_json::json!({
        "id": device, "name_zh": format!("{device}茶园站"), "kind": "garden_station",
        "location": {"lat": 25.9, "lon": 116.8}, "altitude_m": 400.0,
        "township": 350423105, "transport": "mqtt", "interval_s": 60, "station": station,
        "cellular": false,
    }))
    .unwrap()
}

/// A temperature only `device` and `at` make (one decimal, as sensors send it), so a value
/// stored under the wrong minute or station is told apart.
fn tem(device: &str, at: Timestamp) -> f64 {
    let salt: u8 = device.bytes().fold(0, u8::wrapping_add);
    #[allow(clippy::cast_precision_loss)]
    let tenths = (at.0 / MINUTE_MS).rem_euclid(100) as f64;
    f64::from(salt % 20) + tenths / 10.0
}

/// `device`'s report of the minute `at`, its clock running `drift_ms` ahead of the central's.
fn reading(device: &str, at: Timestamp, drift_ms: i64) -> Telemetry {
    Telemetry {
        device: id(device),
        time: at.plus_ms(drift_ms),
        sent_at: Some(at.plus_ms(drift_ms)),
        received: at,
        values: BTreeMap::from([(Element::Tem, tem(device, at.plus_ms(drift_ms)))]),
        health: HealthReading {
            battery_v: Some(12.6),
            supply_v: Some(13.4),
            rssi_dbm: Some(-71.0),
        },
        backfilled: false,
    }
}

/// A central with `[mqtt]` pointing at a broker of its own, and `devices` (id, station)
/// registered and connected.
struct Desk {
    site: Site,
    central: TestCentral,
    start: Timestamp,
}

impl Desk {
    async fn start(devices: &[(&str, &str)]) -> Option<Self> {
        let ids: Vec<&str> = devices.iter().map(|(device, _)| *device).collect();
        let site = Site::start(&ids, &[])?;
        let settings = site.settings();
        let central = TestCentral::start_with(wxdesk::central::DEFAULT_KEEP_ALIVE, move |c| {
            c.mqtt = Some(settings);
        })
        .await;
        let records = devices.iter().map(|(d, s)| garden(d, s)).collect();
        let added = central.running().register_devices(records).await.unwrap();
        assert_eq!(added, devices.len());
        // Subscribed before any device speaks: the bridge's session holds what comes next.
        let subscribed = |s: &wxdesk::central::workers::WorkerStatus| {
            s.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("connected to"))
        };
        guard(central.running().workers().wait_for("mqtt", subscribed)).await;
        let start = central.clock.now();
        Some(Self {
            site,
            central,
            start,
        })
    }

    fn now(&self) -> Timestamp {
        self.central.clock.now()
    }

    /// Moves the clock on a minute, then judges every device as the status worker does.
    async fn next_minute(&self) {
        self.central.clock.advance(MINUTE_MS);
        self.judge().await;
    }

    async fn judge(&self) {
        self.central.running().judge_devices().await.unwrap();
    }

    /// Reports stored by the telemetry worker so far (its board line's count).
    fn stored_count(&self) -> u64 {
        let status = self.central.running().workers().status("telemetry");
        status
            .and_then(|s| s.detail)
            .and_then(|d| d.split(' ').next().and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    }

    /// Waits until `station`'s temperatures from the start are exactly `expected` (time →
    /// value): re-read after every batch the telemetry worker stores, never on a timer.
    async fn until_series(&self, station: &str, expected: &BTreeMap<Timestamp, f64>) {
        loop {
            // Read before the series, so a batch stored meanwhile is waited for no longer.
            let seen = self.stored_count();
            let series = self.series(station).await;
            if &series == expected {
                return;
            }
            let grown = tokio::time::timeout(crate::mqtt::GUARD, self.stored_beyond(seen)).await;
            assert!(
                grown.is_ok(),
                "{station}: stored {series:?}, expected {expected:?}"
            );
        }
    }

    /// Waits until the telemetry worker has stored more than `count` reports in all.
    async fn stored_beyond(&self, count: u64) {
        let more = |s: &wxdesk::central::workers::WorkerStatus| {
            s.detail
                .as_deref()
                .and_then(|d| d.split(' ').next()?.parse::<u64>().ok())
                .is_some_and(|n| n > count)
        };
        self.central
            .running()
            .workers()
            .wait_for("telemetry", more)
            .await;
    }

    /// `station`'s temperatures from the start to now, by time.
    async fn series(&self, station: &str) -> BTreeMap<Timestamp, f64> {
        let path = format!(
            "/observations/series?station={station}&element=TEM&from={}&to={}",
            self.start.plus_ms(-10 * MINUTE_MS).to_rfc3339(),
            self.now().plus_ms(10 * MINUTE_MS).to_rfc3339()
        );
        let (status, body) = self.central.get_json(&client(), &path).await;
        assert_eq!(status, 200, "{body}");
        let points = body["points"].as_array().unwrap();
        let series: BTreeMap<Timestamp, f64> = points
            .iter()
            .map(|p| {
                let time = serde_json::from_value(p["time"].clone()).unwrap();
                (time, p["value"].as_f64().unwrap())
            })
            .collect();
        assert_eq!(series.len(), points.len(), "one value per minute: {body}");
        series
    }

    async fn device(&self, device: &str) -> DeviceView {
        let (_, list) = self.central.get_json(&client(), "/devices").await;
        let list: DeviceList = serde_json::from_value(list).unwrap();
        list.devices
            .into_iter()
            .find(|d| d.device.id.as_str() == device)
            .unwrap()
    }

    async fn alarms(&self) -> AlarmList {
        let (_, list) = self.central.get_json(&client(), "/device-alarms").await;
        serde_json::from_value(list).unwrap()
    }

    /// Waits until the central has stored `presence` for `device` (a will, an announcement).
    async fn until_presence(&self, device: &str, presence: Presence) {
        let mut stored = self.central.running().devices().presence();
        let device = id(device);
        guard(stored.wait_for(|all| all.get(&device) == Some(&presence)))
            .await
            .unwrap();
    }
}

/// Publishes each device's report of now; returns them by station (time → value).
async fn report_all(
    desk: &Desk,
    devices: &[(&str, &str, &MqttDevice)],
    sent: &mut BTreeMap<String, BTreeMap<Timestamp, f64>>,
) {
    for (device, station, link) in devices {
        let report = reading(device, desk.now(), 0);
        link.publish(&report).await.unwrap();
        let series = sent.entry((*station).to_owned()).or_default();
        series.insert(report.time, report.values[&Element::Tem]);
    }
}

fn summary(list: &AlarmList) -> Vec<(String, AlarmKind, bool, usize)> {
    list.alarms
        .iter()
        .map(|a| (a.subject.clone(), a.kind, a.active, a.devices.len()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_loses_nothing_and_is_one_incident_not_an_alarm_per_device() {
    let gardens = [
        ("LF-AWS1", "LFG01"),
        ("LF-AWS2", "LFG02"),
        ("LF-AWS3", "LFG03"),
    ];
    let Some(mut desk) = Desk::start(&gardens).await else {
        return;
    };
    let mut links = Vec::new();
    for (device, _) in gardens {
        links.push(desk.site.device(device).await);
    }
    let devices: Vec<(&str, &str, &MqttDevice)> = gardens
        .iter()
        .zip(&links)
        .map(|((d, s), link)| (*d, *s, link))
        .collect();
    let mut sent = BTreeMap::new();
    for _ in 0..2 {
        report_all(&desk, &devices, &mut sent).await;
        for (station, series) in &sent {
            desk.until_series(station, series).await;
        }
        desk.next_minute().await;
    }
    assert!(desk.alarms().await.alarms.is_empty());

    // The broker goes away for six minutes; the devices keep measuring and queue their reports.
    desk.site.broker.stop();
    let mut broker_up = desk.central.running().devices().broker_link();
    guard(broker_up.wait_for(|up| !up)).await.unwrap();
    for minute in 0..6 {
        report_all(&desk, &devices, &mut sent).await;
        desk.next_minute().await;
        let alarms = summary(&desk.alarms().await);
        // Silent by the fourth minute (sooner if the broker told the bridge their wills as it
        // went down: offline), pending for a minute: one broker incident, never an alarm of
        // a device's own.
        let incident = [("incident:broker".to_owned(), AlarmKind::Incident, true, 3)];
        match minute {
            0 => assert!(alarms.is_empty(), "minute {minute}: {alarms:?}"),
            // Wills reach the central one by one as the broker goes: an early incident may
            // cover fewer devices until they fall quiet too; it is still the only alarm.
            1 | 2 => assert!(
                alarms
                    .iter()
                    .all(|a| a.0 == "incident:broker" && a.1 == AlarmKind::Incident),
                "minute {minute}: {alarms:?}"
            ),
            // One broker incident, grown to every quiet device, never an alarm per device.
            _ => assert_eq!(alarms, incident, "minute {minute}"),
        }
    }
    let incident = desk.alarms().await.alarms.remove(0);
    assert_eq!(incident.scope, Some(Scope::Broker));
    assert_eq!(incident.occurrences, 1, "raised once: {incident:?}");

    // Back on the same port: every queued report arrives, and only once.
    desk.site.broker.restart();
    guard(broker_up.wait_for(|up| *up)).await.unwrap();
    for (station, series) in &sent {
        desk.until_series(station, series).await;
    }
    for _ in 0..2 {
        desk.judge().await;
        report_all(&desk, &devices, &mut sent).await;
        for (station, series) in &sent {
            desk.until_series(station, series).await;
        }
        desk.next_minute().await;
    }
    let after = summary(&desk.alarms().await);
    assert_eq!(
        after,
        [("incident:broker".to_owned(), AlarmKind::Incident, false, 3)],
        "the incident cleared once the broker was back for its clearing period"
    );
    for (device, _) in gardens {
        let health = desk.device(device).await.health;
        assert_eq!(health.status.status, Status::Reporting);
        assert_eq!(
            health.reports_24h, 10,
            "{device}: 10 minutes reported, each counted once however often delivered"
        );
    }
    for link in links {
        link.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drifting_clock_shows_in_health_and_raises_the_clock_alarm_once() {
    let gardens = [("LF-FAST", "LFG11"), ("LF-OK", "LFG12")];
    let Some(desk) = Desk::start(&gardens).await else {
        return;
    };
    let behind = desk.site.device("LF-FAST").await;
    let fine = desk.site.device("LF-OK").await;
    // LF-FAST's clock is 150 s behind (past the 120 s threshold), LF-OK's 20 s ahead.
    let report = |minute_drift: i64| {
        let behind = &behind;
        let fine = &fine;
        let desk = &desk;
        async move {
            behind
                .publish(&reading("LF-FAST", desk.now(), minute_drift))
                .await
                .unwrap();
            fine.publish(&reading("LF-OK", desk.now(), 20_000))
                .await
                .unwrap();
        }
    };
    for minute in 0..=6 {
        let before = desk.stored_count();
        report(-150_000).await;
        guard(desk.stored_beyond(before + 1)).await;
        desk.judge().await;
        let list = summary(&desk.alarms().await);
        if minute == 0 {
            let fast = desk.device("LF-FAST").await.health;
            let ok = desk.device("LF-OK").await.health;
            assert_eq!(
                (fast.clock_drift_ms, ok.clock_drift_ms),
                (Some(-150_000), Some(20_000)),
                "the drift each report's send time tells, against the central's clock"
            );
        }
        if minute < 5 {
            assert!(
                list.is_empty(),
                "minute {minute}: pending for 5 minutes: {list:?}"
            );
        } else {
            assert_eq!(
                list,
                [("LF-FAST".to_owned(), AlarmKind::ClockDrift, true, 1)],
                "minute {minute}: the drifting clock alone"
            );
        }
        desk.central.clock.advance(MINUTE_MS);
    }
    let alarm = desk.alarms().await.alarms.remove(0);
    assert_eq!(
        alarm.occurrences, 1,
        "raised once, however many sweeps: {alarm:?}"
    );

    // Its clock set right (under the 30 s clearing threshold): cleared after 5 minutes.
    for minute in 0..=5 {
        let before = desk.stored_count();
        report(5_000).await;
        guard(desk.stored_beyond(before + 1)).await;
        desk.judge().await;
        let active = desk.alarms().await.alarms[0].active;
        assert_eq!(
            active,
            minute < 5,
            "minute {minute} after the clock was set"
        );
        desk.central.clock.advance(MINUTE_MS);
    }
    assert_eq!(
        desk.device("LF-FAST").await.health.clock_drift_ms,
        Some(5_000)
    );
    behind.disconnect().await;
    fine.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_will_makes_the_device_offline_in_the_central_health() {
    let Some(desk) = Desk::start(&[("LF-GH1", "LFG21")]).await else {
        return;
    };
    let device = desk.site.device("LF-GH1").await;
    desk.until_presence("LF-GH1", Presence::Online).await;
    let mut sent = BTreeMap::new();
    report_all(&desk, &[("LF-GH1", "LFG21", &device)], &mut sent).await;
    desk.until_series("LFG21", &sent["LFG21"]).await;
    desk.judge().await;
    assert_eq!(
        desk.device("LF-GH1").await.health.status.status,
        Status::Reporting
    );

    device.drop_link();
    desk.until_presence("LF-GH1", Presence::Offline).await;
    let health = desk.device("LF-GH1").await.health;
    assert_eq!(
        health.presence,
        Some(Presence::Offline),
        "the will, in the central's health"
    );
    assert_eq!(
        health.status.status,
        Status::Reporting,
        "on time still: a will alone does not make a device offline"
    );
    desk.next_minute().await;
    desk.next_minute().await;
    let health = desk.device("LF-GH1").await.health;
    assert_eq!(
        health.status.status,
        Status::Offline,
        "one report missed after its will: offline, not merely late"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_ended_by_a_backfill_leaves_the_series_complete_and_clears_its_alarm() {
    let Some(desk) = Desk::start(&[("LF-GH2", "LFG31")]).await else {
        return;
    };
    let device = desk.site.device("LF-GH2").await;
    desk.until_presence("LF-GH2", Presence::Online).await;
    let mut sent = BTreeMap::new();
    for _ in 0..3 {
        report_all(&desk, &[("LF-GH2", "LFG31", &device)], &mut sent).await;
        desk.until_series("LFG31", &sent["LFG31"]).await;
        desk.next_minute().await;
    }
    // Its link drops; it keeps measuring, minute by minute, into its own memory.
    device.drop_link();
    desk.until_presence("LF-GH2", Presence::Offline).await;
    let mut missed = Vec::new();
    for minute in 0..5 {
        missed.push(reading("LF-GH2", desk.now(), 0));
        desk.next_minute().await;
        let alarms = summary(&desk.alarms().await);
        let raised = !alarms.is_empty();
        // Late by one report after its will: offline at once, raised a minute later.
        assert_eq!(raised, minute >= 1, "minute {minute}: {alarms:?}");
    }
    assert_eq!(
        summary(&desk.alarms().await),
        [("LF-GH2".to_owned(), AlarmKind::Silent, true, 1)]
    );
    assert_eq!(
        desk.device("LF-GH2").await.health.status.status,
        Status::Offline
    );

    // Back: online, then its missed minutes as one backfill, then live again.
    let device = desk.site.device("LF-GH2").await;
    desk.until_presence("LF-GH2", Presence::Online).await;
    device.publish_records(&missed, desk.now()).await.unwrap();
    let backlog: BTreeSet<Timestamp> = missed.iter().map(|r| r.time).collect();
    let series = sent.get_mut("LFG31").unwrap();
    series.extend(missed.iter().map(|r| (r.time, r.values[&Element::Tem])));
    report_all(&desk, &[("LF-GH2", "LFG31", &device)], &mut sent).await;
    desk.until_series("LFG31", &sent["LFG31"]).await;

    let view = desk.view("LFG31").await;
    let completeness = &view["raw"]["completeness"];
    assert_eq!(
        completeness["values"], completeness["expected"],
        "every minute since the first report: {completeness}"
    );
    let backfilled: BTreeSet<Timestamp> = view["view"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["values"]["all"]["sources"] == serde_json::json!(["backfilled"]))
        .map(|b| serde_json::from_value(b["values"]["all"]["first_at"].clone()).unwrap())
        .collect();
    assert_eq!(
        backfilled, backlog,
        "the missed minutes, stored as backfilled"
    );

    for minute in 0..3 {
        desk.judge().await;
        let active = desk.alarms().await.alarms[0].active;
        assert_eq!(
            active,
            minute < 2,
            "cleared after 2 minutes back: minute {minute}"
        );
        desk.central.clock.advance(MINUTE_MS);
        report_all(&desk, &[("LF-GH2", "LFG31", &device)], &mut sent).await;
        desk.until_series("LFG31", &sent["LFG31"]).await;
    }
    assert_eq!(
        desk.device("LF-GH2").await.health.status.status,
        Status::Reporting
    );
    device.disconnect().await;
}

impl Desk {
    /// `station`'s temperature view at one bucket a minute, from the start to now.
    async fn view(&self, station: &str) -> Value {
        let from = self.start.plus_ms(-MINUTE_MS);
        // Four columns a minute: raw values, one per bucket.
        let columns = (self.now().0 - from.0) / MINUTE_MS * 4;
        let path = format!(
            "/observations/view?station={station}&element=TEM&from={}&to={}&columns={columns}",
            from.to_rfc3339(),
            self.now().to_rfc3339()
        );
        let (status, view) = self.central.get_json(&client(), &path).await;
        assert_eq!(status, 200, "{view}");
        view
    }
}
