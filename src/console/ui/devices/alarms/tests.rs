use super::*;
use crate::domain::Timestamp;

fn alarm(id: u64, kind: AlarmKind, devices: &[&str], scope: Option<Scope>) -> AlarmRecord {
    AlarmRecord {
        id,
        subject: devices[0].to_owned(),
        kind,
        severity: Severity::Major,
        devices: devices.iter().map(|d| (*d).to_owned()).collect(),
        scope,
        active: true,
        acknowledged: false,
        raised_at: Timestamp(1_000),
        last_raised_at: Timestamp(1_000),
        cleared_at: None,
        occurrences: 1,
        acknowledged_by: None,
        assignee: None,
        escalated_at: None,
        closed_at: None,
    }
}

fn said(alarm: &AlarmRecord, language: Language) -> String {
    let device = |id: &str| format!("{id}大棚");
    let township = |_: u32| "赖坊镇".to_owned();
    let names = Names {
        device: &device,
        township: &township,
    };
    headline(alarm, &names, language)
}

#[test]
fn parts_split_at_enumeration_commas_and_commas() {
    let cases: [(&str, &[&str]); 4] = [
        ("", &[]),
        (" 蓄电池 ", &["蓄电池"]),
        (
            "蓄电池、太阳能板，DTU, 天线",
            &["蓄电池", "太阳能板", "DTU", "天线"],
        ),
        ("、 ,，", &[]),
    ];
    for (typed, expected) in cases {
        assert_eq!(parts(typed), expected, "{typed:?}");
    }
}

#[test]
fn an_alarm_says_what_it_is_about() {
    let three = ["LF-GH1", "LF-GH2", "LF-GH3"];
    let cases = [
        (
            AlarmKind::Incident,
            Some(Scope::Township(350423105)),
            &three[..],
            "赖坊镇 3 台设备同时失联",
        ),
        (
            AlarmKind::Incident,
            Some(Scope::Dtu("DTU-LF1".into())),
            &three[..2],
            "DTU DTU-LF1 下 2 台设备同时失联",
        ),
        (
            AlarmKind::Incident,
            Some(Scope::Cellular),
            &three[..],
            "全县 4G 设备 3 台同时失联",
        ),
        (AlarmKind::Silent, None, &three[..1], "LF-GH1大棚 失联"),
        (
            AlarmKind::LowBattery,
            None,
            &three[..1],
            "LF-GH1大棚 电池电压低",
        ),
        (
            AlarmKind::ClockDrift,
            None,
            &three[..1],
            "LF-GH1大棚 时钟偏差大",
        ),
    ];
    for (kind, scope, devices, expected) in cases {
        assert_eq!(
            said(&alarm(1, kind, devices, scope), Language::Zh),
            expected
        );
    }
    let incident = alarm(
        1,
        AlarmKind::Incident,
        &three,
        Some(Scope::Township(350423105)),
    );
    assert_eq!(
        said(&incident, Language::En),
        "3 devices in 赖坊镇 silent together"
    );
}

#[test]
fn an_alarms_state_is_said_apart() {
    let t = text::text(Language::Zh);
    let closed = Some(Timestamp(2_000));
    let cases = [
        (true, false, None, "告警中·未确认"),
        (true, true, None, "告警中·已确认"),
        (false, false, None, "已恢复·未确认"),
        (false, true, None, "已恢复·已确认"),
        (false, true, closed, "已关闭"),
        (false, false, closed, "已关闭"),
    ];
    for (active, acknowledged, closed_at, expected) in cases {
        let mut a = alarm(1, AlarmKind::Silent, &["X"], None);
        (a.active, a.acknowledged, a.closed_at) = (active, acknowledged, closed_at);
        assert_eq!(state_words(&a, t), expected);
    }
}

#[test]
fn open_alarms_come_first_and_newest_first() {
    let at = |id: u64, raised: i64, closed: bool| {
        let mut a = alarm(id, AlarmKind::Silent, &["X"], None);
        a.last_raised_at = Timestamp(raised);
        a.closed_at = closed.then_some(Timestamp(raised + 1));
        a
    };
    let alarms = [
        at(1, 10, false),
        at(2, 30, true),
        at(3, 20, false),
        at(4, 40, true),
    ];
    let ids: Vec<u64> = ordered(&alarms).iter().map(|a| a.id).collect();
    assert_eq!(ids, [3, 1, 4, 2]);
}
