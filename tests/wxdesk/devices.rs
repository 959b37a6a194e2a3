//! The device registry and device telemetry through the real central: a technician registers a
//! garden micro-station, its station joins the network and the change log; its reports are
//! stored as that station's observations and as its health; its status changes, and only the
//! change, travel to desks.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tokio::sync::oneshot;
use wxdesk::central::devices::Arrival;
use wxdesk::domain::access::Role;
use wxdesk::domain::devices::{DeviceId, HealthReading, Telemetry};
use wxdesk::domain::time::MINUTE_MS;
use wxdesk::domain::{Element, Timestamp};
use wxdesk::protocol::devices::{DeviceList, HealthPage};
use wxdesk::protocol::{ChangesPage, LatestResponse, NetworkDto};

use crate::support::{TestCentral, client, client_with, now, within};

macro_rules! central_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() $body
    };
}

pub(crate) fn garden() -> Value {
    json!({
        "id": "YR-AWS1", "name_zh": "悠然国茶园小气候站", "kind": "garden_station",
        "location": {"lat": 25.9452, "lon": 116.8705}, "altitude_m": 420.0,
        "township": 350423105, "transport": "mqtt", "interval_s": 60,
        "station": "YRG01", "reference_station": "708307", "cellular": true, "simulated": true
    })
}

