//! Device alarms through the real central: a township's devices falling quiet together are one
//! incident (a lone quiet device elsewhere its own alarm), nobody acknowledging it in time
//! alerts the on-call technician, a technician acknowledges, assigns and comments, and the
//! alarm closes when its devices report again; a battery that dips briefly raises nothing.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wxdesk::domain::access::Role;
use wxdesk::domain::devices::alarm_book::AlarmKind;
use wxdesk::domain::devices::{DeviceId, HealthReading, Telemetry};
use wxdesk::domain::time::MINUTE_MS;
use wxdesk::domain::{Clock as _, Element, Timestamp};
use wxdesk::protocol::devices::{AlarmDetail, AlarmList};

use crate::support::{TestCentral, client, client_with};

macro_rules! central_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() $body
    };
}

/// A greenhouse controller `id` in `township`, reporting as station `station`.
fn greenhouse(id: &str, station: &str, township: u32) -> Value {
    json!({
        "id": id, "name_zh": format!("{id}大棚"), "kind": "greenhouse_controller",
        "location": {"lat": 25.94, "lon": 116.87}, "altitude_m": 360.0,
        "township": township, "transport": "mqtt", "interval_s": 60,
        "station": station, "cellular": true
    })
}

pub(crate) async fn post(
    central: &TestCentral,
    role: Role,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client_with(&central.token(role).await)
        .post(central.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn deliver(central: &TestCentral, device: &str, at: Timestamp, battery: f64) {
    let telemetry = Telemetry {
        device: DeviceId::parse(device).unwrap(),
        time: at,
        sent_at: Some(at),
        received: at,
        values: BTreeMap::from([(Element::TemIn, 18.0)]),
        health: HealthReading {
            battery_v: Some(battery),
            ..HealthReading::default()
        },
        backfilled: false,
    };
    crate::devices::deliver(central, telemetry).await.unwrap();
}

async fn alarms(central: &TestCentral) -> AlarmList {
    let (_, list) = central.get_json(&client(), "/device-alarms").await;
    serde_json::from_value(list).unwrap()
}

/// Moves the central's clock on by `minutes` and judges every device, as the worker would.
async fn after(central: &TestCentral, minutes: i64) {
    central.clock.advance(minutes * MINUTE_MS);
    central.running().judge_devices().await.unwrap();
}

const LAIFANG: u32 = 350423105;
const LINSHE: u32 = 350423106;

central_test! {
    async fn a_township_gone_quiet_is_one_incident_escalated_handled_and_closed() {
        let central = TestCentral::start().await;
        let devices = [("LF-GH1", "LFGH1", LAIFANG), ("LF-GH2", "LFGH2", LAIFANG), ("LF-GH3", "LFGH3", LAIFANG), ("LS-GH1", "LSGH1", LINSHE)];
        for (id, station, township) in devices {
            // On wired links: were they all the county's 4G devices, their silence would be
            // the county's 4G, one incident (the widest cause first).
            let mut body = greenhouse(id, station, township);
            body["cellular"] = json!(false);
            assert_eq!(post(&central, Role::Technician, "/devices", &body).await.0, 201);
        }
        let report_all = |at: Timestamp| {
            let central = &central;
            async move {
                for (id, ..) in devices {
                    deliver(central, id, at, 12.6).await;
                }
            }
        };
        report_all(central.clock.now()).await;
        after(&central, 0).await;
        assert!(alarms(&central).await.alarms.is_empty());

        after(&central, 5).await; // five reports missed: silent, pending
        assert!(alarms(&central).await.alarms.is_empty(), "nothing before the pending period");
        after(&central, 1).await;
        let list = alarms(&central).await;
        let raised: Vec<(&str, AlarmKind, usize)> = list.alarms.iter()
            .map(|a| (a.subject.as_str(), a.kind, a.devices.len())).collect();
        assert_eq!(raised.len(), 2, "one incident and one lone device, not four alarms: {raised:?}");
        assert!(raised.contains(&("incident:township:350423105", AlarmKind::Incident, 3)));
        assert!(raised.contains(&("LS-GH1", AlarmKind::Silent, 1)));
        let incident = list.alarms.iter().find(|a| a.kind == AlarmKind::Incident).unwrap().clone();

        after(&central, 14).await;
        assert!(alarms(&central).await.alarms.iter().all(|a| a.escalated_at.is_none()), "within 15 min nobody is alerted");
        after(&central, 1).await;
        let escalated = alarms(&central).await;
        assert!(escalated.alarms.iter().all(|a| a.escalated_at.is_some()), "unacknowledged for 15 min: the on-call technician is alerted");

        let path = |what: &str| format!("/device-alarms/{}/{what}", incident.id);
        assert_eq!(post(&central, Role::DutyForecaster, &path("acknowledge"), &json!({})).await.0, 403);
        let (status, acked) = post(&central, Role::Technician, &path("acknowledge"), &json!({})).await;
        assert_eq!((status, acked["acknowledged"].as_bool()), (200, Some(true)), "{acked}");
        assert_eq!(post(&central, Role::Technician, &path("assign"), &json!({"assignee": "nobody-here"})).await.0, 400);
        let forecaster = crate::support::username(Role::DutyForecaster);
        let (status, refused) = post(&central, Role::Technician, &path("assign"), &json!({"assignee": forecaster})).await;
        assert_eq!((status, refused["error"].as_str()), (400, Some("not_assignable")), "only technicians: {refused}");
        assert_eq!(post(&central, Role::Technician, &path("assign"), &json!({"assignee": "technician"})).await.0, 200);
        assert_eq!(post(&central, Role::Technician, &path("comments"), &json!({"text": "赖坊基站停电"})).await.0, 200);
        assert_eq!(post(&central, Role::Technician, &path("comments"), &json!({"text": "  "})).await.0, 400);
        assert_eq!(post(&central, Role::Technician, "/device-alarms/999/acknowledge", &json!({})).await.0, 404);

        report_all(central.clock.now()).await;
        after(&central, 0).await; // reporting again: clearing
        after(&central, 2).await;
        let (_, detail) = central.get_json(&client(), &format!("/device-alarms/{}", incident.id)).await;
        let detail: AlarmDetail = serde_json::from_value(detail).unwrap();
        assert!(detail.alarm.closed_at.is_some() && !detail.alarm.active, "cleared and acknowledged: closed");
        let timeline: Vec<&str> = detail.events.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(timeline, ["raised", "escalated", "acknowledged", "assigned", "commented", "cleared"]);
        let lone = alarms(&central).await.alarms.into_iter().find(|a| a.subject == "LS-GH1").unwrap();
        assert!(lone.closed_at.is_none() && !lone.active, "cleared but not acknowledged: still open");
    }
}

central_test! {
    async fn an_incident_grows_with_a_device_falling_quiet_after_it_rose() {
        let central = TestCentral::start().await;
        let ids = ["LF-GH1", "LF-GH2", "LF-GH3", "LF-GH4"];
        for (i, id) in ids.iter().enumerate() {
            let mut body = greenhouse(id, &format!("LFGH{}", i + 1), LAIFANG);
            body["cellular"] = json!(false);
            assert_eq!(post(&central, Role::Technician, "/devices", &body).await.0, 201);
        }
        for id in ids {
            deliver(&central, id, central.clock.now(), 12.6).await;
        }
        // Three fall quiet; the fourth reports four minutes more, then falls quiet too.
        for _ in 0..4 {
            after(&central, 1).await;
            deliver(&central, ids[3], central.clock.now(), 12.6).await;
        }
        after(&central, 2).await;
        let covered = |list: &AlarmList| -> Vec<(String, AlarmKind, usize)> {
            list.alarms.iter().map(|a| (a.subject.clone(), a.kind, a.devices.len())).collect()
        };
        let subject = "incident:township:350423105".to_owned();
        assert_eq!(covered(&alarms(&central).await), [(subject.clone(), AlarmKind::Incident, 3)]);
        after(&central, 4).await; // the fourth is silent: the incident names it, no alarm of its own
        let list = alarms(&central).await;
        assert_eq!(covered(&list), [(subject, AlarmKind::Incident, 4)]);
        let incident = &list.alarms[0];
        assert_eq!(incident.occurrences, 1, "one alarm throughout");
        let (_, detail) = central.get_json(&client(), &format!("/device-alarms/{}", incident.id)).await;
        let detail: AlarmDetail = serde_json::from_value(detail).unwrap();
        let timeline: Vec<(&str, &str)> = detail.events.iter().map(|e| (e.what.as_str(), e.text.as_str())).collect();
        assert_eq!(timeline, [("raised", ""), ("regrouped", "3 → 4")]);
    }
}

central_test! {
    async fn a_battery_dipping_briefly_raises_nothing_and_a_sustained_low_raises_once() {
        let central = TestCentral::start().await;
        assert_eq!(post(&central, Role::Technician, "/devices", &greenhouse("LF-GH1", "LFGH1", LAIFANG)).await.0, 201);
        let mut volts = vec![11.6; 5];
        volts.extend([12.0, 11.7, 12.5, 12.6]); // below 11.8 V for five minutes, then back
        volts.extend([11.5; 12]); // twelve minutes low
        for v in volts {
            deliver(&central, "LF-GH1", central.clock.now(), v).await;
            after(&central, 1).await;
        }
        let list = alarms(&central).await;
        let battery: Vec<_> = list.alarms.iter().filter(|a| a.kind == AlarmKind::LowBattery).collect();
        assert_eq!(battery.len(), 1, "{:?}", list.alarms);
        assert_eq!(battery[0].occurrences, 1, "the brief dip before raised nothing");
    }
}

central_test! {
    async fn a_maintenance_visit_closes_the_alarms_it_dealt_with_and_keeps_its_window() {
        let central = TestCentral::start().await;
        let body = greenhouse("LS-GH1", "LSGH1", LINSHE);
        assert_eq!(post(&central, Role::Technician, "/devices", &body).await.0, 201);
        deliver(&central, "LS-GH1", central.clock.now(), 12.6).await;
        after(&central, 0).await;
        after(&central, 5).await;
        after(&central, 1).await;
        let list = alarms(&central).await;
        let alarm = list.alarms.iter().find(|a| a.subject == "LS-GH1").unwrap_or_else(|| panic!("{list:?}")).clone();
        assert!(alarm.active);

        let from = central.clock.now().plus_ms(-30 * MINUTE_MS).to_rfc3339();
        let visit = |closes: u64| json!({
            "station": "LSGH1", "from": from, "note": "更换太阳能控制器",
            "visit": {"device": "LS-GH1", "kind": "repair", "parts": [" 太阳能控制器 "], "sensors": ["TEM_In"], "closes": [closes]}
        });
        let (status, refused) = post(&central, Role::Technician, "/maintenance", &visit(999)).await;
        assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_visit")), "{refused}");
        let mut elsewhere = visit(alarm.id);
        elsewhere["station"] = json!("708301");
        assert_eq!(post(&central, Role::Technician, "/maintenance", &elsewhere).await.0, 400, "the device reports as LSGH1");
        assert!(alarms(&central).await.alarms.iter().all(|a| a.closed_at.is_none()), "a refused visit closed nothing");

        let (status, window) = post(&central, Role::Technician, "/maintenance", &visit(alarm.id)).await;
        assert_eq!(status, 201, "{window}");
        assert_eq!(window["visit"]["parts"], json!(["太阳能控制器"]));
        let (_, detail) = central.get_json(&client(), &format!("/device-alarms/{}", alarm.id)).await;
        let detail: AlarmDetail = serde_json::from_value(detail).unwrap();
        assert!(detail.alarm.closed_at.is_some());
        let closed = detail.events.last().unwrap();
        assert_eq!((closed.what.as_str(), closed.by.as_str()), ("closed", "technician"));
        assert_eq!(closed.text, format!("maintenance window {}", window["id"]));

        let (_, list) = central.get_json(&client(), "/maintenance?station=LSGH1").await;
        assert_eq!(list["windows"][0]["visit"]["device"], "LS-GH1", "one log: the window carries its visit");
        let (_, page) = central.get_json(&client(), "/changes").await;
        let logged = page["changes"].as_array().unwrap().iter()
            .rfind(|c| c["kind"] == "maintenance").unwrap();
        assert_eq!(logged["data"]["visit"]["kind"], "repair", "desks get the visit with the window");
    }
}

central_test! {
    async fn while_the_broker_is_away_its_quiet_devices_are_one_incident_not_an_alarm_storm() {
        let central = TestCentral::start().await;
        let spread = [("LF-GH1", "LFGH1", LAIFANG), ("LS-GH1", "LSGH1", LINSHE), ("LS-GH2", "LSGH2", LINSHE)];
        for (id, station, township) in spread {
            let mut body = greenhouse(id, station, township);
            body["cellular"] = json!(false);
            assert_eq!(post(&central, Role::Technician, "/devices", &body).await.0, 201);
            deliver(&central, id, central.clock.now(), 12.6).await;
        }
        after(&central, 0).await;
        // The bridge loses the broker: every MQTT device falls quiet behind it.
        central.running().devices().set_broker_up(false);
        after(&central, 5).await;
        after(&central, 1).await;
        let raised: Vec<(String, usize)> = alarms(&central).await.alarms.into_iter()
            .map(|a| (a.subject, a.devices.len())).collect();
        assert_eq!(raised, [("incident:broker".to_owned(), 3)], "one cause upstream, one incident");

        central.running().devices().set_broker_up(true);
        for (id, ..) in spread {
            deliver(&central, id, central.clock.now(), 12.6).await;
        }
        after(&central, 0).await;
        after(&central, 2).await;
        let list = alarms(&central).await;
        assert!(list.alarms.iter().all(|a| !a.active), "the link back, the incident cleared: {list:?}");
        assert_eq!(list.alarms.len(), 1, "and no device alarm was raised on the way");
    }
}
