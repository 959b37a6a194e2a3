use super::*;
use crate::domain::devices::health::{BatteryForecast, Lateness, LinkState};
use crate::domain::devices::{Status, StatusSince};
use crate::protocol::devices::{DeviceHealth, DeviceView};

fn view(id: &str) -> DeviceView {
    let device = serde_json::from_value(serde_json::json!({
        "id": id, "name_zh": "悠然国茶园小气候站", "kind": "garden_station",
        "location": {"lat": 25.9452, "lon": 116.8705}, "altitude_m": 420.0,
        "township": 350423105, "transport": "mqtt", "interval_s": 60, "station": "YRG01"
    }))
    .unwrap();
    DeviceView {
        device,
        health: DeviceHealth {
            last_seen: None,
            last_time: None,
            battery_v: None,
            supply_v: None,
            rssi_dbm: None,
            clock_drift_ms: None,
            link: LinkState::Normal,
            presence: None,
            status: StatusSince {
                status: Status::NeverSeen,
                since: Timestamp(0),
            },
            reports_24h: 0,
        },
    }
}

fn page(id: &str) -> Box<HealthPage> {
    Box::new(HealthPage {
        view: view(id),
        lateness: Lateness::NeverSeen,
        completeness_24h: 0.0,
        trend: Vec::new(),
        battery: BatteryForecast::NotEnoughData,
        now: Timestamp(1_000),
    })
}

fn id(text: &str) -> DeviceId {
    DeviceId::parse(text).unwrap()
}

#[test]
fn the_desk_counts_on_from_the_centrals_clock_by_its_own() {
    let mut state = DevicesState::default();
    assert_eq!(state.central_now(Timestamp(9_000)), None);
    let list = DeviceList {
        devices: vec![view("YR-AWS1")],
        now: Timestamp(100_000),
    };
    state.apply(DeviceEvent::ListLoaded(Box::new(list)), Timestamp(5_000));
    assert_eq!(
        state.central_now(Timestamp(65_000)),
        Some(Timestamp(160_000))
    );
    assert_eq!(
        state.central_now(Timestamp(4_000)),
        Some(Timestamp(100_000)),
        "a desk clock set back does not run the central's back"
    );
}

#[test]
fn a_refusal_stays_until_its_own_read_is_answered() {
    let mut state = DevicesState::default();
    let refused = |read| DeviceEvent::Refused {
        read,
        code: "unreachable".into(),
        message: "无法连接".into(),
        field: None,
    };
    state.apply(refused(DeviceRead::List), Timestamp(0));
    state.apply(DeviceEvent::HealthLoaded(page("YR-AWS1")), Timestamp(0));
    assert!(state.refusal.is_some(), "a page does not answer the list");
    assert!(state.page_of(&id("YR-AWS1")).is_some());
    assert!(
        state.page_of(&id("YR-AWS2")).is_none(),
        "another device's page"
    );
    let list = DeviceList {
        devices: Vec::new(),
        now: Timestamp(0),
    };
    state.apply(DeviceEvent::ListLoaded(Box::new(list)), Timestamp(0));
    assert_eq!(state.refusal, None);
    assert_eq!(state.answers, 3);
    state.changed(vec![id("YR-AWS1")]);
    assert_eq!(state.revision, 1);
}

fn alarm(id: u64, acknowledged: bool) -> AlarmRecord {
    serde_json::from_value(serde_json::json!({
        "id": id, "subject": "LS-GH1", "kind": "silent", "severity": "major",
        "devices": ["LS-GH1"], "active": true, "acknowledged": acknowledged,
        "raised_at": "2026-12-07T08:00:00Z", "last_raised_at": "2026-12-07T08:00:00Z",
        "occurrences": 1
    }))
    .unwrap()
}

#[test]
fn a_handled_alarm_replaces_its_record_and_moves_the_alarms_as_the_feed_does() {
    let mut state = DevicesState::default();
    let list = AlarmList {
        alarms: vec![alarm(1, false), alarm(2, false)],
        now: Timestamp(1_000),
    };
    state.apply(DeviceEvent::AlarmsLoaded(Box::new(list)), Timestamp(5));
    let moved = state.alarms_moved();
    let refused = DeviceEvent::Refused {
        read: DeviceRead::Handling(2),
        code: "forbidden".into(),
        message: "无权".into(),
        field: None,
    };
    state.apply(refused, Timestamp(6));
    state.apply(
        DeviceEvent::AlarmHandled(Box::new(alarm(2, true))),
        Timestamp(7),
    );
    let (list, _) = state.alarms.as_ref().unwrap();
    let acknowledged: Vec<bool> = list.alarms.iter().map(|a| a.acknowledged).collect();
    assert_eq!(acknowledged, [false, true]);
    assert_eq!((state.last_handled, state.refusal.clone()), (Some(2), None));
    assert!(state.alarms_moved() > moved, "the panel reads them again");
    state.alarms_changed(vec![1]);
    state.apply(DeviceEvent::VisitRecorded { alarm: 1 }, Timestamp(8));
    assert_eq!(state.last_handled, Some(1));
    assert_eq!(state.alarms_moved(), moved + 3);
}