async fn send(
    central: &TestCentral,
    role: Role,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client_with(&central.token(role).await)
        .request(method, central.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn register(central: &TestCentral, body: &Value) -> (u16, Value) {
    send(
        central,
        Role::Technician,
        reqwest::Method::POST,
        "/devices",
        body,
    )
    .await
}

fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

central_test! {
    async fn a_registered_garden_station_joins_the_network_and_the_change_log() {
        let central = TestCentral::start().await;
        let (status, _) = send(&central, Role::DutyForecaster, reqwest::Method::POST, "/devices", &garden()).await;
        assert_eq!(status, 403, "only technicians and administrators register devices");
        let (status, body) = register(&central, &garden()).await;
        assert_eq!(status, 201, "{body}");

        let refusals = [
            (garden(), 409, "device_exists"),
            (with(with(garden(), "id", json!("YR-AWS2")), "station", json!("58819")), 409, "station_taken"),
            (with(with(garden(), "id", json!("YR-AWS3")), "township", json!(350423999)), 400, "device_names_unknown"),
            (with(with(garden(), "id", json!("YR-AWS4")), "interval_s", json!(0)), 400, "invalid_device"),
            (with(with(garden(), "id", json!("YR-AWS5")), "station", Value::Null), 400, "invalid_device"),
        ];
        for (body, want_status, want_code) in refusals {
            let (status, answer) = register(&central, &body).await;
            assert_eq!((status, answer["error"].as_str()), (want_status, Some(want_code)), "{body}: {answer}");
        }

        let (_, stations) = central.get_json(&client(), "/stations").await;
        let network: NetworkDto = serde_json::from_value(stations).unwrap();
        let station = network.stations.iter().find(|s| s.id == "YRG01").expect("the garden's station");
        assert_eq!((station.kind, station.township), (wxdesk::domain::StationKind::Garden, 350423105));
        assert_eq!(network.stations.len(), 17, "16 stations and the garden; refused records added none");

        let (_, page) = central.get_json(&client(), "/changes").await;
        let page: ChangesPage = serde_json::from_value(page).unwrap();
        let kinds: Vec<&str> = page.changes.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["station", "device"], "the station first, so a desk knows it before the device");

        let (_, list) = central.get_json(&client(), "/devices").await;
        let list: DeviceList = serde_json::from_value(list).unwrap();
        assert_eq!(list.devices.len(), 1);
        assert_eq!(list.devices[0].health.status.status, wxdesk::domain::devices::Status::NeverSeen);

        let changed = with(garden(), "name_zh", json!("悠然国茶园一号站"));
        let (status, _) = send(&central, Role::Technician, reqwest::Method::PUT, "/devices/YR-AWS1", &changed).await;
        assert_eq!(status, 200);
        let (status, _) = send(&central, Role::Technician, reqwest::Method::PUT, "/devices/YR-AWS9", &with(garden(), "id", json!("YR-AWS9"))).await;
        assert_eq!(status, 404);
        let (_, stations) = central.get_json(&client(), "/stations").await;
        assert!(stations.to_string().contains("悠然国茶园一号站"), "the station follows its device");
    }
}

pub(crate) fn report(device: &str, minute: i64, values: &[(Element, f64)]) -> Telemetry {
    let time = now().plus_ms(minute * MINUTE_MS);
    Telemetry {
        device: DeviceId::parse(device).unwrap(),
        time,
        sent_at: Some(time.plus_ms(2_500)),
        received: time.plus_ms(400),
        values: values.iter().copied().collect::<BTreeMap<_, _>>(),
        health: HealthReading {
            battery_v: Some(12.6),
            supply_v: Some(13.4),
            rssi_dbm: Some(-71.0),
        },
        backfilled: false,
    }
}

/// Hands `telemetry` to the central as a transport does and waits until it is stored.
pub(crate) async fn deliver(central: &TestCentral, telemetry: Telemetry) -> Result<(), String> {
    let (stored, told) = oneshot::channel();
    let arrivals = central.running().devices().arrivals();
    arrivals
        .send(Arrival {
            telemetry,
            stored: Some(stored),
        })
        .await
        .unwrap();
    within("the report is stored", told).await.unwrap()
}

central_test! {
    async fn reports_are_stored_as_the_station_observation_and_as_health() {
        let central = TestCentral::start().await;
        assert_eq!(register(&central, &garden()).await.0, 201);
        let values = [(Element::Tem, 8.5), (Element::Svwc10cm, 31.0), (Element::LeafWet, 140.0)];
        deliver(&central, report("YR-AWS1", -1, &values)).await.unwrap();
        deliver(&central, report("NOT-REGISTERED", -1, &values)).await
            .expect("a report no one can store is settled, not retried forever");

        let (_, latest) = central.get_json(&client(), "/observations/latest").await;
        let latest: LatestResponse = serde_json::from_value(latest).unwrap();
        let garden = latest.stations.iter().find(|s| s.station == "YRG01").unwrap();
        assert_eq!(garden.values[&Element::Tem].value, 8.5);
        assert_eq!(garden.values[&Element::Svwc10cm].value, 31.0);
        assert!(!garden.values.contains_key(&Element::LeafWet), "141 % leaf wetness is refused, the rest kept");
        assert!(!latest.stations.iter().any(|s| s.station == "NOT-REGISTERED"));

        let (status, page) = central.get_json(&client(), "/devices/YR-AWS1/health").await;
        assert_eq!(status, 200, "{page}");
        let page: HealthPage = serde_json::from_value(page).unwrap();
        let health = &page.view.health;
        assert_eq!((health.battery_v, health.rssi_dbm, health.clock_drift_ms), (Some(12.6), Some(-71.0), Some(2_100)));
        assert_eq!(health.reports_24h, 1);
        assert_eq!(page.trend.len(), 1, "one hour of health, downsampled");
        let (status, _) = central.get_json(&client(), "/devices/NOPE1/health").await;
        assert_eq!(status, 404);
    }
}

central_test! {
    async fn a_flood_of_reports_from_many_gardens_is_stored_each_once_and_each_answered() {
        // The telemetry worker gathers batches while it stores the last: 600 reports handed
        // over at once, 20 gardens × 30 minutes, each answered stored, each counted once, the
        // last minute's value each garden's latest.
        let central = TestCentral::start().await;
        let gardens: Vec<(String, String)> =
            (1..=20).map(|i| (format!("FL-G{i:02}"), format!("FLG{i:02}"))).collect();
        for (id, station) in &gardens {
            let body = with(with(garden(), "id", json!(id)), "station", json!(station));
            assert_eq!(register(&central, &body).await.0, 201, "{id}");
        }
        let arrivals = central.running().devices().arrivals();
        let mut answers = Vec::new();
        for minute in -30..0_i64 {
            for (g, (id, _)) in gardens.iter().enumerate() {
                // A value that says whose and which minute it is.
                let tem = g as f64 + (minute + 30) as f64 / 100.0;
                let (stored, told) = oneshot::channel();
                let telemetry = report(id, minute, &[(Element::Tem, tem)]);
                arrivals.send(Arrival { telemetry, stored: Some(stored) }).await.unwrap();
                answers.push(told);
            }
        }
        for told in answers {
            within("every report answered", told).await.unwrap().expect("stored");
        }
        let (_, latest) = central.get_json(&client(), "/observations/latest").await;
        let latest: LatestResponse = serde_json::from_value(latest).unwrap();
        for (g, (id, station)) in gardens.iter().enumerate() {
            let (_, page) = central.get_json(&client(), &format!("/devices/{id}/health")).await;
            let page: HealthPage = serde_json::from_value(page).unwrap();
            assert_eq!(page.view.health.reports_24h, 30, "{id}: each report counted once");
            let values = &latest.stations.iter().find(|s| s.station == *station).unwrap().values;
            assert_eq!(values[&Element::Tem].value, g as f64 + 0.29, "{id}: its last minute");
        }
        // The worker counts a batch once it has answered for it: wait for the count, then
        // see that it is exactly the reports handed over.
        let board = central.running().workers().clone();
        let counted = |s: &wxdesk::central::workers::WorkerStatus| {
            s.detail.as_deref().is_some_and(|d| d.starts_with("600 reports"))
        };
        let status = within("the worker's count", board.wait_for("telemetry", counted)).await;
        assert_eq!(status.unwrap().detail.as_deref(), Some("600 reports stored, 0 refused"));
    }
}

central_test! {
    async fn a_report_delivered_again_is_stored_and_counted_once() {
        // `QoS` 1 delivers at least once: a broker restarted before the central's PUBACK
        // reached it sends the report again.
        let central = TestCentral::start().await;
        assert_eq!(register(&central, &garden()).await.0, 201);
        let first = report("YR-AWS1", -2, &[(Element::Tem, 8.5)]);
        let again = Telemetry { received: first.received.plus_ms(30_000), ..first.clone() };
        deliver(&central, first).await.unwrap();
        deliver(&central, again).await.unwrap();
        deliver(&central, report("YR-AWS1", -1, &[(Element::Tem, 8.6)])).await.unwrap();
        let (_, page) = central.get_json(&client(), "/devices/YR-AWS1/health").await;
        let page: HealthPage = serde_json::from_value(page).unwrap();
        assert_eq!(page.view.health.reports_24h, 2, "two minutes reported, one of them twice");
        assert_eq!(page.trend.iter().map(|h| h.reports).sum::<u32>(), 2);
    }
}

central_test! {
    async fn only_status_changes_travel_and_a_quiet_device_becomes_silent() {
        let central = TestCentral::start().await;
        assert_eq!(register(&central, &garden()).await.0, 201);
        let head = |page: &ChangesPage| page.changes.len();
        let (_, before) = central.get_json(&client(), "/changes").await;
        let before: ChangesPage = serde_json::from_value(before).unwrap();

        for minute in -5..=-1 {
            deliver(&central, report("YR-AWS1", minute, &[(Element::Tem, 8.0)])).await.unwrap();
        }
        assert_eq!(central.running().judge_devices().await.unwrap(), 1, "never seen → reporting");
        assert_eq!(central.running().judge_devices().await.unwrap(), 0, "nothing changed, nothing logged");
        let statuses = |page: &ChangesPage| -> Vec<String> {
            page.changes.iter().filter(|c| c.kind == "device_status")
                .map(|c| c.data["status"]["status"].as_str().unwrap().to_owned()).collect()
        };
        let (_, after) = central.get_json(&client(), "/changes").await;
        let after: ChangesPage = serde_json::from_value(after).unwrap();
        assert_eq!(statuses(&after), ["reporting"]);
        let hours = after.changes.iter().filter(|c| c.kind == "hours").count();
        assert_eq!(head(&after) - head(&before), hours + 1, "five reports: their hours and one status change");

        central.clock.advance(2 * MINUTE_MS);
        central.running().judge_devices().await.unwrap();
        central.clock.advance(3 * MINUTE_MS);
        central.running().judge_devices().await.unwrap();
        let (_, page) = central.get_json(&client(), "/changes").await;
        let page: ChangesPage = serde_json::from_value(page).unwrap();
        assert_eq!(statuses(&page), ["reporting", "late", "silent"]);
        let silent = page.changes.iter().rfind(|c| c.kind == "device_status").unwrap();
        let last_seen: Timestamp = serde_json::from_value(silent.data["last_seen"].clone()).unwrap();
        assert_eq!(last_seen, now().plus_ms(-MINUTE_MS + 400), "desks count the missed reports from it");
    }
}
