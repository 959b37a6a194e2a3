use super::*;
use crate::console::messages::devices::DeviceHealth;
use crate::console::ui::devices::text::ZH;
use crate::domain::devices::health::LinkState;
use crate::domain::devices::{Presence, StatusSince};

const T0: i64 = 1_796_000_000_000;

/// A garden station reporting every minute over MQTT, last heard at `last_seen` (ms after T0).
fn garden(last_seen: Option<i64>, link: LinkState, presence: Option<Presence>) -> DeviceView {
    let device = serde_json::from_value(serde_json::json!({
        "id": "YR-AWS1", "name_zh": "悠然国茶园小气候站", "kind": "garden_station",
        "location": {"lat": 25.9452, "lon": 116.8705}, "altitude_m": 420.0,
        "township": 350423105, "transport": "mqtt", "interval_s": 60,
        "station": "YRG01"
    }))
    .unwrap();
    DeviceView {
        device,
        health: DeviceHealth {
            last_seen: last_seen.map(|ms| Timestamp(T0 + ms)),
            last_time: None,
            battery_v: Some(12.6),
            supply_v: None,
            rssi_dbm: None,
            clock_drift_ms: None,
            link,
            presence,
            status: StatusSince {
                status: Status::Reporting,
                since: Timestamp(T0),
            },
            reports_24h: 1,
        },
    }
}

#[test]
fn the_list_says_the_truth_in_words() {
    let normal = LinkState::Normal;
    let gone = LinkState::Unreachable {
        since: Timestamp(T0),
    };
    let fine = Upstream::default();
    let link_down = Upstream {
        central_unreachable: true,
        ..Upstream::default()
    };
    let behind = Upstream {
        desk_behind: true,
        ..Upstream::default()
    };
    let minutes = |m: i64| m * MINUTE_MS;
    let cases = [
        (Some(0), normal, None, minutes(1), fine, "正常"),
        (Some(0), normal, None, minutes(2), fine, "迟报 1 次"),
        (Some(0), normal, None, minutes(3), fine, "迟报 2 次"),
        (Some(0), normal, None, minutes(25), fine, "失联 25 分钟"),
        (Some(0), normal, None, 3 * HOUR_MS, fine, "失联 3 小时"),
        (
            Some(0),
            normal,
            Some(Presence::Offline),
            minutes(2),
            fine,
            "离线（遗嘱）",
        ),
        (Some(0), gone, None, 0, fine, "轮询不可达"),
        (None, normal, None, minutes(5), fine, "从未上报"),
        // Upstream first: a desk that hears nothing paints nothing as failed.
        (
            Some(0),
            normal,
            None,
            minutes(25),
            link_down,
            "未知（中心连接中断）",
        ),
        (
            Some(0),
            normal,
            None,
            minutes(25),
            behind,
            "未知（本台同步中）",
        ),
        (Some(0), normal, None, 0, link_down, "正常"),
    ];
    for (seen, link, presence, at, upstream, want) in cases {
        let view = garden(seen, link, presence);
        let said = verdict(&view, Timestamp(T0 + at), upstream).words(&ZH, Language::Zh);
        assert_eq!(
            said, want,
            "{seen:?} {link:?} {presence:?} +{at} ms {upstream:?}"
        );
    }
}

#[test]
fn a_board_behind_a_silent_dtu_blames_the_dtu() {
    let mut view = garden(Some(0), LinkState::Normal, None);
    view.device.transport = crate::domain::devices::Transport::ModbusDtu;
    let dtu_down = Upstream {
        dtu_down: true,
        ..Upstream::default()
    };
    let at = Timestamp(T0 + 25 * MINUTE_MS);
    assert_eq!(
        verdict(&view, at, dtu_down),
        Verdict::Upstream(Silence::Dtu)
    );
    assert!(verdict(&view, at, Upstream::default()).is_quiet());
}
